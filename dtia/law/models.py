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
# "Civil Code 2015 Art 148(5)", "Labour Code 2019 Art 112(1)"; Japanese law for the other side
# of a transfer: "APPI Art 27(5)(iii)" (Act on the Protection of Personal Information),
# "PPC Rules Art 17(2)" (its Enforcement Rules), "APPI Amendment Act No. 56 of 2026".
CITATION_RE = re.compile(
    r"^(?:(?:Law (?:91/2025|60/2024)|Decree (?:356/2025|13/2023|330/2026|165/2025)|"
    r"Decision 20/2025|Civil Code 2015|Labour Code 2019|APPI|PPC Rules) Art \d+(?:\([0-9a-zđ]+\))*"
    r"|Decree 356/2025 Form 0\d[ab]?(?: §[A-Z][A-Za-z0-9.]*)?"
    r"|Decree 13/2023 Form 0\d"
    r"|APPI Amendment Act No\. \d+ of \d{4}"
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
    test: Literal["facts", "justification"]
    test_en: str
    uncertain: str | None = None  # the reference's UNCERTAIN item about its scope


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


Lang = Literal["vi", "en", "ja"]
Patterns = tuple[str, ...]
# {name} in a cue stands for the lexicon's words of that name (policy_lexicon), or for the
# names of countries and regions (policy_places).
PLACEHOLDER_RE = re.compile(
    r"\{(country|region|data_type|recipient|share|right_frame|purpose_verb)\}"
)


class Cue(Strict):
    """A pattern that, matched in a sentence, discloses an item; ``requires`` must match the
    same line too."""

    pattern: str
    requires: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, value: object) -> object:
        return {"pattern": value} if isinstance(value, str) else value


class PolicyItem(Cited):
    """One thing a published policy or notice must disclose, and the cues that find it."""

    key: str = Field(pattern=r"^[a-z_]+$")
    law: Literal["vn", "jp"]
    label_en: str
    label_vi: str | None = None
    label_ja: str | None = None
    asks_en: str
    remedy_en: str
    negatable: bool
    uncertain: str | None = None
    cues: dict[Lang, tuple[Cue, ...]] = Field(default_factory=dict)
    sections: dict[Lang, Patterns] = Field(default_factory=dict)
    members: dict[Lang, Patterns] = Field(default_factory=dict)
    denials: dict[Lang, Patterns] = Field(default_factory=dict)
    # Which lines under a matching heading disclose the item when there are no `members`.
    section_lines: Literal["all", "bullets"] = "all"


class LawReference(Cited):
    """How a policy cites an instrument of instruments.yaml."""

    instrument: str
    patterns: Patterns = Field(min_length=1)


class PolicyRight(Cited):
    """A data subject's right of Law 91 Art 4(1), as a policy names it."""

    code: str
    label_en: str
    en: Patterns
    vi: Patterns


class PolicyLexicon(Strict):
    negation: dict[Lang, Patterns]
    exception: dict[Lang, Patterns]
    share: dict[Lang, Patterns]
    recipient: dict[Lang, Patterns]
    right_frame: dict[Lang, Patterns]
    company_right: dict[Lang, Patterns]  # the company's own rights ("reserves the right to")
    purpose_verb: dict[Lang, Patterns]
    right_intro: dict[Lang, Patterns]
    data_type: dict[Lang, Patterns]


class Place(Strict):
    iso: str
    # The laws for which this country is home: naming Vietnam in a Vietnamese policy names no
    # destination; naming it in a Japanese notice names the foreign country.
    home_of: tuple[Literal["vn", "jp"], ...] = ()
    en: Patterns
    vi: Patterns
    ja: Patterns


class PolicyPlaces(Strict):
    countries: tuple[Place, ...]
    regions: tuple[Place, ...]


class Source(Strict):
    ref: str
    url: str | None = None


class ForeignArticle(Cited):
    """An article of foreign (Japanese) law, as read in the sources named."""

    citation: Citation
    title_en: str
    text_ja: str
    sources: tuple[Source, ...] = Field(min_length=1)
    uncertain: str | None = None


def expand_placeholders(
    pattern: str, lang: Lang, lexicon: PolicyLexicon, places: PolicyPlaces
) -> str:
    """A cue with its {placeholders} replaced by the alternatives they stand for."""

    def words(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in ("country", "region"):
            group = places.countries if name == "country" else places.regions
            law = "jp" if lang == "ja" else "vn"
            alternatives = [w for p in group if law not in p.home_of for w in getattr(p, lang)]
            if lang == "ja":  # a katakana name ends where its katakana run does (タイ, not タイプ)
                return "(?<![ァ-ヺー])(?:" + "|".join(alternatives) + ")(?![ァ-ヺー])"
        else:
            alternatives = list(getattr(lexicon, name).get(lang, ()))
        if not alternatives:
            return "(?!)"  # nothing to match in this language
        return "(?:" + "|".join(alternatives) + ")"

    return PLACEHOLDER_RE.sub(words, pattern)


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
    contract_clauses: tuple[ContractClause, ...]
    criteria: tuple[Criterion, ...]
    form09_sections: tuple[FormSection, ...]
    form09_fields: tuple[FormField, ...]
    form_texts: tuple[FormText, ...]
    processing_services: tuple[ProcessingService, ...]
    update_triggers: tuple[UpdateTrigger, ...]
    holidays: tuple[Holiday, ...]
    holidays_cover: tuple[int, int]  # first and last year the holiday list is complete for
    policy_items: tuple[PolicyItem, ...]
    policy_law_references: tuple[LawReference, ...]
    policy_rights: tuple[PolicyRight, ...]
    policy_lexicon: PolicyLexicon
    policy_places: PolicyPlaces
    foreign_articles: tuple[ForeignArticle, ...]

    @model_validator(mode="after")
    def _policy_data_fits(self) -> LawFiles:
        known = {i.id for i in self.instruments}
        for ref in self.policy_law_references:
            if ref.instrument not in known:
                raise ValueError(f"policy_law_references: no instrument {ref.instrument!r}")
        keys = [i.key for i in self.policy_items]
        if len(keys) != len(set(keys)):
            raise ValueError("policy_items: a key appears twice")
        # Every cue must compile once its placeholders are expanded: a broken pattern fails
        # here, when the law data loads, not in the middle of checking a policy.
        for item in self.policy_items:
            groups: list[tuple[Lang, str]] = []
            for lang, cues in item.cues.items():
                groups += [(lang, c.pattern) for c in cues]
                groups += [(lang, c.requires) for c in cues if c.requires]
            for table in (item.sections, item.members, item.denials):
                groups += [(lang, p) for lang, ps in table.items() for p in ps]
            for lang, pattern in groups:
                try:
                    re.compile(expand_placeholders(pattern, lang, self.policy_lexicon, self.policy_places))
                except re.error as exc:
                    raise ValueError(f"policy_items {item.key} ({lang}): {pattern!r}: {exc}") from None
        return self
