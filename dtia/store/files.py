"""Content-addressed files in the data folder: dossiers, recipients' evidence, intake files.

A file is named by its SHA-256 (``<sha[:2]>/<sha><suffix>``) and found again only by it:
nothing a user types becomes a path here. Writing is atomic (a temporary file in the same
folder, flushed to disk, then renamed), and a failed write leaves no temporary file behind.
Files are written *before* the transaction that references them, so a row never names a
file that is not there; a file left without a row (the transaction failed) is harmless.

    StoreError (dtia.store.db)
    └── FileStoreError             a file of the data folder cannot be written or read
        └── DiskFull               the disk of the data folder is full
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import tempfile
from pathlib import Path

from dtia.store.db import StoreError

# Under DTIA_DATA_DIR.
DOSSIERS = "dossiers"
EVIDENCE = "evidence"  # PDFs recipients uploaded with their questionnaire answers
INTAKE_FILES = "files"  # copies of the files intakes name, so any version renders again
FILING_DOCUMENTS = "filing"  # receipts and letters that came with filing events

_SHA256 = re.compile(r"[0-9a-f]{64}")


class FileStoreError(StoreError):
    """A file of the data folder cannot be written or read."""


class DiskFull(FileStoreError):
    """The disk that holds the data folder has no space left."""


class Blobs:
    """One folder of content-addressed files."""

    def __init__(self, folder: Path, suffix: str = "", *, what: str = "file") -> None:
        self.folder = folder
        self.suffix = suffix
        self.what = what  # for messages: "dossier PDF", "evidence file", ...

    def path(self, sha256: str) -> Path:
        if not _SHA256.fullmatch(sha256):
            raise ValueError(f"not a SHA-256: {sha256!r}")
        return self.folder / sha256[:2] / f"{sha256}{self.suffix}"

    def put(self, data: bytes) -> str:
        """Keep ``data`` (once); returns its SHA-256."""
        sha = hashlib.sha256(data).hexdigest()
        target = self.path(sha)
        if self.get(sha) is not None:
            return sha
        tmp: str | None = None
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{sha[:12]}.", suffix=".tmp")
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, target)
            tmp = None
            _fsync_dir(target.parent)
        except OSError as exc:
            raise self._error(exc) from None
        finally:
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)
        return sha

    def get(self, sha256: str) -> bytes | None:
        """The file with this SHA-256, or None when it is not here (or not intact)."""
        try:
            data = self.path(sha256).read_bytes()
        except (OSError, ValueError):
            return None
        return data if hashlib.sha256(data).hexdigest() == sha256 else None

    def _error(self, exc: OSError) -> FileStoreError:
        # Never the server's paths in the message: the data folder is named, not spelled out.
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return DiskFull(
                f"the disk of the data folder is full: the {self.what} could not be written, "
                "and nothing that refers to it was stored; free some space and try again"
            )
        return FileStoreError(
            f"the {self.what} could not be written in the data folder: "
            f"{exc.strerror or type(exc).__name__}"
        )


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable (POSIX); a best effort where folders cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
