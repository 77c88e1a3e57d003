"""Store integrity on SQLite and PostgreSQL: writers serialised before their guards read,
event dates within range, and an audit chain that is anchored and agrees with the tables."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

import dtia.register
from dtia.audit import GENESIS, Head, canonical, entry_hash
from dtia.config import Settings
from dtia.engine import assess
from dtia.filing import FilingDateError
from dtia.intake import load_intake
from dtia.register import Register
from dtia.store.db import make_engine
from tests.support import EXAMPLES, changed, write_intake

BIZFLY = EXAMPLES / "bizfly-cloud-support-desk" / "intake.yaml"
TODAY = date(2026, 11, 22)


@pytest.fixture
def register(db_url: str, tmp_path: Path) -> Iterator[Register]:
    settings = Settings(data_dir=tmp_path / "data", database_url=db_url)
    reg = Register(settings)
    yield reg
    reg.engine.dispose()


def _save(reg: Register, path: Path = BIZFLY, as_of: date = date(2026, 6, 20)) -> str:
    loaded = load_intake(path)
    return reg.save(loaded, assess(loaded, as_of), actor="tester").transfer_id


# --- item 8: the guard reads after the writer lock is held ---------------------------------


def test_a_filing_never_binds_a_version_saved_while_its_guard_waited(
    register: Register, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Writer A checks the guard (version 1 approved) and is held up before committing;
    writer B saves version 2 meanwhile. A's 'filed' may be bound to version 1 only if it
    committed before version 2 existed; otherwise it must see version 2 and be refused."""
    tid = _save(register)
    register.approve(tid, by="Legal", on=date(2026, 6, 25), today=TODAY)
    v2 = write_intake(
        "bizfly-cloud-support-desk",
        changed(
            "bizfly-cloud-support-desk",
            {"set": {"business.current_practice": "Tickets by email today"}},
        ),
        tmp_path,
    )
    loaded2 = load_intake(v2)
    assessment2 = assess(loaded2, date(2026, 7, 20))

    guard_read = threading.Event()
    real_check = dtia.register.check_event

    def slow_check(*args: Any, **kwargs: Any) -> Any:
        result = real_check(*args, **kwargs)
        guard_read.set()
        time.sleep(1.5)  # the injected delay between the guard's read and the commit
        return result

    monkeypatch.setattr(dtia.register, "check_event", slow_check)
    settings = register.settings
    outcome: dict[str, Any] = {}

    def file() -> None:
        reg = Register(settings, engine=make_engine(settings))
        try:
            outcome["filed"] = reg.record(
                tid,
                "filed",
                on=date(2026, 7, 1),
                reference="R1",
                note=None,
                actor="a",
                today=TODAY,
            )
        except Exception as exc:  # the outcome is asserted below
            outcome["filed"] = exc
        finally:
            reg.engine.dispose()

    def save() -> None:
        guard_read.wait(30)
        reg = Register(settings, engine=make_engine(settings))
        try:
            outcome["saved"] = reg.save(loaded2, assessment2, actor="b")
        finally:
            reg.engine.dispose()

    threads = [threading.Thread(target=file), threading.Thread(target=save)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert outcome["saved"].version == 2
    with register.engine.connect() as conn:
        event = conn.execute(
            text("SELECT assessment_id FROM filing_events WHERE transfer_id = :t"), {"t": tid}
        ).all()
        saved_seq = conn.execute(
            text(
                "SELECT seq FROM audit_log WHERE action = 'assessment.saved' "
                "AND payload_json LIKE :v"
            ),
            {"v": '%"version":2%'},
        ).scalar_one()
        filed_seq = conn.execute(
            text("SELECT seq FROM audit_log WHERE action = 'filing.event'")
        ).scalar_one_or_none()
    if isinstance(outcome["filed"], Exception):  # it saw version 2: refused, nothing written
        assert "void" in str(outcome["filed"]) and event == [] and filed_seq is None
    else:  # bound to version 1: it must have been committed before version 2 was saved
        assert event[0][0] != outcome["saved"].assessment_id
        assert filed_seq is not None and filed_seq < saved_seq
    assert register.verify_audit().ok


# --- item 12: event and approval dates within range ----------------------------------------


def _rows(reg: Register, table: str) -> int:
    with reg.engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


@pytest.mark.parametrize("on", [date(9999, 12, 30), date(2062, 7, 1), date(2025, 12, 31)])
def test_impossible_dates_are_refused_and_nothing_is_written(register: Register, on: date) -> None:
    tid = _save(register)
    entries = _rows(register, "audit_log")
    with pytest.raises(FilingDateError) as refused:
        register.approve(tid, by="Legal", on=on, today=TODAY)
    assert refused.value.field == "on"
    register.approve(tid, by="Legal", on=date(2026, 6, 25), today=TODAY)
    with pytest.raises(FilingDateError, match=on.isoformat()):
        register.record(tid, "filed", on=on, reference=None, note=None, actor="t", today=TODAY)
    assert (_rows(register, "filing_events"), _rows(register, "approvals")) == (0, 1)
    assert _rows(register, "audit_log") == entries + 1  # the one good approval
    assert register.status(tid, as_of=TODAY)["state"] == "approved"


def test_a_stop_order_before_the_first_transfer_is_refused(register: Register) -> None:
    tid = _save(register)  # bizfly's first transfer: 2026-06-15
    register.approve(tid, by="Legal", on=date(2026, 6, 1), today=TODAY)
    register.record(
        tid, "filed", on=date(2026, 6, 2), reference="R", note=None, actor="t", today=TODAY
    )
    with pytest.raises(FilingDateError, match="first transfer date"):
        register.record(
            tid,
            "stop-order",
            on=date(2026, 6, 14),
            reference=None,
            note=None,
            actor="t",
            today=TODAY,
        )
    stopped = register.record(
        tid, "stop-order", on=date(2026, 6, 15), reference=None, note=None, actor="t", today=TODAY
    )
    assert stopped["state"] == "stopped"


def test_a_stored_far_future_event_breaks_no_listing(register: Register) -> None:
    """A register written before dates were checked still lists, counts and serves."""
    tid = _save(register)
    register.approve(tid, by="Legal", on=date(2026, 6, 25), today=TODAY)
    register.record(
        tid, "filed", on=date(2026, 7, 1), reference="R", note=None, actor="t", today=TODAY
    )
    with register.engine.begin() as conn:
        conn.execute(text("UPDATE filing_events SET \"on\" = '9999-12-30'"))
    listed = register.transfers(as_of=TODAY)
    assert listed[0]["next_deadline"]["due"] == "9999-12-31"
    assert [d["kind"] for d in register.deadlines(as_of=TODAY)] == ["authority_verdict"]
    assert register.status(tid, as_of=TODAY)["events"][0]["on"] == "9999-12-30"


# --- item 19: an anchored chain that agrees with the tables --------------------------------


def _lifecycle(reg: Register) -> str:
    tid = _save(reg)
    reg.approve(tid, by="Legal", on=date(2026, 6, 25), today=TODAY)
    reg.record(
        tid, "filed", on=date(2026, 7, 1), reference="A05-1", note=None, actor="t", today=TODAY
    )
    return tid


def _append_forged(
    reg: Register, action: str, subject: str, payload: dict[str, Any], actor: str = "mallory"
) -> None:
    """What someone with write access to the database can do: a row with a correct hash."""
    with reg.engine.begin() as conn:
        seq, prev = conn.execute(
            text("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
        ).one()
        at = "2026-07-02T00:00:00.000000+00:00"
        digest = entry_hash(
            prev_hash=prev,
            seq=seq + 1,
            at=at,
            actor=actor,
            action=action,
            subject=subject,
            payload=payload,
        )
        conn.execute(
            text(
                "INSERT INTO audit_log (seq, at, actor, action, subject, payload_json, prev_hash, "
                "hash) VALUES (:seq, :at, :actor, :action, :subject, :payload, :prev, :hash)"
            ),
            {
                "seq": seq + 1,
                "at": at,
                "actor": actor,
                "action": action,
                "subject": subject,
                "payload": canonical(payload),
                "prev": prev,
                "hash": digest,
            },
        )


def _recompute_chain(reg: Register) -> None:
    """Rewrite every hash from the first entry on, as a forger who knows the scheme would."""
    with reg.engine.begin() as conn:
        rows = conn.execute(
            text("SELECT seq, at, actor, action, subject, payload_json FROM audit_log ORDER BY seq")
        ).all()
        conn.execute(text("DELETE FROM audit_log"))
        prev = GENESIS
        for seq, at, actor, action, subject, payload in rows:
            digest = entry_hash(
                prev_hash=prev,
                seq=seq,
                at=at,
                actor=actor,
                action=action,
                subject=subject,
                payload=json.loads(payload),
            )
            conn.execute(
                text(
                    "INSERT INTO audit_log (seq, at, actor, action, subject, payload_json, "
                    "prev_hash, hash) VALUES (:s, :at, :ac, :an, :su, :p, :pr, :h)"
                ),
                {
                    "s": seq,
                    "at": at,
                    "ac": actor,
                    "an": action,
                    "su": subject,
                    "p": payload,
                    "pr": prev,
                    "h": digest,
                },
            )
            prev = digest


def test_the_head_is_published_and_checked(register: Register) -> None:
    tid = _save(register)
    head = register.audit_head()
    assert (head.entries, str(head)) == (1, f"1:{head.hash}")
    approved = register.approve(tid, by="Legal", on=date(2026, 6, 25), today=TODAY)
    filed = register.record(
        tid, "filed", on=date(2026, 7, 1), reference=None, note=None, actor="t", today=TODAY
    )
    assert approved["audit_head"].startswith("2:") and filed["audit_head"].startswith("3:")
    assert str(register.audit_head()) == filed["audit_head"]
    check = register.verify_audit([head, Head.parse(approved["audit_head"])])
    assert check.ok and str(check.head) == filed["audit_head"]
    with register.engine.connect() as conn:
        assert (
            conn.execute(text("SELECT audit_head FROM filing_events")).scalar_one()
            == (filed["audit_head"])
        )


def test_deleting_the_last_entries_is_detected(register: Register) -> None:
    tid = _lifecycle(register)
    kept = register.audit_head()
    with register.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE seq >= 2"))
    check = register.verify_audit()
    assert not check.ok and "no entry of the audit log records it" in check.reason
    assert f"approval of {tid} by Legal" in "\n".join(check.problems)
    anchored = register.verify_audit([kept])
    assert not anchored.ok and anchored.first_bad == 2 and "were deleted" in anchored.reason


def test_a_forged_entry_with_a_correct_hash_is_detected(register: Register) -> None:
    tid = _lifecycle(register)
    _append_forged(
        register,
        "filing.event",
        tid,
        {
            "event": "accepted",
            "on": "2026-07-02",
            "reference": "FAKE",
            "note": None,
            "assessment": register.current(tid).id,
            "state": "accepted",
        },
    )
    check = register.verify_audit()
    assert not check.ok and check.first_bad == 4
    assert "'accepted'" in check.reason and "not in the register" in check.reason


def test_a_recomputed_chain_fails_against_a_head_kept_elsewhere(register: Register) -> None:
    tid = _save(register)
    register.approve(tid, by="Legal", on=date(2026, 6, 25), today=TODAY)
    kept = register.audit_head()
    with register.engine.begin() as conn:  # the approval now says mallory, everywhere
        conn.execute(text("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2"))
        conn.execute(text("UPDATE approvals SET by = 'mallory'"))
    _recompute_chain(register)
    assert register.verify_audit().ok  # undetectable from inside the register alone
    check = register.verify_audit([kept])
    assert not check.ok and check.first_bad == 2 and "rewritten" in check.reason


def test_a_recomputed_chain_contradicts_the_heads_of_its_filing_events(
    register: Register,
) -> None:
    _lifecycle(register)
    with register.engine.begin() as conn:
        conn.execute(
            text("UPDATE audit_log SET at = '2026-06-01T00:00:00.000000+00:00' WHERE seq = 1")
        )
    _recompute_chain(register)
    check = register.verify_audit()
    assert not check.ok and check.first_bad == 3 and "audit head" in check.reason


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ("UPDATE filings SET state = 'accepted'", "is accepted in the register"),
        ("UPDATE approvals SET by = 'mallory'", "the register says by mallory"),
        ("UPDATE assessments SET residual_level = 'low'", "assessments.residual_level is 'low'"),
        ("UPDATE assessments SET assessment_sha256 = '" + "0" * 64 + "'", "does not match"),
        ("UPDATE filing_events SET state_after = 'accepted'", "(accepted)"),
        ("DELETE FROM filing_events", "not in the register"),
    ],
)
def test_tables_that_disagree_with_the_chain_are_detected(
    register: Register, change: str, expected: str
) -> None:
    _lifecycle(register)
    assert register.verify_audit().ok
    with register.engine.begin() as conn:
        conn.execute(text(change))
    check = register.verify_audit()
    assert not check.ok and expected in "\n".join(check.problems), check.problems


