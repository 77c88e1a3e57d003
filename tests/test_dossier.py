"""The dossier PDF, read back as a user (and an inspector) would: text, fonts, safety."""

from __future__ import annotations

import dataclasses
import logging
import re
import subprocess
import unicodedata
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from dtia.dossier.build import filing_html, review_html
from dtia.dossier.render import render_pdf
from dtia.engine import assess
from dtia.intake import LoadedIntake, load_intake
from dtia.law import load_rules
from dtia.localtext import LocalText
from tests.support import EXAMPLES, changed, split_path, write_intake

AS_OF = date(2026, 11, 22)


def render(
    intake_path: Path, caplog: pytest.LogCaptureFixture, *, filing: bool = False
) -> bytes:
    """The review pack (with ``filing``, the filing pack or its draft)."""
    return render_loaded(load_intake(intake_path), caplog, filing=filing)


def render_loaded(
    loaded: LoadedIntake, caplog: pytest.LogCaptureFixture, *, filing: bool = False
) -> bytes:
    a = assess(loaded, AS_OF)
    html = (filing_html if filing else review_html)(loaded, a, load_rules(AS_OF))
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        pdf = render_pdf(
            html,
            as_of=AS_OF,
            attachments=[("assessment.json", a.to_json().encode(), "assessment")],
        )
    problems = [r.getMessage() for r in caplog.records if r.name.startswith("weasyprint")]
    assert problems == [], problems  # any renderer warning is a defect
    return pdf


def text_of(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "d.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(
        ["pdftotext", "-raw", str(path), "-"], capture_output=True, text=True, check=True
    )
    return " ".join(out.stdout.split())


def fonts_of(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "f.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdffonts", str(path)], capture_output=True, text=True, check=True
    ).stdout


