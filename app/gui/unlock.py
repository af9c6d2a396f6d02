"""The passphrase dialog: asked once at start, before anything is read; again after an inactivity lock.

Modes: ``unlock`` and ``relock`` (one field), ``create`` (a new folder: the passphrase is chosen, typed
twice, its strength said as it is typed: ``NewPassphrase``, as in «Đổi mật khẩu» and a recovery) and
``migrate`` (an earlier version's plain file: as ``create``, and the file is encrypted). The work (scrypt, about half a second; a migration, longer) runs in a worker; a wrong
passphrase says so and, after repeated failures, the dialog waits longer and longer before the next try.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from app.gui.new_passphrase import NewPassphrase, error_label, password_field
from app.gui.tasks import TaskFailure, TaskRunner
from app.security.datakey import LockError

UNLOCK, CREATE, MIGRATE, RELOCK = "unlock", "create", "migrate", "relock"
FREE_TRIES = 3  # wrong passphrases before the dialog starts waiting
MAX_WAIT = 300  # seconds


def wait_after(failures: int) -> int:
    """Seconds to wait before the next try: none for the first few, then 5, 10, 20... up to 5 minutes."""
    if failures < FREE_TRIES:
        return 0
    return min(MAX_WAIT, 5 * 2 ** (failures - FREE_TRIES))


class UnlockDialog(QDialog):
    """``work(passphrase)`` runs in a worker; its result is ``self.result_value`` once accepted."""

    sig_forgot = Signal()

    def __init__(
        self,
        tasks: TaskRunner,
        mode: str,
        work: Callable[[str], Any],
        parent: QWidget | None = None,
        *,
        subtitle: str = "",
    ):
        super().__init__(parent)
        self.tasks = tasks
        self.mode = mode
        self.work = work
        self.failures = 0
        self.result_value: Any = None
        self.busy = False
        self._wait_left = 0
        self.setObjectName("unlock_dialog")
        self.setWindowTitle(
            "KhaoSat — Mở khóa dữ liệu" if mode in (UNLOCK, RELOCK) else "KhaoSat — Đặt mật khẩu"
        )
        self.setModal(True)
        layout = QVBoxLayout(self)
        intro = {
            UNLOCK: "Dữ liệu của máy này được mã hóa. Nhập mật khẩu để mở.",
            RELOCK: "KhaoSat đã tự khóa vì lâu không dùng. Nhập mật khẩu để tiếp tục; "
            "các biểu mẫu đang nhập dở vẫn được giữ.",
            CREATE: "Đặt mật khẩu bảo vệ dữ liệu của máy này. Mọi dữ liệu (danh sách doanh nghiệp, "
            "lượt khảo sát, bản nháp, bản sao lưu) sẽ được mã hóa bằng mật khẩu này.",
            MIGRATE: "Phiên bản này mã hóa dữ liệu trên máy. Hãy đặt mật khẩu: dữ liệu hiện có sẽ được "
            "mã hóa ngay (có thể mất vài phút với dữ liệu lớn), rồi tệp chưa mã hóa bị xóa.",
        }[mode]
        text = QLabel(intro + (f"\n{subtitle}" if subtitle else ""), self)
        text.setWordWrap(True)
        layout.addWidget(text)
        form = QFormLayout()
        # a passphrase chosen (create, migrate): the body every dialog that sets one shares
        self.chosen: NewPassphrase | None = None
        self.repeat: QLineEdit | None = None
        self.strength: QLabel | None = None
        if mode in (CREATE, MIGRATE):
            self.chosen = NewPassphrase(self, form, "unlock", new_label="&Mật khẩu:")
            self.passphrase = self.chosen.new
            self.repeat, self.strength = self.chosen.repeat, self.chosen.strength
        else:
            self.passphrase = password_field(self, "unlock_passphrase")
            form.addRow("&Mật khẩu:", self.passphrase)
        layout.addLayout(form)
        self.error = error_label(self, "unlock_error")
        layout.addWidget(self.error)
        self.buttons = QDialogButtonBox(self)
        self.ok = self.buttons.addButton(
            "Mở khóa" if mode in (UNLOCK, RELOCK) else "Đặt mật khẩu", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.ok.setObjectName("unlock_ok")
        self.ok.setDefault(True)
        if mode == UNLOCK:
            forgot = self.buttons.addButton("Quên mật khẩu…", QDialogButtonBox.ButtonRole.HelpRole)
            forgot.setObjectName("unlock_forgot")
            forgot.clicked.connect(self.sig_forgot.emit)
        cancel = self.buttons.addButton(
            "Thoát" if mode != RELOCK else "Đóng KhaoSat", QDialogButtonBox.ButtonRole.RejectRole
        )
        cancel.setObjectName("unlock_cancel")
        self.buttons.accepted.connect(self._submit)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self._tick)
        self.setMinimumWidth(520)
        self.passphrase.setFocus(Qt.FocusReason.OtherFocusReason)

    def _submit(self) -> None:
        if self.busy or self._wait_left:
            return
        passphrase = self.passphrase.text()
        if self.chosen is not None:
            problem = self.chosen.problem()
            if problem:
                self.error.setText(problem)
                return
        elif not passphrase:
            self.error.setText("Hãy nhập mật khẩu.")
            return
        self._set_busy(True)
        self.error.setText("Đang mã hóa dữ liệu…" if self.mode == MIGRATE else "Đang mở khóa…")
        self.tasks.call(lambda: self.work(passphrase), self._done, self._failed)

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.ok.setEnabled(not busy and not self._wait_left)
        self.passphrase.setEnabled(not busy)
        if self.chosen is not None:
            self.chosen.set_enabled(not busy)

    def _done(self, value: Any) -> None:
        self.result_value = value
        self._set_busy(False)
        self.error.setText("")
        self.accept()

    def _failed(self, failure: TaskFailure) -> None:
        self._set_busy(False)
        exc = failure.exception
        if isinstance(exc, LockError) and exc.reason == "wrong_passphrase":
            self.failures += 1
            self.passphrase.selectAll()
            self.passphrase.setFocus()
            wait = wait_after(self.failures)
            if wait:
                self._wait_left = wait
                self.ok.setEnabled(False)
                self._timer.start()
                self._show_wait()
            else:
                self.error.setText(f"Mật khẩu không đúng (lần {self.failures}). Hãy thử lại.")
            return
        if isinstance(exc, LockError):
            self.error.setText(exc.message)
            return
        from app.gui.failures import explain

        self.error.setText(explain(failure, "Chưa mở được dữ liệu"))

    def _show_wait(self) -> None:
        self.error.setText(
            f"Mật khẩu không đúng (lần {self.failures}). Để chống dò mật khẩu, hãy chờ "
            f"{self._wait_left} giây rồi thử lại."
        )

    def _tick(self) -> None:
        self._wait_left = max(0, self._wait_left - 1)
        if self._wait_left:
            self._show_wait()
            return
        self._timer.stop()
        self.ok.setEnabled(not self.busy)
        self.error.setText(f"Mật khẩu không đúng (lần {self.failures}). Có thể thử lại.")
