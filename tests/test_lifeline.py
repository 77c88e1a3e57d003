"""Processes a run starts end with it, even when it is killed with SIGKILL: the Prefect
server of ephemeral mode, the dossier render workers, and the guard that watches them."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import psutil
import yaml

from dtia.config import Settings
from dtia.dossier.build import read_files
from dtia.engine import assess
from dtia.intake import load_intake
from dtia.portfolio import default_workers
from dtia.register import Register
from tests.support import EXAMPLES, ROOT


def _alive(process: psutil.Process) -> bool:
    """Running, and not merely a zombie waiting for whoever adopted it to reap it."""
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _command(process: psutil.Process) -> str:
    try:
        return " ".join(process.cmdline())
    except psutil.Error:
        return ""


def _family(process: psutil.Process) -> list[psutil.Process]:
    """Every descendant; a grandchild that exits while the tree is walked is walked again."""
    for _ in range(20):
        try:
            return process.children(recursive=True)
        except psutil.NoSuchProcess:
            if not process.is_running():  # the run itself ended: its own failure says why
                return []
            time.sleep(0.05)
    return process.children(recursive=True)


def _wait_for(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


def _assert_all_end(processes: list[psutil.Process], seconds: float = 20) -> None:
    if _wait_for(lambda: not any(_alive(p) for p in processes), seconds):
        return
    survivors = []
    for p in processes:
        if _alive(p):
            survivors.append(_command(p)[:120])
            with contextlib.suppress(psutil.Error):
                p.kill()  # the test's own leftovers: not left running after it fails
    raise AssertionError(f"still running {seconds} s after their parent was killed: {survivors}")


def _start(code: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )


def test_the_guard_stops_what_its_parent_adopted_when_the_parent_is_killed() -> None:
    with _start(
        """
        import subprocess, time
        from dtia import lifeline
        child = subprocess.Popen(["sleep", "600"])
        lifeline.adopt(child.pid)
        print(child.pid, flush=True)
        time.sleep(600)
        """
    ) as parent:
        assert parent.stdout is not None
        child = psutil.Process(int(parent.stdout.readline()))
        family = psutil.Process(parent.pid).children(recursive=True)
        assert child in family and len(family) == 2  # the sleep and the guard
        parent.send_signal(signal.SIGKILL)
    _assert_all_end(family)


def test_at_a_normal_exit_the_guard_stops_what_is_still_adopted_and_ends() -> None:
    with _start(
        """
        import subprocess
        from dtia import lifeline
        kept, handed_over = subprocess.Popen(["sleep", "600"]), subprocess.Popen(["sleep", "600"])
        lifeline.adopt(kept.pid)
        lifeline.adopt(handed_over.pid)
        lifeline.disown(handed_over.pid)
        print(handed_over.pid, flush=True)
        """
    ) as parent:
        assert parent.stdout is not None
        handed_over = psutil.Process(int(parent.stdout.readline()))
        family = [p for p in psutil.Process(parent.pid).children() if p != handed_over]
        assert len(family) == 2  # the kept sleep and the guard
        assert parent.wait(timeout=60) == 0
    try:
        _assert_all_end(family)
        assert _alive(handed_over)
    finally:
        handed_over.kill()


def test_render_workers_exit_when_the_process_that_started_them_is_killed() -> None:
    with _start(
        """
        import multiprocessing, os, time
        from concurrent.futures import ProcessPoolExecutor
        from dtia.lifeline import watch_parent
        pool = ProcessPoolExecutor(
            2, mp_context=multiprocessing.get_context("spawn"),
            initializer=watch_parent, initargs=(os.getpid(),),
        )
        futures = [pool.submit(time.sleep, 600) for _ in range(2)]
        time.sleep(1)
        print("busy", flush=True)
        time.sleep(600)
        """
    ) as parent:
        assert parent.stdout is not None and parent.stdout.readline().strip() == "busy"
        family = psutil.Process(parent.pid).children(recursive=True)
        assert len(family) >= 2  # two workers (and multiprocessing's resource tracker)
        parent.send_signal(signal.SIGKILL)
    _assert_all_end(family)


def test_killing_a_reassess_run_ends_its_prefect_server_and_render_workers(
    tmp_path: Path,
) -> None:
    register = Register(Settings(data_dir=tmp_path / "data", database_url=None))
    base = yaml.safe_load((EXAMPLES / "bizfly-cloud-support-desk" / "intake.yaml").read_text())
    for i in range(4):  # their SOC 2 report lapses on 2026-12-31: four dossiers to re-render
        folder = tmp_path / f"bizfly-{i}"
        shutil.copytree(EXAMPLES / "bizfly-cloud-support-desk", folder)
        base["transfer"]["id"] = f"bizfly-{i}"
        (folder / "intake.yaml").write_text(yaml.safe_dump(base, allow_unicode=True))
        loaded = load_intake(folder / "intake.yaml")
        register.save(
            loaded,
            assess(loaded, date(2026, 11, 22)),
            actor="t",
            source_path=str(folder / "intake.yaml"),
            files=read_files(loaded, folder),  # as dtia assess --save keeps them
        )
    register.engine.dispose()

    env = {**os.environ, "DTIA_DATA_DIR": str(tmp_path / "data")}
    with (tmp_path / "run.log").open("w") as log:
        run = subprocess.Popen(
            [sys.executable, "-m", "dtia.cli", "run", "reassess", "--as-of", "2027-01-05"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=tmp_path,
        )
    cli = psutil.Process(run.pid)

    def started(marker: str) -> bool:
        assert run.poll() is None, (tmp_path / "run.log").read_text()
        return any(marker in _command(p) for p in cli.children() if _alive(p))

    try:
        assert _wait_for(lambda: started("prefect.server.api.server"), 240), "no server"
        if default_workers() > 1:  # on one core the dossiers render in the run's process
            assert _wait_for(lambda: started("multiprocessing.spawn"), 240), "no workers"
            time.sleep(3)  # well into rendering
    finally:
        family = _family(cli)
        commands = [_command(p) for p in family]
        run.send_signal(signal.SIGKILL)
        run.wait()
    _assert_all_end(family)
    assert any("dtia.lifeline" in c for c in commands)  # the guard was there, and ended too
