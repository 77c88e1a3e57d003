"""The portal through FastAPI's test client: every route for every role and for anonymous
users, sessions and CSRF, downloads checked against the store, the filing guards,
questionnaire links, uploads, identifiers and what reaches the logs."""

from __future__ import annotations

import hashlib
import html
import io
import json
import logging
import os
import re
import shutil
import subprocess
import zipfile
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from dtia.config import Settings
from dtia.dossier.build import build, read_files
from dtia.engine import assess
from dtia.intake import load_intake
from dtia.portal.accounts import Accounts, Role
from dtia.portal.app import ROLE_MATRIX, create_app
from dtia.register import Register
from dtia.store.models import AssessmentRow, DossierRow, QuestionnaireRow, SessionRow, UserRow
from tests.support import ELF, EXAMPLES, tiny_pdf

NOW = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)  # 10:00 in Hanoi
FPT = "fsc-fpt-japan-joint-use"
BIZFLY = "bizfly-support-desk-us"
ROLES = [r.value for r in Role]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A register with the FPT dossier rendered and Bizfly assessed on 2026-06-01 (its
    initial filing overdue today); rendered once, copied for every test."""
    folder = tmp_path_factory.mktemp("portal-seed")
    register = Register(Settings(data_dir=folder))
    path = EXAMPLES / "fpt-smart-cloud-to-fpt-japan" / "intake.yaml"
    loaded = load_intake(path)
    a = assess(loaded, NOW.date())
    saved = register.save(loaded, a, actor="seed", source_path=str(path))
    made = build(loaded, a, read_files(loaded, path.parent))
    for pack in made.packs:
        register.save_dossier(saved, kind=pack.kind, pdf=pack.pdf)
    bizfly = load_intake(EXAMPLES / "bizfly-cloud-support-desk" / "intake.yaml")
    register.save(bizfly, assess(bizfly, date(2026, 6, 1)), actor="seed")
    register.engine.dispose()
    return folder


class Portal:
    def __init__(self, folder: Path) -> None:
        self.now = NOW
        self.settings = Settings(data_dir=folder, portal_url="https://dtia.example.vn")
        self.app = create_app(self.settings, clock=lambda: self.now)
        self.register: Register = self.app.state.register
        accounts = Accounts(self.register.engine)
        self.tokens = {role: accounts.add(f"{role}-user", Role(role)) for role in ROLES}

    def client(self, role: str | None = None) -> TestClient:
        headers = {"Authorization": f"Bearer {self.tokens[role]}"} if role else {}
        return TestClient(self.app, base_url="https://testserver", headers=headers)

    def browser(self, role: str) -> tuple[TestClient, str]:
        """A signed-in browser session: the client (cookie jar) and the page's CSRF token."""
        c = TestClient(self.app, base_url="https://testserver", follow_redirects=False)
        form = c.get("/login")
        login_csrf = re.search(r'name="login_csrf" value="([^"]+)"', form.text)
        assert login_csrf
        r = c.post("/login", data={"token": self.tokens[role], "login_csrf": login_csrf[1]})
        assert r.status_code == 303, r.text
        page = c.get("/")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert csrf
        return c, csrf[1]


@pytest.fixture
def portal(seeded: Path, tmp_path: Path) -> Iterator[Portal]:
    shutil.copytree(seeded, tmp_path / "data")
    p = Portal(tmp_path / "data")
    yield p
    p.register.engine.dispose()


def _dump(register: Register) -> str:
    """Every user and session row as text (reading the database file itself from this
    process would drop SQLite's locks)."""
    with Session(register.engine) as s:
        rows = [*s.exec(select(UserRow)).all(), *s.exec(select(SessionRow)).all()]
        return "\n".join(r.model_dump_json() for r in rows)


# --- the role matrix -------------------------------------------------------------------------

SAMPLE = {"transfer_id": BIZFLY, "run_id": "0" * 32, "questionnaire_id": "1", "sha256": "0" * 64}


def _call(client: TestClient, method: str, path: str) -> int:
    url = path.format(**SAMPLE)
    return client.request(method, url).status_code


def test_every_route_is_in_the_role_matrix(portal: Portal) -> None:
    public = {
        ("GET", "/login"),
        ("POST", "/login"),
        ("GET", "/static/portal.css"),
        ("GET", "/q/{token}"),
        ("POST", "/q/{token}"),
    }
    routes = {
        (method, route.path)  # type: ignore[attr-defined]
        for route in portal.app.routes
        for method in getattr(route, "methods", set()) - {"HEAD"}
    }
    assert routes == set(ROLE_MATRIX) | public


