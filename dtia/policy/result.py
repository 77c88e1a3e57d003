"""The result of a disclosure check, format ``dtia.policy-check/v1``.

One ``ItemResult`` per item of ``dtia/law/data/policy_items.yaml``, frozen, with its evidence
(line and quote), the passages that deny it, the details found (which rights, which
countries, which instruments), notes that explain the answer and the citations behind the
item: what a finding needs to say what the policy lacks and why.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

SCHEMA_ID: Literal["dtia.policy-check/v1"] = "dtia.policy-check/v1"


class Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Evidence(Frozen):
    line: int
    quote: str
    page: int | None = None  # PDFs: the page the line is on

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"line": self.line, "quote": self.quote}
        if self.page is not None:
            out["page"] = self.page
        return out


class ItemResult(Frozen):
    key: str
    law: Literal["vn", "jp"]
    label_en: str
    disclosed: bool | None  # None: the item does not apply to this document
    evidence: tuple[Evidence, ...] = ()
    contrary: tuple[Evidence, ...] = ()  # passages that deny it ("we do not transfer ...")
    details: tuple[str, ...] = ()  # rights named, countries (ISO codes), instruments cited
    missing: tuple[str, ...] = ()  # for rights: the Law 91 rights the policy does not name
    notes: tuple[str, ...] = ()
    citations: tuple[str, ...]
    remedy_en: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "disclosed": self.disclosed,
            "evidence": [e.to_dict() for e in self.evidence],
            "contrary": [e.to_dict() for e in self.contrary],
            "details": list(self.details),
            "missing": list(self.missing),
            "notes": list(self.notes),
            "citations": list(self.citations),
        }


class PolicyCheck(Frozen):
    schema_id: Literal["dtia.policy-check/v1"] = SCHEMA_ID
    file: str
    format: Literal["text", "markdown", "html", "pdf"]
    as_of: date
    rules_version: str
    languages: tuple[str, ...]
    outdated: bool
    items: tuple[ItemResult, ...]

    def item(self, key: str) -> ItemResult:
        for result in self.items:
            if result.key == key:
                return result
        raise KeyError(key)

    def lacking(self, law: Literal["vn", "jp"] | None = None) -> tuple[ItemResult, ...]:
        """The items that apply and are not disclosed: one finding each."""
        return tuple(
            r for r in self.items if r.disclosed is False and (law is None or r.law == law)
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": self.schema_id,
            "file": self.file,
            "format": self.format,
            "as_of": self.as_of.isoformat(),
            "rules_version": self.rules_version,
            "languages": list(self.languages),
            "outdated": self.outdated,
            "items": {r.key: r.to_dict() for r in self.items},
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2) + "\n"
