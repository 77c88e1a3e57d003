"""Repository functions: keyword-only, one session in, the caller owns the transaction."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime
from typing import Any

from dateutil.relativedelta import relativedelta
from sqlalchemy import func, update
from sqlmodel import Session, col, select

from dtia.assessment import Assessment
from dtia.audit import (
    EMPTY_HEAD,
    GENESIS,
    Entry,
    Head,
    StoredApproval,
    StoredAssessment,
    StoredEvent,
    StoredState,
    canonical,
    entry_hash,
    parse_payload,
)
from dtia.filing import ApprovalFact, EventFact, FilingFacts, State
from dtia.intake import FileFact, LoadedIntake, Safeguards, TransferIntake
from dtia.recheck import recheck_on
from dtia.store.db import ConflictError
from dtia.store.models import (
    ApprovalRow,
    AssessmentRow,
    AttestationRow,
    AuditRow,
    DossierRow,
    FilingCommentRow,
    FilingDocumentRow,
    FilingEventRow,
    FilingRow,
    IntakeVersionRow,
    QuestionnaireRow,
    TransferRow,
)


def now() -> datetime:
    return datetime.now(UTC)


def assessment_key(a: Assessment) -> str:
    """The identity of an assessment: its input, its rules and its date."""
    return hashlib.sha256(
        f"{a.input_sha256}\n{a.rules_version}\n{a.rules_sha256}\n{a.as_of.isoformat()}".encode()
    ).hexdigest()


def append_audit(
    session: Session, *, actor: str, action: str, subject: str, payload: dict[str, Any]
) -> AuditRow:
    """Extend the chain. A concurrent writer extending the same entry fails on the unique
    ``prev_hash`` (or ``seq``) and the unit of work retries."""
    last = session.exec(select(AuditRow).order_by(col(AuditRow.seq).desc()).limit(1)).first()
    seq = (last.seq + 1) if last else 1
    prev = last.hash if last else GENESIS
    at = now().isoformat(timespec="microseconds")
    digest = entry_hash(
        prev_hash=prev, seq=seq, at=at, actor=actor, action=action, subject=subject, payload=payload
    )
    row = AuditRow.model_validate(
        {
            "seq": seq,
            "at": at,
            "actor": actor,
            "action": action,
            "subject": subject,
            "payload_json": canonical(payload),
            "prev_hash": prev,
            "hash": digest,
        }
    )
    session.add(row)
    session.flush()
    return row


def audit_entries(session: Session) -> list[Entry]:
    """The log in sequence order; a payload that is not a JSON object comes back as ``None``
    for the chain check to name, never as an exception."""
    rows = session.exec(select(AuditRow).order_by(col(AuditRow.seq))).all()
    return [
        Entry(
            r.seq,
            r.at,
            r.actor,
            r.action,
            r.subject,
            parse_payload(r.payload_json),
            r.prev_hash,
            r.hash,
        )
        for r in rows
    ]


def audit_head(session: Session) -> Head:
    """Where the chain stands now: its entry count and its last entry's hash."""
    last = session.exec(select(AuditRow).order_by(col(AuditRow.seq).desc()).limit(1)).first()
    return EMPTY_HEAD if last is None else Head(last.seq, last.hash)


def head_before_saved(session: Session, *, transfer_id: str, assessment_id: str) -> Head | None:
    """Where the chain stood just before this assessment's ``assessment.saved`` entry, if it
    was saved: the head its dossiers record, the same however often they are rendered."""
    entry = session.exec(
        select(AuditRow)
        .where(
            AuditRow.action == "assessment.saved",
            AuditRow.subject == transfer_id,
            # payloads are canonical JSON: the key appears exactly like this
            col(AuditRow.payload_json).contains(f'"assessment":"{assessment_id}"'),
        )
        .order_by(col(AuditRow.seq))
        .limit(1)
    ).first()
    return None if entry is None else Head(entry.seq - 1, entry.prev_hash)


