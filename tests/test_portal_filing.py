"""The filing lifecycle in the portal: the timeline in date order with documents and
comments, an event form that offers what the state allows and keeps what was typed when the
lifecycle refuses it, approval with its date, and the typed filing API."""

from __future__ import annotations

import hashlib
import html
import re

from tests import test_portal as base
from tests.support import tiny_pdf
from tests.test_portal import BIZFLY, FPT, Portal

# the portal test module's register and portal, seeded once
seeded = base.seeded
portal = base.portal


def _options(page: str) -> list[str]:
    select = re.search(r'<select name="event" id="event">(.*?)</select>', page, re.S)
    assert select, "no event form on the page"
    return re.findall(r'<option value="([a-z_]+)"', select[1])


def _timeline(page: str) -> list[str]:
    block = re.search(r'<ol class="timeline" id="timeline">(.*?)</ol>', page, re.S)
    assert block
    return [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", li)).strip()
        for li in re.findall(
            r'<li class="(?:approval|event)".*?(?=<li class="(?:approval|event|version)"|\Z)',
            block[1],
            re.S,
        )
    ]


def test_the_form_offers_only_the_events_the_state_allows(portal: Portal) -> None:
    c, csrf = portal.browser("legal")
    assert _options(c.get(f"/transfers/{FPT}").text) == ["withdrawn"]
    ok = c.post(f"/transfers/{FPT}/approve", data={"csrf_token": csrf, "on": "2026-11-20"})
    assert ok.status_code == 303
    approvals = portal.register.status(FPT, as_of=portal.now.date())["approvals"]
    assert [a["on"] for a in approvals] == ["2026-11-20"]  # the date legal gave, not today
    assert _options(c.get(f"/transfers/{FPT}").text) == ["submitted", "withdrawn"]


def test_a_refusal_keeps_what_was_typed_and_says_why_in_place(portal: Portal) -> None:
    c, csrf = portal.browser("legal")
    typed = {
        "csrf_token": csrf,
        "event": "accepted",  # not offered while prepared: a forged or stale form
        "on": "2026-11-21",
        "code": "000.00.00.H01-261121-0001",
        "reference": "BN-77",
        "comments": "Mục 3 thiếu sơ đồ\nMục 5 thiếu hợp đồng",
    }
    r = c.post(f"/transfers/{FPT}/events", data=typed)
    assert r.status_code == 409
    refused = re.search(r'<p class="error" id="event-refused" role="alert">(.*?)</p>', r.text, re.S)
    assert refused and "cannot record &#39;accepted&#39; while the filing is prepared" in refused[1]
    assert 'value="000.00.00.H01-261121-0001"' in r.text and 'value="BN-77"' in r.text
    assert "Mục 3 thiếu sơ đồ\nMục 5 thiếu hợp đồng</textarea>" in r.text
    assert 'value="2026-11-21"' in r.text
    assert 'id="timeline"' in r.text  # the transfer page itself, not a dead end
    # an impossible date is refused the same way, as invalid input
    r = c.post(f"/transfers/{FPT}/events", data={**typed, "event": "withdrawn", "on": "2062-07-01"})
    assert (
        r.status_code == 422
        and "after today in Vietnam" in r.text
        and 'value="2062-07-01"' in r.text
    )
    # an approval refused (an impossible date) keeps its date and says why next to it
    r = c.post(f"/transfers/{FPT}/approve", data={"csrf_token": csrf, "on": "2062-07-01"})
    assert r.status_code == 422 and 'id="approve-refused"' in r.text
    assert 'id="approve-on" value="2062-07-01"' in r.text
    assert portal.register.status(FPT, as_of=portal.now.date())["events"] == []


