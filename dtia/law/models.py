"""Strict models of the law data files in ``dtia/law/data``.

Every value that carries legal weight is ``Cited``: it names its article(s) and the
dates it is in force. Files are loaded with ``extra="forbid"`` so a misspelt key, a
value without a citation or a citation in the wrong form fails loudly at load time.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

# "Law 91/2025 Art 20(1)(b)", "Decree 356/2025 Art 4(1)(đ)", "Decree 356/2025 Form 09 §A.II.3",
# "Civil Code 2015 Art 148(5)", "Labour Code 2019 Art 112(1)".
CITATION_RE = re.compile(
    r"^(?:(?:Law (?:91/2025|60/2024|103/2016)|Decree (?:356/2025|13/2023|330/2026|165/2025)|"
    r"Decision (?:20/2025|27/2018)|Civil Code 2015|Labour Code 2019) Art \d+(?:\([0-9a-zđ]+\))*"
    r"|Decree 356/2025 Form 0\d[ab]?(?: §[A-Z][A-Za-z0-9.]*)?"
    r"|Decree 13/2023 Form 0\d"
    r"|Government notice [0-9A-Za-zĐđ/.-]+)$"
)


def _citation(value: str) -> str:
    if not CITATION_RE.match(value):
        raise ValueError(
            f"{value!r} is not a citation of the form 'Law 91/2025 Art 20(1)(b)', "
            "'Decree 356/2025 Art 18(4)' or 'Decree 356/2025 Form 09 §A.II.3'"
        )
    return value


Citation = Annotated[str, AfterValidator(_citation)]
Citations = Annotated[tuple[Citation, ...], Field(min_length=1)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Cited(Strict):
    """A legal value: the articles behind it and the dates it is in force."""

    citations: Citations
    effective_from: date
    effective_to: date | None = None

    @model_validator(mode="after")
    def _dates_ordered(self) -> Cited:
        if self.effective_to is not None and self.effective_to < self.effective_from:
            raise ValueError("effective_to is before effective_from")
        return self

    def in_force(self, on: date) -> bool:
        return self.effective_from <= on and (self.effective_to is None or on <= self.effective_to)


class Instrument(Cited):
    id: str
    short: str
    title_vi: str
    title_en: str


class Period(Cited):
    """A statutory period: N days or N months counted from an event."""

    days: int | None = Field(default=None, gt=0)
    months: int | None = Field(default=None, gt=0)
    counted_from: str
    label_en: str
    label_vi: str
    owed_by: Literal["transferor", "authority"] = "transferor"

    @model_validator(mode="after")
    def _one_unit(self) -> Period:
        if (self.days is None) == (self.months is None):
            raise ValueError("a period has exactly one of days or months")
        return self


class Threshold(Cited):
    value: int = Field(ge=0)
    comparison: Literal["more_than", "at_least"]
    label_en: str


class DateValue(Cited):
    value: date
    label_en: str


class DataCategory(Cited):
    code: str
    item: str  # Art 3 item number ("7") or Art 4(1) letter ("k")
    label_vi: str
    label_en: str
    heavy: bool = False  # weighs more in scoring (C4): biometric, location, financial, tracking


class Limb(Cited):
    code: Literal["T1", "T2", "T3"]
    label_en: str
    label_vi: str


class ActivityType(Cited):
    code: Literal[
        "servers_abroad", "foreign_cloud", "platform_abroad", "via_domestic_partner", "other"
    ]
    form_field: str
    label_vi: str
    label_en: str


class Exemption(Cited):
    code: str
    label_en: str
    label_vi: str
    # No claim holds on its justification alone (spec intake.md): every code is tested on facts.
    test: Literal["facts"]
    test_en: str
    uncertain: str | None = None  # the reference's UNCERTAIN item about its scope


class ProvidedService(Cited):
    """What a recipient provides (intake ``recipients[].provides``) and what follows from it."""

    code: str
    label_vi: str
    label_en: str
    cloud: bool = False  # the Decree 356 Art 12(2) cloud clauses bind the contract with it
    exemptions: tuple[str, ...] = ()  # exemption codes a recipient providing only this can fit


class BusinessLine(Cited):
    """A registered industry code (VSIC) that counts as press or media activity."""

    code: str = Field(pattern=r"^\d{1,5}$")
    label_vi: str
    label_en: str


class FindingBasis(Cited):
    """The articles a finding rests on, per case where the basis differs by the facts."""

    id: str = Field(pattern=r"^C([1-9]|1[0-7])\.[a-z0-9-]+$")
    case: str = "default"


class ContractClause(Cited):
    key: str
    letter: str
    group: Literal["art7", "cloud", "recommended"]
    label_en: str


class Band(Strict):
    at_least: int = Field(ge=0)
    points: int = Field(ge=0)


class Criterion(Cited):
    """A scoring criterion of the reference's map (C1-C17) and its weight."""

    code: str = Field(pattern=r"^C([1-9]|1[0-7])$")
    name_en: str
    kind: Literal["gate", "weight", "flag"]
    weight: int = Field(ge=0, le=100)
    form_fields: tuple[str, ...] = ()
    mitigable: bool
    bands: tuple[Band, ...] = ()  # points by number of people, lowest band first
    uncertain: str | None = None  # the reference's UNCERTAIN item this criterion leans on
    # Citations that apply only where the condition holds (a cloud recipient, a fee, ...).
    cited_when: dict[
        Literal[
            "cloud",
            "processing_service",
            "data_exchange",
            "transfer_for_fee",
            "consent",
            "without_consent",
        ],
        Citations,
    ] = {}

    @model_validator(mode="after")
    def _bands_fit(self) -> Criterion:
        starts = [b.at_least for b in self.bands]
        if starts != sorted(set(starts)):
            raise ValueError("bands must be in increasing order of at_least")
        if any(b.points > self.weight for b in self.bands):
            raise ValueError("a band gives more points than the criterion's weight")
        return self

    def band_points(self, people: int) -> int:
        return max((b.points for b in self.bands if people >= b.at_least), default=0)


