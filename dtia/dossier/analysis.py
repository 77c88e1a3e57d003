"""Form 09 §A.III written as the form prescribes: the analysis itself, not a score sheet.

For each impact the form asks about (2.1 data subjects, 2.2 information security, 2.3
national security when the volume calls for it) the text follows the five steps the form
lists, and inside them the elements its §A.III.2 chapeau names: the current state, the
requirements, the foreseeable situations and their causes, the solutions applied and
proposed, the positive and negative effects of each, the consequences and damage with
the measures that reduce them, and a recommendation from comparing them. §A.III.3
judges each recipient's protection from its own answers, in words.

Every sentence comes from the law data (``analysis.yaml``), filled from the facts; the
filer's own text is quoted as written and recorded in ``Para.quoted``. Pure: no clock,
no I/O. The officer may replace any section with their own words (intake ``analysis``);
the engine's text stays in ``AnalysisSection.generated`` for the internal review.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_decimal

from dtia.assessment import Assessment
from dtia.errors import IntakeError, Problem
from dtia.facts import Facts, RecipientFacts
from dtia.law import Rules

Element = Literal[
    "current_state",
    "requirements",
    "situations",
    "causes",
    "solutions",
    "effects",
    "recommendation",
    "consequences",
]
# The elements the §A.III.2 chapeau requires of 2.1, 2.2 and 2.3, in the order written.
ELEMENTS: tuple[Element, ...] = (
    "current_state",
    "situations",
    "causes",
    "requirements",
    "solutions",
    "effects",
    "consequences",
    "recommendation",
)
IMPACTS = ("A.III.2.1", "A.III.2.2", "A.III.2.3")
RECIPIENT_PARTS = ("A.III.3.1", "A.III.3.2", "A.III.3.3", "A.III.3.4")
# The sections an officer may write in their own words (spec intake.md, `analysis`).
OVERRIDABLE = ("A.III.1", *IMPACTS, *RECIPIENT_PARTS)


@dataclass(frozen=True)
class Para:
    """One paragraph in both languages, with the articles it rests on."""

    vi: str
    en: str
    citations: tuple[str, ...] = ()
    quoted: tuple[str, ...] = ()  # the filer's own text inside it, as written


@dataclass(frozen=True)
class Block:
    heading_vi: str | None
    heading_en: str | None
    paras: tuple[Para, ...] = ()
    element: Element | None = None
    style: Literal["text", "list", "note"] = "text"
    level: int = 4  # 4: a step of the form or a recipient; 5: an element inside a step


@dataclass(frozen=True)
class AnalysisSection:
    id: str
    number: str
    title_vi: str
    title_en: str
    level: int
    generated: tuple[Block, ...]
    override: Para | None = None

    @property
    def blocks(self) -> tuple[Block, ...]:
        """What the dossier prints: the officer's text where given, else the engine's."""
        if self.override is None:
            return self.generated
        return (Block(None, None, (self.override,)),)

    @property
    def elements(self) -> frozenset[Element]:
        return frozenset(b.element for b in self.generated if b.element is not None)


@dataclass(frozen=True)
class Analysis:
    sections: tuple[AnalysisSection, ...]

    def section(self, section_id: str) -> AnalysisSection:
        for s in self.sections:
            if s.id == section_id:
                return s
        raise KeyError(section_id)

    @property
    def overridden(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.sections if s.override is not None)


@dataclass(frozen=True)
class Override:
    """The officer's own text for a section; English defaults to the Vietnamese."""

    vi: str
    en: str | None = None


# --- wording ----------------------------------------------------------------------------

Value = str | tuple[str, str]  # the same in both languages, or (vi, en)

_VI = Locale("vi")
_EN = Locale("en")


def _count(n: int) -> tuple[str, str]:
    return format_decimal(n, locale="vi"), format_decimal(n, locale="en")


def _date(d: date) -> tuple[str, str]:
    return (
        f"{d.day:02d} tháng {d.month:02d} năm {d.year}",
        format_date(d, "d MMMM y", locale="en"),
    )


def _country(code: str) -> tuple[str, str]:
    return _VI.territories.get(code, code), _EN.territories.get(code, code)


def _free(value: object) -> tuple[str, str]:
    """A free-text value of the intake: plain text stands for both languages; a ``{vi, en}``
    text gives each, the English falling back to the Vietnamese (spec intake.md)."""
    if isinstance(value, str):
        vi = en = value
    else:
        vi = str(getattr(value, "vi", None) or getattr(value, "en", None) or "")
        en = str(getattr(value, "en", None) or vi)
    # Written into a sentence of the analysis, which brings its own full stop.
    return vi.strip().rstrip("."), en.strip().rstrip(".")


