"""Start the desktop program: ``run(data_dir)`` returns the exit code.

The database is opened (and migrated) in a worker; a laptop that is not set up yet gets the
first-run wizard, then the main window, which offers back any drafts a crash left behind.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QApplication, QMessageBox

from app.paths import data_dir as resolve_data_dir
from app.paths import database_path


def open_database(db_path: Path) -> Any:
    """Worker side: open (creating and migrating if needed) and return the laptop's profile.

    Also loads the list of provinces and wards here, once, so the wizard and the forms find it in memory
    instead of reading the package's data files on the GUI thread.
    """
    from app.domain import units
    from app.storage.store import Store

    units.provinces()
    with Store(db_path) as store:
        return store.profile()


class Launcher(QObject):
    """Opens the database, runs the wizard if needed, shows the main window."""

    sig_window = Signal(object)  # the MainWindow, once shown
    sig_failed = Signal(str)

    def __init__(self, data_dir: Path, *, offer_drafts: bool = True, open_paths: list[str] | None = None):
        super().__init__()
        self.open_paths = list(open_paths or [])  # bundles or receipts double-clicked in Explorer
        from app.gui.tasks import TaskRunner

        self.data_dir = data_dir
        self.db_path = data_dir / database_path(data_dir).name
        self.offer_drafts = offer_drafts
        self.tasks = TaskRunner(self.db_path, self)
        self.window: Any = None
        self.wizard: Any = None

    def start(self) -> None:
        self.tasks.call(lambda: open_database(self.db_path), self._opened, self._failed)

    def _failed(self, failure: Any) -> None:
        message = str(failure.exception)
        QMessageBox.critical(None, "KhaoSat", f"Không mở được dữ liệu:\n{message}")
        self.sig_failed.emit(message)
        QApplication.instance().exit(1)  # type: ignore[union-attr]

    def _opened(self, profile: Any) -> None:
        if profile.initialised:
            self._show(profile)
            return
        from app.gui.setup import SetupWizard

        self.wizard = SetupWizard(self.tasks, profile, self.data_dir)
        self.wizard.sig_done.connect(lambda result: self._show(result["profile"], result))
        self.wizard.rejected.connect(lambda: QApplication.instance().exit(0))  # type: ignore[union-attr]
        self.wizard.show()

    def _show(self, profile: Any, setup_result: dict | None = None) -> None:
        from app.gui.main_window import MainWindow

        self.window = MainWindow(self.data_dir, self.db_path, profile)
        self.window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)
        self.window.show()
        if setup_result and setup_result.get("fingerprint"):
            self.window.show_status(
                f"Đã tạo khóa của máy. Dấu vân tay khóa: {setup_result['fingerprint']}", 30000
            )
        if self.offer_drafts:
            self.window.forms.offer_drafts()
        if self.open_paths:
            self._open_files(self.open_paths)
        self.sig_window.emit(self.window)

    def _open_files(self, paths: list[str]) -> None:
        """Open the import dialog with the bundles or receipts the program was started with."""
        try:
            from app.gui.sync import open_import
        except ImportError:
            self.window.show_error(
                "KhaoSat", "Bản KhaoSat này không có chức năng đồng bộ để nhập gói dữ liệu."
            )
            return
        open_import(self.window, paths)


def make_app(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv)
    app.setApplicationName("KhaoSat")
    app.setOrganizationName("KhaoSat")
    from app.gui import i18n

    i18n.install(app)
    from app.gui import focus

    focus.install(app)
    return app  # type: ignore[return-value]


def run(data_dir: str | None = None, open_paths: list[str] | None = None) -> int:
    app = make_app()
    folder = resolve_data_dir(data_dir)
    launcher = Launcher(folder, open_paths=open_paths)
    launcher.start()
    code = app.exec()
    if launcher.window is not None:
        launcher.window.tasks.wait(15000)
    launcher.tasks.wait(15000)
    return code
