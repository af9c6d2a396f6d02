"""The passphrase dialog: asked once at start, before anything is read; again after an inactivity lock.

Modes: ``unlock`` and ``relock`` (one field), ``create`` (a new folder: the passphrase is chosen, typed
twice, its strength said as it is typed: ``NewPassphrase``, as in «Đổi mật khẩu» and a recovery) and
``migrate`` (an earlier version's plain file: as ``create``, and the file is encrypted). The work (scrypt, about half a second; a migration, longer) runs in a worker; a wrong
passphrase says so and, after repeated failures, the dialog waits longer and longer before the next try.

When the file opened is an older version's, its schema is upgraded before the window opens (a backup kept
first): minutes on a province's file. The dialog then says so (the data is being upgraded, it may take a
few minutes, do not turn the computer off), shows each step the core reports (``UpgradeStep``) with a bar
(filling when the step tells its fraction, moving otherwise), and cannot be closed until it is done. The same
panel (``UpgradePanel``, in an ``UpgradingDialog``) shows in the other dialogs whose work opens a file an older
version may have made: a backup restored (app/gui/protection.py) and a passphrase recovered through the office
(app/gui/recovery.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QLabel,
    QLineEdit,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from app.gui.new_passphrase import NewPassphrase, error_label, password_field
from app.gui.tasks import TaskFailure, TaskHandle, TaskRunner
from app.security.datakey import LockError
from app.storage.migrations import UpgradeProgress, UpgradeStep

UNLOCK, CREATE, MIGRATE, RELOCK = "unlock", "create", "migrate", "relock"
FREE_TRIES = 3  # wrong passphrases before the dialog starts waiting
MAX_WAIT = 300  # seconds


UPGRADE_TITLE = "Đang nâng cấp dữ liệu cho phiên bản mới"
UPGRADE_TEXT = (
    "Dữ liệu trên máy do phiên bản trước của KhaoSat tạo nên cần được nâng cấp trước khi mở. Với tệp dữ liệu "
    "lớn việc này có thể mất vài phút.\nĐừng tắt máy và đừng đóng KhaoSat cho đến khi xong."
)
UPGRADE_RESTORED_TEXT = (
    "Bản sao lưu này do phiên bản trước của KhaoSat tạo nên: dữ liệu vừa khôi phục cần được nâng cấp trước khi "
    "mở. Với tệp dữ liệu lớn việc này có thể mất vài phút.\nĐừng tắt máy và đừng đóng KhaoSat cho đến khi xong."
)
STEPS = 1000  # the bar's range when a step tells its fraction


def upgrade_reporter(report: Callable[[int, int, str], None]) -> UpgradeProgress:
    """Worker side: each upgrade step the core tells, as the (done, total, text) the task runner carries to
    the GUI thread (``total`` 0: no fraction). Only what changed goes: a new step, or a whole percent more."""
    last: list[tuple[str, int]] = []

    def tell(step: UpgradeStep) -> None:
        percent = -1 if step.fraction is None else int(step.fraction * 100)
        if last and last[0] == (step.text, percent):
            return
        last[:] = [(step.text, percent)]
        if step.fraction is None:
            report(0, 0, step.text)
        else:
            report(round(step.fraction * STEPS), STEPS, step.text)

    return tell


class UpgradePanel(QFrame):
    """What the upgrade of an older version's file is doing: that the data is being upgraded (``text``), the step
    the core tells and a bar (filling when the step tells its fraction, moving otherwise). Hidden until then."""

    def __init__(self, parent: QWidget, name: str, text: str = UPGRADE_TEXT):
        super().__init__(parent)
        self.setObjectName(name)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        box = QVBoxLayout(self)
        title = QLabel(UPGRADE_TITLE, self)
        font = title.font()
        font.setBold(True)
        title.setFont(font)
        box.addWidget(title)
        self.about = QLabel(text, self)
        self.about.setWordWrap(True)
        box.addWidget(self.about)
        self.step = QLabel(self)
        self.step.setObjectName(f"{name}_step")
        self.step.setWordWrap(True)
        box.addWidget(self.step)
        self.bar = QProgressBar(self)
        self.bar.setObjectName(f"{name}_bar")
        self.bar.setTextVisible(False)
        box.addWidget(self.bar)
        self.hide()

    def show_step(self, done: int, total: int, text: str) -> None:
        self.step.setText(text)
        self.bar.setRange(0, total)
        self.bar.setValue(done if total else 0)


class UpgradingDialog(QDialog):
    """A dialog whose work may open an older version's file, and so upgrade it (minutes on a province's file).

    ``run_upgrading`` runs the work in a worker and shows each step it tells in the ``UpgradePanel``; meanwhile
    the widgets ``quiet`` gives are disabled, those ``hidden`` gives hidden, and the dialog cannot be closed
    (closing would stop the step half-way: it starts over next time). All as at the start (``UnlockDialog``)."""

    def add_upgrade_panel(
        self,
        layout: QVBoxLayout,
        name: str,
        *,
        text: str = UPGRADE_TEXT,
        quiet: Callable[[], Sequence[QWidget]] = list,
        hidden: Sequence[QWidget] = (),
    ) -> None:
        self.upgrading = False
        self.upgrade = UpgradePanel(self, name, text)
        self.upgrade_text, self.upgrade_step, self.upgrade_bar = (
            self.upgrade.about,
            self.upgrade.step,
            self.upgrade.bar,
        )
        layout.addWidget(self.upgrade)
        self._quiet = quiet
        self._hidden = list(hidden)
        self._quieted: list[tuple[QWidget, bool]] = []

    def run_upgrading(
        self,
        tasks: TaskRunner,
        work: Callable[[UpgradeProgress], Any],
        on_done: Callable[[Any], None],
        on_error: Callable[[TaskFailure], None],
    ) -> TaskHandle:
        """``work(progress)`` in a worker of ``tasks``; the panel shows the steps ``progress`` is told, and goes
        before ``on_done`` or ``on_error`` is called."""

        def done(value: Any) -> None:
            self._end_upgrade()
            on_done(value)

        def failed(failure: TaskFailure) -> None:
            self._end_upgrade()
            on_error(failure)

        return tasks.call_reporting(
            lambda report: work(upgrade_reporter(report)), done, failed, self._upgrade_step
        )

    def _upgrade_step(self, done: int, total: int, text: str) -> None:
        """An upgrade step told by the worker: the panel shown (the rest of the dialog gives way to it)."""
        if not self.upgrading:
            self.upgrading = True
            for widget in self._hidden:
                widget.hide()
            self._quieted = [(w, w.isEnabled()) for w in self._quiet()]
            for widget, _enabled in self._quieted:
                widget.setEnabled(False)
            self.upgrade.show()
            self._fit_height()
        self.upgrade.show_step(done, total, text)

    def _fit_height(self) -> None:
        """As tall as the dialog's contents at its width, the panel's wrapped text whole (``adjustSize`` would
        take the width of its size hint, and wrapped labels of a form would come out cut)."""
        layout = self.layout()
        if layout is None:
            return
        layout.activate()
        width = self.width()
        height = (
            layout.totalHeightForWidth(width)
            if layout.hasHeightForWidth()
            else layout.totalSizeHint().height()
        )
        self.resize(width, max(height, layout.totalMinimumSize().height()))

    def _end_upgrade(self) -> None:
        if self.upgrading:
            self.upgrading = False
            self.upgrade.hide()
            for widget in self._hidden:
                widget.show()
            for widget, enabled in self._quieted:
                widget.setEnabled(enabled)
            self._quieted = []

    def reject(self) -> None:
        if getattr(self, "upgrading", False):  # Esc or the title bar's close while upgrading: not now
            return
        super().reject()

    def closeEvent(self, event: Any) -> None:
        if getattr(self, "upgrading", False):
            event.ignore()
            return
        super().closeEvent(event)


def wait_after(failures: int) -> int:
    """Seconds to wait before the next try: none for the first few, then 5, 10, 20... up to 5 minutes."""
    if failures < FREE_TRIES:
        return 0
    return min(MAX_WAIT, 5 * 2 ** (failures - FREE_TRIES))


class UnlockDialog(UpgradingDialog):
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
        upgrades: bool = False,
    ):
        """``upgrades``: ``work`` opens the data and may upgrade an older file: it is called as
        ``work(passphrase, progress)`` and the dialog shows the steps ``progress`` is told."""
        super().__init__(parent)
        self.tasks = tasks
        self.mode = mode
        self.work = work
        self.upgrades = upgrades
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
        # no way out while upgrading: every button off, the error line gives way to the panel
        self.add_upgrade_panel(
            layout, "unlock_upgrade", quiet=lambda: self.buttons.buttons(), hidden=[self.error]
        )
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
        self.cancel = cancel
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
        self.error.working("Đang mã hóa dữ liệu…" if self.mode == MIGRATE else "Đang mở khóa…")
        if not self.upgrades:
            self.tasks.call(lambda: self.work(passphrase), self._done, self._failed)
            return
        work = self.work
        self.run_upgrading(self.tasks, lambda progress: work(passphrase, progress), self._done, self._failed)

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
