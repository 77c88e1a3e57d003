"""Is this a cross-border transfer, under which limbs, and is a dossier required?

Pure functions of the intake and the rules in force. Exemption claims are tested
against the facts, never trusted (reference Appendix (b)): a claim the facts
contradict is rejected with the reason, and one whose test needs a fact the file
does not give is rejected as unconfirmed, naming that fact.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import assert_never

from dtia.assessment import Applicability, AppliedExemption, RejectedClaim
from dtia.facts import Facts
from dtia.intake import ExemptionClaim, TransferIntake
from dtia.law import Rules

CONTROLLER_ROLES = frozenset({"controller", "joint_controller"})
PROCESSOR_ROLES = frozenset({"processor", "sub_processor"})
HOSTING = frozenset({"servers_abroad", "foreign_cloud"})
# Storage or processing abroad: never a one-off provision of data in an emergency.
STANDING = HOSTING | {"platform_abroad"}


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
    reasons: tuple[str, ...] = ()  # why the facts do not fit
    missing: tuple[str, ...] = ()  # key paths of facts the test needs and the file lacks
    citations: tuple[str, ...] = ()  # articles the rejection rests on beyond the exemption's

    @property
    def unconfirmed(self) -> bool:
        """Rejected only because the file lacks a fact the test needs."""
        return not self.holds and not self.reasons


def _listing(codes: Sequence[str], rules: Rules) -> str:
    def one(code: str) -> str:
        label = rules.provided(code).label_en
        return code if label == code else f"{code} ({label})"

    return ", ".join(one(c) for c in codes)


def _recipients_fit(
    intake: TransferIntake, rules: Rules, code: str, what: str
) -> tuple[list[str], list[str], tuple[str, ...]]:
    """Every recipient must provide only services the exemption covers (Law 91 Art 20(2)):
    one recipient outside it keeps the dossier duty for the whole transfer."""
    allowed = {s.code for s in rules.exemption_services(code)}
    failed: list[str] = []
    missing: list[str] = []
    for i, r in enumerate(intake.recipients):
        if r.provides is None:
            missing.append(f"recipients[{i}].provides")
            continue
        outside = [c for c in r.provides if c not in allowed]
        if outside:
            flows = [
                f"flows[{j}] ({f.subject_group})"
                for j, f in enumerate(intake.flows)
                if f.recipient == r.id
            ]
            failed.append(
                f"recipient {r.id}"
                + (f", which receives {', '.join(flows)}," if flows else "")
                + f" provides {_listing(outside, rules)}, which is not {what}"
            )
    # One flow outside an exemption keeps the dossier duty for the whole transfer.
    whole = rules.basis("C2.whole-transfer") if failed else ()
    if failed:
        failed[-1] += (
            "; the exemption covers the transfer only when it covers every flow and every "
            f"recipient, so the dossier duty stands ({'; '.join(whole)})"
        )
    return failed, missing, whole


def _flag(value: bool | None, key: str, untrue: str, missing: list[str], failed: list[str]) -> None:
    if value is None:
        missing.append(key)
    elif not value:
        failed.append(untrue)


def test_claim(claim: ExemptionClaim, intake: TransferIntake, rules: Rules) -> ClaimResult:
    """Test one exemption claim against the facts of the intake (spec intake.md).

    No claim holds on its justification alone: a test that fails rejects the claim with its
    reasons; a test that needs a fact the file lacks rejects it as unconfirmed, naming it.
    """
    groups = intake.data.subject_groups
    activities = set(intake.transfer.activities)
    transferor = intake.transferor
    failed: list[str] = []
    missing: list[str] = []
    whole: tuple[str, ...] = ()
    match claim.code:
        case "state_agency":
            if transferor.kind != "organisation":
                failed.append(
                    "the transferor is a private person; only a competent state agency's own "
                    "transfers are exempt"
                )
            else:
                _flag(
                    transferor.state_agency,
                    "transferor.state_agency",
                    "the transferor is not a competent state agency (transferor.state_agency "
                    "is false); a company never qualifies",
                    missing,
                    failed,
                )
        case "own_employees_on_cloud":
            if transferor.kind != "organisation":
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
        case "data_subject_own_transfer":
            if transferor.kind != "individual":
                failed.append("the transferor is not an individual")
            if len(groups) != 1 or groups[0].count != 1:
                failed.append("the data is not only the transferor's own (one group of one person)")
        case "press_media":
            lines = [b.code for b in transferor.business_lines]
            if not any(rules.press_media_line(c) for c in lines):
                failed.append(
                    "no registered business line of the transferor is a press or media activity"
                    + (f" (transferor.business_lines: {', '.join(lines)})" if lines else "")
                )
            more_failed, more_missing, whole = _recipients_fit(
                intake, rules, claim.code, "press or media activity"
            )
            failed += more_failed
            missing += more_missing
        case "publicised_data":
            _flag(
                intake.data.publicised,
                "data.publicised",
                "the transfer has not been made public as the law requires (data.publicised "
                "is false)",
                missing,
                failed,
            )
        case "emergency":
            _flag(
                intake.transfer.one_off,
                "transfer.one_off",
                "the transfer is a standing flow, not a one-off provision of data "
                "(transfer.one_off is false)",
                missing,
                failed,
            )
            standing = sorted(activities & STANDING)
            if standing:
                failed.append(
                    f"data is stored or processed abroad ({', '.join(standing)}); the emergency "
                    "exemption covers providing data, never standing storage or processing"
                )
            more_failed, more_missing, whole = _recipients_fit(
                intake, rules, claim.code, "an emergency response"
            )
            failed += more_failed
            missing += more_missing
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
            more_failed, more_missing, whole = _recipients_fit(
                intake,
                rules,
                claim.code,
                "a contract, transport, logistics, money transfer, payment, hotel, visa or "
                "scholarship procedure",
            )
            failed += more_failed
            missing += more_missing
        case _:
            assert_never(claim.code)
    holds = not failed and not missing
    return ClaimResult(
        claim, holds=holds, reasons=tuple(failed), missing=tuple(missing), citations=whole
    )


def claim_results(intake: TransferIntake, rules: Rules) -> list[ClaimResult]:
    """Every claim tested, in the order of the law data (first that holds decides)."""
    order = {e.code: i for i, e in enumerate(rules.exemptions())}
    claims = sorted(intake.transfer.exemption_claims, key=lambda c: order.get(c.code, len(order)))
    return [test_claim(c, intake, rules) for c in claims]


def rejection_reason(result: ClaimResult) -> str:
    """Why a claim does not hold, in one sentence a lawyer can check."""
    lacking = ", ".join(result.missing)
    if result.unconfirmed:
        return (
            f"The file does not give the facts the exemption's test needs ({lacking}), so the "
            "claim is unconfirmed and the dossier duty stands (the conservative reading)."
        )
    return (
        "The facts do not fit the exemption: "
        + "; ".join(result.reasons)
        + (f"; the file does not give {lacking} either" if lacking else "")
        + "."
    )


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
            citations=list(rules.basis("C1.inbound-only")),
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
                    reason=rejection_reason(result),
                    citations=[*law.citations, *result.citations],
                    unconfirmed=result.unconfirmed,
                    missing_facts=list(result.missing),
                )
            )
        elif exemption is None:
            exemption = AppliedExemption(code=law.code, citations=list(law.citations))
            citations += law.citations
            reasons.append(f"Exempt: {law.label_en}.")

    prior = intake.transfer.prior_dossier
    prior_regime: str | None = None
    if exemption is None and prior is not None and prior_dossier_counts(intake, rules):
        prior_regime = prior.regime
        if prior.regime == "decree-13-2023":
            citations += rules.basis("C2.prior-dossier-stands", prior.regime)
            reasons.append(
                f"A Decree 13/2023 transfer dossier ({prior.reference}) was received on "
                f"{prior.received_on.isoformat()}, before Law 91/2025 took effect: it remains usable "
                "and only updates follow the Law."
            )
        else:
            citations += rules.basis("C2.prior-dossier-stands", prior.regime)
            reasons.append(
                f"The transferor's dossier ({prior.reference}) was received on "
                f"{prior.received_on.isoformat()}: the assessment is made once and further "
                "transfers are updates of it, not new filings."
            )

    required = exemption is None and prior_regime is None
    if required:
        citations += rules.basis("C1.dossier-duty")
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
