"""What each notification says, and when a reminder is due. Pure: facts, dates and the
reader's language in; subject and plain text out.

Legal reads Vietnamese (or English); a recipient reads its own language, followed by the
same message in Vietnamese when that is another language, since the sender works in
Vietnamese. Every text comes from the message catalogue (``dtia.i18n``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from dtia.clocks import DUE_SOON_DAYS
from dtia.i18n import VIETNAM, Language, Translator, translator

# Days before a questionnaire link expires on which its recipient is reminded.
REMINDER_DAYS = (7, 3, 1)
# Days before a statutory deadline on which legal hears of it (the first is when it becomes
# "due soon"), besides the day it is due and every week once it is overdue.
DEADLINE_DAYS = (DUE_SOON_DAYS, 7, 3, 1)
OVERDUE_EVERY_DAYS = 7


@dataclass(frozen=True)
class Mail:
    subject: str
    text: str
    lang: Language


@dataclass(frozen=True)
class DeadlineItem:
    """One open statutory deadline of one transfer, as legal is told of it."""

    transfer_id: str
    title: str
    kind: str
    label_vi: str
    label_en: str
    due: date
    legal_end: date
    owed_by: str
    citations: tuple[str, ...]

    def label(self, lang: Language) -> str:
        return self.label_vi if lang == "vi" else self.label_en


def deadline_stage(due: date, legal_end: date, as_of: date) -> str | None:
    """Which announcement of a deadline is due on ``as_of``: ``due-14`` … ``due-1`` before
    it is due, ``due-0`` from the day it is due to its legal end, ``overdue-N`` in the N-th
    week after its legal end; None while it is further away than the first announcement.
    A stage is announced once, so a daily check announces each deadline at most once a stage."""
    if as_of > legal_end:
        return f"overdue-{((as_of - legal_end).days - 1) // OVERDUE_EVERY_DAYS}"
    left = (due - as_of).days
    if left <= 0:
        return "due-0"
    for days in sorted(DEADLINE_DAYS):
        if left <= days:
            return f"due-{days}"
    return None


def reminder_stage(expires_on: date, as_of: date) -> int | None:
    """Which reminder of a link expiring on ``expires_on`` is due on ``as_of`` (7, 3 or 1
    days before), or None: a reminder missed on its day goes out on the next check."""
    left = (expires_on - as_of).days
    if left < 0:
        return None
    return next((days for days in sorted(REMINDER_DAYS) if left <= days), None)


def _portal(portal_url: str, path: str) -> str:
    return portal_url.rstrip("/") + path


def owed_by_text(t: Translator, owed_by: str) -> str:
    if owed_by == "authority":
        return t.gettext("the specialised agency (A05 of the Ministry of Public Security)")
    return t.gettext("the transferor (your organisation)")


def _deadline_lines(t: Translator, item: DeadlineItem, as_of: date, portal_url: str) -> list[str]:
    left = (item.due - as_of).days
    if as_of > item.legal_end:
        late = (as_of - item.legal_end).days
        when = t.ngettext(
            "Due {due}, legal end {legal_end}: overdue by {days} day.",
            "Due {due}, legal end {legal_end}: overdue by {days} days.",
            late,
        ).format(due=t.date(item.due), legal_end=t.date(item.legal_end), days=late)
    elif left > 0:
        when = t.ngettext(
            "Due {due} (legal end {legal_end}): {days} day left.",
            "Due {due} (legal end {legal_end}): {days} days left.",
            left,
        ).format(due=t.date(item.due), legal_end=t.date(item.legal_end), days=left)
    elif left == 0 and item.due == item.legal_end:
        when = t.gettext("Due today, {due}.").format(due=t.date(item.due))
    else:
        when = t.gettext(
            "Due {due}, a day off: the period runs until the end of {legal_end}."
        ).format(due=t.date(item.due), legal_end=t.date(item.legal_end))
    return [
        f"- {item.title} ({item.transfer_id})",
        f"  {item.label(t.lang)}",
        f"  {when}",
        "  " + t.gettext("Owed by: {who}").format(who=owed_by_text(t, item.owed_by)),
        "  " + t.gettext("Legal basis: {citations}").format(citations="; ".join(item.citations)),
        f"  {_portal(portal_url, f'/transfers/{item.transfer_id}')}",
    ]


def deadline_digest(
    items: Sequence[DeadlineItem], *, as_of: date, portal_url: str, lang: Language = "vi"
) -> Mail:
    """One mail to legal about the deadlines whose announcement is due today."""
    t = translator(lang)
    overdue = [i for i in items if as_of > i.legal_end]
    soon = [i for i in items if as_of <= i.legal_end]
    lines = [
        t.gettext("These statutory deadlines need attention (as of {date}):").format(
            date=t.date(as_of)
        ),
    ]
    for heading, group in (
        (t.gettext("OVERDUE"), overdue),
        (t.gettext("DUE SOON"), soon),
    ):
        if not group:
            continue
        lines += ["", heading]
        for item in sorted(group, key=lambda i: (i.due, i.transfer_id, i.kind)):
            lines += _deadline_lines(t, item, as_of, portal_url)
    lines += [
        "",
        "-- ",
        t.gettext(
            "dtia sends this from its daily filing clock. Each deadline is announced {days} "
            "days before it is due, on the day it is due, and every week once it is overdue."
        ).format(days=", ".join(str(d) for d in DEADLINE_DAYS)),
        t.gettext("Every open deadline: {url}").format(url=_portal(portal_url, "/")),
    ]
    subject = t.gettext("Statutory deadlines: {overdue} overdue, {soon} due soon").format(
        overdue=len(overdue), soon=len(soon)
    )
    return Mail(subject, "\n".join(lines) + "\n", lang)


# --- to recipients ------------------------------------------------------------------------


def _bilingual(lang: Language, compose: Callable[[Translator], tuple[str, str]]) -> Mail:
    """The message in the recipient's language, then in Vietnamese when that is another."""
    t = translator(lang)
    subject, text = compose(t)
    if lang != "vi":
        _subject, vi_text = compose(translator("vi"))
        text += (
            "\n" + "—" * 24 + "\n" + t.pgettext("recipient", "In Vietnamese:") + "\n\n" + vi_text
        )
    return Mail(subject, text, lang)


