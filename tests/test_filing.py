"""The filing lifecycle (pure): every transition and guard, and the register's clocks."""

from __future__ import annotations

from datetime import date

import pytest

from dtia.filing import (
    EVENTS,
    STATES,
    ApprovalFact,
    ChangeFact,
    EventFact,
    FilingDateError,
    FilingError,
    FilingFacts,
    check_approval,
    check_event,
    classify_change,
    lifecycle,
    register_deadlines,
)
from dtia.intake import TransferIntake
from dtia.law import load_rules
from tests.support import assess_example, changed

CUR = "a2"
TODAY = date(2026, 12, 31)
IN_FORCE = date(2026, 1, 1)
DAYS = {"today": TODAY, "law_in_force": IN_FORCE}


def facts(
    state: str,
    *,
    approved: str | None = CUR,
    blockers: bool = False,
    events: tuple[EventFact, ...] = (),
) -> FilingFacts:
    approvals = (ApprovalFact(approved, "Legal", date(2026, 6, 1)),) if approved else ()
    return FilingFacts(state, CUR, 2, blockers, approvals, events)  # type: ignore[arg-type]


ALL_STATES = list(STATES)


@pytest.mark.parametrize("event", list(EVENTS))
@pytest.mark.parametrize("state", ALL_STATES)
def test_every_transition_is_allowed_exactly_from_its_sources(state: str, event: str) -> None:
    f = facts(state)
    edge = lifecycle().edge(event, "resolution_22")  # type: ignore[arg-type]
    if state in edge.sources:
        step = check_event(f, event, date(2026, 7, 1), **DAYS)  # type: ignore[arg-type]
        assert step.state == edge.target and step.citations
        assert step.regime.code == "resolution_22"
    else:
        with pytest.raises(
            FilingError, match=f"cannot record '{event}' while the filing is {state}"
        ):
            check_event(f, event, date(2026, 7, 1), **DAYS)  # type: ignore[arg-type]


def test_approval_moves_draft_to_approved_and_is_refused_with_blockers() -> None:
    assert check_approval(facts("prepared", approved=None), date(2026, 6, 1), **DAYS) == "approved"
    assert check_approval(facts("accepted", approved=None), date(2026, 6, 1), **DAYS) == "accepted"
    with pytest.raises(FilingError, match="blocker findings"):
        check_approval(facts("prepared", approved=None, blockers=True), date(2026, 6, 1), **DAYS)
    with pytest.raises(FilingError, match="already approved"):
        check_approval(facts("approved"), date(2026, 6, 1), **DAYS)
    with pytest.raises(FilingError, match="nothing can be approved"):
        check_approval(facts("withdrawn", approved=None), date(2026, 6, 1), **DAYS)


def test_no_filing_without_a_standing_approval() -> None:
    with pytest.raises(FilingError, match="no approval of the current assessment"):
        check_event(facts("approved", approved=None), "submitted", date(2026, 7, 1), **DAYS)
    with pytest.raises(FilingError, match="is void: assessment version 2 was saved after it"):
        check_event(facts("approved", approved="a1"), "submitted", date(2026, 7, 1), **DAYS)
    with pytest.raises(FilingError, match="void"):
        check_event(facts("accepted", approved="a1"), "update_submitted", date(2026, 9, 1), **DAYS)


def test_events_are_recorded_in_date_order() -> None:
    f = facts("submitted", events=(EventFact("submitted", date(2026, 7, 10)),))
    with pytest.raises(FilingError, match="date order"):
        check_event(f, "accepted", date(2026, 7, 9), **DAYS)
    assert check_event(f, "accepted", date(2026, 7, 10), **DAYS).state == "accepted"


