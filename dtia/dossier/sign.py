"""Signing a dossier PDF (PAdES, through pyHanko) and checking the signatures in one.

Signing appends an incremental update to the PDF exactly as rendered: the bytes before
it are the original file, so the re-render check of ``dtia dossier verify`` still applies
to them. The update holds only an invisible signature field (printable, locked, with an
empty appearance, as PDF/A wants of every annotation), the signature and the metadata
pyHanko refreshes; the PDF/A identification in the XMP metadata is kept and checked.

Checking a signed PDF reports, for each signature, whether it is intact (the digest and
the CMS signature hold and cover the whole revision but the signature itself), who signed
and when they say they did, and - separately - whether the signer's certificate chains to
roots the caller trusts ("not checked" when no roots are given). It also reports anything
that changed the document after signing: bytes or revisions appended, or a signing update
that touches more than a signature needs to. Works on any PDF: nothing here knows which
pack it is.

This is an edge module (it uses pyHanko and the clock through it), not part of the pure core.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from asn1crypto import x509 as asn1_x509

from dtia.errors import DtiaError, SigningError, SigningInputError

# pyHanko logs each failed trust path with a traceback at ERROR level. We report trust
# ourselves; without a handler, Python would print those records on stderr.
logging.getLogger("pyhanko").addHandler(logging.NullHandler())
logging.getLogger("pyhanko_certvalidator").addHandler(logging.NullHandler())

REASON = "Ký hồ sơ đánh giá tác động chuyển dữ liệu cá nhân ra nước ngoài"
PDFAID_NS = "http://www.aiim.org/pdfa/ns/id/"

# Catalog entries a signing update may add or change: the form holding the field, the
# refreshed metadata, the PAdES developer extension, certification permissions and the
# validation data of later long-term updates. None of them changes what a page shows.
_SIGNING_CATALOG_KEYS = frozenset({"/AcroForm", "/Metadata", "/Extensions", "/Perms", "/DSS"})
_SIGNING_ACROFORM_KEYS = frozenset({"/Fields", "/SigFlags"})


@dataclass(frozen=True)
class Pkcs12Key:
    """A signing key and certificate in a PKCS#12 file (.p12/.pfx)."""

    path: Path
    passphrase: bytes


@dataclass(frozen=True)
class Pkcs11Key:
    """A signing key on a PKCS#11 token (a CA's USB token, an HSM, SoftHSM)."""

    library: Path
    token_label: str
    key_label: str
    pin: str | None = None


SigningKey = Pkcs12Key | Pkcs11Key
Trust = Literal["not checked", "trusted", "untrusted"]


@dataclass(frozen=True)
class SignatureReport:
    """One signature in a PDF, as checked."""

    field: str
    signer: str  # the certificate's common name (or its whole subject when it has none)
    subject: str  # the certificate's whole subject, readable
    signed_at: datetime | None  # the time the signer claims (not timestamped)
    intact: bool  # digest and signature hold over the whole revision but the signature
    coverage: str  # "entire file", "entire revision" or how little it covers
    trust: Trust
    trust_problem: str | None = None  # why it is untrusted
    revision: int = 0  # the revision the signature signs, the oldest being 0


@dataclass(frozen=True)
class SignedPdf:
    """What ``check_signatures`` found in a signed PDF."""

    signatures: tuple[SignatureReport, ...]
    appended_after_signing: bool  # bytes after what the last signature covers
    signed_revision: bytes  # the bytes the last signature covers
    original: bytes  # the document as it was before its first signature
    problems: tuple[str, ...]  # everything that makes the file not what was signed

    @property
    def intact(self) -> bool:
        """Every signature holds and nothing changed the document after signing."""
        return all(s.intact for s in self.signatures) and not self.problems

    @property
    def trusted(self) -> bool:
        return all(s.trust == "trusted" for s in self.signatures)


# --- signing ------------------------------------------------------------------------


def load_trust_roots(data: bytes) -> tuple[asn1_x509.Certificate, ...]:
    """The certificates in a PEM (one or more) or DER file of trusted roots."""
    from pyhanko.keys import load_certs_from_pemder_data

    try:
        roots = tuple(load_certs_from_pemder_data(data))
    except (ValueError, TypeError, OSError) as exc:
        raise SigningInputError("trust", f"not a PEM or DER certificate file ({exc})") from None
    if not roots:
        raise SigningInputError("trust", "holds no certificate")
    return roots


