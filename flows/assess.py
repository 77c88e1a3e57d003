"""Prefect flow ``assess_transfer``: validate, collect safeguards, assess, render, save.

Each task is one call into ``dtia``; the flow only wires them and publishes artifacts. The
intake comes as a path to a file on the worker's machine (the usual case) or as its YAML or
JSON text, pasted in the Prefect UI's run form or sent by a caller holding the intake model
(``intake_text(model)``). Runs are named after the transfer and tagged with its id.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_link_artifact, create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.states import Failed

from dtia.assessment import Assessment
from dtia.config import Settings
from dtia.dossier.build import Dossier, build, read_files
from dtia.engine import assess
from dtia.errors import DtiaError, IntakeError, Problem
from dtia.intake import LoadedIntake, TransferIntake, load_intake, parse_intake
from dtia.portal.urls import configured_portal_url, dossier_download, transfer_page
from dtia.register import Register, Saved
from dtia.yaml_limits import MAX_BYTES
from flows.parameters import parameter
from flows.runs import add_tags, transfer_tag
from flows.safeguards import ANSWER_TIMEOUT_SECONDS, SafeguardsTimeout, collect_safeguards

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def today_in_vietnam() -> date:
    return datetime.now(VIETNAM).date()


def intake_text(intake: TransferIntake) -> str:
    """An intake model as the flow's ``intake_text`` parameter takes it (JSON)."""
    return intake.model_dump_json(by_alias=True, exclude_none=True)


def _load(intake_path: str | None, text: str | None, base_dir: str | None) -> LoadedIntake:
    if (intake_path is None) == (text is None):
        raise IntakeError(
            "the run's parameters",
            [
                Problem(
                    "intake_path" if intake_path is not None else "intake_text",
                    "give exactly one of intake_path (the intake's file) or intake_text (the "
                    "intake itself, as YAML or JSON)",
                )
            ],
        )
    if intake_path is not None:
        return load_intake(Path(intake_path))
    assert text is not None
    return parse_intake(text, "intake_text", Path(base_dir).resolve() if base_dir else None)


@task(cache_policy=NO_CACHE)
def load_intake_task(
    intake_path: str | None, intake_text: str | None, base_dir: str | None
) -> LoadedIntake:
    return _load(intake_path, intake_text, base_dir)


def _when(value: object) -> str:
    return str(value) if value else today_in_vietnam().isoformat()


def assess_run_name() -> str:
    """'assess TRANSFER_ID as of DATE', from the run's parameters. The intake is only read
    here (validated, its files unread); one that does not load is named by its file, and the
    run then fails on it with every problem listed."""
    from prefect.runtime import flow_run

    params = flow_run.parameters
    path, text = params.get("intake_path"), params.get("intake_text")
    try:
        if path is not None and text is None:
            with Path(path).open("rb") as handle:  # the file alone; the run reads the rest
                text = handle.read(MAX_BYTES + 1).decode("utf-8")
        name = parse_intake(str(text), "intake").intake.transfer.id
    except (DtiaError, OSError, ValueError):  # UnicodeDecodeError included
        name = Path(path).name if path else "intake"
    return f"assess {name} as of {_when(params.get('as_of'))}"


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
        required = assessment.applicability.dossier_required
        _dossier_artifact(key, saved, digest, Register().settings, required=required)


def _dossier_artifact(
    key: str, saved: Saved, digest: str, settings: Settings, *, required: bool
) -> None:
    """A link to the dossier's download on the portal; without DTIA_PORTAL_URL, where the
    dossier is, in words (a path on the worker's disk is no link a browser follows)."""
    kind = "review pack" if required else "exemption memo"
    what = f"{saved.transfer_id} v{saved.version} {kind} ({digest[:12]})"
    portal = configured_portal_url(settings)
    if portal is not None:
        create_link_artifact(
            key=f"dossier-{key}",
            link=dossier_download(portal, saved.transfer_id),
            link_text=what,
            description=(
                f"The stored {kind} PDF, from the portal (sign in first); the transfer's page: "
                f"{transfer_page(portal, saved.transfer_id)}"
            ),
        )
    else:
        create_markdown_artifact(
            key=f"dossier-{key}",
            markdown=(
                f"The {kind} of **{saved.transfer_id}** version {saved.version} is stored in "
                f"the register (SHA-256 `{digest}`). No download link: DTIA_PORTAL_URL is not "
                "set where this run ran. With it set to the portal's address, this artifact "
                "links the PDF on the portal.\n"
            ),
            description=f"The stored {kind} PDF",
        )


