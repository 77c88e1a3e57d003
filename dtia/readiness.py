"""Whether a dossier is ready to file, and if not, what blocks it: the pre-submission check.

A filing pack is what the authority receives (Decree 356/2025 Art 18(4)): it must be complete
as filed, because an incomplete dossier is sent back with 30 days to complete it (Art 18(6)).
So the filing pack is written only when nothing blocks it:

- no gap: every Form 09 field the dossier needs is filled (a gap prints as a placeholder);
- no blocker finding: the findings engine grades a missing dossier component (Art 18(2)) as
  ``blocker`` when a filing is due (``findings.Context.downgrade``);
- no missing filing formality of the cover notice (Form 01a/01b, Art 18(4)): the signatory,
  the registration certificate (organisations) or the identity document (individuals).

Every item says where it is (a key path of the intake, or a Form 09 / Form 01 field), what to
supply, and which component of Art 18(2)-(3) it belongs to, so ``dtia dossier check`` can go
through the dossier item by item. Pure: the assessment and the intake in, a value out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from dtia.assessment import Assessment, Finding, Gap
from dtia.errors import RulesError
from dtia.intake import TransferIntake
from dtia.law import Rules

BlockerKind = Literal["gap", "finding", "formality"]


@dataclass(frozen=True)
class Blocker:
    """One thing that keeps the dossier from being filed."""

    kind: BlockerKind
    field: str  # the Form 09 field ("A.II.2"), or the cover notice's ("Form 01a")
    key_path: str  # where in the intake to supply it ("flows[*].diagram"); "" when none
    what: str  # what is missing and what to supply
    item: str  # the Decree 356 Art 18 item it belongs to ("18(3)(c)"), or "Form 09"
    citations: tuple[str, ...]

    def __str__(self) -> str:
        where = " ".join(p for p in (self.key_path, f"[{self.field}]") if p)
        cites = f" ({'; '.join(self.citations)})" if self.citations else ""
        return f"{where}: {self.what}{cites}"


@dataclass(frozen=True)
class Readiness:
    required: bool  # whether a dossier is filed at all (no: an exemption memo is written)
    blockers: tuple[Blocker, ...]

    @property
    def ready(self) -> bool:
        return self.required and not self.blockers


# The items of Decree 356/2025 Art 18(2)-(4) the check goes through, in the decree's order.
CHECKLIST: tuple[tuple[str, str], ...] = (
    ("18(2)(a)", "the report on Form 09"),
    ("18(2)(b)", "a copy of the contract or instrument binding transferor and recipient"),
    ("18(2)(c)", "the transferor's data protection policies, procedures and templates"),
    ("18(3)(a)", "identity and contacts of the transferor, the recipient and other parties"),
    ("18(3)(b)", "contacts of the data protection unit or person of both sides"),
    ("18(3)(c)", "purpose, data types, transfer and processing activities, data-flow diagram"),
    ("18(3)(d)", "how consent is obtained; storage, deletion and destruction"),
    ("18(3)(đ)", "the plan for keeping data safe after the transfer, measures and standards"),
    ("18(3)(e)", "system diagram and description of the system after receipt"),
    ("18(3)(g)", "the procedure for onward transfers by the recipient"),
    ("18(3)(h)", "the transferor's self-assessment of compliance"),
    ("18(3)(i)", "the recipient's protection level, impact, risks, damage and measures"),
    ("18(4)", "the cover notice (Form 01a or 01b), filled and signed"),
)
ITEMS = frozenset(ref for ref, _ in CHECKLIST)
_ITEM = re.compile(r"^Decree 356/2025 Art (18\(\d\)(?:\([a-zđ]\))?)")
_NOT_GIVEN = re.compile(r"\s*\(not given: ([^)]*)\)\s*$")


# A component the dossier files but that does not say what the law requires it to say: the
# contract copy (Decree 356/2025 Art 18(2)(b)) must state the Art 7(1) elements and, with a
# cloud provider, the Art 12(2) clauses. Filed as it is, it comes back with a request to
# complete it (Art 18(6)), so it blocks filing like a missing component.
INCOMPLETE_COMPONENTS = frozenset({"C7.contract-missing-elements", "C7.cloud-clauses-missing"})


def blocks_filing(f: Finding) -> bool:
    """A finding that keeps the dossier from being filed: one graded ``blocker``, which the
    findings engine gives a missing component of the dossier (Decree 356/2025 Art 18(2)) when
    a filing is due, or a filed component that lacks its required content. Other findings are
    risks the report assesses, not preconditions."""
    return f.severity == "blocker" or f.id in INCOMPLETE_COMPONENTS


def _item(citations: tuple[str, ...] | list[str]) -> str:
    """The Art 18 item a citation list names first (its most specific one), else Form 09."""
    found = [m.group(1) for c in citations if (m := _ITEM.match(c))]
    specific = [x for x in found if x in ITEMS and x.count("(") == 3]
    return (specific or [x for x in found if x in ITEMS] or ["18(2)(a)"])[0]


def _gap(g: Gap, rules: Rules | None) -> Blocker:
    message = g.message
    paths = ""
    if m := _NOT_GIVEN.search(message):
        paths, message = m.group(1), message[: m.start()]
    if g.path:  # the gap names the one key path to fill (flows[0].diagram)
        paths = g.path
    elif paths:
        pass
    elif rules is not None:
        try:
            paths = ", ".join(rules.field(g.field).source)
        except RulesError:  # a field of another form (Form 01): not in the Form 09 field map
            paths = ""
    what = f"{message}: supply it in the intake" if paths else f"{message}: supply it"
    return Blocker("gap", g.field, paths, what, _item(g.citations), tuple(g.citations))


def _finding(f: Finding) -> Blocker:
    field = next(
        (c.split("§", 1)[1] for c in f.citations if c.startswith("Decree 356/2025 Form 09 §")),
        "Form 09",
    )
    return Blocker(
        "finding",
        field,
        f.subject,
        f"{f.message} {f.remedy}",
        _item(f.citations),
        tuple(f.citations),
    )


COVER_CITATION = "Decree 356/2025 Art 18(4)"


def formalities(intake: TransferIntake, cover_form: str | None) -> list[Blocker]:
    """What the cover notice needs to be filed (Form 01a for an organisation, 01b for an
    individual): without it the notice prints blank lines the authority cannot accept."""
    t = intake.transferor
    form = f"Form {cover_form or ('01a' if t.kind == 'organisation' else '01b')}"
    cite = (COVER_CITATION, f"Decree 356/2025 {form}")
    out: list[Blocker] = []

    def need(path: str, what: str) -> None:
        out.append(Blocker("formality", form, path, what, "18(4)", cite))

    if t.kind == "organisation":
        # Who signs is the assessment's gap ``cover.signatory`` (filing.signatory, else the
        # legal representative); the registration is checked here, item by item.
        reg = t.registration
        for attr, what in (
            ("number", "the number of the establishment decision or registration certificate"),
            ("issuer", "the body that issued the registration certificate"),
            ("issued_on", "the date the registration certificate was issued"),
            ("place", "the place the registration certificate was issued"),
        ):
            if reg is None or getattr(reg, attr) is None:
                need(f"transferor.registration.{attr}", f"{what}: supply it")
    elif t.id_number is None:
        need(
            "transferor.id_number",
            "the number of the identity card or passport of the individual filing",
        )
    return out


def readiness(
    a: Assessment, intake: TransferIntake | None = None, rules: Rules | None = None
) -> Readiness:
    """Whether the dossier of ``a`` can be filed as it stands, and every item that blocks it.

    Gaps (including printed text without Vietnamese, which arrives as a gap) and blocker
    findings come from the assessment; the cover notice's formalities from ``intake`` when
    given; ``rules`` names the key paths behind a gap that does not state them."""
    if not a.applicability.dossier_required:
        return Readiness(False, ())
    # The registration certificate is checked item by item below (formalities).
    shown = [g for g in a.gaps if not (intake is not None and g.field == "cover.registration")]
    items = [_gap(g, rules) for g in shown]
    items += [_finding(f) for f in a.findings if blocks_filing(f)]
    if intake is not None:
        items += formalities(intake, a.applicability.cover_form)
    order = {ref: i for i, (ref, _) in enumerate(CHECKLIST)}
    items.sort(key=lambda b: (order.get(b.item, len(order)), b.field, b.key_path))
    return Readiness(True, tuple(items))


def checklist_lines(r: Readiness) -> list[str]:
    """The check, item by item against Decree 356/2025 Art 18(2)-(4): each item "ok" or the
    blockers under it. Plain lines for the terminal."""
    if not r.required:
        return ["No dossier is required: nothing to file (the exemption memo is the record)."]
    lines: list[str] = []
    for ref, label in CHECKLIST:
        under = [b for b in r.blockers if b.item == ref]
        mark = "ok " if not under else "NOT"
        lines.append(f"{mark}  Decree 356/2025 Art {ref}: {label}")
        lines += [f"       - {b}" for b in under]
    count = len(r.blockers)
    lines.append(
        "Ready to file."
        if r.ready
        else f"Not ready to file: {count} item{'s' if count != 1 else ''} to supply."
    )
    return lines
