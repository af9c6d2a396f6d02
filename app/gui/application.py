"""Start the desktop program: ``run(data_dir)`` returns the exit code.

First the passphrase (app/gui/unlock.py), before anything of the data is read: it unwraps the data key
(or sets one up, encrypting an earlier version's plain file). Then the database is opened (and
migrated) in a worker; a laptop that is not set up yet gets the first-run wizard, then the main
window, which offers back any drafts a crash left behind.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QApplication, QMessageBox

from app.paths import data_dir as resolve_data_dir
from app.paths import database_path

if TYPE_CHECKING:
    from app.gui.main_window import MainWindow
    from app.gui.setup import SetupWizard
    from app.security.datakey import DataKey


def open_database(db_path: Path, key: Any) -> Any:
    """Worker side: open (creating and migrating if needed) and return the laptop's profile.

    Also loads the list of provinces and wards here, once, so the wizard and the forms find it in memory
    instead of reading the package's data files on the GUI thread.
    """
    from app.domain import units
    from app.storage.store import Store

    units.provinces()
    with Store(db_path, key) as store:
        return store.profile()


def unlock_and_open(data_dir: Path, db_path: Path, passphrase: str, progress: Any = None) -> tuple[Any, Any]:
    """Worker side: unlock (or set up) the folder, then open the database. Returns (key, profile).

    ``progress`` is told the steps of upgrading an older version's file (the unlock dialog shows them)."""
    from app import logs
    from app.domain import units
    from app.services.unlock import open_folder

    units.provinces()  # loaded once here, off the GUI thread (see open_database)
    opened = open_folder(data_dir, passphrase, progress)  # opens (and migrates) the database once
    logs.setup(data_dir)
    return opened.key, opened.profile


def open_recovered(data_dir: Path, db_path: Path, key: Any, progress: Any = None) -> tuple[Any, Any]:
    """Worker side, after recovery through the office gave the data key back: open as after an unlock
    (``progress``: the steps of upgrading an older version's file, shown by the recovery dialog)."""
    from app import logs
    from app.services.unlock import open_with_key

    opened = open_with_key(data_dir, key, progress)
    logs.setup(data_dir)
    return opened.key, opened.profile


def _load_window_code() -> None:
    """Import the main window's code (its module, then what its constructor imports), nothing more."""
    from app.gui import main_window

    main_window.import_constructor_code()


