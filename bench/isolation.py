"""A benchmark's settings are its own, whatever the environment says.

A team keeps its register (DTIA_DATABASE_URL, DTIA_DATA_DIR) and its Prefect server and
database (PREFECT_API_URL, PREFECT_SERVER_DATABASE_CONNECTION_URL, a profile under
PREFECT_HOME, ...) in the environment, as the README tells it to. A benchmark builds
synthetic registers and Prefect state of its own; any of those variables left in place would
make one of its runs (the flow, the plain loop, a render worker, which inherits the
environment, or its Prefect server) read or write the team's instead.
"""

from __future__ import annotations

import os


def own_environment(**settings: str) -> None:
    """Drop every DTIA_ and PREFECT_ variable from this process's environment, and so from
    every process it starts, then set ``settings``. Call before anything reads settings."""
    for key in [k for k in os.environ if k.startswith(("DTIA_", "PREFECT_"))]:
        del os.environ[key]
    os.environ.update(settings)
