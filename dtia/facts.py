"""Facts derived once from an intake at ``as_of``, shared by findings, scoring and gaps.

Nothing here decides anything legal; it counts, compares dates and reads what the
intake and its files say, so the rule modules stay short and agree with each other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from typing import Literal

import pycountry

from dtia.assessment import Disclosure
from dtia.disclosures import disclosures
from dtia.intake import Certification, LoadedIntake, Recipient, TransferIntake
from dtia.law import Rules
from dtia.law.models import ContractClause

_FOREIGN_WORDS = re.compile(
    r"\b(?:abroad|overseas|foreign|international|nước ngoài)\b", re.IGNORECASE
)


_GENERIC_NAME_WORDS = frozenset(
    {
        "south",
        "north",
        "east",
        "west",
        "united",
        "republic",
        "kingdom",
        "states",
        "islands",
        "federation",
        "democratic",
        "people's",
        "saint",
        "new",
        "the",
        "and",
        "of",
        "plurinational",
    }
)


@cache  # compiled once per country: this runs for every subject group of every assessment
def _country_patterns(code: str) -> list[re.Pattern[str]]:
    """Word-start patterns for a country's names ("Korea" also finds "Korean")."""
    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        return []
    names = {
        country.name,
        getattr(country, "common_name", country.name),
        getattr(country, "official_name", country.name),
    }
    words = {
        w
        for n in names
        for w in re.split(r"[\s,()]+", n)
        if len(w) >= 4 and w.lower() not in _GENERIC_NAME_WORDS
    }
    return [
        re.compile(rf"\b{re.escape(w[:-1] if len(w) >= 5 else w)}", re.IGNORECASE) for w in words
    ]


def suggests_collected_abroad(group_name: str, countries: frozenset[str]) -> bool:
    """Whether a subject group's name points at people in a recipient's country or abroad
    (UNCERTAIN #11). A hint for legal review, never a decision."""
    if _FOREIGN_WORDS.search(group_name):
        return True
    return any(p.search(group_name) for code in countries for p in _country_patterns(code))


# An engine convention: evidence expiring this soon is flagged so it is renewed in time.
EVIDENCE_WARNING_DAYS = 90


@dataclass(frozen=True)
class CertState:
    cert: Certification
    expired: bool
    expiring: bool  # still valid at as_of but expires within the warning window


@dataclass(frozen=True)
class RecipientFacts:
    index: int
    recipient: Recipient
    is_cloud: bool
    has_contract: bool
    contract_copy: bool
    missing_art7: tuple[ContractClause, ...]
    missing_cloud: tuple[ContractClause, ...]
    has_onward_clause: bool
    has_safeguards: bool
    encrypted_both: bool | None  # None when the recipient has not said
    certs: tuple[CertState, ...]
    valid_certs: int
    incident_hours_ok: bool | None
    dsr_days_ok: bool | None

    @property
    def subject(self) -> str:
        return f"recipients[{self.index}]"


@dataclass(frozen=True)
class Facts:
    intake: TransferIntake
    as_of: date
    basic_count: int
    sensitive_count: int
    national_security: bool
    # Law on Data classes by the volume of Vietnamese citizens' data (Decision 20/2025).
    data_class: Literal["core", "important", "ordinary"]
    citizen_basic_count: int
    citizen_sensitive_count: int
    foreign_groups: tuple[str, ...]  # subject groups whose names point at people abroad
    recipients: tuple[RecipientFacts, ...]
    policy_texts: tuple[tuple[int, str, str | None], ...]  # (index, title, text or None)
    # What the transferor's policies and the recipients' notices disclose (dtia.disclosures).
    disclosures: tuple[Disclosure, ...] = ()

    def policies_read(self) -> list[Disclosure]:
        """The transferor's policies the disclosure check could read."""
        return [d for d in self.disclosures if d.party == "transferor" and d.read]

    def current_policies(self) -> list[Disclosure]:
        """The transferor's policies that count as current: read, and not outdated evidence."""
        return [d for d in self.policies_read() if not d.outdated]

    def discloses(self, key: str) -> bool:
        """Whether a current policy of the transferor discloses the item ``key``."""
        return any(i.key == key and i.disclosed for d in self.current_policies() for i in d.items)

    @property
    def activities(self) -> frozenset[str]:
        return frozenset(self.intake.transfer.activities)

    @property
    def hosts_abroad(self) -> bool:
        return bool(self.activities & {"servers_abroad", "foreign_cloud"})

    def sensitive_codes(self) -> list[str]:
        return list(self.intake.data.sensitive)


