"""The passphrase in the desktop program: unlock at start, migration, change, restore, idle lock, recovery."""

from __future__ import annotations

import re
import unicodedata

from PySide6.QtWidgets import QApplication

from app.domain.vocab import Role
from app.gui import unlock as U
from app.gui.application import Launcher
from app.gui.new_passphrase import MISMATCH, STRONG_ENOUGH
from app.security import datakey
from app.services import unlock as service
from app.storage import Store, backups
from app.storage.driver import is_plain_file
from tests.conftest import TEST_WARD
from tests.gui.conftest import answer_unlock, close_window, flush_deletes, open_window, wait_idle
from tests.helpers.typing import Keyboard
from tests.helpers.vault import TEST_PASSPHRASE, key_for, open_store, practice_backup


def _finish(qtbot, launcher: Launcher) -> None:
    qtbot.waitUntil(lambda: launcher.window is not None, timeout=30000)
    window = launcher.window
    # only the window holds the data key (its idle lock must be able to drop the last reference)
    assert window.key is not None and window.tasks.key is window.key
    assert launcher.key is None and launcher.tasks.key is None and launcher.unlock_dialog.result_value is None
    qtbot.waitUntil(lambda: window.list_panel.model.loaded_once, timeout=10000)
    window.close()
    window.tasks.wait(10000)
    launcher.tasks.wait(10000)
    for obj in (window, launcher.unlock_dialog, launcher):
        obj.deleteLater()
    flush_deletes()


def _type_into(qtbot, dialog, text: str) -> None:
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow, timeout=5000)
    kb = Keyboard()
    dialog.passphrase.setFocus()
    dialog.passphrase.selectAll()
    kb.type(text)
    kb.enter()


def test_wrong_passphrase_says_so_then_waits_longer(qtbot, data_dir):
    assert [U.wait_after(n) for n in range(1, 8)] == [0, 0, 5, 10, 20, 40, 80]
    assert U.wait_after(20) == U.MAX_WAIT
    launcher = Launcher(data_dir, offer_drafts=False)
    launcher.start()
    qtbot.waitUntil(
        lambda: launcher.unlock_dialog is not None and launcher.unlock_dialog.isVisible(), timeout=10000
    )
    dialog = launcher.unlock_dialog
    assert dialog.mode == U.UNLOCK and dialog.windowTitle() == "KhaoSat — Mở khóa dữ liệu"
    for n in (1, 2):
        _type_into(qtbot, dialog, "không phải mật khẩu")
        qtbot.waitUntil(lambda n=n: f"(lần {n})" in dialog.error.text(), timeout=10000)
        assert "Mật khẩu không đúng" in dialog.error.text() and dialog.ok.isEnabled()
    _type_into(qtbot, dialog, "vẫn sai mật khẩu")
    qtbot.waitUntil(lambda: "chờ 5 giây" in dialog.error.text(), timeout=10000)
    assert not dialog.ok.isEnabled() and launcher.window is None
    for _ in range(5):
        dialog._tick()  # the one-second timer, five times
    assert dialog.ok.isEnabled() and "Có thể thử lại" in dialog.error.text()
    _type_into(qtbot, dialog, TEST_PASSPHRASE)
    _finish(qtbot, launcher)


def test_an_earlier_versions_plain_file_is_encrypted_at_first_start(qtbot, tmp_path):
    folder = tmp_path / "cu"
    with Store(folder / "khaosat.sqlite3") as s:  # as the previous version left it: plain
        s.set_profile(unit_code=TEST_WARD, collaborator="Nguyễn Thị Hằng", role=Role.COLLABORATOR)
    assert service.folder_state(folder) == service.PLAIN
    launcher = Launcher(folder, offer_drafts=False)
    launcher.start()
    qtbot.waitUntil(
        lambda: launcher.unlock_dialog is not None and launcher.unlock_dialog.isVisible(), timeout=10000
    )
    dialog = launcher.unlock_dialog
    assert dialog.mode == U.MIGRATE and dialog.repeat is not None
    dialog.passphrase.setText("ngắn")
    assert "quá ngắn" in dialog.strength.text()
    # the body of «Đổi mật khẩu» and of a recovery: the same words when the two differ
    dialog.repeat.setText("ngắn hơn")
    dialog.passphrase.setText("Mật khẩu mới của Hằng 2026")
    assert dialog.strength.text() == STRONG_ENOUGH
    dialog.ok.click()
    assert dialog.error.text() == MISMATCH
    dialog.repeat.clear()
    dialog.passphrase.clear()
    assert dialog.strength.text() == ""
    answer_unlock(qtbot, launcher)
    qtbot.waitUntil(lambda: launcher.window is not None, timeout=30000)
    assert not is_plain_file(folder / "khaosat.sqlite3")
    assert launcher.window.profile.collaborator == "Nguyễn Thị Hằng"
    _finish(qtbot, launcher)


