"""Running core work off the GUI thread: reads, writes and long jobs.

Anki-style: every piece of database work is a function ``fn(store, ctx)`` (or ``fn(store)``) that
runs in a worker thread on a Store opened *in that thread* (a sqlite connection is never shared
between threads). The result comes back on the GUI thread through a queued signal.

- ``read(fn, on_done)``: any number run in parallel.
- ``write(fn, on_done)``: run one at a time, in submission order. A write returns what it changed
  (Anki's ``CollectionOp`` and ``OpChanges``): a ``ChangeSummary``, or a result that carries one
  (``Saved`` from the services, a list import's or a bundle import's result, a list of them; see
  ``app.storage.changes.changes_of``). When the task returns, the runner emits ``sig_data_changed``
  with that summary, and each view decides from it whether to refresh; ``on_done`` gets the result as
  returned. Nothing reads the change log to find out. A write that changes no records (a setting, the
  keys, the registry) returns what it likes and says nothing. The task's Store only counts the
  transactions that wrote records (``Store.writes_committed``), so that two cases stay safe: a task
  whose result says nothing although it wrote records, and a task that fails after writing some
  (stopped between two bundles), refresh everything, since what they wrote was never returned.
- ``run_with_progress(...)``: a write or read with a progress dialog and a Cancel button.
- ``lock()`` / ``unlock(key)``: while the program is locked, new tasks wait; once the running ones
  have finished every connection is closed and the runner forgets the data key (the idle lock,
  app/gui/protection.py). ``unlock(key)`` starts what waited.
- ``close(on_closed)``: the same for good, when the program closes, and without blocking: what runs
  is cancelled (a read's query interrupted, a long job stopped at its next ``ctx.check()``, a write
  left to commit or roll back), nothing new starts, and ``on_closed`` comes once the last task has
  reported back (app/gui/closing.py shows what it waits for). ``shutdown(msecs)`` blocks: only when
  nothing is expected to run.

Work functions may take a second argument, a ``TaskContext``: ``ctx.progress(done, total, text)``
(throttled to about ten updates a second), ``ctx.cancelled`` and ``ctx.check()`` (raises
``Cancelled``). Exceptions are caught in the worker and reported (``on_error`` or the runner's
``sig_error``); a task always reports that it finished.
"""

from __future__ import annotations

import inspect
import itertools
import logging
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, QTimer, Signal
from PySide6.QtWidgets import QProgressDialog, QWidget

from app.storage.changes import ChangeSummary, changes_of
from app.storage.store import Store, is_interrupted

if TYPE_CHECKING:
    from app.security.datakey import DataKey

_log = logging.getLogger(__name__)  # app/logs.py: types and frames only, never a message

PROGRESS_INTERVAL = 0.1  # seconds between progress reports (about ten a second)

# Page cache of each reader connection (they stay open, so the pages they read stay decrypted in it).
# Measured at 100,000 enterprises (docs/performance.md, "Encryption at rest"): the searches of the
# benchmark touch about 8,500 pages (33 MB); with 16 MB every round read some 10,500 pages from the
# file again, each one decrypted and its HMAC checked (about 8 µs a page, against 1 µs for a plain
# page from the OS cache); with 48 MB and more, none after the first round. SQLite takes the memory
# only as pages are read, so a small file costs no more.
READER_CACHE_MB = 64


class Cancelled(Exception):
    """Raised by ``TaskContext.check()`` when the user cancelled the task."""


@dataclass(frozen=True)
class TaskFailure:
    """What went wrong in a worker: the exception and its formatted traceback."""

    exception: BaseException
    traceback: str
    db_path: Path | None = None  # the data file the task worked on

    @property
    def message(self) -> str | None:
        """The plain Vietnamese message when the failure is the disk's or the data file's (full,
        read-only, removed, busy, damaged) or a known storage error; None for a real bug."""
        return failure_message(self.exception, self.db_path)


def failure_message(exc: BaseException, db_path: Path | None = None) -> str | None:
    """``TaskFailure.message`` for any exception: what happened, that the data is intact, what to do."""
    from app.storage.failures import describe

    return describe(exc, db_path)


