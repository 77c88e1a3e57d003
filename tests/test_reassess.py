"""Re-assessment of the register: only what changed, and the updates the law requires."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
import yaml
from sqlmodel import Session, select

from dtia.config import Settings
from dtia.engine import assess
from dtia.intake import load_intake
from dtia.register import Register
from dtia.store.models import AssessmentRow
from tests.support import EXAMPLES


@pytest.fixture
def register(tmp_path: Path) -> Register:
    return Register(Settings(data_dir=tmp_path / "data"))


@pytest.fixture
def bizfly(tmp_path: Path) -> Path:
    target = tmp_path / "bizfly"
    shutil.copytree(EXAMPLES / "bizfly-cloud-support-desk", target)
    return target / "intake.yaml"


def _save(register: Register, path: Path, as_of: date) -> None:
    loaded = load_intake(path)
    register.save(loaded, assess(loaded, as_of), actor="t", source_path=str(path))


def _versions(register: Register) -> int:
    with Session(register.engine) as s:
        return len(s.exec(select(AssessmentRow)).all())


def test_nothing_changed_means_nothing_to_do(register: Register, bizfly: Path) -> None:
    _save(register, bizfly, date(2026, 11, 22))
    assert (
        register.stale(as_of=date(2026, 12, 30)) == []
    )  # the ISO certificate nears expiry on 12-31


def test_expired_evidence_makes_a_new_version(register: Register, bizfly: Path) -> None:
    _save(register, bizfly, date(2026, 11, 22))
    assert register.stale(as_of=date(2027, 1, 5)) == [
        ("bizfly-support-desk-us", ["time"])
    ]  # SOC 2 ended 2026-12-31
    result = register.reassess("bizfly-support-desk-us", as_of=date(2027, 1, 5), reasons=["time"])
    assert (result["created"], result["version"], result["update"]) == (True, 2, None)
    latest = register.current("bizfly-support-desk-us")
    assert "C5.certification-expired" in latest.assessment_json
    assert register.stale(as_of=date(2027, 1, 5)) == []


def test_a_new_rules_version_makes_a_new_version_but_no_update(
    register: Register, bizfly: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dtia.law
    import dtia.register

    _save(register, bizfly, date(2026, 11, 22))
    files, _ = dtia.law.law_files()
    newer = (files.model_copy(update={"rules_version": "vn-2099.1"}), "f" * 64)
    monkeypatch.setattr(dtia.law, "law_files", lambda: newer)
    monkeypatch.setattr(dtia.register, "law_files", lambda: newer)
    assert register.stale(as_of=date(2026, 11, 22)) == [("bizfly-support-desk-us", ["rules"])]
    result = register.reassess(
        "bizfly-support-desk-us", as_of=date(2026, 11, 22), reasons=["rules"]
    )
    assert result["created"] and result["update"] is None
    assert register.current("bizfly-support-desk-us").rules_version == "vn-2099.1"
    assert _versions(register) == 2
    assert register.stale(as_of=date(2026, 11, 22)) == []


def _accept(register: Register, tid: str) -> None:
    register.approve(tid, by="Legal", on=date(2026, 6, 25))
    register.record(tid, "filed", on=date(2026, 7, 1), reference="A05-1", note=None, actor="t")
    register.record(tid, "accepted", on=date(2026, 7, 10), reference=None, note=None, actor="t")


def test_a_new_recipient_after_acceptance_drafts_a_periodic_update(
    register: Register, bizfly: Path
) -> None:
    _save(register, bizfly, date(2026, 6, 20))
    _accept(register, "bizfly-support-desk-us")
    data = yaml.safe_load(bizfly.read_text(encoding="utf-8"))
    data["recipients"][0]["name"] = "Example Helpdesk Holdings Inc."
    bizfly.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    assert register.stale(as_of=date(2026, 9, 1)) == [
        ("bizfly-support-desk-us", ["intake", "time"])
    ]
    from dtia.dossier.build import build_update_notice

    result = register.reassess(
        "bizfly-support-desk-us",
        as_of=date(2026, 9, 1),
        reasons=["intake", "time"],
        notice_renderer=build_update_notice,
    )
    notice = result["update"].pop("notice")
    assert result["update"] == {
        "kinds": ["party"],
        "urgent": False,
        "citations": ["Decree 356/2025 Art 20(1)(b)"],
    }
    pdf = register.settings.dossier_dir / notice[:2] / f"{notice}.pdf"
    import subprocess

    text = " ".join(
        subprocess.run(
            ["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout.split()
    )
    assert "THÔNG BÁO THAY ĐỔI NỘI DUNG HỒ SƠ" in text and "Mẫu số 03a" in text
    assert "Example Helpdesk Holdings Inc." in text and "Decree 356/2025 Art 20(1)(b)" in text
    (draft,) = register.update_drafts("bizfly-support-desk-us")
    assert (draft.kinds, draft.urgent, draft.status) == ("party", False, "draft")
    clocks = {
        d["kind"]: d
        for d in register.status("bizfly-support-desk-us", as_of=date(2026, 9, 1))["deadlines"]
    }
    assert clocks["periodic_update"]["due"] == "2027-01-01"
    assert register.verify_audit().ok


def test_a_changed_attachment_is_an_intake_change(register: Register, bizfly: Path) -> None:
    _save(register, bizfly, date(2026, 11, 22))
    (bizfly.parent / "policies" / "bizfly-cloud-privacy-policy.en.txt").write_text(
        # a current policy (it cites Law 91/2025), which now discloses the transfer
        "Under Law No. 91/2025/QH15, we transfer personal data abroad to our support-desk "
        "provider.",
        encoding="utf-8",
    )
    assert register.stale(as_of=date(2026, 11, 23)) == [("bizfly-support-desk-us", ["intake"])]
    result = register.reassess(
        "bizfly-support-desk-us", as_of=date(2026, 11, 23), reasons=["intake"]
    )
    assert (
        result["created"]
        and "C10.policy-silent-on-transfer"
        not in register.current("bizfly-support-desk-us").assessment_json
    )


def test_a_re_assessment_s_dossier_embeds_the_files_and_verifies(
    register: Register, bizfly: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Re-assessment builds its dossier the way every dossier is built: with the intake's
    files embedded, so `dtia dossier verify` passes; the register keeps copies of them, so
    this holds once the intake's folder is gone too."""
    import dtia.law
    import dtia.register
    from dtia.dossier.build import build_for_register, embedded_files, verify

    tid = "bizfly-support-desk-us"
    loaded = load_intake(bizfly)
    _save(register, bizfly, date(2026, 11, 22))
    originals = {name: (bizfly.parent / name).read_bytes() for name in loaded.files}

    def dossier_of(result: dict[str, object]) -> bytes:
        digest = str(result["dossier"])
        return (register.settings.dossier_dir / digest[:2] / f"{digest}.pdf").read_bytes()

    first = register.reassess(
        tid, as_of=date(2027, 1, 5), reasons=["time"], render=build_for_register
    )
    embedded = embedded_files(dossier_of(first))
    assert {n: embedded[n] for n in originals} == originals

    # the intake's folder moved away: the register kept copies of its files
    shutil.rmtree(bizfly.parent)
    files, _ = dtia.law.law_files()
    newer = (files.model_copy(update={"rules_version": "vn-2099.2"}), "f" * 64)
    monkeypatch.setattr(dtia.law, "law_files", lambda: newer)
    monkeypatch.setattr(dtia.register, "law_files", lambda: newer)
    assert register.stale(as_of=date(2027, 1, 5)) == [(tid, ["rules"])]
    second = register.reassess(
        tid, as_of=date(2027, 1, 5), reasons=["rules"], render=build_for_register
    )
    assert second["version"] == 3
    again = dossier_of(second)
    assert {n: embedded_files(again)[n] for n in originals} == originals
    check = verify(again)
    assert check.ok, check.message


def test_a_dated_rule_entering_or_leaving_force_makes_the_assessment_stale() -> None:
    # Same rules version, same facts: Resolution 22/2026's route ends on 1 March 2027 and
    # Decree 330/2026's sanctions begin on 19 August 2026, so the result changes on those days.
    from dtia.recheck import recheck_on

    path = EXAMPLES / "fpt-smart-cloud-hr-on-cloud" / "intake.yaml"
    loaded = load_intake(path)
    late = assess(loaded, date(2027, 2, 20))
    assert recheck_on(loaded.intake, late) == date(2027, 3, 2)
    assert assess(loaded, date(2027, 3, 2)).filing_channels != late.filing_channels
    early = assess(loaded, date(2026, 8, 10))
    due = recheck_on(loaded.intake, early)
    assert due is not None and due <= date(2026, 8, 19)
