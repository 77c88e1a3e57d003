"""Prefect flow ``assess_transfer``: the assessment service as an orchestrated run.

Each task is one call into ``dtia``; the flow only wires them. The intake comes either
as a path to a file (the usual case) or as a model, which the Prefect UI renders as a
form.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from dtia.assessment import Assessment
from dtia.engine import assess
from dtia.intake import LoadedIntake, TransferIntake, load_intake, load_intake_model

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


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
def summary_artifact_task(assessment: Assessment) -> None:
    create_markdown_artifact(
        key=f"assessment-{assessment.transfer_id}",
        markdown=summary_markdown(assessment),
        description=f"dtia assessment of {assessment.transfer_id} as of {assessment.as_of}",
    )


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


@flow(name="assess-transfer", log_prints=False)
def assess_transfer(
    intake_path: str | None = None,
    intake: TransferIntake | None = None,
    as_of: date | None = None,
    base_dir: str | None = None,
) -> dict[str, Any]:
    """Assess one transfer and return the ``dtia.assessment/v1`` object.

    Give ``intake_path`` (a YAML/JSON file) or ``intake`` (the form); ``as_of`` defaults to
    today in Vietnam; ``base_dir`` is where a form's attachments live, if anywhere.
    """
    when = as_of or datetime.now(VIETNAM).date()
    loaded = load_intake_task(intake_path, intake, base_dir)
    assessment = assess_task(loaded, when)
    summary_artifact_task(assessment)
    get_run_logger().info(
        "%s: dossier %s, residual risk %s",
        assessment.transfer_id,
        "required" if assessment.applicability.dossier_required else "not required",
        assessment.risk.residual.level,
    )
    return assessment.to_dict()
