"""Reading a policy or notice into numbered lines: plain text, Markdown, HTML or PDF.

The bytes come in (the caller reads the file); what comes out is each line of text with the
line number a reader finds it at: the line of the text or Markdown file, the line of the HTML
source where the block starts, or the line of a PDF's extracted text (with its page). Headings
and list items that the format marks are kept as hints for the segmenter.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Literal

from dtia.errors import PolicyError

Format = Literal["text", "markdown", "html", "pdf"]
Kind = Literal["heading", "bullet"] | None


@dataclass(frozen=True, slots=True)
class SourceLine:
    number: int
    text: str
    page: int | None = None
    kind: Kind = None  # what the format says the line is; None: let the segmenter decide


@dataclass(frozen=True, slots=True)
class Document:
    name: str
    format: Format
    lines: tuple[SourceLine, ...]


def sniff_format(name: str, data: bytes) -> Format:
    lowered = name.lower()
    head = data[:1024].lstrip().lower()
    if lowered.endswith(".pdf") or data.startswith(b"%PDF-"):
        return "pdf"
    if lowered.endswith((".html", ".htm", ".xhtml")) or head.startswith(
        (b"<!doctype html", b"<html")
    ):
        return "html"
    if lowered.endswith((".md", ".markdown")):
        return "markdown"
    return "text"


def read_document(name: str, data: bytes) -> Document:
    """The document's lines; ``PolicyError`` (naming ``name``) when it cannot be read."""
    fmt = sniff_format(name, data)
    if fmt == "pdf":
        lines = _pdf_lines(name, data)
    else:
        text = _decode(name, data)
        if fmt == "html":
            lines = _html_lines(text)
        elif fmt == "markdown":
            lines = _markdown_lines(text)
        else:
            lines = tuple(SourceLine(i, t) for i, t in enumerate(text.split("\n"), start=1))
    if not any(line.text.strip() for line in lines):
        raise PolicyError(name, "no text to check (the file is empty, or a PDF of scanned images)")
    return Document(name, fmt, lines)


def _decode(name: str, data: bytes) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise PolicyError(name, "not UTF-8 text (save it as UTF-8 and check again)", line) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


# Markdown: headings and list markers become hints; emphasis and link syntax go, the words
# (and a link's address) stay.
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
_MD_BULLET = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+(.*)$")
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\(([^)\s]*)[^)]*\)")
_MD_EMPHASIS = re.compile(r"(\*\*|__|\*|_|`)(?=\S)(.+?)(?<=\S)\1")


def _markdown_inline(text: str) -> str:
    text = _MD_LINK.sub(
        lambda m: f"{m.group(1)} ({m.group(2)})" if m.group(2) else m.group(1), text
    )
    return _MD_EMPHASIS.sub(r"\2", text)


def _markdown_lines(text: str) -> tuple[SourceLine, ...]:
    out = []
    for number, raw in enumerate(text.split("\n"), start=1):
        kind: Kind = None
        if m := _MD_HEADING.match(raw):
            kind, raw = "heading", m.group(1)
        elif m := _MD_BULLET.match(raw):
            kind, raw = "bullet", m.group(1)
        out.append(SourceLine(number, _markdown_inline(raw), kind=kind))
    return tuple(out)


_BLOCKS = frozenset(
    [
        "p",
        "div",
        "li",
        "ul",
        "ol",
        "dl",
        "dt",
        "dd",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "br",
        "tr",
        "td",
        "th",
        "table",
        "section",
        "article",
        "header",
        "footer",
        "blockquote",
        "pre",
        "hr",
        "address",
        "main",
        "nav",
        "aside",
        "figure",
        "figcaption",
        "caption",
    ]
)
_SKIP = frozenset({"script", "style", "head", "template", "noscript", "svg"})


