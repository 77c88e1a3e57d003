"""Hostile uploads and form posts to the portal: 4xx answers with key paths, the CLI's
messages, and a portal that keeps serving everyone else."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from dtia.portal.runs import MAX_UPLOAD
from tests.reliability.hostile import FPT_TEXT, replaced, with_bomb
from tests.reliability.test_intake_inputs import CASES_11
from tests.support import tiny_pdf
from tests.test_portal import FPT, GOOD_ANSWER, Portal, _issue, seeded  # noqa: F401  (a fixture)


@pytest.fixture
def site(seeded: Path, tmp_path: Path) -> Iterator[Portal]:  # noqa: F811
    """The portal's own test setup: a copy of the seeded register, one user per role."""
    shutil.copytree(seeded, tmp_path / "data")
    p = Portal(tmp_path / "data")
    yield p
    p.register.engine.dispose()


def _upload(site: Portal, text: str, name: str = "intake.yaml") -> dict[str, object]:
    r = site.client("compliance_officer").post(
        "/api/runs", files={"intake": (name, text.encode("utf-8"), "text/yaml")}
    )
    assert r.status_code == 422, (r.status_code, r.text[:500])
    body: dict[str, object] = r.json()
    assert str(site.settings.data_dir) not in r.text
    return body


def test_an_uploaded_alias_bomb_is_refused_and_the_portal_serves_the_next_user(
    site: Portal,
) -> None:
    # a million values: past the limit, yet small enough not to hurt a portal without it
    bomb = with_bomb(levels=6)
    body = _upload(site, bomb)
    assert body["detail"] == "intake.yaml: invalid"
    (problem,) = body["problems"]  # type: ignore[misc]
    assert problem["path"].startswith("bomb.") and "alias" in problem["message"]
    legal = site.client("legal")
    after = legal.get("/api/transfers")
    assert after.status_code == 200 and FPT in after.text
    # and through the page, the same answer
    c, csrf = site.browser("compliance_officer")
    page = c.post(
        "/runs",
        data={"csrf_token": csrf},
        files={"intake": ("intake.yaml", bomb.encode(), "text/yaml")},
    )
    assert page.status_code == 422 and "bomb." in page.text


def test_an_upload_within_the_upload_limit_but_over_the_intake_limit_is_refused(
    site: Portal,
) -> None:
    padding = "\n# " + "x" * (MAX_UPLOAD // 2) + "\n"
    body = _upload(site, FPT_TEXT + padding)
    (problem,) = body["problems"]  # type: ignore[misc]
    assert "at most 1 MB" in problem["message"]


def test_many_problems_in_an_upload_are_capped_and_counted(site: Portal) -> None:
    items = "".join(f"    - {i}\n" for i in range(900))
    body = _upload(site, replaced("  purposes:\n", "  purposes:\n" + items))
    assert len(body["problems"]) == 50  # type: ignore[arg-type]
    more = body["more_problems"]
    assert isinstance(more, int) and more >= 850  # and the attachments not uploaded with it
    assert body["detail"] == f"intake.yaml: invalid ({50 + more} problems: the first 50 are listed)"


@pytest.mark.parametrize("case", sorted(CASES_11))
def test_values_that_gave_a_500_get_a_422_with_their_key_path(site: Portal, case: str) -> None:
    (old, new), key_path, message = CASES_11[case]
    body = _upload(site, replaced(old, new))
    problems = body["problems"]
    assert isinstance(problems, list)
    assert any(p["path"] == key_path and message in p["message"] for p in problems), problems


# --- the recipient's questionnaire ------------------------------------------------------------


def _answer(site: Portal, **fields: str) -> tuple[int, str]:
    token = _issue(site)
    r = site.client().post(f"/q/{token}", data={**GOOD_ANSWER, **fields})
    return r.status_code, r.text


def test_a_5000_digit_number_in_the_form_gets_the_command_line_message(site: Portal) -> None:
    status, text = _answer(site, incident_notification_hours="9" * 5000)
    assert status == 422
    assert "incident_notification_hours" in text
    assert "is a number of 5,000 characters; at most 20 are accepted" in text


@pytest.mark.parametrize("attested_on", ["9999-12-31", "2026-11-23"])
def test_an_answer_dated_in_the_future_is_refused(site: Portal, attested_on: str) -> None:
    status, text = _answer(site, attested_on=attested_on)
    assert status == 422, text
    assert "attested_on" in text
    assert "outside the accepted range" in text or "is after today (2026-11-22)" in text


def test_an_answer_dated_today_in_vietnam_is_taken(site: Portal) -> None:
    site.now = site.now.replace(hour=20)  # 03:00 the next day in Hanoi
    tomorrow = (site.now + timedelta(hours=7)).date().isoformat()
    status, text = _answer(site, attested_on=tomorrow)
    assert status == 200, text


def test_control_characters_in_the_form_are_refused_by_key_path(site: Portal) -> None:
    status, text = _answer(
        site,
        access_control="least privilege\u202e, MFA",
        local_law="APPI\x00",
        evidence_title_0="ISO\x1bcertificate",
    )
    assert status == 422
    assert "access_control" in text and "U+202E RIGHT-TO-LEFT OVERRIDE" in text
    assert "local_law" in text and "U+0000" in text


def test_an_evidence_title_with_control_characters_is_refused(site: Portal) -> None:
    token = _issue(site)
    r = site.client().post(
        f"/q/{token}",
        data={**GOOD_ANSWER, "evidence_title_0": "ISO\x1bcertificate"},
        files={"evidence_file_0": ("iso.pdf", tiny_pdf(), "application/pdf")},
    )
    assert r.status_code == 422, r.text
    assert "evidence_title_0" in r.text and "U+001B" in r.text
    assert not (site.settings.data_dir / "evidence").exists()  # nothing kept


def test_line_breaks_typed_in_the_form_are_kept_as_newlines(site: Portal) -> None:
    status, text = _answer(site, retention_and_deletion="Kept 1 year.\r\nDeleted after.")
    assert status == 200, text
    stored = site.register.attestation(
        name="FPTジャパンホールディングス株式会社 (FPT Japan Holdings Co., Ltd.)",
        country="JP",
        on=site.now.date(),
    )
    assert stored is not None and str(stored.retention_and_deletion) == "Kept 1 year.\nDeleted after."


# --- filing events ------------------------------------------------------------------------------


def test_a_filing_event_note_with_a_nul_byte_is_refused(site: Portal) -> None:
    legal = site.client("legal")
    r = legal.post(
        f"/api/transfers/{FPT}/filing-events",
        json={"event": "filed", "on": "2026-11-22", "reference": "A05\u202e1", "note": "a\u0000b"},
    )
    assert r.status_code == 422, r.text
    problems = {p["path"]: p["message"] for p in r.json()["problems"]}
    assert problems["note"].startswith("contains the control character U+0000")
    assert problems["reference"].startswith("contains the control character U+202E")
    c, csrf = site.browser("legal")
    form = c.post(
        f"/transfers/{FPT}/events",
        data={"csrf_token": csrf, "event": "submitted", "on": "2026-11-22", "comments": "a\x00b"},
    )
    assert form.status_code == 422 and "U+0000" in form.text
    assert site.register.status(FPT, as_of=site.now.date())["events"] == []
