"""The assessment service: intake + ``as_of`` -> ``Assessment``. Pure and deterministic."""

from __future__ import annotations

from datetime import date

from dtia import applicability as appl
from dtia.assessment import Applicability, Assessment, Deadline
from dtia.clocks import deadline, next_cycle_end
from dtia.errors import AssessmentError, IntakeError, RulesError
from dtia.exposure import continuing_duties, exposures, filing_channels
from dtia.facts import Facts, derive_facts
from dtia.findings import findings, pending, reviews
from dtia.gaps import gaps
from dtia.intake import LoadedIntake, future_problems
from dtia.law import Rules, load_rules
from dtia.notices import appi_notes
from dtia.scoring import risk


def deadlines(facts: Facts, app: Applicability, rules: Rules) -> list[Deadline]:
    """The statutory deadlines the intake alone determines (the register adds the rest)."""
    transfer = facts.intake.transfer
    out: list[Deadline] = []
    if app.dossier_required:
        start = transfer.first_transfer_date
        in_force = rules.date_value("law_in_force")
        if start < in_force.value:
            # UNCERTAIN #10: no deadline is written for transfers already under way.
            out.append(
                deadline(
                    "initial_filing",
                    in_force.value,
                    rules.on,
                    rules,
                    uncertain=True,
                    extra_citations=tuple(in_force.citations),
                )
            )
        else:
            out.append(deadline("initial_filing", start, rules.on, rules))
    prior = transfer.prior_dossier
    if app.prior_dossier and prior is not None and transfer.first_transfer_date > prior.received_on:
        period = rules.period("periodic_update")
        assert period.months is not None
        # Six-monthly cycles run from the first filing; the change falls due with its cycle.
        end = next_cycle_end(prior.received_on, transfer.first_transfer_date, period.months)
        out.append(deadline("periodic_update", prior.received_on, rules.on, rules, due=end))
    return out


def assess(loaded: LoadedIntake, as_of: date) -> Assessment:
    """Assess a validated intake as the law stands on ``as_of``."""
    late = future_problems(loaded.intake, as_of)
    if late:  # an answer from after as_of is no safeguard the recipient had on that date
        raise IntakeError(loaded.source, late)
    try:
        rules = load_rules(as_of)
    except RulesError as exc:
        raise AssessmentError(str(exc)) from exc
    facts = derive_facts(loaded, rules)
    app = appl.applicability(facts, rules)
    due = deadlines(facts, app, rules)
    found = findings(facts, app, rules, due)
    channels = filing_channels(app, rules, due)
    return Assessment(
        transfer_id=loaded.intake.transfer.id,
        as_of=as_of,
        rules_version=rules.version,
        rules_sha256=rules.sha256,
        input_sha256=loaded.input_sha256,
        applicability=app,
        deadlines=due,
        required_sections=appl.required_sections(facts, app, rules),
        risk=risk(facts, app, rules),
        findings=found,
        gaps=gaps(facts, app, rules),
        pending=[*pending(facts, app), *reviews(app)],
        filing_channels=channels,
        exposure=exposures(found, facts, rules),
        continuing_duties=continuing_duties(found, channels),
        disclosures=list(facts.disclosures),
        appi_notes=appi_notes(facts, rules),
    )
