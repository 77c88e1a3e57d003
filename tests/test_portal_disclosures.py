"""The portal's part of the policy check: the transfer page's disclosure table and APPI note,
and a recipient uploading its published notice with its questionnaire answer."""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from dtia.config import Settings
from dtia.engine import assess
from dtia.intake import load_intake
from dtia.portal.accounts import Accounts, Role
from dtia.portal.app import create_app
from dtia.register import Register
from tests.support import ELF, EXAMPLES, tiny_pdf

NOW = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
FPT = "fsc-fpt-japan-joint-use"
INTAKE = EXAMPLES / "fpt-smart-cloud-to-fpt-japan" / "intake.yaml"
NOTICE = Path(__file__).parent / "policies" / "written" / "sakura-joint-use.ja.txt"
ANSWER = {
    "attested_by": "Sato Hanako, CISO",
    "attested_on": "2026-11-22",
    "encryption_in_transit": "yes",
    "encryption_at_rest": "yes",
}


class Setup:
    def __init__(self, folder: Path) -> None:
        settings = Settings(data_dir=folder, portal_url="https://dtia.example.vn")
        self.settings = settings
        self.app = create_app(settings, clock=lambda: NOW)
        self.register: Register = self.app.state.register
        loaded = load_intake(INTAKE)
        self.register.save(
            loaded, assess(loaded, NOW.date()), actor="seed", source_path=str(INTAKE)
        )
        accounts = Accounts(self.register.engine)
        self.tokens = {r.value: accounts.add(f"{r.value}-user", r) for r in Role}

    def client(self, role: str | None = None) -> TestClient:
        headers = {"Authorization": f"Bearer {self.tokens[role]}"} if role else {}
        return TestClient(self.app, base_url="https://testserver", headers=headers)

    def link(self) -> str:
        r = self.client("legal").post(
            "/questionnaires", data={"transfer_id": FPT, "recipient_id": "fpt-japan"}
        )
        assert r.status_code == 200, r.text
        found = re.search(r'value="https://dtia\.example\.vn/q/([A-Za-z0-9_-]+)"', r.text)
        assert found
        return found[1]


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[Setup]:
    s = Setup(tmp_path / "data")
    yield s
    s.register.engine.dispose()


def test_the_transfer_page_shows_the_disclosure_table_and_the_appi_note(setup: Setup) -> None:
    page = setup.client("auditor").get(f"/transfers/{FPT}")
    assert page.status_code == 200
    text = html.unescape(page.text)
    section = text[text.index('<section id="disclosures">') :]
    section = section[: section.index("</section>")]
    # one table per file read: the transferor's policy and FPT Japan's notice
    assert "Personal Data Protection Policy (01-2026/CS/PDP, version 2.0)" in section
    assert "transferor.policies[0], transferor.policies[1]" in section
    assert "recipient fpt-japan" in section and "recipients[0].notices[0]" in section
    row = re.search(r'data-item="transfer_abroad"><td>.*?</tr>', section, re.S)
    assert row and ">yes<" in row[0] and "line 97" in row[0]
    row = re.search(r'data-item="destination_countries"><td>.*?</tr>', section, re.S)
    assert row and ">no<" in row[0] and "Name the countries" in row[0]
    # the APPI note: what the notice lacks, and the draft for the Japanese side
    note = section[section.index('id="appi-note-fpt-japan"') :]
    assert 'data-item="jp_joint_use_items"' in note and "APPI Art 27(5)(iii)" in note
    assert "(A05)" in note and "個人データ保護法" in note and "Act No. 56 of 2026" in note


def test_a_recipient_uploads_its_notice_with_its_answer(setup: Setup) -> None:
    token = setup.link()
    anonymous = setup.client()
    page = anonymous.get(f"/q/{token}")
    assert 'name="notice_file"' in page.text

    # a program, a broken PDF or text that is not UTF-8 is refused by name, and nothing kept
    for name, data, why in (
        ("notice.txt", ELF, "is an ELF executable"),
        ("notice.pdf", b"%PDF-1.7\n" + ELF, "not a complete PDF"),
        ("notice.txt", "個人情報".encode("shift_jis"), "not UTF-8"),
    ):
        refused = anonymous.post(
            f"/q/{token}", data=ANSWER, files={"notice_file": (name, data, "text/plain")}
        )
        assert refused.status_code == 400, refused.text
        shown = html.unescape(refused.text)
        assert f"{name}: notice " in shown and why in shown
    assert not (setup.settings.data_dir / "evidence").exists()

    notice = NOTICE.read_bytes()
    done = anonymous.post(
        f"/q/{token}",
        data={**ANSWER, "notice_title": "共同利用について"},
        files={"notice_file": ("sakura.txt", notice, "text/plain")},
    )
    assert done.status_code == 200 and "recorded" in done.text
    stored = setup.register.attestation(
        name="FPTジャパンホールディングス株式会社 (FPT Japan Holdings Co., Ltd.)",
        country="JP",
        on=NOW.date(),
    )
    assert stored is not None
    sha = hashlib.sha256(notice).hexdigest()
    (uploaded,) = stored.notices
    assert (str(uploaded.title), uploaded.upload, uploaded.path) == ("共同利用について", sha, None)
    assert stored.evidence == []
    assert setup.register.stored_file(sha) == notice

    # the next assessment reads it: the notice is one of the intake's files, checked by APPI
    loaded = setup.register.with_attestations(load_intake(INTAKE), INTAKE.parent, NOW.date())
    assert f"recipient-uploads/{sha}.txt" in loaded.files
    a = assess(loaded, NOW.date())
    answered = next(d for d in a.disclosures if d.document == "recipients[0].safeguards.notices[0]")
    assert answered.read and answered.party == "fpt-japan" and answered.title == "共同利用について"
    scope = next(i for i in answered.items if i.key == "jp_joint_users_scope")
    assert scope.disclosed
    (note,) = a.appi_notes
    assert note.notices == ["recipients[0].notices[0]", "recipients[0].safeguards.notices[0]"]


def test_a_pdf_notice_is_accepted(setup: Setup) -> None:
    token = setup.link()
    pdf = tiny_pdf()
    done = setup.client().post(
        f"/q/{token}", data=ANSWER, files={"notice_file": ("notice.pdf", pdf, "application/pdf")}
    )
    assert done.status_code == 200, done.text
    stored = setup.register.attestation(
        name="FPTジャパンホールディングス株式会社 (FPT Japan Holdings Co., Ltd.)",
        country="JP",
        on=NOW.date(),
    )
    assert stored is not None and str(stored.notices[0].title) == "notice.pdf"
    loaded = setup.register.with_attestations(load_intake(INTAKE), INTAKE.parent, NOW.date())
    sha = hashlib.sha256(pdf).hexdigest()
    assert f"recipient-uploads/{sha}.pdf" in loaded.files
