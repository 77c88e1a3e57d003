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
from dataclasses import dataclass
from importlib import resources
from pathlib import Path, PurePosixPath

from dtia.assessment import Assessment
from dtia.dossier.render import render_html, render_memo_html, render_pdf
from dtia.dossier.view import build_view
from dtia.errors import DtiaError
from dtia.intake import FileFact, LoadedIntake, TransferIntake, file_root, input_digest
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
    loaded: LoadedIntake, a: Assessment, file_bytes: dict[str, bytes]
) -> dict[str, object]:
    return {
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


def build(loaded: LoadedIntake, a: Assessment, file_bytes: dict[str, bytes]) -> Dossier:
    """The dossier (or, when none is required, the exemption memo) as PDF bytes."""
    rules = load_rules(a.as_of)
    view = build_view(loaded, a, rules)
    required = a.applicability.dossier_required
    html = render_html(view) if required else render_memo_html(view, a)
    man = manifest(loaded, a, file_bytes)
    parts: list[tuple[str, bytes, str]] = [
        (INTAKE_NAME, _intake_json(loaded.intake), "The validated intake (dtia.intake/v1)"),
        (ASSESSMENT_NAME, a.to_json().encode(), "The assessment (dtia.assessment/v1)"),
        (
            MANIFEST_NAME,
            (json.dumps(man, indent=2, sort_keys=True) + "\n").encode(),
            "SHA-256 of the intake, rules, templates, fonts and attachments",
        ),
    ]
    parts += [
        (name, data, f"Attachment named by the intake: {name}")
        for name, data in sorted(file_bytes.items())
    ]
    pdf = render_pdf(html, as_of=a.as_of, attachments=parts)
    kind = "dossier" if required else "exemption-memo"
    return Dossier(kind, f"{kind}.pdf", pdf, a, man)


def build_for_register(loaded: LoadedIntake, a: Assessment) -> tuple[str, bytes]:
    """A re-rendered dossier for the register: kind and PDF. The register holds the facts
    read from attachments, not their bytes, so it embeds intake, assessment and manifest;
    the attachments stay with the source. Top-level, so worker processes can run it."""
    made = build(loaded, a, {})
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
    again = build(loaded, a, attachments)
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
    )


def read_files(loaded: LoadedIntake, base: Path, data_dir: Path | None = None) -> dict[str, bytes]:
    """The bytes of every file the intake names, read from its folder (and uploaded
    evidence from the data folder). Each must still be the file that was checked and hashed
    when the intake was loaded (a run may wait a day for a recipient): one swapped since,
    for anything from an unchecked file to a program, is refused rather than embedded."""
    files: dict[str, bytes] = {}
    for name in sorted(loaded.files):
        data = (file_root(name, base, data_dir) / name).read_bytes()
        if _sha(data) != loaded.files[name].sha256:
            raise DossierError(
                f"{name!r} changed after the intake was checked; assess the transfer again"
            )
        files[name] = data
    return files


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
        old = set(previous.transfer.purposes)
        changes += [
            f"Mục đích / purpose: {p}" for p in loaded.intake.transfer.purposes if p not in old
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
    html = environment().get_template("notice_03a.html.j2").render(n=n)
    return render_pdf(
        html, as_of=a.as_of, attachments=[(ASSESSMENT_NAME, a.to_json().encode(), "The assessment")]
    )
