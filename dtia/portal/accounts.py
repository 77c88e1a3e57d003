"""Portal users, their API tokens and browser sessions.

Tokens and session cookies are random secrets shown once; only their SHA-256 is stored, so
a copy of the database opens no account. Every change is in the audit log.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import Engine
from sqlmodel import Session, col, delete, select

from dtia.store import repo
from dtia.store.db import StoreError, unit_of_work
from dtia.store.models import SessionRow, UserRow

SESSION_HOURS = 12
USER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,99}")


class Role(StrEnum):
    compliance_officer = "compliance_officer"
    legal = "legal"
    auditor = "auditor"


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class User:
    name: str
    role: Role


@dataclass(frozen=True)
class BrowserSession:
    user: User
    csrf_token: str


class Accounts:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(self, name: str, role: Role) -> str:
        """Create a user; returns the API token (shown once: only its hash is kept)."""
        if not USER_NAME.fullmatch(name):
            raise StoreError(
                f"user name {name!r}: use letters, digits and . _ @ - (at most 100 characters)"
            )
        token = secrets.token_urlsafe(32)

        def work(session: Session) -> None:
            if session.get(UserRow, name) is not None:
                raise StoreError(f"a user {name!r} exists already (revoke it or pick another name)")
            session.add(
                UserRow.model_validate(
                    {
                        "name": name,
                        "role": role.value,
                        "token_sha256": digest(token),
                        "created_at": repo.now(),
                    }
                )
            )
            repo.append_audit(
                session,
                actor="dtia users",
                action="user.added",
                subject=name,
                payload={"role": role},
            )

        unit_of_work(self.engine, work)
        return token

    def revoke(self, name: str) -> None:
        """Disable a user's token and end its browser sessions."""

        def work(session: Session) -> None:
            row = session.get(UserRow, name)
            if row is None or not row.active:
                raise StoreError(f"no active user {name!r}")
            row.active = False
            row.revoked_at = repo.now()
            session.add(row)
            session.execute(delete(SessionRow).where(col(SessionRow.user_name) == name))
            repo.append_audit(
                session, actor="dtia users", action="user.revoked", subject=name, payload={}
            )

        unit_of_work(self.engine, work)

    def users(self) -> list[UserRow]:
        with Session(self.engine) as session:
            rows = list(session.exec(select(UserRow).order_by(col(UserRow.name))).all())
            for r in rows:
                session.expunge(r)
            return rows

    def by_token(self, token: str) -> User | None:
        with Session(self.engine) as session:
            row = session.exec(
                select(UserRow).where(UserRow.token_sha256 == digest(token), col(UserRow.active))
            ).first()
            return None if row is None else User(row.name, Role(row.role))

    def open_session(self, user: User, *, now: datetime) -> tuple[str, BrowserSession]:
        """A new browser session: the cookie value (secret) and its CSRF token."""
        cookie = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)

        def work(session: Session) -> None:
            session.execute(delete(SessionRow).where(col(SessionRow.expires_at) < now))
            session.add(
                SessionRow.model_validate(
                    {
                        "id_sha256": digest(cookie),
                        "user_name": user.name,
                        "csrf_token": csrf,
                        "created_at": now,
                        "expires_at": now + timedelta(hours=SESSION_HOURS),
                    }
                )
            )
            repo.append_audit(
                session, actor=user.name, action="session.opened", subject=user.name, payload={}
            )

        unit_of_work(self.engine, work)
        return cookie, BrowserSession(user, csrf)

    def session(self, cookie: str, *, now: datetime) -> BrowserSession | None:
        with Session(self.engine) as session:
            found = session.exec(
                select(SessionRow, UserRow)
                .join(UserRow, col(UserRow.name) == col(SessionRow.user_name))
                .where(SessionRow.id_sha256 == digest(cookie), col(UserRow.active))
            ).first()
            if found is None:
                return None
            row, user = found
            if row.expires_at <= now:  # datetimes come back aware (UTC), SQLite too
                return None
            return BrowserSession(User(user.name, Role(user.role)), row.csrf_token)

    def close_session(self, cookie: str) -> None:
        def work(session: Session) -> None:
            session.execute(delete(SessionRow).where(col(SessionRow.id_sha256) == digest(cookie)))

        unit_of_work(self.engine, work)
