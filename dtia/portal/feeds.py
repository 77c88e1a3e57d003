"""Calendar feeds: a read-only token per user that opens ``/api/deadlines.ics`` and nothing
else, for calendar apps that subscribe by address and cannot send an Authorization header.

Only the token's SHA-256 is kept. A feed works while its user is active with the API token
it was issued under: revoking the user, or giving it a new API token, ends the feed; issuing
a new feed ends the user's previous one.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session, col, delete, select

from dtia.portal.accounts import Role, User, digest
from dtia.store import repo
from dtia.store.db import StoreError, unit_of_work
from dtia.store.models import CalendarFeedRow, UserRow


class Feeds:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def issue(self, name: str, *, now: datetime) -> str:
        """A new feed token for an active user (shown once); the user's old feed stops."""
        token = secrets.token_urlsafe(32)

        def work(session: Session) -> None:
            user = session.get(UserRow, name)
            if user is None or not user.active:
                raise StoreError(f"no active user {name!r}")
            session.execute(delete(CalendarFeedRow).where(col(CalendarFeedRow.user_name) == name))
            session.add(
                CalendarFeedRow.model_validate(
                    {
                        "token_sha256": digest(token),
                        "user_name": name,
                        "user_token_sha256": user.token_sha256,
                        "created_at": now,
                    }
                )
            )
            repo.append_audit(
                session, actor="dtia users", action="user.calendar_feed", subject=name, payload={}
            )

        unit_of_work(self.engine, work)
        return token

    def user(self, token: str) -> User | None:
        """Whose feed this token opens, if it still works."""
        with Session(self.engine) as session:
            found = session.exec(
                select(UserRow)
                .join(CalendarFeedRow, col(CalendarFeedRow.user_name) == col(UserRow.name))
                .where(
                    CalendarFeedRow.token_sha256 == digest(token),
                    col(CalendarFeedRow.user_token_sha256) == col(UserRow.token_sha256),
                    col(UserRow.active),
                )
            ).first()
            return None if found is None else User(found.name, Role(found.role))
