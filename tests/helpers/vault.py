"""Data folders in tests: encrypted like the real ones, with a fast key derivation.

``tests/conftest.py`` sets ``KHAOSAT_TEST_FAST_KDF=1`` (scrypt N=2^4 instead of 2^16: the installed
program never reads it) and ``KHAOSAT_PASSPHRASE`` for the command line run as a subprocess, so every
folder a test makes is locked with ``TEST_PASSPHRASE`` and opens in about a millisecond.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from app.security import datakey
from app.security.datakey import DataKey
from app.storage import Store

TEST_PASSPHRASE = "Mật khẩu thử nghiệm 2025"

_keys: dict[tuple[str, str], DataKey] = {}


def key_for(folder: str | Path, passphrase: str = TEST_PASSPHRASE) -> DataKey:
    """The folder's data key (a new folder is set up; an older program's plain file is encrypted)."""
    from app.services.unlock import open_folder

    folder = Path(folder)
    if datakey.exists(folder):
        ring = datakey.load(folder)
        cached = _keys.get((ring.key_id, passphrase))
        if cached is not None:
            return cached
    key = open_folder(folder, passphrase).key
    _keys[(key.key_id, passphrase)] = key
    return key


def open_store(folder: str | Path, **options: Any) -> Store:
    """The folder's Store, unlocked with the test passphrase (``options``: e.g. ``wall=clock``)."""
    return Store.in_dir(folder, key_for(folder), **options)


def copy_data(src: str | Path, dest: str | Path) -> Path:
    """A copy of a data folder's database and its data key (what opening it needs)."""
    src, dest = Path(src), Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(src / "khaosat.sqlite3", dest / "khaosat.sqlite3")
    shutil.copy(src / datakey.DATAKEY_FILE, dest / datakey.DATAKEY_FILE)
    return dest


def practice_backup(folder: str | Path, dest: str | Path) -> Path:
    """A backup file whose database is practice data (``Store.is_practice``), for the refusals to be tested:
    the program makes none (``backups.write_backup`` refuses a practice store), but a file altered by hand
    or by an earlier version could hold one. It is a copy of ``folder``'s data marked as practice, under
    ``folder``'s key and laptop."""
    from app.storage.backups import write_backup

    class Unmarked(Store):  # the practice mark is in the file; only the writer's refusal is passed by
        @property
        def is_practice(self) -> bool:
            return False

    folder, dest = Path(folder), Path(dest)
    copy = copy_data(folder, dest.parent / f".{dest.stem}-source")
    with Store(copy / "khaosat.sqlite3", key_for(folder)) as store:
        store.mark_practice()
    with Unmarked(copy / "khaosat.sqlite3", key_for(folder)) as store:
        assert Store.is_practice.fget(store)  # type: ignore[attr-defined]
        out = write_backup(store, dest)
    shutil.rmtree(copy)
    return out


def open_practice_store(folder: str | Path) -> Store:
    """The practice database of a data folder (app.demo.practice), encrypted with the folder's key."""
    from app.demo.practice import FOLDER

    return Store(Path(folder) / FOLDER / "khaosat.sqlite3", key_for(folder))


def older_folder(
    folder: str | Path, version: int, *, profile: bool = True, passphrase: str = TEST_PASSPHRASE
) -> Path:
    """A data folder as an older version of the program left it: its encrypted file at schema ``version``
    (migrations 1 to ``version`` run), holding an enterprise with a visit and a founded trade union, and,
    with ``profile``, a collaborator's laptop set up. Opening it upgrades it (after a backup)."""
    from app.security.datakey import create, load

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    key = create(folder, passphrase, None)  # the key file first, as the program sets a folder up
    older_database(folder / "khaosat.sqlite3", key, version, load(folder).laptop_id, profile=profile)
    return folder


def older_database(path: Path, key: DataKey, version: int, laptop_id: str, *, profile: bool = True) -> Path:
    """The database of ``older_folder`` at ``path`` (none there yet), encrypted with ``key``, of ``laptop_id``."""
    from app.domain.vocab import Role
    from app.storage.migrations import migrate
    from app.storage.store import connect

    conn = connect(path, key)
    try:
        migrate(conn, target=version)
        conn.execute("INSERT INTO meta(key, value) VALUES ('laptop_id', ?)", (laptop_id,))
        if profile:
            conn.executemany(
                "INSERT INTO meta(key, value) VALUES (?, ?)",
                [
                    ("unit_code", "00070"),
                    ("collaborator", "Nguyễn Thị Hằng"),
                    ("role", Role.COLLABORATOR.value),
                ],
            )
        conn.execute(
            "INSERT INTO enterprises(id, name, tax_code, ward_code, created_hlc, updated_hlc, origin) "
            "VALUES ('e-1', 'Công ty TNHH Hòa Bình', '0100109106', '00070', 'x', 'x', 'old')"
        )
        conn.execute(
            "INSERT INTO visits(id, enterprise_id, visit_date, created_hlc, updated_hlc, origin) "
            "VALUES ('v-1', 'e-1', '2025-03-04', 'x', 'x', 'old')"
        )
        conn.execute(
            "INSERT INTO organisations(id, enterprise_id, kind, status, created_hlc, updated_hlc, origin) "
            "VALUES ('o-1', 'e-1', 'union', 'founded', 'x', 'x', 'old')"
        )
        # what that version kept in step as it wrote them: the search index, the list's and the work list's facts
        if version >= 2:
            conn.execute(
                "INSERT INTO enterprise_fts(rowid, name, tax_code) "
                "SELECT rid, 'cong ty tnhh hoa binh', '0100109106' FROM enterprises"
            )
        if version >= 6:
            conn.execute(
                "INSERT INTO enterprise_names(rowid, name, short_name) SELECT rid, 'cong ty tnhh hoa binh', '' "
                "FROM enterprises"
            )
        if version >= 9:
            conn.execute("UPDATE enterprises SET last_visit = '2025-03-04', founded = 2")
        if version >= 13:
            from app.storage import work_facts

            work_facts.fill(conn, report=version >= 16)  # (the report's figures since version 16)
    finally:
        conn.close()
    return path
