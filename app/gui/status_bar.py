"""The main window's status bar: a message too long for the room left beside the permanent labels
(a 1024-pixel screen) is shown cut with "…" and whole in the bar's tooltip, never cut off mid-word
under a label. ``currentMessage()`` stays the whole text."""

from __future__ import annotations

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QStatusBar, QStyle, QStyleOption, QWidget

MARGIN = 6  # QStatusBar's own room before the message and beside the permanent widgets


class StatusBar(QStatusBar):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("status_bar")
        self._permanent: list[QWidget] = []
        self.messageChanged.connect(lambda _m: self._update_tooltip())

    def addPermanentWidget(self, widget: QWidget, stretch: int = 0) -> None:
        super().addPermanentWidget(widget, stretch)
        self._permanent.append(widget)

    def message_rect(self) -> QRect:
        """Where the message is drawn: from the left edge to the first permanent widget shown."""
        right = self.width() - 2 * MARGIN
        shown = [w.x() for w in self._permanent if w.isVisible()]
        if shown:
            right = min(right, min(shown) - 2)
        return QRect(MARGIN, 0, max(0, right - MARGIN), self.height())

    def shown_message(self) -> str:
        """The message as drawn: whole, or cut with "…" to the room it has."""
        return self.fontMetrics().elidedText(
            self.currentMessage(), Qt.TextElideMode.ElideRight, self.message_rect().width()
        )

    def _update_tooltip(self) -> None:
        message = self.currentMessage()
        self.setToolTip(message if message and self.shown_message() != message else "")

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._update_tooltip()

    def paintEvent(self, event) -> None:
        if not self.currentMessage():
            super().paintEvent(event)
            return
        # as QStatusBar paints with a message, the message cut to its room instead of clipped
        painter = QPainter(self)
        option = QStyleOption()
        option.initFrom(self)
        self.style().drawPrimitive(QStyle.PrimitiveElement.PE_PanelStatusBar, option, painter, self)
        for w in self._permanent:
            if w.isVisible():
                option.rect = w.geometry().adjusted(-1, -1, 1, 1)
                self.style().drawPrimitive(QStyle.PrimitiveElement.PE_FrameStatusBarItem, option, painter, w)
        painter.setPen(self.palette().windowText().color())
        flags = Qt.AlignmentFlag.AlignLeading | Qt.AlignmentFlag.AlignVCenter | Qt.TextFlag.TextSingleLine
        painter.drawText(self.message_rect(), int(flags), self.shown_message())
        painter.end()
