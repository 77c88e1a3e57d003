"""What changed between two assessment versions of one transfer, and why.

Pure: compares two (intake, assessment) pairs already in memory, so a web page can show
"version 2 against version 5" without re-running the engine.
"""

from __future__ import annotations

import json
from datetime import date
from itertools import zip_longest
from typing import Literal

from pydantic import BaseModel, ConfigDict

from dtia.assessment import Assessment, Deadline, Finding, Score, Severity
from dtia.intake import TransferIntake

Kind = Literal["added", "removed", "changed"]
SHORT = 120  # a fact is one table cell on the page, not the whole field


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Change(_Frozen):
    field: str
    before: str | None
    after: str | None


class FactChange(_Frozen):
    path: str
    change: Kind
    before: str | None
    after: str | None


class FindingDiff(_Frozen):
    id: str
    subject: str
    change: Kind
    severity: Severity  # the new one, or the old one for a removed finding
    message: str
    citations: list[str]
    changes: list[Change] = []


class RiskDiff(_Frozen):
    inherent_before: Score
    inherent_after: Score
    residual_before: Score
    residual_after: Score
    criteria: list[Change]  # residual points per criterion that moved


class DecisionDiff(_Frozen):
    dossier_required_before: bool
    dossier_required_after: bool
    changes: list[Change]


class DeadlineDiff(_Frozen):
    kind: str
    change: Kind
    label: str
    due_before: date | None
    due_after: date | None
    citations: list[str]
    changes: list[Change] = []


class VersionDiff(_Frozen):
    why: list[str]
    facts: list[FactChange]
    findings: list[FindingDiff]
    risk: RiskDiff | None
    decision: DecisionDiff | None
    deadlines: list[DeadlineDiff]

    @property
    def result_unchanged(self) -> bool:
        return not (self.findings or self.risk or self.decision or self.deadlines)

    @property
    def unchanged(self) -> bool:
        return self.result_unchanged and not (self.why or self.facts)


def _show(value: object, limit: int | None = None) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        text = "yes" if value else "no"
    elif isinstance(value, list):
        text = ", ".join(_show(v) or "none" for v in value) or "none"
    elif isinstance(value, dict):
        label = next((value[k] for k in ("id", "name", "title", "code") if value.get(k)), None)
        text = str(label) if label else json.dumps(value, ensure_ascii=False, sort_keys=True)
    else:
        text = str(value)
    return text if limit is None or len(text) <= limit else text[: limit - 1] + "…"


def _fact(path: str, before: object, after: object) -> FactChange:
    change: Kind = "added" if before is None else "removed" if after is None else "changed"
    return FactChange(
        path=path, change=change, before=_show(before, SHORT), after=_show(after, SHORT)
    )


def _walk(path: str, before: object, after: object, out: list[FactChange]) -> None:
    if before == after:
        return
    if isinstance(before, dict) and isinstance(after, dict):
        for key in dict.fromkeys([*before, *after]):
            _walk(f"{path}.{key}" if path else key, before.get(key), after.get(key), out)
    elif isinstance(before, list) and isinstance(after, list):
        _walk_list(path, before, after, out)
    else:
        out.append(_fact(path, before, after))


def _walk_list(path: str, before: list[object], after: list[object], out: list[FactChange]) -> None:
    items = [*before, *after]
    if not any(isinstance(v, dict | list) for v in items):
        # Purposes, codes, clauses: their order carries no meaning, membership does.
        out += [_fact(path, v, None) for v in before if v not in after]
        out += [_fact(path, None, v) for v in after if v not in before]
        return
    if all(isinstance(v, dict) and "id" in v for v in items):
        # Recipients keep their id when one is inserted before them; their index moves.
        old = {v["id"]: (i, v) for i, v in enumerate(before) if isinstance(v, dict)}
        new_ids = {v["id"] for v in after if isinstance(v, dict)}
        for j, item in enumerate(after):
            assert isinstance(item, dict)
            prior = old.get(item["id"])
            _walk(f"{path}[{j}]", prior[1] if prior else None, item, out)
        out += [_fact(f"{path}[{i}]", v, None) for key, (i, v) in old.items() if key not in new_ids]
        return
    # Flows, subject groups, certifications: no identity but their position.
    for i, (b, a) in enumerate(zip_longest(before, after)):
        _walk(f"{path}[{i}]", b, a, out)


def _changes(before: dict[str, object], after: dict[str, object]) -> list[Change]:
    return [
        Change(field=k, before=_show(before[k]), after=_show(after[k]))
        for k in before
        if before[k] != after[k]
    ]


def _findings(old: list[Finding], new: list[Finding]) -> list[FindingDiff]:
    # One rule can fire for several subjects (each expiring certificate), so the id alone
    # would pair unrelated findings.
    before = {(f.id, f.subject): f for f in old}
    after = {(f.id, f.subject): f for f in new}

    shown = {"id", "subject", "severity", "message", "citations"}
    compared = {"severity", "message", "remedy", "citations"}

    def entry(f: Finding, change: Kind, changes: list[Change] | None = None) -> FindingDiff:
        return FindingDiff(change=change, changes=changes or [], **f.model_dump(include=shown))

    out = [entry(f, "added") for key, f in after.items() if key not in before]
    out += [entry(f, "removed") for key, f in before.items() if key not in after]
    for key, f in after.items():
        if key in before and before[key] != f:
            was = before[key].model_dump(include=compared)
            out.append(entry(f, "changed", _changes(was, f.model_dump(include=compared))))
    return out


