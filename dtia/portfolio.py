"""Re-assessing many stored transfers: dossiers of changed ones rendered in parallel.

Rendering a dossier takes seconds of one core; assessing and comparing take milliseconds.
So stale transfers are prepared one by one (nothing written), the new versions are queued,
and each full queue is rendered in worker processes and only then stored, version by
version with its dossier: an interrupted run leaves no version without its dossier, and
the next run finds the rest still stale. The queue bounds memory on a portfolio-wide
change (a new rules version makes every transfer stale at once).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from datetime import date
from types import TracebackType
from typing import Any

from dtia.assessment import Assessment
from dtia.errors import DtiaError
from dtia.intake import LoadedIntake
from dtia.lifeline import watch_parent
from dtia.register import NoticeRenderer, PendingReassessment, Register, Rendered, Renderer

log = logging.getLogger(__name__)


def default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


class Reassessor:
    """Feed it stale transfers with ``add``; ``flush`` (and leaving the ``with`` normally)
    stores what is still queued. Each call returns the results it completed, and
    ``results`` holds them all: dicts as ``Register.reassess`` returns them, or
    ``{"transfer_id", "reasons", "error"}`` for a transfer that could not be re-assessed
    (the others go on)."""

    def __init__(
        self,
        register: Register,
        *,
        as_of: date,
        render: Renderer | None,
        notice_renderer: NoticeRenderer | None = None,
        workers: int | None = None,
        queue_size: int | None = None,
    ) -> None:
        self.register = register
        self.as_of = as_of
        self.render = render
        self.notice_renderer = notice_renderer
        self.workers = max(1, workers or default_workers())
        self.queue_size = queue_size or 4 * self.workers
        self._queue: list[PendingReassessment] = []
        self.results: list[dict[str, Any]] = []
        self._pool: Executor | None = None

    def __enter__(self) -> Reassessor:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if kind is None:
                self.flush()
        finally:
            if self._pool is not None:
                # an interrupted run does not wait for renders nobody will store
                self._pool.shutdown(wait=kind is None, cancel_futures=kind is not None)

    def add(self, transfer_id: str, reasons: list[str]) -> list[dict[str, Any]]:
        """Prepare one stale transfer; returns the results this call completed."""
        try:
            pending = self.register.prepare_reassessment(
                transfer_id, as_of=self.as_of, reasons=reasons
            )
        except Exception as exc:  # one bad intake (or one bug) must not stop the portfolio
            return self._done([_failed(transfer_id, reasons, exc)])
        if pending.new and self.render is not None:
            self._queue.append(pending)
            return self.flush() if len(self._queue) >= self.queue_size else []
        return self._done([self._commit(pending, None)])

    def flush(self) -> list[dict[str, Any]]:
        """Render every queued dossier and store each version with it."""
        queue, self._queue = self._queue, []
        if not queue or self.render is None:
            return []
        dossiers = self._render_all(self.render, queue)
        return self._done([self._commit(p, d) for p, d in zip(queue, dossiers, strict=True)])

    def _done(self, results: list[dict[str, Any]]) -> list[dict[str, Any]]:
        self.results += results
        return results

    def _render_all(
        self, render: Renderer, queue: list[PendingReassessment]
    ) -> list[Rendered | Exception]:
        if self.workers == 1 or len(queue) == 1:
            return [_guarded(render, p.loaded, p.assessment, p.files) for p in queue]
        if self._pool is None:
            # spawn, not fork: the parent may run threads (an API client, a database pool);
            # each worker exits when this process ends, even killed, instead of rendering on
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=watch_parent,
                initargs=(os.getpid(),),
            )
        futures = [
            self._pool.submit(_guarded, render, p.loaded, p.assessment, p.files) for p in queue
        ]
        return [_outcome(f) for f in futures]

    def _commit(
        self, pending: PendingReassessment, dossier: Rendered | Exception | None
    ) -> dict[str, Any]:
        if isinstance(dossier, Exception):
            return {
                "transfer_id": pending.transfer_id,
                "reasons": pending.reasons,
                "error": f"dossier not rendered: {dossier}",
            }
        try:
            return self.register.commit_reassessment(
                pending, dossier=dossier, notice_renderer=self.notice_renderer
            )
        except Exception as exc:  # stored nothing for this transfer; the others go on
            return _failed(pending.transfer_id, pending.reasons, exc)


def _failed(transfer_id: str, reasons: list[str], exc: Exception) -> dict[str, Any]:
    """The result of a transfer that could not be re-assessed: its reason, for the run's
    results and its artifact. A transfer stays stale, so the next run tries it again."""
    if isinstance(exc, DtiaError):
        message = str(exc)
    else:  # a bug: the traceback goes to the log, the transfer's row says what happened
        log.error("re-assessing %s failed unexpectedly", transfer_id, exc_info=exc)
        message = f"internal error ({type(exc).__name__}: {exc}); please report it"
    return {"transfer_id": transfer_id, "reasons": reasons, "error": message}


def _outcome(future: Future[Rendered | Exception]) -> Rendered | Exception:
    try:
        return future.result()
    except Exception as exc:  # a worker that died (or an unpicklable error): this one only
        return DtiaError(f"the rendering process failed ({type(exc).__name__}: {exc})")


def _guarded(
    render: Renderer, loaded: LoadedIntake, assessment: Assessment, files: dict[str, bytes]
) -> Rendered | Exception:
    try:
        return render(loaded, assessment, files)
    except DtiaError as exc:  # stored as that transfer's error; the batch goes on
        return DtiaError(str(exc))
    except Exception as exc:  # as above, and said to be a bug (the worker's log has it)
        log.error("rendering the dossier of %s failed", loaded.intake.transfer.id, exc_info=exc)
        return DtiaError(f"internal error ({type(exc).__name__}: {exc}); please report it")
