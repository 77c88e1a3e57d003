"""The portal's HTTP server: uvicorn's h11 protocol with read deadlines and a connection cap.

uvicorn closes idle keep-alive connections, but once a client has sent the first byte of a
request it waits for the rest of the headers, and for the body, as long as the client likes.
A few hundred such slow connections hold as many sockets, and past the process's file limit
every accept fails (and asyncio logs a traceback for each). So, per connection:

- the request line and headers must be complete within ``header_timeout`` seconds of the
  request's start (the connection's opening, or the end of the previous response);
- the body gets ``body_timeout`` seconds plus one second for every ``min_body_rate`` bytes
  received, counted only while the portal is waiting for the client (not while the
  application is behind and reading is paused);
- at most ``max_connections`` are open at once (kept well below the file limit); another one
  is answered 503 and closed at once.

A connection closed for either reason gets a 408 or 503 and one log line, never a traceback.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import resource
from dataclasses import dataclass, replace
from typing import Any, ClassVar, Literal

import h11
import uvicorn
from uvicorn.protocols.http.flow_control import FlowControl
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.utils import get_remote_addr

log = logging.getLogger("dtia.portal.server")

# File descriptors kept for everything but client sockets: the listener, database
# connections, log files, the Prefect client.
RESERVED_FILES = 64
# Open files per connection the portal keeps: its socket, an upload spooled to a temporary
# file, and room for the connections asyncio accepts in a burst before the portal gets to
# refuse them (a batch of up to ``backlog``, i.e. ``max_connections``, per wake-up).
FILES_PER_CONNECTION = 4


@dataclass(frozen=True)
class Limits:
    header_timeout: float = 15.0
    body_timeout: float = 30.0
    min_body_rate: int = 1024  # bytes per second, on average, after the first body_timeout
    max_connections: int = 500

    def within_file_limit(self) -> Limits:
        """The same limits with ``max_connections`` lowered to what the process's open-file
        limit allows."""
        soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft == resource.RLIM_INFINITY:
            return self
        room = max(1, (soft - RESERVED_FILES) // FILES_PER_CONNECTION)
        return replace(self, max_connections=min(self.max_connections, room))


def raise_file_limit(ceiling: int = 65536) -> None:
    """Raise the soft open-file limit towards the hard one (as Go's runtime does): the soft
    default of 1024 is the one a connection flood hits first."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = ceiling if hard == resource.RLIM_INFINITY else min(hard, ceiling)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


def _response(status: int, reason: str, text: str) -> bytes:
    body = text.encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\n"
        "content-type: text/plain; charset=utf-8\r\n"
        f"content-length: {len(body)}\r\n"
        "connection: close\r\n"
    )
    if status == 503:
        head += "retry-after: 5\r\n"
    return head.encode() + b"\r\n" + body


BUSY = _response(503, "Service Unavailable", "the portal is busy; try again in a moment\n")
TIMEOUT = _response(408, "Request Timeout", "the request did not arrive in time\n")


class _TimedFlow(FlowControl):
    """uvicorn's flow control, telling the protocol when reading pauses and resumes: while
    the application is behind, the client is not the one being slow."""

    def __init__(self, transport: asyncio.Transport, protocol: GuardedH11Protocol) -> None:
        super().__init__(transport)
        self._protocol = protocol

    def pause_reading(self) -> None:
        if not self.read_paused:
            self._protocol._reading_paused()
        super().pause_reading()

    def resume_reading(self) -> None:
        was_paused = self.read_paused
        super().resume_reading()
        if was_paused:
            self._protocol._reading_resumed()