def test_a_decomposed_keyboard_sets_opens_and_changes_the_passphrase_as_a_composed_one(qtbot, tmp_path):
    """Some keyboards send "ậ" as "a" and two combining marks (NFD), others as one letter (NFC): the
    passphrase is the same whichever sent it, at first start, at unlock and in «Đổi mật khẩu»."""
    folder = tmp_path / "cu"
    with Store(folder / "khaosat.sqlite3") as s:
        s.set_profile(unit_code=TEST_WARD, collaborator="Nguyễn Thị Hằng", role=Role.COLLABORATOR)
    decomposed, composed = Keyboard(decomposed=True), Keyboard()

    # first start: typed decomposed, repeated composed
    launcher = Launcher(folder, offer_drafts=False)
    launcher.start()
    qtbot.waitUntil(
        lambda: launcher.unlock_dialog is not None and launcher.unlock_dialog.isVisible(), timeout=10000
    )
    dialog = launcher.unlock_dialog
    assert dialog.mode == U.MIGRATE
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow, timeout=5000)
    dialog.passphrase.setFocus()
    decomposed.type(TEST_PASSPHRASE)
    dialog.repeat.setFocus()
    composed.type(TEST_PASSPHRASE)
    assert dialog.passphrase.text() == unicodedata.normalize("NFD", TEST_PASSPHRASE) != dialog.repeat.text()
    composed.enter()
    _finish(qtbot, launcher)
    assert service.open_folder(folder, TEST_PASSPHRASE).key.key_id == datakey.load(folder).key_id

    # unlock: typed decomposed
    launcher = Launcher(folder, offer_drafts=False)
    launcher.start()
    qtbot.waitUntil(
        lambda: launcher.unlock_dialog is not None and launcher.unlock_dialog.isVisible(), timeout=10000
    )
    dialog = launcher.unlock_dialog
    assert dialog.mode == U.UNLOCK
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow, timeout=5000)
    dialog.passphrase.setFocus()
    decomposed.type(TEST_PASSPHRASE)
    decomposed.enter()
    _finish(qtbot, launcher)

    # «Đổi mật khẩu»: the current one typed decomposed, the new one composed then decomposed
    window = open_window(qtbot, folder)
    try:
        window.actions.trigger("file.passphrase")
        qtbot.waitUntil(lambda: QApplication.activeModalWidget() is not None, timeout=5000)
        change = QApplication.activeModalWidget()
        new = "Mật khẩu mới của Hằng 2026"
        for field, keyboard, text in (
            (change.old, decomposed, TEST_PASSPHRASE),
            (change.new, composed, new),
            (change.repeat, decomposed, new),
        ):
            keyboard.type(text, field)
        assert change.repeat.text() != change.new.text()
        change.ok.click()
        qtbot.waitUntil(lambda: not change.isVisible(), timeout=10000)
        assert service.open_folder(folder, unicodedata.normalize("NFD", new)).key == window.key
        assert service.open_folder(folder, new).key == window.key
    finally:
        close_window(qtbot, window)


def test_change_the_passphrase_from_the_file_menu(qtbot, data_dir):
    window = open_window(qtbot, data_dir)
    try:
        db_before = (data_dir / "khaosat.sqlite3").stat().st_size
        window.actions.trigger("file.passphrase")
        qtbot.waitUntil(lambda: QApplication.activeModalWidget() is not None, timeout=5000)
        dialog = QApplication.activeModalWidget()
        assert dialog.objectName() == "passphrase_change_dialog"
        dialog.old.setText("sai mật khẩu cũ")
        dialog.new.setText("ngắn")
        assert "quá ngắn" in dialog.chosen.strength.text()  # said as it is typed, as at the first start
        dialog.ok.click()  # then said once, on the problem line
        assert "quá ngắn" in dialog.error.text() and dialog.chosen.strength.text() == ""
        dialog.new.setText("Mật khẩu mới của Hằng 2026")
        assert dialog.chosen.strength.text() == STRONG_ENOUGH
        dialog.repeat.setText("Mật khẩu mới của Hằng 2025")
        dialog.ok.click()
        assert dialog.error.text() == MISMATCH  # the same body and words as the recovery dialog's
        dialog.repeat.setText("Mật khẩu mới của Hằng 2026")
        dialog.ok.click()
        qtbot.waitUntil(lambda: "không đúng" in dialog.error.text(), timeout=10000)
        dialog.old.setText(TEST_PASSPHRASE)
        dialog.ok.click()
        qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=10000)
        assert service.open_folder(data_dir, "Mật khẩu mới của Hằng 2026").key == window.key
        assert (data_dir / "khaosat.sqlite3").stat().st_size == db_before
    finally:
        close_window(qtbot, window)


