"""The portal: pages for legal, auditors and compliance officers, a JSON API, and the
recipients' questionnaire pages. A thin layer over the register: every rule it applies
(filing guards, clocks, validation) is the same one the CLI applies.

Roles (``ROLE_MATRIX`` lists every route): everyone signed in reads the register and
downloads dossiers; only legal approves, records filing events and issues questionnaire
links; only compliance officers start assessment runs. A questionnaire token opens its
own page and nothing else.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import partial
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

import jinja2
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from dtia import __version__
from dtia.assessment import Assessment
from dtia.config import Settings
from dtia.diff import diff_versions
from dtia.dossier.render import environment, template_source
from dtia.errors import DtiaError, IntakeError, Problem
from dtia.evidence import notice_problem, pdf_problem
from dtia.filing import (
    CHANNELS,
    STATES,
    FilingDateError,
    FilingError,
    canonical_state,
    lifecycle,
)
from dtia.i18n import language
from dtia.intake import Evidence, format_loc, parse_safeguards
from dtia.notify import ics
from dtia.notify.service import Notifier, deadline_items, safely
from dtia.portal.accounts import Accounts, BrowserSession, Role, User
from dtia.portal.feeds import Feeds
from dtia.portal.filing_api import (
    MAX_DOCUMENT,
    MAX_DOCUMENTS,
    ApprovalIn,
    ApprovalOut,
    FilingEventIn,
    FilingEventOut,
    FilingStatusOut,
)
from dtia.portal.limits import MIB, BodyLimit
from dtia.portal.links import LinkError, Links
from dtia.portal.reader import FILING_KINDS, REVIEW_KINDS, Reader
from dtia.portal.runs import MAX_UPLOAD, Runs, UploadError
from dtia.questionnaire import QUESTIONS
from dtia.register import Register
from dtia.store.db import DatabaseError, NotFound
from dtia.store.models import PortalRunRow
from dtia.text import control_problem

VN = ZoneInfo("Asia/Ho_Chi_Minh")
COOKIE = "dtia_session"
LOGIN_COOKIE = "dtia_login_csrf"
MAX_EVIDENCE = 10 * 1024 * 1024
MAX_EVIDENCE_FILES = 5
TRANSFER_ID = re.compile(r"[a-z0-9-]{3,64}")
SHA256_HEX = re.compile(r"[0-9a-f]{64}")
RECIPIENT_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
RUN_ID = re.compile(r"[0-9a-f]{32}")
QUESTIONNAIRE_ID = re.compile(r"[1-9][0-9]{0,9}")
# where signing in may lead: a path of this portal (not "//host", which browsers read as
# another site), without a query
NEXT_PATH = re.compile(r"/(?!/)[A-Za-z0-9._~/-]*")

ALL = (Role.compliance_officer, Role.legal, Role.auditor)
LEGAL = (Role.legal,)
OFFICER = (Role.compliance_officer,)

log = logging.getLogger("dtia.portal")

# What the driver raises when the database cannot be reached or answer (a refused or dropped
# connection, an unopenable SQLite file, a pool with no free connection). Reads outside a unit
# of work raise these unwrapped, so the portal maps them itself: 503, never a bare 500.
UNREACHABLE = (DBAPIError, PoolTimeout)
UNAVAILABLE = "the register is unavailable or busy; try again in a moment"


class PortalError(Exception):
    def __init__(self, status: int, message: str, problems: list[Problem] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.problems = problems or []


@dataclass(frozen=True)
class Principal:
    user: User
    csrf: str | None  # None for bearer tokens: no cookie, no cross-site request to forge


def _principal(request: Request) -> Principal | None:
    """Who sends this request: a bearer token, or a browser session cookie."""
    accounts: Accounts = request.app.state.accounts
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, token = header.partition(" ")
        user = accounts.by_token(token.strip()) if scheme.lower() == "bearer" else None
        if user is None:
            raise PortalError(401, "invalid API token")
        return Principal(user, None)
    cookie = request.cookies.get(COOKIE)
    if cookie:
        found: BrowserSession | None = accounts.session(cookie, now=request.app.state.clock())
        if found is not None:
            return Principal(found.user, found.csrf_token)
    return None


def requires(*roles: Role) -> Callable[[Request], Awaitable[Principal]]:
    """A dependency: 401 without valid credentials, 403 for another role, and for a form or
    API post made with a session cookie, 403 unless it carries the session's CSRF token."""

    async def dependency(request: Request) -> Principal:
        who = await run_in_threadpool(_principal, request)  # a database read
        if who is None:
            raise PortalError(401, "sign in first (or send Authorization: Bearer TOKEN)")
        if who.user.role not in roles:
            raise PortalError(
                403, f"the {who.user.role.value.replace('_', ' ')} role may not do this"
            )
        if request.method == "POST" and who.csrf is not None:
            sent = request.headers.get("x-csrf-token")
            if sent is None and request.headers.get("content-type", "").startswith(
                ("application/x-www-form-urlencoded", "multipart/form-data")
            ):
                value = (await request.form()).get("csrf_token")
                sent = value if isinstance(value, str) else None
            if not sent or not secrets.compare_digest(sent.encode(), who.csrf.encode()):
                raise PortalError(403, "the form's CSRF token is missing or wrong; reload the page")
        return who

    return dependency


Anyone = Annotated[Principal, Depends(requires(*ALL))]
Legal = Annotated[Principal, Depends(requires(*LEGAL))]
Officer = Annotated[Principal, Depends(requires(*OFFICER))]