class GuardedH11Protocol(H11Protocol):
    limits: ClassVar[Limits] = Limits()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._refused = False
        self._phase: Literal["headers", "body"] | None = None
        self._deadline: asyncio.TimerHandle | None = None
        self._body_start = 0.0
        self._body_bytes = 0
        self._paused_at: float | None = None

    # --- asyncio.Protocol ------------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        if len(self.connections) >= self.limits.max_connections:
            self._refused = True
            self.transport = transport
            log.warning(
                "%s: refused, %d connections open already (the most the portal keeps)",
                _peer(transport),
                len(self.connections),
            )
            transport.write(BUSY)
            transport.close()
            return
        super().connection_made(transport)
        self.flow = _TimedFlow(transport, self)
        self._follow()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel()
        if self._refused:
            return
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        in_body = self._phase == "body"
        super().data_received(data)
        if in_body:
            self._body_bytes += len(data)
        self._follow()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._follow()  # the next request on this connection starts now

    # --- deadlines -------------------------------------------------------------------------

    def _follow(self) -> None:
        """Arm the deadline that fits what the connection waits for from the client."""
        if self.transport.is_closing():
            self._cancel()
            return
        state = self.conn.their_state
        if state is h11.IDLE:
            if self._phase != "headers":
                self._phase = "headers"
                self._arm(self.loop.time() + self.limits.header_timeout)
        elif state is h11.SEND_BODY:
            if self._phase != "body":
                self._phase = "body"
                self._body_start = self.loop.time()
                self._body_bytes = 0
                # the first chunk may have filled the buffer already (reading paused)
                self._paused_at = self._body_start if self.flow.read_paused else None
            self._arm_body()
        else:  # the whole request is in (or the connection is done): nothing to wait for
            self._phase = None
            self._cancel()

    def _arm_body(self) -> None:
        if self._paused_at is not None:
            self._cancel()
            return
        limits = self.limits
        allowed = limits.body_timeout + self._body_bytes / limits.min_body_rate
        self._arm(self._body_start + allowed)

    def _reading_paused(self) -> None:
        if self._phase == "body" and self._paused_at is None:
            self._paused_at = self.loop.time()
            self._cancel()

    def _reading_resumed(self) -> None:
        if self._phase == "body" and self._paused_at is not None:
            self._body_start += self.loop.time() - self._paused_at
            self._paused_at = None
            if not self.transport.is_closing():
                self._arm_body()

    def _arm(self, when: float) -> None:
        self._cancel()
        self._deadline = self.loop.call_at(when, self._expired)

    def _cancel(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expired(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        if self._phase == "headers":
            why = f"request headers not complete within {self.limits.header_timeout:g} s"
            started = False  # a response belongs to an earlier request, if any
        else:
            spent = self.loop.time() - self._body_start
            why = f"request body still incomplete after {spent:.0f} s"
            started = self.cycle is not None and self.cycle.response_started
        log.warning("%s: closed, %s", _peer(self.transport), why)
        if not started:
            self.transport.write(TIMEOUT)
        if self.cycle is not None and not self.cycle.response_complete:
            # the application still reading sees the client gone (http.disconnect)
            self.cycle.disconnected = True
            self.cycle.message_event.set()
        self.transport.close()


def _peer(transport: asyncio.Transport) -> str:
    addr = get_remote_addr(transport)
    return f"{addr[0]}:{addr[1]}" if addr else "a client"


def protocol_class(limits: Limits) -> type[GuardedH11Protocol]:
    class PortalProtocol(GuardedH11Protocol):
        pass

    PortalProtocol.limits = limits
    return PortalProtocol


_OUT_OF_FILES = {errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM}


class _LoopErrors:
    """asyncio logs a traceback for every accept that fails for want of file descriptors,
    and tries again at once, many times in a burst (the waiting connections stay queued and
    are accepted later): one line a second says the same."""

    def __init__(self) -> None:
        self.last = -1.0
        self.quiet = 0

    def __call__(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        if not (isinstance(exc, OSError) and exc.errno in _OUT_OF_FILES):
            loop.default_exception_handler(context)
            return
        now = loop.time()
        if now - self.last < 1.0:
            self.quiet += 1
            return
        more = f"; {self.quiet} more times since the last line" if self.quiet else ""
        log.warning("cannot accept connections for now: %s%s", exc.strerror, more)
        self.last, self.quiet = now, 0


def serve(app: Any, *, host: str, port: int, limits: Limits) -> None:
    """Serve ``app`` until interrupted."""
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        http=protocol_class(limits),
        ws="none",  # the portal has no websockets: no upgrade escapes the deadlines
        # asyncio accepts up to ``backlog`` connections at a time before any is refused:
        # no more than the portal keeps, so a burst stays within the open-file limit
        backlog=limits.max_connections,
        # uvicorn's own access log would print questionnaire tokens: the app logs
        # redacted paths
        access_log=False,
        log_level="warning",
    )
    server = uvicorn.Server(config)

    async def main() -> None:
        asyncio.get_running_loop().set_exception_handler(_LoopErrors())
        await server.serve()

    asyncio.run(main())
