"""The filing lifecycle in the register, on SQLite and on a real PostgreSQL server: old
registers migrated onto the new names, documents and comments kept with their events."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text
from sqlmodel import Session

from dtia.config import Settings
from dtia.engine import assess
from dtia.filing import FilingError
from dtia.intake import load_intake
from dtia.register import Register
from dtia.store import repo
from dtia.store.db import _alembic_config, current_revision, head_revision
from tests.support import EXAMPLES, tiny_pdf

BIZFLY = EXAMPLES / "bizfly-cloud-support-desk" / "intake.yaml"
TODAY = date(2026, 12, 31)


@pytest.fixture
def register(db_url: str, tmp_path: Path) -> Iterator[Register]:
    reg = Register(Settings(data_dir=tmp_path / "data", database_url=db_url))
    yield reg
    reg.engine.dispose()


def _save(reg: Register) -> str:
    loaded = load_intake(BIZFLY)
    return reg.save(loaded, assess(loaded, date(2026, 6, 20)), actor="tester").transfer_id


def _migrate(reg: Register, revision: str, *, down: bool = False) -> None:
    cfg = _alembic_config()
    with reg.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(cfg, revision)


def _old_event(reg: Register, tid: str, event: str, on: str, state: str, note: str | None) -> None:
    """An event as a register before the lifecycle of 2026 recorded it (schema 0006)."""
    with Session(reg.engine) as session:
        current = repo.current_assessment(session, transfer_id=tid)
        assert current is not None
        payload = {
            "event": event,
            "on": on,
            "reference": "A05-1" if event == "filed" else None,
            "note": note,
            "assessment": current.id,
            "state": state,
        }
        entry = repo.append_audit(
            session, actor="t", action="filing.event", subject=tid, payload=payload
        )
        session.execute(
            text(
                'INSERT INTO filing_events (transfer_id, event, "on", reference, note, '
                "assessment_id, state_after, audit_head, created_at) VALUES (:t, :e, :on, :r, "
                ":n, :a, :s, :h, :c)"
            ),
            {
                "t": tid,
                "e": event,
                "on": date.fromisoformat(on),
                "r": payload["reference"],
                "n": note,
                "a": current.id,
                "s": state,
                "h": f"{entry.seq}:{entry.hash}",
                "c": repo.now(),
            },
        )
        session.execute(
            text("UPDATE filings SET state = :s WHERE transfer_id = :t"), {"s": state, "t": tid}
        )
        session.commit()


def test_the_migration_maps_old_registers_onto_the_new_lifecycle(register: Register) -> None:
    tid = _save(register)
    register.approve(tid, by="Legal", on=date(2026, 6, 25), today=TODAY)
    _migrate(register, "0006", down=True)
    assert current_revision(register.engine) == "0006"
    with register.engine.connect() as conn:
        assert conn.execute(text("SELECT state FROM filings")).scalar_one() == "approved"
    _old_event(register, tid, "filed", "2026-07-01", "filed", None)
    _old_event(
        register,
        tid,
        "completion-requested",
        "2026-07-10",
        "completion_requested",
        "Mục 3: thiếu sơ đồ luồng dữ liệu\n\nMục 5: bổ sung hợp đồng",
    )
    _migrate(register, "head")
    assert current_revision(register.engine) == head_revision() == "0007"
    with register.engine.connect() as conn:
        assert conn.execute(
            text("SELECT event FROM filing_events ORDER BY id")
        ).scalars().all() == [
            "submitted",
            "completion_requested",
        ]
        assert conn.execute(
            text("SELECT state_after FROM filing_events ORDER BY id")
        ).scalars().all() == [
            "submitted",
            "completion_requested",
        ]
    status = register.status(tid, as_of=date(2026, 7, 20))
    assert status["state"] == "completion_requested"
    assert status["events"][1]["comments"] == [
        "Mục 3: thiếu sơ đồ luồng dữ liệu",
        "Mục 5: bổ sung hợp đồng",
    ]
    assert status["dossiers"][0]["rounds"][0]["n"] == 1
    # the audit log was left as written, and still agrees with the tables
    check = register.verify_audit()
    assert check.ok, check.reason
    # the lifecycle goes on from where the old register was
    done = register.record(
        tid, "completed", on=date(2026, 7, 20), reference=None, actor="t", today=TODAY
    )
    assert (done["state"], done["round"]) == ("completed", 1)
    assert register.verify_audit().ok
    # and back: the old names return
    _migrate(register, "0006", down=True)
    with register.engine.connect() as conn:
        assert conn.execute(
            text("SELECT event FROM filing_events ORDER BY id")
        ).scalars().all() == [
            "filed",
            "completion-requested",
            "completed",
        ]
    _migrate(register, "head")


def test_events_keep_their_documents_comments_and_the_submitted_dossier(
    register: Register,
) -> None:
    tid = _save(register)
    with Session(register.engine) as session:  # the dossier PDF the register holds
        current = repo.current_assessment(session, transfer_id=tid)
        assert current is not None
        current_id = current.id
    pdf = tiny_pdf()
    sha = register.dossiers.put(pdf)
    with Session(register.engine) as session:
        repo.add_dossier(
            session, assessment_id=current_id, kind="dossier", sha256=sha, size=len(pdf)
        )
        session.commit()
    register.approve(tid, by="Legal", on=date(2026, 6, 25), today=TODAY)
    receipt = tiny_pdf({"note.txt": b"receipt"})
    sent = register.record(
        tid,
        "submitted",
        on=date(2026, 7, 1),
        reference="BN-0042",
        code="000.00.00.H01-260701-0001",
        channel="portal",
        actor="t",
        today=TODAY,
        attachments=[("receipt.pdf", receipt)],
    )
    assert [(d["kind"], d["sha256"]) for d in sent["documents"]] == [
        ("submitted_dossier", sha),
        ("attachment", hashlib.sha256(receipt).hexdigest()),
    ]
    register.record(
        tid,
        "completion_requested",
        on=date(2026, 7, 10),
        reference=None,
        actor="t",
        today=TODAY,
        comments=["Mục 3 thiếu sơ đồ", "Mục 5 thiếu hợp đồng\nMục 6 chưa ký"],
    )
    status = register.status(tid, as_of=date(2026, 7, 11))
    first, second = status["events"]
    assert (first["channel"], first["code"], first["reference"]) == (
        "portal",
        "000.00.00.H01-260701-0001",
        "BN-0042",
    )
    assert second["comments"] == ["Mục 3 thiếu sơ đồ", "Mục 5 thiếu hợp đồng", "Mục 6 chưa ký"]
    assert status["dossiers"][0]["code"] == "000.00.00.H01-260701-0001"
    assert register.document(tid, hashlib.sha256(receipt).hexdigest()) == ("receipt.pdf", receipt)
    listed = register.filing_documents(tid)
    assert [(e["path"], data) for e, data in listed] == [
        ("filing/01-submitted/dossier.pdf", pdf),
        ("filing/01-submitted/receipt.pdf", receipt),
    ]
    assert register.verify_audit().ok
    # a comment changed behind the register's back is caught by the audit check
    with register.engine.begin() as conn:
        conn.execute(text("UPDATE filing_comments SET text = 'đã sửa' WHERE position = 0"))
    assert not register.verify_audit().ok


def test_a_file_that_is_not_what_it_says_is_not_kept(register: Register) -> None:
    tid = _save(register)
    register.approve(tid, by="Legal", on=date(2026, 6, 25), today=TODAY)
    with pytest.raises(FilingError, match=r"receipt\.pdf. is not a PDF"):
        register.record(
            tid,
            "submitted",
            on=date(2026, 7, 1),
            reference=None,
            actor="t",
            today=TODAY,
            attachments=[("receipt.pdf", b"MZ\x90\x00" + b"\x00" * 60)],
        )
    with pytest.raises(FilingError, match="takes no channel"):
        register.record(
            tid,
            "withdrawn",
            on=date(2026, 7, 1),
            reference=None,
            actor="t",
            today=TODAY,
            channel="post",
        )
    assert register.status(tid, as_of=date(2026, 7, 2))["events"] == []


def test_the_bundle_carries_the_filing_documents(tmp_path: Path) -> None:
    from dtia.portal.reader import Reader

    reg = Register(Settings(data_dir=tmp_path / "data"))
    tid = _save(reg)
    with Session(reg.engine) as session:
        current = repo.current_assessment(session, transfer_id=tid)
        assert current is not None
        pdf = tiny_pdf()
        repo.add_dossier(
            session,
            assessment_id=current.id,
            kind="dossier",
            sha256=reg.dossiers.put(pdf),
            size=len(pdf),
        )
        session.commit()
    reg.approve(tid, by="Legal", on=date(2026, 6, 25), today=TODAY)
    letter = tiny_pdf({"letter.txt": b"letter"})
    reg.record(tid, "submitted", on=date(2026, 7, 1), reference=None, actor="t", today=TODAY)
    reg.record(
        tid,
        "received",
        on=date(2026, 7, 2),
        reference="BN-1",
        actor="t",
        today=TODAY,
        attachments=[("giay-tiep-nhan.pdf", letter)],
    )
    name, data = Reader(reg).bundle(tid)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        root = name.removesuffix(".zip")
        assert z.read(f"{root}/filing/02-received/giay-tiep-nhan.pdf") == letter
        assert z.read(f"{root}/filing/01-submitted/dossier.pdf") == pdf
        manifest = json.loads(z.read(f"{root}/bundle.json"))
    assert [(d["event"], d["name"]) for d in manifest["filing_documents"]] == [
        ("submitted", "dossier.pdf"),
        ("received", "giay-tiep-nhan.pdf"),
    ]
    reg.engine.dispose()
