"""Re-assessing many transfers: dossiers rendered in worker processes, each version stored
only with its dossier, errors kept per transfer, nothing stored by an interrupted run."""

from __future__ import annotations

import hashlib
import shutil
from datetime import date
from pathlib import Path

import pytest
import yaml
from sqlmodel import Session, select

from dtia.assessment import Assessment
from dtia.config import Settings
from dtia.dossier.build import DossierError
from dtia.engine import assess
from dtia.intake import LoadedIntake, load_intake
from dtia.portfolio import Reassessor
from dtia.register import Register
from dtia.store.models import AssessmentRow, DossierRow
from tests.support import EXAMPLES

SAVED_ON = date(2026, 11, 22)
LATER = date(2027, 1, 5)  # the Bizfly recipient's SOC 2 report ended on 2026-12-31
IDS = [f"bizfly-{i}" for i in range(5)]


def fake_render(loaded: LoadedIntake, assessment: Assessment) -> tuple[str, bytes]:
    """Stands in for WeasyPrint in worker processes (top-level, so they can import it)."""
    tid = loaded.intake.transfer.id
    if tid == "bizfly-3":
        raise DossierError("font missing")
    return "dossier", f"%PDF-fake {tid} {assessment.as_of}".encode()


@pytest.fixture
def register(tmp_path: Path) -> Register:
    register = Register(Settings(data_dir=tmp_path / "data"))
    base = yaml.safe_load((EXAMPLES / "bizfly-cloud-support-desk" / "intake.yaml").read_text())
    for tid in IDS:
        folder = tmp_path / tid
        shutil.copytree(EXAMPLES / "bizfly-cloud-support-desk", folder)
        base["transfer"]["id"] = tid
        (folder / "intake.yaml").write_text(yaml.safe_dump(base, allow_unicode=True))
        loaded = load_intake(folder / "intake.yaml")
        register.save(loaded, assess(loaded, SAVED_ON), actor="t")
    return register


def _run(register: Register, **options: object) -> list[dict[str, object]]:
    with Reassessor(register, as_of=LATER, render=fake_render, **options) as r:  # type: ignore[arg-type]
        for tid, reasons in register.stale(as_of=LATER):
            r.add(tid, reasons)
    return sorted(r.results, key=lambda x: str(x["transfer_id"]))


@pytest.mark.parametrize("workers", [1, 2])
def test_every_new_version_is_stored_with_its_dossier(register: Register, workers: int) -> None:
    results = _run(register, workers=workers, queue_size=2)
    assert [r["transfer_id"] for r in results] == IDS
    failed = [r for r in results if "error" in r]
    assert [(r["transfer_id"], r["error"]) for r in failed] == [
        ("bizfly-3", "dossier not rendered: font missing")
    ]
    with Session(register.engine) as s:
        versions = {
            a.transfer_id: a.version
            for a in s.exec(select(AssessmentRow).where(AssessmentRow.version == 2))
        }
        dossiers = {d.assessment_id: d for d in s.exec(select(DossierRow))}
        current = {tid: register.current(tid) for tid in IDS}
    assert versions == {tid: 2 for tid in IDS if tid != "bizfly-3"}
    for tid in versions:
        pdf = f"%PDF-fake {tid} {LATER}".encode()
        row = dossiers[current[tid].id]
        assert row.sha256 == hashlib.sha256(pdf).hexdigest()
        assert (
            register.settings.dossier_dir / row.sha256[:2] / f"{row.sha256}.pdf"
        ).read_bytes() == pdf
    # the one whose dossier failed stored nothing and is found again by the next run
    assert current["bizfly-3"].version == 1
    assert register.stale(as_of=LATER) == [("bizfly-3", ["time"])]


def test_an_interrupted_run_stores_no_version_without_its_dossier(register: Register) -> None:
    stale = register.stale(as_of=LATER)
    with (
        pytest.raises(KeyboardInterrupt),
        Reassessor(register, as_of=LATER, render=fake_render, queue_size=10) as r,
    ):
        for tid, reasons in stale:
            r.add(tid, reasons)
        raise KeyboardInterrupt
    assert register.stale(as_of=LATER) == stale
    with Session(register.engine) as s:
        assert s.exec(select(DossierRow)).all() == []
