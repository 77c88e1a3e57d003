"""SQLModel tables of the register. Rows are built with ``model_validate``; assessments,
intake versions and audit entries are never updated once written."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


class TransferRow(SQLModel, table=True):
    __tablename__ = "transfers"

    id: str = Field(primary_key=True, max_length=64)
    title: str
    transferor: str
    active: bool = True
    source_path: str | None = None  # where the intake file lives, re-read by re-assessment
    source_sha256: str | None = Field(default=None, max_length=64)  # its bytes when last saved
    created_at: datetime


class IntakeVersionRow(SQLModel, table=True):
    __tablename__ = "intake_versions"
    __table_args__ = (UniqueConstraint("transfer_id", "input_sha256"),)

    id: int | None = Field(default=None, primary_key=True)
    transfer_id: str = Field(foreign_key="transfers.id", index=True)
    input_sha256: str = Field(max_length=64)
    intake_json: str = Field(sa_column=Column(Text, nullable=False))
    # what the engine read from the files the intake names: {path: {sha256, size, text}}
    files_json: str = Field(
        default="{}", sa_column=Column(Text, nullable=False, server_default="{}")
    )
    created_at: datetime


class AssessmentRow(SQLModel, table=True):
    """One immutable assessment version. ``id`` is the hash of input, rules and as_of, so
    saving the same assessment twice adds nothing."""

    __tablename__ = "assessments"
    __table_args__ = (UniqueConstraint("transfer_id", "version"),)

    id: str = Field(primary_key=True, max_length=64)
    transfer_id: str = Field(foreign_key="transfers.id", index=True)
    version: int
    intake_version_id: int = Field(foreign_key="intake_versions.id")
    as_of: date
    rules_version: str
    rules_sha256: str = Field(default="", max_length=64)
    input_sha256: str = Field(max_length=64)
    assessment_sha256: str = Field(max_length=64)
    assessment_json: str = Field(sa_column=Column(Text, nullable=False))
    dossier_required: bool
    residual_level: str
    has_blockers: bool
    recheck_on: date | None = None  # first day on which time alone changes this assessment
    created_at: datetime


class DossierRow(SQLModel, table=True):
    """A rendered dossier or exemption memo, stored content-addressed under DTIA_DATA_DIR."""

    __tablename__ = "dossiers"

    sha256: str = Field(primary_key=True, max_length=64)
    assessment_id: str = Field(foreign_key="assessments.id", index=True)
    kind: str
    size: int
    created_at: datetime


class AttestationRow(SQLModel, table=True):
    """A recipient's safeguards answer, reusable by every transfer to that recipient."""

    __tablename__ = "attestations"

    id: int | None = Field(default=None, primary_key=True)
    recipient_key: str = Field(index=True, max_length=200)
    safeguards_json: str = Field(sa_column=Column(Text, nullable=False))
    attested_on: date
    expires_on: date | None = None
    created_at: datetime


class FilingRow(SQLModel, table=True):
    """One filing per transfer; ``row_version`` is the optimistic lock."""

    __tablename__ = "filings"

    transfer_id: str = Field(primary_key=True, foreign_key="transfers.id", max_length=64)
    state: str = "prepared"
    row_version: int = 1
    updated_at: datetime


class FilingEventRow(SQLModel, table=True):
    __tablename__ = "filing_events"

    id: int | None = Field(default=None, primary_key=True)
    transfer_id: str = Field(foreign_key="filings.transfer_id", index=True)
    event: str
    on: date
    reference: str | None = None  # the receipt number, or the letter's reference
    # registers before the lifecycle of 2026 kept one free note; comments are lines now
    note: str | None = None
    channel: str | None = Field(default=None, max_length=16)  # portal | in_person | post
    code: str | None = Field(default=None, max_length=200)  # the dossier code (mã hồ sơ)
    regime: str | None = Field(default=None, max_length=32)  # the rules its dossier followed
    assessment_id: str = Field(foreign_key="assessments.id")
    state_after: str
    # the audit head (N:HASH) once the event's entry was appended, as it was handed to the
    # user to keep elsewhere; verify checks the chain still holds it
    audit_head: str | None = Field(default=None, max_length=90)
    created_at: datetime


class FilingCommentRow(SQLModel, table=True):
    """One comment on a filing event, one line each: the authority's comments on a request
    to complete, the reasons of a verdict, legal's notes."""

    __tablename__ = "filing_comments"

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="filing_events.id", index=True)
    position: int
    text: str = Field(sa_column=Column(Text, nullable=False))


class FilingDocumentRow(SQLModel, table=True):
    """A document that came with a filing event (the receipt, the authority's letter, the
    submitted dossier), kept content-addressed under DTIA_DATA_DIR by its SHA-256."""

    __tablename__ = "filing_documents"

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="filing_events.id", index=True)
    sha256: str = Field(max_length=64)
    name: str = Field(max_length=255)
    size: int
    kind: str = Field(default="attachment", max_length=32)  # attachment | submitted_dossier


class ApprovalRow(SQLModel, table=True):
    __tablename__ = "approvals"

    id: int | None = Field(default=None, primary_key=True)
    transfer_id: str = Field(foreign_key="transfers.id", index=True)
    assessment_id: str = Field(foreign_key="assessments.id")
    assessment_sha256: str = Field(max_length=64)
    by: str
    on: date
    created_at: datetime


