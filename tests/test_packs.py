"""The two outputs of one assessment, read back as the authority and as legal would: the
filing pack (exactly what is filed), its draft, and the internal review pack."""

from __future__ import annotations

import io
import json
import re
import subprocess
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader

from dtia.dossier.build import FILING_NAME, Dossier, build, read_files, verify
from dtia.dossier.render import DRAFT_WATERMARK, REVIEW_MARKING
from dtia.dossier.view import dossier_documents
from dtia.engine import assess
from dtia.intake import load_intake
from tests.support import EXAMPLES, READY

AS_OF = date(2026, 11, 22)
FPT = EXAMPLES / "fpt-smart-cloud-to-fpt-japan" / "intake.yaml"
JAPANESE_NAME = "FPTジャパンホールディングス株式会社"


def _made(path: Path) -> Dossier:
    loaded = load_intake(path)
    return build(loaded, assess(loaded, AS_OF), read_files(loaded, path.parent))


@pytest.fixture(scope="module")
def ready() -> Dossier:
    made = _made(READY)
    assert made.ready and made.filing is not None and made.filing.kind == "filing"
    return made


@pytest.fixture(scope="module")
def not_ready() -> Dossier:
    made = _made(FPT)
    assert not made.ready and made.filing is not None and made.filing.kind == "filing-draft"
    return made