def _sentence(text: tuple[str, str]) -> tuple[str, str]:
    return text[0] + ".", text[1] + "."


def _join(values: Sequence[tuple[str, str]], sep: str = "; ") -> tuple[str, str]:
    return sep.join(v for v, _ in values), sep.join(e for _, e in values)


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


@dataclass
class _Words:
    rules: Rules

    def __call__(self, key: str, quoted: Iterable[str] = (), **values: Value | Para) -> Para:
        t = self.rules.analysis_text(key)
        vi: dict[str, str] = {}
        en: dict[str, str] = {}
        cites = list(t.citations)
        quotes = [q for q in quoted if q]
        for name, v in values.items():
            if isinstance(v, Para):
                vi[name], en[name] = v.vi, v.en
                cites += v.citations
                quotes += v.quoted
            elif isinstance(v, tuple):
                vi[name], en[name] = v
            else:
                vi[name] = en[name] = v
        return Para(
            t.text_vi.format_map(vi),
            t.text_en.format_map(en),
            tuple(dict.fromkeys(cites)),
            tuple(dict.fromkeys(quotes)),
        )

    def heading(self, key: str) -> tuple[str, str]:
        t = self.rules.analysis_text(key)
        return t.text_vi, t.text_en


def _paras_join(paras: Sequence[Para], sep: str = "; ") -> Para:
    return Para(
        sep.join(p.vi for p in paras),
        sep.join(p.en for p in paras),
        tuple(dict.fromkeys(c for p in paras for c in p.citations)),
        tuple(dict.fromkeys(q for p in paras for q in p.quoted)),
    )


# --- what the facts call for ----------------------------------------------------------

# Sensitive data from which a person can be singled out and profiled once abroad.
PROFILING_DATA = frozenset({"behaviour_tracking", "location"})

# Which situations each impact considers, in the order they are written.
SECTION_SCENARIOS: dict[str, tuple[str, ...]] = {
    "A.III.2.1": ("breach", "authorities", "onward", "reidentification"),
    "A.III.2.2": ("breach", "availability"),
    "A.III.2.3": ("volume", "breach", "authorities", "onward", "reidentification"),
}
# Which impacts each solution answers.
SOLUTION_SECTIONS: dict[str, frozenset[str]] = {
    "contract": frozenset(IMPACTS),
    "cloud": frozenset({"A.III.2.2"}),
    "security": frozenset({"A.III.2.2", "A.III.2.3"}),
    "encryption": frozenset(IMPACTS),
    "certification": frozenset({"A.III.2.2"}),
    "incident": frozenset({"A.III.2.1", "A.III.2.2"}),
    "rights": frozenset({"A.III.2.1"}),
    "onward": frozenset({"A.III.2.1", "A.III.2.3"}),
    "authorities": frozenset({"A.III.2.1", "A.III.2.3"}),
    "consent": frozenset({"A.III.2.1"}),
    "notice": frozenset({"A.III.2.1"}),
    "retention": frozenset({"A.III.2.1"}),
    "pseudonymise": frozenset({"A.III.2.1", "A.III.2.3"}),
    "backup": frozenset({"A.III.2.2", "A.III.2.3"}),
    "minimise": frozenset({"A.III.2.3"}),
    "safeguards": frozenset({"A.III.2.1", "A.III.2.2"}),
}
# Which solutions reduce the damage of each situation.
MITIGATES: dict[str, tuple[str, ...]] = {
    "breach": (
        "encryption",
        "security",
        "certification",
        "incident",
        "contract",
        "safeguards",
        "retention",
    ),
    "authorities": ("authorities", "encryption", "minimise"),
    "onward": ("onward", "contract", "rights", "notice"),
    "reidentification": ("pseudonymise", "consent", "notice"),
    "availability": ("backup", "cloud"),
    "volume": ("minimise", "backup", "encryption"),
}


# How many weaknesses of a recipient leave its protection short of what the law requires.
SHORT_OF_THE_LAW = 3

# Findings on the transferor's side that a measure of its own answers.
FINDING_SOLUTIONS: dict[str, str] = {
    "C10.consent-method-missing": "consent",
    "C10.policy-silent-on-transfer": "notice",
    "C12.retention-missing": "retention",
}


@dataclass(frozen=True)
class _Solution:
    kind: str
    applied: bool
    text: Para


