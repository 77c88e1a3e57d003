"""`dtia policy check`: what each policy discloses, the evidence, negations, the Japanese
joint-use notice, the formats it reads and the errors it gives."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from dtia.errors import PolicyError
from dtia.policy import PolicyCheck, check_policy
from tests.test_cli import run

POLICIES = Path(__file__).resolve().parent / "policies"
PUBLISHED = POLICIES / "published"
WRITTEN = POLICIES / "written"
AS_OF = date(2026, 11, 22)
FPT = PUBLISHED / "fpt-smart-cloud-policies-2026.en-ja.txt"
BIZFLY = PUBLISHED / "bizfly-cloud-privacy-policy.en.txt"


def check(path: Path, as_of: date = AS_OF) -> PolicyCheck:
    return check_policy(path.name, path.read_bytes(), as_of)


def lines(result: PolicyCheck, key: str) -> list[int]:
    return [e.line for e in result.item(key).evidence]


def test_bizfly_lacks_exactly_these_items() -> None:
    result = check(BIZFLY)
    assert [r.key for r in result.lacking("vn")] == [
        "transfer_abroad",
        "destination_countries",
        "transfer_purpose",
        "retention",
        "controller_contact",
        "current_law",
    ]
    assert result.outdated
    assert result.item("transfer_abroad").citations[0] == "Decree 330/2026 Art 56(2)(b)"
    rights = result.item("data_subject_rights")
    assert rights.disclosed and set(rights.details) == {"correct", "object"}
    assert "access" in rights.missing and "delete" in rights.missing
    # "will not sell ... to other companies": a denial, kept apart from the evidence
    assert [e.line for e in result.item("recipients").contrary] == [15]
    assert lines(result, "recipients") == [53, 54]


def test_fpt_2026_discloses_the_transfer_and_cites_the_current_law() -> None:
    result = check(FPT)
    assert not result.outdated and list(result.languages) == ["en", "ja"]
    assert 97 in lines(result, "transfer_abroad") and 430 in lines(result, "transfer_abroad")
    assert lines(result, "transfer_purpose") == [97]
    assert result.item("destination_countries").disclosed is False  # Japan is never named
    assert set(result.item("current_law").details) == {"law-91-2025", "decree-356-2025"}


def test_fpt_japan_notice_under_appi() -> None:
    result = check(FPT)
    assert result.item("jp_joint_use_items").disclosed is False
    name = result.item("jp_responsible_party_name")
    assert name.disclosed and [e.line for e in name.evidence] == [783, 817]
    assert "当社" in name.notes[0] and "817" in name.notes[0]
    assert lines(result, "jp_responsible_party_address") == [821]  # not the JUAS/JIPDEC ones
    assert lines(result, "jp_responsible_party_representative") == [819]
    assert result.item("jp_foreign_country_named").details == ("VN",)
    regime = result.item("jp_foreign_regime_info")
    assert (
        regime.disclosed
        and "https://www.ppc.go.jp/personalinfo/legal/kaiseihogohou/" in regime.notes[0]
    )
    assert "by reference" in regime.notes[0]
    # The Japanese text is not read for Vietnamese-law items: FPT Japan's own contact
    # details (lines 811-871) are not FPT Smart Cloud's.
    assert not [n for n in lines(result, "controller_contact") if 663 <= n <= 965]


def test_a_legacy_policy_with_no_law_is_outdated_after_2026() -> None:
    legacy = PUBLISHED / "fpt-smart-cloud-privacy-policy-legacy.en.txt"
    result = check(legacy)
    assert result.outdated and result.item("current_law").notes == (
        "cites no personal data protection law",
    )
    before = check(legacy, date(2025, 12, 1))
    assert not before.outdated


def test_a_policy_citing_only_decree_13() -> None:
    path = WRITTEN / "an-phat-decree-13.vi.txt"
    after = check(path)
    assert after.outdated and after.item("current_law").disclosed is False
    assert after.item("current_law").details == ("decree-13-2023",)
    assert "Decree 13/2023 (line 3)" in after.item("current_law").notes[0]
    before = check(path, date(2025, 12, 1))  # Decree 13 was the law then
    assert not before.outdated and before.item("current_law").disclosed is True
    assert after.item("destination_countries").details == ("SG",)
    assert lines(after, "transfer_purpose") == [18]


@pytest.mark.parametrize(
    ("name", "line"),
    [("song-hong-no-transfer.vi.txt", 9), ("lotus-no-transfer.en.md", 7)],
)
def test_we_do_not_transfer_abroad_is_a_denial(name: str, line: int) -> None:
    result = check(WRITTEN / name)
    abroad = result.item("transfer_abroad")
    assert abroad.disclosed is False and abroad.evidence == ()
    assert [e.line for e in abroad.contrary] == [line]
    assert f"line {line} says the opposite" in abroad.notes
    assert result.item("recipients").disclosed is False
    # a negated retention sentence still states a period
    assert result.item("retention").disclosed is True


def test_html_lines_are_the_source_lines_and_scripts_are_not_read() -> None:
    result = check(WRITTEN / "lotus-transfers.en-vi.html")
    assert result.format == "html" and list(result.languages) == ["vi", "en"]
    assert lines(result, "transfer_abroad") == [9, 10, 12]
    assert result.item("destination_countries").details == ("SG", "JP", "PH", "EU")
    assert all("do not read" not in e.quote for r in result.items for e in r.evidence)


def test_japanese_notice_with_and_without_its_address() -> None:
    full = check(WRITTEN / "sakura-joint-use.ja.txt")
    assert all(r.disclosed for r in full.items if r.law == "jp")
    assert all(r.disclosed is None for r in full.items if r.law == "vn")
    assert lines(full, "jp_responsible_party_address") == [16]
    bare = check(WRITTEN / "kaede-joint-use-no-address.ja.txt")
    for key in (
        "jp_responsible_party_name",
        "jp_responsible_party_address",
        "jp_responsible_party_representative",
        "jp_joint_use_items",
    ):
        assert bare.item(key).disclosed is False, key
    assert "does not say who that is" in bare.item("jp_responsible_party_name").notes[0]
    assert [e.line for e in bare.item("jp_foreign_country_named").contrary] == [9]


def test_a_pdf_is_read_with_pages(tmp_path: Path) -> None:
    from weasyprint import HTML

    html = (WRITTEN / "lotus-transfers.en-vi.html").read_text(encoding="utf-8")
    pdf = tmp_path / "transfers.pdf"
    HTML(string=html).write_pdf(pdf)
    result = check(pdf)
    assert result.format == "pdf"
    evidence = result.item("transfer_abroad").evidence
    assert evidence and all(e.page == 1 for e in evidence)
    assert result.item("destination_countries").details == ("SG", "JP", "PH", "EU")


def test_unreadable_input_is_a_policy_error_naming_the_file() -> None:
    with pytest.raises(PolicyError, match=r"^notice\.txt \(line 2\): not UTF-8"):
        check_policy("notice.txt", "first line\nsecond \xff line".encode("latin-1"), AS_OF)
    with pytest.raises(PolicyError, match="no text to check"):
        check_policy("empty.md", b"\n \n", AS_OF)
    with pytest.raises(PolicyError, match="not a readable PDF"):
        check_policy("broken.pdf", b"%PDF-1.7\nnot really", AS_OF)


def test_cli_json_is_the_policy_check_format() -> None:
    r = run("policy", "check", str(BIZFLY), "--as-of", "2026-11-22", "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["schema"] == "dtia.policy-check/v1" and data["file"] == str(BIZFLY)
    assert data["languages"] == ["en"] and data["outdated"] is True
    assert data["items"]["recipients"]["evidence"][0] == {
        "line": 53,
        "quote": "Requests from law enforcement agencies or competent regulatory authorities",
    }
    assert data["items"]["jp_joint_use_items"]["disclosed"] is None
    assert data["items"]["transfer_abroad"]["citations"] == [
        "Decree 330/2026 Art 56(2)(b)",
        "Law 91/2025 Art 20(1)",
    ]


def test_cli_table_shows_answers_and_evidence() -> None:
    r = run("policy", "check", str(FPT), "--as-of", "2026-11-22")
    assert r.returncode == 0, r.stderr
    for text in ("Transfer abroad", "line 97", "APPI Art 27(5)(iii)", "当社", "current"):
        assert text in r.stdout, text


def test_cli_errors_exit_2_without_a_traceback(tmp_path: Path) -> None:
    missing = run("policy", "check", "no-such-policy.txt")
    assert missing.returncode == 2
    assert "no-such-policy.txt: cannot read it" in missing.stderr
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"ok\n\xc3\x28 broken")
    r = run("policy", "check", str(bad))
    assert r.returncode == 2 and "(line 2): not UTF-8" in r.stderr
    assert "Traceback" not in r.stderr + missing.stderr
