"""The exemption memo, read as the lawyer who signs it: the facts relied on, the exemption in
words, the conclusion, exactly the duties these facts bring, and who prepared and reviewed it."""

from __future__ import annotations

import json
import re
import subprocess
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml

from dtia.applicability import claim_results
from dtia.dossier.build import Dossier, build, read_files, verify
from dtia.dossier.memo import MemoSigners, build_memo, count_vi, date_vi, exemption_facts
from dtia.engine import assess
from dtia.intake import load_intake
from dtia.law import load_rules
from dtia.law.citation_vi import vi_citation, vi_citations
from tests.support import EXAMPLES, changed, write_intake

AS_OF = date(2026, 11, 22)
RULES = load_rules(AS_OF)
SCENARIOS = Path(__file__).parent / "scenarios"
SOURCES = resources.files("dtia.law").joinpath("sources")
OFFICIAL = {
    "Law 91/2025": "law-91-2025-qh15",
    "Decree 356/2025": "decree-356-2025",
    "Decree 330/2026": "decree-330-2026",
    "Decree 333/2026": "decree-333-2026",
}

# The five memos read below: both exempt examples and three exemption scenarios.
CASES = {
    "fpt-hr": ("fpt-smart-cloud-hr-on-cloud", None),
    "cloudfly": ("cloudfly-card-payments", None),
    "gateway": ("cloudfly-card-payments", "exemption-payment-holds-with-processor-gateway"),
    "state-agency": (
        "bizfly-cloud-support-desk",
        "exemption-state-agency-holds-for-a-competent-state-agency",
    ),
    "inbound": ("fpt-smart-cloud-to-fpt-japan", "direction-inbound-only-is-not-a-transfer"),
}
# Exactly the duties each memo states (law data memo_duties.yaml).
DUTIES = {
    # Its own employees' health data on a cloud run by a processor.
    "fpt-hr": {
        "transfer-agreement",
        "sensitive-processing",
        "sensitive-transfer",
        "processing-impact-assessment",
        "employee-data",
        "health-data",
        "cloud-contract",
        "recipient-contact-notice",
        "onward-control",
        "recipient-breach-response",
    },
    # Customers' card data to a payment gateway; a domestic cloud provider keeps a copy at home.
    "cloudfly": {
        "transfer-agreement",
        "sensitive-processing",
        "sensitive-transfer",
        "processing-impact-assessment",
        "local-copy",
        "recipient-contact-notice",
        "onward-control",
        "recipient-breach-response",
    },
    "gateway": {
        "transfer-agreement",
        "sensitive-processing",
        "sensitive-transfer",
        "processing-impact-assessment",
        "local-copy",
        "recipient-contact-notice",
        "onward-control",
        "recipient-breach-response",
    },
    # A competent state agency makes no processing impact assessment (Law 91 Art 21(6)), and
    # is no domestic enterprise bound to keep its users' data in Vietnam (Decree 333 Art 19(2)).
    "state-agency": {
        "transfer-agreement",
        "recipient-contact-notice",
        "onward-control",
        "recipient-breach-response",
    },
    # Nothing leaves Vietnam: no transfer agreement, no duty after a transfer.
    "inbound": {"sensitive-processing", "processing-impact-assessment"},
}
# How each duty shows in the Vietnamese part: its first citation, the Vietnamese way.
SHOWN = {
    "transfer-agreement": "khoản 1 Điều 7",
    "sensitive-processing": "khoản 2 Điều 4",
    "sensitive-transfer": "khoản 2 Điều 7",
    "processing-impact-assessment": "khoản 1 Điều 21",
    "employee-data": "Điều 25 Luật",
    "health-data": "điểm a khoản 1 Điều 26",
    "cloud-contract": "khoản 2 Điều 12",
    "local-copy": "Nghị định số 333/2026/NĐ-CP",
    "recipient-contact-notice": "điểm e khoản 1 Điều 56",
    "onward-control": "điểm g khoản 1 Điều 56",
    "recipient-breach-response": "khoản 4 Điều 23",
}


def _squash(text: str) -> str:
    return " ".join(text.split())


def _intake(case: str, tmp_path: Path) -> Path:
    base, scenario = CASES[case]
    if scenario is None:
        return EXAMPLES / base / "intake.yaml"
    sc = yaml.safe_load((SCENARIOS / f"{scenario}.yaml").read_text(encoding="utf-8"))
    assert sc["base"] == base
    return write_intake(base, changed(base, sc.get("changes")), tmp_path)


