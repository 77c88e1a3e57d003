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
    model_validator,
)

from dtia.errors import IntakeError, Problem

SCHEMA_ID = "dtia.intake/v1"

# Files whose text the engine reads to check what a published policy discloses.
TEXT_SUFFIXES = frozenset({".txt", ".md", ".html", ".htm"})


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

    @model_validator(mode="after")
    def _decree13_before_law(self) -> PriorDossier:
        # Law 91 Art 39(2): only Decree 13 dossiers received before the Law took effect survive.
        if self.regime == "decree-13-2023" and self.received_on >= date(2026, 1, 1):
            raise ValueError(
                "a decree-13-2023 dossier counts only if received before 2026-01-01 "
                f"(Law 91/2025 Art 39(2)); received_on is {self.received_on.isoformat()}"
            )
        return self


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

    @model_validator(mode="after")
    def _activities_fit_direction(self) -> Transfer:
        if len(set(self.activities)) != len(self.activities):
            raise ValueError("activities must not repeat")
        if self.direction == "inbound" and self.activities:
            raise ValueError("activities must be empty for an inbound transfer")
        if self.direction != "inbound" and not self.activities:
            raise ValueError(f"at least one activity is required for direction {self.direction!r}")
        if "other" in self.activities and not self.activity_other:
            raise ValueError("activity_other is required when activities include 'other'")
        codes = [c.code for c in self.exemption_claims]
        if len(set(codes)) != len(codes):
            raise ValueError("exemption_claims must not repeat a code")
        return self


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

    @model_validator(mode="after")
    def _kind_fields(self) -> Transferor:
        if self.kind == "organisation":
            if self.tax_code is None:
                raise ValueError("tax_code is required for an organisation")
            if not self.business_lines:
                raise ValueError("business_lines is required for an organisation")
        if self.kind == "individual" and self.id_number is None:
            raise ValueError("id_number is required for an individual")
        return self


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

    @model_validator(mode="after")
    def _abroad(self) -> Recipient:
        if self.country == "VN":
            raise ValueError("an overseas recipient cannot be in VN")
        return self


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

    @model_validator(mode="after")
    def _consistent(self) -> Data:
        names = [g.name for g in self.subject_groups]
        if len(set(names)) != len(names):
            raise ValueError("subject_groups names must be unique")
        if len(set(self.basic)) != len(self.basic) or len(set(self.sensitive)) != len(
            self.sensitive
        ):
            raise ValueError("data codes must not repeat")
        if self.sensitive and self.sensitive_subject_count is None:
            raise ValueError("sensitive_subject_count is required when sensitive is not empty")
        total = sum(g.count for g in self.subject_groups)
        if self.sensitive_subject_count is not None and self.sensitive_subject_count > total:
            raise ValueError(
                f"sensitive_subject_count ({self.sensitive_subject_count}) exceeds the people "
                f"in subject_groups ({total})"
            )
        return self

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

    def cross_references(self) -> list[Problem]:
        """Problems that span sections: flows naming unknown groups, duplicate ids, ..."""
        problems: list[Problem] = []
        recipient_ids = [r.id for r in self.recipients]
        seen: set[str] = set()
        for i, rid in enumerate(recipient_ids):
            if rid in seen:
                problems.append(Problem(f"recipients[{i}].id", f"{rid!r} is used twice"))
            seen.add(rid)
        groups = {g.name for g in self.data.subject_groups}
        for i, flow in enumerate(self.flows):
            if flow.subject_group not in groups:
                problems.append(
                    Problem(
                        f"flows[{i}].subject_group",
                        f"{flow.subject_group!r} is not a name in data.subject_groups",
                    )
                )
            if flow.recipient not in seen:
                problems.append(
                    Problem(
                        f"flows[{i}].recipient", f"{flow.recipient!r} is not an id in recipients"
                    )
                )
        has_sensitive_flow = any(f.includes_sensitive for f in self.flows)
        if has_sensitive_flow and not self.data.sensitive:
            problems.append(
                Problem(
                    "data.sensitive",
                    "a flow includes sensitive data but no sensitive type is ticked",
                )
            )
        if self.data.sensitive and not has_sensitive_flow:
            problems.append(
                Problem(
                    "flows",
                    "sensitive data types are ticked but no flow has includes_sensitive: true",
                )
            )
        activities = set(self.transfer.activities)
        for i, group in enumerate(self.data.subject_groups):
            for activity in group.activities or []:
                if activity not in activities:
                    problems.append(
                        Problem(
                            f"data.subject_groups[{i}].activities",
                            f"{activity!r} is not one of transfer.activities",
                        )
                    )
        return problems

    def referenced_paths(self) -> Iterator[tuple[str, str]]:
        """Every file the intake points at, as (key path, relative path)."""
        t = self.transferor
        if t.pdp.appointment_document:
            yield "transferor.pdp.appointment_document", t.pdp.appointment_document
        for i, doc in enumerate(t.pdp.qualification_documents):
            yield f"transferor.pdp.qualification_documents[{i}]", doc
        if t.pdp.service_contract:
            yield "transferor.pdp.service_contract", t.pdp.service_contract
        for i, pol in enumerate(t.policies):
            yield f"transferor.policies[{i}].path", pol.path
        for i, r in enumerate(self.recipients):
            if r.contract and r.contract.path:
                yield f"recipients[{i}].contract.path", r.contract.path
            if r.safeguards:
                for j, ev in enumerate(r.safeguards.evidence):
                    if ev.path:
                        yield f"recipients[{i}].safeguards.evidence[{j}].path", ev.path
                for j, cert in enumerate(r.safeguards.certifications):
                    if cert.evidence and cert.evidence.path:
                        yield (
                            f"recipients[{i}].safeguards.certifications[{j}].evidence.path",
                            cert.evidence.path,
                        )
        for i, p in enumerate(self.other_parties):
            if p.contract and p.contract.path:
                yield f"other_parties[{i}].contract.path", p.contract.path
        for i, flow in enumerate(self.flows):
            if flow.diagram:
                yield f"flows[{i}].diagram", flow.diagram
        if self.security.system_diagram:
            yield "security.system_diagram", self.security.system_diagram
        for i, att in enumerate(self.attachments):
            yield f"attachments[{i}].path", att.path


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