@pytest.mark.parametrize(("method", "path"), sorted(ROLE_MATRIX))
def test_each_route_for_each_role(portal: Portal, method: str, path: str) -> None:
    allowed = ROLE_MATRIX[(method, path)]
    anonymous = _call(portal.client(), method, path)
    forged = portal.client()
    forged.headers["Authorization"] = "Bearer not-a-token"
    if allowed is None:
        assert anonymous == 200
        return
    assert anonymous == 401
    assert _call(forged, method, path) == 401
    for role in ROLES:
        status = _call(portal.client(role), method, path)
        if Role(role) in allowed:
            assert status not in (401, 403), (role, status)
        else:
            assert status == 403, (role, status)


def test_an_unauthenticated_api_call_says_how_to_authenticate(portal: Portal) -> None:
    r = portal.client().get("/api/transfers")
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"
    assert "Bearer" in r.json()["detail"]


def test_a_revoked_token_stops_working(portal: Portal) -> None:
    client = portal.client("auditor")
    assert client.get("/api/transfers").status_code == 200
    Accounts(portal.register.engine).revoke("auditor-user")
    assert client.get("/api/transfers").status_code == 401


# --- sessions and CSRF -----------------------------------------------------------------------


def test_login_sets_a_secure_http_only_cookie_and_forms_need_the_csrf_token(
    portal: Portal,
) -> None:
    c = TestClient(portal.app, base_url="https://testserver", follow_redirects=False)
    form = c.get("/login")
    login_csrf = re.search(r'name="login_csrf" value="([^"]+)"', form.text)
    assert login_csrf
    r = c.post("/login", data={"token": portal.tokens["legal"], "login_csrf": login_csrf[1]})
    assert r.status_code == 303
    cookie = r.headers["set-cookie"].lower()
    assert "dtia_session=" in cookie
    assert "httponly" in cookie and "secure" in cookie and "samesite=strict" in cookie
    # the cookie value is a secret of the browser: the database keeps only its hash
    value = r.cookies["dtia_session"]
    assert value not in _dump(portal.register)
    assert hashlib.sha256(value.encode()).hexdigest() in _dump(portal.register)

    page = c.get("/")
    assert page.status_code == 200 and FPT in page.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf
    refused = c.post(f"/transfers/{FPT}/approve", data={})
    assert refused.status_code == 403 and "CSRF" in refused.text
    refused = c.post(f"/transfers/{FPT}/approve", data={"csrf_token": "forged"})
    assert refused.status_code == 403
    assert portal.register.status(FPT, as_of=NOW.date())["approvals"] == []
    ok = c.post(f"/transfers/{FPT}/approve", data={"csrf_token": csrf[1]})
    assert ok.status_code == 303
    approvals = portal.register.status(FPT, as_of=NOW.date())["approvals"]
    assert [(a["by"], a["on"]) for a in approvals] == [("legal-user", "2026-11-22")]
    # an API call made with the cookie needs the token in a header
    assert c.post(f"/api/transfers/{FPT}/approvals").status_code == 403
    with_header = c.post(f"/api/transfers/{FPT}/approvals", headers={"X-CSRF-Token": csrf[1]})
    # past the CSRF check, the lifecycle's own guard answers (already approved)
    assert with_header.status_code == 409, with_header.text
    assert "CSRF" not in with_header.json()["detail"]

    out = c.post("/logout", data={"csrf_token": csrf[1]})
    assert out.status_code == 303
    assert c.get("/").status_code == 401


def test_login_refuses_a_bad_token_and_a_forged_form(portal: Portal) -> None:
    c = TestClient(portal.app, base_url="https://testserver", follow_redirects=False)
    form = c.get("/login")
    login_csrf = re.search(r'name="login_csrf" value="([^"]+)"', form.text)
    assert login_csrf
    bad = c.post("/login", data={"token": "nope", "login_csrf": login_csrf[1]})
    assert bad.status_code == 401 and "not valid" in bad.text
    fresh = TestClient(portal.app, base_url="https://testserver", follow_redirects=False)
    forged = fresh.post("/login", data={"token": portal.tokens["legal"], "login_csrf": "x"})
    assert forged.status_code == 403
    assert "dtia_session" not in forged.headers.get("set-cookie", "")


