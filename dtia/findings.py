"""Findings: what the assessment must raise, each with severity, remedy and articles.

One small function per criterion (C1-C17 of the reference's scoring map). Where the
reference marks a point UNCERTAIN, the conservative reading is taken and the message
says so. Findings are produced whether or not a dossier is required: an exemption
lifts the filing duty, not the rest of the law.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from dtia.applicability import claim_results, prior_dossier_counts
from dtia.assessment import (
    SEVERITY_ORDER,
    Applicability,
    Deadline,
    Finding,
    Passage,
    Pending,
    Severity,
)
from dtia.facts import (
    Facts,
    consent_findings_in_self_assessment,
    processing_service_mismatch,
    runs_processing_service,
    suggests_collected_abroad,
)
from dtia.law import Rules


@dataclass(frozen=True)
class Context:
    facts: Facts
    app: Applicability
    rules: Rules
    deadlines: list[Deadline]

    @property
    def filing(self) -> bool:
        return self.app.dossier_required

    @property
    def dossier(self) -> bool:
        """A dossier is filed or kept (a new one, or the prior one that updates amend). Without
        one, findings that rest only on a dossier component (Decree 356 Art 18(2)-(3), Form 09)
        are not raised: an exemption memo states only the duties that still apply."""
        return self.app.dossier_required or self.app.prior_dossier is not None

    def basis(self, finding_id: str, case: str = "default") -> tuple[str, ...]:
        return self.rules.basis(finding_id, case)

    def downgrade(self, severity: Severity, without_filing: Severity = "high") -> Severity:
        """A missing dossier component blocks a filing; without a filing it is a duty to mend."""
        return severity if self.filing or severity != "blocker" else without_filing


def _f(
    id_: str,
    severity: Severity,
    subject: str,
    message: str,
    remedy: str,
    citations: list[str] | tuple[str, ...],
) -> Finding:
    return Finding(
        id=id_,
        criterion=id_.split(".")[0],
        severity=severity,
        subject=subject,
        message=message,
        remedy=remedy,
        citations=list(dict.fromkeys(citations)),
    )


def _names(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _c1(ctx: Context) -> Iterator[Finding]:
    intake = ctx.facts.intake
    direction = intake.transfer.direction
    if direction == "inbound":
        yield _f(
            "C1.inbound-only",
            "info",
            "transfer.direction",
            "Data only comes into Vietnam. Receiving data from abroad is not a cross-border "
            "transfer under Law 91/2025 Art 20(1): no transfer impact assessment is needed.",
            "Re-assess if any data is ever sent, stored or processed abroad.",
            ctx.basis("C1.inbound-only"),
        )
        return
    if direction == "both":
        yield _f(
            "C1.inbound-leg",
            "info",
            "transfer.direction",
            "Data moves both ways. The inbound leg (from abroad into Vietnam) is not a transfer "
            "under Law 91/2025 Art 20(1); only the outbound leg is assessed here.",
            "Check the law of the sending country for the inbound leg (for Japan, APPI Art 28).",
            ctx.basis("C1.inbound-leg"),
        )
    doubtful = [code for code in ctx.app.limbs if code in ("T1", "T3")]
    countries = frozenset(r.country for r in intake.recipients)
    foreign = [
        g.name for g in intake.data.subject_groups if suggests_collected_abroad(g.name, countries)
    ]
    if doubtful and (direction == "both" or foreign):
        cites = [c for code in doubtful for c in ctx.rules.limb(code).citations]
        either = " The dossier is required under T2 either way." if "T2" in ctx.app.limbs else ""
        which = (
            f"subject groups such as {', '.join(repr(n) for n in foreign)} suggest people outside Vietnam"
            if foreign
            else "with data flowing both ways, some subject groups may have been collected abroad"
        )
        yield _f(
            "C1.collected-in-vietnam",
            "info",
            "data.subject_groups",
            f"{' and '.join(doubtful)} {'rests' if len(doubtful) == 1 else 'rest'} on data collected or stored in Vietnam; {which} (a "
            "round trip of foreign-origin data). Whether Art 20 applies to such data is UNCERTAIN "
            "(reference #11); the conservative reading keeps the limb." + either,
            "Legal to confirm where each subject group's data was collected.",
            cites,
        )
    if ctx.filing and intake.transferor.role in ("processor", "third_party"):
        yield _f(
            "C1.processor-files",
            "info",
            "transferor.role",
            f"The transferor acts as a {intake.transferor.role.replace('_', ' ')}. Decree 356/2025 "
            "Art 17(1) lists processors and third parties among transferors, so the conservative "
            "reading is that it files its own dossier (UNCERTAIN, reference #22).",
            "Agree with the controller, in the contract, who files and who keeps the dossier current.",
            ctx.basis("C1.processor-files"),
        )
    filing = next((d for d in ctx.deadlines if d.kind == "initial_filing"), None)
    if filing is not None and filing.status == "overdue":
        # Decree 330 fines it from 19 August 2026; the amounts are in the sanctions exposure.
        fined = ctx.rules.sanction("d330-56-1-b") is not None
        yield _f(
            "C1.filing-overdue",
            "high",
            "transfer.first_transfer_date",
            f"Unless it has already been filed, the dossier is late: the 60-day period ended on "
            f"{filing.legal_end.isoformat()} (due {filing.due.isoformat()})."
            + (
                " Not filing within 60 days is fined under Decree 330/2026 Art 56(1)(b) (see the "
                "sanctions exposure); the Decree's text is a secondary transcription not yet "
                "checked against the Gazette (UNCERTAIN, reference #12)."
                if fined
                else ""
            ),
            "File the dossier with cover Form 01a/01b now, by the route in force (see the filing "
            "channel), and record the filing date.",
            [*filing.citations, *ctx.basis("C1.filing-overdue")],
        )
    transition = ctx.rules.date_value("law_in_force")
    if ctx.filing and intake.transfer.first_transfer_date < transition.value:
        yield _f(
            "C1.transition",
            "high",
            "transfer.first_transfer_date",
            "The transfer began before Law 91/2025 took effect and no Decree 13/2023 dossier "
            "was received. Neither the Law nor the Decree sets a deadline for this case "
            "(UNCERTAIN, reference #10); the conservative reading counts 60 days from "
            f"{transition.value.isoformat()}.",
            "File the dossier now; legal to review the transition reading.",
            [*transition.citations, *ctx.basis("C1.transition")],
        )


def _c2(ctx: Context) -> Iterator[Finding]:
    intake = ctx.facts.intake
    claims = intake.transfer.exemption_claims
    index: dict[str, int] = {c.code: i for i, c in enumerate(claims)}
    for result in claim_results(intake, ctx.rules):
        law = ctx.rules.exemption(result.claim.code)
        subject = f"transfer.exemption_claims[{index[result.claim.code]}]"
        if result.unconfirmed:
            yield _f(
                "C2.claim-unconfirmed",
                "high",
                subject,
                f"The claimed exemption '{law.code}' ({law.label_en}) is not confirmed: its test "
                f"({law.test_en}) needs facts the file does not give: {', '.join(result.missing)}. "
                "No claim holds on its justification alone, so the dossier duty stands.",
                f"State {', '.join(result.missing)} in the intake and re-assess; until then the "
                "dossier must be filed.",
                law.citations,
            )
        elif not result.holds:
            yield _f(
                "C2.claim-rejected",
                "high",
                subject,
                f"The claimed exemption '{law.code}' ({law.label_en}) does not hold: "
                + "; ".join(result.reasons)
                + (
                    f"; the file does not give {', '.join(result.missing)} either"
                    if result.missing
                    else ""
                )
                + ".",
                "Drop the claim, or correct the facts if they are wrong; without an exemption "
                "the dossier must be filed.",
                [*law.citations, *result.citations],
            )
    if ctx.app.exemption:
        law = ctx.rules.exemption(ctx.app.exemption.code)
        yield _f(
            "C2.exempt-other-duties",
            "info",
            "transfer",
            "No transfer impact assessment dossier is needed, but the rest of the law still "
            "applies: a legal basis for the transfer (Law 91/2025 Art 17(1)), the Decree 356/2025 "
            "Art 7(1) transfer agreement, protection of sensitive data and security measures.",
            "Keep the exemption memo on file for inspections; keep the agreement and the "
            "security measures in place.",
            [*ctx.app.exemption.citations, *ctx.basis("C2.exempt-other-duties")],
        )
        if law.uncertain:
            yield _f(
                "C2.exemption-uncertain",
                "info",
                f"transfer.exemption_claims[{index[law.code]}]",
                f"The exemption '{law.code}' holds on the facts, but its scope is UNCERTAIN "
                f"(reference {law.uncertain}).",
                "Legal to confirm the reading relied on and keep its evidence with the memo.",
                law.citations,
            )
    prior = intake.transfer.prior_dossier
    if prior is not None:
        if not prior_dossier_counts(intake, ctx.rules):
            yield _f(
                "C2.prior-dossier",
                "info",
                "transfer.prior_dossier",
                f"The prior dossier {prior.reference} is dated {prior.received_on.isoformat()}, "
                f"after {ctx.facts.as_of.isoformat()}: it does not count yet.",
                "Re-assess once the dossier has been received.",
                ctx.basis("C2.prior-dossier", "not-yet-received"),
            )
        elif ctx.app.prior_dossier:
            covered = intake.transfer.first_transfer_date <= prior.received_on
            yield _f(
                "C2.prior-dossier",
                "info",
                "transfer.prior_dossier",
                f"No new dossier: the transferor's dossier {prior.reference} "
                f"({prior.regime}, received {prior.received_on.isoformat()}) stands, and "
                "changes are filed as updates under Law 91/2025 Art 22."
                + (
                    " The transfer began before that dossier was received: confirm that the "
                    "dossier declares it."
                    if covered
                    else " This transfer began after it, so it is a change (a new purpose or "
                    "party) for the next six-monthly update."
                ),
                "File the update (Form 03a/03b) by the periodic update deadline.",
                ctx.basis("C2.prior-dossier", prior.regime),
            )


def _c3(ctx: Context) -> Iterator[Finding]:
    t = ctx.facts.intake.transferor
    if t.size not in ("small", "startup", "micro", "household"):
        return
    if not (ctx.filing or ctx.app.prior_dossier):
        return
    large = ctx.rules.threshold("small_business_large_number")
    lost = []
    if runs_processing_service(ctx.facts):
        lost.append("it runs a personal data processing service business")
    if ctx.facts.intake.data.sensitive:
        lost.append("it processes sensitive personal data")
    if ctx.facts.basic_count >= large.value:
        lost.append(f"it processes data of {ctx.facts.basic_count:,} people (≥ {large.value:,})")
    # Art 38(2) / Art 41(1): small and start-up firms may choose; Art 38(3) / Art 41(2):
    # household and micro businesses need not apply Arts 21, 22 and 33(2).
    micro = t.size in ("micro", "household")
    relief_kind = "need not apply" if micro else "may choose not to apply"
    relief = (
        ("no relief from updates either: " + "; ".join(lost))
        if lost
        else (
            f"it {relief_kind} the Art 22 dossier updates, but whether that covers this dossier "
            "is UNCERTAIN (reference #7); the conservative reading keeps the update duties"
        )
    )
    yield _f(
        "C3.small-business",
        "info",
        "transferor.size",
        f"A {t.size} business has no relief from filing: Law 91/2025 Art 38 relieves "
        f"Arts 21, 22 and 33(2), not Art 20. As to updates, {relief}.",
        "File the dossier and keep it current.",
        ctx.basis("C3.small-business", "micro" if micro else "small"),
    )


def _c4(ctx: Context) -> Iterator[Finding]:
    codes = ctx.facts.sensitive_codes()
    if not codes:
        return
    cats = [ctx.rules.sensitive(c) for c in codes]
    rs = ctx.facts.recipients
    protected = all(r.encrypted_both for r in rs)
    names = "; ".join(f"{c.label_en} (Art 4(1)({c.item}))" for c in cats)
    # Say what the file shows of each recipient, never "not every" of one that said nothing.
    unsaid = [r.recipient.name for r in rs if not r.has_safeguards]
    refused = [r.recipient.name for r in rs if r.has_safeguards and r.encrypted_both is False]
    unclear = [r.recipient.name for r in rs if r.has_safeguards and r.encrypted_both is None]
    gaps = []
    if unsaid:
        gaps.append(
            f"{_names(unsaid)} {'has' if len(unsaid) == 1 else 'have'} not yet described "
            "its safeguards, so encryption is not attested"
        )
    if refused:
        gaps.append(f"{_names(refused)} does not encrypt the data both in transit and at rest")
    if unclear:
        gaps.append(f"{_names(unclear)} has not said whether it encrypts in transit and at rest")
    yield _f(
        "C4.sensitive-data",
        "medium" if protected else "high",
        "data.sensitive",
        f"Sensitive personal data is transferred: {names}, for "
        f"{ctx.facts.sensitive_count:,} people. It needs access-restriction rules, processing "
        "procedures and security measures (Decree 356/2025 Art 4(2)), and physical security, "
        "encryption and anonymisation while it is transferred (Art 7(2))."
        + ("" if protected else " " + "; ".join(gaps) + "."),
        "Document the access rules and procedures for the sensitive data; obtain the "
        "recipient's encryption commitment; anonymise or pseudonymise where the purpose allows.",
        [
            *(c for cat in cats for c in cat.citations if "Form" not in c),
            *ctx.basis("C4.sensitive-data"),
        ],
    )


def _c5(ctx: Context) -> Iterator[Finding]:
    cite = ctx.rules.criterion("C5").citations
    for rf in ctx.facts.recipients:
        r = rf.recipient
        if ctx.dossier and not rf.has_safeguards:
            yield _f(
                "C5.safeguards-pending",
                "high" if ctx.filing else "low",
                rf.subject,
                f"{r.name} has not yet described its safeguards: the recipient's protection "
                "level cannot be assessed (Form 09 §A.III.3) until it answers.",
                f"Send the safeguards questionnaire to {r.pdp_contact.name} "
                f"<{r.pdp_contact.email}>.",
                cite,
            )
            continue
        for j, cs in enumerate(rf.certs if ctx.dossier else ()):
            c = cs.cert
            where = f"{rf.subject}.safeguards.certifications[{j}]"
            if cs.expired:
                yield _f(
                    "C5.certification-expired",
                    "high",
                    where,
                    f"{r.name}'s {c.name} certificate expired on {c.expires_on.isoformat()}: "
                    "it is no evidence of the recipient's protection level any more.",
                    "Obtain the renewed certificate or another current audit report.",
                    cite,
                )
            elif cs.expiring:
                yield _f(
                    "C5.certification-expiring",
                    "medium",
                    where,
                    f"{r.name}'s {c.name} expires on {c.expires_on.isoformat()}, soon after "
                    f"{ctx.facts.as_of.isoformat()}.",
                    "Ask the recipient for the renewed report before it lapses.",
                    cite,
                )
        if rf.incident_hours_ok is False and r.safeguards is not None:
            hours = r.safeguards.incident_notification_hours
            limit = ctx.rules.threshold("incident_notification_hours")
            processor = r.role in ("processor", "sub_processor")
            yield _f(
                "C5.incident-notification-slow",
                "low" if hours is not None and hours <= limit.value else "medium",
                f"{rf.subject}.safeguards",
                f"{r.name} notifies breaches within {hours} hours. "
                + (
                    "As a processor it must tell the transferor promptly (kịp thời). "
                    if processor
                    else ""
                )
                + "Where a violation may harm national defence, national security, social order "
                "and safety, or the life, health, honour, dignity or property of data subjects, "
                f"the transferor must notify the specialised agency within {limit.value} hours of "
                f"detecting it (Law 91/2025 Art 23(1)): an allowance of {hours} hours leaves it "
                "no time to do so.",
                f"Agree breach notice to the transferor well within {limit.value} hours.",
                [*limit.citations, *(cite if ctx.dossier else ())],
            )


def _c6(ctx: Context) -> Iterator[Finding]:
    if not ctx.dossier:
        return  # the recipient's country is weighed in the dossier (Form 09 §A.III.3.4)
    crit = ctx.rules.criterion("C6")
    for rf in ctx.facts.recipients:
        s = rf.recipient.safeguards
        if s is None:
            continue
        missing = [
            label
            for label, value in (
                ("its data protection law and regulator", s.local_law),
                ("how it answers public authorities' requests", s.government_access_policy),
            )
            if not value
        ]
        if missing:
            yield _f(
                "C6.country-law-unknown",
                "low",
                f"{rf.subject}.safeguards",
                f"{rf.recipient.name} ({rf.recipient.country}) has not stated "
                + " or ".join(missing)
                + ". Vietnam keeps no list of adequate countries, so "
                "the country factor is inferred (UNCERTAIN, reference #21).",
                "Ask the recipient to describe its local law and its government-access policy.",
                crit.citations,
            )


def _c7(ctx: Context) -> Iterator[Finding]:
    for rf in ctx.facts.recipients:
        r = rf.recipient
        if not rf.has_contract:
            cloud = ctx.basis("C7.no-contract", "cloud") if rf.is_cloud else ()
            yield _f(
                "C7.no-contract",
                ctx.downgrade("blocker"),
                rf.subject,
                f"There is no contract or other binding instrument with {r.name}. "
                + (
                    "The dossier must include a copy of it (Decree 356/2025 Art 18(2)(b)) and "
                    "it must state the Art 7(1) elements."
                    if ctx.dossier
                    else "A transfer needs an agreement with the recipient that states the "
                    "Decree 356/2025 Art 7(1) elements."
                ),
                "Sign a transfer agreement covering Decree 356/2025 Art 7(1)(a)-(g)"
                + (" and the Art 12(2) cloud clauses" if rf.is_cloud else "")
                + ".",
                [*ctx.basis("C7.no-contract", "dossier" if ctx.dossier else "no-dossier"), *cloud],
            )
            continue
        assert r.contract is not None
        if ctx.dossier and not rf.contract_copy:
            yield _f(
                "C7.contract-copy-missing",
                ctx.downgrade("blocker", without_filing="low"),
                f"{rf.subject}.contract",
                f"No copy of the contract \u201c{r.contract.reference}\u201d is attached; the dossier "
                "must include one.",
                "Attach a copy of the signed contract (contract.path).",
                ctx.basis("C7.contract-copy-missing"),
            )
        if rf.missing_art7:
            letters = ", ".join(f"({c.letter}) {c.label_en}" for c in rf.missing_art7)
            yield _f(
                "C7.contract-missing-elements",
                "high",
                f"{rf.subject}.contract.clauses",
                f"The contract \u201c{r.contract.reference}\u201d with {r.name} lacks Decree 356/2025 "
                f"Art 7(1) elements: {letters}.",
                "Amend the contract to state every Art 7(1) element.",
                [c for cl in rf.missing_art7 for c in cl.citations],
            )
        if rf.missing_cloud:
            letters = ", ".join(f"({c.letter}) {c.label_en}" for c in rf.missing_cloud)
            yield _f(
                "C7.cloud-clauses-missing",
                "high",
                f"{rf.subject}.contract.clauses",
                f"{r.name} provides a cloud service to the transferor; the contract lacks "
                f"Decree 356/2025 Art 12(2) clauses: {letters}.",
                "Add the Art 12(2) cloud clauses to the contract.",
                [c for cl in rf.missing_cloud for c in cl.citations],
            )


def _c8(ctx: Context) -> Iterator[Finding]:
    if not ctx.dossier:
        return  # the onward-transfer procedure is a content of the dossier (Art 18(3)(g))
    onward = ctx.facts.intake.transfer.onward_transfer
    cite = ctx.rules.criterion("C8").citations
    if onward is None or (onward.allowed and not onward.procedure):
        yield _f(
            "C8.onward-undocumented",
            "medium",
            "transfer.onward_transfer",
            "The dossier must describe how the recipient may pass the data on to third "
            "parties; the intake does not.",
            "Document the onward-transfer procedure (approval or notice of each new "
            "sub-recipient) and bind the recipient to it.",
            cite,
        )


def _c9(ctx: Context) -> Iterator[Finding]:
    crit = ctx.rules.criterion("C9")
    for rf in ctx.facts.recipients:
        if rf.is_cloud and rf.has_safeguards and rf.encrypted_both is not True:
            said = (
                "does not encrypt" if rf.encrypted_both is False else "has not confirmed encryption"
            )
            yield _f(
                "C9.cloud-encryption",
                "high",
                f"{rf.subject}.safeguards",
                f"{rf.recipient.name} {said} of the data at rest and in transit; personal data "
                "on a cloud service must be encrypted in both states with strict access rights.",
                "Require encryption at rest and in transit (or encrypt before upload, with keys "
                "kept by the transferor) and tiered access.",
                ctx.basis("C9.cloud-encryption"),
            )
    if ctx.dossier and not ctx.facts.intake.security.measures:
        yield _f(
            "C9.measures-missing",
            "medium",
            "security.measures",
            "The transferor's plan for keeping the data safe (Form 09 §A.II.9.1) is not described.",
            "Describe the technical, management and training measures in place.",
            crit.citations,
        )


def _c10(ctx: Context) -> Iterator[Finding]:
    g = ctx.facts.intake.governance
    dossier = "dossier" if ctx.dossier else "no-dossier"
    if g.legal_basis is None:
        yield _f(
            "C10.no-legal-basis",
            "high",
            "governance.legal_basis",
            "The legal basis of the transfer is not stated: consent (Law 91/2025 Art 9) or a "
            "case where consent is not needed (Art 19(1)).",
            "State the legal basis and keep its evidence.",
            ctx.basis("C10.no-legal-basis", dossier),
        )
    elif g.legal_basis == "consent" and not g.consent_method:
        yield _f(
            "C10.consent-method-missing",
            "medium",
            "governance.consent_method",
            "The transfer rests on consent but the way consent is obtained is not described.",
            "Describe how consent is collected, per purpose, in a verifiable form.",
            ctx.basis("C10.consent-method-missing", dossier),
        )
    if g.legal_basis == "consent" and consent_findings_in_self_assessment(ctx.facts):
        assert g.self_assessment is not None
        yield _f(
            "C10.self-assessment-consent",
            "medium",
            "governance.self_assessment.result",
            "The transferor's own self-assessment records findings on consent "
            f"(\u201c{g.self_assessment.result}\u201d): the consent the transfer rests on is not "
            "shown to meet Law 91/2025 Art 9 until they are resolved.",
            "Resolve the consent findings and record the result in the self-assessment.",
            ctx.basis("C10.self-assessment-consent"),
        )
    yield from _policy_disclosures(ctx)


# The finding each disclosure item raises when the transferor's published policies do not
# disclose it (dtia/law/data/policy_items.yaml); current_law is the outdated-policy finding.
ITEM_FINDINGS: dict[str, str] = {
    "transfer_abroad": "C10.policy-silent-on-transfer",
    "destination_countries": "C10.policy-lacks-countries",
    "recipients": "C10.policy-lacks-recipients",
    "transfer_purpose": "C10.policy-lacks-purpose",
    "data_categories": "C10.policy-lacks-data-types",
    "processing_purposes": "C10.policy-lacks-uses",
    "data_subject_rights": "C10.policy-lacks-rights",
    "retention": "C10.policy-lacks-retention",
    "controller_contact": "C10.policy-lacks-contact",
}
# What Decree 330/2026 Art 56(2)(b) fines not telling data subjects: that their data goes
# abroad, to whom and for what (sanctions.yaml maps these findings to it).
TRANSFER_ITEMS = frozenset({"transfer_abroad", "recipients", "transfer_purpose"})


def _where(p: Passage) -> str:
    return f"p.{p.page} line {p.line}" if p.page is not None else f"line {p.line}"


def _quoted(passages: list[Passage], shown: int = 2) -> str:
    out = "; ".join(f"{_where(p)}: \u201c{p.quote}\u201d" for p in passages[:shown])
    return out + (f" (and {len(passages) - shown} more)" if len(passages) > shown else "")


def _policy_disclosures(ctx: Context) -> Iterator[Finding]:
    """One finding per item the transferor's published policies do not disclose, each with
    the policies read, where the check looked and what the policy must add. An outdated
    policy is read too (what it lacks is said), but only a current one counts as told."""
    read = ctx.facts.policies_read()
    if not read:
        return
    g = ctx.facts.intake.governance
    consent = g.legal_basis == "consent"
    case = "consent" if consent else "other-basis"
    # Named by title (the subject and the disclosure table give the file): a long path is
    # a word the dossier's findings table cannot break.
    titles = ", ".join(f"\u201c{d.title}\u201d" for d in read)
    subject = read[0].document if len(read) == 1 else "transferor.policies"
    sanctions_decree = next(
        i.short for i in ctx.rules.files.instruments if i.id == "decree-330-2026"
    )
    for key, finding_id in ITEM_FINDINGS.items():
        found = [(d, i) for d in read for i in d.items if i.key == key]
        if not found:
            continue
        spec = found[0][1]
        told = [(d, i) for d, i in found if i.disclosed]
        told_current = [(d, i) for d, i in told if not d.outdated]
        missing: list[str] = []
        if key == "data_subject_rights" and told:
            named = {r for _, i in told for r in i.details}
            missing = [r for r in told[0][1].missing if r not in named]
        if told_current and not missing:
            continue
        if told:
            parts = []
            if missing:
                where = "; ".join(_quoted(i.evidence) for _, i in told)
                parts.append(
                    f"It names some rights ({where}) but not these Law 91/2025 Art 4(1) "
                    f"rights: {', '.join(missing)}."
                )
            if not told_current:
                # Disclosed only by an outdated policy: not told by a current one.
                where = "; ".join(
                    f"\u201c{d.title}\u201d {_quoted(i.evidence, 1)}" for d, i in told
                )
                parts.append(
                    (
                        "Only an outdated policy discloses it"
                        if not missing
                        else "That policy is outdated"
                    )
                    + ("" if missing else f" ({where})")
                    + ", and an outdated policy is not the transferor's current policy (see "
                    "C13.policy-outdated)."
                )
            said = " ".join(parts)
        else:
            contrary = [(d, p) for d, i in found for p in i.contrary]
            said = (
                "Not found in "
                + ", ".join(f"\u201c{d.title}\u201d" for d, _ in found)
                + "."
                + (
                    " "
                    + "; ".join(
                        f"{_where(p)} says the opposite: \u201c{p.quote}\u201d"
                        for d, p in contrary[:2]
                    )
                    + "."
                    if contrary
                    else ""
                )
            )
        notes = [n for _, i in found for n in i.notes if i.disclosed is not None]
        why = (
            " Data subjects are not told of the transfer"
            + (" by a current policy" if told else "")
            + (
                ", so their consent to it is not informed (Law 91/2025 Art 9(2))."
                if consent
                else " (their right to know of the processing, Law 91/2025 Art 4(1)(a))."
            )
            if key in TRANSFER_ITEMS
            else ""
        )
        severity: Severity = "medium" if key in TRANSFER_ITEMS else "low"
        basis = (
            ctx.basis("C10.policy-silent-on-transfer", case)
            if key == "transfer_abroad"
            else ctx.basis("C10.policy-lacks-item", case)
        )
        # The item by its label (its key is in the disclosure table): a key such as
        # destination_countries is a word the dossier's findings table lays out too wide.
        yield _f(
            finding_id,
            severity,
            subject,
            f"{spec.label} is not {'fully ' if missing else ''}disclosed by the "
            f"published {'policy' if len(read) == 1 else 'policies'} {titles}. {said}{why}"
            + (f" Note: {'; '.join(dict.fromkeys(notes))}." if notes else ""),
            f"Update the privacy policy: {spec.remedy}"
            + (f" Name also the rights {', '.join(missing)}." if missing else ""),
            # Decree 330's fine is the exposure's to cite (and the filed dossier's risk summary
            # prints no finding citing it): the finding rests on the duty to inform.
            [*(c for c in spec.citations if not c.startswith(sanctions_decree)), *basis],
        )


def _outdated_policies(ctx: Context) -> Iterator[Finding]:
    """A published policy that cites no law in force (only Decree 13/2023, or none) is
    outdated evidence: a finding, and it is not counted as the transferor's current policy."""
    read = ctx.facts.policies_read()
    outdated = [d for d in read if d.outdated]
    if not outdated:
        return
    none_current = not ctx.facts.current_policies()
    case = "dossier" if ctx.dossier else "no-dossier"
    for d in outdated:
        law = next(i for i in d.items if i.key == "current_law")
        cited = "; ".join(law.notes) or "it cites no personal data protection law"
        lacking = [i.label for i in d.items if i.disclosed is False and i.key in ITEM_FINDINGS]
        yield _f(
            "C13.policy-outdated",
            "high" if none_current and ctx.dossier else "medium",
            d.document,
            f"The published policy \u201c{d.title}\u201d is outdated evidence: {cited}. "
            f"On {ctx.facts.as_of.isoformat()} a policy must be written under Law 91/2025 and "
            "Decree 356/2025; this one is not counted as the transferor's current policy"
            + (
                ", and no current policy remains"
                + (" for the dossier's policies component" if ctx.dossier else "")
                if none_current
                else ""
            )
            + "."
            + (f" Besides, it does not disclose: {', '.join(lacking)}." if lacking else ""),
            f"{law.remedy} Publish the revised policy and attach it in place of this one.",
            [*law.citations, *ctx.basis("C13.policy-outdated", case)],
        )


