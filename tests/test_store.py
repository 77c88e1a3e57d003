"""The register on SQLite and on a real PostgreSQL server: saving, lifecycle, audit, concurrency."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from dtia.config import Settings
from dtia.engine import assess
from dtia.filing import FilingError
from dtia.intake import load_intake
from dtia.register import Register
from dtia.store.db import current_revision, head_revision, make_engine
from tests.support import EXAMPLES, changed, write_intake

BIZFLY = EXAMPLES / "bizfly-cloud-support-desk" / "intake.yaml"


@pytest.fixture
def register(db_url: str, tmp_path: Path) -> Iterator[Register]:
    settings = Settings(data_dir=tmp_path / "data", database_url=db_url)
    reg = Register(settings)
    yield reg
    reg.engine.dispose()


def _save(reg: Register, path: Path = BIZFLY, as_of: date = date(2026, 6, 20)) -> str:
    loaded = load_intake(path)
    saved = reg.save(loaded, assess(loaded, as_of), actor="tester")
    return saved.transfer_id


def test_migrations_create_every_table_at_head(register: Register) -> None:
    assert current_revision(register.engine) == head_revision()
    names = set(inspect(register.engine).get_table_names())
    assert {
        "transfers",
        "intake_versions",
        "assessments",
        "dossiers",
        "attestations",
        "filings",
        "filing_events",
        "approvals",
        "audit_log",
    } <= names


def test_saving_is_idempotent_and_versions_grow(register: Register, tmp_path: Path) -> None:
    loaded = load_intake(BIZFLY)
    first = register.save(loaded, assess(loaded, date(2026, 6, 20)), actor="t")
    again = register.save(loaded, assess(loaded, date(2026, 6, 20)), actor="t")
    assert (first.created, again.created, again.version, again.assessment_id) == (
        True,
        False,
        1,
        first.assessment_id,
    )
    later = register.save(loaded, assess(loaded, date(2026, 7, 1)), actor="t")
    assert (later.created, later.version) == (True, 2)
    assert register.verify_audit().entries == 2


def test_the_lifecycle_with_its_guards(register: Register, tmp_path: Path) -> None:
    tid = _save(register)
    with pytest.raises(FilingError, match="allowed now: withdrawn"):
        register.record(tid, "filed", on=date(2026, 7, 1), reference=None, note=None, actor="t")
    register.approve(tid, by="Legal", on=date(2026, 6, 25))
    assert (
        register.record(tid, "filed", on=date(2026, 7, 1), reference="A05-1", note=None, actor="t")[
            "state"
        ]
        == "submitted"
    )
    register.record(
        tid, "completion-requested", on=date(2026, 7, 10), reference=None, note=None, actor="t"
    )
    # a new assessment voids the approval: completing needs a fresh one
    data = changed(
        "bizfly-cloud-support-desk",
        {"set": {"business.current_practice": "Tickets by email today"}},
    )
    _save(register, write_intake("bizfly-cloud-support-desk", data, tmp_path), date(2026, 7, 20))
    with pytest.raises(FilingError, match="void"):
        register.record(tid, "completed", on=date(2026, 8, 1), reference=None, note=None, actor="t")
    register.approve(tid, by="Legal", on=date(2026, 7, 25))
    register.record(tid, "completed", on=date(2026, 8, 1), reference=None, note=None, actor="t")
    register.record(tid, "accepted", on=date(2026, 8, 10), reference="A05-OK", note=None, actor="t")
    status = register.status(tid, as_of=date(2026, 8, 11))
    assert status["state"] == "accepted"
    assert [e["event"] for e in status["events"]] == [
        "submitted",
        "completion_requested",
        "completed",
        "accepted",
    ]
    assert [a["void"] for a in status["approvals"]] == [True, False]
    assert {d["kind"]: d["status"] for d in status["deadlines"]}["initial_filing"] == "met"
    assert register.verify_audit().ok


def test_blockers_prevent_approval(register: Register) -> None:
    tid = _save(
        register, EXAMPLES / "cloudspace-offsite-backups" / "intake.yaml", date(2026, 9, 10)
    )
    with pytest.raises(FilingError, match="blocker"):
        register.approve(tid, by="Legal", on=date(2026, 9, 11))


def test_deadlines_across_the_register(register: Register) -> None:
    _save(register)
    _save(register, EXAMPLES / "fpt-smart-cloud-to-fpt-japan" / "intake.yaml", date(2026, 11, 22))
    rows = register.deadlines(as_of=date(2026, 8, 1))
    assert [(r["transfer_id"], r["kind"], r["due"], r["status"]) for r in rows] == [
        ("fsc-fpt-japan-joint-use", "initial_filing", "2026-05-01", "overdue"),
        ("bizfly-support-desk-us", "initial_filing", "2026-08-14", "due_soon"),
    ]


@pytest.mark.parametrize("tamper", ["update", "delete", "reorder"])
def test_audit_tampering_is_detected(register: Register, tamper: str) -> None:
    tid = _save(register)
    register.approve(tid, by="Legal", on=date(2026, 6, 25))
    register.record(tid, "filed", on=date(2026, 7, 1), reference=None, note=None, actor="t")
    assert register.verify_audit().ok
    with register.engine.begin() as conn:
        if tamper == "update":
            conn.execute(text("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2"))
        elif tamper == "delete":
            conn.execute(text("DELETE FROM audit_log WHERE seq = 2"))
        else:
            conn.execute(text("UPDATE audit_log SET seq = 99 WHERE seq = 1"))
            conn.execute(text("UPDATE audit_log SET seq = 1 WHERE seq = 2"))
            conn.execute(text("UPDATE audit_log SET seq = 2 WHERE seq = 99"))
    check = register.verify_audit()
    assert not check.ok and check.first_bad in (1, 2, 3)


def test_concurrent_writers_lose_nothing(pg_url: str, tmp_path: Path) -> None:
    """Real parallel connections to PostgreSQL: every save lands once, one filing wins."""
    db_url = pg_url
    settings = Settings(data_dir=tmp_path / "data", database_url=db_url)
    Register(settings).engine.dispose()  # migrate once
    loaded = load_intake(BIZFLY)
    dates = [date(2026, 6, d) for d in range(1, 25)]

    def save(day: date) -> int:
        reg = Register(settings, engine=make_engine(settings))
        try:
            return reg.save(loaded, assess(loaded, day), actor=f"w{day.day}").version
        finally:
            reg.engine.dispose()

    with ThreadPoolExecutor(max_workers=8) as pool:
        versions = sorted(pool.map(save, dates * 2))  # each assessment saved twice, concurrently
    reg = Register(settings)
    assert sorted(set(versions)) == list(range(1, len(dates) + 1))
    check = reg.verify_audit()
    assert check.ok and check.entries == len(dates)

    tid = loaded.intake.transfer.id
    reg.approve(tid, by="Legal", on=date(2026, 6, 26))

    def file(i: int) -> str:
        other = Register(settings, engine=make_engine(settings))
        try:
            return other.record(
                tid, "filed", on=date(2026, 7, 1), reference=f"R{i}", note=None, actor=f"w{i}"
            )["state"]
        except FilingError:
            return "refused"
        finally:
            other.engine.dispose()

    with ThreadPoolExecutor(max_workers=6) as pool:
        outcomes = list(pool.map(file, range(6)))
    assert (
        outcomes.count("submitted") == 1 and outcomes.count("refused") == 5
    )  # no lost or double update
    assert [e["event"] for e in reg.status(tid, as_of=date(2026, 7, 2))["events"]] == ["submitted"]
    assert reg.verify_audit().ok
    reg.engine.dispose()


def test_dossiers_are_content_addressed(register: Register) -> None:
    from dtia.dossier.build import build, read_files

    loaded = load_intake(EXAMPLES / "cloudfly-card-payments" / "intake.yaml")
    a = assess(loaded, date(2026, 11, 22))
    saved = register.save(loaded, a, actor="t")
    made = build(loaded, a, read_files(loaded, EXAMPLES / "cloudfly-card-payments"))
    digest = register.save_dossier(saved, kind=made.kind, pdf=made.pdf)
    assert digest == register.save_dossier(saved, kind=made.kind, pdf=made.pdf)
    stored = register.settings.dossier_dir / digest[:2] / f"{digest}.pdf"
    assert stored.read_bytes() == made.pdf


def test_attestations_are_reused_until_their_evidence_expires(register: Register) -> None:
    loaded = load_intake(BIZFLY)
    recipient = loaded.intake.recipients[0]
    assert recipient.safeguards is not None
    register.attest(name=recipient.name, country=recipient.country, safeguards=recipient.safeguards)
    # the same recipient, spelt with other spacing and case, in another transfer
    found = register.attestation(
        name="  example HELPDESK inc. ", country="us", on=date(2026, 12, 31)
    )
    assert found == recipient.safeguards
    assert (
        register.attestation(name=recipient.name, country="US", on=date(2027, 1, 1)) is None
    )  # SOC 2 lapsed
    assert (
        register.attestation(name=recipient.name, country="US", on=date(2026, 5, 1)) is None
    )  # not yet attested
