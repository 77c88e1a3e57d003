"""What a policy or notice discloses, item by item, with the passages that show it.

Pure: a ``Document`` (see read.py) and a date in, a ``PolicyCheck`` out. The cues are law
data (dtia/law/data/policy_items.yaml); this module only applies them:

1. Each sentence of the Vietnamese-law part (English and Vietnamese text) is matched against
   the Vietnamese-law items' cues, each sentence of the Japanese text against the APPI items'.
2. A sentence under a heading, or in a list whose introduction, matches an item's `sections`
   cues discloses it too when it matches the item's `members` cues (a bullet "Full name;"
   under "Types of Personal Data Collected").
3. For items that can be denied ("we do not transfer ..."), a negated sentence with no
   exception ("except", "trừ trường hợp", "除き") is a denial, kept apart as `contrary`.
4. A few items combine others: the countries named in a transfer-abroad passage; the purpose
   given in it; the rights a rights passage names; the instruments a policy cites, against
   their dates; and for a joint-use notice, the responsible party's name, and where the
   notice says only 当社, who 当社 is, with its address and representative.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from re import Match, Pattern

from dtia.law import law_files
from dtia.law.models import Lang, LawFiles, PolicyItem, expand_placeholders
from dtia.policy.read import Document
from dtia.policy.result import Evidence, ItemResult, PolicyCheck
from dtia.policy.segment import Line, Segmented, Sentence, segment

QUOTE_CHARS = 200
_URL = re.compile(r"https?://[^\s)）」』>\"']+")
# Who 当社 is: "X(以下「当社」という。)", "会社名:X", or a company name alone near the top.
_SELF = re.compile(r"当社|弊社|当グループ|\bthe Company\b|\bwe\b", re.IGNORECASE)
_COMPANY = re.compile(
    r"(?:株式会社|有限会社|合同会社|一般社団法人|一般財団法人)\S*|\S+(?:株式会社|有限会社|合同会社)"
    r"|[A-Z][\w&.,' -]{1,60}?(?:Co\.,? ?Ltd\.?|Company Limited|Inc\.|Corporation|JSC|Pte\.? Ltd\.?|K\.K\.)"
)
_DEFINES_SELF = re.compile(r"(\S+?)\s*[(（]\s*以下[「『]?(?:当社|弊社)")
_NAME_FIELD = re.compile(r"(?:会社名|名称|商号|事業者名|社名)\s*[:：]\s*(\S.*)")
_HEADER_LINES = 15


# Web addresses and domain names ("cloudspace.vn") are masked before cues are matched: their
# dots are not the ends of clauses. The mask keeps the text's length, so match offsets hold.
_DOMAIN = re.compile(r"https?://\S+|(?<![@\w.-])[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}\b(?!@)")


def _masked(text: str) -> str:
    return _DOMAIN.sub(lambda m: "x" * len(m.group(0)), text)


@dataclass(frozen=True)
class _Cue:
    pattern: Pattern[str]
    requires: Pattern[str] | None


@dataclass(frozen=True)
class _Item:
    spec: PolicyItem
    cues: dict[Lang, tuple[_Cue, ...]]
    sections: dict[Lang, tuple[Pattern[str], ...]]
    members: dict[Lang, tuple[Pattern[str], ...]]
    denials: dict[Lang, tuple[Pattern[str], ...]]


@dataclass(frozen=True)
class _Lexicon:
    files: LawFiles
    items: dict[str, tuple[_Item, ...]]  # key -> its versions
    negation: dict[Lang, tuple[Pattern[str], ...]]
    exception: dict[Lang, tuple[Pattern[str], ...]]
    company_right: dict[Lang, tuple[Pattern[str], ...]]
    right_intro: dict[Lang, tuple[Pattern[str], ...]]
    rights: tuple[tuple[str, dict[Lang, tuple[Pattern[str], ...]]], ...]
    # ISO code, the laws it is home for, its name per language
    countries: tuple[tuple[str, tuple[str, ...], dict[Lang, Pattern[str]]], ...]
    references: tuple[tuple[str, tuple[Pattern[str], ...]], ...]  # instrument id, patterns


def _place_pattern(names: tuple[str, ...], lang: Lang) -> Pattern[str]:
    # Japanese has no spaces between words: a katakana name is a name only where the katakana
    # run starts and ends (タイ is Thailand, タイプ is not).
    if lang == "ja":
        return re.compile(r"(?<![ァ-ヺー])(?:" + "|".join(names) + r")(?![ァ-ヺー])")
    return re.compile(r"(?<!\w)(?:" + "|".join(names) + r")(?!\w)")


def _compile(pattern: str, lang: Lang, files: LawFiles) -> Pattern[str]:
    expanded = expand_placeholders(pattern, lang, files.policy_lexicon, files.policy_places)
    return re.compile(expanded, re.IGNORECASE)


def _table(
    table: dict[Lang, tuple[str, ...]], files: LawFiles
) -> dict[Lang, tuple[Pattern[str], ...]]:
    return {lang: tuple(_compile(p, lang, files) for p in ps) for lang, ps in table.items()}


@cache
def _lexicon() -> _Lexicon:
    files, _ = law_files()
    items: dict[str, list[_Item]] = {}
    for spec in files.policy_items:
        cues: dict[Lang, tuple[_Cue, ...]] = {}
        for lang, cs in spec.cues.items():
            # The cues with no `requires` are tried as one alternation: one pass over the
            # sentence instead of one per cue.
            plain = [c.pattern for c in cs if not c.requires]
            combined = [_Cue(_compile("|".join(f"(?:{p})" for p in plain), lang, files), None)]
            guarded = [
                _Cue(_compile(c.pattern, lang, files), _compile(c.requires, lang, files))
                for c in cs
                if c.requires
            ]
            cues[lang] = (*(combined if plain else []), *guarded)
        items.setdefault(spec.key, []).append(
            _Item(
                spec,
                cues,
                _table(spec.sections, files),
                _table(spec.members, files),
                _table(spec.denials, files),
            )
        )
    lex = files.policy_lexicon
    places = (*files.policy_places.countries, *files.policy_places.regions)
    return _Lexicon(
        files=files,
        items={k: tuple(v) for k, v in items.items()},
        negation=_table(lex.negation, files),
        exception=_table(lex.exception, files),
        company_right=_table(lex.company_right, files),
        right_intro=_table(lex.right_intro, files),
        rights=tuple(
            (
                r.code,
                {
                    "en": tuple(_compile(p, "en", files) for p in r.en),
                    "vi": tuple(_compile(p, "vi", files) for p in r.vi),
                },
            )
            for r in files.policy_rights
        ),
        countries=tuple(
            (
                p.iso,
                p.home_of,
                {lang: _place_pattern(getattr(p, lang), lang) for lang in ("en", "vi", "ja")},
            )
            for p in places
        ),
        references=tuple(
            (r.instrument, tuple(re.compile(p, re.IGNORECASE) for p in r.patterns))
            for r in files.policy_law_references
        ),
    )


def _version(versions: tuple[_Item, ...], on: date) -> _Item:
    # The item as in force on `on`; before its first version applied (a check "as of" an
    # earlier date), the first version still says what the policy is checked for.
    for v in versions:
        if v.spec.in_force(on):
            return v
    return min(versions, key=lambda v: v.spec.effective_from)


_VIETNAMESE_LETTER = re.compile("[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]", re.I)


def _langs(s: Sentence) -> tuple[Lang, ...]:
    # English cues apply to all Latin text, Vietnamese ones wherever a Vietnamese letter
    # is: a policy mixes the two, and one Vietnamese word must not switch English cues off.
    if s.line.part == "jp":
        return ("ja",)
    return ("en", "vi") if _VIETNAMESE_LETTER.search(s.text) else ("en",)


def _search(patterns: Iterable[Pattern[str]], text: str) -> Match[str] | None:
    for p in patterns:
        if m := p.search(text):
            return m
    return None


def _lang_patterns(
    table: dict[Lang, tuple[Pattern[str], ...]], langs: tuple[Lang, ...]
) -> Iterator[Pattern[str]]:
    for lang in langs:
        yield from table.get(lang, ())


def quote(text: str, start: int = 0) -> str:
    """The sentence, or a window of it around where the cue matched."""
    text = " ".join(text.split())
    if len(text) <= QUOTE_CHARS:
        return text
    begin = max(0, min(start - QUOTE_CHARS // 4, len(text) - QUOTE_CHARS))
    piece = text[begin : begin + QUOTE_CHARS].strip()
    return ("…" if begin > 0 else "") + piece + ("…" if begin + QUOTE_CHARS < len(text) else "")


@dataclass
class _Found:
    evidence: dict[int, tuple[Sentence, int]] = field(default_factory=dict)  # line index ->
    contrary: dict[int, tuple[Sentence, int]] = field(default_factory=dict)

    def add(self, s: Sentence, start: int, denial: bool = False) -> None:
        target = self.contrary if denial else self.evidence
        target.setdefault(s.line.index, (s, start))

    def sentences(self) -> list[Sentence]:
        return [s for _, (s, _) in sorted(self.evidence.items())]


def _evidence(entries: dict[int, tuple[Sentence, int]]) -> tuple[Evidence, ...]:
    return tuple(
        Evidence(line=s.line.number, quote=quote(s.text, start), page=s.line.page)
        for _, (s, start) in sorted(entries.items())
    )


class _Checker:
    def __init__(self, doc: Document, as_of: date) -> None:
        self.lex = _lexicon()
        self.as_of = as_of
        self.seg: Segmented = segment(doc)
        self.sentences = {
            part: tuple(s for s in self.seg.sentences if s.line.part == part)
            for part in ("vn", "jp")
        }
        # Masked once per sentence (see _masked); section matches once per heading and list.
        self.masked = {(s.line.index, s.position): _masked(s.text) for s in self.seg.sentences}
        self._context_hits: dict[tuple[str, str, str], bool] = {}

    # -- the generic pass --------------------------------------------------------------

    def _denied(self, s: Sentence, langs: tuple[Lang, ...]) -> bool:
        return _search(_lang_patterns(self.lex.negation, langs), s.text) is not None and (
            _search(_lang_patterns(self.lex.exception, langs), s.text) is None
        )

    def _cue_match(self, item: _Item, s: Sentence, langs: tuple[Lang, ...]) -> Match[str] | None:
        for lang in langs:
            for cue in item.cues.get(lang, ()):
                m = cue.pattern.search(self.masked.get((s.line.index, s.position), s.text))
                if m and (cue.requires is None or cue.requires.search(s.line.text)):
                    return m
        return None

    def _in_section(self, item: _Item, s: Sentence, langs: tuple[Lang, ...]) -> bool:
        if not (s.line.section or s.line.intro) or not item.sections:
            return False
        key = (item.spec.key, s.line.section, s.line.intro)
        hit = self._context_hits.get(key)
        if hit is None:
            context = [c for c in (s.line.section, s.line.intro) if c]
            hit = any(p.search(c) for p in _lang_patterns(item.sections, langs) for c in context)
            self._context_hits[key] = hit
        if not hit:
            return False
        members = list(_lang_patterns(item.members, langs))
        if not members:
            return item.spec.section_lines == "all" or s.line.kind == "bullet"
        return _search(members, s.text) is not None

    def _lists_a_right(self, s: Sentence, langs: tuple[Lang, ...]) -> bool:
        # "Data subjects have the right to request information on: purpose of processing;
        # retention period; ..." lists what may be asked, not what the policy says.
        intro = s.line.intro
        return (
            bool(intro)
            and _search(_lang_patterns(self.lex.right_intro, langs), intro) is not None
            and _search(_lang_patterns(self.lex.company_right, langs), intro) is None
        )

    def scan(self, item: _Item) -> _Found:
        found = _Found()
        for s in self.sentences[item.spec.law]:
            langs = _langs(s)
            if item.spec.law == "vn" and self._lists_a_right(s, langs):
                continue
            m = self._cue_match(item, s, langs)
            if m is None and not self._in_section(item, s, langs):
                if item.spec.negatable and item.denials and self._denied(s, langs):
                    d = _search(_lang_patterns(item.denials, langs), s.text)
                    if d:
                        found.add(s, d.start(), denial=True)
                continue
            start = m.start() if m else 0
            found.add(s, start, denial=item.spec.negatable and self._denied(s, langs))
        return found

    # -- items that combine others -----------------------------------------------------

    def countries_in(self, s: Sentence) -> list[str]:
        langs = _langs(s)
        law = s.line.part or "vn"
        found: list[tuple[int, str]] = []  # in the order the sentence names them
        for iso, home_of, names in self.lex.countries:
            if law in home_of:
                continue
            starts = [m.start() for lang in langs if (m := names[lang].search(s.text))]
            if starts:
                found.append((min(starts), iso))
        return [iso for _, iso in sorted(found)]

    def destinations(self, item: _Item, abroad: _Found) -> tuple[_Found, list[str]]:
        found = _Found()
        codes: list[str] = []
        own = self.scan(item)
        for index, (s, start) in sorted({**abroad.evidence, **own.evidence}.items()):
            isos = self.countries_in(s)
            if isos:
                found.evidence.setdefault(index, (s, start))
                codes += [c for c in isos if c not in codes]
        found.contrary = dict(own.contrary)
        return found, codes

    def purposes(self, item: _Item, abroad: _Found) -> _Found:
        found = _Found()
        by_line: dict[int, list[Sentence]] = {}
        for s in self.sentences["vn"]:
            by_line.setdefault(s.line.index, []).append(s)
        for s in abroad.sentences():
            langs = _langs(s)
            following = [
                t for t in by_line[s.line.index] if t.position in (s.position, s.position + 1)
            ]
            for t in following:
                if m := self._cue_match(item, t, langs):
                    found.add(t if t.position == s.position else s, m.start())
                    break
        return found

    def rights(self, item: _Item) -> tuple[_Found, list[str]]:
        found = _Found()
        named: list[str] = []
        for s in self.sentences["vn"]:
            langs = _langs(s)
            m = self._cue_match(item, s, langs)
            if m is None and not self._in_section(item, s, langs):
                continue
            if _search(_lang_patterns(self.lex.company_right, langs), s.text):
                continue
            codes = [
                code
                for code, table in self.lex.rights
                if _search(_lang_patterns(table, langs), s.text)
            ]
            if codes:
                found.add(s, m.start() if m else 0)
                named += [c for c in codes if c not in named]
        order = [code for code, _ in self.lex.rights]
        return found, sorted(named, key=order.index)

    def references(self) -> tuple[dict[str, list[tuple[Sentence, int]]], list[str]]:
        cited: dict[str, list[tuple[Sentence, int]]] = {}
        for s in self.sentences["vn"]:
            for instrument, patterns in self.lex.references:
                if m := _search(patterns, s.text):
                    cited.setdefault(instrument, []).append((s, m.start()))
        in_force = [
            i.id for i in self.lex.files.instruments if i.id in cited and i.in_force(self.as_of)
        ]
        return cited, in_force

    # -- Japanese joint use: who is responsible ----------------------------------------

    def _jp_lines(self) -> list[Line]:
        return [line for line in self.seg.lines if line.part == "jp"]

    def _section_lines(self, anchor: Line) -> list[Line]:
        """The lines of the section `anchor` is in (from its heading to the next one)."""
        lines = self._jp_lines()
        at = lines.index(anchor)
        start = at
        while start > 0 and lines[start].kind != "heading":
            start -= 1
        end = at + 1
        while end < len(lines) and lines[end].kind != "heading":
            end += 1
        return lines[start:end]

    def who_is_self(self) -> Line | None:
        lines = self._jp_lines()
        for line in lines:
            if _DEFINES_SELF.search(line.text) and _COMPANY.search(line.text):
                return line
        for line in lines:
            if (m := _NAME_FIELD.search(line.text)) and _COMPANY.search(m.group(1)):
                return line
        for line in lines[:_HEADER_LINES]:
            if (m := _COMPANY.fullmatch(line.text.strip())) and m:
                return line
        return None

    def responsible(
        self, name_item: _Item, address_item: _Item, rep_item: _Item
    ) -> dict[str, tuple[bool, _Found, list[str]]]:
        designations = self.scan(name_item)
        name = _Found()
        notes: list[str] = []
        block: list[Line] = []
        for _, (s, start) in sorted(designations.evidence.items()):
            section = self._section_lines(s.line)
            from_heading = (
                bool(section)
                and section[0].kind == "heading"
                and any(p.search(section[0].text) for p in name_item.sections.get("ja", ()))
            )
            candidates = (
                [ln for ln in section if ln.kind != "heading"] if from_heading else [s.line]
            )
            named = [ln for ln in candidates if _COMPANY.search(ln.text)]
            if named:
                name.evidence.setdefault(named[0].index, (self._sentence(named[0]), 0))
                if not from_heading:
                    name.evidence.setdefault(s.line.index, (s, start))
                block = section
                break
            if who := _SELF.search(s.text):
                own = self.who_is_self()
                if own is None:
                    notes.append(
                        f"line {s.line.number} names the responsible party only as "
                        f"\u201c{who.group(0)}\u201d, and the notice does not say who that is"
                    )
                    continue
                name.evidence.setdefault(s.line.index, (s, start))
                name.evidence.setdefault(own.index, (self._sentence(own), 0))
                notes.append(
                    f"line {s.line.number} names the responsible party as "
                    f"\u201c{who.group(0)}\u201d; line {own.number} says who that is"
                )
                block = self._section_lines(own)
                break
        if not designations.evidence:
            notes.append("no passage names the party responsible for the jointly used data")
        out: dict[str, tuple[bool, _Found, list[str]]] = {
            name_item.spec.key: (bool(name.evidence), name, notes)
        }
        for item in (address_item, rep_item):
            found = _Found()
            header = self._jp_lines()[:_HEADER_LINES] if item is rep_item else []
            for line in [*block, *header] if block else []:
                if line.kind == "heading":
                    continue  # "名称及び住所並びに…代表者の氏名" announces them; it is not them
                s = self._sentence(line)
                if m := self._cue_match(item, s, ("ja",)):
                    found.add(s, m.start())
                    break
            item_notes = (
                []
                if found.evidence or not block
                else [
                    f"the responsible party's section (from line {block[0].number}) gives no "
                    + ("address" if item is address_item else "representative")
                ]
            )
            out[item.spec.key] = (bool(found.evidence), found, item_notes)
        return out

    def _sentence(self, line: Line) -> Sentence:
        for s in self.seg.sentences:
            if s.line.index == line.index:
                return s
        return Sentence(line, line.text, 0)

    def by_reference(self, found: _Found) -> list[str]:
        """Links given with the evidence: information given by reference only."""
        urls: list[str] = []
        lines = self._jp_lines()
        for index in found.evidence:
            at = next(i for i, ln in enumerate(lines) if ln.index == index)
            for ln in lines[at : at + 5]:
                urls += [u for u in _URL.findall(ln.text) if u not in urls]
        return urls


@dataclass
class _Answer:
    disclosed: bool
    found: _Found
    details: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _answer(found: _Found, **more: list[str]) -> _Answer:
    return _Answer(bool(found.evidence), found, **more)


def _law_answer(c: _Checker, as_of: date) -> _Answer:
    cited, in_force = c.references()
    found = _Found()
    for instrument in in_force:
        for s, start in cited[instrument]:
            found.add(s, start)
    notes = []
    for instrument, places in cited.items():
        spec = next(i for i in c.lex.files.instruments if i.id == instrument)
        if instrument not in in_force:
            notes.append(
                f"cites {spec.short} (line {places[0][0].line.number}), which is not in force "
                f"on {as_of.isoformat()} ({', '.join(spec.citations)})"
            )
    if not cited:
        notes.append("cites no personal data protection law")
    return _answer(found, details=list(cited), notes=notes)


def _answers(c: _Checker, items: dict[str, _Item], as_of: date) -> dict[str, _Answer]:
    answers: dict[str, _Answer] = {}
    abroad = c.scan(items["transfer_abroad"])
    answers["transfer_abroad"] = _answer(abroad)
    dest, codes = c.destinations(items["destination_countries"], abroad)
    answers["destination_countries"] = _answer(dest, details=codes)
    answers["transfer_purpose"] = _answer(c.purposes(items["transfer_purpose"], abroad))
    rights, named = c.rights(items["data_subject_rights"])
    every = [code for code, _ in c.lex.rights]
    answers["data_subject_rights"] = _answer(
        rights, details=named, missing=[r for r in every if r not in named]
    )
    answers["current_law"] = _law_answer(c, as_of)
    for key in (
        "recipients",
        "data_categories",
        "processing_purposes",
        "retention",
        "controller_contact",
        "jp_joint_use_items",
        "jp_joint_users_scope",
        "jp_joint_use_purpose",
    ):
        answers[key] = _answer(c.scan(items[key]))
    country = c.scan(items["jp_foreign_country_named"])
    jp_codes: list[str] = []
    for s in country.sentences():
        jp_codes += [iso for iso in c.countries_in(s) if iso not in jp_codes]
    answers["jp_foreign_country_named"] = _answer(country, details=jp_codes)
    for key in ("jp_foreign_regime_info", "jp_recipient_measures_info"):
        found = c.scan(items[key])
        urls = c.by_reference(found)
        notes = (
            [f"given by reference only: {', '.join(urls)} (check that the page is current)"]
            if urls
            else []
        )
        answers[key] = _answer(found, notes=notes)
    responsible = c.responsible(
        items["jp_responsible_party_name"],
        items["jp_responsible_party_address"],
        items["jp_responsible_party_representative"],
    )
    for key, (_, found, notes) in responsible.items():
        answers[key] = _answer(found, notes=notes)
    return answers


def _result(spec: PolicyItem, answer: _Answer, applies: bool) -> ItemResult:
    if not applies:
        text = "Japanese" if spec.law == "jp" else "English or Vietnamese"
        return ItemResult(
            key=spec.key,
            law=spec.law,
            label_en=spec.label_en,
            disclosed=None,
            notes=(f"the document has no {text} text this item is read on",),
            citations=spec.citations,
            remedy_en=spec.remedy_en,
        )
    notes = list(answer.notes)
    if not answer.disclosed and answer.found.contrary:
        first = min(answer.found.contrary)
        notes.append(f"line {answer.found.contrary[first][0].line.number} says the opposite")
    return ItemResult(
        key=spec.key,
        law=spec.law,
        label_en=spec.label_en,
        disclosed=answer.disclosed,
        evidence=_evidence(answer.found.evidence),
        contrary=_evidence(answer.found.contrary),
        details=tuple(answer.details),
        missing=tuple(answer.missing),
        notes=tuple(notes),
        citations=spec.citations,
        remedy_en=spec.remedy_en,
    )


def check_document(doc: Document, as_of: date) -> PolicyCheck:
    """Check a document's disclosures as the law stands on ``as_of``."""
    c = _Checker(doc, as_of)
    items = {key: _version(versions, as_of) for key, versions in c.lex.items.items()}
    answers = _answers(c, items, as_of)
    has = {"vn": c.seg.has_part("vn"), "jp": c.seg.has_part("jp")}
    results = tuple(
        _result(item.spec, answers[key], has[item.spec.law]) for key, item in items.items()
    )
    law91 = next(i for i in c.lex.files.instruments if i.id == "law-91-2025")
    outdated = has["vn"] and as_of >= law91.effective_from and not answers["current_law"].disclosed
    return PolicyCheck(
        file=doc.name,
        format=doc.format,
        as_of=as_of,
        rules_version=c.lex.files.rules_version,
        languages=c.seg.languages,
        outdated=outdated,
        items=results,
    )