def stored_state(session: Session) -> StoredState:
    """What the tables hold that the audit chain also records (assessments streamed)."""
    assessments = (
        StoredAssessment(
            r.id,
            r.transfer_id,
            r.version,
            r.assessment_sha256,
            r.assessment_json,
            r.residual_level,
            r.dossier_required,
            r.has_blockers,
        )
        for r in session.exec(
            select(AssessmentRow)
            .order_by(col(AssessmentRow.transfer_id), col(AssessmentRow.version))
            .execution_options(yield_per=200)
        )
    )
    approval_rows = session.exec(select(ApprovalRow).order_by(col(ApprovalRow.id))).all()
    event_rows = session.exec(select(FilingEventRow).order_by(col(FilingEventRow.id))).all()
    comments = comments_by_event(session, [e.id for e in event_rows if e.id is not None])
    documents = documents_by_event(session, [e.id for e in event_rows if e.id is not None])
    return StoredState(
        assessments=assessments,
        approvals=[
            StoredApproval(
                a.transfer_id, a.assessment_id, a.assessment_sha256, a.by, a.on.isoformat()
            )
            for a in approval_rows
        ],
        events=[
            StoredEvent(
                e.transfer_id,
                e.event,
                e.on.isoformat(),
                e.reference,
                e.note,
                e.assessment_id,
                e.state_after,
                e.audit_head,
                tuple(comments.get(e.id or 0, ())),
                e.channel,
                e.code,
                tuple(d.sha256 for d in documents.get(e.id or 0, ())),
            )
            for e in event_rows
        ],
        filings={f.transfer_id: f.state for f in session.exec(select(FilingRow)).all()},
    )


def save_assessment(
    session: Session,
    *,
    loaded: LoadedIntake,
    assessment: Assessment,
    actor: str,
    source_path: str | None = None,
    source_sha256: str | None = None,
) -> tuple[AssessmentRow, bool]:
    """Store the transfer, its intake version and the assessment; ``False`` when the same
    assessment was already stored (nothing is written then)."""
    key = assessment_key(assessment)
    existing = session.get(AssessmentRow, key)
    if existing is not None:
        return existing, False
    intake = loaded.intake
    transfer = session.get(TransferRow, intake.transfer.id)
    if transfer is None:
        transfer = TransferRow.model_validate(
            {
                "id": intake.transfer.id,
                "title": str(intake.transfer.title),
                "transferor": intake.transferor.name_vi,
                "created_at": now(),
            }
        )
        session.add(transfer)
        session.flush()  # no ORM relationships here: parents are flushed before children
        session.add(
            FilingRow.model_validate(
                {"transfer_id": transfer.id, "state": "prepared", "updated_at": now()}
            )
        )
        session.flush()
    else:
        transfer.title = str(intake.transfer.title)
        transfer.active = True
    if source_path is not None:
        transfer.source_path = source_path
        transfer.source_sha256 = source_sha256
    session.add(transfer)
    version_row = session.exec(
        select(IntakeVersionRow).where(
            IntakeVersionRow.transfer_id == transfer.id,
            IntakeVersionRow.input_sha256 == assessment.input_sha256,
        )
    ).first()
    if version_row is None:
        version_row = IntakeVersionRow.model_validate(
            {
                "transfer_id": transfer.id,
                "input_sha256": assessment.input_sha256,
                "intake_json": intake.model_dump_json(by_alias=True),
                "files_json": json.dumps(
                    {
                        k: {"sha256": f.sha256, "size": f.size, "text": f.text}
                        for k, f in sorted(loaded.files.items())
                    },
                    ensure_ascii=False,
                ),
                "created_at": now(),
            }
        )
        session.add(version_row)
        session.flush()
    latest = session.exec(
        select(func.max(AssessmentRow.version)).where(AssessmentRow.transfer_id == transfer.id)
    ).one()
    text = assessment.to_json()
    row = AssessmentRow.model_validate(
        {
            "id": key,
            "transfer_id": transfer.id,
            "version": (latest or 0) + 1,
            "intake_version_id": version_row.id,
            "as_of": assessment.as_of,
            "rules_version": assessment.rules_version,
            "rules_sha256": assessment.rules_sha256,
            "input_sha256": assessment.input_sha256,
            "assessment_sha256": hashlib.sha256(text.encode()).hexdigest(),
            "assessment_json": text,
            "dossier_required": assessment.applicability.dossier_required,
            "residual_level": assessment.risk.residual.level,
            "has_blockers": any(f.severity == "blocker" for f in assessment.findings),
            "recheck_on": recheck_on(intake, assessment),
            "created_at": now(),
        }
    )
    session.add(row)
    session.flush()
    append_audit(
        session,
        actor=actor,
        action="assessment.saved",
        subject=transfer.id,
        payload={
            "assessment": key,
            "version": row.version,
            "sha256": row.assessment_sha256,
            "as_of": assessment.as_of.isoformat(),
            "rules_version": assessment.rules_version,
        },
    )
    return row, True


