"""What the findings may cost, and the duties that run on after the transfer (pure).

For each finding that matches a violation Decree 330/2026 sanctions (law data
``sanctions.yaml``): the clause, the fine for the transferor's kind of party, the ceiling,
the revenue-based fine of Art 56(3)-(4) where the act leads to a leak, the additional and
remedial measures and the limitation period. This is internal: the filed dossier never
prints it. The filing channel in force on ``as_of`` and the continuing duties come from here
too, so the report, the JSON and the exemption memo say the same.
"""

from __future__ import annotations

from datetime import timedelta

from dtia.assessment import (
    Applicability,
    Deadline,
    Duty,
    Exposure,
    FilingChannel,
    Finding,
    Fine,
    Measure,
    RevenueFine,
)
from dtia.facts import Facts
from dtia.law import Rules
from dtia.law.models import FilingChannel as ChannelRule
from dtia.law.models import Party, Sanction

# The findings that state a duty running on after the transfer (the memo's continuing duties).
DUTY_FINDINGS = (
    "C13.recipient-contact-notice",
    "C8.onward-control",
    "C5.recipient-breach-response",
    "C16.local-copy",
)

CHANNEL_WORDS = {
    "online": "online",
    "national_public_service_portal": "through the National Public Service Portal",
    "in_person": "in person",
    "post": "by post",
}


def vnd(amount: int) -> str:
    return f"VND {amount:,}"


def party_of(facts: Facts, rules: Rules) -> tuple[Party, tuple[str, ...]]:
    """Who is fined: an individual, or an organisation (a household business is fined as an
    individual, Decree 330 Art 2(3)), with the citations of that choice."""
    t = facts.intake.transferor
    if t.kind == "individual":
        return "individual", ()
    as_individual = rules.fined_as_individual(t.size)
    return ("individual", as_individual) if as_individual else ("organisation", ())


def _matches(sanction: Sanction, finding: Finding) -> bool:
    if finding.id not in sanction.findings:
        return False
    if sanction.when_cites and not set(sanction.when_cites) & set(finding.citations):
        return False
    return not sanction.when_severity or finding.severity in sanction.when_severity


