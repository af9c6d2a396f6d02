"""Turning an older program's plain database file into an encrypted one, crash-safe.

On the first start of a version with encryption at rest the plain file is:

1. checked: WAL folded in (``wal_checkpoint(TRUNCATE)``), ``integrity_check``, rows counted per table;
2. copied, encrypted, to ``khaosat.sqlite3.encrypting`` beside it (``sqlcipher_export``), flushed;
3. verified: the copy opens with the data key, passes ``integrity_check``, has the same schema
   version and the same number of rows in every table;
4. swapped in with one ``os.replace`` (the plain file's name now holds the encrypted file) and the
   folder flushed.

A ``kill -9`` or a power cut at any moment leaves under the real name either the whole plain file
(steps 1-3; the half-written copy is removed at the next try) or the whole encrypted file (after 4).
The data key's file (``khaosat-datakey.json``) is written before step 1, so an encrypted file is
never left without the key that opens it. A plain file removed this way may still be readable on
the disk's free space (SSDs especially): the user guide says so.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from app.fileio import fsync_dir, fsync_file
from app.storage.driver import dbapi, is_plain_file

if TYPE_CHECKING:
    from app.security.datakey import DataKey

SUFFIX = ".encrypting"


class MigrationError(Exception):
    """The plain file could not be encrypted; it is left as it was. Vietnamese message."""


@dataclass(frozen=True)
class Census:
    """What a file holds, to compare the copy with the original."""

    user_version: int
    counts: dict[str, int]


def _census(conn: dbapi.Connection) -> Census:
    tables = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
    ]
    counts = {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
    return Census(conn.execute("PRAGMA user_version").fetchone()[0], counts)


def _integrity(conn: dbapi.Connection) -> list[str]:
    return [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall() if r[0] != "ok"]


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


def encrypt_in_place(
    path: str | os.PathLike[str], key: DataKey, step: Callable[[str], None] | None = None
) -> Census:
    """Encrypt the plain SQLite file at ``path`` with ``key``; returns what it holds.

    ``step`` is told each stage by name (the tests kill the process between them as well as anywhere).
    Raises ``MigrationError`` (and leaves the plain file untouched) if the file is damaged or the
    copy does not match it.
    """
    path = Path(path)
    tell = step or (lambda _name: None)
    new = path.with_name(path.name + SUFFIX)
    for leftover in (new, Path(f"{new}-journal"), Path(f"{new}-wal"), Path(f"{new}-shm")):
        _remove(leftover)
    if not is_plain_file(path):
        raise MigrationError(f"Tệp {path.name} không phải tệp dữ liệu chưa mã hóa.")

    src = dbapi.connect(os.fspath(path), isolation_level=None)
    try:
        src.execute("PRAGMA busy_timeout = 15000")
        src.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        problems = _integrity(src)
        if problems:
            raise MigrationError(
                "Tệp dữ liệu cũ bị hỏng nên chưa mã hóa được (" + "; ".join(problems[:3]) + "). "
                "Hãy liên hệ người hỗ trợ; tệp được giữ nguyên."
            )
        before = _census(src)
        tell("checked")
        src.execute(f'ATTACH DATABASE ? AS enc KEY "{key.sqlcipher_key()}"', (os.fspath(new),))
        src.execute("SELECT sqlcipher_export('enc')")
        src.execute(f"PRAGMA enc.user_version = {int(before.user_version)}")
        src.execute("DETACH DATABASE enc")
    finally:
        src.close()  # the last connection: SQLite removes the plain file's -wal and -shm
    fsync_file(new)
    tell("copied")

    dst = dbapi.connect(os.fspath(new), isolation_level=None)
    try:
        dst.execute(f'PRAGMA key = "{key.sqlcipher_key()}"')
        problems = _integrity(dst)
        after = _census(dst)
        dst.execute("PRAGMA journal_mode = WAL")
    finally:
        dst.close()
    if problems or after != before:
        _remove(new)
        raise MigrationError(
            "Bản mã hóa của tệp dữ liệu không khớp với tệp gốc nên chưa thay thế; tệp gốc được giữ nguyên. "
            "Hãy liên hệ người hỗ trợ."
        )
    fsync_file(new)
    tell("verified")
    for side in (Path(f"{path}-wal"), Path(f"{path}-shm")):
        # a plain WAL beside the encrypted file would be read as its log: never leave one
        if side.exists() and side.stat().st_size:
            _remove(new)
            raise MigrationError(
                "Tệp dữ liệu đang được một chương trình khác mở: hãy đóng nó rồi mở lại KhaoSat."
            )
        _remove(side)
    os.replace(new, path)
    fsync_dir(path.parent)
    tell("swapped")
    return after


def encrypt_folder_backups(folder: str | os.PathLike[str], key: DataKey) -> int:
    """Encrypt the plain copies an earlier version kept before schema upgrades (``backups/*.sqlite3``)."""
    done = 0
    backups = Path(folder) / "backups"
    if not backups.is_dir():
        return 0
    for path in sorted(backups.glob("*.sqlite3")):
        if is_plain_file(path):
            encrypt_in_place(path, key)
            done += 1
    return done
