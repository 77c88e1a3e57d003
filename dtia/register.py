"""The register service: saved transfers, their filing lifecycle, clocks and audit log.

Each public method is one unit of work (retried on write conflicts); the lifecycle rules
and clocks come from the pure ``dtia.filing``, the chain check from ``dtia.audit``.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from sqlalchemy import Engine, func
from sqlalchemy import select as sa_select  # sqlmodel's select types at most four columns
from sqlmodel import Session, col, select

from dtia.assessment import Assessment
from dtia.audit import ChainCheck, Head, check_chain, check_state
from dtia.clocks import Clock
from dtia.config import Settings
from dtia.engine import assess
from dtia.evidence import file_problems
from dtia.filing import (
    EVENTS,
    ChangeFact,
    EventDetails,
    FilingError,
    allowed_events,
    canonical_state,
    check_approval,
    check_event,
    classify_change,
    dossiers,
    lifecycle,
    register_deadlines,
    triggers,
)
from dtia.intake import (
    UPLOADED,
    Evidence,
    LoadedIntake,
    Safeguards,
    TransferIntake,
    Uploads,
    load_intake,
    load_intake_model,
    with_safeguards,
)
from dtia.law import law_files, load_rules
from dtia.store import repo
from dtia.store.db import NotFound, StoreError, ensure_schema, make_engine, unit_of_work
from dtia.store.files import EVIDENCE, FILING_DOCUMENTS, INTAKE_FILES, Blobs
from dtia.store.models import (
    AssessmentRow,
    DossierRow,
    FilingRow,
    IntakeVersionRow,
    QuestionnaireRow,
    TransferRow,
    UpdateDraftRow,
)

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def today_in_vietnam() -> date:
    """The calendar date in Vietnam now: no filing event or approval can be dated later."""
    return datetime.now(VIETNAM).date()


def law_in_force(on: date) -> date:
    """The day Law 91/2025 took effect, from the law data in force on ``on``."""
    return load_rules(on).date_value("law_in_force").value


def _file_sha(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


NoticeRenderer = Callable[[LoadedIntake, Assessment, TransferIntake, set[str], int], bytes]
# The PDFs of a dossier, each as (kind, PDF): the review pack (or exemption memo) first, then
# the filing pack or its draft. A single (kind, PDF) is one PDF.
Rendered = Sequence[tuple[str, bytes]] | tuple[str, bytes]
# the PDFs of a dossier from the intake, its assessment and the bytes of its files
Renderer = Callable[[LoadedIntake, Assessment, dict[str, bytes]], Rendered]


def _pdfs(rendered: Rendered | None) -> list[tuple[str, bytes]]:
    if rendered is None:
        return []
    match rendered:
        case (str() as kind, bytes() as pdf):
            return [(kind, pdf)]
    out: list[tuple[str, bytes]] = []
    for pair in rendered:
        match pair:
            case (str() as kind, bytes() as pdf):
                out.append((kind, pdf))
    return out

# How the portal named an uploaded evidence file before uploads were referenced by their hash
# (attestations stored then still hold it): a path the register wrote, never an intake.
_LEGACY_UPLOAD = re.compile(rf"^{EVIDENCE}/[0-9a-f]{{2}}/([0-9a-f]{{64}})\.pdf$")


def _source_changed(source: str, saved_sha: str | None, files_json: str) -> bool:
    """Whether the intake file, or a file it names, differs from what was last assessed.
    Evidence recipients uploaded is the register's own, found by its hash: it cannot change."""
    path = Path(source)
    current = _file_sha(path)
    if current is None:
        return False  # the source is gone: keep assessing the register's copy
    if current != saved_sha:
        return True
    try:
        facts = json.loads(files_json)
        named = {rel: fact["sha256"] for rel, fact in facts.items()}
    except (ValueError, TypeError, KeyError, AttributeError):
        return True  # a damaged record: re-assess, so the transfer reports it
    base = path.parent
    return any(
        _file_sha(base / rel) != sha
        for rel, sha in named.items()
        if not rel.startswith(UPLOADED + "/")
    )


def _safe_name(name: str) -> str:
    """A document's name as shown: its last part only, printable, at most 255 characters."""
    base = Path(name.replace("\\", "/")).name or "document"
    return "".join(c for c in base if c.isprintable())[:255] or "document"


def _submitted_pdf(session: Session, assessment_id: str, event: str) -> Any:
    """The PDF the register holds for what ``event`` sends: the dossier for a submission or
    completion, the update notice for an update (None for other events, or none rendered)."""
    if event not in ("submitted", "completed", "update_submitted"):
        return None
    rows = session.exec(
        select(DossierRow)
        .where(DossierRow.assessment_id == assessment_id)
        .order_by(col(DossierRow.created_at))
    ).all()
    notice = event == "update_submitted"
    fitting = [r for r in rows if r.kind.startswith("update-notice") == notice]
    return fitting[-1] if fitting else None


