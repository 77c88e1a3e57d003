"""Building and verifying dossiers: what goes into each PDF and how to check it later.

A dossier is two PDFs. The review pack (internal) embeds everything needed to render it
again: the intake (as validated JSON), the assessment, every file the intake names, and a
manifest of SHA-256 hashes (intake, rules data, templates, fonts, attachments); ``verify``
re-renders from those embedded parts alone and compares bytes, so any change anywhere in
the file is detected. The filing pack (what the authority receives) embeds only the
documents the dossier must contain and a small record naming the review pack's input; it
is verified by rendering it again from its review pack. When the dossier is not ready to
file, a watermarked draft takes the filing pack's place. When no dossier is required, the
exemption memo verifies like a review pack.
"""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path, PurePosixPath

from dtia.assessment import Assessment
from dtia.dossier.memo import MemoSigners, build_memo
from dtia.dossier.render import (
    render_filing_html,
    render_memo_html,
    render_pdf,
    render_review_html,
)
from dtia.dossier.view import DossierView, build_view, dossier_documents
from dtia.errors import DtiaError
from dtia.intake import UPLOADED, FileFact, LoadedIntake, TransferIntake, input_digest
from dtia.law import Rules, load_rules
from dtia.readiness import Readiness, readiness

INTAKE_NAME = "intake.json"
ASSESSMENT_NAME = "assessment.json"
MANIFEST_NAME = "manifest.json"
FILING_NAME = "filing.json"
# The kinds of PDF a dossier is made of (``Pack.kind``, the register's dossier kinds).
REVIEW, FILING, DRAFT, MEMO = "review", "filing", "filing-draft", "exemption-memo"
FONT_FAMILIES = ("Noto Serif", "Noto Sans CJK JP", "Noto Serif CJK JP", "DejaVu Sans")


class DossierError(DtiaError):
    """A dossier cannot be built or does not verify."""


@dataclass(frozen=True)
class Pack:
    """One PDF of a dossier: ``review``, ``filing``, ``filing-draft`` or ``exemption-memo``."""

    kind: str
    pdf: bytes

    @property
    def filename(self) -> str:
        return f"{self.kind}.pdf"


@dataclass(frozen=True)
class Dossier:
    """What ``build`` makes. ``kind``/``pdf`` are the document that verifies from itself: the
    review pack (``review``) or the exemption memo (``exemption-memo``). ``filing`` is the
    filing pack when the dossier is ready, its watermarked draft when not, and None when no
    dossier is required."""

    kind: str
    filename: str
    pdf: bytes
    assessment: Assessment
    manifest: dict[str, object]
    readiness: Readiness
    filing: Pack | None = None

    @property
    def packs(self) -> list[Pack]:
        """Every PDF made, the one that verifies from itself first."""
        return [Pack(self.kind, self.pdf), *([self.filing] if self.filing else [])]

    @property
    def ready(self) -> bool:
        return self.readiness.ready


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _font_hashes() -> dict[str, str]:
    """The font files fontconfig picks for the families the stylesheet names."""
    out: dict[str, str] = {}
    for family in FONT_FAMILIES:
        found = subprocess.run(
            ["fc-match", "-f", "%{file}", family], capture_output=True, text=True, check=False
        )
        path = found.stdout.strip()
        try:
            with open(path, "rb") as handle:
                out[family] = f"{PurePosixPath(path).name}:{_sha(handle.read())}"
        except OSError:
            out[family] = "missing"
    return out


def _template_hashes() -> dict[str, str]:
    folder = resources.files("dtia_templates")
    return {
        entry.name: _sha(entry.read_bytes())
        for entry in sorted(folder.iterdir(), key=lambda e: e.name)
        if entry.name.endswith((".j2", ".css"))
    }


def manifest(
    loaded: LoadedIntake,
    a: Assessment,
    file_bytes: Mapping[str, bytes],
    audit_head: str | None = None,
    memo_signers: MemoSigners | None = None,
) -> dict[str, object]:
    """The hashes a dossier embeds; with ``audit_head`` (``N:HASH``, where the register's
    audit chain stood when the dossier was made) the dossier is also a head kept outside the
    register, for ``dtia audit verify --head``. Without it the manifest is unchanged. The
    exemption memo's preparer and reviewer, when given, are kept as ``memo_signers``."""
    anchor: dict[str, object] = {"audit_head": audit_head} if audit_head else {}
    if memo_signers is not None and memo_signers.to_json():
        anchor["memo_signers"] = memo_signers.to_json()
    return {
        **anchor,
        "schema": "dtia.manifest/v1",
        "transfer_id": a.transfer_id,
        "as_of": a.as_of.isoformat(),
        "input_sha256": a.input_sha256,
        "intake_sha256": _sha(_intake_json(loaded.intake)),
        "assessment_sha256": _sha(a.to_json().encode()),
        "rules": {"version": a.rules_version, "sha256": a.rules_sha256},
        "templates": _template_hashes(),
        "fonts": _font_hashes(),
        "attachments": {name: _sha(data) for name, data in sorted(file_bytes.items())},
    }


