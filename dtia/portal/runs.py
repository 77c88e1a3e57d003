"""Assessment runs started from the portal: through the ``assess-transfer`` deployment when
a Prefect server is configured (PREFECT_API_URL), else as a local ``dtia run assess`` in a
process of its own (``dtia.portal.runner``) that records how it ended."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import threading
import uuid
import zipfile
import zlib
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import cast

from sqlmodel import Session

from dtia.errors import DtiaError, IntakeError
from dtia.intake import load_intake
from dtia.register import Register
from dtia.store import repo
from dtia.store.db import NotFound, unit_of_work
from dtia.store.models import PortalRunRow

DEPLOYMENT = "assess-transfer/assess-transfer"
MAX_UPLOAD = 20 * 1024 * 1024
MAX_FILES = 200
MAX_UNPACKED = 5 * MAX_UPLOAD
CHUNK = 1 << 16
INTAKE_NAMES = ("intake.yaml", "intake.yml", "intake.json")
LOG = "run.log"
PID = "run.pid"


class UploadError(DtiaError):
    """An uploaded intake that cannot be taken (type, size, or a path leaving its folder)."""


def unpack(name: str, data: bytes, folder: Path) -> Path:
    """Write an uploaded intake (YAML/JSON, or a zip of its folder) under ``folder``;
    returns the intake file. Zip members may not leave the folder or exceed the limits."""
    folder.mkdir(parents=True)
    suffix = PurePosixPath(name).suffix.lower()
    if suffix in (".yaml", ".yml", ".json"):
        target = folder / f"intake{suffix}"
        target.write_bytes(data)
        return target
    if suffix != ".zip":
        raise UploadError(f"{name}: upload an intake (.yaml, .yml, .json) or a .zip of its folder")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise UploadError(f"{name}: not a readable zip file") from None
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        if len(members) > MAX_FILES:
            raise UploadError(f"{name}: more than {MAX_FILES} files")
        for m in members:
            parts = PurePosixPath(m.filename).parts
            if not parts or m.filename.startswith("/") or ".." in parts or "\\" in m.filename:
                raise UploadError(f"{name}: member {m.filename!r} would leave the intake folder")
            if (m.external_attr >> 16) & 0o170000 == 0o120000:
                raise UploadError(f"{name}: member {m.filename!r} is a symbolic link")
            if m.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise UploadError(f"{name}: member {m.filename!r} uses an unsupported compression")
            if m.flag_bits & 0x1:
                raise UploadError(f"{name}: member {m.filename!r} is encrypted")
        # a zip of the folder itself (one top directory) or of its contents
        tops = {PurePosixPath(m.filename).parts[0] for m in members}
        nested = all(len(PurePosixPath(m.filename).parts) > 1 for m in members)
        strip = 1 if len(tops) == 1 and nested else 0
        budget = MAX_UNPACKED  # counted on the bytes produced, not the sizes the zip claims
        try:
            for m in members:
                rel = PurePosixPath(*PurePosixPath(m.filename).parts[strip:])
                target = folder / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(m) as source, target.open("xb") as out:
                    while chunk := source.read(CHUNK):
                        budget -= len(chunk)
                        if budget < 0:
                            raise UploadError(
                                f"{name}: unpacks to more than {MAX_UNPACKED // 2**20} MB"
                            )
                        out.write(chunk)
        except (zipfile.BadZipFile, zlib.error, EOFError, ValueError):
            raise UploadError(f"{name}: a member of the zip is corrupt") from None
        except OSError:  # never the server's paths in the message
            raise UploadError(
                f"{name}: the zip's names clash (a file and a folder, or a name twice)"
            ) from None
    for candidate in INTAKE_NAMES:
        if (folder / candidate).is_file():
            return folder / candidate
    raise UploadError(f"{name}: no intake.yaml, intake.yml or intake.json at the top of the zip")


class Runs:
    def __init__(self, register: Register) -> None:
        self.register = register
        self.folder = register.settings.data_dir / "uploads"

    def start(self, *, name: str, data: bytes, started_by: str, now: datetime) -> PortalRunRow:
        """Validate the upload as an intake (IntakeError lists every problem) and start the
        assess-transfer flow on it; nothing is kept of an upload that does not validate."""
        run_id = uuid.uuid4().hex
        folder = self.folder / run_id
        try:
            path = unpack(name, data, folder)
            loaded = load_intake(path)
        except IntakeError as exc:  # named as uploaded, not by where the server put it
            _remove(folder)
            raise IntakeError(name, exc.problems, total=exc.total) from None
        except BaseException:
            _remove(folder)
            raise
        row = PortalRunRow.model_validate(
            {
                "id": run_id,
                "started_by": started_by,
                "intake_path": str(path),
                "transfer_id": loaded.intake.transfer.id,
                "status": "running",
                "created_at": now,
            }
        )
        self._put(row)
        if _prefect_server():
            self._through_deployment(row)
        else:
            self._locally(row, folder)
        return self.get(run_id)

    def _put(self, row: PortalRunRow) -> None:
        def work(session: Session) -> None:
            session.merge(row)
            repo.append_audit(
                session,
                actor=row.started_by,
                action=f"run.{row.status}",
                subject=row.transfer_id or "",
                payload={"run": row.id, "flow_run": row.flow_run_id, "message": row.message},
            )

        unit_of_work(self.register.engine, work)

    def _through_deployment(self, row: PortalRunRow) -> None:
        from prefect.client.schemas.objects import FlowRun
        from prefect.deployments import run_deployment

        try:
            flow_run = cast(
                "FlowRun",
                run_deployment(DEPLOYMENT, parameters={"intake_path": row.intake_path}, timeout=0),
            )
        except Exception as exc:  # the server or the deployment may be missing
            row.status, row.message = "failed", f"could not start {DEPLOYMENT}: {exc}"
            row.finished_at = repo.now()
        else:
            row.flow_run_id = str(flow_run.id)
            row.message = f"flow run {flow_run.name} scheduled on the Prefect server"
        self._put(row)

    def _locally(self, row: PortalRunRow, folder: Path) -> None:
        # The run records its own outcome (dtia.portal.runner), so a restart of the portal
        # loses nothing; the portal only reaps the process and notices one that was killed.
        settings = self.register.settings
        env = {**os.environ, "DTIA_DATA_DIR": str(settings.data_dir)}
        if settings.database_url:
            env["DTIA_DATABASE_URL"] = settings.database_url
        with (folder / LOG).open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "dtia.portal.runner", row.id],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
            )
        (folder / PID).write_text(str(process.pid), encoding="ascii")

        def reap() -> None:
            process.wait()
            self._ended_unreported(row.id)

        threading.Thread(target=reap, name=f"run-{row.id}", daemon=True).start()

    def finish(self, run_id: str, exit_code: int) -> None:
        """Record how a local run ended, with the end of its log (called by the runner)."""
        row = self.read(run_id)
        row.status = "completed" if exit_code == 0 else "failed"
        row.message = _tail(row) or f"exit code {exit_code}"
        row.finished_at = repo.now()
        self._put(row)

    def _ended_unreported(self, run_id: str) -> None:
        """A local run whose process is gone without recording its outcome was killed."""
        row = self.read(run_id)
        if row.status != "running" or row.flow_run_id:
            return
        tail = _tail(row)
        row.status = "failed"
        row.message = (
            (tail + "\n" if tail else "")
            + "The run's process ended without recording an outcome (stopped or killed); start it again."
        )
        row.finished_at = repo.now()
        self._put(row)

    def read(self, run_id: str) -> PortalRunRow:
        with Session(self.register.engine) as session:
            row = session.get(PortalRunRow, run_id)
            if row is None:
                raise NotFound(f"no run {run_id!r}")
            session.expunge(row)
            return row

    def get(self, run_id: str) -> PortalRunRow:
        row = self.read(run_id)
        if row.status == "running" and row.flow_run_id:
            state = _prefect_state(row.flow_run_id)
            if state is not None:
                row.message = f"Prefect: {state[1]}"
                if state[0] in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED"):
                    row.status = "completed" if state[0] == "COMPLETED" else "failed"
                    row.finished_at = repo.now()
                    self._put(row)
        elif row.status == "running":
            if not _alive(_folder(row) / PID):  # e.g. the machine restarted under both
                self._ended_unreported(run_id)
                return self.read(run_id)
            row.message = _tail(row) or row.message
        return row


def _prefect_server() -> bool:
    """Whether a Prefect server is configured (environment or profile): runs then go through
    its deployment, to its workers."""
    from prefect.settings import PREFECT_API_URL

    return bool(PREFECT_API_URL.value())


def _alive(pid_file: Path) -> bool:
    """Whether the process recorded in ``pid_file`` still runs (no file yet: assume so)."""
    try:
        pid = int(pid_file.read_text(encoding="ascii"))
    except FileNotFoundError:
        return True
    except (OSError, ValueError):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, under another user
        return True
    return True


def _folder(row: PortalRunRow) -> Path:
    """A run's folder under uploads/: its intake, log and process id."""
    return Path(row.intake_path).parent


def _tail(row: PortalRunRow, lines: int = 12) -> str:
    """The end of a local run's log ("" before it has one)."""
    try:
        text = (_folder(row) / LOG).read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return ""
    return "\n".join(text.strip().splitlines()[-lines:])


def _prefect_state(flow_run_id: str) -> tuple[str, str] | None:
    from prefect.client.orchestration import get_client

    try:
        with get_client(sync_client=True) as client:
            state = client.read_flow_run(uuid.UUID(flow_run_id)).state
    except Exception:  # the server may be down: the page says what it last knew
        return None
    return None if state is None else (state.type.value, state.name or state.type.value)


def _remove(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
