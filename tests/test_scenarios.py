"""Legal scenarios a lawyer can read: tests/scenarios/*.yaml (format in tests/scenarios/README.md)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from dtia.engine import assess
from dtia.errors import IntakeError
from dtia.intake import load_intake
from tests.support import EXAMPLE_NAMES, all_citations, changed, write_intake

SCENARIOS = sorted((Path(__file__).parent / "scenarios").glob("*.yaml"))
KEYS = {"name", "as_of", "base", "changes", "expect"}
EXPECT_KEYS = {
    "invalid",
    "cross_border_transfer",
    "limbs",
    "dossier_required",
    "exemption",
    "rejected_exemptions",
    "unconfirmed_exemptions",
    "rejection_reasons",
    "cover_form",
    "prior_dossier",
    "deadlines",
    "required_sections",
    "sections_include",
    "sections_exclude",
    "citations_include",
    "citations_exclude",
    "findings_include",
    "findings_exclude",
    "pending_include",
    "finding_citations",
    "finding_messages",
    "contributions",
    "gap_messages",
    "filing_channels",
    "exposure",
    "exposure_exclude",
    "duties_include",
}


def _load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{path.name}: not a mapping"
    assert set(data) <= KEYS, f"{path.name}: unknown keys {set(data) - KEYS}"
    assert set(data["expect"]) <= EXPECT_KEYS, f"{path.name}: unknown expectations"
    assert data["base"] in EXAMPLE_NAMES, f"{path.name}: unknown base {data['base']!r}"
    return data


def test_there_are_enough_scenarios() -> None:
    assert len(SCENARIOS) >= 30


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_scenario(path: Path, tmp_path: Path) -> None:
    sc = _load(path)
    expect = sc["expect"]
    as_of = sc["as_of"] if isinstance(sc["as_of"], date) else date.fromisoformat(sc["as_of"])
    intake_path = write_intake(sc["base"], changed(sc["base"], sc.get("changes")), tmp_path)

    if "invalid" in expect:
        with pytest.raises(IntakeError) as info:  # when loading, or when assessing on as_of
            assess(load_intake(intake_path), as_of)
        named = {p.path for p in info.value.problems}
        for key in expect["invalid"]:
            assert any(
                n == key or n.startswith(key + ".") or n.startswith(key + "[") for n in named
            ), f"{sc['name']}: expected a problem at {key}, got {sorted(named)}"
        return

    a = assess(load_intake(intake_path), as_of)
    app = a.applicability
    where = sc["name"]
    if "cross_border_transfer" in expect:
        assert app.cross_border_transfer is expect["cross_border_transfer"], where
    if "limbs" in expect:
        assert app.limbs == expect["limbs"], where
    if "dossier_required" in expect:
        assert app.dossier_required is expect["dossier_required"], where
    if "exemption" in expect:
        assert (app.exemption.code if app.exemption else None) == expect["exemption"], where
    if "rejected_exemptions" in expect:
        assert [c.code for c in app.rejected_exemption_claims] == expect["rejected_exemptions"], (
            where
        )
    rejected = {c.code: c for c in app.rejected_exemption_claims}
    if "unconfirmed_exemptions" in expect:
        assert [c.code for c in app.rejected_exemption_claims if c.unconfirmed] == expect[
            "unconfirmed_exemptions"
        ], where
    for code, words in expect.get("rejection_reasons", {}).items():
        assert code in rejected, f"{where}: claim {code} not rejected"
        claim = rejected[code]
        for w in words:
            assert w in claim.reason or w in claim.missing_facts, (
                f"{where}: {code} rejected without {w!r}: {claim.reason}"
            )
    if "cover_form" in expect:
        want = expect["cover_form"]
        assert app.cover_form == (None if want is None else str(want).zfill(3)), where
    if "prior_dossier" in expect:
        assert app.prior_dossier == expect["prior_dossier"], where
    if "deadlines" in expect:
        got = {d.kind: d for d in a.deadlines}
        assert sorted(got) == sorted(d["kind"] for d in expect["deadlines"]), where
        for want in expect["deadlines"]:
            d = got[want["kind"]]
            for key in ("due", "legal_end"):
                if key in want:
                    assert getattr(d, key).isoformat() == str(want[key]), f"{where}: {key}"
            if "status" in want:
                assert d.status == want["status"], f"{where}: status"
            if "uncertain" in want:
                assert d.uncertain is want["uncertain"], f"{where}: uncertain"
    if "required_sections" in expect:
        assert a.required_sections == expect["required_sections"], where
    for s in expect.get("sections_include", []):
        assert s in a.required_sections, f"{where}: section {s} missing"
    for s in expect.get("sections_exclude", []):
        assert s not in a.required_sections, f"{where}: section {s} present"
    cites = all_citations(a)
    for c in expect.get("citations_include", []):
        assert c in cites, f"{where}: citation {c!r} missing"
    for c in expect.get("citations_exclude", []):
        assert c not in cites, f"{where}: citation {c!r} present"
    ids = {f.id for f in a.findings}
    by_id: dict[str, list[Any]] = {}
    for finding in a.findings:
        by_id.setdefault(finding.id, []).append(finding)
    for fid, want in expect.get("finding_citations", {}).items():
        assert fid in by_id, f"{where}: finding {fid} missing"
        got_cites = {c for finding in by_id[fid] for c in finding.citations}
        for c in want.get("include", []):
            assert c in got_cites, f"{where}: {fid} does not cite {c!r}: {sorted(got_cites)}"
        for c in want.get("exclude", []):
            assert c not in got_cites, f"{where}: {fid} cites {c!r}"
    for fid, want in expect.get("finding_messages", {}).items():
        assert fid in by_id, f"{where}: finding {fid} missing"
        text = " ".join(finding.message for finding in by_id[fid])
        for w in want.get("include", []):
            assert w in text, f"{where}: {fid} does not say {w!r}: {text}"
        for w in want.get("exclude", []):
            assert w not in text, f"{where}: {fid} says {w!r}: {text}"
    contributions = {c.criterion: c for c in a.risk.contributions}
    for code, want in expect.get("contributions", {}).items():
        c = contributions[code]
        if "residual_at_least" in want:
            assert c.points >= want["residual_at_least"], f"{where}: {code} {c.points} points"
        if "residual_at_most" in want:
            assert c.points <= want["residual_at_most"], f"{where}: {code} {c.points} points"
        for cite in want.get("citations_include", []):
            assert cite in c.citations, f"{where}: {code} does not cite {cite!r}"
        for cite in want.get("citations_exclude", []):
            assert cite not in c.citations, f"{where}: {code} cites {cite!r}"
    for f in expect.get("findings_include", []):
        assert f in ids, f"{where}: finding {f} missing; got {sorted(ids)}"
    for f in expect.get("findings_exclude", []):
        assert f not in ids, f"{where}: finding {f} present"
    for field, want in expect.get("gap_messages", {}).items():
        text = " ".join(g.message for g in a.gaps if g.field == field)
        for w in want.get("include", []):
            assert w in text, f"{where}: gap {field} does not say {w!r}: {text}"
        for w in want.get("exclude", []):
            assert w not in text, f"{where}: gap {field} says {w!r}: {text}"
    channels = {ch.procedure: ch for ch in a.filing_channels}
    if "filing_channels" in expect:
        assert sorted(channels) == sorted(expect["filing_channels"]), f"{where}: filing channels"
    for procedure, want in (expect.get("filing_channels") or {}).items():
        ch = channels[procedure]
        if "receiving_body_vi" in want:
            assert ch.receiving_body_vi == want["receiving_body_vi"], f"{where}: {procedure}"
        if "processed_by_vi" in want:
            assert ch.processed_by_vi == want["processed_by_vi"], f"{where}: {procedure}"
        if "in_force_to" in want:
            got_to = ch.in_force_to.isoformat() if ch.in_force_to else None
            assert got_to == (None if want["in_force_to"] is None else str(want["in_force_to"]))
        for c in want.get("citations_include", []):
            assert c in ch.citations, f"{where}: {procedure} does not cite {c!r}"
        for c in want.get("citations_exclude", []):
            assert c not in ch.citations, f"{where}: {procedure} cites {c!r}"
        notes = " ".join(ch.notes)
        for w in want.get("notes_include", []):
            assert w in notes, f"{where}: {procedure} notes lack {w!r}: {notes}"
    for want in expect.get("exposure", []):
        found = [
            e for e in a.exposure if e.finding == want["finding"] and e.clause == want["clause"]
        ]
        assert found, (
            f"{where}: no exposure {want['finding']} / {want['clause']}; got "
            f"{sorted((e.finding, e.clause) for e in a.exposure)}"
        )
        e = found[0]
        if "party" in want:
            assert e.party == want["party"], f"{where}: {e.clause} party"
        if "fine" in want:
            assert [e.fine.min_vnd, e.fine.max_vnd] == want["fine"], f"{where}: {e.clause} fine"
        for w in want.get("ceiling_include", []):
            assert w in e.ceiling, f"{where}: {e.clause} ceiling lacks {w!r}: {e.ceiling}"
        if "revenue_fine" in want:
            rf, wrf = e.revenue_fine, want["revenue_fine"]
            if wrf is None:
                assert rf is None, f"{where}: {e.clause} has a revenue-based fine"
            else:
                assert rf is not None, f"{where}: {e.clause} has no revenue-based fine"
                assert rf.clause == wrf["clause"], f"{where}: {rf.clause}"
                if "percent" in wrf:
                    got = None if rf.percent_min is None else [rf.percent_min, rf.percent_max]
                    assert got == wrf["percent"], f"{where}: {rf.clause} percent {got}"
                if "fallback" in wrf:
                    assert [rf.fallback.min_vnd, rf.fallback.max_vnd] == wrf["fallback"], where
                assert len(rf.revenue_bases) == 2, f"{where}: both revenue bases"
        codes = {m.code for m in e.measures}
        for m in want.get("measures_include", []):
            assert m in codes, f"{where}: {e.clause} lacks measure {m}: {sorted(codes)}"
        if "limitation_include" in want:
            assert want["limitation_include"] in e.limitation, f"{where}: {e.limitation}"
        notes = " ".join(e.notes)
        for w in want.get("notes_include", []):
            assert w in notes, f"{where}: {e.clause} notes lack {w!r}: {notes}"
    for item in expect.get("exposure_exclude", []):
        clashing = [e for e in a.exposure if item in (e.finding, e.clause)]
        assert not clashing, f"{where}: exposure {item} present"
    duties = {d.id for d in a.continuing_duties}
    for d in expect.get("duties_include", []):
        assert d in duties, f"{where}: duty {d} missing; got {sorted(duties)}"
    kinds = {p.kind for p in a.pending}
    for k in expect.get("pending_include", []):
        assert k in kinds, f"{where}: pending {k} missing"
