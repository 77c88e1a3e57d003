"""The portal while its database is unreachable, on SQLite (the data folder gone from under a
running portal) and on a real PostgreSQL server (reached through a forwarder the test switches
off): every route answers 503, JSON for the API and a page otherwise, the sign-in and token
lookups included; ``/healthz`` says the database is unreachable; the log gets one line per
request and no traceback; and all of it works again once the database is back."""

from __future__ import annotations

import contextlib
import logging
import re
import socket
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from dtia.config import Settings
from dtia.engine import assess
from dtia.intake import load_intake
from dtia.portal.accounts import Accounts, Role
from dtia.portal.app import UNAVAILABLE, create_app
from dtia.portal.links import Links
from dtia.register import Register
from tests.support import EXAMPLES

NOW = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
BIZFLY = "bizfly-support-desk-us"


class Forwarder:
    """A TCP forwarder on loopback to the PostgreSQL server. Switched off, its port is closed
    and every connection through it dropped: the database is unreachable for real."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = 0
        self._stop = threading.Event()
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self.start()

    def start(self) -> None:
        self._stop.clear()
        listener = socket.create_server(("127.0.0.1", self.port))
        listener.settimeout(0.1)
        self.port = listener.getsockname()[1]
        accept = threading.Thread(target=self._accept, args=(listener,), daemon=True)
        self._threads = [accept]
        accept.start()

    def _accept(self, listener: socket.socket) -> None:
        with listener:
            while not self._stop.is_set():
                try:
                    client, _ = listener.accept()
                except TimeoutError:
                    continue
                upstream = socket.create_connection(self.target)
                with self._lock:
                    self._sockets += [client, upstream]
                for a, b in ((client, upstream), (upstream, client)):
                    pipe = threading.Thread(target=self._pipe, args=(a, b), daemon=True)
                    self._threads.append(pipe)
                    pipe.start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass  # the other side, or stop(), closed it
        finally:
            for s in (source, sink):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def stop(self) -> None:
        self._stop.set()
        with self._lock:
            for s in self._sockets:
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
        for t in self._threads:
            t.join(timeout=10)
        with self._lock:
            for s in self._sockets:
                s.close()
            self._sockets = []


class Outage:
    """A portal with a legal user signed in, and a switch for its database."""

    def __init__(self, settings: Settings, off: Callable[[], None], on: Callable[[], None]) -> None:
        self.off, self.on = off, on
        register = Register(settings)
        loaded = load_intake(EXAMPLES / "bizfly-cloud-support-desk" / "intake.yaml")
        register.save(loaded, assess(loaded, NOW.date()), actor="seed")
        register.engine.dispose()
        self.app = create_app(settings, clock=lambda: NOW)
        self.register: Register = self.app.state.register
        self.token = Accounts(self.register.engine).add("legal-user", Role.legal)
        self.link = Links(self.register).issue(BIZFLY, "helpdesk-us", actor="legal-user", now=NOW)
        self.browser = TestClient(self.app, base_url="https://testserver", follow_redirects=False)
        login = self.browser.get("/login")
        found = re.search(r'name="login_csrf" value="([^"]+)"', login.text)
        assert found
        r = self.browser.post("/login", data={"token": self.token, "login_csrf": found[1]})
        assert r.status_code == 303
        page = self.browser.get("/")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert csrf
        self.csrf = csrf[1]

    def api(self) -> TestClient:
        return TestClient(
            self.app,
            base_url="https://testserver",
            headers={"Authorization": f"Bearer {self.token}"},
        )


@pytest.fixture(params=["sqlite", "postgresql"])
def outage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Outage]:
    if request.param == "sqlite":
        data = tmp_path / "data"
        away = tmp_path / "away"
        holder: dict[str, Outage] = {}

        def off() -> None:
            # the folder moved away and a file in its place: SQLite cannot open the database
            holder["o"].register.engine.dispose()
            data.rename(away)
            data.write_text("not a folder")

        def on() -> None:
            data.unlink()
            away.rename(data)

        o = Outage(Settings(data_dir=data), off, on)
        holder["o"] = o
        yield o
        o.register.engine.dispose()
        return
    url: str = request.getfixturevalue("pg_url")
    host_port = url.split("@", 1)[1].split("/", 1)[0]
    host, _, port = host_port.rpartition(":")
    forwarder = Forwarder((host, int(port)))
    proxied = url.replace(f"@{host_port}/", f"@127.0.0.1:{forwarder.port}/")
    o = Outage(
        Settings(data_dir=tmp_path / "data", database_url=proxied),
        forwarder.stop,
        forwarder.start,
    )
    try:
        yield o
    finally:
        o.register.engine.dispose()
        forwarder.stop()


def test_an_unreachable_database_gives_503s_not_tracebacks(
    outage: Outage, caplog: pytest.LogCaptureFixture
) -> None:
    api = outage.api()
    health = api.get("/healthz")
    assert health.status_code == 200
    assert health.json()["status"] == "ok" and health.json()["database"] == "ok"
    assert api.get("/api/transfers").status_code == 200

    outage.off()
    caplog.clear()
    caplog.set_level(logging.INFO)

    health = api.get("/healthz")
    assert health.status_code == 503
    assert health.json()["status"] == "degraded"
    assert health.json()["database"] == "unreachable"

    # the API: the bearer token's lookup is the first database access, then the route's own
    for method, path, body in [
        ("GET", "/api/transfers", None),
        ("GET", f"/api/transfers/{BIZFLY}", None),
        ("GET", "/api/deadlines", None),
        ("POST", f"/api/transfers/{BIZFLY}/approvals", {}),
    ]:
        r = api.request(method, path, json=body)
        assert r.status_code == 503, (path, r.status_code, r.text)
        assert r.headers["content-type"] == "application/json"
        assert r.json() == {"detail": UNAVAILABLE}

    # pages: the session cookie's lookup, the sign-in form, the recipient's link
    b = outage.browser
    for method, path, data in [
        ("GET", "/", None),
        ("GET", f"/transfers/{BIZFLY}", None),
        ("POST", f"/transfers/{BIZFLY}/approve", {"csrf_token": outage.csrf}),
        ("GET", f"/q/{outage.link}", None),
    ]:
        r = b.request(method, path, data=data)
        assert r.status_code == 503, (path, r.status_code, r.text[:200])
        assert r.headers["content-type"].startswith("text/html")
        assert UNAVAILABLE in r.text
    # signing in looks the token up
    fresh = TestClient(outage.app, base_url="https://testserver", follow_redirects=False)
    form = fresh.get("/login")
    login_csrf = re.search(r'name="login_csrf" value="([^"]+)"', form.text)
    assert form.status_code == 200 and login_csrf
    r = fresh.post("/login", data={"token": outage.token, "login_csrf": login_csrf[1]})
    assert r.status_code == 503 and UNAVAILABLE in r.text
    assert "dtia_session" not in r.headers.get("set-cookie", "")

    assert all(r.exc_info is None for r in caplog.records), "a traceback was logged"
    assert "Traceback" not in caplog.text
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("dtia")]
    assert len([m for m in ours if "database unavailable" in m]) == 10  # one per request
    assert not [m for m in ours if outage.token in m or outage.link in m]

    outage.on()
    assert api.get("/healthz").status_code == 200
    assert api.get("/api/transfers").status_code == 200
    assert b.get("/").status_code == 200
