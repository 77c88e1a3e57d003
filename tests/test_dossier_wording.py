"""The filed dossier's Vietnamese: every official label of Forms 01a, 01b and 09 printed,
the values the dossier writes in Vietnamese, the limbs declared and Art 18(3) complete."""

from __future__ import annotations

import ast
import dataclasses
import logging
import re
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from dtia import vietnamese as vn
from dtia.dossier.render import render_filing_html, render_pdf
from dtia.dossier.view import DossierView, Item, Text2, build_view
from dtia.engine import assess
from dtia.intake import load_intake
from dtia.law import law_files, load_rules
from tests.support import EXAMPLES, changed, tiny_pdf, write_intake

AS_OF = date(2026, 11, 22)
ROOT = Path(__file__).resolve().parent.parent
FPT = "fpt-smart-cloud-to-fpt-japan"

# The FPT example with everything Form 01a, Form 09 and Decree 356 Art 18(3) ask for.
COMPLETE: dict[str, Any] = {
    "set": {
        "transferor.legal_representative": {"name": "Lê Văn C", "title": "Tổng Giám đốc"},
        "transferor.registration": {
            "number": "0100000001",
            "issuer": "Sở Kế hoạch và Đầu tư thành phố Hà Nội",
            "issued_on": "2018-03-15",
            "place": "Hà Nội",
        },
        "transferor.pdp.unit_phone": "024 7300 0001",
        "transferor.pdp.unit_email": "pdp@example.fptcloud.invalid",
        "transferor.pdp.qualification_documents": ["attachments/dpo-qualifications.pdf"],
        "business.current_practice": "Dữ liệu được xử lý trên nền tảng tại Hà Nội.",
        "recipients[0].safeguards": {
            "attested_by": "Trần Thị B",
            "attested_on": "2026-10-01",
            "encryption_in_transit": True,
            "encryption_at_rest": True,
            "access_control": "Phân quyền theo vai trò",
            "onward_transfer_controls": "Chỉ chuyển tiếp cho công ty trong tập đoàn",
            "incident_notification_hours": 48,
            "data_subject_request_days": 14,
            "certifications": [
                {"name": "ISO/IEC 27001", "issuer": "JQA", "expires_on": "2027-06-30"}
            ],
        },
        "other_parties": [
            {
                "id": "agent-vn",
                "role": "on_behalf",
                "name": "Công ty Cổ phần Trung gian Ví dụ",
                "country": "VN",
                "pdp_contact": {"name": "Phạm Văn D", "email": "dpo@agent.invalid"},
                "service": "Vận hành việc tải dữ liệu hằng đêm",
            },
            {
                "id": "auditor",
                "role": "other",
                "name": "Công ty Kiểm toán Ví dụ",
                "country": "SG",
                "pdp_contact": {"name": "Hoàng Thị E", "email": "privacy@audit.invalid"},
                "service": "Kiểm toán hằng năm",
            },
        ],
        "attachments": [
            {
                "title": "Thỏa thuận sử dụng chung FSC-FJH-JU-2026-01",
                "path": "attachments/joint-use-agreement.pdf",
                "kind": "contract",
            },
            {
                "title": "Quyết định chỉ định nhân sự bảo vệ dữ liệu cá nhân",
                "path": "attachments/dpo-appointment.pdf",
                "kind": "dpo_appointment",
            },
            {
                "title": "Bằng cấp và chứng chỉ đào tạo của nhân sự bảo vệ dữ liệu cá nhân",
                "path": "attachments/dpo-qualifications.pdf",
                "kind": "dpo_appointment",
            },
        ],
    }
}


def _write(name: str, changes: dict[str, Any], folder: Path) -> Path:
    path = write_intake(name, changed(name, changes), folder)
    (path.parent / "attachments" / "dpo-qualifications.pdf").write_bytes(tiny_pdf())
    return path


def _text_of(pdf: bytes, folder: Path) -> str:
    path = folder / "d.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(
        ["pdftotext", "-raw", str(path), "-"], capture_output=True, text=True, check=True
    )
    return " ".join(out.stdout.split())


def _render(path: Path, folder: Path) -> tuple[DossierView, str]:
    loaded = load_intake(path)
    a = assess(loaded, AS_OF)
    view = build_view(loaded, a, load_rules(AS_OF))
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    pdf = render_pdf(render_filing_html(view), as_of=AS_OF, attachments=[])
    text = _text_of(pdf, folder)
    vietnamese, _, _ = text.partition("ENGLISH ANNEX")
    return view, vietnamese


