"""Collecting recipients' safeguards inside a flow run, waiting until each recipient answers.

The flow asks only the recipients its assessment waits for (``Assessment.pending``): a
transfer that needs no dossier, or whose recipients' safeguards are all given or on file,
never waits. For each one a questionnaire is recorded with what the recipient is shown and
when the run stops waiting (``answer_by``: now plus the run's timeout, the one source of both
the run's wait and the recipient's link, which expires with it).

A run of a deployment is **suspended**: its process exits and its worker is free for other
runs; an answer resumes it through the deployment (a worker starts it again, and this step
finds its questionnaires and the answers). A run started in a process of its own (``dtia run
assess``) has no deployment to come back through and pauses in place instead. The answer
comes from the Prefect UI (a form titled with the transfer and recipient, each question
explained), the portal's questionnaire link or ``dtia safeguards submit``. Nothing is stored
before every answer is in, so a run that times out leaves no half-written assessment; it
fails with dtia's reason (``SafeguardsTimeout``), a suspended one through
``expire_waiting_runs``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from uuid import UUID

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact
from prefect.client.orchestration import get_client
from prefect.exceptions import FlowPauseTimeout
from prefect.flow_runs import pause_flow_run, resume_flow_run, suspend_flow_run
from prefect.input import RunInput
from prefect.settings import PREFECT_API_URL, temporary_settings
from pydantic import ConfigDict

from dtia.errors import DtiaError
from dtia.i18n import VIETNAM
from dtia.intake import ANSWER_LANGUAGE, LoadedIntake, Recipient, Safeguards, with_safeguards
from dtia.law import load_rules
from dtia.notify.service import Notifier, safely
from dtia.portal.links import ANSWER_BY, LINK_DAYS, Links, answer_by
from dtia.portal.urls import configured_portal_url, questionnaire_page
from dtia.questionnaire import QUESTIONS, context
from dtia.register import Register
from flows.parameters import parameter
from flows.runs import current_run, fail_waiting_run, stop_waiting

# How long a run waits for its recipients by default: as long as a link legal issues for a
# questionnaire no run waits for. A suspended run holds no worker, so waiting long costs nothing.
ANSWER_TIMEOUT_SECONDS = LINK_DAYS * 24 * 3600


class ResumeError(DtiaError):
    """The run waiting for an answer cannot be reached (the answer itself is stored)."""


class SafeguardsTimeout(DtiaError):
    """A recipient did not answer the questionnaire in time."""


def _explain(schema: dict[str, Any]) -> None:
    """Each question of the form with the explanation the questionnaire gives it."""
    for key, question, _example in QUESTIONS:
        if key in schema.get("properties", {}):
            schema["properties"][key]["description"] = question
    if "evidence" in schema.get("properties", {}):
        schema["properties"]["evidence"]["description"] = (
            "Documents backing the answer, as {title, expires_on}; files are uploaded on the "
            "portal's questionnaire page"
        )


class SafeguardsAnswer(RunInput, Safeguards):
    """The form a waiting run is resumed with: the recipient's safeguards (Form 09 §A.III.3)."""

    model_config = ConfigDict(json_schema_extra=_explain)


def answer_form(transfer_id: str, shown: dict[str, Any], until: datetime) -> type[SafeguardsAnswer]:
    """The resume form of one recipient: titled with the transfer and the recipient, and
    described with what the recipient is asked about and until when the run waits."""
    recipient = shown["recipient"]
    title = (
        f"Safeguards of {recipient['name']} ({recipient['country']}) for "
        f"{shown['transfer_title']} ({transfer_id})"
    )

    class Form(SafeguardsAnswer):
        model_config = ConfigDict(title=title)

    lines = [
        f"### {title}",
        "",
        f"**{recipient['name']}** ({recipient['country']}, recipient `{recipient['id']}`) is "
        f"asked by {shown['asked_by']} to describe how it protects the personal data of the "
        f"transfer **{shown['transfer_title']}** (`{transfer_id}`): Decree 356/2025 "
        "Art 18(3)(i), Form 09 §A.III.3.",
        "",
        f"- Service: {shown['service']}",
        f"- Purposes: {'; '.join(shown['purposes'])}",
        f"- Data: {'; '.join(shown['data'])}",
        f"- The run waits until {_vietnam_time(until)}; the recipient's questionnaire link "
        "is valid exactly as long.",
        "",
        "Enter the answer the recipient gave (who answers and the date are required; leave a "
        "question empty when it was not answered). It is kept for reuse by later transfers to "
        "the same recipient. The questions:",
        "",
        *(f"- `{key}`: {question}" for key, question, _example in QUESTIONS),
    ]
    return Form.with_initial_data(description="\n".join(lines))


def _vietnam_time(moment: datetime) -> str:
    return f"{moment.astimezone(VIETNAM):%Y-%m-%d %H:%M} (Asia/Ho_Chi_Minh)"


def timeout_reason(name: str, country: str, until: datetime) -> str:
    return (
        f"{name} ({country}) did not answer the safeguards questionnaire by "
        f"{_vietnam_time(until)}: the run stopped waiting and stored nothing; start a new "
        "assessment run to ask again"
    )


