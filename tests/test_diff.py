"""Diffs between two assessment versions, built from real example assessments."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from dtia.assessment import Assessment, Score
from dtia.diff import Change, FactChange, diff_versions
from dtia.engine import assess
from dtia.intake import TransferIntake, load_intake
from tests.support import EXAMPLES, changed, write_intake

BIZFLY = "bizfly-cloud-support-desk"
BEFORE_EXPIRY = date(2026, 11, 22)
AFTER_EXPIRY = date(2027, 1, 5)
CERT_CITATIONS = ["Decree 356/2025 Art 18(3)(i)", "Decree 356/2025 Form 09 §A.III.3"]


def _version(path: Path, as_of: date) -> tuple[TransferIntake, Assessment]:
    loaded = load_intake(path)
    return loaded.intake, assess(loaded, as_of)


def _edited(tmp_path: Path, changes: dict[str, Any]) -> Path:
    return write_intake(BIZFLY, changed(BIZFLY, changes), tmp_path)


def test_identical_inputs_are_unchanged() -> None:
    intake, a = _version(EXAMPLES / BIZFLY / "intake.yaml", BEFORE_EXPIRY)
    d = diff_versions(intake, a, intake, a)
    assert d.unchanged and d.result_unchanged
    assert (d.why, d.facts, d.findings, d.deadlines) == ([], [], [], [])
    assert d.risk is None and d.decision is None


def test_a_later_date_expires_the_soc2_certificate() -> None:
    path = EXAMPLES / BIZFLY / "intake.yaml"
    d = diff_versions(*_version(path, BEFORE_EXPIRY), *_version(path, AFTER_EXPIRY))

    assert d.facts == []
    assert d.why == [
        "Assessment date moved from 2026-11-22 to 2027-01-05",
        "Example Helpdesk Inc.'s SOC 2 Type II certificate expired on 2026-12-31, "
        "between 2026-11-22 and 2027-01-05",
    ]
    by_key = {(f.id, f.subject): f for f in d.findings}
    expired = by_key["C5.certification-expired", "recipients[0].safeguards.certifications[1]"]
    assert expired.change == "added"
    assert expired.severity == "high"
    assert expired.citations == CERT_CITATIONS
    assert "expired on 2026-12-31" in expired.message
    # The SOC 2 warning gives way to the expiry; the ISO 27001 one is a different finding.
    soc2 = by_key["C5.certification-expiring", "recipients[0].safeguards.certifications[1]"]
    iso = by_key["C5.certification-expiring", "recipients[0].safeguards.certifications[0]"]
    assert (soc2.change, iso.change) == ("removed", "added")
    # Same facts and rules: the filing decision and the score stay where they were.
    assert d.decision is None and d.risk is None
    assert not d.unchanged and not d.result_unchanged


def test_reversed_dates_explain_the_certificate_was_still_valid() -> None:
    path = EXAMPLES / BIZFLY / "intake.yaml"
    d = diff_versions(*_version(path, AFTER_EXPIRY), *_version(path, BEFORE_EXPIRY))
    assert d.why[-1] == (
        "Example Helpdesk Inc.'s SOC 2 Type II certificate expires on 2026-12-31: "
        "expired as of 2027-01-05, not yet as of 2026-11-22"
    )
    removed = [f.id for f in d.findings if f.change == "removed"]
    assert "C5.certification-expired" in removed


def test_intake_edits_are_listed_by_exact_path(tmp_path: Path) -> None:
    old = _version(EXAMPLES / BIZFLY / "intake.yaml", BEFORE_EXPIRY)
    purposes = changed(BIZFLY, None)["transfer"]["purposes"]
    path = _edited(
        tmp_path,
        {
            "set": {
                "transfer.purposes": [*purposes, "Quality review of answered tickets"],
                "recipients[0].safeguards.incident_notification_hours": 24,
                "recipients[0].safeguards.certifications[1].expires_on": "2027-12-31",
            }
        },
    )
    d = diff_versions(*old, *_version(path, BEFORE_EXPIRY))

    assert d.facts == [
        FactChange(
            path="transfer.purposes",
            change="added",
            before=None,
            after="Quality review of answered tickets",
        ),
        FactChange(
            path="recipients[0].safeguards.certifications[1].expires_on",
            change="changed",
            before="2026-12-31",
            after="2027-12-31",
        ),
        FactChange(
            path="recipients[0].safeguards.incident_notification_hours",
            change="changed",
            before="72",
            after="24",
        ),
    ]
    assert d.why == ["3 intake facts changed"]
    # A 24-hour notice meets the processor's duty; a renewed certificate is no longer expiring.
    removed = {(f.id, f.subject) for f in d.findings if f.change == "removed"}
    assert removed == {
        ("C5.incident-notification-slow", "recipients[0].safeguards"),
        ("C5.certification-expiring", "recipients[0].safeguards.certifications[1]"),
    }


def test_recipients_are_matched_by_id_not_position(tmp_path: Path) -> None:
    base = changed(BIZFLY, None)
    extra = {**base["recipients"][0], "id": "helpdesk-eu", "country": "IE"}
    old_path = write_intake(BIZFLY, base, tmp_path / "old")
    new_path = _edited(
        tmp_path / "new",
        {"set": {"recipients": [extra, {**base["recipients"][0], "service": "Ticketing only"}]}},
    )
    d = diff_versions(*_version(old_path, BEFORE_EXPIRY), *_version(new_path, BEFORE_EXPIRY))
    assert d.facts == [
        FactChange(path="recipients[0]", change="added", before=None, after="helpdesk-eu"),
        FactChange(
            path="recipients[1].service",
            change="changed",
            before="Hosted support-desk software (ticketing, email and chat)",
            after="Ticketing only",
        ),
    ]


def test_sensitive_data_raises_the_risk_level(tmp_path: Path) -> None:
    old = _version(EXAMPLES / BIZFLY / "intake.yaml", BEFORE_EXPIRY)
    path = _edited(
        tmp_path,
        {
            "set": {
                "data.sensitive": ["health"],
                "data.sensitive_subject_count": 21000,
                "flows[0].includes_sensitive": True,
            }
        },
    )
    d = diff_versions(*old, *_version(path, BEFORE_EXPIRY))

    assert d.risk is not None
    assert d.risk.inherent_before == Score(score=70, level="high")
    assert d.risk.inherent_after == Score(score=86, level="critical")
    assert (d.risk.residual_before.level, d.risk.residual_after.level) == ("medium", "medium")
    assert d.risk.residual_before.score < d.risk.residual_after.score
    assert d.risk.criteria == [
        Change(field="C4", before="0 (inherent 0)", after="4 (inherent 8)"),
        Change(field="C16", before="0 (inherent 0)", after="6 (inherent 6)"),
        Change(field="C17", before="0 (inherent 0)", after="2 (inherent 2)"),
    ]
    added = {f.id: f for f in d.findings if f.change == "added"}
    assert set(added) == {"C4.sensitive-data", "C16.national-security", "C17.important-data"}
    assert added["C4.sensitive-data"].severity == "medium"
    assert added["C4.sensitive-data"].citations == [
        "Decree 356/2025 Art 4(1)(d)",
        "Decree 356/2025 Art 4(2)",
        "Decree 356/2025 Art 7(2)",
    ]
    assert [f.path for f in d.facts] == [
        "data.sensitive",
        "data.sensitive_subject_count",
        "flows[0].includes_sensitive",
    ]
    assert d.facts[1] == FactChange(
        path="data.sensitive_subject_count", change="added", before=None, after="21000"
    )
    assert d.facts[2].before == "no" and d.facts[2].after == "yes"
    assert d.decision is None


def test_an_exemption_drops_the_dossier_and_its_deadline(tmp_path: Path) -> None:
    old = _version(EXAMPLES / BIZFLY / "intake.yaml", BEFORE_EXPIRY)
    claim = {
        "code": "contract_travel_logistics_payment",
        "justification": "Needed to perform the customer contract",
    }
    # The claim holds only on facts: the recipient must provide a payment service.
    path = _edited(
        tmp_path,
        {"set": {"transfer.exemption_claims": [claim], "recipients[0].provides": ["payment"]}},
    )
    d = diff_versions(*old, *_version(path, BEFORE_EXPIRY))

    assert d.facts == [
        FactChange(
            path="transfer.exemption_claims[0]",
            change="added",
            before=None,
            after="contract_travel_logistics_payment",
        ),
        FactChange(path="recipients[0].provides", change="added", before=None, after="payment"),
    ]
    assert d.decision is not None
    assert (d.decision.dossier_required_before, d.decision.dossier_required_after) == (True, False)
    assert d.decision.changes == [
        Change(field="dossier_required", before="yes", after="no"),
        Change(field="exemption", before=None, after="contract_travel_logistics_payment"),
        Change(field="cover_form", before="01a", after=None),
    ]
    [filing] = d.deadlines
    assert (filing.kind, filing.change) == ("initial_filing", "removed")
    assert (filing.due_before, filing.due_after) == (date(2026, 8, 14), None)
    changed_ = {f.id: f for f in d.findings if f.change == "changed"}
    assert [c.field for c in changed_["C13.dpo-appointment-missing"].changes] == [
        "severity",
        "message",
        "citations",
    ]
    assert changed_["C13.dpo-appointment-missing"].changes[0] == Change(
        field="severity", before="high", after="low"
    )
    # Without a dossier, what rests only on its components goes; the substantive duties stay.
    assert {f.id for f in d.findings if f.change == "removed"} == {
        "C1.filing-overdue",
        "C5.certification-expiring",
    }


def test_an_intake_of_another_transfer_is_refused() -> None:
    bizfly, _ = _version(EXAMPLES / BIZFLY / "intake.yaml", BEFORE_EXPIRY)
    intake, a = _version(EXAMPLES / "fpt-smart-cloud-to-fpt-japan" / "intake.yaml", BEFORE_EXPIRY)
    with pytest.raises(ValueError, match="bizfly-support-desk-us"):
        diff_versions(bizfly, a, intake, a)


def test_deadline_status_moves_with_the_date(tmp_path: Path) -> None:
    path = _edited(tmp_path, {"set": {"transfer.first_transfer_date": "2026-10-01"}})
    d = diff_versions(*_version(path, date(2026, 10, 5)), *_version(path, date(2026, 12, 10)))
    assert [x.kind for x in d.deadlines] == ["initial_filing"]
    filing = d.deadlines[0]
    assert filing.change == "changed"
    assert filing.due_before == filing.due_after
    assert Change(field="status", before="upcoming", after="overdue") in filing.changes


def test_rules_and_attached_files_are_named_as_reasons() -> None:
    # Only one rules version ships today, so the newer one is a copy with a new stamp.
    intake, a = _version(EXAMPLES / BIZFLY / "intake.yaml", BEFORE_EXPIRY)
    newer = a.model_copy(
        update={"rules_version": "vn-2027.1", "rules_sha256": "ab" * 32, "input_sha256": "0" * 64}
    )
    d = diff_versions(intake, a, intake, newer)
    assert d.why == [
        f"Rules changed from {a.rules_version} ({a.rules_sha256[:8]}) to vn-2027.1 (abababab)",
        "A file the intake references changed (input fingerprint differs)",
    ]
    assert d.result_unchanged and not d.unchanged