def _environment() -> jinja2.Environment:
    env = environment("portal/")
    env.globals["version"] = __version__
    return env


def _check_id(value: str, pattern: re.Pattern[str], what: str) -> str:
    if not pattern.fullmatch(value):
        raise PortalError(404, f"no {what} {value!r}")
    return value


def _next_path(value: str) -> str:
    """The page to open after signing in, if it is one of the portal's own pages."""
    if NEXT_PATH.fullmatch(value) and not value.startswith(("/q/", "/login", "/logout")):
        return value
    return "/"


def _redact(path: str) -> str:
    """Paths as logged: a questionnaire token is a secret."""
    return re.sub(r"^/q/[^/]+", "/q/<token>", path)


def create_app(
    settings: Settings | None = None,
    *,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> FastAPI:
    register = Register(settings)
    accounts = Accounts(register.engine)
    links = Links(register)
    reader = Reader(register)
    runs = Runs(register)
    notifier = Notifier(register)
    feeds = Feeds(register.engine)
    env = _environment()
    # Secure even on http://127.0.0.1: browsers treat loopback as a secure origin, and a
    # portal reached from elsewhere must be behind HTTPS anyway.
    secure_cookies = True

    app = FastAPI(
        title="dtia portal",
        version=__version__,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        description="Cross-border transfer impact assessments: register, dossiers, filings.",
    )

    def body_limit(path: str) -> int:
        if path == "/login":
            return 64 * 1024
        if path.startswith("/q/"):
            return MAX_EVIDENCE_FILES * MAX_EVIDENCE + MIB
        if path in ("/runs", "/api/runs"):
            return MAX_UPLOAD + MIB
        if path.startswith(("/transfers/", "/api/transfers/")) and path.endswith(
            ("/events", "/filing-events")
        ):
            # base64 in the API's JSON takes a third more than the files themselves
            return MAX_DOCUMENTS * MAX_DOCUMENT * 4 // 3 + MIB
        return MIB

    app.add_middleware(BodyLimit, limit_for=body_limit)
    app.state.register = register
    app.state.accounts = accounts
    app.state.links = links
    app.state.clock = clock

    def today() -> date:
        return clock().astimezone(VN).date()

    # --- rendering and errors --------------------------------------------------------------

    def page(
        request: Request, name: str, who: Principal | None, status: int = 200, **ctx: Any
    ) -> HTMLResponse:
        html = env.get_template(name).render(
            request_path=request.url.path,
            who=who,
            csrf=who.csrf if who else "",
            today=today(),
            **ctx,
        )
        return HTMLResponse(html, status_code=status)

    def wants_json(request: Request) -> bool:
        return request.url.path.startswith("/api/") or request.url.path == "/healthz"

    def error_response(
        request: Request,
        status: int,
        message: str,
        problems: list[Problem],
        more: int = 0,
        *,
        signed_in: bool = True,
    ) -> Response:
        """The error as JSON for the API, as a page otherwise; ``signed_in=False`` renders the
        page without looking the visitor up (the database may be what failed)."""
        if wants_json(request):
            body: dict[str, Any] = {"detail": message}
            if problems:
                body["problems"] = [
                    {"path": p.path, "message": p.message, "line": p.line} for p in problems
                ]
            if more:
                body["more_problems"] = more
            headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
            return JSONResponse(body, status_code=status, headers=headers)
        if status == 401:  # signed in, a page asked for opens next (a run's artifact links one)
            after = request.url.path if request.method == "GET" else "/"
            return login_page(request, status=401, message=message, next_path=after)
        return page(
            request,
            "error.html.j2",
            _soft_principal(request) if signed_in else None,
            status=status,
            status_code=status,
            message=message,
            problems=problems,
            more=more,
        )

    def _soft_principal(request: Request) -> Principal | None:
        try:
            return _principal(request)
        except (PortalError, *UNREACHABLE):
            return None

    def unavailable(request: Request, reason: object) -> Response:
        # one line, no traceback: the cause is the database's, not a bug to debug here
        first = str(reason).strip().splitlines()[0] if str(reason).strip() else "no detail"
        log.warning(
            "database unavailable on %s %s: %s", request.method, _redact(request.url.path), first
        )
        return error_response(request, 503, UNAVAILABLE, [], signed_in=False)

    @app.exception_handler(PortalError)
    async def _portal_error(request: Request, exc: PortalError) -> Response:
        return error_response(request, exc.status, exc.message, exc.problems)

    @app.exception_handler(DtiaError)
    async def _dtia_error(request: Request, exc: DtiaError) -> Response:
        if isinstance(exc, IntakeError):
            listed = (
                f" ({exc.total} problems: the first {len(exc.problems)} are listed)"
                if exc.more
                else ""
            )
            return error_response(
                request, 422, f"{exc.source}: invalid{listed}", exc.problems, exc.more
            )
        if isinstance(exc, NotFound):
            return error_response(request, 404, str(exc), [])
        if isinstance(exc, LinkError):
            return error_response(request, 410, str(exc), [])
        if isinstance(exc, UploadError):
            return error_response(request, 400, str(exc), [])
        if isinstance(exc, FilingDateError):  # invalid input, like the CLI's exit 2
            return error_response(request, 422, str(exc), [Problem(exc.field, str(exc))])
        if isinstance(exc, FilingError):
            return error_response(request, 409, str(exc), [])
        if isinstance(exc, DatabaseError):  # its details are for the log, not the caller
            return unavailable(request, exc)
        return error_response(request, 409, str(exc), [])

    @app.exception_handler(DBAPIError)
    @app.exception_handler(PoolTimeout)
    async def _unreachable(request: Request, exc: Exception) -> Response:
        # the driver's own message, not SQLAlchemy's (which quotes the statement and its values)
        return unavailable(request, getattr(exc, "orig", None) or exc)

    @app.exception_handler(ClientDisconnect)
    async def _gone(request: Request, exc: ClientDisconnect) -> Response:
        # The client left, or the server cut off a body too slow to arrive (and logged that),
        # while the body was read: nobody receives this answer, and no request line is logged.
        request.state.client_gone = True
        return Response(status_code=400)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        return error_response(request, exc.status_code, str(exc.detail), [])

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        problems = [
            Problem(
                ".".join(str(p) for p in e["loc"] if p != "body"),
                e["msg"].removeprefix("Value error, "),
            )
            for e in exc.errors()
        ]
        return error_response(request, 422, "invalid request", problems)

    @app.middleware("http")
    async def _headers_and_log(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "no-referrer"  # a /q/ token never leaks onward
        response.headers["Content-Security-Policy"] = (
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
            "frame-ancestors 'none'; base-uri 'none'"
        )
        response.headers.setdefault("Cache-Control", "no-store")
        if not getattr(request.state, "client_gone", False):
            log.info("%s %s %s", request.method, _redact(request.url.path), response.status_code)
        return response

    def set_session_cookie(response: Response, value: str) -> None:
        response.set_cookie(
            COOKIE, value, httponly=True, secure=secure_cookies, samesite="strict", path="/"
        )

    # --- public ----------------------------------------------------------------------------

    @app.get("/healthz", include_in_schema=False)
    def healthz(request: Request) -> JSONResponse:
        """Up only when the register answers: a portal without its database serves nothing."""
        try:
            with register.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except UNREACHABLE as exc:
            unavailable(request, getattr(exc, "orig", None) or exc)  # logs the cause
            return JSONResponse(
                {"status": "degraded", "database": "unreachable", "version": __version__},
                status_code=503,
            )
        return JSONResponse({"status": "ok", "database": "ok", "version": __version__})

    @app.get("/static/portal.css", include_in_schema=False)
    def stylesheet() -> Response:
        return Response(
            template_source("portal/portal.css"),
            media_type="text/css",
            headers={"Cache-Control": "max-age=3600"},
        )

    def login_page(
        request: Request, *, status: int = 200, message: str = "", next_path: str = "/"
    ) -> HTMLResponse:
        token = secrets.token_urlsafe(24)
        response = page(
            request,
            "login.html.j2",
            None,
            status=status,
            message=message,
            login_csrf=token,
            next_path=_next_path(next_path),
        )
        response.set_cookie(
            LOGIN_COOKIE,
            token,
            httponly=True,
            secure=secure_cookies,
            samesite="strict",
            path="/login",
        )
        return response

    @app.get("/login", include_in_schema=False)
    def login_form(request: Request) -> HTMLResponse:
        return login_page(request)

    @app.post("/login", include_in_schema=False)
    async def login(request: Request) -> Response:
        async with _form(request) as form:
            after = _next_path(_field(form, "next"))
            sent, expected = _field(form, "login_csrf"), request.cookies.get(LOGIN_COOKIE, "")
            if not expected or not secrets.compare_digest(sent.encode(), expected.encode()):
                return login_page(
                    request,
                    status=403,
                    message="the sign-in form expired; try again",
                    next_path=after,
                )
            user = await run_in_threadpool(accounts.by_token, _field(form, "token").strip())
            if user is None:
                return login_page(
                    request, status=401, message="that token is not valid", next_path=after
                )
            cookie, _session = await run_in_threadpool(
                partial(accounts.open_session, user), now=clock()
            )
            response = RedirectResponse(after, status_code=303)
            set_session_cookie(response, cookie)
            response.delete_cookie(LOGIN_COOKIE, path="/login")
            return response

    @app.post("/logout", include_in_schema=False)
    async def logout(request: Request, who: Anyone) -> Response:
        cookie = request.cookies.get(COOKIE)
        if cookie:
            await run_in_threadpool(accounts.close_session, cookie)
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(COOKIE, path="/")
        return response

    # --- pages -----------------------------------------------------------------------------

    def register_rows(
        risk: str | None, state: str | None, due: str | None, q: str | None
    ) -> list[dict[str, Any]]:
        on = today()
        rows = []
        for t in register.transfers(as_of=on):
            nxt = t["next_deadline"]
            if nxt is not None:
                days = (date.fromisoformat(nxt["due"]) - on).days
                nxt = {**nxt, "days": days}
            row = {**t, "next_deadline": nxt}
            if risk and t["risk"] != risk:
                continue
            if state and t["filing_state"] != canonical_state(state):  # old names too
                continue
            if due and (nxt is None or nxt["status"] != due):
                continue
            if q and q.lower() not in f"{t['transfer_id']} {t['title']} {t['transferor']}".lower():
                continue
            rows.append(row)
        return rows

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def register_page(
        request: Request,
        who: Anyone,
        risk: str | None = None,
        state: str | None = None,
        due: str | None = None,
        q: str | None = None,
    ) -> HTMLResponse:
        return page(
            request,
            "register.html.j2",
            who,
            rows=register_rows(risk or None, state or None, due or None, q or None),
            filters={"risk": risk or "", "state": state or "", "due": due or "", "q": q or ""},
            states=list(STATES),
            waiting=links.waiting(),
        )

    def transfer_view(
        request: Request,
        transfer_id: str,
        who: Principal,
        *,
        a: int | None = None,
        b: int | None = None,
        status: int = 200,
        typed: dict[str, str] | None = None,
        refused: str = "",
        refused_form: str = "",
    ) -> HTMLResponse:
        """The transfer page; ``typed`` and ``refused`` put a refused form back as it was
        sent, with the reason next to it (``refused_form``: "event" or "approve")."""
        versions = reader.versions(transfer_id)
        by_number = {v.row.version: v for v in versions}
        first = a if a in by_number else (versions[-2].row.version if len(versions) > 1 else None)
        second = b if b in by_number else versions[-1].row.version
        diff = None
        if first is not None and first != second:
            old, new = by_number[first], by_number[second]
            diff = diff_versions(old.intake, old.assessment, new.intake, new.assessment)
        current = versions[-1]
        filing = register.status(transfer_id, as_of=today())
        return page(
            request,
            "transfer.html.j2",
            who,
            status=status,
            transfer=reader.transfer(transfer_id),
            versions=versions,
            current=current,
            filing=filing,
            timeline=timeline(filing, versions),
            audit=reader.audit(transfer_id),
            diff=diff,
            compare=(first, second),
            events=filing["allowed_events"],
            event_labels={e.event: e.label_en for e in lifecycle().edges},
            channels=list(CHANNELS),
            typed=typed or {},
            refused=refused,
            refused_form=refused_form,
        )

    @app.get("/transfers/{transfer_id}", response_class=HTMLResponse, include_in_schema=False)
    def transfer_page(
        request: Request,
        transfer_id: str,
        who: Anyone,
        a: int | None = None,
        b: int | None = None,
    ) -> HTMLResponse:
        _check_id(transfer_id, TRANSFER_ID, "transfer")
        return transfer_view(request, transfer_id, who, a=a, b=b)

    @app.get("/transfers/{transfer_id}/documents/{sha256}", include_in_schema=False)
    def document_page(transfer_id: str, sha256: str, who: Anyone) -> Response:
        return api_document(transfer_id, sha256, who)

    @app.post("/transfers/{transfer_id}/approve", include_in_schema=False)
    async def approve_form(request: Request, transfer_id: str, who: Legal) -> Response:
        _check_id(transfer_id, TRANSFER_ID, "transfer")
        async with _form(request) as form:
            typed = {"approve_on": _field(form, "on")}
        try:
            on = date.fromisoformat(typed["approve_on"]) if typed["approve_on"] else today()
        except ValueError:
            return await run_in_threadpool(
                partial(transfer_view, request, transfer_id, who, status=422, typed=typed),
                refused=f"on: {typed['approve_on']!r} is not a date (YYYY-MM-DD)",
                refused_form="approve",
            )
        try:
            await run_in_threadpool(partial(register.approve, transfer_id, by=who.user.name, on=on))
        except FilingError as exc:
            return await run_in_threadpool(
                partial(transfer_view, request, transfer_id, who, typed=typed),
                status=422 if isinstance(exc, FilingDateError) else 409,
                refused=str(exc),
                refused_form="approve",
            )
        return RedirectResponse(f"/transfers/{transfer_id}#filing", status_code=303)

    @app.post("/transfers/{transfer_id}/events", include_in_schema=False)
    async def event_form(request: Request, transfer_id: str, who: Legal) -> Response:
        _check_id(transfer_id, TRANSFER_ID, "transfer")
        names = ("event", "on", "channel", "code", "reference", "comments")
        async with _form(request) as form:
            typed = {k: _field(form, k) for k in names}
            files: list[tuple[str, bytes]] = []
            for upload in form.getlist("documents"):
                if not isinstance(upload, UploadFile) or not upload.filename:
                    continue
                if control_problem(upload.filename, multiline=False):
                    raise PortalError(400, "an uploaded file's name holds control characters")
                files.append((upload.filename, await _read_limited(upload, MAX_DOCUMENT)))

        def refuse(status: int, reason: str) -> HTMLResponse:
            return transfer_view(
                request,
                transfer_id,
                who,
                status=status,
                typed=typed,
                refused=reason,
                refused_form="event",
            )

        if len(files) > MAX_DOCUMENTS:
            return await run_in_threadpool(
                refuse, 422, f"documents: at most {MAX_DOCUMENTS} with one event"
            )
        try:
            body = FilingEventIn.model_validate(
                {
                    "event": typed["event"],
                    "on": typed["on"],
                    "channel": typed["channel"] or None,
                    "code": typed["code"] or None,
                    "reference": typed["reference"] or None,
                    "comments": [c for c in typed["comments"].splitlines() if c.strip()],
                }
            )
        except ValidationError as exc:  # each field by name; never the values themselves
            reason = "; ".join(
                f"{format_loc(tuple(e['loc']))}: {e['msg'].removeprefix('Value error, ')}"
                for e in exc.errors(include_url=False)
            )
            return await run_in_threadpool(refuse, 422, reason)
        try:
            await run_in_threadpool(record_event, transfer_id, body, who, files)
        except FilingError as exc:  # the guard's reason, next to the form as it was typed
            status = 422 if isinstance(exc, FilingDateError) else 409
            return await run_in_threadpool(refuse, status, str(exc))
        return RedirectResponse(f"/transfers/{transfer_id}#filing", status_code=303)

    @app.post("/questionnaires", response_class=HTMLResponse, include_in_schema=False)
    async def issue_link(request: Request, who: Legal) -> HTMLResponse:
        async with _form(request) as form:
            transfer_id = _check_id(_field(form, "transfer_id"), TRANSFER_ID, "transfer")
            recipient_id = _check_id(_field(form, "recipient_id"), RECIPIENT_ID, "recipient")
            token = await run_in_threadpool(
                partial(links.issue, transfer_id, recipient_id, actor=who.user.name), now=clock()
            )
            url = f"{register.settings.portal_url.rstrip('/')}/q/{token}"
            # when it expires: with the run waiting for the answer, not a fixed number of days
            until = (await run_in_threadpool(partial(links.open, token), now=clock())).expires_at
            expires = f"{until.astimezone(VN):%Y-%m-%d %H:%M} (Asia/Ho_Chi_Minh)" if until else ""
            mailed = await run_in_threadpool(
                safely,
                log,
                "link",
                partial(
                    notifier.link_issued,
                    transfer_id=transfer_id,
                    recipient_id=recipient_id,
                    url=url,
                    now=clock(),
                ),
            )
            return page(
                request,
                "link.html.j2",
                who,
                transfer_id=transfer_id,
                recipient_id=recipient_id,
                url=url,
                expires=expires,
                mailed=mailed,
            )

    @app.get(
        "/questionnaires/{questionnaire_id}", response_class=HTMLResponse, include_in_schema=False
    )
    def questionnaire_link_page(
        request: Request, questionnaire_id: str, who: Legal
    ) -> HTMLResponse:
        """Where a waiting run's artifact points: the recipient's link is issued here, behind
        legal's sign-in, so the secret itself is never published outside the portal."""
        row = links.get(int(_check_id(questionnaire_id, QUESTIONNAIRE_ID, "questionnaire")))
        return page(request, "questionnaire_link.html.j2", who, q=row)

    @app.get("/runs/new", response_class=HTMLResponse, include_in_schema=False)
    def new_run(request: Request, who: Officer) -> HTMLResponse:
        return page(request, "run_new.html.j2", who, problems=[], message="")

    async def start_run(request: Request, who: Principal, *, missing: str) -> PortalRunRow:
        """The uploaded intake (form field ``intake``) validated and its run started;
        IntakeError lists every problem."""
        async with _form(request) as form:
            upload = form.get("intake")
            if not isinstance(upload, UploadFile) or not upload.filename:
                raise PortalError(400, missing)
            if control_problem(upload.filename, multiline=False):
                raise PortalError(400, "the uploaded file's name holds control characters")
            data = await _read_limited(upload, MAX_UPLOAD)
            # off the event loop: Prefect's client would hand back coroutines on it
            return await run_in_threadpool(
                partial(runs.start, name=upload.filename, data=data, started_by=who.user.name),
                now=clock(),
            )

    @app.post("/runs", include_in_schema=False)
    async def start_run_form(request: Request, who: Officer) -> Response:
        try:
            run = await start_run(request, who, missing="choose an intake file to upload")
        except IntakeError as exc:
            return page(
                request,
                "run_new.html.j2",
                who,
                status=422,
                problems=exc.problems,
                more=exc.more,
                message=f"{exc.source} is not a valid intake",
            )
        return RedirectResponse(f"/runs/{run.id}", status_code=303)

    @app.get("/runs/{run_id}", response_class=HTMLResponse, include_in_schema=False)
    def run_page(request: Request, run_id: str, who: Officer) -> HTMLResponse:
        run = runs.get(_check_id(run_id, RUN_ID, "run"))
        return page(request, "run.html.j2", who, run=run)

    # --- the recipients' questionnaire -----------------------------------------------------

    @app.get("/q/{token}", response_class=HTMLResponse, include_in_schema=False)
    def questionnaire(request: Request, token: str) -> HTMLResponse:
        q = links.open(token, now=clock())
        return page(
            request,
            "questionnaire.html.j2",
            None,
            q=q,
            questions=QUESTIONS,
            values={},
            problems=[],
            token=token,
        )

    @app.post("/q/{token}", response_class=HTMLResponse, include_in_schema=False)
    async def answer(request: Request, token: str) -> HTMLResponse:
        q = await run_in_threadpool(partial(links.open, token), now=clock())
        async with _form(request) as form:
            # a browser sends a textarea's line breaks as CRLF: the answer holds plain newlines
            values = {k: v.replace("\r\n", "\n") for k, v in form.items() if isinstance(v, str)}
            evidence: list[tuple[str, bytes]] = []
            title_problems: list[Problem] = []
            for i in range(MAX_EVIDENCE_FILES):
                upload = form.get(f"evidence_file_{i}")
                if isinstance(upload, UploadFile) and upload.filename:
                    data = await _read_limited(upload, MAX_EVIDENCE)
                    # parsed, not sniffed: it is embedded in dossiers and shipped in bundles
                    problem = await run_in_threadpool(pdf_problem, data)
                    if problem is not None:
                        raise PortalError(400, f"{upload.filename}: evidence {problem}")
                    title = values.get(f"evidence_title_{i}", "").strip() or upload.filename
                    try:  # checked as the answer's evidence will be, before anything is kept
                        Evidence.model_validate({"title": title[:200]})
                    except ValidationError as exc:
                        title_problems += [
                            Problem(f"evidence_title_{i}", e["msg"].removeprefix("Value error, "))
                            for e in exc.errors(include_url=False)
                        ]
                    evidence.append((title[:200], data))
            # The recipient's published privacy notice: its disclosures are checked (APPI, or
            # what it tells of the transfer), so it must be a PDF or text that can be read.
            notices: list[tuple[str, bytes]] = []
            upload = form.get("notice_file")
            if isinstance(upload, UploadFile) and upload.filename:
                data = await _read_limited(upload, MAX_EVIDENCE)
                problem = await run_in_threadpool(notice_problem, upload.filename, data)
                if problem is not None:
                    raise PortalError(400, f"{upload.filename}: notice {problem}")
                title = values.get("notice_title", "").strip() or upload.filename
                try:
                    Evidence.model_validate({"title": title[:200]})
                except ValidationError as exc:
                    title_problems += [
                        Problem("notice_title", e["msg"].removeprefix("Value error, "))
                        for e in exc.errors(include_url=False)
                    ]
                notices.append((title[:200], data))
            problems, more = title_problems, 0
            try:
                # the same checks and messages as `dtia safeguards submit`, dated today
                safeguards = parse_safeguards(_answer_json(values), "questionnaire", today=today())
            except IntakeError as exc:
                problems, more = exc.problems + title_problems, exc.more
            if problems:
                return page(
                    request,
                    "questionnaire.html.j2",
                    None,
                    status=422,
                    q=q,
                    questions=QUESTIONS,
                    values=values,
                    problems=problems,
                    more=more,
                    token=token,
                )
            # evidence files are written and the answer stored off the event loop
            done, stored = await run_in_threadpool(
                partial(links.answer, token, safeguards, evidence=evidence, notices=notices),
                now=clock(),
            )
            resumed = None
            if done.flow_run_id:
                from flows.safeguards import ResumeError, resume_waiting_run

                try:
                    # Prefect's client is sync-or-async by caller; off the event loop it
                    # runs to completion instead of handing back a coroutine.
                    await run_in_threadpool(
                        resume_waiting_run, done.flow_run_id, done.api_url, stored
                    )
                    resumed = True
                except ResumeError:
                    resumed = False  # stored; the next run uses it (the page says so to legal)
            response = page(request, "answered.html.j2", None, q=done, resumed=resumed)
            # legal hears of the answer once the recipient has its page
            response.background = BackgroundTask(
                safely,
                log,
                "answered",
                partial(
                    notifier.answered,
                    questionnaire_id=done.id,
                    transfer_id=done.transfer_id,
                    context=done.context,
                    recipient_id=done.recipient_id,
                    safeguards=stored,
                    resumed=resumed,
                    now=clock(),
                ),
            )
            return response

    # --- JSON API --------------------------------------------------------------------------

    def record_event(
        transfer_id: str,
        body: FilingEventIn,
        who: Principal,
        files: list[tuple[str, bytes]] | None = None,
    ) -> dict[str, Any]:
        documents = [(d.name, d.content) for d in body.documents] + (files or [])
        for name, data in documents:
            if len(data) > MAX_DOCUMENT:
                raise PortalError(413, f"{name}: larger than {MAX_DOCUMENT // MIB} MB")
        return register.record(
            transfer_id,
            body.event,
            on=body.on,
            reference=body.reference,
            note=body.note,
            actor=who.user.name,
            channel=body.channel,
            code=body.code,
            comments=body.comments,
            attachments=documents,
        )

    @app.get("/api/openapi.json", include_in_schema=False)
    def openapi(who: Anyone) -> JSONResponse:
        return JSONResponse(app.openapi())

    @app.get("/api/transfers", tags=["register"])
    def api_transfers(
        who: Anyone,
        risk: str | None = None,
        state: str | None = None,
        due: Literal["overdue", "due_soon", "upcoming"] | None = None,
        q: str | None = None,
    ) -> list[dict[str, Any]]:
        """Every transfer with its risk level, filing state and next deadline."""
        return register_rows(risk, state, due, q)

    @app.get("/api/transfers/{transfer_id}", tags=["register"])
    def api_transfer(transfer_id: str, who: Anyone) -> dict[str, Any]:
        """The filing status, clocks, approvals, events and assessment versions."""
        _check_id(transfer_id, TRANSFER_ID, "transfer")
        versions = reader.versions(transfer_id)
        status = register.status(transfer_id, as_of=today())
        status["versions"] = [
            {
                "version": v.row.version,
                "id": v.row.id,
                "as_of": v.row.as_of.isoformat(),
                "rules_version": v.row.rules_version,
                "risk": v.row.residual_level,
                "dossier_required": v.row.dossier_required,
                "sha256": v.row.assessment_sha256,
                "dossiers": [{"sha256": d.sha256, "kind": d.kind} for d in v.dossiers],
            }
            for v in versions
        ]
        current: Assessment = versions[-1].assessment
        status["findings"] = [f.model_dump(mode="json") for f in current.findings]
        return status

    def _pdf_response(transfer_id: str, kinds: tuple[str, ...]) -> Response:
        _check_id(transfer_id, TRANSFER_ID, "transfer")
        row, assessment, data = reader.dossier(transfer_id, kinds)
        name = f"{transfer_id}-v{assessment.version}-{row.kind}.pdf"
        return Response(
            data,
            media_type="application/pdf",
            headers={
                "Content-Disposition": f'attachment; filename="{name}"',
                "X-Dossier-SHA256": row.sha256,
                "X-Dossier-Kind": row.kind,
            },
        )

    @app.get(
        "/api/transfers/{transfer_id}/review.pdf",
        tags=["downloads"],
        response_class=Response,
        responses={200: {"content": {"application/pdf": {}}}},
    )
    def api_review(transfer_id: str, who: Anyone) -> Response:
        """The current version's review pack (internal; or the exemption memo) as stored."""
        return _pdf_response(transfer_id, REVIEW_KINDS)

    @app.get(
        "/api/transfers/{transfer_id}/filing.pdf",
        tags=["downloads"],
        response_class=Response,
        responses={200: {"content": {"application/pdf": {}}}},
    )
    def api_filing_pdf(transfer_id: str, who: Anyone) -> Response:
        """The current version's filing pack as stored, or its watermarked draft while the
        dossier is not ready to file (``X-Dossier-Kind: filing-draft``)."""
        return _pdf_response(transfer_id, FILING_KINDS)

    @app.get(
        "/api/transfers/{transfer_id}/bundle.zip",
        tags=["downloads"],
        response_class=Response,
        responses={200: {"content": {"application/zip": {}}}},
    )
    def api_bundle(transfer_id: str, who: Anyone) -> Response:
        """The dossier PDF, every file it embeds, the assessment JSON and a manifest, zipped."""
        _check_id(transfer_id, TRANSFER_ID, "transfer")
        name, data = reader.bundle(transfer_id)
        return Response(
            data,
            media_type="application/zip",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    @app.post("/api/transfers/{transfer_id}/approvals", tags=["filing"], status_code=201)
    def api_approve(transfer_id: str, who: Legal, body: ApprovalIn | None = None) -> ApprovalOut:
        """Approve the current assessment version (refused while it has blockers); ``on``
        is the approval's date (today in Vietnam when not given)."""
        _check_id(transfer_id, TRANSFER_ID, "transfer")
        on = body.on if body and body.on else today()
        return ApprovalOut.model_validate(register.approve(transfer_id, by=who.user.name, on=on))

    @app.post("/api/transfers/{transfer_id}/filing-events", tags=["filing"], status_code=201)
    def api_event(transfer_id: str, body: FilingEventIn, who: Legal) -> FilingEventOut:
        """Record a filing event: the submission (channel, dossier code, receipt), its
        receipt or refusal, a request to complete (the authority's comments) and the
        completion, an extension, the verdict, an update, a stop order, a withdrawal; with
        the documents that came with it. The lifecycle's guards apply."""
        _check_id(transfer_id, TRANSFER_ID, "transfer")
        return FilingEventOut.model_validate(record_event(transfer_id, body, who))

    @app.get("/api/transfers/{transfer_id}/filing", tags=["filing"])
    def api_filing(transfer_id: str, who: Anyone) -> FilingStatusOut:
        """The filing: state, approvals, events in date order with their comments and
        documents, the dossiers sent with the rules that applied to each, the events
        allowed now and the statutory clocks (met, late by N days, or still running)."""
        _check_id(transfer_id, TRANSFER_ID, "transfer")
        return FilingStatusOut.model_validate(register.status(transfer_id, as_of=today()))

    @app.get(
        "/api/transfers/{transfer_id}/documents/{sha256}",
        tags=["downloads"],
        response_class=Response,
    )
    def api_document(transfer_id: str, sha256: str, who: Anyone) -> Response:
        """A document kept with one of the transfer's filing events."""
        _check_id(transfer_id, TRANSFER_ID, "transfer")
        if not SHA256_HEX.fullmatch(sha256):
            raise PortalError(404, "no such document")
        name, data = register.document(transfer_id, sha256)
        kind = "application/pdf" if data.startswith(b"%PDF") else "application/octet-stream"
        safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in name)
        return Response(
            data,
            media_type=kind,
            headers={"Content-Disposition": f'attachment; filename="{safe}"'},
        )

    @app.get("/api/deadlines", tags=["register"])
    def api_deadlines(who: Anyone) -> list[dict[str, Any]]:
        """Every open statutory deadline, soonest first."""
        return register.deadlines(as_of=today())

    @app.get(
        "/api/deadlines.ics",
        tags=["register"],
        response_class=Response,
        responses={200: {"content": {"text/calendar": {}}}},
    )
    def api_deadlines_ics(
        request: Request, token: str | None = None, lang: str | None = None
    ) -> Response:
        """Every open statutory deadline as an iCalendar feed for legal's calendar: send
        ``Authorization: Bearer TOKEN``, or subscribe to the address with ``?token=`` and the
        read-only feed token of ``dtia users calendar NAME``. ``lang``: vi (default) or en."""
        if token is not None:
            if feeds.user(token) is None:
                raise PortalError(401, "this calendar feed token is not valid (or was replaced)")
        elif _principal(request) is None:
            raise PortalError(
                401, "sign in first (send Authorization: Bearer TOKEN, or ?token=FEED_TOKEN)"
            )
        on = today()
        rows = register.deadlines(as_of=on)
        body = ics.feed(
            deadline_items(register, rows, as_of=on),
            statuses={
                (r["transfer_id"], r["kind"], date.fromisoformat(r["due"])): r["status"]
                for r in rows
            },
            now=clock(),
            portal_url=register.settings.portal_url,
            lang="en" if language(lang) == "en" else "vi",
        )
        return Response(
            body,
            media_type="text/calendar; charset=utf-8",
            headers={"Content-Disposition": 'inline; filename="dtia-deadlines.ics"'},
        )

    @app.post("/api/runs", tags=["runs"], status_code=202)
    async def api_start_run(request: Request, who: Officer) -> dict[str, Any]:
        """Upload an intake (multipart field ``intake``) and start an assessment run."""
        run = await start_run(
            request, who, missing="send the intake as the multipart field 'intake'"
        )
        return await run_in_threadpool(run_json, run.id)

    @app.get("/api/runs/{run_id}", tags=["runs"])
    def api_run(run_id: str, who: Officer) -> dict[str, Any]:
        return run_json(_check_id(run_id, RUN_ID, "run"))

    def run_json(run_id: str) -> dict[str, Any]:
        run = runs.get(run_id)
        return {
            "id": run.id,
            "status": run.status,
            "transfer_id": run.transfer_id,
            "flow_run_id": run.flow_run_id,
            "message": run.message,
            "started_by": run.started_by,
        }

    return app


def timeline(filing: dict[str, Any], versions: Sequence[Any] = ()) -> list[dict[str, Any]]:
    """Assessment versions, approvals and filing events in the order they happened: by date,
    then as recorded (a version, then an approval, before the events of its day: each
    precedes what it allows)."""
    items = (
        [
            {
                "kind": "version",
                "on": v.row.as_of.isoformat(),
                "order": (v.row.as_of.isoformat(), -1, v.row.version),
                "v": v,
            }
            for v in versions
        ]
        + [
            {"kind": "approval", "on": a["on"], "order": (a["on"], 0, i), **a}
            for i, a in enumerate(filing["approvals"])
        ]
        + [{"kind": "event", "order": (e["on"], 1, e["seq"] or 0), **e} for e in filing["events"]]
    )
    return sorted(items, key=lambda x: x["order"])


@asynccontextmanager
async def _form(request: Request) -> AsyncIterator[FormData]:
    """The request's form, its uploaded files closed afterwards (also when a check fails)."""
    form = await request.form()
    try:
        yield form
    finally:
        await form.close()


def _field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


async def _read_limited(upload: UploadFile, limit: int) -> bytes:
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise PortalError(413, f"{upload.filename}: larger than {limit // 2**20} MB")
    return data


def _answer_json(values: dict[str, str]) -> str:
    """The questionnaire form as the JSON a filled-in questionnaire file would hold, so it
    is validated exactly like ``dtia safeguards submit`` (every problem, by key path)."""
    import json

    out: dict[str, Any] = {}
    numbers: dict[str, str] = {}  # digits as typed: the parser checks their length, as for a file
    for key, _question, _example in QUESTIONS:
        if key == "certifications":
            certs = []
            for i in range(3):
                cert = {
                    k: values.get(f"cert_{i}_{k}", "").strip()
                    for k in ("name", "issuer", "expires_on")
                }
                if any(cert.values()):
                    certs.append({k: v for k, v in cert.items() if v})
            if certs:
                out["certifications"] = certs
            continue
        raw = values.get(key, "").strip()
        if not raw:
            continue
        if key in ("encryption_in_transit", "encryption_at_rest"):
            out[key] = {"yes": True, "no": False}.get(raw, raw)
        elif key in ("incident_notification_hours", "data_subject_request_days"):
            if raw.isascii() and raw.isdigit():
                numbers[key] = raw.lstrip("0") or "0"  # decimal: YAML reads 010 as octal
            else:
                out[key] = raw
        else:
            out[key] = raw
    members = [f"{json.dumps(k)}: {v}" for k, v in numbers.items()]
    members += [f"{json.dumps(k)}: {json.dumps(v)}" for k, v in out.items()]
    return "{" + ", ".join(members) + "}"


# The role matrix, route by route: tests walk it for every role and anonymous users.
ROLE_MATRIX: dict[tuple[str, str], tuple[Role, ...] | None] = {
    ("GET", "/healthz"): None,
    ("GET", "/"): ALL,
    ("GET", "/transfers/{transfer_id}"): ALL,
    ("POST", "/transfers/{transfer_id}/approve"): LEGAL,
    ("POST", "/transfers/{transfer_id}/events"): LEGAL,
    ("GET", "/transfers/{transfer_id}/documents/{sha256}"): ALL,
    ("POST", "/questionnaires"): LEGAL,
    ("GET", "/questionnaires/{questionnaire_id}"): LEGAL,
    ("GET", "/runs/new"): OFFICER,
    ("POST", "/runs"): OFFICER,
    ("GET", "/runs/{run_id}"): OFFICER,
    ("POST", "/logout"): ALL,
    ("GET", "/api/openapi.json"): ALL,
    ("GET", "/api/transfers"): ALL,
    ("GET", "/api/transfers/{transfer_id}"): ALL,
    ("GET", "/api/transfers/{transfer_id}/review.pdf"): ALL,
    ("GET", "/api/transfers/{transfer_id}/filing.pdf"): ALL,
    ("GET", "/api/transfers/{transfer_id}/bundle.zip"): ALL,
    ("POST", "/api/transfers/{transfer_id}/approvals"): LEGAL,
    ("POST", "/api/transfers/{transfer_id}/filing-events"): LEGAL,
    ("GET", "/api/transfers/{transfer_id}/filing"): ALL,
    ("GET", "/api/transfers/{transfer_id}/documents/{sha256}"): ALL,
    ("GET", "/api/deadlines"): ALL,
    ("GET", "/api/deadlines.ics"): ALL,
    ("POST", "/api/runs"): OFFICER,
    ("GET", "/api/runs/{run_id}"): OFFICER,
}
