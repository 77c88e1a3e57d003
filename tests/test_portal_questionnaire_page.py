"""Where a waiting run sends legal for a recipient's link: a portal page behind legal's
sign-in, which issues the link there. The run publishes only that page's address."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from dtia.config import Settings
from dtia.engine import assess
from dtia.intake import load_intake
from dtia.law import load_rules
from dtia.portal.accounts import Accounts, Role
from dtia.portal.app import create_app
from dtia.questionnaire import context
from dtia.register import Register
from tests.support import EXAMPLES

NOW = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
BIZFLY = "bizfly-support-desk-us"


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str], int]]:
    settings = Settings(data_dir=tmp_path / "data", portal_url="https://dtia.example.vn")
    app = create_app(settings, clock=lambda: NOW)
    register: Register = app.state.register
    loaded = load_intake(EXAMPLES / "bizfly-cloud-support-desk" / "intake.yaml")
    register.save(loaded, assess(loaded, NOW.date()), actor="seed")
    accounts = Accounts(register.engine)
    tokens = {role.value: accounts.add(f"{role.value}-user", role) for role in Role}
    # as the flow does when it pauses: a questionnaire, and no link
    qid = register.open_questionnaire(
        transfer_id=BIZFLY,
        recipient_id="helpdesk-us",
        name="Helpdesk Inc.",
        country="US",
        flow_run_id="00000000-0000-0000-0000-000000000001",
        api_url=None,
        context=context(loaded.intake, "helpdesk-us", load_rules(NOW.date())),
    )
    yield TestClient(app, base_url="https://testserver", follow_redirects=False), tokens, qid
    register.engine.dispose()


def _sign_in(c: TestClient, token: str, next_path: str) -> str:
    form = c.get("/login")
    login_csrf = re.search(r'name="login_csrf" value="([^"]+)"', form.text)
    assert login_csrf
    r = c.post("/login", data={"token": token, "login_csrf": login_csrf[1], "next": next_path})
    assert r.status_code == 303, r.text
    return r.headers["location"]


def test_legal_signs_in_from_the_runs_link_and_issues_the_recipients_link_there(
    setup: tuple[TestClient, dict[str, str], int],
) -> None:
    c, tokens, qid = setup
    page = f"/questionnaires/{qid}"
    # signed out: the sign-in form, which comes back to this page
    r = c.get(page)
    assert r.status_code == 401
    assert f'name="next" value="{page}"' in r.text
    assert _sign_in(c, tokens["legal"], page) == page
    r = c.get(page)
    assert r.status_code == 200
    assert "Helpdesk Inc. (US)" in r.text and BIZFLY in r.text
    assert "No link has been issued yet" in r.text and "an assessment run waits" in r.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', r.text)
    assert csrf
    issued = c.post(
        "/questionnaires",
        data={"csrf_token": csrf[1], "transfer_id": BIZFLY, "recipient_id": "helpdesk-us"},
    )
    assert issued.status_code == 200
    link = re.search(
        r'id="link" readonly value="https://dtia\.example\.vn(/q/[A-Za-z0-9_-]+)"', issued.text
    )
    assert link
    recipient = TestClient(c.app, base_url="https://testserver")
    assert recipient.get(link[1]).status_code == 200
    assert "A link was issued; it expires 2026-12-06" in c.get(page).text
    assert c.get("/questionnaires/999").status_code == 404
    assert c.get("/questionnaires/x").status_code == 404


@pytest.mark.parametrize("role", ["compliance_officer", "auditor"])
def test_only_legal_opens_the_page(
    setup: tuple[TestClient, dict[str, str], int], role: str
) -> None:
    c, tokens, qid = setup
    r = c.get(f"/questionnaires/{qid}", headers={"Authorization": f"Bearer {tokens[role]}"})
    assert r.status_code == 403


@pytest.mark.parametrize(
    "next_path", ["//evil.example/x", "https://evil.example/", "/q/abc", "/\\evil", "/a?b=c"]
)
def test_signing_in_leads_nowhere_but_the_portals_own_pages(
    setup: tuple[TestClient, dict[str, str], int], next_path: str
) -> None:
    c, tokens, _qid = setup
    assert _sign_in(c, tokens["auditor"], next_path) == "/"