def _c11(ctx: Context) -> Iterator[Finding]:
    limit = ctx.rules.threshold("data_subject_request_days")
    for rf in ctx.facts.recipients:
        s = rf.recipient.safeguards
        if rf.dsr_days_ok is False and s is not None:
            yield _f(
                "C11.dsr-slow",
                "medium",
                f"{rf.subject}.safeguards",
                f"{rf.recipient.name} executes relayed data-subject requests in "
                f"{s.data_subject_request_days} days; requests through a processor or third "
                f"party must be carried out within {limit.value} days.",
                f"Agree a turnaround within {limit.value} days.",
                [*limit.citations, *ctx.basis("C11.dsr-slow")],
            )


def _c12(ctx: Context) -> Iterator[Finding]:
    g = ctx.facts.intake.governance
    missing = [
        name for name, value in (("retention", g.retention), ("deletion", g.deletion)) if not value
    ]
    if missing:
        yield _f(
            "C12.retention-missing",
            "medium",
            "governance",
            f"The {' and '.join(missing)} rules are not described"
            + (
                " (Form 09 §A.II.4-5)."
                if ctx.dossier
                else "; the transfer agreement must state the processing period and deletion "
                "after the purpose (Decree 356/2025 Art 7(1)(c))."
            ),
            "Describe them and attach the retention and deletion policy.",
            ctx.rules.criterion("C12").citations
            if ctx.dossier
            else ctx.basis("C12.retention-missing", "no-dossier"),
        )


