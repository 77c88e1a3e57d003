"""Text given on the command line, and what a database error may say."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.exc import DataError

from dtia.cli import _describe
from tests.reliability.hostile import beside_fpt, dtia, replaced

ANSWER = "attested_by: Security team\nattested_on: {on}\n"


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (
            ["filing", "record", "x-transfer", "filed", "--on", "2026-11-22", "--note", "a\x1bb"],
            "--note",
        ),
        (
            [
                "filing",
                "record",
                "x-transfer",
                "filed",
                "--on",
                "2026-11-22",
                "--reference",
                "R\u202e1",
            ],
            "--reference",
        ),
        (
            [
                "filing",
                "record",
                "x-transfer",
                "filed",
                "--on",
                "2026-11-22",
                "--by",
                "legal\u2066",
            ],
            "--by",
        ),
        (["filing", "approve", "x-transfer", "--by", "le\u202egal"], "--by"),
        (
            ["safeguards", "template", "fpt-japan", "--name", "FPT\nattested_by: someone else"],
            "--name",
        ),
        (["users", "add", "ali\u202ece", "--role", "legal"], "NAME"),
    ],
)
def test_text_options_with_control_characters_are_usage_errors(
    args: list[str], option: str, tmp_path: Path
) -> None:
    r = dtia(*args, data_dir=tmp_path / "data")
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert option in r.stderr and "control character" in r.stderr
    assert "Traceback" not in r.stderr
    assert not (tmp_path / "data").exists()  # refused before the register was opened


def test_a_note_may_span_lines(tmp_path: Path) -> None:
    r = dtia(
        "filing",
        "record",
        "x-transfer",
        "filed",
        "--on",
        "2026-11-22",
        "--note",
        "one\ntwo",
        data_dir=tmp_path / "data",
    )
    assert "control character" not in r.stderr  # it gets as far as the register
    assert r.returncode == 1 and "no transfer 'x-transfer'" in r.stderr


def test_safeguards_submit_refuses_an_answer_dated_after_today(tmp_path: Path) -> None:
    answer = tmp_path / "answer.yaml"
    answer.write_text(ANSWER.format(on="2099-01-01"), encoding="utf-8")
    r = dtia(
        "safeguards", "submit", "x-transfer", "fpt-japan", str(answer), data_dir=tmp_path / "d"
    )
    assert r.returncode == 2, r.stderr
    assert "attested_on (line 2): 2099-01-01 is after today" in r.stderr
    answer.write_text(ANSWER.format(on="9999-12-31"), encoding="utf-8")
    r = dtia(
        "safeguards", "submit", "x-transfer", "fpt-japan", str(answer), data_dir=tmp_path / "d"
    )
    assert r.returncode == 2 and "outside the accepted range" in r.stderr


def test_a_database_error_is_shown_without_its_statement_or_parameters() -> None:
    exc = DataError(
        "INSERT INTO transfers (id, title) VALUES (%(id)s, %(title)s)",
        {"id": "t-1", "title": "Confidential\x00 title"},
        ValueError("PostgreSQL text fields cannot contain NUL (0x00) bytes"),
    )
    said = _describe(exc)
    assert (
        said
        == "database error (ValueError): PostgreSQL text fields cannot contain NUL (0x00) bytes"
    )
    assert "INSERT" not in said and "Confidential" not in said


def test_a_nul_byte_never_reaches_postgresql(pg_url: str, tmp_path: Path) -> None:
    path = beside_fpt(
        tmp_path,
        replaced(
            "title: Joint use of Japanese customer, prospect and partner data with FPT Japan Holdings",
            'title: "Joint use\\0 of data"',
        ),
    )
    env = {**os.environ, "DTIA_DATABASE_URL": pg_url, "DTIA_DATA_DIR": str(tmp_path / "d")}
    r = subprocess.run(
        [sys.executable, "-m", "dtia.cli", "assess", str(path), "--as-of", "2026-11-22", "--save"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=env,
    )
    assert r.returncode == 2, r.stderr
    assert "transfer.title (line 11): contains the control character U+0000" in r.stderr
    assert "INSERT" not in r.stderr and "DataError" not in r.stderr
