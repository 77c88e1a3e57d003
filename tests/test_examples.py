"""The five shared examples reach the outcomes the law gives (tests/shared_examples/README.md)."""

from __future__ import annotations

import filecmp
from datetime import date
from pathlib import Path

import pytest
import yaml

from tests.support import EXAMPLES, all_citations, assess_example

AS_OF = date(2026, 11, 22)


def _ids(name: str) -> dict[str, list[str]]:
    a = assess_example(name, AS_OF)
    out: dict[str, list[str]] = {}
    for f in a.findings:
        out.setdefault(f.id, []).append(f.message)
    return out


def test_fpt_smart_cloud_to_fpt_japan() -> None:
    a = assess_example("fpt-smart-cloud-to-fpt-japan", AS_OF)
    app = a.applicability
    assert (app.cross_border_transfer, app.limbs, app.dossier_required, app.cover_form) == (
        True,
        ["T2", "T3"],
        True,
        "01a",
    )
    assert app.exemption is None
    assert {"Law 91/2025 Art 20(1)(b)", "Law 91/2025 Art 20(1)(c)"} <= set(app.citations)
    (d,) = a.deadlines
    assert (d.kind, d.due, d.legal_end, d.status) == (
        "initial_filing",
        date(2026, 5, 1),
        date(2026, 5, 4),
        "overdue",
    )
    assert "A.III.2.3" in a.required_sections
    assert [(p.kind, p.recipient) for p in a.pending] == [("recipient_safeguards", "fpt-japan")]
    ids = _ids("fpt-smart-cloud-to-fpt-japan")
    assert "Art 4(1)(l)" in ids["C4.sensitive-data"][0]
    assert {
        "Decree 356/2025 Art 4(1)(l)",
        "Decree 356/2025 Art 4(2)",
        "Decree 356/2025 Art 7(2)",
    } <= all_citations(a)
    assert "C1.inbound-leg" in ids
    assert (
        "UNCERTAIN" in ids["C1.collected-in-vietnam"][0]
        and "T2 either way" in ids["C1.collected-in-vietnam"][0]
    )
    assert "C5.safeguards-pending" in ids
    assert "38,000 > 10,000" in ids["C16.national-security"][0]
    # FPT Japan's notice is read: the joint use carries the APPI note
    (note,) = a.appi_notes
    assert [i.key for i in note.joint_use_lacking] == ["jp_joint_use_items"]


def test_fpt_smart_cloud_hr_on_cloud() -> None:
    a = assess_example("fpt-smart-cloud-hr-on-cloud", AS_OF)
    app = a.applicability
    assert (app.limbs, app.dossier_required, app.cover_form) == (["T1"], False, None)
    assert app.exemption is not None and app.exemption.code == "own_employees_on_cloud"
    assert app.exemption.citations == ["Law 91/2025 Art 20(6)(b)"]
    assert a.deadlines == [] and a.required_sections == [] and a.gaps == []
    ids = _ids("fpt-smart-cloud-hr-on-cloud")
    assert "C2.exempt-other-duties" in ids and "C10.no-legal-basis" in ids
    assert "Art 4(1)(d)" in ids["C4.sensitive-data"][0]


def test_bizfly_cloud_support_desk() -> None:
    a = assess_example("bizfly-cloud-support-desk", AS_OF)
    app = a.applicability
    assert (app.limbs, app.dossier_required, app.cover_form) == (["T3"], True, "01a")
    (d,) = a.deadlines
    assert (d.due, d.legal_end, d.status) == (date(2026, 8, 14), date(2026, 8, 14), "overdue")
    assert "A.III.2.3" not in a.required_sections
    findings = {f.id: f for f in a.findings}
    missing = findings["C7.contract-missing-elements"]
    assert missing.citations == ["Decree 356/2025 Art 7(1)(d)", "Decree 356/2025 Art 7(1)(e)"]
    assert "SOC 2" in findings["C5.certification-expiring"].message
    assert "2026-12-31" in findings["C5.certification-expiring"].message
    assert "C10.policy-silent-on-transfer" in findings
    # the policy's finding says exactly which disclosure items it lacks, one by one
    lacking = sorted(f for f in findings if f.startswith("C10.policy"))
    assert lacking == [
        "C10.policy-lacks-contact",
        "C10.policy-lacks-countries",
        "C10.policy-lacks-data-types",
        "C10.policy-lacks-purpose",
        "C10.policy-lacks-recipients",
        "C10.policy-lacks-retention",
        "C10.policy-lacks-rights",
        "C10.policy-lacks-uses",
        "C10.policy-silent-on-transfer",
    ]
    assert "it cites no personal data protection law" not in findings["C13.policy-outdated"].message
    assert "cites no personal data protection law" in findings["C13.policy-outdated"].message