def _risk(old: Assessment, new: Assessment) -> RiskDiff | None:
    def points(a: Assessment) -> dict[str, object]:
        return {
            c.criterion: f"{c.points} (inherent {c.inherent_points})" for c in a.risk.contributions
        }

    before, after = points(old), points(new)
    keys = dict.fromkeys([*before, *after])
    criteria = _changes({k: before.get(k) for k in keys}, {k: after.get(k) for k in keys})
    same_scores = (old.risk.inherent, old.risk.residual) == (new.risk.inherent, new.risk.residual)
    if same_scores and not criteria:
        return None
    return RiskDiff(
        inherent_before=old.risk.inherent,
        inherent_after=new.risk.inherent,
        residual_before=old.risk.residual,
        residual_after=new.risk.residual,
        criteria=criteria,
    )


def _decision_fields(a: Assessment) -> dict[str, object]:
    app = a.applicability
    return {
        "cross_border_transfer": app.cross_border_transfer,
        "dossier_required": app.dossier_required,
        "limbs": app.limbs,
        "exemption": app.exemption.code if app.exemption else None,
        "rejected_exemption_claims": [c.code for c in app.rejected_exemption_claims],
        "cover_form": app.cover_form,
        "prior_dossier": app.prior_dossier,
    }


def _decision(old: Assessment, new: Assessment) -> DecisionDiff | None:
    changes = _changes(_decision_fields(old), _decision_fields(new))
    if not changes:
        return None
    return DecisionDiff(
        dossier_required_before=old.applicability.dossier_required,
        dossier_required_after=new.applicability.dossier_required,
        changes=changes,
    )


def _deadlines(old: list[Deadline], new: list[Deadline]) -> list[DeadlineDiff]:
    # The engine writes at most one deadline of each kind per assessment.
    before, after = {d.kind: d for d in old}, {d.kind: d for d in new}
    out: list[DeadlineDiff] = []
    for kind in dict.fromkeys([*before, *after]):
        b, a = before.get(kind), after.get(kind)
        if b == a:
            continue
        shown = a or b
        assert shown is not None
        out.append(
            DeadlineDiff(
                kind=kind,
                change="added" if b is None else "removed" if a is None else "changed",
                label=shown.label,
                due_before=b.due if b else None,
                due_after=a.due if a else None,
                citations=shown.citations,
                changes=_changes(b.model_dump(), a.model_dump()) if a and b else [],
            )
        )
    return out


def _expired_between(intake: TransferIntake, old: date, new: date) -> list[str]:
    lo, hi = sorted((old, new))
    found: list[tuple[str, date]] = []
    for r in intake.recipients:
        sg = r.safeguards
        if sg is None:
            continue
        for c in sg.certifications:
            found.append((f"{r.name}'s {c.name} certificate", c.expires_on))
            if c.evidence and c.evidence.expires_on:
                found.append((f"{r.name}'s evidence “{c.evidence.title}”", c.evidence.expires_on))
        found += [
            (f"{r.name}'s evidence “{e.title}”", e.expires_on) for e in sg.evidence if e.expires_on
        ]
    # Expired means expires_on < as_of, as in dtia.facts.
    hits = [(label, on) for label, on in found if lo <= on < hi]
    if old <= new:
        return [f"{label} expired on {on}, between {old} and {new}" for label, on in hits]
    return [
        f"{label} expires on {on}: expired as of {old}, not yet as of {new}" for label, on in hits
    ]


def diff_versions(
    old_intake: TransferIntake, old: Assessment, new_intake: TransferIntake, new: Assessment
) -> VersionDiff:
    """Compare version ``old`` (assessed from ``old_intake``) with ``new``."""
    for intake, a in ((old_intake, old), (new_intake, new)):
        if intake.transfer.id != a.transfer_id:
            raise ValueError(f"intake {intake.transfer.id!r} does not belong to {a.transfer_id!r}")
    facts: list[FactChange] = []
    _walk(
        "",
        old_intake.model_dump(mode="json", by_alias=True),
        new_intake.model_dump(mode="json", by_alias=True),
        facts,
    )
    why: list[str] = []
    if (old.rules_version, old.rules_sha256) != (new.rules_version, new.rules_sha256):
        why.append(
            f"Rules changed from {old.rules_version} ({old.rules_sha256[:8]}) "
            f"to {new.rules_version} ({new.rules_sha256[:8]})"
        )
    if old.as_of != new.as_of:
        why.append(f"Assessment date moved from {old.as_of} to {new.as_of}")
    if facts:
        why.append(f"{len(facts)} intake fact{'s' if len(facts) > 1 else ''} changed")
    elif old.input_sha256 != new.input_sha256:
        # Same fields, different fingerprint: only an attached file can explain it.
        why.append("A file the intake references changed (input fingerprint differs)")
    why += _expired_between(new_intake, old.as_of, new.as_of)
    return VersionDiff(
        why=why,
        facts=facts,
        findings=_findings(old.findings, new.findings),
        risk=_risk(old, new),
        decision=_decision(old, new),
        deadlines=_deadlines(old.deadlines, new.deadlines),
    )
