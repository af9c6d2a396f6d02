"""The main window's code is read while the passphrase dialog waits, not after the unlock, and not on
the GUI thread (which keeps the dialog answering).

Run in a child process: in the test process every module is already imported.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.helpers.vault import TEST_PASSPHRASE

ROOT = Path(__file__).resolve().parents[2]

CHILD = r"""
import json, sys, threading, time
from pathlib import Path
from PySide6.QtCore import QCoreApplication
from app.gui.application import Launcher, make_app
from app.storage import store as store_module

state = {"dialog": False, "connections": 0}
imported = {}  # module of the program -> (thread that read it, whether the dialog was there)


class Watch:
    def find_spec(self, name, path=None, target=None):
        if name.startswith("app.") and name not in imported:
            imported[name] = (threading.current_thread().name, state["dialog"])
        return None


sys.meta_path.insert(0, Watch())
_connect = store_module.connect


def connect(*args, **kwargs):
    state["connections"] += 1
    return _connect(*args, **kwargs)


store_module.connect = connect


def wait(condition, what, seconds=60):
    deadline = time.monotonic() + seconds
    while not condition():
        QCoreApplication.processEvents()
        time.sleep(0.005)
        assert time.monotonic() < deadline, what


app = make_app([])
launcher = Launcher(Path(sys.argv[1]), offer_drafts=False)
_ask = launcher._ask_passphrase


def ask(folder_state):
    state["dialog"] = True
    _ask(folder_state)


launcher._ask_passphrase = ask
launcher.start()
wait(lambda: launcher.unlock_dialog is not None and launcher.unlock_dialog.isVisible(), "no dialog")
thread = launcher.window_code._thread
wait(lambda: not thread.is_alive(), "the window's code was not read")
read_then = set(sys.modules)
dialog = launcher.unlock_dialog
dialog.passphrase.setText("not the passphrase")
dialog.ok.click()
wait(lambda: not dialog.busy, "no answer to a wrong passphrase")
wrong = {"error": dialog.error.text(), "window": launcher.window is not None, "connections": state["connections"]}
dialog.passphrase.setText(sys.argv[2])
dialog.ok.click()
wait(lambda: launcher.window is not None and launcher.window.list_panel.model.loaded_once, "no window")
print(json.dumps({
    "main_window": imported.get("app.gui.main_window"),
    "read_after": sorted(m for m in set(sys.modules) - read_then if m.startswith("app.")),
    "wrong": wrong,
}), flush=True)
launcher.window.close()
launcher.window.tasks.wait()
"""


def test_the_window_code_is_read_while_the_passphrase_is_asked(data_dir):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(data_dir), TEST_PASSPHRASE],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    # read once the dialog was there (it is the dialog's idle time that reads it), on the loader's own
    # thread: the GUI thread keeps the dialog painting and typing meanwhile
    assert seen["main_window"] == ["window-code", True]
    # a wrong passphrase is still said, and nothing of the data was opened for it: no window, no
    # connection to the database
    assert seen["wrong"] == {
        "error": "Mật khẩu không đúng (lần 1). Hãy thử lại.",
        "window": False,
        "connections": 0,
    }
    # after the unlock, building the window read no module of the program: everything it needs was read
    # while the dialog waited (app.gui.main_window.import_constructor_code)
    assert seen["read_after"] == []


def test_the_list_is_read_while_the_rest_of_the_window_is_built(qtbot, data_dir, monkeypatch):
    """The list's first page and the totals are asked for before the other parts are made, so the
    workers read (and decrypt) them while the GUI thread builds the window."""
    from app.gui.enterprises import detail_panel
    from tests.gui.conftest import close_window, open_window

    asked: list[tuple[bool, int]] = []
    make = detail_panel.DetailPanel.__init__

    def spy(self, tasks, window):
        asked.append((window.list_panel.model._running, tasks.active))
        make(self, tasks, window)

    monkeypatch.setattr(detail_panel.DetailPanel, "__init__", spy)
    window = open_window(qtbot, data_dir)
    try:
        # when the detail panel (the first part after the list) is made: the list's query runs, and so
        # does the totals' read
        assert asked == [(True, 2)]
        assert window.list_panel.model.rowCount() == 300
        assert window.list_panel.count_label.text() == "300 doanh nghiệp"
    finally:
        close_window(qtbot, window)