def _certs(recipient: Recipient, as_of: date, warn_days: int) -> tuple[CertState, ...]:
    if recipient.safeguards is None:
        return ()
    window = as_of + timedelta(days=warn_days)
    return tuple(
        CertState(c, expired=c.expires_on < as_of, expiring=as_of <= c.expires_on <= window)
        for c in recipient.safeguards.certifications
    )


CONTROLLER_ROLES = frozenset({"controller", "joint_controller"})


def cloud_clauses_apply(r: Recipient, intake: TransferIntake, rules: Rules) -> bool:
    """Whether the Decree 356 Art 12(2) cloud clauses bind the contract with ``r``.

    Exactly when it lists a cloud service among what it provides; when it says nothing, every
    processor of a transfer onto a foreign cloud (the conservative default). Never a
    controller: a recipient that uses the data for its own purposes is not the transferor's
    cloud provider (spec intake.md, ``recipients[].provides``).
    """
    if r.role in CONTROLLER_ROLES:
        return False
    if r.provides is not None:
        return any(rules.provided(code).cloud for code in r.provides)
    return "foreign_cloud" in intake.transfer.activities


def _recipient_facts(
    index: int, r: Recipient, intake: TransferIntake, rules: Rules
) -> RecipientFacts:
    is_cloud = cloud_clauses_apply(r, intake, rules)
    clauses = set(r.contract.clauses) if r.contract else set()
    missing_art7 = tuple(c for c in rules.clauses("art7") if c.key not in clauses)
    missing_cloud = (
        tuple(c for c in rules.clauses("cloud") if c.key not in clauses) if is_cloud else ()
    )
    s = r.safeguards
    encrypted: bool | None = None
    if s is not None and s.encryption_in_transit is not None and s.encryption_at_rest is not None:
        encrypted = s.encryption_in_transit and s.encryption_at_rest
    elif s is not None and (s.encryption_in_transit is False or s.encryption_at_rest is False):
        encrypted = False
    certs = _certs(r, rules.on, EVIDENCE_WARNING_DAYS)
    incident_ok = dsr_ok = None
    if s is not None and s.incident_notification_hours is not None:
        # The transferor has at most 72 hours to notify the agency of a violation that may cause
        # the harms of Law 91 Art 23(1); a recipient taking all of them leaves it none.
        incident_ok = (
            s.incident_notification_hours < rules.threshold("incident_notification_hours").value
        )
    if s is not None and s.data_subject_request_days is not None:
        dsr_ok = s.data_subject_request_days <= rules.threshold("data_subject_request_days").value
    return RecipientFacts(
        index=index,
        recipient=r,
        is_cloud=is_cloud,
        has_contract=r.contract is not None,
        contract_copy=bool(r.contract and r.contract.path),
        missing_art7=missing_art7 if r.contract else tuple(rules.clauses("art7")),
        missing_cloud=missing_cloud,
        has_onward_clause="onward_transfer_control" in clauses,
        has_safeguards=s is not None,
        encrypted_both=encrypted,
        certs=certs,
        valid_certs=sum(1 for c in certs if not c.expired),
        incident_hours_ok=incident_ok,
        dsr_days_ok=dsr_ok,
    )


def _data_class(
    basic: int, sensitive: int, rules: Rules
) -> Literal["core", "important", "ordinary"]:
    def reaches(kind: str) -> bool:
        return (
            basic >= rules.threshold(f"{kind}_data_basic").value
            or sensitive >= rules.threshold(f"{kind}_data_sensitive").value
        )

    return "core" if reaches("core") else "important" if reaches("important") else "ordinary"


