"""Building and verifying dossiers: what goes into the PDF and how to check it later.

A dossier embeds everything needed to render it again: the intake (as validated JSON),
the assessment, every file the intake names, and a manifest of SHA-256 hashes (intake,
rules data, templates, fonts, attachments). ``verify`` re-renders from those embedded
parts alone and compares bytes, so any change anywhere in the file is detected.
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
from dtia.dossier.render import render_html, render_memo_html, render_pdf
from dtia.dossier.view import build_view
from dtia.errors import DtiaError
from dtia.intake import UPLOADED, FileFact, LoadedIntake, TransferIntake, input_digest
from dtia.law import load_rules

INTAKE_NAME = "intake.json"
ASSESSMENT_NAME = "assessment.json"
MANIFEST_NAME = "manifest.json"
FONT_FAMILIES = ("Noto Serif", "Noto Sans CJK JP", "Noto Serif CJK JP", "DejaVu Sans")


class DossierError(DtiaError):
    """A dossier cannot be built or does not verify."""


@dataclass(frozen=True)
class Dossier:
    kind: str  # "dossier" or "exemption-memo"
    filename: str
    pdf: bytes
    assessment: Assessment
    manifest: dict[str, object]


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


def build(
    loaded: LoadedIntake,
    a: Assessment,
    file_bytes: Mapping[str, bytes],
    *,
    audit_head: str | None = None,
    memo_signers: MemoSigners | None = None,
) -> Dossier:
    """The dossier (or, when none is required, the exemption memo) as PDF bytes, embedding
    ``file_bytes``: the bytes of every file the intake names (``read_files``). Every dossier,
    whoever renders it, is built here, so every one verifies; its manifest records
    ``audit_head`` when given, and the memo's ``memo_signers``."""
    _check_files(loaded, file_bytes)
    rules = load_rules(a.as_of)
    required = a.applicability.dossier_required
    html = (
        render_html(build_view(loaded, a, rules))
        if required
        else render_memo_html(build_memo(loaded, a, rules, signers=memo_signers))
    )
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
    pdf = render_pdf(html, as_of=a.as_of, attachments=parts)
    kind = "dossier" if required else "exemption-memo"
    return Dossier(kind, f"{kind}.pdf", pdf, a, man)


def build_for_register(
    loaded: LoadedIntake, a: Assessment, file_bytes: Mapping[str, bytes]
) -> tuple[str, bytes]:
    """``build``, as kind and PDF: what re-assessment stores. Top-level, so worker processes
    can run it."""
    made = build(loaded, a, file_bytes)
    return made.kind, made.pdf


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


def verify(pdf: bytes) -> Verification:
    """Re-render from the embedded parts and compare bytes with ``pdf``."""
    files = embedded_files(pdf)
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
    head = recorded if isinstance(recorded, str) else None
    again = build(loaded, a, attachments, audit_head=head, memo_signers=memo_signers)
    if again.pdf != pdf:
        differing = next(
            (i for i, (x, y) in enumerate(zip(again.pdf, pdf, strict=False)) if x != y),
            min(len(pdf), len(again.pdf)),
        )
        return Verification(
            False,
            f"the file differs from the dossier its contents produce "
            f"(first difference at byte {differing}): it was modified, or "
            "rendered with other templates or fonts",
            a.transfer_id,
        )
    return Verification(
        True,
        f"verified: {a.transfer_id} as of {a.as_of.isoformat()}, rules {a.rules_version}",
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
