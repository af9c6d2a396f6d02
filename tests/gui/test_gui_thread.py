"""No database work on the GUI thread: every connection the program opens is opened in a worker."""

from __future__ import annotations

import threading

from PySide6.QtCore import Qt

import app.storage.store as store_module
from tests.gui.conftest import focused_form, wait_idle
from tests.helpers.typing import Keyboard


def test_gui_session_opens_no_connection_on_the_gui_thread(qtbot, window, monkeypatch):
    gui_thread = threading.get_ident()
    calls: list[bool] = []
    real_connect = store_module.connect

    def spy(path, key=None):
        calls.append(threading.get_ident() == gui_thread)
        return real_connect(path, key)

    monkeypatch.setattr(store_module, "connect", spy)
    # a working session: search, select, detail tabs, a visit saved, targets, history
    kb = Keyboard()
    window.list_panel.search.setFocus()
    kb.type("cong ty")
    wait_idle(qtbot, window)
    window.list_panel.table.setFocus()
    window.list_panel.table.setCurrentIndex(window.list_panel.model.index(0, 0))
    qtbot.waitUntil(lambda: window.detail_panel.detail is not None, timeout=10000)
    kb.shortcut(Qt.Key.Key_K)
    form = focused_form(qtbot, window, "VisitForm")
    kb.type("18/11/2025")
    kb.shortcut(Qt.Key.Key_S)
    qtbot.waitUntil(lambda: form not in window.forms.open_forms, timeout=10000)
    window.actions.trigger("view.targets")
    window.notify_data_changed()
    wait_idle(qtbot, window)
    assert calls, "the session opened no connection at all: the spy is not in the path"
    assert not any(calls), "a database connection was opened on the GUI thread"
