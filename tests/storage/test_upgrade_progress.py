"""Upgrading an older file says what it does: the backup kept first, then each migration, through the
callback the opener passes down (``UpgradeStep``); a kill -9 in the middle of a migration leaves the file whole."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from app.security import datakey
from app.services import unlock
from app.storage import Store, migrations
from app.storage.migrations import (
    BACKUP,
    DONE,
    LATEST,
    MIGRATE,
    MIGRATIONS,
    UpgradeStep,
    migrate,
    report_fraction,
)
from app.storage.store import connect
from tests.conftest import ROOT, killed_once_it_says
from tests.helpers.vault import TEST_PASSPHRASE, older_folder

OLD = 13  # before migration 14, the one that took a minute at 500,000 enterprises (issue 15)


def pending(version: int) -> list[int]:
    return [number for number, _d, _s in MIGRATIONS if number > version]


def test_opening_an_older_file_tells_the_backup_then_each_migration(tmp_path):
    folder = older_folder(tmp_path / "data", OLD)
    told: list[UpgradeStep] = []
    opened = unlock.open_folder(folder, TEST_PASSPHRASE, told.append)
    assert opened.profile.collaborator == "Nguyễn Thị Hằng"

    backup = [s for s in told if s.stage == BACKUP]
    assert told[: len(backup)] == backup  # the copy is made first
    fractions = [s.fraction for s in backup]
    assert fractions[0] == 0.0 and 1.0 in fractions and fractions[-1] is None  # copied, then checked
    copied = [f for f in fractions if f is not None]
    assert copied == sorted(copied)
    assert {s.text for s in backup} == {"Đang sao lưu dữ liệu trước khi nâng cấp…"}

    steps = pending(OLD)
    told_after = told[len(backup) :]
    # each step once, then its fraction when it tells one (migration 16 counts the enterprises in chunks)
    rest = [
        s
        for n, s in enumerate(told_after)
        if n == 0 or (s.stage, s.version) != (told_after[n - 1].stage, told_after[n - 1].version)
    ]
    assert [s.stage for s in rest] == [MIGRATE] * len(steps) + [DONE]
    assert all(s.fraction is None for s in rest[:-1])
    for version in steps:
        fractions = [
            s.fraction
            for s in told_after
            if s.stage == MIGRATE and s.version == version and s.fraction is not None
        ]
        assert fractions == sorted(fractions) and (not fractions or fractions[-1] == 1.0), version
    assert [s.version for s in rest[:-1]] == steps
    assert [s.text for s in rest[:-1]] == [
        f"Đang nâng cấp dữ liệu (bước {n}/{len(steps)})…" for n in range(1, len(steps) + 1)
    ]
    assert rest[-1].text == "Đã nâng cấp xong dữ liệu."

    assert len(list((folder / "backups").iterdir())) == 1
    with Store.in_dir(folder, opened.key) as store:
        assert store.schema_version() == LATEST and store.integrity_check() == []
        assert store.row("enterprises", "e-1")["last_visit"] == "2025-03-04"

    again: list[UpgradeStep] = []  # current now: nothing to say
    unlock.open_folder(folder, TEST_PASSPHRASE, again.append)
    assert again == []


def test_a_new_folder_says_nothing(tmp_path):
    told: list[UpgradeStep] = []
    unlock.open_folder(tmp_path / "data", TEST_PASSPHRASE, told.append)
    assert told == []


def test_a_migration_that_loops_over_rows_fills_its_bar(tmp_path, monkeypatch):
    """Any migration, with no UI work of its own: ``report_fraction`` in its loop, a whole percent at a time."""

    def loops(conn):
        conn.execute("CREATE TABLE numbers (n INTEGER)")
        for n in range(1000):
            conn.execute("INSERT INTO numbers VALUES (?)", (n,))
            report_fraction(n, 1000)

    monkeypatch.setattr(migrations, "MIGRATIONS", [*MIGRATIONS, (LATEST + 1, "loops", loops)])
    conn = connect(tmp_path / "a.sqlite3")
    migrate(conn, target=LATEST)
    told: list[UpgradeStep] = []
    assert migrations.migrate(conn, progress=told.append) == [LATEST + 1]
    assert told[0] == UpgradeStep(MIGRATE, 1, 1, LATEST + 1, None)
    fractions = [s.fraction for s in told[1:-1]]
    assert len(fractions) == 100  # 0 %, 1 % ... 99 %: not one report a row
    assert fractions == sorted(fractions) and fractions[0] == 0.0 and fractions[-1] == pytest.approx(0.99)
    assert {s.text for s in told[:-1]} == {"Đang nâng cấp dữ liệu (bước 1/1)…"}
    assert told[-1].stage == DONE
    conn.close()
    report_fraction(1, 2)  # outside a migration: nothing happens


# --- kill -9 in the middle of a migration -----------------------------------------------------------

# Opens the older folder as the program does; migration 14 (real) runs, then, still inside its transaction,
# the process says so and waits to be killed.
_KILL_SCRIPT = """
import sys, threading
from app.security import datakey
from app.services import unlock
from app.storage import migrations

