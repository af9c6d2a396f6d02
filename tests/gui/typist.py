"""Run as a subprocess by test_drafts: opens the program on a data folder, types a visit, waits for
its draft to reach the disk, prints DRAFT-SAVED and waits to be killed (as by a power cut)."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main(data_dir: str, enterprise_id: str) -> None:
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtWidgets import QApplication

    from app.gui.application import Launcher, make_app
    from tests.helpers.typing import Keyboard

    app = make_app([])
    launcher = Launcher(Path(data_dir), offer_drafts=False)
    launcher.start()
    deadline = time.monotonic() + 30
    from tests.helpers.vault import TEST_PASSPHRASE

    def pump(until) -> None:
        while not until():
            if time.monotonic() > deadline:
                print("TIMEOUT", flush=True)
                sys.exit(3)
            QCoreApplication.processEvents()
            time.sleep(0.005)

    pump(lambda: launcher.unlock_dialog is not None and launcher.unlock_dialog.isVisible())
    launcher.unlock_dialog.activateWindow()
    pump(lambda: QApplication.focusWidget() is launcher.unlock_dialog.passphrase)
    Keyboard().type(TEST_PASSPHRASE)
    Keyboard().enter()
    pump(lambda: launcher.window is not None)
    window = launcher.window
    window.forms.new_visit(enterprise_id)
    pump(lambda: bool(window.forms.open_forms))
    form = window.forms.open_forms[0]
    form.activateWindow()
    pump(lambda: QApplication.focusWidget() is form.widgets["visit_date"])
    kb = Keyboard()
    kb.type("12/11/2025")
    form.widgets["person_met"].setFocus()
    kb.replace("Vũ Thị Thanh Hương")
    form.widgets["difficulties"].setFocus()
    kb.replace("Doanh nghiệp đang chuyển trụ sở")
    drafts = Path(data_dir) / "drafts"
    from app.gui.drafts import DraftStore

    sealed = DraftStore(drafts, window.key)  # drafts are sealed under the data key
    pump(lambda: any("Thanh Hương" in str(d.values) for d in sealed.load_all()))
    print("DRAFT-SAVED", flush=True)
    while True:  # typing goes on until the power goes off
        QCoreApplication.processEvents()
        time.sleep(0.01)
    app  # noqa: B018 - keep the application alive


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
