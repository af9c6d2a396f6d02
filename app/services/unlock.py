"""Opening a data folder: one passphrase, asked once, before anything is read.

A folder is in one of four states (``folder_state``):

- ``new``: nothing yet. A passphrase is chosen (strength checked) and a data key is made.
- ``plain``: an earlier version's unencrypted file. A passphrase is chosen, a data key is made and
  the file is encrypted in place (app/storage/encryption.py), with the plain copies kept before
  schema upgrades.
- ``locked``: the usual case. The passphrase unwraps the data key. (A migration interrupted by a
  crash is finished here.)
- ``orphan``: an encrypted file without its key file: nothing can open it here. A backup or the
  office above can help (app/storage/backups.py, app/services/recovery.py).

The GUI (app/gui/unlock.py) and the command line (app/cli/unlock.py) ask for the passphrase and call
``open_folder``; both then hold the ``DataKey`` in memory and open every ``Store`` with it.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

from app.paths import DB_FILE
from app.security import datakey
from app.security.datakey import DataKey, LockError
from app.security.passphrase import strength_problem
from app.storage import backups, encryption
from app.storage.driver import dbapi, is_plain_file
from app.storage.migrations import UpgradeProgress
from app.storage.store import Profile, Store
from app.sync import recovery

NEW, PLAIN, LOCKED, ORPHAN = "new", "plain", "locked", "orphan"


@dataclass(frozen=True)
class Opened:
    key: DataKey
    laptop_id: str
    created: bool  # a new data key was made now
    encrypted_now: bool  # an earlier version's plain file was encrypted now
    profile: Profile  # who this laptop is (read while the file was open anyway)


def folder_state(data_dir: str | os.PathLike[str]) -> str:
    folder = Path(data_dir)
    db = folder / DB_FILE
    backups.finish_pending_restore(folder)  # a restore a crash interrupted is finished first
    if datakey.exists(folder):
        return LOCKED
    if not db.exists() or db.stat().st_size == 0:
        return NEW
    if is_plain_file(db):
        return PLAIN
    return ORPHAN


def needs_new_passphrase(data_dir: str | os.PathLike[str]) -> bool:
    return folder_state(data_dir) in (NEW, PLAIN)


def _plain_laptop_id(db: Path) -> str | None:
    conn = dbapi.connect(os.fspath(db))
    try:
        with contextlib.suppress(dbapi.Error):
            row = conn.execute("SELECT value FROM meta WHERE key = 'laptop_id'").fetchone()
            return row[0] if row else None
        return None
    finally:
        conn.close()


def open_folder(
    data_dir: str | os.PathLike[str], passphrase: str, progress: UpgradeProgress | None = None
) -> Opened:
    """Unlock (or set up) ``data_dir`` with ``passphrase``. Raises ``LockError`` with a Vietnamese message.

    For a new or plain folder ``passphrase`` is the new one (checked for strength here); otherwise a
    wrong passphrase raises ``LockError("wrong_passphrase")`` and changes nothing. An older version's
    file is upgraded here (a backup kept first); ``progress`` is told its steps (``UpgradeStep``).
    """
    folder = Path(data_dir)
    db = folder / DB_FILE
    state = folder_state(folder)
    if state == ORPHAN:
        raise LockError(
            "orphan",
            f"Không mở được tệp dữ liệu {db}: tệp đã mã hóa (hoặc bị hỏng) mà thiếu tệp khóa dữ liệu "
            f"({datakey.DATAKEY_FILE}) bên cạnh. Hãy khôi phục từ bản sao lưu, hoặc nhờ cơ quan cấp trên giúp.",
        )
    created = False
    if state in (NEW, PLAIN):
        problem = strength_problem(passphrase)
        if problem:
            raise LockError("weak", problem)
        folder.mkdir(parents=True, exist_ok=True)
        laptop_id = _plain_laptop_id(db) if state == PLAIN else None
        key = datakey.create(folder, passphrase, laptop_id)
        created = True
    else:
        key = datakey.unlock(folder, passphrase)
    return _finish(folder, key, created, progress)


def open_with_key(
    data_dir: str | os.PathLike[str], key: DataKey, progress: UpgradeProgress | None = None
) -> Opened:
    """As ``open_folder`` for a key already unwrapped (after recovery, or a lock screen's re-unlock)."""
    folder = Path(data_dir)
    ring = datakey.load(folder)
    if ring.key_id != key.key_id:
        raise LockError("wrong_key", "Khóa này không mở được thư mục dữ liệu này.")
    return _finish(folder, key, False, progress)


def _finish(folder: Path, key: DataKey, created: bool, progress: UpgradeProgress | None = None) -> Opened:
    db = folder / DB_FILE
    encrypted_now = False
    if is_plain_file(db):  # an earlier version's file, or a migration a crash interrupted
        encryption.encrypt_in_place(db, key)
        encrypted_now = True
    encryption.encrypt_folder_backups(folder, key)
    ring = datakey.load(folder)
    with Store(db, key, progress=progress) as store:
        store.adopt_laptop_id(ring.laptop_id)
        laptop_id = store.laptop_id
        profile = store.profile()
        if ring.laptop_id != laptop_id:  # the file is the authority on which laptop this is
            ring.laptop_id = laptop_id
            datakey.save(folder, ring)
        # the data key sealed to the offices above (an earlier version's laptop gets them now)
        recovery.refresh_office_wraps(store)
    return Opened(key, laptop_id, created, encrypted_now, profile)


def change_passphrase(data_dir: str | os.PathLike[str], old: str, new: str) -> DataKey:
    """Check the old passphrase, then re-wrap the data key with the new one (the database is untouched)."""
    problem = strength_problem(new)
    if problem:
        raise LockError("weak", problem)
    key = datakey.unlock(data_dir, old)
    datakey.change_passphrase(data_dir, key, new)
    return key


def set_new_passphrase(data_dir: str | os.PathLike[str], key: DataKey, new: str) -> None:
    """After recovery: the key is known, the old passphrase is not."""
    problem = strength_problem(new)
    if problem:
        raise LockError("weak", problem)
    datakey.change_passphrase(data_dir, key, new)
