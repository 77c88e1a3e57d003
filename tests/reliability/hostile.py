"""Hostile inputs shared by the reliability tests: each one broke the command, a flow or the
portal before the intake was read under limits."""

from __future__ import annotations

import itertools
import os
import resource
import subprocess
import sys
from pathlib import Path

from tests.support import EXAMPLES

FPT_DIR = EXAMPLES / "fpt-smart-cloud-to-fpt-japan"
FPT_TEXT = (FPT_DIR / "intake.yaml").read_text(encoding="utf-8")

# A child process gets this much address space: enough for dtia, far too little for an
# input that expands without bound (which then fails with MemoryError instead of taking
# the machine's memory).
MEMORY_CAP = 1024 * 1024 * 1024


def alias_bomb(levels: int = 8, width: int = 10) -> str:
    """A few hundred bytes of nested anchors that expand to width**levels values."""
    lines = ["a: &a [" + ", ".join(["x"] * width) + "]"]
    names = "abcdefghijklmnop"
    for previous, name in itertools.pairwise(names[:levels]):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * width) + "]")
    return "\n".join(lines) + "\n"


def with_bomb(text: str = FPT_TEXT, levels: int = 8) -> str:
    """An intake carrying the bomb under an unknown key, so there is a problem to report."""
    bomb = alias_bomb(levels).splitlines()
    return text + "\nbomb:\n" + "".join(f"  {line}\n" for line in bomb)


def replaced(old: str, new: str, text: str = FPT_TEXT) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def beside_fpt(folder: Path, text: str) -> Path:
    """The intake text written where the FPT example's attachments resolve."""
    import shutil

    target = folder / "fpt"
    if not target.exists():
        shutil.copytree(FPT_DIR, target)
    path = target / "intake.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def dtia(*args: str, data_dir: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The command as a user runs it, in a process whose memory is capped."""
    env = {**os.environ, "COLUMNS": "200"}
    if data_dir is not None:
        env["DTIA_DATA_DIR"] = str(data_dir)
        env.pop("DTIA_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "dtia.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=env,
        preexec_fn=_cap_memory,
    )
