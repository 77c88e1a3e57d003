"""The intake format dtia.intake/v1: strict, every problem at once with its key path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from dtia.errors import IntakeError
from dtia.intake import intake_json_schema, load_intake
from tests.support import (
    ELF,
    EXAMPLE_NAMES,
    EXAMPLES,
    PE,
    changed,
    example_data,
    tiny_pdf,
    write_intake,
)


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_every_example_is_valid(name: str) -> None:
    loaded = load_intake(EXAMPLES / name / "intake.yaml")
    assert loaded.intake.schema_ == "dtia.intake/v1"
    assert len(loaded.input_sha256) == 64


def _problems(
    tmp_path: Path, data: dict[str, object], base: str = "fpt-smart-cloud-to-fpt-japan"
) -> dict[str, str]:
    with pytest.raises(IntakeError) as info:
        load_intake(write_intake(base, data, tmp_path))
    return {p.path: p.message for p in info.value.problems}


def test_every_problem_is_reported_at_once_with_its_key_path(tmp_path: Path) -> None:
    data = changed(
        "fpt-smart-cloud-to-fpt-japan",
        {
            "set": {
                "recipients[0].country": "JPN",
                "transferor.tax_code": 100000001,
                "data.subject_groups[0].count": -5,
                "transfer.first_transfer_date": "02/03/2026",
                "recipients[0].colour": "red",
            }
        },
    )
    problems = _problems(tmp_path, data)
    assert problems["recipients[0].country"] == "'JPN' is not an ISO 3166-1 alpha-2 code"
    assert "quotes" in problems["transferor.tax_code"]
    assert "greater than or equal to 0" in problems["data.subject_groups[0].count"]
    assert "ISO date" in problems["transfer.first_transfer_date"]
    assert problems["recipients[0].colour"] == "unknown key (not in dtia.intake/v1)"
    assert len(problems) == 5


def test_problems_carry_the_yaml_line(tmp_path: Path) -> None:
    text = (EXAMPLES / "cloudfly-card-payments" / "intake.yaml").read_text(encoding="utf-8")
    bad = text.replace("country: SG", "country: XX")
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "cloudfly-privacy-policy.en.txt").write_text("policy")
    (tmp_path / "intake.yaml").write_text(bad, encoding="utf-8")
    with pytest.raises(IntakeError) as info:
        load_intake(tmp_path / "intake.yaml")
    (problem,) = info.value.problems
    expected_line = bad.splitlines().index("    country: XX") + 1
    assert (problem.path, problem.line) == ("recipients[0].country", expected_line)
    assert f"recipients[0].country (line {expected_line})" in str(info.value)


def test_cross_references_are_checked(tmp_path: Path) -> None:
    data = changed(
        "fpt-smart-cloud-to-fpt-japan",
        {
            "set": {
                "flows[0].subject_group": "Nobody",
                "flows[1].recipient": "nobody",
                "flows[3].includes_sensitive": False,
            }
        },
    )
    problems = _problems(tmp_path, data)
    assert set(problems) == {"flows[0].subject_group", "flows[1].recipient", "flows"}


def test_paths_must_stay_inside_the_intake_folder(tmp_path: Path) -> None:
    data = changed(
        "fpt-smart-cloud-to-fpt-japan",
        {
            "set": {
                "attachments[0].path": "../../etc/passwd",
                "attachments[1].path": "/etc/passwd",
            }
        },
    )
    problems = _problems(tmp_path, data)
    assert "inside" in problems["attachments[0].path"]
    assert "relative" in problems["attachments[1].path"]
    data = changed(
        "fpt-smart-cloud-to-fpt-japan",
        {
            "set": {
                "transferor.pdp.appointment_document": "attachments/missing.pdf",
                "attachments[0].path": "attachments/also-missing.pdf",
            }
        },
    )
    problems = _problems(tmp_path / "second", data)
    assert "does not exist" in problems["transferor.pdp.appointment_document"]
    assert "does not exist" in problems["attachments[0].path"]


def test_files_named_pdf_must_be_pdfs_and_no_file_may_be_a_program(tmp_path: Path) -> None:
    path = write_intake(
        "fpt-smart-cloud-to-fpt-japan", example_data("fpt-smart-cloud-to-fpt-japan"), tmp_path
    )
    folder = path.parent
    (folder / "attachments" / "joint-use-agreement.pdf").write_bytes(b"%PDF-1.7\n" + ELF)
    (folder / "attachments" / "dpo-appointment.pdf").write_text("Signed on paper; see file.")
    (folder / "policies" / "fpt-smart-cloud-policies-2026.en-ja.txt").write_bytes(ELF)
    with pytest.raises(IntakeError) as info:
        load_intake(path)
    problems = {p.path: p.message for p in info.value.problems}
    assert problems == {
        "recipients[0].contract.path": "'attachments/joint-use-agreement.pdf' is not a "
        "complete PDF (no %%EOF end marker)",
        "transferor.pdp.appointment_document": "'attachments/dpo-appointment.pdf' is not a PDF "
        "(it does not start with %PDF-)",
        "transferor.policies[0].path": "'policies/fpt-smart-cloud-policies-2026.en-ja.txt' is "
        "an ELF executable: programs are not accepted",
    }

    # a PDF that parses is still refused when it carries a program, after its end or inside
    (folder / "policies" / "fpt-smart-cloud-policies-2026.en-ja.txt").write_bytes(
        (EXAMPLES / "fpt-smart-cloud-to-fpt-japan" / "policies")
        .joinpath("fpt-smart-cloud-policies-2026.en-ja.txt")
        .read_bytes()
    )
    (folder / "attachments" / "joint-use-agreement.pdf").write_bytes(tiny_pdf() + b"\n" + ELF)
    (folder / "attachments" / "dpo-appointment.pdf").write_bytes(
        tiny_pdf({"appointment.pdf": tiny_pdf({"install": PE})})
    )
    with pytest.raises(IntakeError) as info:
        load_intake(path)
    assert {p.path: p.message for p in info.value.problems} == {
        "recipients[0].contract.path": "'attachments/joint-use-agreement.pdf' holds an ELF "
        "executable after the end of the PDF",
        "transferor.pdp.appointment_document": "'attachments/dpo-appointment.pdf' embeds a PDF "
        "('appointment.pdf') that embeds a Windows executable ('install')",
    }

    # real PDFs pass, with what they embed when it is no program
    (folder / "attachments" / "joint-use-agreement.pdf").write_bytes(tiny_pdf())
    (folder / "attachments" / "dpo-appointment.pdf").write_bytes(
        tiny_pdf({"decision.xml": b"<decision/>"})
    )
    assert set(load_intake(path).files) >= {
        "attachments/joint-use-agreement.pdf",
        "attachments/dpo-appointment.pdf",
    }


def test_a_symlink_out_of_the_folder_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "secret.txt"
    outside.write_text("secret")
    data = example_data("fpt-smart-cloud-to-fpt-japan")
    path = write_intake("fpt-smart-cloud-to-fpt-japan", data, tmp_path / "work")
    (path.parent / "attachments" / "joint-use-agreement.pdf").unlink()
    (path.parent / "attachments" / "joint-use-agreement.pdf").symlink_to(outside)
    with pytest.raises(IntakeError, match="outside"):
        load_intake(path)


def test_a_decree_13_dossier_received_in_2026_is_rejected(tmp_path: Path) -> None:
    data = changed(
        "cloudspace-offsite-backups",
        {
            "set": {
                "transfer.prior_dossier": {
                    "regime": "decree-13-2023",
                    "received_on": "2026-01-02",
                    "reference": "A05/2026/1",
                }
            }
        },
    )
    problems = _problems(tmp_path, data, "cloudspace-offsite-backups")
    assert "Law 91/2025 Art 39(2)" in problems["transfer.prior_dossier.received_on"]


def test_json_is_accepted(tmp_path: Path) -> None:
    data = example_data("bizfly-cloud-support-desk")
    path = write_intake("bizfly-cloud-support-desk", data, tmp_path)
    json_path = path.with_name("intake.json")
    json_path.write_text(json.dumps(data, default=str, ensure_ascii=False), encoding="utf-8")
    assert load_intake(json_path).intake == load_intake(path).intake


def test_unreadable_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(IntakeError, match="cannot read"):
        load_intake(tmp_path / "absent.yaml")
    (tmp_path / "broken.yaml").write_text("schema: dtia.intake/v1\ntransfer: [unclosed\n")
    with pytest.raises(IntakeError, match="not valid YAML") as info:
        load_intake(tmp_path / "broken.yaml")
    assert info.value.problems[0].line is not None
    (tmp_path / "list.yaml").write_text("- a\n- b\n")
    with pytest.raises(IntakeError, match="mapping"):
        load_intake(tmp_path / "list.yaml")
    (tmp_path / "wrong.yaml").write_text(yaml.safe_dump({"schema": "dtia.intake/v2"}))
    with pytest.raises(IntakeError, match=r"dtia\.intake/v1"):
        load_intake(tmp_path / "wrong.yaml")


def test_inbound_takes_no_activities_and_outbound_needs_one(tmp_path: Path) -> None:
    data = changed("bizfly-cloud-support-desk", {"set": {"transfer.direction": "inbound"}})
    assert (
        "empty for an inbound"
        in _problems(tmp_path, data, "bizfly-cloud-support-desk")["transfer.activities"]
    )
    data = changed("bizfly-cloud-support-desk", {"set": {"transfer.activities": []}})
    assert (
        "at least one activity"
        in _problems(tmp_path / "b", data, "bizfly-cloud-support-desk")["transfer.activities"]
    )


def test_reformatting_does_not_change_the_input_hash(tmp_path: Path) -> None:
    data = example_data("cloudfly-card-payments")
    a = write_intake("cloudfly-card-payments", data, tmp_path / "a")
    b = write_intake("cloudfly-card-payments", data, tmp_path / "b")
    b.write_text("# a comment\n" + b.read_text(encoding="utf-8"), encoding="utf-8")
    assert load_intake(a).input_sha256 == load_intake(b).input_sha256
    (b.parent / "policies" / "cloudfly-privacy-policy.en.txt").write_text("changed policy")
    assert load_intake(a).input_sha256 != load_intake(b).input_sha256


def test_json_schema_describes_the_format() -> None:
    schema = intake_json_schema()
    assert schema["title"] == "dtia.intake/v1"
    assert set(schema["required"]) >= {
        "schema",
        "transfer",
        "transferor",
        "recipients",
        "data",
        "flows",
    }
    assert schema["additionalProperties"] is False


def test_problems_of_every_kind_are_reported_together(tmp_path: Path) -> None:
    data = changed(
        "bizfly-cloud-support-desk",
        {
            "set": {
                "recipients[0].country": "JPN",
                "flows[0].recipient": "nobody",
                "recipients[0].contract.path": "attachments/missing.pdf",
            },
            "remove": ["transferor.tax_code", "transferor.business_lines"],
        },
    )
    problems = _problems(tmp_path, data, "bizfly-cloud-support-desk")
    assert set(problems) == {
        "recipients[0].country",
        "flows[0].recipient",
        "recipients[0].contract.path",
        "transferor.tax_code",
        "transferor.business_lines",
    }


def test_an_impossible_date_is_a_problem_at_its_key_path(tmp_path: Path) -> None:
    path = write_intake("cloudfly-card-payments", example_data("cloudfly-card-payments"), tmp_path)
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace(
            "first_transfer_date: '2026-02-01'", "first_transfer_date: 2026-02-30"
        ).replace("first_transfer_date: 2026-02-01", "first_transfer_date: 2026-02-30"),
        encoding="utf-8",
    )
    with pytest.raises(IntakeError) as info:
        load_intake(path)
    (problem,) = info.value.problems
    assert problem.path == "transfer.first_transfer_date"
    assert "not a valid calendar date" in problem.message


def test_a_key_given_twice_is_an_error(tmp_path: Path) -> None:
    path = write_intake("cloudfly-card-payments", example_data("cloudfly-card-payments"), tmp_path)
    text = path.read_text(encoding="utf-8").replace(
        "  country: SG\n", "  country: SG\n  country: JP\n"
    )
    path.write_text(text, encoding="utf-8")
    with pytest.raises(IntakeError) as info:
        load_intake(path)
    (problem,) = info.value.problems
    assert "'country' is given twice" in problem.message
    assert problem.line == text.splitlines().index("  country: JP") + 1


def test_a_law_91_dossier_cannot_predate_the_law(tmp_path: Path) -> None:
    data = changed(
        "cloudspace-offsite-backups",
        {
            "set": {
                "transfer.prior_dossier": {
                    "regime": "law-91-2025",
                    "received_on": "2025-05-01",
                    "reference": "A05/1",
                }
            }
        },
    )
    problems = _problems(tmp_path, data, "cloudspace-offsite-backups")
    assert "Law 91/2025 Art 38(1)" in problems["transfer.prior_dossier.received_on"]


def test_exemption_facts_are_read_and_checked_at_their_key_paths(tmp_path: Path) -> None:
    # The facts the exemption tests rest on (spec intake.md): their exact names are accepted...
    ok = changed(
        "cloudfly-card-payments",
        {
            "set": {
                "transferor.state_agency": False,
                "transfer.one_off": True,
                "data.publicised": False,
                "recipients[0].provides": ["payment", "cloud_service"],
            }
        },
    )
    loaded = load_intake(write_intake("cloudfly-card-payments", ok, tmp_path / "ok"))
    assert loaded.intake.recipients[0].provides == ["payment", "cloud_service"]
    assert loaded.intake.transfer.one_off is True
    # ...and a wrong value is a problem at its key path, never a silent default.
    bad = changed(
        "cloudfly-card-payments",
        {
            "set": {
                "transferor.state_agency": "yes",
                "transfer.one_off": 1,
                "data.publicised": "true",
                "recipients[0].provides": ["payments"],
            }
        },
    )
    problems = _problems(tmp_path / "bad", bad, base="cloudfly-card-payments")
    assert set(problems) == {
        "transferor.state_agency",
        "transfer.one_off",
        "data.publicised",
        "recipients[0].provides[0]",
    }
    assert "'payments' is not allowed" in problems["recipients[0].provides[0]"]
    empty = changed("cloudfly-card-payments", {"set": {"recipients[0].provides": []}})
    assert "recipients[0].provides" in _problems(
        tmp_path / "empty", empty, "cloudfly-card-payments"
    )


def test_the_local_copy_fact_is_a_boolean_at_its_key_path(tmp_path: Path) -> None:
    # Decree 333/2026 Art 19: whether a complete copy of the data stays in Vietnam.
    ok = changed("cloudspace-offsite-backups", {"set": {"data.local_copy": True}})
    loaded = load_intake(write_intake("cloudspace-offsite-backups", ok, tmp_path / "ok"))
    assert loaded.intake.data.local_copy is True
    bad = changed("cloudspace-offsite-backups", {"set": {"data.local_copy": "yes"}})
    problems = _problems(tmp_path / "bad", bad, base="cloudspace-offsite-backups")
    assert set(problems) == {"data.local_copy"}
