"""Gaps: Form 09 fields the dossier needs that the intake leaves empty.

Driven by the Form 09 field map in the law data: each field names the intake key paths
that fill it and when it is required. A gap is printed in the dossier as "not provided"
and listed up front, so nothing in the filing is silently blank.
"""

from __future__ import annotations

from typing import Any

from dtia.assessment import Applicability, Gap
from dtia.facts import Facts, processing_service_mismatch
from dtia.law import Rules
from dtia.law.models import FormField


def _values(data: Any, path: str) -> list[Any]:
    """Every value at a key path; ``[*]`` fans out over a list."""
    current = [data]
    for part in path.replace("[*]", ".*").split("."):
        nxt: list[Any] = []
        for value in current:
            if part == "*":
                nxt.extend(value if isinstance(value, list) else [None])
            elif isinstance(value, dict):
                nxt.append(value.get(part))
            else:
                nxt.append(None)
        current = nxt
    return current


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _required(field: FormField, facts: Facts) -> bool:
    intake = facts.intake
    kind = intake.transferor.kind
    parties = {p.role for p in intake.other_parties}
    match field.required:
        case "always":
            return True
        case "organisation":
            return kind == "organisation"
        case "individual":
            return kind == "individual"
        case "optional":
            return False
    conditions = {
        "pdp_external_org": intake.transferor.pdp.kind == "external_org",
        "pdp_external_individual": intake.transferor.pdp.kind == "external_individual",
        "pdp_internal": intake.transferor.pdp.kind == "internal",
        "national_security": facts.national_security,
        "on_behalf_party": "on_behalf" in parties,
        "other_party": "other" in parties,
    }
    return field.when is not None and conditions[field.when]


def gaps(facts: Facts, app: Applicability, rules: Rules) -> list[Gap]:
    if not app.dossier_required:
        return []
    data = facts.intake.model_dump(mode="json", by_alias=True)
    found = []
    for field in rules.fields():
        if not field.source or not _required(field, facts):
            continue
        empty = [path for path in field.source if any(_empty(v) for v in _values(data, path))]
        if empty:
            message = field.gap_message or f"{field.label_en} is missing"
            if len(field.source) > 1:  # say which of the field's parts is missing
                message += f" (not given: {', '.join(empty)})"
            found.append(Gap(field=field.id, message=message, citations=list(field.citations)))
    mismatch = processing_service_mismatch(facts)
    if mismatch is not None:
        # Form 09 §A.II.8: "Có" and the tick list of the Decree 356 Art 21 services must agree.
        field = rules.field("A.II.8")
        found.append(
            Gap(
                field=field.id,
                message=f"{mismatch}; a processing-service business ticks the services it offers "
                "and must meet the Decree 356 Art 22 conditions and hold the Art 24 certificate",
                citations=list(field.citations),
            )
        )
    return found
