"""What the portal's pages show of the register: versions, dossiers, audit trail, bundles."""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath

from sqlmodel import Session, col, select

from dtia.assessment import Assessment
from dtia.audit import Entry
from dtia.dossier.build import embedded_files
from dtia.intake import TransferIntake
from dtia.register import Register
from dtia.store import repo
from dtia.store.db import NotFound
from dtia.store.models import AssessmentRow, DossierRow, TransferRow

SHA256 = re.compile(r"[0-9a-f]{64}")
# The register's kinds of dossier PDF: the one that verifies from itself ("dossier" is the
# single PDF of dossiers rendered before the filing pack was split from the review pack),
# and the filing pack or its draft.
REVIEW_KINDS = ("review", "dossier", "exemption-memo")
FILING_KINDS = ("filing", "filing-draft")
ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # fixed, so the same dossier always gives the same bundle


@dataclass(frozen=True)
class Version:
    row: AssessmentRow
    assessment: Assessment
    intake: TransferIntake
    dossiers: list[DossierRow]


class Reader:
    def __init__(self, register: Register) -> None:
        self.register = register

    def transfer(self, transfer_id: str) -> TransferRow:
        with Session(self.register.engine) as session:
            row = session.get(TransferRow, transfer_id)
            if row is None:
                raise NotFound(f"no transfer {transfer_id!r} in the register")
            session.expunge(row)
            return row

    def versions(self, transfer_id: str) -> list[Version]:
        with Session(self.register.engine) as session:
            out = []
            for row in repo.assessments(session, transfer_id=transfer_id):
                dossiers = list(
                    session.exec(
                        select(DossierRow)
                        .where(DossierRow.assessment_id == row.id)
                        .order_by(col(DossierRow.created_at))
                    ).all()
                )
                intake = repo.intake_of(session, row=row)
                for d in dossiers:
                    session.expunge(d)
                session.expunge(row)
                out.append(
                    Version(row, Assessment.from_json(row.assessment_json), intake, dossiers)
                )
            if not out:
                raise NotFound(f"no transfer {transfer_id!r} in the register")
            return out

    def audit(self, transfer_id: str) -> list[Entry]:
        with Session(self.register.engine) as session:
            return [e for e in repo.audit_entries(session) if e.subject == transfer_id]

    def dossier(
        self, transfer_id: str, kinds: tuple[str, ...] = REVIEW_KINDS
    ) -> tuple[DossierRow, AssessmentRow, bytes]:
        """The newest PDF of one of ``kinds`` of the current assessment version: by default
        its review pack (or exemption memo); with ``FILING_KINDS`` its filing pack, or the
        draft that stands in for it while the dossier is not ready."""
        current = self.versions(transfer_id)[-1]
        rendered = [d for d in current.dossiers if d.kind in kinds]
        if not rendered:
            what = "filing pack" if kinds == FILING_KINDS else "rendered dossier"
            raise NotFound(
                f"version {current.row.version} of {transfer_id!r} has no {what} yet "
                "(dtia dossier INTAKE --save, or an assessment run, renders one)"
            )
        row = rendered[-1]
        if not SHA256.fullmatch(row.sha256):  # the file name comes from here: hex only
            raise NotFound(f"dossier of {transfer_id!r} has a malformed digest")
        return row, current.row, self._pdf(transfer_id, row)

    def _pdf(self, transfer_id: str, row: DossierRow) -> bytes:
        path = self.register.settings.dossier_dir / row.sha256[:2] / f"{row.sha256}.pdf"
        try:
            return path.read_bytes()
        except OSError:
            raise NotFound(
                f"the dossier file of {transfer_id!r} is missing from the data folder"
            ) from None

    def bundle(self, transfer_id: str) -> tuple[str, bytes]:
        """A zip of the review pack (or exemption memo), the filing pack or its draft, every
        file the review pack embeds (intake, assessment, manifest, attachments) and the
        stored assessment JSON; deterministic bytes."""
        row, assessment, pdf = self.dossier(transfer_id)
        current = self.versions(transfer_id)[-1]
        name = f"{transfer_id}-v{assessment.version}"
        files: dict[str, bytes] = {f"{row.kind}.pdf": pdf}
        filing = [d for d in current.dossiers if d.kind in FILING_KINDS]
        if filing and SHA256.fullmatch(filing[-1].sha256):
            files[f"{filing[-1].kind}.pdf"] = self._pdf(transfer_id, filing[-1])
        for embedded, data in embedded_files(pdf).items():
            # names come from the PDF: keep their folders, never a way out of the bundle
            parts = [p for p in PurePosixPath(embedded).parts if p not in ("/", "..", ".")]
            files["embedded/" + "/".join(parts)] = data
        files["assessment.json"] = assessment.assessment_json.encode()
        documents = self.register.filing_documents(transfer_id)
        for entry, data in documents:
            if not entry.get("missing"):
                files[entry["path"]] = data
        files["bundle.json"] = (
            json.dumps(
                {
                    "transfer_id": transfer_id,
                    "version": assessment.version,
                    "assessment_sha256": assessment.assessment_sha256,
                    "dossier_sha256": row.sha256,
                    "kind": row.kind,
                    # what came with each filing event, under filing/ in the bundle
                    "filing_documents": [entry for entry, _ in documents],
                },
                indent=2,
                sort_keys=True,
            )
            + "\n"
        ).encode()
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
            for path in sorted(files):
                info = zipfile.ZipInfo(f"{name}/{path}", date_time=ZIP_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                z.writestr(info, files[path])
        return f"{name}.zip", out.getvalue()