def pages_of(pdf: bytes, tmp_path: Path) -> list[str]:
    """The text of each page, whitespace folded."""
    path = tmp_path / "p.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(
        ["pdftotext", "-raw", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    return [" ".join(page.split()) for page in out.split("\f") if page.strip()]


def test_the_filing_pack_is_vietnamese_and_holds_nothing_internal(
    ready: Dossier, tmp_path: Path
) -> None:
    assert ready.filing is not None
    text = " ".join(pages_of(ready.filing.pdf, tmp_path))
    for words in ("Mẫu số 01a", "Mẫu số 09", "Kính gửi:", "Lê Văn C", JAPANESE_NAME, "Nhật Bản"):
        assert words in text, words
    for english in (" the ", " and ", " of ", " The ", " And "):
        assert english not in text, english
    assert not re.search(r"\bC\d+\.", text), re.search(r".{30}\bC\d+\..{30}", text)
    assert not re.search(r"\w+\[\d+\]\.", text)  # no key paths
    assert not re.search(r"\w+\[\*\]", text)
    for internal in (
        "UNCERTAIN",
        "Chưa cung cấp",
        "Not provided",
        "ENGLISH ANNEX",
        "TÓM TẮT RỦI RO",
        "Findings",
        "Missing information",
        "Thông tin còn thiếu",
        "inherent",
        "residual",
        "overdue",
        "BẢN NHÁP",
        REVIEW_MARKING,
    ):
        assert internal not in text, internal


def test_the_filing_pack_embeds_the_dossier_documents_and_no_assessment(ready: Dossier) -> None:
    assert ready.filing is not None
    reader = PdfReader(io.BytesIO(ready.filing.pdf))
    embedded = {name: data[0] for name, data in reader.attachments.items()}
    documents = dict(dossier_documents(load_intake(READY).intake))
    assert set(embedded) == {FILING_NAME, *documents}
    assert {
        "attachments/joint-use-agreement.pdf",
        "attachments/dpo-appointment.pdf",
        "attachments/dpo-qualifications.pdf",
        "attachments/flow-diagram.pdf",
        "attachments/system-diagram.pdf",
        "policies/fpt-smart-cloud-policies-2026.en-ja.txt",
    } <= set(embedded)
    record = json.loads(embedded[FILING_NAME])
    assert record["transfer_id"] == "fsc-fpt-japan-ready" and record["draft"] is False
    assert record["input_sha256"] == ready.assessment.input_sha256
    assert set(record) == {
        "schema", "transfer_id", "as_of", "rules_version", "input_sha256", "draft", "place",
        "documents",
    }  # fmt: skip
    assert "findings" not in embedded[FILING_NAME].decode()
    # each document listed by its title in §A.IV and on the cover
    text = " ".join(PdfReader(io.BytesIO(ready.filing.pdf)).pages[1].extract_text().split())
    assert "Chính sách bảo vệ dữ liệu cá nhân (01-2026/CS/PDP, phiên bản 2.0)" in text


def test_the_review_pack_is_marked_on_every_page_and_keeps_the_working(
    not_ready: Dossier, tmp_path: Path
) -> None:
    pages = pages_of(not_ready.pdf, tmp_path)
    assert len(pages) > 5
    for number, page in enumerate(pages, start=1):
        assert page.count(REVIEW_MARKING) == 2, number  # header and footer
    text = " ".join(pages)
    squeezed = text.replace(" ", "")  # table cells wrap codes and key paths anywhere
    for words in (
        "Sẵn sàng nộp / Ready to file: Không / No",
        "flows[*].diagram",  # what blocks filing, where to supply it
        "transferor.registration.number",
        "C4.sensitive-data",  # findings with their codes, remedies and citations
        "C1.filing-overdue",  # lateness: the review's, never the filing's
        "Sanctions exposure",
        "Conservative readings on uncertain points",
        "Filing route",
        "ENGLISH ANNEX",
        "Decree 356/2025 Art 4(1)(l)",
    ):
        assert words.replace(" ", "") in squeezed, words


def test_the_draft_is_watermarked_on_every_page(not_ready: Dossier, tmp_path: Path) -> None:
    assert not_ready.filing is not None
    pages = pages_of(not_ready.filing.pdf, tmp_path)
    mark = DRAFT_WATERMARK.replace(" ", "")
    assert all(mark in page.replace(" ", "") for page in pages)
    assert all(REVIEW_MARKING not in page for page in pages)
    assert "Chưa cung cấp" in " ".join(pages)  # the draft shows legal what is missing


def test_each_document_numbers_its_own_pages_and_titles_and_bookmarks_are_vietnamese(
    ready: Dossier, tmp_path: Path
) -> None:
    assert ready.filing is not None
    pages = pages_of(ready.filing.pdf, tmp_path)
    first_of_form09 = next(i for i, p in enumerate(pages) if "PHẦN A." in p)
    assert first_of_form09 >= 1
    for i, page in enumerate(pages):
        number = i + 1 if i < first_of_form09 else i - first_of_form09 + 1
        assert page.endswith(f"Trang {number}"), (i, page[-40:])
    reader = PdfReader(io.BytesIO(ready.filing.pdf))
    assert str(reader.metadata.title).startswith(
        "Hồ sơ đánh giá tác động chuyển dữ liệu cá nhân xuyên biên giới – Công ty TNHH"
    )
    review = PdfReader(io.BytesIO(ready.pdf))
    assert str(review.metadata.title).startswith("Hồ sơ rà soát nội bộ – ")

    def titles(outline: list[object]) -> list[str]:
        out: list[str] = []
        for item in outline:
            out += titles(item) if isinstance(item, list) else [str(item.title)]  # type: ignore[attr-defined]
        return out

    marks = titles(reader.outline)
    assert "THÔNG BÁO GỬI HỒ SƠ ĐÁNH GIÁ TÁC ĐỘNG CHUYỂN DỮ LIỆU CÁ NHÂN XUYÊN BIÊN GIỚI" in marks
    assert "HỒ SƠ ĐÁNH GIÁ TÁC ĐỘNG CHUYỂN DỮ LIỆU CÁ NHÂN XUYÊN BIÊN GIỚI" in marks
    assert any(m.startswith("I. THÔNG TIN CƠ BẢN") for m in marks), marks
    assert all(" " in m and not re.search(r"\bC\d+\.", m) for m in marks), marks


def test_japanese_is_set_in_a_real_cjk_face(ready: Dossier, tmp_path: Path) -> None:
    assert ready.filing is not None
    path = tmp_path / "f.pdf"
    path.write_bytes(ready.filing.pdf)
    assert JAPANESE_NAME in " ".join(pages_of(ready.filing.pdf, tmp_path))
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True)
    cjk = [line.split() for line in fonts.stdout.splitlines() if "CJK" in line]
    assert cjk, fonts.stdout
    for row in cjk:
        name = row[0].split("+", 1)[-1]
        # an installed face (Regular or Bold), embedded: never a slanted or emboldened copy
        assert name in ("Noto-Serif-CJK-JP", "Noto-Serif-CJK-JP-Bold", "Noto-Sans-CJK-JP"), name
        assert row[-5] == "yes"  # emb


def test_the_filing_pack_verifies_against_its_review_pack_only(ready: Dossier) -> None:
    assert ready.filing is not None
    assert verify(ready.pdf).ok
    alone = verify(ready.filing.pdf)
    assert not alone.ok and "--review" in alone.message
    paired = verify(ready.filing.pdf, ready.pdf)
    assert paired.ok, paired.message
    flipped = bytearray(ready.filing.pdf)
    at = flipped.index(b"stream\n", 2000) + 40  # inside a page's content
    flipped[at] ^= 0x01
    rejected = verify(bytes(flipped), ready.pdf)
    assert not rejected.ok and "differs from the one its review pack produces" in rejected.message