@pytest.fixture(scope="module")
def complete(tmp_path_factory: pytest.TempPathFactory) -> tuple[DossierView, str]:
    folder = tmp_path_factory.mktemp("complete")
    return _render(_write(FPT, COMPLETE, folder), folder)


def _squashed(text: str) -> str:
    """Without blanks, dots or spaces: table cells wrap words across lines."""
    return re.sub(r"[\s.…]+", "", text)


def _printed(label: str, text: str) -> bool:
    flat = _squashed(text)
    piece = _squashed(label)
    return any(v in flat for v in (piece, piece[:1].upper() + piece[1:]))


# Wording of the data the complete FPT dossier does not print, and why.
NOT_FOR_THIS_DOSSIER = {
    # §A.I.8.1 and 8.2 print their headings and "Không có": FPT's DPO is internal (8.3).
    *(f"pdp_org_{k}" for k in ("name", "tax_code", "representative", "address", "phone")),
    *(f"pdp_org_{k}" for k in ("email", "website")),
    *(f"pdp_person_{k}" for k in ("no", "name", "workplace", "phone", "email")),
    "pdp_service_contract",
    # Form 01a: the footnote explaining the blank the organisation's name fills, and the
    # "TM. TỔ CHỨC, DOANH NGHIỆP" placeholder, filled with the name.
    "footnote_name",
    "signature_title",
    # The first analysis step of §A.III.2.2/2.3: written by the §A.III module.
    "step_1_system",
}


def _labels(form: str, skip: set[str]) -> list[tuple[str, str]]:
    files, _ = law_files()
    found = [
        (f"{t.form}:{t.key}", piece)
        for t in files.form_texts
        if t.form in (form, "any") and t.key not in skip
        for piece in t.text_vi.split("{name}")
        if piece.strip()
    ]
    if form == "09":
        for item in (*files.form09_fields, *files.form09_sections):
            found.append((item.id, item.label_vi))
            if item.note_vi:
                found.append((f"{item.id} note", item.note_vi))
        for cat in (
            *files.basic_data,
            *files.sensitive_data,
            *files.processing_services,
            *files.activities,
        ):
            found.append((cat.code, cat.label_vi))
    return found


@pytest.mark.parametrize("form", ["01a", "09"])
def test_every_official_label_is_printed_in_the_vietnamese_part(
    form: str, complete: tuple[DossierView, str]
) -> None:
    _, text = complete
    labels = _labels(form, NOT_FOR_THIS_DOSSIER)
    assert len(labels) > (30 if form == "01a" else 150)
    missing = [key for key, label in labels if not _printed(label, text)]
    assert missing == []


def test_the_individual_s_cover_prints_every_label_of_form_01b(tmp_path: Path) -> None:
    changes = {
        "set": {
            **COMPLETE["set"],
            "transferor.kind": "individual",
            "transferor.id_number": "001099000001",
            "transferor.name_vi": "Trần Văn Ẩn",
        },
        "remove": ["transferor.tax_code", "transferor.business_lines"],
    }
    view, text = _render(_write(FPT, changes, tmp_path), tmp_path)
    assert view.cover.form == "01b"
    missing = [key for key, label in _labels("01b", set()) if not _printed(label, text)]
    assert missing == []
    assert "001099000001 cấp ngày 15/03/2018 tại Hà Nội" in text


def test_the_cover_is_filled_and_never_dated_with_as_of(complete: tuple[DossierView, str]) -> None:
    _, text = complete
    assert text.startswith("Mẫu số 01a CÔNG TY TNHH FPT SMART")  # the label tops the page
    assert "TM. CÔNG TY TNHH FPT SMART CLOUD" in text and "TM. TỔ CHỨC" not in text
    assert "Hà Nội, ngày … tháng … năm …" in text
    assert vn.day(AS_OF) not in text and "22/11/2026" not in text
    assert (
        "0100000001 do Sở Kế hoạch và Đầu tư thành phố Hà Nội cấp ngày 15 tháng 03 năm 2018 "
        "tại Hà Nội" in text
    )
    assert "Lê Văn C Tổng Giám đốc" in text
    assert (
        "a) Báo cáo đánh giá tác động chuyển dữ liệu cá nhân xuyên biên giới theo Mẫu số 09" in text
    )
    assert "b) Bản sao hợp đồng FSC-FJH-JU-2026-01 với" in text