def _api_url() -> str | None:
    """The API this run talks to, also in ephemeral mode (a local server on a random port)."""
    value = PREFECT_API_URL.value()
    if value:
        return str(value)
    with get_client(sync_client=True) as client:
        return str(client.api_url).rstrip("/") or None


@dataclass(frozen=True)
class Asked:
    questionnaire_id: int
    recipient: Recipient
    shown: dict[str, Any]
    until: datetime


def _ask(
    loaded: LoadedIntake,
    recipient: Recipient,
    *,
    as_of: date,
    register: Register,
    flow_run_id: str | None,
    timeout_seconds: int,
) -> Asked:
    """The questionnaire this run waits on for ``recipient``: the one it opened before it was
    suspended, or a new one (announced to legal, with an artifact pointing to where the link
    is issued)."""
    logger = get_run_logger()
    intake = loaded.intake
    if flow_run_id is not None:
        for row in Links(register).waiting():
            until = answer_by(row)
            if (
                row.flow_run_id == flow_run_id
                and row.transfer_id == intake.transfer.id
                and row.recipient_id == recipient.id
                and until is not None
            ):
                assert row.id is not None
                shown = context(intake, recipient.id, load_rules(as_of))
                return Asked(row.id, recipient, shown, until)
    now = datetime.now(UTC)
    until = now + timedelta(seconds=timeout_seconds)
    shown = context(intake, recipient.id, load_rules(as_of))
    questionnaire_id = register.open_questionnaire(
        transfer_id=intake.transfer.id,
        recipient_id=recipient.id,
        name=recipient.name,
        country=recipient.country,
        flow_run_id=flow_run_id,
        api_url=_api_url(),
        context={**shown, ANSWER_BY: until.isoformat()},
    )
    # The recipient's link is a secret that answers for the recipient: it is issued on the
    # portal, behind legal's sign-in, and never stored here, where anyone who can read the
    # Prefect API would find it. The artifact points legal to that page.
    portal = configured_portal_url(register.settings)
    if portal is not None:
        page = questionnaire_page(portal, questionnaire_id)
        where = f"on the portal, after signing in: [{page}]({page})"
    else:
        page = questionnaire_page(register.settings.portal_url, questionnaire_id)
        where = (
            f"on the portal's page `/questionnaires/{questionnaire_id}` (DTIA_PORTAL_URL is not "
            "set where this run ran, so the page's full address is not known here)"
        )
    create_markdown_artifact(
        key=f"questionnaire-{recipient.id}",
        markdown=(
            f"### Safeguards questionnaire for {recipient.name} ({recipient.country})\n\n"
            f"Legal issues the recipient's link {where}. The link works once, until "
            f"{_vietnam_time(until)}, when this run stops waiting.\n\n"
            f"Or send the file from `dtia safeguards template {recipient.id}` and enter the "
            f"answer with `dtia safeguards submit {intake.transfer.id} {recipient.id} FILE`."
        ),
        description=f"Where legal issues the questionnaire link for {recipient.id}",
    )
    notice = partial(
        Notifier(register, log=logger).run_waiting,
        questionnaire_id=questionnaire_id,
        transfer_id=intake.transfer.id,
        title=str(intake.transfer.title),
        recipient_id=recipient.id,
        recipient=recipient.name,
        country=recipient.country,
        page_url=page,
        waits_until=until,
        now=now,
    )
    safely(logger, "waiting", notice)  # legal hears where to issue the link
    return Asked(questionnaire_id, recipient, shown, until)


