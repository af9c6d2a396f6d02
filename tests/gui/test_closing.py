"""Closing the window while work runs: the close never blocks the event loop, says what it finishes,
and the window closes by itself once the last task has finished; no write is left half-way."""

from __future__ import annotations

import threading

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from app.domain.records import Enterprise
from app.gui.closing import ClosingDialog
from app.gui.tasks import TaskRunner
from tests.gui.conftest import close_window, flush_deletes, open_window, wait_idle
from tests.gui.test_sync import TWO_NAMES, office, two_bundles_held  # noqa: F401 - the fixture, used by name
from tests.helpers.vault import key_for, open_store


def _closing_dialogs(parent=None) -> list[ClosingDialog]:
    """The closing dialogs shown, of ``parent`` (None: those with no parent, the lock's)."""
    return [
        w
        for w in QApplication.topLevelWidgets()
        if isinstance(w, ClosingDialog) and w.isVisible() and w.parentWidget() is parent
    ]


def _waits_on_gui_thread(monkeypatch) -> list[int]:
    """The GUI thread's waits for worker threads (``QThreadPool.waitForDone``, what ``TaskRunner.wait``
    and ``shutdown`` block on), recorded as they happen: a close that blocks is seen by its call, not
    by how long it took (tests time nothing)."""
    from PySide6.QtCore import QThreadPool

    gui = threading.get_ident()
    calls: list[int] = []
    real = QThreadPool.waitForDone

    def spy(pool, *args):
        if threading.get_ident() == gui:
            calls.append(1)
        return real(pool, *args)

    monkeypatch.setattr(QThreadPool, "waitForDone", spy)
    return calls


def _event_loop_runs(qtbot) -> None:
    """A timer started now fires: the GUI thread is not held anywhere."""
    fired: list[int] = []
    QTimer.singleShot(0, lambda: fired.append(1))
    qtbot.waitUntil(lambda: bool(fired), timeout=5000)


def _held_write(name: str):
    """A save of a new enterprise named ``name`` that waits for ``gate`` inside its transaction (``inside``
    set), and sets ``left`` once committed: returns (the enterprise, the work, gate, inside, left)."""
    gate, inside, left = threading.Event(), threading.Event(), threading.Event()
    e = Enterprise(name=name, tax_code="0100109113", ward_code="00070")

    def slow_save(store):
        with store.write() as w:
            w.create(e)
            inside.set()
            gate.wait(20)
        left.set()  # committed, out of the transaction

    return e, slow_save, gate, inside, left


def test_closing_with_nothing_running_closes_at_once(qtbot, data_dir):
    window = open_window(qtbot, data_dir)
    try:
        wait_idle(qtbot, window)
        assert window.close() is True  # closed in the call itself
        assert not window.isVisible() and not _closing_dialogs(window)
        assert window.tasks.released and window.key is None and window.drafts.key is None
        assert window.tasks._read_stores == {}  # every connection dropped
    finally:
        close_window(qtbot, window)


def test_closing_during_an_import_waits_for_it_without_blocking(qtbot, data_dir, office, monkeypatch):
    """The window is closed while an import of two bundles is held inside the first: the close returns
    at once, the event loop goes on, the window stays open and says what it finishes; a second close
    changes nothing. Released, the import stops after the file it was in (merged whole, committed to the
    file on disk), and the window closes by itself."""
    gate, reached = two_bundles_held(office, monkeypatch)  # the first waits until the window is closed
    window = open_window(qtbot, data_dir)
    try:
        window.actions.trigger("sync.import")
        dialog = window.sync.dialog
        dialog.add_paths([str(office["stick"])])
        dialog.import_button.click()
        qtbot.waitUntil(reached.is_set, timeout=20000)

        waits = _waits_on_gui_thread(monkeypatch)
        window.actions.trigger("file.quit")  # Tệp ▸ Thoát: returns while the import is still held
        assert waits == [] and not gate.is_set() and window.isVisible()
        _event_loop_runs(qtbot)
        [closing] = _closing_dialogs(window)
        assert "Đang hoàn tất việc đang làm (kiểm tra và nhập gói dữ liệu)" in closing.text.text()
        assert "tự đóng khi xong" in closing.text.text() and not closing.again.isVisible()
        assert QApplication.activeModalWidget() is closing  # nothing new can be started meanwhile

        assert window.close() is False  # a second request: the same wait, no second close
        assert (
            waits == []
            and _closing_dialogs(window) == [closing]
            and closing.again.isVisible()
            and window.isVisible()
        )
        closing.close()  # the dialog's own title bar: not closed by hand either
        assert closing.isVisible() and window.isVisible()
        _event_loop_runs(qtbot)
        assert not gate.is_set() and window.isVisible()

        gate.set()
        qtbot.waitUntil(lambda: not window.isVisible(), timeout=20000)
        assert not _closing_dialogs(window)
        assert window.tasks.released and window.tasks._read_stores == {} and window.key is None
        with open_store(data_dir) as s:  # the file being imported was merged whole, the next one not
            names = {r[0] for r in s.conn.execute("SELECT name FROM enterprises")}
        assert len(names & set(TWO_NAMES)) == 1
    finally:
        gate.set()
        close_window(qtbot, window)