def test_decree_356_article_18_3_items_are_printed(complete: tuple[DossierView, str]) -> None:
    _, text = complete
    for words in (
        # (a) the recipient's address, beside its name in Part B.II
        "Địa chỉ: 東京都港区三田3丁目5−19",
        # (d) how consent is obtained
        "Việc thực hiện xin sự đồng ý của chủ thể dữ liệu cá nhân: Consent collected",
        # (g) the onward-transfer procedure: the rule, the recipient's controls, the clause
        "Bên nhận được chuyển tiếp dữ liệu: Có",
        "Kiểm soát việc chuyển tiếp dữ liệu: Chỉ chuyển tiếp cho công ty trong tập đoàn",
        "Hợp đồng số FSC-FJH-JU-2026-01 có điều khoản kiểm soát",
        # (i) the recipient's processing, storage and security plan, from its answers
        "Mã hóa khi truyền: Có; mã hóa khi lưu trữ: Có",
        "Thông báo sự cố cho bên chuyển trong vòng 48 giờ",
        "Chứng nhận ISO/IEC 27001 do JQA cấp",
        # the DPO's appointment and the proof of the Art 13(2) conditions
        "Quyết định chỉ định nhân sự bảo vệ dữ liệu cá nhân",
        "Bằng cấp và chứng chỉ đào tạo của nhân sự bảo vệ dữ liệu cá nhân",
    ):
        assert _squashed(words) in _squashed(text), words


def test_part_b_has_every_section_and_the_roles_in_law_91_terms(
    complete: tuple[DossierView, str], tmp_path: Path
) -> None:
    view, text = complete
    assert [s.id for s in view.part_b] == ["B.I", "B.II", "B.III"]
    assert "Bên kiểm soát dữ liệu cá nhân; Nhật Bản" in text
    # (the filer's own text may say "joint use"; the role is printed in the Law's words)
    assert "joint controller" not in text.lower() and "joint_controller" not in text
    # A transfer with no party of B.I's or B.III's kind still prints them: "Không có".
    bare, _ = _render(EXAMPLES / FPT / "intake.yaml", tmp_path)
    for section in bare.part_b:
        if section.id != "B.II":
            assert section.items[-1].text == [Text2("Không có", "None")], section.id


def _boxes(view: DossierView) -> dict[str, bool]:
    (a_ii,) = [s for s in view.part_a if s.id == "A.II"]
    return {
        c.label.vi.split(" ")[0]: c.ticked
        for i in a_ii.items
        if i.kind == "boxes" and len(i.checks) == 1
        for c in i.checks
    }


def test_a_sending_to_a_controller_abroad_is_declared_under_1_5(
    complete: tuple[DossierView, str], tmp_path: Path
) -> None:
    view, text = complete
    assert _boxes(view) == {"1.1.": False, "1.2.": False, "1.3.": True, "1.4.": False, "1.5.": True}
    declared = text[text.index("1.5. Trường hợp khác (nêu cụ thể)") :]
    assert declared.index("điểm b khoản 1 Điều 20 Luật Bảo vệ dữ liệu cá nhân") < 200
    assert "bên kiểm soát dữ liệu cá nhân tại Nhật Bản" in declared
    assert "Hai bên sử dụng chung dữ liệu theo cả hai chiều" in declared  # direction: both
    assert "Visitors of the Japanese website 38.000" in declared
    # A processor on a foreign cloud is no T2 sending: nothing under 1.5.
    loaded = load_intake(EXAMPLES / "cloudspace-offsite-backups" / "intake.yaml")
    cloud = build_view(loaded, assess(loaded, AS_OF), load_rules(AS_OF))
    assert _boxes(cloud)["1.5."] is False and _boxes(cloud)["1.2."] is True