@flow(name="assess-transfer", flow_run_name=assess_run_name, log_prints=False)
def assess_transfer(
    intake_path: str | None = parameter(
        None,
        "Intake file",
        "Path of the intake (YAML or JSON, format dtia.intake/v1) on the worker's machine, "
        "for example /srv/dtia/intakes/fpt-japan/intake.yaml. The files it names (policies, "
        "contracts, evidence) are read from its folder. Leave empty when giving Intake text.",
    ),
    intake_text: str | None = parameter(
        None,
        "Intake text (YAML or JSON)",
        "The intake itself, pasted whole as YAML or JSON (format dtia.intake/v1: `dtia schema "
        "intake` prints its JSON Schema, `examples/` holds complete ones). Its files are read "
        "from the Folder of the intake's files. Leave empty when giving an Intake file.",
    ),
    as_of: date | None = parameter(
        None,
        "Assess as of",
        "The date the law, deadlines and evidence are assessed at (default: today in Vietnam).",
    ),
    save: bool = parameter(
        True,
        "Store in the register",
        "Store the assessment and its dossier PDF in the register. Only a stored run asks "
        "recipients for missing safeguards; without it the assessment notes them as pending.",
    ),
    answer_timeout_seconds: int = parameter(
        ANSWER_TIMEOUT_SECONDS,
        "Wait for recipients' answers (seconds)",
        "How long the run waits for recipients to answer the safeguards questionnaire "
        f"(default {ANSWER_TIMEOUT_SECONDS} = {ANSWER_TIMEOUT_SECONDS // 86400} days). The "
        "recipient's questionnaire link is valid exactly as long. A run of a deployment waits "
        "suspended, holding no worker; a run past its wait fails and stores nothing.",
    ),
    base_dir: str | None = parameter(
        None,
        "Folder of the intake's files",
        "With Intake text: the folder on the worker's machine holding the files the intake "
        "names. Ignored with an Intake file (its own folder is used).",
    ),
) -> dict[str, Any]:
    """Assess one transfer, collect the safeguards it waits for, render and store its dossier.

    Returns the ``dtia.assessment/v1`` object. A recipient whose safeguards the assessment
    waits for is asked, and the run waits; nothing waits when nothing is pending (an exempt
    transfer, or safeguards all given or on file).
    """
    when = as_of or today_in_vietnam()
    loaded = load_intake_task(intake_path, intake_text, base_dir)
    add_tags("dtia", transfer_tag(loaded.intake.transfer.id))
    folder = str(Path(intake_path).resolve().parent) if intake_path else base_dir
    base = Path(folder) if folder else None
    register = Register() if save else None
    if register is not None:
        # answers already on file are used first; only what the assessment still waits for
        # is asked
        loaded = register.with_attestations(loaded, base, when)
    assessment = assess_task(loaded, when)
    waiting_for = [
        p.recipient
        for p in assessment.pending
        if p.kind == "recipient_safeguards" and p.recipient is not None
    ]
    if register is not None and waiting_for:
        try:
            loaded = collect_safeguards(
                loaded,
                recipients=waiting_for,
                as_of=when,
                register=register,
                timeout_seconds=answer_timeout_seconds,
                base_dir=base,
            )
        except SafeguardsTimeout as exc:
            get_run_logger().error("%s", exc)
            # The run's final state, worded by dtia; called directly, the flow raises ``exc``.
            return cast("dict[str, Any]", Failed(message=str(exc), data=exc))
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