def test_closing_during_a_write_lets_it_commit_before_the_window_goes(qtbot, data_dir, monkeypatch):
    """A write held inside its transaction when the window is closed: the window waits for the commit,
    and finishes its close only once the worker has left the write."""
    window = open_window(qtbot, data_dir)
    e, slow_save, gate, inside, left = _held_write("Công ty TNHH Đang Ghi Dở")

    finished_after_write: list[bool] = []
    real_finish = window._finish_close

    def finish() -> None:
        finished_after_write.append(left.is_set())
        real_finish()

    monkeypatch.setattr(window, "_finish_close", finish)
    try:
        wait_idle(qtbot, window)
        window.tasks.write(slow_save)
        qtbot.waitUntil(inside.is_set, timeout=10000)
        waits = _waits_on_gui_thread(monkeypatch)
        assert window.close() is False
        assert waits == []
        _event_loop_runs(qtbot)
        [closing] = _closing_dialogs(window)
        assert "(lưu dữ liệu)" in closing.text.text() and window.isVisible() and not left.is_set()
        gate.set()
        qtbot.waitUntil(lambda: not window.isVisible(), timeout=20000)
        assert finished_after_write == [True]
        with open_store(data_dir) as s:
            assert s.row("enterprises", e.id) is not None  # committed to the file on disk
    finally:
        gate.set()
        close_window(qtbot, window)


def test_a_read_that_does_not_stop_at_once_is_waited_for_with_the_dialog_after_a_moment(qtbot, data_dir):
    """Only reads running: they are interrupted and end at once, so no dialog flashes; one that keeps on
    (work between its queries) gets the dialog after a moment, and the window closes when it ends."""
    window = open_window(qtbot, data_dir)
    gate, inside = threading.Event(), threading.Event()

    def long_read(store):
        store.counts()
        inside.set()
        gate.wait(20)  # not a query: the interrupt cannot stop it

    try:
        wait_idle(qtbot, window)
        window.tasks.read(long_read)
        qtbot.waitUntil(inside.is_set, timeout=10000)
        assert window.close() is False
        assert window.isVisible() and not _closing_dialogs(window)  # not at once for a read
        qtbot.waitUntil(lambda: bool(_closing_dialogs(window)), timeout=10000)  # ... but it comes
        [closing] = _closing_dialogs(window)
        assert closing.text.text().startswith(
            "Đang hoàn tất việc đang làm… Chương trình sẽ tự đóng khi xong."
        )
        gate.set()
        qtbot.waitUntil(lambda: not window.isVisible(), timeout=10000)
        assert not _closing_dialogs(window) and window.tasks.released
    finally:
        gate.set()
        close_window(qtbot, window)