number = int(sys.argv[2])
real = dict((n, step) for n, _d, step in migrations.MIGRATIONS)[number]

def then_wait(conn):
    real(conn)
    conn.execute("CREATE TABLE half_done (x)")
    print("inside", flush=True)
    threading.Event().wait()

migrations.MIGRATIONS = [(n, d, then_wait if n == number else s) for n, d, s in migrations.MIGRATIONS]
unlock.open_folder(sys.argv[1], sys.argv[3], lambda step: print(step.stage, step.version, flush=True))
print("done", flush=True)
"""


@pytest.mark.skipif(os.name == "nt", reason="SIGKILL")
def test_a_kill_in_the_middle_of_a_migration_leaves_the_file_whole(tmp_path):
    folder = older_folder(tmp_path / "data", OLD)
    number = pending(OLD)[0]
    proc = subprocess.Popen(
        [sys.executable, "-c", _KILL_SCRIPT, str(folder), str(number), TEST_PASSPHRASE],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    lines = []
    while (line := proc.stdout.readline().strip()) not in ("inside", "done", ""):
        lines.append(line)
    assert line == "inside", lines  # the step ran and its transaction is open
    assert f"{MIGRATE} {number}" in lines
    proc.send_signal(signal.SIGKILL)  # no cleanup of any kind
    proc.wait()
    proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL

    key = datakey.unlock(folder, TEST_PASSPHRASE)  # (key_for would open the folder: upgrading it)
    conn = connect(folder / "khaosat.sqlite3", key)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == number - 1  # as before the step
        assert not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'half_done'").fetchone()
        assert conn.execute("SELECT name FROM enterprises").fetchall() == [("Công ty TNHH Hòa Bình",)]
    finally:
        conn.close()
    # the next start upgrades it
    unlock.open_folder(folder, TEST_PASSPHRASE)
    with Store.in_dir(folder, key) as store:
        assert store.schema_version() == LATEST and store.integrity_check() == []
        assert store.row("enterprises", "e-1")["last_visit"] == "2025-03-04"


# Opens the older folder as the program does and waits to be killed once the backup's pages are copied
# (the copy still under its temporary name).
_KILL_IN_BACKUP = """
import sys, threading
from app.services import unlock
from app.storage.migrations import BACKUP

def told(step):
    if step.stage == BACKUP and step.fraction == 1.0:
        print("copied", flush=True)
        threading.Event().wait()

unlock.open_folder(sys.argv[1], sys.argv[2], told)
print("done", flush=True)
"""


@pytest.mark.skipif(os.name == "nt", reason="SIGKILL")
def test_a_kill_during_the_backup_leaves_the_file_as_it_was_and_no_half_copy(tmp_path):
    folder = older_folder(tmp_path / "data", OLD)
    proc = killed_once_it_says("copied", _KILL_IN_BACKUP, str(folder), TEST_PASSPHRASE)
    assert proc.returncode == -signal.SIGKILL
    half = list((folder / "backups").glob(".*.tmp"))
    assert len(half) == 1 and not [p for p in (folder / "backups").iterdir() if p not in half]

    key = datakey.unlock(folder, TEST_PASSPHRASE)
    conn = connect(folder / "khaosat.sqlite3", key)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == OLD
    finally:
        conn.close()
    unlock.open_folder(folder, TEST_PASSPHRASE)  # the next start: the half copy goes, a whole one is kept
    kept = list((folder / "backups").iterdir())
    assert len(kept) == 1 and kept[0].name.startswith(f"khaosat-v{OLD}-")
    with Store.in_dir(folder, key) as store:
        assert store.schema_version() == LATEST and store.integrity_check() == []
