"""The Notifier: who is written to, the mail sent, and its record in ``notifications``.

Every mail has a reason, ``(kind, key)``, unique in the table: a deadline's announcement of
the day (``deadline``, ``TRANSFER/KIND/DUE/STAGE``), a link (``link``, ``QID/TOKEN``), a
reminder (``reminder``, ``QID/TOKEN/DAYS``), an answer (``answered``, ``QID``), a waiting run
(``waiting``, ``QID``). A reason is claimed before its mail goes and marked sent or failed
after; a reason sent once is never sent again, a failed one is tried by the next check, so
overlapping checks send nothing twice. Sending never raises: a failure is logged on one
line, recorded, and returned as an ``Outcome`` for the caller's artifact or page.

Time comes in as ``now`` (and ``as_of``): this module reads no clock.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, getaddresses, make_msgid
from typing import Any, TypeVar

from sqlmodel import Session, col, select

from dtia.errors import DtiaError
from dtia.i18n import VIETNAM, Language, recipient_language
from dtia.intake import Safeguards
from dtia.law import load_rules
from dtia.notify import messages
from dtia.notify.messages import DeadlineItem, Mail
from dtia.notify.smtp import MailError, SmtpServer, parse_smtp_url, send
from dtia.register import Register
from dtia.store import repo
from dtia.store.db import unit_of_work
from dtia.store.models import NotificationRow, QuestionnaireRow, TransferRow

# A claim older than this whose mail never reported back (the process died while sending)
# may be taken again.
STALE_CLAIM = timedelta(hours=1)

Logger = logging.Logger | logging.LoggerAdapter[logging.Logger]
Sender = Callable[[SmtpServer, EmailMessage], None]


@dataclass(frozen=True)
class Outcome:
    """What became of one mail: ``sent``, ``failed`` (with ``error``) or ``skipped`` (why)."""

    kind: str
    to: tuple[str, ...]
    subject: str
    status: str
    error: str = ""
    message_id: str | None = None

    def line(self) -> str:
        to = ", ".join(self.to) or "nobody"
        return f"{self.kind} to {to}: {self.status}" + (f" ({self.error})" if self.error else "")


def addresses(value: str | None) -> tuple[str, ...]:
    """The addresses of a comma-separated list (``Legal <legal@x.vn>, b@x.vn``)."""
    return tuple(addr for _name, addr in getaddresses([value or ""]) if "@" in addr)


def _one_line(text: str) -> str:
    return " ".join(text.split())[:500]


T = TypeVar("T")


def safely(log: Logger, what: str, call: Callable[[], T]) -> T | None:
    """``call()``, or None with one log line when it raises: whatever goes wrong with e-mail
    (the register unreachable while recording it included), the run or page that wanted it
    goes on."""
    try:
        return call()
    except Exception as exc:
        log.warning("e-mail (%s) not sent: %s: %s", what, type(exc).__name__, _one_line(str(exc)))
        return None


def deadline_items(
    register: Register, rows: list[dict[str, Any]], *, as_of: date
) -> list[DeadlineItem]:
    """The register's deadline rows (``Register.deadlines``) with their transfers' titles and
    the law's names for them."""
    with Session(register.engine) as session:
        titles = {
            t.id: t.title
            for t in session.exec(
                select(TransferRow).where(
                    col(TransferRow.id).in_(sorted({r["transfer_id"] for r in rows}))
                )
            ).all()
        }
    try:
        rules = load_rules(as_of)
    except DtiaError:
        rules = None
    items = []
    for row in rows:
        label_vi = label_en = row["kind"]
        if rules is not None:
            try:
                period = rules.period(row["kind"])
                label_vi, label_en = period.label_vi, period.label_en
            except DtiaError:
                pass
        items.append(
            DeadlineItem(
                transfer_id=row["transfer_id"],
                title=titles.get(row["transfer_id"], row["transfer_id"]),
                kind=row["kind"],
                label_vi=label_vi,
                label_en=label_en,
                due=date.fromisoformat(row["due"]),
                legal_end=date.fromisoformat(row["legal_end"]),
                owed_by=row["owed_by"],
                citations=tuple(row["citations"]),
            )
        )
    return items


