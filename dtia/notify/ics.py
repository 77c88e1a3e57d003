"""The iCalendar feed of open statutory deadlines (RFC 5545, written by ``icalendar``).

Each open deadline is an all-day event on its due day, named in the reader's language,
with its legal end, who owes it, its articles and the transfer's page; when the due day is
a day off, the event runs to the legal end. An event keeps its UID while the deadline keeps
its kind and due day, so a calendar that refreshes the feed updates it instead of adding
another. Pure: the deadlines and the moment of the feed come in.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from icalendar import Alarm, Calendar, Event

from dtia.i18n import VIETNAM, Language, translator
from dtia.notify.messages import DeadlineItem, owed_by_text

PRODID = "-//dtia//statutory deadlines//VI"


def feed(
    items: Sequence[DeadlineItem],
    *,
    statuses: dict[tuple[str, str, date], str],
    now: datetime,
    portal_url: str,
    lang: Language = "vi",
) -> bytes:
    """The calendar; ``statuses`` gives each deadline's status by (transfer, kind, due)."""
    t = translator(lang)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", t.gettext("Statutory deadlines (dtia)"))
    cal.add("x-wr-timezone", str(VIETNAM))
    status_text = {
        "overdue": t.gettext("overdue"),
        "due_soon": t.gettext("due soon"),
        "upcoming": t.gettext("upcoming"),
    }
    for item in sorted(items, key=lambda i: (i.due, i.transfer_id, i.kind)):
        status = statuses.get((item.transfer_id, item.kind, item.due), "upcoming")
        url = f"{portal_url.rstrip('/')}/transfers/{item.transfer_id}"
        event = Event()
        event.add("uid", f"{item.transfer_id}.{item.kind}.{item.due.isoformat()}@dtia")
        event.add("dtstamp", now)
        event.add("dtstart", item.due)
        event.add("dtend", max(item.due, item.legal_end) + timedelta(days=1))
        event.add("transp", "TRANSPARENT")  # a deadline, not a meeting: it books no time
        prefix = "[" + status_text.get(status, status) + "] " if status == "overdue" else ""
        event.add("summary", f"{prefix}{item.title}: {item.label(t.lang)}")
        event.add(
            "description",
            "\n".join(
                [
                    item.label(t.lang),
                    t.gettext("Transfer: {title} ({transfer_id})").format(
                        title=item.title, transfer_id=item.transfer_id
                    ),
                    t.gettext("Due {due}; legal end {legal_end}.").format(
                        due=t.date(item.due), legal_end=t.date(item.legal_end)
                    ),
                    t.gettext("Status: {status}").format(status=status_text.get(status, status)),
                    t.gettext("Owed by: {who}").format(who=owed_by_text(t, item.owed_by)),
                    t.gettext("Legal basis: {citations}").format(
                        citations="; ".join(item.citations)
                    ),
                    url,
                ]
            ),
        )
        event.add("url", url)
        event.add("categories", [status_text.get(status, status)])
        alarm = Alarm()  # calendars that keep a feed's alarms warn three days ahead
        alarm.add("action", "DISPLAY")
        alarm.add("description", item.label(t.lang))
        alarm.add("trigger", timedelta(days=-3))
        event.add_component(alarm)
        cal.add_component(event)
    return bytes(cal.to_ical())
