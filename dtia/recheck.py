"""When an assessment goes stale by the passing of time alone (pure).

Re-assessment skips a transfer whose rules, intake and files are unchanged, unless a date
has come on which the same facts give other findings: evidence entering its warning
window or expiring, a prior dossier becoming received, the filing period running out.
"""

from __future__ import annotations

from datetime import date, timedelta

from dtia.assessment import Assessment
from dtia.facts import EVIDENCE_WARNING_DAYS
from dtia.intake import TransferIntake


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
    later = [d for d in candidates if d > as_of]
    return min(later) if later else None
