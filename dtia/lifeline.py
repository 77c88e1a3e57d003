"""Helper processes that end when the process that started them ends, even by SIGKILL.

Two cases, two means:

- children we start ourselves and run our code (the dossier render workers) watch their
  parent from a thread (``watch_parent``, a pool initializer) and exit once it has gone;
- children started by code we do not control (the server Prefect's ephemeral mode spawns)
  are ``adopt``-ed by a small guard process (``python -m dtia.lifeline``) that reads a pipe
  only this process writes: the pipe ends when this process does, however it ends, and the
  guard then stops what it adopted (SIGTERM, SIGKILL after a grace period).

Linux's parent-death signal (PR_SET_PDEATHSIG) is not used: it fires when the *thread* that
started the child ends, and pools and servers are started from whichever thread first needs
them, sometimes a short-lived one.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import select
import signal
import subprocess
import sys
import threading
import time
from typing import IO

POLL_SECONDS = 0.25
GRACE_SECONDS = 5.0


def watch_parent(parent_pid: int) -> None:
    """In a child process: exit as soon as ``parent_pid`` is no longer our parent (it ended
    and we were handed to another). Checked at once, so a parent gone before the child got
    here is noticed too."""

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(POLL_SECONDS)
        os._exit(1)  # nobody is left to use what this process would produce

    threading.Thread(target=watch, name="watch-parent", daemon=True).start()


class _Guard:
    """The guard process of this process, started on first use."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._owner = 0  # the pid that started it: a forked child starts its own
        self._at_exit = False

    def _running(self) -> bool:
        return (
            self._process is not None
            and self._owner == os.getpid()
            and self._process.poll() is None
        )

    def send(self, line: str, *, start: bool) -> None:
        with self._lock:
            if not self._running():
                if not start:
                    return
                self._process = subprocess.Popen(
                    [sys.executable, "-m", "dtia.lifeline"],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    # its own session: a Ctrl-C meant for us does not stop it before its work
                    start_new_session=True,
                )
                self._owner = os.getpid()
                if not self._at_exit:
                    atexit.register(self.close)
                    self._at_exit = True
            assert self._process is not None and self._process.stdin is not None
            self._process.stdin.write(line.encode("ascii") + b"\n")
            self._process.stdin.flush()

    def process(self) -> subprocess.Popen[bytes] | None:
        with self._lock:
            return self._process if self._running() else None

    def close(self) -> None:
        """At a normal exit: the guard stops what is still adopted, and ends."""
        with self._lock:
            if self._process is None or self._owner != os.getpid():
                return
            with contextlib.suppress(OSError):
                if self._process.stdin is not None:
                    self._process.stdin.close()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._process.wait(timeout=GRACE_SECONDS + 5)
            self._process = None


_guard = _Guard()


def adopt(pid: int) -> None:
    """Have process ``pid`` stopped when this process ends, unless ``disown``-ed first."""
    _guard.send(f"+{pid}", start=True)


def guard_pids() -> list[int]:
    """The guard process of this process, if one runs (benchmarks leave it out of memory)."""
    process = _guard.process()
    return [process.pid] if process is not None else []


def disown(pid: int) -> None:
    """``pid`` was stopped (or handed over) by us: the guard forgets it."""
    with contextlib.suppress(OSError):  # a guard that has gone has nothing to forget
        _guard.send(f"-{pid}", start=False)


# --- the guard process ---------------------------------------------------------------------


def _open(pid: int) -> int | None:
    """A handle on that very process (Linux pidfd), immune to its pid being reused later."""
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):
        return None


def _alive(pid: int, handle: int | None) -> bool:
    if handle is not None:  # readable once the process has ended (zombie or reaped)
        return not select.select([handle], [], [], 0)[0]
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _signal(pid: int, handle: int | None, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if handle is not None:
            signal.pidfd_send_signal(handle, signum)
        else:
            os.kill(pid, signum)


def _stop_all(charges: dict[int, int | None]) -> None:
    for pid, handle in charges.items():
        _signal(pid, handle, signal.SIGTERM)
    deadline = time.monotonic() + GRACE_SECONDS
    while time.monotonic() < deadline and any(_alive(p, h) for p, h in charges.items()):
        time.sleep(0.05)
    for pid, handle in charges.items():
        if _alive(pid, handle):
            _signal(pid, handle, signal.SIGKILL)


def _serve(pipe: IO[bytes]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    charges: dict[int, int | None] = {}
    for raw in pipe:  # ends when the parent has gone, whatever killed it
        line = raw.strip().decode("ascii", errors="replace")
        if not line[1:].isdecimal():
            continue
        pid = int(line[1:])
        if line[0] == "+" and pid not in charges:
            charges[pid] = _open(pid)
        elif line[0] == "-" and pid in charges:
            handle = charges.pop(pid)
            if handle is not None:
                os.close(handle)
    _stop_all(charges)


if __name__ == "__main__":
    _serve(sys.stdin.buffer)