class _HtmlText(HTMLParser):
    """Text of each block element, at the source line where the block starts."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[SourceLine] = []
        self._parts: list[str] = []
        self._start = 1
        self._kind: Kind = None
        self._skipping = 0

    def _flush(self) -> None:
        text = " ".join("".join(self._parts).split())
        if text:
            self.lines.append(SourceLine(self._start, text, kind=self._kind))
        self._parts = []
        self._kind = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self._skipping += 1
        elif tag in _BLOCKS:
            self._flush()
            self._start = self.getpos()[0]
            if tag in {"h1", "h2", "h3", "h4", "h5", "h6"}:
                self._kind = "heading"
            elif tag in {"li", "dt", "dd"}:
                self._kind = "bullet"

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCKS:
            self._flush()
            self._start = self.getpos()[0]

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self._skipping = max(0, self._skipping - 1)
        elif tag in _BLOCKS:
            self._flush()

    def handle_data(self, data: str) -> None:
        if self._skipping:
            return
        if not self._parts and not data.strip():
            return
        if not self._parts:
            # The block's text starts here: report the line of its first word.
            self._start = self.getpos()[0] + data[: len(data) - len(data.lstrip())].count("\n")
        self._parts.append(data)


def _html_lines(text: str) -> tuple[SourceLine, ...]:
    parser = _HtmlText()
    parser.feed(text)
    parser.close()
    parser._flush()
    return tuple(parser.lines)


PAGE_BREAK = "\f"  # between the pages of a PDF's text (policy_text)


def _pdf_pages(name: str, data: bytes) -> list[str]:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise PolicyError(name, "the PDF is encrypted; export an unprotected copy to check it")
        return [(page.extract_text() or "").replace(PAGE_BREAK, " ") for page in reader.pages]
    except PolicyError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, OSError) as exc:
        raise PolicyError(name, f"not a readable PDF ({type(exc).__name__})") from None


def _pdf_lines(name: str, data: bytes) -> tuple[SourceLine, ...]:
    return _page_lines(_pdf_pages(name, data))


def _page_lines(pages: list[str]) -> tuple[SourceLine, ...]:
    out: list[SourceLine] = []
    number = 0
    for page_no, text in enumerate(pages, start=1):
        raws = text.split("\n")
        widest = max((len(r.strip()) for r in raws), default=0)
        for raw in raws:
            number += 1
            if _continues(out, raw, page_no, widest):
                # A paragraph wrapped onto this line: one line of text, numbered where
                # it starts, so a sentence is not cut at the page's margin.
                last = out[-1]
                out[-1] = SourceLine(last.number, f"{last.text.rstrip()} {raw.strip()}", page_no)
            else:
                out.append(SourceLine(number, raw, page=page_no))
    return tuple(out)


def policy_text(name: str, data: bytes) -> str | None:
    """The text of a policy file as an intake keeps it (``FileFact.text``): a text file
    decoded, a PDF as its pages' text joined by form feeds; None when it cannot be read
    (the disclosure check then says so). Kept with the intake, so a re-assessment from the
    register reads the same text without the file."""
    if sniff_format(name, data) == "pdf":
        try:
            return PAGE_BREAK.join(_pdf_pages(name, data))
        except PolicyError:
            return None
    try:
        return _decode(name, data)
    except PolicyError:
        return None


def document_from_text(name: str, text: str) -> Document:
    """The document a policy's kept text (``policy_text``) reads as; ``PolicyError`` when it
    holds no text."""
    if sniff_format(name, b"") == "pdf":
        lines = _page_lines(text.split(PAGE_BREAK))
        if not any(line.text.strip() for line in lines):
            raise PolicyError(name, "no text to check (a PDF of scanned images?)")
        return Document(name, "pdf", lines)
    return read_document(name, text.encode("utf-8"))


def _continues(out: list[SourceLine], raw: str, page: int, widest: int) -> bool:
    if not out or out[-1].page != page or not raw.strip():
        return False
    prev = out[-1].text.strip()
    if not prev or prev.endswith(tuple(".。:：;!?")):
        return False
    text = raw.strip()
    return text[0].islower() or len(prev) >= 0.6 * widest
