"""Is this a cross-border transfer, under which limbs, and is a dossier required?

Pure functions of the intake and the rules in force. Exemption claims are tested
against the facts, never trusted (reference Appendix (b)); a claim the facts
contradict is rejected with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass

from dtia.assessment import Applicability, AppliedExemption, RejectedClaim
from dtia.facts import Facts
from dtia.intake import ExemptionClaim, TransferIntake
from dtia.law import Rules

CONTROLLER_ROLES = frozenset({"controller", "joint_controller"})
PROCESSOR_ROLES = frozenset({"processor", "sub_processor"})
HOSTING = frozenset({"servers_abroad", "foreign_cloud"})


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def limbs_of(intake: TransferIntake) -> list[str]:
    """T1 storage abroad, T2 sending to a recipient abroad, T3 a platform abroad."""
    if intake.transfer.direction == "inbound":
        return []
    activities = set(intake.transfer.activities)
    limbs: set[str] = set()
    if activities & HOSTING:
        limbs.add("T1")
    if "platform_abroad" in activities:
        limbs.add("T3")
    if "via_domestic_partner" in activities or any(
        r.role in CONTROLLER_ROLES for r in intake.recipients
    ):
        limbs.add("T2")
    if not limbs:
        # Data sent to any organisation abroad is a transfer (Law 91 Art 20(1)(b)).
        limbs.add("T2")
    return sorted(limbs)


@dataclass(frozen=True)
class ClaimResult:
    claim: ExemptionClaim
    holds: bool
    on_facts: bool  # False when it holds only on its justification
    reasons: tuple[str, ...] = ()


def test_claim(claim: ExemptionClaim, intake: TransferIntake) -> ClaimResult:
    """Test one exemption claim against the facts of the intake (spec intake.md)."""
    groups = intake.data.subject_groups
    activities = set(intake.transfer.activities)
    failed: list[str] = []
    match claim.code:
        case "own_employees_on_cloud":
            if intake.transferor.kind != "organisation":
                failed.append("the transferor is not an organisation")
            others = sorted({g.kind for g in groups if g.kind != "employees"})
            if others:
                failed.append(
                    f"subject groups other than employees are transferred ({', '.join(others)})"
                )
            if intake.transfer.activities != ["foreign_cloud"]:
                failed.append(
                    "the activities are not only storage on a foreign cloud service "
                    f"({', '.join(intake.transfer.activities)})"
                )
            not_processors = [r.id for r in intake.recipients if r.role not in PROCESSOR_ROLES]
            if not_processors:
                failed.append(
                    "recipients that are not processors receive the data "
                    f"({', '.join(not_processors)})"
                )
        case "hr_management":
            kinds: set[str] = {g.kind for g in groups}
            non_staff = sorted(kinds - {"employees", "job_applicants"})
            if non_staff:
                failed.append(
                    f"subject groups other than employees and job applicants ({', '.join(non_staff)})"
                )
        case "contract_travel_logistics_payment":
            hosted = sorted(activities & HOSTING)
            if hosted:
                failed.append(
                    f"data is hosted abroad ({', '.join(hosted)}), which is not a contract, "
                    "transport, logistics, payment, hotel, visa or scholarship procedure"
                )
        case "data_subject_own_transfer":
            if intake.transferor.kind != "individual":
                failed.append("the transferor is not an individual")
            if len(groups) != 1 or groups[0].count != 1:
                failed.append("the data is not only the transferor's own (one group of one person)")
        case _:
            return ClaimResult(claim, holds=True, on_facts=False)
    return ClaimResult(claim, holds=not failed, on_facts=True, reasons=tuple(failed))


def claim_results(intake: TransferIntake, rules: Rules) -> list[ClaimResult]:
    """Every claim tested, in the order of the law data (first that holds decides)."""
    order = {e.code: i for i, e in enumerate(rules.exemptions())}
    claims = sorted(intake.transfer.exemption_claims, key=lambda c: order.get(c.code, len(order)))
    return [test_claim(c, intake) for c in claims]


def prior_dossier_counts(intake: TransferIntake, rules: Rules) -> bool:
    prior = intake.transfer.prior_dossier
    return prior is not None and prior.received_on <= rules.on


def applicability(facts: Facts, rules: Rules) -> Applicability:
    intake = facts.intake
    if intake.transfer.direction == "inbound":
        return Applicability(
            cross_border_transfer=False,
            limbs=[],
            dossier_required=False,
            exemption=None,
            rejected_exemption_claims=[],
            cover_form=None,
            citations=["Law 91/2025 Art 20(1)"],
            reasons=[
                "Data only comes into Vietnam: none of the Law 91/2025 Art 20(1) limbs applies."
            ],
        )

    limbs = limbs_of(intake)
    citations = [c for code in limbs for c in rules.limb(code).citations]
    reasons = [f"{code}: {rules.limb(code).label_en}." for code in limbs]

    exemption: AppliedExemption | None = None
    rejected: list[RejectedClaim] = []
    for result in claim_results(intake, rules):
        law = rules.exemption(result.claim.code)
        if not result.holds:
            rejected.append(
                RejectedClaim(
                    code=result.claim.code,
                    reason="The facts do not fit the exemption: " + "; ".join(result.reasons) + ".",
                    citations=list(law.citations),
                )
            )
        elif exemption is None:
            exemption = AppliedExemption(
                code=law.code,
                citations=list(law.citations),
                tested_on="facts" if result.on_facts else "justification",
            )
            citations += law.citations
            reasons.append(f"Exempt: {law.label_en}.")

    prior = intake.transfer.prior_dossier
    prior_regime: str | None = None
    if exemption is None and prior is not None and prior_dossier_counts(intake, rules):
        prior_regime = prior.regime
        if prior.regime == "decree-13-2023":
            citations.append("Law 91/2025 Art 39(2)")
            reasons.append(
                f"A Decree 13/2023 transfer dossier ({prior.reference}) was received on "
                f"{prior.received_on.isoformat()}, before Law 91/2025 took effect: it remains usable "
                "and only updates follow the Law."
            )
        else:
            citations += ["Law 91/2025 Art 20(3)", "Law 91/2025 Art 22(1)"]
            reasons.append(
                f"The transferor's dossier ({prior.reference}) was received on "
                f"{prior.received_on.isoformat()}: the assessment is made once and further "
                "transfers are updates of it, not new filings."
            )

    required = exemption is None and prior_regime is None
    if required:
        citations += ["Law 91/2025 Art 20(2)", "Decree 356/2025 Art 18(4)"]
    kind = intake.transferor.kind
    return Applicability(
        cross_border_transfer=True,
        limbs=limbs,
        dossier_required=required,
        exemption=exemption,
        rejected_exemption_claims=rejected,
        cover_form=("01a" if kind == "organisation" else "01b") if required else None,
        citations=_unique(citations),
        prior_dossier=prior_regime,
        reasons=reasons,
    )


def required_sections(facts: Facts, app: Applicability, rules: Rules) -> list[str]:
    if not app.dossier_required:
        return []
    parties = {p.role for p in facts.intake.other_parties}
    wanted = {
        "always": True,
        "national_security": facts.national_security,
        "on_behalf_party": "on_behalf" in parties,
        "other_party": "other" in parties,
    }
    return [s.id for s in rules.sections() if wanted[s.required_when]]
