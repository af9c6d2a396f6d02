"""A failure that is a bug of the program is said in Vietnamese at every place of the window: what did not
happen, that the saved data is intact, what to do; never Python's words (the exception's class or its
English message). Its type and frames go to khaosat-errors.log, and the window says so only when the
log could be written (issue 11, items 2 and 3)."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication

from app import logs
from app.gui.tasks import TaskFailure, TaskRunner
from tests.gui.conftest import close_window, focused_form, open_window, wait_idle
from tests.gui.test_enterprise_form import valid_tax_code

ENGLISH = "invalid literal for int() with base 10: 'x'"  # what Python would have said


def _plain(text: str) -> None:
    """Said in Vietnamese, with what to do, and without Python's words."""
    assert (
        "RuntimeError" not in text
        and "ValueError" not in text
        and ENGLISH not in text
        and "Traceback" not in text
    ), text
    assert "lỗi không mong đợi" in text and "Dữ liệu đã lưu vẫn nguyên vẹn" in text, text
    assert "Hãy thử lại" in text and "người hỗ trợ" in text, text


def _logged(text: str, folder) -> None:
    log = logs.log_path(folder)
    assert f"Chi tiết kỹ thuật đã ghi vào tệp {log}" in text, text
    written = log.read_text(encoding="utf-8")
    assert "RuntimeError" in written and ENGLISH not in written  # the type and frames, never the message


def _not_logged(text: str) -> None:
    assert "đã ghi vào" not in text and "khaosat-errors.log" not in text, text
    assert "Không ghi được chi tiết kỹ thuật vào tệp nhật ký lỗi" in text, text


def _boom(*_args, **_kwargs):
    raise RuntimeError(ENGLISH)


def _bad_value(*_args, **_kwargs):
    raise ValueError(ENGLISH)


@pytest.fixture
def window(qtbot, data_dir):
    w = open_window(qtbot, data_dir)
    wait_idle(qtbot, w)
    yield w
    close_window(qtbot, w)


def _task_fails(qtbot, window, monkeypatch) -> tuple[str, str]:
    shown: list[tuple[str, str]] = []
    monkeypatch.setattr(window, "show_error", lambda title, text, *a, **k: shown.append((title, text)))
    handle = window.tasks.write(_boom)
    qtbot.waitUntil(lambda: handle.finished, timeout=5000)
    assert len(shown) == 1
    return shown[0]


def test_an_unexpected_failure_of_a_task_is_said_plainly_and_logged(qtbot, window, monkeypatch):
    title, text = _task_fails(qtbot, window, monkeypatch)
    assert title == "Lỗi không mong đợi"
    _plain(text)
    _logged(text, window.data_dir)


def test_the_window_names_the_log_only_when_it_could_be_written(qtbot, data_dir, monkeypatch):
    """The log cannot be written (here: its name is taken by a folder, as a read-only or full disk
    refuses it): the window does not send the person to a file that does not hold the details."""
    (data_dir / logs.LOG_FILE).mkdir()
    w = open_window(qtbot, data_dir)
    try:
        wait_idle(qtbot, w)
        title, text = _task_fails(qtbot, w, monkeypatch)
        assert title == "Lỗi không mong đợi"
        _plain(text)
        _not_logged(text)
    finally:
        close_window(qtbot, w)


def test_the_targets_page_says_a_failed_save_plainly(qtbot, window, monkeypatch):
    from app.services import records

    view = window.targets_view
    window.actions.trigger("view.targets")
    qtbot.waitUntil(lambda: len(view.rows) == 10 and window.tasks.active == 0, timeout=10000)
    monkeypatch.setattr(records, "save_target", _boom)
    view.table.item(0, 1).setText("12")
    qtbot.waitUntil(lambda: "Chưa lưu được chỉ tiêu" in view.message.text(), timeout=10000)
    _plain(view.message.text())
    _logged(view.message.text(), window.data_dir)


def test_a_form_says_a_failed_save_and_a_check_that_broke_plainly(qtbot, window, monkeypatch):
    window.actions.trigger("enterprise.new")
    form = focused_form(qtbot, window, "EnterpriseForm")
    shown: list[tuple[str, str]] = []
    monkeypatch.setattr(window, "show_error", lambda title, text, *a, **k: shown.append((title, text)))
    form.widgets["name"].setText("Công ty TNHH Thử Lỗi")
    form.widgets["tax_code"].setText(valid_tax_code("010999777"))
    # the form's own check breaks: said beside the first box, in Vietnamese
    real_build = form.build
    form.build = _bad_value
    problems = form.validate()
    assert len(problems) == 1 and "Chưa kiểm tra được các ô của biểu mẫu" in problems[0].message
    _plain(problems[0].message)
    form.build = real_build
    assert form.validate() == []
    # the save breaks: the form says it is not saved and what was typed stays; the box says the rest
    form.save_fn = _boom
    form.save()
    qtbot.waitUntil(lambda: bool(shown), timeout=10000)
    wait_idle(qtbot, window)
    assert "Chưa lưu được" in form.status.text() and ENGLISH not in form.status.text()
    assert form.widgets["name"].text() == "Công ty TNHH Thử Lỗi"
    [(title, text)] = shown
    assert title == "Lỗi không mong đợi"
    _plain(text)
    form._saved_values = form.values()  # nothing to ask when the window closes


def test_the_passphrase_change_says_a_failure_plainly(qtbot, window, monkeypatch):
    from app.services import unlock as service
    from tests.helpers.vault import TEST_PASSPHRASE

    monkeypatch.setattr(service, "change_passphrase", _boom)
    window.actions.trigger("file.passphrase")
    qtbot.waitUntil(lambda: QApplication.activeModalWidget() is not None, timeout=5000)
    dialog = QApplication.activeModalWidget()
    dialog.old.setText(TEST_PASSPHRASE)
    dialog.new.setText("Mật khẩu mới của Hằng 2026")
    dialog.repeat.setText("Mật khẩu mới của Hằng 2026")
    dialog.ok.click()
    qtbot.waitUntil(lambda: "Chưa đổi được mật khẩu" in dialog.error.text(), timeout=10000)
    _plain(dialog.error.text())
    _logged(dialog.error.text(), window.data_dir)
    dialog.reject()


def test_the_unlock_dialog_says_a_failure_plainly(qtbot, tmp_path):
    """Before the window opens (no log set up yet): logged in the data folder all the same."""
    from app.gui import unlock as U

    folder = tmp_path / "du-lieu"
    folder.mkdir()
    tasks = TaskRunner(folder / "khaosat.sqlite3", None)
    dialog = U.UnlockDialog(tasks, U.UNLOCK, _boom)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.passphrase.setText("một mật khẩu bất kỳ")
    dialog.ok.click()
    qtbot.waitUntil(lambda: "Chưa mở được dữ liệu" in dialog.error.text(), timeout=10000)
    _plain(dialog.error.text())
    _logged(dialog.error.text(), folder)
    tasks.wait(5000)


def test_the_shared_messages_of_sync_import_and_printing_never_show_python(qtbot, window):
    from app.gui.importing.wizard import _message as wizard_message
    from app.gui.printing import message as printing_message
    from app.gui.sync.common import message as sync_message

    failure = TaskFailure(RuntimeError(ENGLISH), "", window.db_path)
    for text in (wizard_message(failure), sync_message(failure), printing_message(failure.exception)):
        _plain(text)
        _logged(text, window.data_dir)
