"""The suite runs on the settings its tests pass, not on those of the shell that starts it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from dtia.config import Settings
from tests.support import ROOT

OURS = {
    "DO_NOT_TRACK",
    "PREFECT_SERVER_ANALYTICS_ENABLED",
    "PREFECT_HOME",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS",
}


def test_no_setting_of_the_shell_reaches_the_tests() -> None:
    leftovers = {
        k
        for k in os.environ
        if k.startswith(("DTIA_", "PREFECT_")) and not k.startswith("DTIA_TEST_")
    }
    assert leftovers <= OURS
    assert os.environ["PREFECT_HOME"] == str(ROOT / ".prefect")
    assert Settings().database_url is None  # what a flow's Register() reads

    from prefect.settings import PREFECT_API_URL, PREFECT_SERVER_DATABASE_CONNECTION_URL

    # flows get the session's own server: none yet, or the one a test of this session started
    api = PREFECT_API_URL.value()
    assert api is None or (api.startswith("http://127.0.0.1:") and ":9/" not in api), api
    assert "team" not in str(PREFECT_SERVER_DATABASE_CONNECTION_URL.value())


def test_a_developers_register_and_prefect_server_stay_out_of_the_suite(tmp_path: Path) -> None:
    team = tmp_path / "team"
    env = {
        **os.environ,
        "DTIA_DATABASE_URL": f"sqlite:///{team}/dtia.db",
        "DTIA_DATA_DIR": str(team / "data"),
        "DTIA_DEBUG": "1",
        "PREFECT_API_URL": "http://127.0.0.1:9/api",
        "PREFECT_HOME": str(team / "prefect"),
        "PREFECT_SERVER_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{team}/prefect.db",
    }
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            f"{Path(__file__).relative_to(ROOT)}::test_no_setting_of_the_shell_reaches_the_tests",
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-3000:]
    assert not team.exists()