def test_register_clocks_follow_the_authority() -> None:
    a = assess_example("bizfly-cloud-support-desk", date(2026, 6, 20))
    rules = load_rules(date(2026, 7, 10))
    filed = (EventFact("submitted", date(2026, 7, 1)),)
    clocks = {
        d.kind: d
        for d in register_deadlines(
            a, facts("submitted", events=filed), [], date(2026, 7, 10), rules
        )
    }
    assert clocks["initial_filing"].status == "met"
    assert (clocks["authority_verdict"].due, clocks["authority_verdict"].owed_by) == (
        date(2026, 7, 16),
        "authority",
    )
    asked = (*filed, EventFact("completion_requested", date(2026, 7, 15)))
    clocks = {
        d.kind: d
        for d in register_deadlines(
            a, facts("completion_requested", events=asked), [], date(2026, 8, 15), rules
        )
    }
    assert (
        clocks["completion"].due == date(2026, 8, 14) and clocks["completion"].status == "overdue"
    )
    # the request to complete was the authority's answer, within its 15 days
    assert clocks["authority_verdict"].status == "met"


def test_update_clocks_after_a_change() -> None:
    a = assess_example("bizfly-cloud-support-desk", date(2026, 6, 20))
    rules = load_rules(date(2026, 10, 1))
    history = (EventFact("submitted", date(2026, 7, 1)), EventFact("accepted", date(2026, 7, 10)))
    changes = [ChangeFact(date(2026, 9, 20), frozenset({"party", "pdp_provider"}))]
    clocks = {
        d.kind: d
        for d in register_deadlines(
            a, facts("accepted", events=history), changes, date(2026, 10, 1), rules
        )
    }
    assert clocks["urgent_update"].due == date(2026, 9, 30)
    assert clocks["urgent_update"].status == "overdue"
    assert "Decree 356/2025 Art 20(2)(b)" in clocks["urgent_update"].citations
    assert clocks["periodic_update"].due == date(2027, 1, 1)  # six months from filing on 1 July
    assert "Decree 356/2025 Art 20(1)(b)" in clocks["periodic_update"].citations
    done = (*history, EventFact("update_submitted", date(2026, 9, 25)))
    assert not [
        d
        for d in register_deadlines(
            a, facts("accepted", events=done), changes, date(2026, 10, 1), rules
        )
        if d.kind in ("urgent_update", "periodic_update")
    ]


def test_changes_that_are_updates() -> None:
    base = TransferIntake.model_validate(changed("bizfly-cloud-support-desk", None))
    new_party = TransferIntake.model_validate(
        changed("bizfly-cloud-support-desk", {"set": {"recipients[0].name": "Other Desk Inc."}})
    )
    new_purpose = TransferIntake.model_validate(
        changed(
            "bizfly-cloud-support-desk", {"set": {"transfer.purposes": ["Support", "Marketing"]}}
        )
    )
    lines = TransferIntake.model_validate(
        changed(
            "bizfly-cloud-support-desk",
            {"set": {"transferor.business_lines": [{"code": "6201", "label": "Programming"}]}},
        )
    )
    counts = TransferIntake.model_validate(
        changed("bizfly-cloud-support-desk", {"set": {"data.subject_groups[0].count": 25000}})
    )
    assert classify_change(base, new_party) == {"party"}
    assert classify_change(base, new_purpose) == {"purpose"}
    assert classify_change(base, lines) == {"business_line"}
    assert classify_change(base, counts) == set()


