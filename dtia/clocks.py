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

from dtia.assessment import Deadline
from dtia.law import Rules

Status = Literal["overdue", "due_soon", "upcoming", "met"]


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
