"""Strict models of the law data files in ``dtia/law/data``.

Every value that carries legal weight is ``Cited``: it names its article(s) and the
dates it is in force. Files are loaded with ``extra="forbid"`` so a misspelt key, a
value without a citation or a citation in the wrong form fails loudly at load time.
"""

from __future__ import annotations

import itertools
import re
from datetime import date
from typing import Annotated, Literal, get_args

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

# "Law 91/2025 Art 20(1)(b)", "Decree 356/2025 Art 4(1)(đ)", "Decree 356/2025 Form 09 §A.II.3",
# "Civil Code 2015 Art 148(5)", "Labour Code 2019 Art 112(1)".
# "Resolution 22/2026 App I.7 §B.I": Appendix I.7, Part B, item I of the Resolution.
# Japanese law for the other side of a transfer: "APPI Art 27(5)(iii)" (Act on the Protection
# of Personal Information), "PPC Rules Art 17(2)" (its Enforcement Rules),
# "APPI Amendment Act No. 56 of 2026".
CITATION_RE = re.compile(
    r"^(?:(?:Law (?:91/2025|60/2024|103/2016)|Decree (?:356/2025|13/2023|330/2026|333/2026|165/2025)|"
    r"Resolution 22/2026|Decision (?:20/2025|27/2018)|Civil Code 2015|Labour Code 2019|APPI|PPC Rules) "
    r"Art \d+(?:\([0-9a-zđ]+\))*"
    r"|Decree 356/2025 Form 0\d[ab]?(?: §[A-Z][A-Za-z0-9.]*)?"
    r"|Decree 13/2023 Form 0\d"
    r"|Resolution 22/2026 App I{1,2}(?:\.\d+)?(?: §[A-Z](?:\.[IVX]+)?)?"
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
    # No claim holds on its justification alone (spec intake.md): every code is tested on facts.
    test: Literal["facts"]
    test_en: str
    uncertain: str | None = None  # the reference's UNCERTAIN item about its scope
    uncertain_vi: str | None = None  # the same point, as the exemption memo states it


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


class FilingChannel(Cited):
    """Where a dossier (or its update) is sent, how, and who processes it, while in force.

    Dated: Resolution 22/2026 routes filings through the Ministry from 29 April 2026 to
    1 March 2027 inclusive; before and after, Decree 356 Art 18(4) and Art 20(3) apply.
    """

    procedure: Literal["initial_filing", "update"]
    receiving_body_vi: str  # the article's own words
    receiving_body_en: str
    channels: tuple[
        Literal["online", "national_public_service_portal", "in_person", "post"], ...
    ] = Field(min_length=1)
    channels_vi: str  # the article's own words
    processed_by_vi: str
    processed_by_en: str
    # UNCERTAIN points of the text and the conservative reading taken, said in the output.
    uncertain: tuple[str, ...] = ()


# The filing lifecycle (lifecycle.yaml): see dtia.filing for how it is walked.
FilingState = Literal[
    "prepared",
    "approved",
    "submitted",
    "received",
    "refused_at_receipt",
    "completion_requested",
    "completed",
    "processing_extended",
    "accepted",
    "not_accepted",
    "stopped",
    "withdrawn",
]
FilingEvent = Literal[
    "submitted",
    "received",
    "refused_at_receipt",
    "completion_requested",
    "completed",
    "processing_extended",
    "accepted",
    "not_accepted",
    "update_submitted",
    "stop_order",
    "withdrawn",
]
RegimeCode = Literal["decree_356", "resolution_22"]


class FilingRegime(Cited):
    """The rules a dossier follows, chosen by the day it was received (or posted)."""

    code: RegimeCode
    label_en: str
    uncertain: tuple[str, ...] = ()


class LifecycleState(Cited):
    state: FilingState
    label_en: str
    filed: bool  # a dossier is, or was, with the authority
    verdict_vi: str | None = None  # the result's own words in the text


class LifecycleEdge(Cited):
    """One event of the lifecycle under the regimes it belongs to."""

    event: FilingEvent
    regimes: tuple[RegimeCode, ...] = Field(min_length=1)
    aliases: tuple[str, ...] = ()
    label_en: str
    sources: tuple[FilingState, ...] = Field(min_length=1)
    target: FilingState
    takes: tuple[Literal["channel", "code", "receipt"], ...] = ()
    needs_approval: bool = False
    new_dossier: bool = False
    after_first_transfer: bool = False
    uncertain: tuple[str, ...] = ()


FineDomain = Literal["personal_data", "cybersecurity"]
CapKind = Literal["personal_data_cross_border", "personal_data", "cybersecurity"]
Party = Literal["organisation", "individual"]
FindingSeverity = Literal["blocker", "high", "medium", "low", "info"]


class FineScale(Cited):
    """For whom a section of Decree 330 states its amounts, and what the other party pays."""

    domain: FineDomain
    stated_for: Party
    other_pays: Literal["half", "double"]
    label_en: str


class FinedAsIndividual(Cited):
    """A kind of business fined at the level of an individual (Decree 330 Art 2(3))."""

    code: Literal["micro", "small", "startup", "medium", "large", "household"]
    label_en: str


class FineCap(Cited):
    """The highest fine for a kind of violation (Decree 330 Art 7(3)-(4))."""

    kind: CapKind
    organisation_vnd: int = Field(gt=0)  # the fixed cap, or the floor of a revenue-based cap
    individual_vnd: int = Field(gt=0)
    revenue_percent: int | None = Field(default=None, gt=0, le=100)
    label_en: str


class RevenueBase(Cited):
    """A reading of the revenue a percentage fine is counted on (they differ: reference #5)."""

    code: str
    label_vi: str  # the article's own words
    label_en: str


class RevenueBand(Cited):
    """A band of the revenue-based fine of Decree 330 Art 56(3), with its Art 56(4) fallback."""

    point: Literal["a", "b", "c"]
    people_at_least: int = Field(ge=0)
    people_below: int | None = None
    percent_min: int = Field(gt=0)
    percent_max: int = Field(gt=0)
    fallback_min_vnd: int = Field(gt=0)
    fallback_max_vnd: int = Field(gt=0)
    measures: tuple[str, ...] = ()


class SanctionMeasure(Cited):
    """An additional sanction or remedial measure of Decree 330."""

    code: str
    kind: Literal["additional", "remedial"]
    label_vi: str  # the article's own words
    label_en: str


class Limitation(Cited):
    years: int = Field(gt=0)
    label_en: str


class Sanction(Cited):
    """A violation Decree 330 fines, the findings it matches and what follows from it.

    A finding matches when its id is listed and, where ``when_cites`` is given, it cites one
    of those articles (a contract that lacks the data-subject-rights element, say), and,
    where ``when_severity`` is given, its severity is one of those.
    """

    id: str = Field(pattern=r"^d330-[0-9a-zđ-]+$")
    clause: Citation  # the article that states the fine, also the first citation
    domain: FineDomain
    cap: CapKind
    violation_vi: str  # the clause's own words
    violation_en: str
    fine_min_vnd: int = Field(gt=0)
    fine_max_vnd: int = Field(gt=0)
    measures: tuple[str, ...] = ()
    revenue_fine_if_leak: bool = False  # Art 56(3)-(4) where the act leads to a leak
    findings: tuple[Annotated[str, Field(pattern=r"^C([1-9]|1[0-7])\.[a-z0-9-]+$")], ...] = Field(
        min_length=1
    )
    when_cites: tuple[Citation, ...] = ()
    when_severity: tuple[FindingSeverity, ...] = ()
    uncertain: str | None = None

    @model_validator(mode="after")
    def _clause_first(self) -> Sanction:
        if self.citations[0] != self.clause:
            raise ValueError("a sanction's first citation is its clause")
        if self.fine_min_vnd > self.fine_max_vnd:
            raise ValueError("fine_min_vnd is above fine_max_vnd")
        return self


class LocalisationLine(Cited):
    """A registered industry code (VSIC) of a telecom, Internet or cloud (hosting) provider,
    whose users' data Decree 333/2026 Art 19 keeps in Vietnam."""

    code: str = Field(pattern=r"^\d{1,5}$")
    sector: Literal["telecom", "internet", "cloud"]
    label_vi: str
    label_en: str


class ServiceUserKind(Cited):
    """A subject-group kind read as users of the service (Decree 333/2026 Art 3(1)-(2))."""

    code: Literal[
        "customers",
        "prospects",
        "employees",
        "job_applicants",
        "partner_staff",
        "website_visitors",
        "minors",
        "other",
    ]
    label_en: str


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
    # The form's parenthetical instruction after the label ("(nêu rõ ...)"), as it has it.
    note_vi: str | None = None
    note_en: str | None = None
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


class CoverField(Cited):
    """A formality of the filed dossier outside Form 09 (the cover notice, Form 01a/01b)."""

    id: str = Field(pattern=r"^cover\.[a-z_]+$")
    form: Literal["01a", "01b", "any"]
    label_vi: str
    label_en: str
    gap_message: str


class FormSection(Cited):
    id: str
    label_vi: str
    label_en: str
    # What follows the heading: its instruction ("(Kê khai ...)") or, for §A.III.2.x, the
    # sentence after the colon that says how the impact is assessed.
    note_vi: str | None = None
    note_en: str | None = None
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


_SLOT = re.compile(r"\{(\w+)\}")


class AnalysisText(Cited):
    """Wording of the Form 09 §A.III analysis; {name} marks a value filled from the facts.

    ``official`` wording is the form's own (checked verbatim); the rest is the analysis's
    formal Vietnamese. Both languages must name the same values, so neither prints a hole.
    """

    key: str
    official: bool = False
    text_vi: str
    text_en: str

    @model_validator(mode="after")
    def _same_slots(self) -> AnalysisText:
        vi, en = set(_SLOT.findall(self.text_vi)), set(_SLOT.findall(self.text_en))
        if vi != en:
            raise ValueError(
                f"{self.key}: text_vi fills {sorted(vi)} but text_en fills {sorted(en)}"
            )
        return self


class RoleTerm(Cited):
    """A party's role in Law 91's own words (Art 2)."""

    role: Literal[
        "controller",
        "joint_controller",
        "controller_processor",
        "processor",
        "sub_processor",
        "third_party",
    ]
    text_vi: str
    text_en: str


class Term(Cited):
    """A phrase of an article the dossier uses as a label."""

    term: str
    text_vi: str
    text_en: str


class Phrase(Strict):
    """Plain Vietnamese the dossier writes, with its English for the annex; {x} is filled."""

    vi: str
    en: str


class Vocabulary(Strict):
    """The dossier's Vietnamese for codes and its own sentences (vocabulary.yaml)."""

    roles: tuple[RoleTerm, ...]
    terms: tuple[Term, ...]
    countries: dict[str, str]  # ISO 3166 alpha-2 -> the name official usage writes
    frequencies: dict[str, Phrase]
    phrases: dict[str, Phrase]


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


class RegimeParagraph(Cited):
    """A paragraph of the description of Vietnam's regime given to a Japanese party (APPI
    Art 28(2)): English, and a Japanese draft for that party to review."""

    key: str
    text_en: str
    text_ja: str


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


MemoDutyWhen = Literal[
    "outbound",
    "sensitive",
    "sensitive_outbound",
    "pia_controller",
    "pia_processor",
    "employees",
    "job_applicants",
    "health",
    "cloud_recipient",
    "finding",
]


class MemoDuty(Cited):
    """A duty the exemption memo states as still applying, when ``when`` holds (memo_duties.yaml)."""

    id: str = Field(pattern=r"^[a-z0-9-]+$")
    when: MemoDutyWhen
    finding: str | None = Field(default=None, pattern=r"^C([1-9]|1[0-7])\.[a-z0-9-]+$")
    label_vi: str
    label_en: str

    @model_validator(mode="after")
    def _finding_named(self) -> MemoDuty:
        if (self.when == "finding") != (self.finding is not None):
            raise ValueError("a duty names a finding exactly when it applies with that finding")
        return self


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
    cover_fields: tuple[CoverField, ...]
    form_texts: tuple[FormText, ...]
    analysis_texts: tuple[AnalysisText, ...]
    processing_services: tuple[ProcessingService, ...]
    update_triggers: tuple[UpdateTrigger, ...]
    holidays: tuple[Holiday, ...]
    holidays_cover: tuple[int, int]  # first and last year the holiday list is complete for
    filing_channels: tuple[FilingChannel, ...]
    filing_regimes: tuple[FilingRegime, ...]
    filing_states: tuple[LifecycleState, ...]
    filing_edges: tuple[LifecycleEdge, ...]
    fine_scales: tuple[FineScale, ...]
    fined_as_individuals: tuple[FinedAsIndividual, ...]
    fine_caps: tuple[FineCap, ...]
    revenue_bases: tuple[RevenueBase, ...]
    revenue_bands: tuple[RevenueBand, ...]
    sanction_measures: tuple[SanctionMeasure, ...]
    limitation: tuple[Limitation, ...]
    sanctions: tuple[Sanction, ...]
    localisation_business_lines: tuple[LocalisationLine, ...]
    localisation_user_kinds: tuple[ServiceUserKind, ...]
    policy_items: tuple[PolicyItem, ...]
    policy_law_references: tuple[LawReference, ...]
    policy_rights: tuple[PolicyRight, ...]
    policy_lexicon: PolicyLexicon
    policy_places: PolicyPlaces
    foreign_articles: tuple[ForeignArticle, ...]
    memo_duties: tuple[MemoDuty, ...]
    vocabulary: Vocabulary
    appi_vn_regime: tuple[RegimeParagraph, ...]

    @model_validator(mode="after")
    def _references_resolve(self) -> LawFiles:
        codes = {e.code for e in self.exemptions}
        for svc in self.provided_services:
            unknown = sorted(set(svc.exemptions) - codes)
            if unknown:
                raise ValueError(
                    f"provided service {svc.code!r} names unknown exemptions {unknown}"
                )
        measures = {m.code for m in self.sanction_measures}
        for band in self.revenue_bands:
            if unknown := sorted(set(band.measures) - measures):
                raise ValueError(f"revenue band {band.point!r} names unknown measures {unknown}")
        for sanction in self.sanctions:
            if unknown := sorted(set(sanction.measures) - measures):
                raise ValueError(f"sanction {sanction.id!r} names unknown measures {unknown}")
        self._lifecycle_complete()
        return self

    def _lifecycle_complete(self) -> None:
        """Every state defined once; regimes without gaps; each event exactly once per regime;
        aliases naming one event each."""
        states = [s.state for s in self.filing_states]
        if sorted(states) != sorted(set(states)) or set(states) != set(get_args(FilingState)):
            raise ValueError("filing_states must define each lifecycle state exactly once")
        regimes = sorted(self.filing_regimes, key=lambda r: r.effective_from)
        for before, after in itertools.pairwise(regimes):
            if (
                before.effective_to is None
                or (after.effective_from - before.effective_to).days != 1
            ):
                raise ValueError(
                    f"filing regime {after.code!r} from {after.effective_from} does not follow "
                    f"{before.code!r} without a gap or an overlap"
                )
        for code in get_args(RegimeCode):
            events = [e.event for e in self.filing_edges if code in e.regimes]
            if sorted(events) != sorted(set(events)) or set(events) != set(get_args(FilingEvent)):
                raise ValueError(f"filing_edges must define each event once under {code!r}")
        aliases: dict[str, str] = {}
        for e in self.filing_edges:
            for alias in e.aliases:
                if aliases.setdefault(alias, e.event) != e.event or alias in get_args(FilingEvent):
                    raise ValueError(f"filing event alias {alias!r} names more than one event")

    @model_validator(mode="after")
    def _dated_values_follow_each_other(self) -> LawFiles:
        """Values of one key that change over time neither overlap nor leave a day uncovered
        between them, so that on any date exactly one applies (a value that ends falls back
        to the next one from the day after its effective_to)."""
        families: dict[str, list[Cited]] = {}
        for ch in self.filing_channels:
            families.setdefault(f"filing channel {ch.procedure!r}", []).append(ch)
        for b in self.finding_bases:
            families.setdefault(f"finding basis {b.id!r} ({b.case})", []).append(b)
        for name, values in families.items():
            ordered = sorted(values, key=lambda v: v.effective_from)
            for before, after in itertools.pairwise(ordered):
                if before.effective_to is None or before.effective_to >= after.effective_from:
                    raise ValueError(
                        f"{name}: values in force from {before.effective_from} "
                        f"and {after.effective_from} overlap"
                    )
                if (after.effective_from - before.effective_to).days != 1:
                    raise ValueError(
                        f"{name}: no value is in force between "
                        f"{before.effective_to} and {after.effective_from}"
                    )
        return self

    @model_validator(mode="after")
    def _policy_data_fits(self) -> LawFiles:
        known = {i.id for i in self.instruments}
        for ref in self.policy_law_references:
            if ref.instrument not in known:
                raise ValueError(f"policy_law_references: no instrument {ref.instrument!r}")
        keys = [i.key for i in self.policy_items]
        if len(keys) != len(set(keys)):
            raise ValueError("policy_items: a key appears twice")
        wording = [t.key for t in self.analysis_texts]
        if twice := sorted({k for k in wording if wording.count(k) > 1}):
            raise ValueError(f"analysis_texts: keys appear twice: {twice}")
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
                    re.compile(
                        expand_placeholders(pattern, lang, self.policy_lexicon, self.policy_places)
                    )
                except re.error as exc:
                    raise ValueError(
                        f"policy_items {item.key} ({lang}): {pattern!r}: {exc}"
                    ) from None
        return self