def _fine(sanction: Sanction, party: Party, rules: Rules) -> tuple[Fine, tuple[str, ...]]:
    scale = rules.fine_scale(sanction.domain)
    low, high = sanction.fine_min_vnd, sanction.fine_max_vnd
    if scale.stated_for != party:
        low, high = (low // 2, high // 2) if scale.other_pays == "half" else (low * 2, high * 2)
    return Fine(min_vnd=low, max_vnd=high), scale.citations


def _ceiling(sanction: Sanction, party: Party, rules: Rules) -> tuple[str, tuple[str, ...]]:
    cap = rules.fine_cap(sanction.cap)
    if party == "individual":
        return f"at most {vnd(cap.individual_vnd)} for an individual", cap.citations
    if cap.revenue_percent is None:
        return f"at most {vnd(cap.organisation_vnd)} for an organisation", cap.citations
    return (
        f"at most {cap.revenue_percent}% of the organisation's revenue of the preceding year, or "
        f"{vnd(cap.organisation_vnd)} where it has no such revenue or the percentage is less",
        cap.citations,
    )


def _measures(codes: tuple[str, ...], rules: Rules) -> list[Measure]:
    return [
        Measure(code=m.code, kind=m.kind, label=m.label_en, citations=list(m.citations))
        for m in (rules.measure(code) for code in codes)
    ]


def _revenue_fine(facts: Facts, party: Party, rules: Rules) -> RevenueFine | None:
    """Art 56(3)-(4): a transfer without a dossier that leads to a leak of Vietnamese
    citizens' data, banded by the citizens whose data is transferred (all of it may leak)."""
    people = facts.citizen_basic_count
    band = rules.revenue_band(people)
    if band is None:
        return None
    three, four = band.citations[0], band.citations[1]
    notes = [
        "The revenue counted differs by reading (UNCERTAIN, reference #5): Art 56(3) counts the "
        "preceding financial year's revenue in the Vietnamese market, Art 7(4)(b) and Law 91 "
        "the organisation's revenue of the preceding year; keep both figures.",
        "Only where the transfer without a dossier (or a concealed or misdeclared flow) leads "
        "to a leak or loss of the data; without a leak the clause-1 fine applies.",
        f"The fixed amounts of {four} apply where the organisation has no revenue in Vietnam in "
        "the preceding financial year or the percentage is below VND 3,000,000,000; whether the "
        "lower or the upper percentage is compared is UNCERTAIN (2026 note §2.4(b)), and the "
        "result does not rise steadily with revenue.",
    ]
    low, high = band.fallback_min_vnd, band.fallback_max_vnd
    if party == "individual":
        # Art 56(3) fines organisations; whether Art 56(4) reaches individuals at half is not
        # said: the conservative reading shows half of it (2026 note §2.3).
        low, high = low // 2, high // 2
        notes.append(
            "Art 56(3) fines organisations only; whether Art 56(4) reaches an individual at half "
            "its amounts is UNCERTAIN (2026 note §2.3): the conservative reading shows half."
        )
    return RevenueFine(
        clause=three,
        when=(
            f"a leak or loss of the data of {people:,} Vietnamese citizens "
            + (
                f"(from {band.people_at_least:,} to under {band.people_below:,})"
                if band.people_below is not None
                else f"({band.people_at_least:,} or more)"
            )
        ),
        percent_min=band.percent_min if party == "organisation" else None,
        percent_max=band.percent_max if party == "organisation" else None,
        revenue_bases=[b.label_en for b in rules.revenue_bases()],
        fallback_clause=four,
        fallback=Fine(min_vnd=low, max_vnd=high),
        measures=_measures(band.measures, rules),
        notes=notes,
        citations=list(
            dict.fromkeys(
                [*band.citations, *(c for b in rules.revenue_bases() for c in b.citations)]
            )
        ),
    )


def exposures(findings: list[Finding], facts: Facts, rules: Rules) -> list[Exposure]:
    """The sanctions each finding may amount to, in the order of the findings."""
    party, party_cites = party_of(facts, rules)
    limitation = rules.limitation() if rules.sanctions() else None
    d330_from = rules.instrument_from("decree-330-2026")
    out: list[Exposure] = []
    for finding in findings:
        for sanction in rules.sanctions():
            if not _matches(sanction, finding):
                continue
            assert limitation is not None
            fine, scale_cites = _fine(sanction, party, rules)
            ceiling, cap_cites = _ceiling(sanction, party, rules)
            revenue = _revenue_fine(facts, party, rules) if sanction.revenue_fine_if_leak else None
            notes = [
                "Decree 330/2026's text is a secondary transcription not yet checked against the "
                "Gazette (UNCERTAIN, reference #12).",
            ]
            if sanction.uncertain:
                notes.append(sanction.uncertain[0].upper() + sanction.uncertain[1:] + ".")
            if facts.intake.transfer.first_transfer_date < d330_from:
                notes.append(
                    "Acts before 19 August 2026 are sanctioned under the rules then in force "
                    "unless Decree 330/2026 is lighter (Art 81(1))."
                )
            out.append(
                Exposure(
                    finding=finding.id,
                    subject=finding.subject,
                    clause=sanction.clause,
                    violation=sanction.violation_en,
                    party=party,
                    fine=fine,
                    ceiling=ceiling,
                    revenue_fine=revenue,
                    measures=_measures(sanction.measures, rules),
                    limitation=f"{limitation.label_en} ({'; '.join(limitation.citations)})",
                    notes=notes,
                    citations=list(
                        dict.fromkeys(
                            [
                                *sanction.citations,
                                *scale_cites,
                                *party_cites,
                                *cap_cites,
                                *limitation.citations,
                            ]
                        )
                    ),
                )
            )
    return out


def _channel(rule: ChannelRule, extra: list[str]) -> FilingChannel:
    return FilingChannel(
        procedure=rule.procedure,
        receiving_body=rule.receiving_body_en,
        receiving_body_vi=rule.receiving_body_vi,
        channels=[CHANNEL_WORDS[c] for c in rule.channels],
        channels_vi=rule.channels_vi,
        processed_by=rule.processed_by_en,
        processed_by_vi=rule.processed_by_vi,
        in_force_from=rule.effective_from,
        in_force_to=rule.effective_to,
        citations=list(rule.citations),
        notes=[*rule.uncertain, *extra],
    )


def filing_channels(
    app: Applicability, rules: Rules, deadlines: list[Deadline]
) -> list[FilingChannel]:
    """Where the dossier and its updates go on ``as_of``, and what changes before they fall due.

    For an exempt transfer the route is the one a dossier would take should the exemption
    cease to hold; for a transfer under a prior dossier, only updates are filed.
    """
    if not app.cross_border_transfer:
        return []
    out: list[FilingChannel] = []
    if app.prior_dossier:
        procedures = ["update"]  # the dossier stands: changes are filed as updates
    elif app.dossier_required:
        procedures = ["initial_filing", "update"]
    else:
        procedures = ["initial_filing"]  # exempt: where a dossier would go
    kinds = {
        "initial_filing": ("initial_filing",),
        "update": ("periodic_update", "urgent_update"),
    }
    for procedure in procedures:
        rule = rules.filing_channel(procedure)
        extra: list[str] = []
        if procedure == "initial_filing" and not app.dossier_required:
            extra.append(
                "No dossier is required now: this is where one would go should the exemption "
                "cease to hold."
            )
        after = rules.filing_channel_after(rule)
        if after is not None and rule.effective_to is not None:
            nxt = rule.effective_to + timedelta(days=1)
            due = next((d for d in deadlines if d.kind in kinds[procedure]), None)
            when = (
                f" (the {due.kind.replace('_', ' ')} is due {due.due.isoformat()}, legal end "
                f"{due.legal_end.isoformat()})"
                if due is not None and due.legal_end > rule.effective_to
                else ""
            )
            extra.append(
                f"This route ends on {rule.effective_to.isoformat()}: from {nxt.isoformat()}"
                f"{when} the {'dossier' if procedure == 'initial_filing' else 'update'} goes to "
                f"{after.receiving_body_en} ({', '.join(CHANNEL_WORDS[c] for c in after.channels)}; "
                f"{after.citations[0]})."
            )
        out.append(_channel(rule, extra))
    return out


def continuing_duties(findings: list[Finding], channels: list[FilingChannel]) -> list[Duty]:
    """The duties that run on after the transfer, in a fixed order, each with how to meet it."""
    out: list[Duty] = []
    for fid in DUTY_FINDINGS:
        for f in findings:
            if f.id == fid:
                out.append(Duty(id=f.id, duty=f.message, how=f.remedy, citations=f.citations))
    for ch in channels:
        if ch.procedure == "update":
            out.append(
                Duty(
                    id="filing.update-route",
                    duty=(
                        "Updates of the dossier (Form 03a/03b) go to "
                        f"{ch.receiving_body} ({', '.join(ch.channels)})."
                    ),
                    how="File each update by that route and keep the receipt.",
                    citations=ch.citations,
                )
            )
    return out
