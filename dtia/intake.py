"""The transfer intake, format ``dtia.intake/v1`` (shared spec ``intake.md``).

Models are strict: unknown keys are rejected, counts must be real integers, codes that
look like numbers must be quoted, dates are ISO strings or YAML dates. ``load_intake``
reads YAML or JSON, validates everything at once and raises one ``IntakeError`` listing
every problem with its key path and, for YAML, its line.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path, PurePosixPath
from typing import Annotated, Any, Literal

import pycountry
import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
    ValidationError,
)

from dtia.errors import IntakeError, Problem
from dtia.evidence import file_problems
from dtia.intake_checks import semantic_problems

SCHEMA_ID = "dtia.intake/v1"

# Files whose text the engine reads to check what a published policy discloses.
TEXT_SUFFIXES = frozenset({".txt", ".md", ".html", ".htm"})
# The folder, under the data folder, that holds evidence recipients uploaded on the portal.
STORED_EVIDENCE = "evidence"


def _iso_date(value: object) -> object:
    # A bare int or a "2026/03/02" must not be coerced into a date by pydantic's lax mode.
    if isinstance(value, date):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return date.fromisoformat(value)
        except ValueError as exc:
            raise ValueError(f"{value!r} is not a valid calendar date") from exc
    raise ValueError(f"{value!r} is not an ISO date (YYYY-MM-DD)")


def _country(value: str) -> str:
    if pycountry.countries.get(alpha_2=value) is None or value != value.upper():
        raise ValueError(f"{value!r} is not an ISO 3166-1 alpha-2 code")
    return value


def _email(value: str) -> str:
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value):
        raise ValueError(f"{value!r} is not an email address")
    return value


def _relative_path(value: str) -> str:
    pure = PurePosixPath(value)
    if pure.is_absolute() or value.startswith("\\") or re.match(r"^[A-Za-z]:", value):
        raise ValueError(f"{value!r} must be relative to the intake's folder")
    if ".." in pure.parts:
        raise ValueError(f"{value!r} must stay inside the intake's folder")
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_date)]
Text = Annotated[str, StringConstraints(strict=True, strip_whitespace=True, min_length=1)]
Count = Annotated[StrictInt, Field(ge=0)]
Slug = Annotated[str, StringConstraints(strict=True, pattern=r"^[a-z0-9-]{3,64}$")]
RecipientId = Annotated[str, StringConstraints(strict=True, pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")]
Country = Annotated[str, StringConstraints(strict=True), AfterValidator(_country)]
Email = Annotated[
    str, StringConstraints(strict=True, strip_whitespace=True), AfterValidator(_email)
]
RelPath = Annotated[Text, AfterValidator(_relative_path)]
TaxCode = Annotated[str, StringConstraints(strict=True, pattern=r"^\d{10}(-\d{3})?$")]

Activity = Literal[
    "servers_abroad", "foreign_cloud", "platform_abroad", "via_domestic_partner", "other"
]
ExemptionCode = Literal[
    "state_agency",
    "own_employees_on_cloud",
    "data_subject_own_transfer",
    "press_media",
    "publicised_data",
    "emergency",
    "hr_management",
    "contract_travel_logistics_payment",
]
SubjectKind = Literal[
    "customers",
    "prospects",
    "employees",
    "job_applicants",
    "partner_staff",
    "website_visitors",
    "minors",
    "other",
]
BasicCode = Literal[
    "name",
    "other_names",
    "date_of_birth",
    "date_of_death",
    "gender",
    "place_of_birth",
    "birth_registration_place",
    "permanent_residence",
    "temporary_residence",
    "current_residence",
    "hometown",
    "contact_address",
    "nationality",
    "image",
    "phone",
    "personal_id_number",
    "passport_number",
    "driving_licence_number",
    "vehicle_plate",
    "marital_status",
    "family_relationships",
    "digital_account",
    "other_identifying",
]
SensitiveCode = Literal[
    "racial_ethnic_origin",
    "political_views",
    "religious_views",
    "private_life",
    "health",
    "biometric_genetic",
    "sex_life_orientation",
    "crime_data",
    "location",
    "eid_credentials",
    "id_card_images",
    "bank_credentials",
    "bank_card_transactions",
    "financial_credit",
    "behaviour_tracking",
    "other_protected",
]
ClauseKey = Literal[
    "purpose",
    "data_categories",
    "processing_period_and_deletion",
    "legal_basis",
    "protection_responsibilities",
    "data_subject_rights",
    "breach_cooperation",
    "vn_law_compliance",
    "data_flow_and_roles",
    "security_requirements",
    "change_notification",
    "access_tiering",
    "onward_transfer_control",
]
ProcessingServiceCode = Literal[
    "automated_systems",
    "analytics_mining",
    "credit_scoring",
    "encryption",
    "online_collection",
    "big_data_ai",
    "health_apps",
    "location_platform",
    "education_monitoring",
]
AttachmentKind = Literal[
    "contract",
    "pdp_service_contract",
    "policy",
    "dpo_appointment",
    "diagram",
    "consent_evidence",
    "self_assessment",
    "recipient_evidence",
    "other",
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class ExemptionClaim(Strict):
    code: ExemptionCode
    justification: Text


class PriorDossier(Strict):
    regime: Literal["decree-13-2023", "law-91-2025"]
    received_on: IsoDate
    reference: Text


class OnwardTransfer(Strict):
    allowed: StrictBool
    procedure: Text | None = None


class Transfer(Strict):
    id: Slug
    title: Text
    direction: Literal["outbound", "inbound", "both"]
    activities: list[Activity]
    activity_other: Text | None = None
    first_transfer_date: IsoDate
    purposes: Annotated[list[Text], Field(min_length=1)]
    exemption_claims: list[ExemptionClaim] = []
    prior_dossier: PriorDossier | None = None
    onward_transfer: OnwardTransfer | None = None


class Registration(Strict):
    number: Text | None = None
    issuer: Text | None = None
    issued_on: IsoDate | None = None
    place: Text | None = None


class Representative(Strict):
    name: Text
    title: Text | None = None


class BusinessLine(Strict):
    code: Annotated[str, StringConstraints(strict=True, pattern=r"^\d{1,5}$")]
    label: Text


class Pdp(Strict):
    kind: Literal["internal", "external_org", "external_individual"]
    unit_name: Text | None = None
    unit_phone: Text | None = None
    unit_email: Email | None = None
    name: Text
    title: Text | None = None
    phone: Text
    email: Email
    appointment_document: RelPath | None = None
    qualification_documents: list[RelPath] = []
    service_contract: RelPath | None = None
    tax_code: TaxCode | None = None
    legal_representative: Text | None = None
    address: Text | None = None
    website: Text | None = None


class Document(Strict):
    title: Text
    path: RelPath


class Transferor(Strict):
    kind: Literal["organisation", "individual"]
    role: Literal["controller", "controller_processor", "processor", "third_party"]
    name_vi: Text
    name_foreign: Text | None = None
    abbreviation: Text | None = None
    tax_code: TaxCode | None = None
    id_number: Text | None = None
    address: Text
    transaction_address: Text | None = None
    registration: Registration | None = None
    legal_representative: Representative | None = None
    size: Literal["micro", "small", "startup", "medium", "large", "household"] | None = None
    phone: Text
    email: Email
    website: Text | None = None
    business_lines: list[BusinessLine] = []
    branch_count: Count | None = None
    pdp: Pdp
    policies: list[Document] = []


class Contact(Strict):
    name: Text
    title: Text | None = None
    email: Email
    phone: Text | None = None


class Contract(Strict):
    reference: Text
    signed_on: IsoDate
    path: RelPath | None = None
    clauses: list[ClauseKey] = []


class Evidence(Strict):
    title: Text
    path: RelPath | None = None
    expires_on: IsoDate | None = None


class Certification(Strict):
    name: Text
    issuer: Text
    expires_on: IsoDate
    evidence: Evidence | None = None


class Safeguards(Strict):
    """What an overseas recipient attests about its protection of the data (A.III.3)."""

    attested_by: Text
    attested_on: IsoDate
    encryption_in_transit: StrictBool | None = None
    encryption_at_rest: StrictBool | None = None
    access_control: Text | None = None
    certifications: list[Certification] = []
    incident_notification_hours: Count | None = None
    data_subject_request_days: Count | None = None
    onward_transfer_controls: Text | None = None
    retention_and_deletion: Text | None = None
    government_access_policy: Text | None = None
    local_law: Text | None = None
    security_testing: Text | None = None
    evidence: list[Evidence] = []


class Recipient(Strict):
    id: RecipientId
    name: Text
    country: Country
    role: Literal["controller", "joint_controller", "processor", "sub_processor"]
    address: Text
    tax_or_registration_no: Text | None = None
    pdp_contact: Contact
    service: Text
    contract: Contract | None = None
    safeguards: Safeguards | None = None


class OtherParty(Strict):
    id: RecipientId
    role: Literal["on_behalf", "other"]
    name: Text
    country: Country
    tax_or_registration_no: Text | None = None
    pdp_contact: Contact
    contract: Contract | None = None
    service: Text
    note: Text | None = None


class SubjectGroup(Strict):
    name: Text
    count: Count
    kind: SubjectKind
    activities: list[Activity] | None = None


class Data(Strict):
    subject_groups: Annotated[list[SubjectGroup], Field(min_length=1)]
    basic: Annotated[list[BasicCode], Field(min_length=1)]
    sensitive: list[SensitiveCode]
    sensitive_subject_count: Count | None = None

    @property
    def basic_subject_count(self) -> int:
        """People with basic data: groups summed, overlaps counted twice (conservative)."""
        return sum(g.count for g in self.subject_groups)

    @property
    def sensitive_count(self) -> int:
        return (self.sensitive_subject_count or 0) if self.sensitive else 0


class Flow(Strict):
    subject_group: Text
    recipient: Text
    purpose: Text
    includes_sensitive: StrictBool
    post_transfer_processing: Text
    systems: list[Text] = []
    diagram: RelPath | None = None


class TestingEntry(Strict):
    content: Text
    scope: Text
    frequency: Text
    purpose: Text


class Security(Strict):
    measures: Text | None = None
    standards: list[Text] = []
    testing: list[TestingEntry] = []
    system_diagram: RelPath | None = None


class SelfAssessment(Strict):
    method: Text
    date: IsoDate
    result: Text


class Governance(Strict):
    retention: Text | None = None
    deletion: Text | None = None
    consent_method: Text | None = None
    legal_basis: (
        Literal[
            "consent", "contract", "legal_obligation", "vital_interest", "public_interest", "other"
        ]
        | None
    ) = None
    self_assessment: SelfAssessment | None = None


class Business(Strict):
    necessity: Text | None = None
    current_practice: Text | None = None
    domestic_transfer: StrictBool | None = None
    domestic_transfer_for_fee: StrictBool | None = None
    data_exchange_trading: StrictBool | None = None
    processing_service_business: StrictBool | None = None
    # Form 09 §A.II.8: which of the Decree 356 Art 21 services the transferor offers.
    processing_services: list[ProcessingServiceCode] = []


class Attachment(Strict):
    title: Text
    path: RelPath
    kind: AttachmentKind


class TransferIntake(Strict):
    """One proposed or existing cross-border transfer, as a compliance officer describes it."""

    schema_: Literal["dtia.intake/v1"] = Field(alias="schema")
    transfer: Transfer
    transferor: Transferor
    recipients: Annotated[list[Recipient], Field(min_length=1)]
    other_parties: list[OtherParty] = []
    data: Data
    flows: Annotated[list[Flow], Field(min_length=1)]
    security: Security = Security()
    governance: Governance = Governance()
    business: Business = Business()
    attachments: list[Attachment] = []

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


@dataclass(frozen=True)
class FileFact:
    """A file the intake references, as the engine saw it when loading."""

    path: str
    sha256: str
    size: int
    text: str | None = None  # decoded text of policy-like text files, for disclosure checks


@dataclass(frozen=True)
class LoadedIntake:
    """A validated intake with what the engine learned from its folder."""

    intake: TransferIntake
    source: str
    input_sha256: str
    files: dict[str, FileFact] = field(default_factory=dict)

    def text_of(self, relpath: str) -> str | None:
        fact = self.files.get(relpath)
        return fact.text if fact else None


def format_loc(loc: tuple[int | str, ...]) -> str:
    """('recipients', 0, 'country') -> 'recipients[0].country'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _yaml_lines(text: str) -> dict[str, int]:
    """Map each key path of a YAML document to the 1-based line where it starts."""
    lines: dict[str, int] = {}

    def walk(node: yaml.Node, path: str) -> None:
        lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                name = str(key.value)
                child = f"{path}.{name}" if path else name
                lines[child] = key.start_mark.line + 1
                walk(value, child)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, f"{path}[{i}]")

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return lines
    if root is not None:
        walk(root, "")
    return lines