@pytest.mark.parametrize("payload", ["{not json", "[1, 2]", "null", ""])
def test_a_malformed_payload_is_named_not_a_crash(register: Register, payload: str) -> None:
    _lifecycle(register)
    with register.engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET payload_json = :p WHERE seq = 2"), {"p": payload})
    check = register.verify_audit()
    assert not check.ok and check.first_bad == 2 and "not a JSON object" in check.reason


# --- the command line ----------------------------------------------------------------------


def test_the_command_line_refuses_impossible_dates_and_anchors_the_chain(tmp_path: Path) -> None:
    import sqlite3

    from tests.test_cli import run

    def dtia(*args: str) -> Any:
        return run(*args, data_dir=tmp_path / "data")

    tid = "bizfly-support-desk-us"
    assert dtia("assess", str(BIZFLY), "--as-of", "2026-06-20", "--save", "--json").returncode == 0
    for on, why in (
        ("9999-12-30", "after today in Vietnam"),
        ("2025-12-31", "before Law 91/2025 took effect"),
        ("2026-13-01", "is not a date"),
    ):
        r = dtia("filing", "approve", tid, "--by", "Legal", "--on", on)
        assert r.returncode == 2 and "'--on'" in r.stderr and why in r.stderr, r.stderr
        assert "Traceback" not in r.stderr
    approved = dtia("filing", "approve", tid, "--by", "Legal", "--on", "2026-06-25")
    assert approved.returncode == 0 and "audit head 2:" in approved.stdout
    typo = dtia("filing", "record", tid, "filed", "--on", "2062-07-01")
    assert typo.returncode == 2 and "'--on'" in typo.stderr and "2062-07-01" in typo.stderr
    filed = dtia("filing", "record", tid, "filed", "--on", "2026-07-01")
    assert filed.returncode == 0 and "audit head 3:" in filed.stdout
    head = dtia("audit", "head").stdout.strip()
    assert head.startswith("3:") and head in filed.stdout
    assert json.loads(dtia("audit", "head", "--json").stdout) == {
        "entries": 3,
        "hash": head[2:],
        "head": head,
    }
    ok = dtia("audit", "verify", "--head", head, "--head", approved.stdout.split()[-1])
    assert ok.returncode == 0 and f"head {head}" in ok.stdout, ok.stderr
    bad_head = dtia("audit", "verify", "--head", "3:nothex")
    assert bad_head.returncode == 2 and "'--head'" in bad_head.stderr
    with sqlite3.connect(tmp_path / "data" / "dtia.db") as conn:
        conn.execute("DELETE FROM audit_log WHERE seq = 3")
    truncated = dtia("audit", "verify", "--head", head)
    assert truncated.returncode == 1 and "entry 3" in truncated.stderr
    assert "were deleted" in truncated.stderr and "Traceback" not in truncated.stderr
    with sqlite3.connect(tmp_path / "data" / "dtia.db") as conn:
        conn.execute("UPDATE filing_events SET \"on\" = '9999-12-30'")
    listed = dtia("transfers", "list", "--as-of", "2026-07-10", "--json")
    assert listed.returncode == 0 and json.loads(listed.stdout)[0]["filing_state"] == "submitted"
    assert dtia("deadlines", "--as-of", "2026-07-10").returncode == 0
    assert dtia("filing", "status", tid, "--as-of", "2026-07-10").returncode == 0