def _launch(qtbot, data_dir) -> Launcher:
    launcher = Launcher(data_dir, offer_drafts=False)
    launcher.start()
    answer_unlock(qtbot, launcher)
    qtbot.waitUntil(lambda: launcher.window is not None, timeout=30000)
    qtbot.waitUntil(lambda: launcher.window.list_panel.model.loaded_once, timeout=10000)
    return launcher


def test_restore_a_backup_from_the_file_menu_reopens_the_window(qtbot, data_dir, tmp_path):
    from PySide6.QtWidgets import QMessageBox

    from app.gui import protection

    with open_store(data_dir) as s:
        counts = s.counts()
        out = backups.write_backup(s, tmp_path / "usb" / "b.khaosat-backup")
        s.conn.execute("DELETE FROM visits")  # lost after the backup
    launcher = _launch(qtbot, data_dir)
    old = launcher.window
    old_tasks = old.tasks
    gone: list[int] = []
    old.destroyed.connect(lambda: gone.append(1))
    try:
        old.forms.new_enterprise()
        qtbot.waitUntil(lambda: bool(old.forms.open_forms), timeout=10000)
        dialog = protection.RestoreDialog(old, backups.read_info(out), False)
        dialog.open()
        dialog.passphrase.setText("mật khẩu không đúng")
        dialog.ok.click()
        qtbot.waitUntil(lambda: "lúc tạo bản sao lưu" in dialog.error.text(), timeout=10000)
        assert launcher.window is old and old.isVisible()  # a wrong passphrase changes nothing
        dialog.passphrase.setText(TEST_PASSPHRASE)
        dialog.ok.click()  # the open (untouched) form closes without a question; then the restore
        qtbot.waitUntil(lambda: launcher.window is not old, timeout=30000)
        window = launcher.window
        qtbot.waitUntil(lambda: window.findChild(QMessageBox, "restored_box") is not None, timeout=10000)
        box = window.findChild(QMessageBox, "restored_box")
        assert "Đã khôi phục" in box.text() and "mở lại" in box.text()
        box.accept()
        qtbot.waitUntil(lambda: bool(gone), timeout=10000)  # the old window is closed and deleted
        assert window.isVisible()
        qtbot.waitUntil(lambda: window.list_panel.model.loaded_once, timeout=10000)
        assert window.list_panel.model.rowCount() == counts["enterprises"]
        got: list[dict] = []
        window.tasks.read(lambda store: store.counts(), got.append)  # the new window reads the restored file
        qtbot.waitUntil(lambda: bool(got), timeout=10000)
        assert got[0] == counts
        assert old_tasks._read_stores == {}  # the old window left no connection open
    finally:
        _finish_launcher(qtbot, launcher)
    with open_store(data_dir) as s:
        assert s.counts() == counts


def test_a_restore_that_fails_reopens_the_data_as_it_was(qtbot, data_dir, tmp_path):

    from app.gui import protection

    with open_store(data_dir) as s:
        out = backups.write_backup(s, tmp_path / "usb" / "b.khaosat-backup")
        s.conn.execute("DELETE FROM visits")
        counts = s.counts()
    info = backups.read_info(out)
    data = bytearray(out.read_bytes())  # the database inside is damaged after the header was read
    data[info.db_offset + 5000 : info.db_offset + 9000] = bytes(4000)
    out.write_bytes(bytes(data))
    launcher = _launch(qtbot, data_dir)
    old = launcher.window
    try:
        dialog = protection.RestoreDialog(old, info, False)
        window, box = _restore_and_reopen(qtbot, launcher, dialog)
        assert box.windowTitle() == "Chưa khôi phục" and "hỏng" in box.text()
        box.accept()
        got: list[dict] = []
        window.tasks.read(lambda store: store.counts(), got.append)
        qtbot.waitUntil(lambda: bool(got), timeout=10000)
        assert got[0] == counts  # the data as it was, working
    finally:
        _finish_launcher(qtbot, launcher)


