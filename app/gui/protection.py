"""Protecting the data in the desktop program: change the passphrase, restore a backup, lock when idle.

The Tệp menu has «Sao lưu dữ liệu…» (app/gui/window_actions.py), «Khôi phục từ bản sao lưu…» and
«Đổi mật khẩu…»; the Công cụ menu sets after how many idle minutes the program locks itself (15 by
default; 0: never). A lock hides every window of the program (forms stay open, their drafts are on
disk, sealed), closes every connection to the database and drops the data key, then asks for the
passphrase again, which unwraps the key anew; closing from the lock keeps the drafts for the next
start. All file and key work runs in workers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QInputDialog,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from app.gui.new_passphrase import NewPassphrase, error_label, password_field
from app.gui.tasks import TaskFailure, TaskRunner
from app.gui.unlock import UPGRADE_RESTORED_TEXT, UpgradingDialog
from app.security.datakey import LockError

if TYPE_CHECKING:
    from app.gui.main_window import MainWindow
    from app.storage.backups import BackupInfo
    from app.storage.migrations import UpgradeProgress

LOCK_SETTING = "lock_after_minutes"
DEFAULT_LOCK_MINUTES = 15


# --- change the passphrase ----------------------------------------------------------------------


class PassphraseChangeDialog(QDialog):
    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.window_ = window
        self.setObjectName("passphrase_change_dialog")
        self.setWindowTitle("Đổi mật khẩu")
        layout = QVBoxLayout(self)
        intro = QLabel(
            "Mật khẩu mới thay mật khẩu cũ để mở dữ liệu và khóa của máy. Tệp dữ liệu không phải mã hóa lại. "
            "Các bản sao lưu đã làm trước vẫn mở bằng mật khẩu cũ.",
            self,
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.old = password_field(self, "passphrase_old")
        form.addRow("Mật khẩu &hiện tại:", self.old)
        self.chosen = NewPassphrase(self, form, "passphrase", "&Nhập lại mật khẩu mới:")
        self.new, self.repeat = self.chosen.new, self.chosen.repeat
        layout.addLayout(form)
        self.error = error_label(self, "passphrase_error")
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(self)
        self.ok = buttons.addButton("Đổi mật khẩu", QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok.setObjectName("passphrase_ok")
        buttons.addButton("Hủy", QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self._submit)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.setMinimumWidth(520)

    def _submit(self) -> None:
        from app.services.unlock import change_passphrase

        old, new = self.old.text(), self.chosen.text()
        problem = self.chosen.problem()
        if problem:
            self.error.setText(problem)
            return
        self.ok.setEnabled(False)
        self.error.working("Đang đổi mật khẩu…")
        folder = self.window_.key_folder
        self.window_.tasks.call(lambda: change_passphrase(folder, old, new), self._done, self._failed)

    def _done(self, _key: Any) -> None:
        self.window_.show_status("Đã đổi mật khẩu. Lần sau mở chương trình bằng mật khẩu mới.", 15000)
        self.accept()

    def _failed(self, failure: TaskFailure) -> None:
        self.ok.setEnabled(True)
        exc = failure.exception
        self.error.setText(
            "Mật khẩu hiện tại không đúng."
            if isinstance(exc, LockError) and exc.reason == "wrong_passphrase"
            else _said(failure, "Chưa đổi được mật khẩu")
        )


def change_passphrase(window: MainWindow) -> QDialog:
    dialog = PassphraseChangeDialog(window)
    dialog.open()
    return dialog


# --- restore a backup -----------------------------------------------------------------------------


class RestoreDialog(UpgradingDialog):
    """Asks the backup's passphrase (and, for another machine's backup, a confirmation), then restores.

    A backup an older version made is upgraded as it is opened: the dialog then shows the upgrade as the start
    does (``UpgradingDialog``) and cannot be closed until it is done.

    «Hủy» while the passphrase is checked cancels: nothing is closed or restored. Once the window's connections
    are closed and the backup's files are being put in place nothing can stop it: «Hủy» is disabled and Esc or
    the title bar's close do nothing until the step is over."""

    def __init__(self, window: MainWindow, info: BackupInfo, other_machine: bool):
        super().__init__(window)
        self.window_ = window
        self.info = info
        self.other_machine = other_machine
        self.setObjectName("restore_dialog")
        self.setWindowTitle("Khôi phục từ bản sao lưu")
        layout = QVBoxLayout(self)
        text = QLabel(
            f"Bản sao lưu {info.path.name}, tạo lúc {info.created_text}.\n\n"
            "Dữ liệu trong bản sao lưu sẽ thay dữ liệu đang có trên máy. Dữ liệu đang có không mất: được cất "
            "(vẫn mã hóa) trong thư mục backups của thư mục dữ liệu. Các phiếu đang mở được hỏi lưu trước; sau khi "
            "khôi phục, cửa sổ mở lại với dữ liệu đã khôi phục.",
            self,
        )
        text.setWordWrap(True)
        layout.addWidget(text)
        self.confirm: QCheckBox | None = None
        if other_machine:
            warn = QLabel(
                f"Đây là bản sao lưu của MÁY KHÁC (máy {info.laptop_id}). Chỉ khôi phục khi máy đó không còn dùng "
                "nữa (hỏng, mất): sau khi khôi phục, máy này làm tiếp công việc của máy đó và mở bằng mật khẩu "
                "của bản sao lưu.",
                self,
            )
            warn.setWordWrap(True)
            warn.setStyleSheet("color: #b00020;")
            layout.addWidget(warn)
            self.confirm = QCheckBox("Tôi xác nhận máy kia không còn dùng nữa", self)
            self.confirm.setObjectName("restore_confirm")
            layout.addWidget(self.confirm)
        form = QFormLayout()
        self.passphrase = password_field(self, "restore_passphrase")
        form.addRow("Mật khẩu lúc &sao lưu:", self.passphrase)
        layout.addLayout(form)
        self.error = error_label(self, "restore_error")
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(self)
        self.ok = buttons.addButton("Khôi phục", QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok.setObjectName("restore_ok")
        self.cancel = buttons.addButton("Hủy", QDialogButtonBox.ButtonRole.RejectRole)
        self.cancel.setObjectName("restore_cancel")
        buttons.accepted.connect(self._submit)
        buttons.rejected.connect(self.reject)
        self.add_upgrade_panel(
            layout,
            "restore_upgrade",
            text=UPGRADE_RESTORED_TEXT,
            quiet=lambda: [*buttons.buttons(), self.passphrase, *([self.confirm] if self.confirm else [])],
            hidden=[self.error],
        )
        layout.addWidget(buttons)
        self.setMinimumWidth(560)
        self.runner: TaskRunner | None = None
        self.cancelled = False

    def _submit(self) -> None:
        if self.confirm is not None and not self.confirm.isChecked():
            self.error.setText("Hãy đánh dấu xác nhận máy kia không còn dùng nữa, hoặc bấm Hủy.")
            return
        if not self.passphrase.text():
            self.error.setText("Hãy nhập mật khẩu đang dùng lúc tạo bản sao lưu.")
            return
        self.ok.setEnabled(False)
        self.error.working("Đang kiểm tra mật khẩu…")
        info, passphrase = self.info, self.passphrase.text()
        # the passphrase is checked before anything is closed: a wrong one changes nothing
        self.window_.tasks.call(
            lambda: info.unlock(passphrase), lambda key: self._restore(passphrase, key), self._failed
        )

    def _restore(self, passphrase: str, key: Any) -> None:
        """Close every connection of the window, put the backup in place, open it, and reopen the window.

        The files are only replaced when no connection is open on them (a connection left open would
        write its WAL into the restored file). If anything fails the folder is unchanged and the window
        reopens on the data as it was.
        """
        from app.services.unlock import open_with_key
        from app.storage.backups import restore

        w = self.window_
        if self.cancelled:  # «Hủy» was pressed while the passphrase was checked: nothing is done
            return
        if w.tasks.active:
            self.ok.setEnabled(True)
            self.error.setText(
                "Chương trình đang làm việc khác (ví dụ nhập hay xuất dữ liệu): chờ xong rồi bấm Khôi phục."
            )
            return
        if not w.forms.confirm_close_all():
            self.ok.setEnabled(True)
            self.error.setText("Chưa khôi phục: còn phiếu đang mở.")
            return
        self.error.working("Đang khôi phục…")
        self._hold(True)
        if not w.tasks.shutdown(
            15000
        ):  # every connection of the window is closed before the files are replaced
            self._hold(False)
            self.error.setText(
                "Chưa khôi phục: một việc đang chạy không dừng được. Hãy đóng chương trình rồi thử lại."
            )
            return
        self.runner = TaskRunner(w.db_path, None, self)
        folder, path, other, current = w.data_dir, self.info.path, self.other_machine, w.key

        def work(progress: UpgradeProgress) -> tuple[Any, Any, BaseException | None]:
            try:
                done = restore(folder, path, passphrase, other_machine_ok=other)
            except Exception as exc:  # noqa: BLE001 - the folder is unchanged: reopen on it, then say why
                return None, open_with_key(folder, current, progress), exc
            # upgraded if the backup is of an older version: the dialog shows it as the start does
            return done, open_with_key(folder, key, progress), None

        self.run_upgrading(self.runner, work, self._done, self._failed_after_close)

    def _hold(self, on: bool) -> None:
        """While the files are put in place (``on``) the dialog cannot be cancelled, and «Hủy» shows it."""
        self.cancel.setEnabled(not on)

    @property
    def restoring(self) -> bool:
        """The files are being put in place: «Hủy» is disabled then, and only then (``_hold``)."""
        return not self.cancel.isEnabled()

    def reject(self) -> None:
        if self.restoring:  # Esc, or «Hủy» pressed some other way, while the files are put in place: not now
            return
        self.cancelled = True
        super().reject()

    def closeEvent(self, event: Any) -> None:
        if self.restoring:
            event.ignore()
            return
        super().closeEvent(event)

    def _done(self, result: tuple[Any, Any, BaseException | None]) -> None:
        from app.domain.vnformat import format_int

        self._hold(False)
        done, opened, error = result
        if error is not None:
            text = _said(error, "Chưa khôi phục được từ bản sao lưu")
            self.window_.sig_reopen.emit(Reopen(opened.key, opened.profile, "Chưa khôi phục", text, True))
            return
        text = (
            f"Đã khôi phục {format_int(done.counts['enterprises'])} doanh nghiệp, "
            f"{format_int(done.counts['visits'])} lượt khảo sát. Cửa sổ đã mở lại với dữ liệu đã khôi phục."
            + ("\n\nTừ nay mở dữ liệu bằng mật khẩu của bản sao lưu." if done.key_changed else "")
            + f"\n\nDữ liệu trước khi khôi phục được cất (vẫn mã hóa) trong {done.previous}."
        )
        self.accept()
        self.window_.sig_reopen.emit(Reopen(opened.key, opened.profile, "Đã khôi phục", text, False))

    def _failed_after_close(self, failure: TaskFailure) -> None:
        """Even the data as it was did not open: the program cannot go on (the next start says why)."""
        self._hold(False)
        said = _said(failure, "Chưa mở lại được dữ liệu")
        self.error.setText(f"{said}\nHãy đóng rồi mở lại chương trình.")

    def _failed(self, failure: TaskFailure) -> None:
        self.ok.setEnabled(True)
        self.error.setText(_said(failure, "Chưa khôi phục được từ bản sao lưu"))


def _said(failure: Any, doing: str) -> str:
    """A failed passphrase change, restore or backup read: the program's own errors as they say it,
    anything else without Python's words (``app.gui.failures``)."""
    from app.gui.failures import explain
    from app.storage.backups import BackupError

    exc = getattr(failure, "exception", failure)
    if isinstance(exc, LockError):
        return exc.message
    if isinstance(exc, BackupError):
        return str(exc)
    return explain(failure, doing)


@dataclass(frozen=True, repr=False)
class Reopen:
    """What the launcher needs to open the window again (after a restore): the key, who this laptop is,
    and the message the new window shows."""

    key: Any
    profile: Any
    title: str
    text: str
    failed: bool


def restore_backup(window: MainWindow) -> None:
    from app.storage.backups import is_other_machine, read_info

    path, _ = QFileDialog.getOpenFileName(
        window, "Khôi phục từ bản sao lưu", str(window.data_dir), "Bản sao lưu KhaoSat (*.khaosat-backup)"
    )
    if not path:
        return
    folder = window.data_dir

    def read() -> tuple[BackupInfo, bool]:
        info = read_info(path)
        return info, is_other_machine(info, folder)

    def show(result: tuple[BackupInfo, bool]) -> None:
        RestoreDialog(window, *result).open()  # owned by the window until it closes

    window.tasks.call(
        read, show, lambda f: window.show_error("Khôi phục", _said(f, "Chưa đọc được bản sao lưu"))
    )


# --- lock after a while without use ----------------------------------------------------------------


class InactivityLock(QObject):
    """Locks the program after ``minutes`` without a key press or a click (0: never)."""

    INPUT_EVENTS = (
        QEvent.Type.KeyPress,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.Wheel,
        QEvent.Type.TouchBegin,
    )

    def __init__(self, window: MainWindow, minutes: int = DEFAULT_LOCK_MINUTES):
        super().__init__(window)
        self.window_ = window
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self.lock)
        self.hidden: list[QWidget] = []
        self.dialog: Any = None
        self.runner: TaskRunner | None = None
        self.closing: Any = None  # app.gui.closing.Closing, once closed from the lock
        self.set_minutes(minutes)
        QApplication.instance().installEventFilter(self)  # type: ignore[union-attr]

    @property
    def locked(self) -> bool:
        return self.dialog is not None

    def set_minutes(self, minutes: int) -> None:
        self.minutes = max(0, int(minutes))
        self.timer.stop()
        if self.minutes and not self.locked:
            self.timer.start(self.minutes * 60_000)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() in self.INPUT_EVENTS and self.minutes and not self.locked:
            self.timer.start(self.minutes * 60_000)
        return False

    def detach(self) -> None:
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
        self.timer.stop()

    def lock(self) -> None:
        """Hide every window, forget the data key and ask for the passphrase again.

        The window's tasks hold new work until the unlock; those running finish first, then every
        connection is closed and no reference to the key is left (the forms keep what was typed,
        their drafts stay on disk, sealed).
        """
        from app.gui.unlock import RELOCK, UnlockDialog
        from app.security import datakey

        if self.locked or self.window_.key is None:
            return
        self.hidden = [w for w in QApplication.topLevelWidgets() if w.isVisible()]
        for w in self.hidden:
            w.hide()
        folder, key_id = self.window_.key_folder, self.window_.key.key_id
        self.window_.forget_key()

        def unlock(passphrase: str) -> Any:
            key = datakey.unlock(folder, passphrase)
            if key.key_id != key_id:  # another folder's passphrase: not this data
                raise LockError("wrong_passphrase", "Mật khẩu không đúng.")
            return key

        # the window's runner holds its tasks while locked: the passphrase is checked on a runner of its own
        self.runner = TaskRunner(self.window_.db_path, None, self)
        self.dialog = UnlockDialog(self.runner, RELOCK, unlock)
        self.dialog.accepted.connect(self._unlocked)
        self.dialog.rejected.connect(self._quit)
        self.dialog.show()

    def _unlocked(self) -> None:
        key, self.dialog.result_value = self.dialog.result_value, None
        self.window_.take_key(key)
        del key
        for w in self.hidden:
            w.show()
        self.hidden = []
        self.dialog.deleteLater()
        self.dialog = None
        self.window_.activateWindow()
        self.set_minutes(self.minutes)

    def _quit(self) -> None:
        """Closing while locked: open forms are not asked about; their sealed drafts come back next time.

        As the window's close (``app.gui.closing``): the program ends once the tasks still running have
        finished (a write the lock found running, the passphrase being checked), without blocking; a
        small dialog, with no data in it, says what it waits for meanwhile (the windows are hidden).
        """
        from app.gui.closing import Closing

        if self.closing is not None:  # (the dialog is closed once)
            return
        runners = [self.window_.tasks, *([self.runner] if self.runner is not None else [])]
        self.closing = Closing(self, None, runners, self._exit)
        if self.closing.start():
            self._exit()

    def _exit(self) -> None:
        QApplication.instance().exit(0)  # type: ignore[union-attr]


def set_lock_minutes(window: MainWindow) -> None:
    current = window.inactivity.minutes
    minutes, ok = QInputDialog.getInt(
        window,
        "Tự khóa khi không dùng",
        "Tự khóa chương trình sau bao nhiêu phút không dùng (0: không tự khóa):",
        current,
        0,
        240,
    )
    if not ok:
        return

    def saved(_r: Any) -> None:
        window.inactivity.set_minutes(minutes)
        window.show_status(
            f"Chương trình sẽ tự khóa sau {minutes} phút không dùng."
            if minutes
            else "Chương trình sẽ không tự khóa."
        )

    window.tasks.write(lambda store: store.set_setting(LOCK_SETTING, minutes), saved)
