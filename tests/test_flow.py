"""The Prefect flows, end to end under one session-wide Prefect API."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from dtia.dossier.build import embedded_files, read_files, verify
from dtia.engine import assess
from dtia.intake import load_intake
from dtia.register import Register
from dtia.store.models import AssessmentRow, DossierRow, QuestionnaireRow
from tests.support import EXAMPLES, tiny_pdf

FPT = EXAMPLES / "fpt-smart-cloud-to-fpt-japan"
BIZFLY = EXAMPLES / "bizfly-cloud-support-desk"
AS_OF = date(2026, 11, 22)


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DTIA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("DTIA_DATABASE_URL", raising=False)
    return tmp_path / "data"


@pytest.mark.prefect
def test_assess_transfer_with_safeguards_present(data_dir: Path) -> None:
    from flows.assess import assess_transfer, intake_text

    expected = assess(load_intake(BIZFLY / "intake.yaml"), AS_OF).to_dict()
    assert assess_transfer(intake_path=str(BIZFLY / "intake.yaml"), as_of=AS_OF) == expected
    # the intake as text (what the run form takes, and what a caller holding the model sends)
    model = load_intake(BIZFLY / "intake.yaml").intake
    assert (
        assess_transfer(intake_text=intake_text(model), as_of=AS_OF, base_dir=str(BIZFLY))
        == expected
    )  # stored once
    yaml_text = (BIZFLY / "intake.yaml").read_text(encoding="utf-8")
    assert assess_transfer(intake_text=yaml_text, as_of=AS_OF, base_dir=str(BIZFLY)) == expected
    register = Register()
    with Session(register.engine) as s:
        assert len(s.exec(select(AssessmentRow)).all()) == 1
    # the review pack and the draft of the filing pack (Bizfly is not ready to file), once
    assert len(list((data_dir / "dossiers").rglob("*.pdf"))) == 2
    assert register.verify_audit().ok


def _wait_for_questionnaire(
    register: Register, transfer_id: str, seconds: float = 60
) -> QuestionnaireRow:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with Session(register.engine) as s:
            row = s.exec(
                select(QuestionnaireRow).where(QuestionnaireRow.transfer_id == transfer_id)
            ).first()
            if row is not None and row.flow_run_id:
                s.expunge(row)
                return row
        time.sleep(0.5)
    raise AssertionError("no questionnaire was opened")


def _artifacts(flow_run_id: str) -> str:
    """Everything the run published as artifacts, as the Prefect API serves it."""
    from uuid import UUID

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    with get_client(sync_client=True) as client:
        found = client.read_artifacts(
            artifact_filter=ArtifactFilter(
                flow_run_id=ArtifactFilterFlowRunId(any_=[UUID(flow_run_id)])
            )
        )
    assert found, "the run published no artifact"
    return "\n".join(f"{a.key} {a.description} {a.data}" for a in found)


def _read_run(flow_run_id: Any) -> Any:
    from uuid import UUID

    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        return client.read_flow_run(UUID(str(flow_run_id)))


def _states(flow_run_id: Any) -> list[str]:
    """Every state the run went through, by name."""
    from uuid import UUID

    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        return [s.name or s.type.value for s in client.read_flow_run_states(UUID(str(flow_run_id)))]


def _wait_for_state(flow_run_id: str, name: str, seconds: float = 60) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        state = _read_run(flow_run_id).state
        if state is not None and state.name == name:
            return state
        time.sleep(0.5)
    raise AssertionError(f"the run did not reach {name}")


def _resume_form(paused: Any) -> tuple[str, dict[str, Any]]:
    """The description and the schema of the form a paused run is resumed with."""
    from prefect.input.actions import read_flow_run_input

    keys = paused.state_details.run_input_keyset
    run = paused.state_details.flow_run_id
    return read_flow_run_input(keys["description"], run), read_flow_run_input(keys["schema"], run)


@pytest.mark.prefect
def test_the_run_pauses_for_safeguards_and_resumes_with_the_answer(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.assess import assess_transfer
    from flows.safeguards import resume_waiting_run

    monkeypatch.setenv("DTIA_PORTAL_URL", "https://dtia.example.vn/")

    result: dict[str, Any] = {}
    runner = threading.Thread(
        target=lambda: result.update(
            assess_transfer(
                intake_path=str(FPT / "intake.yaml"), as_of=AS_OF, answer_timeout_seconds=120
            )
        )
    )
    runner.start()
    register = Register()
    waiting = _wait_for_questionnaire(register, "fsc-fpt-japan-joint-use")
    answer = load_intake(BIZFLY / "intake.yaml").intake.recipients[0].safeguards
    assert answer is not None and waiting.flow_run_id is not None
    paused = _wait_for_state(waiting.flow_run_id, "Paused")
    # the resume form says which transfer and recipient it is for, and explains each question
    form, schema = _resume_form(paused)
    recipient = "FPTジャパンホールディングス株式会社 (FPT Japan Holdings Co., Ltd.)"
    assert schema["title"] == (
        f"Safeguards of {recipient} (JP) for Joint use of Japanese customer, prospect and "
        "partner data with FPT Japan Holdings (fsc-fpt-japan-joint-use)"
    ), schema["title"]
    assert f"**{recipient}** (JP" in form and "`fsc-fpt-japan-joint-use`" in form
    assert "- `incident_notification_hours`: Hours within which you notify" in form
    assert schema["properties"]["incident_notification_hours"]["description"] == (
        "Hours within which you notify us of a personal data breach"
    )
    # a link legal issues while the run waits is valid exactly as long as the run waits
    from dtia.portal.links import Links

    Links(register).issue(
        "fsc-fpt-japan-joint-use", "fpt-japan", actor="legal", now=datetime.now(UTC)
    )
    issued = Links(register).get(waiting.id or 0).token_expires_at
    # (the run's pause is proposed a moment after, in whole seconds: it never ends first)
    until = paused.state_details.pause_timeout
    assert issued is not None and timedelta(0) <= until - issued < timedelta(seconds=2)
    assert timedelta(seconds=110) < issued - datetime.now(UTC) <= timedelta(seconds=120)
    # as `dtia safeguards submit` does: store the answer, then resume the run on its API
    register.answer_questionnaire(
        transfer_id="fsc-fpt-japan-joint-use",
        recipient_id="fpt-japan",
        safeguards=answer,
        actor="recipient",
    )
    assert waiting.api_url and waiting.api_url.startswith("http://127.0.0.1:")
    resume_waiting_run(waiting.flow_run_id, waiting.api_url, answer)
    runner.join(timeout=120)
    assert result["pending"] == []
    assert "C5.safeguards-pending" not in {f["id"] for f in result["findings"]}
    # the answer is on file for the next transfer to the same recipient
    recipient = load_intake(FPT / "intake.yaml").intake.recipients[0]
    assert register.attestation(name=recipient.name, country=recipient.country, on=AS_OF) == answer
    assert register.verify_audit().ok
    # the run opened a questionnaire with what the recipient is shown, and no link: legal
    # issues that on the portal, where the run's artifact points (the token, which answers for
    # the recipient, is nowhere in what the Prefect API keeps)
    with Session(register.engine) as s:
        (row,) = s.exec(select(QuestionnaireRow)).all()
    assert row.status == "answered"
    published = _artifacts(waiting.flow_run_id)
    assert f"https://dtia.example.vn/questionnaires/{row.id}" in published
    assert "/q/" not in published and "file://" not in published
    assert "https://dtia.example.vn/api/transfers/fsc-fpt-japan-joint-use/review.pdf" in published
    shown = json.loads(row.context_json)
    assert shown["recipient"] == {"id": "fpt-japan", "name": recipient.name, "country": "JP"}
    assert shown["data"] and shown["purposes"]

    # a second run reuses the stored answer: it neither pauses nor asks again
    again = assess_transfer(
        intake_path=str(FPT / "intake.yaml"), as_of=AS_OF, answer_timeout_seconds=3
    )
    assert "C5.safeguards-pending" not in {f["id"] for f in again["findings"]}
    with Session(register.engine) as s:
        assert len(s.exec(select(QuestionnaireRow)).all()) == 1


@pytest.mark.prefect
def test_no_answer_fails_the_run_with_dtia_s_reason_and_stores_nothing(data_dir: Path) -> None:
    from dtia.portal.links import LinkError, Links
    from flows.assess import assess_transfer
    from flows.safeguards import SafeguardsTimeout

    register = Register()
    done: dict[str, Any] = {}
    runner = threading.Thread(
        target=lambda: done.update(
            state=assess_transfer(
                intake_path=str(FPT / "intake.yaml"),
                as_of=AS_OF,
                answer_timeout_seconds=10,
                return_state=True,
            )
        )
    )
    runner.start()
    waiting = _wait_for_questionnaire(register, "fsc-fpt-japan-joint-use")
    token = Links(register).issue(
        "fsc-fpt-japan-joint-use", "fpt-japan", actor="legal", now=datetime.now(UTC)
    )
    assert Links(register).open(token, now=datetime.now(UTC)).flow_run_id == waiting.flow_run_id
    runner.join(timeout=120)
    state = done["state"]
    assert state.is_failed()
    # the run's own state says why, in dtia's words (not "paused and never resumed")
    assert state.message is not None
    assert state.message.startswith(
        "FPTジャパンホールディングス株式会社 (FPT Japan Holdings Co., Ltd.) (JP) did not answer "
        "the safeguards questionnaire by "
    ), state.message
    assert "stored nothing" in state.message
    stored = _read_run(state.state_details.flow_run_id)
    assert stored.state is not None and stored.state.message == state.message
    with pytest.raises(SafeguardsTimeout, match="did not answer"):
        state.result()
    with Session(register.engine) as s:
        assert s.exec(select(AssessmentRow)).all() == []
        (q,) = s.exec(select(QuestionnaireRow)).all()
        assert q.status == "expired"
    # the link went with the run: it says so (not "answered already")
    with pytest.raises(LinkError, match="link has expired"):
        Links(register).open(token, now=datetime.now(UTC))


def test_tasks_run_without_a_server() -> None:
    from flows.assess import assess_task, load_intake_task, summary_markdown

    loaded = load_intake_task.fn(str(FPT / "intake.yaml"), None, None)
    a = assess_task.fn(loaded, AS_OF)
    text = summary_markdown(a)
    assert (
        "Dossier required" in text
        and "| initial_filing | 2026-05-01 | 2026-05-04 | overdue |" in text
    )
    from dtia.errors import IntakeError

    with pytest.raises(IntakeError, match="exactly one of intake_path"):
        load_intake_task.fn(None, None, None)
    with pytest.raises(IntakeError, match="exactly one of intake_path"):
        load_intake_task.fn(str(FPT / "intake.yaml"), "schema: x", None)


@pytest.mark.prefect
def test_reassess_portfolio_acts_only_on_what_changed(data_dir: Path) -> None:
    from flows.reassess import reassess_portfolio

    register = Register()
    for name in ("bizfly-cloud-support-desk", "cloudfly-card-payments"):
        loaded = load_intake(EXAMPLES / name / "intake.yaml")
        files = read_files(loaded, EXAMPLES / name)
        register.save(loaded, assess(loaded, AS_OF), actor="t", files=files)
    assert reassess_portfolio(as_of=AS_OF) == []  # nothing changed: nothing written
    with Session(register.engine) as s:
        assert len(s.exec(select(AssessmentRow)).all()) == 2
    results = reassess_portfolio(as_of=date(2027, 1, 5))  # Bizfly's SOC 2 report has lapsed
    assert [(r["transfer_id"], r["reasons"], r["version"]) for r in results] == [
        ("bizfly-support-desk-us", ["time"], 2)
    ]
    assert len(list((data_dir / "dossiers").rglob("*.pdf"))) == 2  # review pack and draft


@pytest.mark.prefect
def test_filing_clock_emits_an_event_per_pressing_deadline(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import flows.reassess
    from flows.reassess import filing_clock

    emitted: list[dict[str, Any]] = []
    monkeypatch.setattr(flows.reassess, "emit_event", lambda **kw: emitted.append(kw))
    register = Register()
    for name in ("bizfly-cloud-support-desk", "fpt-smart-cloud-to-fpt-japan"):
        loaded = load_intake(EXAMPLES / name / "intake.yaml")
        register.save(loaded, assess(loaded, date(2026, 8, 1)), actor="t")
    rows = filing_clock(as_of=date(2026, 8, 1))
    assert [(r["transfer_id"], r["kind"], r["status"]) for r in rows] == [
        ("fsc-fpt-japan-joint-use", "initial_filing", "overdue"),
        ("bizfly-support-desk-us", "initial_filing", "due_soon"),
    ]
    assert [e["event"] for e in emitted] == ["dtia.deadline.overdue", "dtia.deadline.due_soon"]
    assert (
        emitted[0]["resource"]["prefect.resource.id"]
        == "dtia.transfer.fsc-fpt-japan-joint-use.initial_filing"
    )


def _artifact_table(flow_run_id: Any, key: str) -> list[dict[str, Any]]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        ArtifactFilter,
        ArtifactFilterFlowRunId,
        ArtifactFilterKey,
    )

    with get_client(sync_client=True) as client:
        (artifact,) = client.read_artifacts(
            artifact_filter=ArtifactFilter(
                key=ArtifactFilterKey(any_=[key]),
                flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id]),
            )
        )
    data = artifact.data
    rows = json.loads(data) if isinstance(data, str) else data
    assert isinstance(rows, list)
    return rows


@pytest.mark.prefect
def test_a_broken_intake_fails_alone_and_the_re_assessed_dossiers_verify(
    data_dir: Path, tmp_path: Path
) -> None:
    """One stored transfer whose intake no longer loads is reported, in the results and in
    the artifact; the other transfers get their new versions, with dossiers that verify."""
    import shutil

    import yaml

    from flows.reassess import reassess_portfolio

    register = Register()
    base = yaml.safe_load((BIZFLY / "intake.yaml").read_text(encoding="utf-8"))
    for tid in ("t-a", "t-b", "t-c"):
        folder = tmp_path / tid
        shutil.copytree(BIZFLY, folder)
        base["transfer"]["id"] = tid
        (folder / "intake.yaml").write_text(yaml.safe_dump(base, allow_unicode=True))
        loaded = load_intake(folder / "intake.yaml")
        register.save(
            loaded, assess(loaded, AS_OF), actor="t", source_path=str(folder / "intake.yaml")
        )
    base["transfer"]["id"] = "t-b"
    base["data"]["subject_groups"][0]["name"] = ["a", "b"]
    (tmp_path / "t-b" / "intake.yaml").write_text(yaml.safe_dump(base, allow_unicode=True))

    state = reassess_portfolio(as_of=date(2027, 1, 5), return_state=True)
    assert state.is_completed()
    results = state.result()
    assert [(r["transfer_id"], r.get("version")) for r in results] == [
        ("t-a", 2),
        ("t-b", None),
        ("t-c", 2),
    ]
    assert "data.subject_groups[0].name" in results[1]["error"]
    table = _artifact_table(state.state_details.flow_run_id, "reassessment")
    assert [(r["transfer"], r["version"]) for r in table] == [("t-a", 2), ("t-b", None), ("t-c", 2)]
    assert "data.subject_groups[0].name" in table[1]["error"] and table[0]["error"] == ""
    digest = results[0]["dossier"]
    pdf = (data_dir / "dossiers" / digest[:2] / f"{digest}.pdf").read_bytes()
    check = verify(pdf)
    assert check.ok, check.message


@pytest.mark.prefect
def test_intake_paths_are_read_from_the_intake_s_folder_only(
    data_dir: Path, tmp_path: Path
) -> None:
    """An intake's `evidence/...` is a folder of its own, not the register's store of uploads:
    the run reads it there, and a name that matches another recipient's upload still means
    the intake's own file."""
    import hashlib
    import shutil

    import yaml

    from flows.assess import assess_transfer

    register = Register()
    theirs = tiny_pdf({"audit.txt": b"another recipient's uploaded audit report"})
    sha = hashlib.sha256(theirs).hexdigest()
    (data_dir / "evidence" / sha[:2]).mkdir(parents=True)  # where the portal keeps uploads
    (data_dir / "evidence" / sha[:2] / f"{sha}.pdf").write_bytes(theirs)
    folder = tmp_path / "bizfly"
    shutil.copytree(BIZFLY, folder)
    (folder / "evidence").mkdir()
    shutil.move(
        folder / "attachments" / "helpdesk-dpa.pdf", folder / "evidence" / "helpdesk-dpa.pdf"
    )
    ours = tiny_pdf({"copy.txt": b"our own copy of the recipient's report"})
    named = f"evidence/{sha[:2]}/{sha}.pdf"
    (folder / named).parent.mkdir()
    (folder / named).write_bytes(ours)
    data = yaml.safe_load((folder / "intake.yaml").read_text(encoding="utf-8"))
    data["recipients"][0]["contract"]["path"] = "evidence/helpdesk-dpa.pdf"
    data["attachments"][0]["path"] = "evidence/helpdesk-dpa.pdf"
    data["recipients"][0]["safeguards"]["evidence"] = [{"title": "Audit report", "path": named}]
    (folder / "intake.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))

    state = assess_transfer(intake_path=str(folder / "intake.yaml"), as_of=AS_OF, return_state=True)
    assert state.is_completed(), state.message
    with Session(register.engine) as s:
        (row,) = s.exec(select(DossierRow).where(DossierRow.kind == "review")).all()
    pdf = (data_dir / "dossiers" / row.sha256[:2] / f"{row.sha256}.pdf").read_bytes()
    embedded = embedded_files(pdf)
    assert (
        embedded["evidence/helpdesk-dpa.pdf"]
        == (folder / "evidence" / "helpdesk-dpa.pdf").read_bytes()
    )
    assert embedded[named] == ours
    assert theirs not in embedded.values()
    check = verify(pdf)
    assert check.ok, check.message


@pytest.mark.prefect
@pytest.mark.parametrize("example", ["fpt-smart-cloud-hr-on-cloud", "cloudfly-card-payments"])
def test_an_exempt_transfer_never_waits(data_dir: Path, example: str) -> None:
    """Its recipients gave no safeguards, but an assessment that needs no dossier waits for
    none: the run asks nobody and never pauses. Its run is named after the transfer and
    tagged with it; with no portal address set, the memo's artifact says where it is in
    words, with no link to a file."""
    from flows.assess import assess_transfer

    intake = EXAMPLES / example / "intake.yaml"
    loaded = load_intake(intake)
    tid = loaded.intake.transfer.id
    assert any(r.safeguards is None for r in loaded.intake.recipients)
    assert not assess(loaded, AS_OF).applicability.dossier_required
    state = assess_transfer(
        intake_path=str(intake), as_of=AS_OF, answer_timeout_seconds=5, return_state=True
    )
    assert state.is_completed(), state.message
    run_id = state.state_details.flow_run_id
    assert "Paused" not in _states(run_id) and "Suspended" not in _states(run_id)
    with Session(Register().engine) as s:
        assert s.exec(select(QuestionnaireRow)).all() == []
        assert len(s.exec(select(AssessmentRow)).all()) == 1
    run = _read_run(run_id)
    assert run.name == f"assess {tid} as of {AS_OF.isoformat()}"
    assert f"transfer:{tid}" in run.tags
    published = _artifacts(str(run_id))
    assert "file://" not in published and str(data_dir) not in published
    assert "No download link: DTIA_PORTAL_URL is not set" in published
    assert f"**{tid}** version 1" in published


@pytest.mark.prefect
def test_a_run_of_an_intake_that_does_not_load_is_named_by_its_file(
    data_dir: Path, tmp_path: Path
) -> None:
    from flows.assess import assess_transfer

    broken = tmp_path / "broken-intake.yaml"
    broken.write_text("schema: dtia.intake/v1\ntransfer: {id: x}\n", encoding="utf-8")
    state = assess_transfer(intake_path=str(broken), as_of=AS_OF, return_state=True)
    assert state.is_failed()
    assert _read_run(state.state_details.flow_run_id).name == (
        f"assess broken-intake.yaml as of {AS_OF.isoformat()}"
    )
    assert "transfer.title" in (state.message or "")
