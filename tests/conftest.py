"""Shared fixtures. Prefect is started once per session, and only when a test needs it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

# Before anything imports Prefect: no telemetry, state inside the project, a patient start.
ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_HOME", str(ROOT / ".prefect"))
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")

EXAMPLES = ROOT / "examples"
AS_OF = date(2026, 11, 22)


@pytest.fixture(scope="session")
def prefect_api() -> Iterator[str]:
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    # Heartbeats cost about a second per flow run; crash detection is not under test here.
    with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        if os.environ.get("PREFECT_API_URL"):
            yield os.environ["PREFECT_API_URL"]
        else:
            from prefect.testing.utilities import prefect_test_harness  # slow import: lazy

            with prefect_test_harness(server_startup_timeout=120):
                from prefect.settings import PREFECT_API_URL

                yield str(PREFECT_API_URL.value())


@pytest.fixture(autouse=True)
def _prefect_if_marked(request: pytest.FixtureRequest) -> None:
    if request.node.get_closest_marker("prefect"):
        request.getfixturevalue("prefect_api")