def _restore_and_reopen(qtbot, launcher: Launcher, dialog):
    """Restore through ``dialog`` with the test passphrase; the window the launcher reopens and its
    «restored» message box."""
    from PySide6.QtWidgets import QMessageBox

    old = launcher.window
    dialog.open()
    dialog.passphrase.setText(TEST_PASSPHRASE)
    dialog.ok.click()
    qtbot.waitUntil(lambda: launcher.window is not old, timeout=30000)
    window = launcher.window
    qtbot.waitUntil(lambda: window.findChild(QMessageBox, "restored_box") is not None, timeout=10000)
    return window, window.findChild(QMessageBox, "restored_box")


def _finish_launcher(qtbot, launcher: Launcher) -> None:
    window = launcher.window
    close_window(qtbot, window)
    launcher.tasks.wait(10000)
    for obj in (window, launcher.unlock_dialog, launcher):
        obj.deleteLater()
    flush_deletes()


def test_cancel_stops_the_restore_while_the_passphrase_is_checked(qtbot, data_dir, tmp_path, monkeypatch):
    """«Hủy» while the backup's passphrase is checked (before anything is closed) closes the dialog and nothing
    is restored: the window and its data stay as they were."""
    import threading

    from app.gui import protection

    with open_store(data_dir) as s:
        out = backups.write_backup(s, tmp_path / "usb" / "b.khaosat-backup")
        s.conn.execute("DELETE FROM visits")  # lost after the backup: a restore would bring them back
        counts = s.counts()
    checking, go = threading.Event(), threading.Event()
    unlock_backup = backups.BackupInfo.unlock

    def held_unlock(info, passphrase):
        checking.set()
        go.wait(60)  # until the test has pressed «Hủy»
        return unlock_backup(info, passphrase)

    restored: list[object] = []
    real_restore = backups.restore
    monkeypatch.setattr(backups.BackupInfo, "unlock", held_unlock)
    monkeypatch.setattr(backups, "restore", lambda *a, **k: restored.append(1) or real_restore(*a, **k))
    launcher = _launch(qtbot, data_dir)
    old = launcher.window
    try:
        dialog = protection.RestoreDialog(old, backups.read_info(out), False)
        checked: list[object] = []
        then_restore = dialog._restore
        dialog._restore = lambda *a: (then_restore(*a), checked.append(1))
        dialog.open()
        dialog.passphrase.setText(TEST_PASSPHRASE)
        dialog.ok.click()
        qtbot.waitUntil(checking.is_set, timeout=10000)
        assert dialog.cancel.isEnabled()
        dialog.cancel.click()
        assert not dialog.isVisible()
        go.set()
        qtbot.waitUntil(lambda: bool(checked), timeout=10000)  # the right passphrase came back after «Hủy»
        assert not restored and launcher.window is old and old.isVisible()
        got: list[dict] = []
        old.tasks.read(lambda store: store.counts(), got.append)  # the window still reads its own data
        qtbot.waitUntil(lambda: bool(got), timeout=10000)
        assert got[0] == counts
    finally:
        go.set()
        _finish_launcher(qtbot, launcher)


