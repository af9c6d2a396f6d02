"""Writing files so that a crash, a full disk or a pulled USB stick never leaves a half-written file
under the real name: write to a temporary name beside the target, flush, fsync, rename, fsync the folder.

The one implementation used by storage (backups), sync (bundles, receipts, keys), printing (PDF),
reports (Excel), importing (error files) and the GUI (drafts). ``atomic_output`` is the same for a file a
person asked for (a PDF, a workbook), with a Vietnamese message when it cannot be written.
"""

from __future__ import annotations

import contextlib
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
    finally:
        if tmp.exists():
            tmp.unlink()


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
