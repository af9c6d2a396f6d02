"""The Alt+letter keys of a window as a person sees it, for tests that a keyboard reaches everything.

A key shared by two visible controls (a menu of the menu bar and a tab, two buttons) does not do what its
underline says: Qt gives it to one of them, then the other on the next press. ``check_alt_keys(window)``
fails on a shared key, on a letter that is not on every keyboard (Đ), and on a push button that no key reaches (Enter reaches the default button, Esc the
button box's cancelling one).
"""

from __future__ import annotations

import re

from PySide6.QtWidgets import (
    QAbstractButton,
    QDialogButtonBox,
    QGroupBox,
    QLabel,
    QMainWindow,
    QPushButton,
    QTabBar,
    QWidget,
)


def mnemonic(text: str) -> str | None:
    m = re.search(r"&([^&])", text.replace("&&", ""))
    return m.group(1).lower() if m else None


def _shown(widget: QWidget, window: QWidget) -> bool:
    return widget.window() is window and widget.isVisibleTo(window)


def alt_keys(window: QWidget) -> dict[str, list[str]]:
    """Each Alt+letter key of ``window`` (its menu bar, visible buttons, tabs, labels with a buddy, group
    boxes) and the texts that carry it."""
    keys: dict[str, list[str]] = {}

    def add(text: str) -> None:
        key = mnemonic(text)
        if key:
            keys.setdefault(key, []).append(text.replace("&&", "\0").replace("&", "").replace("\0", "&"))

    if isinstance(window, QMainWindow):
        for action in window.menuBar().actions():
            if action.isVisible():
                add(action.text())
    for button in window.findChildren(QAbstractButton):
        if _shown(button, window):
            add(button.text())
    for bar in window.findChildren(QTabBar):
        if _shown(bar, window):
            for i in range(bar.count()):
                if bar.isTabVisible(i):
                    add(bar.tabText(i))
    for label in window.findChildren(QLabel):
        if label.buddy() is not None and _shown(label, window):
            add(label.text())
    for box in window.findChildren(QGroupBox):
        if _shown(box, window):
            add(box.title())
    return keys


def unreached_buttons(window: QWidget) -> list[str]:
    """Visible push buttons that no Alt key, Enter or Esc reaches."""
    missing = []
    for button in window.findChildren(QPushButton):
        if not _shown(button, window) or not button.text() or mnemonic(button.text()) or button.isDefault():
            continue
        box = button.parent()
        if (
            isinstance(box, QDialogButtonBox)
            and box.buttonRole(button) == QDialogButtonBox.ButtonRole.RejectRole
        ):
            continue
        missing.append(button.text())
    return missing


def check_alt_keys(window: QWidget) -> None:
    keys = alt_keys(window)
    shared = {k: texts for k, texts in keys.items() if len(texts) > 1}
    assert not shared, f"Alt keys shared in «{window.windowTitle()}»: {shared}"
    untypable = [t for k, texts in keys.items() if not k.isascii() for t in texts]  # Alt+Đ: no such key
    assert not untypable, f"Alt keys no keyboard has in «{window.windowTitle()}»: {untypable}"
    missing = unreached_buttons(window)
    assert not missing, f"buttons no key reaches in «{window.windowTitle()}»: {missing}"
