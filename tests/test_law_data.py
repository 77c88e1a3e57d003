"""The law data: every value cited and dated, loaded strictly, worded as the official text."""

from __future__ import annotations

import json
import re
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from dtia.law import law_files, load_rules
from dtia.law.models import CITATION_RE, Exemption, LawFiles

ROOT = Path(__file__).resolve().parent.parent
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
    # the law of 2026: filing routes, fine scales and caps, revenue bands, limitation
    "procedure",
    "domain",
    "kind",
    "point",
    "years",
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


# The instruments whose official text ships with the package, by the name citations use.
OFFICIAL = {
    "Law 91/2025": "law-91-2025-qh15",
    "Decree 356/2025": "decree-356-2025",
    "Decree 13/2023": "decree-13-2023",
    "Decree 330/2026": "decree-330-2026",
    "Decree 333/2026": "decree-333-2026",
    "Resolution 22/2026": "resolution-22-2026",
}
CHECKABLE = re.compile(
    r"(Law 91/2025|Decree 356/2025|Decree 13/2023|Decree 330/2026|Decree 333/2026|"
    r"Resolution 22/2026) "
    r"(?:Art (\d+)((?:\([0-9a-zđ]+\))*)|(Form \d{2}[ab]?)"
    r"|App (I{1,2}(?:\.\d+)?)(?: §([A-Z])(?:\.([IVX]+))?)?)"
)


def _paragraphs(instrument: str) -> dict[str, list[str]]:
    data = json.loads(SOURCES.joinpath(f"{instrument}.vi.json").read_text(encoding="utf-8"))
    return {u["number"]: [p.strip() for p in u["paragraphs"]] for u in data["units"]}


TEXTS = {name: _paragraphs(file) for name, file in OFFICIAL.items()}


def resolve(citation: str) -> str | None:
    """Why ``citation`` does not resolve in the official text (None when it does): the
    article must exist, and so must its clause ("2.") and the clause's point ("b)")."""
    m = CHECKABLE.fullmatch(citation) or CHECKABLE.match(citation)
    if m is None:
        return None
    instrument, article, parts, form, appendix, part, item = m.groups()
    units = TEXTS[instrument]
    if form:
        return None if form in units else f"{instrument} has no {form}"
    if appendix:
        return _resolve_appendix(instrument, units, appendix, part, item)
    if article not in units:
        return f"{instrument} has no Art {article}"
    levels = re.findall(r"\(([0-9a-zđ]+)\)", parts or "")
    lines = units[article]
    if not levels:
        return None
    clause = levels[0]
    starts = [i for i, line in enumerate(lines) if re.match(rf"{re.escape(clause)}\.\s", line)]
    if not starts:
        return f"{instrument} Art {article} has no clause {clause}"
    if len(levels) == 1:
        return None
    after = lines[starts[0] + 1 :]
    end = next((i for i, line in enumerate(after) if re.match(r"\d+\.\s", line)), len(after))
    point = levels[1]
    if not any(re.match(rf"{re.escape(point)}\)\s", line) for line in after[:end]):
        return f"{instrument} Art {article}({clause}) has no point {point}"
    return None


def _resolve_appendix(
    instrument: str, units: dict[str, list[str]], appendix: str, part: str | None, item: str | None
) -> str | None:
    """An appendix, its part ("B. ...") and the part's item ("III. ...") must exist."""
    lines = units.get(f"Appendix {appendix}")
    if lines is None:
        return f"{instrument} has no Appendix {appendix}"
    if part is None:
        return None
    starts = [i for i, line in enumerate(lines) if re.match(rf"{part}\.\s", line)]
    if not starts:
        return f"{instrument} Appendix {appendix} has no part {part}"
    after = lines[starts[0] + 1 :]
    # The next part starts with a capital letter that is not a Roman numeral (I, V, X).
    end = next(
        (i for i, line in enumerate(after) if re.match(r"(?![IVX]\.)[A-Z]\.\s", line)),
        len(after),
    )
    if item is not None and not any(re.match(rf"{item}\.\s", line) for line in after[:end]):
        return f"{instrument} Appendix {appendix} part {part} has no item {item}"
    return None


