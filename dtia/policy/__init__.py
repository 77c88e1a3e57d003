"""The disclosure check of published privacy policies and notices (``dtia policy check``).

``check_policy(name, data, as_of)`` reads a policy (plain text, Markdown, HTML or PDF; UTF-8;
Vietnamese, English and Japanese) and says, item by item, whether it discloses what Vietnamese
law (Law 91/2025, Decree 356/2025, Decree 330/2026 Art 56(2)(b)) and, for its Japanese text,
APPI ask, with the evidence for each answer. Pure: bytes and a date in, a result out.
"""

from __future__ import annotations

from datetime import date

from dtia.policy.analyze import check_document
from dtia.policy.read import Document, read_document
from dtia.policy.result import SCHEMA_ID, Evidence, ItemResult, PolicyCheck

__all__ = [
    "SCHEMA_ID",
    "Document",
    "Evidence",
    "ItemResult",
    "PolicyCheck",
    "check_document",
    "check_policy",
    "read_document",
]


def check_policy(name: str, data: bytes, as_of: date) -> PolicyCheck:
    """Check the policy ``data`` (its file name ``name`` tells the format and names it in
    messages); raises ``PolicyError`` when it cannot be read."""
    return check_document(read_document(name, data), as_of)
