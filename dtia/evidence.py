"""Files that end up inside a dossier and its bundle: a PDF must be one, and nothing may be a
program.

Intake attachments and a recipient's uploaded evidence are embedded in the dossier PDF and
shipped in the bundle, so what passes here reaches the authority and legal's machines. A
``%PDF-`` prefix proves nothing (``%PDF-1.7`` followed by an ELF binary has one): a file
named ``.pdf`` must parse as a PDF with at least one page, open without a password, hold no
program after its end marker or as an embedded file, and carry nothing after its last end
marker; a file of any kind may not be a program itself.
"""

from __future__ import annotations

import io
import re
from typing import Any

from dtia.errors import Problem

_EOF = re.compile(rb"%%EOF")
_PDF_WHITESPACE = b"\x00\t\n\x0c\r "
_NESTING = 3  # embedded PDFs looked into, for the programs they may embed in turn


def executable_kind(data: bytes) -> str | None:
    """The kind of program ``data`` starts with (by its magic number), or None."""
    if data.startswith(b"\x7fELF"):
        return "an ELF executable"
    if data.startswith(b"MZ") and len(data) >= 0x40:  # "MZ" alone may begin a text
        header = int.from_bytes(data[0x3C:0x40], "little")
        if data[header : header + 4] == b"PE\x00\x00":
            return "a Windows executable"
    if data[:4] in (
        b"\xfe\xed\xfa\xce",
        b"\xfe\xed\xfa\xcf",
        b"\xce\xfa\xed\xfe",
        b"\xcf\xfa\xed\xfe",
    ):
        return "a Mach-O executable"
    if data.startswith(b"\xca\xfe\xba\xbe"):
        return "a Mach-O universal binary or Java class"
    if data.startswith(b"#!"):
        return "a script"
    return None


def pdf_problem(data: bytes) -> str | None:
    """Why ``data`` is not acceptable as a PDF (a phrase to follow the file's name), or None."""
    if not data.startswith(b"%PDF-"):
        return "is not a PDF (it does not start with %PDF-)"
    ends = list(_EOF.finditer(data))
    if not ends:
        return "is not a complete PDF (no %%EOF end marker)"
    for end in ends:  # an update section follows an end marker, never a program
        kind = executable_kind(data[end.end() :].lstrip(_PDF_WHITESPACE))
        if kind is not None:
            return f"holds {kind} after the end of the PDF"
    if data[ends[-1].end() :].strip(_PDF_WHITESPACE):
        return "has data after the end of the PDF (its last %%EOF)"
    return _parse_problem(data, _NESTING)


def _parse_problem(data: bytes, nesting: int) -> str | None:
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError, PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            return "is encrypted: send it without a password"
        pages = list(reader.pages)
        if not pages:
            return "is a PDF without pages"
        for page in pages:
            _ = page.mediabox  # every page object resolves
        embedded = [*_attachments(reader), *_annotation_files(pages)]
    except FileNotDecryptedError:
        return "is encrypted: send it without a password"
    except PdfReadError as exc:
        return f"is not a readable PDF ({str(exc)[:120]})"
    except Exception:  # hostile input breaks a parser in ways beyond its own error classes
        return "is not a readable PDF"
    for name, content in embedded:
        kind = executable_kind(content)
        if kind is not None:
            return f"embeds {kind} ({name!r})"
        if nesting > 1 and content.startswith(b"%PDF-"):
            inner = _parse_problem(content, nesting - 1)
            if inner is not None and inner.startswith("embeds "):
                return f"embeds a PDF ({name!r}) that {inner}"
    return None


def _attachments(reader: Any) -> list[tuple[str, bytes]]:
    """The document's embedded files (its EmbeddedFiles name tree)."""
    return [(str(name), data) for name, items in reader.attachments.items() for data in items]


def _annotation_files(pages: list[Any]) -> list[tuple[str, bytes]]:
    """Files attached to pages as file-attachment annotations."""
    from pypdf.generic import DictionaryObject

    def resolved(node: Any, key: str) -> Any:
        value = node.get(key) if isinstance(node, DictionaryObject) else None
        return value.get_object() if value is not None else None

    found: list[tuple[str, bytes]] = []
    for page in pages:
        for ref in page.get("/Annots") or []:
            annot = ref.get_object()
            if resolved(annot, "/Subtype") != "/FileAttachment":
                continue
            spec = resolved(annot, "/FS")
            stream = resolved(resolved(spec, "/EF"), "/F")
            if stream is None:
                continue  # a file outside the PDF, only named: nothing inside to check
            found.append((str(resolved(spec, "/UF") or resolved(spec, "/F")), stream.get_data()))
    return found


def file_problems(key_path: str, rel: str, content: bytes) -> list[Problem]:
    """What is wrong with a file an intake names, for the intake's list of problems: no file
    may be a program, and a ``.pdf`` must be a PDF fit to embed."""
    kind = executable_kind(content)
    if kind is not None:
        return [Problem(key_path, f"{rel!r} is {kind}: programs are not accepted")]
    if rel.lower().endswith(".pdf"):
        problem = pdf_problem(content)
        if problem is not None:
            return [Problem(key_path, f"{rel!r} {problem}")]
    return []


def notice_problem(name: str, data: bytes) -> str | None:
    """Why ``data`` is not acceptable as a recipient's published notice (a phrase to follow
    its name), or None: a PDF fit to embed, or UTF-8 text the disclosure check can read."""
    kind = executable_kind(data)
    if kind is not None:
        return f"is {kind}: programs are not accepted"
    if data.startswith(b"%PDF-"):
        return pdf_problem(data)
    from dtia.errors import PolicyError
    from dtia.policy.read import read_document

    try:
        read_document(name if not name.lower().endswith(".pdf") else name + ".txt", data)
    except PolicyError as exc:
        return f"is not a notice that can be read: {exc.message}"
    return None
