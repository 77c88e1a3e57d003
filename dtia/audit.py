"""The append-only audit log as a hash chain (pure: hashing and checking only).

Each entry's hash covers the previous entry's hash and the entry's canonical content
(sequence number, time, actor, action, subject, payload). Changing an entry breaks its
own hash; deleting or reordering entries breaks the link to the previous hash. The store
keeps ``prev_hash`` unique, so two writers can never both extend the same entry.

A chain alone cannot tell a forged or truncated history that was recomputed end to end
from the real one. Two things anchor it:

- the **head**, ``N:HASH`` (the entry count and the last entry's hash), published by
  ``dtia audit head``, printed with every filing event and approval, and recorded in dossier
  manifests. A head kept outside the register proves entries 1..N: ``check_chain`` with
  ``heads`` fails when the chain no longer holds that hash at position N (a deleted tail, a
  rewritten chain);
- the **state check**: ``check_state`` compares what the register's tables say (filing
  states, approvals, filing events, stored assessment versions and their hashes) with what
  the chain recorded, so changing a table, or forging or deleting entries without changing
  the tables to match, is detected too.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from dtia.filing import canonical_state, lifecycle, state_after_approval

GENESIS = "0" * 64
_HEAD = re.compile(r"(\d{1,18}):([0-9a-f]{64})")


def canonical(data: Any) -> str:
    """JSON with sorted keys and no spaces: the same content always gives the same text."""
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def parse_payload(text: str) -> dict[str, Any] | None:
    """A stored payload as the object it was written as; ``None`` when it is not one."""
    try:
        data = json.loads(text)
    except (ValueError, TypeError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def entry_hash(
    *,
    prev_hash: str,
    seq: int,
    at: str,
    actor: str,
    action: str,
    subject: str,
    payload: dict[str, Any],
) -> str:
    content = canonical(
        {
            "seq": seq,
            "at": at,
            "actor": actor,
            "action": action,
            "subject": subject,
            "payload": payload,
        }
    )
    return hashlib.sha256(f"{prev_hash}\n{content}".encode()).hexdigest()


@dataclass(frozen=True)
class Head:
    """Where the chain stood: ``entries`` entries, the last one hashing to ``hash``."""

    entries: int
    hash: str

    def __str__(self) -> str:
        return f"{self.entries}:{self.hash}"

    @classmethod
    def parse(cls, text: str) -> Head:
        """``N:HASH`` as ``dtia audit head`` prints it; ``ValueError`` naming the problem."""
        found = _HEAD.fullmatch(text.strip().lower())
        if found is None:
            raise ValueError(
                f"{text!r} is not an audit head: expected N:HASH, the entry count, a colon "
                "and 64 hexadecimal digits, as dtia audit head prints it"
            )
        entries, digest = int(found[1]), found[2]
        if (entries == 0) != (digest == GENESIS):
            raise ValueError(f"{text!r} is not an audit head: only 0 entries hash to zeros")
        return cls(entries, digest)


EMPTY_HEAD = Head(0, GENESIS)


@dataclass(frozen=True)
class Entry:
    seq: int
    at: str
    actor: str
    action: str
    subject: str
    payload: dict[str, Any] | None  # None: the stored payload is not a JSON object
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class ChainCheck:
    ok: bool
    entries: int
    first_bad: int | None = None  # the first entry at fault, when one is
    reason: str = ""
    head: Head | None = None  # where the chain stands, when it is intact
    problems: tuple[str, ...] = field(default=())  # every disagreement found, ``reason`` first


def check_chain(entries: Iterable[Entry], heads: Sequence[Head] = ()) -> ChainCheck:
    """Walk the log in sequence order; report the first entry that does not fit, then
    whether every head kept elsewhere is still part of the chain."""
    prev = GENESIS
    expected_seq = 1
    count = 0
    wanted = {h.entries for h in heads}
    seen: dict[int, str] = {}
    for e in entries:
        count += 1
        if e.seq != expected_seq:
            return _bad(
                count,
                e.seq,
                f"entry {e.seq} follows entry {expected_seq - 1}: entries are missing or reordered",
            )
        if e.prev_hash != prev:
            return _bad(
                count,
                e.seq,
                f"entry {e.seq} does not link to the entry before it (deleted or reordered)",
            )
        if e.payload is None:
            return _bad(
                count,
                e.seq,
                f"entry {e.seq} has a payload that is not a JSON object: it was changed after "
                "it was written",
            )
        recomputed = entry_hash(
            prev_hash=e.prev_hash,
            seq=e.seq,
            at=e.at,
            actor=e.actor,
            action=e.action,
            subject=e.subject,
            payload=e.payload,
        )
        if recomputed != e.hash:
            return _bad(count, e.seq, f"entry {e.seq} was changed after it was written")
        if e.seq in wanted:
            seen[e.seq] = e.hash
        prev = e.hash
        expected_seq += 1
    for h in sorted(heads, key=lambda h: h.entries):
        if h.entries > count:
            return _bad(
                count,
                count + 1,
                f"the chain ends at entry {count}, but the head {h} kept elsewhere says it had "
                f"{h.entries} entries: entries {count + 1} to {h.entries} were deleted",
            )
        if h.entries and seen.get(h.entries) != h.hash:
            return _bad(
                count,
                h.entries,
                f"entry {h.entries} is not the one the head {h} kept elsewhere recorded: the "
                f"chain up to entry {h.entries} was rewritten",
            )
    return ChainCheck(True, count, head=Head(count, prev) if count else EMPTY_HEAD)


def _bad(count: int, seq: int, reason: str) -> ChainCheck:
    return ChainCheck(False, count, seq, reason, problems=(reason,))


# --- the register's tables against the chain ----------------------------------------------


@dataclass(frozen=True)
class StoredAssessment:
    """An ``assessments`` row: its columns and the JSON they should agree with."""

    id: str
    transfer_id: str
    version: int
    assessment_sha256: str
    assessment_json: str
    residual_level: str
    dossier_required: bool
    has_blockers: bool


@dataclass(frozen=True)
class StoredApproval:
    transfer_id: str
    assessment_id: str
    assessment_sha256: str
    by: str
    on: str  # ISO date


@dataclass(frozen=True)
class StoredEvent:
    transfer_id: str
    event: str
    on: str  # ISO date
    reference: str | None
    note: str | None
    assessment_id: str
    state_after: str
    audit_head: str | None  # the head recorded with the event (None before it was kept)
    comments: tuple[str, ...] = ()
    channel: str | None = None
    code: str | None = None
    documents: tuple[str, ...] = ()  # the SHA-256 of each document, in order


@dataclass(frozen=True)
class StoredState:
    """What the register's tables hold about assessments, approvals and filings."""

    assessments: Iterable[StoredAssessment]  # read once: a large register is streamed
    approvals: Sequence[StoredApproval]  # in the order they were written
    events: Sequence[StoredEvent]  # in the order they were written
    filings: dict[str, str]  # transfer id -> filings.state


