"""Writing files so that a crash, a full disk or a pulled USB stick never leaves a half-written file
under the real name: write to a temporary name beside the target, flush, fsync, rename, fsync the folder.

The one implementation used by storage (backups), sync (bundles, receipts, keys), printing (PDF),
reports (Excel), importing (error files) and the GUI (drafts). ``atomic_output`` is the same for a file a
person asked for (a PDF, a workbook), with a Vietnamese message when it cannot be written.
"""

from __future__ import annotations

import contextlib
import errno
import os
import uuid
from collections.abc import Generator
from pathlib import Path
from typing import BinaryIO


def temp_beside(dest: Path) -> Path:
    """A hidden temporary name in the same folder (so the rename stays on one file system)."""
    return dest.with_name(f".{dest.name}.{uuid.uuid4().hex[:8]}.tmp")


def fsync_dir(path: Path) -> None:
    """Make a rename in ``path`` durable (a no-op on Windows, where folders cannot be opened)."""
    if os.name == "nt":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_file(path: Path) -> None:
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str], mode: int = 0o644) -> Generator[BinaryIO]:
    """Yield a binary file to write; when the block ends without error it replaces ``path``.

    On any error the temporary file is removed and ``path`` (if it existed) is left untouched.
    ``mode`` sets the permissions of a new file (e.g. 0o600 for private keys).
    """
    dest = Path(path)
    tmp = temp_beside(dest)
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), mode)
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, dest)
        fsync_dir(dest.parent)
    except OSError as exc:
        if exc.filename is None:  # a write that failed (a full stick) names no file: name the one we write
            exc.filename = os.fspath(dest)
        raise
    finally:
        with contextlib.suppress(OSError):  # a stick pulled out: the error that said so is the one to report
            tmp.unlink(missing_ok=True)


def write_atomic(path: str | os.PathLike[str], data: bytes, mode: int = 0o644) -> Path:
    with atomic_write(path, mode) as fh:
        fh.write(data)
    return Path(path)


class OutputError(Exception):
    """The output file a person asked for cannot be written (Vietnamese message)."""


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike[str]) -> Generator[BinaryIO]:
    """``atomic_write`` for an output file (PDF, Excel): a crash or a full disk never leaves a
    half-written file under the real name, and an older file of the same name stays intact until the
    new one is complete. Raises ``OutputError`` saying what to do."""
    dest = Path(path).expanduser()
    if dest.is_dir():
        raise OutputError(f"«{dest}» là một thư mục; hãy cho tên tệp, ví dụ {dest / 'phieu-khao-sat.pdf'}.")
    if not dest.parent.is_dir():
        raise OutputError(f"Thư mục «{dest.parent}» không có; hãy tạo thư mục trước hoặc chọn nơi khác.")
    try:
        with atomic_write(dest) as fh:
            yield fh
    except PermissionError as exc:
        raise OutputError(
            f"Không ghi được «{dest}»: tệp đang mở trong chương trình khác hoặc thư mục không cho ghi. "
            "Hãy đóng tệp (ví dụ trong trình xem PDF hoặc Excel) rồi thử lại."
        ) from exc
    except OSError as exc:  # a full disk, a write-protected or pulled-out stick
        raise OutputError(os_error_message(exc, dest)) from exc


# --- what went wrong with a file, for people ----------------------------------------------------

# errno values (POSIX) and Windows error codes (OSError.winerror) by cause
_DISK_FULL = {errno.ENOSPC, getattr(errno, "EDQUOT", -1)}
_DISK_FULL_WIN = {39, 112}  # ERROR_HANDLE_DISK_FULL, ERROR_DISK_FULL
_READ_ONLY = {errno.EROFS}
_READ_ONLY_WIN = {19}  # ERROR_WRITE_PROTECT
_IN_USE_WIN = {32, 33}  # ERROR_SHARING_VIOLATION, ERROR_LOCK_VIOLATION
_GONE = {errno.EIO, errno.ENXIO, errno.ENODEV, getattr(errno, "ENOMEDIUM", -1), getattr(errno, "ESTALE", -1)}
_GONE_WIN = {21, 31, 433, 1117, 1167}  # not ready, general failure, no such device, I/O device, not connected


def disk_cause(exc: BaseException) -> str | None:
    """``"full"``, ``"read_only"``, ``"denied"``, ``"in_use"``, ``"gone"`` (drive removed or failing),
    ``"missing"``, or None: why an OSError happened, on Windows and elsewhere."""
    if not isinstance(exc, OSError):
        return None
    win = getattr(exc, "winerror", None)
    if exc.errno in _DISK_FULL or win in _DISK_FULL_WIN:
        return "full"
    if exc.errno in _READ_ONLY or win in _READ_ONLY_WIN:
        return "read_only"
    if win in _IN_USE_WIN:
        return "in_use"
    if exc.errno in _GONE or win in _GONE_WIN:
        return "gone"
    if isinstance(exc, PermissionError):
        return "denied"
    if isinstance(exc, FileNotFoundError):
        return "missing"
    return None


def os_error_message(exc: OSError, path: str | os.PathLike[str] | None = None) -> str:
    """What happened to a file and what to do, in Vietnamese (never the system's English text)."""
    where = path if path is not None else (exc.filename or "")
    name = f"«{where}»" if where else "tệp"
    cause = disk_cause(exc)
    if cause == "full":
        return (
            f"Ổ đĩa đã đầy: không ghi được {name}. Hãy xóa bớt tệp không cần trên ổ đĩa đó (hoặc chọn ổ khác, "
            "USB khác) rồi làm lại."
        )
    if cause == "read_only":
        return (
            f"Ổ đĩa chỉ cho đọc (USB đang gạt khóa chống ghi, hoặc đĩa CD): không ghi được {name}. Hãy gạt khóa "
            "của USB hoặc chọn chỗ lưu khác rồi làm lại."
        )
    if cause == "in_use":
        return f"{name[0].upper()}{name[1:]} đang mở trong chương trình khác (ví dụ Excel). Hãy đóng tệp đó rồi làm lại."
    if cause == "gone":
        return (
            f"Không đọc/ghi được {name}: ổ đĩa đã bị rút ra hoặc bị lỗi. Hãy cắm lại USB (hoặc dùng ổ khác) "
            "rồi làm lại."
        )
    if cause == "denied":
        return (
            f"Không có quyền đọc/ghi {name}: thư mục chỉ cho đọc, hoặc tệp đang được chương trình khác dùng. "
            "Hãy chọn thư mục khác (ví dụ Tài liệu) hoặc đóng tệp rồi làm lại."
        )
    if cause == "missing":
        return f"Không tìm thấy {name}. Hãy kiểm tra lại đường dẫn, hoặc cắm lại USB."
    if exc.errno == errno.ENAMETOOLONG:
        return f"Tên hoặc đường dẫn của {name} quá dài. Hãy chọn thư mục ngắn hơn hoặc đổi tên tệp."
    if exc.errno == errno.EISDIR:
        return f"{name[0].upper()}{name[1:]} là một thư mục, không phải tệp."
    code = getattr(exc, "winerror", None) or exc.errno
    return f"Lỗi đọc/ghi {name} (mã lỗi {code}). Hãy kiểm tra ổ đĩa rồi làm lại."