def _c13(ctx: Context) -> Iterator[Finding]:
    t = ctx.facts.intake.transferor
    pdp = t.pdp
    if pdp.kind == "internal" and not pdp.appointment_document:
        yield _f(
            "C13.dpo-appointment-missing",
            "high" if ctx.filing else "low",
            "transferor.pdp.appointment_document",
            (
                "The appointment decision of the internal data protection unit or person (and "
                "proof of the Decree 356/2025 Art 13 conditions) must be attached to Form 09 "
                "§A.I.8.3."
                if ctx.dossier
                else "The internal data protection unit or person must be appointed by an "
                "official document of the organisation (Decree 356/2025 Art 13(1)); none is "
                "given."
            ),
            "Attach the appointment decision and the qualification evidence.",
            ctx.basis("C13.dpo-appointment-missing", "dossier" if ctx.dossier else "no-dossier"),
        )
    if not ctx.dossier:
        return  # the rest are components of the dossier and its updates
    if pdp.kind != "internal":
        field = "A.I.8.1" if pdp.kind == "external_org" else "A.I.8.2"
        contract = (
            "its service contract is attached"
            if pdp.service_contract
            else "its service contract is NOT attached"
        )
        yield _f(
            "C13.external-pdp-provider",
            "info" if pdp.service_contract else "high",
            "transferor.pdp",
            f"Data protection is handled by an external provider, {pdp.name} (Form 09 "
            f"§{field}); {contract}. A change in the provider's information must be notified "
            "within 10 days.",
            "Keep the service contract attached and current.",
            ctx.basis("C13.external-pdp-provider", pdp.kind),
        )
    if ctx.facts.intake.governance.self_assessment is None:
        yield _f(
            "C13.no-self-assessment",
            "medium",
            "governance.self_assessment",
            "The transferor's self-assessment of compliance (form, date, result) is missing.",
            "Carry out and record a compliance self-assessment.",
            ctx.basis("C13.no-self-assessment"),
        )
    if not t.policies:
        yield _f(
            "C13.no-policies",
            ctx.downgrade("blocker", without_filing="low"),
            "transferor.policies",
            "No data protection policy of the transferor is listed; the policies, procedures "
            "and templates are a component of the dossier.",
            "List and attach the published policy and internal procedures.",
            ctx.basis("C13.no-policies"),
        )


