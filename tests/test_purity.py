"""The core stays pure: no orchestration, database or renderer, and no clock."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

CORE = Path(__file__).resolve().parent.parent / "dtia"
SERVICES = {"cli.py", "register.py", "store", "portal"}
HEAVY = ("prefect", "sqlmodel", "sqlalchemy", "weasyprint", "fastapi", "alembic", "pyhanko")


def test_the_core_imports_nothing_heavy() -> None:
    code = (
        "import sys, dtia.engine, dtia.intake, dtia.law, dtia.terminal, dtia.cli, dtia.policy;"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_no_clock_in_the_core() -> None:
    offenders = []
    for path in CORE.rglob("*.py"):
        # The edges and services may read the clock: the CLI (today in Vietnam is the default
        # as_of), the register, which timestamps what it stores, and the portal (sessions and
        # questionnaire links expire).
        relative = path.relative_to(CORE)
        if relative.parts[0] in SERVICES:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Attribute)
                and node.attr in {"today", "now", "utcnow", "time"}
                and isinstance(node.value, ast.Name)
                and node.value.id in {"date", "datetime", "time"}
            ):
                offenders.append(f"{path.name}:{node.lineno}")
    assert offenders == []
