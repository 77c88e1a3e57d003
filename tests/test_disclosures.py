"""The policy check feeds the assessment: a finding per item a published policy lacks, an
outdated policy as outdated evidence, recipients' notices, and the APPI note of a joint use
with a Japanese party (issue 15, "Where it feeds")."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from dtia.engine import assess
from dtia.errors import IntakeError
from dtia.intake import load_intake, parse_intake
from dtia.law import load_rules
from tests.support import EXAMPLES, assess_example, changed, tiny_pdf, write_intake

AS_OF = date(2026, 11, 22)
WRITTEN = Path(__file__).parent / "policies" / "written"


def _assess(
    base: str, tmp_path: Path, files: dict[str, Path] | None = None, **changes: object
) -> object:
    data = changed(base, {"set": changes})
    path = write_intake(base, data, tmp_path)
    for rel, source in (files or {}).items():
        shutil.copy(source, path.parent / rel)
    return assess(load_intake(path), AS_OF)


def test_bizfly_gets_one_finding_per_item_its_policy_lacks() -> None:
    a = assess_example("bizfly-cloud-support-desk", AS_OF)
    found = {f.id: f for f in a.findings}
    lacking = {
        "C10.policy-silent-on-transfer": "Transfer abroad",
        "C10.policy-lacks-countries": "Destination countries",
        "C10.policy-lacks-purpose": "Purpose of the transfer",
        "C10.policy-lacks-retention": "Retention period",
        "C10.policy-lacks-contact": "Who to contact",
    }
    for fid, item in lacking.items():
        f = found[fid]
        assert f.message.startswith(item), fid
        assert f.subject == "transferor.policies[0]"
        # which policy was read, and that the passage was looked for and not found
        assert "Not found in \u201cPrivacy policy\u201d" in f.message
        assert f.remedy.startswith("Update the privacy policy: ")
    # the rights it names are said, and those it does not, by name
    rights = found["C10.policy-lacks-rights"]
    assert "line 27" in rights.message and "opt out" in rights.message
    assert "informed, consent, withdraw, access, copy, delete, restrict, complain" in rights.message
    # Art 56(2)(b) fines not telling data subjects of the transfer, to whom and for what
    exposed = {e.finding for e in a.exposure if e.clause == "Decree 330/2026 Art 56(2)(b)"}
    assert {"C10.policy-silent-on-transfer", "C10.policy-lacks-purpose"} <= exposed
    assert "C10.policy-lacks-retention" not in exposed
    assert "C10.policy-lacks-countries" not in exposed


def test_a_policy_citing_no_law_in_force_is_outdated_and_not_counted(tmp_path: Path) -> None:
    a = assess_example("bizfly-cloud-support-desk", AS_OF)
    outdated = next(f for f in a.findings if f.id == "C13.policy-outdated")
    assert outdated.severity == "high" and outdated.subject == "transferor.policies[0]"
    assert "cites no personal data protection law" in outdated.message
    assert "not counted as the transferor's current policy" in outdated.message
    assert "Decree 356/2025 Art 18(2)(c)" in outdated.citations
    (disclosure,) = a.disclosures
    assert disclosure.outdated and disclosure.party == "transferor"
    # what it does disclose is told only by an outdated policy, so it is a finding too
    categories = next(f for f in a.findings if f.id == "C10.policy-lacks-data-types")
    assert "Only an outdated policy discloses it" in categories.message
    # the C13 risk factor no longer counts the policy
    c13 = next(c for c in a.risk.contributions if c.criterion == "C13")
    assert "every published policy is outdated" in c13.reason


def test_a_vietnamese_policy_citing_only_decree_13_is_outdated(tmp_path: Path) -> None:
    a = _assess(
        "fpt-smart-cloud-to-fpt-japan",
        tmp_path,
        files={"policies/an-phat.vi.txt": WRITTEN / "an-phat-decree-13.vi.txt"},
        **{
            "transferor.policies": [
                {"title": "Chính sách bảo vệ dữ liệu cá nhân", "path": "policies/an-phat.vi.txt"}
            ]
        },
    )
    outdated = [f for f in a.findings if f.id == "C13.policy-outdated"]  # type: ignore[attr-defined]
    assert len(outdated) == 1
    assert (
        "Decree 13/2023" in outdated[0].message
        and "not in force on 2026-11-22" in outdated[0].message
    )
    # It discloses the transfer to Singapore, but is not the transferor's current policy.
    silent = next(f for f in a.findings if f.id == "C10.policy-silent-on-transfer")  # type: ignore[attr-defined]
    assert "Only an outdated policy discloses it" in silent.message
    assert "line 18" in silent.message and "Singapore" in silent.message


def test_a_current_policy_is_counted_and_raises_only_what_it_lacks() -> None:
    a = assess_example("fpt-smart-cloud-to-fpt-japan", AS_OF)
    ids = {f.id for f in a.findings}
    assert "C13.policy-outdated" not in ids
    policy_findings = sorted(i for i in ids if i.startswith("C10.policy"))
    assert policy_findings == ["C10.policy-lacks-countries"]
    # two titles, one file: read once, both entries named
    policy = a.disclosures[0]
    assert (policy.document, policy.also) == ("transferor.policies[0]", ["transferor.policies[1]"])
    assert {i.key for i in policy.items} >= {"transfer_abroad", "current_law"}
    assert all(i.law == "vn" for i in policy.items)
    abroad = next(i for i in policy.items if i.key == "transfer_abroad")
    assert abroad.disclosed and [p.line for p in abroad.evidence][:1] == [97]


def test_the_fpt_joint_use_carries_the_appi_note() -> None:
    a = assess_example("fpt-smart-cloud-to-fpt-japan", AS_OF)
    (note,) = a.appi_notes
    assert note.recipient == "fpt-japan" and note.notices == ["recipients[0].notices[0]"]
    # FPT Japan's notice does not list the items jointly used (APPI Art 27(5)(iii))
    assert [i.key for i in note.joint_use_lacking] == ["jp_joint_use_items"]
    assert note.joint_use_lacking[0].citations == ["APPI Art 27(5)(iii)"]
    # it points at a page for Vietnam's regime instead of describing the law in force
    regime_gap = next(i for i in note.art28_lacking if i.key == "jp_foreign_regime_info")
    assert any("ppc.go.jp" in n for n in regime_gap.notes)
    # the draft: Law 91, Decree 356, A05, Decree 333 localisation, the route in force
    keys = [p.key for p in note.regime]
    assert keys == [
        "law",
        "transfer",
        "decree",
        "authority",
        "sanctions",
        "localisation",
        "filing_route",
    ]
    text = " ".join(p.text_en for p in note.regime)
    for words in ("91/2025/QH15", "356/2025/ND-CP", "(A05)", "333/2026/ND-CP", "Bộ Công an"):
        assert words in text
    assert all(p.text_ja and p.citations for p in note.regime)
    assert "個人データ保護法" in note.regime[0].text_ja
    # and the Vietnamese party's own measures, from the intake
    measures = {p.key: p for p in note.measures}
    assert "ISO/IEC 27001" in measures["security"].text_en
    assert "FSC-FJH-JU-2026-01" in measures["contract"].text_en
    assert any("Act No. 56 of 2026" in n and "2027-01-17" in n for n in note.notes)
    assert "APPI Amendment Act No. 56 of 2026" in note.citations


def test_the_appi_note_after_the_amendment_phases_in_says_it_may_apply() -> None:
    a = assess_example("fpt-smart-cloud-to-fpt-japan", date(2027, 2, 1))
    (note,) = a.appi_notes
    assert any("may apply" in n for n in note.notes)
    assert load_rules(date(2027, 2, 1)).foreign_article("APPI Art 28(2)").sources[0].url


def test_no_appi_note_without_a_japanese_party_or_data_moving_both_ways(tmp_path: Path) -> None:
    assert assess_example("bizfly-cloud-support-desk", AS_OF).appi_notes == []
    outbound = _assess(
        "fpt-smart-cloud-to-fpt-japan", tmp_path / "a", **{"transfer.direction": "outbound"}
    )
    assert outbound.appi_notes == []  # type: ignore[attr-defined]
    singapore = _assess(
        "fpt-smart-cloud-to-fpt-japan", tmp_path / "b", **{"recipients[0].country": "SG"}
    )
    assert singapore.appi_notes == []  # type: ignore[attr-defined]
    # a recipient outside Japan: its notice is read under Vietnamese law, for the record
    assert {i.law for i in singapore.disclosures[1].items} == {"vn"}  # type: ignore[attr-defined]


def test_a_japanese_party_that_gave_no_notice_lacks_every_item(tmp_path: Path) -> None:
    a = _assess("fpt-smart-cloud-to-fpt-japan", tmp_path, **{"recipients[0].notices": []})
    (note,) = a.appi_notes  # type: ignore[attr-defined]
    assert note.notices == [] and len(note.joint_use_lacking) == 6
    assert all("not in the file" in i.notes[0] for i in note.joint_use_lacking)


def test_a_notice_with_an_address_is_not_said_to_lack_it(tmp_path: Path) -> None:
    files = {
        "policies/sakura.ja.txt": WRITTEN / "sakura-joint-use.ja.txt",
        "policies/kaede.ja.txt": WRITTEN / "kaede-joint-use-no-address.ja.txt",
    }
    notice = [{"title": "共同利用について", "path": "policies/sakura.ja.txt"}]
    with_address = _assess(
        "fpt-smart-cloud-to-fpt-japan", tmp_path / "a", files, **{"recipients[0].notices": notice}
    )
    lacking = {i.key for i in with_address.appi_notes[0].joint_use_lacking}  # type: ignore[attr-defined]
    assert "jp_responsible_party_address" not in lacking
    notice = [{"title": "共同利用について", "path": "policies/kaede.ja.txt"}]
    without = _assess(
        "fpt-smart-cloud-to-fpt-japan", tmp_path / "b", files, **{"recipients[0].notices": notice}
    )
    lacking = {i.key for i in without.appi_notes[0].joint_use_lacking}  # type: ignore[attr-defined]
    assert "jp_responsible_party_address" in lacking


def test_a_notice_path_is_checked_like_the_other_files(tmp_path: Path) -> None:
    data = changed(
        "fpt-smart-cloud-to-fpt-japan",
        {"set": {"recipients[0].notices": [{"title": "N", "path": "policies/none.txt"}]}},
    )
    path = write_intake("fpt-smart-cloud-to-fpt-japan", data, tmp_path)
    with pytest.raises(IntakeError) as info:
        load_intake(path)
    assert [p.path for p in info.value.problems] == ["recipients[0].notices[0].path"]
    assert "does not exist" in info.value.problems[0].message


def test_a_pdf_notice_is_read_with_pages_and_part_of_the_intakes_files(tmp_path: Path) -> None:
    from html import escape

    from weasyprint import HTML

    data = changed(
        "fpt-smart-cloud-to-fpt-japan",
        {"set": {"recipients[0].notices": [{"title": "PDF notice", "path": "policies/n.pdf"}]}},
    )
    path = write_intake("fpt-smart-cloud-to-fpt-japan", data, tmp_path)
    text = (WRITTEN / "sakura-joint-use.ja.txt").read_text(encoding="utf-8")
    html = (
        "<html><body>"
        + "".join(f"<p>{escape(line)}</p>" for line in text.splitlines() if line.strip())
        + "</body></html>"
    )
    HTML(string=html).write_pdf(path.parent / "policies" / "n.pdf")
    loaded = load_intake(path)
    fact = loaded.files["policies/n.pdf"]
    assert fact.text is not None and "共同" in fact.text  # kept with the intake, for re-assessing
    a = assess(loaded, AS_OF)
    pdf = next(d for d in a.disclosures if d.file == "policies/n.pdf")
    assert pdf.read and pdf.party == "fpt-japan" and "ja" in pdf.languages
    scope = next(i for i in pdf.items if i.key == "jp_joint_users_scope")
    assert scope.disclosed and scope.evidence[0].page == 1
    # a PDF without text is listed, unread, with the reason
    (path.parent / "policies" / "n.pdf").write_bytes(tiny_pdf())
    reloaded = load_intake(path)
    assert reloaded.input_sha256 != loaded.input_sha256  # the notice is part of the input
    blank = next(d for d in assess(reloaded, AS_OF).disclosures if d.file == "policies/n.pdf")
    assert not blank.read and blank.problem


def test_the_intake_schema_documents_notices() -> None:
    text = (EXAMPLES / "fpt-smart-cloud-to-fpt-japan" / "intake.yaml").read_text(encoding="utf-8")
    loaded = parse_intake(text, "x.yaml")  # without a folder: the notice is not read
    assert loaded.intake.recipients[0].notices[0].path.endswith(".en-ja.txt")
