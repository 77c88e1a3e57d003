"""The project's examples, as a filer runs them: two ready to file, one not, two exempt.

They are written the way a Vietnamese compliance officer prepares a real filing
(examples/README.md). What is filed must be Vietnamese and complete; what is not ready must
say what to supply, item by item, with the key path or Form 09 field.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
AS_OF = "2026-11-22"


def dtia(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dtia.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "COLUMNS": "200"},
    )


def text_of(pdf: Path) -> str:
    return subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


@pytest.mark.parametrize("name", ["fpt-smart-cloud-to-fpt-japan", "cloudspace-offsite-backups"])
def test_a_ready_example_is_filed_in_vietnamese(name: str, tmp_path: Path) -> None:
    intake = EXAMPLES / name / "intake.yaml"
    check = dtia("dossier", "check", str(intake), "--as-of", AS_OF)
    assert check.returncode == 0, check.stdout + check.stderr
    r = dtia("dossier", str(intake), "--as-of", AS_OF, "--out", str(tmp_path))
    assert r.returncode == 0, r.stdout + r.stderr
    assert {p.name for p in tmp_path.glob("*.pdf")} == {"review.pdf", "filing.pdf"}
    filed = text_of(tmp_path / "filing.pdf")
    assert "TỜ KHAI" in filed.upper() or "THÔNG BÁO" in filed.upper()
    # Nothing internal, no English written by the engine, no codes or key paths.
    for pattern in (r"\bC\d{1,2}\.[a-z]", r"\w\[\d+\]\.", r"UNCERTAIN", r"Chưa cung cấp",
                    r"\b(the|and|of|is|not)\b", r"\bYes\b"):
        assert not re.search(pattern, filed), (pattern, re.search(pattern, filed))
    verify = dtia("dossier", "verify", str(tmp_path / "review.pdf"))
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_the_fpt_cover_is_dated_by_the_signatory_not_by_as_of(tmp_path: Path) -> None:
    intake = EXAMPLES / "fpt-smart-cloud-to-fpt-japan" / "intake.yaml"
    r = dtia("dossier", str(intake), "--as-of", AS_OF, "--out", str(tmp_path))
    assert r.returncode == 0, r.stdout + r.stderr
    filed = text_of(tmp_path / "filing.pdf")
    assert "ngày 22 tháng 11 năm 2026" not in filed
    assert "TM. CÔNG TY TNHH FPT SMART CLOUD" in filed.upper()
    assert "Lê Văn C" in filed and "125/2026/CV-FSC" in filed


def test_cloudspace_is_dated_on_its_signing_date(tmp_path: Path) -> None:
    intake = EXAMPLES / "cloudspace-offsite-backups" / "intake.yaml"
    r = dtia("dossier", str(intake), "--as-of", AS_OF, "--out", str(tmp_path))
    assert r.returncode == 0, r.stdout + r.stderr
    filed = text_of(tmp_path / "filing.pdf")
    assert re.search(r"ngày\s+20\s+tháng\s+10\s+năm\s+2026", filed)


def test_bizfly_is_not_ready_and_says_what_to_supply(tmp_path: Path) -> None:
    intake = EXAMPLES / "bizfly-cloud-support-desk" / "intake.yaml"
    check = dtia("dossier", "check", str(intake), "--as-of", AS_OF)
    assert check.returncode == 3, check.stdout + check.stderr
    for item in ("flows[0].diagram", "security.system_diagram", "business.current_practice",
                 "transferor.registration", "attachments[0].translation"):
        assert item in check.stdout, item
    r = dtia("dossier", str(intake), "--as-of", AS_OF, "--out", str(tmp_path))
    assert r.returncode == 3
    assert check.stdout.strip() and "flows[0].diagram" in r.stdout
    assert not (tmp_path / "filing.pdf").exists()
    assert (tmp_path / "review.pdf").is_file() and (tmp_path / "filing-draft.pdf").is_file()
    draft = "".join(text_of(tmp_path / "filing-draft.pdf").split())
    assert "BẢNNHÁP–chưanộp" in draft  # the watermark, set diagonally


@pytest.mark.parametrize("name", ["cloudfly-card-payments", "fpt-smart-cloud-hr-on-cloud"])
def test_an_exempt_example_gets_its_memo(name: str, tmp_path: Path) -> None:
    r = dtia("dossier", str(EXAMPLES / name / "intake.yaml"), "--as-of", AS_OF, "--out",
             str(tmp_path))
    assert r.returncode == 0, r.stdout + r.stderr
    assert [p.name for p in tmp_path.glob("*.pdf")] == ["exemption-memo.pdf"]


def test_the_officers_analysis_is_filed_and_the_engines_kept_for_review(tmp_path: Path) -> None:
    import shutil

    import yaml

    folder = tmp_path / "cloudspace"
    shutil.copytree(EXAMPLES / "cloudspace-offsite-backups", folder)
    data = yaml.safe_load((folder / "intake.yaml").read_text(encoding="utf-8"))
    own = "Văn bản riêng của cán bộ tuân thủ về sự cần thiết của việc sao lưu."
    data["analysis"] = {"A.III.1": {"vi": own}}
    (folder / "intake.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    out = tmp_path / "out"
    r = dtia("dossier", str(folder / "intake.yaml"), "--as-of", AS_OF, "--out", str(out))
    assert r.returncode == 0, r.stdout + r.stderr
    filed = " ".join(text_of(out / "filing.pdf").split())
    review = " ".join(text_of(out / "review.pdf").split())
    assert own in filed
    # the engine's own §A.III.1, which the filing pack no longer prints, stays in the review
    engine = "Cần một bản sao lưu ở ngoài lãnh thổ để khôi phục dịch vụ"
    assert engine not in filed and engine in review
    assert "The engine's analysis the officer's text replaces" in review


def test_an_intake_in_english_is_not_ready_and_names_each_text_to_translate(
    tmp_path: Path,
) -> None:
    import shutil

    import yaml

    folder = tmp_path / "cloudspace"
    shutil.copytree(EXAMPLES / "cloudspace-offsite-backups", folder)
    data = yaml.safe_load((folder / "intake.yaml").read_text(encoding="utf-8"))
    data["language"] = "en"  # plain strings are now English
    data["security"]["measures"] = "Backups are encrypted before upload."
    data["governance"]["retention"] = "Backups are kept 35 days."
    (folder / "intake.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    check = dtia("dossier", "check", str(folder / "intake.yaml"), "--as-of", AS_OF)
    assert check.returncode == 3, check.stdout + check.stderr
    out = " ".join(check.stdout.split())
    for path in ("security.measures", "governance.retention"):
        assert f"{path} [" in out and "needs Vietnamese text" in out, path
    r = dtia("dossier", str(folder / "intake.yaml"), "--as-of", AS_OF, "--out", str(tmp_path / "o"))
    assert r.returncode == 3 and not (tmp_path / "o" / "filing.pdf").exists()
