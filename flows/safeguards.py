"""Collecting a recipient's safeguards inside a flow run, pausing until the recipient answers.

A recipient that the intake leaves without safeguards is looked up in the register (an
unexpired attestation is reused). Otherwise a questionnaire is recorded and the run pauses
with ``wait_for_input`` typed by the safeguards model; an answer given in the Prefect UI,
the portal or ``dtia safeguards submit`` resumes it. Nothing is stored before every
answer is in, so a run that times out leaves no half-written assessment.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from uuid import UUID

from prefect import get_run_logger
from prefect.artifacts import create_markdown_artifact
from prefect.client.orchestration import get_client
from prefect.context import get_run_context
from prefect.exceptions import FlowPauseTimeout
from prefect.flow_runs import pause_flow_run, resume_flow_run
from prefect.settings import PREFECT_API_URL, temporary_settings

from dtia.errors import DtiaError
from dtia.intake import LoadedIntake, Safeguards, with_safeguards
from dtia.law import load_rules
from dtia.notify.service import Notifier, safely
from dtia.portal.links import LINK_DAYS
from dtia.questionnaire import context
from dtia.register import Register


class ResumeError(DtiaError):
    """The run waiting for an answer cannot be reached (the answer itself is stored)."""


class SafeguardsTimeout(DtiaError):
    """A recipient did not answer the questionnaire in time."""


def _api_url() -> str | None:
    """The API this run talks to, also in ephemeral mode (a local server on a random port)."""
    value = PREFECT_API_URL.value()
    if value:
        return str(value)
    with get_client(sync_client=True) as client:
        return str(client.api_url).rstrip("/") or None


def collect_safeguards(
    loaded: LoadedIntake,
    *,
    as_of: date,
    register: Register,
    timeout_seconds: int,
    base_dir: Path | None,
) -> LoadedIntake:
    """Fill in every missing recipient safeguards, pausing the run for those not on file."""
    logger = get_run_logger()
    missing = {r.id for r in loaded.intake.recipients if r.safeguards is None}
    loaded = register.with_attestations(loaded, base_dir, as_of)
    intake = loaded.intake
    answers: dict[str, Safeguards] = {}
    for r in intake.recipients:
        if r.id not in missing:
            continue
        if r.safeguards is not None:
            logger.info(
                "Reusing the stored safeguards of %s (attested %s)", r.id, r.safeguards.attested_on
            )
            continue
        run = get_run_context()
        flow_run_id = str(getattr(getattr(run, "flow_run", None), "id", "")) or None
        questionnaire_id = register.open_questionnaire(
            transfer_id=intake.transfer.id,
            recipient_id=r.id,
            name=r.name,
            country=r.country,
            flow_run_id=flow_run_id,
            api_url=_api_url(),
            context=context(intake, r.id, load_rules(as_of)),
        )
        # The recipient's link is a secret that answers for the recipient: it is issued on
        # the portal, behind legal's sign-in, and never stored here, where anyone who can read
        # the Prefect API would find it. The artifact points legal to that page.
        issue_at = f"{register.settings.portal_url.rstrip('/')}/questionnaires/{questionnaire_id}"
        create_markdown_artifact(
            key=f"questionnaire-{r.id}",
            markdown=(
                f"### Safeguards questionnaire for {r.name} ({r.country})\n\n"
                f"Legal issues the recipient's link on the portal, after signing in: "
                f"[{issue_at}]({issue_at}) (the link works once, for {LINK_DAYS} days).\n\n"
                f"Or send the file from `dtia safeguards template {r.id}` and enter the "
                f"answer with `dtia safeguards submit {intake.transfer.id} {r.id} FILE`."
            ),
            description=f"Where legal issues the questionnaire link for {r.id}",
        )
        now = datetime.now(UTC)
        notice = partial(
            Notifier(register, log=logger).run_waiting,
            questionnaire_id=questionnaire_id,
            transfer_id=intake.transfer.id,
            title=str(intake.transfer.title),
            recipient_id=r.id,
            recipient=r.name,
            country=r.country,
            page_url=issue_at,
            waits_until=now + timedelta(seconds=timeout_seconds),
            now=now,
        )
        safely(logger, "waiting", notice)  # legal hears where to issue the link
        logger.info(
            "Waiting for %s to answer the safeguards questionnaire (legal issues its link on "
            "the portal at %s, or dtia safeguards submit %s %s FILE)",
            r.id,
            issue_at,
            intake.transfer.id,
            r.id,
        )
        try:
            answer = pause_flow_run(
                wait_for_input=Safeguards,
                timeout=timeout_seconds,
                poll_interval=2,
                key=f"safeguards-{r.id}",
            )
        except FlowPauseTimeout:
            answer = None
        if answer is None:
            register.close_questionnaire(
                transfer_id=intake.transfer.id, recipient_id=r.id, status="expired"
            )
            raise SafeguardsTimeout(
                f"{r.name} did not answer the safeguards questionnaire within {timeout_seconds} seconds; "
                "nothing was stored"
            )
        answer = Safeguards.model_validate(answer.model_dump())
        # An answer given through `dtia safeguards submit` is already on file; one given in the
        # Prefect UI is stored here.
        register.answer_questionnaire(
            transfer_id=intake.transfer.id,
            recipient_id=r.id,
            safeguards=answer,
            actor="prefect",
            only_if_waiting=True,
        )
        answers[r.id] = answer
    if not answers:
        return loaded
    # uploaded evidence counts only as the register holds it in this recipient's answers,
    # whatever the resumed run's input says
    return register.load_answered(with_safeguards(intake, answers), base_dir, loaded.source)


def resume_waiting_run(flow_run_id: str, api_url: str | None, safeguards: Safeguards) -> None:
    """Hand an answer to the run waiting for it, on the Prefect API it runs against."""
    settings = {PREFECT_API_URL: api_url} if api_url else {}
    try:
        with temporary_settings(settings):
            resume_flow_run(UUID(flow_run_id), run_input=safeguards.model_dump(mode="json"))
    except Exception as exc:  # the API may be gone (a finished ephemeral server) or refuse
        raise ResumeError(
            f"the answer is stored, but the run {flow_run_id} could not be resumed "
            f"({type(exc).__name__}: {exc}); the next assessment run will use it"
        ) from None
