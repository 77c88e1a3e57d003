"""Gaps: Form 09 fields the dossier needs that the intake leaves empty.

Driven by the Form 09 field map in the law data: each field names the intake key paths
that fill it and when it is required. A gap is printed in the dossier as "not provided"
and listed up front, so nothing in the filing is silently blank.

Beyond Form 09's fields, a dossier cannot be filed while free text it prints has no
Vietnamese, a document not in Vietnamese lacks its translation, or the cover notice lacks
a formality (its place, signatory, registration certificate, letter of authority): each is
a gap with the intake key path to fill.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from dtia.assessment import Applicability, Gap
from dtia.facts import Facts, processing_service_mismatch
from dtia.intake import TransferIntake
from dtia.law import Rules
from dtia.law.models import FormField
from dtia.localtext import key_path, local_texts

NEEDS_VIETNAMESE = "needs Vietnamese text"
# Free text that never reaches the authority: an exemption's justification is weighed in the
# internal review and the exemption memo, not in the filed dossier.
NOT_FILED = ("transfer.exemption_claims",)
# Where free text prints when no Form 09 field lists its key path as a source.
TEXT_HOME = (
    ("transfer.activity_other", "A.II.1"),
    ("transfer.purposes", "A.II.2"),
    ("transfer.onward_transfer", "A.III.3.4"),
    ("transfer", "A.II.1"),
    ("transferor.pdp", "A.I.8.3"),
    ("transferor.legal_representative", "cover.signatory"),
    ("transferor", "A.I.4"),
    ("recipients", "B.II"),
    ("other_parties", "B.III"),
    ("data", "A.II.1"),
    ("flows", "A.II.2"),
    ("security", "A.II.9.1"),
    ("governance", "A.II.10"),
    ("business", "A.III.1"),
    ("attachments", "A.IV"),
    ("filing", "cover.signatory"),
)


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


def untranslated(node: Any) -> Iterator[str]:
    """The key path of every free text under ``node`` that has no Vietnamese."""
    for parts, text in local_texts(node):
        if text.filed() is None:
            yield key_path(parts)


def _source_pattern(source: str) -> re.Pattern[str]:
    return re.compile(re.escape(source).replace(r"\[\*\]", r"\[\d+\]") + r"(?=$|[.\[])")


def _home(path: str, rules: Rules) -> str:
    """The Form 09 field (or cover item) a free text at ``path`` prints in."""
    if path.startswith("analysis."):
        return path.removeprefix("analysis.")
    matches = [
        (len(source), field.id)
        for field in rules.fields()
        for source in field.source
        if _source_pattern(source).match(path)
    ]
    if matches:
        return max(matches)[1]
    bare = re.sub(r"\[\d+\]", "", path)
    return next(
        (home for prefix, home in TEXT_HOME if bare == prefix or bare.startswith(prefix + ".")),
        "A.I",
    )


def text_gaps(intake: TransferIntake, rules: Rules) -> list[Gap]:
    """Free text that would print in the filed dossier without Vietnamese, and documents
    not in Vietnamese that lack their translation: the filing pack is not ready."""
    found = []
    for path in untranslated(intake):
        if path.startswith(NOT_FILED):
            continue
        field = _home(path, rules)
        citations = (
            rules.cover_field(field).citations
            if field.startswith("cover.")
            else rules.field(field).citations
            if field in {f.id for f in rules.fields()}
            else rules.section(field).citations
        )
        found.append(
            Gap(field=field, message=NEEDS_VIETNAMESE, citations=list(citations), path=path)
        )
    translation = rules.cover_field("cover.translation")
    for i, att in enumerate(intake.attachments):
        if att.language != "vi" and att.translation is None:
            found.append(
                Gap(
                    field="A.IV",
                    message=f"{translation.gap_message}: {att.title!s} is in "
                    f"{att.language!r} (give attachments[{i}].translation)",
                    citations=list(translation.citations),
                    path=f"attachments[{i}].translation",
                )
            )
    return found


def formality_gaps(intake: TransferIntake, rules: Rules) -> list[Gap]:
    """What the cover notice (Form 01a/01b) needs before it can be signed (spec intake.md,
    "filing"): the place, a signatory, an organisation's registration certificate, and the
    letter of authority of a signatory who is not the legal representative."""
    t = intake.transferor
    filing = intake.filing
    out: list[tuple[str, str]] = []
    if filing is None or filing.place is None:
        out.append(("cover.place", "filing.place"))
    signatory = filing.signatory if filing is not None else None
    if t.kind == "organisation":  # an individual signs the Form 01b notice in person
        if signatory is None and t.legal_representative is None:
            out.append(("cover.signatory", "filing.signatory"))
        reg = t.registration
        missing = [
            key
            for key in ("number", "issuer", "issued_on", "place")
            if reg is None or getattr(reg, key) is None
        ]
        if missing:
            path = "transferor.registration" + (f".{missing[0]}" if len(missing) == 1 else "")
            out.append(("cover.registration", path))
        representative = t.legal_representative
        if (
            signatory is not None
            and signatory.authorisation is None
            and (representative is None or _folded(signatory.name) != _folded(representative.name))
        ):
            out.append(("cover.authorisation", "filing.signatory.authorisation"))
    gaps_found = []
    for field_id, path in out:
        item = rules.cover_field(field_id)
        gaps_found.append(
            Gap(field=item.id, message=item.gap_message, citations=list(item.citations), path=path)
        )
    return gaps_found


def _folded(name: str) -> str:
    return " ".join(name.casefold().split())


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
            path = empty[0] if len(empty) == 1 and "*" not in empty[0] else None
            found.append(
                Gap(field=field.id, message=message, citations=list(field.citations), path=path)
            )
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
                path="business.processing_services",
            )
        )
    found += text_gaps(facts.intake, rules)
    found += formality_gaps(facts.intake, rules)
    return found
