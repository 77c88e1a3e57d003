"""Benchmark: the policy disclosure check against the hand-labelled gold set.

Prints one JSON object: per item, the precision and recall of the answer (``disclosed: true``)
and of the evidence (cited lines inside labelled passages; labelled passages found), on the
five published policies alone and on the whole gold set (with the policies written for it);
and the time to check each policy (read, segment, analyse), best of --repeat runs.
Goals: every item >= 0.9 precision and recall on the gold set; the FPT file (1,098 lines)
in under 0.5 s.

--japanese-tokens measures the alternative to matching Japanese cues character by character:
a Japanese cue match counts only where it starts on a word boundary found by MeCab
(fugashi with the unidic-lite dictionary, which must be installed for this run only; dtia
does not depend on them). It reports the same figures, and the time of tokenising.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dtia.policy import check_policy  # noqa: E402
from tests.policy_gold import Policy, load_gold, score  # noqa: E402


def _figures(policies: list[Policy]) -> dict[str, Any]:
    checks = [p.check() for p in policies]
    return {key: tally.figures() for key, tally in score(policies, checks).items()}


def _seconds(policy: Policy, repeat: int) -> float:
    data = policy.path.read_bytes()
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        check_policy(policy.name, data, policy.as_of)
        best = min(best, time.perf_counter() - start)
    return round(best, 4)


def _token_boundaries() -> None:
    """Make Japanese cue matches count only on MeCab word boundaries."""
    from functools import cache

    import fugashi  # type: ignore[import-not-found]

    from dtia.policy import analyze

    tagger = fugashi.Tagger()

    @cache
    def boundaries(text: str) -> frozenset[int]:
        edges, at = {0}, 0
        for word in tagger(text):
            at = text.index(word.surface, at) + len(word.surface)
            edges.add(at)
        return frozenset(edges)

    plain = analyze._Checker._cue_match

    def on_words(self: Any, item: Any, s: Any, langs: Any) -> Any:
        m = plain(self, item, s, langs)
        if m is None or langs != ("ja",):
            return m
        edges = boundaries(s.text)
        # Only the start: a cue may end inside the value it announces ("住所:東").
        return m if m.start() in edges else None

    analyze._Checker._cue_match = on_words  # type: ignore[method-assign]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--japanese-tokens", action="store_true")
    args = parser.parse_args()
    if args.japanese_tokens:
        _token_boundaries()
    gold = load_gold()
    start = time.perf_counter()
    gold[0].check()  # loads and compiles the law data once; not counted below
    load_seconds = round(time.perf_counter() - start, 3)
    published = [p for p in gold if p.published]
    out = {
        "japanese": "mecab word boundaries" if args.japanese_tokens else "characters",
        "policies": len(gold),
        "published": len(published),
        "law_data_load_seconds": load_seconds,
        "seconds_per_policy": {
            p.name: {
                "lines": len(p.path.read_bytes().splitlines()),
                "seconds": _seconds(p, args.repeat),
            }
            for p in gold
        },
        "published_set": _figures(published),
        "gold_set": _figures(gold),
    }
    figures = [
        value
        for item in out["gold_set"].values()
        for name, value in item.items()
        if name in ("precision", "recall", "evidence_precision", "evidence_recall")
        and value is not None
    ]
    out["lowest_figure"] = min(figures)
    fpt = out["seconds_per_policy"]["published/fpt-smart-cloud-policies-2026.en-ja.txt"]
    out["goals_met"] = min(figures) >= 0.9 and fpt["seconds"] < 0.5
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
