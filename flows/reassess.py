"""Prefect flows that keep the register current: ``reassess_portfolio`` and ``filing_clock``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.events import emit_event

from dtia.dossier.build import build_for_register, build_update_notice
from dtia.i18n import VIETNAM
from dtia.notify.service import Notifier, safely
from dtia.portfolio import Reassessor
from dtia.register import Register
from flows.assess import today_in_vietnam
from flows.parameters import parameter


def _as_of_name(what: str) -> Callable[[], str]:
    """A run name 'WHAT as of DATE', from the run's ``as_of`` (today in Vietnam by default)."""

    def name() -> str:
        from prefect.runtime import flow_run

        as_of = flow_run.parameters.get("as_of")
        return f"{what} as of {as_of or today_in_vietnam().isoformat()}"

    return name


AS_OF = "Assess as of"


@task(cache_policy=NO_CACHE)
def find_stale_task(as_of: date) -> list[tuple[str, list[str]]]:
    return Register().stale(as_of=as_of)


@task(cache_policy=NO_CACHE)
def reassess_chunk_task(
    chunk: list[tuple[str, list[str]]], reassessor: Reassessor
) -> list[dict[str, Any]]:
    """Prepare a chunk; versions whose dossiers are queued are stored by a later task."""
    return [r for transfer_id, reasons in chunk for r in reassessor.add(transfer_id, reasons)]


@task(cache_policy=NO_CACHE)
def store_queued_task(reassessor: Reassessor) -> list[dict[str, Any]]:
    """Render the dossiers still queued and store their versions."""
    return reassessor.flush()


@flow(name="reassess-portfolio", flow_run_name=_as_of_name("reassess portfolio"))
def reassess_portfolio(
    as_of: date | None = parameter(
        None,
        AS_OF,
        "The date the register is re-assessed at (default: today in Vietnam): evidence that "
        "expired or entered its warning window by then makes a transfer stale.",
    ),
    chunk_size: int = parameter(
        200,
        "Transfers per task",
        "How many stale transfers each task prepares (a task's run shows its chunk).",
    ),
    render: bool = parameter(
        True,
        "Render dossiers",
        "Render the changed transfers' dossiers and update notices (off: the new versions "
        "are stored without them, a quicker check).",
    ),
) -> list[dict[str, Any]]:
    """Re-assess every active transfer whose rules, intake, files or dates changed, in chunks;
    render the changed ones' dossiers in parallel processes; draft the updates the law
    requires. Unchanged transfers are only hashed and compared."""
    when = as_of or today_in_vietnam()
    stale = find_stale_task(when)
    results: list[dict[str, Any]] = []
    with Reassessor(
        Register(),
        as_of=when,
        render=build_for_register if render else None,
        notice_renderer=build_update_notice if render else None,
    ) as reassessor:
        for start in range(0, len(stale), chunk_size):
            results += reassess_chunk_task(stale[start : start + chunk_size], reassessor)
        results += store_queued_task(reassessor)
    results.sort(key=lambda r: str(r["transfer_id"]))
    changed = [r for r in results if r.get("created")]
    create_table_artifact(
        key="reassessment",
        table=[
            {
                "transfer": r["transfer_id"],
                "why": ", ".join(r["reasons"]),
                "version": r.get("version"),
                "update": ", ".join(r["update"]["kinds"]) if r.get("update") else "",
                "error": r.get("error", ""),
            }
            for r in results
        ],
        description=f"Re-assessment as of {when.isoformat()}: {len(changed)} new versions",
    )
    get_run_logger().info(
        "re-assessed %d stale transfers: %d new versions, %d update drafts",
        len(results),
        len(changed),
        sum(1 for r in results if r.get("update")),
    )
    return results


@flow(name="filing-clock", flow_run_name=_as_of_name("filing clock"))
def filing_clock(
    as_of: date | None = parameter(
        None,
        "Deadlines as of",
        "The date the deadlines are counted at (default: today in Vietnam; e-mail is then "
        "sent as at 07:00 of that day).",
    ),
) -> list[dict[str, Any]]:
    """Every open statutory deadline; an event for each one due soon or overdue; e-mail to
    legal about the deadlines whose announcement is due and reminders to recipients whose
    questionnaire link expires in 7, 3 or 1 days (when DTIA_SMTP_URL is set)."""
    when = as_of or today_in_vietnam()
    register = Register()
    rows = register.deadlines(as_of=when)
    for r in rows:
        if r["status"] in ("due_soon", "overdue"):
            emit_event(
                event=f"dtia.deadline.{r['status']}",
                resource={
                    "prefect.resource.id": f"dtia.transfer.{r['transfer_id']}.{r['kind']}",
                    "prefect.resource.name": f"{r['transfer_id']} {r['kind']}",
                },
                payload={
                    k: r[k]
                    for k in (
                        "transfer_id",
                        "kind",
                        "due",
                        "legal_end",
                        "status",
                        "owed_by",
                        "citations",
                    )
                },
            )
    logger = get_run_logger()
    # a given as_of is checked as at the hour of the daily schedule (07:00 in Vietnam)
    now = datetime.now(UTC) if as_of is None else datetime.combine(as_of, time(7), VIETNAM)
    mails = safely(
        logger,
        "filing clock",
        lambda: Notifier(register, log=logger).daily(rows, as_of=when, now=now),
    )
    if mails:  # what was sent and what failed stays with the run
        create_markdown_artifact(
            key="notifications",
            markdown="\n".join(f"- {m.line()}" for m in mails) + "\n",
            description=f"E-mail of the filing clock as of {when.isoformat()}",
        )
    create_table_artifact(
        key="deadlines",
        table=rows or [{"transfer_id": "—", "kind": "no open deadline"}],
        description=f"Open statutory deadlines as of {when.isoformat()}",
    )
    return rows
