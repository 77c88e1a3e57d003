"""Statutory deadlines: counting periods and judging their status at ``as_of``.

Counting follows the Civil Code 2015: a period in days starts the day after the event
(Art 147(2)-(3)), so ``due`` = event + N days; a period in months ends on the same day
number of the later month, or its last day (Art 147, 148); when the last day is a
weekend or public holiday the period ends at the end of the next working day
(Art 148(5)) — that is ``legal_end``. A deadline is overdue only after ``legal_end``.
Whether the Decree's "days" are calendar days is UNCERTAIN #4; calendar days are the
conservative reading.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

from dateutil.relativedelta import relativedelta
from pydantic import BaseModel, ConfigDict

from dtia.assessment import Deadline
from dtia.law import Rules

Status = Literal["overdue", "due_soon", "upcoming", "met"]
# A clock of the register: besides the open statuses, "met" (done by its legal end) and
# "late" (done, but after it: late stays late, whatever happens next).
ClockStatus = Literal["overdue", "due_soon", "upcoming", "met", "late"]
CLOSED: frozenset[str] = frozenset({"met", "late"})


def add_period(start: date, *, days: int | None = None, months: int | None = None) -> date:
    """The last day of a period of N days or N months counted from the day after ``start``;
    a period that would end after the calendar's last day ends on that day (``date.max``),
    so a stored far-future date never makes clock arithmetic fail."""
    try:
        if days is not None:
            return start + timedelta(days=days)
        if months is not None:
            # relativedelta clamps to the month's last day (31 Aug + 6 months -> 28/29 Feb).
            return start + relativedelta(months=months)
    except (OverflowError, ValueError):
        return date.max
    raise ValueError("a period needs days or months")


def is_day_off(day: date, rules: Rules) -> bool:
    return day.weekday() >= 5 or day in rules.holidays(day.year)


def next_working_day(day: date, rules: Rules) -> date:
    """``day`` itself when it is a working day, otherwise the next one (the calendar's last
    day has no next one)."""
    while day < date.max and is_day_off(day, rules):
        day += timedelta(days=1)
    return day


# An engine convention of the assessment format (spec assessment.md), not a legal period.
DUE_SOON_DAYS = 14


def status_of(due: date, legal_end: date, as_of: date) -> Status:
    if as_of > legal_end:
        return "overdue"
    return "due_soon" if (due - as_of).days <= DUE_SOON_DAYS else "upcoming"


def deadline(
    kind: str,
    start: date,
    as_of: date,
    rules: Rules,
    *,
    uncertain: bool = False,
    extra_citations: tuple[str, ...] = (),
    due: date | None = None,
) -> Deadline:
    """The deadline of a statutory period that started on ``start`` (the event day).

    ``due`` overrides the period's end for cycles that run several periods from ``start``.
    """
    period = rules.period(kind)
    if due is None:
        due = add_period(start, days=period.days, months=period.months)
    legal_end = next_working_day(due, rules)
    return Deadline(
        kind=kind,
        due=due,
        legal_end=legal_end,
        status=status_of(due, legal_end, as_of),
        citations=[
            *period.citations,
            *extra_citations,
            *(("Civil Code 2015 Art 148(5)",) if legal_end != due else ()),
        ],
        start=start,
        owed_by=period.owed_by,
        label=period.label_en,
        uncertain=uncertain,
    )


def next_cycle_end(anchor: date, event: date, months: int) -> date:
    """The end of the first cycle of ``months`` months from ``anchor`` that is not before ``event``."""
    k = 1
    while (end := add_period(anchor, months=months * k)) < event:
        k += 1
    return end


class Clock(BaseModel):
    """A statutory clock of one transfer's filing, as the register follows it: a deadline
    and, once the act it waits for happened, when (``done_on``) and how many days after the
    legal end (``days_late``); ``round`` numbers the completion rounds of ``dossier``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str
    due: date
    legal_end: date
    status: ClockStatus
    citations: list[str]
    start: date
    owed_by: Literal["transferor", "authority"] = "transferor"
    label: str = ""
    uncertain: bool = False
    done_on: date | None = None
    days_late: int | None = None  # done after the legal end, by this many days
    days_overdue: int | None = None  # still open after the legal end, by this many days
    dossier: int | None = None
    round: int | None = None
    says: str = ""  # the status in a sentence, saying who is late

    @property
    def closed(self) -> bool:
        return self.status in CLOSED


def clock_of(
    d: Deadline,
    as_of: date,
    *,
    done_on: date | None = None,
    dossier: int | None = None,
    round: int | None = None,
) -> Clock:
    """The register's clock of deadline ``d``: met or late when ``done_on`` is given, open
    otherwise."""
    fields = d.model_dump()
    days_late = days_overdue = None
    status: ClockStatus
    if done_on is not None:
        late = (done_on - d.legal_end).days
        status = "late" if late > 0 else "met"
        days_late = late if late > 0 else None
    else:
        status = d.status
        if status == "met":  # the assessment's own view of a filing it was told about
            status = "upcoming"
        if as_of > d.legal_end:
            days_overdue = (as_of - d.legal_end).days
    fields.update(
        status=status,
        done_on=done_on,
        days_late=days_late,
        days_overdue=days_overdue,
        dossier=dossier,
        round=round,
    )
    clock = Clock.model_validate(fields)
    return clock.model_copy(update={"says": _says(clock)})


def _days(n: int) -> str:
    return f"{n} day{'s' if n != 1 else ''}"


def _says(c: Clock) -> str:
    end = c.legal_end.isoformat()
    authority = c.owed_by == "authority"
    if c.status == "met":
        assert c.done_on is not None
        who = "the authority answered" if authority else "done"
        return f"{who} on {c.done_on.isoformat()}, within the period (legal end {end})"
    if c.status == "late":
        assert c.done_on is not None and c.days_late is not None
        if authority:
            return (
                f"the authority answered {_days(c.days_late)} late, on {c.done_on.isoformat()} "
                f"(legal end {end})"
            )
        return f"done late by {_days(c.days_late)}, on {c.done_on.isoformat()} (legal end {end})"
    if c.status == "overdue":
        assert c.days_overdue is not None
        if authority:
            return f"the authority is late by {_days(c.days_overdue)}: its answer was due by {end}"
        return f"overdue by {_days(c.days_overdue)} (legal end {end})"
    return f"due {c.due.isoformat()}" + (f", legal end {end}" if c.legal_end != c.due else "")
