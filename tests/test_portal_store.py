"""The portal's own records on SQLite and on a real PostgreSQL server: users and browser
sessions, and questionnaire links that work once even when two answers race."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select

from dtia.config import Settings
from dtia.engine import assess
from dtia.intake import Safeguards, load_intake
from dtia.portal.accounts import Accounts, Role
from dtia.portal.links import LinkError, Links, new_link
from dtia.register import Register
from dtia.store import repo
from dtia.store.models import AttestationRow, AuditRow
from tests.support import EXAMPLES

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
BIZFLY = EXAMPLES / "bizfly-cloud-support-desk" / "intake.yaml"
BIZFLY_ID = "bizfly-support-desk-us"
RECIPIENT = "helpdesk-us"


@pytest.fixture
def register(db_url: str, tmp_path: Path) -> Iterator[Register]:
    reg = Register(Settings(data_dir=tmp_path / "data", database_url=db_url))
    loaded = load_intake(BIZFLY)
    reg.save(loaded, assess(loaded, NOW.date()), actor="tester")
    yield reg
    reg.engine.dispose()


def _answer() -> Safeguards:
    return Safeguards.model_validate(
        {
            "attested_by": "Security lead",
            "attested_on": "2026-11-20",
            "encryption_in_transit": True,
            "encryption_at_rest": True,
        }
    )


def test_tokens_sessions_and_revocation(register: Register) -> None:
    accounts = Accounts(register.engine)
    token = accounts.add("nguyen.an", Role.legal)
    user = accounts.by_token(token)
    assert user is not None and (user.name, user.role) == ("nguyen.an", Role.legal)
    assert accounts.by_token(token + "x") is None
    cookie, opened = accounts.open_session(user, now=NOW)
    found = accounts.session(cookie, now=NOW + timedelta(hours=1))
    assert found is not None and found.csrf_token == opened.csrf_token
    assert accounts.session(cookie, now=NOW + timedelta(hours=13)) is None  # 12-hour sessions
    accounts.revoke("nguyen.an")
    assert accounts.by_token(token) is None
    assert accounts.session(cookie, now=NOW + timedelta(minutes=5)) is None


def test_a_link_works_once_even_when_two_answers_race(register: Register) -> None:
    links = Links(register)
    token = links.issue(BIZFLY_ID, RECIPIENT, actor="legal", now=NOW)
    assert links.open(token, now=NOW).recipient_id == RECIPIENT

    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def send() -> None:
        barrier.wait()
        try:
            links.answer(token, _answer(), evidence=[], now=NOW)
            outcomes.append("stored")
        except LinkError as exc:
            outcomes.append(str(exc))

    threads = [threading.Thread(target=send) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == [
        "stored",
        "this questionnaire has been answered already; the link works once",
    ]
    with Session(register.engine) as s:
        assert len(s.exec(select(AttestationRow)).all()) == 1
        answered = s.exec(select(AuditRow).where(AuditRow.action == "questionnaire.answered"))
        assert len(answered.all()) == 1
    with pytest.raises(LinkError, match="works once"):
        links.open(token, now=NOW)


def test_a_new_link_replaces_the_old_and_links_expire(register: Register) -> None:
    links = Links(register)
    first = links.issue(BIZFLY_ID, RECIPIENT, actor="legal", now=NOW)
    second = links.issue(BIZFLY_ID, RECIPIENT, actor="legal", now=NOW, days=1)
    with pytest.raises(LinkError, match="not valid"):
        links.open(first, now=NOW)
    assert links.open(second, now=NOW + timedelta(hours=23)).transfer_id == BIZFLY_ID
    with pytest.raises(LinkError, match="expired"):
        links.answer(second, _answer(), evidence=[], now=NOW + timedelta(days=1))
    with Session(register.engine) as s:
        assert s.exec(select(AttestationRow)).all() == []


def test_the_run_opens_its_questionnaire_with_the_link_at_once(register: Register) -> None:
    token, link = new_link(NOW)
    register.open_questionnaire(
        transfer_id=BIZFLY_ID,
        recipient_id=RECIPIENT,
        name="Example Helpdesk Inc.",
        country="US",
        flow_run_id=None,
        api_url=None,
        link=link,
    )
    links = Links(register)
    (waiting,) = links.waiting()
    assert waiting.token_sha256 == link[0]
    assert links.open(token, now=NOW + timedelta(days=13)).recipient_id == RECIPIENT
    with pytest.raises(LinkError, match="expired"):
        links.open(token, now=NOW + timedelta(days=14))
    newer = links.issue(BIZFLY_ID, RECIPIENT, actor="legal", now=NOW)
    assert len(links.waiting()) == 1  # the same questionnaire, a new link
    with pytest.raises(LinkError, match="not valid"):
        links.open(token, now=NOW)
    assert links.open(newer, now=NOW).transfer_id == BIZFLY_ID


def test_an_answer_is_reused_for_a_year_at_most(register: Register) -> None:
    with Session(register.engine) as s:
        repo.add_attestation(s, name="Example Helpdesk Inc.", country="us", safeguards=_answer())
        s.commit()
    attested = _answer().attested_on

    def reused(on: date) -> bool:
        return register.attestation(name="Example  Helpdesk Inc.", country="US", on=on) is not None

    assert reused(attested + timedelta(days=364))
    assert reused(date(attested.year + 1, attested.month, attested.day))
    assert not reused(date(attested.year + 1, attested.month, attested.day) + timedelta(days=1))
