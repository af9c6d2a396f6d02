"""Opening an older version's file in the window: the start dialog says the data is being upgraded, shows
each step with a bar, cannot be closed meanwhile, and the work runs off the GUI thread."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtWidgets import QAbstractButton, QMessageBox

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
def hold(monkeypatch):
    """``hold()``: from then on the migrations to run from OLD are held (in the worker) until the test lets them
    go: the first with no fraction, the last after telling half of it done. Returns (pending, gates). Not timed:
    the test waits for what the dialog shows."""
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

    def start():
        monkeypatch.setattr(
            migrations,
            "MIGRATIONS",
            [(n, d, held(n, s) if n in gates else s) for n, d, s in MIGRATIONS],
        )
        return pending, gates

    yield start
    for gate in gates.values():  # never leave a worker waiting
        gate.set()


@pytest.fixture
def held_steps(hold):
    return hold()


@pytest.fixture
def file_work_on_gui_thread(monkeypatch):
    """Each data file opened, whether on the GUI thread (the test's thread)."""
    gui_thread = threading.get_ident()
    opened_on: list[bool] = []
    real_connect = store_module.connect

    def spy(path, key=None):
        opened_on.append(threading.get_ident() == gui_thread)
        return real_connect(path, key)

    monkeypatch.setattr(store_module, "connect", spy)
    return opened_on


def watch_upgrade(qtbot, dialog, gates, pending, text: str, name: str) -> None:
    """The dialog shows the upgrade as the start does: the panel with its text, each step and its bar, no button
    and no way to close it meanwhile; then the steps are let go."""
    steps = len(pending)
    qtbot.waitUntil(
        lambda: dialog.upgrade_step.text() == f"Đang nâng cấp dữ liệu (bước 1/{steps})…", timeout=20000
    )
    assert dialog.upgrading and dialog.upgrade.isVisible()
    assert dialog.upgrade_text.text() == text
    assert (dialog.upgrade_bar.minimum(), dialog.upgrade_bar.maximum()) == (0, 0)
    assert not dialog.error.isVisible()
    assert not any(b.isEnabled() for b in dialog.findChildren(QAbstractButton) if b.isVisible())
    dialog.reject()  # Esc, or the title bar's close: not while upgrading
    dialog.close()
    assert dialog.isVisible()
    assert fits(dialog)
    shot(dialog, name)
    gates[pending[0]].set()
    qtbot.waitUntil(lambda: dialog.upgrade_bar.value() == U.STEPS // 2, timeout=20000)
    assert dialog.upgrade_step.text() == f"Đang nâng cấp dữ liệu (bước {steps}/{steps})…"
    gates[pending[-1]].set()


def window_after_upgrade(qtbot, launcher, dialog, before, file_work_on_gui_thread):
    """The window the launcher opens (another than ``before``) once ``dialog``'s upgrade is over, no data file
    having been opened on the GUI thread."""
    qtbot.waitUntil(lambda: launcher.window is not before, timeout=30000)
    assert not dialog.upgrading
    assert file_work_on_gui_thread and not any(file_work_on_gui_thread), (
        "a data file was opened on the GUI thread"
    )
    return launcher.window


def test_the_start_dialog_shows_the_upgrade_while_it_runs(
    qtbot, tmp_path, held_steps, file_work_on_gui_thread
):
    pending, gates = held_steps
    opened_on = file_work_on_gui_thread
    folder = older_folder(tmp_path / "data", OLD)
    opened_on.clear()  # (made by the test itself)
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
    key = window.key  # (the window lets go of it when it closes)
    window.close()
    window.tasks.wait(10000)
    launcher.tasks.wait(10000)
    with store_module.Store.in_dir(folder, key) as store:
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


def test_restoring_an_older_versions_backup_shows_the_upgrade_and_ends_on_its_data(
    qtbot, tmp_path, hold, file_work_on_gui_thread
):
    """A backup made by an older version is upgraded as it is opened after the restore: the restore dialog shows
    it as the start does (in a worker, the panel, no way out), then the window opens again on the backup's data."""
    from app.gui import protection
    from app.security import datakey
    from app.services import unlock as service
    from app.storage import backups

    folder = older_folder(tmp_path / "data", OLD)
    key = datakey.unlock(folder, TEST_PASSPHRASE)
    with store_module.Store(folder / "khaosat.sqlite3", key, migrate_schema=False) as old_store:
        out = backups.write_backup(old_store, tmp_path / "usb" / "b.khaosat-backup")  # the older version's
    assert backups.read_info(out).schema_version == OLD
    service.open_folder(folder, TEST_PASSPHRASE)  # this version upgrades the folder; then work goes on
    with store_module.Store.in_dir(folder, key) as store:
        store.conn.execute("UPDATE enterprises SET name = 'Công ty đã đổi tên' WHERE id = 'e-1'")
    launcher = Launcher(folder, offer_drafts=False)
    launcher.start()
    answer_unlock(qtbot, launcher)
    qtbot.waitUntil(lambda: launcher.window is not None, timeout=30000)
    old = launcher.window
    qtbot.waitUntil(lambda: old.list_panel.model.loaded_once, timeout=10000)
    pending, gates = hold()
    file_work_on_gui_thread.clear()  # (the test's own)
    dialog = protection.RestoreDialog(old, backups.read_info(out), False)
    dialog.open()
    dialog.passphrase.setText(TEST_PASSPHRASE)
    dialog.ok.click()
    watch_upgrade(qtbot, dialog, gates, pending, U.UPGRADE_RESTORED_TEXT, "restore-upgrade-running")

    window = window_after_upgrade(qtbot, launcher, dialog, old, file_work_on_gui_thread)
    qtbot.waitUntil(lambda: window.findChild(QMessageBox, "restored_box") is not None, timeout=10000)
    box = window.findChild(QMessageBox, "restored_box")
    assert box.windowTitle() == "Đã khôi phục"
    box.accept()
    qtbot.waitUntil(lambda: window.list_panel.model.loaded_once, timeout=10000)
    assert window.list_panel.model.rowCount() == 1
    got: list[tuple] = []
    window.tasks.read(
        lambda store: (store.schema_version(), store.row("enterprises", "e-1")["name"]), got.append
    )
    qtbot.waitUntil(lambda: bool(got), timeout=10000)
    assert got[0] == (LATEST, "Công ty TNHH Hòa Bình")  # the backup's data, upgraded
    window.close()
    window.tasks.wait(10000)
    launcher.tasks.wait(10000)
    for obj in (window, launcher.unlock_dialog, launcher):  # (the old window and its dialog are gone)
        obj.deleteLater()
    flush_deletes()


def test_a_recovered_passphrase_on_an_older_versions_file_shows_the_upgrade(
    qtbot, tmp_path, hold, file_work_on_gui_thread
):
    """The passphrase forgotten on a laptop whose file an older version made (the new version just installed):
    the data opened after the office's unlock file is upgraded, and the recovery dialog shows it as the start
    does; then the window opens on the data."""
    from PySide6.QtWidgets import QPushButton

    from app.domain.vocab import Role
    from app.security import datakey
    from app.sync import recovery
    from tests.conftest import TEST_WARD
    from tests.helpers.vault import key_for, older_database
    from tests.sync.conftest import make_machine, register

    stick = tmp_path / "usb"
    stick.mkdir()
    laptop = make_machine(tmp_path, "Nguyễn Thị Hằng", TEST_WARD, Role.COLLABORATOR)
    office = make_machine(tmp_path, "Lê Thị Thu", TEST_WARD, Role.WARD_OFFICE)
    register(office, laptop, stick)
    laptop.store.close()
    request = recovery.make_request(laptop.folder, stick).path
    answer = recovery.answer_request(
        office.store,
        office.ident,
        recovery.read_request(office.store, office.ident, request),
        stick,
        checked_by="Lê Thị Thu",
        note="đã xem căn cước",
    )
    office.store.close()
    # the laptop's file as the older version left it (same data key, same laptop)
    db = laptop.folder / "khaosat.sqlite3"
    for side in (db, db.with_name(f"{db.name}-wal"), db.with_name(f"{db.name}-shm")):
        side.unlink(missing_ok=True)
    older_database(db, key_for(laptop.folder), OLD, datakey.load(laptop.folder).laptop_id)

    pending, gates = hold()
    file_work_on_gui_thread.clear()  # (the test's own)
    launcher = Launcher(laptop.folder, offer_drafts=False)
    launcher.start()
    qtbot.waitUntil(
        lambda: launcher.unlock_dialog is not None and launcher.unlock_dialog.isVisible(), timeout=10000
    )
    launcher.unlock_dialog.findChild(QPushButton, "unlock_forgot").click()
    ask = launcher.recovery_dialog
    qtbot.waitUntil(ask.isVisible, timeout=10000)
    ask.file.setText(str(answer.path))
    ask.code.setText(answer.code)
    ask.new.setText("Câu mới dễ nhớ năm 2026")
    ask.repeat.setText("Câu mới dễ nhớ năm 2026")
    ask.ok.click()
    watch_upgrade(qtbot, ask, gates, pending, U.UPGRADE_TEXT, "recovery-upgrade-running")

    window = window_after_upgrade(qtbot, launcher, ask, None, file_work_on_gui_thread)
    qtbot.waitUntil(lambda: window.list_panel.model.loaded_once, timeout=10000)
    assert window.list_panel.model.rowCount() == 1
    got: list[int] = []
    window.tasks.read(lambda store: store.schema_version(), got.append)
    qtbot.waitUntil(lambda: bool(got), timeout=10000)
    assert got == [LATEST]
    window.close()
    window.tasks.wait(10000)
    launcher.tasks.wait(10000)
    for obj in (window, ask, launcher.unlock_dialog, launcher):
        obj.deleteLater()
    flush_deletes()