def _memo(case: str, tmp_path: Path, data: dict[str, Any] | None = None) -> Dossier:
    path = _intake(case, tmp_path) if data is None else write_intake(CASES[case][0], data, tmp_path)
    loaded = load_intake(path)
    made = build(loaded, assess(loaded, AS_OF), read_files(loaded, path.parent))
    assert made.kind == "exemption-memo"
    return made


def _text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "memo.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(
        ["pdftotext", "-raw", str(path), "-"], capture_output=True, text=True, check=True
    )
    return _squash(out.stdout)


def _parts(text: str) -> tuple[str, str]:
    """The Vietnamese part and the English part (annex included)."""
    vi, _, en = text.partition("INTERNAL DOCUMENT")
    assert en, "no English part"
    return vi, en


def _between(text: str, start: str, end: str) -> str:
    assert start in text and end in text, (start, end)
    return text.split(start, 1)[1].split(end, 1)[0]


@pytest.fixture(scope="module")
def memos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Dossier, str]]:
    out = {}
    for case in CASES:
        folder = tmp_path_factory.mktemp(case)
        made = _memo(case, folder)
        out[case] = (made, _text(made.pdf, folder))
    return out


@pytest.mark.parametrize("case", list(CASES))
def test_the_memo_names_the_exemption_in_words_and_is_an_internal_memo(
    case: str, memos: dict[str, tuple[Dossier, str]]
) -> None:
    made, text = memos[case]
    vi, en = _parts(text)
    app = made.assessment.applicability
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA" not in text and "Độc lập - Tự do" not in text
    assert "TÀI LIỆU NỘI BỘ" in vi and "BẢN GHI NHỚ" in vi
    if app.exemption is not None:
        law = RULES.exemption(app.exemption.code)
        assert _squash(law.label_vi) in vi and _squash(law.label_en.lower()) in en.lower()
        assert vi_citation(law.citations[0], RULES) in vi and law.citations[0] in en
        assert app.exemption.code not in text
    else:
        assert "Không có hoạt động chuyển dữ liệu cá nhân xuyên biên giới" in vi
    # The Vietnamese part speaks Vietnamese: no "Có / Yes", no codes, no key paths.
    for foreign in ("Yes", " No ", "Có / Yes", "recipients[", "transferor.", "data.", "T1", "T2"):
        assert foreign not in vi, foreign
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", vi), re.findall(r"\b[a-z]+_[a-z_]+\b", vi)
    assert "2026-" not in vi  # dates the Vietnamese way
    assert "ngày 22 tháng 11 năm 2026" in vi


@pytest.mark.parametrize("case", list(CASES))
def test_the_memo_lists_exactly_the_duties_that_apply(
    case: str, memos: dict[str, tuple[Dossier, str]], tmp_path: Path
) -> None:
    made, text = memos[case]
    loaded = load_intake(_intake(case, tmp_path))
    memo = build_memo(loaded, made.assessment, RULES)
    assert {d.id for d in memo.duties} == DUTIES[case]
    vi, _ = _parts(text)
    duties = _between(vi, "IV. NGHĨA VỤ VẪN PHẢI THỰC HIỆN", "NGƯỜI LẬP")
    for duty, shown in SHOWN.items():
        if duty in DUTIES[case]:
            assert shown in duties, f"{case}: {duty} ({shown}) is missing"
        else:
            assert shown not in duties, f"{case}: {duty} ({shown}) does not apply"


def test_contrasting_cases_bring_contrasting_duties(memos: dict[str, tuple[Dossier, str]]) -> None:
    hr = _parts(memos["fpt-hr"][1])[0]
    card = _parts(memos["cloudfly"][1])[0]
    # Employees' health data on a processor's cloud: Law 91 Arts 25 and 26, Decree 356 Art 12.
    employees = "Dữ liệu cá nhân của người lao động phải lưu trữ"
    health = "Phải có sự đồng ý của chủ thể dữ liệu cá nhân trong quá trình thu thập"
    cloud = "phải được mã hoá ở trạng thái nghỉ và truyền"
    home = "Doanh nghiệp trong nước lưu trữ dữ liệu"
    for words in (employees, health, cloud):
        assert words in hr and words not in card, words
    # A domestic cloud provider's customers' card data: a copy stays in Vietnam (Decree 333).
    assert home in card and home not in hr


