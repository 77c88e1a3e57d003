"""Inherent and residual risk: points per criterion, each with its reason and articles.

Weights come from the law data (criteria.yaml). Inherent risk counts every criterion at
its exposure, as if no safeguard existed; residual risk subtracts what the recipient's
safeguards and the transferor's measures show. Every subtraction only ever lowers a
criterion's points, so adding a safeguard can never raise residual risk.
"""

from __future__ import annotations

from dataclasses import dataclass

from dtia.assessment import Applicability, Contribution, Risk, Score, level_for
from dtia.facts import (
    Facts,
    RecipientFacts,
    consent_findings_in_self_assessment,
    outdated_only,
    runs_processing_service,
)
from dtia.law import Rules
from dtia.law.models import Criterion


@dataclass(frozen=True)
class Points:
    inherent: int
    residual: int
    reason: str


def _less(weight: int, reductions: list[tuple[bool, int]], floor: int = 0) -> int:
    return max(floor, weight - sum(points for applies, points in reductions if applies))


def _max_over(recipients: tuple[RecipientFacts, ...], points: list[int], default: int) -> int:
    return max(points) if recipients else default


def score_criteria(facts: Facts, app: Applicability, rules: Rules) -> dict[str, Points]:
    intake = facts.intake
    w = {c.code: c.weight for c in rules.criteria()}
    rs = facts.recipients
    out: dict[str, Points] = {}

    out["C1"] = Points(w["C1"], w["C1"], f"cross-border transfer under {', '.join(app.limbs)}")

    c3 = rules.criterion("C3").band_points(facts.basic_count)
    out["C3"] = Points(c3, c3, f"basic data of {facts.basic_count:,} people")

    sens = [rules.sensitive(code) for code in intake.data.sensitive]
    heavy = [c for c in sens if c.heavy]
    if not sens:
        c4 = 0
    elif len(heavy) >= 2 or any(c.code == "biometric_genetic" for c in heavy):
        c4 = w["C4"]
    elif heavy:
        c4 = w["C4"] - 2
    else:
        c4 = w["C4"] - 4
    c4_res = (
        _less(
            c4,
            [
                (bool(rs) and all(r.encrypted_both for r in rs), 3),
                (bool(intake.security.measures), 1),
            ],
        )
        if c4
        else 0
    )
    out["C4"] = Points(
        c4,
        c4_res,
        (
            "no sensitive data"
            if not sens
            else f"sensitive data: {', '.join(f'Art 4(1)({c.item})' for c in sens)}"
            + (f" ({len(heavy)} of the heavier kinds)" if heavy else "")
        ),
    )

    c5 = [
        _less(
            w["C5"],
            [
                (r.encrypted_both is True, 3),
                (bool(r.recipient.safeguards and r.recipient.safeguards.access_control), 2),
                (r.valid_certs > 0, 3),
                (r.incident_hours_ok is True, 2),
                (bool(r.recipient.safeguards and r.recipient.safeguards.security_testing), 1),
                (bool(r.recipient.safeguards and r.recipient.safeguards.retention_and_deletion), 1),
            ],
        )
        for r in rs
    ]
    pending = sum(1 for r in rs if not r.has_safeguards)
    out["C5"] = Points(
        w["C5"],
        _max_over(rs, c5, w["C5"]),
        f"{pending} of {len(rs)} recipients still to describe their safeguards"
        if pending
        else "recipients' safeguards weighed (weakest recipient counts)",
    )

    c6 = [
        _less(
            w["C6"],
            [
                (bool(r.recipient.safeguards and r.recipient.safeguards.local_law), 2),
                (
                    bool(
                        r.recipient.safeguards and r.recipient.safeguards.government_access_policy
                    ),
                    2,
                ),
            ],
            floor=2,
        )
        for r in rs
    ]
    countries = sorted({r.recipient.country for r in rs})
    out["C6"] = Points(
        w["C6"],
        _max_over(rs, c6, w["C6"]),
        f"recipients in {', '.join(countries)}",
    )

    art7 = len(rules.clauses("art7"))
    cloud = len(rules.clauses("cloud"))
    c7 = []
    for r in rs:
        if not r.has_contract:
            c7.append(w["C7"])
            continue
        required = art7 + (cloud if r.is_cloud else 0)
        present = required - len(r.missing_art7) - len(r.missing_cloud)
        # A contract counts by what it states: a signed paper lacking most Art 7(1) elements
        # is far from met. Its content takes off up to weight - 2 points in proportion, the
        # copy the dossier needs one, and a complete contract the last one.
        c7.append(
            _less(
                w["C7"],
                [
                    (r.contract_copy, 1),
                    (True, (w["C7"] - 2) * present // required),
                    (present == required, 1),
                ],
            )
        )
    any_cloud = any(r.is_cloud for r in rs)
    out["C7"] = Points(
        w["C7"],
        _max_over(rs, c7, w["C7"]),
        "contract and its Art 7(1)"
        + (" / Art 12(2)" if any_cloud else "")
        + " content (weakest recipient counts)",
    )

    onward = intake.transfer.onward_transfer
    c8 = 1 if onward is not None and not onward.allowed else w["C8"]
    all_clause = bool(rs) and all(r.has_onward_clause for r in rs)
    all_controls = bool(rs) and all(
        bool(r.recipient.safeguards and r.recipient.safeguards.onward_transfer_controls) for r in rs
    )
    out["C8"] = Points(
        c8,
        _less(c8, [(bool(onward and onward.procedure), 2), (all_clause, 1), (all_controls, 1)]),
        "onward transfers " + ("not allowed" if c8 == 1 else "allowed or not described"),
    )

    sec = intake.security
    all_encrypted = bool(rs) and all(r.encrypted_both is True for r in rs)
    out["C9"] = Points(
        w["C9"],
        _less(
            w["C9"],
            [
                (bool(sec.measures), 2),
                (bool(sec.standards), 1),
                (bool(sec.testing), 1),
                (bool(sec.system_diagram), 1),
                (all_encrypted, 3),
            ],
        ),
        "transferor's measures, standards, testing and recipients' encryption",
    )

    g = intake.governance
    # Told by a current policy: an outdated one is not the transferor's policy in force.
    disclosed = facts.discloses("transfer_abroad")
    # Consent is not met while the transferor's own self-assessment records findings on it.
    consent_doubted = g.legal_basis == "consent" and consent_findings_in_self_assessment(facts)
    out["C10"] = Points(
        w["C10"],
        _less(
            w["C10"],
            [
                (g.legal_basis is not None, 2),
                (bool(g.consent_method) and not consent_doubted, 2),
                (disclosed, 1),
            ],
        ),
        f"legal basis {g.legal_basis or 'not stated'}; transfer "
        + ("disclosed" if disclosed else "not disclosed")
        + " in a published policy"
        + ("; the self-assessment records findings on consent" if consent_doubted else ""),
    )

    all_dsr_clause = bool(rs) and all(
        r.has_contract and not any(c.key == "data_subject_rights" for c in r.missing_art7)
        for r in rs
    )
    all_dsr_ok = bool(rs) and all(r.dsr_days_ok is True for r in rs)
    out["C11"] = Points(
        w["C11"],
        _less(w["C11"], [(all_dsr_clause, 2), (all_dsr_ok, 2)]),
        "data-subject rights in the contracts and the recipients' turnaround",
    )

    all_del_clause = bool(rs) and all(
        r.has_contract
        and not any(c.key == "processing_period_and_deletion" for c in r.missing_art7)
        for r in rs
    )
    all_del_text = bool(rs) and all(
        bool(r.recipient.safeguards and r.recipient.safeguards.retention_and_deletion) for r in rs
    )
    out["C12"] = Points(
        w["C12"],
        _less(
            w["C12"],
            [(bool(g.retention), 1), (bool(g.deletion), 1), (all_del_clause, 1), (all_del_text, 1)],
        ),
        "retention and deletion rules of the transferor and the recipients",
    )

    pdp = intake.transferor.pdp
    documented = (
        bool(pdp.appointment_document) if pdp.kind == "internal" else bool(pdp.service_contract)
    )
    out["C13"] = Points(
        w["C13"],
        _less(
            w["C13"],
            [
                (documented, 2),
                (g.self_assessment is not None, 1),
                # an outdated policy is not counted as the transferor's current policy
                (
                    bool(intake.transferor.policies)
                    and not (facts.policies_read() and not facts.current_policies()),
                    1,
                ),
            ],
        ),
        "data protection officer documents, self-assessment and policies"
        + ("; every published policy is outdated" if outdated_only(facts) else ""),
    )

    b = intake.business
    out["C14"] = Points(
        w["C14"],
        _less(w["C14"], [(bool(b.necessity), 2), (bool(b.current_practice), 1)]),
        "necessity and current practice described" if b.necessity else "necessity not described",
    )

    c15 = (
        w["C15"]
        if (
            runs_processing_service(facts) or b.data_exchange_trading or b.domestic_transfer_for_fee
        )
        else 0
    )
    out["C15"] = Points(
        c15,
        c15,
        "processing-service business, data exchange or fee-based transfer"
        if c15
        else "no processing-service business, data exchange or fee",
    )

    c16 = w["C16"] if facts.national_security else 0
    out["C16"] = Points(
        c16,
        c16,
        "Form 09 §A.III.2.3 thresholds exceeded"
        if c16
        else "below the Form 09 §A.III.2.3 thresholds",
    )

    core = facts.data_class == "core"
    important = facts.data_class == "important"
    c17 = w["C17"] if core else (w["C17"] - 1 if important else 0)
    out["C17"] = Points(
        c17,
        c17,
        (
            "core data volumes"
            if core
            else ("important data volumes" if important else "below important-data volumes")
        )
        + f" of Vietnamese citizens ({facts.citizen_basic_count:,} basic, "
        f"{facts.citizen_sensitive_count:,} sensitive)"
        + (
            f"; not counted as citizens: {', '.join(facts.foreign_groups)}"
            if facts.foreign_groups
            else ""
        ),
    )
    return out


def conditions(facts: Facts) -> frozenset[str]:
    """Which of the criteria's conditional citations apply to these facts."""
    b = facts.intake.business
    flags = {
        "cloud": any(r.is_cloud for r in facts.recipients),
        "processing_service": runs_processing_service(facts),
        "data_exchange": bool(b.data_exchange_trading),
        "transfer_for_fee": bool(b.domestic_transfer_for_fee),
        # No stated basis could be either: both sets of articles apply.
        "consent": facts.intake.governance.legal_basis in ("consent", None),
        "without_consent": facts.intake.governance.legal_basis != "consent",
    }
    return frozenset(k for k, v in flags.items() if v)


def criterion_citations(criterion: Criterion, holds: frozenset[str]) -> list[str]:
    """A criterion's articles: those always behind it, and those whose condition holds."""
    extra = [c for cond, cites in criterion.cited_when.items() if cond in holds for c in cites]
    return list(dict.fromkeys([*criterion.citations, *extra]))


def _uncertain(note: str | None) -> str:
    return f" (UNCERTAIN {note}; conservative reading)" if note else ""


def risk(facts: Facts, app: Applicability, rules: Rules) -> Risk:
    if not app.cross_border_transfer:
        zero = Score(score=0, level="low")
        return Risk(inherent=zero, residual=zero, contributions=[])
    points = score_criteria(facts, app, rules)
    holds = conditions(facts)
    contributions = [
        Contribution(
            criterion=code,
            points=p.residual,
            inherent_points=p.inherent,
            reason=p.reason + _uncertain(rules.criterion(code).uncertain),
            citations=criterion_citations(rules.criterion(code), holds),
        )
        for code, p in sorted(points.items(), key=lambda kv: int(kv[0][1:]))
    ]
    inherent = min(100, sum(c.inherent_points for c in contributions))
    residual = min(100, sum(c.points for c in contributions))
    return Risk(
        inherent=Score(score=inherent, level=level_for(inherent)),
        residual=Score(score=residual, level=level_for(residual)),
        contributions=contributions,
    )