class FormField(Cited):
    id: str = Field(pattern=r"^(A|B)\.[IV]+(\.[0-9a-z]+)*$")
    label_vi: str
    label_en: str
    source: tuple[str, ...] = ()  # intake key paths that fill it ("*" = every item of a list)
    required: Literal["always", "organisation", "individual", "conditional", "optional"]
    when: (
        Literal[
            "pdp_external_org",
            "pdp_external_individual",
            "pdp_internal",
            "national_security",
            "on_behalf_party",
            "other_party",
        ]
        | None
    ) = None
    condition: str | None = None
    gap_message: str | None = None

    @model_validator(mode="after")
    def _conditional_has_when(self) -> FormField:
        if (self.required == "conditional") != (self.when is not None):
            raise ValueError("a conditional field needs `when`, and only a conditional one")
        return self


class FormSection(Cited):
    id: str
    label_vi: str
    label_en: str
    required_when: Literal["always", "national_security", "on_behalf_party", "other_party"] = (
        "always"
    )


class Holiday(Cited):
    day: date  # not "on": YAML 1.1 reads that key as the boolean true
    name_vi: str
    name_en: str


class ProcessingService(Cited):
    code: str
    label_vi: str
    label_en: str


class UpdateTrigger(Cited):
    code: Literal["purpose", "party", "reorganisation", "pdp_provider", "business_line"]
    timing: Literal["periodic", "urgent"]
    label_vi: str
    label_en: str


class FormText(Cited):
    """Fixed wording of an official form ({name} marks where the filer's name goes)."""

    key: str
    form: Literal["01a", "01b", "03a", "09", "any"]
    text_vi: str
    text_en: str


class LawFiles(Strict):
    """Everything in ``dtia/law/data``, as loaded; the parts are named after their files."""

    rules_version: str
    instruments: tuple[Instrument, ...]
    periods: dict[str, tuple[Period, ...]]
    thresholds: dict[str, tuple[Threshold, ...]]
    dates: dict[str, tuple[DateValue, ...]]
    basic_data: tuple[DataCategory, ...]
    sensitive_data: tuple[DataCategory, ...]
    limbs: tuple[Limb, ...]
    activities: tuple[ActivityType, ...]
    exemptions: tuple[Exemption, ...]
    provided_services: tuple[ProvidedService, ...]
    press_media_business_lines: tuple[BusinessLine, ...]
    finding_bases: tuple[FindingBasis, ...]
    contract_clauses: tuple[ContractClause, ...]
    criteria: tuple[Criterion, ...]
    form09_sections: tuple[FormSection, ...]
    form09_fields: tuple[FormField, ...]
    form_texts: tuple[FormText, ...]
    processing_services: tuple[ProcessingService, ...]
    update_triggers: tuple[UpdateTrigger, ...]
    holidays: tuple[Holiday, ...]
    holidays_cover: tuple[int, int]  # first and last year the holiday list is complete for

    @model_validator(mode="after")
    def _references_resolve(self) -> LawFiles:
        codes = {e.code for e in self.exemptions}
        for svc in self.provided_services:
            unknown = sorted(set(svc.exemptions) - codes)
            if unknown:
                raise ValueError(
                    f"provided service {svc.code!r} names unknown exemptions {unknown}"
                )
        return self