@dataclass
class _Writer:
    facts: Facts
    assessment: Assessment
    rules: Rules
    w: _Words = field(init=False)

    def __post_init__(self) -> None:
        self.w = _Words(self.rules)

    # -- small pieces

    @property
    def transferor(self) -> str:
        return self.facts.intake.transferor.name_vi

    def _names(self, rfs: Iterable[RecipientFacts]) -> str:
        return ", ".join(rf.recipient.name for rf in rfs)

    def _groups(self) -> tuple[str, str, tuple[str, ...]]:
        groups = self.facts.intake.data.subject_groups
        vi = [f"{_free(g.printed_label)[0]} ({_count(g.count)[0]})" for g in groups]
        en = [f"{_free(g.printed_label)[1]} ({_count(g.count)[1]})" for g in groups]
        return "; ".join(vi), "; ".join(en), tuple(_free(g.printed_label)[0] for g in groups)

    def _types(self, sensitive: bool) -> tuple[str, str]:
        data = self.facts.intake.data
        cats = (
            [self.rules.sensitive(c) for c in data.sensitive]
            if sensitive
            else [self.rules.basic(c) for c in data.basic]
        )
        return _join([(_lower_first(c.label_vi), _lower_first(c.label_en)) for c in cats])

    def _countries(self) -> tuple[str, str]:
        codes = list(dict.fromkeys(r.country for r in self.facts.intake.recipients))
        return _join([_country(c) for c in codes], ", ")

    def _behaviour(self) -> bool:
        return bool(PROFILING_DATA & set(self.facts.intake.data.sensitive))

    def _no_gov_policy(self) -> list[RecipientFacts]:
        return [
            rf
            for rf in self.facts.recipients
            if rf.recipient.safeguards is None
            or not rf.recipient.safeguards.government_access_policy
        ]

    def _onward_open(self) -> bool:
        onward = self.facts.intake.transfer.onward_transfer
        return (
            onward is None
            or onward.allowed
            or not all(rf.has_onward_clause for rf in self.facts.recipients)
        )

    def _availability(self) -> bool:
        return self.facts.hosts_abroad or any(rf.is_cloud for rf in self.facts.recipients)

    def scenarios(self) -> list[str]:
        """The situations the facts call for, each written where its impact is assessed."""
        out = ["breach"]
        if self._no_gov_policy():
            out.append("authorities")
        if self._onward_open():
            out.append("onward")
        if self._behaviour():
            out.append("reidentification")
        if self._availability():
            out.append("availability")
        if self.facts.national_security:
            out.append("volume")
        return out

    # -- solutions

    def solutions(self, scenarios: Sequence[str]) -> list[_Solution]:
        w, f = self.w, self.facts
        intake = f.intake
        out: list[_Solution] = []

        def add(kind: str, applied: bool, text: Para) -> None:
            out.append(_Solution(kind, applied, text))

        for rf in f.recipients:
            c = rf.recipient.contract
            if c is not None:
                add(
                    "contract",
                    True,
                    w(
                        "solution.contract.applied",
                        reference=c.reference,
                        date=_date(c.signed_on),
                        recipient=rf.recipient.name,
                    ),
                )
            if c is None or rf.missing_art7:
                add("contract", False, w("solution.contract.proposed", recipient=rf.recipient.name))
            if rf.is_cloud:
                if c is not None and not rf.missing_cloud:
                    add("cloud", True, w("solution.cloud.applied", recipient=rf.recipient.name))
                else:
                    add("cloud", False, w("solution.cloud.proposed", recipient=rf.recipient.name))
        if intake.security.measures:
            measures = _free(intake.security.measures)
            add(
                "security",
                True,
                w("solution.security.applied", quoted=[measures[0]], text=measures),
            )
        else:
            add("security", False, w("solution.security.proposed"))
        answered = [rf for rf in f.recipients if rf.has_safeguards]
        unanswered = [rf for rf in f.recipients if not rf.has_safeguards]
        if unanswered:
            add(
                "safeguards",
                False,
                w("solution.safeguards.proposed", recipients=self._names(unanswered)),
            )
        enc = [rf for rf in answered if rf.encrypted_both]
        if enc:
            add("encryption", True, w("solution.encryption.applied", recipients=self._names(enc)))
        if not_enc := [rf for rf in f.recipients if not rf.encrypted_both]:
            add(
                "encryption",
                False,
                w("solution.encryption.proposed", recipients=self._names(not_enc)),
            )
        for rf in answered:
            valid = [s.cert for s in rf.certs if not s.expired]
            expired = [s.cert for s in rf.certs if s.expired]
            if valid:
                add(
                    "certification",
                    True,
                    w(
                        "solution.certification.applied",
                        recipient=rf.recipient.name,
                        list=", ".join(c.name for c in valid),
                    ),
                )
            if expired:
                add(
                    "certification",
                    False,
                    w(
                        "solution.certification.proposed",
                        recipient=rf.recipient.name,
                        list=", ".join(c.name for c in expired),
                    ),
                )
        for kind, ok, amount in (
            ("incident", "incident_hours_ok", "incident_notification_hours"),
            ("rights", "dsr_days_ok", "data_subject_request_days"),
        ):
            good = [rf for rf in answered if getattr(rf, ok) is True]
            slow = [rf for rf in answered if getattr(rf, ok) is not True]
            for rf in good:
                n = getattr(rf.recipient.safeguards, amount)
                slot = {"hours" if kind == "incident" else "days": _count(n)}
                add(kind, True, w(f"solution.{kind}.applied", recipients=rf.recipient.name, **slot))
            if slow:
                add(kind, False, w(f"solution.{kind}.proposed", recipients=self._names(slow)))
        onward = intake.transfer.onward_transfer
        if onward is not None and not onward.allowed:
            add("onward", True, w("solution.onward.applied_none"))
        elif onward is not None and onward.procedure:
            text = _free(onward.procedure)
            add("onward", True, w("solution.onward.applied", quoted=[text[0]], text=text))
        if "onward" in scenarios and (
            onward is None
            or (onward.allowed and not onward.procedure)
            or not all(rf.has_onward_clause for rf in f.recipients)
        ):
            add("onward", False, w("solution.onward.proposed"))
        for rf in answered:
            policy = (
                rf.recipient.safeguards.government_access_policy
                if rf.recipient.safeguards
                else None
            )
            if policy:
                text = _free(policy)
                add(
                    "authorities",
                    True,
                    w(
                        "solution.authorities.applied",
                        quoted=[text[0]],
                        recipient=rf.recipient.name,
                        text=text,
                    ),
                )
        if missing := self._no_gov_policy():
            add(
                "authorities",
                False,
                w("solution.authorities.proposed", recipients=self._names(missing)),
            )
        if intake.governance.consent_method:
            text = _free(intake.governance.consent_method)
            add("consent", True, w("solution.consent.applied", quoted=[text[0]], text=text))
        # What the findings ask of the transferor's own governance, proposed as measures.
        found = {x.id for x in self.assessment.findings}
        for finding, kind in FINDING_SOLUTIONS.items():
            if finding in found:
                add(kind, False, w(f"solution.{kind}.proposed"))
        if "reidentification" in scenarios:
            add("pseudonymise", False, w("solution.pseudonymise.proposed"))
        if intake.data.local_copy:
            add("backup", True, w("solution.backup.applied"))
        elif "availability" in scenarios:
            add("backup", False, w("solution.backup.proposed"))
        if "volume" in scenarios:
            add("minimise", False, w("solution.minimise.proposed"))
        return out

    # -- sections

    def overview(self, scenarios: Sequence[str]) -> AnalysisSection:
        w, f = self.w, self.facts
        b = f.intake.business
        title = self.rules.section("A.III.1")
        necessity: list[Para] = []
        if b.necessity:
            text = _sentence(_free(b.necessity))
            necessity.append(Para(text[0], text[1], title.citations, (text[0],)))
        practice: list[Para] = []
        if b.current_practice:
            text = _sentence(_free(b.current_practice))
            practice.append(Para(text[0], text[1], title.citations, (text[0],)))
        g_vi, g_en, g_quoted = self._groups()
        practice.append(
            w("overview.volume", quoted=g_quoted, count=_count(f.basic_count), groups=(g_vi, g_en))
        )
        if f.intake.data.sensitive:
            practice.append(
                w("overview.sensitive", count=_count(f.sensitive_count), types=self._types(True))
            )
        recipients = _join(
            [
                (f"{r.name} ({_country(r.country)[0]})", f"{r.name} ({_country(r.country)[1]})")
                for r in f.intake.recipients
            ],
            ", ",
        )
        purposes = [_free(p) for p in f.intake.transfer.purposes]
        practice.append(
            w(
                "overview.recipients",
                quoted=[p for p, _ in purposes],
                recipients=recipients,
                purposes=_join(purposes),
            )
        )
        advantages = [
            key
            for key, holds in (
                ("advantage.contract", any(rf.has_contract for rf in f.recipients)),
                ("advantage.standards", bool(f.intake.security.standards)),
                ("advantage.certified", any(rf.valid_certs for rf in f.recipients)),
            )
            if holds
        ]
        if advantages:
            practice.append(w("overview.advantages", list=_paras_join([w(k) for k in advantages])))
        risks = [w(f"scenario.{s}.title") for s in scenarios]
        lowered = [Para(_lower_first(p.vi), _lower_first(p.en), p.citations) for p in risks]
        practice.append(w("overview.difficulties", list=_paras_join(lowered)))
        blocks = [
            Block(None, None, (w("note.A.III.1"),), style="note"),
            Block(*w.heading("heading.necessity"), tuple(necessity)),
            Block(*w.heading("heading.practice"), tuple(practice)),
        ]
        return AnalysisSection("A.III.1", "1.", title.label_vi, title.label_en, 3, tuple(blocks))

    def method(self) -> AnalysisSection:
        w = self.w
        criteria = [
            w(
                "criterion.weight",
                name=w(f"criterion.{c.code}"),
                points=_count(c.weight),
            )
            for c in self.rules.criteria()
            if c.weight > 0
        ]
        risk = self.assessment.risk
        paras = (
            w("method.qualitative"),
            w("method.quantitative", criteria=_paras_join(criteria)),
            w(
                "method.result",
                inherent=w(f"level.{risk.inherent.level}"),
                residual=w(f"level.{risk.residual.level}"),
            ),
        )
        vi, en = w.heading("heading.A.III.2")
        return AnalysisSection(
            "A.III.2",
            "2.",
            vi,
            en,
            3,
            (Block(None, None, (w("note.A.III.2"),), style="note"), Block(None, None, paras)),
        )

    def _state(self, sid: str) -> list[Para]:
        w, f = self.w, self.facts
        intake = f.intake
        if sid == "A.III.2.1":
            g_vi, g_en, quoted = self._groups()
            out = [
                w(
                    "state.A.III.2.1",
                    quoted=quoted,
                    count=_count(f.basic_count),
                    groups=(g_vi, g_en),
                    types=self._types(False),
                )
            ]
            if intake.data.sensitive:
                out.append(
                    w("state.sensitive", count=_count(f.sensitive_count), types=self._types(True))
                )
            for flow in intake.flows:
                r = next((r for r in intake.recipients if r.id == flow.recipient), None)
                if r is None:
                    continue
                group = _free(intake.subject_label(flow.subject_group))
                purpose = _free(flow.purpose)
                out.append(
                    w(
                        "state.flow",
                        quoted=[group[0], purpose[0]],
                        group=group,
                        recipient=r.name,
                        country=_country(r.country),
                        purpose=purpose,
                    )
                )
            if intake.governance.consent_method:
                text = _free(intake.governance.consent_method)
                out.append(w("state.consent", quoted=[text[0]], text=text))
            return out
        if sid == "A.III.2.2":
            activities = _join(
                [
                    (
                        _lower_first(self.rules.activity(a).label_vi),
                        _lower_first(self.rules.activity(a).label_en),
                    )
                    for a in intake.transfer.activities
                ]
            )
            measures = (
                _free(intake.security.measures)
                if intake.security.measures
                else (w("recipient.no_answer").vi, w("recipient.no_answer").en)
            )
            out = [
                w(
                    "state.A.III.2.2",
                    quoted=[measures[0]] if intake.security.measures else [],
                    activities=activities,
                    measures=measures,
                )
            ]
            if intake.security.standards:
                std = [_free(s) for s in intake.security.standards]
                out.append(w("state.standards", quoted=[s for s, _ in std], list=_join(std, ", ")))
            if intake.security.testing:
                tests = [(_free(t.content), _free(t.frequency)) for t in intake.security.testing]
                out.append(
                    w(
                        "state.testing",
                        quoted=[x for c, fr in tests for x in (c[0], fr[0])],
                        list=_join([(f"{c[0]} ({fr[0]})", f"{c[1]} ({fr[1]})") for c, fr in tests]),
                    )
                )
            for rf in f.recipients:
                s = rf.recipient.safeguards
                if s is None:
                    out.append(w("state.recipient_unknown", recipient=rf.recipient.name))
                else:
                    out.append(
                        w(
                            "state.recipient_security",
                            recipient=rf.recipient.name,
                            text=_paras_join(self._security_plan(rf), " "),
                        )
                    )
            return out
        out = [
            w(
                "state.A.III.2.3",
                basic=_count(f.basic_count),
                sensitive=(
                    w("state.A.III.2.3.sensitive", count=_count(f.sensitive_count))
                    if f.sensitive_count
                    else ""
                ),
                countries=self._countries(),
            )
        ]
        if intake.data.local_copy:
            out.append(w("state.local_copy"))
        return out

    def _requirements(self, sid: str) -> list[Para]:
        out = [self.w(f"requirements.{sid}")]
        if sid == "A.III.2.2" and any(rf.is_cloud for rf in self.facts.recipients):
            out.append(self.w("requirements.cloud"))
        return out

    def _scenario_values(self, name: str) -> dict[str, Value]:
        f = self.facts
        if name == "authorities":
            missing = self._no_gov_policy()
            codes = list(dict.fromkeys(rf.recipient.country for rf in missing))
            return {
                "recipients": self._names(missing),
                "countries": _join([_country(c) for c in codes], ", "),
            }
        if name == "reidentification":
            return {"types": self._types(True)}
        if name == "volume":
            return {"count": _count(max(f.basic_count, f.sensitive_count))}
        if name in ("breach", "onward"):
            return {"recipients": self._names(f.recipients)}
        return {}

    def impact(
        self, sid: str, scenarios: Sequence[str], solutions: Sequence[_Solution]
    ) -> AnalysisSection:
        w = self.w
        here = [s for s in SECTION_SCENARIOS[sid] if s in scenarios]
        mine = [s for s in solutions if sid in SOLUTION_SECTIONS[s.kind]]
        situations: list[Para] = []
        causes: list[Para] = []
        damage: list[Para] = []
        for n, name in enumerate(here, start=1):
            values = self._scenario_values(name)
            number = str(n)
            situations.append(
                w(
                    "scenario.item",
                    n=number,
                    title=w(f"scenario.{name}.title"),
                    text=w(f"scenario.{name}.situation", **values),
                )
            )
            if name == "onward":
                cause_key = (
                    "scenario.onward.cause_allowed"
                    if self.facts.intake.transfer.onward_transfer is not None
                    and self.facts.intake.transfer.onward_transfer.allowed
                    and self.facts.intake.transfer.onward_transfer.procedure
                    else "scenario.onward.cause_unstated"
                )
            else:
                cause_key = f"scenario.{name}.cause"
            causes.append(w("scenario.cause_item", n=number, text=w(cause_key)))
            kinds = [k for k in MITIGATES[name] if any(s.kind == k for s in mine)]
            measures = _paras_join(
                [
                    Para(_lower_first(p.vi), _lower_first(p.en), p.citations)
                    for p in (w(f"solution.{k}.label") for k in kinds)
                ]
            )
            damage.append(
                w(
                    "scenario.damage_item",
                    n=number,
                    damage=w(f"scenario.{name}.damage.{sid}"),
                    measures=measures,
                )
            )
        applied = [s.text for s in mine if s.applied]
        proposed = [s.text for s in mine if not s.applied]

        def labels(kinds: Iterable[str]) -> Para:
            named = [w(f"solution.{k}.label") for k in dict.fromkeys(kinds)]
            return _paras_join(
                [Para(_lower_first(p.vi), _lower_first(p.en), p.citations) for p in named]
            )

        solution_paras = [w("solution.applied", text=p) for p in applied] + [
            w("solution.proposed", text=p) for p in proposed
        ]
        effects = [
            w(
                "solution.effect",
                solution=w(f"solution.{kind}.label"),
                positive=w(f"solution.{kind}.positive"),
                negative=w(f"solution.{kind}.negative"),
            )
            for kind in dict.fromkeys(s.kind for s in mine)
        ]
        if applied and proposed:
            recommendation = w(
                "recommendation.keep_and_add",
                transferor=self.transferor,
                applied=labels(s.kind for s in mine if s.applied),
                proposed=labels(s.kind for s in mine if not s.applied),
            )
        elif proposed:
            recommendation = w(
                "recommendation.add",
                transferor=self.transferor,
                proposed=labels(s.kind for s in mine if not s.applied),
            )
        else:
            recommendation = w(
                "recommendation.keep",
                transferor=self.transferor,
                applied=labels(s.kind for s in mine if s.applied),
            )

        def element(
            key: Element, paras: Sequence[Para], style: Literal["text", "list"] = "text"
        ) -> Block:
            vi, en = w.heading(f"element.{key}")
            return Block(vi, en, tuple(paras), element=key, style=style, level=5)

        def step(n: int) -> Block:
            key = f"step.{n}.{sid}" if n == 1 else f"step.{n}"
            vi, en = w.heading(key)
            return Block(f"{n}. {vi}", f"{n}. {en}")

        blocks = (
            Block(None, None, (w(f"note.{sid}"),), style="note"),
            step(1),
            element("current_state", self._state(sid)),
            element("situations", situations, "list"),
            element("causes", causes, "list"),
            step(2),
            element("requirements", self._requirements(sid)),
            step(3),
            element("solutions", solution_paras, "list"),
            step(4),
            element("effects", effects, "list"),
            element("consequences", damage, "list"),
            step(5),
            element("recommendation", [recommendation]),
        )
        sec = self.rules.section(sid)
        return AnalysisSection(sid, sid[6:] + ".", sec.label_vi, sec.label_en, 4, blocks)

    # -- the recipient (§A.III.3)

    def _security_plan(self, rf: RecipientFacts) -> list[Para]:
        w = self.w
        s = rf.recipient.safeguards
        if s is None:
            return [w("recipient.no_answer")]
        out: list[Para] = []
        if s.encryption_in_transit and s.encryption_at_rest:
            out.append(w("recipient.encryption_both"))
        else:
            yes = [
                w(f"recipient.encrypted_{k}")
                for k, v in (("transit", s.encryption_in_transit), ("rest", s.encryption_at_rest))
                if v
            ]
            no = [
                w(f"recipient.unencrypted_{k}")
                for k, v in (("transit", s.encryption_in_transit), ("rest", s.encryption_at_rest))
                if not v
            ]
            if yes:
                out.append(
                    w("recipient.encryption_partial", yes=_paras_join(yes), no=_paras_join(no))
                )
            else:
                no_text = _paras_join(no)
                out.append(
                    Para(_capital(no_text.vi) + ".", _capital(no_text.en) + ".", no_text.citations)
                )
        for key, value in (
            ("access_control", s.access_control),
            ("testing", s.security_testing),
            ("retention", s.retention_and_deletion),
        ):
            if value:
                text = _free(value)
                out.append(w(f"recipient.{key}", quoted=[text[0]], text=text))
        if s.incident_notification_hours is not None:
            out.append(w("recipient.incident", hours=_count(s.incident_notification_hours)))
        return out

    def _measures(self, rf: RecipientFacts) -> list[Para]:
        w = self.w
        s = rf.recipient.safeguards
        if s is None:
            return [w("recipient.no_answer")]
        out = [
            w(
                "recipient.certificate",
                quoted=[_free(c.issuer)[0]],
                name=c.name,
                issuer=_free(c.issuer),
                date=_date(c.expires_on),
            )
            for c in s.certifications
        ] or [w("recipient.no_certificate")]
        if rf.is_cloud:
            if rf.has_contract and not rf.missing_cloud:
                out.append(w("recipient.cloud_ok"))
            else:
                clauses = rf.missing_cloud or tuple(self.rules.clauses("cloud"))
                out.append(
                    w(
                        "recipient.cloud_missing",
                        points=(
                            ", ".join(f"điểm {c.letter}" for c in clauses),
                            ", ".join(f"({c.letter})" for c in clauses),
                        ),
                    )
                )
        if s.data_subject_request_days is not None:
            out.append(w("recipient.dsr", days=_count(s.data_subject_request_days)))
        for key, value in (
            ("onward", s.onward_transfer_controls),
            ("government", s.government_access_policy),
            ("local_law", s.local_law),
        ):
            if value:
                text = _free(value)
                out.append(w(f"recipient.{key}", quoted=[text[0]], text=text))
        out.append(
            w(
                "recipient.attested",
                quoted=[_free(s.attested_by)[0]],
                name=_free(s.attested_by),
                date=_date(s.attested_on),
            )
        )
        return out

    def _judgement(self, rf: RecipientFacts) -> list[Para]:
        w = self.w
        s = rf.recipient.safeguards
        if s is None:
            return [w("judge.no_answer")]
        out: list[Para] = []
        risks: list[Para] = []
        if rf.encrypted_both:
            out.append(w("judge.encryption_ok"))
        else:
            missing = [
                w(f"recipient.unencrypted_{k}")
                for k, v in (("transit", s.encryption_in_transit), ("rest", s.encryption_at_rest))
                if not v
            ]
            out.append(w("judge.encryption_gap", text=_paras_join(missing)))
            risks.append(w("risk.encryption"))
        for state in rf.certs:
            c = state.cert
            key = (
                "judge.cert_expired"
                if state.expired
                else "judge.cert_expiring"
                if state.expiring
                else "judge.cert_valid"
            )
            out.append(w(key, name=c.name, date=_date(c.expires_on)))
        if not rf.certs:
            out.append(w("judge.no_cert"))
        if any(st.expired for st in rf.certs):
            risks.append(w("risk.certificate"))
        if s.incident_notification_hours is None:
            out.append(w("judge.incident_unknown"))
            risks.append(w("risk.incident"))
        else:
            hours = _count(s.incident_notification_hours)
            out.append(
                w(
                    "judge.incident_ok" if rf.incident_hours_ok else "judge.incident_slow",
                    hours=hours,
                )
            )
            if not rf.incident_hours_ok:
                risks.append(w("risk.incident"))
        if s.data_subject_request_days is not None:
            days = _count(s.data_subject_request_days)
            out.append(w("judge.dsr_ok" if rf.dsr_days_ok else "judge.dsr_slow", days=days))
            if not rf.dsr_days_ok:
                risks.append(w("risk.dsr"))
        if s.onward_transfer_controls or rf.has_onward_clause:
            out.append(w("judge.onward_ok"))
        else:
            out.append(w("judge.onward_gap"))
            risks.append(w("risk.onward"))
        if s.government_access_policy:
            out.append(w("judge.government_ok"))
        else:
            out.append(w("judge.government_gap"))
            risks.append(w("risk.government"))
        if not s.local_law:
            out.append(w("judge.local_law_gap"))
            risks.append(w("risk.local_law"))
        # Unencrypted data, or three weaknesses together, leave the level short of the law;
        # fewer leave it broadly met with the measures of item 2 to close them.
        short = not rf.encrypted_both or len(risks) >= SHORT_OF_THE_LAW
        if risks:
            out.append(
                w(
                    "judge.conclusion_short" if short else "judge.conclusion_gaps",
                    recipient=rf.recipient.name,
                    list=_paras_join(risks),
                )
            )
        else:
            out.append(w("judge.conclusion_ok", recipient=rf.recipient.name))
        return out

    def _processing(self, rf: RecipientFacts) -> list[Para]:
        w = self.w
        r = rf.recipient
        out = [w("recipient.location", country=_country(r.country), role=w(f"role.{r.role}"))]
        for flow in self.facts.intake.flows:
            if flow.recipient != r.id:
                continue
            group = _free(self.facts.intake.subject_label(flow.subject_group))
            text = _free(flow.post_transfer_processing)
            out.append(w("recipient.flow", quoted=[group[0], text[0]], group=group, text=text))
        return out

    def recipient_parts(self) -> list[AnalysisSection]:
        writers = {
            "A.III.3.1": self._processing,
            "A.III.3.2": self._security_plan,
            "A.III.3.3": self._measures,
            "A.III.3.4": self._judgement,
        }
        out = []
        for sid in RECIPIENT_PARTS:
            label = self.rules.field(sid)
            blocks = [Block(None, None, (self.w(f"note.{sid}"),), style="note")]
            for rf in self.facts.recipients:
                blocks.append(Block(rf.recipient.name, rf.recipient.name, tuple(writers[sid](rf))))
            out.append(
                AnalysisSection(
                    sid, sid[6:] + ".", label.label_vi, label.label_en, 4, tuple(blocks)
                )
            )
        return out