def _contact_name(context: dict[str, Any]) -> str:
    contact = context.get("contact") or {}
    return str(contact.get("name") or context["recipient"]["name"])


def questionnaire_link(
    context: dict[str, Any], *, url: str, expires_at: datetime, lang: Language
) -> Mail:
    """The recipient's questionnaire link, with what it is asked about and why.
    ``context`` is what the questionnaire shows (``dtia.questionnaire.context``)."""
    recipient = context["recipient"]["name"]
    asked_by = context["asked_by"]

    def compose(t: Translator) -> tuple[str, str]:
        lines = [
            t.pgettext("recipient", "Dear {name},").format(name=_contact_name(context)),
            "",
            t.pgettext(
                "recipient",
                "{asked_by} transfers personal data from Vietnam to {recipient}. Vietnam's "
                "Personal Data Protection Law (Law 91/2025/QH15) and Decree 356/2025/ND-CP "
                "(Art 18) require it to assess, before the transfer, how the recipient "
                "protects that data. Please answer its safeguards questionnaire:",
            ).format(asked_by=asked_by, recipient=recipient),
            "",
            url,
            "",
            t.pgettext(
                "recipient",
                "The link is for {recipient} only. It works once and expires at {expires}. "
                "Answering takes about 15 minutes; have your security certifications (for "
                "example ISO/IEC 27001 or SOC 2) at hand, as PDF files if you attach them.",
            ).format(recipient=recipient, expires=t.time(expires_at)),
            "",
            t.pgettext("recipient", "Transfer: {title}").format(
                title=context.get("transfer_title", "")
            ),
            t.pgettext("recipient", "Your service: {service}").format(
                service=context.get("service", "")
            ),
            t.pgettext("recipient", "Purposes: {purposes}").format(
                purposes="; ".join(context.get("purposes") or [])
            ),
            t.pgettext("recipient", "Personal data: {data}").format(
                data="; ".join(context.get("data") or [])
            ),
        ]
        if context.get("includes_sensitive"):
            lines.append(t.pgettext("recipient", "The data includes sensitive personal data."))
        lines += ["", t.pgettext("recipient", "If you have a question, reply to this e-mail.")]
        subject = t.pgettext(
            "recipient", "{asked_by}: safeguards questionnaire for {recipient}"
        ).format(asked_by=asked_by, recipient=recipient)
        return subject, "\n".join(lines) + "\n"

    return _bilingual(lang, compose)


