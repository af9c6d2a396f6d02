"""Where in the window to fix an error: the screen's name, and a button that opens it.

Messages from the core are shared with the command line, so they say what is wrong and what to do
without naming a command; an error with a remedy carries a stable ``reason`` (``SyncError.reason``,
``ReportError.reason``, ...). The command line adds the command to type (``app.cli.hints``); the
window names the screen here and offers a button that opens it. No message in the window ever tells
a person to type a command (tests/gui/test_no_commands.py scans every message).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QPushButton, QWidget

if TYPE_CHECKING:
    from app.gui.main_window import MainWindow


@dataclass(frozen=True)
class Remedy:
    screen: str  # where it is, as the menus say: "Đồng bộ ▸ Khóa và máy đã đăng ký"
    action: str  # the action that opens it (app.gui.actions key)
    button: str  # the button's text


KEYS = Remedy("Đồng bộ ▸ Khóa và máy đã đăng ký", "sync.machines", "Mở «&Khóa và máy đã đăng ký»")
SETUP = Remedy("Công cụ ▸ Thiết lập máy", "tools.setup", "Mở «&Thiết lập máy»")
LEAVE_PRACTICE = Remedy(
    "nút «Thoát chế độ tập dượt» trên dải màu cam đầu cửa sổ", "practice.leave", "&Thoát chế độ tập dượt"
)

REMEDIES: dict[str, Remedy] = {
    "no_destination": KEYS,
    "no_keys": KEYS,
    "wrong_kind": KEYS,
    "not_initialised": SETUP,
    "unknown_unit": SETUP,
    "no_unit": SETUP,
    "practice": LEAVE_PRACTICE,
}


def remedy_for(error: Any) -> Remedy | None:
    """The remedy of an exception (or a task failure holding one), if it has one in this window."""
    exc = getattr(error, "exception", error)
    return REMEDIES.get(getattr(exc, "reason", "") or "")


def available(window: MainWindow, remedy: Remedy | None) -> bool:
    return remedy is not None and remedy.action in window.actions


def with_screen(text: str, remedy: Remedy | None) -> str:
    """The message, then where to do it."""
    return f"{text}\n\nLàm việc này ở: {remedy.screen}." if remedy else text


def open_screen(window: MainWindow, remedy: Remedy) -> None:
    window.actions.trigger(remedy.action)


def show_error(
    window: MainWindow,
    title: str,
    text: str,
    error: Any = None,
    parent: QWidget | None = None,
    remedy: Remedy | None = None,
) -> None:
    """An error box; when the error has a remedy (or one is given), it names the screen and has a
    button that opens it."""
    remedy = remedy or (remedy_for(error) if error is not None else None)
    if not available(window, remedy):
        remedy = None
    box = QMessageBox(
        QMessageBox.Icon.Warning,
        title,
        with_screen(text, remedy),
        QMessageBox.StandardButton.NoButton,
        parent or window,
    )
    box.setObjectName("error_box")
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    go = box.addButton(remedy.button, QMessageBox.ButtonRole.AcceptRole) if remedy else None
    close = box.addButton("Đó&ng", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(go or close)
    box.setEscapeButton(close)
    if go is not None and remedy is not None:
        chosen = remedy
        box.buttonClicked.connect(lambda b: open_screen(window, chosen) if b is go else None)
    box.open()


class RemedyButton(QPushButton):
    """A button placed under a dialog's status line: hidden until a failure has a remedy."""

    def __init__(self, window: MainWindow, parent: QWidget | None = None, before_open: Any = None):
        super().__init__(parent)
        self.setObjectName("remedy_button")
        self.window_ = window
        self.remedy: Remedy | None = None
        self.before_open = before_open  # e.g. close the dialog the button is in
        self.clicked.connect(self._open)
        self.hide()

    def show_for(self, error: Any) -> Remedy | None:
        remedy = remedy_for(error)
        if not available(self.window_, remedy):
            remedy = None
        self.remedy = remedy
        if remedy is not None:
            self.setText(remedy.button)
        self.setVisible(remedy is not None)
        return remedy

    def _open(self) -> None:
        if self.remedy is None:
            return
        if self.before_open is not None:
            self.before_open()
        open_screen(self.window_, self.remedy)
