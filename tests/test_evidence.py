"""What may go into a dossier as a file: PDFs that are PDFs, and never a program."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

from dtia.evidence import executable_kind, pdf_problem
from tests.support import ELF, EXAMPLES, PE, tiny_pdf


def _write(writer: PdfWriter) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _with_annotated_file(name: str, data: bytes) -> bytes:
    """A page carrying a file-attachment annotation (the paperclip icon); pypdf has no
    public call for one, so it is put together from its objects."""
    writer = PdfWriter()
    page = writer.add_blank_page(200, 200)
    stream = DecodedStreamObject()
    stream.set_data(data)
    spec = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Filespec"),
            NameObject("/F"): TextStringObject(name),
            NameObject("/EF"): DictionaryObject({NameObject("/F"): writer._add_object(stream)}),
        }
    )
    annot = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/FileAttachment"),
            NameObject("/Rect"): ArrayObject([NumberObject(n) for n in (10, 10, 30, 30)]),
            NameObject("/FS"): writer._add_object(spec),
        }
    )
    page[NameObject("/Annots")] = ArrayObject([writer._add_object(annot)])
    return _write(writer)


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*/attachments/*.pdf")), ids=str)
def test_the_examples_attachments_are_real_pdfs(path: Path) -> None:
    assert pdf_problem(path.read_bytes()) is None


def test_programs_are_known_by_their_magic_numbers() -> None:
    assert executable_kind(ELF) == "an ELF executable"
    assert executable_kind(PE) == "a Windows executable"
    assert executable_kind(b"\xcf\xfa\xed\xfe" + bytes(28)) == "a Mach-O executable"
    assert executable_kind(b"#!/bin/sh\nrm -rf ~\n") == "a script"
    assert executable_kind(b"MZ Holdings privacy policy, 2026 edition.") is None
    assert executable_kind(tiny_pdf()) is None


def test_pdfs_that_do_not_parse_or_carry_programs_are_refused() -> None:
    good = tiny_pdf()
    assert pdf_problem(good) is None
    assert pdf_problem(b"%PDF-1.7\n" + ELF) == "is not a complete PDF (no %%EOF end marker)"
    assert pdf_problem(good + ELF) == "holds an ELF executable after the end of the PDF"
    assert pdf_problem(good + b"\r\n" + PE) == "holds a Windows executable after the end of the PDF"
    assert pdf_problem(good + b"trailing") == "has data after the end of the PDF (its last %%EOF)"
    assert pdf_problem(good + b"\n\x00") is None  # whitespace after the end is harmless
    assert (pdf_problem(good[: len(good) // 2] + b"\n%%EOF\n") or "").startswith(
        "is not a readable PDF"
    )
    assert pdf_problem(tiny_pdf({"setup.exe": PE})) == "embeds a Windows executable ('setup.exe')"
    assert pdf_problem(_with_annotated_file("tool", ELF)) == "embeds an ELF executable ('tool')"
    assert pdf_problem(_with_annotated_file("note.txt", b"see page 2")) is None


def test_an_encrypted_pdf_is_refused_unless_it_opens_without_a_password() -> None:
    locked = PdfWriter()
    locked.add_blank_page(200, 200)
    locked.encrypt("secret", algorithm="AES-128")
    assert pdf_problem(_write(locked)) == "is encrypted: send it without a password"
    owner_only = PdfWriter()
    owner_only.add_blank_page(200, 200)
    owner_only.encrypt("", "owner", algorithm="AES-128")
    assert pdf_problem(_write(owner_only)) is None


def test_a_file_swapped_after_the_intake_was_checked_is_not_embedded(tmp_path: Path) -> None:
    from dtia.dossier.build import DossierError, read_files
    from dtia.intake import load_intake
    from tests.support import example_data, write_intake

    path = write_intake(
        "bizfly-cloud-support-desk", example_data("bizfly-cloud-support-desk"), tmp_path
    )
    loaded = load_intake(path)
    assert read_files(loaded, path.parent)["attachments/helpdesk-dpa.pdf"].startswith(b"%PDF-")
    (path.parent / "attachments" / "helpdesk-dpa.pdf").write_bytes(tiny_pdf() + ELF)
    with pytest.raises(
        DossierError, match=r"attachments/helpdesk-dpa\.pdf changed since it was assessed"
    ):
        read_files(loaded, path.parent)
