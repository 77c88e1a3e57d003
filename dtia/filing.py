"""The filing lifecycle: states, guarded transitions with their legal basis, and clocks.

Pure: the store hands in what happened (approvals, events, intake changes) and gets back
whether a step is allowed, the new state, which rules applied, and the statutory clocks at
``as_of``. The states and edges are law data (``lifecycle.yaml``), under the regime that
applied to the dossier: Resolution 22/2026 for dossiers received from 29 April 2026 to
1 March 2027, Decree 356 Art 18 before and after.

    prepared ─approve─► approved ─submitted─► submitted ─received─► received
        submitted ─refused_at_receipt─► refused_at_receipt ─submitted─► (a new dossier)
        submitted | received | completed | processing_extended
            ─completion_requested─► completion_requested ─completed─► completed (round n)
            ─processing_extended─► processing_extended
            ─accepted─► accepted ─update_submitted─► accepted
            ─not_accepted─► not_accepted ─submitted─► (a new dossier)
    any filed state ─stop_order─► stopped;  any state but withdrawn ─withdrawn─► withdrawn
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Literal, get_args

from dtia.assessment import Assessment
from dtia.clocks import Clock, clock_of, deadline, next_cycle_end
from dtia.errors import DtiaError
from dtia.intake import TransferIntake
from dtia.law import Rules, law_files
from dtia.law.models import FilingEvent, FilingRegime, FilingState, LifecycleEdge, LifecycleState

State = FilingState
Event = FilingEvent
EVENTS: tuple[Event, ...] = get_args(Event)
STATES: tuple[State, ...] = get_args(State)
# Every name an event may be given: the lifecycle's, and those the register used before
# (the law data's aliases; a test keeps the two lists together).
EventName = Literal[FilingEvent, "filed", "completion-requested", "update-filed", "stop-order"]
Channel = Literal["portal", "in_person", "post"]
CHANNELS: tuple[Channel, ...] = get_args(Channel)
# The names the register gave two states before the lifecycle of 2026.
OLD_STATES: dict[str, State] = {"draft": "prepared", "filed": "submitted"}
# A dossier that comes back with these was not taken: the next submission is a new dossier.
RESTARTS: frozenset[str] = frozenset({"not_accepted", "refused_at_receipt"})
VERDICTS: frozenset[str] = frozenset({"accepted", "not_accepted"})


class FilingError(DtiaError):
    """A filing step the lifecycle or its guards refuse."""


class FilingDateError(FilingError):
    """The date given for an event or an approval cannot be right (invalid input: the CLI
    exits 2 naming the option); ``field`` names the input that carries the date."""

    def __init__(self, message: str, *, field: str = "on") -> None:
        super().__init__(message)
        self.field = field


def canonical_state(state: str) -> str:
    """A state as the lifecycle names it now (old registers said draft and filed)."""
    return OLD_STATES.get(state, state)


@dataclass(frozen=True)
class Lifecycle:
    """The lifecycle of the law data: regimes, states and edges."""

    regimes: tuple[FilingRegime, ...]
    states: dict[str, LifecycleState]
    edges: tuple[LifecycleEdge, ...]

    def event(self, name: str) -> Event | None:
        """The event ``name`` stands for, its old names included (None when it is none)."""
        if name in EVENTS:
            return name
        return next((e.event for e in self.edges if name in e.aliases), None)

    def aliases(self) -> dict[str, Event]:
        return {a: e.event for e in self.edges for a in e.aliases}

    def regime_on(self, day: date) -> FilingRegime:
        first = min(self.regimes, key=lambda r: r.effective_from)
        # a day before the law is refused by the date guards; its rules are the first ones
        found = (
            [first] if day < first.effective_from else [r for r in self.regimes if r.in_force(day)]
        )
        if len(found) != 1:
            raise FilingError(f"the law data has no filing rules for a dossier of {day}")
        return found[0]

    def edge(self, event: Event, regime: str) -> LifecycleEdge:
        return next(e for e in self.edges if e.event == event and regime in e.regimes)

    def allowed(self, state: str, regime: str) -> list[Event]:
        """The events that may follow ``state`` under ``regime``, in the lifecycle's order."""
        return [e for e in EVENTS if canonical_state(state) in self.edge(e, regime).sources]

    def filed_states(self) -> frozenset[str]:
        return frozenset(s for s, d in self.states.items() if d.filed)

    def updatable_states(self) -> frozenset[str]:
        """The states in which a change calls for an update of the filed dossier (Decree 356
        Art 20): a dossier is with the authority or accepted; not one refused, not accepted
        (a new dossier follows) or whose transfers were stopped."""
        return self.filed_states() - {"not_accepted", "stopped"}

    def starts_dossier(self, event: str) -> bool:
        return any(e.new_dossier for e in self.edges if e.event == event)


