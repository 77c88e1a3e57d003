"""The portal's server on loopback against slow and too many clients: `dtia portal` in a
process of its own, a burst of connections that send part of a request and then nothing.
Each is cut off after its deadline with a 408 (or refused with a 503 past the connection
cap), each with one log line and no traceback, while the portal goes on answering."""

from __future__ import annotations

import asyncio
import os
import re
import resource
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from uvicorn.server import ServerState

from dtia.portal.server import Limits, protocol_class

BIN = Path(sys.executable).parent
SLOW_HEADERS = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slow"
SLOW_BODY = (
    b"POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 4000\r\n\r\ntoken=ab"
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Running:
    url: str
    port: int
    log: Path
    process: subprocess.Popen[bytes]

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def _start(tmp_path: Path, *args: str, files: int | None = None) -> Iterator[Running]:
    port = _free_port()
    env = {
        **os.environ,
        "DTIA_DATA_DIR": str(tmp_path / "data"),
        "DO_NOT_TRACK": "1",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    }
    env.pop("DTIA_DATABASE_URL", None)

    def limit_files() -> None:
        if files is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (files, files))

    log = tmp_path / "portal.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(BIN / "dtia"), "portal", "--port", str(port), *args],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=limit_files,
        )
    running = Running(f"http://127.0.0.1:{port}", port, log, process)
    try:
        deadline = time.monotonic() + 90
        while True:
            assert process.poll() is None, running.text()
            try:
                with urllib.request.urlopen(f"{running.url}/healthz", timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, "the portal did not come up:\n" + running.text()
            time.sleep(0.5)
        yield running
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _open(port: int, count: int, request: bytes) -> list[socket.socket]:
    sockets = []
    for _ in range(count):
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.sendall(request)
        sockets.append(s)
    return sockets


def _answer(s: socket.socket, seconds: float) -> bytes:
    """What the server sends before it closes the connection ("reset" when it resets it);
    fails if the connection is still open after ``seconds``."""
    s.settimeout(seconds)
    got = b""
    try:
        while chunk := s.recv(4096):
            got += chunk
    except ConnectionResetError:
        return got or b"reset"
    except TimeoutError:
        raise AssertionError(f"still open after {seconds} s; received {got!r}") from None
    finally:
        s.close()
    return got


def _healthy(url: str) -> bool:
    with urllib.request.urlopen(f"{url}/healthz", timeout=10) as r:
        return r.status == 200 and b'"database":"ok"' in r.read()


@pytest.fixture
def portal(tmp_path: Path) -> Iterator[Running]:
    yield from _start(tmp_path, "--header-timeout", "2", "--body-timeout", "2")


def test_slow_headers_and_bodies_are_cut_off_while_the_portal_answers(portal: Running) -> None:
    slow = _open(portal.port, 150, SLOW_HEADERS) + _open(portal.port, 50, SLOW_BODY)
    try:
        # the burst is open: a normal request is answered all the same
        assert _healthy(portal.url)
        answers = [_answer(s, 60) for s in slow]
    finally:
        for s in slow:
            s.close()
    assert all(a.startswith(b"HTTP/1.1 408 ") for a in answers), {a[:40] for a in answers}
    assert _healthy(portal.url)

    log = portal.text()
    assert "Traceback" not in log and "Exception in ASGI" not in log, log[-3000:]
    assert len(re.findall(r"closed, request headers not complete within 2 s", log)) == 150
    assert len(re.findall(r"closed, request body still incomplete after \d+ s", log)) == 50
    # nothing else about those connections: no request line for a body that never came
    assert "POST /login" not in log


def test_connections_past_the_open_file_limit_are_refused_one_line_each(
    tmp_path: Path,
) -> None:
    # 256 open files for the portal, 300 connections at once: before the cap, accept() ran out
    # of file descriptors and asyncio logged a traceback for each attempt
    started = _start(tmp_path, "--header-timeout", "3", files=256)
    running = next(started)
    try:
        cap = re.search(r"at most (\d+) connections", running.text())
        assert cap and int(cap[1]) < 256 // 2, running.text()
        slow = _open(running.port, 300, SLOW_HEADERS)
        answers = [_answer(s, 60) for s in slow]
        refused = [a for a in answers if a.startswith(b"HTTP/1.1 503 ") or a == b"reset"]
        timed_out = [a for a in answers if a.startswith(b"HTTP/1.1 408 ")]
        assert len(refused) + len(timed_out) == 300, {a[:40] for a in answers}
        # the first ones are held until their deadline, the rest refused at once
        assert timed_out and refused
        # once the slow ones are gone, the portal answers again
        assert _healthy(running.url)
    finally:
        next(started, None)  # stops the portal
    log = running.text()
    assert "Traceback" not in log, log[-3000:]
    lines = log.splitlines()
    refused_lines = [line for line in lines if re.search(r": refused, \d+ connections open", line)]
    closed_lines = [line for line in lines if "closed, request headers not complete" in line]
    assert len(closed_lines) == len(timed_out)
    assert len(refused_lines) == len(refused)


def test_a_body_that_keeps_coming_gets_more_time_than_the_body_timeout(portal: Running) -> None:
    # 4,000 bytes over about 3 s: past the 2-s body timeout, but each KiB buys a second more
    form = b"token=" + b"x" * 3994
    head = (
        b"POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 4000\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", portal.port), timeout=10) as s:
        s.sendall(head)
        for i in range(0, len(form), 400):
            s.sendall(form[i : i + 400])
            time.sleep(0.3)
        answer = _answer(s, 30)
    # the whole form arrived: the sign-in answers it (no sign-in form cookie: 403)
    assert answer.startswith(b"HTTP/1.1 403 "), answer[:200]
    assert "closed, request body" not in portal.text()


class _Transport(asyncio.Transport):
    """Enough of a socket transport for the protocol: what it writes, whether it reads."""

    def __init__(self) -> None:
        super().__init__()
        self.written = b""
        self.closing = False
        self.reading = True

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return default

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written += bytes(data)

    def close(self) -> None:
        self.closing = True

    def is_closing(self) -> bool:
        return self.closing

    def pause_reading(self) -> None:
        self.reading = False

    def resume_reading(self) -> None:
        self.reading = True


def test_time_the_portal_spends_behind_a_body_is_not_the_clients() -> None:
    # an application that reads its body only after a second: the client, which sent half of
    # it at once and the rest as soon as the portal read again, was never the slow one
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await asyncio.sleep(1.0)
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return
            size += len(message.get("body", b""))
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": str(size).encode()})

    async def scenario() -> bytes:
        limits = Limits(header_timeout=5, body_timeout=0.3, min_body_rate=10**9)
        config = uvicorn.Config(
            app, http=protocol_class(limits), ws="none", lifespan="off", access_log=False
        )
        config.load()
        protocol = config.http_protocol_class(  # type: ignore[call-arg]
            config=config, server_state=ServerState(), app_state={}
        )
        transport = _Transport()
        protocol.connection_made(transport)
        half = 100_000
        protocol.data_received(
            b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % (2 * half)
            + b"a" * half
        )
        assert not transport.reading  # more than the buffer holds: the portal stops reading
        deadline = time.monotonic() + 10
        while not transport.reading:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)
        protocol.data_received(b"b" * half)
        while not transport.closing and b"\r\n\r\n" not in transport.written:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.1)
        protocol.connection_lost(None)
        return transport.written

    written = asyncio.run(scenario())
    assert written.startswith(b"HTTP/1.1 200 "), written[:200]
    assert b"\r\n200000\r\n" in written  # the whole body reached the application
