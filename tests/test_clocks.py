"""Counting periods (Civil Code 2015 Arts 147-148) and deadline statuses."""

from __future__ import annotations

from datetime import date

import pytest

from dtia.clocks import add_period, deadline, next_cycle_end, next_working_day
from dtia.law import load_rules

RULES = load_rules(date(2026, 11, 22))


def test_the_event_day_is_not_counted() -> None:
    assert add_period(date(2026, 3, 2), days=60) == date(2026, 5, 1)


def test_months_end_on_the_same_day_or_the_last_day_of_the_month() -> None:
    assert add_period(date(2026, 1, 15), months=6) == date(2026, 7, 15)
    assert add_period(date(2026, 8, 31), months=6) == date(2027, 2, 28)
    assert add_period(date(2027, 8, 31), months=6) == date(2028, 2, 29)


@pytest.mark.parametrize(
    ("due", "legal_end"),
    [
        (date(2026, 5, 1), date(2026, 5, 4)),  # Labour Day (Fri), then a weekend
        (date(2026, 10, 31), date(2026, 11, 2)),  # Saturday
        (date(2026, 8, 14), date(2026, 8, 14)),  # a plain Friday
        (date(2026, 2, 14), date(2026, 2, 23)),  # Tết 2026: weekend, Feb 16-20 off, weekend
        (date(2026, 8, 29), date(2026, 9, 3)),  # weekend, swapped day Aug 31, National Day Sep 1-2
        (date(2026, 11, 24), date(2026, 11, 25)),
        (date(2028, 3, 4), date(2028, 3, 6)),  # outside the data: the library's calendar
    ],
)
def test_legal_end_moves_past_days_off(due: date, legal_end: date) -> None:
    assert next_working_day(due, RULES) == legal_end


@pytest.mark.parametrize(
    ("as_of", "status"),
    [
        (date(2026, 4, 16), "upcoming"),  # 15 days before due
        (date(2026, 4, 17), "due_soon"),  # 14 days before due
        (date(2026, 5, 1), "due_soon"),  # the due day
        (date(2026, 5, 4), "due_soon"),  # grace: legal end
        (date(2026, 5, 5), "overdue"),  # the day after the legal end
    ],
)
def test_status_boundaries(as_of: date, status: str) -> None:
    d = deadline("initial_filing", date(2026, 3, 2), as_of, load_rules(as_of))
    assert (d.due, d.legal_end, d.status) == (date(2026, 5, 1), date(2026, 5, 4), status)
    assert "Civil Code 2015 Art 148(5)" in d.citations
    assert d.citations[:2] == ["Law 91/2025 Art 20(2)", "Decree 356/2025 Art 18(4)"]


def test_no_extension_cites_no_extension() -> None:
    d = deadline("initial_filing", date(2026, 6, 15), date(2026, 11, 22), RULES)
    assert d.due == d.legal_end == date(2026, 8, 14)
    assert "Civil Code 2015 Art 148(5)" not in d.citations


def test_six_monthly_cycles() -> None:
    assert next_cycle_end(date(2026, 2, 10), date(2026, 3, 1), 6) == date(2026, 8, 10)
    assert next_cycle_end(date(2026, 2, 10), date(2026, 8, 10), 6) == date(2026, 8, 10)
    assert next_cycle_end(date(2026, 2, 10), date(2026, 8, 11), 6) == date(2027, 2, 10)
