"""The window says plainly what a full disk, a read-only folder or a pulled-out stick did to a task
(never "Lỗi không mong đợi" and an English system message), and that the data is intact."""

from __future__ import annotations

import errno
import sqlite3

import pytest

from app.importing.errors import ImportFailed
from tests.gui.conftest import close_window, data_dir, open_window, wait_idle  # noqa: F401


@pytest.fixture
def window(qtbot, data_dir):
    w = open_window(qtbot, data_dir)
    wait_idle(qtbot, w)
    yield w
    close_window(qtbot, w)


@pytest.mark.parametrize(
    ("exc", "fragment"),
    [
        (sqlite3.OperationalError("database or disk is full"), "đã đầy"),
        (sqlite3.OperationalError("attempt to write a readonly database"), "chỉ cho đọc"),
        (sqlite3.OperationalError("disk I/O error"), "bị rút ra hoặc bị lỗi"),
        (OSError(errno.ENOSPC, "No space left on device", "E:\\goi.khaosat"), "Ổ đĩa đã đầy"),
        (OSError(errno.EIO, "Input/output error", "E:\\goi.khaosat"), "bị rút ra"),
    ],
)
def test_a_write_that_fails_on_the_disk_says_what_happened(qtbot, window, monkeypatch, exc, fragment):
    shown = []
    monkeypatch.setattr(window, "show_error", lambda title, text, *a, **k: shown.append((title, text)))

    def fails(store):
        raise exc

    handle = window.tasks.write(fails)
    qtbot.waitUntil(lambda: handle.finished, timeout=5000)
    assert len(shown) == 1
    title, text = shown[0]
    assert title == "Không thực hiện được"
    assert fragment in text and "nguyên vẹn" in text
    assert "Lỗi không mong đợi" not in text and "Error" not in text and "No space" not in text
    assert not (window.data_dir / "khaosat-errors.log").exists()  # not a bug: nothing to send to support


def test_the_import_wizard_and_the_sync_dialogs_say_the_same(qtbot):
    from app.gui.importing.wizard import _message as wizard_message
    from app.gui.printing import message as printing_message
    from app.gui.sync.common import message as sync_message
    from app.gui.tasks import TaskFailure

    full = TaskFailure(OSError(errno.ENOSPC, "No space left on device", "E:\\ds-dong-chua-nhap.xlsx"), "")
    for text in (wizard_message(full), sync_message(full), printing_message(full.exception)):
        assert "Ổ đĩa đã đầy" in text and "E:\\ds-dong-chua-nhap.xlsx" in text and "No space" not in text
    assert wizard_message(TaskFailure(ImportFailed("Tệp rỗng."), "")) == "Tệp rỗng."