def _intake_json(intake: TransferIntake) -> bytes:
    data = intake.model_dump(mode="json", by_alias=True, exclude_defaults=False)
    return (json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False) + "\n").encode()


def _check_files(loaded: LoadedIntake, file_bytes: Mapping[str, bytes]) -> None:
    """Exactly the files the assessment saw, with the same bytes: a dossier that embeds
    anything else would not verify (its input hash covers every file)."""
    problems = [f"{n} is missing" for n in sorted(set(loaded.files) - set(file_bytes))]
    problems += [
        f"{n} is not a file of the intake" for n in sorted(set(file_bytes) - set(loaded.files))
    ]
    problems += [
        f"{n} differs from the file assessed"
        for n, fact in sorted(loaded.files.items())
        if n in file_bytes and _sha(file_bytes[n]) != fact.sha256
    ]
    if problems:
        raise DossierError(
            f"cannot build the dossier of {loaded.intake.transfer.id}: " + "; ".join(problems)
        )


def _describe(name: str) -> str:
    if name.startswith(UPLOADED + "/"):
        return "Evidence uploaded by the recipient with its questionnaire answer"
    return f"Attachment named by the intake: {name}"


def filing_record(
    a: Assessment, documents: Mapping[str, bytes], *, draft: bool, place: str
) -> dict[str, object]:
    """What a filing pack embeds besides its documents: enough to find and check the review
    pack it is re-rendered from (the transfer, the date, the hash of the assessment's input),
    the place its cover notice is dated at (for the signature), and nothing of the assessment
    itself (no findings, scores or gaps)."""
    return {
        "place": place,
        "schema": "dtia.filing/v1",
        "transfer_id": a.transfer_id,
        "as_of": a.as_of.isoformat(),
        "rules_version": a.rules_version,
        "input_sha256": a.input_sha256,
        "draft": draft,
        "documents": {name: _sha(data) for name, data in sorted(documents.items())},
    }


def review_html(loaded: LoadedIntake, a: Assessment, rules: Rules) -> str:
    """The review pack's HTML (before WeasyPrint): for tests and benchmarks, and ``build``."""
    return _review_html(build_view(loaded, a, rules), a, readiness(a, loaded.intake, rules), rules)


def filing_html(loaded: LoadedIntake, a: Assessment, rules: Rules) -> str:
    """The filing pack's HTML, or its draft's when the dossier is not ready."""
    ready = readiness(a, loaded.intake, rules)
    return render_filing_html(build_view(loaded, a, rules), draft=not ready.ready)


def _review_html(view: DossierView, a: Assessment, ready: Readiness, rules: Rules) -> str:
    criteria = {c.criterion: rules.criterion(c.criterion).name_en for c in a.risk.contributions}
    return render_review_html(view, a, ready, criteria)


def _filing_pack(
    loaded: LoadedIntake,
    a: Assessment,
    view: DossierView,
    file_bytes: Mapping[str, bytes],
    *,
    draft: bool,
) -> Pack:
    """The filing pack (or its draft): the cover notice and Form 09 in Vietnamese, embedding
    the documents the dossier must contain (Decree 356/2025 Art 18(2)(b)-(c)) by their titles."""
    titles = dict(dossier_documents(loaded.intake))
    documents = {name: data for name, data in file_bytes.items() if name in titles}
    record = filing_record(a, documents, draft=draft, place=view.cover.place)
    parts: list[tuple[str, bytes, str]] = [
        (
            FILING_NAME,
            (json.dumps(record, indent=2, sort_keys=True) + "\n").encode(),
            "The dossier this pack is rendered from (dtia.filing/v1)",
        )
    ]
    parts += [(name, data, titles[name]) for name, data in sorted(documents.items())]
    pdf = render_pdf(render_filing_html(view, draft=draft), as_of=a.as_of, attachments=parts)
    return Pack(DRAFT if draft else FILING, pdf)


