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
from dtia.intake import (
    STORED_EVIDENCE,
    Evidence,
    LoadedIntake,
    Safeguards,
    load_intake,
    load_intake_model,
    with_safeguards,
)
from dtia.portfolio import Reassessor
from dtia.register import Register
from dtia.store import repo
from dtia.store.models import AssessmentRow, DossierRow
from tests.support import EXAMPLES, tiny_pdf

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


def test_safeguards_answered_on_the_portal_survive_re_reading_the_intake(tmp_path: Path) -> None:
    """The intake file never holds a recipient's questionnaire answer nor its evidence (kept
    in the data folder): neither makes the transfer look changed, and a changed intake is
    re-assessed with the stored answer, not without safeguards."""
    register = Register(Settings(data_dir=tmp_path / "data"))
    folder = tmp_path / "bizfly"
    shutil.copytree(EXAMPLES / "bizfly-cloud-support-desk", folder)
    data = yaml.safe_load((folder / "intake.yaml").read_text())
    recipient = data["recipients"][0]
    answer = Safeguards.model_validate(recipient.pop("safeguards"))
    (folder / "intake.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))

    pdf = tiny_pdf()  # evidence uploaded by the recipient
    sha = hashlib.sha256(pdf).hexdigest()
    stored = register.settings.data_dir / STORED_EVIDENCE / sha[:2] / f"{sha}.pdf"
    stored.parent.mkdir(parents=True)
    stored.write_bytes(pdf)
    rel = f"{STORED_EVIDENCE}/{sha[:2]}/{sha}.pdf"
    answer = answer.model_copy(
        update={"evidence": [Evidence.model_validate({"title": "ISO 27001", "path": rel})]}
    )
    with Session(register.engine) as s:
        repo.add_attestation(
            s, name=recipient["name"], country=recipient["country"], safeguards=answer
        )
        s.commit()
    # what an assessment run does once the answer is in
    merged = load_intake_model(
        with_safeguards(load_intake(folder / "intake.yaml").intake, {recipient["id"]: answer}),
        folder,
        data_dir=register.settings.data_dir,
    )
    assert merged.files[rel].sha256 == sha
    tid = data["transfer"]["id"]
    register.save(
        merged, assess(merged, SAVED_ON), actor="t", source_path=str(folder / "intake.yaml")
    )
    assert register.stale(as_of=SAVED_ON) == []

    data["transfer"]["title"] += " (revised)"
    (folder / "intake.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))
    assert register.stale(as_of=SAVED_ON) == [(tid, ["intake"])]
    with Reassessor(register, as_of=SAVED_ON, render=fake_render, workers=1) as r:
        r.add(tid, ["intake"])
    assert [x["transfer_id"] for x in r.results] == [tid]
    with Session(register.engine) as s:
        again = repo.loaded_of(s, row=register.current(tid))
    assert again.intake.transfer.title.endswith("(revised)")
    kept = again.intake.recipients[0].safeguards
    assert kept is not None and [e.path for e in kept.evidence] == [rel]
    assert again.files[rel].sha256 == sha
    assert register.stale(as_of=SAVED_ON) == []