def test_cancel_is_disabled_while_the_backup_is_put_in_place(qtbot, data_dir, tmp_path, monkeypatch):
    """Once the window's connections are closed the backup's files are put in place and nothing can stop that:
    «Hủy» is disabled and Esc or the title bar's close do nothing. If the data then does not open, the dialog
    stays and says so, and «Hủy» closes it."""
    import shutil
    import threading

    from app.gui import protection

    with open_store(data_dir) as s:
        out = backups.write_backup(s, tmp_path / "usb" / "b.khaosat-backup")
    stranger = tmp_path / "other"
    open_store(stranger).close()  # a folder with a key of its own
    putting, go = threading.Event(), threading.Event()
    real_restore = backups.restore

    def held_restore(*args, **kwargs):
        putting.set()
        go.wait(60)  # until the test has looked at the dialog
        done = real_restore(*args, **kwargs)
        # then another folder's key file lands in the data folder: the data no longer opens with its key
        shutil.copy(stranger / datakey.DATAKEY_FILE, data_dir / datakey.DATAKEY_FILE)
        return done

    monkeypatch.setattr(backups, "restore", held_restore)
    launcher = _launch(qtbot, data_dir)
    old = launcher.window
    try:
        dialog = protection.RestoreDialog(old, backups.read_info(out), False)
        dialog.open()
        assert dialog.cancel.isEnabled()
        dialog.passphrase.setText(TEST_PASSPHRASE)
        dialog.ok.click()
        qtbot.waitUntil(putting.is_set, timeout=30000)
        assert not dialog.cancel.isEnabled() and not dialog.ok.isEnabled()
        # what it is doing, in the ordinary colour; what to fix (below) in red
        assert dialog.error.text() == "Đang khôi phục…" and "#b00020" not in dialog.error.styleSheet()
        dialog.cancel.click()
        dialog.reject()  # Esc
        dialog.close()  # the title bar's close
        assert dialog.isVisible()
        go.set()
        qtbot.waitUntil(lambda: "Hãy đóng rồi mở lại chương trình" in dialog.error.text(), timeout=30000)
        assert "Khóa này không mở được" in dialog.error.text()
        assert "#b00020" in dialog.error.styleSheet()
        assert dialog.cancel.isEnabled() and launcher.window is old
        dialog.cancel.click()
        assert not dialog.isVisible()
    finally:
        go.set()
        _finish_launcher(qtbot, launcher)


def test_practice_data_is_not_backed_up_and_a_practice_backup_not_restored(qtbot, data_dir, tmp_path):
    """The window in practice mode offers neither backup nor restore; on real data, a backup holding practice
    data is refused by the restore (app.storage.backups) and the window reopens on the data as it was."""

    from app.demo import practice
    from app.gui import protection
    from app.gui.main_window import MainWindow

    with open_store(data_dir) as s:
        counts, profile = s.counts(), s.profile()
    out = practice_backup(data_dir, tmp_path / "usb" / "tap.khaosat-backup")
    launcher = _launch(qtbot, data_dir)
    old = launcher.window
    try:
        assert (
            old.actions.action("file.backup").isEnabled() and old.actions.action("file.restore").isEnabled()
        )
        dialog = protection.RestoreDialog(old, backups.read_info(out), False)
        window, box = _restore_and_reopen(qtbot, launcher, dialog)
        assert box.windowTitle() == "Chưa khôi phục"
        assert "dữ liệu tập dượt" in box.text() and "chưa bị thay đổi" in box.text()
        box.accept()
        got: list[dict] = []
        window.tasks.read(lambda store: (store.counts(), store.is_practice), got.append)
        qtbot.waitUntil(lambda: bool(got), timeout=10000)
        assert got[0] == (counts, False)  # the real data as it was
    finally:
        _finish_launcher(qtbot, launcher)

    made = practice.prepare(data_dir, profile, 5, key=key_for(data_dir))
    window = MainWindow(made.data_dir, made.data_dir / "khaosat.sqlite3", made.profile, key_for(data_dir))
    window.show()
    qtbot.waitExposed(window)
    try:
        qtbot.waitUntil(lambda: window.list_panel.model.loaded_once, timeout=10000)
        assert window.profile.practice
        assert not window.actions.action("file.backup").isEnabled()
        assert not window.actions.action("file.restore").isEnabled()
    finally:
        close_window(qtbot, window)


def test_another_machines_backup_needs_a_confirmation(qtbot, data_dir, tmp_path):
    from app.gui import protection

    other = tmp_path / "other"
    with open_store(other) as s:
        s.set_profile(unit_code=TEST_WARD, collaborator="Trần Văn Nam", role=Role.COLLABORATOR)
        out = backups.write_backup(s, tmp_path / "usb" / "nam.khaosat-backup")
    info = backups.read_info(out)
    assert backups.is_other_machine(info, data_dir)
    window = open_window(qtbot, data_dir)
    try:
        dialog = protection.RestoreDialog(window, info, True)
        dialog.open()
        assert "MÁY KHÁC" in dialog.findChildren(protection.QLabel)[1].text()
        dialog.passphrase.setText(TEST_PASSPHRASE)
        dialog.ok.click()
        assert "xác nhận" in dialog.error.text()  # nothing done without the box ticked
        dialog.reject()
    finally:
        close_window(qtbot, window)