@cache
def lifecycle() -> Lifecycle:
    files, _ = law_files()
    return Lifecycle(
        files.filing_regimes, {s.state: s for s in files.filing_states}, files.filing_edges
    )


@dataclass(frozen=True)
class ApprovalFact:
    assessment_id: str
    by: str
    on: date


@dataclass(frozen=True)
class EventFact:
    event: str  # canonical for events recorded now; old registers' names are read through
    on: date
    reference: str | None = None  # the receipt number (or the letter's reference)
    code: str | None = None  # the dossier code (mã hồ sơ) the authority gave
    channel: str | None = None
    comments: tuple[str, ...] = ()

    @property
    def name(self) -> Event:
        found = lifecycle().event(self.event)
        if found is None:
            raise FilingError(f"the register holds an unknown filing event {self.event!r}")
        return found


@dataclass(frozen=True)
class Round:
    """One completion round: the authority's request and the filer's completion."""

    n: int
    requested: EventFact
    completed: EventFact | None = None


@dataclass(frozen=True)
class Dossier:
    """One dossier sent to the authority and what came of it; ``regime`` is the rules that
    applied to it (see ``deciding_day``)."""

    n: int
    submitted: EventFact
    regime: FilingRegime
    received: EventFact | None = None
    rounds: tuple[Round, ...] = ()
    events: tuple[EventFact, ...] = ()

    @property
    def received_on(self) -> date:
        return self.received.on if self.received else self.submitted.on

    @property
    def outcome(self) -> EventFact | None:
        """The verdict or refusal that ended the dossier, if any."""
        return next((e for e in reversed(self.events) if e.name in VERDICTS | RESTARTS), None)

    @property
    def code(self) -> str | None:
        return next((e.code for e in reversed(self.events) if e.code), None)


def deciding_day(submitted: EventFact, received: EventFact | None) -> date:
    """The day that decides a dossier's rules: its postmark when it went by post, otherwise
    the day it was received (the day it was submitted until a receipt is recorded)."""
    if submitted.channel == "post" or received is None:
        return submitted.on
    return received.on


def dossiers(events: Sequence[EventFact], lc: Lifecycle | None = None) -> list[Dossier]:
    """The events grouped into the dossiers they concern, each with its rounds and rules."""
    lc = lc or lifecycle()
    groups: list[list[EventFact]] = []
    for e in events:
        if lc.starts_dossier(e.name):
            groups.append([e])
        elif groups:
            groups[-1].append(e)
    out = []
    for n, group in enumerate(groups, 1):
        received = next((e for e in group if e.name == "received"), None)
        rounds: list[Round] = []
        for e in group:
            if e.name == "completion_requested":
                rounds.append(Round(len(rounds) + 1, e))
            elif e.name == "completed" and rounds and rounds[-1].completed is None:
                rounds[-1] = Round(rounds[-1].n, rounds[-1].requested, e)
        day = deciding_day(group[0], received)
        out.append(Dossier(n, group[0], lc.regime_on(day), received, tuple(rounds), tuple(group)))
    return out


@dataclass(frozen=True)
class FilingFacts:
    """What the register knows about one transfer's filing."""

    state: State
    current_assessment_id: str
    current_version: int
    current_has_blockers: bool
    approvals: tuple[ApprovalFact, ...]
    events: tuple[EventFact, ...]

    def restarted_on(self) -> date | None:
        """The day the last dossier came back refused or not accepted: approvals before it
        approved that dossier, not the next one."""
        return next((e.on for e in reversed(self.events) if e.name in RESTARTS), None)

    def standing_approval(self) -> ApprovalFact | None:
        """The approval of the current assessment, given since the last dossier came back;
        approvals of older versions are void."""
        since = self.restarted_on()
        return next(
            (
                a
                for a in reversed(self.approvals)
                if a.assessment_id == self.current_assessment_id
                and (since is None or a.on >= since)
            ),
            None,
        )


