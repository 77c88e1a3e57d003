"""Helpers for tests: load examples, apply scenario changes, assess."""

from __future__ import annotations

import copy
import io
import re
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from dtia.assessment import Assessment
from dtia.engine import assess
from dtia.intake import load_intake

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "tests" / "shared_examples"
# A complete intake, ready to file (every Form 09 item and filing formality supplied).
READY = ROOT / "tests" / "ready" / "intake.yaml"
EXAMPLE_NAMES = sorted(p.name for p in EXAMPLES.iterdir() if (p / "intake.yaml").is_file())

_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def split_path(path: str) -> list[str | int]:
    return [int(i) if i else k for k, i in _PART.findall(path)]


def set_path(data: Any, path: str, value: Any) -> None:
    parts = split_path(path)
    node = data
    for part in parts[:-1]:
        node = node[part]
    node[parts[-1]] = value


def remove_path(data: Any, path: str) -> None:
    parts = split_path(path)
    node = data
    for part in parts[:-1]:
        node = node[part]
    del node[parts[-1]]


def example_data(name: str) -> dict[str, Any]:
    data = yaml.safe_load((EXAMPLES / name / "intake.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def changed(base: str, changes: dict[str, Any] | None) -> dict[str, Any]:
    data = copy.deepcopy(example_data(base))
    for path, value in ((changes or {}).get("set") or {}).items():
        set_path(data, path, value)
    for path in (changes or {}).get("remove") or []:
        remove_path(data, path)
    return data


def write_intake(base: str, data: dict[str, Any], folder: Path) -> Path:
    """Write an intake beside the base example's files so relative paths still resolve."""
    target = folder / base
    if not target.exists():
        import shutil

        shutil.copytree(EXAMPLES / base, target)
    path = target / "intake.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def assess_example(name: str, as_of: date) -> Assessment:
    return assess(load_intake(EXAMPLES / name / "intake.yaml"), as_of)


def all_citations(a: Assessment) -> set[str]:
    found: set[str] = set(a.applicability.citations)
    if a.applicability.exemption:
        found |= set(a.applicability.exemption.citations)
    for claim in a.applicability.rejected_exemption_claims:
        found |= set(claim.citations)
    for d in a.deadlines:
        found |= set(d.citations)
    for f in a.findings:
        found |= set(f.citations)
    for c in a.risk.contributions:
        found |= set(c.citations)
    for g in a.gaps:
        found |= set(g.citations)
    return found


ELF = b"\x7fELF\x02\x01\x01\x00" + bytes(56)  # the start of a 64-bit Linux executable
PE = b"MZ" + bytes(58) + (64).to_bytes(4, "little") + b"PE\x00\x00"  # ... of a Windows one


def tiny_pdf(attachments: dict[str, bytes] | None = None) -> bytes:
    """A real one-page PDF, optionally with embedded files, as evidence would be."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    for name, data in (attachments or {}).items():
        writer.add_attachment(name, data)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
