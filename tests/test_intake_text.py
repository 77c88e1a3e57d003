"""Free text in Vietnamese and English, and the formalities of the filed dossier
(spec intake.md: "Language of free text", "filing", "analysis", subject group labels,
recipient diagrams, attachment languages and translations)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from dtia.assessment import Gap
from dtia.engine import assess
from dtia.errors import IntakeError
from dtia.intake import (
    Safeguards,
    TransferIntake,
    input_digest,
    intake_json_schema,
    load_intake,
    with_safeguards,
)
from dtia.localtext import LocalText
from tests.support import EXAMPLE_NAMES, EXAMPLES, changed, example_data, tiny_pdf, write_intake

BASE = "fpt-smart-cloud-to-fpt-japan"
AS_OF = date(2026, 6, 1)
FILED = {
    "place": "Hà Nội",
    "signed_on": "2026-05-20",
    "document_number": "15/2026/CV-FCI",
    "signatory": {"name": "Nguyễn Văn A", "title": "Tổng Giám đốc"},
}
REGISTRATION = {
    "number": "0108070045",
    "issuer": "Sở Kế hoạch và Đầu tư thành phố Hà Nội",
    "issued_on": "2017-11-14",
    "place": "Hà Nội",
}


def _load(tmp_path: Path, data: dict[str, Any], base: str = BASE) -> TransferIntake:
    return load_intake(write_intake(base, data, tmp_path)).intake


def _problems(tmp_path: Path, data: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(IntakeError) as info:
        load_intake(write_intake(BASE, data, tmp_path))
    return {p.path: p.message for p in info.value.problems}


def _gaps(tmp_path: Path, data: dict[str, Any]) -> list[Gap]:
    return assess(load_intake(write_intake(BASE, data, tmp_path)), AS_OF).gaps


def _ready_to_sign(data: dict[str, Any]) -> dict[str, Any]:
    data["filing"] = json.loads(json.dumps(FILED))
    data["transferor"]["registration"] = dict(REGISTRATION)
    return data


def test_a_plain_string_is_vietnamese_by_default_and_a_mapping_keeps_both(tmp_path: Path) -> None:
    data = example_data(BASE)
    data["transfer"]["purposes"] = [
        "Quản lý nhân sự",
        {"vi": "Báo cáo tập đoàn", "en": "Group reporting"},
    ]
    purposes = _load(tmp_path, data).transfer.purposes
    assert purposes[0] == LocalText(vi="Quản lý nhân sự")
    assert purposes[0].filed() == "Quản lý nhân sự" and purposes[0].annex() == "Quản lý nhân sự"
    assert purposes[1].filed() == "Báo cáo tập đoàn" and purposes[1].annex() == "Group reporting"
    assert str(purposes[1]) == "Báo cáo tập đoàn"  # a reader inside the company: Vietnamese


def test_plain_strings_of_an_english_intake_are_english_and_each_is_a_gap(tmp_path: Path) -> None:
    data = _ready_to_sign(example_data(BASE))
    data["language"] = "en"
    data["transfer"]["title"] = {"vi": "Chia sẻ dữ liệu nhân sự với FPT Nhật Bản"}
    intake = _load(tmp_path, data)
    assert intake.transfer.purposes[0].vi is None and intake.transfer.purposes[0].en
    assert intake.transfer.title.vi == "Chia sẻ dữ liệu nhân sự với FPT Nhật Bản"
    gaps = _gaps(tmp_path, data)
    text = {g.path: g for g in gaps if g.message == "needs Vietnamese text"}
    # every filed text without Vietnamese, at its key path and the Form 09 field it prints in
    assert text["transfer.purposes[0]"].field == "A.II.2"
    assert text["flows[0].purpose"].field == "A.II.2"
    assert text["recipients[0].service"].field == "B.II"
    assert text["governance.retention"].field == "A.II.4"
    assert text["transferor.business_lines[0].label"].field == "A.I.4"
    assert "transfer.title" not in text  # given in Vietnamese
    # an exemption's justification goes to the review and the memo, never to the authority
    assert not any(p.startswith("transfer.exemption_claims") for p in text)
    assert all(g.citations for g in text.values())
    # the same file in Vietnamese has none
    data["language"] = "vi"
    assert not [g for g in _gaps(tmp_path, data) if g.message == "needs Vietnamese text"]


def test_a_mapping_without_vietnamese_is_a_gap_at_its_key_path(tmp_path: Path) -> None:
    data = _ready_to_sign(example_data(BASE))
    data["governance"]["consent_method"] = {"en": "Written consent in the employment contract"}
    data["analysis"] = {"A.III.1": {"en": "Group HR needs the data"}}
    paths = {g.path: g.field for g in _gaps(tmp_path, data) if g.message == "needs Vietnamese text"}
    assert paths == {"governance.consent_method": "A.II.10", "analysis.A.III.1": "A.III.1"}


@pytest.mark.parametrize(
    ("value", "path", "words"),
    [
        ({}, "transfer.title", "vi, en or both"),
        ({"vi": "", "en": "  "}, "transfer.title", "vi, en or both"),
        ({"ja": "人事データ"}, "transfer.title.ja", "unknown key"),
        ({"vi": "Tiêu đề", "fr": "Titre"}, "transfer.title.fr", "unknown key"),
        ({"vi": 12}, "transfer.title.vi", "text"),
        ("", "transfer.title", "empty"),
        ("a\u202eb", "transfer.title", "U+202E"),
        ({"en": "a\x00b"}, "transfer.title.en", "U+0000"),
        ({"en": "x" * 10_001}, "transfer.title.en", "10,000"),
    ],
)
def test_bad_text_is_refused_at_its_key_path(
    tmp_path: Path, value: object, path: str, words: str
) -> None:
    data = example_data(BASE)
    data["transfer"]["title"] = value
    problems = _problems(tmp_path, data)
    assert path in problems, problems
    assert words in problems[path], problems[path]


def test_an_unknown_language_or_analysis_section_is_refused(tmp_path: Path) -> None:
    data = example_data(BASE)
    data["language"] = "ja"
    data["analysis"] = {"A.III.2.1": "Phân tích", "A.III.4": "Không có mục này"}
    data["attachments"][0]["language"] = "english"
    problems = _problems(tmp_path, data)
    assert "'ja' is not allowed" in problems["language"]
    assert "'A.III.4' is not allowed" in problems["analysis.A.III.4"]
    assert "analysis.A.III.2.1" not in problems
    assert "attachments[0].language" in problems


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_dumping_then_loading_gives_the_same_intake(name: str) -> None:
    intake = load_intake(EXAMPLES / name / "intake.yaml").intake
    again = TransferIntake.model_validate(intake.model_dump(mode="json", by_alias=True))
    assert again == intake


def test_an_intake_using_every_new_field_round_trips(tmp_path: Path) -> None:
    data = _ready_to_sign(example_data(BASE))
    data["language"] = "en"
    data["analysis"] = {"A.III.1": {"vi": "Cần thiết", "en": "Necessary"}, "A.III.3.4": "Good"}
    data["data"]["subject_groups"][0]["label"] = {"vi": "Nhân viên", "en": "Staff"}
    folder = tmp_path / BASE
    write_intake(BASE, data, tmp_path)
    (folder / "attachments" / "diagram.pdf").write_bytes(tiny_pdf())
    (folder / "attachments" / "agreement.vi.pdf").write_bytes(tiny_pdf())
    data["recipients"][0]["system_diagram"] = "attachments/diagram.pdf"
    data["attachments"][0] |= {"language": "en", "translation": "attachments/agreement.vi.pdf"}
    loaded = load_intake(write_intake(BASE, data, tmp_path))
    dumped = loaded.intake.model_dump(mode="json", by_alias=True)
    assert dumped["language"] == "en" and dumped["transfer"]["purposes"][0] == {
        "en": data["transfer"]["purposes"][0]
    }
    # the dump no longer depends on the language it was written in
    assert TransferIntake.model_validate(dumped) == loaded.intake
    assert TransferIntake.model_validate_json(json.dumps(dumped)) == loaded.intake
    # the diagram and the translation are among the intake's files, and its digest covers them
    assert {"attachments/diagram.pdf", "attachments/agreement.vi.pdf"} <= set(loaded.files)
    (folder / "attachments" / "diagram.pdf").write_bytes(tiny_pdf({"x.txt": b"changed"}))
    assert load_intake(folder / "intake.yaml").input_sha256 != loaded.input_sha256


def test_a_plain_intake_keeps_its_digest(tmp_path: Path) -> None:
    # Written before free text could be a mapping; the digest must not move, or every stored
    # register would see a new version of every transfer.
    loaded = load_intake(EXAMPLES / BASE / "intake.yaml")
    dumped = loaded.intake.model_dump(mode="json", by_alias=True)
    assert isinstance(dumped["transfer"]["title"], str)
    for absent in ("language", "filing", "analysis"):
        assert absent not in dumped
    assert "label" not in dumped["data"]["subject_groups"][0]
    assert "system_diagram" not in dumped["recipients"][0]
    assert {"language", "translation"}.isdisjoint(dumped["attachments"][0])
    assert loaded.input_sha256 == input_digest(loaded.intake, loaded.files)
    # and the same text written as {vi: ...} is the same intake with the same digest
    data = example_data(BASE)
    data["transfer"]["title"] = {"vi": data["transfer"]["title"]}
    data["transfer"]["purposes"] = [{"vi": p} for p in data["transfer"]["purposes"]]
    assert load_intake(write_intake(BASE, data, tmp_path)).input_sha256 == loaded.input_sha256


def test_a_subject_group_prints_its_label_else_its_name(tmp_path: Path) -> None:
    data = example_data(BASE)
    name = data["data"]["subject_groups"][0]["name"]
    assert load_intake(EXAMPLES / BASE / "intake.yaml").intake.subject_label(name) == LocalText(
        vi=name
    )
    data["data"]["subject_groups"][0]["label"] = "Người lao động của FPT Smart Cloud"
    intake = _load(tmp_path, data)
    assert intake.subject_label(name).filed() == "Người lao động của FPT Smart Cloud"


def test_paths_of_diagrams_translations_and_authorisations_are_checked(tmp_path: Path) -> None:
    data = example_data(BASE)
    data["recipients"][0]["system_diagram"] = "../outside.pdf"
    data["attachments"][0]["translation"] = "attachments/missing.pdf"
    data["filing"] = {"place": "Hà Nội", "signatory": {"name": "B", "title": "Giám đốc"}}
    data["filing"]["signatory"]["authorisation"] = "attachments/none.pdf"
    problems = _problems(tmp_path, data)
    assert "inside" in problems["recipients[0].system_diagram"]
    assert "does not exist" in problems["attachments[0].translation"]
    assert "does not exist" in problems["filing.signatory.authorisation"]


def test_a_document_not_in_vietnamese_needs_its_translation(tmp_path: Path) -> None:
    data = _ready_to_sign(example_data(BASE))
    data["attachments"][0]["language"] = "en"
    [gap] = [g for g in _gaps(tmp_path, data) if g.path == "attachments[0].translation"]
    assert gap.field == "A.IV" and "needs a Vietnamese translation" in gap.message
    assert "Decree 356/2025 Art 18(2)(b)" in gap.citations
    write_intake(BASE, data, tmp_path)
    (tmp_path / BASE / "attachments" / "agreement.vi.pdf").write_bytes(tiny_pdf())
    data["attachments"][0]["translation"] = "attachments/agreement.vi.pdf"
    assert not [g for g in _gaps(tmp_path, data) if g.path == "attachments[0].translation"]


def _formalities(gaps: list[Gap]) -> dict[str, str | None]:
    return {g.field: g.path for g in gaps if g.field.startswith("cover.")}


def test_the_cover_formalities_are_gaps_until_given(tmp_path: Path) -> None:
    data = example_data(BASE)
    data["transferor"].pop("legal_representative", None)
    data["transferor"].pop("registration", None)
    assert _formalities(_gaps(tmp_path, data)) == {
        "cover.place": "filing.place",
        "cover.signatory": "filing.signatory",
        "cover.registration": "transferor.registration",
    }
    # the legal representative signs when no signatory is named
    data["filing"] = {"place": "Hà Nội"}
    data["transferor"]["legal_representative"] = {"name": "Nguyễn Văn A", "title": "Giám đốc"}
    data["transferor"]["registration"] = REGISTRATION | {"issuer": None}
    del data["transferor"]["registration"]["issuer"]
    assert _formalities(_gaps(tmp_path, data)) == {
        "cover.registration": "transferor.registration.issuer"
    }
    data = _ready_to_sign(data)
    data["filing"]["signatory"]["name"] = " nguyễn  văn a "  # the representative, as written
    assert _formalities(_gaps(tmp_path, data)) == {}


def test_a_signatory_other_than_the_representative_needs_a_letter_of_authority(
    tmp_path: Path,
) -> None:
    data = _ready_to_sign(example_data(BASE))
    data["transferor"]["legal_representative"] = {"name": "Nguyễn Văn A", "title": "Giám đốc"}
    data["filing"]["signatory"] = {"name": "Trần Thị B", "title": "Phó Giám đốc"}
    gaps = [g for g in _gaps(tmp_path, data) if g.field == "cover.authorisation"]
    assert [g.path for g in gaps] == ["filing.signatory.authorisation"]
    assert "Decree 356/2025 Form 01a" in gaps[0].citations
    write_intake(BASE, data, tmp_path)
    (tmp_path / BASE / "attachments" / "authority.pdf").write_bytes(tiny_pdf())
    data["filing"]["signatory"]["authorisation"] = "attachments/authority.pdf"
    assert _formalities(_gaps(tmp_path, data)) == {}


def test_formalities_are_gaps_only_when_a_dossier_is_required(tmp_path: Path) -> None:
    data = changed("fpt-smart-cloud-hr-on-cloud", None)  # an exempt transfer: staff data on a cloud
    data["language"] = "en"
    loaded = load_intake(write_intake("fpt-smart-cloud-hr-on-cloud", data, tmp_path))
    a = assess(loaded, AS_OF)
    assert not a.applicability.dossier_required
    assert a.gaps == []


def test_the_schema_takes_text_or_a_mapping_and_the_new_blocks() -> None:
    schema = intake_json_schema()
    text = schema["$defs"]["LocalText"]
    assert [s["type"] for s in text["anyOf"]] == ["string", "object"]
    assert set(text["anyOf"][1]["properties"]) == {"vi", "en"}
    top = schema["properties"]
    assert top["language"]["enum"] == ["vi", "en"] or top["language"].get("default") == "vi"
    assert {"filing", "analysis"} <= set(top)
    assert set(top["analysis"]["propertyNames"]["enum"]) >= {"A.III.1", "A.III.3.4"}
    assert "system_diagram" in schema["$defs"]["Recipient"]["properties"]
    assert {"language", "translation"} <= set(schema["$defs"]["Attachment"]["properties"])
    assert "label" in schema["$defs"]["SubjectGroup"]["properties"]


def test_vietnamese_only_text_of_an_english_intake_round_trips(tmp_path: Path) -> None:
    data = example_data(BASE)
    data["language"] = "en"
    data["transfer"]["title"] = {"vi": "Chia sẻ dữ liệu với FPT Nhật Bản"}
    intake = _load(tmp_path, data)
    dumped = intake.model_dump(mode="json", by_alias=True)
    # a plain string here would be read back as English
    assert dumped["transfer"]["title"] == {"vi": "Chia sẻ dữ liệu với FPT Nhật Bản"}
    assert TransferIntake.model_validate(dumped) == intake
    answer = Safeguards.model_validate(
        {"attested_by": "K. Sato", "attested_on": "2026-05-01", "local_law": "APPI; PPC"}
    )
    merged = with_safeguards(intake, {intake.recipients[0].id: answer})
    safeguards = merged.recipients[0].safeguards
    assert safeguards is not None and safeguards.local_law == LocalText(vi="APPI; PPC")
