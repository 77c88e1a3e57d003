"""An installed (non-editable) dtia carries its law data, official texts and templates."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_wheel_ships_data_and_templates(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("dtia-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    data = {p.name for p in (ROOT / "dtia" / "law" / "data").glob("*.yaml")}
    assert {f"dtia/law/data/{n}" for n in data} <= names
    assert "dtia/law/sources/decree-356-2025.vi.json" in names
    assert {
        "dtia_templates/filing.html.j2",
        "dtia_templates/review.html.j2",
        "dtia_templates/_form09.html.j2",
        "dtia_templates/dossier.css",
        "dtia_templates/memo.html.j2",
    } <= names
    assert "flows/assess.py" in names and "dtia/py.typed" in names
    migrations = {
        p.name for p in (ROOT / "dtia" / "store" / "migrations" / "versions").glob("*.py")
    }
    assert {f"dtia/store/migrations/versions/{n}" for n in migrations} <= names
    assert {"dtia/store/migrations/env.py", "dtia/store/migrations/script.py.mako"} <= names
    portal = {p.name for p in (ROOT / "templates" / "portal").iterdir()}
    assert {f"dtia_templates/portal/{n}" for n in portal} <= names
    assert "dtia/portal/app.py" in names
    assert {f"dtia/locale/{lang}/LC_MESSAGES/dtia.po" for lang in ("vi", "en", "ja")} <= names
    assert "dtia/notify/service.py" in names
    assert "dtia/policy/analyze.py" in names
