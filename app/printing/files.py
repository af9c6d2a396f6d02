"""Writing output files safely: a temporary name beside the target, flushed (fsync), renamed.

A crash or a full disk never leaves a half-written PDF or workbook under the real name, and an
older file of the same name stays intact until the new one is complete.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO


class OutputError(Exception):
    """The output file cannot be written (Vietnamese message)."""


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """Yield a binary file to write; on success it replaces ``path`` atomically."""
    dest = Path(path).expanduser()
    if dest.is_dir():
        raise OutputError(f"«{dest}» là một thư mục; hãy cho tên tệp, ví dụ {dest / 'phieu-khao-sat.pdf'}.")
    if not dest.parent.is_dir():
        raise OutputError(f"Thư mục «{dest.parent}» không có; hãy tạo thư mục trước hoặc chọn nơi khác.")
    tmp = dest.with_name(f".{dest.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with open(tmp, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, dest)
        _fsync_dir(dest.parent)
    except PermissionError as exc:
        raise OutputError(
            f"Không ghi được «{dest}»: tệp đang mở trong chương trình khác hoặc thư mục không cho ghi. "
            "Hãy đóng tệp (ví dụ trong trình xem PDF hoặc Excel) rồi thử lại."
        ) from exc
    finally:
        if tmp.exists():
            tmp.unlink()


def write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    with atomic_output(path) as fh:
        fh.write(data)
    return Path(path)


def _fsync_dir(path: Path) -> None:
    if os.name == "nt":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