def test_a_runner_closes_without_blocking_and_interrupts_its_reads(qtbot, data_dir, caplog):
    """TaskRunner.close: a read is cancelled, a write runs to its end; the runner reports once both
    have, and only then drops its connections and the key. Tasks asked for meanwhile never start."""
    runner = TaskRunner(data_dir / "khaosat.sqlite3", key_for(data_dir))
    go, reading = threading.Event(), threading.Event()
    seen: list[str] = []

    def read(store, ctx):
        store.counts()
        reading.set()
        while not ctx.cancelled:  # a read that checks between its steps
            go.wait(0.01)
        seen.append("read stopped")

    def write(store):
        go.wait(20)
        seen.append("write done")

    def fails(store):
        raise ValueError("Công ty TNHH Tên Riêng")  # a message may quote a record: never logged

    runner.read(read)
    runner.write(write, what="nhập danh sách doanh nghiệp")
    runner.write(fails)  # queued behind: runs, fails, and nobody is left to tell but the log
    qtbot.waitUntil(reading.is_set, timeout=10000)
    closed: list[int] = []
    waiting: list[list[str]] = []
    assert runner.close(lambda: closed.append(1), waiting.append) is False
    # the unnamed read is not worth telling; a write without a name is «lưu dữ liệu»
    assert waiting == [["nhập danh sách doanh nghiệp", "lưu dữ liệu"]]
    runner.read(lambda store: seen.append("late read"))  # asked for while closing: never starts
    qtbot.waitUntil(lambda: "read stopped" in seen, timeout=10000)
    assert not closed and runner.key is not None
    go.set()
    qtbot.waitUntil(lambda: bool(closed), timeout=10000)
    assert seen == ["read stopped", "write done"] and closed == [1]
    assert waiting[-1] == ["lưu dữ liệu"]  # told again as each task finished
    [logged] = [r for r in caplog.records if r.name == "app.gui.tasks"]
    assert logged.getMessage() == "a task failed while the program closed"
    # (app/logs.py, once set up, has turned the exception into its types and frames already)
    assert logged.exc_info[0] is ValueError if logged.exc_info else "builtins.ValueError" in logged.exc_text
    assert runner.released and runner._read_stores == {} and runner.key is None
    assert runner.close(lambda: closed.append(2)) is True and closed == [1]  # again: closed at once
    runner.wait(10000)
    runner.deleteLater()
    flush_deletes()


def test_closing_from_the_lock_waits_for_the_running_write(qtbot, data_dir, monkeypatch):
    """The idle lock's passphrase dialog closed while a write it found still runs: the program ends
    only once the write has committed, and meanwhile a dialog (the windows are hidden) says so."""
    from app.gui.protection import InactivityLock

    exits: list[int] = []
    monkeypatch.setattr(InactivityLock, "_exit", lambda self: exits.append(1))
    window = open_window(qtbot, data_dir)
    e, slow_save, gate, inside, _left = _held_write("Công ty TNHH Khóa Giữa Chừng")

    try:
        wait_idle(qtbot, window)
        window.tasks.write(slow_save)
        qtbot.waitUntil(inside.is_set, timeout=10000)
        window.actions.trigger("file.lock")
        lock = window.inactivity
        assert lock.locked and not window.isVisible()
        waits = _waits_on_gui_thread(monkeypatch)
        lock.dialog.reject()  # the passphrase dialog closed: quit
        assert waits == []
        _event_loop_runs(qtbot)
        [closing] = _closing_dialogs()
        assert "(lưu dữ liệu)" in closing.text.text() and not exits
        lock.dialog.reject()  # again: nothing new
        assert _closing_dialogs() == [closing] and not exits
        gate.set()
        qtbot.waitUntil(lambda: bool(exits), timeout=20000)
        assert exits == [1] and not _closing_dialogs() and window.tasks.released
        with open_store(data_dir) as s:
            assert s.row("enterprises", e.id) is not None
    finally:
        gate.set()
        lock = window.inactivity
        if lock.runner is not None:
            lock.runner.wait(10000)
        if lock.dialog is not None:
            lock.dialog.deleteLater()
        close_window(qtbot, window)


def test_the_closing_dialog_grows_to_show_all_its_text(qtbot):
    """Its wrapped lines whole once the work it names changes and once closing is asked for again (a
    window does not grow by itself: its text was cut off at the top at first)."""
    dialog = ClosingDialog(None)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.show_work(["kiểm tra và nhập gói dữ liệu", "lưu dữ liệu", "in báo cáo kết quả của cả tỉnh"])
    dialog.asked_again()
    QApplication.processEvents()
    for label in (dialog.text, dialog.again):
        assert label.isVisible()
        assert label.height() >= label.heightForWidth(label.width()), label.objectName()
        assert label.geometry().bottom() <= dialog.height()
