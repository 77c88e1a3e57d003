"""Re-assessing many transfers: dossiers rendered in worker processes, each version stored
only with its dossier, errors kept per transfer, nothing stored by an interrupted run."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlmodel import Session, select

from dtia.assessment import Assessment
from dtia.config import Settings
from dtia.dossier.build import DossierError, read_files
from dtia.engine import assess
from dtia.errors import IntakeError
from dtia.intake import (
    Evidence,
    LoadedIntake,
    Safeguards,
    TransferIntake,
    load_intake,
    upload_name,
    with_safeguards,
)
from dtia.portfolio import Reassessor
from dtia.register import PendingReassessment, Register
from dtia.store import repo
from dtia.store.db import StoreError
from dtia.store.models import AssessmentRow, DossierRow, IntakeVersionRow
from tests.support import EXAMPLES, tiny_pdf

SAVED_ON = date(2026, 11, 22)
LATER = date(2027, 1, 5)  # the Bizfly recipient's SOC 2 report ended on 2026-12-31
IDS = [f"bizfly-{i}" for i in range(5)]


def fake_render(
    loaded: LoadedIntake, assessment: Assessment, files: dict[str, bytes]
) -> tuple[str, bytes]:
    """Stands in for WeasyPrint in worker processes (top-level, so they can import it)."""
    assert set(files) == set(loaded.files)  # every file the intake names reaches the renderer
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
        register.save(loaded, assess(loaded, SAVED_ON), actor="t", files=read_files(loaded, folder))
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
    sha = register.evidence.put(pdf)
    rel = upload_name(sha)
    answer = answer.model_copy(
        update={"evidence": [Evidence.model_validate({"title": "ISO 27001", "upload": sha})]}
    )
    with Session(register.engine) as s:
        repo.add_attestation(
            s, name=recipient["name"], country=recipient["country"], safeguards=answer
        )
        s.commit()
    # what an assessment run does once the answer is in
    merged = register.load_answered(
        with_safeguards(load_intake(folder / "intake.yaml").intake, {recipient["id"]: answer}),
        folder,
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
    assert str(again.intake.transfer.title).endswith("(revised)")
    kept = again.intake.recipients[0].safeguards
    assert kept is not None and [e.upload for e in kept.evidence] == [sha]
    assert again.files[rel].sha256 == sha
    assert register.stale(as_of=SAVED_ON) == []


def _register_with_sources(tmp_path: Path, ids: list[str]) -> tuple[Register, dict[str, Path]]:
    """Transfers saved from intake files of their own (as ``dtia assess --save`` does)."""
    register = Register(Settings(data_dir=tmp_path / "data"))
    base = yaml.safe_load((EXAMPLES / "bizfly-cloud-support-desk" / "intake.yaml").read_text())
    paths = {}
    for tid in ids:
        folder = tmp_path / tid
        shutil.copytree(EXAMPLES / "bizfly-cloud-support-desk", folder)
        base["transfer"]["id"] = tid
        path = folder / "intake.yaml"
        path.write_text(yaml.safe_dump(base, allow_unicode=True))
        loaded = load_intake(path)
        register.save(
            loaded,
            assess(loaded, SAVED_ON),
            actor="t",
            source_path=str(path),
            files=read_files(loaded, folder),
        )
        paths[tid] = path
    return register, paths


def _versions(register: Register) -> dict[str, int]:
    with Session(register.engine) as s:
        return {
            t: max(a.version for a in s.exec(select(AssessmentRow)) if a.transfer_id == t)
            for t in {a.transfer_id for a in s.exec(select(AssessmentRow))}
        }


def test_a_broken_intake_fails_alone_and_the_others_are_re_assessed(tmp_path: Path) -> None:
    register, paths = _register_with_sources(tmp_path, ["t-a", "t-b", "t-c"])
    data = yaml.safe_load(paths["t-b"].read_text())
    data["data"]["subject_groups"][0]["name"] = ["a", "b"]  # once made the checks crash
    paths["t-b"].write_text(yaml.safe_dump(data, allow_unicode=True))
    results = _run(register, workers=1)
    assert [r["transfer_id"] for r in results] == ["t-a", "t-b", "t-c"]
    broken = results[1]
    assert "version" not in broken and "data.subject_groups[0].name" in str(broken["error"])
    assert all(r.get("created") and "error" not in r for r in (results[0], results[2]))
    assert _versions(register) == {"t-a": 2, "t-b": 1, "t-c": 2}
    assert [t for t, _ in register.stale(as_of=LATER)] == ["t-b"]  # tried again next time


def test_a_damaged_stored_intake_fails_alone(tmp_path: Path) -> None:
    register, _paths = _register_with_sources(tmp_path, ["t-a", "t-b", "t-c"])
    with Session(register.engine) as s:
        row = register.current("t-a")
        version = s.get(IntakeVersionRow, row.intake_version_id)
        assert version is not None
        damaged = json.loads(version.intake_json)
        damaged["recipients"][0]["name"] = ["a", "b"]
        version.intake_json = json.dumps(damaged)
        s.add(version)
        s.commit()
    results = _run(register, workers=1)
    assert "damaged" in str(results[0]["error"]) and "recipients.0.name" in str(results[0]["error"])
    assert _versions(register) == {"t-a": 1, "t-b": 2, "t-c": 2}


def test_an_unexpected_error_in_one_transfer_is_reported_and_the_rest_go_on(
    register: Register, monkeypatch: pytest.MonkeyPatch
) -> None:
    prepare = register.prepare_reassessment

    def flaky(transfer_id: str, **kw: Any) -> PendingReassessment:
        if transfer_id == "bizfly-1":
            raise TypeError("unhashable type: 'list'")
        return prepare(transfer_id, **kw)

    monkeypatch.setattr(register, "prepare_reassessment", flaky)
    results = _run(register, workers=1)
    assert results[1] == {
        "transfer_id": "bizfly-1",
        "reasons": ["time"],
        "error": "internal error (TypeError: unhashable type: 'list'); please report it",
    }
    assert _versions(register) == {
        "bizfly-0": 2,
        "bizfly-1": 1,
        "bizfly-2": 2,
        "bizfly-3": 1,  # its dossier does not render (fake_render)
        "bizfly-4": 2,
    }


def test_a_full_disk_stores_no_version_and_leaves_no_temporary_file(
    register: Register, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The PDF is written before the transaction: when the disk is full, nothing is stored."""
    real = os.replace
    data = register.settings.data_dir

    def full(src: Any, dst: Any) -> None:
        if Path(dst).is_relative_to(data) and str(dst).endswith(".pdf"):
            raise OSError(errno.ENOSPC, "No space left on device")
        real(src, dst)

    monkeypatch.setattr(os, "replace", full)
    results = _run(register, workers=1)
    errors = {r["transfer_id"]: r.get("error") for r in results}
    assert all("disk of the data folder is full" in str(errors[t]) for t in IDS if t != "bizfly-3")
    assert all(str(data) not in str(e) for e in errors.values())
    assert _versions(register) == {t: 1 for t in IDS}
    with Session(register.engine) as s:
        assert s.exec(select(DossierRow)).all() == []
    assert [p for p in data.rglob("*") if p.suffix in (".tmp", ".part")] == []
    monkeypatch.setattr(os, "replace", real)  # space again: the next run does it all
    assert [r for r in _run(register, workers=1) if "error" in r] == [
        {
            "transfer_id": "bizfly-3",
            "reasons": ["time"],
            "error": "dossier not rendered: font missing",
        }
    ]