def test_cloudfly_card_payments() -> None:
    a = assess_example("cloudfly-card-payments", AS_OF)
    app = a.applicability
    assert (app.limbs, app.dossier_required) == (["T2", "T3"], False)
    assert app.exemption is not None and app.exemption.code == "contract_travel_logistics_payment"
    assert app.exemption.citations[0] == "Decree 356/2025 Art 17(3)(đ)"
    assert a.deadlines == []
    sensitive = next(f for f in a.findings if f.id == "C4.sensitive-data")
    assert (
        "Decree 356/2025 Art 4(1)(k)" in sensitive.citations
        and "Decree 356/2025 Art 7(2)" in sensitive.citations
    )


def test_cloudspace_offsite_backups() -> None:
    a = assess_example("cloudspace-offsite-backups", AS_OF)
    app = a.applicability
    assert (app.limbs, app.dossier_required, app.cover_form) == (["T1"], True, "01a")
    assert (
        "Law 91/2025 Art 20(1)(a)" in app.citations
        and "Decree 356/2025 Art 17(1)(a)" in app.citations
    )
    (d,) = a.deadlines
    assert (d.due, d.legal_end, d.status) == (date(2026, 10, 31), date(2026, 11, 2), "overdue")
    assert "A.III.2.3" in a.required_sections
    f = {x.id: x for x in a.findings}
    assert f["C7.contract-copy-missing"].severity == "blocker"
    assert "Decree 356/2025 Art 18(2)(b)" in f["C7.contract-copy-missing"].citations
    assert [c.rsplit(" ", 1)[1] for c in f["C7.contract-missing-elements"].citations] == [
        "7(1)(b)",
        "7(1)(c)",
        "7(1)(d)",
        "7(1)(e)",
        "7(1)(g)",
    ]
    assert [c.rsplit(" ", 1)[1] for c in f["C7.cloud-clauses-missing"].citations] == [
        "12(2)(a)",
        "12(2)(b)",
        "12(2)(c)",
        "12(2)(d)",
        "12(2)(g)",
    ]
    assert "expired on 2026-10-31" in f["C5.certification-expired"].message
    assert "Decree 356/2025 Form 09 §A.I.8.1" in f["C13.external-pdp-provider"].citations
    assert "170,000 > 100,000" in f["C16.national-security"].message


@pytest.mark.parametrize("name", ["fpt-smart-cloud-to-fpt-japan", "cloudspace-offsite-backups"])
def test_every_finding_and_contribution_is_cited(name: str) -> None:
    a = assess_example(name, AS_OF)
    assert all(f.citations for f in a.findings)
    assert all(c.citations for c in a.risk.contributions)
    assert all(d.citations for d in a.deadlines)
    assert a.risk.residual.score <= a.risk.inherent.score


def test_vendored_examples_match_the_shared_spec() -> None:
    shared = Path(__file__).resolve().parents[2] / "shared" / "spec" / "examples"
    if not shared.is_dir():
        pytest.skip("the shared spec folder is not beside this checkout")
    assert example_differences(shared, EXAMPLES) == []


def example_differences(shared: Path, ours: Path) -> list[str]:
    """How the project's examples differ from the shared ones, beyond what they may add.

    The intakes and their files are the shared ones; README.md, which states the outcomes,
    also lists what the law of 2026 adds (Decrees 330 and 333, Resolution 22). An intake may
    add its recipients' published notices (``recipients[].notices``, which the shared copy
    predates) and the files they name; nothing else.
    """
    cmp = filecmp.dircmp(shared, ours, ignore=["README.md"])
    out: list[str] = []

    def walk(c: filecmp.dircmp[str], rel: Path) -> None:
        named: set[str] = set()
        for name in c.diff_files:
            if name == "intake.yaml":
                theirs = yaml.safe_load((Path(c.left) / name).read_text(encoding="utf-8"))
                mine = yaml.safe_load((Path(c.right) / name).read_text(encoding="utf-8"))
                for r in mine.get("recipients", []):
                    named |= {n["path"] for n in r.pop("notices", [])}
                if mine == theirs:
                    continue
            out.append(str(rel / name))
        for name in c.right_only:
            if not any(n == name or n.startswith(name + "/") for n in named):
                out.append(str(rel / name))
        out.extend(str(rel / name) for name in c.left_only)
        for sub_name, sub in c.subdirs.items():
            walk(sub, rel / sub_name)

    walk(cmp, Path())
    return out