def _c14(ctx: Context) -> Iterator[Finding]:
    if ctx.dossier and not ctx.facts.intake.business.necessity:
        yield _f(
            "C14.necessity-missing",
            "medium",
            "business.necessity",
            "Why the transfer is necessary is not explained (Form 09 §A.III.1).",
            "Explain the business need and the current processing practice.",
            ctx.rules.criterion("C14").citations,
        )


def _c15(ctx: Context) -> Iterator[Finding]:
    b = ctx.facts.intake.business
    if runs_processing_service(ctx.facts):
        basis = ctx.basis("C15.processing-service")
        ticked = [
            s.label_en
            for s in ctx.rules.files.processing_services
            if s.code in b.processing_services
        ]
        mismatch = processing_service_mismatch(ctx.facts)
        # Resolution 22/2026 cuts the certificate application from 29 April 2026 to 1 March 2027.
        cut = any(c.startswith("Resolution 22/2026") for c in basis)
        yield _f(
            "C15.processing-service",
            "medium" if mismatch else "info",
            "business.processing_service_business",
            "The transferor runs a personal data processing service business"
            + (f" ({'; '.join(ticked)})" if ticked else "")
            + ". It must meet the conditions of Decree 356/2025 Art 22: an organisation or "
            "enterprise established under Vietnamese law; a head of processing expertise who is a "
            "Vietnamese citizen residing in Vietnam, a qualified management team and at least "
            "three staff meeting the Art 13(2) conditions; suitable infrastructure, equipment and "
            "technology; and impact assessment dossiers judged to meet the requirements. It must "
            "hold the certificate of eligibility to run the business, issued by the Ministry of "
            "Public Security (Art 24(1)) on an application under Art 25"
            + (
                ", whose contents Resolution 22/2026 App I.7 §A.IV cuts until 1 March 2027"
                if cut
                else ""
            )
            + ". No small-business relief applies (Law 91/2025 Art 38(2))."
            + (f" The answers disagree: {mismatch}." if mismatch else ""),
            "Tick in Form 09 §A.II.8 the services offered, keep the certificate and the evidence "
            "of the Art 22 conditions with the dossier."
            if mismatch or not ticked
            else "Keep the certificate and the evidence of the Art 22 conditions with the dossier.",
            basis,
        )
    if b.data_exchange_trading:
        yield _f(
            "C15.data-exchange",
            "info",
            "business.data_exchange_trading",
            "The transferor trades on a data exchange: personal data must be de-identified "
            "before it is traded (Decree 356/2025 Art 7(5)).",
            "Make sure the dossier declares it (Form 09 §A.II.7) and that traded data is "
            "de-identified.",
            ctx.basis("C15.data-exchange"),
        )
    if b.domestic_transfer_for_fee:
        yield _f(
            "C15.transfer-for-fee",
            "info",
            "business.domestic_transfer_for_fee",
            "The transferor transfers personal data for a fee: consent for each transfer and the "
            "other safeguards of Decree 356/2025 Art 7(3) apply.",
            "Make sure the dossier declares it (Form 09 §A.II.6) and the Art 7(3) safeguards "
            "are in place.",
            ctx.basis("C15.transfer-for-fee"),
        )


