"""Dialogs wide enough for their title.

A window manager cuts a title that is wider than its window ("Báo cáo kết quả so với chỉ t…"); the
title bar also holds the icon and three buttons. A dialog whose own contents are narrow calls
``fit_title`` once it has its title.
"""

from __future__ import annotations

from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QApplication, QWidget

TITLE_BAR_EXTRA = 170  # icon, the minimize/maximize/close buttons and padding of a Windows title bar


def title_width(widget: QWidget) -> int:
    """Pixels the window needs so that its whole title shows in the title bar."""
    font = QApplication.font("QMdiSubWindowTitleBar")
    return QFontMetrics(font).horizontalAdvance(widget.windowTitle()) + TITLE_BAR_EXTRA


def fit_title(widget: QWidget) -> None:
    widget.setMinimumWidth(max(widget.minimumWidth(), title_width(widget)))