def build(
    loaded: LoadedIntake,
    a: Assessment,
    file_bytes: Mapping[str, bytes],
    *,
    audit_head: str | None = None,
    memo_signers: MemoSigners | None = None,
) -> Dossier:
    """The dossier as PDF bytes: the review pack, embedding ``file_bytes`` (the bytes of every
    file the intake names, ``read_files``), and the filing pack when the dossier is ready or
    its draft when not; or, when no dossier is required, the exemption memo. Every dossier,
    whoever renders it, is built here, so every one verifies; its manifest records
    ``audit_head`` when given, and the memo's ``memo_signers``."""
    _check_files(loaded, file_bytes)
    rules = load_rules(a.as_of)
    required = a.applicability.dossier_required
    ready = readiness(a, loaded.intake, rules)
    man = manifest(loaded, a, file_bytes, audit_head, None if required else memo_signers)
    parts: list[tuple[str, bytes, str]] = [
        (INTAKE_NAME, _intake_json(loaded.intake), "The validated intake (dtia.intake/v1)"),
        (ASSESSMENT_NAME, a.to_json().encode(), "The assessment (dtia.assessment/v1)"),
        (
            MANIFEST_NAME,
            (json.dumps(man, indent=2, sort_keys=True) + "\n").encode(),
            "SHA-256 of the intake, rules, templates, fonts and attachments",
        ),
    ]
    parts += [(name, data, _describe(name)) for name, data in sorted(file_bytes.items())]
    if not required:
        memo = build_memo(loaded, a, rules, signers=memo_signers)
        pdf = render_pdf(render_memo_html(memo), as_of=a.as_of, attachments=parts)
        return Dossier(MEMO, f"{MEMO}.pdf", pdf, a, man, ready)
    view = build_view(loaded, a, rules)
    pdf = render_pdf(_review_html(view, a, ready, rules), as_of=a.as_of, attachments=parts)
    filing = _filing_pack(loaded, a, view, file_bytes, draft=not ready.ready)
    return Dossier(REVIEW, f"{REVIEW}.pdf", pdf, a, man, ready, filing)


def build_for_register(
    loaded: LoadedIntake, a: Assessment, file_bytes: Mapping[str, bytes]
) -> list[tuple[str, bytes]]:
    """``build``, as the kind and PDF of each pack, the one that verifies from itself first:
    what re-assessment stores. Top-level, so worker processes can run it."""
    return [(p.kind, p.pdf) for p in build(loaded, a, file_bytes).packs]


def embedded_files(pdf: bytes) -> dict[str, bytes]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(pdf))
        return {name: contents[0] for name, contents in reader.attachments.items()}
    except (PdfReadError, ValueError, KeyError) as exc:
        raise DossierError(f"not a readable dtia dossier: {exc}") from None


@dataclass(frozen=True)
class Verification:
    ok: bool
    message: str
    transfer_id: str | None = None
    audit_head: str | None = None  # the audit head its manifest records, if any


Embedded = tuple[LoadedIntake, Assessment, dict[str, bytes], str | None, MemoSigners | None]


def _from_embedded(files: Mapping[str, bytes]) -> Embedded | Verification:
    """The intake, assessment, files, audit head and memo signers a review pack (or memo)
    embeds, or why they cannot be used."""
    missing = [n for n in (INTAKE_NAME, ASSESSMENT_NAME, MANIFEST_NAME) if n not in files]
    if missing:
        return Verification(False, f"not a dtia dossier: it embeds no {', '.join(missing)}")
    try:
        intake = TransferIntake.model_validate_json(files[INTAKE_NAME])
        a = Assessment.from_json(files[ASSESSMENT_NAME].decode())
    except ValueError as exc:
        return Verification(False, f"the embedded intake or assessment is damaged: {exc}")
    attachments = {
        k: v for k, v in files.items() if k not in (INTAKE_NAME, ASSESSMENT_NAME, MANIFEST_NAME)
    }
    facts = {
        name: FileFact(
            name,
            _sha(data),
            len(data),
            data.decode("utf-8", errors="replace")
            if name.endswith((".txt", ".md", ".html", ".htm"))
            else None,
        )
        for name, data in attachments.items()
    }
    loaded = LoadedIntake(intake, "<embedded>", input_digest(intake, facts), facts)
    if loaded.input_sha256 != a.input_sha256:
        return Verification(
            False,
            "the embedded intake or attachments do not match the assessment's input hash",
            a.transfer_id,
        )
    try:
        recorded_manifest = json.loads(files[MANIFEST_NAME])
        recorded = recorded_manifest.get("audit_head")
        signers = recorded_manifest.get("memo_signers")
        memo_signers = None if signers is None else MemoSigners.from_json(signers)
    except (ValueError, AttributeError):
        return Verification(False, "the embedded manifest is damaged", a.transfer_id)
    return loaded, a, attachments, recorded if isinstance(recorded, str) else None, memo_signers


