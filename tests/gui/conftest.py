"""GUI test fixtures: the real main window on a real SQLite file, offscreen.

Qt warnings fail the test (pytest-qt's ``qt_log_level_fail = "WARNING"`` in pyproject.toml, for
every test, with the offscreen plugin's two notices in ``qt_log_ignore``). A test that hangs in a
nested event loop can be inspected with ``kill -USR1 <pid>`` (faulthandler prints the Python stack).
"""

from __future__ import annotations

import faulthandler
import signal
import sys

faulthandler.register(signal.SIGUSR1, file=sys.__stderr__, all_threads=False)
from pathlib import Path

import pytest

from tests.conftest import TEST_TODAY
from tests.helpers.vault import TEST_PASSPHRASE, copy_data, key_for, open_store


def pytest_collection_modifyitems(items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.gui)


@pytest.fixture
def data_dir(tmp_path, demo_file):
    """A data folder holding a copy of the 300-enterprise demo database (ward 00070)."""
    return copy_data(demo_file.parent, tmp_path / "data")


@pytest.fixture
def qapp_translated(qapp):
    from app.gui import i18n

    translators = i18n.install(qapp)
    yield qapp
    for t in translators:
        qapp.removeTranslator(t)


def open_window(qtbot, data_dir: Path, *, today=TEST_TODAY):
    from app.gui.main_window import MainWindow

    with open_store(data_dir) as s:
        profile = s.profile()
    window = MainWindow(data_dir, data_dir / "khaosat.sqlite3", profile, key_for(data_dir))
    window.forms.today = today
    # not qtbot.addWidget: pytest-qt would close it before our teardown and the unsaved-changes
    # question of an open form would wait for an answer; close_window() closes it instead
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(
        lambda: window.list_panel.model.loaded_once and window.list_panel.model.exact, timeout=10000
    )
    return window


def answer_unlock(qtbot, launcher, passphrase: str = TEST_PASSPHRASE) -> None:
    """Type the passphrase into the launcher's dialog as a person would (twice for a new one)."""
    from tests.helpers.typing import Keyboard

    qtbot.waitUntil(
        lambda: launcher.unlock_dialog is not None and launcher.unlock_dialog.isVisible(), timeout=10000
    )
    dialog = launcher.unlock_dialog
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow, timeout=5000)
    kb = Keyboard()
    dialog.passphrase.setFocus()
    kb.type(passphrase)
    if dialog.repeat is not None:
        dialog.repeat.setFocus()
        kb.type(passphrase)
    kb.enter()


def close_window(qtbot, window) -> None:
    for form in list(window.forms.open_forms):
        form._closing_ok = True
        form.close()
    window.close()
    window.tasks.wait(10000)
    qtbot.wait(10)
    flush_deletes()


def flush_deletes() -> None:
    """Delete what deleteLater() queued and collect Python wrappers while the QApplication lives
    (left to interpreter shutdown, PySide6 may free them in the wrong order and abort)."""
    import gc

    from PySide6.QtCore import QCoreApplication, QEvent

    for _ in range(3):
        QCoreApplication.processEvents()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        gc.collect()


@pytest.fixture
def window(qtbot, data_dir):
    w = open_window(qtbot, data_dir)
    yield w
    close_window(qtbot, w)


def wait_idle(qtbot, window, timeout: int = 10000) -> None:
    """Until every task of the window has reported back."""
    qtbot.waitUntil(lambda: window.tasks.active == 0 and not window.list_panel.model.busy, timeout=timeout)


def focused_form(qtbot, window, cls_name: str):
    qtbot.waitUntil(lambda: any(type(f).__name__ == cls_name for f in window.forms.open_forms), timeout=10000)
    form = [f for f in window.forms.open_forms if type(f).__name__ == cls_name][-1]
    qtbot.waitExposed(form)
    form.activateWindow()
    qtbot.waitUntil(lambda: form.isActiveWindow(), timeout=5000)
    return form
