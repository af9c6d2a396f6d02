"""Closing the program while work runs: never a frozen window, never work left half-way.

The window's close (and the close from the idle lock's passphrase dialog) hands its task runners to
``Closing``: each runner cancels what it can and reports back when its last task has finished
(``TaskRunner.close``, which never blocks). If nothing runs the close happens at once. Otherwise the
window stays open, the event loop goes on, and a small dialog says what is being finished; once every
runner has closed (connections dropped, key forgotten) the close is finished by ``on_closed``.

The dialog is application-modal: while the program finishes its work nothing else can be started in
it (a new import, a save), so the wait only gets shorter. It has no button. A second close request
(the dialog's title bar, Esc, the window asked to close again) starts nothing new: the same wait goes
on and the dialog says why. There is deliberately no «Đóng ngay»: what is left to wait for once the
reads are interrupted is either a write, which must commit or roll back before the process ends, or
a long job that stops at its next safe point (an import between two files); and a worker thread
cannot be stopped from outside, so «close now» could only hide the window while the process lived on
with the data file open.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QDialog, QLabel, QProgressBar, QVBoxLayout, QWidget

from app.gui.tasks import TaskRunner

# Only unnamed reads running (a page of the list, the detail panel): cancelling interrupts their
# queries and they end at once, so the dialog would only flash. It is shown if they take longer.
SHOW_AFTER_MS = 300

AGAIN = (
    "Chương trình vẫn chờ việc trên xong để không bỏ dở giữa chừng việc đang ghi vào dữ liệu, "
    "rồi sẽ tự đóng ngay."
)


def waiting_text(what: Sequence[str]) -> str:
    doing = f" ({', '.join(what)})" if what else ""
    return (
        f"Đang hoàn tất việc đang làm{doing}… Chương trình sẽ tự đóng khi xong.\n\n"
        "Việc dài được dừng ở chỗ an toàn gần nhất (ví dụ sau gói dữ liệu đang nhập); dữ liệu đã lưu "
        "được giữ nguyên."
    )


class ClosingDialog(QDialog):
    """What the program finishes before it closes: no button, and it cannot be closed by hand."""

    def __init__(self, parent: QWidget | None):
        super().__init__(parent)
        self.setObjectName("closing_dialog")
        self.setWindowTitle("KhaoSat — Đang đóng")
        self.setWindowModality(Qt.WindowModality.ApplicationModal)
        layout = QVBoxLayout(self)
        self.text = QLabel(waiting_text([]), self)
        self.text.setObjectName("closing_text")
        self.text.setWordWrap(True)
        layout.addWidget(self.text)
        bar = QProgressBar(self)
        bar.setRange(0, 0)  # busy: how long a task still takes is not known
        bar.setTextVisible(False)
        layout.addWidget(bar)
        self.again = QLabel(AGAIN, self)
        self.again.setObjectName("closing_again")
        self.again.setWordWrap(True)
        self.again.hide()
        layout.addWidget(self.again)
        self.setMinimumWidth(440)
        self.finished_ = False

    def show_work(self, what: Sequence[str]) -> None:
        self.text.setText(waiting_text(what))
        self.adjustSize()  # its wrapped lines whole: a window does not grow by itself

    def asked_again(self) -> None:
        """Closing was asked for again: the same wait goes on, and the dialog says why."""
        self.again.show()
        self.adjustSize()
        if not self.isVisible():
            self.show()
        self.raise_()
        self.activateWindow()

    def reject(self) -> None:  # Esc
        self.asked_again()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.finished_:
            event.accept()
            return
        event.ignore()  # the title bar's close: the program closes once the work is done
        self.asked_again()

    def finish(self) -> None:
        self.finished_ = True
        self.close()
        self.deleteLater()


class Closing(QObject):
    """One close of ``runners``: ``start()`` is True when they closed at once; else ``on_closed`` is
    called once the last of them has (and the dialog, parented to ``parent``, says what is left)."""

    def __init__(
        self,
        owner: QObject,
        parent: QWidget | None,
        runners: Sequence[TaskRunner],
        on_closed: Callable[[], None],
    ):
        super().__init__(owner)
        self.parent_ = parent
        self.runners = list(runners)
        self.pending: list[TaskRunner] = []
        self.on_closed = on_closed
        self.dialog: ClosingDialog | None = None
        self.timer: QTimer | None = None
        self.done = False

    def start(self) -> bool:
        for runner in self.runners:
            if not runner.close(lambda r=runner: self._closed(r), lambda _what: self._update()):
                self.pending.append(runner)
        if not self.pending:
            self.done = True
            return True
        if self._running():
            self._show()
        else:  # only reads, interrupted: they end at once, else the dialog comes
            self.timer = QTimer(self)
            self.timer.setSingleShot(True)
            self.timer.timeout.connect(self._show)
            self.timer.start(SHOW_AFTER_MS)
        return False

    def asked_again(self) -> None:
        """A second close request while waiting: nothing new starts."""
        if self.done:
            return
        self._show()
        assert self.dialog is not None
        self.dialog.asked_again()

    def _running(self) -> list[str]:
        what: list[str] = []
        for runner in self.pending:
            what += [w for w in runner.running() if w not in what]
        return what

    def _show(self) -> None:
        if self.done:
            return
        if self.timer is not None:
            self.timer.stop()
        if self.dialog is None:
            self.dialog = ClosingDialog(self.parent_)
            self.dialog.show_work(self._running())
            self.dialog.show()
        self.dialog.raise_()
        self.dialog.activateWindow()

    def _update(self) -> None:
        if self.dialog is not None:
            self.dialog.show_work(self._running())

    def _closed(self, runner: TaskRunner) -> None:
        if runner in self.pending:
            self.pending.remove(runner)
        if self.pending or self.done:
            self._update()
            return
        self.done = True
        if self.timer is not None:
            self.timer.stop()
        if self.dialog is not None:
            self.dialog.finish()
            self.dialog = None
        self.on_closed()