def _c16(ctx: Context) -> Iterator[Finding]:
    if not (ctx.facts.national_security and ctx.filing):
        return
    basic = ctx.rules.threshold("national_security_basic")
    sens = ctx.rules.threshold("national_security_sensitive")
    why = []
    if ctx.facts.basic_count > basic.value:
        why.append(f"basic data of {ctx.facts.basic_count:,} > {basic.value:,} people")
    if ctx.facts.sensitive_count > sens.value:
        why.append(f"sensitive data of {ctx.facts.sensitive_count:,} > {sens.value:,} people")
    # Volume alone brings no stop order: Decree 356 Art 17(2) and Law 91 Art 20(5) tie it to
    # harmful use or a violation that may harm national defence and security.
    yield _f(
        "C16.national-security",
        "medium",
        "data",
        "The impact on national security and public order must be assessed (Form 09 "
        f"§A.III.2.3): {' and '.join(why)}.",
        "Write §A.III.2.3 in its five steps and keep the volumes current.",
        [*basic.citations, *sens.citations],
    )


def _c17(ctx: Context) -> Iterator[Finding]:
    facts = ctx.facts
    if facts.data_class != "ordinary":
        kind = facts.data_class
        left_out = (
            f" Groups whose names point at people abroad ({', '.join(facts.foreign_groups)}) "
            "are not counted as citizens."
            if facts.foreign_groups
            else ""
        )
        yield _f(
            "C17.important-data",
            "info",
            "data",
            f"At these volumes (basic data of {facts.citizen_basic_count:,} and sensitive data "
            f"of {facts.citizen_sensitive_count:,} Vietnamese citizens) the data may be {kind} "
            "data under the Law on Data (thresholds of Decision 20/2025, which count citizens' "
            f"data).{left_out} Being personal data, it stays on the Form 09 track: no separate "
            "Decree 165/2025 assessment.",
            "Record the classification; watch the volumes.",
            ctx.basis("C17.important-data"),
        )


