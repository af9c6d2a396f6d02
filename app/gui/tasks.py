"""Running core work off the GUI thread: reads, writes and long jobs.

Anki-style: every piece of database work is a function ``fn(store, ctx)`` (or ``fn(store)``) that
runs in a worker thread on a Store opened *in that thread* (a sqlite connection is never shared
between threads). The result comes back on the GUI thread through a queued signal.

- ``read(fn, on_done)``: any number run in parallel.
- ``write(fn, on_done)``: run one at a time, in submission order. When it returns, the runner
  looks at the change log for what the write changed and emits ``sig_data_changed`` with a
  ``ChangeSummary`` (entities and record ids); each view decides from it whether to refresh.
- ``run_with_progress(...)``: a write or read with a progress dialog and a Cancel button.

Work functions may take a second argument, a ``TaskContext``: ``ctx.progress(done, total, text)``
(throttled to about ten updates a second), ``ctx.cancelled`` and ``ctx.check()`` (raises
``Cancelled``). Exceptions are caught in the worker and reported (``on_error`` or the runner's
``sig_error``); a task always reports that it finished.
"""

from __future__ import annotations

import inspect
import itertools
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, QTimer, Signal
from PySide6.QtWidgets import QProgressDialog, QWidget

from app.storage.store import ChangeSummary, Store

PROGRESS_INTERVAL = 0.1  # seconds between progress reports (about ten a second)


class Cancelled(Exception):
    """Raised by ``TaskContext.check()`` when the user cancelled the task."""


@dataclass(frozen=True)
class TaskFailure:
    """What went wrong in a worker: the exception and its formatted traceback."""

    exception: BaseException
    traceback: str


class TaskContext:
    """Handed to work functions: progress reports and the cancel flag."""

    def __init__(self, emit_progress: Callable[[int, int, str], None]):
        self._emit = emit_progress
        self._cancel = threading.Event()
        self._last = 0.0

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def cancel(self) -> None:
        self._cancel.set()

    def check(self) -> None:
        if self._cancel.is_set():
            raise Cancelled()

    def progress(self, done: int, total: int, text: str = "") -> None:
        now = time.monotonic()
        if done >= total or now - self._last >= PROGRESS_INTERVAL:
            self._last = now
            self._emit(done, total, text)


class _Signals(QObject):
    progress = Signal(int, int, str)
    done = Signal(object)
    failed = Signal(object)
    finished = Signal()


class TaskHandle:
    """A submitted task: ``cancel()`` it; ``finished`` tells whether it reported back."""

    def __init__(self, task_id: int, ctx: TaskContext):
        self.id = task_id
        self.ctx = ctx
        self.finished = False
        self.result: Any = None
        self.failure: TaskFailure | None = None

    def cancel(self) -> None:
        self.ctx.cancel()


class _Runnable(QRunnable):
    def __init__(self, job: Callable[[], Any], signals: _Signals):
        super().__init__()
        self.setAutoDelete(True)
        self._job = job
        self._signals = signals

    def run(self) -> None:  # worker thread: touch no widget here
        try:
            result = self._job()
        except BaseException as exc:  # noqa: BLE001 - reported, never lost in the thread
            self._signals.failed.emit(TaskFailure(exc, traceback.format_exc()))
        else:
            self._signals.done.emit(result)
        finally:
            self._signals.finished.emit()


def _call(fn: Callable[..., Any], store: Store, ctx: TaskContext) -> Any:
    try:
        params = inspect.signature(fn).parameters
        wants_ctx = len(params) >= 2 or any(p.kind == p.VAR_POSITIONAL for p in params.values())
    except (TypeError, ValueError):
        wants_ctx = False
    return fn(store, ctx) if wants_ctx else fn(store)


