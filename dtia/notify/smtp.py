"""Sending one message through the SMTP server of DTIA_SMTP_URL (stdlib ``smtplib``).

    smtp://user:password@host:port                 plain SMTP (port 25 by default)
    smtp://user:password@host:587?starttls=true    upgraded with STARTTLS
    smtps://user:password@host                     implicit TLS (port 465 by default)

User and password are percent-decoded (``%40`` for ``@``); ``?timeout=SECONDS`` (default 20)
bounds each network step. TLS certificates are checked against the system's trust store.
Errors say what failed in one line and never carry the password.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Literal
from urllib.parse import parse_qs, unquote, urlsplit

from dtia.errors import DtiaError

DEFAULT_TIMEOUT = 20.0
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class MailError(DtiaError):
    """E-mail cannot be sent: DTIA_SMTP_URL is unusable, or the server failed or refused."""


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    tls: Literal["none", "starttls", "implicit"]
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = DEFAULT_TIMEOUT

    def __str__(self) -> str:  # what messages name: never the credentials
        return f"{self.host}:{self.port}"


def parse_smtp_url(url: str) -> SmtpServer:
    """The server of a DTIA_SMTP_URL; MailError names what is wrong with it."""
    where = "DTIA_SMTP_URL"
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise MailError(
            f"{where}: not a URL with a valid port (smtp://user:pass@host:port)"
        ) from None
    if parts.scheme not in ("smtp", "smtps"):
        raise MailError(
            f"{where}: the scheme must be smtp:// or smtps://, not {parts.scheme or 'none'!r}"
        )
    if not parts.hostname:
        raise MailError(f"{where}: no host name (smtp://user:pass@host:port)")
    query = {k: v[-1].strip().lower() for k, v in parse_qs(parts.query).items()}
    unknown = sorted(set(query) - {"starttls", "timeout"})
    if unknown:
        raise MailError(f"{where}: unknown option {unknown[0]!r} (starttls, timeout)")
    starttls = query.get("starttls", "false")
    if starttls not in _TRUE | _FALSE:
        raise MailError(f"{where}: starttls must be true or false, not {starttls!r}")
    if parts.scheme == "smtps" and starttls in _TRUE:
        raise MailError(f"{where}: smtps:// is TLS already; starttls applies to smtp:// only")
    try:
        timeout = float(query.get("timeout", DEFAULT_TIMEOUT))
    except ValueError:
        raise MailError(f"{where}: timeout must be a number of seconds") from None
    if not 0 < timeout <= 300:
        raise MailError(f"{where}: timeout must be between 0 and 300 seconds")
    tls: Literal["none", "starttls", "implicit"] = (
        "implicit" if parts.scheme == "smtps" else "starttls" if starttls in _TRUE else "none"
    )
    return SmtpServer(
        host=parts.hostname,
        port=port or (465 if tls == "implicit" else 587 if tls == "starttls" else 25),
        tls=tls,
        user=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
        timeout=timeout,
    )


def _reason(exc: Exception) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        refused = ", ".join(sorted(exc.recipients))
        return f"the server refused every recipient ({refused})"
    if isinstance(exc, smtplib.SMTPResponseException):
        text = (
            exc.smtp_error.decode("utf-8", "replace")
            if isinstance(exc.smtp_error, bytes)
            else str(exc.smtp_error)
        )
        return f"the server answered {exc.smtp_code} {' '.join(text.split())}"
    if isinstance(exc, ssl.SSLError | ssl.CertificateError):
        return f"TLS failed: {exc.__class__.__name__}: {' '.join(str(exc).split())}"
    if isinstance(exc, TimeoutError):
        return "the server did not answer in time"
    detail = " ".join(str(exc).split()) or exc.__class__.__name__
    return detail


def send(server: SmtpServer, message: EmailMessage) -> None:
    """Hand ``message`` to ``server``; MailError in one line when that fails."""
    context = ssl.create_default_context()
    try:
        client: smtplib.SMTP
        if server.tls == "implicit":
            client = smtplib.SMTP_SSL(
                server.host, server.port, timeout=server.timeout, context=context
            )
        else:
            client = smtplib.SMTP(server.host, server.port, timeout=server.timeout)
        with client:
            if server.tls == "starttls":
                client.starttls(context=context)
            if server.user is not None:
                client.login(server.user, server.password or "")
            client.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(f"SMTP server {server}: {_reason(exc)}") from None