def test_a_ii_8_answers_as_the_services_ticked(tmp_path: Path) -> None:
    changes = {
        "set": {
            "business.processing_service_business": False,
            "business.processing_services": ["analytics_mining"],
        }
    }
    loaded = load_intake(write_intake(FPT, changed(FPT, changes), tmp_path))
    view = build_view(loaded, assess(loaded, AS_OF), load_rules(AS_OF))
    (a_ii,) = [s for s in view.part_a if s.id == "A.II"]
    headings = [i.heading.vi if i.heading else "" for i in a_ii.items]
    at = next(n for n, h in enumerate(headings) if h.startswith("8 Kinh doanh"))
    yes, no = a_ii.items[at + 1].checks
    assert (yes.label.vi, yes.ticked, no.ticked) == ("Có", True, False)


def _values(node: object) -> list[Text2]:
    """Every Text2 of the view: the labels and the values the dossier writes itself."""
    if isinstance(node, Text2):
        return [node]
    if isinstance(node, (list, tuple)):
        return [t for n in node for t in _values(n)]
    if isinstance(node, dict):
        return [t for n in node.values() for t in _values(n)]
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        return [t for f in dataclasses.fields(node) for t in _values(getattr(node, f.name))]
    return []


def _strings(node: object) -> set[str]:
    if isinstance(node, str):
        return {node.strip()} if len(node.strip()) > 3 else set()
    if isinstance(node, dict):
        return {s for v in node.values() for s in _strings(v)}
    if isinstance(node, list):
        return {s for v in node for s in _strings(v)}
    return set()


ENGLISH = re.compile(
    r"\b(the|of|and|to|by|people|Yes|No|Missing|Stated|Attested|hours|days|valid|until|"
    r"joint|controller|processor|Encryption|Contract|None|Not provided)\b"
)


def test_the_vietnamese_the_dossier_writes_has_no_english(
    complete: tuple[DossierView, str],
) -> None:
    view, text = complete
    written = _values([view.cover, view.part_a, view.part_b])
    assert len(written) > 200
    # The filer's own text (English in this example) is theirs: what is left is the dossier's.
    own = sorted(_strings(changed(FPT, COMPLETE)), key=len, reverse=True)

    def dossier_words(vi: str) -> str:
        for given in own:
            vi = vi.replace(given, " ")
        return vi

    english = sorted({t.vi for t in written if ENGLISH.search(dossier_words(t.vi))})
    assert english == []
    # and the English annex has them in English
    assert any(t.en.startswith("Encryption in transit: Yes") for t in written)
    for code in ("joint_controller", "; JP", "Có / Yes", "Không / No"):
        assert code not in text, code


def test_view_py_holds_no_vietnamese_label() -> None:
    # Labels are law data, checked verbatim against the official text: a Vietnamese string
    # literal in the view would escape that check.
    tree = ast.parse((ROOT / "dtia" / "dossier" / "view.py").read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    literals = [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
        if id(node) not in docstrings
    ]
    assert len(literals) > 50  # the walk sees the code's strings
    vietnamese = [s for s in literals if any(ch.isalpha() and ord(ch) > 127 for ch in s)]
    assert vietnamese == []


def test_numbers_dates_and_countries_are_written_the_vietnamese_way() -> None:
    vocabulary = law_files()[0].vocabulary
    assert vn.number(250000) == "250.000" and vn.number(250000, "en") == "250,000"
    assert vn.day(date(2026, 2, 25)) == "ngày 25 tháng 02 năm 2026"
    assert vn.day(date(2026, 2, 25), word=False) == "25 tháng 02 năm 2026"
    assert vn.short_day(date(2026, 2, 5)) == "05/02/2026"
    names = vocabulary.countries
    assert [vn.country(c, names) for c in ("JP", "KR", "US", "DE")] == [
        "Nhật Bản",
        "Hàn Quốc",
        "Hoa Kỳ",
        "Đức",  # the ISO catalogue's own name
    ]
    assert vn.country("JP", names, "en") == "Japan"
    assert vn.yes_no(True, vocabulary) == "Có" and vn.yes_no(False, vocabulary, "en") == "No"
    assert vn.frequency("Yearly", vocabulary) == "hằng năm"
    assert vn.frequency("after each release", vocabulary) is None


def test_item_kinds_are_the_template_s() -> None:
    # Every kind the view builds is one the template renders.
    template = (ROOT / "templates" / "_form09.html.j2").read_text(encoding="utf-8")
    kinds = Item.__dataclass_fields__["kind"].type
    for kind in re.findall(r'"(\w+)"', str(kinds)):
        assert f'it.kind == "{kind}"' in template, kind
