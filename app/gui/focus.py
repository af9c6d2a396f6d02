"""A visible ring around whatever has the keyboard focus, in every window of the program.

The platform styles show keyboard focus faintly or not at all: a check box without text of its own
(our forms put the label beside it) has nothing to draw a focus rectangle around, and a drop-down
list changes one shade of its frame. A person who works by keyboard loses their place. One ring,
installed once for the application, follows the focus from widget to widget (``QFocusFrame`` keeps
it on the widget as it moves or resizes, above its neighbours) and is drawn in a strong colour two
pixels wide outside the widget, so nothing in the widget's own look or size changes.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QApplication, QFocusFrame, QMenu, QMenuBar, QProxyStyle, QStyle, QWidget
from shiboken6 import isValid

RING_COLOR = QColor("#0b57d0")  # contrast 6.6:1 on white, 5.3:1 on the light grey of dialogs
RING_WIDTH = 2
MARGIN = 3  # pixels of ring outside the widget


class _RingStyle(QProxyStyle):
    """Only for the ring itself: how far outside the widget it reaches."""

    def pixelMetric(self, metric: QStyle.PixelMetric, option: Any = None, widget: Any = None) -> int:
        if metric in (QStyle.PixelMetric.PM_FocusFrameHMargin, QStyle.PixelMetric.PM_FocusFrameVMargin):
            return MARGIN
        return super().pixelMetric(metric, option, widget)


class FocusRing(QFocusFrame):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("focus_ring")
        self._style = _RingStyle()  # kept: a style given to setStyle is not owned by the widget
        self.setStyle(self._style)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)

    def paintEvent(self, _event: Any) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pen = QPen(RING_COLOR, RING_WIDTH)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        half = RING_WIDTH / 2
        painter.drawRoundedRect(QRectF(self.rect()).adjusted(half, half, -half, -half), 3, 3)
        painter.end()


class _Follower:
    """Moves the ring to each widget that receives the keyboard focus."""

    def __init__(self, app: QApplication):
        self.ring: FocusRing | None = None
        app.focusChanged.connect(self.follow)

    def follow(self, _old: QWidget | None, new: QWidget | None) -> None:
        target = new if wants_ring(new) else None
        ring = self.ring if self.ring is not None and isValid(self.ring) else None
        if target is None:
            if ring is not None:
                ring.setWidget(None)  # type: ignore[arg-type]
                ring.hide()
            return
        if ring is None:
            # the ring lives in the focused widget's parent; when that goes, so does the ring
            ring = self.ring = FocusRing()
        ring.setWidget(target)
        ring.show()
        ring.raise_()


def wants_ring(widget: QWidget | None) -> bool:
    if widget is None or not isValid(widget) or widget.isWindow() or widget.parentWidget() is None:
        return False
    if isinstance(widget, (QMenu, QMenuBar)):
        return False
    # the list of an open drop-down (a popup) shows its own highlight
    return widget.window().windowType() != Qt.WindowType.Popup


def install(app: QApplication | None = None) -> None:
    """Install the ring for the application (once; later calls do nothing)."""
    app = app or QApplication.instance()  # type: ignore[assignment]
    if app is None or getattr(app, "_khaosat_focus", None) is not None:
        return
    app._khaosat_focus = _Follower(app)  # type: ignore[union-attr]


def ring_of(app: QApplication | None = None) -> FocusRing | None:
    """The ring, for tests and screenshots (None before the first focus change)."""
    app = app or QApplication.instance()  # type: ignore[assignment]
    follower = getattr(app, "_khaosat_focus", None)
    ring = follower.ring if follower is not None else None
    return ring if ring is not None and isValid(ring) else None
