"""E-mail notifications through a real SMTP server started on loopback (aiosmtpd): legal
hears of deadlines, waiting runs and answers; recipients get their link and reminders 7, 3
and 1 days before it expires; nothing goes twice, nothing goes when DTIA_SMTP_URL is unset,
and a server that fails never fails the page or run that wanted the mail."""

from __future__ import annotations

import logging
import re
import socket
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from dtia.config import Settings
from dtia.engine import assess
from dtia.intake import Safeguards, load_intake
from dtia.notify.service import Notifier
from dtia.notify.smtp import MailError, parse_smtp_url
from dtia.portal.accounts import Accounts, Role
from dtia.portal.app import create_app
from dtia.register import Register
from dtia.store.models import NotificationRow
from tests.support import EXAMPLES

FPT = EXAMPLES / "fpt-smart-cloud-to-fpt-japan" / "intake.yaml"
BIZFLY = EXAMPLES / "bizfly-cloud-support-desk" / "intake.yaml"
LEGAL = "phap.che@fsc.example.vn"
PORTAL = "https://dtia.example.vn"
NOW = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)  # 10:00 in Hanoi
GOOD_ANSWER = {
    "attested_by": "Sato Hanako, CISO",
    "attested_on": "2026-11-22",
    "encryption_in_transit": "yes",
    "encryption_at_rest": "yes",
    "incident_notification_hours": "24",
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Inbox:
    """What the SMTP server received: parsed messages, envelopes and sign-ins."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"smtp://127.0.0.1:{port}"
        self.messages: list[EmailMessage] = []
        self.envelopes: list[Any] = []
        self.logins: list[tuple[str, str]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        self.envelopes.append(envelope)
        return "250 OK"

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        self.logins.append((data.login.decode(), data.password.decode()))
        return AuthResult(success=True)

    def text(self, i: int = -1) -> str:
        body = self.messages[i].get_body(("plain",))
        assert body is not None
        return str(body.get_content())


def _serve(inbox: Inbox, **options: Any) -> Controller:
    controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port, **options)
    controller.start()
    return controller


@pytest.fixture
def smtp() -> Iterator[Inbox]:
    inbox = Inbox(_free_port())
    controller = _serve(inbox)
    yield inbox
    controller.stop()


def _settings(folder: Path, smtp_url: str | None) -> Settings:
    return Settings(
        data_dir=folder,
        portal_url=PORTAL,
        smtp_url=smtp_url,  # type: ignore[arg-type]  # validated into a SecretStr
        mail_from="dtia <dtia@fsc.example.vn>",
        legal_email=f"Phòng Pháp chế <{LEGAL}>",
    )


def _register(folder: Path, smtp_url: str | None, on: date, *paths: Path) -> Register:
    register = Register(_settings(folder, smtp_url))
    for path in paths:
        loaded = load_intake(path)
        register.save(loaded, assess(loaded, on), actor="test")
    return register


def _rows(register: Register) -> list[NotificationRow]:
    with Session(register.engine) as s:
        return list(s.exec(select(NotificationRow).order_by(NotificationRow.id)).all())  # type: ignore[arg-type]


def _at(day: date, hour: int = 7) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC) - timedelta(hours=7)


# --- deadlines -------------------------------------------------------------------------------

AUG1 = date(2026, 8, 1)  # FPT's initial filing overdue (legal end 04/05), Bizfly's due 14/08


def test_legal_hears_of_each_deadline_once_a_stage_in_vietnamese(
    tmp_path: Path, smtp: Inbox
) -> None:
    register = _register(tmp_path, smtp.url, AUG1, BIZFLY, FPT)
    notifier = Notifier(register)
    out = notifier.daily(register.deadlines(as_of=AUG1), as_of=AUG1, now=_at(AUG1))
    assert [(o.kind, o.status) for o in out] == [("deadline", "sent")]
    (mail,) = smtp.messages
    assert smtp.envelopes[0].rcpt_tos == [LEGAL]
    assert mail["Subject"] == "Thời hạn luật định: 1 quá hạn, 1 sắp đến hạn"
    assert mail["From"] == "dtia <dtia@fsc.example.vn>" and mail["Content-Language"] == "vi"
    assert mail.get_content_type() == "text/plain"
    text = smtp.text()
    assert "tính đến ngày 01/08/2026" in text
    overdue, soon = text.split("QUÁ HẠN")[1].split("SẮP ĐẾN HẠN")
    assert "fsc-fpt-japan-joint-use" in overdue and "đã quá hạn 89 ngày" in overdue
    assert "Hạn 01/05/2026, hạn cuối theo luật 04/05/2026" in overdue
    assert "Gửi 01 bản chính hồ sơ đánh giá tác động" in overdue  # the law's own wording
    assert "Law 91/2025 Art 20(2)" in overdue and "Civil Code 2015 Art 148(5)" in overdue
    assert f"{PORTAL}/transfers/fsc-fpt-japan-joint-use" in overdue
    assert "bizfly-support-desk-us" in soon and "còn 13 ngày" in soon
    assert "bên chuyển dữ liệu" in soon

    # the same day again, and the next day: every deadline is at the stage announced already
    for day in (AUG1, AUG1 + timedelta(days=1)):
        assert notifier.daily(register.deadlines(as_of=day), as_of=day, now=_at(day)) == []
    assert len(smtp.messages) == 1
    # a week on: Bizfly is 7 days away, FPT a week further overdue: one mail with both
    aug7 = date(2026, 8, 7)
    notifier.daily(register.deadlines(as_of=aug7), as_of=aug7, now=_at(aug7))
    assert len(smtp.messages) == 2 and "còn 7 ngày" in smtp.text()
    assert smtp.messages[1]["Subject"] == "Thời hạn luật định: 1 quá hạn, 1 sắp đến hạn"
    rows = _rows(register)
    assert {r.status for r in rows} == {"sent"} and len(rows) == 4
    assert {r.key for r in rows} >= {
        "bizfly-support-desk-us/initial_filing/2026-08-14/due-14",
        "bizfly-support-desk-us/initial_filing/2026-08-14/due-7",
    }


def test_no_mail_and_no_record_when_smtp_is_not_set(tmp_path: Path) -> None:
    register = _register(tmp_path, None, AUG1, BIZFLY, FPT)
    notifier = Notifier(register)
    assert not notifier.enabled
    assert notifier.daily(register.deadlines(as_of=AUG1), as_of=AUG1, now=_at(AUG1)) == []
    assert _rows(register) == []


def test_a_failing_server_fails_no_run_and_is_tried_again(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    inbox = Inbox(_free_port())  # nothing listens there yet
    register = _register(tmp_path, inbox.url, AUG1, BIZFLY)
    notifier = Notifier(register)
    caplog.set_level(logging.WARNING, logger="dtia.notify")
    rows = register.deadlines(as_of=AUG1)
    (out,) = notifier.daily(rows, as_of=AUG1, now=_at(AUG1))
    assert out.status == "failed" and f"SMTP server 127.0.0.1:{inbox.port}" in out.error
    (line,) = [r for r in caplog.records if r.name == "dtia.notify"]
    assert "\n" not in line.getMessage() and line.exc_info is None
    (row,) = _rows(register)
    assert row.status == "failed" and row.error and row.attempts == 1
    controller = _serve(inbox)  # the server is back: the next check sends it
    try:
        (again,) = notifier.daily(rows, as_of=AUG1, now=_at(AUG1, 8))
    finally:
        controller.stop()
    assert again.status == "sent" and len(inbox.messages) == 1
    (row,) = _rows(register)
    assert row.status == "sent" and row.error is None and row.attempts == 2


def test_legal_email_unset_skips_legal_mail_with_a_line(
    tmp_path: Path, smtp: Inbox, caplog: pytest.LogCaptureFixture
) -> None:
    settings = _settings(tmp_path, smtp.url).model_copy(update={"legal_email": None})
    register = Register(settings)
    loaded = load_intake(BIZFLY)
    register.save(loaded, assess(loaded, AUG1), actor="t")
    caplog.set_level(logging.WARNING, logger="dtia.notify")
    (out,) = Notifier(register).daily(register.deadlines(as_of=AUG1), as_of=AUG1, now=_at(AUG1))
    assert out.status == "skipped" and "DTIA_LEGAL_EMAIL" in out.error
    assert smtp.messages == [] and "DTIA_LEGAL_EMAIL is not set" in caplog.text


# --- questionnaires ----------------------------------------------------------------------------


class Portal:
    def __init__(self, register: Register) -> None:
        self.now = NOW
        self.app = create_app(register.settings, clock=lambda: self.now)
        self.register: Register = self.app.state.register
        self.token = Accounts(self.register.engine).add("legal-user", Role.legal)

    def issue(self) -> tuple[str, str]:
        legal = TestClient(
            self.app,
            base_url="https://testserver",
            headers={"Authorization": f"Bearer {self.token}"},
        )
        r = legal.post(
            "/questionnaires",
            data={"transfer_id": "fsc-fpt-japan-joint-use", "recipient_id": "fpt-japan"},
        )
        assert r.status_code == 200, r.text
        link = re.search(r'value="(https://dtia\.example\.vn/q/([A-Za-z0-9_-]+))"', r.text)
        assert link
        return link[2], r.text


def test_the_recipient_gets_its_link_and_reminders_in_its_language_once_each(
    tmp_path: Path, smtp: Inbox
) -> None:
    portal = Portal(_register(tmp_path, smtp.url, NOW.date(), FPT))
    token, page = portal.issue()
    assert "E-mailed to privacy@example.fpt-japan.invalid" in page
    (link_mail,) = smtp.messages
    assert smtp.envelopes[0].rcpt_tos == ["privacy@example.fpt-japan.invalid"]
    assert link_mail["Reply-To"] == f"Phòng Pháp chế <{LEGAL}>" or LEGAL in link_mail["Reply-To"]
    assert link_mail["Content-Language"] == "ja"
    assert "安全管理措置に関する質問票" in link_mail["Subject"]
    text = smtp.text()
    japanese, vietnamese = text.split("ベトナム語版：")
    assert f"{PORTAL}/q/{token}" in japanese and f"{PORTAL}/q/{token}" in vietnamese
    assert "様" in japanese and "2026/12/06 10:00（ベトナム時間）" in japanese
    assert "Kính gửi" in vietnamese and "10:00 ngày 06/12/2026 (giờ Việt Nam)" in vietnamese
    assert "法律第91/2025/QH15号" in japanese and "Luật số 91/2025/QH15" in vietnamese

    notifier = Notifier(portal.register)
    sent = []
    for day in range(22, 37):  # daily checks from 22/11 to 06/12 (the link expires 10:00)
        on = date(2026, 11, 1) + timedelta(days=day - 1)
        out = notifier.reminders(as_of=on, now=_at(on))
        sent += [(on, o.status) for o in out]
    assert sent == [
        (date(2026, 11, 29), "sent"),
        (date(2026, 12, 3), "sent"),
        (date(2026, 12, 5), "sent"),
    ]
    reminders = smtp.messages[1:]
    assert [m["Subject"].rsplit("あと", 1)[1] for m in reminders] == [
        "7日です",
        "3日です",
        "1日です",
    ]
    for m in reminders:  # threaded under the link's mail, without the link itself
        assert m["In-Reply-To"] == link_mail["Message-ID"] == m["References"]
    for i in range(1, 4):
        assert token not in smtp.text(i) and link_mail["Subject"] in smtp.text(i)
    # after the expiry, nothing more
    assert notifier.reminders(as_of=date(2026, 12, 6), now=_at(date(2026, 12, 6), 11)) == []

    # the recipient answers: legal hears of it, and no reminder follows
    portal.now = NOW + timedelta(days=2)
    anonymous = TestClient(portal.app, base_url="https://testserver")
    done = anonymous.post(f"/q/{token}", data=GOOD_ANSWER)
    assert done.status_code == 200
    answered = smtp.messages[-1]
    assert smtp.envelopes[-1].rcpt_tos == [LEGAL]
    assert answered["Subject"].endswith(
        "đã trả lời bảng câu hỏi về biện pháp bảo vệ (fsc-fpt-japan-joint-use)"
    )
    assert (
        "Sato Hanako, CISO" in smtp.text() and "10:00 ngày 24/11/2026 (giờ Việt Nam)" in smtp.text()
    )
    assert "Không có lượt đánh giá nào đang chờ" in smtp.text()
    count = len(smtp.messages)
    assert notifier.reminders(as_of=date(2026, 12, 5), now=_at(date(2026, 12, 5))) == []
    assert len(smtp.messages) == count
    kinds = [(r.kind, r.status) for r in _rows(portal.register)]
    assert kinds == [("link", "sent")] + [("reminder", "sent")] * 3 + [("answered", "sent")]


def test_a_link_that_cannot_be_mailed_is_still_shown(tmp_path: Path) -> None:
    closed = f"smtp://127.0.0.1:{_free_port()}"
    portal = Portal(_register(tmp_path, closed, NOW.date(), FPT))
    token, page = portal.issue()
    assert token and "Not e-mailed (SMTP server 127.0.0.1:" in page
    (row,) = _rows(portal.register)
    assert (row.kind, row.status) == ("link", "failed")


def test_without_smtp_issuing_a_link_sends_and_records_nothing(tmp_path: Path) -> None:
    portal = Portal(_register(tmp_path, None, NOW.date(), FPT))
    _token, page = portal.issue()
    assert "e-mailed" not in page.lower()
    assert _rows(portal.register) == []


def test_legal_hears_where_to_issue_the_link_when_a_run_waits(tmp_path: Path, smtp: Inbox) -> None:
    register = _register(tmp_path, smtp.url, NOW.date())
    notifier = Notifier(register)
    waits = dict(
        questionnaire_id=7,
        transfer_id="fsc-fpt-japan-joint-use",
        title="Joint use of customer data",
        recipient_id="fpt-japan",
        recipient="FPT Japan Holdings",
        country="JP",
        page_url=f"{PORTAL}/questionnaires/7",
        waits_until=NOW + timedelta(days=1),
        now=NOW,
    )
    assert notifier.run_waiting(**waits).status == "sent"  # type: ignore[arg-type, union-attr]
    assert notifier.run_waiting(**waits).status == "skipped"  # type: ignore[arg-type, union-attr]
    (mail,) = smtp.messages
    assert mail["Subject"] == (
        "fsc-fpt-japan-joint-use: việc đánh giá đang chờ biện pháp bảo vệ của FPT Japan Holdings"
    )
    text = smtp.text()
    assert f"{PORTAL}/questionnaires/7" in text and "10:00 ngày 23/11/2026" in text
    assert "dtia safeguards submit fsc-fpt-japan-joint-use fpt-japan FILE" in text


def test_an_answer_given_on_the_portal_says_whether_the_run_goes_on(
    tmp_path: Path, smtp: Inbox
) -> None:
    register = _register(tmp_path, smtp.url, NOW.date())
    answer = Safeguards.model_validate({"attested_by": "Sato", "attested_on": "2026-11-22"})
    Notifier(register).answered(
        questionnaire_id=3,
        transfer_id="t-1",
        context={"transfer_title": "T", "recipient": {"name": "R", "country": "JP"}},
        recipient_id="r",
        safeguards=answer,
        resumed=True,
        now=NOW,
    )
    assert "Lượt đánh giá đang chờ tiếp tục với câu trả lời này." in smtp.text()


# --- the SMTP settings ----------------------------------------------------------------------


def test_credentials_are_decoded_and_sent_to_the_server(tmp_path: Path) -> None:
    inbox = Inbox(_free_port())
    controller = _serve(inbox, authenticator=inbox.authenticate, auth_require_tls=False)
    try:
        url = f"smtp://dtia%40fsc.example.vn:p%40ss%3Aw0rd@127.0.0.1:{inbox.port}"
        register = _register(tmp_path, url, AUG1, BIZFLY)
        (out,) = Notifier(register).daily(register.deadlines(as_of=AUG1), as_of=AUG1, now=_at(AUG1))
    finally:
        controller.stop()
    assert out.status == "sent"
    assert inbox.logins == [("dtia@fsc.example.vn", "p@ss:w0rd")]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.example.vn", ("mail.example.vn", 25, "none")),
        ("smtp://u:p@mail.example.vn:587?starttls=true", ("mail.example.vn", 587, "starttls")),
        ("smtp://mail.example.vn?starttls=yes", ("mail.example.vn", 587, "starttls")),
        ("smtps://u:p@mail.example.vn", ("mail.example.vn", 465, "implicit")),
    ],
)
def test_smtp_urls(url: str, expected: tuple[str, int, str]) -> None:
    server = parse_smtp_url(url)
    assert (server.host, server.port, server.tls) == expected


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://u:s3cret@mail.example.vn", "the scheme must be smtp:// or smtps://"),
        ("smtp://u:s3cret@:25", "no host name"),
        ("smtp://u:s3cret@mail.example.vn:99999", "valid port"),
        ("smtp://u:s3cret@mail.example.vn?starttls=maybe", "starttls must be true or false"),
        ("smtps://u:s3cret@mail.example.vn?starttls=true", "smtps:// is TLS already"),
        ("smtp://u:s3cret@mail.example.vn?tls=1", "unknown option 'tls'"),
        ("smtp://u:s3cret@mail.example.vn?timeout=0", "timeout must be between"),
    ],
)
def test_bad_smtp_urls_say_what_is_wrong_without_the_password(url: str, message: str) -> None:
    with pytest.raises(MailError) as caught:
        parse_smtp_url(url)
    assert str(caught.value).startswith("DTIA_SMTP_URL: ") and message in str(caught.value)
    assert "s3cret" not in str(caught.value)
    assert "s3cret" not in repr(parse_smtp_url("smtp://u:s3cret@mail.example.vn"))


# --- the daily flow ---------------------------------------------------------------------------


@pytest.mark.prefect
def test_the_filing_clock_mails_legal_and_records_it_with_the_run(
    tmp_path: Path, smtp: Inbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.reassess import filing_clock

    monkeypatch.setenv("DTIA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("DTIA_DATABASE_URL", raising=False)
    monkeypatch.setenv("DTIA_SMTP_URL", smtp.url)
    monkeypatch.setenv("DTIA_LEGAL_EMAIL", LEGAL)
    _register(tmp_path / "data", smtp.url, AUG1, BIZFLY, FPT).engine.dispose()
    rows = filing_clock(as_of=AUG1)
    assert len(rows) == 2
    assert len(smtp.messages) == 1 and smtp.envelopes[0].rcpt_tos == [LEGAL]
    filing_clock(as_of=AUG1)  # a second run the same day sends nothing
    assert len(smtp.messages) == 1


def test_each_reason_is_sent_once_on_either_database(
    db_url: str, tmp_path: Path, smtp: Inbox
) -> None:
    settings = _settings(tmp_path, smtp.url).model_copy(update={"database_url": db_url})
    register = Register(settings)
    try:
        loaded = load_intake(BIZFLY)
        register.save(loaded, assess(loaded, AUG1), actor="t")
        rows = register.deadlines(as_of=AUG1)
        first = Notifier(register).daily(rows, as_of=AUG1, now=_at(AUG1))
        second = Notifier(register).daily(rows, as_of=AUG1, now=_at(AUG1, 9))
        assert [o.status for o in first] == ["sent"] and second == []
        assert len(smtp.messages) == 1
        (row,) = _rows(register)
        assert (row.status, row.recipients, row.language) == ("sent", LEGAL, "vi")
        assert row.message_id == smtp.messages[0]["Message-ID"]
    finally:
        register.engine.dispose()


def test_mail_test_checks_the_settings(tmp_path: Path, smtp: Inbox) -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, "DTIA_DATA_DIR": str(tmp_path), "DTIA_SMTP_URL": smtp.url}
    env.pop("DTIA_DATABASE_URL", None)
    env.pop("DTIA_LEGAL_EMAIL", None)
    dtia = [sys.executable, "-m", "dtia.cli", "mail", "test"]
    ok = subprocess.run([*dtia, "--to", LEGAL], env=env, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert smtp.envelopes[-1].rcpt_tos == [LEGAL]
    assert smtp.messages[-1]["Subject"] == "dtia: thư thử nghiệm"
    no_address = subprocess.run(dtia, env=env, capture_output=True, text=True)
    assert no_address.returncode == 2 and "DTIA_LEGAL_EMAIL" in no_address.stderr
    env["DTIA_SMTP_URL"] = "http://u:s3cret@mail.example.vn"
    bad = subprocess.run([*dtia, "--to", LEGAL], env=env, capture_output=True, text=True)
    assert bad.returncode == 1 and "DTIA_SMTP_URL: the scheme must be" in bad.stderr
    assert "s3cret" not in bad.stderr and "Traceback" not in bad.stderr
    del env["DTIA_SMTP_URL"]
    unset = subprocess.run([*dtia, "--to", LEGAL], env=env, capture_output=True, text=True)
    assert unset.returncode == 1 and "DTIA_SMTP_URL is not set" in unset.stderr
