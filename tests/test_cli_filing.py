"""``dtia filing record`` and ``dtia filing status`` with the lifecycle of 2026: channel,
dossier code, receipt, documents and comments, and a late filing shown late."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from tests.support import EXAMPLES, tiny_pdf
from tests.test_cli import run

BIZFLY = str(EXAMPLES / "bizfly-cloud-support-desk" / "intake.yaml")
TID = "bizfly-support-desk-us"


def test_recording_and_following_a_filing_from_the_command_line(tmp_path: Path) -> None:
    def dtia(*args: str) -> object:
        return run(*args, data_dir=tmp_path / "data")

    assert (
        run(
            "assess", BIZFLY, "--as-of", "2026-06-20", "--save", data_dir=tmp_path / "data"
        ).returncode
        == 0
    )
    assert (
        run(
            "filing",
            "approve",
            TID,
            "--by",
            "Legal",
            "--on",
            "2026-06-25",
            data_dir=tmp_path / "data",
        ).returncode
        == 0
    )
    receipt = tmp_path / "bien-nhan.pdf"
    receipt.write_bytes(tiny_pdf({"r.txt": b"receipt"}))
    bad = run(
        "filing",
        "record",
        TID,
        "filed",
        "--on",
        "2026-11-26",
        "--channel",
        "fax",
        data_dir=tmp_path / "data",
    )
    assert bad.returncode == 2 and "'fax' is not a channel" in bad.stderr
    gone = run(
        "filing",
        "record",
        TID,
        "filed",
        "--on",
        "2026-11-26",
        "--attach",
        str(tmp_path / "none.pdf"),
        data_dir=tmp_path / "data",
    )
    assert gone.returncode == 2 and "--attach" in gone.stderr
    sent = run(
        "filing",
        "record",
        TID,
        "filed",
        "--on",
        "2026-11-26",
        "--channel",
        "post",
        "--code",
        "000.00.00.H01-261126-0001",
        "--receipt",
        "EMS-42",
        "--attach",
        str(receipt),
        data_dir=tmp_path / "data",
    )
    assert sent.returncode == 0, sent.stderr
    assert "submitted (recorded as 'filed' was)" in sent.stdout and "1 document(s)" in sent.stdout
    assert (
        run(
            "filing", "record", TID, "received", "--on", "2026-11-28", data_dir=tmp_path / "data"
        ).returncode
        == 0
    )
    asked = run(
        "filing",
        "record",
        TID,
        "completion_requested",
        "--on",
        "2026-11-30",
        "--comment",
        "Mục 3: thiếu sơ đồ luồng dữ liệu",
        "--comment",
        "Mục 5: bổ sung hợp đồng",
        data_dir=tmp_path / "data",
    )
    assert asked.returncode == 0 and "round 1" in asked.stdout and "2 comment(s)" in asked.stdout
    text = run("filing", "status", TID, "--as-of", "2026-12-01", data_dir=tmp_path / "data")
    assert text.returncode == 0, text.stderr
    out = text.stdout
    # 60 days from 15 June end on 14 August; filed on 26 November: 104 days late, never "met"
    initial = next(line for line in out.splitlines() if "initial_filing" in line)
    assert "late: done late by 104 days, on 2026-11-26" in initial and " met" not in initial
    sha = hashlib.sha256(receipt.read_bytes()).hexdigest()
    for said in (
        "2026-06-25 approved by Legal",
        "2026-11-26 submitted (channel post, code 000.00.00.H01-261126-0001, receipt EMS-42)",
        f"document bien-nhan.pdf sha256 {sha}",
        "» Mục 3: thiếu sơ đồ luồng dữ liệu",
        "dossier 1 submitted 2026-11-26 (post), code 000.00.00.H01-261126-0001: rules Resolution 22/2026",
        "round 1 requested 2026-11-30, open",
        "next: completed, stop_order, withdrawn",
    ):
        assert said in out, said
    status = json.loads(
        run(
            "filing", "status", TID, "--as-of", "2027-06-01", "--json", data_dir=tmp_path / "data"
        ).stdout
    )
    [clock] = [d for d in status["deadlines"] if d["kind"] == "initial_filing"]
    assert (clock["status"], clock["days_late"]) == ("late", 104)  # a year on, still late
    assert status["dossiers"][0]["regime"] == "resolution_22"
    assert run("audit", "verify", data_dir=tmp_path / "data").returncode == 0
