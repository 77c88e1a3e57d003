"""The dtia command as a user runs it: exit codes, output, files written or not."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from dtia.store.db import head_revision
from tests.support import EXAMPLES, READY, changed, write_intake

FPT = EXAMPLES / "fpt-smart-cloud-to-fpt-japan" / "intake.yaml"


def run(*args: str, data_dir: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The command as a user runs it; with ``data_dir``, against a register of its own."""
    env = {**os.environ, "COLUMNS": "200"}
    if data_dir is not None:
        env["DTIA_DATA_DIR"] = str(data_dir)
        env.pop("DTIA_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "dtia.cli", *args],
        capture_output=True,
        text=True,
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


def test_the_report_shows_the_filing_channel_duties_and_sanctions() -> None:
    r = run(
        "assess",
        str(EXAMPLES / "cloudspace-offsite-backups" / "intake.yaml"),
        "--as-of",
        "2026-11-22",
    )
    assert r.returncode == 0, r.stderr
    out = " ".join(r.stdout.split())
    for text in (
        "Dossier: filing channel",
        "Bộ Công an",
        "Công an tỉnh, thành phố",
        "Resolution 22/2026 App I.7 §B.I",
        "Continuing duties",
        "Sanctions exposure (internal; the fines an organisation faces)",
        "Decree 330/2026 Art 56(1)(b)",
        "VND 30,000,000–50,000,000",
        "Decree 330/2026 Art 56(3)(b)",
        "Limitation: 1 year",
    ):
        assert text in out, text


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


def test_dossier_not_ready_exits_3_with_a_draft_and_what_to_supply(tmp_path: Path) -> None:
    out = tmp_path / "o"
    out.mkdir()
    (out / "filing.pdf").write_bytes(b"%PDF- a filing pack left from an earlier run")
    r = run("dossier", str(FPT), "--as-of", "2026-11-22", "--out", str(out))
    assert r.returncode == 3, r.stderr
    assert "Traceback" not in r.stderr and "not ready to file" in r.stderr
    review, draft = out / "review.pdf", out / "filing-draft.pdf"
    assert review.read_bytes().startswith(b"%PDF-") and draft.read_bytes().startswith(b"%PDF-")
    assert not (out / "filing.pdf").exists()  # a stale filing pack must not outlive the draft
    assert (
        json.loads((out / "assessment.json").read_text())["transfer_id"]
        == "fsc-fpt-japan-joint-use"
    )
    # what blocks filing, each item with its key path or form field and what to supply
    stdout = " ".join(r.stdout.split())
    assert "Not ready to file: 15 items to supply:" in stdout
    for where in (
        "flows[*].diagram [A.II.2]",
        "security.system_diagram [A.II.9.2]",
        "business.current_practice [A.III.1]",
        "recipients[0].safeguards [A.III.3.2]",
        "transferor.registration.number [Form 01a]",
        "filing.signatory [cover.signatory]",
        "filing.place [cover.place]",
    ):
        assert where in stdout, where

    ok = run("dossier", "verify", str(review))
    assert ok.returncode == 0 and "verified" in ok.stdout
    alone = run("dossier", "verify", str(draft), data_dir=tmp_path / "no-register")
    assert alone.returncode == 1 and "--review REVIEW.pdf" in alone.stderr
    assert not (tmp_path / "no-register").exists()  # looked for, not created
    paired = run("dossier", "verify", str(draft), "--review", str(review))
    assert paired.returncode == 0 and "filing-pack draft" in paired.stdout, paired.stderr
    data = bytearray(review.read_bytes())
    data[2000] ^= 0x20
    (tmp_path / "bad.pdf").write_bytes(bytes(data))
    bad = run("dossier", "verify", str(tmp_path / "bad.pdf"))
    assert bad.returncode == 1 and "differs" in bad.stderr and "Traceback" not in bad.stderr
    junk = run("dossier", "verify", str(FPT))
    assert junk.returncode == 1 and "Traceback" not in junk.stderr


def test_dossier_check_goes_through_article_18_without_rendering(tmp_path: Path) -> None:
    r = run("dossier", "check", str(FPT), "--as-of", "2026-11-22")
    assert r.returncode == 3, r.stderr
    lines = r.stdout.splitlines()
    assert any(line.startswith("NOT  Decree 356/2025 Art 18(3)(c)") for line in lines)
    assert any(line.startswith("ok   Decree 356/2025 Art 18(2)(b)") for line in lines)
    assert "transferor.registration.issuer [Form 01a]" in r.stdout
    ready = run("dossier", "check", str(READY), "--as-of", "2026-11-22")
    assert ready.returncode == 0, ready.stdout
    assert ready.stdout.rstrip().endswith("Ready to file.")
    assert not any(line.startswith("NOT") for line in ready.stdout.splitlines())
    exempt = run("dossier", "check", str(EXAMPLES / "cloudfly-card-payments" / "intake.yaml"))
    assert exempt.returncode == 0 and "No dossier is required" in exempt.stdout
    assert run("dossier", "check").returncode == 1


def test_a_ready_dossier_writes_the_filing_pack_and_drops_a_stale_draft(tmp_path: Path) -> None:
    out = tmp_path / "o"
    out.mkdir()
    (out / "filing-draft.pdf").write_bytes(b"%PDF- a draft left from an earlier run")
    data = tmp_path / "data"
    r = run("dossier", str(READY), "--as-of", "2026-11-22", "--out", str(out), "--save", data_dir=data)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "filing pack (cover Form 01a, Form 09)" in r.stdout
    assert not (out / "filing-draft.pdf").exists()
    filing, review = out / "filing.pdf", out / "review.pdf"
    ok = run("dossier", "verify", str(filing), "--review", str(review))
    assert ok.returncode == 0 and "verified: filing pack of fsc-fpt-japan-ready" in ok.stdout
    # the transfer is stored: the register holds the review pack it is rendered from
    stored = run("dossier", "verify", str(filing), data_dir=data)
    assert stored.returncode == 0 and "against its review pack" in stored.stdout, stored.stderr
    data = bytearray(filing.read_bytes())
    data[len(data) // 2] ^= 0x01
    (tmp_path / "flipped.pdf").write_bytes(bytes(data))
    bad = run("dossier", "verify", str(tmp_path / "flipped.pdf"), "--review", str(review))
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
    # a filing pack checked against the review pack of another transfer is refused
    other = run("dossier", str(FPT), "--as-of", "2026-11-22", "--out", str(tmp_path / "fpt"))
    assert other.returncode == 3
    wrong = run("dossier", "verify", str(filing), "--review", str(tmp_path / "fpt" / "review.pdf"))
    assert wrong.returncode == 1 and "is of fsc-fpt-japan-joint-use" in wrong.stderr
    upside = run("dossier", "verify", str(review), "--review", str(filing))
    assert upside.returncode == 0  # a review pack verifies from itself; --review is not needed


def test_the_register_from_the_command_line(tmp_path: Path) -> None:
    def dtia(*args: str) -> subprocess.CompletedProcess[str]:
        return run(*args, data_dir=tmp_path / "data")

    bizfly = str(EXAMPLES / "bizfly-cloud-support-desk" / "intake.yaml")
    first = dtia("assess", bizfly, "--as-of", "2026-06-20", "--save", "--json")
    assert (
        first.returncode == 0
        and "Saved bizfly-support-desk-us as assessment version 1" in first.stderr
    )
    again = dtia("assess", bizfly, "--as-of", "2026-06-20", "--save", "--json")
    assert again.returncode == 0 and "nothing added" in again.stderr
    refused = dtia("filing", "record", "bizfly-support-desk-us", "filed", "--on", "2026-07-01")
    assert (
        refused.returncode == 1
        and "cannot record 'submitted' while the filing is prepared" in refused.stderr
    )
    assert (
        dtia(
            "filing", "approve", "bizfly-support-desk-us", "--by", "Legal", "--on", "2026-06-25"
        ).returncode
        == 0
    )
    ok = dtia(
        "filing",
        "record",
        "bizfly-support-desk-us",
        "filed",
        "--on",
        "2026-07-01",
        "--reference",
        "A05-1",
    )
    # filed on 1 July 2026: the Resolution's rules, and the Law's 60 days
    assert ok.returncode == 0 and "Resolution 22/2026 App I.7 §B.I" in ok.stdout
    assert "rules: Resolution 22/2026" in ok.stdout
    assert "submitted (recorded as 'filed' was)" in ok.stdout  # the old name is an alias
    bad = dtia(
        "filing", "record", "bizfly-support-desk-us", "approved-by-magic", "--on", "2026-07-02"
    )
    assert bad.returncode == 1 and "unknown event" in bad.stderr
    status = json.loads(
        dtia("filing", "status", "bizfly-support-desk-us", "--as-of", "2026-07-10", "--json").stdout
    )
    assert status["state"] == "submitted" and status["events"][0]["reference"] == "A05-1"
    rows = json.loads(dtia("deadlines", "--as-of", "2026-07-10", "--json").stdout)
    assert rows == [
        {
            "transfer_id": "bizfly-support-desk-us",
            "kind": "authority_verdict",
            "due": "2026-07-16",
            "status": "due_soon",
            "citations": ["Decree 356/2025 Art 18(5)", "Resolution 22/2026 App I.7 §B.I"],
        }
    ]
    listed = json.loads(dtia("transfers", "list", "--as-of", "2026-07-10", "--json").stdout)
    assert [(r["transfer_id"], r["filing_state"]) for r in listed] == [
        ("bizfly-support-desk-us", "submitted")
    ]
    assert dtia("audit", "verify").returncode == 0
    import sqlite3

    with sqlite3.connect(tmp_path / "data" / "dtia.db") as conn:
        conn.execute("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2")
    broken = dtia("audit", "verify")
    assert broken.returncode == 1 and "entry 2" in broken.stderr
    assert dtia("filing", "status", "nope").returncode == 1
    upgraded = dtia("db", "upgrade")
    assert upgraded.returncode == 0 and f"revision {head_revision()}" in upgraded.stdout


def test_safeguards_template_and_submit(tmp_path: Path) -> None:
    def dtia(*args: str) -> subprocess.CompletedProcess[str]:
        return run(*args, data_dir=tmp_path / "data")

    made = dtia("safeguards", "template", "fpt-japan", "--out", str(tmp_path / "q.yaml"))
    assert made.returncode == 0
    text = (tmp_path / "q.yaml").read_text(encoding="utf-8")
    assert "encryption_at_rest:" in text and "Decree 356/2025 Art 18(3)(i)" in text
    # an unanswered template is invalid, with every problem named
    bad = dtia(
        "safeguards", "submit", "fsc-fpt-japan-joint-use", "fpt-japan", str(tmp_path / "q.yaml")
    )
    assert bad.returncode == 2 and "attested_on" in bad.stderr and "Traceback" not in bad.stderr
    filled = (
        text.replace("attested_by: ~", "attested_by: Trần Thị B")
        .replace("attested_on: ~", "attested_on: 2026-11-20")
        .replace("encryption_at_rest: ~", "encryption_at_rest: true")
    )
    (tmp_path / "a.yaml").write_text(filled, encoding="utf-8")
    unknown = dtia(
        "safeguards", "submit", "fsc-fpt-japan-joint-use", "fpt-japan", str(tmp_path / "a.yaml")
    )
    assert unknown.returncode == 1 and "no recipient 'fpt-japan'" in unknown.stderr
    assert dtia("assess", str(FPT), "--as-of", "2026-11-22", "--save", "--json").returncode == 0
    ok = dtia(
        "safeguards", "submit", "fsc-fpt-japan-joint-use", "fpt-japan", str(tmp_path / "a.yaml")
    )
    assert ok.returncode == 0 and "Stored the safeguards of fpt-japan" in ok.stdout


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[Path]:
    """A data folder on a tiny tmpfs with no space left: a real full disk (root only)."""
    mount = tmp_path / "full"
    mount.mkdir()
    try:
        made = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)],
            capture_output=True,
            text=True,
            check=False,
        )
        reason = made.stderr.strip() or f"exit code {made.returncode}"
    except OSError as exc:
        made, reason = None, str(exc)
    if made is None or made.returncode != 0:
        pytest.skip(
            f"a full disk needs a small tmpfs, which cannot be mounted here ({reason}); "
            "run the tests as root to include it"
        )
    try:
        fd = os.open(mount / "filler", os.O_WRONLY | os.O_CREAT)
        try:  # fill it to the last byte
            while os.write(fd, b"\0" * 512):
                pass
        except OSError:
            pass
        finally:
            os.close(fd)
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=False)