def _content_problems(a: StoredAssessment) -> list[str]:
    where = f"assessment {a.transfer_id} version {a.version}"
    if hashlib.sha256(a.assessment_json.encode()).hexdigest() != a.assessment_sha256:
        return [f"{where}: its stored JSON does not match its SHA-256 (changed after it was saved)"]
    try:
        data = json.loads(a.assessment_json)
        columns = {
            "residual_level": data["risk"]["residual"]["level"],
            "dossier_required": data["applicability"]["dossier_required"],
            "has_blockers": any(f.get("severity") == "blocker" for f in data["findings"]),
        }
    except (ValueError, KeyError, TypeError, AttributeError):
        return [f"{where}: its stored JSON is not an assessment"]
    stored = {
        "residual_level": a.residual_level,
        "dossier_required": a.dossier_required,
        "has_blockers": a.has_blockers,
    }
    return [
        f"{where}: assessments.{name} is {stored[name]!r}, but the assessment it stores says "
        f"{value!r}"
        for name, value in columns.items()
        if stored[name] != value
    ]


def check_state(entries: Sequence[Entry], state: StoredState) -> ChainCheck:
    """Whether the tables agree with what an intact chain recorded; every disagreement is
    listed, the first (in chain order where an entry is concerned) as ``reason``."""
    found: list[tuple[int, str]] = []  # (entry seq, or a large number when none, message)
    none = 1 << 62
    saved = {
        e.payload.get("assessment"): e
        for e in entries
        if e.action == "assessment.saved" and e.payload is not None
    }
    rows: set[str] = set()
    for a in state.assessments:
        rows.add(a.id)
        found += [(none, p) for p in _content_problems(a)]
        e = saved.get(a.id)
        if e is None:
            found.append(
                (
                    none,
                    f"assessment {a.transfer_id} version {a.version} is in the register, but no "
                    "entry of the audit log records it being saved",
                )
            )
            continue
        recorded = (e.subject, _p(e, "version"), _p(e, "sha256"))
        if recorded != (a.transfer_id, a.version, a.assessment_sha256):
            found.append(
                (
                    e.seq,
                    f"entry {e.seq} records assessment {e.subject} version {_p(e, 'version')} "
                    f"with SHA-256 {str(_p(e, 'sha256'))[:12]}…, but the register stores "
                    f"{a.transfer_id} version {a.version} with {a.assessment_sha256[:12]}…",
                )
            )
    for key, e in saved.items():
        if key not in rows:
            found.append(
                (
                    e.seq,
                    f"entry {e.seq} records assessment {e.subject} version {_p(e, 'version')}, "
                    "which is not in the register",
                )
            )

    approvals: dict[str, list[Entry]] = defaultdict(list)
    events: dict[str, list[Entry]] = defaultdict(list)
    replayed: dict[str, str] = {}
    for e in entries:
        # entries written before the lifecycle of 2026 name states and events the old way
        if e.action == "assessment.saved":
            replayed.setdefault(e.subject, "prepared")
        elif e.action == "approval.recorded":
            approvals[e.subject].append(e)
            recorded_state = _p(e, "state")
            replayed[e.subject] = (
                canonical_state(str(recorded_state))
                if recorded_state is not None
                else state_after_approval(replayed.get(e.subject, "prepared"))
            )
        elif e.action == "filing.event":
            events[e.subject].append(e)
            replayed[e.subject] = canonical_state(str(_p(e, "state")))

    stored_approvals: dict[str, list[StoredApproval]] = defaultdict(list)
    for stored_approval in state.approvals:
        stored_approvals[stored_approval.transfer_id].append(stored_approval)
    for tid in sorted(set(approvals) | set(stored_approvals)):
        chain, table = approvals[tid], stored_approvals[tid]
        for i in range(max(len(chain), len(table))):
            e = chain[i] if i < len(chain) else None
            ap = table[i] if i < len(table) else None
            if e is None:
                assert ap is not None
                found.append(
                    (
                        none,
                        f"approval of {tid} by {ap.by} on {ap.on} is in the register, but no "
                        "entry of the audit log records it",
                    )
                )
                continue
            said = (e.actor, _p(e, "assessment"), _p(e, "sha256"), _p(e, "on"))
            if ap is None:
                found.append(
                    (
                        e.seq,
                        f"entry {e.seq} records an approval of {tid} by {e.actor} on "
                        f"{_p(e, 'on')}, which is not in the register",
                    )
                )
            elif said != (ap.by, ap.assessment_id, ap.assessment_sha256, ap.on):
                found.append(
                    (
                        e.seq,
                        f"entry {e.seq} records the approval of {tid} by {e.actor} on "
                        f"{_p(e, 'on')}, but the register says by {ap.by} on {ap.on}"
                        + (
                            ""
                            if said[1:3] == (ap.assessment_id, ap.assessment_sha256)
                            else " of another assessment"
                        ),
                    )
                )

    stored_events: dict[str, list[StoredEvent]] = defaultdict(list)
    for stored_event in state.events:
        stored_events[stored_event.transfer_id].append(stored_event)
    for tid in sorted(set(events) | set(stored_events)):
        chain_events, table_events = events[tid], stored_events[tid]
        for i in range(max(len(chain_events), len(table_events))):
            e = chain_events[i] if i < len(chain_events) else None
            ev = table_events[i] if i < len(table_events) else None
            if e is None:
                assert ev is not None
                found.append(
                    (
                        none,
                        f"filing event '{ev.event}' of {tid} on {ev.on} is in the register, "
                        "but no entry of the audit log records it",
                    )
                )
                continue
            said_event = _said_event(e)
            if ev is None:
                found.append(
                    (
                        e.seq,
                        f"entry {e.seq} records the filing event '{_p(e, 'event')}' of {tid} on "
                        f"{_p(e, 'on')}, which is not in the register",
                    )
                )
                continue
            table_event = (
                _event_name(ev.event),
                ev.on,
                ev.reference,
                ev.comments,
                ev.assessment_id,
                canonical_state(ev.state_after),
                ev.channel,
                ev.code,
                ev.documents,
            )
            if said_event != table_event:
                found.append(
                    (
                        e.seq,
                        f"entry {e.seq} records the filing event '{said_event[0]}' of {tid} on "
                        f"{said_event[1]} ({said_event[5]}), but the register says "
                        f"'{ev.event}' on {ev.on} ({ev.state_after})",
                    )
                )
            elif ev.audit_head is not None and ev.audit_head != f"{e.seq}:{e.hash}":
                found.append(
                    (
                        e.seq,
                        f"the filing event '{ev.event}' of {tid} on {ev.on} was recorded with "
                        f"the audit head {ev.audit_head}, but entry {e.seq} hashes to "
                        f"{e.hash}: the chain was rewritten",
                    )
                )

    for tid in sorted(set(replayed) | set(state.filings)):
        want, have = replayed.get(tid), state.filings.get(tid)
        if want != have:
            recorded_by = events[tid] or approvals[tid]
            found.append(
                (
                    recorded_by[-1].seq if recorded_by else none,
                    f"the filing of {tid} is {have or 'missing'} in the register, but the audit "
                    f"log leaves it {want or 'unrecorded'}",
                )
            )

    if not found:
        return ChainCheck(True, len(entries))
    found.sort(key=lambda f: f[0])
    seq, reason = found[0]
    return ChainCheck(
        False,
        len(entries),
        seq if seq != none else None,
        reason,
        problems=tuple(message for _, message in found),
    )


def _event_name(name: Any) -> str:
    found = lifecycle().event(str(name))
    return found if found is not None else str(name)


def _said_event(e: Entry) -> tuple[Any, ...]:
    """What an entry says of a filing event, in the lifecycle's names: an old entry's note
    is its comments, one a line."""
    payload = e.payload or {}
    if "comments" in payload:
        comments = tuple(str(c) for c in payload.get("comments") or ())
    else:
        note = payload.get("note")
        comments = tuple(line.strip() for line in str(note or "").splitlines() if line.strip())
    return (
        _event_name(payload.get("event")),
        payload.get("on"),
        payload.get("reference"),
        comments,
        payload.get("assessment"),
        canonical_state(str(payload.get("state"))),
        payload.get("channel"),
        payload.get("code"),
        tuple(str(d) for d in payload.get("documents") or ()),
    )


def _p(e: Entry, key: str) -> Any:
    return (e.payload or {}).get(key)
