"""The body every dialog that sets a new passphrase shares: the passphrase typed twice, the rule under
it, a live line saying whether what is typed is strong enough, the check of both, and the line where a
problem is said.

Used by the first start and the encryption of an earlier version's file (app/gui/unlock.py, modes
``create`` and ``migrate``), by «Đổi mật khẩu…» (app/gui/protection.py) and by the laptop side of a
recovery (app/gui/recovery.py), so the rule, the check and the words are the same in all three.
"""

from __future__ import annotations

from PySide6.QtWidgets import QFormLayout, QLabel, QLineEdit, QWidget

from app.security.passphrase import RULE_TEXT, same, strength_problem

MISMATCH = "Hai lần nhập mật khẩu không khớp."
STRONG_ENOUGH = "Mật khẩu đủ mạnh."


def password_field(parent: QWidget, name: str) -> QLineEdit:
    field = QLineEdit(parent)
    field.setObjectName(name)
    field.setEchoMode(QLineEdit.EchoMode.Password)
    return field


_ERROR_STYLE = "color: #b00020;"


class MessageLabel(QLabel):
    """A dialog's line under its fields: what to fix, in red (``setText``), or what it is doing, in the
    ordinary colour (``working``): "Đang khôi phục…" is no error."""

    def setText(self, text: str) -> None:  # Qt's name
        self.setStyleSheet(_ERROR_STYLE)
        super().setText(text)

    def working(self, text: str) -> None:
        self.setStyleSheet("")
        super().setText(text)


def error_label(parent: QWidget, name: str) -> MessageLabel:
    label = MessageLabel("", parent)
    label.setObjectName(name)
    label.setWordWrap(True)
    label.setStyleSheet(_ERROR_STYLE)
    return label


class NewPassphrase:
    """Adds the passphrase (``<prefix>_new``), «Nhập lại» (``<prefix>_repeat``), the rule and the live
    strength line (``<prefix>_strength``) to ``form``; ``problem()`` says what is wrong with what was
    typed, None when it may be used."""

    def __init__(
        self,
        parent: QWidget,
        form: QFormLayout,
        prefix: str,
        repeat_label: str = "&Nhập lại:",
        *,
        new_label: str = "Mật khẩu &mới:",
    ):
        self.new = password_field(parent, f"{prefix}_new")
        self.repeat = password_field(parent, f"{prefix}_repeat")
        form.addRow(new_label, self.new)
        form.addRow(repeat_label, self.repeat)
        rule = QLabel(RULE_TEXT, parent)
        rule.setObjectName(f"{prefix}_rule")
        rule.setWordWrap(True)
        form.addRow(rule)
        self.strength = QLabel("", parent)
        self.strength.setObjectName(f"{prefix}_strength")
        self.strength.setWordWrap(True)
        form.addRow(self.strength)
        self.new.textChanged.connect(self._show_strength)

    def _show_strength(self, text: str) -> None:
        """As it is typed: what is still missing, or that it is strong enough (nothing while empty)."""
        self.strength.setText((strength_problem(text) or STRONG_ENOUGH) if text else "")

    def text(self) -> str:
        return self.new.text()

    def problem(self) -> str | None:
        """What the dialog's problem line should say, None when the passphrase may be used. A weak one is
        then said there only: the live line, which said the same, is emptied until the next keystroke."""
        weak = strength_problem(self.new.text())
        if weak:
            self.strength.setText("")
            return weak
        return None if same(self.new.text(), self.repeat.text()) else MISMATCH

    def set_enabled(self, enabled: bool) -> None:
        self.new.setEnabled(enabled)
        self.repeat.setEnabled(enabled)