def test_the_timeline_is_in_date_order_with_documents_and_comments(portal: Portal) -> None:
    c, csrf = portal.browser("legal")
    assert (
        c.post(
            f"/transfers/{FPT}/approve", data={"csrf_token": csrf, "on": "2026-11-01"}
        ).status_code
        == 303
    )
    receipt = tiny_pdf({"r.txt": b"receipt"})
    sent = c.post(
        f"/transfers/{FPT}/events",
        data={
            "csrf_token": csrf,
            "event": "submitted",
            "on": "2026-11-05",
            "channel": "portal",
            "code": "H01-0001",
            "reference": "BN-1",
        },
        files=[("documents", ("bien-nhan.pdf", receipt, "application/pdf"))],
    )
    assert sent.status_code == 303, sent.text
    reasons = {
        "csrf_token": csrf,
        "event": "not_accepted",
        "on": "2026-11-10",
        "comments": "Thiếu hợp đồng chuyển giao\nThiếu chính sách",
    }
    assert c.post(f"/transfers/{FPT}/events", data=reasons).status_code == 303
    # the new dossier's approval, dated today: after the events of earlier days
    assert (
        c.post(
            f"/transfers/{FPT}/approve", data={"csrf_token": csrf, "on": "2026-11-22"}
        ).status_code
        == 303
    )
    page = c.get(f"/transfers/{FPT}").text
    items = _timeline(page)
    assert [i.split(" ", 1)[0] for i in items] == [
        "2026-11-01",
        "2026-11-05",
        "2026-11-10",
        "2026-11-22",
    ]
    assert items[0].startswith("2026-11-01 approved by legal-user")
    assert "submitted via portal — dossier code H01-0001 — receipt BN-1" in items[1]
    assert "bien-nhan.pdf" in items[1]
    assert "Thiếu hợp đồng chuyển giao" in items[2] and "Thiếu chính sách" in items[2]
    assert items[3].startswith("2026-11-22 approved by legal-user")
    # assessment versions take their place among them too
    kinds = re.findall(
        r'<li class="(version|approval|event)"[^>]*><span class="when">([0-9-]+)', page
    )
    assert [d for _, d in kinds] == sorted(d for _, d in kinds)
    assert ("version", "2026-11-22") in kinds
    assert "không đạt yêu cầu" in page  # the dossier's outcome in the text's words
    sha = hashlib.sha256(receipt).hexdigest()
    link = f"/transfers/{FPT}/documents/{sha}"
    assert html.escape(link) in page
    got = c.get(link)
    assert got.status_code == 200 and got.content == receipt
    # a new dossier may follow
    assert _options(page) == ["submitted", "withdrawn"]


def test_a_late_filing_shows_as_late_in_the_portal_and_the_api(portal: Portal) -> None:
    legal = portal.client("legal")
    assert (
        legal.post(f"/api/transfers/{BIZFLY}/approvals", json={"on": "2026-11-20"}).status_code
        == 201
    )
    r = legal.post(
        f"/api/transfers/{BIZFLY}/filing-events",
        json={
            "event": "filed",
            "on": "2026-11-22",
            "channel": "post",
            "reference": "EMS-1",
            "comments": ["gửi bưu chính"],
        },
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["event"], body["regime"], body["comments"]) == (
        "submitted",
        "resolution_22",
        ["gửi bưu chính"],
    )
    status = legal.get(f"/api/transfers/{BIZFLY}/filing").json()
    [initial] = [d for d in status["deadlines"] if d["kind"] == "initial_filing"]
    assert (initial["status"], initial["done_on"]) == ("late", "2026-11-22")
    assert initial["days_late"] > 0 and "done late by" in initial["says"]
    page = portal.client("legal").get(f"/transfers/{BIZFLY}").text
    row = re.search(r'<tr class="late"><td>File the transfer impact.*?</tr>', page, re.S)
    assert row and "met" not in re.sub(r"<[^>]+>", "", row[0]).split("late", 1)[1].split("day")[0]
    assert f"done late by {initial['days_late']} days" in page
    # a channel only where the lifecycle takes one; an unknown channel is invalid input
    bad = legal.post(
        f"/api/transfers/{BIZFLY}/filing-events",
        json={"event": "received", "on": "2026-11-22", "channel": "fax"},
    )
    assert bad.status_code == 422 and {p["path"] for p in bad.json()["problems"]} == {"channel"}


def test_the_filing_api_is_typed_in_openapi(portal: Portal) -> None:
    spec = (
        portal.client("viewer" if "viewer" in portal.tokens else "legal")
        .get("/api/openapi.json")
        .json()
    )
    schemas = spec["components"]["schemas"]
    assert set(schemas["FilingEventIn"]["properties"]["event"]["enum"]) >= {
        "submitted",
        "received",
        "refused_at_receipt",
        "not_accepted",
        "filed",
        "stop-order",
    }
    post = spec["paths"]["/api/transfers/{transfer_id}/filing-events"]["post"]
    assert post["responses"]["201"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/FilingEventOut"
    )
    get = spec["paths"]["/api/transfers/{transfer_id}/filing"]["get"]
    assert get["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/FilingStatusOut"
    )
    assert "late" in schemas["Clock"]["properties"]["status"]["enum"]
