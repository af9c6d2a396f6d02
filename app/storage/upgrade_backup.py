"""The copy kept before upgrading an older program's file: made once for a state of the file, not at every try.

``Store`` keeps a whole copy of an older program's file before migrating it (``backups/<stem>-v<N>-<time>``,
2.4 GB at a province). If the upgrade then fails (a full disk, a damaged row) or the program is killed during
it, the next start must not write yet another copy of the same data: a few tries would fill the disk. So the
copy is recorded beside it (``backups/.<stem>-upgrade.json``) with the state of the database file it holds,
and the record follows the file through the upgrade's own commits. At the next try the copy is used again when
the file is still in the state the record says (nothing but this upgrade changed it since the copy was made);
otherwise (an older program wrote in between, the file was replaced, the copy is gone or altered) a new copy
is made, under a name of its own: a copy is never overwritten or deleted here. The record goes once the
upgrade is done.

The state of the file (``file_state``): its size, modification time, file id and a hash of its first page,
taken once everything committed is in the file itself and its ``-wal`` is empty. In WAL mode the main file
is only written by checkpoints, which copy committed transactions: opening it, reading it, and a transaction
that was rolled back or cut off by a kill (its pages are in the ``-wal`` without a commit) leave it as it was.
SQLite's file change counter (header bytes 24-27) cannot serve: in WAL mode it is not incremented on every
transaction, and under SQLCipher the header is encrypted. So the ``-wal`` is checkpointed into the file and
emptied first (``PRAGMA wal_checkpoint(TRUNCATE)``); if it cannot be emptied (another connection uses it) the
state is unknown and a new copy is made.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from app.fileio import write_atomic
from app.storage.driver import dbapi

HEAD = (
    4096  # the first page (SQLCipher's default page size; any page 1 change of a rollback-mode writer shows)
)


@dataclass(frozen=True)
class FileState:
    """The database file on disk, with nothing committed left in its ``-wal``."""

    size: int
    mtime_ns: int
    file_id: int
    head: str  # sha-256 of the first HEAD bytes


def file_state(conn: dbapi.Connection, path: Path) -> FileState | None:
    """The state of the database at ``path`` (``conn`` is open on it): its ``-wal`` checkpointed into it and
    emptied first. None when that cannot be done (another connection reads it) or the file cannot be read."""
    try:
        busy, _log, _done = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        wal = Path(f"{path}-wal")
        if busy or (wal.exists() and wal.stat().st_size > 0):
            return None
        st = path.stat()
        with open(path, "rb") as fh:
            head = hashlib.sha256(fh.read(HEAD)).hexdigest()
    except (dbapi.Error, OSError):
        return None
    return FileState(st.st_size, st.st_mtime_ns, st.st_ino, head)


class UpgradeBackups:
    """The backups kept before upgrading the database at ``path``, and the record of the last one."""

    def __init__(self, path: Path):
        self.path = path
        self.folder = path.parent / "backups"
        self.record = self.folder / f".{path.stem}-upgrade.json"

    def new_name(self, version: int, stamp: str) -> Path:
        """A name no file has yet: ``<stem>-v<version>-<stamp>``, then ``-2``, ``-3``... (two tries in one second)."""
        base = f"{self.path.stem}-v{version}-{stamp}"
        dest = self.folder / f"{base}{self.path.suffix}"
        n = 1
        while dest.exists():
            n += 1
            dest = self.folder / f"{base}-{n}{self.path.suffix}"
        return dest

    def remove_half_made(self) -> None:
        """The half-made copy of an upgrade a kill or a power cut stopped (gigabytes at a province)."""
        for leftover in self.folder.glob(f".{self.path.stem}-v*{self.path.suffix}.*.tmp"):
            with contextlib.suppress(OSError):
                leftover.unlink()

    def _read(self) -> dict[str, Any] | None:
        try:
            doc = json.loads(self.record.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return doc if isinstance(doc, dict) else None

    def reusable(self, state: FileState | None) -> Path | None:
        """The copy made before an earlier try, if the file is still as that try left it (``state``) and the copy
        is still the one that was made and checked (same size and time); else None: a new copy is needed."""
        doc = self._read()
        if state is None or doc is None:
            return None
        try:
            if doc.get("database") != asdict(state):
                return None
            name = str(doc["backup"])
            if Path(name).name != name:
                return None
            kept = self.folder / name
            st = kept.stat()
            if (st.st_size, st.st_mtime_ns) != (doc["backup_size"], doc["backup_mtime_ns"]):
                return None
        except (OSError, KeyError, TypeError):
            return None
        return kept

    def made(self, backup: Path, version: int, state: FileState | None) -> None:
        """A whole, checked copy was made of the file in ``state``: recorded (no record if the state is unknown)."""
        if state is None:
            self.forget()
            return
        try:
            st = backup.stat()
            self._write(
                {
                    "backup": backup.name,
                    "backup_size": st.st_size,
                    "backup_mtime_ns": st.st_mtime_ns,
                    "version": version,
                    "database": asdict(state),
                }
            )
        except OSError:
            self.forget()

    def moved(self, state: FileState | None) -> None:
        """The upgrade committed a step: the file is now in ``state``, still the recorded copy's data upgraded."""
        doc = self._read()
        if doc is None:
            return
        if state is None:
            self.forget()
            return
        doc["database"] = asdict(state)
        try:
            self._write(doc)
        except OSError:
            self.forget()

    def forget(self) -> None:
        """No copy to use again (the upgrade is done, or the file's state is unknown): the record goes, the
        copies stay."""
        with contextlib.suppress(OSError):
            self.record.unlink(missing_ok=True)

    def _write(self, doc: dict[str, Any]) -> None:
        write_atomic(self.record, json.dumps(doc, ensure_ascii=False).encode("utf-8"))
