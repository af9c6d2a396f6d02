"""Typing Vietnamese into Qt widgets in tests, and counting the keystrokes.

``QTest.keyClicks`` (and ``qtbot.keyClicks``) abort the whole process on any non-ASCII character
(an assertion in Qt's qasciikey.cpp). ``Keyboard`` sends ASCII through ``QTest.keyClick`` and every
other character as a key event that carries the text (``QTest.sendKeyEvent`` with ``Key_unknown``),
which is what a Vietnamese input method (Unikey, EVKey) delivers after composing a letter; with
``ime=True`` it uses a ``QInputMethodEvent`` commit string instead; with ``decomposed=True`` each
letter arrives decomposed (NFD: "ế" as "e" and two combining marks), as some keyboards (macOS,
Unikey's "Unicode tổ hợp") send it.

Keys go to the widget that has the keyboard focus (``QApplication.focusWidget()``), as a user's
would; ``Keyboard.count`` is the number of keys a person would press (a composed Vietnamese
letter counts as the keys Telex needs for it, e.g. "ễ" = e + e + x = 3).
"""

from __future__ import annotations

import unicodedata

from PySide6.QtCore import Qt
from PySide6.QtGui import QInputMethodEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget

_TELEX_TONES = {"\u0301": 1, "\u0300": 1, "\u0309": 1, "\u0303": 1, "\u0323": 1}  # s f r x j
_TELEX_MARKS = {"\u0302": 1, "\u0306": 1, "\u031b": 1}  # â ê ô (aa...), ă (aw), ơ ư (ow, uw)


def telex_keys(ch: str) -> int:
    """Keys a Telex typist presses for one character (đ = dd: 2; ễ = eex: 3; a: 1)."""
    if ch.isascii():
        return 1
    if ch.lower() == "đ":
        return 2
    decomposed = unicodedata.normalize("NFD", ch)
    return 1 + sum(_TELEX_TONES.get(c, 0) + _TELEX_MARKS.get(c, 0) for c in decomposed[1:])


class Keyboard:
    def __init__(self, ime: bool = False, decomposed: bool = False):
        self.count = 0  # every key pressed
        self.typed = 0  # of which keys that typed text (the rest moved, chose or saved)
        self.ime = ime
        self.decomposed = decomposed

    @staticmethod
    def focus() -> QWidget:
        w = QApplication.focusWidget()
        if w is None:
            raise AssertionError("no widget has the keyboard focus")
        return w

    def type(self, text: str, widget: QWidget | None = None) -> None:
        """Type ``text`` into ``widget`` (default: the focused widget)."""
        text = unicodedata.normalize("NFC", text)
        for ch in text:
            target = widget or self.focus()
            sent = unicodedata.normalize("NFD", ch) if self.decomposed else ch
            if ch.isascii() and ch.isprintable():
                QTest.keyClick(target, ch)
            elif self.ime:
                event = QInputMethodEvent("", [])
                event.setCommitString(sent)
                QApplication.sendEvent(target, event)
            else:
                QTest.sendKeyEvent(
                    QTest.KeyAction.Click, target, Qt.Key.Key_unknown, sent, Qt.KeyboardModifier.NoModifier
                )
            self.count += telex_keys(ch)
            self.typed += telex_keys(ch)

    def press(
        self,
        key: Qt.Key,
        modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier,
        widget: QWidget | None = None,
        times: int = 1,
    ) -> None:
        for _ in range(times):
            QTest.keyClick(widget or self.focus(), key, modifiers)
            self.count += 1

    def tab(self, times: int = 1) -> None:
        self.press(Qt.Key.Key_Tab, times=times)

    def enter(self, times: int = 1) -> None:
        self.press(Qt.Key.Key_Return, times=times)

    def shortcut(
        self, key: Qt.Key, modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.ControlModifier
    ) -> None:
        """A shortcut such as Ctrl+S: one keystroke (a chord)."""
        self.press(key, modifiers)

    def replace(self, text: str) -> None:
        """Select what the focused field holds and type over it (Ctrl+A counts as one key)."""
        self.press(Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
        self.type(text)
