"""The filing lifecycle of 2026 (pure): the law data's table, the rules each dossier follows,
and every clock on both sides of its boundary."""

from __future__ import annotations

from datetime import date
from typing import Any, get_args

import pytest

from dtia.filing import (
    EVENTS,
    STATES,
    ApprovalFact,
    EventFact,
    EventName,
    FilingError,
    FilingFacts,
    allowed_events,
    check_approval,
    check_event,
    dossiers,
    lifecycle,
    register_deadlines,
)
from dtia.law import load_rules
from tests.support import assess_example

CUR = "a2"
DAYS = {"today": date(2027, 12, 31), "law_in_force": date(2026, 1, 1)}
APPROVED = (ApprovalFact(CUR, "Legal", date(2026, 6, 1)),)


def facts(
    state: str,
    events: tuple[EventFact, ...] = (),
    approvals: tuple[ApprovalFact, ...] = APPROVED,
) -> FilingFacts:
    return FilingFacts(state, CUR, 2, False, approvals, events)  # type: ignore[arg-type]


def ev(event: str, on: date, **kw: Any) -> EventFact:
    return EventFact(event, on, **kw)


@pytest.fixture(scope="module")
def bizfly() -> Any:
    # first transfer 15 June 2026: the dossier is due by 14 August 2026 (a Friday)
    return assess_example("bizfly-cloud-support-desk", date(2026, 6, 20))


def clocks(a: Any, f: FilingFacts, as_of: date) -> list[Any]:
    return register_deadlines(a, f, [], as_of, load_rules(max(as_of, a.as_of)))


def one(found: list[Any], kind: str, **where: Any) -> Any:
    [clock] = [
        c for c in found if c.kind == kind and all(getattr(c, k) == v for k, v in where.items())
    ]
    return clock


# --- the table -------------------------------------------------------------------------------


def test_every_state_and_edge_is_cited_and_dated() -> None:
    lc = lifecycle()
    assert set(lc.states) == set(STATES)
    for s in lc.states.values():
        assert s.citations and s.effective_from == date(2026, 1, 1)
    for regime in ("decree_356", "resolution_22"):
        for event in EVENTS:
            edge = lc.edge(event, regime)
            assert edge.citations and edge.effective_from and edge.target in STATES
    # the Resolution's edges are in force exactly while it is
    r22 = lc.edge("received", "resolution_22")
    assert (r22.effective_from, r22.effective_to) == (date(2026, 4, 29), date(2027, 3, 1))
    assert "Resolution 22/2026 App I.7 §B.I" in r22.citations
    assert lc.edge("accepted", "decree_356").citations == ("Decree 356/2025 Art 18(5)",)
    # the verdicts in the text's own words
    assert lc.states["accepted"].verdict_vi == "đạt yêu cầu"
    assert lc.states["not_accepted"].verdict_vi == "không đạt yêu cầu"


def test_the_old_event_names_are_aliases_and_the_api_knows_them_all() -> None:
    lc = lifecycle()
    assert lc.aliases() == {
        "filed": "submitted",
        "completion-requested": "completion_requested",
        "update-filed": "update_submitted",
        "stop-order": "stop_order",
    }
    assert lc.event("accepted") == "accepted" and lc.event("lost") is None
    assert set(get_args(EventName)) == set(EVENTS) | set(lc.aliases())


def test_the_path_from_preparation_to_verdict() -> None:
    path = [
        ("submitted", "submitted"),
        ("received", "received"),
        ("completion_requested", "completion_requested"),
        ("completed", "completed"),
        ("processing_extended", "processing_extended"),
        ("accepted", "accepted"),
        ("update_submitted", "accepted"),
        ("stop_order", "stopped"),
        ("withdrawn", "withdrawn"),
    ]
    state, events = "approved", ()
    on = date(2026, 7, 1)
    for event, target in path:
        step = check_event(facts(state, events), event, on, **DAYS)  # type: ignore[arg-type]
        assert step.state == target, event
        events = (*events, ev(event, on))
        state = step.state
    assert allowed_events(facts("withdrawn", events), on) == []


def test_the_form_offers_only_what_the_state_allows() -> None:
    on = date(2026, 7, 1)
    assert allowed_events(facts("prepared"), on) == ["withdrawn"]
    assert allowed_events(facts("submitted", (ev("submitted", on),)), on) == [
        "received",
        "refused_at_receipt",
        "completion_requested",
        "processing_extended",
        "accepted",
        "not_accepted",
        "stop_order",
        "withdrawn",
    ]
    assert allowed_events(facts("accepted", (ev("submitted", on), ev("accepted", on))), on) == [
        "update_submitted",
        "stop_order",
        "withdrawn",
    ]
    with pytest.raises(FilingError, match="allowed now: received, refused_at_receipt"):
        check_event(facts("submitted", (ev("submitted", on),)), "completed", on, **DAYS)


