"""The store's scratch file (``Store.scratch``): the tables of a large piece of work (a province's report)
on disk, encrypted with a key kept nowhere, gone once the work is done."""

from __future__ import annotations

import os
import time

from app.storage.store import SCRATCH_PREFIX

MARKER = "Công ty Dấu Vết Không Được Lộ"


def test_the_scratch_file_is_encrypted_and_deleted_after(file_store):
    folder = file_store.path.parent
    with file_store.scratch() as schema:
        q = file_store.conn.execute
        q(f"CREATE TABLE {schema}.work (name TEXT)")
        q(f"INSERT INTO {schema}.work VALUES (?)", (MARKER * 50,))
        assert q("SELECT count(*) FROM work").fetchone()[0] == 1  # found without its schema
        (path,) = folder.glob(f"{SCRATCH_PREFIX}*.tmp")
        data = path.read_bytes()
        assert len(data) > 0 and MARKER.encode() not in data and b"SQLite format 3" not in data
    assert not list(folder.glob(f"{SCRATCH_PREFIX}*"))
    assert [r[1] for r in file_store.conn.execute("PRAGMA database_list")] == ["main"]


def test_a_file_left_by_stopped_work_goes_once_an_hour_old(file_store):
    folder = file_store.path.parent
    old, new = folder / f"{SCRATCH_PREFIX}old.tmp", folder / f"{SCRATCH_PREFIX}new.tmp"
    for f in (old, new):
        f.write_bytes(b"\0" * 4096)
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    with file_store.scratch():
        pass
    assert not old.exists() and new.exists()  # another process's work may still use a recent one


def test_an_error_inside_still_detaches_and_deletes(file_store):
    folder = file_store.path.parent
    try:
        with file_store.scratch() as schema:
            file_store.conn.execute(f"CREATE TABLE {schema}.work (name TEXT)")
            raise RuntimeError("stopped")
    except RuntimeError:
        pass
    assert not list(folder.glob(f"{SCRATCH_PREFIX}*"))
    with file_store.scratch() as schema:  # and the next work finds it empty
        assert file_store.conn.execute(f"SELECT count(*) FROM {schema}.sqlite_master").fetchone()[0] == 0


def test_an_in_memory_store_uses_temp(store):
    with store.scratch() as schema:
        assert schema == "temp"