def _post_transfer_duties(ctx: Context) -> Iterator[Finding]:
    """Duties after the transfer that Decree 330/2026 makes finable and Form 09 does not ask
    about: each is raised with its remedy, more severe where the file shows the means lacking.
    """
    intake = ctx.facts.intake
    rs = ctx.facts.recipients
    declared = "the dossier declares" if ctx.dossier else "this file records"
    if ctx.rules.has_basis("C13.recipient-contact-notice"):
        channel = ctx.rules.filing_channel("initial_filing")
        contacts = "; ".join(
            f"{rf.recipient.name}: {rf.recipient.pdp_contact.name} <{rf.recipient.pdp_contact.email}>"
            for rf in rs
        )
        yield _f(
            "C13.recipient-contact-notice",
            "info",
            "recipients",
            "After the transfer, the information and contact details of each recipient's data "
            f"protection unit or person must be notified ({contacts}): Decree 330/2026 "
            "Art 56(1)(e) fines not doing so, and Form 09 does not ask for it. Neither Law 91 nor "
            "Decree 356 says to whom or when, as Decree 13/2023 Art 25(4) once did (UNCERTAIN); "
            f"the conservative reading notifies {channel.receiving_body_en} (the body that now "
            "receives the dossier) in writing once the first transfer has taken place, and again "
            "when a contact changes.",
            "Send the written notice of each recipient's data protection contact after the first "
            "transfer, keep proof of it, and repeat it when a contact changes.",
            ctx.basis("C13.recipient-contact-notice"),
        )
    case = "dossier" if ctx.dossier else "no-dossier"
    if ctx.rules.has_basis("C8.onward-control", case):
        onward = intake.transfer.onward_transfer
        loose = [rf.recipient.name for rf in rs if not rf.has_onward_clause]
        allowed = onward is None or onward.allowed
        if loose:
            verb = "is" if len(loose) == 1 else "are"
            message = (
                f"{_names(loose)} {verb} not bound by an onward-transfer clause"
                + (
                    ", although the file allows onward transfers or does not say"
                    if allowed
                    else ", although the file says onward transfers are not allowed"
                )
                + ": Decree 330/2026 Art 56(1)(g) fines having no mechanism to control, or not "
                "requiring the recipient to follow the procedure for, onward transfers to third "
                "parties, where Vietnamese citizens' data is then processed beyond what "
                f"{declared}."
            )
            severity: Severity = "medium" if allowed else "low"
        else:
            message = (
                "Every recipient is bound by an onward-transfer clause. Decree 330/2026 "
                "Art 56(1)(g) fines a transferor whose recipient passes Vietnamese citizens' data "
                f"on beyond what {declared}: the control must keep working after the transfer."
            )
            severity = "info"
        yield _f(
            "C8.onward-control",
            severity,
            "transfer.onward_transfer",
            message,
            "Bind each recipient to the onward-transfer procedure (prior approval or notice of "
            "each new sub-recipient, the same obligations passed on), and check its list of "
            f"sub-recipients against what {declared} at each update.",
            ctx.basis("C8.onward-control", case),
        )
    if ctx.rules.has_basis("C5.recipient-breach-response"):
        silent = [
            rf.recipient.name
            for rf in rs
            if (
                rf.recipient.safeguards is None
                or rf.recipient.safeguards.incident_notification_hours is None
            )
            and not (
                rf.recipient.contract and "breach_cooperation" in rf.recipient.contract.clauses
            )
        ]
        fined = ctx.rules.sanction("d330-56-2-e") is not None
        have = "has" if len(silent) == 1 else "have"
        yield _f(
            "C5.recipient-breach-response",
            "medium" if silent else "info",
            "recipients",
            "When a violation or a leak of personal data occurs at a recipient, the transferor "
            "must notify the specialised agency and make the recipient stop processing and prevent "
            "the damage (Law 91/2025 Art 23(3)(a), Art 23(4))"
            + (
                "; failing to do either is fined under Decree 330/2026 Art 56(2)(e), and Form 09 "
                "does not ask how it is done"
                if fined
                else ""
            )
            + "."
            + (
                f" {_names(silent)} {have} neither agreed breach cooperation in the contract "
                "(Decree 356/2025 Art 7(1)(g)) nor said how fast it notifies a breach, so the "
                "transferor may not learn of one in time."
                if silent
                else ""
            ),
            "Keep a breach procedure for each recipient: its prompt notice to the transferor, the "
            "transferor's notice to the specialised agency, and a written demand that the "
            "recipient stop processing and contain the damage.",
            ctx.basis("C5.recipient-breach-response"),
        )


