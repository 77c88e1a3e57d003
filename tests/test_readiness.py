"""Readiness to file: what blocks the filing pack, item by item, with where to supply it."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from dtia.engine import assess
from dtia.intake import load_intake
from dtia.law import load_rules
from dtia.readiness import CHECKLIST, Readiness, blocks_filing, checklist_lines, readiness
from tests.support import EXAMPLES, READY

AS_OF = date(2026, 11, 22)


def ready_data() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(READY.read_text(encoding="utf-8"))
    return data


def write_ready(data: dict[str, Any], folder: Path) -> Path:
    """The ready intake changed, written beside a copy of its files."""
    target = folder / "ready"
    if not target.exists():
        shutil.copytree(READY.parent, target)
    path = target / "intake.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _readiness(path: Path) -> Readiness:
    loaded = load_intake(path)
    a = assess(loaded, AS_OF)
    return readiness(a, loaded.intake, load_rules(AS_OF))


def test_a_complete_intake_is_ready() -> None:
    r = _readiness(READY)
    assert r.required and r.ready and r.blockers == ()
    lines = checklist_lines(r)
    assert len(lines) == len(CHECKLIST) + 1 and lines[-1] == "Ready to file."
    assert all(line.startswith("ok ") for line in lines[:-1])


def test_every_gap_and_formality_blocks_with_its_key_path_and_article() -> None:
    r = _readiness(EXAMPLES / "fpt-smart-cloud-to-fpt-japan" / "intake.yaml")
    assert r.required and not r.ready
    got = {(b.kind, b.key_path, b.field, b.item) for b in r.blockers}
    assert ("gap", "flows[*].diagram", "A.II.2", "18(3)(c)") in got
    assert ("gap", "business.current_practice", "A.III.1", "18(3)(c)") in got
    assert ("gap", "recipients[0].safeguards", "A.III.3.2", "18(3)(i)") in got
    # the §A.II.8 mismatch names the answer to change; Form 09 is its Art 18 item
    assert ("gap", "business.processing_services", "A.II.8", "18(2)(a)") in got
    for attr in ("number", "issuer", "issued_on", "place"):
        assert ("formality", f"transferor.registration.{attr}", "Form 01a", "18(4)") in got
    # who signs, and where: filing.signatory (or the legal representative) and filing.place
    assert ("gap", "filing.signatory", "cover.signatory", "18(4)") in got
    assert ("gap", "filing.place", "cover.place", "18(4)") in got
    assert len(r.blockers) == 15
    # listed in the decree's order, each with what to supply and its articles
    order = [ref for ref, _ in CHECKLIST]
    items = [order.index(b.item) for b in r.blockers]
    assert items == sorted(items)
    assert all(b.what and b.citations for b in r.blockers)
    line = str(next(b for b in r.blockers if b.field == "A.II.2"))
    assert line.startswith("flows[*].diagram [A.II.2]: the transfer flows or the data-flow")
    assert "(Decree 356/2025 Form 09 §A.II.2; Decree 356/2025 Art 18(3)(c))" in line


def test_a_missing_dossier_component_is_a_blocker_finding(tmp_path: Path) -> None:
    # no copy of the contract: Decree 356 Art 18(2)(b) makes it part of the dossier
    data = ready_data()
    del data["recipients"][0]["contract"]["path"]
    data["attachments"] = [a for a in data["attachments"] if a["kind"] != "contract"]
    path = write_ready(data, tmp_path)
    loaded = load_intake(path)
    a = assess(loaded, AS_OF)
    blocking = [f for f in a.findings if blocks_filing(f)]
    assert [f.id for f in blocking] == ["C7.contract-copy-missing"]
    r = readiness(a, loaded.intake, load_rules(AS_OF))
    (b,) = r.blockers
    assert (b.kind, b.key_path, b.item) == ("finding", "recipients[0].contract", "18(2)(b)")
    assert "Attach a copy of the signed contract" in b.what


def test_an_individual_files_without_a_registration_certificate(tmp_path: Path) -> None:
    # Form 01b asks an individual for the identity document (the intake requires it), not
    # for the registration certificate or a representative an organisation's notice needs
    data = ready_data()
    data["transferor"].update(kind="individual", name_vi="Trần Văn Ẩn", id_number="001099000001")
    for key in ("tax_code", "registration", "legal_representative", "business_lines"):
        data["transferor"].pop(key, None)
    loaded = load_intake(write_ready(data, tmp_path))
    a = assess(loaded, AS_OF)
    assert a.applicability.cover_form == "01b"
    r = readiness(a, loaded.intake, load_rules(AS_OF))
    assert [b for b in r.blockers if b.kind == "formality"] == []


def test_no_dossier_nothing_to_file() -> None:
    r = _readiness(EXAMPLES / "cloudfly-card-payments" / "intake.yaml")
    assert not r.required and not r.ready and r.blockers == ()
    assert checklist_lines(r)[0].startswith("No dossier is required")