def overrides_from(texts: Mapping[str, object]) -> dict[str, str | Override]:
    """The intake's ``analysis`` mapping as overrides: plain text, or ``{vi, en}`` text."""
    out: dict[str, str | Override] = {}
    for key, value in texts.items():
        if isinstance(value, str):
            out[key] = value
        else:
            vi = getattr(value, "vi", None) or getattr(value, "en", None) or ""
            out[key] = Override(str(vi), getattr(value, "en", None))
    return out


def _override(value: str | Override) -> Para:
    if isinstance(value, str):
        return Para(value, value, quoted=(value,))
    return Para(value.vi, value.en or value.vi, quoted=(value.vi,))


def write_analysis(
    facts: Facts,
    assessment: Assessment,
    rules: Rules,
    overrides: Mapping[str, str | Override] | None = None,
) -> Analysis:
    """Form 09 §A.III for one transfer: 1, 2 (its method), 2.1–2.3 as required, 3 and
    3.1–3.4; a section named in ``overrides`` prints the officer's text instead."""
    overrides = overrides or {}
    writer = _Writer(facts, assessment, rules)
    scenarios = writer.scenarios()
    solutions = writer.solutions(scenarios)
    impacts = [
        writer.impact(sid, scenarios, solutions)
        for sid in IMPACTS
        if sid in assessment.required_sections
    ]
    sec3 = rules.section("A.III.3")
    sections = [
        writer.overview(scenarios),
        writer.method(),
        *impacts,
        AnalysisSection("A.III.3", "3.", sec3.label_vi, sec3.label_en, 3, ()),
        *writer.recipient_parts(),
    ]
    present = {s.id for s in sections}
    problems = [
        Problem(
            f"analysis.{key}",
            f"not a Form 09 §A.III section this dossier contains (one of "
            f"{', '.join(k for k in OVERRIDABLE if k in present)})",
        )
        for key in overrides
        if key not in OVERRIDABLE or key not in present
    ]
    if problems:
        raise IntakeError("analysis", problems)
    return Analysis(
        tuple(
            AnalysisSection(
                s.id,
                s.number,
                s.title_vi,
                s.title_en,
                s.level,
                s.generated,
                _override(overrides[s.id]) if s.id in overrides else None,
            )
            for s in sections
        )
    )