def _first_difference(x: bytes, y: bytes) -> int:
    return next(
        (i for i, (p, q) in enumerate(zip(x, y, strict=False)) if p != q), min(len(x), len(y))
    )


def is_filing_pack(pdf: bytes) -> bool:
    """Whether ``pdf`` is a filing pack or its draft (it embeds its filing record)."""
    return FILING_NAME in embedded_files(pdf)


def verify(pdf: bytes, review: bytes | None = None) -> Verification:
    """Re-render and compare bytes with ``pdf``. A review pack (or memo) re-renders from what
    it embeds. A filing pack (or its draft) embeds nothing it could be rendered from: it
    re-renders from ``review``, its review pack, which must verify too."""
    files = embedded_files(pdf)
    if FILING_NAME in files:
        return _verify_filing(pdf, files[FILING_NAME], review)
    parts = _from_embedded(files)
    if isinstance(parts, Verification):
        return parts
    loaded, a, attachments, head, memo_signers = parts
    again = build(loaded, a, attachments, audit_head=head, memo_signers=memo_signers)
    if again.pdf != pdf:
        return Verification(
            False,
            f"the file differs from the dossier its contents produce "
            f"(first difference at byte {_first_difference(again.pdf, pdf)}): it was modified, "
            "or rendered with other templates or fonts",
            a.transfer_id,
        )
    return Verification(
        True,
        f"verified: {a.transfer_id} as of {a.as_of.isoformat()}, rules {a.rules_version}",
        a.transfer_id,
        head,
    )


def _verify_filing(pdf: bytes, record_bytes: bytes, review: bytes | None) -> Verification:
    try:
        record = json.loads(record_bytes)
        transfer_id, as_of = str(record["transfer_id"]), str(record["as_of"])
        input_sha = str(record["input_sha256"])
        what = "filing-pack draft" if record.get("draft") else "filing pack"
    except (ValueError, KeyError, TypeError):
        return Verification(False, "the embedded filing record is damaged")
    if review is None:
        return Verification(
            False,
            f"a {what} ({transfer_id} as of {as_of}) is checked against its review pack: "
            "give it with --review REVIEW.pdf",
            transfer_id,
        )
    review_files = embedded_files(review)
    if FILING_NAME in review_files:
        return Verification(False, "--review names a filing pack, not a review pack", transfer_id)
    parts = _from_embedded(review_files)
    if isinstance(parts, Verification):
        return Verification(False, f"the review pack: {parts.message}", transfer_id)
    loaded, a, attachments, head, memo_signers = parts
    if (a.transfer_id, a.as_of.isoformat(), a.input_sha256) != (transfer_id, as_of, input_sha):
        return Verification(
            False,
            f"the review pack is of {a.transfer_id} as of {a.as_of.isoformat()} with other "
            f"facts; this {what} is of {transfer_id} as of {as_of}",
            transfer_id,
        )
    again = build(loaded, a, attachments, audit_head=head, memo_signers=memo_signers)
    if again.pdf != review:
        return Verification(
            False,
            "the review pack differs from the dossier its contents produce (first difference "
            f"at byte {_first_difference(again.pdf, review)}): it was modified, or rendered "
            "with other templates or fonts",
            transfer_id,
        )
    if again.filing is None or again.filing.pdf != pdf:
        made = again.filing.pdf if again.filing else b""
        return Verification(
            False,
            f"the {what} differs from the one its review pack produces (first difference at "
            f"byte {_first_difference(made, pdf)}): it was modified, or rendered with other "
            "templates or fonts",
            transfer_id,
        )
    return Verification(
        True,
        f"verified: {what} of {a.transfer_id} as of {a.as_of.isoformat()}, rules "
        f"{a.rules_version}, against its review pack",
        a.transfer_id,
        head,
    )


# Finds a file by its SHA-256 (the register's copies): ``Register.stored_file``.
FileLookup = Callable[[str], bytes | None]


