"""The append-only audit log as a hash chain (pure: hashing and checking only).

Each entry's hash covers the previous entry's hash and the entry's canonical content
(sequence number, time, actor, action, subject, payload). Changing an entry breaks its
own hash; deleting or reordering entries breaks the link to the previous hash. The store
keeps ``prev_hash`` unique, so two writers can never both extend the same entry.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64


def canonical(data: Any) -> str:
    """JSON with sorted keys and no spaces: the same content always gives the same text."""
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


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
class Entry:
    seq: int
    at: str
    actor: str
    action: str
    subject: str
    payload: dict[str, Any]
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class ChainCheck:
    ok: bool
    entries: int
    first_bad: int | None = None
    reason: str = ""


def check_chain(entries: Iterable[Entry]) -> ChainCheck:
    """Walk the log in sequence order; report the first entry that does not fit."""
    prev = GENESIS
    expected_seq = 1
    count = 0
    for e in entries:
        count += 1
        if e.seq != expected_seq:
            return ChainCheck(
                False,
                count,
                e.seq,
                f"entry {e.seq} follows entry {expected_seq - 1}: entries are missing or reordered",
            )
        if e.prev_hash != prev:
            return ChainCheck(
                False,
                count,
                e.seq,
                f"entry {e.seq} does not link to the entry before it (deleted or reordered)",
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
            return ChainCheck(
                False, count, e.seq, f"entry {e.seq} was changed after it was written"
            )
        prev = e.hash
        expected_seq += 1
    return ChainCheck(True, count)