def _nearest_line(path: str, lines: dict[str, int]) -> int | None:
    probe = path
    while probe:
        if probe in lines:
            return lines[probe]
        cut = max(probe.rfind("."), probe.rfind("["))
        probe = probe[:cut] if cut > 0 else ""
    return None


def _problems_from(exc: ValidationError, lines: dict[str, int]) -> list[Problem]:
    problems = []
    for err in exc.errors(include_url=False):
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and "[" in p))
        path = format_loc(loc).replace("schema_", "schema")
        message = err["msg"]
        if message.startswith("Value error, "):
            message = message[len("Value error, ") :]
        if err["type"] == "extra_forbidden":
            message = "unknown key (not in dtia.intake/v1)"
        elif err["type"] == "string_type" and isinstance(err.get("input"), int | float):
            message = (
                f"expected text, but YAML read a number ({err['input']!r}): put the value in quotes"
            )
        elif err["type"] == "literal_error":
            message = (
                f"{err.get('input')!r} is not allowed: {message.removeprefix('Input should be ')}"
            )
        problems.append(Problem(path, message, _nearest_line(path, lines)))
    return problems


# libyaml's parser when PyYAML was built with it (the wheels are): several times faster.
_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _IntakeLoader(_BaseLoader):  # type: ignore[valid-type,misc]
    """PyYAML's safe loader, minus two traps.

    Dates stay strings, so an impossible date such as 2026-02-30 is reported at its key
    path instead of crashing the parser; a key given twice in one mapping is recorded,
    because the later value would otherwise silently win.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicates: list[tuple[str, int]] = []

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                self.duplicates.append((str(key), key_node.start_mark.line + 1))
            seen.add(key)
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        return mapping


_IntakeLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _read_yaml(text: str, source: str) -> tuple[Any, list[Problem]]:
    loader = _IntakeLoader(text)
    try:
        data = loader.get_single_data()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc)
        raise IntakeError(
            source, [Problem("", f"not valid YAML or JSON: {reason}", line)]
        ) from None
    finally:
        loader.dispose()
    return data, [
        Problem("", f"the key {key!r} is given twice in one mapping", line)
        for key, line in loader.duplicates
    ]


def referenced_paths(raw: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """Every file path an intake mapping names, as (key path, relative path)."""

    def get(node: Any, *keys: str | int) -> Any:
        for key in keys:
            if isinstance(key, int):
                node = node[key] if isinstance(node, list) and key < len(node) else None
            else:
                node = node.get(key) if isinstance(node, dict) else None
        return node

    def items(*keys: str) -> list[Any]:
        value = get(raw, *keys)
        return value if isinstance(value, list) else []

    candidates: list[tuple[str, Any]] = [
        (
            "transferor.pdp.appointment_document",
            get(raw, "transferor", "pdp", "appointment_document"),
        ),
        ("transferor.pdp.service_contract", get(raw, "transferor", "pdp", "service_contract")),
        ("security.system_diagram", get(raw, "security", "system_diagram")),
    ]
    candidates += [
        (f"transferor.pdp.qualification_documents[{i}]", d)
        for i, d in enumerate(items("transferor", "pdp", "qualification_documents"))
    ]
    candidates += [
        (f"transferor.policies[{i}].path", get(p, "path"))
        for i, p in enumerate(items("transferor", "policies"))
    ]
    for i, r in enumerate(items("recipients")):
        candidates.append((f"recipients[{i}].contract.path", get(r, "contract", "path")))
        for j, ev in enumerate(get(r, "safeguards", "evidence") or []):
            candidates.append((f"recipients[{i}].safeguards.evidence[{j}].path", get(ev, "path")))
        for j, cert in enumerate(get(r, "safeguards", "certifications") or []):
            candidates.append(
                (
                    f"recipients[{i}].safeguards.certifications[{j}].evidence.path",
                    get(cert, "evidence", "path"),
                )
            )
    candidates += [
        (f"other_parties[{i}].contract.path", get(p, "contract", "path"))
        for i, p in enumerate(items("other_parties"))
    ]
    candidates += [(f"flows[{i}].diagram", get(f, "diagram")) for i, f in enumerate(items("flows"))]
    candidates += [
        (f"attachments[{i}].path", get(a, "path")) for i, a in enumerate(items("attachments"))
    ]
    for key_path, value in candidates:
        if isinstance(value, str) and value.strip():
            yield key_path, value.strip()


def file_root(rel: str, base: Path, data_dir: Path | None) -> Path:
    """The folder a path the intake names is relative to: evidence a recipient uploaded on
    the portal is kept in the data folder, everything else lies next to the intake."""
    if data_dir is not None and rel.startswith(STORED_EVIDENCE + "/"):
        return data_dir
    return base


def _file_facts(
    raw: dict[str, Any], base: Path, stored: Path | None = None
) -> tuple[dict[str, FileFact], list[Problem]]:
    problems: list[Problem] = []
    files: dict[str, FileFact] = {}
    for key_path, rel in referenced_paths(raw):
        if rel in files:
            continue
        try:
            _relative_path(rel)
        except ValueError:
            continue  # reported by the field validation
        root = file_root(rel, base, stored)
        target = (root / rel).resolve()
        if not target.is_relative_to(root):
            problems.append(Problem(key_path, f"{rel!r} leads outside the intake's folder"))
        elif not target.is_file():
            problems.append(Problem(key_path, f"file {rel!r} does not exist next to the intake"))
        else:
            content = target.read_bytes()
            problems += file_problems(key_path, rel, content)
            text = (
                content.decode("utf-8", errors="replace")
                if target.suffix.lower() in TEXT_SUFFIXES
                else None
            )
            files[rel] = FileFact(rel, hashlib.sha256(content).hexdigest(), len(content), text)
    return files, problems


def _validate(
    raw: dict[str, Any],
    source: str,
    text: str | None,
    base: Path | None,
    extra: list[Problem],
    stored: Path | None = None,
) -> LoadedIntake:
    """Field validation, cross-field checks and file checks, all reported together. Lines are
    looked up in ``text`` only when there is a problem to place (a second YAML pass)."""
    problems = list(extra)
    intake: TransferIntake | None = None
    error: ValidationError | None = None
    try:
        intake = TransferIntake.model_validate(raw)
    except ValidationError as exc:
        error = exc
    lines = _yaml_lines(text) if text and (error is not None or extra) else {}
    if error is not None:
        problems += _problems_from(error, lines)
    problems += semantic_problems(raw)
    files: dict[str, FileFact] = {}
    if base is not None:
        files, file_problems = _file_facts(raw, base, stored)
        problems += file_problems
    if problems or intake is None:
        if not lines and text:
            lines = _yaml_lines(text)
        unique = {(p.path, p.message): p for p in problems}
        raise IntakeError(
            source,
            [
                Problem(
                    p.path,
                    p.message,
                    p.line if p.line is not None else _nearest_line(p.path, lines),
                )
                for p in unique.values()
            ],
        )
    return LoadedIntake(intake, source, input_digest(intake, files), files)


def parse_intake(text: str, source: str = "<intake>", base: Path | None = None) -> LoadedIntake:
    """Validate intake text (YAML or JSON); with ``base``, also the files it names."""
    raw, duplicates = _read_yaml(text, source)
    if not isinstance(raw, dict):
        raise IntakeError(source, [Problem("", "the intake must be a mapping of keys to values")])
    if raw.get("schema") != SCHEMA_ID:
        raise IntakeError(
            source,
            [
                Problem(
                    "schema",
                    f"must be {SCHEMA_ID!r}, got {raw.get('schema')!r}",
                    _yaml_lines(text).get("schema"),
                )
            ],
        )
    return _validate(raw, source, text, base, duplicates)


def load_intake(path: Path) -> LoadedIntake:
    """Read, validate and fingerprint an intake file and the files it references."""
    source = str(path)
    try:
        raw_bytes = path.read_bytes()
    except OSError as exc:
        raise IntakeError(source, [Problem("", f"cannot read the file: {exc.strerror}")]) from None
    try:
        text = raw_bytes.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise IntakeError(source, [Problem("", f"not UTF-8 text (byte {exc.start})")]) from None
    return parse_intake(text, source, path.resolve().parent)


def with_safeguards(intake: TransferIntake, answers: dict[str, Safeguards]) -> TransferIntake:
    """The intake with the given recipients' safeguards filled in."""
    data: dict[str, Any] = intake.model_dump(mode="json", by_alias=True)
    for r in data["recipients"]:
        if r["id"] in answers:
            r["safeguards"] = answers[r["id"]].model_dump(mode="json", exclude_defaults=True)
    return TransferIntake.model_validate(data)