def read_files(
    loaded: LoadedIntake, base: Path | None, stored: FileLookup | None = None
) -> dict[str, bytes]:
    """The bytes of every file the intake names, each checked against the hash the
    assessment used. Evidence a recipient uploaded comes from ``stored`` by its SHA-256,
    never through a path; the intake's own files come from ``stored`` when it has them,
    else from the intake's folder ``base`` (and from nowhere else)."""
    out: dict[str, bytes] = {}
    missing: list[str] = []
    changed: list[str] = []
    for name, fact in sorted(loaded.files.items()):
        data = stored(fact.sha256) if stored is not None else None
        if data is None and base is not None and not name.startswith(UPLOADED + "/"):
            data = _read_inside(base, name)
        if data is None:
            missing.append(name)
        elif _sha(data) != fact.sha256:
            changed.append(name)
        else:
            out[name] = data
    problems = [f"{n} is neither in the register nor next to the intake" for n in missing]
    problems += [f"{n} changed since it was assessed" for n in changed]
    if problems:
        raise DossierError(
            f"cannot embed the files of {loaded.intake.transfer.id}: " + "; ".join(problems)
        )
    return out


def _read_inside(base: Path, rel: str) -> bytes | None:
    root = base.resolve()
    target = (root / rel).resolve()
    if not target.is_relative_to(root):
        return None
    try:
        return target.read_bytes()
    except OSError:
        return None


def build_update_notice(
    loaded: LoadedIntake, a: Assessment, previous: TransferIntake, kinds: set[str], version: int
) -> bytes:
    """Form 03a: the change notice that goes with an update of a filed dossier."""
    from dtia.dossier.render import environment
    from dtia.dossier.view import _place, _t

    rules = load_rules(a.as_of)
    t = loaded.intake.transferor
    text = {
        k: _t(rules, k, "03a")
        for k in (
            "notice_title",
            "dossier_name",
            "part_1",
            "part_2",
            "change_content",
            "change_reason",
            "part_3",
            "part_4",
            "commitment",
            "staff",
        )
    }
    labels = {x.code: x for x in rules.files.update_triggers}
    changes = []
    if "party" in kinds:
        before = {(r.name, r.country) for r in previous.recipients}
        changes += [
            f"Bên nhận / recipient: {r.name} ({r.country}), {r.role.replace('_', ' ')}"
            for r in loaded.intake.recipients
            if (r.name, r.country) not in before
        ]
    if "purpose" in kinds:
        old = {str(p) for p in previous.transfer.purposes}
        changes += [
            f"Mục đích / purpose: {p}"
            for p in loaded.intake.transfer.purposes
            if str(p) not in old
        ]
    changes += [labels[k].label_vi for k in sorted(kinds) if k in labels]
    reasons = [
        f"{labels[k].label_vi} ({'; '.join(labels[k].citations)})"
        for k in sorted(kinds)
        if k in labels
    ]
    pdp = t.pdp
    n = {
        "title": f"{text['notice_title'].vi} {text['dossier_name'].vi}",
        "as_of": a.as_of,
        "place": _place(t.address),
        "org_header": t.name_vi.upper(),
        "motto_1": _t(rules, "motto_1", "any").vi,
        "motto_2": _t(rules, "motto_2", "any").vi,
        "addressee": _t(rules, "addressee", "any").vi,
        "name": t.name_vi,
        **{k: v.vi for k, v in text.items()},
        "commitment": text["commitment"].vi.replace("{name}", t.name_vi),
        "rows": [
            ("Tên tổ chức, doanh nghiệp", t.name_vi),
            ("Địa chỉ trụ sở chính", t.address),
            ("Địa chỉ trụ sở giao dịch", t.transaction_address or t.address),
            ("Mã số thuế", t.tax_code),
            ("Điện thoại", t.phone),
            ("Website", t.website),
            (text["staff"].vi, pdp.name),
            ("Họ và tên", pdp.name),
            ("Chức danh", pdp.title),
            ("Số điện thoại liên lạc (cố định và di động)", pdp.phone),
            ("Email", pdp.email),
        ],
        "changes": changes,
        "reasons": reasons,
        "documents": [
            f"Hồ sơ đánh giá tác động chuyển dữ liệu cá nhân xuyên biên giới, phiên bản {version} "
            f"(đánh giá ngày {a.as_of.isoformat()})"
        ],
    }
    html = environment(pdf=True).get_template("notice_03a.html.j2").render(n=n)
    return render_pdf(
        html, as_of=a.as_of, attachments=[(ASSESSMENT_NAME, a.to_json().encode(), "The assessment")]
    )
