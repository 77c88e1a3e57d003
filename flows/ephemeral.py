"""The Prefect server of ephemeral mode, made to end with the process that started it.

Without a Prefect API configured, the first flow run of a process starts a temporary server
(a uvicorn subprocess) and stops it at a normal exit only: a ``dtia run`` killed with SIGKILL
left it serving. Prefect asks ``SubprocessASGIServer()`` for that server, which returns the
instance registered under the port ``None`` (its test harness registers its own the same
way); registering a subclass there first puts each server process it starts in the care of
``dtia.lifeline``'s guard.
"""

from __future__ import annotations

import subprocess
from typing import Any


def guard_ephemeral_server() -> None:
    """Call before the first flow run of a process; does nothing when a Prefect API is
    configured (no server is started then) or a default server is already registered."""
    from prefect.settings import PREFECT_API_URL, PREFECT_SERVER_EPHEMERAL_ENABLED

    if PREFECT_API_URL.value() or not PREFECT_SERVER_EPHEMERAL_ENABLED.value():
        return
    from prefect.server.api.server import SubprocessASGIServer

    from dtia import lifeline

    class GuardedServer(SubprocessASGIServer):
        def _run_uvicorn_command(self) -> subprocess.Popen[Any]:
            if self.server_process is not None:  # a retry on another port: that one exited
                lifeline.disown(self.server_process.pid)
            process = super()._run_uvicorn_command()
            lifeline.adopt(process.pid)
            return process

        def stop(self) -> None:
            process = self.server_process
            super().stop()
            if process is not None:
                lifeline.disown(process.pid)

    if None not in SubprocessASGIServer._instances:
        GuardedServer()  # registers itself as the default instance
