"""Benchmark: how fast, and in how much memory, hostile intakes are refused.

Each case is read by ``dtia.intake.parse_intake`` in a process of its own, which reports
its wall time and its peak resident memory. Prints one JSON object per line:
{"case", "bytes", "seconds", "peak_rss_mb", "problems"}. Goals: every case refused in
under 1 second and 200 MB.

Cases: the FPT example as is (for comparison); an alias bomb of a few hundred bytes (8
levels of 10 aliases); a 20 MB file with a 2.6-million-item list (the portal's upload
limit); a file within every limit (19,700 values) holding some 10,000 problems.
"""

from __future__ import annotations

import itertools
import json
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "fpt-smart-cloud-to-fpt-japan"


def cases() -> dict[str, Callable[[], str]]:
    """Each case's text, built only when it is read (the 20 MB one would count otherwise)."""
    text = (EXAMPLE / "intake.yaml").read_text(encoding="utf-8")
    names = "abcdefgh"
    bomb = ["a: &a [" + ", ".join(["x"] * 10) + "]"]
    bomb += [f"{n}: &{n} [" + ", ".join([f"*{p}"] * 10) + "]" for p, n in itertools.pairwise(names)]
    flow = "{" + ", ".join(f"k{j}: 1" for j in range(45)) + "}"
    return {
        "example": lambda: text,
        "alias_bomb": lambda: text + "\nbomb:\n" + "".join(f"  {line}\n" for line in bomb),
        "list_20mb": lambda: text + "\nlong: [" + ",".join(["1234567"] * 2_600_000) + "]\n",
        "many_problems": lambda: text.replace("flows:\n", "flows:\n" + f"  - {flow}\n" * 215),
    }


def child(case: str) -> None:
    """Read one case and report; runs in its own process."""
    from dtia.errors import IntakeError
    from dtia.intake import parse_intake

    text = cases()[case]()
    start = time.perf_counter()
    try:
        parse_intake(text, "intake.yaml", EXAMPLE)
        problems = 0
    except IntakeError as exc:
        problems = exc.total
    seconds = time.perf_counter() - start
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "case": case,
                "bytes": len(text.encode("utf-8")),
                "seconds": round(seconds, 3),
                "peak_rss_mb": round(peak_kb / 1024, 1),
                "problems": problems,
            }
        )
    )


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        child(sys.argv[2])
        return
    for case in cases():
        out = subprocess.run(
            [sys.executable, __file__, "--child", case],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
        sys.stdout.write(out.stdout)


if __name__ == "__main__":
    main()
