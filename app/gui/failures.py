"""What the window says when something failed: never Python's words.

A failure the program knows (its own errors carry a Vietnamese message; a full disk, a read-only
folder, a pulled-out stick are said by ``app.storage.failures``) is said as it is. Anything else is a
bug: the person reads, in Vietnamese, what did not happen, that the saved data is intact and what to
do; the exception's type and frames go to ``khaosat-errors.log`` (never its message, which may quote
a record's values or be in English: ``app/logs.py``), and the message says so only when the log could
be written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app import logs
from app.gui.tasks import failure_message


def unexpected(doing: str, exc: BaseException, folder: Path | None = None) -> str:
    """``doing``: what did not happen, as the start of a sentence ("Chưa lưu được chỉ tiêu"). ``folder``:
    the data folder, when the log may not be set up yet (before the window opens)."""
    log = logs.record_now(f"unexpected {type(exc).__name__} shown in the window", exc, folder)
    text = (
        f"{doing}: chương trình gặp một lỗi không mong đợi. Dữ liệu đã lưu vẫn nguyên vẹn. Hãy thử lại; "
        "nếu vẫn không được, hãy báo cho người hỗ trợ."
    )
    if log is not None:
        return text + f"\nChi tiết kỹ thuật đã ghi vào tệp {log}; hãy gửi tệp này cho người hỗ trợ."
    return text + (
        "\nKhông ghi được chi tiết kỹ thuật vào tệp nhật ký lỗi (ổ đĩa có thể đã đầy hoặc chỉ cho đọc): "
        "hãy kể cho người hỗ trợ việc vừa làm."
    )


def explain(failure: Any, doing: str, folder: Path | None = None) -> str:
    """A task's failure (or an exception) that is not one of the caller's own errors: the disk's or the
    data file's plain message when it is one, else ``unexpected`` (logged in the folder of the task's
    data file unless ``folder`` is given)."""
    exc = getattr(failure, "exception", failure)
    db_path = getattr(failure, "db_path", None)
    known = failure_message(exc, db_path)
    if known is not None:
        return known
    return unexpected(doing, exc, folder or (Path(db_path).parent if db_path is not None else None))
