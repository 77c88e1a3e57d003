"""Questionnaire links: ``/q/{token}`` for one recipient of one transfer.

A link is issued by legal and works once. It expires when the run waiting for the answer
stops waiting (the ``answer_by`` the run saved with the questionnaire's context: the run's
own timeout, so a link never outlives the run it would resume), or after ``LINK_DAYS`` days
for a questionnaire no run waits for. Only the token's hash is stored; the page behind it
shows the context saved with the questionnaire and nothing else of the register.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from dtia.errors import DtiaError
from dtia.intake import Evidence, Safeguards
from dtia.law import load_rules
from dtia.portal.accounts import digest
from dtia.questionnaire import context
from dtia.register import Register
from dtia.store import repo
from dtia.store.db import NotFound, StoreError, unit_of_work
from dtia.store.models import QuestionnaireRow

LINK_DAYS = 14
# the key of the questionnaire's context under which a waiting run saves when it stops waiting
ANSWER_BY = "answer_by"


class LinkError(DtiaError):
    """A questionnaire link that is unknown, used or expired."""


@dataclass(frozen=True)
class Questionnaire:
    id: int
    transfer_id: str
    recipient_id: str
    flow_run_id: str | None
    api_url: str | None
    context: dict[str, Any]
    expires_at: datetime | None


def _view(row: QuestionnaireRow) -> Questionnaire:
    assert row.id is not None
    return Questionnaire(
        row.id,
        row.transfer_id,
        row.recipient_id,
        row.flow_run_id,
        row.api_url,
        json.loads(row.context_json or "{}"),
        row.token_expires_at,
    )


def new_link(now: datetime, days: int = LINK_DAYS) -> tuple[str, tuple[str, datetime]]:
    """A fresh link token, and what is stored of it: its SHA-256 and its expiry."""
    token = secrets.token_urlsafe(32)
    return token, (digest(token), now + timedelta(days=days))


def answer_by(row: QuestionnaireRow) -> datetime | None:
    """When the run waiting for this questionnaire stops waiting (None: no run waits)."""
    if not row.flow_run_id:
        return None
    value = json.loads(row.context_json or "{}").get(ANSWER_BY)
    return datetime.fromisoformat(value) if isinstance(value, str) else None


class Links:
    def __init__(self, register: Register) -> None:
        self.register = register
        self.engine = register.engine

    def waiting(self) -> list[QuestionnaireRow]:
        """Questionnaires still waiting for an answer, newest first."""
        with Session(self.engine) as session:
            rows = list(
                session.exec(
                    select(QuestionnaireRow)
                    .where(QuestionnaireRow.status == "waiting")
                    .order_by(col(QuestionnaireRow.id).desc())
                ).all()
            )
            for r in rows:
                session.expunge(r)
            return rows

    def get(self, questionnaire_id: int) -> QuestionnaireRow:
        with Session(self.engine) as session:
            row = session.get(QuestionnaireRow, questionnaire_id)
            if row is None:
                raise NotFound(f"no questionnaire {questionnaire_id}")
            session.expunge(row)
            return row

    def issue(
        self,
        transfer_id: str,
        recipient_id: str,
        *,
        actor: str,
        now: datetime,
        days: int = LINK_DAYS,
    ) -> str:
        """A new link token for the waiting questionnaire of this recipient (a questionnaire
        is opened when none waits and the transfer is in the register). An earlier link of
        the same questionnaire stops working. The link of a questionnaire a run waits for
        expires when the run stops waiting; after that no link is issued for it."""
        token, (sha, expires) = new_link(now, days)

        def work(session: Session) -> None:
            row = repo.waiting_questionnaire(
                session, transfer_id=transfer_id, recipient_id=recipient_id
            )
            if row is None:
                current = repo.current_assessment(session, transfer_id=transfer_id)
                if current is None:
                    raise NotFound(f"no transfer {transfer_id!r} in the register")
                intake = repo.intake_of(session, row=current)
                match = next((r for r in intake.recipients if r.id == recipient_id), None)
                if match is None:
                    raise StoreError(f"transfer {transfer_id!r} has no recipient {recipient_id!r}")
                row = QuestionnaireRow.model_validate(
                    {
                        "transfer_id": transfer_id,
                        "recipient_id": recipient_id,
                        "recipient_name": match.name,
                        "recipient_country": match.country,
                        "created_at": now,
                        "context_json": json.dumps(
                            context(intake, recipient_id, load_rules(current.as_of))
                        ),
                    }
                )
            until = answer_by(row)
            if until is not None and until <= now:
                raise LinkError(
                    f"the assessment run waiting for this answer stopped waiting on "
                    f"{until.isoformat(timespec='minutes')}; start a new assessment run to ask again"
                )
            row.token_sha256 = sha
            row.token_expires_at = until or expires
            session.add(row)
            session.flush()
            repo.append_audit(
                session,
                actor=actor,
                action="questionnaire.link_issued",
                subject=transfer_id,
                payload={"recipient": recipient_id, "expires": row.token_expires_at.isoformat()},
            )

        unit_of_work(self.engine, work)
        return token

    def open(self, token: str, *, now: datetime) -> Questionnaire:
        with Session(self.engine) as session:
            return _view(self._valid(session, token, now))

    def _valid(self, session: Session, token: str, now: datetime) -> QuestionnaireRow:
        row = session.exec(
            select(QuestionnaireRow).where(QuestionnaireRow.token_sha256 == digest(token))
        ).first()
        if row is None:
            raise LinkError("this questionnaire link is not valid")
        if row.status == "expired":  # the run waiting for it gave up: the link went with it
            raise LinkError("this questionnaire link has expired; ask the sender for a new one")
        if row.status != "waiting":
            raise LinkError("this questionnaire has been answered already; the link works once")
        if row.token_expires_at is None or row.token_expires_at <= now:
            raise LinkError("this questionnaire link has expired; ask the sender for a new one")
        return row

    def answer(
        self,
        token: str,
        safeguards: Safeguards,
        *,
        evidence: list[tuple[str, bytes]],
        now: datetime,
        notices: list[tuple[str, bytes]] | None = None,
    ) -> tuple[Questionnaire, Safeguards]:
        """Store the answer (and its evidence files) and close the link, all at once; the
        caller then resumes the waiting run, if any, with the stored answer returned. The
        evidence files are written first (content-addressed), then the answer that names
        them by their SHA-256."""
        if any(e.upload for e in [*safeguards.evidence, *safeguards.notices]):
            raise LinkError("an answer names its evidence files by uploading them")
        with Session(self.engine) as session:  # nothing is written for a dead link
            self._valid(session, token, now)
        stored = [self.register.evidence.put(data) for _title, data in evidence]
        uploaded = [
            Evidence.model_validate({"title": title, "upload": sha})
            for (title, _data), sha in zip(evidence, stored, strict=True)
        ]
        # the recipient's published notices, kept like its evidence (content-addressed)
        notice_shas = [self.register.evidence.put(data) for _title, data in notices or []]
        uploaded_notices = [
            Evidence.model_validate({"title": title, "upload": sha})
            for (title, _data), sha in zip(notices or [], notice_shas, strict=True)
        ]

        def work(session: Session) -> tuple[Questionnaire, Safeguards]:
            row = self._valid(session, token, now)
            # Claim the questionnaire with one conditional UPDATE: of two answers sent at the
            # same moment, the second waits for the first and then finds nothing to claim.
            claimed = session.execute(
                update(QuestionnaireRow)
                .where(
                    col(QuestionnaireRow.id) == row.id, col(QuestionnaireRow.status) == "waiting"
                )
                .values(status="answered", answered_at=now)
                .execution_options(synchronize_session=False)
            )
            if claimed.rowcount != 1:  # type: ignore[attr-defined]  # a CursorResult
                raise LinkError("this questionnaire has been answered already; the link works once")
            answer = safeguards.model_copy(
                update={
                    "evidence": [*safeguards.evidence, *uploaded],
                    "notices": [*safeguards.notices, *uploaded_notices],
                }
            )
            repo.add_attestation(
                session, name=row.recipient_name, country=row.recipient_country, safeguards=answer
            )
            row.status = "answered"
            row.answered_at = now
            repo.append_audit(
                session,
                actor=f"recipient:{row.recipient_id}",
                action="questionnaire.answered",
                subject=row.transfer_id,
                payload={
                    "recipient": row.recipient_id,
                    "attested_by": answer.attested_by,
                    "attested_on": answer.attested_on.isoformat(),
                    "evidence": stored,
                    **({"notices": notice_shas} if notice_shas else {}),
                },
            )
            session.flush()
            return _view(row), answer

        return unit_of_work(self.engine, work)