def _uploads_in(safeguards: Safeguards | None) -> set[str]:
    if safeguards is None:
        return set()
    evidence = [
        *safeguards.evidence,
        *(c.evidence for c in safeguards.certifications),
        *safeguards.notices,  # a published notice uploaded with the answer
    ]
    return {e.upload for e in evidence if e is not None and e.upload}


def _from_legacy(safeguards: Safeguards) -> Safeguards:
    """An attestation stored with an uploaded file's old data-folder path, by its hash."""

    def fix(e: Evidence) -> Evidence:
        found = _LEGACY_UPLOAD.match(e.path or "")
        return e.model_copy(update={"path": None, "upload": found[1]}) if found else e

    return safeguards.model_copy(
        update={
            "evidence": [fix(e) for e in safeguards.evidence],
            "certifications": [
                c.model_copy(update={"evidence": fix(c.evidence)}) if c.evidence else c
                for c in safeguards.certifications
            ],
        }
    )


@dataclass(frozen=True)
class PendingReassessment:
    """A re-assessment computed but not yet stored (see ``Register.prepare_reassessment``)."""

    transfer_id: str
    reasons: list[str]
    as_of: date
    previous: LoadedIntake
    loaded: LoadedIntake
    assessment: Assessment
    state: str
    source_path: str | None  # set when the intake file was re-read
    new: bool  # no stored assessment has this key yet
    source_sha256: str | None = None  # of the intake file, hashed before it was read
    version: int = 0  # the version it becomes, unless another writer stores one first
    files: dict[str, bytes] = field(default_factory=dict)  # every file the intake names


@dataclass(frozen=True)
class Saved:
    transfer_id: str
    assessment_id: str
    version: int
    created: bool
    dossier: str | None = None  # the SHA-256 of the PDF stored with it


def _add_update_draft(
    session: Session, row: AssessmentRow, kinds: set[str], *, urgent: bool, notice: str | None
) -> None:
    draft = UpdateDraftRow.model_validate(
        {
            "transfer_id": row.transfer_id,
            "assessment_id": row.id,
            "kinds": ",".join(sorted(kinds)),
            "urgent": urgent,
            "notice_sha256": notice,
            "created_at": repo.now(),
        }
    )
    session.add(draft)
    session.flush()
    repo.append_audit(
        session,
        actor="reassessment",
        action="update.drafted",
        subject=row.transfer_id,
        payload={"assessment": row.id, "kinds": sorted(kinds), "urgent": urgent},
    )