class Notifier:
    def __init__(
        self, register: Register, *, log: Logger | None = None, sender: Sender = send
    ) -> None:
        self.register = register
        self.settings = register.settings
        self.engine = register.engine
        self.log: Logger = log or logging.getLogger("dtia.notify")
        self.sender = sender

    @property
    def enabled(self) -> bool:
        """Whether e-mail is on at all (DTIA_SMTP_URL set)."""
        return self.settings.smtp_url is not None

    @property
    def legal(self) -> tuple[str, ...]:
        return addresses(self.settings.legal_email)

    # --- deadlines and reminders: the daily check ----------------------------------------

    def daily(
        self, deadlines: list[dict[str, Any]], *, as_of: date, now: datetime
    ) -> list[Outcome]:
        """The filing clock's mail: the deadlines whose announcement is due, to legal, and
        the reminders of questionnaire links expiring in 7, 3 or 1 days, to recipients."""
        if not self.enabled:
            return []
        return [
            *self.deadline_digest(deadlines, as_of=as_of, now=now),
            *self.reminders(as_of=as_of, now=now),
        ]

    def deadline_digest(
        self, deadlines: list[dict[str, Any]], *, as_of: date, now: datetime
    ) -> list[Outcome]:
        """``deadlines`` are the register's open ones (``Register.deadlines``)."""
        if not self.enabled:
            return []
        staged = [
            (row, stage)
            for row in deadlines
            if (
                stage := messages.deadline_stage(
                    date.fromisoformat(row["due"]), date.fromisoformat(row["legal_end"]), as_of
                )
            )
            is not None
        ]
        if not staged:
            return []
        if not self.legal:
            return [self._skipped("deadline", "DTIA_LEGAL_EMAIL is not set")]
        keyed = {
            f"{row['transfer_id']}/{row['kind']}/{row['due']}/{stage}": row for row, stage in staged
        }
        claimed = self._claim("deadline", keyed, now)
        if not claimed:
            return []
        items = deadline_items(self.register, [keyed[key] for key in claimed], as_of=as_of)
        mail = messages.deadline_digest(items, as_of=as_of, portal_url=self.settings.portal_url)
        return [self._send("deadline", claimed, mail, to=self.legal, now=now)]

    def reminders(self, *, as_of: date, now: datetime) -> list[Outcome]:
        """Reminders to recipients whose questionnaire link expires in 7, 3 or 1 days."""
        if not self.enabled:
            return []
        with Session(self.engine) as session:
            rows = list(
                session.exec(
                    select(QuestionnaireRow)
                    .where(
                        QuestionnaireRow.status == "waiting",
                        col(QuestionnaireRow.token_sha256).is_not(None),
                        col(QuestionnaireRow.token_expires_at).is_not(None),
                    )
                    .order_by(col(QuestionnaireRow.id))
                ).all()
            )
            for r in rows:
                session.expunge(r)
        out = []
        for q in rows:
            assert q.token_expires_at is not None and q.token_sha256 is not None
            if q.token_expires_at <= now:
                continue
            stage = messages.reminder_stage(q.token_expires_at.astimezone(VIETNAM).date(), as_of)
            if stage is None:
                continue
            link = self._link_key(q)
            claimed = self._claim("reminder", {f"{link}/{stage}": q}, now)
            if not claimed:
                continue
            context, to, lang = self._recipient(q)
            if not to:
                self._finish(
                    claimed,
                    kind="reminder",
                    status="failed",
                    error="no e-mail address for the recipient",
                    now=now,
                )
                out.append(self._skipped("reminder", "no e-mail address for the recipient"))
                continue
            sent_link = self._sent("link", link)
            mail = messages.questionnaire_reminder(
                context,
                expires_at=q.token_expires_at,
                as_of=as_of,
                lang=lang,
                link_subject=sent_link.subject if sent_link else None,
            )
            out.append(
                self._send(
                    "reminder",
                    claimed,
                    mail,
                    to=to,
                    now=now,
                    transfer_id=q.transfer_id,
                    reply_to=self.legal,
                    thread=sent_link.message_id if sent_link else None,
                )
            )
        return out

    # --- questionnaires: the link, the waiting run, the answer ----------------------------

    def link_issued(
        self,
        *,
        transfer_id: str,
        recipient_id: str,
        url: str,
        now: datetime,
        lang: Language | None = None,
    ) -> Outcome | None:
        """E-mail a newly issued link to the recipient's contact (in ``lang``, by default
        its country's language); None when e-mail is off."""
        if not self.enabled:
            return None
        with Session(self.engine) as session:
            q = repo.waiting_questionnaire(
                session, transfer_id=transfer_id, recipient_id=recipient_id
            )
            if q is not None:
                session.expunge(q)
        if q is None or q.token_sha256 is None or q.token_expires_at is None:
            return self._skipped("link", "no waiting questionnaire with a link")
        context, to, country_lang = self._recipient(q)
        if not to:
            return self._skipped("link", "no e-mail address for the recipient")
        claimed = self._claim("link", {self._link_key(q): q}, now)
        if not claimed:
            return self._skipped("link", "sent already")
        mail = messages.questionnaire_link(
            context, url=url, expires_at=q.token_expires_at, lang=lang or country_lang
        )
        return self._send(
            "link", claimed, mail, to=to, now=now, transfer_id=transfer_id, reply_to=self.legal
        )

    def run_waiting(
        self,
        *,
        questionnaire_id: int,
        transfer_id: str,
        title: str,
        recipient_id: str,
        recipient: str,
        country: str,
        page_url: str,
        waits_until: datetime | None,
        now: datetime,
    ) -> Outcome | None:
        """Tell legal that a run waits for a recipient, and where to issue its link."""
        if not self.enabled:
            return None
        if not self.legal:
            return self._skipped("waiting", "DTIA_LEGAL_EMAIL is not set")
        claimed = self._claim("waiting", {str(questionnaire_id): None}, now)
        if not claimed:
            return self._skipped("waiting", "sent already")
        mail = messages.run_waiting(
            transfer_id=transfer_id,
            title=title,
            recipient_id=recipient_id,
            recipient=recipient,
            country=country,
            page_url=page_url,
            waits_until=waits_until,
        )
        return self._send("waiting", claimed, mail, to=self.legal, now=now, transfer_id=transfer_id)

    def answered(
        self,
        *,
        questionnaire_id: int,
        transfer_id: str,
        context: dict[str, Any],
        recipient_id: str,
        safeguards: Safeguards,
        resumed: bool | None,
        now: datetime,
    ) -> Outcome | None:
        """Tell legal that a recipient answered (and whether the waiting run goes on)."""
        if not self.enabled:
            return None
        if not self.legal:
            return self._skipped("answered", "DTIA_LEGAL_EMAIL is not set")
        claimed = self._claim("answered", {str(questionnaire_id): None}, now)
        if not claimed:
            return self._skipped("answered", "sent already")
        recipient = context.get("recipient") or {}
        mail = messages.questionnaire_answered(
            transfer_id=transfer_id,
            title=str(context.get("transfer_title") or transfer_id),
            recipient=str(recipient.get("name") or recipient_id),
            country=str(recipient.get("country") or ""),
            attested_by=safeguards.attested_by,
            attested_on=safeguards.attested_on,
            evidence_files=sum(1 for e in safeguards.evidence if e.path),
            resumed=resumed,
            answered_at=now,
            portal_url=self.settings.portal_url,
        )
        return self._send(
            "answered", claimed, mail, to=self.legal, now=now, transfer_id=transfer_id
        )

    def check(self, *, to: tuple[str, ...], now: datetime) -> Outcome:
        """Send a test message (``dtia mail test``); not recorded."""
        mail = messages.check_message()
        if not self.enabled:
            return self._skipped("test", "DTIA_SMTP_URL is not set")
        return self._send("test", [], mail, to=to, now=now)

    # --- helpers ----------------------------------------------------------------------------

    @staticmethod
    def _link_key(q: QuestionnaireRow) -> str:
        # a new link of the same questionnaire is a new reason: its own mail and reminders
        assert q.token_sha256 is not None
        return f"{q.id}/{q.token_sha256[:16]}"

    def _recipient(self, q: QuestionnaireRow) -> tuple[dict[str, Any], tuple[str, ...], Language]:
        """What the recipient is shown, its e-mail address and language."""
        context: dict[str, Any] = json.loads(q.context_json or "{}")
        context.setdefault(
            "recipient",
            {"id": q.recipient_id, "name": q.recipient_name, "country": q.recipient_country},
        )
        context.setdefault("asked_by", q.transfer_id)
        email = (context.get("contact") or {}).get("email")
        if not email:  # a questionnaire opened before contacts were kept: the saved intake's
            with Session(self.engine) as session:
                current = repo.current_assessment(session, transfer_id=q.transfer_id)
                intake = repo.intake_of(session, row=current) if current else None
            match = (
                next((r for r in intake.recipients if r.id == q.recipient_id), None)
                if intake
                else None
            )
            if match is not None:
                email = match.pdp_contact.email
                context.setdefault("contact", {"name": match.pdp_contact.name, "email": email})
        return context, addresses(email), recipient_language(q.recipient_country)

    def _skipped(self, kind: str, why: str) -> Outcome:
        self.log.warning("e-mail (%s) not sent: %s", kind, why)
        return Outcome(kind, (), "", "skipped", why)

    def _sent(self, kind: str, key: str) -> NotificationRow | None:
        with Session(self.engine) as session:
            row = session.exec(
                select(NotificationRow).where(
                    NotificationRow.kind == kind,
                    NotificationRow.key == key,
                    NotificationRow.status == "sent",
                )
            ).first()
            if row is not None:
                session.expunge(row)
            return row

    def _claim(self, kind: str, keyed: dict[str, Any], now: datetime) -> list[str]:
        """Claim the reasons not sent yet (nor being sent); returns the keys claimed."""

        def work(session: Session) -> list[str]:
            claimed = []
            for key, value in keyed.items():
                row = session.exec(
                    select(NotificationRow).where(
                        NotificationRow.kind == kind, NotificationRow.key == key
                    )
                ).first()
                transfer_id = (
                    value.get("transfer_id")
                    if isinstance(value, dict)
                    else getattr(value, "transfer_id", None)
                )
                if row is None:
                    row = NotificationRow.model_validate(
                        {
                            "kind": kind,
                            "key": key,
                            "transfer_id": transfer_id,
                            "created_at": now,
                            "updated_at": now,
                        }
                    )
                elif row.status == "failed" or (
                    row.status == "sending" and row.updated_at < now - STALE_CLAIM
                ):
                    row.status = "sending"
                    row.attempts += 1
                    row.updated_at = now
                else:
                    continue
                session.add(row)
                session.flush()
                claimed.append(key)
            return claimed

        return unit_of_work(self.engine, work)

    def _finish(
        self,
        keys: Iterable[str],
        *,
        status: str,
        now: datetime,
        kind: str | None = None,
        error: str | None = None,
        mail: Mail | None = None,
        to: tuple[str, ...] = (),
        message_id: str | None = None,
    ) -> None:
        keys = list(keys)
        if not keys:
            return

        def work(session: Session) -> None:
            query = select(NotificationRow).where(col(NotificationRow.key).in_(keys))
            if kind is not None:
                query = query.where(NotificationRow.kind == kind)
            for row in session.exec(query).all():
                if row.status != "sending":
                    continue
                row.status = status
                row.error = error
                row.updated_at = now
                row.recipients = ", ".join(to)
                if mail is not None:
                    row.subject = mail.subject[:500]
                    row.language = mail.lang
                if message_id is not None:
                    row.message_id = message_id
                session.add(row)

        unit_of_work(self.engine, work)

    def _message(
        self,
        mail: Mail,
        *,
        to: tuple[str, ...],
        now: datetime,
        reply_to: tuple[str, ...] = (),
        thread: str | None = None,
    ) -> EmailMessage:
        sender = self.settings.mail_from
        domain = addresses(sender)[0].rsplit("@", 1)[1] if addresses(sender) else "localhost"
        message = EmailMessage()
        message["Subject"] = mail.subject
        message["From"] = sender
        message["To"] = ", ".join(to)
        if reply_to:
            message["Reply-To"] = ", ".join(reply_to)
        message["Date"] = format_datetime(now.astimezone(VIETNAM))
        message["Message-ID"] = make_msgid(domain=domain)
        if thread:  # a reminder answers the mail that carried the link: mail apps thread them
            message["In-Reply-To"] = thread
            message["References"] = thread
        message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies back
        # quoted-printable: 7-bit safe for any server, the Latin letters still readable
        message.set_content(mail.text, cte="quoted-printable")
        message["Content-Language"] = mail.lang  # after set_content, which resets Content-*
        # Python 3.11 drops the space where it folds a long non-ASCII header across encoded
        # words ("đang chờ" arrives as "đangchờ"); headers are written unfolded instead (up
        # to 998 characters a line, RFC 5322), the body being encoded already.
        message.policy = SMTP.clone(max_line_length=998)
        return message

    def _send(
        self,
        kind: str,
        keys: list[str],
        mail: Mail,
        *,
        to: tuple[str, ...],
        now: datetime,
        transfer_id: str | None = None,
        reply_to: tuple[str, ...] = (),
        thread: str | None = None,
    ) -> Outcome:
        message_id: str | None = None
        try:
            assert self.settings.smtp_url is not None
            server = parse_smtp_url(self.settings.smtp_url.get_secret_value())
            message = self._message(mail, to=to, now=now, reply_to=reply_to, thread=thread)
            message_id = message["Message-ID"]
            self.sender(server, message)
        except (MailError, ValueError) as exc:  # ValueError: an address the headers refuse
            error = _one_line(str(exc))
            where = f" ({transfer_id})" if transfer_id else ""
            self.log.warning("e-mail (%s) to %s%s not sent: %s", kind, ", ".join(to), where, error)
            self._finish(keys, kind=kind, status="failed", error=error, mail=mail, to=to, now=now)
            return Outcome(kind, to, mail.subject, "failed", error)
        self._finish(
            keys, kind=kind, status="sent", mail=mail, to=to, message_id=message_id, now=now
        )
        self.log.info("e-mail (%s) sent to %s: %s", kind, ", ".join(to), mail.subject)
        return Outcome(kind, to, mail.subject, "sent", message_id=message_id)
