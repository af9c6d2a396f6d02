"""Thiết lập của cơ quan: the settings an office gives every machine below it, and on any machine where
each value in use comes from ("do Đảng ủy phường Hoàn Kiếm giao": this machine cannot change it)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from app.domain.records import OfficeSettings
from app.domain.validation import ValidationError
from app.gui.failures import explain
from app.services import office_settings as S

if TYPE_CHECKING:
    from app.gui.main_window import MainWindow

NOT_SET = "(không đặt)"


class OfficeSettingsDialog(QDialog):
    """One row per setting: its label, the value (editable on an office unless an office above set it),
    and where the value comes from."""

    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.window_ = window
        self.setWindowTitle("Thiết lập của cơ quan cho các máy ở dưới")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.resize(760, 460)
        role = window.profile.role
        self.office = role is not None and role.value != "collaborator"
        layout = QVBoxLayout(self)
        intro = QLabel(
            "Cơ quan đặt các giá trị này cho mọi máy ở dưới (gửi xuống cùng gói đi xuống). Giá trị do cơ quan "
            "cấp trên đặt được dùng ở máy này và không sửa được ở đây; «(không đặt)» là để mỗi máy tự chọn."
            if self.office
            else "Các giá trị do cơ quan cấp trên đặt cho máy này: máy cộng tác viên dùng đúng các giá trị đó "
            "và không sửa được."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        grid_host = QWidget()
        self.grid = QGridLayout(grid_host)
        layout.addWidget(grid_host)
        self.status = QLabel("")
        self.status.setObjectName("office_settings_status")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        layout.addStretch(1)
        buttons = QDialogButtonBox()
        self.save = buttons.addButton("&Lưu", QDialogButtonBox.ButtonRole.AcceptRole)
        self.save.setVisible(self.office)
        buttons.addButton("Đóng", QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.run)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.editors: dict[str, QWidget] = {}
        self.rows: list[S.Effective] = []
        self.reload()

    def reload(self) -> None:
        self.window_.tasks.read(lambda store: (S.effective(store), S.own(store)), self._show)

    def _editor(self, name: str) -> QWidget:
        info = OfficeSettings.INFO[name]
        if info.choices:
            box = QComboBox()
            box.addItem(NOT_SET, None)
            for code, label in info.choices:
                box.addItem(label, code)
            return box
        spin = QSpinBox()
        spin.setRange((info.minimum or 1) - 1, info.maximum or 1_000_000)
        spin.setSpecialValueText(NOT_SET)  # the minimum - 1 shows as "not set"
        return spin

    def _show(self, result: tuple[list[S.Effective], OfficeSettings | None]) -> None:
        if not isValid(self):  # closed before the worker finished
            return
        self.rows, own = result
        while self.grid.count():
            item = self.grid.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self.editors = {}
        for r, e in enumerate(self.rows):
            self.grid.addWidget(QLabel(e.label), r, 0)
            where = QLabel(e.where)
            where.setObjectName(f"where_{e.field}")
            if e.locked:
                where.setStyleSheet("color: #7a4b00")
            if self.office and not e.locked:
                editor = self._editor(e.field)
                editor.setObjectName(f"setting_{e.field}")
                value = getattr(own, e.field) if own is not None else None
                self._set(editor, value)
                self.editors[e.field] = editor
                self.grid.addWidget(editor, r, 1)
            else:
                shown = QLabel(e.shown)
                shown.setObjectName(f"setting_{e.field}")
                if e.locked:
                    shown.setToolTip(f"{e.source.phrase if e.source else ''}: máy này không sửa được")
                self.grid.addWidget(shown, r, 1)
            self.grid.addWidget(where, r, 2)
        self.grid.setColumnStretch(0, 1)

    @staticmethod
    def _set(editor: QWidget, value: Any) -> None:
        if isinstance(editor, QComboBox):
            code = getattr(value, "value", value)
            i = editor.findData(code)
            editor.setCurrentIndex(max(i, 0))
        elif isinstance(editor, QSpinBox):
            editor.setValue(editor.minimum() if value is None else int(value))

    @staticmethod
    def _get(editor: QWidget) -> Any:
        if isinstance(editor, QComboBox):
            return editor.currentData()
        if isinstance(editor, QSpinBox):
            return None if editor.value() == editor.minimum() else editor.value()
        return None

    def run(self) -> None:
        changes = {name: self._get(editor) for name, editor in self.editors.items()}
        author = self.window_.profile.collaborator
        self.save.setEnabled(False)
        self.window_.tasks.write(
            lambda store: S.set_own(store, changes, author=author), self._done, self._failed
        )

    def _done(self, _record: Any) -> None:
        if not isValid(self):  # closed before the worker finished
            return
        self.save.setEnabled(True)
        self.status.setStyleSheet("")
        self.status.setText("Đã lưu. Các máy ở dưới nhận thiết lập này trong gói gửi xuống tiếp theo.")
        self.reload()  # (the window refreshed from what the save said it changed)

    def _failed(self, failure: Any) -> None:
        if not isValid(self):  # closed before the worker finished
            return
        self.save.setEnabled(True)
        exc = failure.exception
        self.status.setStyleSheet("color: #a00000")
        self.status.setText(
            str(exc) if isinstance(exc, ValidationError) else explain(failure, "Chưa lưu được thiết lập")
        )