def test_the_examples_may_add_only_recipients_notices(tmp_path: Path) -> None:
    # Guards the comparison above: an added notice passes, any other change does not.
    shared, ours = tmp_path / "shared" / "x", tmp_path / "ours" / "x"
    shared.mkdir(parents=True)
    (shared / "intake.yaml").write_text("recipients:\n  - {id: a}\n", encoding="utf-8")
    ours.mkdir(parents=True)
    (ours / "intake.yaml").write_text(
        "recipients:\n  - {id: a, notices: [{title: N, path: n.txt}]}\n", encoding="utf-8"
    )
    (ours / "n.txt").write_text("notice", encoding="utf-8")
    assert example_differences(shared.parent, ours.parent) == []
    (ours / "intake.yaml").write_text("recipients:\n  - {id: b}\n", encoding="utf-8")
    assert example_differences(shared.parent, ours.parent) == ["x/intake.yaml", "x/n.txt"]


def test_uncertain_readings_are_said_in_the_output() -> None:
    a = assess_example("cloudspace-offsite-backups", AS_OF)
    reasons = {c.criterion: c.reason for c in a.risk.contributions}
    assert "UNCERTAIN #12" in reasons["C3"] and "UNCERTAIN #21" in reasons["C6"]
    late = next(f for f in a.findings if f.id == "C1.filing-overdue")
    assert "UNCERTAIN" in late.message


def test_an_exempt_transfer_without_contract_still_owes_the_art_7_agreement() -> None:
    a = assess_example("cloudfly-card-payments", AS_OF)
    no_contract = next(f for f in a.findings if f.id == "C7.no-contract")
    assert no_contract.severity == "high"
    assert "Decree 356/2025 Art 7(1)" in no_contract.citations


def test_the_law_of_2026_raises_what_examples_readme_says() -> None:
    def ids(name: str) -> dict[str, str]:
        return {f.id: f.severity for f in assess_example(name, AS_OF).findings}

    # Domestic cloud providers whose users' data goes abroad keep a copy in Vietnam
    # (Decree 333/2026 Art 19): none of the three files says whether they do.
    for name in (
        "cloudspace-offsite-backups",
        "bizfly-cloud-support-desk",
        "cloudfly-card-payments",
    ):
        assert ids(name).get("C16.local-copy") == "medium", name
    # Japanese customers are not users in Vietnam; employees are not users of the service.
    assert "C16.local-copy" not in ids("fpt-smart-cloud-to-fpt-japan")
    assert "C16.local-copy" not in ids("fpt-smart-cloud-hr-on-cloud")

    cloudspace = assess_example("cloudspace-offsite-backups", AS_OF)
    clauses = {(e.finding, e.clause) for e in cloudspace.exposure}
    assert ("C1.filing-overdue", "Decree 330/2026 Art 56(1)(b)") in clauses
    assert ("C16.local-copy", "Decree 330/2026 Art 33(1)(a)") in clauses
    assert ("C7.cloud-clauses-missing", "Decree 330/2026 Art 69(1)(b)") in clauses
    (route, _update) = cloudspace.filing_channels
    assert (route.receiving_body_vi, route.in_force_to) == ("Bộ Công an", date(2027, 3, 1))

    bizfly = assess_example("bizfly-cloud-support-desk", AS_OF)
    assert ("C10.policy-silent-on-transfer", "Decree 330/2026 Art 56(2)(b)") in {
        (e.finding, e.clause) for e in bizfly.exposure
    }
    assert {d.id for d in bizfly.continuing_duties} >= {
        "C13.recipient-contact-notice",
        "C8.onward-control",
        "C5.recipient-breach-response",
        "C16.local-copy",
    }
