"""The assessment result, format ``dtia.assessment/v1`` (shared spec ``assessment.md``).

An ``Assessment`` is immutable and serialises to the same bytes for the same intake,
rules and ``as_of``: fields keep their declared order and every list is sorted by the
code that builds it.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_ID: Literal["dtia.assessment/v1"] = "dtia.assessment/v1"

Severity = Literal["blocker", "high", "medium", "low", "info"]
SEVERITY_ORDER: dict[str, int] = {"blocker": 0, "high": 1, "medium": 2, "low": 3, "info": 4}
Level = Literal["low", "medium", "high", "critical"]


class Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AppliedExemption(Frozen):
    code: str
    citations: list[str]
    # Always "facts" now that no claim holds on its justification; "justification" is kept so
    # assessments stored under earlier rules still load.
    tested_on: Literal["facts", "justification"] = "facts"


class RejectedClaim(Frozen):
    code: str
    reason: str
    citations: list[str]
    # True when the test could not run for want of facts (named in missing_facts).
    unconfirmed: bool = False
    missing_facts: list[str] = []


class Applicability(Frozen):
    cross_border_transfer: bool
    limbs: list[str]
    dossier_required: bool
    exemption: AppliedExemption | None
    rejected_exemption_claims: list[RejectedClaim]
    cover_form: Literal["01a", "01b"] | None
    citations: list[str]
    prior_dossier: str | None = None  # "decree-13-2023" / "law-91-2025" when one replaces filing
    reasons: list[str] = []


class Deadline(Frozen):
    kind: Literal[
        "initial_filing", "periodic_update", "urgent_update", "completion", "authority_verdict"
    ]
    due: date
    legal_end: date
    status: Literal["overdue", "due_soon", "upcoming", "met"]
    citations: list[str]
    start: date
    owed_by: Literal["transferor", "authority"] = "transferor"
    label: str = ""
    uncertain: bool = False


class Score(Frozen):
    score: int = Field(ge=0, le=100)
    level: Level


class Contribution(Frozen):
    criterion: str
    points: int = Field(ge=0)  # share of the residual score
    inherent_points: int = Field(ge=0)  # share of the inherent score
    reason: str
    citations: list[str]


class Risk(Frozen):
    inherent: Score
    residual: Score
    contributions: list[Contribution]


class Finding(Frozen):
    id: str
    criterion: str
    severity: Severity
    subject: str
    message: str
    remedy: str
    citations: list[str] = Field(min_length=1)


def _absent(value: object) -> bool:
    return value is None


class Gap(Frozen):
    field: str  # the Form 09 field (A.II.4), or the cover notice item (cover.place)
    message: str
    citations: list[str] = []
    # The intake key path to fill, when one path says it (governance.retention,
    # attachments[0].translation). Left out when absent, so earlier assessments keep their bytes.
    path: str | None = Field(default=None, exclude_if=_absent)


class Pending(Frozen):
    kind: Literal["recipient_safeguards", "approval", "legal_review"]
    recipient: str | None = None
    message: str = ""


class FilingChannel(Frozen):
    """Where the dossier (or an update) is sent on ``as_of``, how, and who processes it."""

    procedure: Literal["initial_filing", "update"]
    receiving_body: str
    receiving_body_vi: str
    channels: list[str]
    channels_vi: str
    processed_by: str
    processed_by_vi: str
    in_force_from: date
    in_force_to: date | None = None
    citations: list[str]
    notes: list[str] = []  # UNCERTAIN points with the conservative reading, what comes next


class Fine(Frozen):
    min_vnd: int = Field(ge=0)
    max_vnd: int = Field(ge=0)


class Measure(Frozen):
    code: str
    kind: Literal["additional", "remedial"]
    label: str
    citations: list[str]


class RevenueFine(Frozen):
    """The revenue-based fine of Decree 330 Art 56(3), with its Art 56(4) fixed amounts."""

    clause: str
    when: str
    percent_min: int | None  # None for an individual: Art 56(3) fines organisations only
    percent_max: int | None
    revenue_bases: list[str]  # both readings of the revenue counted (they may differ)
    fallback_clause: str
    fallback: Fine
    measures: list[Measure]
    notes: list[str] = []
    citations: list[str]


class Exposure(Frozen):
    """The sanction a finding may amount to (internal: never printed in the filed dossier)."""

    finding: str
    subject: str
    clause: str
    violation: str
    party: Literal["organisation", "individual"]
    fine: Fine
    ceiling: str
    revenue_fine: RevenueFine | None = None
    measures: list[Measure]
    limitation: str
    notes: list[str] = []
    citations: list[str]


class Duty(Frozen):
    """A duty that continues after the transfer or the filing (kept with the memo too)."""

    id: str
    duty: str
    how: str
    citations: list[str]


class Passage(Frozen):
    """A passage of a published policy: its line (and page, for a PDF) and a short quote."""

    line: int
    quote: str
    page: int | None = None


class DisclosureItem(Frozen):
    """One item of the disclosure check (dtia/law/data/policy_items.yaml) on one document."""

    key: str
    law: Literal["vn", "jp"]
    label: str
    disclosed: bool | None  # None: the item does not apply to this document
    evidence: list[Passage] = []
    contrary: list[Passage] = []  # passages that deny it ("we do not transfer ...")
    details: list[str] = []  # rights named, countries (ISO codes), instruments cited
    missing: list[str] = []  # for rights: the Law 91 rights not named
    notes: list[str] = []
    remedy: str
    citations: list[str]


class Disclosure(Frozen):
    """What one published policy or notice discloses (the transfer page's disclosure table)."""

    document: str  # its key path in the intake
    also: list[str] = []  # other entries naming the same file
    party: str  # "transferor", or the recipient's id
    title: str
    file: str  # its name among the intake's files
    read: bool
    problem: str | None = None  # why it could not be read
    languages: list[str] = []
    outdated: bool = False  # cites no law in force (only Decree 13/2023, or none)
    items: list[DisclosureItem] = []


class AppiItem(Frozen):
    """An item of APPI Art 27(5)(iii) the Japanese party's notice lacks, and its remedy."""

    key: str
    label: str
    remedy: str
    notes: list[str] = []
    citations: list[str]


class DraftParagraph(Frozen):
    """A paragraph of the Art 28 information, in English and as a Japanese draft."""

    key: str
    text_en: str
    text_ja: str
    citations: list[str]


class AppiNote(Frozen):
    """Joint use with a Japanese party: what its notice lacks under APPI Art 27(5)(iii), and
    the Art 28 information the Vietnamese party supplies to it, as a draft it can use."""

    recipient: str
    recipient_name: str
    notices: list[str]  # key paths of the notices read (none: it gave none)
    joint_use_lacking: list[AppiItem]
    art28_lacking: list[AppiItem]
    regime: list[DraftParagraph]  # the current description of Vietnam's regime
    measures: list[DraftParagraph]  # the transferor's own measures
    notes: list[str] = []
    citations: list[str]


class Assessment(Frozen):
    schema_: Literal["dtia.assessment/v1"] = Field(default=SCHEMA_ID, alias="schema")
    transfer_id: str
    as_of: date
    rules_version: str
    rules_sha256: str
    input_sha256: str
    applicability: Applicability
    deadlines: list[Deadline]
    required_sections: list[str]
    risk: Risk
    findings: list[Finding]
    gaps: list[Gap]
    pending: list[Pending]
    # Added with rules vn-2026.3; defaults keep assessments stored under earlier rules loading.
    filing_channels: list[FilingChannel] = []
    exposure: list[Exposure] = []
    continuing_duties: list[Duty] = []
    # Added with rules vn-2026.4: what the published policies and notices disclose, and for
    # a joint use with a Japanese party, the APPI note.
    disclosures: list[Disclosure] = []
    appi_notes: list[AppiNote] = []

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    def to_dict(self) -> dict[str, object]:
        data: dict[str, object] = self.model_dump(mode="json", by_alias=True)
        return data

    def to_json(self) -> str:
        """Canonical JSON: declared key order, UTF-8 text, two-space indent, final newline."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Assessment:
        return cls.model_validate_json(text)

    def findings_by_severity(self, severity: Severity) -> list[Finding]:
        return [f for f in self.findings if f.severity == severity]


def level_for(score: int) -> Level:
    if score >= 75:
        return "critical"
    if score >= 50:
        return "high"
    if score >= 25:
        return "medium"
    return "low"
