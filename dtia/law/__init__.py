"""The law as data: loading ``dtia/law/data/*.yaml`` and answering questions at a date.

Files are read once per process (they ship with the package), validated strictly and
fingerprinted. ``Rules.at(as_of)`` picks the values in force on that date; nothing
here knows what day it is.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from typing import Any, TypeVar

import yaml
from pydantic import ValidationError

from dtia.errors import RulesError
from dtia.intake import format_loc
from dtia.law.models import (
    ActivityType,
    BusinessLine,
    Cited,
    ContractClause,
    Criterion,
    DataCategory,
    DateValue,
    Exemption,
    FindingBasis,
    FormField,
    FormSection,
    LawFiles,
    Limb,
    Period,
    ProvidedService,
    Threshold,
)

__all__ = ["Rules", "law_files", "load_rules"]

T = TypeVar("T", bound=Cited)


def _data_files() -> list[tuple[str, str]]:
    folder = resources.files("dtia.law").joinpath("data")
    return sorted(
        (entry.name, entry.read_text(encoding="utf-8"))
        for entry in folder.iterdir()
        if entry.name.endswith(".yaml")
    )


@cache
def law_files() -> tuple[LawFiles, str]:
    """All law data, validated, and the SHA-256 of the files it came from."""
    merged: dict[str, Any] = {}
    origin: dict[str, str] = {}
    digest = hashlib.sha256()
    for name, text in _data_files():
        digest.update(name.encode() + b"\0" + text.encode() + b"\0")
        try:
            content = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise RulesError(f"law data {name}: not valid YAML: {exc}") from None
        if not isinstance(content, dict):
            raise RulesError(f"law data {name}: expected a mapping at the top level")
        for key, value in content.items():
            if key in merged:
                raise RulesError(f"law data {name}: key {key!r} is also defined in {origin[key]}")
            merged[key] = value
            origin[key] = name
    try:
        files = LawFiles.model_validate(merged)
    except ValidationError as exc:
        problems = []
        for err in exc.errors(include_url=False):
            path = format_loc(tuple(err["loc"]))
            top = str(err["loc"][0]) if err["loc"] else ""
            problems.append(f"  - {origin.get(top, '?')}: {path}: {err['msg']}")
        raise RulesError("law data is invalid:\n" + "\n".join(problems)) from None
    return files, digest.hexdigest()


def _one_in_force(versions: Iterable[T], on: date, what: str) -> T:
    matches = [v for v in versions if v.in_force(on)]
    if len(matches) != 1:
        state = "no value" if not matches else f"{len(matches)} values"
        raise RulesError(f"law data has {state} for {what} in force on {on.isoformat()}")
    return matches[0]


@dataclass(frozen=True)
class Rules:
    """The law data as in force on one date."""

    files: LawFiles
    sha256: str
    on: date

    @property
    def version(self) -> str:
        return self.files.rules_version

    def period(self, kind: str) -> Period:
        if kind not in self.files.periods:
            raise RulesError(f"law data has no period {kind!r}")
        return _one_in_force(self.files.periods[kind], self.on, f"period {kind!r}")

    def threshold(self, name: str) -> Threshold:
        if name not in self.files.thresholds:
            raise RulesError(f"law data has no threshold {name!r}")
        return _one_in_force(self.files.thresholds[name], self.on, f"threshold {name!r}")

    def date_value(self, name: str) -> DateValue:
        if name not in self.files.dates:
            raise RulesError(f"law data has no date {name!r}")
        return _one_in_force(self.files.dates[name], self.on, f"date {name!r}")

    def _by(self, items: Iterable[T], attr: str, key: str, what: str) -> T:
        return _one_in_force(
            (i for i in items if getattr(i, attr) == key), self.on, f"{what} {key!r}"
        )

    def basic(self, code: str) -> DataCategory:
        return self._by(self.files.basic_data, "code", code, "basic data type")

    def sensitive(self, code: str) -> DataCategory:
        return self._by(self.files.sensitive_data, "code", code, "sensitive data type")

    def limb(self, code: str) -> Limb:
        return self._by(self.files.limbs, "code", code, "transfer limb")

    def activity(self, code: str) -> ActivityType:
        return self._by(self.files.activities, "code", code, "transfer activity")

    def exemption(self, code: str) -> Exemption:
        return self._by(self.files.exemptions, "code", code, "exemption")

    def exemptions(self) -> list[Exemption]:
        return [e for e in self.files.exemptions if e.in_force(self.on)]

    def provided(self, code: str) -> ProvidedService:
        return self._by(self.files.provided_services, "code", code, "provided service")

    def exemption_services(self, exemption: str) -> list[ProvidedService]:
        """The services a recipient may provide and still fit the exemption."""
        return [
            s
            for s in self.files.provided_services
            if exemption in s.exemptions and s.in_force(self.on)
        ]

    def press_media_line(self, code: str) -> BusinessLine | None:
        """The press or media industry code ``code``, if it is one."""
        lines = [
            b
            for b in self.files.press_media_business_lines
            if b.code == code and b.in_force(self.on)
        ]
        return lines[0] if lines else None

    def basis(self, finding_id: str, case: str = "default") -> tuple[str, ...]:
        """The articles finding ``finding_id`` rests on in ``case`` (law data findings.yaml)."""
        entry: FindingBasis = _one_in_force(
            (b for b in self.files.finding_bases if b.id == finding_id and b.case == case),
            self.on,
            f"the basis of finding {finding_id!r} ({case})",
        )
        return entry.citations

    def clauses(self, group: str) -> list[ContractClause]:
        return [c for c in self.files.contract_clauses if c.group == group and c.in_force(self.on)]

    def criterion(self, code: str) -> Criterion:
        return self._by(self.files.criteria, "code", code, "criterion")

    def criteria(self) -> list[Criterion]:
        return [c for c in self.files.criteria if c.in_force(self.on)]

    def sections(self) -> list[FormSection]:
        return [s for s in self.files.form09_sections if s.in_force(self.on)]

    def section(self, section_id: str) -> FormSection:
        return self._by(self.files.form09_sections, "id", section_id, "Form 09 section")

    def fields(self) -> list[FormField]:
        return [f for f in self.files.form09_fields if f.in_force(self.on)]

    def field(self, field_id: str) -> FormField:
        return self._by(self.files.form09_fields, "id", field_id, "Form 09 field")

    def holidays(self, year: int) -> dict[date, str]:
        """Official days off of a year: the data where it covers the year, else the library."""
        first, last = self.files.holidays_cover
        if first <= year <= last:
            return {h.day: h.name_en for h in self.files.holidays if h.day.year == year}
        import holidays as holidays_lib  # fallback only; its calendar is not part of the rules

        return {d: str(n) for d, n in holidays_lib.country_holidays("VN", years=year).items()}


def load_rules(on: date) -> Rules:
    """The rules in force on ``on``; raises ``RulesError`` before the law applies."""
    files, sha = law_files()
    law = next((i for i in files.instruments if i.id == "law-91-2025"), None)
    if law is None:
        raise RulesError("law data does not define the instrument 'law-91-2025'")
    if on < law.effective_from:
        raise RulesError(
            f"rules {files.rules_version} assess from {law.effective_from.isoformat()}, when "
            f"{law.short} took effect ({', '.join(law.citations)}); as_of {on.isoformat()} is earlier"
        )
    return Rules(files, sha, on)
