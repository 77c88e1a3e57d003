"""The dtia command as a user runs it: exit codes, output, files written or not."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.support import EXAMPLES, changed, write_intake

FPT = EXAMPLES / "fpt-smart-cloud-to-fpt-japan" / "intake.yaml"


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "dtia.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        check=False,
        env=env,
    )


def test_assess_prints_the_report() -> None:
    r = run("assess", str(FPT), "--as-of", "2026-11-22")
    assert r.returncode == 0, r.stderr
    for text in (
        "REQUIRED",
        "01a",
        "T2, T3",
        "2026-05-04",
        "overdue",
        "A.III.2.3",
        "C4.sensitive-data",
        "Law 91/2025 Art 20(1)(b)",
        "recipient_safeguards",
    ):
        assert text in r.stdout, text


def test_json_is_the_assessment_and_out_writes_the_same(tmp_path: Path) -> None:
    r = run("assess", str(FPT), "--as-of", "2026-11-22", "--json", "--out", str(tmp_path / "o"))
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["schema"] == "dtia.assessment/v1"
    assert data["applicability"]["limbs"] == ["T2", "T3"]
    assert (tmp_path / "o" / "assessment.json").read_text(encoding="utf-8") == r.stdout
    again = run("assess", str(FPT), "--as-of", "2026-11-22", "--json")
    assert again.stdout == r.stdout


def test_invalid_intake_exits_2_lists_every_problem_and_writes_nothing(tmp_path: Path) -> None:
    data = changed(
        "cloudfly-card-payments",
        {"set": {"recipients[0].country": "Singapore", "data.subject_groups[0].count": "many"}},
    )
    path = write_intake("cloudfly-card-payments", data, tmp_path)
    r = run("assess", str(path), "--as-of", "2026-11-22", "--out", str(tmp_path / "o"))
    assert r.returncode == 2
    assert "2 problems" in r.stderr
    assert "recipients[0].country" in r.stderr and "data.subject_groups[0].count" in r.stderr
    assert "Traceback" not in r.stderr + r.stdout
    assert not (tmp_path / "o").exists()


def test_other_failures_exit_1_without_traceback() -> None:
    r = run("assess", str(FPT), "--as-of", "2025-12-31")
    assert r.returncode == 1
    assert "2026-01-01" in r.stderr and "Traceback" not in r.stderr


def test_a_bad_date_is_a_usage_error() -> None:
    r = run("assess", str(FPT), "--as-of", "2026-02-30")
    assert r.returncode == 1 and "not a date" in r.stderr and "Traceback" not in r.stderr


def test_intake_text_is_never_console_markup(tmp_path: Path) -> None:
    name = "Example [bold red]EVIL[/] [/b] Inc."
    data = changed("bizfly-cloud-support-desk", {"set": {"recipients[0].name": name}})
    path = write_intake("bizfly-cloud-support-desk", data, tmp_path)
    r = run("assess", str(path), "--as-of", "2026-11-22")
    assert r.returncode == 0, r.stderr
    assert name in r.stdout


def test_out_onto_a_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("")
    r = run("assess", str(FPT), "--as-of", "2026-11-22", "--out", str(tmp_path / "afile"))
    assert r.returncode == 1 and "cannot write" in r.stderr and "Traceback" not in r.stderr


def test_schema_intake_prints_json_schema() -> None:
    r = run("schema", "intake")
    assert r.returncode == 0
    schema = json.loads(r.stdout)
    assert schema["title"] == "dtia.intake/v1" and "transfer" in schema["properties"]


def test_dossier_and_verify(tmp_path: Path) -> None:
    r = run("dossier", str(FPT), "--as-of", "2026-11-22", "--out", str(tmp_path / "o"))
    assert r.returncode == 0, r.stderr
    pdf = tmp_path / "o" / "dossier.pdf"
    assert pdf.read_bytes().startswith(b"%PDF-")
    assert (
        json.loads((tmp_path / "o" / "assessment.json").read_text())["transfer_id"]
        == "fsc-fpt-japan-joint-use"
    )
    ok = run("dossier", "verify", str(pdf))
    assert ok.returncode == 0 and "verified" in ok.stdout
    data = bytearray(pdf.read_bytes())
    data[2000] ^= 0x20
    (tmp_path / "bad.pdf").write_bytes(bytes(data))
    bad = run("dossier", "verify", str(tmp_path / "bad.pdf"))
    assert bad.returncode == 1 and "differs" in bad.stderr and "Traceback" not in bad.stderr
    junk = run("dossier", "verify", str(FPT))
    assert junk.returncode == 1 and "Traceback" not in junk.stderr
