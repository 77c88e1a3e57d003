"""The benchmarks run on registers and Prefect state of their own, whatever the environment
names: a team's register and Prefect server are neither read nor written."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

from dtia.config import Settings
from dtia.engine import assess
from dtia.intake import load_intake
from dtia.register import Register
from tests.support import EXAMPLES, ROOT


def _snapshot(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_the_reassess_benchmark_never_touches_the_register_the_environment_names(
    tmp_path: Path,
) -> None:
    team = tmp_path / "team"
    register = Register(Settings(data_dir=team / "data", database_url=f"sqlite:///{team}/dtia.db"))
    loaded = load_intake(EXAMPLES / "bizfly-cloud-support-desk" / "intake.yaml")
    register.save(loaded, assess(loaded, date(2026, 11, 22)), actor="team")
    register.engine.dispose()
    (team / "prefect").mkdir()
    before = _snapshot(team)

    env = {
        **os.environ,
        # a team's settings, as the README has them exported
        "DTIA_DATABASE_URL": f"sqlite:///{team}/dtia.db",
        "DTIA_DATA_DIR": str(team / "data"),
        "PREFECT_HOME": str(team / "prefect"),
        "PREFECT_SERVER_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{team}/prefect/team.db",
        "PREFECT_API_URL": "http://127.0.0.1:9/api",  # nothing listens there
    }
    run = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "reassess.py"), "--transfers", "20", "--json"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["transfers"] == 20 and result["changed"] == 2  # one lapsed, one edited
    assert _snapshot(team) == before