@pytest.mark.parametrize("case", list(CASES))
def test_the_conclusion_is_plain_and_the_memo_is_signed(
    case: str, memos: dict[str, tuple[Dossier, str]]
) -> None:
    _, text = memos[case]
    vi, en = _parts(text)
    conclusion_vi = _between(vi, "III. KẾT LUẬN", "IV. NGHĨA VỤ")
    conclusion_en = _between(en, "III. CONCLUSION", "IV. DUTIES")
    assert "không phải lập hồ sơ" in conclusion_vi.lower() or "Không phải lập hồ sơ" in (
        conclusion_vi
    )
    assert "No transfer impact assessment dossier is required" in conclusion_en
    for words in ("conservative", "thận trọng", "UNCERTAIN"):
        assert words not in conclusion_vi and words not in conclusion_en, words
    for role in ("NGƯỜI LẬP", "NGƯỜI XEM XÉT", "(Ký, ghi rõ họ tên)"):
        assert role in vi, role
    assert "ngày …… tháng …… năm ……" in vi  # blank date lines to fill by hand
    assert "PREPARED BY" in en and "REVIEWED BY" in en


def test_the_facts_relied_on_and_the_justification_are_stated(
    memos: dict[str, tuple[Dossier, str]],
) -> None:
    vi, _ = _parts(memos["cloudfly"][1])
    facts = _between(vi, "II. DỮ KIỆN VÀ CĂN CỨ", "III. KẾT LUẬN")
    assert "Dịch vụ Example Payments Pte. Ltd. cung cấp chuyển tiền, thanh toán Đáp ứng" in facts
    assert "Lý do bên chuyển dữ liệu nêu: Card details are sent only" in facts
    assert f"{count_vi(6500)} người" in vi and "6.500 người" in vi
    assert "Singapore" in vi
    state = _between(_parts(memos["state-agency"][1])[0], "II. DỮ KIỆN", "III. KẾT LUẬN")
    assert "Bên chuyển dữ liệu là Tổ chức Đáp ứng" in state
    assert "Cơ quan nhà nước có thẩm quyền Có Đáp ứng" in state
    inbound = _between(_parts(memos["inbound"][1])[0], "II. DỮ KIỆN", "III. KẾT LUẬN")
    assert "Dữ liệu chỉ được chuyển từ nước ngoài vào Việt Nam" in inbound


def test_a_rejected_claim_is_stated_with_its_reason_in_words(tmp_path: Path) -> None:
    data = changed(
        "cloudfly-card-payments",
        {
            "set": {
                "data.publicised": False,
                "transfer.exemption_claims": [
                    {
                        "code": "contract_travel_logistics_payment",
                        "justification": "Chỉ gửi dữ liệu thẻ để thanh toán đơn hàng.",
                    },
                    {
                        "code": "state_agency",
                        "justification": "Chúng tôi phục vụ cả khách hàng là cơ quan nhà nước.",
                    },
                    {
                        "code": "publicised_data",
                        "justification": "Chính sách quyền riêng tư đã công bố.",
                    },
                ],
            }
        },
    )
    made = _memo("cloudfly", tmp_path, data)
    assert {c.code for c in made.assessment.applicability.rejected_exemption_claims} == {
        "state_agency",
        "publicised_data",
    }
    vi, en = _parts(_text(made.pdf, tmp_path))
    rejected = _between(vi, "Các trường hợp miễn trừ không được chấp nhận", "III. KẾT LUẬN")
    agency = _squash(RULES.exemption("state_agency").label_vi)
    assert agency in rejected and "điểm a khoản 6 Điều 20" in rejected
    assert "Hồ sơ chưa có thông tin về: cơ quan nhà nước có thẩm quyền" in rejected
    assert "Không đáp ứng điều kiện của trường hợp miễn trừ" in rejected
    assert "đã được công khai theo quy định của pháp luật: Không" in rejected
    assert "Chúng tôi phục vụ cả khách hàng là cơ quan nhà nước." in rejected
    assert "state_agency" not in vi and "publicised_data" not in vi
    assert "The file does not state: a competent state agency" in en