class Register:
    def __init__(self, settings: Settings | None = None, *, engine: Engine | None = None) -> None:
        self.settings = settings or Settings()
        self.engine = engine or make_engine(self.settings)
        ensure_schema(self.engine)
        data = self.settings.data_dir
        self.dossiers = Blobs(self.settings.dossier_dir, ".pdf", what="dossier PDF")
        self.evidence = Blobs(data / EVIDENCE, ".pdf", what="evidence file")
        self.intake_files = Blobs(data / INTAKE_FILES, what="copy of a file the intake names")
        self.filing_files = Blobs(data / FILING_DOCUMENTS, what="filing document")

    def stored_file(self, sha256: str) -> bytes | None:
        """A file the register keeps (a copy of an intake's file, or uploaded evidence),
        found by its SHA-256 alone."""
        return self.intake_files.get(sha256) or self.evidence.get(sha256)

    def review_pack(self, transfer_id: str, as_of: date, input_sha256: str) -> bytes | None:
        """The stored review pack of the assessment with these facts (the one a filing pack
        names in its filing record), or None when the register has none."""
        with Session(self.engine) as session:
            rows = session.exec(
                select(DossierRow)
                .join(AssessmentRow, col(AssessmentRow.id) == col(DossierRow.assessment_id))
                .where(
                    AssessmentRow.transfer_id == transfer_id,
                    AssessmentRow.as_of == as_of,
                    AssessmentRow.input_sha256 == input_sha256,
                    col(DossierRow.kind).in_(("review", "dossier")),
                )
                .order_by(col(DossierRow.created_at).desc())
            ).all()
            digests = [r.sha256 for r in rows]
        return next((pdf for d in digests if (pdf := self.dossiers.get(d)) is not None), None)

    # --- writing ---------------------------------------------------------------------------

    def save(
        self,
        loaded: LoadedIntake,
        assessment: Assessment,
        *,
        actor: str,
        source_path: str | None = None,
        files: Mapping[str, bytes] | None = None,
        dossier: Rendered | None = None,
    ) -> Saved:
        """Store the transfer and this assessment (once), with a copy of every file its
        intake names (``files``, as ``read_files`` gives them: any version renders again
        from the register alone) and its dossier's PDFs (kind, PDF; the one that verifies
        from itself first). The files are written first, then everything that refers to
        them in one transaction."""
        source_sha = _file_sha(Path(source_path)) if source_path else None
        self._keep_files(loaded, files)
        pdfs = [(kind, data, self._keep_pdf(data)) for kind, data in _pdfs(dossier)]
        pdf = pdfs[0][2] if pdfs else None

        def work(session: Session) -> Saved:
            row, created = repo.save_assessment(
                session,
                loaded=loaded,
                assessment=assessment,
                actor=actor,
                source_path=source_path,
                source_sha256=source_sha,
            )
            for kind, data, digest in pdfs:
                repo.add_dossier(
                    session, assessment_id=row.id, kind=kind, sha256=digest, size=len(data)
                )
            return Saved(row.transfer_id, row.id, row.version, created, pdf)

        return unit_of_work(self.engine, work)

    def save_dossier(self, saved: Saved, *, kind: str, pdf: bytes) -> str:
        """Keep a rendered dossier, content-addressed under DTIA_DATA_DIR; returns its SHA-256.
        The file is written before the row that refers to it."""
        digest = self._keep_pdf(pdf)

        def work(session: Session) -> str:
            return repo.add_dossier(
                session, assessment_id=saved.assessment_id, kind=kind, sha256=digest, size=len(pdf)
            ).sha256

        return unit_of_work(self.engine, work)

    def _keep_pdf(self, pdf: bytes) -> str:
        return self.dossiers.put(pdf)

    def _keep_files(self, loaded: LoadedIntake, files: Mapping[str, bytes] | None) -> None:
        """Copies of the intake's own files (uploaded evidence is kept already), each the
        file the assessment saw."""
        for name, data in sorted((files or {}).items()):
            fact = loaded.files.get(name)
            if fact is None or hashlib.sha256(data).hexdigest() != fact.sha256:
                raise StoreError(
                    f"{name} is not the file {loaded.intake.transfer.id}'s assessment read"
                )
            if not name.startswith(UPLOADED + "/"):
                self.intake_files.put(data)

    def attest(self, *, name: str, country: str, safeguards: Safeguards) -> int:
        """Store a recipient's safeguards for reuse by every transfer to it."""

        def work(session: Session) -> int:
            row = repo.add_attestation(session, name=name, country=country, safeguards=safeguards)
            assert row.id is not None
            return row.id

        return unit_of_work(self.engine, work)

    def attestation(self, *, name: str, country: str, on: date) -> Safeguards | None:
        """A stored, unexpired attestation of this recipient, if any."""
        with Session(self.engine) as session:
            row = repo.valid_attestation(
                session, key=repo.recipient_key(name=name, country=country), on=on
            )
            return None if row is None else self._answer(row.safeguards_json)

    @staticmethod
    def _answer(safeguards_json: str) -> Safeguards:
        return _from_legacy(Safeguards.model_validate_json(safeguards_json))

    def uploads(self, intake: TransferIntake) -> Uploads:
        """The evidence files the intake's recipients uploaded, by recipient and SHA-256: an
        upload counts for a recipient only when one of that recipient's stored answers
        holds it, and its bytes come from the register, never through a path."""
        out: dict[str, dict[str, bytes]] = {}
        for r in intake.recipients:
            wanted = _uploads_in(r.safeguards)
            if not wanted:
                continue
            with Session(self.engine) as session:
                answered = set().union(
                    *(
                        _uploads_in(self._answer(row.safeguards_json))
                        for row in repo.attestations(
                            session, key=repo.recipient_key(name=r.name, country=r.country)
                        )
                    )
                )
            for sha in sorted(wanted & answered):
                data = self.evidence.get(sha)
                if data is not None:
                    out.setdefault(r.id, {})[sha] = data
        return out

    def with_attestations(self, loaded: LoadedIntake, base: Path | None, on: date) -> LoadedIntake:
        """The intake with the stored, unexpired answers of the recipients it gives no
        safeguards for (an intake file never holds what recipients answered); ``base`` is
        the intake's folder, for its files."""
        answers = {
            r.id: stored
            for r in loaded.intake.recipients
            if r.safeguards is None
            and (stored := self.attestation(name=r.name, country=r.country, on=on)) is not None
        }
        if not answers:
            return loaded
        return self.load_answered(with_safeguards(loaded.intake, answers), base, loaded.source)

    def load_answered(
        self, intake: TransferIntake, base: Path | None, source: str = "<intake>"
    ) -> LoadedIntake:
        """Load an intake whose recipients' safeguards include stored answers: its files
        from its folder ``base``, the evidence its recipients uploaded from the register."""
        return load_intake_model(intake, base, source=source, uploads=self.uploads(intake))

    def open_questionnaire(
        self,
        *,
        transfer_id: str,
        recipient_id: str,
        name: str,
        country: str,
        flow_run_id: str | None,
        api_url: str | None,
        context: dict[str, Any] | None = None,
        link: tuple[str, datetime] | None = None,
    ) -> int:
        """Record that a recipient was asked for its safeguards (and which run waits), with
        what the recipient is shown (``dtia.questionnaire.context``) and, given as ``link``
        (the token's SHA-256, its expiry), the questionnaire link in the same transaction, so
        a link legal issues meanwhile is never overwritten."""

        def work(session: Session) -> int:
            row = QuestionnaireRow.model_validate(
                {
                    "transfer_id": transfer_id,
                    "recipient_id": recipient_id,
                    "recipient_name": name,
                    "recipient_country": country,
                    "flow_run_id": flow_run_id,
                    "api_url": api_url,
                    "created_at": repo.now(),
                    "context_json": json.dumps(context or {}),
                    "token_sha256": link[0] if link else None,
                    "token_expires_at": link[1] if link else None,
                }
            )
            session.add(row)
            session.flush()
            payload: dict[str, Any] = {"recipient": recipient_id, "flow_run": flow_run_id}
            if link:
                payload["link_expires"] = link[1].isoformat()
            repo.append_audit(
                session,
                actor="dtia",
                action="questionnaire.sent",
                subject=transfer_id,
                payload=payload,
            )
            assert row.id is not None
            return row.id

        return unit_of_work(self.engine, work)

    def answer_questionnaire(
        self,
        *,
        transfer_id: str,
        recipient_id: str,
        safeguards: Safeguards,
        actor: str,
        only_if_waiting: bool = False,
    ) -> QuestionnaireRow | None:
        """Store the recipient's answer for reuse; returns the request that was waiting, if any."""

        def work(session: Session) -> QuestionnaireRow | None:
            waiting = repo.waiting_questionnaire(
                session, transfer_id=transfer_id, recipient_id=recipient_id
            )
            if waiting is None and only_if_waiting:
                return None
            if _uploads_in(safeguards):  # the portal alone stores uploads, with their bytes
                raise StoreError(
                    "an answer cannot name uploaded evidence by its SHA-256: evidence files "
                    "are uploaded on the questionnaire page"
                )
            if waiting is not None:
                name, country = waiting.recipient_name, waiting.recipient_country
            else:  # answered without a waiting run: take the recipient from the saved intake
                current = repo.current_assessment(session, transfer_id=transfer_id)
                known = repo.intake_of(session, row=current).recipients if current else []
                match = next((r for r in known if r.id == recipient_id), None)
                if match is None:
                    raise StoreError(
                        f"no recipient {recipient_id!r} of transfer {transfer_id!r} is waiting "
                        "for safeguards or saved in the register"
                    )
                name, country = match.name, match.country
            repo.add_attestation(session, name=name, country=country, safeguards=safeguards)
            if waiting is not None:
                waiting.status = "answered"
                waiting.answered_at = repo.now()
                session.add(waiting)
            repo.append_audit(
                session,
                actor=actor,
                action="questionnaire.answered",
                subject=transfer_id,
                payload={
                    "recipient": recipient_id,
                    "attested_by": safeguards.attested_by,
                    "attested_on": safeguards.attested_on.isoformat(),
                },
            )
            session.flush()
            if waiting is not None:
                session.expunge(waiting)
            return waiting

        return unit_of_work(self.engine, work)

    def close_questionnaire(
        self, *, transfer_id: str, recipient_id: str, status: str, flow_run_id: str | None = None
    ) -> None:
        """Close the waiting questionnaires of this recipient (with ``flow_run_id``: only the
        one that run waits on, not a link legal issued apart from it)."""

        def work(session: Session) -> None:
            query = select(QuestionnaireRow).where(
                QuestionnaireRow.transfer_id == transfer_id,
                QuestionnaireRow.recipient_id == recipient_id,
                QuestionnaireRow.status == "waiting",
            )
            if flow_run_id is not None:
                query = query.where(QuestionnaireRow.flow_run_id == flow_run_id)
            for row in session.exec(query).all():
                row.status = status
                session.add(row)

        unit_of_work(self.engine, work)

    def approve(
        self, transfer_id: str, *, by: str, on: date, today: date | None = None
    ) -> dict[str, Any]:
        """Approve the current assessment on ``on``, which may not be after ``today`` (today
        in Vietnam unless given) nor before the law took effect."""
        today = today or today_in_vietnam()
        in_force = law_in_force(today)

        def work(session: Session) -> dict[str, Any]:
            facts, filing, current = self._facts(session, transfer_id)
            state = check_approval(facts, on, today=today, law_in_force=in_force)
            approval = repo.add_approval(
                session, transfer_id=transfer_id, assessment=current, by=by, on=on
            )
            if state != filing.state:
                repo.set_state(session, row=filing, state=state)
            entry = repo.append_audit(
                session,
                actor=by,
                action="approval.recorded",
                subject=transfer_id,
                payload={
                    "assessment": current.id,
                    "version": current.version,
                    "sha256": current.assessment_sha256,
                    "on": on.isoformat(),
                    "state": state,
                },
            )
            return {
                "transfer_id": transfer_id,
                "state": state,
                "approved_version": current.version,
                "assessment_sha256": approval.assessment_sha256,
                "audit_head": f"{entry.seq}:{entry.hash}",
            }

        return unit_of_work(self.engine, work)

    def record(
        self,
        transfer_id: str,
        event: str,
        *,
        on: date,
        reference: str | None,
        note: str | None = None,
        actor: str,
        today: date | None = None,
        channel: str | None = None,
        code: str | None = None,
        comments: Sequence[str] = (),
        attachments: Sequence[tuple[str, bytes]] = (),
    ) -> dict[str, Any]:
        """Record a filing event dated ``on``: not after ``today`` (today in Vietnam unless
        given), not before the law took effect, nor, for events about data already
        transferred, before the transfer's first transfer date. ``reference`` is the receipt
        number, ``code`` the dossier code; ``comments`` (and ``note``) are kept one per
        line; ``attachments`` (name, bytes) are kept content-addressed with the event, and a
        submission keeps the hash of the dossier PDF the register holds for it."""
        today = today or today_in_vietnam()
        in_force = law_in_force(today)
        named = lifecycle().event(event)
        if named is None:
            raise FilingError(f"unknown filing event {event!r}; one of: {', '.join(EVENTS)}")
        event = named  # the old names stay accepted; the register keeps the new ones
        lines = tuple(
            line.strip()
            for text in (*comments, *((note,) if note else ()))
            for line in text.splitlines()
            if line.strip()
        )
        for name, data in attachments:
            problems = file_problems("attach", name, data)
            if problems:
                raise FilingError(f"the attachment {problems[0].message}")
        # written before the transaction that names them (see dtia.store.files)
        docs = [
            (self.filing_files.put(data), _safe_name(name), len(data), "attachment")
            for name, data in attachments
        ]

        def work(session: Session) -> dict[str, Any]:
            facts, filing, current = self._facts(session, transfer_id)
            first_transfer = repo.intake_of(session, row=current).transfer.first_transfer_date
            step = check_event(
                facts,
                event,
                on,
                today=today,
                law_in_force=in_force,
                first_transfer=first_transfer,
                details=EventDetails(channel=channel, code=code, receipt=reference),
            )
            documents = [*docs]
            pdf = _submitted_pdf(session, current.id, event)
            if pdf is not None:
                documents.insert(0, (pdf.sha256, f"{pdf.kind}.pdf", pdf.size, "submitted_dossier"))
            repo.set_state(session, row=filing, state=step.state)
            entry = repo.append_audit(
                session,
                actor=actor,
                action="filing.event",
                subject=transfer_id,
                payload={
                    "event": event,
                    "on": on.isoformat(),
                    "reference": reference,
                    "note": None,
                    "comments": list(lines),
                    "channel": channel,
                    "code": code,
                    "regime": step.regime.code,
                    "documents": [d[0] for d in documents],
                    "assessment": current.id,
                    "state": step.state,
                },
            )
            head = f"{entry.seq}:{entry.hash}"
            repo.add_event(
                session,
                transfer_id=transfer_id,
                event=event,
                on=on,
                reference=reference,
                note=None,
                assessment_id=current.id,
                state_after=step.state,
                audit_head=head,
                channel=channel,
                code=code,
                regime=step.regime.code,
                comments=lines,
                documents=tuple(documents),
            )
            return {
                "transfer_id": transfer_id,
                "event": event,
                "on": on.isoformat(),
                "state": step.state,
                "citations": list(step.citations),
                "regime": step.regime.code,
                "rules": step.regime.label_en,
                "round": step.round,
                "documents": [
                    {"sha256": d[0], "name": d[1], "size": d[2], "kind": d[3]} for d in documents
                ],
                "comments": list(lines),
                "audit_head": head,
            }

        return unit_of_work(self.engine, work)

    def filing_documents(self, transfer_id: str) -> list[tuple[dict[str, Any], bytes]]:
        """Every document kept with the transfer's filing events, for a bundle: where it
        goes (``filing/<n>-<event>/<name>``), what it is, and its bytes (the ones missing
        from the data folder are listed with ``missing``, without bytes)."""
        with Session(self.engine) as session:
            rows = repo.events(session, transfer_id=transfer_id)
            docs = repo.documents_by_event(session, [e.id for e in rows if e.id is not None])
        lc = lifecycle()
        out: list[tuple[dict[str, Any], bytes]] = []
        for n, e in enumerate(rows, 1):
            for d in docs.get(e.id or 0, []):
                store = self.dossiers if d.kind == "submitted_dossier" else self.filing_files
                data = store.get(d.sha256)
                entry = {
                    "path": f"filing/{n:02d}-{lc.event(e.event) or e.event}/{d.name}",
                    "event": lc.event(e.event) or e.event,
                    "on": e.on.isoformat(),
                    "name": d.name,
                    "kind": d.kind,
                    "sha256": d.sha256,
                    "size": d.size,
                }
                if data is None:
                    entry["missing"] = True
                out.append((entry, data or b""))
        return out

    def document(self, transfer_id: str, sha256: str) -> tuple[str, bytes]:
        """A document kept with one of the transfer's filing events: its name and bytes."""
        with Session(self.engine) as session:
            rows = repo.events(session, transfer_id=transfer_id)
            docs = repo.documents_by_event(session, [e.id for e in rows if e.id is not None])
            found = next((d for ds in docs.values() for d in ds if d.sha256 == sha256), None)
        if found is None:
            raise NotFound(f"no document {sha256[:12]}… among the filing events of {transfer_id}")
        store = self.dossiers if found.kind == "submitted_dossier" else self.filing_files
        data = store.get(sha256)
        if data is None:
            raise NotFound(f"the document {found.name} is missing from the data folder")
        return found.name, data

    # --- reading ---------------------------------------------------------------------------

    def _facts(self, session: Session, transfer_id: str) -> Any:
        found = repo.filing_facts(session, transfer_id=transfer_id)
        if found is None:
            raise NotFound(
                f"no transfer {transfer_id!r} in the register (save one with dtia assess --save)"
            )
        return found

    def _clocks(self, session: Session, transfer_id: str, as_of: date) -> tuple[list[Clock], Any]:
        facts, filing, current = self._facts(session, transfer_id)
        versions = repo.assessments(session, transfer_id=transfer_id)
        changes = []
        for before, after in itertools.pairwise(versions):
            kinds = classify_change(
                repo.intake_of(session, row=before), repo.intake_of(session, row=after)
            )
            if kinds:
                changes.append(ChangeFact(after.as_of, frozenset(kinds)))
        a = Assessment.from_json(current.assessment_json)
        return register_deadlines(a, facts, changes, as_of, load_rules(max(as_of, a.as_of))), (
            facts,
            filing,
            current,
        )

    def transfers(self, *, as_of: date) -> list[dict[str, Any]]:
        with Session(self.engine) as session:
            out = []
            for t in repo.transfers(session):
                clocks, (facts, _filing, current) = self._clocks(session, t.id, as_of)
                open_ = sorted((d for d in clocks if not d.closed), key=lambda d: d.due)
                nxt = open_[0] if open_ else None
                out.append(
                    {
                        "transfer_id": t.id,
                        "title": t.title,
                        "transferor": t.transferor,
                        "version": current.version,
                        "risk": current.residual_level,
                        "dossier_required": current.dossier_required,
                        "filing_state": facts.state,
                        "next_deadline": None
                        if nxt is None
                        else {"kind": nxt.kind, "due": nxt.due.isoformat(), "status": nxt.status},
                    }
                )
            return out

    def status(self, transfer_id: str, *, as_of: date) -> dict[str, Any]:
        with Session(self.engine) as session:
            clocks, (facts, _filing, current) = self._clocks(session, transfer_id, as_of)
            return {
                "transfer_id": transfer_id,
                "state": facts.state,
                "current_assessment": {
                    "id": current.id,
                    "version": current.version,
                    "as_of": current.as_of.isoformat(),
                    "sha256": current.assessment_sha256,
                },
                "approvals": [
                    {
                        "by": a.by,
                        "on": a.on.isoformat(),
                        "assessment": a.assessment_id,
                        "void": a.assessment_id != current.id,
                    }
                    for a in facts.approvals
                ],
                "events": self._timeline(session, transfer_id),
                "dossiers": [
                    {
                        "n": d.n,
                        "regime": d.regime.code,
                        "rules": d.regime.label_en,
                        "rules_citations": list(d.regime.citations),
                        "submitted_on": d.submitted.on.isoformat(),
                        "channel": d.submitted.channel,
                        "received_on": d.received.on.isoformat() if d.received else None,
                        "code": d.code,
                        "rounds": [
                            {
                                "n": r.n,
                                "requested_on": r.requested.on.isoformat(),
                                "comments": list(r.requested.comments),
                                "completed_on": r.completed.on.isoformat() if r.completed else None,
                            }
                            for r in d.rounds
                        ],
                        "outcome": d.outcome.name if d.outcome else None,
                        "verdict_vi": lifecycle().states[d.outcome.name].verdict_vi
                        if d.outcome
                        else None,
                    }
                    for d in dossiers(facts.events)
                ],
                "allowed_events": allowed_events(facts, as_of),
                "rules_today": lifecycle().regime_on(as_of).label_en,
                "deadlines": [d.model_dump(mode="json") for d in clocks],
            }

    def _timeline(self, session: Session, transfer_id: str) -> list[dict[str, Any]]:
        """The filing events in date order (then as recorded), with comments and documents."""
        rows = repo.events(session, transfer_id=transfer_id)
        ids = [e.id for e in rows if e.id is not None]
        comments = repo.comments_by_event(session, ids)
        docs = repo.documents_by_event(session, ids)
        lc = lifecycle()
        return [
            {
                "seq": e.id,
                "event": lc.event(e.event) or e.event,
                "on": e.on.isoformat(),
                "reference": e.reference,
                "code": e.code,
                "channel": e.channel,
                "regime": e.regime,
                "state": canonical_state(e.state_after),
                "comments": comments.get(e.id or 0, []),
                "documents": [
                    {"sha256": d.sha256, "name": d.name, "size": d.size, "kind": d.kind}
                    for d in docs.get(e.id or 0, [])
                ],
            }
            for e in rows
        ]

    def deadlines(self, *, as_of: date) -> list[dict[str, Any]]:
        with Session(self.engine) as session:
            out = []
            for t in repo.transfers(session):
                if not t.active:
                    continue
                clocks, _ = self._clocks(session, t.id, as_of)
                out += [
                    {
                        "transfer_id": t.id,
                        "kind": d.kind,
                        "due": d.due.isoformat(),
                        "legal_end": d.legal_end.isoformat(),
                        "status": d.status,
                        "owed_by": d.owed_by,
                        "citations": d.citations,
                    }
                    for d in clocks
                    if not d.closed
                ]
            return sorted(out, key=lambda d: (d["due"], d["transfer_id"], d["kind"]))

    # --- re-assessment ---------------------------------------------------------------------

    def stale(self, *, as_of: date) -> list[tuple[str, list[str]]]:
        """Transfers whose latest assessment may no longer hold, with the reasons; cheap for
        the unchanged ones (no parsing, no assessing: hashes and dates only)."""
        _files, rules_sha = law_files()
        latest = (
            select(AssessmentRow.transfer_id, func.max(AssessmentRow.version).label("version"))
            .group_by(col(AssessmentRow.transfer_id))
            .subquery()
        )
        query = (
            sa_select(
                col(TransferRow.id),
                col(TransferRow.source_path),
                col(TransferRow.source_sha256),
                col(AssessmentRow.rules_sha256),
                col(AssessmentRow.recheck_on),
                col(IntakeVersionRow.files_json),
            )
            .join(latest, col(latest.c.transfer_id) == col(TransferRow.id))
            .join(
                AssessmentRow,
                (col(AssessmentRow.transfer_id) == col(TransferRow.id))
                & (col(AssessmentRow.version) == latest.c.version),
            )
            .join(
                IntakeVersionRow, col(IntakeVersionRow.id) == col(AssessmentRow.intake_version_id)
            )
            .where(col(TransferRow.active))
            .order_by(col(TransferRow.id))
            # streamed in batches: a large register is never held in memory at once
            .execution_options(yield_per=500)
        )
        out: list[tuple[str, list[str]]] = []
        with Session(self.engine) as session:
            for tid, source, source_sha, rules_sha256, recheck_on, files_json in session.execute(
                query
            ):
                reasons = []
                if rules_sha256 != rules_sha:
                    reasons.append("rules")
                if source and _source_changed(source, source_sha, files_json):
                    reasons.append("intake")
                if recheck_on is not None and recheck_on <= as_of:
                    reasons.append("time")
                if reasons:
                    out.append((tid, reasons))
        return out

    def prepare_reassessment(
        self, transfer_id: str, *, as_of: date, reasons: list[str]
    ) -> PendingReassessment:
        """Re-assess a stale transfer without writing anything: what ``commit_reassessment``
        stores, once its dossier is rendered (so an interrupted run leaves no version
        without its dossier), with the bytes of every file the intake names."""
        with Session(self.engine) as session:
            current = repo.current_assessment(session, transfer_id=transfer_id)
            transfer = session.get(TransferRow, transfer_id)
            if current is None or transfer is None:
                raise NotFound(f"no transfer {transfer_id!r} in the register")
            try:
                previous = repo.loaded_of(session, row=current)
            except ValidationError as exc:
                raise StoreError(
                    f"the register's copy of the intake of {transfer_id} (version "
                    f"{current.version}) is damaged: {exc.error_count()} problems, the first "
                    f"at {'.'.join(str(x) for x in exc.errors()[0]['loc'])}"
                ) from None
            state = (
                repo.filing(session, transfer_id=transfer_id)
                or FilingRow(transfer_id=transfer_id, updated_at=repo.now())
            ).state
            source = transfer.source_path
            loaded = previous
            base = Path(source).parent if source else None
            source_sha = None
            if "intake" in reasons and source and Path(source).is_file():
                path = Path(source)
                base = path.resolve().parent
                # hashed before reading: a file changed meanwhile looks changed to the next run
                source_sha = _file_sha(path)
                loaded = self.with_attestations(load_intake(path), base, as_of)
            assessment = assess(loaded, as_of)
            new = session.get(AssessmentRow, repo.assessment_key(assessment)) is None
        from dtia.dossier.build import read_files  # the renderer's module: loaded when used

        return PendingReassessment(
            transfer_id=transfer_id,
            reasons=reasons,
            as_of=as_of,
            previous=previous,
            loaded=loaded,
            assessment=assessment,
            state=state,
            source_path=source if loaded is not previous else None,
            new=new,
            source_sha256=source_sha,
            version=current.version + 1,
            files=read_files(loaded, base, self.stored_file) if new else {},
        )

    def commit_reassessment(
        self,
        pending: PendingReassessment,
        *,
        dossier: Rendered | None = None,
        notice_renderer: NoticeRenderer | None = None,
    ) -> dict[str, Any]:
        """Store a prepared re-assessment, its dossier, and an update draft when the change
        is one Decree 356 Art 20 makes an update of a filed dossier: the files first (copies
        of the intake's files, the PDFs), then the version, its dossier and its draft in one
        transaction, so no version is ever stored without them."""
        result: dict[str, Any] = {
            "transfer_id": pending.transfer_id,
            "reasons": pending.reasons,
            "version": pending.version,
            "created": False,
            "update": None,
        }
        rules = load_rules(pending.as_of)
        known = triggers(rules, "periodic") | triggers(rules, "urgent")
        kinds = classify_change(pending.previous.intake, pending.loaded.intake) & set(known)
        drafted = bool(
            pending.new
            and kinds
            and canonical_state(pending.state) in lifecycle().updatable_states()
        )
        notice = (
            notice_renderer(
                pending.loaded,
                pending.assessment,
                pending.previous.intake,
                kinds,
                pending.version,
            )
            if drafted and notice_renderer is not None
            else None
        )
        if pending.new:
            self._keep_files(pending.loaded, pending.files)
        pdfs = (
            [(kind, data, self._keep_pdf(data)) for kind, data in _pdfs(dossier)]
            if pending.new
            else []
        )
        pdf = pdfs[0][2] if pdfs else None
        notice_sha = self._keep_pdf(notice) if notice is not None else None
        urgent = bool(kinds & set(triggers(rules, "urgent")))
        update = (
            {
                "kinds": sorted(kinds),
                "urgent": urgent,
                "citations": [c for k in sorted(kinds) for c in known[k]],
                "notice": notice_sha,
            }
            if drafted
            else None
        )

        def work(session: Session) -> dict[str, Any]:
            row, created = repo.save_assessment(
                session,
                loaded=pending.loaded,
                assessment=pending.assessment,
                actor="reassessment",
                source_path=pending.source_path,
                source_sha256=pending.source_sha256,
            )
            out = {**result, "version": row.version, "created": created}
            if not created:
                return out
            if row.version != pending.version:
                # the notice names the version: another writer stored one meanwhile
                raise StoreError(
                    f"{pending.transfer_id} got a new version while it was re-assessed; "
                    "the next run re-assesses it again"
                )
            for kind, data, digest in pdfs:
                repo.add_dossier(
                    session, assessment_id=row.id, kind=kind, sha256=digest, size=len(data)
                )
            if pdf is not None:
                out["dossier"] = pdf
            if notice is not None and notice_sha is not None:
                repo.add_dossier(
                    session,
                    assessment_id=row.id,
                    kind="update-notice-03a",
                    sha256=notice_sha,
                    size=len(notice),
                )
            if update is not None:
                _add_update_draft(session, row, kinds, urgent=urgent, notice=notice_sha)
                out["update"] = update
            return out

        return unit_of_work(self.engine, work)

    def reassess(
        self,
        transfer_id: str,
        *,
        as_of: date,
        reasons: list[str],
        render: Renderer | None = None,
        notice_renderer: NoticeRenderer | None = None,
    ) -> dict[str, Any]:
        """Prepare, render (when the version is new) and commit one stale transfer."""
        pending = self.prepare_reassessment(transfer_id, as_of=as_of, reasons=reasons)
        dossier = (
            render(pending.loaded, pending.assessment, pending.files)
            if render and pending.new
            else None
        )
        return self.commit_reassessment(pending, dossier=dossier, notice_renderer=notice_renderer)

    def update_drafts(self, transfer_id: str) -> list[UpdateDraftRow]:
        with Session(self.engine) as session:
            rows = list(
                session.exec(
                    select(UpdateDraftRow)
                    .where(UpdateDraftRow.transfer_id == transfer_id)
                    .order_by(col(UpdateDraftRow.id))
                ).all()
            )
            for r in rows:
                session.expunge(r)
            return rows

    def audit_head(self) -> Head:
        """Where the audit chain stands now (``N:HASH``): keep it outside the register."""
        with Session(self.engine) as session:
            return repo.audit_head(session)

    def dossier_head(self, assessment: Assessment) -> Head:
        """The audit head a dossier of ``assessment`` records: where the chain stood before
        the assessment was saved (now, when it is not saved yet), so re-rendering the same
        assessment gives the same bytes."""
        with Session(self.engine) as session:
            before = repo.head_before_saved(
                session,
                transfer_id=assessment.transfer_id,
                assessment_id=repo.assessment_key(assessment),
            )
            return before if before is not None else repo.audit_head(session)

    def verify_audit(self, heads: Sequence[Head] = ()) -> ChainCheck:
        """Check the chain, that it still holds every head in ``heads`` (kept elsewhere), and
        that the tables agree with what it recorded; all read from one snapshot."""
        with Session(self.engine) as session:
            if self.engine.dialect.name == "postgresql":
                # one snapshot for the chain and every table, even while writers commit
                session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            entries = repo.audit_entries(session)
            chain = check_chain(entries, heads)
            if not chain.ok:
                return chain
            state = check_state(entries, repo.stored_state(session))
            return replace(state, head=chain.head) if state.ok else state

    def current(self, transfer_id: str) -> AssessmentRow:
        with Session(self.engine) as session:
            row = repo.current_assessment(session, transfer_id=transfer_id)
            if row is None:
                raise NotFound(f"no transfer {transfer_id!r} in the register")
            return row
