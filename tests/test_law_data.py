"""The law data: every value cited and dated, loaded strictly, worded as the official text."""

from __future__ import annotations

import json
import re
from datetime import date
from importlib import resources
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from dtia.law import law_files, load_rules
from dtia.law.models import CITATION_RE, Exemption, LawFiles

DATA = resources.files("dtia.law").joinpath("data")
SOURCES = resources.files("dtia.law").joinpath("sources")
# Keys that carry a legal value: a mapping holding one of them must cite its articles.
VALUE_KEYS = {
    "value",
    "days",
    "months",
    "code",
    "key",
    "id",
    "weight",
    "day",
    "label_vi",
    "text_vi",
}


def _raw() -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for entry in DATA.iterdir():
        if entry.name.endswith(".yaml"):
            merged[entry.name] = yaml.safe_load(entry.read_text(encoding="utf-8"))
    return merged


def _walk(node: Any, path: str) -> list[tuple[str, dict[str, Any]]]:
    found = []
    if isinstance(node, dict):
        if VALUE_KEYS & set(node) and "rules_version" not in node:
            found.append((path, node))
        for key, value in node.items():
            found += _walk(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _walk(value, f"{path}[{i}]")
    return found


def _unit_text(instrument: str) -> dict[str, str]:
    data = json.loads(SOURCES.joinpath(f"{instrument}.vi.json").read_text(encoding="utf-8"))
    return {u["number"]: " ".join(u["paragraphs"]) for u in data["units"]}


VALUES = [
    (f"{name}{path}", node) for name, content in _raw().items() for path, node in _walk(content, "")
]


def test_the_walk_finds_the_values() -> None:
    # Guards the walker itself: if it found nothing, every test below would pass vacuously.
    assert len(VALUES) > 150


@pytest.mark.parametrize(("where", "node"), VALUES, ids=[w for w, _ in VALUES])
def test_every_value_has_citations_and_an_effective_date(where: str, node: dict[str, Any]) -> None:
    cites = node.get("citations")
    assert cites, f"{where} has no citations"
    for c in cites:
        assert CITATION_RE.match(c), f"{where}: malformed citation {c!r}"
    assert isinstance(node.get("effective_from"), date), f"{where} has no effective_from date"


def test_cited_articles_exist_in_the_official_text() -> None:
    texts = {
        "Law 91/2025": _unit_text("law-91-2025-qh15"),
        "Decree 356/2025": _unit_text("decree-356-2025"),
        "Decree 13/2023": _unit_text("decree-13-2023"),
    }
    checked = 0
    for where, node in VALUES:
        for c in node["citations"]:
            m = re.match(
                r"^(Law 91/2025|Decree 356/2025|Decree 13/2023) (?:Art (\d+)|(Form \d+[ab]?))", c
            )
            if m:
                unit = m.group(2) or m.group(3)
                assert unit in texts[m.group(1)], f"{where}: {c} names a unit the instrument lacks"
                checked += 1
    assert checked > 150


def test_a_value_without_citation_is_rejected() -> None:
    files, _ = law_files()
    good = files.exemptions[0].model_dump()
    with pytest.raises(ValidationError):
        Exemption.model_validate({**good, "citations": []})
    with pytest.raises(ValidationError):
        Exemption.model_validate({k: v for k, v in good.items() if k != "citations"})
    with pytest.raises(ValidationError, match="citation"):
        Exemption.model_validate({**good, "citations": ["Art 20 of the Law"]})
    with pytest.raises(ValidationError, match="Extra inputs"):
        Exemption.model_validate({**good, "citation": good["citations"]})


def test_the_whole_body_is_strict() -> None:
    files, _ = law_files()
    dumped = files.model_dump()
    dumped["unexpected"] = 1
    with pytest.raises(ValidationError):
        LawFiles.model_validate(dumped)


def test_criteria_cover_c1_to_c17_and_weights_sum_to_100() -> None:
    rules = load_rules(date(2026, 11, 22))
    codes = [c.code for c in rules.criteria()]
    assert codes == [f"C{i}" for i in range(1, 18)]
    assert sum(c.weight for c in rules.criteria()) == 100


def test_data_lists_match_the_decree() -> None:
    rules = load_rules(date(2026, 11, 22))
    form09 = re.sub(r"\s+", " ", _unit_text("decree-356-2025")["Form 09"])
    assert len(rules.files.basic_data) == 23 and len(rules.files.sensitive_data) == 16
    assert {c.item for c in rules.files.basic_data} == {str(i) for i in range(1, 12)}
    assert {c.item for c in rules.files.sensitive_data} == set("abcdđeghiklm")
    for cat in (*rules.files.basic_data, *rules.files.sensitive_data):
        assert cat.label_vi in form09, f"{cat.code}: {cat.label_vi!r} is not the Form 09 wording"


def test_exemption_and_limb_wording_is_official() -> None:
    rules = load_rules(date(2026, 11, 22))
    law = _unit_text("law-91-2025-qh15")["20"]
    decree = _unit_text("decree-356-2025")["17"]
    for ex in rules.exemptions():
        assert ex.label_vi in law or ex.label_vi in decree, ex.code
    for limb in rules.files.limbs:
        assert limb.label_vi in law, limb.code


def test_periods_and_thresholds_are_the_statutory_ones() -> None:
    rules = load_rules(date(2026, 11, 22))
    assert rules.period("initial_filing").days == 60
    assert rules.period("authority_verdict").days == 15
    assert rules.period("completion").days == 30
    assert rules.period("periodic_update").months == 6
    assert rules.period("urgent_update").days == 10
    assert rules.threshold("national_security_basic").value == 100_000
    assert rules.threshold("national_security_sensitive").value == 10_000
    assert rules.threshold("national_security_basic").comparison == "more_than"


def test_rules_are_not_in_force_before_the_law() -> None:
    from dtia.errors import RulesError

    with pytest.raises(RulesError, match="2026-01-01"):
        load_rules(date(2025, 12, 31))


def test_processing_services_are_the_decree_list() -> None:
    rules = load_rules(date(2026, 11, 22))
    art21 = _unit_text("decree-356-2025")["21"]
    form09 = _unit_text("decree-356-2025")["Form 09"]
    assert len(rules.files.processing_services) == 9
    squash = lambda t: " ".join(t.lower().split())  # noqa: E731 - the form capitalises "Bên"
    for svc in rules.files.processing_services:
        assert squash(svc.label_vi) in squash(art21) and squash(svc.label_vi) in squash(form09), (
            svc.code
        )


def test_update_triggers_are_worded_as_article_20() -> None:
    rules = load_rules(date(2026, 11, 22))
    art20 = _unit_text("decree-356-2025")["20"]
    assert {t.code for t in rules.files.update_triggers} == {
        "purpose",
        "party",
        "reorganisation",
        "pdp_provider",
        "business_line",
    }
    for t in rules.files.update_triggers:
        assert t.label_vi in art20, t.code


def test_form_wording_is_official() -> None:
    rules = load_rules(date(2026, 11, 22))
    units = _unit_text("decree-356-2025")
    forms = {
        "01a": units["Form 01a"],
        "01b": units["Form 01b"],
        "03a": units["Form 03a"],
        "09": units["Form 09"],
    }

    def squash(text: str) -> str:
        return re.sub(r"[\s.…]+", " ", text).strip()

    for t in rules.files.form_texts:
        targets = forms.values() if t.form == "any" else [forms[t.form]]
        pieces = [p for p in re.split(r"\{name\}", t.text_vi) if p.strip()]
        for piece in pieces:
            assert any(
                squash(piece) in squash(re.sub(r"(?<=\D)\d(?=\s)", "", u)) for u in targets
            ), f"{t.key} ({t.form}): {piece!r} is not in the official form"


def test_policy_items_have_cues_for_the_languages_they_are_read_in() -> None:
    files, _ = law_files()
    for item in files.policy_items:
        if item.key == "current_law":  # read through policy_law_references
            assert files.policy_law_references
            continue
        langs = {"ja"} if item.law == "jp" else {"en", "vi"}
        given = {lang for lang in langs if item.cues.get(lang) or item.sections.get(lang)}
        assert given == langs, f"{item.key}: no cues for {sorted(langs - given)}"


def test_japanese_law_cited_by_policy_items_is_read_from_named_sources() -> None:
    files, _ = law_files()
    articles = {a.citation: a for a in files.foreign_articles}
    for item in files.policy_items:
        for cite in item.citations:
            if cite.startswith(("APPI", "PPC")):
                parent = re.sub(r"\([ivx]+\)$", "", cite)
                assert parent in articles or cite in articles, f"{item.key}: {cite}"
    for article in files.foreign_articles:
        assert article.sources and article.text_ja, article.citation
    amendment = articles["APPI Amendment Act No. 56 of 2026"]
    assert amendment.effective_from == date(2027, 1, 17) and amendment.uncertain


def test_policy_rights_are_worded_as_law_91_article_4() -> None:
    files, _ = law_files()
    art4 = _unit_text("law-91-2025-qh15")["4"]
    for right in files.policy_rights:
        assert right.citations[0].startswith("Law 91/2025 Art 4(1)"), right.code
        assert any(re.search(p, art4, re.IGNORECASE) for p in right.vi), right.code
    letters = {re.sub(r"^Law 91/2025 Art 4\(1\)", "", c) for r in files.policy_rights for c in r.citations}
    assert letters == {"(a)", "(b)", "(c)", "(d)", "(đ)"}


def test_a_broken_cue_or_unknown_instrument_fails_loading() -> None:
    files, _ = law_files()
    dumped = files.model_dump()
    dumped["policy_items"][0]["cues"]["en"] = [{"pattern": "(unclosed", "requires": None}]
    with pytest.raises(ValidationError, match="transfer_abroad"):
        LawFiles.model_validate(dumped)
    dumped = files.model_dump()
    dumped["policy_law_references"][0]["instrument"] = "decree-99-2030"
    with pytest.raises(ValidationError, match="decree-99-2030"):
        LawFiles.model_validate(dumped)
