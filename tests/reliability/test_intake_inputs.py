"""Hostile intakes and safeguards answers: each is refused with exit 2 (or IntakeError) and
its key path, never an internal error, a traceback, a server path or unbounded work."""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from dtia.engine import assess
from dtia.errors import MAX_PROBLEMS, DtiaError, IntakeError
from dtia.intake import load_intake, parse_intake, parse_safeguards
from tests.reliability.hostile import FPT_DIR, FPT_TEXT, beside_fpt, dtia, replaced, with_bomb
from tests.support import EXAMPLES

AS_OF = "2026-11-22"


def _problems(text: str, base: Path | None = FPT_DIR) -> dict[str, str]:
    with pytest.raises(IntakeError) as info:
        parse_intake(text, "intake.yaml", base)
    return {p.path: p.message for p in info.value.problems}


# --- 1: aliases that expand without bound ----------------------------------------------------


def test_an_alias_bomb_is_refused_with_its_key_path_before_anything_is_built(
    tmp_path: Path,
) -> None:
    path = beside_fpt(tmp_path, with_bomb())
    assert len(path.read_bytes()) - len(FPT_TEXT.encode()) < 500  # a few hundred bytes
    r = dtia("assess", str(path), "--as-of", AS_OF)
    assert r.returncode == 2, r.stderr
    assert "internal error" not in r.stderr and "MemoryError" not in r.stderr
    assert "bomb." in r.stderr and "alias" in r.stderr
    assert "more than 20,000 values" in r.stderr


def test_an_alias_inside_what_it_repeats_is_refused() -> None:
    problems = _problems(FPT_TEXT + "\nloop: &l [1, *l]\n")
    assert problems == {"loop[1]": "the alias *l repeats a list or mapping it is in"}


def test_a_few_aliases_are_still_allowed() -> None:
    text = replaced("  email: support@fptcloud.com", "  email: &mail support@fptcloud.com")
    text = replaced("      email: privacy@example.fpt-japan.invalid", "      email: *mail", text)
    loaded = parse_intake(text, "intake.yaml", FPT_DIR)
    assert loaded.intake.recipients[0].pdp_contact.email == "support@fptcloud.com"


# --- 2: size within the upload limit ---------------------------------------------------------


def test_a_list_longer_than_the_limit_is_one_problem_at_its_key_path() -> None:
    items = "".join(f"    - purpose {i}\n" for i in range(1_001))
    problems = _problems(replaced("  purposes:\n", "  purposes:\n" + items))
    assert problems == {"transfer.purposes": "has more than 1,000 items"}


def test_a_file_over_the_size_limit_is_refused_unread(tmp_path: Path) -> None:
    path = beside_fpt(tmp_path, FPT_TEXT + "\n# " + "x" * (1024 * 1024) + "\n")
    r = dtia("assess", str(path), "--as-of", AS_OF)
    assert r.returncode == 2
    assert "larger than 1 MB" in r.stderr


def test_a_text_value_over_the_limit_is_refused() -> None:
    problems = _problems(replaced("title: Joint use", "title: " + "x" * 10_001 + " Joint use"))
    assert problems["transfer.title"].startswith("is 10,0")
    assert "at most 10,000" in problems["transfer.title"]


def test_problems_are_capped_then_counted(tmp_path: Path) -> None:
    items = "".join(f"    - {i}\n" for i in range(900))  # numbers where text is expected
    path = beside_fpt(tmp_path, replaced("  purposes:\n", "  purposes:\n" + items))
    with pytest.raises(IntakeError) as info:
        load_intake(path)
    assert len(info.value.problems) == MAX_PROBLEMS and info.value.total == 900
    r = dtia("assess", str(path), "--as-of", AS_OF)
    assert r.returncode == 2
    assert "900 problems" in r.stderr and "and 850 more problems" in r.stderr
    assert r.stderr.count("\n  - ") == MAX_PROBLEMS


# --- 11: values that reached the engine's internals --------------------------------------------

