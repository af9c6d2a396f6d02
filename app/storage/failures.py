"""Why the database or a file could not be used, said plainly: what happened, whether the data is
intact, and what to do.

SQLite reports a full disk, a read-only folder, a pulled-out stick, a busy file and a damaged file
each in its own way (``sqlite_errorname`` on Python 3.11+, and its English message); the operating
system reports full, read-only and missing drives as OSError. ``describe`` turns any of them into one
Vietnamese message for the command line and the window. Only a file SQLite itself finds malformed is
ever called damaged: a healthy file on a full disk is never said to be broken.

SQLite keeps a transaction all or nothing, so a failed write leaves what was saved before intact;
the messages say so.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from app.fileio import disk_cause, os_error_message

# causes, in the order they are recognised
FULL = "full"
READ_ONLY = "read_only"
BUSY = "busy"
CANT_OPEN = "cant_open"
IO = "io"
NOT_A_DATABASE = "not_a_database"
CORRUPT = "corrupt"

_BY_NAME = (
    ("SQLITE_FULL", FULL),
    ("SQLITE_READONLY", READ_ONLY),
    ("SQLITE_BUSY", BUSY),
    ("SQLITE_LOCKED", BUSY),
    ("SQLITE_CANTOPEN", CANT_OPEN),
    ("SQLITE_IOERR", IO),
    ("SQLITE_NOTADB", NOT_A_DATABASE),
    ("SQLITE_CORRUPT", CORRUPT),
)
_BY_TEXT = (
    ("database or disk is full", FULL),
    ("readonly database", READ_ONLY),
    ("read-only", READ_ONLY),
    ("database is locked", BUSY),
    ("database table is locked", BUSY),
    ("unable to open database", CANT_OPEN),
    ("disk i/o error", IO),
    ("file is not a database", NOT_A_DATABASE),
    ("file is encrypted or is not a database", NOT_A_DATABASE),
    ("malformed", CORRUPT),
)
_LOW_SPACE = 2 * 1024 * 1024  # below this, an I/O error or a file that cannot be opened is a full disk

INTACT = "Dữ liệu đã lưu trước đó vẫn nguyên vẹn; việc vừa làm chưa được ghi."


def sqlite_cause(exc: BaseException) -> str | None:
    """The cause of a SQLite error (sqlite3 or a compatible driver), or None if it is not one."""
    name = getattr(exc, "sqlite_errorname", None) or ""
    for prefix, cause in _BY_NAME:
        if name.startswith(prefix):
            return cause
    if not any(c.__name__ in ("DatabaseError", "OperationalError", "Error") for c in type(exc).__mro__):
        return None
    text = str(exc).lower()
    for fragment, cause in _BY_TEXT:
        if fragment in text:
            return cause
    return None


def _low_on_space(path: Path | None) -> bool:
    folder = path.parent if path is not None else None
    while folder is not None and not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if folder is None:
        return False
    try:
        return shutil.disk_usage(folder).free < _LOW_SPACE
    except OSError:
        return False


def _read_only(path: Path | None) -> bool:
    """Whether the folder of ``path`` cannot be written (a read-only drive, or no permission)."""
    folder = path.parent if path is not None else None
    if folder is None or not folder.is_dir():
        return False
    try:
        if hasattr(os, "statvfs") and os.statvfs(folder).f_flag & os.ST_RDONLY:
            return True
    except OSError:
        pass
    return not os.access(folder, os.W_OK)


def database_message(
    exc: BaseException, path: str | os.PathLike[str] | None = None, *, opening: bool = False
) -> str | None:
    """The Vietnamese message for a SQLite error on the data file at ``path``, or None if ``exc`` is
    not a SQLite error we can explain. ``opening``: the error came while opening the file."""
    cause = sqlite_cause(exc)
    if cause is None:
        return None
    file = Path(path) if path is not None else None
    where = f" ({file.parent})" if file is not None else ""
    name = f"tệp dữ liệu {file}" if file is not None else "tệp dữ liệu"
    if cause in (IO, CANT_OPEN, READ_ONLY) and _low_on_space(file):
        cause = FULL  # SQLite says "disk I/O error" when the -shm or -wal file cannot grow
    elif cause in (IO, CANT_OPEN) and _read_only(file):
        cause = READ_ONLY  # the -wal and -shm files beside the data file cannot be made
    opened = f"Không mở được {name}: " if opening else ""
    intact = "Tệp dữ liệu không bị thay đổi." if opening else INTACT
    if cause == FULL:
        if opening:
            return (
                f"Không mở được {name} vì ổ đĩa chứa nó{where} đã đầy: KhaoSat cần một ít chỗ trống để mở tệp "
                "an toàn. Tệp dữ liệu không bị hỏng. Hãy xóa bớt tệp không cần trên ổ đĩa này (ví dụ trong thư "
                "mục Tải về, Thùng rác) rồi mở lại."
            )
        return (
            f"Ổ đĩa chứa dữ liệu{where} đã đầy nên không ghi được. {INTACT} Hãy xóa bớt tệp không cần trên ổ "
            "đĩa này (ví dụ trong thư mục Tải về, Thùng rác) rồi làm lại."
        )
    if cause == READ_ONLY:
        return (
            f"{opened or f'Không ghi được vào {name}: '}tệp hoặc thư mục chứa nó chỉ cho đọc (ví dụ chép từ đĩa "
            f"CD, USB gạt khóa chống ghi, hoặc thư mục không có quyền ghi). {intact} Hãy chép thư mục dữ liệu "
            "sang chỗ ghi được (ví dụ Tài liệu) hoặc bỏ thuộc tính chỉ đọc rồi làm lại."
        )
    if cause == BUSY:
        return (
            f"{opened or f'{_cap(name)} đang bận: '}một cửa sổ KhaoSat khác hoặc một chương trình sao lưu đang "
            f"dùng nó. {intact} Hãy đợi một lát rồi làm lại, hoặc đóng cửa sổ KhaoSat còn lại."
        )
    if cause == CANT_OPEN:
        return (
            f"Không mở được {name}: thư mục không còn, không có quyền vào, hoặc ổ đĩa đã bị rút ra. Tệp dữ liệu "
            "không bị thay đổi. Hãy cắm lại ổ đĩa hoặc kiểm tra thư mục dữ liệu rồi mở lại."
        )
    if cause == IO:
        return (
            f"{opened or f'Lỗi đọc/ghi ổ đĩa với {name}: '}ổ đĩa có thể đã bị rút ra hoặc bị lỗi. {intact} Hãy "
            "cắm lại ổ đĩa rồi mở lại KhaoSat (SQLite tự hoàn tất hoặc bỏ phần ghi dở khi mở lại)."
        )
    if cause == NOT_A_DATABASE:
        return (
            f"{opened or f'{_cap(name)}: '}đây không phải tệp dữ liệu của KhaoSat (hoặc đã bị chép đè bằng nội "
            "dung khác). KhaoSat không thay đổi tệp này. Nếu đây đúng là tệp dữ liệu, hãy dùng bản sao lưu "
            "trong thư mục backups."
        )
    return (
        f"{opened or f'{_cap(name)}: '}tệp bị hỏng (SQLite thấy cấu trúc bên trong không đúng). KhaoSat không "
        "ghi thêm gì vào tệp. Hãy khôi phục từ bản sao lưu mới nhất (thư mục backups) và báo người hỗ trợ."
    )


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def describe(exc: BaseException, path: str | os.PathLike[str] | None = None) -> str | None:
    """The message a person sees for ``exc`` if it is a storage or file failure they can act on
    (already-explained StoreErrors, SQLite errors, OS errors, lack of memory), else None."""
    from app.storage.store import StoreError

    if isinstance(exc, StoreError):
        return str(exc)
    message = database_message(exc, path)
    if message is not None:
        return message
    if isinstance(exc, OSError):
        text = os_error_message(exc)
        if disk_cause(exc) is not None:
            text += " Dữ liệu trong KhaoSat vẫn nguyên vẹn."
        return text
    if isinstance(exc, MemoryError):
        return (
            "Máy không đủ bộ nhớ để làm việc này. Dữ liệu đã lưu vẫn nguyên vẹn; việc vừa làm chưa được ghi. "
            "Hãy đóng bớt chương trình khác rồi làm lại (với danh sách lớn: chia thành nhiều tệp nhỏ hơn)."
        )
    return None


def copy_message(exc: BaseException, dest: str | os.PathLike[str]) -> str:
    """Why a copy of the data (a backup) could not be written to ``dest``; the original is untouched."""
    import errno

    if isinstance(exc, OSError):
        text = os_error_message(exc, dest)
    else:
        cause = sqlite_cause(exc)
        if cause in (IO, CANT_OPEN, READ_ONLY) and _low_on_space(Path(dest)):
            cause = FULL
        number = {FULL: errno.ENOSPC, READ_ONLY: errno.EROFS, IO: errno.EIO, CANT_OPEN: errno.EACCES}.get(
            cause or ""
        )
        text = (
            os_error_message(OSError(number, "", os.fspath(dest)), dest)
            if number is not None
            else f"Không ghi được bản sao {dest} ({exc.__class__.__name__})."
        )
    return f"{text} Dữ liệu gốc trong KhaoSat không bị ảnh hưởng."