def _local_copy(ctx: Context) -> Iterator[Finding]:
    """Decree 333/2026 Arts 19-20: a domestic telecom, Internet or cloud provider keeps its
    users' data in Vietnam; a copy abroad is allowed but is a cross-border transfer."""
    intake = ctx.facts.intake
    t = intake.transferor
    if t.kind != "organisation" or t.state_agency:
        return  # the duty binds enterprises ("doanh nghiệp trong nước", Art 19(2))
    copy = intake.data.local_copy
    case = "kept" if copy else "absent" if copy is False else "unknown"
    if not ctx.rules.has_basis("C16.local-copy", case):
        return  # Decree 333/2026 is in force from 19 August 2026
    lines = [line for b in t.business_lines if (line := ctx.rules.localisation_line(b.code))]
    if not lines:
        return
    kinds = ctx.rules.service_user_kinds()
    countries = frozenset(r.country for r in intake.recipients)
    users = [
        g
        for g in intake.data.subject_groups
        if g.kind in kinds and not suggests_collected_abroad(g.name, countries)
    ]
    if not users:
        return
    months = ctx.rules.threshold("local_storage_months")
    sectors = sorted({line.sector for line in lines})
    words = {"telecom": "telecom", "internet": "Internet", "cloud": "cloud or hosting"}
    message = (
        f"As a domestic enterprise providing {' and '.join(words[x] for x in sectors)} services "
        f"(business line {', '.join(line.code for line in lines)}), the transferor must store in "
        "Vietnam its service users' personal information and the data they create (account "
        "name, time of use, credit card information, email address, last login and logout IP "
        "address, registered phone number) (Decree 333/2026 Art 19(1), Art 19(2)), in a form it "
        "chooses but retrievable when the authorities ask (Art 19(5)), for at least "
        f"{months.value} months (Art 20(1)). Users concerned: "
        + ", ".join(f"{g.name} ({g.count:,})" for g in users)
        + "."
    )
    if case == "kept":
        severity: Severity = "info"
        message += (
            " The file states that a complete copy stays in Vietnam: Decree 333 does not forbid "
            "the copy abroad, which is a cross-border transfer (Law 91/2025 Art 20(1)(a)); that "
            "a replica abroad is acceptable is the reading of the text, with no guidance yet "
            "(UNCERTAIN, 2026 note §3.3)."
        )
        remedy = (
            f"Keep the copy in Vietnam complete and retrievable, each record for at least "
            f"{months.value} months."
        )
    elif case == "unknown":
        severity = "medium"
        message += (
            " The file does not say whether a complete copy stays in Vietnam (data.local_copy): "
            "data held only abroad would breach Art 19(2)."
        )
        remedy = (
            "Confirm that a complete, retrievable copy of these users' data stays in Vietnam and "
            "record it (data.local_copy: true), or store one there."
        )
    else:
        severity = "high"
        message += (
            " The file says no complete copy stays in Vietnam (data.local_copy is false): holding "
            "these users' data only abroad breaches Art 19(2)."
        )
        remedy = (
            f"Store a complete, retrievable copy of these users' data in Vietnam, each record "
            f"kept for at least {months.value} months."
        )
    message += (
        " How far the duty reaches websites and software services, and when a domestic "
        "enterprise's storage period starts, are UNCERTAIN (2026 note §3.1-§3.2); the "
        "conservative reading stores continuously."
    )
    yield _f(
        "C16.local-copy",
        severity,
        "data.local_copy",
        message,
        remedy,
        [*ctx.basis("C16.local-copy", case), *months.citations],
    )