def test_the_program_locks_itself_and_keeps_the_open_form(qtbot, data_dir):
    window = open_window(qtbot, data_dir)
    try:
        wait_idle(qtbot, window)
        lock = window.inactivity
        assert lock.minutes == 15 and lock.timer.isActive() and lock.timer.interval() == 15 * 60_000
        window.forms.new_enterprise()
        qtbot.waitUntil(lambda: bool(window.forms.open_forms), timeout=10000)
        form = window.forms.open_forms[0]
        form.widgets["name"].setText("Công ty TNHH Đang Gõ Dở")
        lock.timer.timeout.emit()  # fifteen minutes without a key press
        assert lock.locked and not window.isVisible() and not form.isVisible()
        dialog = lock.dialog
        assert dialog.mode == U.RELOCK
        _type_into(qtbot, dialog, "sai rồi mật khẩu")
        qtbot.waitUntil(lambda: "không đúng" in dialog.error.text(), timeout=10000)
        assert not window.isVisible()
        _type_into(qtbot, dialog, TEST_PASSPHRASE)
        qtbot.waitUntil(lambda: not lock.locked, timeout=10000)
        assert window.isVisible() and form.isVisible()
        assert form.widgets["name"].text() == "Công ty TNHH Đang Gõ Dở"
        assert lock.timer.isActive()
    finally:
        close_window(qtbot, window)


def test_the_lock_drops_the_data_key_and_the_unlock_brings_it_back(qtbot, data_dir):
    """While locked no reference to the data key is left and no connection is open; work asked for
    meanwhile waits; the passphrase unwraps the key again and the open form and its draft go on."""
    import gc
    import weakref

    from app.gui.main_window import MainWindow
    from app.storage.store import Store

    with open_store(data_dir) as s:
        profile = s.profile()
        enterprises = s.counts()["enterprises"]
    key = datakey.unlock(data_dir, TEST_PASSPHRASE)  # a key object that only the window holds
    alive = weakref.ref(key)
    window = MainWindow(data_dir, data_dir / "khaosat.sqlite3", profile, key)
    del key
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(
        lambda: window.list_panel.model.loaded_once and window.list_panel.model.exact, timeout=10000
    )
    try:
        wait_idle(qtbot, window)
        window.forms.new_enterprise()
        qtbot.waitUntil(lambda: bool(window.forms.open_forms), timeout=10000)
        form = window.forms.open_forms[0]
        form.widgets["name"].setText("Công ty TNHH Khóa Rồi Mở")
        qtbot.waitUntil(
            lambda: any("Khóa Rồi Mở" in str(d.values) for d in window.drafts.load_all()), timeout=10000
        )
        assert window.tasks._read_stores  # the list's reader connections are open
        window.actions.trigger("file.lock")  # Ctrl+L
        lock = window.inactivity
        assert lock.locked and not window.isVisible() and not form.isVisible()
        qtbot.waitUntil(lambda: window.tasks.released, timeout=10000)
        assert window.key is None and window.drafts.key is None and not window.tasks._read_stores
        gc.collect()
        assert alive() is None  # no reference left anywhere in the program
        # work asked for while locked (a timer's refresh) waits for the key instead of failing
        counted: list[int] = []
        window.tasks.read(lambda store: store.counts()["enterprises"], counted.append)
        qtbot.wait(300)
        assert counted == [] and window.tasks._read_stores == {}
        _type_into(qtbot, lock.dialog, "sai rồi mật khẩu")
        qtbot.waitUntil(lambda: "không đúng" in lock.dialog.error.text(), timeout=10000)
        assert window.key is None and not window.isVisible()
        _type_into(qtbot, lock.dialog, TEST_PASSPHRASE)
        qtbot.waitUntil(lambda: not lock.locked, timeout=10000)
        assert window.key is not None and window.key.key_id == datakey.load(data_dir).key_id
        qtbot.waitUntil(lambda: counted == [enterprises], timeout=10000)  # the waiting read ran, reopened
        assert window.isVisible() and form.isVisible()
        assert form.widgets["name"].text() == "Công ty TNHH Khóa Rồi Mở"
        form.widgets["name"].setText("Công ty TNHH Khóa Rồi Mở Lại")  # drafts are sealed again
        qtbot.waitUntil(
            lambda: any("Mở Lại" in str(d.values) for d in window.drafts.load_all()), timeout=10000
        )
        with Store.in_dir(data_dir, window.key) as s:
            assert s.counts()["enterprises"] == enterprises
    finally:
        close_window(qtbot, window)