def check_date(
    on: date,
    *,
    today: date,
    law_in_force: date,
    what: str,
    first_transfer: date | None = None,
) -> None:
    """Refuse a date that cannot be when ``what`` happened: after ``today`` (the caller's
    today in Vietnam: a typo in the future would otherwise lock the date-ordered lifecycle
    until that day), before the law took effect, or, given ``first_transfer``, before the
    transfer's first transfer date."""
    day = on.isoformat()
    if on > today:
        raise FilingDateError(
            f"{what} is dated {day}, after today in Vietnam ({today.isoformat()}): "
            "record it on the day it happened, once it has happened"
        )
    if on < law_in_force:
        raise FilingDateError(
            f"{what} is dated {day}, before Law 91/2025 took effect ({law_in_force.isoformat()})"
        )
    if first_transfer is not None and on < first_transfer:
        raise FilingDateError(
            f"{what} is dated {day}, before the transfer's first transfer date "
            f"({first_transfer.isoformat()}, transfer.first_transfer_date)"
        )


def state_after_approval(state: str) -> State:
    """An approval moves a prepared filing (or one whose dossier came back) to approved and
    leaves any later state as it is."""
    state = canonical_state(state)
    return "approved" if state in ("prepared", *RESTARTS) else state  # type: ignore[return-value]


def check_approval(f: FilingFacts, on: date, *, today: date, law_in_force: date) -> State:
    """Whether legal may approve the current assessment on ``on``; returns the state after it."""
    check_date(on, today=today, law_in_force=law_in_force, what="the approval")
    if f.state in ("stopped", "withdrawn"):
        raise FilingError(f"the filing is {f.state}: nothing can be approved")
    if f.current_has_blockers:
        raise FilingError(
            f"assessment version {f.current_version} has blocker findings: resolve them "
            "and save a new assessment before approving"
        )
    if f.standing_approval() is not None:
        raise FilingError(f"assessment version {f.current_version} is already approved")
    since = f.restarted_on()
    if since is not None and on < since:
        raise FilingError(
            f"the approval is dated {on.isoformat()}, before the last dossier came back "
            f"({since.isoformat()}): the new dossier is approved after that"
        )
    return state_after_approval(f.state)


@dataclass(frozen=True)
class Step:
    """What recording an event does: the state after it, its legal basis, the rules that
    apply to its dossier and, for a completion, the round it belongs to."""

    state: State
    citations: tuple[str, ...]
    regime: FilingRegime
    edge: LifecycleEdge
    round: int | None = None


def regime_for(f: FilingFacts, event: Event, on: date, lc: Lifecycle | None = None) -> FilingRegime:
    """The rules an event of this filing follows: those of its dossier (received, or
    submitted, on the day that decides them), or of ``on`` for a dossier not yet sent."""
    lc = lc or lifecycle()
    if lc.starts_dossier(event):
        return lc.regime_on(on)
    current = dossiers(f.events, lc)
    if not current:
        return lc.regime_on(on)
    if event == "received":
        return lc.regime_on(deciding_day(current[-1].submitted, EventFact("received", on)))
    return current[-1].regime


def allowed_events(f: FilingFacts, on: date, lc: Lifecycle | None = None) -> list[Event]:
    """The events the current state allows (the date and approval guards aside)."""
    lc = lc or lifecycle()
    return [
        e
        for e in EVENTS
        if canonical_state(f.state) in lc.edge(e, regime_for(f, e, on, lc).code).sources
    ]


@dataclass(frozen=True)
class EventDetails:
    """What an event carries besides its date."""

    channel: str | None = None
    code: str | None = None
    receipt: str | None = None
    comments: tuple[str, ...] = field(default=())


