"""When an assessment goes stale by the passing of time alone (pure).

Re-assessment skips a transfer whose rules, intake and files are unchanged, unless a date
has come on which the same facts give other findings: evidence entering its warning
window or expiring, a prior dossier becoming received, the filing period running out, a
dated value of the law data entering or leaving force.
"""

from __future__ import annotations

from datetime import date, timedelta

from dtia.assessment import Assessment
from dtia.facts import EVIDENCE_WARNING_DAYS
from dtia.intake import TransferIntake
from dtia.law import transitions


def recheck_on(intake: TransferIntake, assessment: Assessment) -> date | None:
    """The first day after ``as_of`` on which re-assessing the same facts changes the result."""
    as_of = assessment.as_of
    candidates: list[date] = []
    for r in intake.recipients:
        if r.safeguards is None:
            continue
        expiries = [c.expires_on for c in r.safeguards.certifications]
        expiries += [e.expires_on for e in r.safeguards.evidence if e.expires_on]
        for expires in expiries:
            candidates += [
                expires - timedelta(days=EVIDENCE_WARNING_DAYS),
                expires + timedelta(days=1),
            ]
    prior = intake.transfer.prior_dossier
    if prior is not None:
        candidates.append(prior.received_on)
    for d in assessment.deadlines:
        candidates.append(
            d.legal_end + timedelta(days=1)
        )  # overdue from that day: a finding changes
    # A dated value of the law data entering or leaving force (Resolution 22/2026's filing
    # route ending on 1 March 2027, Decree 330/2026's sanctions from 19 August 2026, ...)
    # changes the result under the same rules version, so the same hash.
    candidates += transitions()
    later = [d for d in candidates if d > as_of]
    return min(later) if later else None
