"""Checks of an intake that span fields: the rules intake.md states in prose.

They run on the raw mapping, next to (not after) the field-by-field validation, so a file
with a wrong type in one place and a dangling reference in another gets both problems
reported at once, each at the exact key path it concerns. Values of the wrong type are
skipped here: the field validation reports those.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from dtia.errors import Problem
from dtia.text import quoted

LAW_IN_FORCE = date(2026, 1, 1)  # Law 91/2025 Art 38(1); Art 39(2) keeps earlier Decree 13 dossiers


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _map(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _as_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _repeats(values: list[Any], path: str) -> Iterator[Problem]:
    seen: set[Any] = set()
    for i, value in enumerate(values):
        if isinstance(value, str | int) and value in seen:
            yield Problem(f"{path}[{i}]", f"{quoted(value)} is listed twice")
        if isinstance(value, str | int):
            seen.add(value)


def _transfer(t: dict[str, Any]) -> Iterator[Problem]:
    activities = _list(t.get("activities"))
    direction = t.get("direction")
    yield from _repeats(activities, "transfer.activities")
    if direction == "inbound" and activities:
        yield Problem("transfer.activities", "must be empty for an inbound transfer")
    if direction in ("outbound", "both") and "activities" in t and not activities:
        yield Problem(
            "transfer.activities",
            f"at least one activity is required for direction {quoted(direction)}",
        )
    if "other" in activities and not t.get("activity_other"):
        yield Problem("transfer.activity_other", "is required when activities include 'other'")
    codes = [_map(c).get("code") for c in _list(t.get("exemption_claims"))]
    for p in _repeats(codes, "transfer.exemption_claims"):
        yield Problem(p.path + ".code", p.message)
    prior = _map(t.get("prior_dossier"))
    received = _as_date(prior.get("received_on"))
    if (
        received is not None
        and prior.get("regime") == "decree-13-2023"
        and received >= LAW_IN_FORCE
    ):
        yield Problem(
            "transfer.prior_dossier.received_on",
            "a decree-13-2023 dossier counts only if received before 2026-01-01 "
            f"(Law 91/2025 Art 39(2)); received_on is {received.isoformat()}",
        )
    if received is not None and prior.get("regime") == "law-91-2025" and received < LAW_IN_FORCE:
        yield Problem(
            "transfer.prior_dossier.received_on",
            "a law-91-2025 dossier cannot be received before Law 91/2025 took effect on "
            f"2026-01-01 (Law 91/2025 Art 38(1)); received_on is {received.isoformat()}",
        )


def _transferor(t: dict[str, Any]) -> Iterator[Problem]:
    if t.get("kind") == "organisation":
        if not t.get("tax_code"):
            yield Problem("transferor.tax_code", "is required for an organisation")
        if not t.get("business_lines"):
            yield Problem("transferor.business_lines", "is required for an organisation")
    if t.get("kind") == "individual" and not t.get("id_number"):
        yield Problem("transferor.id_number", "is required for an individual")


def _data(d: dict[str, Any]) -> Iterator[Problem]:
    groups = [_map(g) for g in _list(d.get("subject_groups"))]
    for p in _repeats([g.get("name") for g in groups], "data.subject_groups"):
        yield Problem(p.path + ".name", p.message)
    yield from _repeats(_list(d.get("basic")), "data.basic")
    sensitive = _list(d.get("sensitive"))
    yield from _repeats(sensitive, "data.sensitive")
    count = d.get("sensitive_subject_count")
    if sensitive and count is None:
        yield Problem("data.sensitive_subject_count", "is required when sensitive is not empty")
    counts: list[int] = [
        c for g in groups if isinstance(c := g.get("count"), int) and not isinstance(c, bool)
    ]
    if isinstance(count, int) and len(counts) == len(groups):
        total = sum(counts)
        if count > total:
            yield Problem(
                "data.sensitive_subject_count",
                f"{count} exceeds the {total} people in data.subject_groups",
            )


def _references(raw: dict[str, Any]) -> Iterator[Problem]:
    recipients = [_map(r) for r in _list(raw.get("recipients"))]
    ids = [r.get("id") for r in recipients]
    for p in _repeats(ids, "recipients"):
        yield Problem(p.path + ".id", p.message)
    for i, r in enumerate(recipients):
        if r.get("country") == "VN":
            yield Problem(f"recipients[{i}].country", "an overseas recipient cannot be in VN")
    data = _map(raw.get("data"))
    # Only text can name a group or a recipient; a list or mapping given instead is the
    # field validation's to report (and could not be looked up in a set anyway).
    groups = {
        name
        for g in _list(data.get("subject_groups"))
        if isinstance(name := _map(g).get("name"), str)
    }
    flows = [_map(f) for f in _list(raw.get("flows"))]
    for i, flow in enumerate(flows):
        group = flow.get("subject_group")
        if isinstance(group, str) and group not in groups:
            yield Problem(
                f"flows[{i}].subject_group",
                f"{quoted(group)} is not a name in data.subject_groups",
            )
        recipient = flow.get("recipient")
        if isinstance(recipient, str) and recipient not in ids:
            yield Problem(
                f"flows[{i}].recipient", f"{quoted(recipient)} is not an id in recipients"
            )
    sensitive_flow = any(f.get("includes_sensitive") is True for f in flows)
    if sensitive_flow and "sensitive" in data and not _list(data.get("sensitive")):
        yield Problem(
            "data.sensitive", "a flow includes sensitive data but no sensitive type is ticked"
        )
    if _list(data.get("sensitive")) and flows and not sensitive_flow:
        yield Problem(
            "flows", "sensitive data types are ticked but no flow has includes_sensitive: true"
        )
    activities = _list(_map(raw.get("transfer")).get("activities"))
    for i, group in enumerate(_map(g) for g in _list(data.get("subject_groups"))):
        for activity in _list(group.get("activities")):
            if activity not in activities:
                yield Problem(
                    f"data.subject_groups[{i}].activities",
                    f"{quoted(activity)} is not one of transfer.activities",
                )


def _attachments(attachments: list[Any]) -> Iterator[Problem]:
    for i, a in enumerate(_map(a) for a in attachments):
        translation, language = a.get("translation"), a.get("language", "vi")
        if not isinstance(translation, str) or not translation.strip():
            continue
        if language == "vi":
            yield Problem(
                f"attachments[{i}].translation",
                "the document is in Vietnamese (language: vi, the default), so it needs no "
                f"translation; give attachments[{i}].language, the language it is written in",
            )
        elif translation.strip() == str(a.get("path", "")).strip():
            yield Problem(
                f"attachments[{i}].translation", "is the document itself, not its translation"
            )


def semantic_problems(raw: dict[str, Any]) -> list[Problem]:
    """Every cross-field problem of a raw intake mapping."""
    return [
        *_transfer(_map(raw.get("transfer"))),
        *_transferor(_map(raw.get("transferor"))),
        *_data(_map(raw.get("data"))),
        *_references(raw),
        *_attachments(_list(raw.get("attachments"))),
    ]
