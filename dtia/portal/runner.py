"""The process behind a portal run started without a Prefect server.

``python -m dtia.portal.runner RUN_ID`` runs ``dtia run assess`` on the run's intake and
records how it ended in the register itself, so the outcome survives a restart of the
portal that started it. Stopped with SIGTERM, it records a failed run.
"""

from __future__ import annotations

import signal
import sys
from types import FrameType


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def main(argv: list[str]) -> int:
    from dtia.cli import main as cli
    from dtia.portal.runs import Runs
    from dtia.register import Register

    if len(argv) != 1:
        print("usage: python -m dtia.portal.runner RUN_ID", file=sys.stderr)
        return 2
    runs = Runs(Register())
    row = runs.read(argv[0])
    signal.signal(signal.SIGTERM, _terminate)
    code = 1
    try:
        sys.argv = ["dtia", "run", "assess", row.intake_path]
        cli()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        runs.finish(row.id, code)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
