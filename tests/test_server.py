"""A real Prefect server on loopback: deploy the flows, trigger assess_transfer through the
API with a process worker, and wait for it to complete."""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_healthy(url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(1)
    raise AssertionError(f"the Prefect server at {url} did not come up")


@pytest.mark.server
def test_deploy_and_run_assess_transfer_on_a_server(tmp_path: Path) -> None:
    port = _free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {
        **os.environ,
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "PREFECT_API_URL": api,
        "DO_NOT_TRACK": "1",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DTIA_DATA_DIR": str(tmp_path / "data"),
        "DTIA_HOME": str(ROOT),  # the clone the deployments' pull step runs flows from
    }
    env.pop("DTIA_DATABASE_URL", None)
    log = (tmp_path / "server.log").open("w")
    worker_log = (tmp_path / "worker.log").open("w")
    server = subprocess.Popen(
        [
            str(BIN / "prefect"),
            "server",
            "start",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-ui",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=tmp_path,
    )
    worker = None
    try:
        _wait_healthy(api, 120)

        def prefect(*args: str, timeout: int = 120) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [str(BIN / "prefect"), *args],
                env=env,
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )

        created = prefect("work-pool", "create", "dtia", "--type", "process")
        assert created.returncode == 0, created.stdout + created.stderr
        deployed = prefect(
            "--no-prompt", "deploy", "--prefect-file", "deployments/prefect.yaml", "--all"
        )
        assert deployed.returncode == 0, deployed.stdout + deployed.stderr
        listed = prefect("deployment", "ls")
        for name in ("assess-transfer", "reassess-portfolio", "filing-clock"):
            assert name in listed.stdout
        worker = subprocess.Popen(
            [str(BIN / "prefect"), "worker", "start", "--pool", "dtia"],
            env=env,
            cwd=ROOT,
            stdout=worker_log,
            stderr=subprocess.STDOUT,
        )
        intake = ROOT / "tests" / "shared_examples" / "bizfly-cloud-support-desk" / "intake.yaml"
        run = prefect(
            "deployment",
            "run",
            "assess-transfer/assess-transfer",
            "--param",
            f"intake_path={intake}",
            "--param",
            "as_of=2026-11-22",
            "--watch",
            "--watch-timeout",
            "300",
            timeout=360,
        )
        assert run.returncode == 0, run.stdout + run.stderr + (tmp_path / "worker.log").read_text()
        assert "Completed" in run.stdout
        saved = subprocess.run(
            [
                sys.executable,
                "-m",
                "dtia.cli",
                "transfers",
                "list",
                "--json",
                "--as-of",
                "2026-11-22",
            ],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        assert [t["transfer_id"] for t in json.loads(saved.stdout)] == ["bizfly-support-desk-us"]

        # a compliance officer uploads an intake on the portal: with a server configured the
        # run goes through the deployment, to the worker, and the portal follows it
        _portal_run_through_the_deployment(api, tmp_path / "data", intake.parent)
    finally:
        for proc in (worker, server):
            if proc is not None:
                proc.terminate()
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
        log.close()
        worker_log.close()


def _portal_run_through_the_deployment(api: str, data_dir: Path, example: Path) -> None:
    from prefect.settings import PREFECT_API_URL, temporary_settings
    from starlette.testclient import TestClient

    from dtia.config import Settings
    from dtia.portal.accounts import Accounts, Role
    from dtia.portal.app import create_app

    data = yaml.safe_load((example / "intake.yaml").read_text(encoding="utf-8"))
    data["transfer"]["id"] = "bizfly-via-portal"
    upload = io.BytesIO()
    with zipfile.ZipFile(upload, "w") as z:
        z.writestr("intake.yaml", yaml.safe_dump(data, allow_unicode=True))
        for sub in ("policies", "attachments"):
            for f in sorted((example / sub).iterdir()):
                z.writestr(f"{sub}/{f.name}", f.read_bytes())

    app = create_app(Settings(data_dir=data_dir))
    token = Accounts(app.state.register.engine).add("officer", Role.compliance_officer)
    headers = {"Authorization": f"Bearer {token}"}
    with temporary_settings({PREFECT_API_URL: api}), TestClient(app, headers=headers) as client:
        started = client.post(
            "/api/runs", files={"intake": ("bizfly.zip", upload.getvalue(), "application/zip")}
        )
        assert started.status_code == 202, started.text
        run = started.json()
        assert run["flow_run_id"], run  # scheduled on the server, not run by the portal
        deadline = time.monotonic() + 300
        while run["status"] == "running":
            assert time.monotonic() < deadline, run
            time.sleep(2)
            run = client.get(f"/api/runs/{run['id']}").json()
        assert run["status"] == "completed", run
        transfer = client.get("/api/transfers/bizfly-via-portal")
        assert transfer.status_code == 200, transfer.text
        assert [v["version"] for v in transfer.json()["versions"]] == [1]
    app.state.register.engine.dispose()
