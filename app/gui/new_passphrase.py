"""The body every dialog that sets a new passphrase shares: the passphrase typed twice, the rule under
it, the check of both, and the line where a problem is said.

Used by «Đổi mật khẩu…» (app/gui/protection.py) and by the laptop side of a recovery
(app/gui/recovery.py), so the rule, the check and the words are the same in both.
"""

from __future__ import annotations

from PySide6.QtWidgets import QFormLayout, QLabel, QLineEdit, QWidget

from app.security.passphrase import RULE_TEXT, same, strength_problem

MISMATCH = "Hai lần nhập mật khẩu mới không khớp."


def password_field(parent: QWidget, name: str) -> QLineEdit:
    field = QLineEdit(parent)
    field.setObjectName(name)
    field.setEchoMode(QLineEdit.EchoMode.Password)
    return field


def error_label(parent: QWidget, name: str) -> QLabel:
    label = QLabel("", parent)
    label.setObjectName(name)
    label.setWordWrap(True)
    label.setStyleSheet("color: #b00020;")
    return label


class NewPassphrase:
    """Adds «Mật khẩu mới» and «Nhập lại» (object names ``<prefix>_new``, ``<prefix>_repeat``) and the
    rule to ``form``; ``problem()`` says what is wrong with what was typed, None when it may be used."""

    def __init__(self, parent: QWidget, form: QFormLayout, prefix: str, repeat_label: str = "&Nhập lại:"):
        self.new = password_field(parent, f"{prefix}_new")
        self.repeat = password_field(parent, f"{prefix}_repeat")
        form.addRow("Mật khẩu &mới:", self.new)
        form.addRow(repeat_label, self.repeat)
        rule = QLabel(RULE_TEXT, parent)
        rule.setObjectName(f"{prefix}_rule")
        rule.setWordWrap(True)
        form.addRow(rule)

    def text(self) -> str:
        return self.new.text()

    def problem(self) -> str | None:
        return strength_problem(self.new.text()) or (
            None if same(self.new.text(), self.repeat.text()) else MISMATCH
        )
