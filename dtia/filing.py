"""The filing lifecycle: states, guarded transitions with their legal basis, and clocks.

Pure: the store hands in what happened (approvals, events, intake changes) and gets back
whether a step is allowed, the new state, and the statutory deadlines at ``as_of``.

    draft ──approve──► approved ──filed──► filed ──accepted──► accepted ──update-filed──► accepted
                                             │                    ▲
                                             └─completion-requested─► completion_requested
                                                                 └─completed─► completed ─accepted─┘
    any filed state ──stop-order──► stopped;  any state but withdrawn ──withdrawn──► withdrawn
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal, get_args

from dtia.assessment import Assessment, Deadline
from dtia.clocks import deadline, next_cycle_end
from dtia.errors import DtiaError
from dtia.intake import TransferIntake
from dtia.law import Rules

State = Literal[
    "draft",
    "approved",
    "filed",
    "accepted",
    "completion_requested",
    "completed",
    "stopped",
    "withdrawn",
]
Event = Literal[
    "filed",
    "accepted",
    "completion-requested",
    "completed",
    "update-filed",
    "stop-order",
    "withdrawn",
]
EVENTS: tuple[Event, ...] = get_args(Event)
STATES: tuple[State, ...] = get_args(State)


class FilingError(DtiaError):
    """A filing step the lifecycle or its guards refuse."""


class FilingDateError(FilingError):
    """The date given for an event or an approval cannot be right (invalid input: the CLI
    exits 2 naming the option); ``field`` names the input that carries the date."""

    def __init__(self, message: str, *, field: str = "on") -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Edge:
    sources: frozenset[State]
    target: State
    citations: tuple[str, ...]
    needs_approval: bool = False  # an approval of the current assessment must stand
    # the event presupposes data already transferred, so it cannot predate the first transfer
    after_first_transfer: bool = False


FILED_STATES: frozenset[State] = frozenset(
    {"filed", "accepted", "completion_requested", "completed"}
)
TRANSITIONS: dict[Event, Edge] = {
    "filed": Edge(
        frozenset({"approved"}),
        "filed",
        ("Law 91/2025 Art 20(2)", "Decree 356/2025 Art 18(4)"),
        needs_approval=True,
    ),
    "accepted": Edge(frozenset({"filed", "completed"}), "accepted", ("Decree 356/2025 Art 18(5)",)),
    "completion-requested": Edge(
        frozenset({"filed", "completed"}), "completion_requested", ("Decree 356/2025 Art 18(6)",)
    ),
    "completed": Edge(
        frozenset({"completion_requested"}),
        "completed",
        ("Decree 356/2025 Art 18(6)",),
        needs_approval=True,
    ),
    "update-filed": Edge(
        frozenset({"accepted"}),
        "accepted",
        ("Law 91/2025 Art 22(1)", "Decree 356/2025 Art 20(3)", "Decree 356/2025 Art 18(7)"),
        needs_approval=True,
    ),
    # The agency stops transfers when *transferred* data is misused (Law 91 Art 20(5)).
    "stop-order": Edge(
        FILED_STATES,
        "stopped",
        ("Law 91/2025 Art 20(5)", "Decree 356/2025 Art 17(2)"),
        after_first_transfer=True,
    ),
    "withdrawn": Edge(
        frozenset(STATES) - {"withdrawn"},
        "withdrawn",
        ("Law 91/2025 Art 22(2)(a)", "Decree 356/2025 Art 20(2)(a)"),
    ),
}
APPROVAL_CITATIONS = ("Law 91/2025 Art 20(2)", "Decree 356/2025 Art 18(1)")


@dataclass(frozen=True)
class ApprovalFact:
    assessment_id: str
    by: str
    on: date


@dataclass(frozen=True)
class EventFact:
    event: Event
    on: date
    reference: str | None = None


@dataclass(frozen=True)
class FilingFacts:
    """What the register knows about one transfer's filing."""

    state: State
    current_assessment_id: str
    current_version: int
    current_has_blockers: bool
    approvals: tuple[ApprovalFact, ...]
    events: tuple[EventFact, ...]

    def standing_approval(self) -> ApprovalFact | None:
        """The approval of the current assessment; approvals of older versions are void."""
        return next(
            (a for a in reversed(self.approvals) if a.assessment_id == self.current_assessment_id),
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


def state_after_approval(state: State) -> State:
    """An approval moves a draft to approved and leaves any later state as it is."""
    return "approved" if state == "draft" else state


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
    return state_after_approval(f.state)


def check_event(
    f: FilingFacts,
    event: Event,
    on: date,
    *,
    today: date,
    law_in_force: date,
    first_transfer: date | None = None,
) -> tuple[State, tuple[str, ...]]:
    """Whether ``event`` may be recorded on ``on`` (given today in Vietnam, the law's effect
    and the transfer's first transfer date); returns the new state and its legal basis."""
    edge = TRANSITIONS[event]
    check_date(
        on,
        today=today,
        law_in_force=law_in_force,
        what=f"the event '{event}'",
        first_transfer=first_transfer if edge.after_first_transfer else None,
    )
    if f.state not in edge.sources:
        allowed = sorted(e for e, ed in TRANSITIONS.items() if f.state in ed.sources)
        raise FilingError(
            f"cannot record '{event}' while the filing is {f.state}; allowed now: "
            + (", ".join(allowed) if allowed else "nothing")
        )
    if f.events and on < f.events[-1].on:
        raise FilingError(
            f"events are recorded in date order: the last one ({f.events[-1].event}) is "
            f"dated {f.events[-1].on.isoformat()}, after {on.isoformat()}"
        )
    if edge.needs_approval and f.standing_approval() is None:
        older = [a for a in f.approvals if a.assessment_id != f.current_assessment_id]
        why = (
            f"the approval by {older[-1].by} is void: assessment version {f.current_version} was saved "
            "after it"
            if older
            else "no approval of the current assessment exists"
        )
        raise FilingError(f"cannot record '{event}': {why}; approve the current assessment first")
    return edge.target, edge.citations


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
) -> list[Deadline]:
    """The statutory clocks of one transfer given what the register knows, at ``as_of``."""
    out: list[Deadline] = []
    events = list(f.events)
    first_filed = next((e.on for e in events if e.event == "filed"), None)
    for d in a.deadlines:
        if d.kind == "initial_filing" and first_filed is not None:
            out.append(d.model_copy(update={"status": "met"}))
        elif d.kind == "initial_filing" and f.state == "withdrawn":
            continue
        else:
            out.append(deadline(d.kind, d.start, as_of, rules, uncertain=d.uncertain, due=d.due))
    if f.state in ("filed", "completed"):
        last = next(e for e in reversed(events) if e.event in ("filed", "completed"))
        out.append(deadline("authority_verdict", last.on, as_of, rules))
    if f.state == "completion_requested":
        last = next(e for e in reversed(events) if e.event == "completion-requested")
        out.append(deadline("completion", last.on, as_of, rules))
    if first_filed is not None and f.state not in ("withdrawn", "stopped"):
        updates = [e.on for e in events if e.event == "update-filed"]
        for change in changes:
            if change.on < first_filed or any(u >= change.on for u in updates):
                continue
            urgent, periodic_kinds = triggers(rules, "urgent"), triggers(rules, "periodic")
            extra = tuple(c for k in sorted(change.kinds) if k in urgent for c in urgent[k])
            if extra:
                out.append(
                    deadline("urgent_update", change.on, as_of, rules, extra_citations=extra)
                )
            periodic = tuple(
                c for k in sorted(change.kinds) if k in periodic_kinds for c in periodic_kinds[k]
            )
            if periodic:
                months = rules.period("periodic_update").months or 6
                due = next_cycle_end(first_filed, change.on, months)
                out.append(
                    deadline(
                        "periodic_update",
                        first_filed,
                        as_of,
                        rules,
                        extra_citations=periodic,
                        due=due,
                    )
                )
    return out
