"""The safeguards questionnaire a recipient fills in (by e-mail or through the portal).

The template is the ``recipients[].safeguards`` block of the intake, with every question
explained; the answer is validated like an intake (every problem with its key path).
"""

from __future__ import annotations

from typing import Any

from dtia.intake import TransferIntake
from dtia.law import Rules

QUESTIONS: list[tuple[str, str, str]] = [
    ("attested_by", "Who answers (name and role)", "~"),
    ("attested_on", "Date of this answer (YYYY-MM-DD)", "~"),
    ("encryption_in_transit", "Is the data encrypted in transit? (true/false)", "~"),
    ("encryption_at_rest", "Is the data encrypted at rest? (true/false)", "~"),
    ("access_control", "Access control: least privilege, MFA, logging", "~"),
    (
        "certifications",
        "Certifications: list of {name, issuer, expires_on} (ISO/IEC 27001, 27701, SOC 2, ...)",
        "[]",
    ),
    (
        "incident_notification_hours",
        "Hours within which you notify us of a personal data breach",
        "72",
    ),
    (
        "data_subject_request_days",
        "Days within which you carry out a data-subject request we relay",
        "15",
    ),
    (
        "onward_transfer_controls",
        "How you control passing the data to others (sub-processors, group companies)",
        "~",
    ),
    ("retention_and_deletion", "How long you keep the data and how you delete it", "~"),
    ("government_access_policy", "How you handle requests from public authorities", "~"),
    ("local_law", "The data protection law and regulator of your country", "~"),
    ("security_testing", "Security testing (penetration tests, audits) and how often", "~"),
]


def template(
    *, recipient_id: str, recipient_name: str | None = None, transfer_id: str | None = None
) -> str:
    """A YAML questionnaire to send to a recipient; its answer is read by ``parse_safeguards``."""
    who = f"{recipient_name} ({recipient_id})" if recipient_name else recipient_id
    head = [
        "# Safeguards questionnaire — Decree 356/2025 Art 18(3)(i); Form 09 §A.III.3",
        f"# Recipient: {who}" + (f"; transfer: {transfer_id}" if transfer_id else ""),
        "# Please answer every question and return this file. Evidence may be listed under",
        "# `evidence` as {title, expires_on}. `~` means not answered; attested_by and",
        "# attested_on are required.",
    ]
    body = [f"# {question}\n{key}: {example}" for key, question, example in QUESTIONS]
    return "\n".join(head) + "\n\n" + "\n\n".join(body) + "\n"


def context(intake: TransferIntake, recipient_id: str, rules: Rules) -> dict[str, Any]:
    """What a recipient is shown with the questionnaire: who asks, which data, for what.
    Nothing else of the transfer (other recipients, volumes, gaps) leaves the register."""
    recipient = next(r for r in intake.recipients if r.id == recipient_id)
    labels = {c.code: c for c in (*rules.files.basic_data, *rules.files.sensitive_data)}
    flows = [f for f in intake.flows if f.recipient in (recipient.id, recipient.name)]
    return {
        # The recipient reads English where the intake gives it (LocalText.annex).
        "transfer_title": intake.transfer.title.annex(),
        "asked_by": intake.transferor.name_foreign or intake.transferor.name_vi,
        "asked_by_vi": intake.transferor.name_vi,
        "recipient": {"id": recipient.id, "name": recipient.name, "country": recipient.country},
        # whom the questionnaire's link and reminders are e-mailed to (dtia.notify)
        "contact": {"name": recipient.pdp_contact.name, "email": recipient.pdp_contact.email},
        "service": recipient.service.annex(),
        "purposes": sorted(
            {f.purpose.annex() for f in flows} or {p.annex() for p in intake.transfer.purposes}
        ),
        "data": [
            f"{labels[c].label_en} ({labels[c].label_vi})" if c in labels else c
            for c in (*intake.data.basic, *intake.data.sensitive)
        ],
        "includes_sensitive": bool(intake.data.sensitive)
        and any(f.includes_sensitive for f in flows),
    }
