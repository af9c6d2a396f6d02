"""Take the screenshots in this folder: ``uv run python docs/screenshots/make.py``.

Runs the real program offscreen on a fresh 300-enterprise demo database and saves widget grabs; then plays
the workday tests (tests/gui/test_workday.py: the collaborator's day and the office's day, through the real
windows) on a 1366×768 and a 1024×768 laptop screen, saving ``day*-WIDTH.png`` at each step, and the tests of
data flowing down (tests/gui/test_down_gui.py: Phân công, Gửi xuống, the laptop's list, targets and settings
set above), saving ``down-*-WIDTH.png``, and the start dialog upgrading an older version's file
(tests/gui/test_upgrade_gui.py), saving ``upgrade-*-WIDTH.png``.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

TODAY = date(2025, 11, 20)


def main() -> None:
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtGui import QFont

    from app.demo.generator import DemoOptions, generate
    from app.domain.vocab import Role
    from app.gui.application import make_app
    from app.gui.main_window import MainWindow
    from app.gui.setup import SetupWizard
    from app.storage import Store

    app = make_app([])
    app.setFont(QFont("DejaVu Sans", 9))
    folder = Path(tempfile.mkdtemp(prefix="khaosat-shots-"))
    from app.services.unlock import open_folder

    key = open_folder(folder, "Ảnh chụp màn hình của KhaoSat 2025").key  # a folder set up as the program does
    with Store.in_dir(folder, key) as s:
        s.set_profile(unit_code="00070", collaborator="Nguyễn Thị Hằng", role=Role.COLLABORATOR)
        generate(s, DemoOptions("00070", enterprises=300, seed=7, today=TODAY))
        profile = s.profile()

    def pump(until, timeout=20.0) -> None:
        end = time.monotonic() + timeout
        while not until():
            if time.monotonic() > end:
                raise TimeoutError
            QCoreApplication.processEvents()
            time.sleep(0.01)

    def settle(seconds=0.3) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            QCoreApplication.processEvents()
            time.sleep(0.01)

    w = MainWindow(folder, folder / "khaosat.sqlite3", profile, key)
    w.forms.today = TODAY
    from tests.helpers.screens import place

    place(w)  # the 1366x768 laptop the days play on (offscreen's own screen is 800x800)
    w.show()
    pump(lambda: w.list_panel.model.loaded_once)
    w.list_panel.search.setText("hoa binh")
    pump(lambda: not w.list_panel.model.busy and w.list_panel.model.exact)
    w.list_panel.table.setCurrentIndex(w.list_panel.model.index(0, 0))
    pump(lambda: w.detail_panel.detail is not None)
    settle()
    w.grab().save(str(HERE / "main-window.png"))
    w.detail_panel.tabs.setCurrentIndex(3)
    settle()
    w.grab().save(str(HERE / "history.png"))
    w.detail_panel.tabs.setCurrentIndex(2)
    settle()
    w.grab().save(str(HERE / "organisations.png"))

    eid = w.selected_enterprise_id()
    w.forms.new_visit(eid)
    pump(lambda: bool(w.forms.open_forms))
    form = w.forms.open_forms[-1]
    form.resize(900, 720)
    form.widgets["party_official"].setText("2")
    form.widgets["party_probationary"].setText("2")
    form.widgets["party_total"].setText("3")
    settle()
    form.grab().save(str(HERE / "visit-form.png"))
    form._closing_ok = True
    form.close()
    settle()

    w.forms.new_enterprise()
    pump(lambda: bool(w.forms.open_forms))
    form = w.forms.open_forms[-1]
    with Store.in_dir(folder, key) as s:
        existing = s._rows("SELECT tax_code FROM enterprises WHERE length(tax_code) = 10 LIMIT 1")[0][
            "tax_code"
        ]
    form.widgets["name"].setText("Công ty TNHH Minh Phát")
    form.widgets["tax_code"].setText(existing)
    form.widgets["email"].setText("minhphat@")
    pump(lambda: form.banner.isVisible())
    settle()
    form.grab().save(str(HERE / "enterprise-form.png"))
    form._closing_ok = True
    form.close()
    settle()

    w.targets_view.year.setValue(2025)
    w.show_page("targets")
    pump(lambda: len(w.targets_view.rows) == 10 and w.tasks.active == 0)
    settle()
    w.grab().save(str(HERE / "targets.png"))

    wizard = SetupWizard(w.tasks, profile, folder)
    wizard.unit_page.province_search.setText("ha noi")
    wizard.unit_page.search.setText("hoan")
    wizard.show()
    settle()
    wizard.grab().save(str(HERE / "wizard.png"))
    wizard.close()
    w.close()
    w.tasks.wait()


def workdays() -> None:
    """The days of tests/gui/test_workday.py and the downward flow of tests/gui/test_down_gui.py, played on
    both screens, their screenshots kept here."""
    import subprocess

    root = HERE.parent.parent
    for screen in ("1366x768", "1024x768"):
        env = dict(
            os.environ, KHAOSAT_SCREEN=screen, KHAOSAT_SCREENSHOTS=str(HERE), QT_QPA_PLATFORM="offscreen"
        )
        with tempfile.TemporaryDirectory(prefix="khaosat-days-") as tmp:
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "pytest",
                    "-q",
                    "tests/gui/test_workday.py",
                    "tests/gui/test_down_gui.py",
                    "tests/gui/test_upgrade_gui.py",
                    f"--basetemp={tmp}/t",
                ],
                cwd=root,
                env=env,
                check=True,
            )


if __name__ == "__main__":
    main()
    workdays()