def load_intake_model(
    intake: TransferIntake,
    base_dir: Path | None = None,
    source: str = "<intake>",
    data_dir: Path | None = None,
) -> LoadedIntake:
    """An intake given as a model (a form, an API call). Without ``base_dir`` the files it
    names cannot be read, so checks that need their content are skipped. With ``data_dir``,
    paths under ``evidence/`` are read from the data folder, where recipients' uploads are
    kept."""
    raw = intake.model_dump(mode="json", by_alias=True)
    stored = data_dir.resolve() if data_dir else None
    return _validate(raw, source, None, base_dir.resolve() if base_dir else None, [], stored)


def input_digest(intake: TransferIntake, files: dict[str, FileFact] | None = None) -> str:
    """SHA-256 of the intake's content and of every file it references.

    Hashes the validated model, not the raw bytes, so reformatting or commenting a YAML
    file does not make a new assessment version; a changed attachment does.
    """
    payload = {
        "intake": intake.model_dump(mode="json", by_alias=True),
        "files": {k: v.sha256 for k, v in sorted((files or {}).items())},
    }
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def intake_json_schema() -> dict[str, Any]:
    """The JSON Schema of ``dtia.intake/v1`` as pydantic derives it from the models."""
    schema = TransferIntake.model_json_schema(by_alias=True)
    schema["$id"] = "https://dtia.dev/schemas/dtia.intake/v1.json"
    schema["title"] = "dtia.intake/v1"
    return schema


def parse_safeguards(text: str, source: str) -> Safeguards:
    """A recipient's answer to the safeguards questionnaire (YAML or JSON), validated strictly."""
    raw, duplicates = _read_yaml(text, source)
    if not isinstance(raw, dict):
        raise IntakeError(source, [Problem("", "the answer must be a mapping of keys to values")])
    lines = _yaml_lines(text)
    try:
        answer = Safeguards.model_validate(raw)
    except ValidationError as exc:
        raise IntakeError(source, duplicates + _problems_from(exc, lines)) from None
    if duplicates:
        raise IntakeError(source, duplicates)
    return answer