def _all_citations(node: Any, path: str) -> list[tuple[str, str]]:
    """Every citation string in the law data: under `citations` and `cited_when`."""
    found: list[tuple[str, str]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "citations":
                found += [(f"{path}.{key}", c) for c in value]
            elif key == "cited_when":
                found += [(f"{path}.{key}.{k}", c) for k, cs in value.items() for c in cs]
            else:
                found += _all_citations(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _all_citations(value, f"{path}[{i}]")
    return found


DATA_CITATIONS = [
    (f"{name}{where}", c)
    for name, content in _raw().items()
    for where, c in _all_citations(content, "")
]


def test_cited_articles_exist_in_the_official_text() -> None:
    checked = 0
    for where, c in DATA_CITATIONS:
        assert CITATION_RE.match(c), f"{where}: malformed citation {c!r}"
        if CHECKABLE.match(c):
            problem = resolve(c)
            assert problem is None, f"{where}: {c}: {problem}"
            checked += 1
    assert checked > 150


def test_the_resolver_catches_what_the_text_lacks() -> None:
    # Guards the check itself: each of these names something the official text does not have.
    assert resolve("Decree 356/2025 Art 17(3)(đ)") is None
    assert resolve("Decree 330/2026 Art 56(2)(b)") is None
    assert resolve("Decree 356/2025 Art 99") is not None
    assert resolve("Decree 356/2025 Art 17(4)") is not None
    assert resolve("Decree 356/2025 Art 17(3)(h)") is not None
    assert resolve("Law 91/2025 Art 23(1)(a)") is not None
    assert resolve("Decree 356/2025 Form 11") is not None
    # The 2026 instruments: Decree 333's storage duty, Resolution 22's filing route.
    assert resolve("Decree 333/2026 Art 19(1)(b)") is None
    assert resolve("Decree 333/2026 Art 19(9)") is not None
    assert resolve("Decree 333/2026 Art 21") is not None  # not in the text kept
    assert resolve("Resolution 22/2026 App I.7 §B.I") is None
    assert resolve("Resolution 22/2026 App I.7 §B.III") is None
    assert resolve("Resolution 22/2026 App I.7 §B.IX") is not None
    assert resolve("Resolution 22/2026 App I.7 §C") is not None
    assert resolve("Resolution 22/2026 App I.8") is not None
    assert resolve("Resolution 22/2026 Art 6(3)") is not None


# Citations written in the code: lists of articles and the articles named in messages.
CODE_FILES = sorted(
    p
    for folder in ("dtia", "templates")
    for p in (ROOT / folder).rglob("*")
    if p.suffix in (".py", ".j2") and "migrations" not in p.parts
)


def _code_citations() -> list[tuple[str, str]]:
    found = []
    for path in CODE_FILES:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for m in CHECKABLE.finditer(line):
                found.append((f"{path.relative_to(ROOT)}:{n}", m.group(0)))
    return found


CODE_CITATIONS = _code_citations()


def test_the_code_walk_finds_the_citations() -> None:
    assert len(CODE_CITATIONS) > 40


@pytest.mark.parametrize(("where", "citation"), CODE_CITATIONS, ids=[w for w, _ in CODE_CITATIONS])
def test_every_citation_in_the_code_exists_in_the_official_text(where: str, citation: str) -> None:
    problem = resolve(citation)
    assert problem is None, f"{where}: {citation}: {problem}"


def test_finding_citations_come_from_the_law_data() -> None:
    # Rule citations live in law data: findings.py names no article in a citation list.
    source = (ROOT / "dtia" / "findings.py").read_text(encoding="utf-8")
    listed = re.findall(r'[\[(,]\s*f?"((?:Law|Decree|Decision|Civil|Labour)[^"]*)"', source)
    assert listed == [], f"citation lists written in findings.py: {listed}"


def test_every_finding_basis_is_used() -> None:
    files, _ = law_files()
    code = "".join(p.read_text(encoding="utf-8") for p in CODE_FILES if p.suffix == ".py")
    for basis in files.finding_bases:
        assert f'"{basis.id}"' in code, f"finding basis {basis.id} is used nowhere"


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


def _form_squash(text: str) -> str:
    """Whitespace, dots and ellipses (the form's blanks) as one space."""
    return re.sub(r"[\s.…]+", " ", text).strip()


def _form_units() -> dict[str, str]:
    """The forms' text without their footnote marks (a blank's "…1", a line "1")."""
    units = _paragraphs("decree-356-2025")
    return {
        form: " ".join(
            re.sub(r"(?<=[….])\d$", "", line)
            for line in units[f"Form {form}"]
            if not re.fullmatch(r"\d", line)
        )
        for form in ("01a", "01b", "03a", "09")
    }


def _in_form(piece: str, target: str) -> bool:
    """``piece`` is the form's wording: verbatim, save for the capital of its first letter
    (a phrase of an instruction printed as a label starts with a capital)."""
    squashed = _form_squash(piece)
    haystack = _form_squash(target)
    variants = {squashed, squashed[:1].lower() + squashed[1:], squashed[:1].upper() + squashed[1:]}
    return any(v in haystack for v in variants)


def _pieces(text: str) -> list[str]:
    return [p for p in re.split(r"\{name\}", text) if p.strip()]


def test_form_wording_is_official() -> None:
    rules = load_rules(date(2026, 11, 22))
    forms = _form_units()
    for t in rules.files.form_texts:
        targets = list(forms.values()) if t.form == "any" else [forms[t.form]]
        for piece in _pieces(t.text_vi):
            assert any(_in_form(piece, u) for u in targets), (
                f"{t.key} ({t.form}): {piece!r} is not in the official form"
            )


def test_form_09_labels_and_instructions_are_official() -> None:
    files, _ = law_files()
    form09 = _form_units()["09"]
    for item in (*files.form09_fields, *files.form09_sections):
        for words in (item.label_vi, item.note_vi):
            if words is not None:
                assert _in_form(words, form09), f"{item.id}: {words!r} is not in Form 09"
    for act in files.activities:
        assert _in_form(act.label_vi, form09), act.code


def _official_labels(form: str) -> list[str]:
    """Every label the law data holds for ``form`` (fields, headings, sub-labels, boxes)."""
    files, _ = law_files()
    labels = [t.text_vi for t in files.form_texts if t.form in (form, "any")]
    if form == "09":
        items = (*files.form09_fields, *files.form09_sections)
        labels += [i.label_vi for i in items] + [i.note_vi for i in items if i.note_vi]
        labels += [
            c.label_vi
            for c in (
                *files.basic_data,
                *files.sensitive_data,
                *files.processing_services,
                *files.activities,
            )
        ]
    return [p for label in labels for p in _pieces(label)]


# What the official text holds besides its wording: numbering ("8.1", "1a", "III", "a)"),
# blanks and boxes, and the placeholder the organisation's name replaces in the header.
UNWORDED = re.compile(r"^(?:\d+[a-z]?|[IVX]+|[a-z]\)|[:/,\-|☐√]|_+)$")
NAME_PLACEHOLDER = "TÊN TỔ CHỨC"


@pytest.mark.parametrize("form", ["01a", "01b", "09"])
def test_the_law_data_holds_every_word_of_the_forms(form: str) -> None:
    # Each label of the data is the form's wording (tests above); here the converse: marking
    # where each label occurs in the official text, nothing is left but numbering and blanks.
    source = _form_squash(_form_units()[form])
    covered = [False] * len(source)
    for label in _official_labels(form):
        squashed = _form_squash(label)
        for variant in {squashed, squashed[:1].lower() + squashed[1:]}:
            for m in re.finditer(re.escape(variant), source):
                covered[m.start() : m.end()] = [True] * (m.end() - m.start())
    left = "".join(" " if done else ch for ch, done in zip(source, covered, strict=True))
    stray = [t for t in left.replace(NAME_PLACEHOLDER, " ").split() if not UNWORDED.match(t)]
    assert stray == [], f"Form {form} wording the law data lacks: {stray}"


def test_the_vocabulary_speaks_the_law() -> None:
    files, _ = law_files()
    art2 = _squash(_unit_text("law-91-2025-qh15")["2"])
    for role in files.vocabulary.roles:
        assert _squash(role.text_vi) in art2, role.role
        assert role.text_vi != "joint controller"
    for term in files.vocabulary.terms:
        m = CHECKABLE.fullmatch(term.citations[0])
        assert m is not None, term.term
        article = _squash(" ".join(TEXTS[m.group(1)][m.group(2)]))
        assert _squash(term.text_vi) in article, term.term
    # Every role the intake can name has its Law 91 term.
    from typing import get_args

    from dtia.intake import Recipient, Transferor

    named = {
        *get_args(Recipient.model_fields["role"].annotation),
        *get_args(Transferor.model_fields["role"].annotation),
    }
    assert named == {r.role for r in files.vocabulary.roles}


def test_cover_items_are_worded_as_forms_01a_and_01b() -> None:
    rules = load_rules(date(2026, 11, 22))
    units = _unit_text("decree-356-2025")

    def squash(text: str) -> str:
        return re.sub(r"[\s.…]+", " ", text).strip()

    assert {f.id for f in rules.files.cover_fields} >= {
        "cover.place",
        "cover.signatory",
        "cover.registration",
        "cover.authorisation",
    }
    for f in rules.files.cover_fields:
        forms = ["01a", "01b"] if f.form == "any" else [f.form]
        for form in forms:
            assert squash(f.label_vi) in squash(units[f"Form {form}"]), (f.id, form)


def test_the_analysis_headings_are_the_form_09_wording() -> None:
    # The headings and explanations of §A.III the analysis prints, as the form has them
    # (its capitalisation aside: a heading starts with a capital the chapeau's list lacks).
    rules = load_rules(date(2026, 11, 22))
    form = _unit_text("decree-356-2025")["Form 09"]

    def squash(text: str) -> str:
        return re.sub(r"\s+", " ", re.sub(r"(?<=\D)\d(?=\s)", "", text)).strip().lower()

    official = [t for t in rules.files.analysis_texts if t.official]
    assert len(official) > 20
    for t in official:
        assert squash(t.text_vi) in squash(form), f"{t.key}: {t.text_vi!r} is not in Form 09"


def test_the_analysis_wording_names_no_criterion_code_and_no_english() -> None:
    rules = load_rules(date(2026, 11, 22))
    for t in rules.files.analysis_texts:
        slots = re.sub(r"\{\w+\}", "", t.text_vi)
        assert not re.search(r"\bC\d{1,2}\b", slots), t.key
        assert not re.search(r"\b(?:the|and|of|with|for|is)\b", slots), t.key


def test_provided_services_are_the_intake_vocabulary_and_worded_as_their_articles() -> None:
    from typing import get_args

    from dtia.intake import ProvidedService

    rules = load_rules(date(2026, 11, 22))
    assert [s.code for s in rules.files.provided_services] == list(get_args(ProvidedService))
    squash = lambda t: " ".join(t.lower().split())  # noqa: E731
    for svc in rules.files.provided_services:
        if not (svc.exemptions or svc.cloud):
            continue
        # The service an exemption or the cloud rule rests on is named as its article names it.
        article = " ".join(
            line
            for c in svc.citations
            for line in TEXTS[c.split(" Art ")[0]][c.split(" Art ")[1].split("(")[0]]
        )
        assert squash(svc.label_vi) in squash(article), svc.code
    services = {s.code for s in rules.exemption_services("contract_travel_logistics_payment")}
    assert services == {"payment", "transport_logistics", "hotel", "visa", "scholarship"}
    assert [s.code for s in rules.files.provided_services if s.cloud] == ["cloud_service"]


def test_press_media_business_lines_are_cited_to_article_17_3_a() -> None:
    rules = load_rules(date(2026, 11, 22))
    lines = rules.files.press_media_business_lines
    assert {b.code for b in lines} >= {"5813", "6010", "6021", "6391"}
    assert all("Decree 356/2025 Art 17(3)(a)" in b.citations for b in lines)
    assert rules.press_media_line("4711") is None  # retail is not press or media


# The law of 2026 as dated data: Resolution 22/2026's filing route, Decree 330/2026's
# sanctions, Decree 333/2026's data kept in Vietnam.


def _squash(text: str) -> str:
    return " ".join(text.lower().split())


def _clause_lines(citation: str) -> tuple[str, str]:
    """The text of a citation's clause and of its point ("" when it names no point)."""
    m = CHECKABLE.fullmatch(citation)
    assert m is not None, citation
    instrument, article, parts = m.group(1), m.group(2), m.group(3)
    lines = TEXTS[instrument][article]
    levels = re.findall(r"\(([0-9a-zđ]+)\)", parts)
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{levels[0]}. "))
    after = lines[start + 1 :]
    end = next((i for i, line in enumerate(after) if re.match(r"\d+\.\s", line)), len(after))
    clause = " ".join([lines[start], *after[:end]])
    point = ""
    if len(levels) > 1:
        point = next(line for line in after[:end] if line.startswith(f"{levels[1]}) "))
    return clause, point


def _dots(amount: int) -> str:
    return f"{amount:,}".replace(",", ".")


def test_every_sanction_states_the_decree_amounts_and_wording() -> None:
    rules = load_rules(date(2026, 11, 22))
    assert len(rules.sanctions()) >= 12
    for s in rules.sanctions():
        clause, point = _clause_lines(s.clause)
        amounts = f"Phạt tiền từ {_dots(s.fine_min_vnd)} đồng đến {_dots(s.fine_max_vnd)} đồng"
        assert amounts in clause, f"{s.id}: {amounts!r} is not what {s.clause} fines"
        assert _squash(s.violation_vi) in _squash(point or clause), f"{s.id}: wording"


def test_the_fines_are_stated_for_the_right_party_and_capped_as_article_7() -> None:
    rules = load_rules(date(2026, 11, 22))
    art7 = _squash(" ".join(TEXTS["Decree 330/2026"]["7"]))
    assert rules.fine_scale("personal_data").stated_for == "organisation"
    assert rules.fine_scale("personal_data").other_pays == "half"
    assert rules.fine_scale("cybersecurity").stated_for == "individual"
    assert rules.fine_scale("cybersecurity").other_pays == "double"
    assert "mục 6 chương ii" in art7 and "một phần hai" in art7 and "hai lần" in art7
    cross = rules.fine_cap("personal_data_cross_border")
    assert (cross.revenue_percent, cross.organisation_vnd, cross.individual_vnd) == (
        5,
        3_000_000_000,
        1_500_000_000,
    )
    assert "5% doanh thu của năm trước liền kề" in art7 and "03 tỷ đồng" in art7
    cyber = rules.fine_cap("cybersecurity")
    assert (cyber.organisation_vnd, cyber.individual_vnd) == (200_000_000, 100_000_000)
    assert "200.000.000 đồng" in art7 and "100.000.000 đồng" in art7


def test_the_revenue_bands_and_their_two_bases_are_article_56_3_and_4() -> None:
    rules = load_rules(date(2026, 11, 22))
    bands = rules.files.revenue_bands
    assert [(b.people_at_least, b.people_below) for b in bands] == [
        (10_000, 100_000),
        (100_000, 1_000_000),
        (1_000_000, None),
    ]
    for band in bands:
        _, three = _clause_lines(band.citations[0])
        _, four = _clause_lines(band.citations[1])
        assert f"từ {band.percent_min}% đến {band.percent_max}% doanh thu" in three, band.point
        assert (
            f"từ {_dots(band.fallback_min_vnd)} đồng đến {_dots(band.fallback_max_vnd)} đồng"
            in four
        ), band.point
    assert rules.revenue_band(9_999) is None
    assert rules.revenue_band(10_000) is not None and rules.revenue_band(10_000).point == "a"
    assert rules.revenue_band(99_999).point == "a"  # type: ignore[union-attr]
    assert rules.revenue_band(100_000).point == "b"  # type: ignore[union-attr]
    assert rules.revenue_band(1_000_000).point == "c"  # type: ignore[union-attr]
    bases = {b.code: b for b in rules.revenue_bases()}
    assert set(bases) == {"vietnam_market", "total"}
    for base in bases.values():
        text = " ".join(line for c in base.citations for line in _clause_lines(c))
        assert _squash(base.label_vi) in _squash(text), base.code


def test_measures_and_limitation_are_worded_as_the_decree() -> None:
    rules = load_rules(date(2026, 11, 22))
    for m in rules.files.sanction_measures:
        clause, point = _clause_lines(m.citations[0])
        assert _squash(m.label_vi) in _squash(point or clause), m.code
    assert rules.limitation().years == 1
    clause, _ = _clause_lines("Decree 330/2026 Art 3(1)")
    assert "là 01 năm" in clause


def test_sanctions_are_dated_from_decree_330() -> None:
    assert load_rules(date(2026, 8, 18)).sanctions() == []
    assert load_rules(date(2026, 8, 19)).sanction("d330-56-1-b") is not None
    art80 = " ".join(TEXTS["Decree 330/2026"]["80"])
    assert "ngày 19 tháng 8 năm 2026" in art80


def test_every_sanctioned_finding_is_one_the_code_raises() -> None:
    code = (ROOT / "dtia" / "findings.py").read_text(encoding="utf-8")
    files, _ = law_files()
    for s in files.sanctions:
        for fid in s.findings:
            assert f'"{fid}"' in code, f"{s.id} names {fid}, which no rule raises"


def test_the_filing_route_is_resolution_22_until_1_march_2027_then_decree_356() -> None:
    def route(on: date, procedure: str = "initial_filing") -> tuple[str, str]:
        ch = load_rules(on).filing_channel(procedure)
        return ch.receiving_body_vi, ch.citations[0]

    d356 = ("cơ quan chuyên trách bảo vệ dữ liệu cá nhân", "Decree 356/2025 Art 18(4)")
    r22 = ("Bộ Công an", "Resolution 22/2026 App I.7 §B.I")
    assert route(date(2026, 4, 28)) == d356
    assert route(date(2026, 4, 29)) == r22
    assert route(date(2027, 3, 1)) == r22  # "đến hết ngày 01 tháng 3 năm 2027": inclusive
    assert route(date(2027, 3, 2)) == d356  # effective_to honoured: the Decree again
    assert route(date(2030, 1, 1)) == d356
    assert route(date(2027, 3, 1), "update")[1] == "Resolution 22/2026 App I.7 §B.III"
    assert route(date(2027, 3, 2), "update")[1] == "Decree 356/2025 Art 20(3)"
    r22_text = " ".join(TEXTS["Resolution 22/2026"]["6"])
    assert "đến hết ngày 01 tháng 3 năm 2027" in r22_text


def test_filing_channels_are_worded_as_their_articles() -> None:
    files, _ = law_files()
    for ch in files.filing_channels:
        first = ch.citations[0]
        m = CHECKABLE.fullmatch(first)
        assert m is not None
        instrument = m.group(1)
        unit = m.group(2) or f"Appendix {m.group(5)}"
        text = _squash(" ".join(TEXTS[instrument][unit]))
        for words in (ch.receiving_body_vi, ch.channels_vi, ch.processed_by_vi):
            assert _squash(words) in text, f"{ch.procedure} from {ch.effective_from}: {words!r}"


def test_the_loader_refuses_dated_values_that_overlap_or_leave_a_gap() -> None:
    files, _ = law_files()
    dumped = files.model_dump()
    channels = dumped["filing_channels"]
    r22 = next(i for i, c in enumerate(channels) if c["effective_from"] == date(2026, 4, 29))
    overlapping = {**dumped, "filing_channels": [*channels]}
    overlapping["filing_channels"][r22] = {**channels[r22], "effective_to": date(2027, 3, 2)}
    with pytest.raises(ValidationError, match="overlap"):
        LawFiles.model_validate(overlapping)
    gap = {**dumped, "filing_channels": [*channels]}
    gap["filing_channels"][r22] = {**channels[r22], "effective_to": date(2027, 2, 28)}
    with pytest.raises(ValidationError, match="no value is in force"):
        LawFiles.model_validate(gap)


def test_localisation_codes_and_users_are_cited_to_decree_333() -> None:
    rules = load_rules(date(2026, 11, 22))
    lines = rules.files.localisation_business_lines
    assert {b.code for b in lines} >= {"6110", "6120", "6311"}
    assert all("Decree 333/2026 Art 19(2)" in b.citations for b in lines)
    assert rules.localisation_line("4711") is None  # retail keeps no users' data duty here
    assert load_rules(date(2026, 8, 18)).localisation_line("6311") is None  # before Decree 333
    assert set(rules.service_user_kinds()) == {"customers", "website_visitors", "minors"}
    assert rules.threshold("local_storage_months").value == 24
    clause, _ = _clause_lines("Decree 333/2026 Art 20(1)")
    assert "tối thiểu là 24 tháng" in clause


def test_the_2026_instruments_ship_with_their_text_and_dates() -> None:
    files, _ = law_files()
    dated = {i.id: (i.effective_from, i.effective_to) for i in files.instruments}
    assert dated["resolution-22-2026"] == (date(2026, 4, 29), date(2027, 3, 1))
    assert dated["decree-330-2026"] == (date(2026, 8, 19), None)
    assert dated["decree-333-2026"] == (date(2026, 8, 19), None)
    for name in ("Resolution 22/2026", "Decree 330/2026", "Decree 333/2026"):
        assert any(c.startswith(name) for _, c in DATA_CITATIONS), name


def test_policy_items_have_cues_for_the_languages_they_are_read_in() -> None:
    files, _ = law_files()
    for item in files.policy_items:
        if item.key == "current_law":  # read through policy_law_references
            assert files.policy_law_references
            continue
        langs = {"ja"} if item.law == "jp" else {"en", "vi"}
        given = {lang for lang in langs if item.cues.get(lang) or item.sections.get(lang)}
        assert given == langs, f"{item.key}: no cues for {sorted(langs - given)}"


# Japanese law is cited by article ("APPI Art 27(5)(iii)": article, paragraph, Japanese item
# numbers as lower-case roman numerals), or the 2026 amendment by its Act number.
APPI_CITATION = re.compile(
    r"^(?:(APPI|PPC Rules) Art (\d+)(\(\d+\))?(\((?:i|ii|iii|iv|v|vi|vii|viii|ix|x|xi|xii)\))?"
    r"|APPI Amendment Act No\. 56 of 2026)$"
)
# The official English translations the APPI articles are read in (the text is not vendored).
OFFICIAL_JP = ("https://www.japaneselawtranslation.go.jp/", "https://www.ppc.go.jp/")


def resolve_jp(citation: str) -> str | None:
    """Why a citation of Japanese law names nothing the law data keeps, or None."""
    m = APPI_CITATION.match(citation)
    if m is None:
        return "not of the form 'APPI Art 27(5)(iii)' or 'PPC Rules Art 17(2)'"
    files, _ = law_files()
    kept = {a.citation for a in files.foreign_articles}
    # the article kept, the paragraph whose item is cited, or an article one of whose
    # paragraphs is kept ("APPI Art 28" for Art 28(2))
    if citation in kept or (m.group(4) and citation[: -len(m.group(4))] in kept):
        return None
    if any(k.startswith(citation + "(") for k in kept):
        return None
    return "no article of appi.yaml is this one (or the paragraph of this item)"


def _jp_citations() -> list[tuple[str, str]]:
    data = [(w, c) for w, c in DATA_CITATIONS if c.startswith(("APPI", "PPC"))]
    pattern = re.compile(
        r"(?:APPI|PPC Rules) Art \d+(?:\(\w+\))*|APPI Amendment Act No\. \d+ of \d{4}"
    )
    code = [
        (f"{path.relative_to(ROOT)}:{n}", m.group(0))
        for path in CODE_FILES
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        for m in pattern.finditer(line)
    ]
    return data + code


def test_japanese_law_is_cited_by_article_to_what_appi_yaml_keeps() -> None:
    cited = _jp_citations()
    assert len(cited) > 15  # the policy items, the APPI note and its module
    for where, c in cited:
        assert CITATION_RE.match(c), f"{where}: malformed citation {c!r}"
        problem = resolve_jp(c)
        assert problem is None, f"{where}: {c}: {problem}"
    # guards the check itself
    assert resolve_jp("APPI Art 27(5)(iii)") is None
    assert resolve_jp("PPC Rules Art 17(2)(ii)") is None
    assert resolve_jp("APPI Art 27(5)(iv)") is not None
    assert resolve_jp("APPI Art 28") is None
    assert resolve_jp("APPI Art 99") is not None
    assert resolve_jp("APPI Art 2") is not None
    assert resolve_jp("APPI Art 27(5)(3)") is not None


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
        # the text is not vendored: the first source is the official one, with its address
        first = article.sources[0]
        assert first.url and first.url.startswith(OFFICIAL_JP), article.citation
    amendment = articles["APPI Amendment Act No. 56 of 2026"]
    assert amendment.effective_from == date(2027, 1, 17) and amendment.uncertain


def test_policy_rights_are_worded_as_law_91_article_4() -> None:
    files, _ = law_files()
    art4 = _unit_text("law-91-2025-qh15")["4"]
    for right in files.policy_rights:
        assert right.citations[0].startswith("Law 91/2025 Art 4(1)"), right.code
        assert any(re.search(p, art4, re.IGNORECASE) for p in right.vi), right.code
    letters = {
        re.sub(r"^Law 91/2025 Art 4\(1\)", "", c) for r in files.policy_rights for c in r.citations
    }
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
