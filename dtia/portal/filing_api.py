"""The filing API's request and response models: typed, so the OpenAPI document says what
each filing call takes and answers. The lifecycle itself is ``dtia.filing``'s."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator, Base64Bytes, BaseModel, ConfigDict, Field

from dtia.clocks import Clock
from dtia.filing import Channel, Event, EventName, State, lifecycle
from dtia.text import checked, checked_line

# A filing document: a receipt, a letter, a scan. Five of them at most with one event.
MAX_DOCUMENT = 20 * 1024 * 1024
MAX_DOCUMENTS = 5

Line = Annotated[str, Field(max_length=200), AfterValidator(checked_line)]
Comment = Annotated[str, Field(max_length=2000), AfterValidator(checked)]


def _canonical(name: str) -> str:
    found = lifecycle().event(name)
    assert found is not None  # the Literal admits only the lifecycle's names and aliases
    return found


class DocumentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Line
    content: Annotated[Base64Bytes, Field(description="The file, base64-encoded.")]


class FilingEventIn(BaseModel):
    """A filing event. ``event`` may be given by an old name (filed, completion-requested,
    update-filed, stop-order); the register records the lifecycle's name."""

    model_config = ConfigDict(extra="forbid")

    event: Annotated[EventName, AfterValidator(_canonical)]
    on: date
    channel: Channel | None = None
    code: Line | None = Field(default=None, description="The dossier code (mã hồ sơ).")
    # control characters refused here as in every input (dtia.text): a NUL cannot even be
    # stored in PostgreSQL
    reference: Line | None = Field(default=None, description="The receipt number.")
    note: Comment | None = None
    comments: Annotated[list[Comment], Field(max_length=200)] = []
    documents: Annotated[list[DocumentIn], Field(max_length=MAX_DOCUMENTS)] = []


class ApprovalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    on: date | None = None


class DocumentOut(BaseModel):
    sha256: str
    name: str
    size: int
    kind: Literal["attachment", "submitted_dossier"] | str


class FilingEventOut(BaseModel):
    """What recording an event did."""

    transfer_id: str
    event: Event
    on: date
    state: State
    citations: list[str]
    regime: str
    rules: str
    round: int | None
    documents: list[DocumentOut]
    comments: list[str]
    audit_head: str


class ApprovalOut(BaseModel):
    transfer_id: str
    state: State
    approved_version: int
    assessment_sha256: str
    audit_head: str


class TimelineEvent(BaseModel):
    seq: int | None
    event: str
    on: date
    reference: str | None
    code: str | None
    channel: str | None
    regime: str | None
    state: str
    comments: list[str]
    documents: list[DocumentOut]


class ApprovalEntry(BaseModel):
    by: str
    on: date
    assessment: str
    void: bool


class RoundOut(BaseModel):
    n: int
    requested_on: date
    comments: list[str]
    completed_on: date | None


class DossierOut(BaseModel):
    """One dossier sent and what came of it, with the rules that applied to it."""

    n: int
    regime: str
    rules: str
    rules_citations: list[str]
    submitted_on: date
    channel: str | None
    received_on: date | None
    code: str | None
    rounds: list[RoundOut]
    outcome: str | None
    verdict_vi: str | None


class CurrentAssessment(BaseModel):
    id: str
    version: int
    as_of: date
    sha256: str


class FilingStatusOut(BaseModel):
    """A transfer's filing: state, approvals, events in date order, dossiers, the events
    allowed now and the statutory clocks."""

    transfer_id: str
    state: State
    current_assessment: CurrentAssessment
    approvals: list[ApprovalEntry]
    events: list[TimelineEvent]
    dossiers: list[DossierOut]
    allowed_events: list[Event]
    rules_today: str
    deadlines: list[Clock]