def test_a_full_disk_stores_nothing_and_says_so(tmp_path: Path, full_disk: Path) -> None:
    """The dossier PDF cannot be written: a clear error, no version without its dossier, no
    temporary file left."""
    database = tmp_path / "dtia.db"  # the database has room; the data folder has none
    env = {
        **os.environ,
        "DTIA_DATA_DIR": str(full_disk),
        "DTIA_DATABASE_URL": f"sqlite:///{database}",
    }
    bizfly = EXAMPLES / "bizfly-cloud-support-desk" / "intake.yaml"
    r = subprocess.run(
        [
            *(sys.executable, "-m", "dtia.cli", "dossier", str(bizfly), "--as-of", "2026-11-22"),
            *("--out", str(tmp_path / "out"), "--save"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
    )
    assert r.returncode == 1, r.stderr
    assert "disk of the data folder is full" in r.stderr
    assert "internal error" not in r.stderr and "please report" not in r.stderr
    assert str(full_disk) not in r.stderr and "Traceback" not in r.stderr
    import sqlite3

    with sqlite3.connect(database) as conn:
        assert conn.execute("SELECT count(*) FROM assessments").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM dossiers").fetchone() == (0,)
    assert sorted(p.name for p in full_disk.rglob("*") if p.is_file()) == ["filler"]


def test_minus_h_is_help_on_every_command() -> None:
    for args in (["-h"], ["dossier", "-h"], ["filing", "record", "-h"]):
        r = run(*args)
        assert r.returncode == 0, (args, r.stderr)
        assert "Usage:" in r.stdout and "--help" in r.stdout, args
