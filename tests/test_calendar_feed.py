"""The iCalendar feed of open statutory deadlines (/api/deadlines.ics), read back with the
icalendar parser: one all-day event per open deadline, named in Vietnamese, and reachable
with an API token or the read-only feed token a calendar app subscribes with."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from icalendar import Calendar

from dtia.config import Settings
from dtia.engine import assess
from dtia.intake import load_intake
from dtia.portal.accounts import Accounts, Role
from dtia.portal.app import create_app
from dtia.portal.feeds import Feeds
from dtia.register import Register
from tests.support import EXAMPLES

NOW = datetime(2026, 8, 1, 3, 0, tzinfo=UTC)  # 10:00 in Hanoi
PORTAL = "https://dtia.example.vn"


@pytest.fixture
def portal(tmp_path: Path) -> TestClient:
    register = Register(Settings(data_dir=tmp_path, portal_url=PORTAL))
    for name in ("bizfly-cloud-support-desk", "fpt-smart-cloud-to-fpt-japan"):
        loaded = load_intake(EXAMPLES / name / "intake.yaml")
        register.save(loaded, assess(loaded, NOW.date()), actor="test")
    app = create_app(register.settings, clock=lambda: NOW)
    return TestClient(app, base_url="https://testserver")


def _accounts(client: TestClient) -> Accounts:
    return client.app.state.accounts  # type: ignore[attr-defined, no-any-return]


def _events(body: bytes) -> dict[str, dict[str, object]]:
    cal = Calendar.from_ical(body)
    return {
        str(e["uid"]): {
            "start": e.decoded("dtstart"),
            "end": e.decoded("dtend"),
            "summary": str(e["summary"]),
            "description": str(e["description"]),
            "url": str(e["url"]),
            "stamp": e.decoded("dtstamp"),
        }
        for e in cal.walk("VEVENT")
    }


def test_the_feed_lists_every_open_deadline_as_an_all_day_event(portal: TestClient) -> None:
    token = _accounts(portal).add("legal-user", Role.legal)
    r = portal.get("/api/deadlines.ics", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/calendar; charset=utf-8"
    cal = Calendar.from_ical(r.content)
    assert str(cal["x-wr-calname"]) == "Thời hạn luật định (dtia)"
    assert str(cal["x-wr-timezone"]) == "Asia/Ho_Chi_Minh"
    events = _events(r.content)
    assert sorted(events) == [
        "bizfly-support-desk-us.initial_filing.2026-08-14@dtia",
        "fsc-fpt-japan-joint-use.initial_filing.2026-05-01@dtia",
    ]
    bizfly = events["bizfly-support-desk-us.initial_filing.2026-08-14@dtia"]
    assert bizfly["start"] == date(2026, 8, 14) and bizfly["end"] == date(2026, 8, 15)
    assert "Gửi 01 bản chính hồ sơ" in str(bizfly["summary"])
    assert "Hạn 14/08/2026; hạn cuối theo luật 14/08/2026." in str(bizfly["description"])
    assert "Law 91/2025 Art 20(2)" in str(bizfly["description"])
    assert bizfly["url"] == f"{PORTAL}/transfers/bizfly-support-desk-us"
    assert bizfly["stamp"] == NOW
    fpt = events["fsc-fpt-japan-joint-use.initial_filing.2026-05-01@dtia"]
    # due on a day off: the event runs to the legal end, the next working day
    assert fpt["start"] == date(2026, 5, 1) and fpt["end"] == date(2026, 5, 5)
    assert str(fpt["summary"]).startswith("[quá hạn] ")
    english = portal.get("/api/deadlines.ics?lang=en", headers={"Authorization": f"Bearer {token}"})
    assert "File the transfer impact assessment dossier" in english.text


def test_a_feed_token_opens_the_feed_and_nothing_else(portal: TestClient) -> None:
    accounts = _accounts(portal)
    accounts.add("legal-user", Role.legal)
    feeds = Feeds(accounts.engine)
    token = feeds.issue("legal-user", now=NOW)
    r = portal.get(f"/api/deadlines.ics?token={token}")
    assert r.status_code == 200 and len(_events(r.content)) == 2
    # the feed token is no API token
    assert (
        portal.get("/api/deadlines", headers={"Authorization": f"Bearer {token}"}).status_code
        == 401
    )
    assert (
        portal.get("/api/deadlines.ics", headers={"Authorization": f"Bearer {token}"}).status_code
        == 401
    )
    # without any token, or with a wrong one: 401, as JSON naming what to send
    anonymous = portal.get("/api/deadlines.ics")
    assert anonymous.status_code == 401 and "FEED_TOKEN" in anonymous.json()["detail"]
    assert portal.get("/api/deadlines.ics?token=nope").status_code == 401
    # a new feed replaces the old one; revoking the user ends it
    newer = feeds.issue("legal-user", now=NOW + timedelta(days=1))
    assert portal.get(f"/api/deadlines.ics?token={token}").status_code == 401
    assert portal.get(f"/api/deadlines.ics?token={newer}").status_code == 200
    accounts.revoke("legal-user")
    assert portal.get(f"/api/deadlines.ics?token={newer}").status_code == 401


def test_the_cli_prints_the_feed_address_last(tmp_path: Path) -> None:
    env = {**os.environ, "DTIA_DATA_DIR": str(tmp_path), "DTIA_PORTAL_URL": PORTAL}
    env.pop("DTIA_DATABASE_URL", None)
    dtia = [sys.executable, "-m", "dtia.cli"]
    subprocess.run(
        [*dtia, "users", "add", "nguyen.an", "--role", "legal"],
        env=env,
        check=True,
        capture_output=True,
    )
    out = subprocess.run(
        [*dtia, "users", "calendar", "nguyen.an"], env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    url = out.stdout.strip().splitlines()[-1]
    assert url.startswith(f"{PORTAL}/api/deadlines.ics?token=")
    register = Register(Settings(data_dir=tmp_path))
    assert Feeds(register.engine).user(url.split("token=")[1]) is not None
    missing = subprocess.run(
        [*dtia, "users", "calendar", "nobody"], env=env, capture_output=True, text=True
    )
    assert missing.returncode == 1 and "no active user 'nobody'" in missing.stderr