def test_only_a_submission_takes_a_channel() -> None:
    from dtia.filing import EventDetails

    on = date(2026, 7, 1)
    sent = facts("submitted", (ev("submitted", on),))
    with pytest.raises(FilingError, match="the event 'received' takes no channel"):
        check_event(sent, "received", on, **DAYS, details=EventDetails(channel="post"))
    step = check_event(
        facts("approved"), "submitted", on, **DAYS, details=EventDetails(channel="post", code="X")
    )
    assert step.state == "submitted"


# --- the rules that applied -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "regime"),
    [
        (date(2026, 4, 28), "decree_356"),
        (date(2026, 4, 29), "resolution_22"),
        (date(2027, 3, 1), "resolution_22"),  # "đến hết ngày 01 tháng 3 năm 2027"
        (date(2027, 3, 2), "decree_356"),
    ],
)
def test_the_resolution_window(day: date, regime: str) -> None:
    assert lifecycle().regime_on(day).code == regime
    step = check_event(facts("approved"), "submitted", day, **DAYS)
    assert step.regime.code == regime


def test_the_receipt_decides_the_rules_and_by_post_the_postmark() -> None:
    sent = date(2027, 3, 1)
    in_person = (ev("submitted", sent, channel="in_person"), ev("received", date(2027, 3, 2)))
    by_post = (ev("submitted", sent, channel="post"), ev("received", date(2027, 3, 3)))
    assert dossiers(in_person)[0].regime.code == "decree_356"
    assert dossiers(by_post)[0].regime.code == "resolution_22"
    verdict = date(2027, 3, 10)
    assert check_event(facts("received", in_person), "accepted", verdict, **DAYS).citations == (
        "Decree 356/2025 Art 18(5)",
    )
    assert check_event(facts("received", by_post), "accepted", verdict, **DAYS).citations == (
        "Resolution 22/2026 App I.7 §B.I",
    )
    # the receipt itself follows the rules of the day it decides
    step = check_event(facts("submitted", in_person[:1]), "received", date(2027, 3, 2), **DAYS)
    assert step.regime.code == "decree_356"


# --- the initial filing: met on time, or late by N days for good ----------------------------


@pytest.mark.parametrize(
    ("filed", "status", "late"),
    [
        (date(2026, 8, 14), "met", None),  # the last day
        (date(2026, 8, 15), "late", 1),
        (date(2026, 11, 26), "late", 104),
    ],
)
def test_the_initial_filing_is_met_or_late(
    bizfly: Any, filed: date, status: str, late: int | None
) -> None:
    history: tuple[EventFact, ...] = (ev("submitted", filed),)
    for as_of, state in ((filed, "submitted"), (date(2027, 9, 1), "accepted")):
        if state == "accepted":
            history = (*history, ev("accepted", date(2027, 1, 5)))
        c = one(clocks(bizfly, facts(state, history), as_of), "initial_filing")
        assert (c.status, c.days_late, c.done_on) == (status, late, filed)
        assert c.legal_end == date(2026, 8, 14)
    if late:
        assert (
            c.says
            == f"done late by {late} day{'s' if late > 1 else ''}, on {filed} (legal end 2026-08-14)"
        )
    # withdrawn afterwards, the filing stays late
    gone = facts("withdrawn", (*history, ev("withdrawn", date(2027, 2, 1))))
    assert one(clocks(bizfly, gone, date(2027, 9, 1)), "initial_filing").status == status


def test_the_initial_filing_runs_until_filed(bizfly: Any) -> None:
    assert (
        one(clocks(bizfly, facts("approved", ()), date(2026, 8, 14)), "initial_filing").status
        == "due_soon"
    )
    c = one(clocks(bizfly, facts("approved", ()), date(2026, 8, 15)), "initial_filing")
    assert (c.status, c.days_overdue, c.says) == (
        "overdue",
        1,
        "overdue by 1 day (legal end 2026-08-14)",
    )


# --- the verdict is the authority's ---------------------------------------------------------

SENT = (ev("submitted", date(2026, 7, 1)), ev("received", date(2026, 7, 2)))


def test_the_verdict_is_owed_by_the_authority_from_the_receipt(bizfly: Any) -> None:
    on_time = one(clocks(bizfly, facts("received", SENT), date(2026, 7, 17)), "authority_verdict")
    assert (on_time.start, on_time.due, on_time.status, on_time.owed_by) == (
        date(2026, 7, 2),
        date(2026, 7, 17),
        "due_soon",
        "authority",
    )
    assert "Resolution 22/2026 App I.7 §B.I" in on_time.citations
    late = one(clocks(bizfly, facts("received", SENT), date(2026, 7, 18)), "authority_verdict")
    assert (late.status, late.says) == (
        "overdue",
        "the authority is late by 1 day: its answer was due by 2026-07-17",
    )
    answered = (*SENT, ev("accepted", date(2026, 7, 20)))
    done = one(clocks(bizfly, facts("accepted", answered), date(2026, 8, 1)), "authority_verdict")
    assert (done.status, done.days_late) == ("late", 3)
    assert done.says.startswith("the authority answered 3 days late")
    in_time = (*SENT, ev("not_accepted", date(2026, 7, 17)))
    met = one(clocks(bizfly, facts("not_accepted", in_time), date(2026, 8, 1)), "authority_verdict")
    assert met.status == "met"


