"""The dossier PDF, read back as a user (and an inspector) would: text, fonts, safety."""

from __future__ import annotations

import logging
import subprocess
from datetime import date
from pathlib import Path

import pytest

from dtia.dossier.render import render_html, render_pdf
from dtia.dossier.view import build_view
from dtia.engine import assess
from dtia.intake import load_intake
from dtia.law import load_rules
from tests.support import EXAMPLES, changed, write_intake

AS_OF = date(2026, 11, 22)


def render(intake_path: Path, caplog: pytest.LogCaptureFixture) -> bytes:
    loaded = load_intake(intake_path)
    a = assess(loaded, AS_OF)
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        pdf = render_pdf(
            render_html(build_view(loaded, a, load_rules(AS_OF))),
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
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
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
        "Decree 356/2025 Art 4(1)(l)",
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