def _citizen_counts(intake: TransferIntake, sensitive: int) -> tuple[int, int, tuple[str, ...]]:
    """People with basic and with sensitive data who may be Vietnamese citizens.

    Decision 20/2025's thresholds count citizens' data: groups whose names point at people
    abroad (the same hint as UNCERTAIN #11) are left out; everyone else counts. Sensitive data
    is counted for the groups that have a flow carrying it, never above the stated count.
    """
    countries = frozenset(r.country for r in intake.recipients)
    foreign = tuple(
        g.name for g in intake.data.subject_groups if suggests_collected_abroad(g.name, countries)
    )
    citizens = [g for g in intake.data.subject_groups if g.name not in foreign]
    carrying = {f.subject_group for f in intake.flows if f.includes_sensitive}
    basic = sum(g.count for g in citizens)
    sensitive_citizens = min(sensitive, sum(g.count for g in citizens if g.name in carrying))
    return basic, sensitive_citizens if foreign else sensitive, foreign


def derive_facts(loaded: LoadedIntake, rules: Rules) -> Facts:
    intake = loaded.intake
    data = intake.data
    basic = data.basic_subject_count
    sensitive = data.sensitive_count
    citizen_basic, citizen_sensitive, foreign = _citizen_counts(intake, sensitive)
    ns_basic = rules.threshold("national_security_basic").value
    ns_sensitive = rules.threshold("national_security_sensitive").value
    return Facts(
        intake=intake,
        as_of=rules.on,
        basic_count=basic,
        sensitive_count=sensitive,
        # "trên 100.000" / "trên 10.000": strictly more than (Form 09 §A.III.2.3).
        national_security=basic > ns_basic or sensitive > ns_sensitive,
        data_class=_data_class(citizen_basic, citizen_sensitive, rules),
        citizen_basic_count=citizen_basic,
        citizen_sensitive_count=citizen_sensitive,
        foreign_groups=foreign,
        recipients=tuple(
            _recipient_facts(i, r, intake, rules) for i, r in enumerate(intake.recipients)
        ),
        policy_texts=tuple(
            (i, str(p.title), loaded.text_of(p.path))
            for i, p in enumerate(intake.transferor.policies)
        ),
        disclosures=tuple(disclosures(loaded, rules.on)),
    )


# Words by which a self-assessment's result speaks of consent (English, Vietnamese, Japanese).
_CONSENT_WORDS = re.compile(r"consent|cookie|opt[- ]?in|đồng ý|同意", re.IGNORECASE)


def consent_findings_in_self_assessment(facts: Facts) -> bool:
    """Whether the transferor's own self-assessment records findings on consent."""
    sa = facts.intake.governance.self_assessment
    if sa is None:
        return False
    # Either language may say it.
    return any(_CONSENT_WORDS.search(t) for t in (sa.result.vi, sa.result.en) if t)


def outdated_only(facts: Facts) -> bool:
    """Whether policies were read and every one of them is outdated evidence."""
    return bool(facts.policies_read()) and not facts.current_policies()


def runs_processing_service(facts: Facts) -> bool:
    """Whether the transferor runs a processing-service business: declared so, or ticking its
    services in Form 09 §A.II.8 (the conservative reading where the two disagree)."""
    b = facts.intake.business
    return bool(b.processing_service_business or b.processing_services)


def processing_service_mismatch(facts: Facts) -> str | None:
    """How Form 09 §A.II.8's "Có" and its tick list disagree, if they do."""
    b = facts.intake.business
    if b.processing_service_business and not b.processing_services:
        return (
            "Form 09 §A.II.8 is answered “Có” (business.processing_service_business) but "
            "no service is ticked (business.processing_services)"
        )
    if b.processing_services and not b.processing_service_business:
        return (
            "services are ticked in Form 09 §A.II.8 (business.processing_services) but the "
            "business is not declared (business.processing_service_business is not true)"
        )
    return None