def add_dossier(
    session: Session, *, assessment_id: str, kind: str, sha256: str, size: int
) -> DossierRow:
    """Record a rendered PDF (once): its file, named by its SHA-256, is written already."""
    existing = session.get(DossierRow, sha256)
    if existing is not None:
        return existing
    row = DossierRow.model_validate(
        {
            "sha256": sha256,
            "assessment_id": assessment_id,
            "kind": kind,
            "size": size,
            "created_at": now(),
        }
    )
    session.add(row)
    session.flush()
    return row


def transfers(session: Session) -> list[TransferRow]:
    return list(session.exec(select(TransferRow).order_by(col(TransferRow.id))).all())


def current_assessment(session: Session, *, transfer_id: str) -> AssessmentRow | None:
    return session.exec(
        select(AssessmentRow)
        .where(AssessmentRow.transfer_id == transfer_id)
        .order_by(col(AssessmentRow.version).desc())
        .limit(1)
    ).first()


def assessments(session: Session, *, transfer_id: str) -> list[AssessmentRow]:
    return list(
        session.exec(
            select(AssessmentRow)
            .where(AssessmentRow.transfer_id == transfer_id)
            .order_by(col(AssessmentRow.version))
        ).all()
    )


def loaded_of(session: Session, *, row: AssessmentRow) -> LoadedIntake:
    """The intake of an assessment as the engine saw it, files' facts included."""
    version = session.get(IntakeVersionRow, row.intake_version_id)
    assert version is not None
    files = {
        k: FileFact(k, v["sha256"], v["size"], v["text"])
        for k, v in json.loads(version.files_json).items()
    }
    intake = TransferIntake.model_validate_json(version.intake_json)
    return LoadedIntake(intake, f"register:{row.transfer_id}", version.input_sha256, files)


def intake_of(session: Session, *, row: AssessmentRow) -> TransferIntake:
    version = session.get(IntakeVersionRow, row.intake_version_id)
    assert version is not None
    return TransferIntake.model_validate_json(version.intake_json)


def filing(session: Session, *, transfer_id: str) -> FilingRow | None:
    return session.get(FilingRow, transfer_id)


def events(session: Session, *, transfer_id: str) -> list[FilingEventRow]:
    return list(
        session.exec(
            select(FilingEventRow)
            .where(FilingEventRow.transfer_id == transfer_id)
            .order_by(col(FilingEventRow.on), col(FilingEventRow.id))
        ).all()
    )


def approvals(session: Session, *, transfer_id: str) -> list[ApprovalRow]:
    return list(
        session.exec(
            select(ApprovalRow)
            .where(ApprovalRow.transfer_id == transfer_id)
            .order_by(col(ApprovalRow.id))
        ).all()
    )


def filing_facts(
    session: Session, *, transfer_id: str
) -> tuple[FilingFacts, FilingRow, AssessmentRow] | None:
    f = filing(session, transfer_id=transfer_id)
    current = current_assessment(session, transfer_id=transfer_id)
    if f is None or current is None:
        return None
    facts = FilingFacts(
        state=f.state,  # type: ignore[arg-type]
        current_assessment_id=current.id,
        current_version=current.version,
        current_has_blockers=current.has_blockers,
        approvals=tuple(
            ApprovalFact(a.assessment_id, a.by, a.on)
            for a in approvals(session, transfer_id=transfer_id)
        ),
        events=event_facts(session, events(session, transfer_id=transfer_id)),
    )
    return facts, f, current


def event_facts(session: Session, rows: list[FilingEventRow]) -> tuple[EventFact, ...]:
    comments = comments_by_event(session, [e.id for e in rows if e.id is not None])
    return tuple(
        EventFact(
            e.event,
            e.on,
            e.reference,
            code=e.code,
            channel=e.channel,
            comments=tuple(comments.get(e.id or 0, ())),
        )
        for e in rows
    )