class TaskContext:
    """Handed to work functions: progress reports and the cancel flag."""

    def __init__(self, emit_progress: Callable[[int, int, str], None]):
        self._emit = emit_progress
        self._cancel = threading.Event()
        self._last = 0.0
        self._interrupt: Callable[[], None] | None = None

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def cancel(self) -> None:
        self._cancel.set()
        interrupt = self._interrupt
        if interrupt is not None:
            interrupt()  # Store.interrupt() may be called from any thread

    def check(self) -> None:
        if self._cancel.is_set():
            raise Cancelled()

    def report(self, done: int, total: int, text: str = "") -> None:
        """Unthrottled: for work that reports only what changed."""
        self._emit(done, total, text)

    def progress(self, done: int, total: int, text: str = "") -> None:
        now = time.monotonic()
        if done >= total or now - self._last >= PROGRESS_INTERVAL:
            self._last = now
            self._emit(done, total, text)


class _Relay(QObject):
    """Carries task events from workers to the GUI thread as plain integers and text.

    No Python object crosses threads inside a signal: with PySide6 6.12 on Python 3.11, queued
    ``Signal(object)`` emissions from worker threads corrupted the reference counts of None, True and
    False ("Fatal Python error: none_dealloc" after a few thousand tasks). Results wait in
    ``TaskRunner._results`` (under a lock) and the signal carries only the task's number.
    """

    finished = Signal(int)  # task id
    progress = Signal(int, int, int, str)  # task id, done, total, text


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
    def __init__(self, task_id: int, job: Callable[[], Any], runner: TaskRunner):
        super().__init__()
        self.setAutoDelete(False)  # the runner drops it on the GUI thread once finished
        self._id = task_id
        self.task_id = task_id
        self._job = job
        self._runner = runner
        self._relay = runner._relay

    def run(self) -> None:  # worker thread: touch no widget here
        try:
            outcome: tuple[str, Any] = ("ok", self._job())
        except BaseException as exc:  # noqa: BLE001 - reported, never lost in the thread
            outcome = ("error", TaskFailure(exc, traceback.format_exc(), self._runner.db_path))
        with self._runner._lock:
            self._runner._results[self._id] = outcome
        self._relay.finished.emit(self._id)  # always: a task always reports back


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

    def __init__(self, db_path: str | Path, key: DataKey | None, parent: QObject | None = None):
        super().__init__(parent)
        self.db_path = Path(db_path)
        self.key = key  # the unlocked data key: every worker opens its own connection with it
        self._reads = QThreadPool(self)
        self._reads.setMaxThreadCount(2)
        # Read threads keep their connection (and its warm page cache) between tasks: a new
        # connection per keystroke search cost more than the search itself on a 100k-row file.
        self._reads.setExpiryTimeout(-1)
        self._read_stores: dict[int, Store] = {}  # worker thread id -> its Store
        self._writes = QThreadPool(self)
        self._writes.setMaxThreadCount(1)  # writes one at a time, in order
        self._files = QThreadPool(self)
        self._files.setMaxThreadCount(1)  # file work (drafts, logs) in order too
        self._live: dict[int, _Task] = {}
        self._ids = itertools.count(1)
        self._closed = False
        self._locked = False  # tasks submitted now wait in _held for unlock()
        self._held: list[tuple[QThreadPool, _Runnable]] = []
        self._started: set[int] = set()  # ids of tasks handed to a pool that have not reported back
        self._on_released: Callable[[], None] | None = None
        self._on_waiting: Callable[[list[str]], None] | None = None  # close(): told what still runs
        self._lock = threading.Lock()
        self._results: dict[int, tuple[str, Any]] = {}
        self._relay = _Relay(self)
        self._relay.finished.connect(self._finished, Qt.ConnectionType.QueuedConnection)
        self._relay.progress.connect(self._progress, Qt.ConnectionType.QueuedConnection)

    # --- public API ---------------------------------------------------------------------------

    def read(
        self,
        fn: Callable[..., Any],
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[TaskFailure], None] | None = None,
        on_progress: Callable[[int, int, str], None] | None = None,
        *,
        what: str = "",
    ) -> TaskHandle:
        return self._submit(fn, on_done, on_error, on_progress, write=False, what=what)

    def write(
        self,
        fn: Callable[..., Any],
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[TaskFailure], None] | None = None,
        on_progress: Callable[[int, int, str], None] | None = None,
        *,
        what: str = "",
    ) -> TaskHandle:
        """``what``: what the write does, for a person («nhập gói dữ liệu»), told if the window is closed
        while it runs (``close``); by default «lưu dữ liệu»."""
        return self._submit(fn, on_done, on_error, on_progress, write=True, what=what)

    def call(
        self,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[TaskFailure], None] | None = None,
    ) -> TaskHandle:
        """Run a function that needs no database (file work: drafts, logs) off the GUI thread.

        Such calls run one at a time in submission order (a draft written then removed stays removed).
        """
        return self._submit(lambda _store: fn(), on_done, on_error, None, write=False, needs_store=False)

    def call_reporting(
        self,
        fn: Callable[[Callable[[int, int, str], None]], Any],
        on_done: Callable[[Any], None] | None,
        on_error: Callable[[TaskFailure], None] | None,
        on_progress: Callable[[int, int, str], None],
    ) -> TaskHandle:
        """As ``call``, for work that says how far it went: ``fn(report)`` calls ``report(done, total, text)``
        from its thread (``total`` 0: no fraction) and ``on_progress`` gets each on the GUI thread, in order,
        none dropped (the work reports only what changed: a step, a whole percent)."""
        return self._submit(
            lambda _store, ctx: fn(ctx.report), on_done, on_error, on_progress, write=False, needs_store=False
        )

    def run_with_progress(
        self,
        parent: QWidget | None,
        title: str,
        fn: Callable[..., Any],
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[TaskFailure], None] | None = None,
        *,
        write: bool = True,
        cancel_text: str = "Hủy",
    ) -> TaskHandle:
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

        handle = self._submit(fn, finish(on_done), finish(on_error), progress, write=write, what=doing(title))
        dialog.canceled.connect(handle.cancel)
        return handle

    def wait(self, msecs: int = 30000) -> bool:
        """Block until every task finished (shutdown and tests)."""
        return all(pool.waitForDone(msecs) for pool in (self._writes, self._reads, self._files))

    @property
    def active(self) -> int:
        return len(self._live)

    def shutdown(self, msecs: int = 15000) -> bool:
        """Cancel what runs, wait for it, and drop results that arrive later (their views are going).

        Blocks the calling thread: only for when nothing is expected to run (the restore refuses to start
        while a task runs) and for tests. The window closes with ``close``, which never blocks.
        """
        self.cancel_all()
        self._closed = True
        done = self.wait(msecs)
        if done:
            with self._lock:
                stores, self._read_stores = list(self._read_stores.values()), {}
            # Dropping the last reference closes each connection (sqlite3 allows that from any
            # thread; only Connection.close() insists on its own thread).
            del stores
        return done

    def close(
        self, on_closed: Callable[[], None], on_waiting: Callable[[list[str]], None] | None = None
    ) -> bool:
        """Close without blocking: cancel what runs, hold what is submitted from now on, and once the
        running tasks have reported back close every connection and forget the key (as ``lock``).

        Returns True when that was done at once (nothing ran; ``on_closed`` is not called). Otherwise
        returns False and calls ``on_closed`` on the GUI thread once the last running task has finished:
        the event loop goes on meanwhile. ``on_waiting(running())`` is called now and each time a task
        finishes while others still run, so the window can say what it waits for.

        Cancelling is what each task allows: a read's query is interrupted (``Store.interrupt``); a long
        job stops at its next ``ctx.check()`` (an import of bundles between two files); a write that is
        not cancellable (a save) runs to its commit. A write is never abandoned: it reports back only
        after its transaction committed or rolled back and its connection closed (``_submit``), so
        ``on_closed`` never comes while a worker is inside a write. Results that arrive meanwhile are
        dropped (their views are going). Calling ``close`` again while it waits only replaces the
        callbacks.
        """
        self.cancel_all()
        self._closed = True
        self._locked = True  # as lock(): new tasks wait, and never start
        self._on_released = None
        self._release_if_idle()
        if self.released:
            return True
        self._on_released = on_closed
        self._on_waiting = on_waiting
        if on_waiting is not None:
            on_waiting(self.running())
        return False

    @property
    def closing(self) -> bool:
        """``close`` was called: no task starts any more."""
        return self._closed and self._locked

    def running(self) -> list[str]:
        """What the started tasks are doing, for a person, each once in the order they started: a
        progress dialog's title without its «Đang …» («nhập gói dữ liệu»), a write's ``what`` (by default
        «lưu dữ liệu»). A read without a name is left out: cancelling interrupts its query, it ends at once.
        """
        named: list[str] = []
        for task_id, task in self._live.items():
            if task_id in self._started and task.what and task.what not in named:
                named.append(task.what)
        return named

    @property
    def locked(self) -> bool:
        return self._locked

    @property
    def released(self) -> bool:
        """Locked, every connection closed and the key forgotten."""
        return self._locked and self.key is None

    def lock(self, on_released: Callable[[], None] | None = None) -> None:
        """Hold new tasks; once the running ones have finished, close every connection and forget the key.

        ``on_released`` is called (on the GUI thread) when that is done: at once if nothing runs.
        """
        self._locked = True
        self._on_released = on_released
        self._release_if_idle()

    def unlock(self, key: DataKey | None) -> None:
        """The key again (after the passphrase was asked): the tasks that waited start now."""
        self.key = key
        self._locked = False
        self._on_released = None
        held, self._held = self._held, []
        for pool, runnable in held:
            self._started.add(runnable.task_id)
            pool.start(runnable)

    def _release_if_idle(self) -> None:
        if not self._locked or self._started:
            return
        with self._lock:
            stores, self._read_stores = list(self._read_stores.values()), {}
        # as in shutdown(): dropping the last reference closes each connection (SQLCipher wipes its
        # copy of the key when a connection closes)
        del stores
        self.key = None
        self._on_waiting = None
        callback, self._on_released = self._on_released, None
        if callback is not None:
            callback()

    def cancel_all(self) -> None:
        for task in list(self._live.values()):
            task.handle.cancel()

    # --- internals ----------------------------------------------------------------------------

    def _submit(
        self,
        fn: Callable[..., Any],
        on_done: Callable[[Any], None] | None,
        on_error: Callable[[TaskFailure], None] | None,
        on_progress: Callable[[int, int, str], None] | None,
        *,
        write: bool,
        needs_store: bool = True,
        what: str = "",
    ) -> TaskHandle:
        task_id = next(self._ids)
        relay = self._relay
        ctx = TaskContext(lambda done, total, text: relay.progress.emit(task_id, done, total, text))
        handle = TaskHandle(task_id, ctx)
        db_path = self.db_path

        def job() -> Any:
            if not needs_store:
                return fn(None, ctx) if on_progress is not None else fn(None)
            if not write:
                store = self._read_store()
                ctx._interrupt = store.interrupt  # cancel() stops a long query at once
                try:
                    ctx.check()
                    return _call(fn, store, ctx)
                except Exception as exc:
                    if ctx.cancelled and is_interrupted(exc):
                        raise Cancelled() from exc
                    raise
                finally:
                    ctx._interrupt = None
            store = Store(db_path, self.key, migrate_schema=False)
            try:
                try:
                    result = _call(fn, store, ctx)
                except BaseException as exc:  # noqa: BLE001 - reported; what it committed is refreshed
                    failure = TaskFailure(exc, traceback.format_exc())
                    wrote = ChangeSummary.all() if store.writes_committed else ChangeSummary()
                    return _WriteResult(None, wrote, failure)
                # what the write returned says what it changed (Anki's OpChanges)
                said = changes_of(result)
                if said is not None:
                    return _WriteResult(result, said)
                # records written by a function that does not return what it changed (none of the
                # services' or app/sync's, tests/test_architecture.py): anything may have changed
                return _WriteResult(
                    result, ChangeSummary.all() if store.writes_committed else ChangeSummary()
                )
            finally:
                store.close()

        runnable = _Runnable(task_id, job, self)
        if not self._live:
            self.sig_busy.emit(True)
        self._live[task_id] = _Task(
            handle, runnable, on_done, on_error, on_progress, what or ("lưu dữ liệu" if write else "")
        )
        pool = self._writes if write else (self._reads if needs_store else self._files)
        if self._locked:  # waits for unlock(): no connection is opened while the key is gone
            self._held.append((pool, runnable))
        else:
            self._started.add(task_id)
            pool.start(runnable)
        return handle

    def _read_store(self) -> Store:
        """This worker thread's own read connection (opened on first use, closed with the thread)."""
        key = threading.get_ident()
        with self._lock:
            store = self._read_stores.get(key)
        if store is None:
            store = Store(self.db_path, self.key, migrate_schema=False)
            store.set_cache_size(READER_CACHE_MB)
            with self._lock:
                self._read_stores[key] = store
        return store

    def _progress(self, task_id: int, done: int, total: int, text: str) -> None:
        task = self._live.get(task_id)
        if task is not None and task.on_progress is not None and not self._closed:
            task.on_progress(done, total, text)

    def _finished(self, task_id: int) -> None:
        task = self._live.pop(task_id, None)
        self._started.discard(task_id)
        with self._lock:
            kind, value = self._results.pop(task_id, ("error", TaskFailure(RuntimeError("lost"), "")))
        if task is None:
            return
        handle = task.handle
        handle.finished = True
        try:
            if kind == "ok" and isinstance(value, _WriteResult):
                if value.summary and not self._closed:
                    self.sig_data_changed.emit(value.summary)
                if value.failure is not None:
                    kind, value = "error", value.failure
                else:
                    value = value.result
            if kind == "ok":
                handle.result = value
                if task.on_done is not None and not self._closed:
                    task.on_done(value)
            else:
                handle.failure = value
                if self._closed:  # nobody to tell any more: what failed goes to the error log
                    if not isinstance(value.exception, Cancelled):
                        exc = value.exception
                        _log.error(
                            "a task failed while the program closed",
                            exc_info=(type(exc), exc, exc.__traceback__),
                        )
                    return
                if task.on_error is not None:
                    task.on_error(value)
                elif not isinstance(value.exception, Cancelled):
                    self.sig_error.emit(value)
        finally:
            if not self._live:
                self.sig_busy.emit(False)
            if self._on_waiting is not None and self._started:
                self._on_waiting(self.running())
            self._release_if_idle()


@dataclass
class _Task:
    handle: TaskHandle
    runnable: _Runnable  # kept alive until its result is handled on the GUI thread
    on_done: Callable[[Any], None] | None
    on_error: Callable[[TaskFailure], None] | None
    on_progress: Callable[[int, int, str], None] | None
    what: str = ""  # what it does, for a person (``TaskRunner.running``)


def doing(title: str) -> str:
    """«Đang nhập gói dữ liệu…» -> «nhập gói dữ liệu»: a progress title as the name of the work."""
    return title.strip().removeprefix("Đang ").rstrip(".…").strip()


@dataclass(frozen=True)
class _WriteResult:
    result: Any
    summary: ChangeSummary  # what the result said it changed; everything if it wrote records and said nothing
    failure: TaskFailure | None = None  # the task failed (perhaps after committing some writes)


def later(msecs: int, fn: Callable[[], None], parent: QObject) -> QTimer:
    """A single-shot timer owned by ``parent`` (cancelled when the parent goes)."""
    timer = QTimer(parent)
    timer.setSingleShot(True)
    timer.timeout.connect(fn)
    timer.start(msecs)
    return timer