def pdfa_identification(pdf: bytes) -> str | None:
    """The PDF/A part and conformance the XMP metadata declares ("3B"), or None."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.metadata.model import ExpandedName
    from pyhanko.pdf_utils.metadata.xmp_xml import MetadataStream

    reader = _reader(pdf)
    try:
        ref = reader.root.raw_get("/Metadata") if "/Metadata" in reader.root else None
        if not isinstance(ref, generic.IndirectObject):
            return None
        stream = reader.get_object(ref.reference, as_metadata_stream=True)
        if not isinstance(stream, MetadataStream):
            return None
        fields = {k: v for structure in stream.xmp for k, v in structure}
    except Exception:  # a damaged metadata stream simply declares nothing
        return None
    part = fields.get(ExpandedName(ns=PDFAID_NS, local_name="part"))
    level = fields.get(ExpandedName(ns=PDFAID_NS, local_name="conformance"))
    if part is None:
        return None
    return f"{part.value}{level.value if level is not None else ''}"


def signing_place(pdf: bytes) -> str | None:
    """The place the cover notice is dated at: from the filing record a filing pack embeds,
    or from the intake a review pack embeds; None otherwise (a PDF that embeds neither names
    no place). Raises SigningError when the PDF cannot be read at all."""
    from dtia.dossier.build import FILING_NAME, INTAKE_NAME, embedded_files
    from dtia.dossier.view import _place
    from dtia.intake import TransferIntake

    _reader(pdf)  # an unreadable PDF is a SigningError, before pypdf complains about it
    try:
        files = embedded_files(pdf)
        if FILING_NAME in files:
            recorded = json.loads(files[FILING_NAME]).get("place")
            place = recorded if isinstance(recorded, str) else ""
        elif (data := files.get(INTAKE_NAME)) is not None:
            place = _place(TransferIntake.model_validate_json(data).transferor.address)
        else:
            return None
    except (ValueError, AttributeError, DtiaError):
        return None
    return None if place.strip(". …") == "" else place


def sign_pdf(
    pdf: bytes,
    key: SigningKey,
    *,
    location: str | None = None,
    reason: str = REASON,
) -> bytes:
    """``pdf`` with a PAdES B-B signature appended as an incremental update.

    Raises SigningInputError when the key cannot be used (naming which input is wrong)
    and SigningError when the PDF cannot be signed. The bytes before the update are
    ``pdf`` itself, and a PDF/A identification in ``pdf`` is still there after signing.
    """
    before = pdfa_identification(pdf)
    with _signer(key) as signer:
        signed = _sign_with(pdf, signer, location=location, reason=reason)
    if not signed.startswith(pdf):
        raise SigningError("the signed file does not begin with the original: not signed")
    if before is not None and pdfa_identification(signed) != before:
        raise SigningError(f"signing lost the PDF/A-{before} identification: not signed")
    return signed


@contextlib.contextmanager
def _signer(key: SigningKey) -> Iterator[Any]:
    if isinstance(key, Pkcs12Key):
        yield _pkcs12_signer(key)
        return
    with _pkcs11_signer(key) as signer:
        yield signer


def _pkcs12_signer(key: Pkcs12Key) -> Any:
    from pyhanko.sign.signers import SimpleSigner

    try:
        data = key.path.read_bytes()
    except OSError as exc:
        raise SigningInputError("pkcs12", f"cannot read {key.path}: {exc.strerror}") from None
    try:
        signer = SimpleSigner.load_pkcs12_data(data, other_certs=(), passphrase=key.passphrase)
    except ValueError:
        raise SigningInputError(
            "passphrase",
            f"cannot open {key.path} with this passphrase "
            "(wrong passphrase, or not a PKCS#12 file)",
        ) from None
    except (TypeError, AttributeError):
        # cryptography hands back no key when the file holds certificates only
        raise SigningInputError("pkcs12", f"{key.path} holds no private key") from None
    return signer


@contextlib.contextmanager
def _pkcs11_signer(key: Pkcs11Key) -> Iterator[Any]:
    try:
        import pkcs11
        from pyhanko.config.pkcs11 import TokenCriteria
        from pyhanko.sign.general import SigningError as HankoSigningError
        from pyhanko.sign.pkcs11 import PKCS11Signer, open_pkcs11_session
    except ImportError:  # pragma: no cover - python-pkcs11 is a declared dependency
        raise SigningError("PKCS#11 signing needs python-pkcs11, which is not installed") from None

    if not key.library.is_file():
        raise SigningInputError("pkcs11_lib", f"{key.library} is not a file")
    try:
        library = pkcs11.lib(str(key.library))
        labels = [slot.get_token().label for slot in library.get_slots(token_present=True)]
        labels = [label for label in labels if label]  # uninitialised slots have none
    except (RuntimeError, OSError, pkcs11.PKCS11Error) as exc:
        raise SigningInputError(
            "pkcs11_lib", f"cannot load {key.library} as a PKCS#11 module ({exc})"
        ) from None
    if key.token_label not in labels:
        found = ", ".join(repr(label) for label in labels) or "none"
        raise SigningInputError(
            "token_label", f"no token labelled {key.token_label!r} (tokens present: {found})"
        )
    try:
        session = open_pkcs11_session(
            str(key.library), token_criteria=TokenCriteria(label=key.token_label), user_pin=key.pin
        )
    except pkcs11.PinIncorrect:
        raise SigningInputError("pin", "the token refused this PIN") from None
    except pkcs11.PinLocked:
        raise SigningInputError("pin", "the token's PIN is locked") from None
    except pkcs11.PKCS11Error as exc:
        raise SigningError(
            f"cannot open a session on token {key.token_label!r}: {type(exc).__name__}"
        ) from None
    try:
        signer = PKCS11Signer(
            session,
            cert_label=key.key_label,
            key_label=key.key_label,
            other_certs_to_pull=None,  # the CA chain, when the token holds it
        )
        try:
            signer.signing_cert  # noqa: B018 - loads key and certificate now, to name a missing one
        except (pkcs11.PKCS11Error, HankoSigningError, ValueError) as exc:
            raise SigningInputError(
                "key_label",
                f"token {key.token_label!r} has no key and certificate labelled "
                f"{key.key_label!r} ({exc})",
            ) from None
        yield signer
    finally:
        session.close()


def _field_name(writer: Any) -> str:
    from pyhanko.sign.fields import enumerate_sig_fields

    taken = {name for name, _value, _ref in enumerate_sig_fields(writer)}
    n = 1
    while f"Signature{n}" in taken:
        n += 1
    return f"Signature{n}"


def _sign_with(pdf: bytes, signer: Any, *, location: str | None, reason: str) -> bytes:
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.sign import fields, signers
    from pyhanko.sign.general import SigningError as HankoSigningError

    try:
        writer = _Writer(io.BytesIO(pdf))
        name = _field_name(writer)
        fields.append_signature_field(writer, fields.SigFieldSpec(name))
        # PDF/A wants an appearance on every annotation, even an invisible one.
        for field_name, _value, ref in fields.enumerate_sig_fields(writer, with_name=name):
            if field_name == name:
                widget = ref.get_object()
                empty = generic.StreamObject(
                    {
                        generic.pdf_name("/Type"): generic.pdf_name("/XObject"),
                        generic.pdf_name("/Subtype"): generic.pdf_name("/Form"),
                        generic.pdf_name("/BBox"): generic.ArrayObject(
                            [generic.FloatObject(0)] * 4
                        ),
                    },
                    stream_data=b"",
                )
                widget[generic.pdf_name("/AP")] = generic.DictionaryObject(
                    {generic.pdf_name("/N"): writer.add_object(empty)}
                )
                writer.update_container(widget)
        meta = signers.PdfSignatureMetadata(
            field_name=name,
            reason=reason,
            location=location,
            subfilter=fields.SigSeedSubFilter.PADES,
            md_algorithm="sha256",
        )
        out = signers.sign_pdf(writer, meta, signer=signer)
    except (PdfError, HankoSigningError, ValueError, KeyError) as exc:
        raise SigningError(f"cannot sign this PDF: {exc}") from None
    signed: bytes = out.getvalue()
    return signed


def _make_writer_class() -> type:
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.metadata.model import PDF_PRODUCER, XmpStructure, XmpValue
    from pyhanko.pdf_utils.metadata.xmp_xml import MetadataStream

    class Writer(IncrementalPdfFileWriter):
        """pyHanko appends itself to the information dictionary's /Producer but writes
        only itself into the XMP metadata; PDF/A wants the two to agree, so the XMP
        gets the same producer line."""

        def _update_meta(self) -> None:
            super()._update_meta()  # type: ignore[no-untyped-call]
            # indexing dereferences; .get would hand back the reference (and the trailer has none)
            info = self.trailer["/Info"] if "/Info" in self.trailer else None  # noqa: SIM401
            stream = self.root["/Metadata"] if "/Metadata" in self.root else None  # noqa: SIM401
            if info is None or not isinstance(stream, MetadataStream):
                return
            producer = info.get("/Producer")
            if producer is None:
                return
            values = {k: v for structure in stream.xmp for k, v in structure}
            values[PDF_PRODUCER] = XmpValue(str(producer))
            replacement = MetadataStream.from_xmp([XmpStructure(values)])
            replacement.compress()
            self.root[generic.pdf_name("/Metadata")] = self.add_object(replacement)
            self.update_root()  # type: ignore[no-untyped-call]

    return Writer


class _LazyWriter:
    """The writer class is built on first use, so importing this module stays cheap."""

    cls: type | None = None

    def __call__(self, stream: io.BytesIO) -> Any:
        if self.cls is None:
            self.cls = _make_writer_class()
        return self.cls(stream)


_Writer = _LazyWriter()


# --- checking -------------------------------------------------------------------------


def _reader(pdf: bytes) -> Any:
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        return PdfFileReader(io.BytesIO(pdf), strict=False)
    except (PdfError, ValueError, KeyError, TypeError, IndexError) as exc:
        raise SigningError(f"not a readable PDF: {exc}") from None


def check_signatures(
    pdf: bytes, *, trust_roots: Sequence[asn1_x509.Certificate] | None = None
) -> SignedPdf | None:
    """The signatures in ``pdf`` checked, or None when it holds none (a file too damaged
    to read counts as unsigned when it holds no signature's byte range at all).

    With ``trust_roots`` each signer's certificate must chain to one of them to be
    "trusted"; without, trust is "not checked". Integrity never depends on trust.
    """
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.sign.validation.errors import SignatureValidationError

    try:
        reader = _reader(pdf)
    except SigningError:
        if b"/ByteRange" not in pdf:
            return None  # unreadable, but nothing in it was ever signed: not ours to judge
        raise
    try:
        embedded = sorted(reader.embedded_signatures, key=lambda s: s.signed_revision)
    except (PdfError, ValueError, KeyError, TypeError, SignatureValidationError) as exc:
        raise SigningError(f"cannot read the signatures in this PDF: {exc}") from None
    if not embedded:
        return None
    problems: list[str] = []
    reports: list[SignatureReport] = []
    for sig in embedded:
        report, problem = _check_one(sig, trust_roots)
        reports.append(report)
        if problem:
            problems.append(problem)

    last = embedded[-1]
    start, _len1, start2, len2 = (int(x) for x in last.byte_range)
    covered_to = start2 + len2
    appended = covered_to != len(pdf) or start != 0
    if appended:
        problems.append(
            f"{len(pdf) - covered_to} bytes were appended after the last signature "
            f"({reports[-1].field}): the file was changed after it was signed"
        )
    signed_revisions = {s.signed_revision for s in embedded}
    first = embedded[0].signed_revision
    total = reader.xrefs.total_revisions
    for revision in range(first, total):
        if revision not in signed_revisions:
            problems.append(
                f"revision {revision + 1} of {total} changes the document after it was signed"
            )
            continue
        problems += _update_problems(reader, revision)
    original = b""
    if first == 0:
        problems.append("the PDF was signed as it was created: there is no unsigned original")
    else:
        original = _revision_bytes(reader, pdf, first - 1)
    return SignedPdf(
        signatures=tuple(reports),
        appended_after_signing=appended,
        signed_revision=pdf[:covered_to],
        original=original,
        problems=tuple(dict.fromkeys(problems)),
    )


def _check_one(
    sig: Any, trust_roots: Sequence[asn1_x509.Certificate] | None
) -> tuple[SignatureReport, str | None]:
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.errors import SignatureValidationError
    from pyhanko_certvalidator import ValidationContext

    field = str(sig.field_name)
    if sig.sig_object_type != "/Sig":
        # a document timestamp (PAdES B-LTA): dtia neither makes nor checks those
        report = SignatureReport(field, "", "", None, False, "unknown", "not checked")
        return report, f"{field} is a document timestamp, which dtia does not check"
    context = ValidationContext(trust_roots=list(trust_roots or ()), allow_fetching=False)
    try:
        status = validate_pdf_signature(sig, signer_validation_context=context, skip_diff=True)
    except (SignatureValidationError, PdfError, ValueError, KeyError, TypeError) as exc:
        name, subject = _names(sig)
        report = SignatureReport(field, name, subject, None, False, "unknown", "not checked")
        return report, f"{field} cannot be checked: {exc}"
    coverage = status.coverage.name.lower().replace("_", " ") if status.coverage else "unknown"
    covers = status.coverage is not None and status.coverage.name in (
        "ENTIRE_FILE",
        "ENTIRE_REVISION",
    )
    intact = bool(status.intact and status.valid and covers)
    trust: Trust = "not checked"
    trust_problem = None
    if trust_roots is not None:
        trust = "trusted" if status.trusted else "untrusted"
        if not status.trusted:
            trust_problem = _trust_problem(status.trust_problem_indic)
    name, subject = _names(sig)
    report = SignatureReport(
        field=field,
        signer=name,
        subject=subject,
        signed_at=status.signer_reported_dt,
        intact=intact,
        coverage=coverage,
        trust=trust,
        trust_problem=trust_problem,
        revision=int(sig.signed_revision),
    )
    problem = None
    if not intact:
        if not status.intact:
            problem = f"{field}: the signed bytes were changed (the digest does not match)"
        elif not status.valid:
            problem = f"{field}: the signature value does not verify with the signer's key"
        else:
            problem = f"{field}: the signature does not cover its whole revision ({coverage})"
    return report, problem


def _names(sig: Any) -> tuple[str, str]:
    """The signer's common name and whole subject, as a person reads them."""
    try:
        subject = sig.signer_cert.subject
        readable = str(subject.human_friendly)
        common = subject.native.get("common_name")
    except Exception:  # an unreadable certificate names nobody
        return "", ""
    if isinstance(common, list):  # several CN attributes: the last is the most specific
        common = common[-1]
    return (str(common) if common else readable), readable


def _trust_problem(indication: Any) -> str:
    name = str(getattr(indication, "name", "") or "")
    if name == "NO_CERTIFICATE_CHAIN_FOUND":
        return "the signer's certificate does not chain to any of the trusted roots"
    if name in ("OUT_OF_BOUNDS_NO_POE", "EXPIRED"):
        return "the signer's certificate (or one of its issuers) is expired or not yet valid"
    if name in ("REVOKED", "REVOKED_NO_POE", "REVOKED_CA_NO_POE"):
        return "the signer's certificate (or one of its issuers) is revoked"
    if name:
        return "the certificate chain is not trusted: " + name.lower().replace("_", " ")
    return "the certificate chain is not trusted"


def _revision_bytes(reader: Any, pdf: bytes, revision: int) -> bytes:
    """The file up to the end of ``revision``: its xref data, then startxref and %%EOF.
    Should this find the wrong end, the bytes do not re-render and verify fails: it can
    never make a changed file pass."""
    end = int(reader.xrefs.get_xref_container_info(revision).end_location)
    eof = pdf.find(b"%%EOF", end)
    if eof < 0:
        return pdf[:end]
    stop = eof + len(b"%%EOF")
    if pdf[stop : stop + 2] == b"\r\n":
        stop += 2
    elif pdf[stop : stop + 1] in (b"\n", b"\r"):
        stop += 1
    return pdf[:stop]


def _update_problems(reader: Any, revision: int) -> list[str]:
    """What ``revision`` (a signing update) changes beyond adding a signature: every
    object it rewrites must be the catalog (form, metadata, extensions), the metadata,
    the information dictionary, the form, or a page gaining signature widgets."""
    from pyhanko.pdf_utils import generic

    before = revision - 1
    old = reader.get_historical_resolver(before)
    new = reader.get_historical_resolver(revision)
    xrefs = reader.xrefs
    where = f"the signing update (revision {revision + 1})"
    problems: list[str] = []
    if xrefs.refs_freed_in_revision(revision):
        problems.append(f"{where} deletes objects of the signed document")

    old_root, new_root = old.root, new.root
    problems += [
        f"{where} changes the document catalog's {key}"
        for key in _changed_keys(old_root, new_root)
        if key not in _SIGNING_CATALOG_KEYS
    ]
    allowed: set[int] = set()
    for holder, key in ((old_root, "/Metadata"), (old.trailer_view, "/Info")):
        value = holder.raw_get(key) if key in holder else None
        if isinstance(value, generic.IndirectObject):
            allowed.add(value.idnum)
    acroform = old_root.raw_get("/AcroForm") if "/AcroForm" in old_root else None
    if isinstance(acroform, generic.IndirectObject):
        allowed.add(acroform.idnum)
        problems += [
            f"{where} changes the form's {key}"
            for key in _changed_keys(old(acroform.reference), new(acroform.reference))
            if key not in _SIGNING_ACROFORM_KEYS
        ]
    root_ref = reader.root_ref

    for ref in sorted(xrefs.explicit_refs_in_revision(revision), key=lambda r: r.idnum):
        if xrefs.get_historical_ref(ref, before) is None:
            continue  # a new object: reachable only through the rewritten ones checked here
        if ref.idnum in allowed or ref == root_ref:
            continue
        old_obj = old(ref)
        if isinstance(old_obj, generic.DictionaryObject) and old_obj.get("/Type") == "/Page":
            problems += _page_problems(old_obj, new(ref), where)
            continue
        if _is_annots_array(old, ref):
            continue  # checked with its page
        kind = old_obj.get("/Type") if isinstance(old_obj, generic.DictionaryObject) else None
        problems.append(
            f"{where} rewrites object {ref.idnum} of the signed document"
            + (f" ({kind})" if kind else "")
        )
    # pages whose /Annots array is its own object, rewritten without the page
    for ref in xrefs.explicit_refs_in_revision(revision):
        page = _page_of_annots(old, ref)
        if page is not None:
            problems += _page_problems(old(page), new(page), where)
    return problems


def _changed_keys(old: Any, new: Any) -> list[str]:
    keys = sorted(set(old.keys()) | set(new.keys()))
    return [
        str(k)
        for k in keys
        if (k in old) != (k in new) or (k in old and old.raw_get(k) != new.raw_get(k))
    ]


def _annots(page: Any) -> list[Any]:
    from pyhanko.pdf_utils import generic

    if "/Annots" not in page:
        return []
    value = page["/Annots"]
    return list(value) if isinstance(value, generic.ArrayObject) else []


def _page_problems(old_page: Any, new_page: Any, where: str) -> list[str]:
    from pyhanko.pdf_utils import generic

    problems = [
        f"{where} changes a page's {key}"
        for key in _changed_keys(old_page, new_page)
        if key != "/Annots"
    ]
    old_annots = _annots(old_page)
    new_annots = _annots(new_page)
    if any(a not in new_annots for a in old_annots):
        problems.append(f"{where} removes an annotation from a page")
    for annot in new_annots:
        if annot in old_annots:
            continue
        target = annot.get_object() if isinstance(annot, generic.IndirectObject) else annot
        if not _is_signature_widget(target):
            problems.append(f"{where} adds an annotation that is not a signature field")
    return problems


def _is_signature_widget(annot: Any) -> bool:
    from pyhanko.pdf_utils import generic

    if not isinstance(annot, generic.DictionaryObject) or annot.get("/Subtype") != "/Widget":
        return False
    node = annot
    for _depth in range(32):  # field trees are shallow; a loop is not a signature
        if node.get("/FT") == "/Sig":
            return True
        parent = node.get("/Parent")
        if not isinstance(parent, generic.DictionaryObject):
            return False
        node = parent
    return False


def _page_of_annots(resolver: Any, ref: Any) -> Any:
    """The page whose /Annots is the indirect array ``ref`` in that revision, if any."""
    from pyhanko.pdf_utils import generic

    for page_ref in _page_refs(resolver):
        page = resolver(page_ref)
        value = page.raw_get("/Annots") if "/Annots" in page else None
        if isinstance(value, generic.IndirectObject) and value.idnum == ref.idnum:
            return page_ref
    return None


def _is_annots_array(resolver: Any, ref: Any) -> bool:
    return _page_of_annots(resolver, ref) is not None


def _page_refs(resolver: Any) -> list[Any]:
    from pyhanko.pdf_utils import generic

    out: list[Any] = []
    stack = [resolver.root.raw_get("/Pages")]
    seen: set[int] = set()
    while stack:
        node_ref = stack.pop()
        if not isinstance(node_ref, generic.IndirectObject) or node_ref.idnum in seen:
            continue
        seen.add(node_ref.idnum)
        node = node_ref.get_object()
        if node.get("/Type") == "/Page":
            out.append(node_ref.reference)
        elif "/Kids" in node:
            stack.extend(reversed(list(node.raw_get("/Kids"))))
    return out