def test_csrf_tokens_that_are_not_ascii_are_refused_not_crashed_on(portal: Portal) -> None:
    c = TestClient(portal.app, base_url="https://testserver", follow_redirects=False)
    c.get("/login")
    r = c.post("/login", data={"token": portal.tokens["legal"], "login_csrf": "é"})
    assert r.status_code == 403
    legal, _csrf = portal.browser("legal")
    r = legal.post(
        f"/api/transfers/{FPT}/approvals",
        json={"on": "2026-11-22"},
        headers={"X-CSRF-Token": "é".encode()},
    )
    assert r.status_code == 403 and "CSRF" in r.json()["detail"]


def test_an_expired_session_is_signed_out(portal: Portal) -> None:
    c, _csrf = portal.browser("auditor")
    assert c.get("/").status_code == 200
    portal.now = NOW + timedelta(hours=13)
    assert c.get("/").status_code == 401


# --- pages -----------------------------------------------------------------------------------


def test_the_register_page_counts_down_and_marks_overdue(portal: Portal) -> None:
    c, _ = portal.browser("auditor")
    page = c.get("/").text
    row = re.search(r'<tr class="overdue">.*?</tr>', page, re.S)
    assert row and BIZFLY in row[0]
    assert "2026-08-14" in row[0] and "100 days overdue" in row[0]
    # FPT's first transfer was in April and nothing is filed: overdue as well
    assert len(re.findall(r'<tr class="overdue">', c.get("/", params={"due": "overdue"}).text)) == 2
    assert "No transfer matches these filters" in c.get("/", params={"due": "upcoming"}).text
    found = c.get("/", params={"q": "support-desk"}).text
    assert f"/transfers/{BIZFLY}" in found and f"/transfers/{FPT}" not in found
    high = c.get("/", params={"risk": "high"}).text
    assert f"/transfers/{FPT}" in high and f"/transfers/{BIZFLY}" not in high


def test_the_transfer_page_shows_findings_citations_and_a_version_diff(portal: Portal) -> None:
    later = load_intake(EXAMPLES / "bizfly-cloud-support-desk" / "intake.yaml")
    portal.register.save(later, assess(later, date(2027, 1, 5)), actor="t")
    c, _ = portal.browser("auditor")
    page = c.get(f"/transfers/{BIZFLY}").text
    assert "Decree 356/2025 Art 18(4)" in page  # a citation of a clock
    assert "C5.certification-expired" in page  # the diff v1 -> v2 names the new finding
    assert "2026-06-01" in page and "2027-01-05" in page
    same = c.get(f"/transfers/{BIZFLY}", params={"a": 2, "b": 2}).text
    assert "What changed" not in same


# --- downloads -------------------------------------------------------------------------------


def _stored(
    portal: Portal, transfer_id: str, kind: str = "review"
) -> tuple[DossierRow, AssessmentRow]:
    with Session(portal.register.engine) as s:
        a = s.exec(select(AssessmentRow).where(AssessmentRow.transfer_id == transfer_id)).one()
        d = s.exec(
            select(DossierRow).where(DossierRow.assessment_id == a.id, DossierRow.kind == kind)
        ).one()
        return d, a


def test_downloads_are_the_stored_packs_and_a_deterministic_bundle(portal: Portal) -> None:
    client = portal.client("compliance_officer")
    row, assessment = _stored(portal, FPT)
    pdf = client.get(f"/api/transfers/{FPT}/review.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert hashlib.sha256(pdf.content).hexdigest() == row.sha256
    on_disk = portal.settings.dossier_dir / row.sha256[:2] / f"{row.sha256}.pdf"
    assert on_disk.read_bytes() == pdf.content
    assert f'filename="{FPT}-v1-review.pdf"' in pdf.headers["content-disposition"]
    # the example is not ready to file: the filing download is its draft, and says so
    draft_row, _ = _stored(portal, FPT, "filing-draft")
    draft = client.get(f"/api/transfers/{FPT}/filing.pdf")
    assert draft.status_code == 200 and draft.headers["x-dossier-kind"] == "filing-draft"
    assert hashlib.sha256(draft.content).hexdigest() == draft_row.sha256
    assert f'filename="{FPT}-v1-filing-draft.pdf"' in draft.headers["content-disposition"]

    bundle = client.get(f"/api/transfers/{FPT}/bundle.zip")
    assert bundle.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(bundle.content)).namelist()
    z = zipfile.ZipFile(io.BytesIO(bundle.content))
    assert z.read(f"{FPT}-v1/review.pdf") == pdf.content
    assert z.read(f"{FPT}-v1/filing-draft.pdf") == draft.content
    assert z.read(f"{FPT}-v1/assessment.json").decode() == assessment.assessment_json
    manifest = json.loads(z.read(f"{FPT}-v1/embedded/manifest.json"))
    for name in names:
        if "/embedded/attachments/" in name:
            rel = name.split("/embedded/", 1)[1]
            assert hashlib.sha256(z.read(name)).hexdigest() == manifest["attachments"][rel]
    again = client.get(f"/api/transfers/{FPT}/bundle.zip")
    assert again.content == bundle.content