CASES_11 = {
    "a 5,000-digit integer": (
        ("count: 4800", "count: " + "9" * 5000),
        "data.subject_groups[0].count",
        "is a number of 5,000 characters",
    ),
    "an unhashable key": (
        ("schema: dtia.intake/v1\n", "schema: dtia.intake/v1\n? [a, b]\n: 1\n"),
        "",
        "a key must be plain text",
    ),
    "an explicit timestamp tag": (
        ("first_transfer_date: 2026-03-02", "first_transfer_date: !!timestamp 2026-02-30"),
        "transfer.first_transfer_date",
        "'!!timestamp' is not accepted",
    ),
    "a subject-group name given as a list": (
        ("{name: Japanese customers,", "{name: [Japanese customers],"),
        "data.subject_groups[0].name",
        "valid string",
    ),
    "a flow's subject group given as a mapping": (
        ("  - subject_group: Japanese customers", "  - subject_group: {a: 1}"),
        "flows[0].subject_group",
        "valid string",
    ),
    "a NUL byte in a path": (
        (
            "appointment_document: attachments/dpo-appointment.pdf",
            'appointment_document: "attachments/dpo\\0.pdf"',
        ),
        "transferor.pdp.appointment_document",
        "U+0000",
    ),
    "a 300-character path component": (
        (
            "appointment_document: attachments/dpo-appointment.pdf",
            "appointment_document: attachments/" + "a" * 300 + ".pdf",
        ),
        "transferor.pdp.appointment_document",
        "longer than 255 bytes",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES_11))
def test_values_that_crashed_the_command_are_refused_at_their_key_path(
    case: str, tmp_path: Path
) -> None:
    (old, new), key_path, message = CASES_11[case]
    path = beside_fpt(tmp_path, replaced(old, new))
    r = dtia("assess", str(path), "--as-of", AS_OF)
    assert r.returncode == 2, r.stderr
    assert "internal error" not in r.stderr and "Traceback" not in r.stderr
    where = f"  - {key_path or '(top level)'} (line "
    assert any(line.startswith(where) and message in line for line in r.stderr.splitlines()), (
        r.stderr
    )
    assert str(tmp_path) not in r.stderr.replace(str(path), "")  # no other server path


def test_messages_quote_at_most_a_short_excerpt_of_a_value() -> None:
    huge = "y" * 9_000
    problems = _problems(replaced("country: JP", f"country: {huge}"))
    message = problems["recipients[0].country"]
    assert "is not an ISO 3166-1 alpha-2 code" in message and len(message) < 150


WRONG = [None, 5, -1, 10**15, True, 1.5, "", "x", [], ["a"], [["a"]], {}, {"a": [1]}]


def _paths(node: Any, path: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    out = [path]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*path, i))
    return out


def test_any_value_of_the_wrong_type_anywhere_is_an_intake_error() -> None:
    """Every key path of an example, given each kind of wrong value in turn: the engine
    either assesses it or refuses it with IntakeError, never anything else."""
    example = EXAMPLES / "bizfly-cloud-support-desk"
    data = yaml.safe_load((example / "intake.yaml").read_text(encoding="utf-8"))
    escaped: list[str] = []
    for path in _paths(data)[1:]:
        for wrong in WRONG:
            changed = copy.deepcopy(data)
            node = changed
            for part in path[:-1]:
                node = node[part]
            node[path[-1]] = wrong
            try:
                assess(
                    parse_intake(json.dumps(changed, default=str), "x", example), date(2026, 11, 22)
                )
            except DtiaError:
                pass
            except Exception as exc:  # what this test is for
                escaped.append(f"{path} = {wrong!r}: {type(exc).__name__}: {exc}")
    assert escaped == []


# --- 12: dates without a range -----------------------------------------------------------------


def test_a_first_transfer_date_far_ahead_is_refused(tmp_path: Path) -> None:
    path = beside_fpt(
        tmp_path, replaced("first_transfer_date: 2026-03-02", "first_transfer_date: 9999-12-31")
    )
    r = dtia("assess", str(path), "--as-of", AS_OF)
    assert r.returncode == 2, r.stderr
    assert "transfer.first_transfer_date (line 14): 9999-12-31 is outside the accepted range" in (
        r.stderr
    )


def test_a_first_transfer_date_before_2020_is_refused() -> None:
    problems = _problems(
        replaced("first_transfer_date: 2026-03-02", "first_transfer_date: 2019-12-31")
    )
    assert problems == {
        "transfer.first_transfer_date": "2019-12-31 is outside the accepted range 2020-01-01 to 2100-12-31"
    }


SAFEGUARDS = """    safeguards:
      attested_by: Security team
      attested_on: {attested_on}
      certifications:
        - {{name: ISO/IEC 27001, issuer: JQA, expires_on: {expires_on}}}
"""


def _with_safeguards(attested_on: str, expires_on: str = "2028-03-31") -> str:
    return replaced(
        "    # safeguards are still to be collected from FPT Japan Holdings\n",
        SAFEGUARDS.format(attested_on=attested_on, expires_on=expires_on),
    )


