"""Opening an older version's file in the window: the start dialog says the data is being upgraded, shows
each step with a bar, cannot be closed meanwhile, and the work runs off the GUI thread."""

from __future__ import annotations

import threading

import pytest

import app.storage.store as store_module
from app.gui import unlock as U
from app.gui.application import Launcher
from app.storage import migrations
from app.storage.migrations import LATEST, MIGRATIONS, report_fraction
from tests.gui.conftest import answer_unlock, flush_deletes
from tests.helpers.screens import fits, shot
from tests.helpers.vault import TEST_PASSPHRASE, older_folder

OLD = 13


@pytest.fixture
def held_steps(monkeypatch):
    """The migrations to run from OLD, each held (in the worker) until the test lets it go: the first with no
    fraction, the last after telling half of it done. Not timed: the test waits for what the dialog shows."""
    pending = [n for n, _d, _s in MIGRATIONS if n > OLD]
    first, last = pending[0], pending[-1]
    gates = {first: threading.Event(), last: threading.Event()}

    def held(number, real):
        def step(conn):
            if number == last:
                report_fraction(1, 2)
            gates[number].wait()
            real(conn)

        return step

    monkeypatch.setattr(
        migrations,
        "MIGRATIONS",
        [(n, d, held(n, s) if n in gates else s) for n, d, s in MIGRATIONS],
    )
    yield pending, gates
    for gate in gates.values():  # never leave a worker waiting
        gate.set()


def test_the_start_dialog_shows_the_upgrade_while_it_runs(qtbot, tmp_path, held_steps, monkeypatch):
    pending, gates = held_steps
    folder = older_folder(tmp_path / "data", OLD)
    gui_thread = threading.get_ident()
    opened_on: list[bool] = []
    real_connect = store_module.connect

    def spy(path, key=None):
        opened_on.append(threading.get_ident() == gui_thread)
        return real_connect(path, key)

    monkeypatch.setattr(store_module, "connect", spy)
    launcher = Launcher(folder, offer_drafts=False)
    launcher.start()
    answer_unlock(qtbot, launcher)
    dialog = launcher.unlock_dialog
    steps = len(pending)

    # the first migration runs: no fraction, a bar that moves by itself
    qtbot.waitUntil(
        lambda: dialog.upgrade_step.text() == f"Đang nâng cấp dữ liệu (bước 1/{steps})…", timeout=20000
    )
    assert dialog.upgrading and dialog.upgrade.isVisible()
    assert dialog.upgrade_text.text() == U.UPGRADE_TEXT
    assert "vài phút" in U.UPGRADE_TEXT and "Đừng tắt máy" in U.UPGRADE_TEXT
    assert (dialog.upgrade_bar.minimum(), dialog.upgrade_bar.maximum()) == (0, 0)
    assert not dialog.error.isVisible()
    assert not any(b.isEnabled() for b in dialog.buttons.buttons())
    dialog.reject()  # Esc, or the title bar's close: not while upgrading
    dialog.close()
    assert dialog.isVisible() and launcher.window is None
    assert fits(dialog)
    shot(dialog, "upgrade-running")
    gates[pending[0]].set()

    # the last one tells half of it done: the bar says so
    qtbot.waitUntil(lambda: dialog.upgrade_bar.value() == U.STEPS // 2, timeout=20000)
    assert dialog.upgrade_step.text() == f"Đang nâng cấp dữ liệu (bước {steps}/{steps})…"
    assert dialog.upgrade_bar.maximum() == U.STEPS
    shot(dialog, "upgrade-fraction")
    gates[pending[-1]].set()

    qtbot.waitUntil(lambda: launcher.window is not None, timeout=30000)
    window = launcher.window
    assert not dialog.upgrading
    assert opened_on and not any(opened_on), "the data file was opened on the GUI thread"
    assert len(list((folder / "backups").iterdir())) == 1  # the copy kept before upgrading
    qtbot.waitUntil(lambda: window.list_panel.model.loaded_once, timeout=10000)
    assert window.list_panel.model.rowCount() == 1
    window.close()
    window.tasks.wait(10000)
    launcher.tasks.wait(10000)
    with store_module.Store.in_dir(folder, window.key) as store:
        assert store.schema_version() == LATEST
    for obj in (window, dialog, launcher):
        obj.deleteLater()
    flush_deletes()


def test_an_upgrade_that_fails_says_why_and_the_dialog_is_usable_again(qtbot, tmp_path, monkeypatch):
    """A full disk in the middle of a migration: the panel gives way to the reason, the buttons come back,
    and the file is as it was before that step."""
    from app.storage.driver import dbapi

    last = MIGRATIONS[-1][0]

    def full(conn):
        conn.execute("CREATE TABLE half_done (x)")
        raise dbapi.OperationalError("database or disk is full")

    monkeypatch.setattr(migrations, "MIGRATIONS", [*MIGRATIONS[:-1], (last, "full", full)])
    folder = older_folder(tmp_path / "data", OLD)
    launcher = Launcher(folder, offer_drafts=False)
    launcher.start()
    answer_unlock(qtbot, launcher)
    dialog = launcher.unlock_dialog
    qtbot.waitUntil(lambda: not dialog.busy and dialog.error.text() != "Đang mở khóa…", timeout=20000)
    assert not dialog.upgrading and not dialog.upgrade.isVisible()
    assert "đầy" in dialog.error.text() and dialog.error.isVisible()
    assert all(b.isEnabled() for b in dialog.buttons.buttons())
    assert launcher.window is None
    launcher.tasks.wait(10000)
    from app.security import datakey
    from app.storage.store import connect

    conn = connect(folder / "khaosat.sqlite3", datakey.unlock(folder, TEST_PASSPHRASE))
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == last - 1
        assert not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'half_done'").fetchone()
    finally:
        conn.close()
    dialog.hide()  # (not reject(): the launcher would quit the application, and the tests after it with it)
    for obj in (dialog, launcher):
        obj.deleteLater()
    flush_deletes()