def collect_safeguards(
    loaded: LoadedIntake,
    *,
    recipients: list[str],
    as_of: date,
    register: Register,
    timeout_seconds: int,
    base_dir: Path | None,
) -> LoadedIntake:
    """Ask each of ``recipients`` (the ones the assessment waits for) and wait for every
    answer: suspended when the run belongs to a deployment, paused otherwise."""
    if not recipients:
        return loaded
    logger = get_run_logger()
    run = current_run()
    flow_run_id = str(run.id) if run is not None else None
    suspend = run is not None and run.deployment_id is not None
    intake = loaded.intake
    # every questionnaire is opened first, so legal can issue all the links at once
    asked = [
        _ask(
            loaded,
            r,
            as_of=as_of,
            register=register,
            flow_run_id=flow_run_id,
            timeout_seconds=timeout_seconds,
        )
        for r in intake.recipients
        if r.id in recipients
    ]
    answers: dict[str, Safeguards] = {}
    for a in asked:
        r = a.recipient
        form = answer_form(intake.transfer.id, a.shown, a.until)
        # the time left, so the run waits until exactly the moment the link expires
        left = max(1, math.ceil((a.until - datetime.now(UTC)).total_seconds()))
        logger.info(
            "Waiting for %s to answer the safeguards questionnaire until %s (%s); legal issues "
            "its link on the portal, or: dtia safeguards submit %s %s FILE",
            r.id,
            _vietnam_time(a.until),
            "suspended: the worker is free meanwhile" if suspend else "paused",
            intake.transfer.id,
            r.id,
        )
        key = f"safeguards-{r.id}"
        try:
            if suspend:  # the process exits here and starts again when the run is resumed
                answer = suspend_flow_run(wait_for_input=form, timeout=left, key=key)
            else:
                answer = pause_flow_run(wait_for_input=form, timeout=left, poll_interval=2, key=key)
        except FlowPauseTimeout:
            reason = timeout_reason(r.name, r.country, a.until)
            for b in asked:
                register.close_questionnaire(
                    transfer_id=intake.transfer.id,
                    recipient_id=b.recipient.id,
                    status="expired",
                    flow_run_id=flow_run_id,
                )
            if run is not None:
                stop_waiting(run.id, "stopped waiting for safeguards")
            raise SafeguardsTimeout(reason) from None
        # read as the recipient wrote it: English, not Vietnamese (dtia.intake.ANSWER_LANGUAGE)
        safeguards = Safeguards.model_validate(
            answer.model_dump(), context={"language": ANSWER_LANGUAGE}
        )
        # An answer given through the portal or `dtia safeguards submit` is already on file;
        # one given in the Prefect UI is stored here.
        register.answer_questionnaire(
            transfer_id=intake.transfer.id,
            recipient_id=r.id,
            safeguards=safeguards,
            actor="prefect",
            only_if_waiting=True,
        )
        answers[r.id] = safeguards
    # uploaded evidence counts only as the register holds it in this recipient's answers,
    # whatever the resumed run's input says
    return register.load_answered(with_safeguards(intake, answers), base_dir, loaded.source)


def resume_waiting_run(flow_run_id: str, api_url: str | None, safeguards: Safeguards) -> None:
    """Hand an answer to the run waiting for it, on the Prefect API it runs against. A run
    past its wait is failed with dtia's reason instead of being resumed."""
    settings = {PREFECT_API_URL: api_url} if api_url else {}
    try:
        with temporary_settings(settings):
            with get_client(sync_client=True) as client:
                state = client.read_flow_run(UUID(flow_run_id)).state
            until = state.state_details.pause_timeout if state is not None else None
            if state is not None and state.is_paused() and until and until <= datetime.now(UTC):
                fail_waiting_run(
                    flow_run_id,
                    api_url,
                    f"no answer reached the run before it stopped waiting at "
                    f"{_vietnam_time(until)}; it stored nothing",
                )
                raise ResumeError(
                    f"the answer is stored, but the run {flow_run_id} stopped waiting at "
                    f"{_vietnam_time(until)}; the next assessment run will use it"
                )
            resume_flow_run(UUID(flow_run_id), run_input=safeguards.model_dump(mode="json"))
    except ResumeError:
        raise
    except Exception as exc:  # the API may be gone (a finished ephemeral server) or refuse
        raise ResumeError(
            f"the answer is stored, but the run {flow_run_id} could not be resumed "
            f"({type(exc).__name__}: {exc}); the next assessment run will use it"
        ) from None


def expire_waits(register: Register, now: datetime) -> list[str]:
    """Fail every run still waiting past its questionnaires' ``answer_by`` with dtia's reason
    and close those questionnaires; returns the reasons. A suspended run has no process to
    notice its own timeout, and Prefect fails it (in its own words) only when someone tries
    to resume it: this is what ends it on time."""
    reasons: list[str] = []
    for row in Links(register).waiting():
        until = answer_by(row)
        if until is None or until > now or row.flow_run_id is None:
            continue
        reason = timeout_reason(row.recipient_name, row.recipient_country, until)
        try:
            fail_waiting_run(row.flow_run_id, row.api_url, reason)
        except Exception as exc:  # a run on an API that is gone: its questionnaire still ends
            reason += f" (the run could not be reached: {type(exc).__name__})"
        register.close_questionnaire(
            transfer_id=row.transfer_id,
            recipient_id=row.recipient_id,
            status="expired",
            flow_run_id=row.flow_run_id,
        )
        reasons.append(f"{row.transfer_id}: {reason}")
    return reasons


def _expire_run_name() -> str:
    return f"expire waits at {datetime.now(VIETNAM):%Y-%m-%d %H:%M}"


@flow(name="expire-waits", flow_run_name=_expire_run_name)
def expire_waiting_runs(
    now: datetime | None = parameter(
        None,
        "As at",
        "The moment to check the waits against (default: now; a time without a zone is read "
        "in Asia/Ho_Chi_Minh). Runs waiting past it fail with the reason, and their "
        "questionnaire links stop working.",
    ),
) -> list[str]:
    """Fail the assessment runs whose recipients did not answer in time, with dtia's reason,
    and close their questionnaires (hourly: a suspended run cannot notice its own timeout)."""
    moment = now or datetime.now(UTC)
    if moment.tzinfo is None:  # a time typed in the run form, read as the team's clock
        moment = moment.replace(tzinfo=VIETNAM)
    reasons = expire_waits(Register(), moment)
    for reason in reasons:
        get_run_logger().info("%s", reason)
    return reasons
