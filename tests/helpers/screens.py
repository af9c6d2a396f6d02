"""Screens of a given size for GUI tests, and screenshots taken on the way.

``KHAOSAT_SCREEN`` ("1366x768", the default, or "1024x768") is the laptop screen a test plays on: a main
window is fitted to it as the program fits itself (``MainWindow.fit_to`` with the free area above a Windows
task bar), then given the client area a maximized window has there. With ``KHAOSAT_SCREENSHOTS`` set to a
folder, ``shot(widget, name)`` saves ``name-WIDTH.png`` there (docs/screenshots/make.py runs the workday
tests that way at both sizes).
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QRect

TASK_BAR = 40  # Windows 10/11
TITLE_BAR = 31


def screen() -> tuple[int, int]:
    w, h = os.environ.get("KHAOSAT_SCREEN", "1366x768").lower().split("x")
    return int(w), int(h)


def place(window) -> None:
    """Fit a main window to the screen, as a maximized window on it."""
    from PySide6.QtCore import Qt

    width, height = screen()
    window.fit_to(QRect(0, 0, width, height - TASK_BAR))
    assert window.isMaximized()  # a laptop screen: the program takes all of it
    window.setWindowState(Qt.WindowState.WindowNoState)  # offscreen has no window manager to maximize
    window.setGeometry(QRect(0, TITLE_BAR, width, height - TASK_BAR - TITLE_BAR))


def fits(widget) -> bool:
    """Whether a window (with its frame) fits the screen's free area."""
    width, height = screen()
    return widget.width() <= width and widget.height() + TITLE_BAR <= height - TASK_BAR


def shot(widget, name: str) -> None:
    folder = os.environ.get("KHAOSAT_SCREENSHOTS")
    if folder:
        from PySide6.QtWidgets import QApplication

        for _ in range(3):  # a text just set wraps once its layout has run (a grab before shows it cut)
            QApplication.processEvents()
        Path(folder).mkdir(parents=True, exist_ok=True)
        widget.grab().save(str(Path(folder) / f"{name}-{screen()[0]}.png"))