def check_event(
    f: FilingFacts,
    event: Event,
    on: date,
    *,
    today: date,
    law_in_force: date,
    first_transfer: date | None = None,
    details: EventDetails | None = None,
) -> Step:
    """Whether ``event`` may be recorded on ``on`` (given today in Vietnam, the law's effect
    and the transfer's first transfer date); returns the step it makes."""
    lc = lifecycle()
    regime = regime_for(f, event, on, lc)
    edge = lc.edge(event, regime.code)
    check_date(
        on,
        today=today,
        law_in_force=law_in_force,
        what=f"the event '{event}'",
        first_transfer=first_transfer if edge.after_first_transfer else None,
    )
    state = canonical_state(f.state)
    if state not in edge.sources:
        allowed = allowed_events(f, on, lc)
        raise FilingError(
            f"cannot record '{event}' while the filing is {state}; allowed now: "
            + (", ".join(allowed) if allowed else "nothing")
        )
    if f.events and on < f.events[-1].on:
        raise FilingError(
            f"events are recorded in date order: the last one ({f.events[-1].name}) is "
            f"dated {f.events[-1].on.isoformat()}, after {on.isoformat()}"
        )
    d = details or EventDetails()
    for what, value in (("channel", d.channel), ("code", d.code), ("receipt", d.receipt)):
        if value is not None and what not in edge.takes:
            raise FilingError(f"the event '{event}' takes no {what}")
    if edge.needs_approval and f.standing_approval() is None:
        older = [a for a in f.approvals if a.assessment_id != f.current_assessment_id]
        since = f.restarted_on()
        if since is not None and any(
            a.assessment_id == f.current_assessment_id for a in f.approvals
        ):
            why = (
                f"the last dossier came back on {since.isoformat()}: the new dossier needs an "
                "approval given since"
            )
        elif older:
            why = (
                f"the approval by {older[-1].by} is void: assessment version "
                f"{f.current_version} was saved after it"
            )
        else:
            why = "no approval of the current assessment exists"
        raise FilingError(f"cannot record '{event}': {why}; approve the current assessment first")
    rnd = None
    if event in ("completion_requested", "completed"):
        current = dossiers(f.events, lc)
        asked = len(current[-1].rounds) if current else 0
        rnd = asked + 1 if event == "completion_requested" else asked
    return Step(edge.target, edge.citations, regime, edge, rnd)


# --- changes between intake versions that the law makes an update (Decree 356 Art 20) ---------


def triggers(rules: Rules, timing: str) -> dict[str, tuple[str, ...]]:
    """The Decree 356 Art 20 update triggers of one timing, with their citations."""
    return {
        t.code: t.citations
        for t in rules.files.update_triggers
        if t.timing == timing and t.in_force(rules.on)
    }


def classify_change(old: TransferIntake, new: TransferIntake) -> set[str]:
    """Which update triggers of Decree 356 Art 20 separate two versions of an intake."""
    kinds: set[str] = set()

    def purposes(i: TransferIntake) -> set[str]:
        # By what a reader sees: adding a translation to a purpose is no new purpose.
        return {str(p) for p in i.transfer.purposes} | {str(f.purpose) for f in i.flows}

    def parties(i: TransferIntake) -> set[tuple[str, str, str]]:
        return {(r.name, r.country, r.role) for r in i.recipients} | {
            (p.name, p.country, p.role) for p in i.other_parties
        }

    if purposes(new) - purposes(old):
        kinds.add("purpose")
    if parties(new) != parties(old):
        kinds.add("party")
    if (
        old.transferor.pdp.kind != "internal" or new.transferor.pdp.kind != "internal"
    ) and old.transferor.pdp != new.transferor.pdp:
        kinds.add("pdp_provider")
    if {(b.code, str(b.label)) for b in old.transferor.business_lines} != {
        (b.code, str(b.label)) for b in new.transferor.business_lines
    }:
        kinds.add("business_line")
    if (old.transferor.name_vi, old.transferor.tax_code) != (
        new.transferor.name_vi,
        new.transferor.tax_code,
    ):
        kinds.add("reorganisation")
    return kinds


@dataclass(frozen=True)
class ChangeFact:
    on: date  # the as_of of the assessment that first recorded the change
    kinds: frozenset[str]


