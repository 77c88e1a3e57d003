"""The portal in a real browser (Debian's Chromium driven by Playwright) against a real
``dtia portal`` process: sign-in and its cookie, dossier and bundle downloads checked
against the store, the overdue style of the register, and an assessment run started from
an upload that waits for a recipient's questionnaire, answered through a one-time link.

The runs use the local path of the portal (no PREFECT_API_URL): ``dtia run assess`` with
an ephemeral Prefect server, which takes a while to start on a small machine.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "tests" / "shared_examples"
BIN = Path(sys.executable).parent
CHROMIUM = "/usr/bin/chromium"
FPT = "fpt-smart-cloud-to-fpt-japan"
BIZFLY = "bizfly-cloud-support-desk"
NEW_TRANSFER = "bizfly-browser-run"
VN = ZoneInfo("Asia/Ho_Chi_Minh")

pytestmark = [
    pytest.mark.server,
    pytest.mark.skipif(not Path(CHROMIUM).is_file(), reason=f"no Chromium at {CHROMIUM}"),
]


def _intake(name: str) -> dict[str, Any]:
    data = yaml.safe_load((EXAMPLES / name / "intake.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- processes: the portal and whatever it starts (runs, their ephemeral Prefect server) ---


def _proc_stat(pid: int) -> tuple[str, int, int] | None:
    """(state, parent pid, start time) of a process, or None once it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    return fields[0], int(fields[1]), int(fields[19])