def test_recovery_through_the_office_in_the_dialogs(qtbot, tmp_path):
    from app.gui.application import open_recovered
    from app.gui.recovery import LaptopRecoveryDialog, open_office_recovery
    from app.gui.tasks import TaskRunner
    from tests.sync.conftest import make_machine, register

    stick = tmp_path / "usb"
    stick.mkdir()
    laptop = make_machine(tmp_path, "Nguyễn Thị Hằng", TEST_WARD, Role.COLLABORATOR)
    office = make_machine(tmp_path, "Lê Thị Thu", TEST_WARD, Role.WARD_OFFICE)
    register(office, laptop, stick)
    laptop_id, office_id = laptop.id, office.id
    for m in (laptop, office):
        m.store.close()
    assert [o.office_id for o in datakey.load(laptop.folder).offices] == [office_id]

    runner = TaskRunner(laptop.folder / "khaosat.sqlite3", None)
    ask = LaptopRecoveryDialog(
        runner,
        laptop.folder,
        lambda key, progress: open_recovered(laptop.folder, laptop.folder / "khaosat.sqlite3", key, progress),
    )
    ask.show()
    ask.write_request(str(stick))
    qtbot.waitUntil(lambda: "Đã ghi" in ask.request_status.text(), timeout=10000)
    [request] = list(stick.glob("*.khaosat-recovery"))

    window = open_window(qtbot, office.folder)
    try:
        assert window.actions.action("sync.recovery").isEnabled()
        dialog = open_office_recovery(window)
        dialog.open_request(str(request))
        qtbot.waitUntil(lambda: "Nguyễn Thị Hằng" in dialog.machine.text(), timeout=10000)
        assert laptop_id in dialog.machine.text()
        dialog.answer(str(stick))
        assert "đánh dấu xác nhận" in dialog.status.text()  # not without the identity check
        dialog.confirm.setChecked(True)
        dialog.note.setText("đã xem căn cước")
        dialog.answer(str(stick))
        qtbot.waitUntil(lambda: bool(dialog.code.text()), timeout=20000)
        code = dialog.code.text()
        assert re.fullmatch(r"\d{4}-\d{4}-\d{4}", code)
        dialog.close()
    finally:
        close_window(qtbot, window)
    [unlock_file] = list(stick.glob("*.khaosat-unlock"))

    ask.file.setText(str(unlock_file))
    ask.code.setText("1111-2222-3333" if code != "1111-2222-3333" else "3333-2222-1111")
    ask.new.setText("Câu mới dễ nhớ năm 2026")
    assert ask.chosen.strength.text() == STRONG_ENOUGH
    ask.repeat.setText("Câu mới dễ nhớ năm 2025")
    ask.ok.click()
    assert ask.error.text() == MISMATCH  # the same body and words as «Đổi mật khẩu»
    ask.repeat.setText("Câu mới dễ nhớ năm 2026")
    ask.ok.click()
    qtbot.waitUntil(lambda: "Mã mở khóa không đúng" in ask.error.text(), timeout=20000)
    ask.code.setText(code)
    ask.new.setText(unicodedata.normalize("NFD", "Câu mới dễ nhớ năm 2026"))  # a decomposing keyboard
    ask.ok.click()
    qtbot.waitUntil(lambda: ask.result_value is not None, timeout=20000)
    key, profile = ask.result_value
    assert profile.collaborator == "Nguyễn Thị Hằng"
    assert service.open_folder(laptop.folder, "Câu mới dễ nhớ năm 2026").key == key
    runner.wait(10000)
    ask.deleteLater()
    runner.deleteLater()
    flush_deletes()


def test_the_keys_are_typed_in_an_unlock_dialog_only(qtbot, data_dir):
    """The passphrase field hides what is typed and the dialog is modal: nothing else can be used first."""
    launcher = Launcher(data_dir, offer_drafts=False)
    launcher.start()
    qtbot.waitUntil(
        lambda: launcher.unlock_dialog is not None and launcher.unlock_dialog.isVisible(), timeout=10000
    )
    dialog = launcher.unlock_dialog
    assert dialog.passphrase.echoMode() == dialog.passphrase.EchoMode.Password and dialog.isModal()
    assert dialog.findChild(type(dialog.ok), "unlock_forgot") is not None
    answer_unlock(qtbot, launcher)
    _finish(qtbot, launcher)