def register_deadlines(
    a: Assessment, f: FilingFacts, changes: Sequence[ChangeFact], as_of: date, rules: Rules
) -> list[Clock]:
    """The statutory clocks of one transfer given what the register knows, at ``as_of``: the
    initial filing (met, or late by N days, for good), each dossier's verdict owed by the
    authority, each completion round, and the updates that changes call for."""
    out: list[Clock] = []
    events = list(f.events)
    sent = dossiers(events)
    # A dossier refused at receipt was not filed: the first one taken meets the filing.
    taken = next(
        (d for d in sent if (o := d.outcome) is None or o.name != "refused_at_receipt"), None
    )
    first_filed = taken.submitted.on if taken is not None else None
    state = canonical_state(f.state)
    for d in a.deadlines:
        if d.kind == "initial_filing" and first_filed is None and state == "withdrawn":
            continue
        fresh = deadline(d.kind, d.start, as_of, rules, uncertain=d.uncertain, due=d.due)
        done = first_filed if d.kind == "initial_filing" else None
        out.append(clock_of(fresh, as_of, done_on=done))
    for dossier in sent:
        out += _dossier_clocks(dossier, as_of, rules, last=dossier is sent[-1], state=state)
    if first_filed is not None and state not in ("withdrawn", "stopped"):
        updates = [e.on for e in events if e.name == "update_submitted"]
        for change in changes:
            if change.on < first_filed or any(u >= change.on for u in updates):
                continue
            urgent, periodic_kinds = triggers(rules, "urgent"), triggers(rules, "periodic")
            extra = tuple(c for k in sorted(change.kinds) if k in urgent for c in urgent[k])
            if extra:
                out.append(
                    clock_of(
                        deadline("urgent_update", change.on, as_of, rules, extra_citations=extra),
                        as_of,
                    )
                )
            periodic = tuple(
                c for k in sorted(change.kinds) if k in periodic_kinds for c in periodic_kinds[k]
            )
            if periodic:
                months = rules.period("periodic_update").months or 6
                due = next_cycle_end(first_filed, change.on, months)
                out.append(
                    clock_of(
                        deadline(
                            "periodic_update",
                            first_filed,
                            as_of,
                            rules,
                            extra_citations=periodic,
                            due=due,
                        ),
                        as_of,
                    )
                )
    return out


def _dossier_clocks(
    d: Dossier, as_of: date, rules: Rules, *, last: bool, state: str
) -> list[Clock]:
    """The verdict clocks (15 days from the receipt, again from each completion, closed by
    the authority's next answer) and the completion rounds (30 days from each request) of
    one dossier. A clock left open by a dossier that ended otherwise (withdrawn, stopped,
    a later dossier) no longer runs."""
    out: list[Clock] = []
    if d.outcome is not None and d.outcome.name == "refused_at_receipt":
        return out
    running = last and state not in ("withdrawn", "stopped")
    # the periods' own articles, and those of the rules the dossier followed
    lc = lifecycle()
    periods = (*rules.period("authority_verdict").citations, *rules.period("completion").citations)
    verdict = tuple(c for c in lc.edge("accepted", d.regime.code).citations if c not in periods)
    complete = tuple(c for c in lc.edge("completed", d.regime.code).citations if c not in periods)
    answers = ("completion_requested", *VERDICTS)
    begin = d.received or d.submitted
    starts = [(begin, None)] + [(r.completed, r.n) for r in d.rounds if r.completed]
    for start, after_round in starts:
        at = next(i for i, e in enumerate(d.events) if e is start)
        answer = next((e for e in d.events[at + 1 :] if e.name in answers), None)
        if answer is None and not running:
            continue
        clock = deadline("authority_verdict", start.on, as_of, rules, extra_citations=verdict)
        out.append(
            clock_of(
                clock, as_of, done_on=answer.on if answer else None, dossier=d.n, round=after_round
            )
        )
    for r in d.rounds:
        if r.completed is None and not (
            running and r is d.rounds[-1] and state == "completion_requested"
        ):
            continue
        clock = deadline("completion", r.requested.on, as_of, rules, extra_citations=complete)
        out.append(
            clock_of(
                clock,
                as_of,
                done_on=r.completed.on if r.completed else None,
                dossier=d.n,
                round=r.n,
            )
        )
    return out
