"""The gold set of the policy disclosure check (tests/policies/gold.yaml) and its scoring,
shared by tests/test_policy_gold.py and bench/policies.py.

Scoring, per item:
- the answer: precision and recall of ``disclosed: true`` over the documents where the item
  applies, and whether ``null`` (does not apply) was given exactly where the gold has it;
- the evidence: precision is the share of cited lines that fall in a labelled passage
  (`lines` or `also`), recall the share of required passages (`lines`) that a cited line falls in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from dtia.policy import PolicyCheck, check_policy

POLICIES = Path(__file__).resolve().parent / "policies"
GOLD = POLICIES / "gold.yaml"


def _span(entry: int | str) -> tuple[int, int]:
    if isinstance(entry, int):
        return entry, entry
    first, _, last = str(entry).partition("-")
    return int(first), int(last or first)


@dataclass
class Label:
    disclosed: bool | None
    lines: list[tuple[int, int]]
    also: list[tuple[int, int]]
    rights: list[str] | None


@dataclass
class Policy:
    name: str
    as_of: date
    languages: list[str]
    outdated: bool
    items: dict[str, Label]

    @property
    def path(self) -> Path:
        return POLICIES / self.name

    @property
    def published(self) -> bool:
        return self.name.startswith("published/")

    def check(self) -> PolicyCheck:
        return check_policy(self.name, self.path.read_bytes(), self.as_of)


def load_gold() -> list[Policy]:
    data: dict[str, Any] = yaml.safe_load(GOLD.read_text(encoding="utf-8"))
    out = []
    for name, entry in data.items():
        items = {
            key: Label(
                disclosed=label["disclosed"],
                lines=[_span(e) for e in label.get("lines", [])],
                also=[_span(e) for e in label.get("also", [])],
                rights=label.get("rights"),
            )
            for key, label in entry["items"].items()
        }
        out.append(Policy(name, entry["as_of"], entry["languages"], entry["outdated"], items))
    return out


@dataclass
class Tally:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    null_errors: int = 0
    cited: int = 0
    cited_ok: int = 0
    passages: int = 0
    passages_found: int = 0
    errors: list[str] = field(default_factory=list)

    @staticmethod
    def _ratio(a: int, b: int) -> float | None:
        return round(a / b, 3) if b else None

    def figures(self) -> dict[str, float | int | None]:
        return {
            "precision": self._ratio(self.tp, self.tp + self.fp),
            "recall": self._ratio(self.tp, self.tp + self.fn),
            "evidence_precision": self._ratio(self.cited_ok, self.cited),
            "evidence_recall": self._ratio(self.passages_found, self.passages),
            "null_errors": self.null_errors,
            "positives": self.tp + self.fn,
        }


def _inside(line: int, spans: list[tuple[int, int]]) -> bool:
    return any(a <= line <= b for a, b in spans)


def score(policies: list[Policy], checks: list[PolicyCheck]) -> dict[str, Tally]:
    tallies: dict[str, Tally] = {}
    for policy, result in zip(policies, checks, strict=True):
        for key, label in policy.items.items():
            t = tallies.setdefault(key, Tally())
            got = result.item(key)
            where = f"{policy.name} {key}"
            if (label.disclosed is None) != (got.disclosed is None):
                t.null_errors += 1
                t.errors.append(f"{where}: {got.disclosed} (gold {label.disclosed})")
                continue
            if label.disclosed is None:
                continue
            if got.disclosed and label.disclosed:
                t.tp += 1
            elif got.disclosed:
                t.fp += 1
                t.errors.append(f"{where}: disclosed, gold says not")
            elif label.disclosed:
                t.fn += 1
                t.errors.append(f"{where}: not disclosed, gold says disclosed")
            labelled = label.lines + label.also
            for e in got.evidence:
                t.cited += 1
                if _inside(e.line, labelled):
                    t.cited_ok += 1
                else:
                    t.errors.append(
                        f"{where}: cites line {e.line} outside the gold: {e.quote[:70]}"
                    )
            lines = [e.line for e in got.evidence]
            for a, b in label.lines:
                t.passages += 1
                if any(a <= n <= b for n in lines):
                    t.passages_found += 1
                else:
                    t.errors.append(f"{where}: misses passage {a}-{b}")
            if label.rights is not None and sorted(got.details) != sorted(label.rights):
                t.errors.append(f"{where}: rights {list(got.details)} (gold {label.rights})")
    return tallies