def test_a_laptop_with_two_offices_chooses_which_one_helps(qtbot, tmp_path):
    from app.gui.recovery import LaptopRecoveryDialog
    from app.gui.tasks import TaskRunner
    from app.sync import recovery
    from app.sync.errors import SyncError
    from tests.sync.conftest import make_machine, register

    stick = tmp_path / "usb"
    stick.mkdir()
    laptop = make_machine(tmp_path, "Nguyễn Thị Hằng", TEST_WARD, Role.COLLABORATOR)
    ward = make_machine(tmp_path, "Lê Thị Thu", TEST_WARD, Role.WARD_OFFICE)
    other = make_machine(tmp_path, "Phạm Văn Đức", TEST_WARD, Role.WARD_OFFICE)
    register(ward, laptop, stick)
    register(other, laptop, stick)
    laptop_id, ward_id, other_id = laptop.id, ward.id, other.id
    laptop.store.close()
    assert len(datakey.load(laptop.folder).offices) == 2
    runner = TaskRunner(laptop.folder / "khaosat.sqlite3", None)
    ask = LaptopRecoveryDialog(runner, laptop.folder, lambda key, _progress: key)
    ask.show()
    try:
        qtbot.waitUntil(lambda: ask.office.count() == 2, timeout=10000)
        assert ask.office_row.isVisible()
        texts = [ask.office.itemText(i) for i in range(2)]
        assert any(other_id in t for t in texts) and any(ward_id in t for t in texts)
        ask.office.setCurrentIndex(next(i for i in range(2) if ask.office.itemData(i) == other_id))
        ask.write_request(str(stick))
        qtbot.waitUntil(lambda: "Đã ghi" in ask.request_status.text(), timeout=10000)
        [request] = list(stick.glob("*.khaosat-recovery"))
        assert recovery.read_request(other.store, other.ident, request).laptop_id == laptop_id
        try:
            recovery.read_request(ward.store, ward.ident, request)
        except SyncError:
            pass
        else:
            raise AssertionError("the office not chosen opened the request")
    finally:
        runner.wait(10000)
        ask.deleteLater()
        runner.deleteLater()
        for m in (ward, other):
            m.store.close()
        flush_deletes()


def test_a_laptop_with_one_office_is_not_asked(qtbot, tmp_path):
    from app.gui.recovery import LaptopRecoveryDialog
    from app.gui.tasks import TaskRunner
    from tests.sync.conftest import make_machine, register

    stick = tmp_path / "usb"
    stick.mkdir()
    laptop = make_machine(tmp_path, "Nguyễn Thị Hằng", TEST_WARD, Role.COLLABORATOR)
    ward = make_machine(tmp_path, "Lê Thị Thu", TEST_WARD, Role.WARD_OFFICE)
    register(ward, laptop, stick)
    for m in (laptop, ward):
        m.store.close()
    runner = TaskRunner(laptop.folder / "khaosat.sqlite3", None)
    ask = LaptopRecoveryDialog(runner, laptop.folder, lambda key, _progress: key)
    ask.show()
    try:
        qtbot.waitUntil(lambda: ask.office.count() == 1, timeout=10000)
        assert not ask.office_row.isVisible()
    finally:
        runner.wait(10000)
        ask.deleteLater()
        runner.deleteLater()
        flush_deletes()


def test_a_lock_waits_for_the_running_task_before_it_drops_the_key(qtbot, data_dir):
    """A long write running when the lock comes finishes with the key; only then is the key forgotten."""
    import threading

    from app.gui.tasks import TaskRunner

    runner = TaskRunner(data_dir / "khaosat.sqlite3", key_for(data_dir))
    go = threading.Event()
    results: list[object] = []

    def long_write(store):
        go.wait(10)
        return store.counts()["enterprises"]

    runner.write(long_write, results.append)
    qtbot.waitUntil(lambda: runner.active == 1, timeout=5000)
    released: list[int] = []
    runner.lock(lambda: released.append(1))
    runner.read(lambda store: "after", results.append)  # asked for while locked: waits
    qtbot.wait(200)
    assert runner.key is not None and not released  # the running write still has the key
    go.set()
    qtbot.waitUntil(lambda: bool(released), timeout=10000)
    assert runner.released and runner.key is None and len(results) == 1
    qtbot.wait(200)
    assert len(results) == 1  # the read still waits
    runner.unlock(key_for(data_dir))
    qtbot.waitUntil(lambda: len(results) == 2, timeout=10000)
    assert results[1] == "after" and not runner.locked
    runner.shutdown(10000)
    runner.deleteLater()
    flush_deletes()