def test_a_transfer_without_a_rendered_dossier_says_so(portal: Portal) -> None:
    r = portal.client("legal").get(f"/api/transfers/{BIZFLY}/review.pdf")
    assert r.status_code == 404
    assert "no rendered dossier" in r.json()["detail"]
    r = portal.client("legal").get(f"/api/transfers/{BIZFLY}/filing.pdf")
    assert r.status_code == 404
    assert "no filing pack" in r.json()["detail"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/transfers/..%2F..%2Fdtia.db/review.pdf",
        "/api/transfers/%2E%2E/bundle.zip",
        "/api/transfers/FSC-UPPER/filing.pdf",
        "/api/transfers/a/review.pdf",
        "/transfers/..%2Fetc%2Fpasswd",
        "/api/runs/..%2F..%2Fdtia.db",
        "/api/runs/0123",
    ],
)
def test_identifiers_cannot_reach_outside_the_register(portal: Portal, path: str) -> None:
    r = portal.client("compliance_officer").get(path)
    assert r.status_code == 404
    assert b"SQLite" not in r.content and b"%PDF" not in r.content


# --- filing events ---------------------------------------------------------------------------


def test_filing_events_through_the_api_apply_the_same_guards(portal: Portal) -> None:
    legal = portal.client("legal")
    url = f"/api/transfers/{FPT}/filing-events"
    early = legal.post(url, json={"event": "accepted", "on": "2026-11-22"})
    assert early.status_code == 409
    unapproved = legal.post(url, json={"event": "filed", "on": "2026-11-22", "reference": "R1"})
    assert unapproved.status_code == 409
    assert "while the filing is prepared" in unapproved.json()["detail"]
    assert (
        legal.post(f"/api/transfers/{FPT}/approvals", json={"on": "2026-11-22"}).status_code == 201
    )
    filed = legal.post(url, json={"event": "filed", "on": "2026-11-23", "reference": "A05-77"})
    assert filed.status_code == 201
    # the old name is accepted and recorded as the lifecycle's; the Resolution's rules apply
    assert (filed.json()["event"], filed.json()["state"]) == ("submitted", "submitted")
    assert "Resolution 22/2026 App I.7 §B.I" in filed.json()["citations"]
    assert filed.json()["regime"] == "resolution_22"
    backwards = legal.post(url, json={"event": "accepted", "on": "2026-11-20"})
    assert backwards.status_code == 409
    bad = legal.post(url, json={"event": "lost", "on": "someday", "extra": 1})
    assert bad.status_code == 422
    assert {p["path"] for p in bad.json()["problems"]} >= {"event", "on", "extra"}
    status = portal.register.status(FPT, as_of=NOW.date())
    assert status["state"] == "submitted"
    assert [(e["event"], e["on"], e["reference"]) for e in status["events"]] == [
        ("submitted", "2026-11-23", "A05-77")
    ]
    audit = [e for e in portal.app.state.register.verify_audit().__dict__.items()]
    assert audit  # the chain is intact after the API's writes
    assert portal.register.verify_audit().ok
    unknown = legal.post(
        "/api/transfers/no-such-transfer/filing-events", json={"event": "filed", "on": "2026-11-22"}
    )
    assert unknown.status_code == 404


# --- questionnaires --------------------------------------------------------------------------