class TaskRunner(QObject):
    """Submits work to worker threads; each task opens its own Store on ``db_path``."""

    sig_data_changed = Signal(object)  # ChangeSummary of a finished write
    sig_error = Signal(object)  # TaskFailure of a task that had no on_error
    sig_busy = Signal(bool)

    def __init__(self, db_path: str | Path, parent: QObject | None = None):
        super().__init__(parent)
        self.db_path = Path(db_path)
        self._reads = QThreadPool(self)
        self._reads.setMaxThreadCount(2)
        self._writes = QThreadPool(self)
        self._writes.setMaxThreadCount(1)  # writes one at a time, in order
        self._files = QThreadPool(self)
        self._files.setMaxThreadCount(1)  # file work (drafts, logs) in order too
        self._live: dict[int, tuple[_Signals, TaskHandle]] = {}
        self._ids = itertools.count(1)
        self._closed = False

    # --- public API ---------------------------------------------------------------------------

    def read(self, fn: Callable[..., Any], on_done: Callable[[Any], None] | None = None,
             on_error: Callable[[TaskFailure], None] | None = None,
             on_progress: Callable[[int, int, str], None] | None = None) -> TaskHandle:
        return self._submit(fn, on_done, on_error, on_progress, write=False)

    def write(self, fn: Callable[..., Any], on_done: Callable[[Any], None] | None = None,
              on_error: Callable[[TaskFailure], None] | None = None,
              on_progress: Callable[[int, int, str], None] | None = None) -> TaskHandle:
        return self._submit(fn, on_done, on_error, on_progress, write=True)

    def call(self, fn: Callable[[], Any], on_done: Callable[[Any], None] | None = None,
             on_error: Callable[[TaskFailure], None] | None = None) -> TaskHandle:
        """Run a function that needs no database (file work: drafts, logs) off the GUI thread.

        Such calls run one at a time in submission order (a draft written then removed stays removed).
        """
        return self._submit(lambda _store: fn(), on_done, on_error, None, write=False, needs_store=False)

    def run_with_progress(self, parent: QWidget | None, title: str, fn: Callable[..., Any],
                          on_done: Callable[[Any], None] | None = None,
                          on_error: Callable[[TaskFailure], None] | None = None,
                          *, write: bool = True, cancel_text: str = "Hủy") -> TaskHandle:
        """Run ``fn`` with a modal progress dialog that can cancel it (``ctx.check()`` in its loops)."""
        dialog = QProgressDialog(title, cancel_text, 0, 0, parent)
        dialog.setWindowTitle("KhaoSat")
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(300)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)

        def progress(done: int, total: int, text: str) -> None:
            dialog.setMaximum(max(total, 1))
            dialog.setValue(min(done, max(total, 1)))
            if text:
                dialog.setLabelText(text)

        def finish(callback: Callable[[Any], None] | None) -> Callable[[Any], None]:
            def inner(value: Any) -> None:
                dialog.close()
                dialog.deleteLater()
                if callback is not None:
                    callback(value)
                elif isinstance(value, TaskFailure):
                    self.sig_error.emit(value)
            return inner

        handle = self._submit(fn, finish(on_done), finish(on_error), progress, write=write)
        dialog.canceled.connect(handle.cancel)
        return handle

    def wait(self, msecs: int = 30000) -> bool:
        """Block until every task finished (shutdown and tests)."""
        return all(pool.waitForDone(msecs) for pool in (self._writes, self._reads, self._files))

    @property
    def active(self) -> int:
        return len(self._live)

    def shutdown(self, msecs: int = 15000) -> bool:
        """Cancel what runs, wait for it, and drop results that arrive later (their views are going)."""
        self.cancel_all()
        self._closed = True
        return self.wait(msecs)

    def cancel_all(self) -> None:
        for _signals, handle in list(self._live.values()):
            handle.cancel()

    # --- internals ----------------------------------------------------------------------------

    def _submit(self, fn: Callable[..., Any], on_done: Callable[[Any], None] | None,
                on_error: Callable[[TaskFailure], None] | None,
                on_progress: Callable[[int, int, str], None] | None, *, write: bool,
                needs_store: bool = True) -> TaskHandle:
        signals = _Signals()  # lives on the GUI thread: its slots run there
        ctx = TaskContext(signals.progress.emit)
        handle = TaskHandle(next(self._ids), ctx)
        db_path = self.db_path

        def job() -> Any:
            if not needs_store:
                return fn(None)
            store = Store(db_path, migrate_schema=False)
            try:
                if not write:
                    return _call(fn, store, ctx)
                before = store.conn.execute("SELECT coalesce(max(seq), 0) FROM changes").fetchone()[0]
                result = _call(fn, store, ctx)
                rows = store.conn.execute(
                    "SELECT entity, record_id FROM changes WHERE seq > ?", (before,)
                ).fetchall()
                summary = ChangeSummary(frozenset(r[0] for r in rows), frozenset(r[1] for r in rows), len(rows))
                return _WriteResult(result, summary)
            finally:
                store.close()

        def done(value: Any) -> None:
            if self._closed:
                return
            if isinstance(value, _WriteResult):
                handle.result = value.result
                if value.summary.count:
                    self.sig_data_changed.emit(value.summary)
                value = value.result
            else:
                handle.result = value
            if on_done is not None:
                on_done(value)

        def failed(failure: TaskFailure) -> None:
            handle.failure = failure
            if self._closed:
                return
            if on_error is not None:
                on_error(failure)
            elif not isinstance(failure.exception, Cancelled):
                self.sig_error.emit(failure)

        def finished() -> None:
            handle.finished = True
            self._live.pop(handle.id, None)
            signals.deleteLater()
            if not self._live:
                self.sig_busy.emit(False)

        signals.done.connect(done, Qt.ConnectionType.QueuedConnection)
        signals.failed.connect(failed, Qt.ConnectionType.QueuedConnection)
        signals.finished.connect(finished, Qt.ConnectionType.QueuedConnection)
        if on_progress is not None:
            signals.progress.connect(on_progress, Qt.ConnectionType.QueuedConnection)
        if not self._live:
            self.sig_busy.emit(True)
        self._live[handle.id] = (signals, handle)
        pool = self._writes if write else (self._reads if needs_store else self._files)
        pool.start(_Runnable(job, signals))
        return handle


@dataclass(frozen=True)
class _WriteResult:
    result: Any
    summary: ChangeSummary


def later(msecs: int, fn: Callable[[], None], parent: QObject) -> QTimer:
    """A single-shot timer owned by ``parent`` (cancelled when the parent goes)."""
    timer = QTimer(parent)
    timer.setSingleShot(True)
    timer.timeout.connect(fn)
    timer.start(msecs)
    return timer
