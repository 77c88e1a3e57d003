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
from collections.abc import Iterator, Mapping
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
    SerializerFunctionWrapHandler,
    StrictBool,
    StrictInt,
    StringConstraints,
    ValidationError,
    model_serializer,
    model_validator,
)
from pydantic.config import ExtraValues

from dtia.errors import IntakeError, Problem
from dtia.evidence import file_problems
from dtia.intake_checks import semantic_problems
from dtia.localtext import DEFAULT_LANGUAGE, LANGUAGES, Language, LocalText, spelled_out
from dtia.text import checked, checked_line, quoted
from dtia.yaml_limits import MAX_BYTES, MAX_TEXT, scan

SCHEMA_ID = "dtia.intake/v1"

# Files whose text the engine reads to check what a published policy discloses.
TEXT_SUFFIXES = frozenset({".txt", ".md", ".html", ".htm"})
# How a file a recipient uploaded on the portal is named among an intake's files (and in the
# dossier's attachments). It is found by its SHA-256 in the register, never by a path, and
# intake paths may not start with this folder, so the two can never be confused.
UPLOADED = "recipient-uploads"


# recipient id -> SHA-256 -> bytes: the uploaded evidence an intake may name.
Uploads = Mapping[str, Mapping[str, bytes]]


def upload_name(sha256: str, data: bytes | None = None) -> str:
    """An upload's name among the intake's files: evidence is a PDF; a published notice may
    be a PDF or text (``data`` tells which)."""
    text = data is not None and not data.startswith(b"%PDF-")
    return f"{UPLOADED}/{sha256}{'.txt' if text else '.pdf'}"



# Dates an intake may hold (intake.md, "Limits"): wide enough for any registration or ID
# document, narrow enough that adding a statutory period can never overflow.
EARLIEST = date(1900, 1, 1)
LATEST = date(2100, 12, 31)
# No transfer this engine assesses began before Decree 13/2023 was even drafted.
EARLIEST_TRANSFER = date(2020, 1, 1)
MAX_COUNT = 10**12
MAX_NAME = 150  # characters of a party's name
# The register finds a recipient by "CC:" and its name case-folded (dtia.store.repo's
# recipient_key, a 200-character column): the folded name must fit in what remains.
MAX_FOLDED_NAME = 200 - 3
MAX_PATH = 1_000  # characters of a path an intake names
MAX_PATH_PART = 255  # bytes of one of its folder or file names, as file systems allow


def _iso_date(value: object) -> object:
    # A bare int or a "2026/03/02" must not be coerced into a date by pydantic's lax mode.
    if isinstance(value, date):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return date.fromisoformat(value)
        except ValueError as exc:
            raise ValueError(f"{quoted(value)} is not a valid calendar date") from exc
    raise ValueError(f"{quoted(value)} is not an ISO date (YYYY-MM-DD)")


def _between(earliest: date, latest: date) -> AfterValidator:
    def check(value: date) -> date:
        if not earliest <= value <= latest:
            raise ValueError(
                f"{value.isoformat()} is outside the accepted range "
                f"{earliest.isoformat()} to {latest.isoformat()}"
            )
        return value

    return AfterValidator(check)


def _country(value: str) -> str:
    if pycountry.countries.get(alpha_2=value) is None or value != value.upper():
        raise ValueError(f"{quoted(value)} is not an ISO 3166-1 alpha-2 code")
    return value


def _email(value: str) -> str:
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value):
        raise ValueError(f"{quoted(value)} is not an email address")
    return checked_line(value)


def _relative_path(value: str) -> str:
    checked_line(value)
    pure = PurePosixPath(value)
    if pure.is_absolute() or value.startswith("\\") or re.match(r"^[A-Za-z]:", value):
        raise ValueError(f"{quoted(value)} must be relative to the intake's folder")
    if ".." in pure.parts:
        raise ValueError(f"{quoted(value)} must stay inside the intake's folder")
    if len(value) > MAX_PATH:
        raise ValueError(f"is {len(value):,} characters long; a path may have at most {MAX_PATH:,}")
    for part in pure.parts:
        if len(part.encode("utf-8")) > MAX_PATH_PART:
            raise ValueError(
                f"the name {quoted(part)} is longer than {MAX_PATH_PART} bytes, "
                "more than a file system allows"
            )
    return value