def _descendants(root: int) -> list[tuple[int, int, int]]:
    """Every live process below ``root`` as (pid, start time, depth); the start time
    guards against hitting a pid reused by then."""
    children: dict[int, list[tuple[int, int]]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = _proc_stat(int(entry.name))
            if stat is not None and stat[0] != "Z":
                children.setdefault(stat[1], []).append((int(entry.name), stat[2]))
    found: list[tuple[int, int, int]] = []
    todo = [(root, 0)]
    while todo:
        parent, depth = todo.pop()
        for pid, started in children.get(parent, []):
            found.append((pid, started, depth + 1))
            todo.append((pid, depth + 1))
    return found


def _alive(pid: int, started: int) -> bool:
    stat = _proc_stat(pid)
    return stat is not None and stat[0] != "Z" and stat[2] == started


def _signal_and_wait(procs: list[tuple[int, int]], seconds: float) -> None:
    for pid, started in procs:
        if _alive(pid, started):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and any(_alive(p, s) for p, s in procs):
        time.sleep(0.2)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate the portal and every process it started (found before it goes away): the
    portal and its runs first, so a run can still stop its own ephemeral Prefect server,
    then whatever is left; a process that ignores SIGTERM for 30 s is killed."""
    below = _descendants(process.pid)
    runs = [(pid, started) for pid, started, depth in below if depth == 1]
    rest = [(pid, started) for pid, started, depth in below if depth > 1]
    process.terminate()
    _signal_and_wait(runs, 30)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=30)
    _signal_and_wait(rest, 30)
    for pid, started in runs + rest:
        if _alive(pid, started):
            os.kill(pid, signal.SIGKILL)


@dataclass(frozen=True)
class Portal:
    url: str
    data_dir: Path
    legal_token: str
    officer_token: str
    log: Path

    def api(self, path: str, token: str) -> Any:
        request = urllib.request.Request(
            f"{self.url}{path}", headers={"Authorization": f"Bearer {token}"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())

    def db(self) -> sqlite3.Connection:
        return sqlite3.connect(f"file:{self.data_dir / 'dtia.db'}?mode=ro", uri=True)


def _dtia(env: dict[str, str], *args: str, ok: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(BIN / "dtia"), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode in ok, f"dtia {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done


def _wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, f"the portal exited:\n{log.read_text()}"
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as r:
                if r.status == 200 and json.loads(r.read())["status"] == "ok":
                    return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"the portal at {url} did not come up:\n{log.read_text()}")


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    base = tmp_path_factory.mktemp("portal")
    data = base / "data"
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DTIA_DATA_DIR": str(data),
        "DTIA_PORTAL_URL": url,
        "DO_NOT_TRACK": "1",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_HOME": str(base / "prefect"),
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
    }
    # runs go the local way (dtia run assess, ephemeral Prefect), and the store is SQLite
    env.pop("PREFECT_API_URL", None)
    env.pop("DTIA_DATABASE_URL", None)

    _dtia(
        env,
        "dossier",
        str(EXAMPLES / FPT / "intake.yaml"),
        "--as-of",
        "2026-11-22",
        "--out",
        str(base / "out"),
        "--save",
        ok=(0, 3),  # stored either way; 3 says the example is not yet ready to file
    )
    _dtia(env, "assess", str(EXAMPLES / BIZFLY / "intake.yaml"), "--as-of", "2026-06-01", "--save")
    tokens = {}
    for name, role in (("legal1", "legal"), ("officer1", "compliance_officer")):
        lines = _dtia(env, "users", "add", name, "--role", role).stdout.strip().splitlines()
        tokens[role] = lines[-1].strip()
        assert re.fullmatch(r"[A-Za-z0-9_-]{40,}", tokens[role]), lines

    log = base / "portal.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(BIN / "dtia"), "portal", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=base,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        _wait_healthy(url, process, log, 120)
        yield Portal(url, data, tokens["legal"], tokens["compliance_officer"], log)
    finally:
        _stop(process)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def contexts(browser: Browser) -> Iterator[list[BrowserContext]]:
    """Browser contexts opened by a test, closed after it."""
    opened: list[BrowserContext] = []
    yield opened
    for context in opened:
        context.close()


def _context(browser: Browser, portal: Portal, opened: list[BrowserContext]) -> BrowserContext:
    context = browser.new_context(base_url=portal.url, accept_downloads=True)
    context.set_default_timeout(60_000)
    context.set_default_navigation_timeout(60_000)
    opened.append(context)
    return context


def _sign_in(
    browser: Browser, portal: Portal, token: str, opened: list[BrowserContext]
) -> tuple[BrowserContext, Page]:
    context = _context(browser, portal, opened)
    page = context.new_page()
    page.goto("/login")
    page.fill("#token", token)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(f"{portal.url}/")
    expect(page.locator("h1")).to_have_text("Register of transfers")
    return context, page


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- tests -----------------------------------------------------------------------------------


def test_legal_downloads_dossier_and_bundle_matching_the_store(
    portal: Portal, browser: Browser, contexts: list[BrowserContext], tmp_path: Path
) -> None:
    context, page = _sign_in(browser, portal, portal.legal_token, contexts)
    expect(page.locator("header .who")).to_have_text("legal1 · legal")

    session = [c for c in context.cookies() if c["name"] == "dtia_session"]
    assert len(session) == 1, context.cookies()
    assert session[0]["httpOnly"] is True
    assert session[0]["secure"] is True
    assert session[0]["sameSite"] == "Strict"

    transfer_id = _intake(FPT)["transfer"]["id"]
    page.locator(f"table.register a[href='/transfers/{transfer_id}']").click()
    page.wait_for_url(f"{portal.url}/transfers/{transfer_id}")
    page.screenshot(path=str(tmp_path / "transfer.png"), full_page=True)

    with closing(portal.db()) as db:
        rows = db.execute(
            "SELECT d.sha256, a.assessment_json, a.version FROM dossiers d "
            "JOIN assessments a ON a.id = d.assessment_id "
            "WHERE a.transfer_id = ? AND d.kind IN ('review', 'exemption-memo') "
            "AND a.version = (SELECT max(version) FROM assessments WHERE transfer_id = ?)",
            (transfer_id, transfer_id),
        ).fetchall()
    assert len(rows) == 1, rows
    stored_sha, assessment_json, version = rows[0]
    on_disk = (portal.data_dir / "dossiers" / stored_sha[:2] / f"{stored_sha}.pdf").read_bytes()
    assert _sha256(on_disk) == stored_sha
    expect(page.locator("#downloads")).to_contain_text(f"SHA-256 {stored_sha}")

    with page.expect_download() as pdf_download:
        page.click("#download-pdf")
    pdf_path = tmp_path / pdf_download.value.suggested_filename
    pdf_download.value.save_as(pdf_path)
    assert pdf_path.name.startswith(f"{transfer_id}-v{version}-")
    pdf = pdf_path.read_bytes()
    assert pdf.startswith(b"%PDF-")
    assert _sha256(pdf) == stored_sha
    assert pdf == on_disk

    with page.expect_download() as zip_download:
        page.click("#download-bundle")
    zip_path = tmp_path / zip_download.value.suggested_filename
    zip_download.value.save_as(zip_path)
    assert zip_path.name == f"{transfer_id}-v{version}.zip"
    with zipfile.ZipFile(zip_path) as bundle:
        names = bundle.namelist()
        pdfs = [n for n in names if n.endswith("/review.pdf")]
        assert pdfs == [f"{transfer_id}-v{version}/review.pdf"], names
        assert any(n.endswith(("/filing.pdf", "/filing-draft.pdf")) for n in names), names
        assert bundle.read(pdfs[0]) == pdf
        assert bundle.read(f"{transfer_id}-v{version}/assessment.json") == (
            assessment_json.encode()
        )
        manifest = json.loads(bundle.read(f"{transfer_id}-v{version}/bundle.json"))
    assert manifest["dossier_sha256"] == stored_sha
    assert manifest["version"] == version


def test_register_shows_overdue_deadline_in_overdue_style(
    portal: Portal, browser: Browser, contexts: list[BrowserContext], tmp_path: Path
) -> None:
    css = (ROOT / "templates" / "portal" / "portal.css").read_text(encoding="utf-8")
    hex_red = re.search(r"--overdue:\s*#([0-9a-fA-F]{6})\s*;", css)
    assert hex_red is not None
    red = "rgb({}, {}, {})".format(*(int(hex_red[1][i : i + 2], 16) for i in (0, 2, 4)))
    assert red == "rgb(179, 38, 30)"

    _context, page = _sign_in(browser, portal, portal.legal_token, contexts)
    transfer_id = _intake(BIZFLY)["transfer"]["id"]
    row = page.locator(
        "table.register tbody tr", has=page.locator(f"a[href='/transfers/{transfer_id}']")
    )
    expect(row).to_have_count(1)
    expect(row).to_have_class(re.compile(r"(^|\s)overdue(\s|$)"))
    deadline = row.locator(".deadline.overdue")
    expect(deadline).to_have_count(1)
    # due 2026-08-14 (60 days after the first transfer): overdue on any day after it
    expect(deadline).to_contain_text("2026-08-14")
    expect(deadline).to_contain_text(re.compile(r"\d+ days? overdue"))
    assert deadline.evaluate("e => getComputedStyle(e).color") == red
    assert deadline.evaluate("e => getComputedStyle(e).fontWeight") == "700"
    # the row is tinted too, unlike a row without an overdue deadline
    cell = row.locator("td").first
    assert cell.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(253, 232, 231)"
    page.screenshot(path=str(tmp_path / "register.png"), full_page=True)


def _intake_zip(folder: Path, target: Path) -> Path:
    """The intake folder zipped with intake.yaml at the top, as an officer would upload it."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as z:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                z.write(path, path.relative_to(folder).as_posix())
    return target


def _tiny_pdf() -> bytes:
    body = (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
        b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    )
    xref = len(body)
    return body + (
        b"xref\n0 4\n0000000000 65535 f \n0000000009 00000 n \n0000000052 00000 n \n"
        b"0000000101 00000 n \ntrailer<</Size 4/Root 1 0 R>>\nstartxref\n"
        + str(xref).encode()
        + b"\n%%EOF\n"
    )


def _run_json(portal: Portal, run_id: str) -> dict[str, Any]:
    result: dict[str, Any] = portal.api(f"/api/runs/{run_id}", portal.officer_token)
    return result


def test_officer_uploads_intake_recipient_answers_and_the_run_completes(
    portal: Portal, browser: Browser, contexts: list[BrowserContext], tmp_path: Path
) -> None:
    # an intake whose recipient has no safeguards on file, under a new transfer id
    folder = tmp_path / "intake"
    shutil.copytree(EXAMPLES / BIZFLY, folder)
    data = _intake(BIZFLY)
    data["transfer"]["id"] = NEW_TRANSFER
    recipient = data["recipients"][0]
    del recipient["safeguards"]
    (folder / "intake.yaml").write_text(
        yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    upload = _intake_zip(folder, tmp_path / "upload.zip")
    with zipfile.ZipFile(upload) as z:
        assert "intake.yaml" in z.namelist()
        assert "attachments/helpdesk-dpa.pdf" in z.namelist()

    # the compliance officer starts the run
    _officer_context, officer = _sign_in(browser, portal, portal.officer_token, contexts)
    officer.get_by_role("link", name="New assessment").click()
    officer.wait_for_url(f"{portal.url}/runs/new")
    officer.set_input_files("#intake", upload)
    officer.locator("main button[type=submit]").click()
    officer.wait_for_url(re.compile(r"/runs/[0-9a-f]{32}$"))
    run_url = officer.url
    run_id = run_url.rsplit("/", 1)[1]
    expect(officer.locator("#run-status")).to_contain_text("running")
    expect(officer.locator("main")).to_contain_text(f"Transfer {NEW_TRANSFER}")
    officer.screenshot(path=str(tmp_path / "run-started.png"), full_page=True)
    officer.goto("/")  # off the self-refreshing run page until the answer is in

    # legal waits for the questionnaire on the register and issues a link
    _legal_context, legal = _sign_in(browser, portal, portal.legal_token, contexts)
    waiting = legal.locator(
        "xpath=//h2[normalize-space()='Waiting for recipients']/following-sibling::table[1]"
        "/tbody/tr"
    ).filter(has_text=NEW_TRANSFER)
    deadline = time.monotonic() + 180
    while waiting.count() == 0:
        run = _run_json(portal, run_id)
        assert run["status"] == "running", run
        assert time.monotonic() < deadline, f"no questionnaire waits; the run says: {run}"
        legal.wait_for_timeout(2000)
        legal.reload()
    expect(waiting).to_have_count(1)
    expect(waiting).to_contain_text(f"{recipient['name']} ({recipient['country']})")
    expect(waiting).to_contain_text("a run waits")
    legal.screenshot(path=str(tmp_path / "waiting.png"), full_page=True)
    # the run publishes no link (its artifact points to the portal): legal issues it here
    waiting.get_by_role("button", name=re.compile(r"^Issue (a new )?link$")).click()
    expect(legal.locator("h1")).to_have_text(f"Questionnaire link for {recipient['id']}")
    link = legal.input_value("#link")
    assert re.fullmatch(re.escape(portal.url) + r"/q/[A-Za-z0-9_-]{40,}", link), link

    # the recipient opens it without any session
    recipient_context = _context(browser, portal, contexts)
    answer_page = recipient_context.new_page()
    response = answer_page.goto(link)
    assert response is not None and response.status == 200
    assert recipient_context.cookies() == []
    main = answer_page.locator("main")
    transferor = data["transferor"]
    expect(main).to_contain_text(f"{transferor['name_foreign']} ({transferor['name_vi']}) asks")
    expect(main).to_contain_text(recipient["name"])
    expect(main).to_contain_text(recipient["service"])
    text = main.inner_text()
    for other in (_intake(FPT)["transfer"]["id"], _intake(BIZFLY)["transfer"]["id"]):
        assert other not in text
    assert recipient["contract"]["reference"] not in text  # nothing beyond the context
    expect(answer_page.locator("header nav")).to_have_count(0)
    attested_on = (datetime.now(VN).date() - timedelta(days=1)).isoformat()
    answer_page.fill("#attested_by", "Helpdesk security lead (browser test)")
    answer_page.fill("#attested_on", attested_on)
    answer_page.select_option("#encryption_in_transit", "yes")
    answer_page.select_option("#encryption_at_rest", "yes")
    answer_page.fill("#incident_notification_hours", "24")
    answer_page.fill("input[name=cert_0_name]", "ISO/IEC 27001")
    answer_page.fill("input[name=cert_0_issuer]", "Example Certification Body")
    answer_page.fill("input[name=cert_0_expires_on]", "2028-06-30")
    evidence = tmp_path / "iso27001.pdf"
    evidence.write_bytes(_tiny_pdf())
    answer_page.fill("input[name=evidence_title_0]", "ISO/IEC 27001 certificate")
    answer_page.set_input_files("input[name=evidence_file_0]", evidence)
    answer_page.screenshot(path=str(tmp_path / "questionnaire.png"), full_page=True)
    with answer_page.expect_navigation():
        answer_page.click("#submit-answer")
    expect(answer_page.locator("#answered")).to_be_visible()
    expect(answer_page.locator("#answered")).to_contain_text(recipient["name"])
    # the waiting run was reached (otherwise the page says the next run picks it up)
    expect(answer_page.locator("main")).not_to_contain_text("on its next run")
    answer_page.screenshot(path=str(tmp_path / "answered.png"), full_page=True)
    stored = portal.data_dir / "evidence" / _sha256(evidence.read_bytes())[:2]
    assert (stored / f"{_sha256(evidence.read_bytes())}.pdf").read_bytes() == evidence.read_bytes()

    # the run resumes, assesses, renders and saves
    deadline = time.monotonic() + 240
    while True:
        officer.goto(run_url)
        status = officer.locator("#run-status").inner_text()
        if status.startswith("completed"):
            break
        assert not status.startswith("failed"), officer.locator("main").inner_text()
        assert time.monotonic() < deadline, (
            "the run did not complete within 240 s of the answer (still paused?):\n"
            + officer.locator("main").inner_text()
        )
        officer.wait_for_timeout(2000)
    expect(officer.locator("#run-status")).to_have_class(re.compile(r"\bcompleted\b"))
    officer.screenshot(path=str(tmp_path / "run-completed.png"), full_page=True)
    officer.get_by_role("link", name=f"Open {NEW_TRANSFER}").click()
    officer.wait_for_url(f"{portal.url}/transfers/{NEW_TRANSFER}")
    expect(officer.locator("#download-pdf")).to_be_visible()

    saved = portal.api(f"/api/transfers/{NEW_TRANSFER}", portal.legal_token)
    assert [v["version"] for v in saved["versions"]] == [1]
    assert saved["versions"][0]["dossiers"], saved["versions"]
    assert saved["state"] == "prepared"
    assert _run_json(portal, run_id)["status"] == "completed"

    # the run was resumed with the stored answer, evidence included: the uploaded file is
    # among the dossier's embedded inputs
    request = urllib.request.Request(
        f"{portal.url}/api/transfers/{NEW_TRANSFER}/bundle.zip",
        headers={"Authorization": f"Bearer {portal.legal_token}"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        bundle = zipfile.ZipFile(io.BytesIO(response.read()))
    embedded = {n: bundle.read(n) for n in bundle.namelist() if "/embedded/" in n}
    evidence_sha = _sha256(evidence.read_bytes())
    assert any(
        n.endswith(f"{evidence_sha}.pdf") and d == evidence.read_bytes()
        for n, d in embedded.items()
    ), sorted(embedded)

    # the assessment used the answer: legal sees the recipient's safeguards as attested
    legal.goto(f"/transfers/{NEW_TRANSFER}")
    expect(
        legal.locator("#questionnaires tbody tr").filter(has_text=recipient["id"])
    ).to_contain_text(f"attested {attested_on}")
    legal.goto("/")
    expect(legal.locator("table.register")).to_contain_text(NEW_TRANSFER)
    expect(
        legal.locator(
            "xpath=//h2[normalize-space()='Waiting for recipients']/following-sibling::*[1]"
        )
    ).not_to_contain_text(NEW_TRANSFER)

    # the link worked once
    again = recipient_context.new_page()
    response = again.goto(link)
    assert response is not None and response.status == 410
    expect(again.locator("h1")).to_have_text("Link no longer valid")
    expect(again.locator("main")).not_to_contain_text(recipient["service"])
    with pytest.raises(urllib.error.HTTPError) as gone:
        urllib.request.urlopen(link, timeout=30)
    assert gone.value.code == 410
    gone.value.close()
