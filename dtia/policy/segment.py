"""Lines into the units a reader works with: headings, paragraphs, list items and sentences,
each line with its language, the heading it sits under and the list it belongs to, and
whether it is part of the document's Japanese-law text or of the rest.

Language is told by script, character by character: Japanese by kana and kanji, Vietnamese by
its letters (ă, â, đ, ê, ô, ơ, ư and the tone marks), English by Latin letters without them.
That is exact for these three languages; a statistical detector would add a model and
nothing these texts need. Japanese sentences end at 。, so they are split there; the cues
match Japanese characters directly, so no word segmentation is needed (bench/README.md).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Literal

from dtia.policy.read import Document, SourceLine

Lang = Literal["vi", "en", "ja"]
Part = Literal["vn", "jp"]
LineKind = Literal["heading", "bullet", "text"]

_JA = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff66-\uff9f]")
_VI = re.compile(
    "[ăâđêôơưĂÂĐÊÔƠƯạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹàáèéìíòóùúýãẽĩõũ"
    "ẠẢẤẦẨẪẬẮẰẲẴẶẸẺẼẾỀỂỄỆỈỊỌỎỐỒỔỖỘỚỜỞỠỢỤỦỨỪỬỮỰỲỴỶỸÀÁÈÉÌÍÒÓÙÚÝÃĨÕŨ]"
)
_LETTER = re.compile(r"[^\W\d_]")

# "1.", "4.1.", "II.", "(1)", "(ア)", "第3条": numbered headings and list items.
_NUMBER = re.compile(
    r"^(?:\d+(?:\.\d+)*\.?|[IVXLC]+\.|\(\d+\)|\([\u30a2-\u30f3]\)|[\u30a2-\u30f3][.)]"
    r"|第[0-9０-９一二三四五六七八九十]+条)\s*(?=\S)"
)
_MARKER = re.compile(
    r"^\s*(?:[•\-−–—*·・●○■□▪◦►✓※]|\d+[.)](?!\d)|[a-z][.)]|\((?:[a-z]|[ivx]+|\d+)\))\s+"
)
_TERMINAL = tuple(".。;；:：,、!?！？")
_ABBREVIATIONS = re.compile(
    r"(?:\b(?:No|Co|Ltd|Inc|Pte|Corp|Mr|Ms|Mrs|Dr|St|Art|etc|vs|Jr|Sr|e\.g|i\.e|U\.S)\.|\b[A-Z]\.)$"
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"“(\[]?[A-ZÀ-ỸĐ0-9])")


@dataclass(frozen=True, slots=True)
class Line:
    index: int  # position among the document's lines
    number: int  # where a reader finds it (see read.py)
    page: int | None
    text: str  # without its list marker
    lang: Lang | None  # None: no words (a number, a link, a blank)
    kind: LineKind
    section: str  # the heading it sits under ("" before the first)
    intro: str  # for a list item: the sentence that opens the list ("" otherwise)
    part: Part | None  # jp: the Japanese-law text; vn: the rest


@dataclass(frozen=True, slots=True)
class Sentence:
    line: Line
    text: str
    position: int  # 0 for a line's first sentence


@dataclass(frozen=True, slots=True)
class Segmented:
    lines: tuple[Line, ...]
    sentences: tuple[Sentence, ...]

    @property
    def languages(self) -> tuple[Lang, ...]:
        found = {line.lang for line in self.lines if line.lang}
        return tuple(lang for lang in ("vi", "en", "ja") if lang in found)

    def has_part(self, part: Part) -> bool:
        return any(line.part == part for line in self.lines)


def language(text: str) -> Lang | None:
    if len(_JA.findall(text)) >= 2:
        return "ja"
    letters = len(_LETTER.findall(text))
    if letters < 2:
        return None
    vi = len(_VI.findall(text))
    # Vietnamese text carries a mark on most words; a Vietnamese street name in an English
    # sentence does not make the sentence Vietnamese.
    return "vi" if vi >= 2 and vi >= 0.05 * letters else "en"


def _strip_marker(text: str) -> tuple[str, bool]:
    marked = False
    while m := _MARKER.match(text):
        text, marked = text[m.end() :], True
    return text.strip(), marked


def _is_heading(text: str, lang: Lang | None, blank_before: bool, blank_after: bool) -> bool:
    text = " ".join(text.split())
    if not text or text.endswith(_TERMINAL) or "。" in text:
        return False
    limit = 60 if lang == "ja" else 100
    if _NUMBER.match(text):
        return len(text) <= limit
    if not (blank_before and blank_after) or len(text) > (40 if lang == "ja" else 80):
        return False
    if ":" in text or "：" in text or "@" in text or "http" in text:
        return False
    first = text[0]
    return first.isupper() or bool(_JA.match(first))


def _kinds(raw: tuple[SourceLine, ...]) -> list[LineKind | None]:
    kinds: list[LineKind | None] = []
    for i, line in enumerate(raw):
        text = line.text.strip()
        if not text:
            kinds.append(None)
            continue
        if line.kind is not None:
            kinds.append(line.kind)
            continue
        before = i == 0 or not raw[i - 1].text.strip() or raw[i - 1].page != line.page
        after = i + 1 >= len(raw) or not raw[i + 1].text.strip()
        stripped, marked = _strip_marker(line.text)
        indented = line.text.startswith("  ") and not marked
        lang = language(stripped)
        numbered = _NUMBER.match(text) is not None and not text.startswith(("•", "-", "*"))
        if (numbered or not marked) and _is_heading(text, lang, before, after):
            kinds.append("heading")
        elif marked or indented or _NUMBER.match(stripped):
            kinds.append("bullet")
        else:
            kinds.append("text")
    return kinds


def _parts(langs: list[Lang | None], blank: list[bool]) -> list[Part | None]:
    """jp for the Japanese text and what sits inside it (a link, a product name between two
    Japanese lines); vn for the rest."""
    parts: list[Part | None] = [None if b else "vn" for b in blank]
    ja = [i for i, lang in enumerate(langs) if lang == "ja"]
    for i in ja:
        parts[i] = "jp"
    for a, b in itertools.pairwise(ja):
        between = [j for j in range(a + 1, b) if not blank[j]]
        if len(between) <= 3:
            for j in between:
                parts[j] = "jp"
    return parts


def _sentences(text: str, lang: Lang | None) -> list[str]:
    if lang == "ja":
        pieces = [p for p in re.split(r"(?<=。)", text) if p.strip()]
        return [p.strip() for p in pieces]
    out: list[str] = []
    for piece in _SENTENCE_END.split(text):
        if out and _ABBREVIATIONS.search(out[-1]):
            out[-1] = f"{out[-1]} {piece}"
        else:
            out.append(piece)
    return [p.strip() for p in out if p.strip()]


def segment(doc: Document) -> Segmented:
    raw = doc.lines
    kinds = _kinds(raw)
    # No-break and other Unicode spaces become plain ones: cues match words, not spacing.
    texts = [" ".join(_strip_marker(line.text)[0].split()) for line in raw]
    langs = [language(t) for t in texts]
    parts = _parts(langs, [k is None for k in kinds])
    lines: list[Line] = []
    sentences: list[Sentence] = []
    section = ""
    intro = ""
    for i, (src, kind) in enumerate(zip(raw, kinds, strict=True)):
        if kind is None:
            continue
        text = texts[i]
        if kind == "heading":
            section, intro = text, ""
        elif kind == "text":
            intro = ""
        line = Line(
            index=i,
            number=src.number,
            page=src.page,
            text=text,
            lang=langs[i],
            kind=kind,
            section=section if kind != "heading" else "",
            intro=intro if kind == "bullet" else "",
            part=parts[i],
        )
        lines.append(line)
        if kind != "heading":
            for position, sentence in enumerate(_sentences(text, langs[i])):
                sentences.append(Sentence(line, sentence, position))
        if text.endswith((":", "：")):
            intro = text  # the list that follows is introduced by this line
    return Segmented(tuple(lines), tuple(sentences))