class AuditRow(SQLModel, table=True):
    """The hash-chained log. ``prev_hash`` is unique: no two entries can extend the same one."""

    __tablename__ = "audit_log"

    seq: int = Field(primary_key=True)
    at: str
    actor: str
    action: str
    subject: str
    payload_json: str = Field(sa_column=Column(Text, nullable=False))
    prev_hash: str = Field(max_length=64, unique=True)
    hash: str = Field(max_length=64, unique=True)


class QuestionnaireRow(SQLModel, table=True):
    """A safeguards questionnaire sent to one recipient of one transfer, and the flow run that
    waits for the answer (with the API it runs against, so an answer can resume it)."""

    __tablename__ = "questionnaires"
    __table_args__ = (UniqueConstraint("transfer_id", "recipient_id", "flow_run_id"),)

    id: int | None = Field(default=None, primary_key=True)
    transfer_id: str = Field(index=True, max_length=64)
    recipient_id: str = Field(max_length=64)
    recipient_name: str
    recipient_country: str = Field(max_length=2)
    flow_run_id: str | None = Field(default=None, max_length=36)
    api_url: str | None = None
    status: str = "waiting"  # waiting | answered | expired
    created_at: datetime
    answered_at: datetime | None = None
    # a link /q/{token} for the recipient: only the token's hash is kept; it works once
    token_sha256: str | None = Field(default=None, max_length=64, unique=True)
    token_expires_at: datetime | None = None
    # what the recipient is shown: who asks, which data, for what (no other register data)
    context_json: str = Field(
        default="{}", sa_column=Column(Text, nullable=False, server_default="{}")
    )


class UserRow(SQLModel, table=True):
    """A portal user. The API token is shown once when the user is added; only its hash is kept."""

    __tablename__ = "users"

    name: str = Field(primary_key=True, max_length=100)
    role: str = Field(max_length=32)
    token_sha256: str = Field(max_length=64, unique=True)
    active: bool = True
    created_at: datetime
    revoked_at: datetime | None = None


class SessionRow(SQLModel, table=True):
    """A browser session of the portal, keyed by the hash of its cookie value."""

    __tablename__ = "portal_sessions"

    id_sha256: str = Field(primary_key=True, max_length=64)
    user_name: str = Field(foreign_key="users.name", index=True)
    csrf_token: str = Field(max_length=64)
    created_at: datetime
    expires_at: datetime


class PortalRunRow(SQLModel, table=True):
    """An assessment run started from the portal, and how far it got."""

    __tablename__ = "portal_runs"

    id: str = Field(primary_key=True, max_length=32)
    started_by: str = Field(max_length=100)
    intake_path: str
    status: str = "queued"  # queued | running | completed | failed
    flow_run_id: str | None = Field(default=None, max_length=36)
    transfer_id: str | None = Field(default=None, max_length=64)
    message: str = ""
    created_at: datetime
    finished_at: datetime | None = None


class UpdateDraftRow(SQLModel, table=True):
    """An update of a filed dossier that the law requires (Decree 356 Art 20), prepared by
    re-assessment with its Form 03a change notice, waiting for legal."""

    __tablename__ = "update_drafts"

    id: int | None = Field(default=None, primary_key=True)
    transfer_id: str = Field(foreign_key="transfers.id", index=True)
    assessment_id: str = Field(foreign_key="assessments.id")
    kinds: (
        str  # comma-separated triggers: purpose, party, pdp_provider, business_line, reorganisation
    )
    urgent: bool
    notice_sha256: str | None = Field(default=None, max_length=64)
    status: str = "draft"
    created_at: datetime


class NotificationRow(SQLModel, table=True):
    """An e-mail dtia sent, or tried to, for one reason (``kind`` and ``key``: a deadline's
    announcement, a link, a reminder): the reason is unique, so nothing is sent twice. A
    failed one is tried again by the next check; ``sending`` is claimed while it goes out."""

    __tablename__ = "notifications"
    __table_args__ = (UniqueConstraint("kind", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32)  # deadline | link | reminder | answered | waiting
    key: str = Field(max_length=200)
    transfer_id: str | None = Field(default=None, max_length=64, index=True)
    status: str = Field(default="sending", max_length=16)  # sending | sent | failed
    recipients: str = ""  # the To addresses, comma-separated
    subject: str = ""
    language: str = Field(default="vi", max_length=8)
    message_id: str | None = Field(default=None, max_length=200)
    error: str | None = None  # one line: why the last attempt failed
    attempts: int = 1
    created_at: datetime
    updated_at: datetime


class CalendarFeedRow(SQLModel, table=True):
    """A user's calendar feed of deadlines (``/api/deadlines.ics?token=``): a read-only
    token of its own, valid while the user's API token is the one it was issued under."""

    __tablename__ = "calendar_feeds"

    token_sha256: str = Field(primary_key=True, max_length=64)
    user_name: str = Field(max_length=100, index=True)
    user_token_sha256: str = Field(max_length=64)
    created_at: datetime