def test_a_saved_dossier_records_the_audit_head(tmp_path: Path) -> None:
    from dtia.dossier.build import MANIFEST_NAME, embedded_files
    from tests.test_cli import run

    def dtia(*args: str) -> Any:
        return run(*args, data_dir=tmp_path / "data")

    assert dtia("assess", str(BIZFLY), "--as-of", "2026-06-20", "--save", "--json").returncode == 0
    head = dtia("audit", "head").stdout.strip()
    fpt = EXAMPLES / "fpt-smart-cloud-to-fpt-japan" / "intake.yaml"
    made = dtia(
        "dossier", str(fpt), "--as-of", "2026-11-22", "--out", str(tmp_path / "o"), "--save"
    )
    assert made.returncode == 3, made.stderr  # stored; the example is not ready to file
    pdf = tmp_path / "o" / "review.pdf"
    manifest = json.loads(embedded_files(pdf.read_bytes())[MANIFEST_NAME])
    assert manifest["audit_head"] == head
    verified = dtia("dossier", "verify", str(pdf))
    assert verified.returncode == 0 and f"--head {head}" in verified.stdout, verified.stderr
    assert dtia("audit", "verify", "--head", head).returncode == 0


def test_a_dossier_records_the_head_from_before_its_assessment_was_saved(
    register: Register,
) -> None:
    loaded = load_intake(BIZFLY)
    first = assess(loaded, date(2026, 6, 20))
    assert register.dossier_head(first) == register.audit_head()  # not saved yet: the head now
    tid = register.save(loaded, first, actor="t").transfer_id
    register.approve(tid, by="Legal", on=date(2026, 6, 25), today=TODAY)
    assert str(register.dossier_head(first)) == f"0:{GENESIS}"  # unchanged by later entries
    second = assess(loaded, date(2026, 7, 1))
    register.save(loaded, second, actor="t")
    assert register.dossier_head(second).entries == 2
    assert register.verify_audit([register.dossier_head(second)]).ok


