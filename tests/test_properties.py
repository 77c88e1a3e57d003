"""Invariants, checked on generated intakes (hypothesis)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import date
from typing import Any, get_args

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from dtia.assessment import Assessment
from dtia.engine import assess
from dtia.errors import IntakeError
from dtia.intake import (
    Activity,
    ClauseKey,
    ExemptionCode,
    SubjectKind,
    TransferIntake,
    future_problems,
    load_intake_model,
)
from tests.support import EXAMPLE_NAMES, EXAMPLES, example_data

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
Op = Callable[[dict[str, Any]], None]


def run(name: str, data: dict[str, Any], as_of: date = date(2026, 11, 22)) -> Assessment | None:
    try:
        intake = TransferIntake.model_validate(data)
        loaded = load_intake_model(intake, EXAMPLES / name)
    except (IntakeError, ValueError):
        return None
    if future_problems(intake, as_of):  # answers dated after as_of are refused when assessing
        return None
    return assess(loaded, as_of)


def _safeguards(r: dict[str, Any]) -> dict[str, Any]:
    return r.setdefault("safeguards", {"attested_by": "Security team", "attested_on": "2026-10-01"})


def _contract(r: dict[str, Any]) -> dict[str, Any]:
    return r.setdefault("contract", {"reference": "C-1", "signed_on": "2026-01-05", "clauses": []})


def _clause(key: str) -> Op:
    def op(d: dict[str, Any]) -> None:
        for r in d["recipients"]:
            clauses = _contract(r).setdefault("clauses", [])
            if key not in clauses:
                clauses.append(key)

    return op


def _sg(field: str, value: Any) -> Op:
    def op(d: dict[str, Any]) -> None:
        for r in d["recipients"]:
            _safeguards(r)[field] = value

    return op


def _cert(d: dict[str, Any]) -> None:
    for r in d["recipients"]:
        _safeguards(r).setdefault("certifications", []).append(
            {"name": "ISO/IEC 27001", "issuer": "CB", "expires_on": "2028-06-30"}
        )


def _top(section: str, field: str, value: Any) -> Op:
    def op(d: dict[str, Any]) -> None:
        d.setdefault(section, {})[field] = value

    return op


def _onward(d: dict[str, Any]) -> None:
    onward = d["transfer"].setdefault("onward_transfer", {"allowed": True})
    onward["procedure"] = "Each sub-recipient is approved in writing first."


SAFEGUARDS: list[Op] = [
    _sg("encryption_in_transit", True),
    _sg("encryption_at_rest", True),
    _sg("access_control", "MFA, least privilege, logs"),
    _sg("incident_notification_hours", 24),
    _sg("data_subject_request_days", 10),
    _sg("onward_transfer_controls", "written approval"),
    _sg("retention_and_deletion", "deleted after 90 days"),
    _sg("government_access_policy", "challenged"),
    _sg("local_law", "PDPA 2012"),
    _sg("security_testing", "yearly pentest"),
    _cert,
    *(_clause(k) for k in get_args(ClauseKey)),
    _top("security", "measures", "Encryption and access control"),
    _top("security", "standards", ["ISO/IEC 27001"]),
    _top(
        "security",
        "testing",
        [{"content": "pentest", "scope": "all", "frequency": "yearly", "purpose": "find flaws"}],
    ),
    _top("governance", "legal_basis", "contract"),
    _top("governance", "consent_method", "Signed form"),
    _top("governance", "retention", "2 years"),
    _top("governance", "deletion", "Deleted after 2 years"),
    _top(
        "governance", "self_assessment", {"method": "audit", "date": "2026-06-01", "result": "ok"}
    ),
    _top("business", "necessity", "Needed for support"),
    _top("business", "current_practice", "Manual today"),
    _onward,
]


@SETTINGS
@given(
    name=st.sampled_from(EXAMPLE_NAMES),
    present=st.sets(st.integers(0, len(SAFEGUARDS) - 1)),
    added=st.integers(0, len(SAFEGUARDS) - 1),
)
def test_adding_a_safeguard_never_raises_residual_risk(
    name: str, present: set[int], added: int
) -> None:
    base = copy.deepcopy(example_data(name))
    for i in sorted(present):
        SAFEGUARDS[i](base)
    more = copy.deepcopy(base)
    SAFEGUARDS[added](more)
    before, after = run(name, base), run(name, more)
    assert before is not None and after is not None
    assert after.risk.residual.score <= before.risk.residual.score
    assert after.risk.inherent.score == before.risk.inherent.score
    for b, a in zip(before.risk.contributions, after.risk.contributions, strict=True):
        assert a.points <= b.points, a.criterion


KINDS = list(get_args(SubjectKind))
ACTIVITIES = list(get_args(Activity))
CLAIMS = list(get_args(ExemptionCode))
DATES = st.dates(date(2024, 1, 1), date(2028, 12, 31))


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, dict[str, Any], date]:
    name = draw(st.sampled_from(EXAMPLE_NAMES))
    d = copy.deepcopy(example_data(name))
    t = d["transfer"]
    t["direction"] = draw(st.sampled_from(["outbound", "inbound", "both"]))
    t["activities"] = (
        []
        if t["direction"] == "inbound"
        else draw(st.lists(st.sampled_from(ACTIVITIES), min_size=1, max_size=5, unique=True))
    )
    if "other" in t["activities"]:
        t["activity_other"] = "Remote access by support engineers abroad"
    t["first_transfer_date"] = draw(DATES).isoformat()
    t["exemption_claims"] = [
        {"code": c, "justification": "because"}
        for c in draw(st.lists(st.sampled_from(CLAIMS), max_size=3, unique=True))
    ]
    if draw(st.booleans()):
        regime = draw(st.sampled_from(["decree-13-2023", "law-91-2025"]))
        t["prior_dossier"] = {
            "regime": regime,
            "received_on": draw(DATES).isoformat(),
            "reference": "X",
        }
    d["transferor"]["kind"] = draw(st.sampled_from(["organisation", "individual"]))
    d["transferor"]["id_number"] = "001099000001"
    d["transferor"]["size"] = draw(
        st.sampled_from(["micro", "small", "startup", "medium", "large", "household"])
    )
    for r in d["recipients"]:
        r["role"] = draw(
            st.sampled_from(["controller", "joint_controller", "processor", "sub_processor"])
        )
    for g in d["data"]["subject_groups"]:
        g["kind"] = draw(st.sampled_from(KINDS))
        g["count"] = draw(st.integers(0, 2_000_000))
    total = sum(g["count"] for g in d["data"]["subject_groups"])
    if d["data"]["sensitive"]:
        d["data"]["sensitive_subject_count"] = draw(st.integers(0, total))
    return name, d, draw(st.dates(date(2026, 1, 1), date(2028, 12, 31)))


@SETTINGS
@given(case=mutated())
def test_no_exception_escapes_for_a_valid_intake_and_output_is_stable(
    case: tuple[str, dict[str, Any], date],
) -> None:
    name, data, as_of = case
    first = run(name, data, as_of)
    assume(first is not None)
    assert first is not None
    second = run(name, copy.deepcopy(data), as_of)
    assert second is not None and first.to_json() == second.to_json()
    app = first.applicability
    assert app.cross_border_transfer == (data["transfer"]["direction"] != "inbound")
    assert (app.cover_form is not None) == app.dossier_required
    assert any(d.kind == "initial_filing" for d in first.deadlines) == app.dossier_required
    assert all(f.citations for f in first.findings)
    assert first.risk.residual.score <= first.risk.inherent.score
