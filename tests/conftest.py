"""Shared fixtures. Prefect is started once per session, and only when a test needs it."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

ROOT = Path(__file__).resolve().parent.parent

# The suite's settings are what the tests pass, never leftovers of the shell it runs in: a
# developer's register (DTIA_DATABASE_URL, DTIA_DATA_DIR) or Prefect server and database
# (PREFECT_API_URL, PREFECT_SERVER_DATABASE_CONNECTION_URL, a profile) would otherwise reach
# every flow, CLI and portal the tests start, in this process or in the ones it spawns. Only
# the DTIA_TEST_ variables, which are meant for the tests, are kept.
for _key in [k for k in os.environ if k.startswith(("DTIA_", "PREFECT_"))]:
    if not _key.startswith("DTIA_TEST_"):
        del os.environ[_key]
# Before anything imports Prefect: no telemetry, state inside the project, a patient start.
os.environ.update(
    {
        "DO_NOT_TRACK": "1",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_HOME": str(ROOT / ".prefect"),
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
    }
)

EXAMPLES = ROOT / "tests" / "shared_examples"
AS_OF = date(2026, 11, 22)


@pytest.fixture(scope="session")
def prefect_api() -> Iterator[str]:
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    # Heartbeats cost about a second per flow run; crash detection is not under test here.
    with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        if url := os.environ.get("DTIA_TEST_PREFECT_API_URL"):  # a server CI started
            from prefect.settings import PREFECT_API_URL

            with temporary_settings({PREFECT_API_URL: url}):
                yield url
        else:
            from prefect.testing.utilities import prefect_test_harness  # slow import: lazy

            with prefect_test_harness(server_startup_timeout=120):
                from prefect.settings import PREFECT_API_URL

                yield str(PREFECT_API_URL.value())


@pytest.fixture(autouse=True)
def _prefect_if_marked(request: pytest.FixtureRequest) -> None:
    if request.node.get_closest_marker("prefect"):
        request.getfixturevalue("prefect_api")


# --- databases: SQLite, and a real PostgreSQL server when one is reachable -------------

PG_BASE = os.environ.get(
    "DTIA_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def _pg_url() -> Iterator[str]:
    admin = create_engine(PG_BASE, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            name = f"dtia_test_{uuid.uuid4().hex[:10]}"
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        admin.dispose()
        pytest.skip(
            f"no PostgreSQL server reachable at {PG_BASE.split('@')[-1]} ({exc.orig}); "
            "set DTIA_TEST_POSTGRES_URL to test against one"
        )
    url = PG_BASE.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'dtia.db'}"
    else:
        yield from _pg_url()


@pytest.fixture
def pg_url() -> Iterator[str]:
    yield from _pg_url()
