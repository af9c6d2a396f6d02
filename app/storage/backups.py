"""Backups a person carries on a stick: encrypted, consistent while the program runs, restorable.

A backup file is::

    magic       16 bytes  b"KHAOSAT-BACKUP\\x1a\\x01" (the last byte is the format version)
    header_len   4 bytes  big-endian, at most 256 KiB
    header       JSON (UTF-8): format, version, laptop_id, key_id, created_at, schema_version,
                 passphrase (the data key wrapped with the passphrase of that moment, as in
                 khaosat-datakey.json), offices (the data key wrapped to the offices above),
                 machine_keys (khaosat-keys.json as it was: its private keys sealed under the data key)
    db_len       8 bytes  big-endian
    db           the database, encrypted with the data key (SQLCipher), made with SQLite's online
                 backup, so it is consistent even while the program writes

Nothing in it is readable without the passphrase it was made with (or, through recovery, the office
above). Restoring (``restore``) makes the data folder what the backup holds: a backup of this machine
puts its database back; a backup of another machine (a laptop that died) also brings that machine's
data key and keys, and is only done when the person confirms. The files are put in place through a
small journal (``.restoring/``): a crash half-way is finished at the next start, and what the folder
held before goes to ``backups/before-restore-<time>/`` (``-2``, ``-3``, ... after it for another restore in
the same second).

Backups are of real data only. The practice database (``app.demo.practice``: made-up data in the
``tap-duot`` folder) is never backed up, a backup whose database is marked as practice is never
restored (whatever made it), and nothing is restored into a practice folder: practice data and real
data never replace each other.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import struct
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from app.fileio import atomic_write, fsync_dir, fsync_file, os_error_message, write_atomic
from app.paths import DB_FILE, PRACTICE_DIR
from app.security import datakey
from app.security.datakey import DataKey, Keyring, LockError, OfficeWrap
from app.storage.driver import dbapi
from app.storage.migrations import LATEST
from app.storage.store import Store

MAGIC = b"KHAOSAT-BACKUP\x1a"
VERSION = 1
MAX_HEADER = 256 * 1024
KEYS_FILE = "khaosat-keys.json"  # app/sync/keys.py (not imported: storage does not depend on sync)
STAGING = ".restoring"
MANIFEST = "manifest.json"


class BackupError(Exception):
    """A backup that cannot be read or restored; Vietnamese message."""


NO_PRACTICE_BACKUP = (
    "Dữ liệu tập dượt (dữ liệu mẫu) không sao lưu được: chỉ dữ liệu thật mới cần sao lưu. "
    "Muốn sao lưu dữ liệu thật, hãy thoát chế độ tập dượt rồi sao lưu."
)
NO_RESTORE_INTO_PRACTICE = (
    "Không khôi phục bản sao lưu vào dữ liệu tập dượt: bản sao lưu chỉ khôi phục vào dữ liệu thật. "
    "Hãy thoát chế độ tập dượt rồi khôi phục."
)


def practice_backup_refused(name: str) -> str:
    return (
        f"Bản sao lưu {name} chứa dữ liệu tập dượt (dữ liệu mẫu), không phải dữ liệu thật, nên không được "
        "khôi phục: dữ liệu trên máy chưa bị thay đổi. Hãy chọn một bản sao lưu làm khi không ở chế độ tập dượt."
    )


def is_practice_folder(folder: str | os.PathLike[str]) -> bool:
    """Whether ``folder`` is a data folder's practice folder: ``tap-duot`` inside a data folder, holding no
    key file of its own (the practice database is encrypted with its data folder's key)."""
    folder = Path(folder)
    return folder.name == PRACTICE_DIR and datakey.exists(folder.parent) and not datakey.exists(folder)


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    laptop_id: str
    key_id: str
    created_at: str
    schema_version: int
    passphrase: dict[str, Any]
    offices: list[dict[str, Any]]
    machine_keys: bytes | None
    db_offset: int
    db_len: int

    @property
    def created_text(self) -> str:
        try:
            return datetime.fromisoformat(self.created_at).astimezone().strftime("%H:%M ngày %d/%m/%Y")
        except ValueError:
            return self.created_at

    def unlock(self, passphrase: str) -> DataKey:
        ring = Keyring(self.laptop_id, self.key_id, self.created_at, self.passphrase)
        try:
            return ring.unlock(passphrase)
        except LockError as exc:
            if exc.reason == "wrong_passphrase":
                raise LockError(
                    "wrong_passphrase", "Mật khẩu không đúng: cần mật khẩu đang dùng lúc tạo bản sao lưu này."
                ) from exc
            raise


def write_backup(store: Store, destination: str | os.PathLike[str]) -> Path:
    """An encrypted, consistent backup of the open (unlocked) store at ``destination``."""
    if store.path is None or store.key is None:
        raise BackupError("Chỉ sao lưu được tệp dữ liệu đã mã hóa trên đĩa.")
    if store.is_practice:
        raise BackupError(NO_PRACTICE_BACKUP)
    folder = store.path.parent
    ring = datakey.load(folder)
    if ring.key_id != store.key.key_id:
        raise BackupError("Tệp khóa dữ liệu không khớp với tệp dữ liệu đang mở.")
    keys_path = folder / KEYS_FILE
    header = {
        "format": "khaosat-backup",
        "version": VERSION,
        "laptop_id": store.laptop_id,
        "key_id": ring.key_id,
        "created_at": datetime.now().astimezone().isoformat(timespec="seconds"),
        "schema_version": store.schema_version(),
        "passphrase": ring.passphrase,
        "offices": [o.to_json() for o in ring.offices],
        "machine_keys": base64.b64encode(keys_path.read_bytes()).decode("ascii")
        if keys_path.exists()
        else None,
    }
    head = json.dumps(header, ensure_ascii=False).encode("utf-8")
    work = folder / "backups" / f".backup-{os.getpid()}-{datetime.now():%H%M%S%f}.sqlite3"
    try:
        store.backup(work)  # SQLite's online backup, encrypted with the same key, checked
        size = work.stat().st_size
        dest = Path(destination)
        dest.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(dest) as out, open(work, "rb") as db:
            out.write(MAGIC + bytes([VERSION]))
            out.write(struct.pack(">I", len(head)) + head)
            out.write(struct.pack(">Q", size))
            shutil.copyfileobj(db, out, 1 << 20)
    except OSError as exc:  # a full, write-protected or pulled-out stick: said plainly
        from app.storage.failures import copy_message

        raise BackupError(copy_message(exc, Path(destination))) from exc
    finally:
        with contextlib.suppress(FileNotFoundError):
            work.unlink()
    return dest


def read_info(path: str | os.PathLike[str]) -> BackupInfo:
    path = Path(path)
    try:
        total = path.stat().st_size
        with open(path, "rb") as fh:
            start = fh.read(len(MAGIC) + 1 + 4)
            if len(start) < len(MAGIC) + 5 or start[: len(MAGIC)] != MAGIC:
                raise BackupError(f"Tệp {path.name} không phải bản sao lưu của KhaoSat.")
            if start[len(MAGIC)] > VERSION:
                raise BackupError("Bản sao lưu do phiên bản KhaoSat mới hơn tạo: hãy cập nhật KhaoSat.")
            (head_len,) = struct.unpack(">I", start[-4:])
            if head_len > MAX_HEADER:
                raise BackupError(f"Bản sao lưu {path.name} bị hỏng (phần đầu quá lớn).")
            head = fh.read(head_len)
            size_bytes = fh.read(8)
    except OSError as exc:
        raise BackupError(os_error_message(exc, path)) from exc
    if len(head) != head_len or len(size_bytes) != 8:
        raise BackupError(f"Bản sao lưu {path.name} bị cắt cụt: hãy chép lại.")
    (db_len,) = struct.unpack(">Q", size_bytes)
    offset = len(MAGIC) + 1 + 4 + head_len + 8
    if offset + db_len != total:
        raise BackupError(f"Bản sao lưu {path.name} bị cắt cụt hoặc có dữ liệu thừa: hãy chép lại.")
    try:
        h = json.loads(head.decode("utf-8"))
        keys = h["machine_keys"]
        info = BackupInfo(
            path,
            str(h["laptop_id"]),
            str(h["key_id"]),
            str(h["created_at"]),
            int(h["schema_version"]),
            dict(h["passphrase"]),
            list(h["offices"]),
            base64.b64decode(keys, validate=True) if keys else None,
            offset,
            db_len,
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise BackupError(f"Bản sao lưu {path.name} bị hỏng (phần đầu không đọc được).") from exc
    if h.get("format") != "khaosat-backup":
        raise BackupError(f"Tệp {path.name} không phải bản sao lưu của KhaoSat.")
    if info.schema_version > LATEST:
        raise BackupError("Bản sao lưu do phiên bản KhaoSat mới hơn tạo: hãy cập nhật KhaoSat.")
    return info


def is_other_machine(info: BackupInfo, data_dir: str | os.PathLike[str]) -> bool:
    """True if the backup was made by another machine than the one whose data is in ``data_dir``."""
    if not datakey.exists(data_dir):
        return False
    return datakey.load(data_dir).laptop_id != info.laptop_id


@dataclass(frozen=True)
class Restored:
    laptop_id: str
    counts: dict[str, int]
    other_machine: bool
    key_changed: bool  # the folder now opens with the backup's passphrase
    previous: Path | None  # where what the folder held before was put


def restore(
    data_dir: str | os.PathLike[str], path: str | os.PathLike[str], passphrase: str, *, other_machine_ok: bool
) -> Restored:
    """Put the backup at ``path`` in place of the data in ``data_dir``. No connection may be open on it.

    ``passphrase`` is the one the backup was made with. Raises ``LockError`` (wrong passphrase) or
    ``BackupError`` (also for a practice folder, or a backup of practice data); the folder is then unchanged.
    """
    folder = Path(data_dir)
    if is_practice_folder(folder):
        raise BackupError(NO_RESTORE_INTO_PRACTICE)
    info = read_info(path)
    other = is_other_machine(info, folder)
    if other and not other_machine_ok:
        raise BackupError(
            f"Bản sao lưu này của máy khác (máy {info.laptop_id}, tạo lúc {info.created_text}). "
            "Chỉ khôi phục khi máy đó không còn dùng nữa, và cần xác nhận."
        )
    key = info.unlock(passphrase)
    ring_here = datakey.load(folder) if datakey.exists(folder) else None
    same_key = ring_here is not None and ring_here.key_id == info.key_id
    stage = folder / STAGING
    shutil.rmtree(stage, ignore_errors=True)
    stage.mkdir(parents=True)
    try:
        db = stage / DB_FILE
        with open(info.path, "rb") as src, open(db, "wb") as out:
            src.seek(info.db_offset)
            remaining = info.db_len
            while remaining:
                chunk = src.read(min(remaining, 1 << 20))
                if not chunk:
                    raise BackupError("Bản sao lưu bị cắt cụt: hãy chép lại.")
                out.write(chunk)
                remaining -= len(chunk)
        fsync_file(db)
        counts, laptop_id, practice = _check_restored(db, key)
        if practice:  # read from the database itself: whatever made the file, practice data stays practice
            raise BackupError(practice_backup_refused(info.path.name))
        names = [DB_FILE]
        set_aside: list[str] = []
        if not same_key:
            ring = Keyring(
                laptop_id,
                info.key_id,
                info.created_at,
                info.passphrase,
                [OfficeWrap.from_json(o) for o in info.offices],
            )
            write_atomic(stage / datakey.DATAKEY_FILE, ring.to_bytes(), mode=0o600)
            names.append(datakey.DATAKEY_FILE)
        if info.machine_keys is not None:
            write_atomic(stage / KEYS_FILE, info.machine_keys, mode=0o600)
            names.append(KEYS_FILE)
        elif not same_key and (folder / KEYS_FILE).exists():
            set_aside.append(KEYS_FILE)  # this machine's keys cannot open under the backup's key
        previous = _set_aside_folder(folder)
        write_atomic(
            stage / MANIFEST,
            json.dumps({"files": names, "set_aside": set_aside, "previous": str(previous)}).encode("utf-8"),
        )
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    finish_pending_restore(folder)
    return Restored(laptop_id, counts, other, not same_key, previous)


def _set_aside_folder(folder: Path) -> Path:
    """Where what ``folder`` holds goes before a restore: ``backups/before-restore-<time>``, or with ``-2``,
    ``-3``, ... after it when a restore in the same second already has that name (never shared)."""
    base = folder / "backups" / f"before-restore-{datetime.now():%Y%m%d-%H%M%S}"
    previous, n = base, 1
    while previous.exists():
        n += 1
        previous = base.with_name(f"{base.name}-{n}")
    return previous


def _check_restored(db: Path, key: DataKey) -> tuple[dict[str, int], str, bool]:
    """The restored database's counts, laptop and whether it is practice data (``Store.is_practice``)."""
    conn = dbapi.connect(os.fspath(db))
    try:
        conn.execute(f'PRAGMA key = "{key.sqlcipher_key()}"')
        try:
            problems = [r[0] for r in conn.execute("PRAGMA integrity_check") if r[0] != "ok"]
        except dbapi.DatabaseError as exc:
            raise BackupError("Bản sao lưu bị hỏng: không giải mã được cơ sở dữ liệu bên trong.") from exc
        if problems:
            raise BackupError("Bản sao lưu bị hỏng: " + "; ".join(problems[:3]))
        counts = {
            t: conn.execute(f"SELECT count(*) FROM {t} WHERE deleted = 0").fetchone()[0]
            for t in ("enterprises", "visits", "organisations", "admissions", "targets")
        }
        meta = dict(conn.execute("SELECT key, value FROM meta WHERE key IN ('laptop_id', 'practice')"))
    finally:
        conn.close()
    return counts, meta.get("laptop_id", ""), meta.get("practice") == "1"


def finish_pending_restore(data_dir: str | os.PathLike[str]) -> bool:
    """Put staged files in place (idempotent: a crash half-way is finished at the next call)."""
    folder = Path(data_dir)
    stage = folder / STAGING
    manifest = stage / MANIFEST
    if not manifest.exists():
        if stage.exists():
            shutil.rmtree(stage, ignore_errors=True)  # never completed: the folder was not touched
        return False
    doc = json.loads(manifest.read_text(encoding="utf-8"))
    previous = Path(doc["previous"])
    previous.mkdir(parents=True, exist_ok=True)
    for name in doc["files"]:
        staged, target = stage / name, folder / name
        if not staged.exists():
            continue  # already in place
        sides = [target, Path(f"{target}-wal"), Path(f"{target}-shm")] if name == DB_FILE else [target]
        for side in sides:
            if side.exists():
                os.replace(side, previous / side.name)
        os.replace(staged, target)
        fsync_dir(folder)
    for name in doc.get("set_aside", []):
        if (folder / name).exists():
            os.replace(folder / name, previous / name)
    manifest.unlink()
    shutil.rmtree(stage, ignore_errors=True)
    fsync_dir(folder)
    return True