def questionnaire_reminder(
    context: dict[str, Any],
    *,
    expires_at: datetime,
    as_of: date,
    lang: Language,
    link_subject: str | None = None,
) -> Mail:
    """A reminder that the link expires soon. The link itself is not repeated: only its
    hash is kept, and the reminder points to the mail that carried it (``link_subject``)."""
    recipient = context["recipient"]["name"]
    asked_by = context["asked_by"]

    def compose(t: Translator) -> tuple[str, str]:
        left = (expires_at.astimezone(VIETNAM).date() - as_of).days
        if left <= 0:
            subject = t.pgettext(
                "recipient", "Reminder: the safeguards questionnaire of {asked_by} expires today"
            ).format(asked_by=asked_by)
        else:
            subject = t.npgettext(
                "recipient",
                "Reminder: the safeguards questionnaire of {asked_by} expires in {days} day",
                "Reminder: the safeguards questionnaire of {asked_by} expires in {days} days",
                left,
            ).format(asked_by=asked_by, days=left)
        where = (
            t.pgettext(
                "recipient",
                "Please answer through the link in the e-mail “{subject}”; the link is not "
                "repeated here, since it is personal and works once.",
            ).format(subject=link_subject)
            if link_subject
            else t.pgettext(
                "recipient",
                "Please answer through the link you received; it is not repeated here, since "
                "it is personal and works once.",
            )
        )
        lines = [
            t.pgettext("recipient", "Dear {name},").format(name=_contact_name(context)),
            "",
            t.pgettext(
                "recipient",
                "{asked_by} is still waiting for the answer of {recipient} to its safeguards "
                "questionnaire about the transfer “{title}”. The link expires at {expires}.",
            ).format(
                asked_by=asked_by,
                recipient=recipient,
                title=context.get("transfer_title", ""),
                expires=t.time(expires_at),
            ),
            "",
            where,
            t.pgettext(
                "recipient",
                "If you cannot find it, or the link no longer works, reply to this e-mail and "
                "you will receive a new one.",
            ),
        ]
        return subject, "\n".join(lines) + "\n"

    return _bilingual(lang, compose)


# --- to legal, about questionnaires -----------------------------------------------------------


def questionnaire_answered(
    *,
    transfer_id: str,
    title: str,
    recipient: str,
    country: str,
    attested_by: str,
    attested_on: date,
    evidence_files: int,
    resumed: bool | None,
    answered_at: datetime,
    portal_url: str,
    lang: Language = "vi",
) -> Mail:
    """Legal hears that a recipient answered, and what became of the run that waited."""
    t = translator(lang)
    if resumed is True:
        outcome = t.gettext("The assessment run that was waiting continues with this answer.")
    elif resumed is False:
        outcome = t.gettext(
            "The assessment run that was waiting could not be resumed; the next assessment "
            "of the transfer uses the answer."
        )
    else:
        outcome = t.gettext(
            "No assessment run was waiting; the next assessment of the transfer uses the answer."
        )
    lines = [
        t.gettext(
            "{recipient} ({country}) answered the safeguards questionnaire for the transfer "
            "{title} ({transfer_id}) at {time}."
        ).format(
            recipient=recipient,
            country=country,
            title=title,
            transfer_id=transfer_id,
            time=t.time(answered_at),
        ),
        t.gettext("Attested by {who} on {day}.").format(who=attested_by, day=t.date(attested_on)),
        t.ngettext(
            "{count} evidence file attached.", "{count} evidence files attached.", evidence_files
        ).format(count=evidence_files),
        outcome,
        "",
        _portal(portal_url, f"/transfers/{transfer_id}"),
    ]
    subject = t.gettext("{recipient} answered the safeguards questionnaire ({transfer_id})").format(
        recipient=recipient, transfer_id=transfer_id
    )
    return Mail(subject, "\n".join(lines) + "\n", lang)


def run_waiting(
    *,
    transfer_id: str,
    title: str,
    recipient_id: str,
    recipient: str,
    country: str,
    page_url: str,
    waits_until: datetime | None,
    lang: Language = "vi",
) -> Mail:
    """Legal hears that an assessment run waits for a recipient, and where to issue its link."""
    t = translator(lang)
    lines = [
        t.gettext(
            "An assessment run of the transfer {title} ({transfer_id}) waits for the "
            "safeguards of {recipient} ({country})."
        ).format(title=title, transfer_id=transfer_id, recipient=recipient, country=country),
        "",
        t.gettext(
            "Issue the recipient's questionnaire link on the portal (signed in as legal); "
            "dtia e-mails it to the recipient's contact:"
        ),
        page_url,
        "",
    ]
    if waits_until is not None:
        lines.append(
            t.gettext(
                "The run waits until {time}; without an answer by then it fails and stores nothing."
            ).format(time=t.time(waits_until))
        )
    lines.append(
        t.gettext(
            "Or send the file of “dtia safeguards template {recipient_id}” and enter the answer "
            "with “dtia safeguards submit {transfer_id} {recipient_id} FILE”."
        ).format(recipient_id=recipient_id, transfer_id=transfer_id)
    )
    subject = t.gettext(
        "{transfer_id}: the assessment waits for the safeguards of {recipient}"
    ).format(transfer_id=transfer_id, recipient=recipient)
    return Mail(subject, "\n".join(lines) + "\n", lang)


def check_message(*, lang: Language = "vi") -> Mail:
    """What ``dtia mail test`` sends, to check the SMTP settings."""
    t = translator(lang)
    return Mail(
        t.gettext("dtia: test message"),
        t.gettext("This message checks that dtia can send e-mail with its SMTP settings.") + "\n",
        lang,
    )