def parse_intake(text: str, source: str = "<intake>") -> tuple[TransferIntake, dict[str, int]]:
    """Validate intake text (YAML or JSON) without touching the file system."""
    try:
        raw: Any = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc)
        raise IntakeError(
            source, [Problem("", f"not valid YAML or JSON: {reason}", line)]
        ) from None
    if not isinstance(raw, dict):
        raise IntakeError(source, [Problem("", "the intake must be a mapping of keys to values")])
    lines = _yaml_lines(text)
    if raw.get("schema") != SCHEMA_ID:
        raise IntakeError(
            source,
            [
                Problem(
                    "schema",
                    f"must be {SCHEMA_ID!r}, got {raw.get('schema')!r}",
                    lines.get("schema"),
                )
            ],
        )
    try:
        intake = TransferIntake.model_validate(raw)
    except ValidationError as exc:
        raise IntakeError(source, _problems_from(exc, lines)) from None
    cross = intake.cross_references()
    if cross:
        raise IntakeError(
            source, [Problem(p.path, p.message, _nearest_line(p.path, lines)) for p in cross]
        )
    return intake, lines


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
    intake, lines = parse_intake(text, source)
    return _with_files(intake, source, path.resolve().parent, lines)


def load_intake_model(
    intake: TransferIntake, base_dir: Path | None = None, source: str = "<intake>"
) -> LoadedIntake:
    """An intake given as a model (a form, an API call). Without ``base_dir`` the files it
    names cannot be read, so checks that need their content are skipped."""
    cross = intake.cross_references()
    if cross:
        raise IntakeError(source, cross)
    if base_dir is None:
        return LoadedIntake(intake, source, input_digest(intake), {})
    return _with_files(intake, source, base_dir.resolve(), {})


def _with_files(
    intake: TransferIntake, source: str, base: Path, lines: dict[str, int]
) -> LoadedIntake:
    problems: list[Problem] = []
    files: dict[str, FileFact] = {}
    for key_path, rel in intake.referenced_paths():
        if rel in files:
            continue
        target = (base / rel).resolve()
        if not target.is_relative_to(base):
            problems.append(
                Problem(
                    key_path,
                    f"{rel!r} leads outside the intake's folder",
                    _nearest_line(key_path, lines),
                )
            )
            continue
        if not target.is_file():
            problems.append(
                Problem(
                    key_path,
                    f"file {rel!r} does not exist next to the intake",
                    _nearest_line(key_path, lines),
                )
            )
            continue
        content = target.read_bytes()
        file_text = None
        if target.suffix.lower() in TEXT_SUFFIXES:
            file_text = content.decode("utf-8", errors="replace")
        files[rel] = FileFact(rel, hashlib.sha256(content).hexdigest(), len(content), file_text)
    if problems:
        raise IntakeError(source, problems)
    return LoadedIntake(intake, source, input_digest(intake, files), files)


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