@pytest.mark.parametrize(
    ("kind", "history", "changes", "last_ok", "due", "legal_end"),
    [
        (
            "authority_verdict",
            (("submitted", date(2026, 7, 1)),),
            [],
            date(2026, 7, 16),
            date(2026, 7, 16),
            date(2026, 7, 16),
        ),
        (
            "completion",
            (("submitted", date(2026, 7, 1)), ("completion_requested", date(2026, 7, 15))),
            [],
            date(2026, 8, 14),
            date(2026, 8, 14),
            date(2026, 8, 14),
        ),
        (
            "urgent_update",
            (("submitted", date(2026, 7, 1)), ("accepted", date(2026, 7, 10))),
            [ChangeFact(date(2026, 9, 20), frozenset({"pdp_provider"}))],
            date(2026, 9, 30),
            date(2026, 9, 30),
            date(2026, 9, 30),
        ),
        (
            "periodic_update",
            (("submitted", date(2026, 7, 1)), ("accepted", date(2026, 7, 10))),
            [ChangeFact(date(2026, 9, 20), frozenset({"purpose"}))],
            date(2027, 1, 4),
            date(2027, 1, 1),
            date(2027, 1, 4),
        ),
    ],
)
def test_register_clocks_on_both_sides_of_the_boundary(
    kind: str,
    history: tuple[tuple[str, date], ...],
    changes: list[ChangeFact],
    last_ok: date,
    due: date,
    legal_end: date,
) -> None:
    from datetime import timedelta

    a = assess_example("bizfly-cloud-support-desk", date(2026, 6, 20))
    events = tuple(EventFact(e, on) for e, on in history)  # type: ignore[arg-type]
    state = {
        "submitted": "submitted",
        "completion_requested": "completion_requested",
        "accepted": "accepted",
    }[history[-1][0]]
    f = facts(state, events=events)
    for as_of, status in ((last_ok, "due_soon"), (last_ok + timedelta(days=1), "overdue")):
        clock = next(
            d for d in register_deadlines(a, f, changes, as_of, load_rules(as_of)) if d.kind == kind
        )
        assert (clock.due, clock.legal_end, clock.status) == (due, legal_end, status)


@pytest.mark.parametrize(
    ("on", "message"),
    [
        (date(9999, 12, 30), "after today in Vietnam"),
        (date(2062, 7, 1), "after today in Vietnam"),
        (date(2025, 12, 31), "before Law 91/2025 took effect"),
        (date(1, 1, 1), "before Law 91/2025 took effect"),
    ],
)
def test_event_and_approval_dates_must_be_possible(on: date, message: str) -> None:
    with pytest.raises(FilingDateError, match=message) as caught:
        check_event(facts("approved"), "submitted", on, **DAYS)
    assert caught.value.field == "on"
    with pytest.raises(FilingDateError, match=message):
        check_approval(facts("prepared", approved=None), on, **DAYS)
    # the last possible day on both sides is fine
    assert check_event(facts("approved"), "submitted", TODAY, **DAYS).state == "submitted"
    assert check_event(facts("approved"), "submitted", IN_FORCE, **DAYS).state == "submitted"


def test_a_stop_order_cannot_predate_the_first_transfer() -> None:
    first = date(2026, 8, 1)
    f = facts("submitted", events=(EventFact("submitted", date(2026, 7, 1)),))
    with pytest.raises(FilingDateError, match="before the transfer's first transfer date"):
        check_event(f, "stop_order", date(2026, 7, 31), **DAYS, first_transfer=first)
    assert check_event(f, "stop_order", first, **DAYS, first_transfer=first).state == "stopped"
    # a filing made before the data first crosses the border is the normal case
    assert check_event(
        facts("approved"), "submitted", date(2026, 7, 1), **DAYS, first_transfer=first
    )


def test_clocks_survive_a_stored_far_future_event() -> None:
    """An event stored before dates were checked must not break every clock of the register."""
    a = assess_example("bizfly-cloud-support-desk", date(2026, 6, 20))
    rules = load_rules(date(2026, 7, 10))
    history = (EventFact("submitted", date(9999, 12, 30)),)
    clocks = {
        d.kind: d
        for d in register_deadlines(
            a, facts("submitted", events=history), [], date(2026, 7, 10), rules
        )
    }
    assert clocks["authority_verdict"].due == date.max
    assert clocks["authority_verdict"].status == "upcoming"
    changes = [ChangeFact(date(2026, 9, 20), frozenset({"pdp_provider", "purpose"}))]
    accepted = (EventFact("submitted", date(2026, 7, 1)), EventFact("accepted", date(9999, 12, 31)))
    kinds = {
        d.kind
        for d in register_deadlines(
            a, facts("accepted", events=accepted), changes, date(9999, 12, 31), rules
        )
    }
    assert {"urgent_update", "periodic_update"} <= kinds
