"""Benchmark: ``reassess_portfolio`` over N stored transfers, against a plain Python loop.

Builds N synthetic transfers from the Bizfly example (most unchanged; a few whose
recipient evidence expires; a few whose intake file changes), stores them in a SQLite
register, starts a Prefect server (its start-up is reported as ``server_start_seconds``
and not counted), runs the flow, and runs the same re-assessment as a plain loop on an
identical copy of the register. Prints one JSON line:
{"transfers", "flow_seconds", "plain_seconds", "ratio", "peak_rss_mb", "changed", "server_start_seconds"}.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import psutil
import yaml
from isolation import own_environment

from dtia import lifeline

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "bizfly-cloud-support-desk"
AS_OF = date(2026, 11, 22)
LATER = AS_OF + timedelta(days=30)


def build_register(folder: Path, n: int, changed: int, expired: int) -> None:
    """N transfers, each with its own intake folder (attachments hard-linked), saved in bulk."""
    from sqlmodel import Session

    from dtia.config import Settings
    from dtia.engine import assess
    from dtia.intake import load_intake
    from dtia.register import Register
    from dtia.store import repo

    base = yaml.safe_load((EXAMPLE / "intake.yaml").read_text(encoding="utf-8"))
    register = Register(Settings(data_dir=folder / "data", database_url=None))
    with Session(register.engine) as session:
        for i in range(n):
            data = copy.deepcopy(base)
            data["transfer"]["id"] = f"bench-{i:05d}"
            data["transfer"]["title"] = f"Synthetic transfer {i}"
            certs = data["recipients"][0]["safeguards"]["certifications"]
            for c in certs:  # far from expiry, unless this one is meant to lapse
                c["expires_on"] = (AS_OF + timedelta(days=10 if i < expired else 900)).isoformat()
            target = folder / "intakes" / data["transfer"]["id"]
            for sub in ("policies", "attachments"):
                (target / sub).mkdir(parents=True)
                for f in (EXAMPLE / sub).iterdir():
                    os.link(f, target / sub / f.name)
            path = target / "intake.yaml"
            path.write_text(
                yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8"
            )
            loaded = load_intake(path)
            repo.save_assessment(
                session,
                loaded=loaded,
                assessment=assess(loaded, AS_OF),
                actor="bench",
                source_path=str(path),
                source_sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
            )
            if i % 500 == 499:
                session.commit()
        session.commit()
    register.engine.dispose()
    for i in range(expired, expired + changed):  # these intakes change after they were assessed
        path = folder / "intakes" / f"bench-{i:05d}" / "intake.yaml"
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        data["transfer"]["purposes"].append("Satisfaction surveys after each ticket")
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def start_server(home: Path) -> tuple[subprocess.Popen[bytes], str, float]:
    home.mkdir(parents=True)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    api = f"http://127.0.0.1:{port}/api"
    env = {
        **os.environ,
        "PREFECT_HOME": str(home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
    }
    start = time.perf_counter()
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "prefect"),
            "server",
            "start",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-ui",
        ],
        env=env,
        cwd=home,  # no .env or prefect.toml of the caller's folder is read
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    lifeline.adopt(proc.pid)  # stopped even if the benchmark is killed
    while True:
        try:
            with urllib.request.urlopen(f"{api}/health", timeout=2):
                break
        except OSError:
            if time.perf_counter() - start > 180:
                proc.kill()
                raise SystemExit("the Prefect server did not start") from None
            time.sleep(0.5)
    return proc, api, time.perf_counter() - start


class PeakRss:
    """Peak resident memory of this process and its worker processes together, sampled in
    the background (ru_maxrss would see this process alone). The Prefect server is left out,
    as its start-up time is, and so is the small guard process that stops it should the
    benchmark be killed."""

    def __init__(self, exclude: set[int]) -> None:
        self.exclude = exclude
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _total(self) -> int:
        me = psutil.Process()
        total = me.memory_info().rss
        for child in me.children(recursive=True):
            try:
                if child.pid in self.exclude or child.ppid() in self.exclude:
                    continue
                total += child.memory_info().rss
            except psutil.Error:  # a worker that just ended
                continue
        return total

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._total())
            self._stop.wait(0.05)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._total())


def plain(data_dir: Path) -> tuple[float, int]:
    from dtia.config import Settings
    from dtia.dossier.build import build_for_register, build_update_notice
    from dtia.portfolio import Reassessor
    from dtia.register import Register

    register = Register(Settings(data_dir=data_dir, database_url=None))
    start = time.perf_counter()
    with Reassessor(
        register, as_of=LATER, render=build_for_register, notice_renderer=build_update_notice
    ) as reassessor:
        for tid, reasons in register.stale(as_of=LATER):
            reassessor.add(tid, reasons)
    results = reassessor.results
    return time.perf_counter() - start, sum(1 for r in results if r.get("created"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transfers", type=int, default=1000)
    parser.add_argument(
        "--changed",
        type=int,
        default=None,
        help="intakes that change [default: N/2000, at least 1]",
    )
    parser.add_argument(
        "--expired",
        type=int,
        default=None,
        help="evidence that lapses [default: N/2000, at least 1]",
    )
    parser.add_argument(
        "--json", action="store_true", help="print only the JSON line (the default output)"
    )
    args = parser.parse_args()
    n = args.transfers
    changed = args.changed if args.changed is not None else max(1, n // 2000)
    expired = args.expired if args.expired is not None else max(1, n // 2000)

    work = Path(tempfile.mkdtemp(prefix="dtia-bench-"))
    # Only the registers and Prefect state built here, for both runs and the render workers:
    # never the caller's register or Prefect server, whatever the environment names.
    own_environment(
        DO_NOT_TRACK="1",
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_HOME=str(work / "prefect-client"),
    )
    try:
        build_register(work / "a", n, changed, expired)
        shutil.copytree(work / "a", work / "b", copy_function=shutil.copy2)
        server, api, server_seconds = start_server(work / "prefect")
        try:
            # the flow reads its register from the environment, like a deployment's worker
            os.environ["PREFECT_API_URL"] = api
            os.environ["DTIA_DATA_DIR"] = str(work / "a" / "data")
            from prefect.logging.handlers import APILogWorker

            from flows.reassess import reassess_portfolio

            with PeakRss(exclude={server.pid, *lifeline.guard_pids()}) as flow_memory:
                start = time.perf_counter()
                results = reassess_portfolio(as_of=LATER)
                flow_seconds = time.perf_counter() - start
            APILogWorker.drain_all(timeout=10)  # the last log lines, before the server goes
        finally:
            server.terminate()
            server.wait(timeout=30)
            lifeline.disown(server.pid)
        with PeakRss(exclude=set(lifeline.guard_pids())) as plain_memory:
            plain_seconds, plain_changed = plain(work / "b" / "data")
        flow_changed = sum(1 for r in results if r.get("created"))
        assert flow_changed == plain_changed, (flow_changed, plain_changed)
        out: dict[str, Any] = {
            "transfers": n,
            "flow_seconds": round(flow_seconds, 2),
            "plain_seconds": round(plain_seconds, 2),
            "ratio": round(flow_seconds / plain_seconds, 2) if plain_seconds else None,
            "peak_rss_mb": round(max(flow_memory.peak, plain_memory.peak) / 2**20, 1),
            "changed": flow_changed,
            "server_start_seconds": round(server_seconds, 2),
        }
        print(json.dumps(out))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