class WindowCode:
    """The main window's code, read on a thread of its own while the passphrase dialog waits.

    About 0.3-0.6 s of imports that would otherwise follow the unlock. On the GUI thread they held the
    dialog still for as long (no painting, typing shown late); on their own thread the dialog keeps
    answering, and the key is derived on a worker at the same time. Only module code runs there (no
    widget is made: the program's modules make none when imported, tests/gui/test_start_early.py). The
    window is built once they are read (``wait``).
    """

    def __init__(self) -> None:
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=_load_window_code, name="window-code")
            self._thread.start()

    def wait(self) -> None:
        if self._thread is not None:
            self._thread.join()


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
        self.tasks = TaskRunner(self.db_path, None, self)
        self.key: DataKey | None = None
        self.window: MainWindow | None = None
        self.wizard: SetupWizard | None = None
        self.unlock_dialog: Any = None
        self.recovery_dialog: Any = None
        self.window_code = WindowCode()

    def start(self) -> None:
        from app.services.unlock import folder_state

        self.tasks.call(lambda: folder_state(self.data_dir), self._ask_passphrase, self._failed)

    def _ask_passphrase(self, state: str) -> None:
        from app.gui import unlock
        from app.services import unlock as service

        if state == service.ORPHAN:
            self._fail(
                f"Tệp dữ liệu trong {self.data_dir} đã được mã hóa nhưng thiếu tệp khóa dữ liệu "
                f"({service.datakey.DATAKEY_FILE}). Hãy khôi phục từ bản sao lưu hoặc nhờ cơ quan cấp trên giúp."
            )
            return
        mode = {service.NEW: unlock.CREATE, service.PLAIN: unlock.MIGRATE}.get(state, unlock.UNLOCK)
        self.unlock_dialog = unlock.UnlockDialog(
            self.tasks,
            mode,
            lambda p, progress: unlock_and_open(self.data_dir, self.db_path, p, progress),
            upgrades=True,
        )
        self.unlock_dialog.accepted.connect(self._unlocked)
        self.unlock_dialog.sig_forgot.connect(self._forgot)
        self.unlock_dialog.rejected.connect(lambda: QApplication.instance().exit(0))  # type: ignore[union-attr]
        self.unlock_dialog.show()
        # The main window's code is read while the person types the passphrase (and while the key is
        # derived on a worker), not after: the window then opens as soon as the data does.
        self.window_code.start()

    def _forgot(self) -> None:
        from app.gui.recovery import LaptopRecoveryDialog

        self.recovery_dialog = LaptopRecoveryDialog(
            self.tasks,
            self.data_dir,
            lambda key, progress: open_recovered(self.data_dir, self.db_path, key, progress),
            self.unlock_dialog,
        )
        self.recovery_dialog.accepted.connect(self._recovered)
        self.recovery_dialog.open()

    def _recovered(self) -> None:
        self.unlock_dialog.result_value = self.recovery_dialog.result_value
        self.unlock_dialog.accept()  # -> _unlocked

    def _unlocked(self) -> None:
        self.key, profile = self.unlock_dialog.result_value
        self.tasks.key = self.key
        self._opened(profile)

    def _failed(self, failure: Any) -> None:
        # a full disk, a read-only folder, a removed drive... said by cause; anything else without
        # Python's words, its details in the error log
        from app.gui.failures import explain
        from app.security.datakey import LockError

        exc = failure.exception
        text = (
            exc.message
            if isinstance(exc, LockError)
            else explain(failure, "Chưa mở được dữ liệu", self.data_dir)
        )
        self._fail(text, plain=True)

    def _fail(self, message: str, *, plain: bool = False) -> None:
        text = message if plain else f"Không mở được dữ liệu:\n{message}"
        QMessageBox.critical(None, "KhaoSat", text)
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

    def _show(self, profile: Any, setup_result: dict | None = None, *, offer_drafts: bool = True) -> None:
        self.window_code.wait()  # (read by now, unless the passphrase was typed in a fraction of a second)
        from app.gui.main_window import MainWindow

        practice = setup_result.get("practice") if setup_result else None
        if practice is not None:  # demo data asked for in the wizard: open in practice mode
            from app.paths import DB_FILE

            window = MainWindow(practice.data_dir, practice.data_dir / DB_FILE, practice.profile, self.key)
        else:
            window = MainWindow(self.data_dir, self.db_path, profile, self.key)
        self.window = window
        self._forget_key()  # the window holds it now: its idle lock must be able to drop the last reference
        window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)
        window.sig_reopen.connect(self._reopen)
        window.sig_replaced.connect(self._replaced)
        window.show()
        if practice is not None:
            # the wizard's demo data: what a person practising needs first is where they are and the way out
            # (the machine's keys belong to the real data, whose window shows their fingerprint)
            from app.gui.practice import AFTER_SETUP

            window.show_status(AFTER_SETUP, 30000)
        elif setup_result and setup_result.get("fingerprint"):
            window.show_status(f"Đã tạo khóa của máy. Dấu vân tay khóa: {setup_result['fingerprint']}", 30000)
        if self.offer_drafts and offer_drafts:
            window.forms.offer_drafts()
        paths, self.open_paths = self.open_paths, []  # once: not again when the window reopens
        if paths:
            self._open_files(window, paths)
        self.sig_window.emit(window)

    def _reopen(self, reopen: Any) -> None:
        """After a restore (app/gui/protection.py): a new window on the restored data, then the old one goes.

        The old window's connections were all closed before the files were replaced; the new one opens its
        own with the restored file's key.
        """
        old = self.window
        self.key = reopen.key
        self._show(reopen.profile, offer_drafts=False)
        if old is not None:
            old.close()
            old.deleteLater()
        icon = QMessageBox.Icon.Warning if reopen.failed else QMessageBox.Icon.Information
        box = QMessageBox(icon, reopen.title, reopen.text, QMessageBox.StandardButton.Ok, self.window)
        box.setObjectName("restored_box")
        box.open()

    def _forget_key(self) -> None:
        self.key = None
        self.tasks.key = None
        for dialog in (self.unlock_dialog, self.recovery_dialog):
            if dialog is not None:
                dialog.result_value = None

    def _replaced(self, window: MainWindow) -> None:
        """Practice mode entered or left: the new main window is the program's window now."""
        self.window = window
        window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)
        window.sig_reopen.connect(self._reopen)
        window.sig_replaced.connect(self._replaced)
        self.sig_window.emit(window)

    def _open_files(self, window: MainWindow, paths: list[str]) -> None:
        """Open the import dialog with the bundles or receipts the program was started with."""
        from app.gui.sync import open_import

        open_import(window, paths)


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