# --- completion rounds ------------------------------------------------------------------------


def test_two_completion_rounds(bizfly: Any) -> None:
    history = list(SENT)
    state = "received"
    steps = [
        ("completion_requested", date(2026, 7, 10), 1),
        ("completed", date(2026, 8, 10), 1),  # 30 days end Sunday 9 August: Monday is in time
        ("completion_requested", date(2026, 8, 20), 2),
        ("completed", date(2026, 9, 22), 2),  # 30 days end Saturday 19 September: Tuesday is late
        ("accepted", date(2026, 9, 30), None),
    ]
    for event, on, rnd in steps:
        step = check_event(facts(state, tuple(history)), event, on, **DAYS)  # type: ignore[arg-type]
        assert step.round == rnd
        history.append(ev(event, on, comments=("Mục 3 thiếu sơ đồ",) if rnd else ()))
        state = step.state
    f = facts(state, tuple(history))
    [d] = dossiers(f.events)
    assert [(r.n, r.requested.on, r.completed.on if r.completed else None) for r in d.rounds] == [
        (1, date(2026, 7, 10), date(2026, 8, 10)),
        (2, date(2026, 8, 20), date(2026, 9, 22)),
    ]
    found = clocks(bizfly, f, date(2026, 10, 1))
    first, second = one(found, "completion", round=1), one(found, "completion", round=2)
    assert (first.legal_end, first.status) == (date(2026, 8, 10), "met")
    assert (second.legal_end, second.status, second.days_late) == (date(2026, 9, 21), "late", 1)
    # the authority answered the receipt and each completion within its 15 days
    verdicts = [c for c in found if c.kind == "authority_verdict"]
    assert [(c.start, c.status) for c in verdicts] == [
        (date(2026, 7, 2), "met"),
        (date(2026, 8, 10), "met"),
        (date(2026, 9, 22), "met"),
    ]


def test_an_open_round_runs_and_overdue_is_the_filers(bizfly: Any) -> None:
    asked = (*SENT, ev("completion_requested", date(2026, 7, 10)))
    last = one(
        clocks(bizfly, facts("completion_requested", asked), date(2026, 8, 10)), "completion"
    )
    assert (last.round, last.status, last.owed_by) == (1, "due_soon", "transferor")
    c = one(clocks(bizfly, facts("completion_requested", asked), date(2026, 8, 11)), "completion")
    assert (c.status, c.says) == ("overdue", "overdue by 1 day (legal end 2026-08-10)")


# --- a refusal at receipt, a verdict of "không đạt yêu cầu": a new dossier -------------------


def test_a_refusal_at_receipt_needs_a_new_dossier(bizfly: Any) -> None:
    refused = (ev("submitted", date(2026, 7, 1)), ev("refused_at_receipt", date(2026, 7, 2)))
    f = facts("refused_at_receipt", refused)
    assert allowed_events(f, date(2026, 7, 3)) == ["submitted", "withdrawn"]
    with pytest.raises(FilingError, match="the last dossier came back on 2026-07-02"):
        check_event(f, "submitted", date(2026, 7, 3), **DAYS)
    with pytest.raises(FilingError, match="before the last dossier came back"):
        check_approval(f, date(2026, 7, 1), **DAYS)
    assert check_approval(f, date(2026, 7, 3), **DAYS) == "approved"
    again = facts(
        "approved", refused, approvals=(*APPROVED, ApprovalFact(CUR, "Legal", date(2026, 7, 3)))
    )
    assert check_event(again, "submitted", date(2026, 7, 5), **DAYS).state == "submitted"
    history = (*refused, ev("submitted", date(2026, 7, 5)))
    sent = dossiers(history)
    assert [(d.n, d.outcome.name if d.outcome else None) for d in sent] == [
        (1, "refused_at_receipt"),
        (2, None),
    ]
    found = clocks(bizfly, facts("submitted", history), date(2026, 7, 6))
    # the refused dossier was not filed: the filing is met by the one taken
    assert one(found, "initial_filing").done_on == date(2026, 7, 5)
    assert [c.dossier for c in found if c.kind == "authority_verdict"] == [2]


def test_a_dossier_not_accepted_is_followed_by_a_new_one() -> None:
    history = (*SENT, ev("not_accepted", date(2026, 7, 10), comments=("Thiếu hợp đồng",)))
    f = facts("not_accepted", history)
    assert "submitted" in allowed_events(f, date(2026, 7, 11))
    with pytest.raises(FilingError, match="approve the current assessment first"):
        check_event(f, "submitted", date(2026, 7, 11), **DAYS)
    assert dossiers(history)[0].outcome.comments == ("Thiếu hợp đồng",)  # type: ignore[union-attr]