def test_the_portal_still_serves_a_register_with_a_far_future_event(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from fastapi.testclient import TestClient

    from dtia.portal.accounts import Accounts, Role
    from dtia.portal.app import create_app

    settings = Settings(data_dir=tmp_path / "data")
    reg = Register(settings)
    tid = _lifecycle(reg)
    with reg.engine.begin() as conn:
        conn.execute(text("UPDATE filing_events SET \"on\" = '9999-12-30'"))
    reg.engine.dispose()
    app = create_app(settings, clock=lambda: datetime(2026, 11, 22, 3, 0, tzinfo=UTC))
    token = Accounts(app.state.register.engine).add("auditor-user", Role("auditor"))
    client = TestClient(
        app, base_url="https://testserver", headers={"Authorization": f"Bearer {token}"}
    )
    api = client.get("/api/transfers")
    assert api.status_code == 200 and api.json()[0]["transfer_id"] == tid
    assert client.get("/").status_code == 200
    assert client.get("/api/deadlines").status_code == 200
    app.state.register.engine.dispose()


def test_the_portal_refuses_an_impossible_event_date_as_invalid_input(tmp_path: Path) -> None:
    """A date the lifecycle cannot accept is the caller's mistake (422 naming the field, as
    the CLI exits 2 naming --on), not a lifecycle conflict (409)."""
    from datetime import UTC, datetime

    from fastapi.testclient import TestClient

    from dtia.portal.accounts import Accounts, Role
    from dtia.portal.app import create_app

    settings = Settings(data_dir=tmp_path / "data")
    reg = Register(settings)
    tid = _save(reg)
    reg.approve(tid, by="Legal", on=date(2026, 6, 25), today=TODAY)
    reg.engine.dispose()
    app = create_app(settings, clock=lambda: datetime(2026, 11, 22, 3, 0, tzinfo=UTC))
    token = Accounts(app.state.register.engine).add("legal-user", Role("legal"))
    client = TestClient(
        app, base_url="https://testserver", headers={"Authorization": f"Bearer {token}"}
    )
    r = client.post(
        f"/api/transfers/{tid}/filing-events", json={"event": "filed", "on": "2062-07-01"}
    )
    assert r.status_code == 422, r.text
    assert [p["path"] for p in r.json()["problems"]] == ["on"]
    assert "after today" in r.json()["detail"]
    app.state.register.engine.dispose()


def test_a_value_the_database_cannot_hold_is_refused_without_the_statement(pg_url: str) -> None:
    """PostgreSQL refuses a NUL in text: the error gives its reason, never the SQL or the
    values bound to it (validation refuses such text first; this is the last line)."""
    from dtia.store.db import DatabaseError, unit_of_work

    engine = make_engine(url=pg_url)
    secret = "confidential-value"
    with pytest.raises(DatabaseError) as caught:
        unit_of_work(
            engine,
            lambda s: s.connection().execute(
                text("SELECT CAST(:v AS text)"), {"v": f"{secret}\x00"}
            ),
        )
    message = str(caught.value)
    assert "refused a value" in message and "NUL" in message
    assert secret not in message and "SELECT" not in message
    engine.dispose()