def comments_by_event(session: Session, ids: list[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    if not ids:
        return out
    for c in session.exec(
        select(FilingCommentRow)
        .where(col(FilingCommentRow.event_id).in_(ids))
        .order_by(col(FilingCommentRow.event_id), col(FilingCommentRow.position))
    ):
        out.setdefault(c.event_id, []).append(c.text)
    return out


def documents_by_event(session: Session, ids: list[int]) -> dict[int, list[FilingDocumentRow]]:
    out: dict[int, list[FilingDocumentRow]] = {}
    if not ids:
        return out
    for d in session.exec(
        select(FilingDocumentRow)
        .where(col(FilingDocumentRow.event_id).in_(ids))
        .order_by(col(FilingDocumentRow.event_id), col(FilingDocumentRow.id))
    ):
        out.setdefault(d.event_id, []).append(d)
    return out


def set_state(session: Session, *, row: FilingRow, state: State) -> None:
    """Move the filing to ``state`` if nobody else moved it since it was read (optimistic lock)."""
    result = session.execute(
        update(FilingRow)
        .where(
            col(FilingRow.transfer_id) == row.transfer_id,
            col(FilingRow.row_version) == row.row_version,
        )
        .values(state=state, row_version=row.row_version + 1, updated_at=now())
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise ConflictError(f"the filing of {row.transfer_id} was changed by someone else")


def add_approval(
    session: Session, *, transfer_id: str, assessment: AssessmentRow, by: str, on: date
) -> ApprovalRow:
    row = ApprovalRow.model_validate(
        {
            "transfer_id": transfer_id,
            "assessment_id": assessment.id,
            "assessment_sha256": assessment.assessment_sha256,
            "by": by,
            "on": on,
            "created_at": now(),
        }
    )
    session.add(row)
    session.flush()
    return row


def add_event(
    session: Session,
    *,
    transfer_id: str,
    event: str,
    on: date,
    reference: str | None,
    note: str | None,
    assessment_id: str,
    state_after: str,
    audit_head: str | None = None,
    channel: str | None = None,
    code: str | None = None,
    regime: str | None = None,
    comments: tuple[str, ...] = (),
    documents: tuple[tuple[str, str, int, str], ...] = (),  # sha256, name, size, kind
) -> FilingEventRow:
    row = FilingEventRow.model_validate(
        {
            "audit_head": audit_head,
            "channel": channel,
            "code": code,
            "regime": regime,
            "transfer_id": transfer_id,
            "event": event,
            "on": on,
            "reference": reference,
            "note": note,
            "assessment_id": assessment_id,
            "state_after": state_after,
            "created_at": now(),
        }
    )
    session.add(row)
    session.flush()
    assert row.id is not None
    for i, text in enumerate(comments):
        session.add(FilingCommentRow(event_id=row.id, position=i, text=text))
    for sha, name, size, kind in documents:
        session.add(FilingDocumentRow(event_id=row.id, sha256=sha, name=name, size=size, kind=kind))
    session.flush()
    return row


# An answer without dated evidence would otherwise be reused forever: the recipient is asked
# again a year after it answered (a product choice, not a statutory period).
ATTESTATION_LIFETIME = relativedelta(years=1)


def recipient_key(*, name: str, country: str) -> str:
    """One recipient across transfers: its legal name and country, normalised."""
    return f"{country.upper()}:{' '.join(name.casefold().split())}"


def add_attestation(
    session: Session, *, name: str, country: str, safeguards: Safeguards
) -> AttestationRow:
    """Keep a recipient's answer for other transfers to the same recipient; it stays usable
    until its earliest evidence expires, and never longer than ``ATTESTATION_LIFETIME``."""
    expiries = [c.expires_on for c in safeguards.certifications]
    expiries += [e.expires_on for e in safeguards.evidence if e.expires_on]
    expiries.append(safeguards.attested_on + ATTESTATION_LIFETIME)
    row = AttestationRow.model_validate(
        {
            "recipient_key": recipient_key(name=name, country=country),
            "safeguards_json": safeguards.model_dump_json(),
            "attested_on": safeguards.attested_on,
            "expires_on": min(expiries),
            "created_at": now(),
        }
    )
    session.add(row)
    session.flush()
    return row


def waiting_questionnaire(
    session: Session, *, transfer_id: str, recipient_id: str
) -> QuestionnaireRow | None:
    """The latest request to this recipient about this transfer still waiting for an answer."""
    return session.exec(
        select(QuestionnaireRow)
        .where(
            QuestionnaireRow.transfer_id == transfer_id,
            QuestionnaireRow.recipient_id == recipient_id,
            QuestionnaireRow.status == "waiting",
        )
        .order_by(col(QuestionnaireRow.id).desc())
    ).first()


def attestations(session: Session, *, key: str) -> list[AttestationRow]:
    """Every answer stored for a recipient, expired ones too."""
    return list(
        session.exec(
            select(AttestationRow)
            .where(AttestationRow.recipient_key == key)
            .order_by(col(AttestationRow.id))
        ).all()
    )


def valid_attestation(session: Session, *, key: str, on: date) -> AttestationRow | None:
    """The newest attestation of a recipient whose evidence has not expired on ``on``."""
    rows = session.exec(
        select(AttestationRow)
        .where(AttestationRow.recipient_key == key)
        .order_by(col(AttestationRow.attested_on).desc(), col(AttestationRow.id).desc())
    ).all()
    return next(
        (r for r in rows if r.attested_on <= on and (r.expires_on is None or r.expires_on >= on)),
        None,
    )
