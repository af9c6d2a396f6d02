"""Phân công (assign enterprises to a collaborator) and Tiến độ theo cộng tác viên (progress by
collaborator): the office's dialogs. Reads and writes run in workers (``app/services/assignments.py``)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QRadioButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)
from shiboken6 import isValid

from app.domain import units
from app.domain.validation import ValidationError
from app.domain.vnformat import format_date, format_int
from app.gui.failures import explain
from app.services import assignments as A
from app.services import enterprise_list as el

if TYPE_CHECKING:
    from app.gui.main_window import MainWindow


class AssignDialog(QDialog):
    """Assign the enterprises selected in the list, or those of a ward whose address contains some
    words, to one collaborator (or to nobody)."""

    def __init__(self, window: MainWindow, selected: list[str]):
        super().__init__(window)
        self.window_ = window
        self.selected = selected
        self.setWindowTitle("Phân công doanh nghiệp")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.resize(620, 360)
        layout = QVBoxLayout(self)
        intro = QLabel(
            "Doanh nghiệp được phân công hiện trước tiên («của tôi») trong danh sách của cộng tác viên đó, "
            "cùng đủ các lượt khảo sát. Phân công đến máy cộng tác viên trong gói gửi xuống tiếp theo "
            "(Đồng bộ ▸ Gửi xuống máy ở dưới)."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.who = QComboBox()
        self.who.setObjectName("assign_who")
        form.addRow("&Cộng tác viên:", self.who)
        self.use_selected = QRadioButton(
            f"&{format_int(len(selected))} doanh nghiệp đang chọn trong danh sách"
        )
        self.use_selected.setObjectName("assign_selected")
        self.use_address = QRadioButton("Doanh nghiệp của &phường, xã có địa chỉ chứa:")
        self.use_address.setObjectName("assign_by_address")
        group = QButtonGroup(self)
        group.addButton(self.use_selected)
        group.addButton(self.use_address)
        self.ward = QComboBox()
        self.ward.setObjectName("assign_ward")
        self.address = QLineEdit()
        self.address.setObjectName("assign_address")
        self.address.setPlaceholderText("ví dụ: tổ 5, Hàng Bạc (để trống: cả phường)")
        form.addRow(self.use_selected)
        form.addRow(self.use_address)
        form.addRow("Phường, xã:", self.ward)
        form.addRow("&Địa chỉ có:", self.address)
        layout.addLayout(form)
        self.matches = QLabel("")
        self.matches.setObjectName("assign_matches")
        self.matches.setWordWrap(True)
        layout.addWidget(self.matches)
        self.status = QLabel("")
        self.status.setObjectName("assign_status")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        layout.addStretch(1)
        buttons = QDialogButtonBox()
        self.ok = buttons.addButton("&Phân công", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton("Đóng", QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.run)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        (self.use_selected if selected else self.use_address).setChecked(True)
        self.use_selected.setEnabled(bool(selected))
        self.ids: list[str] = list(selected)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(300)
        self._timer.timeout.connect(self._count)
        for signal in (
            self.use_selected.toggled,
            self.ward.currentIndexChanged,
            self.address.textChanged,
        ):
            signal.connect(lambda *_a: self._timer.start())
        self.who.currentIndexChanged.connect(lambda _i: self._update())
        window.tasks.read(lambda store: (A.collaborators(store), el.ward_codes_in_use(store)), self._loaded)

    def _loaded(self, result: tuple[list[A.Collaborator], list[str]]) -> None:
        if not isValid(self):  # closed before the worker finished
            return
        people, wards = result
        for c in people:
            self.who.addItem(c.label, c)
        self.who.addItem("(Bỏ phân công)", None)
        for code in wards:
            self.ward.addItem(units.unit_name(code) or code, code)
        if not people:
            self.status.setText(
                "Chưa có máy cộng tác viên nào đăng ký ở cơ quan này: hãy đăng ký máy của cộng tác viên "
                "(Đồng bộ ▸ Khóa và máy đã đăng ký) rồi phân công."
            )
        self._count()

    def _count(self) -> None:
        if self.use_selected.isChecked():
            self.ids = list(self.selected)
            self.matches.setText(f"Sẽ phân công {format_int(len(self.ids))} doanh nghiệp đang chọn.")
            self._update()
            return
        ward, words = self.ward.currentData(), self.address.text()
        self.window_.tasks.read(lambda store: A.enterprises_by_address(store, ward, words), self._matched)

    def _matched(self, ids: list[str]) -> None:
        if not isValid(self):  # closed before the worker finished
            return
        if self.use_selected.isChecked():
            return
        self.ids = ids
        self.matches.setText(f"Có {format_int(len(ids))} doanh nghiệp khớp.")
        self._update()

    def _update(self) -> None:
        self.ok.setEnabled(bool(self.ids) and self.who.count() > 0)

    def run(self) -> None:
        who: A.Collaborator | None = self.who.currentData()
        ids = list(self.ids)
        author = self.window_.profile.collaborator
        self.ok.setEnabled(False)
        self.window_.tasks.write(
            lambda store: A.assign(store, ids, who, author=author), self._done, self._failed
        )

    def _done(self, result: A.Assigned) -> None:
        if not isValid(self):  # closed before the worker finished
            return
        who = self.who.currentText()
        text = f"Đã phân công {format_int(result.changed)} doanh nghiệp cho {who}"
        if result.unchanged:
            text += f"; {format_int(result.unchanged)} đã như vậy từ trước"
        if result.refused:
            text += (
                f". Không phân công {format_int(len(result.refused))} doanh nghiệp ngoài phường của cộng tác viên: "
                + "; ".join(result.refused[:5])
            )
        self.status.setStyleSheet("")
        self.status.setText(text + ".")
        self.window_.show_status(text + ".")
        self._update()

    def _failed(self, failure: Any) -> None:
        if not isValid(self):  # closed before the worker finished
            return
        exc = failure.exception
        text = str(exc) if isinstance(exc, ValidationError) else explain(failure, "Chưa phân công được")
        self.status.setStyleSheet("color: #a00000")
        self.status.setText(text)
        self._update()


class ProgressDialog(QDialog):
    """Tiến độ theo cộng tác viên: enterprises assigned, visited in the year, visits, last visit, founded."""

    HEADERS = [
        "Cộng tác viên",
        "Được giao",
        "Đã khảo sát",
        "Lượt khảo sát",
        "Khảo sát gần nhất",
        "Tổ chức mới",
    ]

    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.window_ = window
        self.setWindowTitle("Tiến độ theo cộng tác viên")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.resize(760, 400)
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.year = QSpinBox()
        self.year.setObjectName("progress_year")
        self.year.setRange(2000, 2100)
        self.year.setValue(date.today().year)
        self.year.valueChanged.connect(lambda _v: self.reload())
        form.addRow("&Năm:", self.year)
        layout.addLayout(form)
        self.table = QTableWidget(0, len(self.HEADERS))
        self.table.setObjectName("progress_table")
        self.table.setHorizontalHeaderLabels(self.HEADERS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        layout.addWidget(self.table, 1)
        note = QLabel(
            "Đã khảo sát: số doanh nghiệp được giao có ít nhất một lượt khảo sát trong năm. Số liệu gồm những "
            "gì cơ quan đã nhận được trong các gói dữ liệu."
        )
        note.setWordWrap(True)
        layout.addWidget(note)
        buttons = QDialogButtonBox()
        buttons.addButton("Đóng", QDialogButtonBox.ButtonRole.RejectRole)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.rows: list[A.CollaboratorProgress] = []
        self.reload()

    def reload(self) -> None:
        year = self.year.value()
        self.window_.tasks.read(lambda store: A.progress_by_collaborator(store, year), self._show)

    def _show(self, rows: list[A.CollaboratorProgress]) -> None:
        if not isValid(self):  # closed before the worker finished
            return
        self.rows = rows
        self.table.setRowCount(len(rows))
        for r, p in enumerate(rows):
            values = [
                p.name,
                format_int(p.assigned),
                f"{format_int(p.visited)}/{format_int(p.assigned)}",
                format_int(p.visits),
                format_date(p.last_visit) if p.last_visit else "Chưa khảo sát",
                format_int(p.founded),
            ]
            for c, value in enumerate(values):
                item = QTableWidgetItem(value)
                if c:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(r, c, item)
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
