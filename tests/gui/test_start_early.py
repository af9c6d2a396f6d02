"""The main window's code is read while the passphrase dialog waits, not after the unlock.

Run in a child process: in the test process every module is already imported.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CHILD = r"""
import sys, time
from pathlib import Path
from PySide6.QtCore import QCoreApplication
from app.gui.application import Launcher, make_app

app = make_app([])
launcher = Launcher(Path(sys.argv[1]), offer_drafts=False)
launcher.start()
deadline = time.monotonic() + 60
while not (launcher.unlock_dialog is not None and launcher.unlock_dialog.isVisible()):
    QCoreApplication.processEvents()
    time.sleep(0.005)
    assert time.monotonic() < deadline, "no passphrase dialog"
before = "app.gui.main_window" in sys.modules
deadline = time.monotonic() + 20
while "app.gui.main_window" not in sys.modules and time.monotonic() < deadline:
    QCoreApplication.processEvents()
    time.sleep(0.005)
print(before, "app.gui.main_window" in sys.modules, launcher.window is None, flush=True)
launcher.unlock_dialog.close()
"""


def test_the_window_code_is_read_while_the_passphrase_is_asked(tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path / "data")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    before, after, no_window = out.stdout.split()
    # not read before the dialog (it is the dialog's idle time that reads it), read while the dialog
    # waits, and no window yet: nothing was unlocked
    assert (before, after, no_window) == ("False", "True", "True")