RULES: tuple[Callable[[Context], Iterator[Finding]], ...] = (
    _c1,
    _c2,
    _c3,
    _c4,
    _c5,
    _c6,
    _c7,
    _c8,
    _c9,
    _c10,
    _c11,
    _c12,
    _c13,
    _c14,
    _c15,
    _c16,
    _c17,
    _post_transfer_duties,
    _local_copy,
    _outdated_policies,
)


def findings(
    facts: Facts, app: Applicability, rules: Rules, deadlines: list[Deadline]
) -> list[Finding]:
    ctx = Context(facts, app, rules, deadlines)
    if not app.cross_border_transfer:
        found = list(_c1(ctx))
    else:
        found = [f for rule in RULES for f in rule(ctx)]
    return sorted(
        found, key=lambda f: (SEVERITY_ORDER[f.severity], int(f.criterion[1:]), f.id, f.subject)
    )


def pending(facts: Facts, app: Applicability) -> list[Pending]:
    items: list[Pending] = []
    if not (app.dossier_required or app.prior_dossier):
        return items  # the questionnaire feeds Form 09 §A.III.3; without a dossier nothing waits
    for rf in facts.recipients:
        if not rf.has_safeguards:
            items.append(
                Pending(
                    kind="recipient_safeguards",
                    recipient=rf.recipient.id,
                    message=f"safeguards questionnaire for {rf.recipient.name}",
                )
            )
    return items


def reviews(app: Applicability) -> list[Pending]:
    """What legal must still confirm before the outcome can be relied on."""
    items: list[Pending] = []
    if app.exemption and app.exemption.tested_on == "justification":
        items.append(
            Pending(kind="legal_review", message=f"confirm the exemption '{app.exemption.code}'")
        )
    return items
