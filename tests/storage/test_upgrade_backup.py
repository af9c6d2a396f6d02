"""An upgrade tried again does not write another whole copy of the same data (2.4 GB at a province): the copy kept
before a failed or killed try is used again while nothing else changed the file; any other change, a new copy."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.security import datakey
from app.services import unlock
from app.storage import Store, migrations
from app.storage.driver import dbapi
from app.storage.migrations import BACKUP, LATEST, MIGRATIONS, UpgradeStep
from app.storage.store import StoreError, connect
from tests.conftest import killed_once_it_says
from tests.helpers.vault import TEST_PASSPHRASE, older_folder

OLD = 13
PENDING = [number for number, _d, _s in MIGRATIONS if number > OLD]


def copies(folder: Path) -> list[Path]:
    """The whole copies kept in the folder's backups (not the record, not a half-made one)."""
    return sorted((folder / "backups").glob("khaosat-v*.sqlite3"))


def failing_at(monkeypatch, number: int) -> None:
    """Migration ``number`` fails as a full disk makes it fail (after writing: its transaction is rolled back)."""

    def full(conn):
        conn.execute("CREATE TABLE half_done (x)")
        conn.executemany("INSERT INTO half_done VALUES (?)", [(os.urandom(300),) for _ in range(300)])
        raise dbapi.OperationalError("database or disk is full")

    monkeypatch.setattr(
        migrations, "MIGRATIONS", [(n, d, full if n == number else s) for n, d, s in MIGRATIONS]
    )


def try_opening(folder: Path, told: list[UpgradeStep] | None = None) -> None:
    with pytest.raises(StoreError, match="đầy"):
        unlock.open_folder(folder, TEST_PASSPHRASE, None if told is None else told.append)


def schema_version(folder: Path) -> int:
    conn = connect(folder / "khaosat.sqlite3", datakey.unlock(folder, TEST_PASSPHRASE))
    try:
        return conn.execute("PRAGMA user_version").fetchone()[0]
    finally:
        conn.close()


def enterprise_names(path: Path, folder: Path) -> list[str]:
    """Read only: a copy opened as the program opens its file would be switched to WAL (written)."""
    conn = dbapi.connect(f"{path.as_uri()}?mode=ro", uri=True)
    try:
        conn.execute(f'PRAGMA key = "{datakey.unlock(folder, TEST_PASSPHRASE).sqlcipher_key()}"')
        return [r[0] for r in conn.execute("SELECT name FROM enterprises ORDER BY name")]
    finally:
        conn.close()


def test_a_failed_upgrade_tried_again_keeps_one_copy(tmp_path, monkeypatch):
    folder = older_folder(tmp_path / "data", OLD)
    failing_at(monkeypatch, PENDING[0])
    first: list[UpgradeStep] = []
    try_opening(folder, first)
    assert [s for s in first if s.stage == BACKUP]  # the copy made
    [kept] = copies(folder)
    assert kept.name.startswith(f"khaosat-v{OLD}-")
    made = kept.stat()

    again: list[UpgradeStep] = []
    try_opening(folder, again)
    try_opening(folder)
    assert copies(folder) == [kept]
    assert (kept.stat().st_ino, kept.stat().st_mtime_ns) == (
        made.st_ino,
        made.st_mtime_ns,
    )  # not copied again
    assert not [s for s in again if s.stage == BACKUP]  # nothing copied: nothing said about a copy
    assert schema_version(folder) == OLD

    monkeypatch.setattr(migrations, "MIGRATIONS", MIGRATIONS)  # the cause fixed: the upgrade goes through
    opened = unlock.open_folder(folder, TEST_PASSPHRASE)
    assert copies(folder) == [kept]
    assert sorted(p.name for p in (folder / "backups").iterdir()) == [kept.name]  # the record went with it
    assert enterprise_names(kept, folder) == ["Công ty TNHH Hòa Bình"]
    with Store.in_dir(folder, opened.key) as store:
        assert store.schema_version() == LATEST and store.integrity_check() == []


def test_an_upgrade_that_failed_half_way_tried_again_keeps_the_copy_of_the_older_file(tmp_path, monkeypatch):
    """The steps before the one that fails are committed: the file changed, but only by this upgrade. The copy
    of the older program's file is the one to keep; no copy of the half-upgraded file is made."""
    folder = older_folder(tmp_path / "data", OLD)
    failing_at(monkeypatch, PENDING[-1])
    try_opening(folder)
    assert schema_version(folder) == PENDING[-1] - 1
    [kept] = copies(folder)
    made = kept.stat()
    try_opening(folder)
    assert copies(folder) == [kept] and kept.name.startswith(f"khaosat-v{OLD}-")
    assert (kept.stat().st_ino, kept.stat().st_mtime_ns) == (made.st_ino, made.st_mtime_ns)
    assert schema_version(folder) == PENDING[-1] - 1


