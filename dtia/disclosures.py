"""What the published policies and notices of a transfer disclose, as the assessment keeps it.

The transferor's policies (``transferor.policies``) and each recipient's notices
(``recipients[].notices``, and those it uploaded with its questionnaire answer) are read by the
disclosure check (``dtia.policy``) as the law stands on ``as_of``. A file listed twice (two
titles, one file) is read once. Pure: the texts come from the intake's files, kept when it was
loaded, so a re-assessment from the register reads exactly what the first one did.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Literal

from dtia.assessment import Disclosure, DisclosureItem, Passage
from dtia.errors import PolicyError
from dtia.intake import UPLOADED, LoadedIntake, upload_name
from dtia.policy import Evidence, PolicyCheck, check_document
from dtia.policy.read import document_from_text


@lru_cache(maxsize=32)  # the same policy is read by every assessment of its transfers
def _check(name: str, text: str, as_of: date) -> PolicyCheck | str:
    try:
        return check_document(document_from_text(name, text), as_of)
    except PolicyError as exc:
        return exc.message


def _passages(found: tuple[Evidence, ...]) -> list[Passage]:
    return [Passage(line=e.line, quote=e.quote, page=e.page) for e in found]


@dataclass(frozen=True)
class _Listed:
    document: str  # its key path in the intake
    party: str  # "transferor" or the recipient's id
    title: str
    file: str  # its name among the intake's files


def _listed(loaded: LoadedIntake) -> list[_Listed]:
    intake = loaded.intake
    out = [
        _Listed(f"transferor.policies[{i}]", "transferor", str(p.title), p.path)
        for i, p in enumerate(intake.transferor.policies)
    ]
    for i, r in enumerate(intake.recipients):
        out += [
            _Listed(f"recipients[{i}].notices[{j}]", r.id, str(n.title), n.path)
            for j, n in enumerate(r.notices)
        ]
        answered = r.safeguards.notices if r.safeguards is not None else []
        for j, e in enumerate(answered):
            file = e.path or ""
            if e.upload:  # named by its hash; a PDF or a text file (upload_name)
                file = next(
                    (n for n in loaded.files if n.startswith(f"{UPLOADED}/{e.upload}.")),
                    upload_name(e.upload),
                )
            out.append(_Listed(f"recipients[{i}].safeguards.notices[{j}]", r.id, str(e.title), file))
    return out


def _laws(party: str, loaded: LoadedIntake) -> tuple[Literal["vn", "jp"], ...]:
    """The law a document is read under: the transferor's policy under Vietnamese law; a
    recipient's notice under the law of its country where the check knows it (Japan), else
    what it tells of the transfer under Vietnamese law, for the record."""
    if party == "transferor":
        return ("vn",)
    r = next(r for r in loaded.intake.recipients if r.id == party)
    return ("jp",) if r.country == "JP" else ("vn",)


def disclosures(loaded: LoadedIntake, as_of: date) -> list[Disclosure]:
    """One entry per file checked, in the order the intake lists them."""
    merged: dict[tuple[str, str], list[_Listed]] = {}
    for entry in _listed(loaded):
        merged.setdefault((entry.party, entry.file), []).append(entry)
    out: list[Disclosure] = []
    for (party, file), entries in merged.items():
        first = entries[0]
        title = "; ".join(dict.fromkeys(e.title for e in entries))
        documents = [e.document for e in entries]
        text = loaded.text_of(file)
        check = (
            "its text cannot be read (a PDF without text, or not a text file)"
            if text is None
            else _check(file, text, as_of)
        )
        if isinstance(check, str):  # why the file could not be read
            out.append(
                Disclosure(
                    document=first.document,
                    also=documents[1:],
                    party=party,
                    title=title,
                    file=file,
                    read=False,
                    problem=check,
                )
            )
            continue
        laws = _laws(party, loaded)
        out.append(
            Disclosure(
                document=first.document,
                also=documents[1:],
                party=party,
                title=title,
                file=file,
                read=True,
                languages=list(check.languages),
                outdated=check.outdated and "vn" in laws,
                items=[
                    DisclosureItem(
                        key=r.key,
                        law=r.law,
                        label=r.label_en,
                        disclosed=r.disclosed,
                        evidence=_passages(r.evidence),
                        contrary=_passages(r.contrary),
                        details=list(r.details),
                        missing=list(r.missing),
                        notes=list(r.notes),
                        remedy=r.remedy_en,
                        citations=list(r.citations),
                    )
                    for r in check.items
                    if r.law in laws
                ],
            )
        )
    return out