def test_names_and_dates_of_preparer_and_reviewer_print_and_verify(tmp_path: Path) -> None:
    path = EXAMPLES / "cloudfly-card-payments" / "intake.yaml"
    loaded = load_intake(path)
    a = assess(loaded, AS_OF)
    signers = MemoSigners("Nguyễn Thị Lan", date(2026, 2, 25), "Trần Văn Minh")
    made = build(loaded, a, read_files(loaded, path.parent), memo_signers=signers)
    vi, en = _parts(_text(made.pdf, tmp_path))
    signed = vi.split("NGƯỜI LẬP", 1)[1]
    assert "Nguyễn Thị Lan ngày 25 tháng 02 năm 2026" in signed
    assert "Trần Văn Minh ngày …… tháng …… năm ……" in signed  # the review date is not known
    assert "Nguyễn Thị Lan 25 February 2026" in en
    assert made.manifest["memo_signers"] == {
        "prepared_by": "Nguyễn Thị Lan",
        "prepared_on": "2026-02-25",
        "reviewed_by": "Trần Văn Minh",
    }
    assert verify(made.pdf).ok  # the names come back from the manifest
    # Without names, the manifest is as before and the lines are blank.
    plain = build(loaded, a, read_files(loaded, path.parent))
    assert "memo_signers" not in plain.manifest


