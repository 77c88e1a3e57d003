"""The Prefect flow runs the same service as the CLI (one Prefect API for the session)."""

from __future__ import annotations

from datetime import date

import pytest

from dtia.engine import assess
from dtia.intake import load_intake
from tests.support import EXAMPLES

FPT = EXAMPLES / "fpt-smart-cloud-to-fpt-japan"


@pytest.mark.prefect
def test_assess_transfer_on_a_path_and_on_a_form() -> None:
    from flows.assess import assess_transfer

    expected = assess(load_intake(FPT / "intake.yaml"), date(2026, 11, 22)).to_dict()
    by_path = assess_transfer(intake_path=str(FPT / "intake.yaml"), as_of=date(2026, 11, 22))
    assert by_path == expected

    intake = load_intake(FPT / "intake.yaml").intake
    by_form = assess_transfer(intake=intake, as_of=date(2026, 11, 22), base_dir=str(FPT))
    assert by_form == expected


def test_tasks_run_without_a_server() -> None:
    from flows.assess import assess_task, load_intake_task, summary_markdown

    loaded = load_intake_task.fn(str(FPT / "intake.yaml"), None, None)
    a = assess_task.fn(loaded, date(2026, 11, 22))
    text = summary_markdown(a)
    assert (
        "Dossier required" in text
        and "| initial_filing | 2026-05-01 | 2026-05-04 | overdue |" in text
    )
    with pytest.raises(ValueError, match="exactly one"):
        load_intake_task.fn(None, None, None)
