"""One logging setup for the whole program: stdlib ``logging`` into ``khaosat-errors.log`` in the data folder.

The log is for the people who support the program, and it may travel (a user sends it by e-mail), so
it must never hold a record's values: names, owners, tax codes, Party membership. Exception messages
often carry values (a validation message quotes the name typed, an SQL error the value that clashed),
so the formatter writes an exception's *type* and *where* it happened (file, line, function) and never
its message (nor the source lines, which a developer has and which could hold a literal). Our own log calls pass fixed text and counts only.

Records go through a queue to a writer thread (``QueueListener``), so logging from the GUI thread does
no file work there. The file rotates at 1 MB, keeping three old ones.
"""

from __future__ import annotations

import atexit
import logging
import logging.handlers
import os
import queue
import threading
import traceback
from pathlib import Path
from types import TracebackType

LOG_FILE = "khaosat-errors.log"
LOGGER = "app"  # every module logs to logging.getLogger(__name__), under "app"

_lock = threading.Lock()
_listener: logging.handlers.QueueListener | None = None
_path: Path | None = None
_failed_writes = 0


class _LogFile(logging.handlers.RotatingFileHandler):
    """The log file. A write that fails (a full disk, a read-only folder, a stick pulled out, a file name
    that is not valid Unicode) is counted, never printed: logging's default prints "--- Logging error ---"
    and a traceback to the console, in the middle of the message a person reads."""

    def handleError(self, record: logging.LogRecord) -> None:
        global _failed_writes
        _failed_writes += 1

    def flush(self) -> None:
        try:
            super().flush()
        except OSError:  # the buffered end of the last line, on a disk that filled up
            self.handleError(None)  # type: ignore[arg-type]

    def close(self) -> None:
        try:
            super().close()
        except OSError:
            self.handleError(None)  # type: ignore[arg-type]
            self.stream = None  # (closed by the failed close all the same)


def failed_writes() -> int:
    """How many records could not be written to the log so far (compare before and after ``flush``)."""
    return _failed_writes


def log_path(data_dir: str | os.PathLike[str]) -> Path:
    return Path(data_dir) / LOG_FILE


class NoValuesFormatter(logging.Formatter):
    """Time, level, the fixed message; for an exception its chain of types and frames, never its text."""

    def formatException(self, ei) -> str:
        exc_type, exc, tb = ei
        return describe(exc_type, exc, tb)


def describe(
    exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
) -> str:
    """An exception chain as types and frames, without messages (which may quote record values)."""
    lines: list[str] = []
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        frames = traceback.extract_tb(tb if tb is not None else exc.__traceback__)
        part = ["Traceback (most recent call last):"]
        part += [f'  File "{f.filename}", line {f.lineno}, in {f.name}' for f in frames]
        part.append(f"{type(exc).__module__}.{type(exc).__qualname__} (nội dung lỗi không ghi vào nhật ký)")
        lines[:0] = [*part, ""]
        cause = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
        exc, tb = cause, None
    if not lines and exc_type is not None:
        lines.append(f"{exc_type.__module__}.{exc_type.__qualname__}")
    return "\n".join(lines).rstrip()


def setup(data_dir: str | os.PathLike[str]) -> logging.Logger:
    """Send the ``app`` logger to the data folder's log (idempotent; a new folder replaces the old)."""
    global _listener, _path
    path = log_path(data_dir)
    logger = logging.getLogger(LOGGER)
    with _lock:
        if _listener is not None and _path == path:
            return logger
        _stop_locked()
        handler = _LogFile(path, maxBytes=1_000_000, backupCount=3, encoding="utf-8", delay=True)
        handler.setFormatter(NoValuesFormatter("[%(asctime)s] %(levelname)s %(name)s: %(message)s"))
        q: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
        for h in list(logger.handlers):
            logger.removeHandler(h)
        logger.addHandler(_QueueHandler(q))
        logger.setLevel(logging.INFO)
        logger.propagate = False
        _listener = logging.handlers.QueueListener(q, handler)
        _listener.start()
        _path = path
    return logger


class _QueueHandler(logging.handlers.QueueHandler):
    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        # Format the exception here (the writer thread gets a plain record), with our formatter.
        if record.exc_info:
            record.exc_text = describe(*record.exc_info)
            record.exc_info = None
        record.msg = record.getMessage()
        record.args = None
        return record


def flush() -> None:
    """Write out what is queued (before the process exits)."""
    with _lock:
        _stop_locked()


def _stop_locked() -> None:
    global _listener, _path
    if _listener is not None:
        listener, _listener, _path = _listener, None, None
        listener.stop()
        for h in listener.handlers:
            h.close()


def record_now(what: str, exc: BaseException, folder: str | os.PathLike[str] | None = None) -> Path | None:
    """Log an exception (``what``: fixed text) and wait until the writer has tried to put it on disk.

    For a message a person reads at once (the window's unexpected failures): it may say that the
    details are in the log only when they are. Returns the log's path when it took the record; None
    when it could not be written (a full disk, a read-only folder: the write failed and was counted) or
    no log is set up. ``folder``: the data folder whose log to use, by default the one set up."""
    with _lock:
        path = log_path(folder) if folder is not None else _path
    if path is None:
        return None
    failed = failed_writes()
    setup(path.parent)
    get("gui").error("%s", what, exc_info=exc)
    flush()  # the writer thread writes what is queued and stops...
    setup(path.parent)  # ...and a new one takes what comes next
    return path if failed_writes() == failed else None


def get(name: str = "") -> logging.Logger:
    return logging.getLogger(f"{LOGGER}.{name}" if name else LOGGER)


atexit.register(flush)