def _issue(portal: Portal, transfer_id: str = FPT, recipient: str = "fpt-japan") -> str:
    r = portal.client("legal").post(
        "/questionnaires", data={"transfer_id": transfer_id, "recipient_id": recipient}
    )
    assert r.status_code == 200, r.text
    link = re.search(r'value="https://dtia\.example\.vn/q/([A-Za-z0-9_-]+)"', r.text)
    assert link
    # no run waits for these: the link lasts 14 days, and the page says until when
    until = (portal.now + timedelta(days=14)).astimezone(ZoneInfo("Asia/Ho_Chi_Minh"))
    assert f"expires {until:%Y-%m-%d %H:%M} (Asia/Ho_Chi_Minh)" in r.text
    return link[1]


GOOD_ANSWER = {
    "attested_by": "Sato Hanako, CISO",
    "attested_on": "2026-11-22",
    "encryption_in_transit": "yes",
    "encryption_at_rest": "yes",
    "incident_notification_hours": "24",
    "cert_0_name": "ISO/IEC 27001",
    "cert_0_issuer": "JQA",
    "cert_0_expires_on": "2028-03-31",
}


def test_a_questionnaire_link_shows_only_what_the_recipient_needs_and_works_once(
    portal: Portal, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="dtia.portal")
    token = _issue(portal)
    anonymous = portal.client()
    page = anonymous.get(f"/q/{token}")
    assert page.status_code == 200
    assert "Công ty TNHH FPT Smart Cloud" in page.text
    assert "FPT Japan Holdings" in page.text
    assert "Phone number" in page.text or "Số điện thoại" in page.text
    for secret in (BIZFLY, "risk", "A05", "approve"):  # nothing else of the register
        assert secret not in page.text
    # the token opens nothing but its page
    as_bearer = portal.client()
    as_bearer.headers["Authorization"] = f"Bearer {token}"
    assert as_bearer.get("/api/transfers").status_code == 401
    with_cookie = TestClient(portal.app, base_url="https://testserver")
    with_cookie.cookies.set("dtia_session", token)
    assert with_cookie.get("/").status_code == 401

    invalid = anonymous.post(
        f"/q/{token}",
        data={
            **GOOD_ANSWER,
            "attested_by": "",
            "incident_notification_hours": "soon",
            "data_subject_request_days": "²",  # a digit to str.isdigit, not to int()
        },
    )
    assert invalid.status_code == 422
    assert "attested_by" in invalid.text and "incident_notification_hours" in invalid.text
    assert "data_subject_request_days" in invalid.text
    assert 'value="ISO/IEC 27001"' in invalid.text  # what was typed is kept

    not_pdf = anonymous.post(
        f"/q/{token}",
        data=GOOD_ANSWER,
        files={"evidence_file_0": ("cert.exe", b"MZ\x90\x00", "application/pdf")},
    )
    assert not_pdf.status_code == 400

    # a PDF header is not a PDF: what does not parse, or carries a program, is refused by name
    for name, polyglot, why in (
        ("iso.pdf", b"%PDF-1.7\n" + ELF, "not a complete PDF"),
        ("cert.pdf", tiny_pdf() + ELF, "holds an ELF executable after the end of the PDF"),
        ("scan.pdf", tiny_pdf({"setup": ELF}), "embeds an ELF executable ('setup')"),
        ("broken.pdf", b"%PDF-1.4\n% ISO certificate\n%%EOF\n", "not a readable PDF"),
    ):
        refused = anonymous.post(
            f"/q/{token}",
            data=GOOD_ANSWER,
            files={"evidence_file_0": (name, polyglot, "application/pdf")},
        )
        assert refused.status_code == 400, refused.text
        shown = html.unescape(refused.text)
        assert f"{name}: evidence " in shown and why in shown
    assert not (portal.settings.data_dir / "evidence").exists()

    evidence = tiny_pdf()
    done = anonymous.post(
        f"/q/{token}",
        data={**GOOD_ANSWER, "evidence_title_0": "ISO certificate"},
        files={"evidence_file_0": ("iso.pdf", evidence, "application/pdf")},
    )
    assert done.status_code == 200 and "recorded" in done.text
    stored = portal.register.attestation(
        name="FPTジャパンホールディングス株式会社 (FPT Japan Holdings Co., Ltd.)",
        country="JP",
        on=NOW.date(),
    )
    assert stored is not None
    assert stored.attested_by == "Sato Hanako, CISO" and stored.incident_notification_hours == 24
    assert [c.name for c in stored.certifications] == ["ISO/IEC 27001"]
    (ev,) = stored.evidence
    sha = hashlib.sha256(evidence).hexdigest()
    assert str(ev.title) == "ISO certificate" and ev.upload == sha and ev.path is None
    assert (portal.settings.data_dir / "evidence" / sha[:2] / f"{sha}.pdf").read_bytes() == evidence
    assert portal.register.stored_file(sha) == evidence

    again = anonymous.get(f"/q/{token}")
    assert again.status_code == 410 and "works once" in again.text
    assert anonymous.post(f"/q/{token}", data=GOOD_ANSWER).status_code == 410
    assert token not in caplog.text and "/q/<token>" in caplog.text