def test_a_write_between_two_tries_makes_a_second_copy(tmp_path, monkeypatch):
    """The older program opened the file again and wrote to it (the upgrade had changed nothing): the first copy
    no longer holds that data, so a second one is made, under a name of its own; the first stays."""
    folder = older_folder(tmp_path / "data", OLD)
    failing_at(monkeypatch, PENDING[0])
    try_opening(folder)
    [first] = copies(folder)

    conn = connect(folder / "khaosat.sqlite3", datakey.unlock(folder, TEST_PASSPHRASE))  # the older program
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == OLD
        conn.execute(
            "INSERT INTO enterprises(id, name, tax_code, ward_code, created_hlc, updated_hlc, origin) "
            "VALUES ('e-2', 'Công ty CP An Khang', '0100109107', '00070', 'x', 'x', 'old')"
        )
    finally:
        conn.close()

    try_opening(folder)
    second = [p for p in copies(folder) if p != first]
    assert len(second) == 1 and first in copies(folder)
    assert second[0].name.startswith(f"khaosat-v{OLD}-")
    assert enterprise_names(first, folder) == ["Công ty TNHH Hòa Bình"]
    assert enterprise_names(second[0], folder) == ["Công ty CP An Khang", "Công ty TNHH Hòa Bình"]
    made = [(p.stat().st_ino, p.stat().st_mtime_ns) for p in (first, second[0])]
    try_opening(folder)  # and that one is used again
    assert copies(folder) == sorted([first, second[0]])
    assert [(p.stat().st_ino, p.stat().st_mtime_ns) for p in (first, second[0])] == made


def test_a_copy_that_is_gone_or_altered_is_made_again(tmp_path, monkeypatch):
    folder = older_folder(tmp_path / "data", OLD)
    failing_at(monkeypatch, PENDING[0])
    try_opening(folder)
    [kept] = copies(folder)
    kept.unlink()  # a person moved it to a stick
    try_opening(folder)
    [kept] = copies(folder)
    with open(kept, "ab") as fh:  # cut or grown since it was checked
        fh.write(b"\0" * 4096)
    try_opening(folder)
    assert len(copies(folder)) == 2


def test_a_backup_name_already_taken_is_never_overwritten(tmp_path):
    from app.storage.upgrade_backup import UpgradeBackups

    path = tmp_path / "khaosat.sqlite3"
    kept = UpgradeBackups(path)
    kept.folder.mkdir()
    first = kept.new_name(OLD, "20261203-010203")
    assert first.name == f"khaosat-v{OLD}-20261203-010203.sqlite3"
    first.write_bytes(b"a person's copy")
    second = kept.new_name(OLD, "20261203-010203")
    assert second.name == f"khaosat-v{OLD}-20261203-010203-2.sqlite3"


# --- killed in the middle of a migration ----------------------------------------------------------------

# Opens the older folder as the program does; in the first migration to run, writes more than the page cache
# holds (so its uncommitted pages reach the -wal), says so and waits to be killed.
_KILL_SCRIPT = """
import sys, threading
from app.services import unlock
from app.storage import migrations

number = int(sys.argv[2])

def spill_then_wait(conn):
    conn.execute("PRAGMA cache_size = 10")
    conn.execute("CREATE TABLE half_done (x)")
    conn.executemany("INSERT INTO half_done VALUES (?)", [(bytes(300),) for _ in range(3000)])
    print("inside", flush=True)
    threading.Event().wait()

migrations.MIGRATIONS = [(n, d, spill_then_wait if n == number else s) for n, d, s in migrations.MIGRATIONS]
unlock.open_folder(sys.argv[1], sys.argv[3])
print("done", flush=True)
"""


@pytest.mark.skipif(os.name == "nt", reason="SIGKILL")
def test_an_upgrade_killed_in_a_migration_keeps_one_copy(tmp_path):
    folder = older_folder(tmp_path / "data", OLD)
    killed_once_it_says("inside", _KILL_SCRIPT, str(folder), str(PENDING[0]), TEST_PASSPHRASE)
    [kept] = copies(folder)
    made = kept.stat()
    wal = folder / "khaosat.sqlite3-wal"
    assert wal.exists() and wal.stat().st_size > 0  # the cut-off transaction's pages, never committed

    opened = unlock.open_folder(folder, TEST_PASSPHRASE)  # the next start
    assert copies(folder) == [kept]
    assert (kept.stat().st_ino, kept.stat().st_mtime_ns) == (made.st_ino, made.st_mtime_ns)  # not made again
    with Store.in_dir(folder, opened.key) as store:
        assert store.schema_version() == LATEST and store.integrity_check() == []
        assert not store.conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'half_done'").fetchone()