def _folded_name(value: str) -> str:
    folded = len(" ".join(value.casefold().split()))
    if folded > MAX_FOLDED_NAME:
        raise ValueError(
            f"is {folded} characters once case-folded (some letters, such as ß, fold into two); "
            f"at most {MAX_FOLDED_NAME} are accepted"
        )
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_date), _between(EARLIEST, LATEST)]
TransferDate = Annotated[date, BeforeValidator(_iso_date), _between(EARLIEST_TRANSFER, LATEST)]
# Free text: tab and newline allowed, other control characters refused (dtia.text).
Text = Annotated[
    str,
    StringConstraints(strict=True, strip_whitespace=True, min_length=1, max_length=MAX_TEXT),
    AfterValidator(checked),
]
# A party's name: one line, short enough for the register's recipient key.
Name = Annotated[
    str,
    StringConstraints(strict=True, strip_whitespace=True, min_length=1, max_length=MAX_NAME),
    AfterValidator(checked_line),
]
Count = Annotated[StrictInt, Field(ge=0, le=MAX_COUNT)]
Slug = Annotated[str, StringConstraints(strict=True, pattern=r"^[a-z0-9-]{3,64}$")]
RecipientId = Annotated[str, StringConstraints(strict=True, pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")]
Country = Annotated[str, StringConstraints(strict=True), AfterValidator(_country)]
Email = Annotated[
    str,
    StringConstraints(strict=True, strip_whitespace=True, max_length=254),  # RFC 5321
    AfterValidator(_email),
]
RelPath = Annotated[Text, AfterValidator(_relative_path)]
RecipientName = Annotated[Name, AfterValidator(_folded_name)]
TaxCode = Annotated[str, StringConstraints(strict=True, pattern=r"^\d{10}(-\d{3})?$")]
Sha256 = Annotated[str, StringConstraints(strict=True, pattern=r"^[0-9a-f]{64}$")]

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
# What a recipient provides (spec intake.md, recipients[].provides): decides which
# recipients the Decree 356 Art 12(2) cloud clauses bind and which exemptions they fit.
ProvidedService = Literal[
    "cloud_service",
    "payment",
    "transport_logistics",
    "hotel",
    "visa",
    "scholarship",
    "press_media",
    "emergency_response",
    "hr_system",
    "group_use",
    "analytics",
    "marketing",
    "customer_support",
    "other",
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


def _absent(value: object) -> bool:
    return value is None


def _is_vi(value: object) -> bool:
    return value == DEFAULT_LANGUAGE


def _no_entries(value: object) -> bool:
    return value == {}


def _language_code(value: str) -> str:
    if pycountry.languages.get(alpha_2=value) is None:
        raise ValueError(f"{quoted(value)} is not an ISO 639-1 language code (vi, en, ja, ...)")
    return value


# The language of an attached document: ISO 639-1, lower case (vi, en, ja, ...).
AttachmentLanguage = Annotated[
    str, StringConstraints(strict=True, pattern=r"^[a-z]{2}$"), AfterValidator(_language_code)
]
# The Form 09 §A.III sections an officer may write in their own words (spec intake.md,
# "analysis"): the necessity (III.1), the impact analyses (III.2.x), the recipient's level.
AnalysisSection = Literal[
    "A.III.1",
    "A.III.2.1",
    "A.III.2.2",
    "A.III.2.3",
    "A.III.3.1",
    "A.III.3.2",
    "A.III.3.3",
    "A.III.3.4",
]
# Fields added after intakes were first stored are left out of a dump while they hold their
# default (exclude_if), so an intake that does not use them keeps its input digest.


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class ExemptionClaim(Strict):
    code: ExemptionCode
    justification: LocalText


class PriorDossier(Strict):
    regime: Literal["decree-13-2023", "law-91-2025"]
    received_on: IsoDate
    reference: Text


class OnwardTransfer(Strict):
    allowed: StrictBool
    procedure: LocalText | None = None


class Transfer(Strict):
    id: Slug
    title: LocalText
    direction: Literal["outbound", "inbound", "both"]
    activities: list[Activity]
    activity_other: LocalText | None = None
    first_transfer_date: TransferDate
    purposes: Annotated[list[LocalText], Field(min_length=1)]
    exemption_claims: list[ExemptionClaim] = []
    prior_dossier: PriorDossier | None = None
    onward_transfer: OnwardTransfer | None = None
    # None = not stated: read as false, but an exemption that rests on it is unconfirmed.
    one_off: StrictBool | None = None


class Registration(Strict):
    number: Text | None = None
    issuer: Text | None = None
    issued_on: IsoDate | None = None
    place: Text | None = None


class Representative(Strict):
    name: Text
    title: LocalText | None = None


class BusinessLine(Strict):
    code: Annotated[str, StringConstraints(strict=True, pattern=r"^\d{1,5}$")]
    label: LocalText


class Pdp(Strict):
    kind: Literal["internal", "external_org", "external_individual"]
    unit_name: LocalText | None = None
    unit_phone: Text | None = None
    unit_email: Email | None = None
    name: Text
    title: LocalText | None = None
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
    title: LocalText
    path: RelPath


class Transferor(Strict):
    kind: Literal["organisation", "individual"]
    role: Literal["controller", "controller_processor", "processor", "third_party"]
    name_vi: Name
    name_foreign: Name | None = None
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
    # None = not stated: read as false (Law 91 Art 20(6)(a) needs it to be true).
    state_agency: StrictBool | None = None


class Contact(Strict):
    name: Text
    title: LocalText | None = None
    email: Email
    phone: Text | None = None


class Contract(Strict):
    reference: Text
    signed_on: IsoDate
    path: RelPath | None = None
    clauses: list[ClauseKey] = []


class Evidence(Strict):
    title: LocalText
    path: RelPath | None = None
    # A PDF the recipient uploaded with its questionnaire answer, by its SHA-256. Set by the
    # portal; honoured only when the register holds that upload in this recipient's answers.
    upload: Sha256 | None = None
    expires_on: IsoDate | None = None

    @model_validator(mode="after")
    def _one_source(self) -> Evidence:
        if self.path is not None and self.upload is not None:
            raise ValueError("give either path or upload, not both")
        return self


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
    access_control: LocalText | None = None
    certifications: list[Certification] = []
    incident_notification_hours: Count | None = None
    data_subject_request_days: Count | None = None
    onward_transfer_controls: LocalText | None = None
    retention_and_deletion: LocalText | None = None
    government_access_policy: LocalText | None = None
    local_law: LocalText | None = None
    security_testing: LocalText | None = None
    evidence: list[Evidence] = []
    # The recipient's published privacy notices, uploaded with its answer on the portal (or
    # named by path in an answer file); checked like recipients[].notices.
    notices: list[Evidence] = Field(default_factory=list, exclude_if=_no_entries)


class Recipient(Strict):
    id: RecipientId
    name: RecipientName
    country: Country
    role: Literal["controller", "joint_controller", "processor", "sub_processor"]
    address: Text
    tax_or_registration_no: Text | None = None
    pdp_contact: Contact
    service: LocalText
    contract: Contract | None = None
    safeguards: Safeguards | None = None
    # None = not stated: the conservative defaults of the spec apply.
    provides: Annotated[list[ProvidedService], Field(min_length=1)] | None = None
    # The recipient's system or architecture diagram (Decree 356 Art 18(3)(e)).
    system_diagram: RelPath | None = Field(default=None, exclude_if=_absent)
    # The recipient's published privacy notices (a joint-use notice, a privacy policy): what
    # they disclose is checked as the transferor's policies are (dtia.disclosures).
    notices: list[Document] = Field(default_factory=list, exclude_if=_no_entries)


class OtherParty(Strict):
    id: RecipientId
    role: Literal["on_behalf", "other"]
    name: Name
    country: Country
    tax_or_registration_no: Text | None = None
    pdp_contact: Contact
    contract: Contract | None = None
    service: LocalText
    note: LocalText | None = None


class SubjectGroup(Strict):
    name: Text  # the group's identifier: flows name it
    # What the dossier prints for the group (default: its name).
    label: LocalText | None = Field(default=None, exclude_if=_absent)
    count: Count
    kind: SubjectKind
    activities: list[Activity] | None = None

    @property
    def printed_label(self) -> LocalText:
        return self.label if self.label is not None else LocalText(vi=self.name)


class Data(Strict):
    subject_groups: Annotated[list[SubjectGroup], Field(min_length=1)]
    basic: Annotated[list[BasicCode], Field(min_length=1)]
    sensitive: list[SensitiveCode]
    sensitive_subject_count: Count | None = None
    # None = not stated: read as false (Decree 356 Art 17(3)(b) needs it to be true).
    publicised: StrictBool | None = None
    # Whether a complete copy of the data transferred stays in Vietnam (Decree 333/2026
    # Art 19); None = not stated.
    local_copy: StrictBool | None = None

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
    purpose: LocalText
    includes_sensitive: StrictBool
    post_transfer_processing: LocalText
    systems: list[Text] = []
    diagram: RelPath | None = None


class TestingEntry(Strict):
    content: LocalText
    scope: LocalText
    frequency: LocalText
    purpose: LocalText


class Security(Strict):
    measures: LocalText | None = None
    standards: list[Text] = []
    testing: list[TestingEntry] = []
    system_diagram: RelPath | None = None


class SelfAssessment(Strict):
    method: LocalText
    date: IsoDate
    result: LocalText


class Governance(Strict):
    retention: LocalText | None = None
    deletion: LocalText | None = None
    consent_method: LocalText | None = None
    legal_basis: (
        Literal[
            "consent", "contract", "legal_obligation", "vital_interest", "public_interest", "other"
        ]
        | None
    ) = None
    self_assessment: SelfAssessment | None = None


class Business(Strict):
    necessity: LocalText | None = None
    current_practice: LocalText | None = None
    domestic_transfer: StrictBool | None = None
    domestic_transfer_for_fee: StrictBool | None = None
    data_exchange_trading: StrictBool | None = None
    processing_service_business: StrictBool | None = None
    # Form 09 §A.II.8: which of the Decree 356 Art 21 services the transferor offers.
    processing_services: list[ProcessingServiceCode] = []


class Attachment(Strict):
    title: LocalText
    path: RelPath
    kind: AttachmentKind
    # The document's own language, and the path of its Vietnamese translation: the filed
    # dossier needs one for a document not in Vietnamese.
    language: AttachmentLanguage = Field(default=DEFAULT_LANGUAGE, exclude_if=_is_vi)
    translation: RelPath | None = Field(default=None, exclude_if=_absent)


class Signatory(Strict):
    name: Text
    title: LocalText
    # The letter of authority, when the signatory is not the legal representative.
    authorisation: RelPath | None = None


class Filing(Strict):
    """The formalities of the filed dossier's cover notice (Form 01a/01b)."""

    place: Text | None = None
    # The cover is dated with it; absent, the date line is left blank (never as_of).
    signed_on: IsoDate | None = None
    document_number: Text | None = None
    signatory: Signatory | None = None


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
    # Plain strings are in this language (LocalText reads it from the validation context).
    language: Language = Field(default=DEFAULT_LANGUAGE, exclude_if=_is_vi)
    filing: Filing | None = Field(default=None, exclude_if=_absent)
    analysis: dict[AnalysisSection, LocalText] = Field(default_factory=dict, exclude_if=_no_entries)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @classmethod
    def model_validate(
        cls,
        obj: Any,
        *,
        strict: bool | None = None,
        extra: ExtraValues | None = None,
        from_attributes: bool | None = None,
        context: Any | None = None,
        by_alias: bool | None = None,
        by_name: bool | None = None,
    ) -> TransferIntake:
        """Validate with plain strings read in the intake's own ``language``."""
        if context is None:
            context = {"language": intake_language(obj)}
        return super().model_validate(
            obj,
            strict=strict,
            extra=extra,
            from_attributes=from_attributes,
            context=context,
            by_alias=by_alias,
            by_name=by_name,
        )

    @model_serializer(mode="wrap")
    def _dump(self, handler: SerializerFunctionWrapHandler) -> Any:
        # A Vietnamese-only text dumps as a plain string, which a file in another language
        # would read back as that language: there it is written {vi: ...}.
        dumped = handler(self)
        if self.language != DEFAULT_LANGUAGE:
            dumped = spelled_out(dumped, self)
        return dumped

    def subject_label(self, name: str) -> LocalText:
        """What the dossier prints for the subject group ``name``: its label, else its name."""
        for group in self.data.subject_groups:
            if group.name == name:
                return group.printed_label
        return LocalText(vi=name)


def intake_language(raw: object) -> Language:
    """The top-level ``language`` of a raw intake, read before anything else; one that is
    not ``vi`` or ``en`` is reported by the field validation and read as the default."""
    language = raw.get("language") if isinstance(raw, dict) else None
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


@dataclass(frozen=True)
class FileFact:
    """A file the intake references, as the engine saw it when loading."""

    path: str
    sha256: str
    size: int
    # The text of a policy-like file, for disclosure checks: a text file decoded, a published
    # policy or notice in PDF as its pages' text separated by form feeds (dtia.policy.read).
    text: str | None = None


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
                f"expected text, but YAML read a number ({quoted(err['input'])}): "
                "put the value in quotes"
            )
        elif err["type"] == "literal_error":
            message = (
                f"{quoted(err.get('input'))} is not allowed: "
                f"{message.removeprefix('Input should be ')}"
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


@dataclass(frozen=True)
class _Read:
    data: Any
    duplicates: list[Problem]
    lines: dict[str, int]  # the line of each key path, for messages


def _syntax_error(source: str, exc: yaml.YAMLError) -> IntakeError:
    mark = getattr(exc, "problem_mark", None)
    line = mark.line + 1 if mark is not None else None
    reason = getattr(exc, "problem", None) or str(exc)
    return IntakeError(source, [Problem("", f"not valid YAML or JSON: {reason}", line)])


def _read_yaml(text: str, source: str) -> _Read:
    """Parse YAML or JSON text once its size, aliases, nesting, lengths and tags are
    within the limits (``dtia.yaml_limits``): nothing is built from a file that is not."""
    try:
        checked_text = scan(text, _BaseLoader)
    except yaml.YAMLError as exc:
        raise _syntax_error(source, exc) from None
    except UnicodeEncodeError:  # lone surrogates in text given as a str, not read from a file
        raise IntakeError(source, [Problem("", "not valid Unicode text")]) from None
    if checked_text.problems:
        raise IntakeError(source, checked_text.problems)
    loader = _IntakeLoader(text)
    try:
        data = loader.get_single_data()
    except yaml.YAMLError as exc:
        raise _syntax_error(source, exc) from None
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:
        # The scan refuses what is known to break PyYAML's constructors; should anything
        # else, it is still the input's fault, said without the value itself.
        raise IntakeError(
            source, [Problem("", f"a value cannot be read ({type(exc).__name__})")]
        ) from None
    finally:
        loader.dispose()
    duplicates = [
        Problem("", f"the key {quoted(key)} is given twice in one mapping", line)
        for key, line in loader.duplicates
    ]
    return _Read(data, duplicates, checked_text.lines)


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
        ("filing.signatory.authorisation", get(raw, "filing", "signatory", "authorisation")),
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
        candidates.append((f"recipients[{i}].system_diagram", get(r, "system_diagram")))
        notices = get(r, "notices")
        for j, n in enumerate(notices if isinstance(notices, list) else []):
            candidates.append((f"recipients[{i}].notices[{j}].path", get(n, "path")))
        evidence, certs = get(r, "safeguards", "evidence"), get(r, "safeguards", "certifications")
        answered = get(r, "safeguards", "notices")
        # not a list: the field validation reports it
        for j, ev in enumerate(evidence if isinstance(evidence, list) else []):
            candidates.append((f"recipients[{i}].safeguards.evidence[{j}].path", get(ev, "path")))
        for j, ev in enumerate(answered if isinstance(answered, list) else []):
            candidates.append((f"recipients[{i}].safeguards.notices[{j}].path", get(ev, "path")))
        for j, cert in enumerate(certs if isinstance(certs, list) else []):
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
    for i, a in enumerate(items("attachments")):
        candidates.append((f"attachments[{i}].path", get(a, "path")))
        candidates.append((f"attachments[{i}].translation", get(a, "translation")))
    for key_path, value in candidates:
        if isinstance(value, str) and value.strip():
            yield key_path, value.strip()


def referenced_uploads(raw: dict[str, Any]) -> Iterator[tuple[str, str, str]]:
    """Every uploaded evidence file an intake mapping names, as (key path, recipient id,
    SHA-256)."""
    recipients = raw.get("recipients")
    for i, r in enumerate(recipients if isinstance(recipients, list) else []):
        if not isinstance(r, dict) or not isinstance(r.get("safeguards"), dict):
            continue
        sg = r["safeguards"]
        # a list of the wrong type is the field validation's to report
        evidence, certs = sg.get("evidence"), sg.get("certifications")
        notices = sg.get("notices")
        found: list[tuple[str, Any]] = [
            (f"recipients[{i}].safeguards.evidence[{j}].upload", ev)
            for j, ev in enumerate(evidence if isinstance(evidence, list) else [])
        ]
        found += [
            (f"recipients[{i}].safeguards.notices[{j}].upload", ev)
            for j, ev in enumerate(notices if isinstance(notices, list) else [])
        ]
        found += [
            (f"recipients[{i}].safeguards.certifications[{j}].evidence.upload", c.get("evidence"))
            for j, c in enumerate(certs if isinstance(certs, list) else [])
            if isinstance(c, dict)
        ]
        for key_path, ev in found:
            sha = ev.get("upload") if isinstance(ev, dict) else None
            if isinstance(sha, str) and sha:
                yield key_path, str(r.get("id")), sha


def _file_facts(
    raw: dict[str, Any], base: Path | None, uploads: Uploads | None = None
) -> tuple[dict[str, FileFact], list[Problem]]:
    """The files an intake names, read from its folder only (when there is one); and the
    evidence its recipients uploaded, given by the register (``uploads``: recipient id ->
    SHA-256 -> bytes), never read through a path."""
    files, problems = _folder_files(raw, base) if base is not None else ({}, [])
    for key_path, recipient, sha in referenced_uploads(raw):
        data = (uploads or {}).get(recipient, {}).get(sha)
        if data is None or hashlib.sha256(data).hexdigest() != sha:
            problems.append(
                Problem(
                    key_path,
                    "the register holds no evidence with this SHA-256 uploaded by this "
                    "recipient (an intake names its own files by path)",
                )
            )
            continue
        name = upload_name(sha, data)
        notice = _is_notice(key_path)
        files[name] = FileFact(name, sha, len(data), policy_text(name, data) if notice else None)
    return files, problems


def policy_text(name: str, data: bytes) -> str | None:
    # Imported here: dtia.policy reads the law data, which reads this module.
    from dtia.policy.read import policy_text as read

    return read(name, data)


def _is_notice(key_path: str) -> bool:
    """Whether the file at ``key_path`` is a published policy or notice, whose text the
    disclosure check reads (a PDF's too)."""
    return ".policies[" in key_path or ".notices[" in key_path


def _folder_files(raw: dict[str, Any], base: Path) -> tuple[dict[str, FileFact], list[Problem]]:
    problems: list[Problem] = []
    files: dict[str, FileFact] = {}
    for key_path, rel in referenced_paths(raw):
        if rel in files:
            continue
        try:
            _relative_path(rel)
        except ValueError:
            continue  # reported by the field validation
        if PurePosixPath(rel).parts[0] == UPLOADED:
            problems.append(
                Problem(key_path, f"{UPLOADED}/ is reserved for evidence recipients upload")
            )
            continue
        target = (base / rel).resolve()
        if not target.is_relative_to(base):
            problems.append(Problem(key_path, f"{rel!r} leads outside the intake's folder"))
        elif not target.is_file():
            problems.append(Problem(key_path, f"file {rel!r} does not exist next to the intake"))
        else:
            content = target.read_bytes()
            problems += file_problems(key_path, rel, content)
            text = (
                content.decode("utf-8", errors="replace")
                if target.suffix.lower() in TEXT_SUFFIXES
                else policy_text(rel, content)
                if _is_notice(key_path)
                else None
            )
            files[rel] = FileFact(rel, hashlib.sha256(content).hexdigest(), len(content), text)
    return files, problems


def _validate(
    raw: dict[str, Any],
    source: str,
    lines: dict[str, int],
    base: Path | None,
    extra: list[Problem],
    uploads: Uploads | None = None,
) -> LoadedIntake:
    """Field validation, cross-field checks and file checks, all reported together; each
    problem placed at the line of its key path (``lines``, empty for a model)."""
    problems = list(extra)
    intake: TransferIntake | None = None
    try:
        intake = TransferIntake.model_validate(raw)
    except ValidationError as exc:
        problems += _problems_from(exc, lines)
    problems += semantic_problems(raw)
    # without a folder only uploads are checked: an intake can never claim one it lacks
    files, file_problems = _file_facts(raw, base, uploads)
    problems += file_problems
    if problems or intake is None:
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
    read = _read_yaml(text, source)
    raw = read.data
    if not isinstance(raw, dict):
        raise IntakeError(source, [Problem("", "the intake must be a mapping of keys to values")])
    if raw.get("schema") != SCHEMA_ID:
        raise IntakeError(
            source,
            [
                Problem(
                    "schema",
                    f"must be {SCHEMA_ID!r}, got {quoted(raw.get('schema'))}",
                    read.lines.get("schema"),
                )
            ],
        )
    return _validate(raw, source, read.lines, base, read.duplicates)


def load_intake(path: Path) -> LoadedIntake:
    """Read, validate and fingerprint an intake file and the files it references."""
    source = str(path)
    try:
        with path.open("rb") as handle:  # no more than the limit, whatever the file's size
            raw_bytes = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise IntakeError(source, [Problem("", f"cannot read the file: {exc.strerror}")]) from None
    except ValueError:  # a NUL byte in the path
        raise IntakeError(source, [Problem("", "the file name holds a NUL byte")]) from None
    if len(raw_bytes) > MAX_BYTES:
        raise IntakeError(
            source,
            [
                Problem(
                    "",
                    f"the file is larger than {MAX_BYTES // 2**20} MB; at most "
                    f"{MAX_BYTES // 2**20} MB is accepted (documents go in files beside it)",
                )
            ],
        )
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
            answer = answers[r["id"]]
            dumped = answer.model_dump(mode="json", exclude_defaults=True)
            # read back in the intake's language: Vietnamese-only text must say it is
            r["safeguards"] = (
                spelled_out(dumped, answer) if intake.language != DEFAULT_LANGUAGE else dumped
            )
    return TransferIntake.model_validate(data)


def load_intake_model(
    intake: TransferIntake,
    base_dir: Path | None = None,
    source: str = "<intake>",
    uploads: Uploads | None = None,
) -> LoadedIntake:
    """An intake given as a model (a form, an API call). Without ``base_dir`` the files it
    names cannot be read, so checks that need their content are skipped. ``uploads`` holds
    the evidence the register keeps for its recipients (``Register.uploads``); an upload
    it does not hold is a problem at its key path."""
    raw = intake.model_dump(mode="json", by_alias=True)
    return _validate(raw, source, {}, base_dir.resolve() if base_dir else None, [], uploads)


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


# A recipient abroad answers the questionnaire in English (or Japanese): its plain text is
# not Vietnamese, so what the dossier would print of it is a gap until the intake gives the
# Vietnamese ({vi, en}) — never filed as if it were Vietnamese (spec intake.md).
ANSWER_LANGUAGE: Language = "en"


def parse_safeguards(
    text: str, source: str, *, today: date | None = None, language: Language = ANSWER_LANGUAGE
) -> Safeguards:
    """A recipient's answer to the safeguards questionnaire (YAML or JSON), validated strictly.
    Plain text is read as ``language`` (English by default; ``{vi, en}`` gives both). With
    ``today`` (the date in Vietnam where the answer arrives), an answer dated later is
    refused: it cannot describe safeguards anyone has attested yet."""
    read = _read_yaml(text, source)
    raw = read.data
    if not isinstance(raw, dict):
        raise IntakeError(source, [Problem("", "the answer must be a mapping of keys to values")])
    try:
        answer = Safeguards.model_validate(raw, context={"language": language})
    except ValidationError as exc:
        raise IntakeError(source, read.duplicates + _problems_from(exc, read.lines)) from None
    late = [] if today is None else _attested_after(answer, today, "attested_on", "today")
    problems = read.duplicates + [Problem(p.path, p.message, read.lines.get(p.path)) for p in late]
    if problems:
        raise IntakeError(source, problems)
    return answer


def _attested_after(s: Safeguards, on: date, path: str, what: str) -> list[Problem]:
    if s.attested_on <= on:
        return []
    return [
        Problem(
            path,
            f"{s.attested_on.isoformat()} is after {what} ({on.isoformat()}): "
            "an answer cannot be dated in the future",
        )
    ]


def future_problems(intake: TransferIntake, as_of: date) -> list[Problem]:
    """Safeguards an intake says were attested after ``as_of``: refused when assessing, as
    they cannot be the recipient's current safeguards on that date."""
    return [
        p
        for i, r in enumerate(intake.recipients)
        if r.safeguards is not None
        for p in _attested_after(
            r.safeguards,
            as_of,
            f"recipients[{i}].safeguards.attested_on",
            "the assessment date",
        )
    ]
