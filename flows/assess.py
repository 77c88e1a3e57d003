"""Prefect flow ``assess_transfer``: validate, collect safeguards, assess, render, save.

Each task is one call into ``dtia``; the flow only wires them and publishes artifacts. The
intake comes as a path to a file (the usual case) or as a model, which the Prefect UI
renders as a form.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_link_artifact, create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from dtia.assessment import Assessment
from dtia.dossier.build import Dossier, build, read_files
from dtia.engine import assess
from dtia.intake import LoadedIntake, TransferIntake, load_intake, load_intake_model
from dtia.register import Register, Saved
from flows.safeguards import collect_safeguards

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
DEFAULT_ANSWER_TIMEOUT = 24 * 3600  # how long a run waits for a recipient's questionnaire


def today_in_vietnam() -> date:
    return datetime.now(VIETNAM).date()


@task(cache_policy=NO_CACHE)
def load_intake_task(
    intake_path: str | None, intake: TransferIntake | None, base_dir: str | None
) -> LoadedIntake:
    if (intake_path is None) == (intake is None):
        raise ValueError("give exactly one of intake_path or intake")
    if intake_path is not None:
        return load_intake(Path(intake_path))
    assert intake is not None
    return load_intake_model(intake, Path(base_dir) if base_dir else None)


@task(cache_policy=NO_CACHE)
def assess_task(loaded: LoadedIntake, as_of: date) -> Assessment:
    return assess(loaded, as_of)


@task(cache_policy=NO_CACHE)
def read_files_task(loaded: LoadedIntake, folder: str | None, register: bool) -> dict[str, bytes]:
    """The files the intake names, from its folder only; with the register, also the
    evidence its recipients uploaded (found by hash)."""
    stored = Register().stored_file if register else None
    return read_files(loaded, Path(folder) if folder else None, stored)


@task(cache_policy=NO_CACHE)
def render_task(
    loaded: LoadedIntake,
    assessment: Assessment,
    files: dict[str, bytes],
    audit_head: str | None = None,
) -> Dossier:
    return build(loaded, assessment, files, audit_head=audit_head)


@task(cache_policy=NO_CACHE)
def save_task(
    loaded: LoadedIntake,
    assessment: Assessment,
    dossier: Dossier,
    source_path: str | None,
    files: dict[str, bytes],
) -> tuple[Saved, str]:
    """The PDF and the intake's files are written first, then the version and its dossier
    in one transaction."""
    saved = Register().save(
        loaded,
        assessment,
        actor="prefect",
        source_path=source_path,
        files=files,
        dossier=[(p.kind, p.pdf) for p in dossier.packs],
    )
    assert saved.dossier is not None
    return saved, saved.dossier


def summary_markdown(a: Assessment) -> str:
    app = a.applicability
    if app.dossier_required:
        verdict = f"**Dossier required** (cover Form {app.cover_form})"
    elif app.exemption:
        verdict = (
            f"No dossier: exemption `{app.exemption.code}` ({'; '.join(app.exemption.citations)})"
        )
    else:
        verdict = "No dossier required"
    lines = [
        f"# {a.transfer_id} as of {a.as_of.isoformat()}",
        "",
        f"- {verdict}; limbs: {', '.join(app.limbs) or 'none'}",
        f"- Risk: inherent {a.risk.inherent.score} ({a.risk.inherent.level}), "
        f"residual {a.risk.residual.score} ({a.risk.residual.level})",
        f"- Findings: {len(a.findings)} ({len(a.findings_by_severity('blocker'))} blocker)",
        "",
        "| deadline | due | legal end | status |",
        "|---|---|---|---|",
        *(f"| {d.kind} | {d.due} | {d.legal_end} | {d.status} |" for d in a.deadlines),
    ]
    return "\n".join(lines) + "\n"


@task(cache_policy=NO_CACHE)
def artifacts_task(assessment: Assessment, stored: tuple[Saved, str] | None) -> None:
    key = assessment.transfer_id.lower()
    create_markdown_artifact(
        key=f"assessment-{key}",
        markdown=summary_markdown(assessment),
        description=f"dtia assessment of {assessment.transfer_id}",
    )
    create_table_artifact(
        key=f"findings-{key}",
        table=[
            {
                "severity": f.severity,
                "finding": f.id,
                "subject": f.subject,
                "message": f.message,
                "remedy": f.remedy,
                "citations": "; ".join(f.citations),
            }
            for f in assessment.findings
        ],
        description="Findings with the articles they rest on",
    )
    if stored is not None:
        saved, digest = stored
        path = Register().settings.dossier_dir / digest[:2] / f"{digest}.pdf"
        create_link_artifact(
            key=f"dossier-{key}",
            link=path.resolve().as_uri(),
            link_text=f"{saved.transfer_id} v{saved.version} ({digest[:12]})",
            description="The stored review pack (or exemption memo) PDF",
        )


@flow(name="assess-transfer", log_prints=False)
def assess_transfer(
    intake_path: str | None = None,
    intake: TransferIntake | None = None,
    as_of: date | None = None,
    base_dir: str | None = None,
    save: bool = True,
    answer_timeout_seconds: int = DEFAULT_ANSWER_TIMEOUT,
) -> dict[str, Any]:
    """Assess one transfer, collect missing safeguards, render and store its dossier.

    Give ``intake_path`` (a YAML/JSON file) or ``intake`` (the form); ``as_of`` defaults to
    today in Vietnam; ``base_dir`` is where a form's attachments live. With ``save`` the
    assessment and the PDF go into the register. Returns the ``dtia.assessment/v1`` object.
    """
    when = as_of or today_in_vietnam()
    loaded = load_intake_task(intake_path, intake, base_dir)
    folder = str(Path(intake_path).resolve().parent) if intake_path else base_dir
    register = Register() if save else None
    if register is not None:
        loaded = collect_safeguards(
            loaded,
            as_of=when,
            register=register,
            timeout_seconds=answer_timeout_seconds,
            base_dir=Path(folder) if folder else None,
        )
    assessment = assess_task(loaded, when)
    files = read_files_task(loaded, folder, register is not None)
    # a dossier for the register records where its audit chain stood (a head kept elsewhere)
    head = str(register.dossier_head(assessment)) if register is not None else None
    dossier = render_task(loaded, assessment, files, head)
    source = str(Path(intake_path).resolve()) if intake_path else None
    stored = save_task(loaded, assessment, dossier, source, files) if save else None
    artifacts_task(assessment, stored)
    get_run_logger().info(
        "%s: dossier %s, residual risk %s",
        assessment.transfer_id,
        ("required, " + ("ready to file" if dossier.ready else "not ready to file"))
        if assessment.applicability.dossier_required
        else "not required",
        assessment.risk.residual.level,
    )
    return assessment.to_dict()