def test_fpt_dossier_prints_the_official_form(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    pdf = render(EXAMPLES / "fpt-smart-cloud-to-fpt-japan" / "intake.yaml", caplog)
    text = text_of(pdf, tmp_path)
    for heading in (
        "THÔNG BÁO GỬI HỒ SƠ ĐÁNH GIÁ TÁC ĐỘNG CHUYỂN DỮ LIỆU CÁ NHÂN XUYÊN BIÊN GIỚI",
        "Kính gửi: Cơ quan chuyên trách bảo vệ dữ liệu cá nhân, Bộ Công an.",
        "THÔNG TIN CƠ BẢN CỦA BÊN CHUYỂN",
        "HOẠT ĐỘNG CHUYỂN DỮ LIỆU CÁ NHÂN XUYÊN BIÊN GIỚI",
        "Tác động đến an ninh quốc gia, trật tự an toàn xã hội",
        "THÔNG TIN CỦA BÊN NHẬN DỮ LIỆU CÁ NHÂN XUYÊN BIÊN GIỚI",
        "Công ty TNHH FPT Smart Cloud",
        "Dữ liệu theo dõi hành vi",
        "38.000",
        "ENGLISH ANNEX",
        "Tái nhận dạng chủ thể dữ liệu từ dữ liệu hành vi, vị trí",
    ):
        assert heading in text, heading
    assert "FPTジャパンホールディングス株式会社" in text
    assert "CJK-JP" in fonts_of(
        pdf, tmp_path
    )  # pdftotext cannot see tofu; the font must be embedded


def test_markup_in_input_prints_literally_and_loads_nothing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    evil = (
        '<img src="file:///etc/hostname"> <link rel="stylesheet" href="http://127.0.0.1:9/x.css">'
    )
    data = changed("bizfly-cloud-support-desk", {"set": {"recipients[0].name": evil}})
    pdf = render(write_intake("bizfly-cloud-support-desk", data, tmp_path), caplog)
    text = text_of(pdf, tmp_path)
    assert '<img src="file:///etc/hostname">' in text
    hostname = Path("/etc/hostname").read_text().strip() if Path("/etc/hostname").exists() else ""
    if hostname:
        assert hostname not in text.replace(evil, "")


def test_national_security_section_only_when_required(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    pdf = render(EXAMPLES / "bizfly-cloud-support-desk" / "intake.yaml", caplog)
    assert "Tác động đến an ninh quốc gia" not in text_of(pdf, tmp_path)


def _build(name: str, data: dict[str, object] | None = None, tmp_path: Path | None = None):  # type: ignore[no-untyped-def]
    from dtia.dossier.build import build, read_files

    path = EXAMPLES / name / "intake.yaml"
    if data is not None:
        assert tmp_path is not None
        path = write_intake(name, data, tmp_path)
    loaded = load_intake(path)
    return build(loaded, assess(loaded, AS_OF), read_files(loaded, path.parent))


def test_the_same_assessment_gives_the_same_bytes_and_verifies() -> None:
    from dtia.dossier.build import embedded_files, verify

    first = _build("cloudspace-offsite-backups")
    second = _build("cloudspace-offsite-backups")
    assert first.kind == "review" and first.pdf == second.pdf
    assert first.filing is not None and second.filing is not None
    assert first.filing.pdf == second.filing.pdf
    files = embedded_files(first.pdf)
    assert {
        "intake.json",
        "assessment.json",
        "manifest.json",
        "attachments/pdp-service-contract.pdf",
        "policies/cloudspace-privacy-policy.en.txt",
    } <= set(files)
    assert files["assessment.json"].decode() == first.assessment.to_json()
    assert verify(first.pdf).ok
    tampered = bytearray(first.pdf)
    tampered[len(tampered) // 3] ^= 0x01
    assert not verify(bytes(tampered)).ok


@pytest.mark.parametrize("name", ["fpt-smart-cloud-hr-on-cloud", "cloudfly-card-payments"])
def test_exempt_transfers_get_the_memo(name: str, tmp_path: Path) -> None:
    made = _build(name)
    assert made.kind == "exemption-memo" and made.filename == "exemption-memo.pdf"
    text = text_of(made.pdf, tmp_path)
    code = made.assessment.applicability.exemption
    assert code is not None
    # Named in words, cited in both languages, never by its code.
    assert code.code not in text and code.citations[0] in text
    assert "BẢN GHI NHỚ" in text and "TÀI LIỆU NỘI BỘ" in text


def test_an_individual_files_with_form_01b(tmp_path: Path) -> None:
    data = changed(
        "bizfly-cloud-support-desk",
        {
            "set": {
                "transferor.kind": "individual",
                "transferor.id_number": "001099000001",
                "transferor.name_vi": "Trần Văn Ẩn",
            },
            "remove": ["transferor.tax_code", "transferor.business_lines"],
        },
    )
    made = _build("bizfly-cloud-support-desk", data, tmp_path)
    text = text_of(made.pdf, tmp_path)
    assert "Mẫu số 01b" in text and "Thông tin về người nộp hồ sơ" in text and "Trần Văn Ẩn" in text
    assert "NGƯỜI NỘP HỒ SƠ" in text and "Mẫu số 01a" not in text


def test_every_form_09_label_is_printed_for_a_complete_intake(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data = changed(
        "cloudspace-offsite-backups",
        {
            "set": {
                "other_parties": [
                    {
                        "id": "agent-vn",
                        "role": "on_behalf",
                        "name": "Example Transfer Agent JSC",
                        "country": "SG",
                        "pdp_contact": {"name": "DPO", "email": "dpo@agent.invalid"},
                        "service": "Runs the nightly upload",
                    },
                    {
                        "id": "auditor",
                        "role": "other",
                        "name": "Example Audit Co.",
                        "country": "SG",
                        "pdp_contact": {"name": "Privacy", "email": "privacy@audit.invalid"},
                        "service": "Yearly audit",
                    },
                ],
            }
        },
    )
    pdf = render(write_intake("cloudspace-offsite-backups", data, tmp_path), caplog)
    text = text_of(pdf, tmp_path)
    rules = load_rules(AS_OF)
    assessment = assess(load_intake(tmp_path / "cloudspace-offsite-backups" / "intake.yaml"), AS_OF)
    for section in rules.sections():
        assert section.label_vi in text, section.id
    skip = {"A.I.8.2", "A.I.8.3"}  # this transferor uses an external organisation (A.I.8.1)
    for f in rules.fields():
        if f.id in skip or (
            f.id == "A.III.2.3" and "A.III.2.3" not in assessment.required_sections
        ):
            continue
        assert " ".join(f.label_vi.split()) in text, f.id


def _cloud_rows(name: str, data: dict[str, object] | None, tmp_path: Path) -> list[str]:
    from dtia.dossier.analysis import write_analysis
    from dtia.facts import derive_facts

    path = EXAMPLES / name / "intake.yaml" if data is None else write_intake(name, data, tmp_path)
    loaded = load_intake(path)
    rules = load_rules(AS_OF)
    analysis = write_analysis(derive_facts(loaded, rules), assess(loaded, AS_OF), rules)
    return [
        p.vi
        for b in analysis.section("A.III.3.3").blocks
        for p in b.paras
        if "dịch vụ điện toán đám mây" in p.vi
    ]


def test_section_a_iii_3_shows_the_cloud_clauses_only_for_a_cloud_provider(tmp_path: Path) -> None:
    # Cloudspace's backup provider is a processor on a foreign cloud: Art 12(2) binds it.
    (row,) = _cloud_rows("cloudspace-offsite-backups", None, tmp_path)
    assert "theo các nội dung quy định tại điểm a," in row and "điểm g" in row
    assert "khoản 2 Điều 12 Nghị định số 356/2025/NĐ-CP" in row
    # FPT Japan Holdings uses the data for its own purposes: never the transferor's cloud provider.
    on_cloud = changed(
        "fpt-smart-cloud-to-fpt-japan", {"set": {"transfer.activities": ["foreign_cloud"]}}
    )
    assert _cloud_rows("fpt-smart-cloud-to-fpt-japan", on_cloud, tmp_path) == []


# --- long free text: laid out in time linear in its length, and kept on the page ----------
# The texts are set past intake validation: whatever lengths intake allows, the renderer must
# cope with any text it is given.

THORN = "þ"  # in no label or example: counting it counts the long value's own characters
_WORD = re.compile(
    r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>'
)
_PAGE = re.compile(r'<page width="([\d.]+)"')


def _with_text(changes: dict[str, str]) -> LoadedIntake:
    """The Bizfly example with free-text fields replaced, intake's checks bypassed."""

    def put(node: Any, parts: list[str | int], value: str) -> Any:
        head, rest = parts[0], parts[1:]
        here = node[head] if isinstance(head, int) else getattr(node, head)
        if rest:
            new = put(here, rest, value)
        elif isinstance(here, LocalText):  # free text keeps its type, unchecked like the rest
            new = LocalText.model_construct(vi=value, en=None)
        else:
            new = value
        if isinstance(head, int):
            return [new if i == head else item for i, item in enumerate(node)]
        return node.model_copy(update={head: new})

    loaded = load_intake(EXAMPLES / "bizfly-cloud-support-desk" / "intake.yaml")
    intake = loaded.intake
    for key, value in changes.items():
        intake = put(intake, split_path(key), value)
    return dataclasses.replace(loaded, intake=intake)


def _html(loaded: LoadedIntake) -> str:
    return review_html(loaded, assess(loaded, AS_OF), load_rules(AS_OF))


def _layout_work(loaded: LoadedIntake, monkeypatch: pytest.MonkeyPatch) -> float:
    """How many times, on average, each character of the long value is handed to Pango.

    WeasyPrint sets every piece of text it lays out or measures into a Pango layout
    (``Layout.set_text``): counting the value's characters there counts the layout work it
    costs, deterministically, where a timing would not be."""
    from weasyprint.text import line_break

    html = _html(loaded)
    seen = 0
    original = line_break.Layout.set_text

    def counting(self: object, text: str, *args: object, **kwargs: object) -> object:
        nonlocal seen
        seen += text.count(THORN)
        return original(self, text, *args, **kwargs)

    monkeypatch.setattr(line_break.Layout, "set_text", counting)
    render_pdf(html, as_of=AS_OF, attachments=[])
    monkeypatch.undo()
    return seen / html.count(THORN)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        # many words in a form row (and the lists that quote it): a flex row was laid out
        # again from its start on every page it spans
        ("security.measures", lambda n: " ".join(["þe", "data", "is", "encrypted"] * n)),
        # one unbroken token in a table cell: measured once per break opportunity
        ("flows[0].purpose", lambda n: "þ0123456789abcdef" * n),
    ],
    ids=["words-in-a-row", "token-in-a-table"],
)
def test_a_long_value_costs_layout_work_linear_in_its_length(
    key: str, value: Callable[[int], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    short = _layout_work(_with_text({key: value(125)}), monkeypatch)
    long = _layout_work(_with_text({key: value(500)}), monkeypatch)
    # linear: each character costs the same whatever the length (quadratic: 4 times the text,
    # each character laid out more and more often)
    assert long <= 1.15 * short, (short, long)


def test_a_long_unbroken_token_wraps_inside_the_page(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    token = "JJJJ" + "KQVWXZ" * 250  # 1,504 characters, no break opportunity of its own
    loaded = _with_text({"security.measures": token, "flows[0].purpose": token})
    pdf = render_loaded(loaded, caplog)
    copies = _html(loaded).count("JJJJ")
    assert copies >= 4  # form rows, the lists quoting the measures, the flows table
    path = tmp_path / "long.pdf"
    path.write_bytes(pdf)
    boxes = subprocess.run(
        ["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    right_edge = float(_PAGE.findall(boxes)[0]) - 20 / 25.4 * 72  # the page's 20 mm margin
    pieces = []
    for x_min, x_max, word in _WORD.findall(boxes):
        assert float(x_min) >= 0 and float(x_max) <= right_edge + 0.5, (word[:40], x_max)
        # the analysis quotes the text inside its sentences: a piece may end a clause
        piece = word.replace("\u200b", "").strip(".;,:()")
        if set(piece) <= set("JKQVWXZ") and len(piece) > 1:
            pieces.append(piece)
    # every character printed, on lines that fit: the copies read back whole, in order
    assert "".join(pieces) == token * copies


def test_breakable_only_touches_long_runs_and_keeps_graphemes_whole() -> None:
    from markupsafe import Markup

    from dtia.dossier.render import breakable

    normal = "privacy@example-helpdesk.invalid recipients[0].safeguards.certifications[1] <b>"
    assert breakable(normal) == normal  # left to autoescaping, unchanged
    assert breakable(Markup("<i>" + "x" * 100 + "</i>")) == Markup("<i>" + "x" * 100 + "</i>")
    assert breakable(7) == 7
    nfd = unicodedata.normalize("NFD", "Nguyễn") * 20  # marks follow their letters
    out = str(breakable("<" + nfd + ">"))
    assert "<" not in out.replace("<wbr>", "") and out.startswith("&lt;")
    pieces = re.split("\u200b|<wbr>", out.removeprefix("&lt;").removesuffix("&gt;"))
    assert "".join(pieces) == nfd and len(pieces) > 1
    assert all(not unicodedata.combining(p[0]) for p in pieces)
    assert "<wbr>" in str(breakable("y" * 1000))  # a box of its own every few hundred characters
    assert "\u200b" in str(breakable("a\u00a0" * 40))  # no-break spaces offer no break either


def test_the_filed_dossier_prints_no_sanction_and_no_lateness(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Cloudspace is late, its findings draw Decree 330 fines and its backups the Decree 333
    # storage duty: the review pack says all that, the filing pack (here its draft) none of it.
    path = EXAMPLES / "cloudspace-offsite-backups" / "intake.yaml"
    a = assess(load_intake(path), AS_OF)
    assert a.exposure and any(f.id == "C1.filing-overdue" for f in a.findings)
    review = " ".join(text_of(render(path, caplog), tmp_path).split())
    for word in ("C7.contract-copy-missing", "C1.filing-overdue", "Sanctions exposure", "VND"):
        assert word.replace(" ", "") in review.replace(" ", ""), word  # codes wrap in cells
    text = text_of(render(path, caplog, filing=True), tmp_path)
    assert "BẢNNHÁP–chưanộp" in text.replace(" ", "")  # the watermark, set diagonally
    for word in (
        "C7.contract-copy-missing",
        "Phát hiện / Findings",
        "Rủi ro vốn có",
        "overdue",
        "Nghị định 330",
        "Nghị định số 330",
        "Decree 330",
        "330/2026",
        "Decree 333",
        "C1.filing-overdue",
        "the dossier is late",
        "VND",
        "30,000,000",
        "30.000.000",
        "50,000,000",
        "100,000,000",
        "of revenue",
        "fine",
    ):
        assert word not in text, word


def test_the_memo_keeps_the_continuing_duties_the_route_and_the_exposure(tmp_path: Path) -> None:
    made = _build("cloudfly-card-payments")
    assert made.kind == "exemption-memo"
    text = text_of(made.pdf, tmp_path)
    for words in (
        "DUTIES THAT STILL APPLY",
        "điểm e khoản 1 Điều 56 Nghị định số 330/2026/NĐ-CP",  # the recipient's contact
        "điểm g khoản 1 Điều 56 Nghị định số 330/2026/NĐ-CP",  # onward transfers controlled
        "khoản 4 Điều 23 Luật Bảo vệ dữ liệu cá nhân",  # a breach at the recipient acted on
        # card data of a cloud provider's customers stays in Vietnam
        "khoản 2 Điều 19, khoản 5 Điều 19 Nghị định số 333/2026/NĐ-CP",
        "Bộ Công an",  # where a dossier would go, should the exemption cease to hold
        "Resolution 22/2026 App I.7 §B.I",
        "Sanctions exposure",
        "Decree 330/2026 Art 56(2)(a)",  # no contract with the payment gateway
        "VND 50,000,000–100,000,000",
        "1 year",
    ):
        # Table cells wrap words and ids across lines: compare without the spaces.
        assert words.replace(" ", "") in text.replace(" ", ""), words