def test_a_certificate_expiring_in_year_1_is_refused_and_nothing_is_written(
    tmp_path: Path,
) -> None:
    path = beside_fpt(tmp_path, _with_safeguards("2026-10-01", expires_on="0001-01-01"))
    r = dtia("assess", str(path), "--as-of", AS_OF, "--out", str(tmp_path / "out"))
    assert r.returncode == 2, r.stderr
    assert "recipients[0].safeguards.certifications[0].expires_on" in r.stderr
    assert "0001-01-01 is outside the accepted range 1900-01-01 to 2100-12-31" in r.stderr
    assert not (tmp_path / "out").exists()


def test_safeguards_attested_after_the_assessment_date_are_refused(tmp_path: Path) -> None:
    path = beside_fpt(tmp_path, _with_safeguards("2062-01-10"))
    r = dtia("assess", str(path), "--as-of", AS_OF, "--out", str(tmp_path / "out"))
    assert r.returncode == 2, r.stderr
    assert (
        "recipients[0].safeguards.attested_on: 2062-01-10 is after the assessment date "
        "(2026-11-22)" in r.stderr
    )
    assert not (tmp_path / "out").exists()
    on_the_day = dtia("assess", str(path), "--as-of", "2062-01-10", "--json")
    assert on_the_day.returncode == 0, on_the_day.stderr


def test_a_safeguards_answer_dated_after_today_is_refused() -> None:
    answer = "attested_by: Security team\nattested_on: 2026-11-23\n"
    assert parse_safeguards(answer, "answer.yaml").attested_on == date(2026, 11, 23)
    with pytest.raises(IntakeError) as info:
        parse_safeguards(answer, "answer.yaml", today=date(2026, 11, 22))
    (problem,) = info.value.problems
    assert (problem.path, problem.line) == ("attested_on", 2)
    assert problem.message.startswith("2026-11-23 is after today (2026-11-22)")
    far = "attested_by: Security team\nattested_on: 9999-12-31\n"
    with pytest.raises(IntakeError) as info:
        parse_safeguards(far, "answer.yaml")
    assert "outside the accepted range" in info.value.problems[0].message


# --- 14 and 18: control characters ---------------------------------------------------------


@pytest.mark.parametrize(
    ("char", "label"),
    [
        ("\\0", "U+0000"),
        ("\\u202e", "U+202E RIGHT-TO-LEFT OVERRIDE"),
        ("\\u2066", "U+2066 LEFT-TO-RIGHT ISOLATE"),
        ("\\x1b", "U+001B"),
        ("\\x85", "U+0085"),
    ],
)
def test_control_characters_in_text_are_refused(char: str, label: str) -> None:
    text = replaced(
        "title: Joint use of Japanese customer, prospect and partner data with FPT Japan Holdings",
        f'title: "Joint{char} use"',  # inside: at either end, whitespace is stripped
    )
    problems = _problems(text)
    assert (
        problems["transfer.title"]
        == f"contains the control character {label} at character 6; remove it"
    )


def test_tab_and_newline_are_allowed_where_text_spans_lines() -> None:
    text = replaced("  purposes:\n", '  purposes:\n    - "first line\\n\\tsecond line"\n')
    loaded = parse_intake(text, "intake.yaml", FPT_DIR)
    assert str(loaded.intake.transfer.purposes[0]) == "first line\n\tsecond line"
    one_line = 'name_vi: "Công ty\\nTNHH FPT Smart Cloud"'
    problems = _problems(replaced("name_vi: Công ty TNHH FPT Smart Cloud", one_line, text))
    assert problems["transferor.name_vi"].startswith("contains the control character U+000A")


def test_control_characters_in_a_safeguards_answer_are_refused() -> None:
    with pytest.raises(IntakeError) as info:
        parse_safeguards(
            'attested_by: "CISO\\u202e"\nattested_on: 2026-11-20\nlocal_law: "APPI\\0"\n', "a.yaml"
        )
    paths = {p.path for p in info.value.problems}
    assert paths == {"attested_by", "local_law"}


# --- 16: recipient names longer than the register's key ----------------------------------------


def test_a_recipient_name_longer_than_the_limit_is_refused() -> None:
    old = "name: FPTジャパンホールディングス株式会社 (FPT Japan Holdings Co., Ltd.)"
    problems = _problems(replaced(old, "name: " + "N" * 151))
    assert problems == {"recipients[0].name": "String should have at most 150 characters"}
    folded = _problems(replaced(old, "name: " + "ß" * 120))  # ß folds into ss
    assert folded["recipients[0].name"].startswith("is 240 characters once case-folded")
    assert parse_intake(replaced(old, "name: " + "N" * 150), "intake.yaml", FPT_DIR)
