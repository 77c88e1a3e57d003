"""The deployments: entrypoints that are flows, run forms a person can fill in, a file that does
not depend on where it was deployed from, and a waiting run that gives its worker back."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
import yaml
from prefect import Flow

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
EXAMPLES = ROOT / "tests" / "shared_examples"
AS_OF = date(2026, 11, 22)


def _config() -> dict[str, Any]:
    config = yaml.safe_load((ROOT / "deployments" / "prefect.yaml").read_text(encoding="utf-8"))
    assert isinstance(config, dict)
    return config


def _flows() -> list[tuple[str, str, Flow[Any, Any]]]:
    found = []
    for deployment in _config()["deployments"]:
        path, name = deployment["entrypoint"].split(":")
        assert (ROOT / path).is_file()
        module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
        found.append((deployment["name"], deployment["entrypoint"], getattr(module, name)))
    return found


def test_every_entrypoint_is_a_flow() -> None:
    flows = _flows()
    assert {name for name, _, _ in flows} == {
        "assess-transfer",
        "expire-waits",
        "reassess-portfolio",
        "filing-clock",
    }
    for name, _, f in flows:
        assert isinstance(f, Flow), name


def test_every_parameter_has_a_title_and_a_description_in_the_run_form() -> None:
    """The schema the Prefect UI builds the run form from, both as `prefect deploy` makes it
    (from the loaded flow) and as Prefect reads it from the source when the flow cannot be
    loaded: every parameter titled in words (not its name) and explained, in the order of
    the signature; the intake is a file or a text, never a nested form of the model."""
    from prefect.utilities.callables import parameter_schema_from_entrypoint

    for name, entrypoint, f in _flows():
        cwd = os.getcwd()
        os.chdir(ROOT)
        try:
            from_source = parameter_schema_from_entrypoint(entrypoint).model_dump()
        finally:
            os.chdir(cwd)
        for schema in (f.parameters.model_dump(), from_source):
            props = schema["properties"]
            assert props, name
            for key, prop in props.items():
                assert prop["title"] != key and prop["title"][0].isupper(), (name, key)
                assert len(prop.get("description", "")) > 30, (name, key)
            assert [p["position"] for p in props.values()] == list(range(len(props)))
            assert "definitions" not in schema or not schema["definitions"], name
    props = _flows()[0][2].parameters.model_dump()["properties"]
    assert list(props) == [
        "intake_path",
        "intake_text",
        "as_of",
        "save",
        "answer_timeout_seconds",
        "base_dir",
    ]
    assert props["intake_path"]["title"] == "Intake file"
    assert props["answer_timeout_seconds"]["default"] == 14 * 24 * 3600
    assert "valid exactly as long" in props["answer_timeout_seconds"]["description"]


def test_the_deployments_do_not_depend_on_the_path_they_were_deployed_from() -> None:
    """No absolute path anywhere: the pull step names the clone through the worker's own
    DTIA_HOME, read when a run starts."""
    text = (ROOT / "deployments" / "prefect.yaml").read_text(encoding="utf-8")
    config = _config()

    def strings(node: object) -> list[str]:
        if isinstance(node, dict):
            return [s for v in node.values() for s in strings(v)]
        if isinstance(node, list):
            return [s for v in node for s in strings(v)]
        return [node] if isinstance(node, str) else []

    for value in strings(config):
        assert not value.startswith(("/", "~")) and ":\\" not in value, value
    assert str(ROOT) not in text
    assert config["pull"] == [
        {"prefect.deployments.steps.set_working_directory": {"directory": "{{ $DTIA_HOME }}"}}
    ]
    for d in config["deployments"]:
        assert "pull" not in d, d["name"]
        assert not Path(d["entrypoint"].split(":")[0]).is_absolute()


# --- a worker that a waiting run gives back -------------------------------------------------


def _prefect(api: str, *args: str, timeout: int = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "prefect"), *args],
        env={**os.environ, "PREFECT_API_URL": api},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _state(flow_run_id: UUID) -> Any:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        return client.read_flow_run(flow_run_id).state


def _wait(flow_run_id: UUID, names: set[str], log: Path, seconds: float = 300) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        state = _state(flow_run_id)
        if state is not None and state.name in names:
            return state
        assert state is None or not state.is_final(), (state, log.read_text())
        time.sleep(1)
    raise AssertionError(f"the run did not reach {names}: {_state(flow_run_id)}\n{log.read_text()}")


@pytest.mark.prefect
@pytest.mark.server
def test_a_waiting_run_releases_its_worker_and_resumes_through_the_deployment(
    prefect_api: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`assess-transfer` deployed from deployments/prefect.yaml, one process worker that takes
    one run at a time, started in another folder with DTIA_HOME naming the clone. A run
    waiting for a recipient is suspended: its process ends, and the same worker runs an
    exempt transfer to completion meanwhile. The recipient's answer resumes it through the
    deployment, to completion. A run nobody answers is ended by expire-waits, with dtia's
    reason, and its link says it expired."""
    from prefect.deployments import run_deployment
    from sqlmodel import Session, select

    from dtia.portal.links import LinkError, Links
    from dtia.register import Register
    from dtia.store.models import AssessmentRow
    from flows.safeguards import expire_waits, resume_waiting_run

    data = tmp_path / "data"
    portal = "https://dtia.example.vn"
    monkeypatch.setenv("DTIA_DATA_DIR", str(data))
    monkeypatch.delenv("DTIA_DATABASE_URL", raising=False)
    pool = f"dtia-{os.getpid()}"
    created = _prefect(prefect_api, "work-pool", "create", pool, "--type", "process")
    assert created.returncode == 0, created.stdout + created.stderr
    deploy_file = tmp_path / "prefect.yaml"  # the project's file, on this test's own pool
    config = _config()
    for d in config["deployments"]:
        d["work_pool"]["name"] = pool
    deploy_file.write_text(yaml.safe_dump(config), encoding="utf-8")
    deployed = _prefect(
        prefect_api,
        "--no-prompt",
        "deploy",
        "--prefect-file",
        str(deploy_file),
        "--name",
        "assess-transfer",
    )
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    elsewhere = tmp_path / "worker-home"
    elsewhere.mkdir()
    log = tmp_path / "worker.log"
    env = {
        **os.environ,
        "PREFECT_API_URL": prefect_api,
        "DTIA_HOME": str(ROOT),
        "DTIA_DATA_DIR": str(data),
        "DTIA_PORTAL_URL": portal,
    }
    with log.open("w") as out:
        worker = subprocess.Popen(
            [str(BIN / "prefect"), "worker", "start", "--pool", pool, "--limit", "1"],
            env=env,
            cwd=elsewhere,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        name = "assess-transfer/assess-transfer"
        fpt = EXAMPLES / "fpt-smart-cloud-to-fpt-japan" / "intake.yaml"
        waiting = run_deployment(
            name,
            parameters={"intake_path": str(fpt), "as_of": AS_OF.isoformat()},
            timeout=0,
        )
        suspended = _wait(waiting.id, {"Suspended"}, log)
        # the suspended run's process has ended: the worker, limited to one run, takes the next
        exempt = EXAMPLES / "fpt-smart-cloud-hr-on-cloud" / "intake.yaml"
        other = run_deployment(
            name, parameters={"intake_path": str(exempt), "as_of": AS_OF.isoformat()}, timeout=0
        )
        assert _wait(other.id, {"Completed"}, log).is_completed()
        assert _state(waiting.id).name == "Suspended"

        register = Register()
        (q,) = Links(register).waiting()
        assert q.flow_run_id == str(waiting.id)
        # the link legal issues lasts as long as the run waits (14 days by default)
        Links(register).issue(q.transfer_id, q.recipient_id, actor="legal", now=datetime.now(UTC))
        expires = Links(register).get(q.id or 0).token_expires_at
        assert expires is not None
        assert (
            timedelta(0) <= suspended.state_details.pause_timeout - expires < timedelta(seconds=2)
        )
        assert timedelta(days=13, hours=23) < expires - datetime.now(UTC) <= timedelta(days=14)

        # as `dtia safeguards submit` does: store the answer, then resume the run
        bizfly = EXAMPLES / "bizfly-cloud-support-desk" / "intake.yaml"
        from dtia.intake import load_intake

        answer = load_intake(bizfly).intake.recipients[0].safeguards
        assert answer is not None
        register.answer_questionnaire(
            transfer_id=q.transfer_id, recipient_id=q.recipient_id, safeguards=answer, actor="t"
        )
        resume_waiting_run(str(waiting.id), q.api_url, answer)
        assert _wait(waiting.id, {"Completed"}, log).is_completed()
        from prefect.client.orchestration import get_client

        with get_client(sync_client=True) as client:
            run = client.read_flow_run(waiting.id)
            history = [s.name for s in client.read_flow_run_states(waiting.id)]
        assert run.name == f"assess fsc-fpt-japan-joint-use as of {AS_OF.isoformat()}"
        assert "transfer:fsc-fpt-japan-joint-use" in run.tags
        assert "Suspended" in history and "Resuming" in history
        with Session(register.engine) as s:
            stored = sorted(r.transfer_id for r in s.exec(select(AssessmentRow)).all())
        assert stored == sorted(["fsc-fpt-japan-joint-use", load_intake(exempt).intake.transfer.id])

        # nobody answers this one: expire-waits ends it, in dtia's words
        unanswered = yaml.safe_load(fpt.read_text(encoding="utf-8"))
        unanswered["transfer"]["id"] = "fsc-fpt-japan-unanswered"
        unanswered["recipients"][0]["name"] = "FPT Japan Unanswered K.K."
        copy = tmp_path / "unanswered"
        import shutil

        shutil.copytree(fpt.parent, copy)
        (copy / "intake.yaml").write_text(yaml.safe_dump(unanswered, allow_unicode=True))
        late = run_deployment(
            name,
            parameters={
                "intake_path": str(copy / "intake.yaml"),
                "as_of": AS_OF.isoformat(),
                "answer_timeout_seconds": 30,
            },
            timeout=0,
        )
        _wait(late.id, {"Suspended"}, log)
        (q2,) = Links(register).waiting()
        token = Links(register).issue(
            q2.transfer_id, q2.recipient_id, actor="legal", now=datetime.now(UTC)
        )
        reasons = expire_waits(register, datetime.now(UTC) + timedelta(seconds=31))
        assert len(reasons) == 1
        ended = _state(late.id)
        assert ended.is_failed()
        assert ended.message.startswith(
            "FPT Japan Unanswered K.K. (JP) did not answer the safeguards questionnaire by "
        ), ended.message
        with pytest.raises(LinkError, match="link has expired"):
            Links(register).open(token, now=datetime.now(UTC))
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