def test_the_memo_verifies(memos: dict[str, tuple[Dossier, str]]) -> None:
    made, _ = memos["state-agency"]
    assert verify(made.pdf).ok
    tampered = bytearray(made.pdf)
    tampered[len(tampered) // 2] ^= 0x01
    assert not verify(bytes(tampered)).ok


def _claim_scenarios() -> list[Path]:
    return sorted(
        p
        for p in SCENARIOS.glob("*.yaml")
        if "exemption_claims" in p.read_text(encoding="utf-8") or p.name.startswith("exemption-")
    )


@pytest.mark.parametrize("path", _claim_scenarios(), ids=lambda p: p.stem)
def test_the_facts_shown_agree_with_the_engines_decision(path: Path, tmp_path: Path) -> None:
    # The memo works out which facts fit for display; the assessment decides. They agree:
    # a fact shown as not met exactly when the test failed, and the facts shown as not
    # stated are exactly those the test found missing.
    sc = yaml.safe_load(path.read_text(encoding="utf-8"))
    if "invalid" in sc["expect"]:
        pytest.skip("an invalid intake has no memo")
    loaded = load_intake(write_intake(sc["base"], changed(sc["base"], sc.get("changes")), tmp_path))
    rules = load_rules(date.fromisoformat(str(sc["as_of"])))
    for result in claim_results(loaded.intake, rules):
        facts = exemption_facts(result.claim.code, loaded.intake, rules)
        assert any(f.fits is False for f in facts) == bool(result.reasons), result
        assert {f.key for f in facts if f.fits is None} == set(result.missing), result


def test_citations_are_written_the_vietnamese_way() -> None:
    assert vi_citation("Decree 356/2025 Art 17(3)(đ)", RULES) == (
        "điểm đ khoản 3 Điều 17 Nghị định số 356/2025/NĐ-CP"
    )
    assert vi_citation("Law 91/2025 Art 20(6)(a)", RULES) == (
        "điểm a khoản 6 Điều 20 Luật Bảo vệ dữ liệu cá nhân số 91/2025/QH15"
    )
    assert vi_citation("Decree 330/2026 Art 56", RULES) == "Điều 56 Nghị định số 330/2026/NĐ-CP"
    assert vi_citation("Decree 356/2025 Form 09 §A.II.8", RULES) == (
        "mục A.II.8 Mẫu số 09 Nghị định số 356/2025/NĐ-CP"
    )
    assert vi_citation("Resolution 22/2026 App I.7 §B.I", RULES) == (
        "mục B.I Phụ lục I.7 Nghị quyết số 22/2026/NQ-CP"
    )
    assert vi_citation("APPI Art 27(5)", RULES) == "APPI Art 27(5)"  # no Vietnamese name kept
    assert vi_citations(
        ["Law 91/2025 Art 20(1)(b)", "Decree 356/2025 Art 4(2)", "Law 91/2025 Art 21(1)"], RULES
    ) == (
        "điểm b khoản 1 Điều 20, khoản 1 Điều 21 Luật Bảo vệ dữ liệu cá nhân số 91/2025/QH15; "
        "khoản 2 Điều 4 Nghị định số 356/2025/NĐ-CP"
    )
    assert (
        count_vi(250000) == "250.000" and date_vi(date(2026, 2, 5)) == "ngày 05 tháng 02 năm 2026"
    )


def _article(citation: str) -> str:
    instrument, _, rest = citation.partition(" Art ")
    data = json.loads(
        SOURCES.joinpath(f"{OFFICIAL[instrument]}.vi.json").read_text(encoding="utf-8")
    )
    number = rest.split("(")[0]
    units = {u["number"]: " ".join(u["paragraphs"]) for u in data["units"]}
    return units[number]


def test_memo_duties_are_worded_as_their_articles() -> None:
    duties = RULES.memo_duties()
    assert len(duties) >= 12
    for d in duties:
        text = _squash(" ".join(_article(c) for c in d.citations)).lower()
        for piece in d.label_vi.split(" … "):
            assert _squash(piece).lower() in text, f"{d.id}: {piece!r} is not in {d.citations}"
    # Each duty that follows a finding follows one the engine raises.
    findings = (Path(__file__).parent.parent / "dtia" / "findings.py").read_text(encoding="utf-8")
    for d in duties:
        if d.finding is not None:
            assert f'"{d.finding}"' in findings, d.id


def test_uncertain_exemptions_say_so_in_vietnamese_too() -> None:
    for e in RULES.exemptions():
        assert (e.uncertain is None) == (e.uncertain_vi is None), e.code


def test_the_command_line_names_the_preparer_and_the_reviewer(tmp_path: Path) -> None:
    from tests.test_cli import run

    card = str(EXAMPLES / "cloudfly-card-payments" / "intake.yaml")
    out = tmp_path / "o"
    made = run(
        "dossier", card, "--as-of", "2026-11-22", "--out", str(out),
        "--prepared-by", "Nguyễn Thị Lan", "--prepared-on", "2026-11-23",
        "--reviewed-by", "Trần Văn Minh",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    memo = out / "exemption-memo.pdf"
    vi, _ = _parts(_text(memo.read_bytes(), tmp_path))
    assert "Nguyễn Thị Lan ngày 23 tháng 11 năm 2026" in vi and "Trần Văn Minh" in vi
    checked = run("dossier", "verify", str(memo))
    assert checked.returncode == 0 and "verified" in checked.stdout, checked.stderr
    bad = run("dossier", card, "--out", str(out), "--reviewed-on", "23/11/2026")
    assert bad.returncode != 0 and "--reviewed-on '23/11/2026' is not a date" in bad.stderr
    assert "Traceback" not in bad.stderr
    misplaced = run("dossier", "verify", str(memo), "--prepared-by", "X")
    assert misplaced.returncode != 0 and "only when building from an intake" in misplaced.stderr


def _memo_scenarios() -> list[Path]:
    """Scenarios whose transfer needs no dossier (the expectation says so)."""
    out = []
    for p in sorted(SCENARIOS.glob("*.yaml")):
        expect = yaml.safe_load(p.read_text(encoding="utf-8"))["expect"]
        if expect.get("dossier_required") is False:
            out.append(p)
    return out


@pytest.mark.parametrize("path", _memo_scenarios(), ids=lambda p: p.stem)
def test_every_memo_speaks_vietnamese_first(path: Path, tmp_path: Path) -> None:
    from dtia.dossier.render import render_memo_html

    sc = yaml.safe_load(path.read_text(encoding="utf-8"))
    as_of = date.fromisoformat(str(sc["as_of"]))
    loaded = load_intake(write_intake(sc["base"], changed(sc["base"], sc.get("changes")), tmp_path))
    a = assess(loaded, as_of)
    html = render_memo_html(build_memo(loaded, a, load_rules(as_of)))
    vi = re.sub(r"<[^>]+>", " ", html.split("<body>", 1)[1].split("INTERNAL DOCUMENT", 1)[0])
    assert "TÀI LIỆU NỘI BỘ" in vi and "CỘNG HÒA XÃ HỘI CHỦ NGHĨA" not in html
    assert not re.findall(r"\b[a-z]+_[a-z_]+\b", vi), path.stem  # no codes
    assert not re.findall(r"\b[a-z_]+(?:\[\d*\])?\.[a-z_]+\b", vi), path.stem  # no key paths
    assert not re.search(r"\b(?:Yes|No|Art)\b", vi), path.stem
    code = a.applicability.exemption.code if a.applicability.exemption else ""
    if "_" in code:  # "emergency" is also an English word
        assert code not in html