def test_a_questionnaire_link_expires_and_a_new_one_replaces_it(portal: Portal) -> None:
    first = _issue(portal)
    second = _issue(portal)
    anonymous = portal.client()
    assert anonymous.get(f"/q/{first}").status_code == 410
    assert anonymous.get(f"/q/{second}").status_code == 200
    portal.now = NOW + timedelta(days=14, seconds=1)
    expired = anonymous.get(f"/q/{second}")
    assert expired.status_code == 410 and "expired" in expired.text
    with Session(portal.register.engine) as s:
        rows = s.exec(select(QuestionnaireRow)).all()
    assert [r.status for r in rows] == ["waiting"]  # one questionnaire, re-linked


def test_an_unknown_recipient_or_transfer_gets_no_link(portal: Portal) -> None:
    legal = portal.client("legal")
    r = legal.post("/questionnaires", data={"transfer_id": FPT, "recipient_id": "nobody"})
    assert r.status_code == 409 and "no recipient" in r.text
    r = legal.post("/questionnaires", data={"transfer_id": "no-such", "recipient_id": "x"})
    assert r.status_code == 404


# --- starting assessments --------------------------------------------------------------------


def _zip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "data", "status", "message"),
    [
        ("intake.yaml", b"schema: dtia.intake/v1\ntransfer: {id: x}\n", 422, "invalid"),
        ("intake.exe", b"MZ", 400, "upload an intake"),
        ("bundle.zip", b"not a zip", 400, "not a readable zip"),
        ("evil.zip", _zip({"../../escape.yaml": b"x"}), 400, "would leave"),
        ("empty.zip", _zip({"readme.txt": b"x"}), 400, "no intake.yaml"),
        ("big.yaml", b"#" * (20 * 1024 * 1024 + 1), 413, "larger than"),
    ],
)
def test_uploads_are_checked_and_nothing_is_kept_of_a_bad_one(
    portal: Portal, name: str, data: bytes, status: int, message: str
) -> None:
    r = portal.client("compliance_officer").post(
        "/api/runs", files={"intake": (name, data, "application/octet-stream")}
    )
    assert r.status_code == status, r.text
    assert message in r.text
    uploads = portal.settings.data_dir / "uploads"
    assert not uploads.exists() or list(uploads.iterdir()) == []
    assert not (portal.settings.data_dir.parent / "escape.yaml").exists()


def _corrupt(zipped: bytes, marker: bytes) -> bytes:
    at = zipped.index(marker)
    return zipped[:at] + bytes([zipped[at] ^ 0xFF]) + zipped[at + 1 :]


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("bomb.zip", _zip({"intake.yaml": b"\0" * (2 * 1024 * 1024)}), "unpacks to more than 1 MB"),
        ("clash.zip", _zip({"x": b"1", "x/intake.yaml": b"2"}), "names clash"),
        ("twice.zip", _zip({"intake.yaml": b"1", "./intake.yaml": b"2"}), "names clash"),
        ("crc.zip", _corrupt(_zip({"intake.yaml": b"transfer: ok\n"}), b"transfer"), "corrupt"),
    ],
)
def test_a_zip_is_unpacked_by_the_bytes_it_yields_and_bad_ones_are_refused(
    portal: Portal, monkeypatch: pytest.MonkeyPatch, name: str, data: bytes, message: str
) -> None:
    from dtia.portal import runs as runs_module

    monkeypatch.setattr(
        runs_module, "MAX_UNPACKED", 1024 * 1024
    )  # the sizes it claims are not trusted
    r = portal.client("compliance_officer").post(
        "/api/runs", files={"intake": (name, data, "application/zip")}
    )
    assert r.status_code == 400, r.text
    assert message in r.json()["detail"]
    assert str(portal.settings.data_dir) not in r.text
    assert list((portal.settings.data_dir / "uploads").iterdir()) == []


