"""Engines, migrations and units of work with retries on write conflicts."""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from typing import TypeVar

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from sqlmodel import Session

from dtia.config import Settings
from dtia.errors import DtiaError

T = TypeVar("T")

# The execution option that makes make_engine's SQLite connections begin with BEGIN IMMEDIATE.
WRITER_OPTION = "dtia_writer"


class StoreError(DtiaError):
    """The register cannot be reached, migrated or written."""


class NotFound(StoreError):
    """No such transfer, version, dossier or run in the register."""


class DatabaseError(StoreError):
    """The database failed or refused a write for a reason of its own (not the caller's)."""


class ConflictError(StoreError):
    """Another writer changed the same record first (retried by ``unit_of_work``)."""


def make_engine(settings: Settings | None = None, url: str | None = None) -> Engine:
    settings = settings or Settings()
    url = url or settings.url()
    if url.startswith("sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            # pysqlite would otherwise open a transaction only at the first write, so a
            # unit of work's guard would read before the writer lock is held; dtia emits
            # its own BEGIN (below) instead.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn):  # type: ignore[no-untyped-def]
            # A writer takes SQLite's write lock before its first read (BEGIN IMMEDIATE), as
            # the advisory lock does on PostgreSQL; readers keep WAL's non-blocking snapshot.
            write = conn.get_execution_options().get(WRITER_OPTION, False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

        return engine
    # A server that drops packets must fail a request (and /healthz) in seconds, not hang it.
    connect_args = {"connect_timeout": 10} if url.startswith("postgresql") else {}
    return create_engine(url, pool_pre_ping=True, connect_args=connect_args)


def _alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option(
        "script_location", str(resources.files("dtia.store").joinpath("migrations"))
    )
    return cfg


def head_revision() -> str | None:
    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine) -> str | None:
    """Bring the schema to the newest migration; returns the revision now in place."""
    cfg = _alembic_config()
    try:
        # as a writer: two processes migrating a new SQLite file at once take turns
        with engine.connect() as conn, conn.execution_options(**{WRITER_OPTION: True}).begin():
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    except OperationalError as exc:
        raise StoreError(f"cannot migrate the database: {exc.orig}") from None
    return current_revision(engine)


def ensure_schema(engine: Engine) -> None:
    """Migrate on first use, so a new data folder works without `dtia db upgrade`."""
    try:
        if current_revision(engine) != head_revision():
            upgrade(engine)
    except OperationalError as exc:
        raise StoreError(f"cannot open the database: {exc.orig}") from None


# Register writes are few and small; running them one at a time keeps the audit chain and the
# version numbers simple. PostgreSQL: a transaction-scoped advisory lock. SQLite: BEGIN
# IMMEDIATE (a busy writer makes the others wait, or retry on "database is locked").
WRITE_LOCK_KEY = 0x64746961  # "dtia"


def _serialize_writers(session: Session) -> None:
    """Hold the register's write lock from the start of the unit of work, so every guard
    reads what no other writer can change before this one commits."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": WRITE_LOCK_KEY})
    else:
        # The session's first connection opens the transaction: BEGIN IMMEDIATE on SQLite.
        session.connection(execution_options={WRITER_OPTION: True})


def _is_unique_violation(exc: IntegrityError) -> bool:
    """Two writers inserting the same key: a conflict worth retrying, unlike a broken reference."""
    if getattr(exc.orig, "sqlstate", None) == "23505":  # PostgreSQL unique_violation
        return True
    return "unique constraint" in str(exc.orig).lower()


def unit_of_work(engine: Engine, work: Callable[[Session], T], *, attempts: int = 8) -> T:
    """Run ``work`` in one transaction; on a write conflict, roll back and run it again."""
    last: Exception | None = None
    for _ in range(attempts):
        with Session(engine) as session:
            try:
                _serialize_writers(session)
                result = work(session)
                session.commit()
                return result
            except ConflictError as exc:
                session.rollback()
                last = exc
            except IntegrityError as exc:
                session.rollback()
                if not _is_unique_violation(exc):
                    raise DatabaseError(f"the register refused the write: {exc.orig}") from None
                last = exc
            except DataError as exc:  # a value the database cannot hold: its reason only,
                session.rollback()  # never the statement or its parameters
                reason = str(exc.orig).splitlines()[0] if exc.orig else "invalid value"
                raise DatabaseError(f"the register refused a value: {reason}") from None
            except OperationalError as exc:
                session.rollback()
                message = str(exc.orig).lower()
                if (
                    "locked" not in message
                    and "serializ" not in message
                    and "deadlock" not in message
                ):
                    raise DatabaseError(f"database error: {exc.orig}") from None
                last = exc
    raise DatabaseError(f"gave up after {attempts} conflicting attempts: {last}")
