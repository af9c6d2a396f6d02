"""Output files (PDF, Excel) written safely through ``app.fileio`` with messages for the user.

A crash or a full disk never leaves a half-written PDF or workbook under the real name, and an
older file of the same name stays intact until the new one is complete.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from app.fileio import atomic_write


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
    try:
        with atomic_write(dest) as fh:
            yield fh
    except PermissionError as exc:
        raise OutputError(
            f"Không ghi được «{dest}»: tệp đang mở trong chương trình khác hoặc thư mục không cho ghi. "
            "Hãy đóng tệp (ví dụ trong trình xem PDF hoặc Excel) rồi thử lại."
        ) from exc


def write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    with atomic_output(path) as fh:
        fh.write(data)
    return Path(path)