def test_an_intake_cannot_name_evidence_another_recipient_uploaded(tmp_path: Path) -> None:
    """Uploaded evidence counts only in the answers of the recipient that uploaded it; an
    intake's own files are read from its folder, whatever their names."""
    register = Register(Settings(data_dir=tmp_path / "data"))
    other = register.evidence.put(tiny_pdf({"audit.txt": b"another company's audit report"}))
    answer = Safeguards.model_validate(
        {
            "attested_by": "Other Corp",
            "attested_on": "2026-05-01",
            "evidence": [{"title": "Audit", "upload": other}],
        }
    )
    register.attest(name="Other Corp", country="SG", safeguards=answer)

    folder = tmp_path / "bizfly"
    shutil.copytree(EXAMPLES / "bizfly-cloud-support-desk", folder)
    data = yaml.safe_load((folder / "intake.yaml").read_text())
    evidence = data["recipients"][0]["safeguards"].setdefault("evidence", [])
    evidence.append({"title": "Their audit", "upload": other})
    (folder / "intake.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))
    with pytest.raises(IntakeError) as plain:
        load_intake(folder / "intake.yaml")
    with pytest.raises(IntakeError) as via_register:
        register.load_answered(TransferIntake.model_validate(data), folder, source="intake.yaml")
    for caught in (plain, via_register):
        (problem,) = caught.value.problems
        assert problem.path == "recipients[0].safeguards.evidence[0].upload"
        assert "no evidence with this SHA-256 uploaded by this recipient" in problem.message

    # a path spelled like the data folder's store is a file of the intake's own folder
    own = tiny_pdf({"copy.txt": b"our own copy"})
    named = f"evidence/{other[:2]}/{other}.pdf"
    (folder / named).parent.mkdir(parents=True)
    (folder / named).write_bytes(own)
    evidence[-1] = {"title": "Our copy", "path": named}
    (folder / "intake.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))
    loaded = register.with_attestations(load_intake(folder / "intake.yaml"), folder, SAVED_ON)
    assert loaded.files[named].sha256 == hashlib.sha256(own).hexdigest()
    assert read_files(loaded, folder, register.stored_file)[named] == own
    # and an answer given on the command line cannot claim an upload either
    with pytest.raises(StoreError, match="uploaded on the questionnaire page"):
        register.answer_questionnaire(
            transfer_id="x", recipient_id="helpdesk-us", safeguards=answer, actor="t"
        )
