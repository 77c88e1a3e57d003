"""The law as data: loading ``dtia/law/data/*.yaml`` and answering questions at a date.

Files are read once per process (they ship with the package), validated strictly and
fingerprinted. ``Rules.at(as_of)`` picks the values in force on that date; nothing
here knows what day it is.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from importlib import resources
from typing import Any, TypeVar

import yaml
from pydantic import ValidationError

from dtia.errors import RulesError
from dtia.intake import format_loc
from dtia.law.models import (
    ActivityType,
    AnalysisText,
    BusinessLine,
    Cited,
    ContractClause,
    CoverField,
    Criterion,
    DataCategory,
    DateValue,
    Exemption,
    FilingChannel,
    FindingBasis,
    FineCap,
    FineScale,
    ForeignArticle,
    FormField,
    FormSection,
    LawFiles,
    Limb,
    Limitation,
    LocalisationLine,
    MemoDuty,
    Period,
    ProvidedService,
    RegimeParagraph,
    RevenueBand,
    RevenueBase,
    Sanction,
    SanctionMeasure,
    Threshold,
)

__all__ = ["Rules", "law_files", "load_rules", "transitions"]

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

    def has_basis(self, finding_id: str, case: str = "default") -> bool:
        """Whether finding ``finding_id`` has a basis in force (a duty dated in the law data)."""
        return any(
            b.id == finding_id and b.case == case and b.in_force(self.on)
            for b in self.files.finding_bases
        )

    def vn_regime(self) -> list[RegimeParagraph]:
        """The description of Vietnam's regime in force on this date, for a Japanese party."""
        return [p for p in self.files.appi_vn_regime if p.in_force(self.on)]

    def foreign_article(self, citation: str) -> ForeignArticle:
        """An article of Japanese law kept in the law data (appi.yaml), by its citation."""
        # Not by date: the note names an amendment before it applies (the APPI of 2026).
        found = [a for a in self.files.foreign_articles if a.citation == citation]
        if not found:
            raise RulesError(f"law data does not keep the foreign article {citation!r}")
        return found[0]

    def instrument_from(self, instrument_id: str) -> date:
        """The day an instrument took effect."""
        found = [i for i in self.files.instruments if i.id == instrument_id]
        if not found:
            raise RulesError(f"law data does not define the instrument {instrument_id!r}")
        return found[0].effective_from

    def filing_channel(self, procedure: str) -> FilingChannel:
        """Where, how and to whom the dossier (or an update) is filed on this date."""
        return _one_in_force(
            (c for c in self.files.filing_channels if c.procedure == procedure),
            self.on,
            f"the filing channel for {procedure!r}",
        )

    def filing_channel_after(self, channel: FilingChannel) -> FilingChannel | None:
        """The route that follows ``channel`` once it ends (None when it does not end)."""
        if channel.effective_to is None:
            return None
        nxt = channel.effective_to + timedelta(days=1)
        return _one_in_force(
            (c for c in self.files.filing_channels if c.procedure == channel.procedure),
            nxt,
            f"the filing channel for {channel.procedure!r}",
        )

    def sanctions(self) -> list[Sanction]:
        return [s for s in self.files.sanctions if s.in_force(self.on)]

    def sanction(self, sanction_id: str) -> Sanction | None:
        """The sanction ``sanction_id`` if it is in force (Decree 330 from 19 August 2026)."""
        found = [s for s in self.sanctions() if s.id == sanction_id]
        return found[0] if found else None

    def measure(self, code: str) -> SanctionMeasure:
        return self._by(self.files.sanction_measures, "code", code, "sanction measure")

    def fine_scale(self, domain: str) -> FineScale:
        return self._by(self.files.fine_scales, "domain", domain, "fine scale")

    def fine_cap(self, kind: str) -> FineCap:
        return self._by(self.files.fine_caps, "kind", kind, "fine cap")

    def fined_as_individual(self, size: str | None) -> tuple[str, ...] | None:
        """The citations by which a business of ``size`` is fined as an individual, if it is."""
        for rule in self.files.fined_as_individuals:
            if rule.code == size and rule.in_force(self.on):
                return rule.citations
        return None

    def revenue_bases(self) -> list[RevenueBase]:
        return [b for b in self.files.revenue_bases if b.in_force(self.on)]

    def revenue_band(self, people: int) -> RevenueBand | None:
        """The Decree 330 Art 56(3)-(4) band for a leak of data of ``people`` citizens."""
        for band in self.files.revenue_bands:
            if (
                band.in_force(self.on)
                and people >= band.people_at_least
                and (band.people_below is None or people < band.people_below)
            ):
                return band
        return None

    def limitation(self) -> Limitation:
        return _one_in_force(self.files.limitation, self.on, "the limitation period")

    def localisation_line(self, code: str) -> LocalisationLine | None:
        """The telecom, Internet or cloud industry code ``code``, if it is one."""
        lines = [
            b
            for b in self.files.localisation_business_lines
            if b.code == code and b.in_force(self.on)
        ]
        return lines[0] if lines else None

    def service_user_kinds(self) -> dict[str, tuple[str, ...]]:
        """Subject-group kinds read as users of the service, with their citations."""
        return {
            k.code: k.citations for k in self.files.localisation_user_kinds if k.in_force(self.on)
        }

    def memo_duties(self) -> list[MemoDuty]:
        """The duties an exemption memo may state, in force on this date, in the data's order."""
        return [d for d in self.files.memo_duties if d.in_force(self.on)]

    def clauses(self, group: str) -> list[ContractClause]:
        return [c for c in self.files.contract_clauses if c.group == group and c.in_force(self.on)]

    def analysis_text(self, key: str) -> AnalysisText:
        """The Form 09 §A.III wording ``key`` (law data analysis.yaml)."""
        return self._by(self.files.analysis_texts, "key", key, "analysis text")

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

    def cover_field(self, field_id: str) -> CoverField:
        return self._by(self.files.cover_fields, "id", field_id, "cover notice item")

    def label_of(self, field_id: str) -> tuple[str, str]:
        """The Vietnamese and English label of a Form 09 field or section, or of a cover
        notice item: whatever a gap names."""
        for items in (self.files.form09_fields, self.files.form09_sections, self.files.cover_fields):
            for item in items:
                if item.id == field_id and item.in_force(self.on):
                    return item.label_vi, item.label_en
        raise RulesError(f"law data has no field {field_id!r} in force on {self.on.isoformat()}")

    def holidays(self, year: int) -> dict[date, str]:
        """Official days off of a year: the data where it covers the year, else the library."""
        first, last = self.files.holidays_cover
        if first <= year <= last:
            return {h.day: h.name_en for h in self.files.holidays if h.day.year == year}
        import holidays as holidays_lib  # fallback only; its calendar is not part of the rules

        return {d: str(n) for d, n in holidays_lib.country_holidays("VN", years=year).items()}


def transitions() -> tuple[date, ...]:
    """Every day on which a dated value of the law data enters or leaves force (the day after
    its effective_to), holidays aside: on those days the same facts may give another result.
    """
    files, _ = law_files()
    dated: list[Cited] = [
        *files.instruments,
        *files.filing_channels,
        *files.finding_bases,
        *files.fine_scales,
        *files.fine_caps,
        *files.revenue_bases,
        *files.revenue_bands,
        *files.sanction_measures,
        *files.limitation,
        *files.sanctions,
        *files.localisation_business_lines,
        *files.localisation_user_kinds,
        *files.exemptions,
        *files.provided_services,
        *files.criteria,
        *(v for values in files.periods.values() for v in values),
        *(v for values in files.thresholds.values() for v in values),
    ]
    days = {v.effective_from for v in dated}
    days |= {v.effective_to + timedelta(days=1) for v in dated if v.effective_to is not None}
    return tuple(sorted(days))


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
