"""Dữ liệu cần kiểm tra: values a bundle brought that the domain rules doubt (counts that do not add up, a
founded organisation without its decision...). They were merged, as the forms would have let a person save
them after a warning; here the office sees them with the machine that sent them, opens the enterprise to
correct one, or keeps one as it is. A corrected record leaves the list by itself (each is validated again
when the list is shown)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QPushButton

from app.gui.sync.dialogs import _Dialog, _fill, _table
from app.sync import rules
from app.sync.checks import ENTITY_NAMES

if TYPE_CHECKING:
    from app.gui.main_window import MainWindow


def _local(stamp: str) -> str:
    try:
        return datetime.fromisoformat(stamp).astimezone().strftime("%d/%m/%Y %H:%M")
    except ValueError:
        return stamp


class ToCheckDialog(_Dialog):
    SCREEN = "sync.to_check"

    def __init__(self, window: MainWindow):
        super().__init__(window, "Dữ liệu cần kiểm tra")
        self.resize(980, 520)
        self.items: list[rules.ToCheck] = []
        intro = QLabel(
            "Các giá trị dưới đây đến từ gói dữ liệu của máy cấp dưới và đã được nhập, nhưng chưa khớp với "
            "quy tắc nhập liệu (ví dụ số lao động nữ lớn hơn tổng số lao động, đảng viên chính thức cộng dự bị "
            "khác tổng số, tổ chức đã thành lập mà thiếu quyết định). Hãy hỏi người nhập (cột «Máy gửi») rồi "
            "mở doanh nghiệp để sửa, hoặc đánh dấu đã kiểm tra nếu giá trị là đúng."
        )
        intro.setWordWrap(True)
        self.table = _table(["Doanh nghiệp", "Bản ghi", "Trường", "Máy gửi", "Nhận lúc", "Cần kiểm tra"])
        self.table.setObjectName("sync_to_check")
        self.table.setSelectionMode(self.table.SelectionMode.ExtendedSelection)
        self.table.itemSelectionChanged.connect(self._update)
        self.table.doubleClicked.connect(lambda _i: self.open_selected())
        self.show_checked = QCheckBox("&Hiện cả những giá trị đã kiểm tra")
        self.show_checked.toggled.connect(lambda _on: self.reload())
        row = QHBoxLayout()
        self.open_button = QPushButton("&Mở doanh nghiệp")
        self.open_button.clicked.connect(self.open_selected)
        self.keep_button = QPushButton("Đã kiểm tra, &giữ nguyên")
        self.keep_button.setToolTip("Giá trị đúng như đã nhập (đã hỏi người nhập): bỏ khỏi danh sách")
        self.keep_button.clicked.connect(self.keep_selected)
        row.addWidget(self.open_button)
        row.addWidget(self.keep_button)
        row.addStretch(1)
        row.addWidget(self.show_checked)
        self.status = self._status_label()
        self.layout_.addWidget(intro)
        self.layout_.addWidget(self.table, 1)
        self.layout_.addLayout(row)
        self.layout_.addWidget(self.status)
        self.layout_.addWidget(self._close_buttons())
        self._update()
        self.reload()

    def reload(self) -> None:
        include = self.show_checked.isChecked()
        self.window_.tasks.read(
            lambda store: rules.to_check(store, include_checked=include), self._show, self.fail
        )

    def _show(self, items: list[rules.ToCheck]) -> None:
        self.items = items
        _fill(
            self.table,
            [
                [
                    i.enterprise_name or "(không còn)",
                    ENTITY_NAMES.get(i.entity, i.entity),
                    i.field_label,
                    i.sender,
                    _local(i.found_at),
                    i.message + (f" (đã kiểm tra: {i.checked_by or '?'})" if i.checked_at else ""),
                ]
                for i in items
            ],
        )
        for r, i in enumerate(items):
            if i.checked_at:
                for c in range(self.table.columnCount()):
                    self.table.item(r, c).setForeground(Qt.GlobalColor.darkGray)
        if not self.status.text() or not items:
            self.status.setText(
                "Không có giá trị nào cần kiểm tra." if not items else f"{len(items)} giá trị cần kiểm tra."
            )
        self._update()

    def selected(self) -> list[rules.ToCheck]:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return [self.items[r] for r in rows if r < len(self.items)]

    def _update(self) -> None:
        sel = self.selected()
        self.open_button.setEnabled(len(sel) == 1 and sel[0].enterprise_id is not None)
        self.keep_button.setEnabled(bool(sel) and not self.busy and all(i.checked_at is None for i in sel))

    def open_selected(self) -> None:
        sel = self.selected()
        if len(sel) == 1 and sel[0].enterprise_id:
            self.window_.open_enterprise(sel[0].enterprise_id)

    def keep_selected(self) -> None:
        sel = self.selected()
        if not sel:
            return
        ids = [i.id for i in sel]
        by = self.window_.profile.collaborator

        def done(n: int) -> None:
            self.busy = False
            self.status.setStyleSheet("")
            self.status.setText(f"Đã ghi nhận {n} giá trị đã kiểm tra, giữ nguyên.")
            self.reload()

        self.busy = True
        self._update()
        self.window_.tasks.write(lambda store: rules.mark_checked(store, ids, by), done, self.fail)