def test_an_invalid_upload_is_named_as_uploaded_not_by_its_place_on_the_server(
    portal: Portal,
) -> None:
    r = portal.client("compliance_officer").post(
        "/api/runs", files={"intake": ("mine.yaml", b"schema: dtia.intake/v1\n", "text/yaml")}
    )
    assert r.status_code == 422
    assert r.json()["detail"] == "mine.yaml: invalid"
    assert str(portal.settings.data_dir) not in r.text


def test_bodies_larger_than_a_route_can_use_are_refused_while_they_arrive(portal: Portal) -> None:
    anonymous = portal.client()
    r = anonymous.post("/login", data={"token": "x" * 100_000, "login_csrf": "y"})
    assert r.status_code == 413 and "larger than 64 KB" in r.text
    r = anonymous.post("/login", files={"f": ("a.bin", b"0" * 200_000)})
    assert r.status_code == 413
    legal = portal.client("legal")
    r = legal.post(
        f"/api/transfers/{FPT}/approvals",
        content=b'{"on": "2026-11-22", "note": "' + b"x" * (2 * 1024 * 1024) + b'"}',
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 413
    assert r.json()["detail"] == "the request is larger than 1 MB"
    assert legal.get(f"/api/transfers/{FPT}").json()["approvals"] == []


def test_an_invalid_intake_uploaded_in_the_page_lists_every_problem(portal: Portal) -> None:
    c, csrf = portal.browser("compliance_officer")
    data = yaml.safe_load((EXAMPLES / "bizfly-cloud-support-desk" / "intake.yaml").read_text())
    data["transfer"]["first_transfer_date"] = "2026-02-30"
    del data["recipients"][0]["country"]
    r = c.post(
        "/runs",
        data={"csrf_token": csrf},
        files={"intake": ("intake.yaml", yaml.safe_dump(data).encode(), "text/yaml")},
    )
    assert r.status_code == 422
    assert "transfer.first_transfer_date" in r.text and "recipients[0].country" in r.text


def test_a_valid_upload_starts_a_run_that_reports_progress(
    portal: Portal, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The run itself (a Prefect flow in a child process) is exercised by the browser test;
    # here the launcher is recorded, to check what the portal hands it.
    from dtia.portal import runs as runs_module

    launched: list[tuple[str, Path]] = []
    monkeypatch.setattr(
        runs_module.Runs,
        "_locally",
        lambda self, row, folder: launched.append((row.intake_path, folder)),
    )
    monkeypatch.setattr(runs_module, "_prefect_server", lambda: False)  # no server here
    folder = EXAMPLES / "bizfly-cloud-support-desk"
    files = {"intake.yaml": (folder / "intake.yaml").read_bytes()}
    for sub in ("policies", "attachments"):
        for f in (folder / sub).iterdir():
            files[f"{sub}/{f.name}"] = f.read_bytes()
    officer = portal.client("compliance_officer")
    r = officer.post("/api/runs", files={"intake": ("bizfly.zip", _zip(files), "application/zip")})
    assert r.status_code == 202, r.text
    run = r.json()
    assert (run["status"], run["transfer_id"], run["started_by"]) == (
        "running",
        BIZFLY,
        "compliance_officer-user",
    )
    ((intake_path, run_folder),) = launched
    assert Path(intake_path) == run_folder / "intake.yaml"
    assert run_folder.parent == portal.settings.data_dir / "uploads"
    assert (run_folder / "policies").is_dir()
    assert officer.get(f"/api/runs/{run['id']}").json()["status"] == "running"
    assert portal.client("legal").get(f"/api/runs/{run['id']}").status_code == 403


def _bizfly_zip() -> bytes:
    folder = EXAMPLES / "bizfly-cloud-support-desk"
    files = {"intake.yaml": (folder / "intake.yaml").read_bytes()}
    for sub in ("policies", "attachments"):
        for f in (folder / sub).iterdir():
            files[f"{sub}/{f.name}"] = f.read_bytes()
    return _zip(files)


def test_a_local_run_records_its_own_end_and_a_killed_one_is_reported(
    portal: Portal, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The runner process records the outcome, so a portal restarted meanwhile still knows
    # it; a run whose process vanished without a word is reported, not left "running".
    import dtia.cli
    from dtia.portal import runner
    from dtia.portal import runs as runs_module

    folders: list[Path] = []
    monkeypatch.setattr(
        runs_module.Runs, "_locally", lambda self, row, folder: folders.append(folder)
    )
    monkeypatch.setattr(runs_module, "_prefect_server", lambda: False)  # no server here
    officer = portal.client("compliance_officer")
    ids = [
        officer.post(
            "/api/runs", files={"intake": ("bizfly.zip", _bizfly_zip(), "application/zip")}
        ).json()["id"]
        for _ in range(3)
    ]
    failing, killed, running = ids

    def cli_failing() -> None:
        raise SystemExit(2)

    (folders[0] / "run.log").write_text("error: the recipient never answered\n")
    monkeypatch.setattr(dtia.cli, "main", cli_failing)
    monkeypatch.setattr(runner.signal, "signal", lambda *args: None)
    monkeypatch.setenv("DTIA_DATA_DIR", str(portal.settings.data_dir))
    assert runner.main([failing]) == 2
    run = officer.get(f"/api/runs/{failing}").json()
    assert run["status"] == "failed"
    assert "the recipient never answered" in run["message"]

    gone = subprocess.Popen(["true"])
    gone.wait()
    (folders[1] / "run.pid").write_text(str(gone.pid))
    run = officer.get(f"/api/runs/{killed}").json()
    assert run["status"] == "failed"
    assert "ended without recording an outcome" in run["message"]

    (folders[2] / "run.pid").write_text(str(os.getpid()))
    assert officer.get(f"/api/runs/{running}").json()["status"] == "running"


# --- the rest --------------------------------------------------------------------------------


def test_pages_carry_security_headers_and_the_openapi_description(portal: Portal) -> None:
    auditor = portal.client("auditor")
    r = auditor.get("/api/transfers")
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"
    assert "default-src 'none'" in r.headers["content-security-policy"]
    assert r.headers["referrer-policy"] == "no-referrer"
    spec = auditor.get("/api/openapi.json").json()
    assert {
        "/api/transfers",
        "/api/transfers/{transfer_id}",
        "/api/transfers/{transfer_id}/review.pdf",
        "/api/transfers/{transfer_id}/filing.pdf",
        "/api/transfers/{transfer_id}/bundle.zip",
        "/api/transfers/{transfer_id}/approvals",
        "/api/transfers/{transfer_id}/filing-events",
    } <= set(spec["paths"])
    assert portal.client().get("/healthz").json()["status"] == "ok"


def test_the_api_lists_transfers_with_their_next_deadline(portal: Portal) -> None:
    rows = {r["transfer_id"]: r for r in portal.client("auditor").get("/api/transfers").json()}
    assert rows[BIZFLY]["next_deadline"] == {
        "kind": "initial_filing",
        "due": "2026-08-14",
        "status": "overdue",
        "days": -100,
    }
    detail = portal.client("auditor").get(f"/api/transfers/{FPT}").json()
    assert sorted(d["kind"] for d in detail["versions"][0]["dossiers"]) == ["filing-draft", "review"]
    assert all(f["citations"] for f in detail["findings"])


def _users(*args: str, env: dict[str, str]) -> Any:
    import subprocess
    import sys

    return subprocess.run(
        [str(Path(sys.executable).parent / "dtia"), "users", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_users_cli_prints_the_token_last_and_revokes(tmp_path: Path) -> None:
    import os

    env = {**os.environ, "DTIA_DATA_DIR": str(tmp_path / "data")}
    env.pop("DTIA_DATABASE_URL", None)
    added = _users("add", "nguyen.an", "--role", "legal", env=env)
    assert added.returncode == 0, added.stderr
    token = added.stdout.strip().splitlines()[-1]
    app = create_app(Settings(data_dir=tmp_path / "data"))
    client = TestClient(app, base_url="https://testserver")
    ok = client.get("/api/transfers", headers={"Authorization": f"Bearer {token}"})
    assert ok.status_code == 200
    assert token not in _dump(app.state.register)
    (user,) = app.state.accounts.users()
    assert user.token_sha256 == hashlib.sha256(token.encode()).hexdigest()
    wrong = _users("add", "x", "--role", "admin", env=env)
    assert wrong.returncode != 0 and "compliance_officer" in wrong.stderr + wrong.stdout
    again = _users("add", "nguyen.an", "--role", "auditor", env=env)
    assert again.returncode == 1 and "exists already" in again.stderr
    assert _users("revoke", "nguyen.an", env=env).returncode == 0
    gone = client.get("/api/transfers", headers={"Authorization": f"Bearer {token}"})
    assert gone.status_code == 401
