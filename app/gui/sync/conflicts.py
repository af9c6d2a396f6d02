"""Xung đột dữ liệu: fields changed in two places at once. A person picks the value; the choice is an
ordinary change that travels upward with the next export."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.domain.records import RECORD_TYPES
from app.gui.sync.common import message
from app.gui.sync.dialogs import _fill, _table
from app.services import conflicts as conflicts_service
from app.services.history import display_value
from app.sync import bundles as B
from app.sync import same_tax_code

if TYPE_CHECKING:
    from app.gui.main_window import MainWindow

KINDS = {table: cls.TITLE for table, cls in RECORD_TYPES.items()}


def _value(field: str, raw: str | None) -> Any:
    return json.loads(raw) if raw is not None else None


def _show(entity: str, field: str, value: Any) -> str:
    """A value of the conflict as people read it (the field's declaration: labels of codes, dates)."""
    if field == "deleted":
        return "đã xóa" if value else "còn (đã sửa)"
    if value is None or value == "":
        return "(trống)"
    return display_value(entity, field, value)


class ConflictsPage(QWidget):
    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.window_ = window
        self.conflicts: list[dict[str, Any]] = []
        layout = QVBoxLayout(self)
        intro = QLabel(
            "Những trường được sửa ở hai nơi mà nơi này không thấy sửa đổi của nơi kia. Cả hai giá trị "
            "đều được giữ; giá trị đang dùng là giá trị mới hơn (mọi cơ quan đều thấy như nhau). Chọn giá "
            "trị đúng: lựa chọn được ghi như một sửa đổi và gửi lên cấp trên."
        )
        intro.setWordWrap(True)
        self.table = _table(
            ["Doanh nghiệp", "Bản ghi", "Trường", "Giá trị bên trái", "Giá trị bên phải", "Đang dùng"]
        )
        self.table.setObjectName("sync_conflicts")
        self.table.itemSelectionChanged.connect(self._update)
        row = QHBoxLayout()
        self.keep_a = QPushButton("&Giữ giá trị bên trái")
        self.keep_b = QPushButton("Giữ giá trị bên &phải")
        self.keep_a.clicked.connect(lambda: self.resolve("a"))
        self.keep_b.clicked.connect(lambda: self.resolve("b"))
        self.status = QLabel("")
        self.status.setWordWrap(True)
        row.addWidget(self.keep_a)
        row.addWidget(self.keep_b)
        row.addStretch(1)
        dup_intro = QLabel(
            "<b>Doanh nghiệp nghi trùng</b>: cùng mã số thuế nhưng được nhập thành hai doanh nghiệp "
            "ở hai nơi. Gộp: các lượt khảo sát, tổ chức, kết nạp chuyển sang bản được giữ; bản kia bị "
            "xóa. Việc gộp cũng được gửi lên cấp trên."
        )
        dup_intro.setWordWrap(True)
        self.dup_table = _table(["Mã số thuế", "Bên trái", "Bên phải", "Phát hiện"])
        self.dup_table.setObjectName("sync_duplicates")
        self.dup_table.itemSelectionChanged.connect(self._update)
        row2 = QHBoxLayout()
        self.merge_a = QPushButton("Gộp, giữ bả&n bên trái")
        self.merge_b = QPushButton("Gộp, giữ bản bên p&hải")
        self.merge_a.clicked.connect(lambda: self.merge("a"))
        self.merge_b.clicked.connect(lambda: self.merge("b"))
        row2.addWidget(self.merge_a)
        row2.addWidget(self.merge_b)
        row2.addStretch(1)
        layout.addWidget(intro)
        layout.addWidget(self.table, 2)
        layout.addLayout(row)
        layout.addWidget(dup_intro)
        layout.addWidget(self.dup_table, 1)
        layout.addLayout(row2)
        layout.addWidget(self.status)
        self.duplicates: list[same_tax_code.Candidate] = []
        # read when shown, and again when shown after a write (hidden at start: the start reads nothing
        # of it; tests/gui/test_pages_on_show.py)
        self._stale = True
        window.sig_data_changed.connect(lambda _s: self.data_changed())
        self._update()

    def data_changed(self) -> None:
        self._stale = True
        if self.isVisible():
            self.reload()

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if self._stale:
            self.reload()

    def reload(self) -> None:
        self._stale = False
        self.window_.tasks.read(
            conflicts_service.queue, self._fill, lambda f: self.status.setText(message(f))
        )

    def _fill(self, data: tuple[list[dict[str, Any]], list[same_tax_code.Candidate]]) -> None:
        conflicts, self.duplicates = data
        _fill(self.dup_table, [[d.tax_code, d.name_a, d.name_b, d.found_at[:10]] for d in self.duplicates])
        self.conflicts = conflicts
        rows = []
        for c in conflicts:
            cls = RECORD_TYPES.get(c["entity"])
            label = (
                "Đã xóa / đã sửa"
                if c["field"] == "deleted"
                else (cls.label(c["field"]) if cls else c["field"])
            )
            a, b = _value(c["field"], c["value_a"]), _value(c["field"], c["value_b"])
            rows.append(
                [
                    c["enterprise_name"],
                    KINDS.get(c["entity"], c["entity"]),
                    label,
                    f"{_show(c['entity'], c['field'], a)}  ({c['who']['a']})",
                    f"{_show(c['entity'], c['field'], b)}  ({c['who']['b']})",
                    "bên trái" if c["winner"] == c["change_a"] else "bên phải",
                ]
            )
        _fill(self.table, rows)
        self.status.setText(
            (f"{len(conflicts)} xung đột chưa giải quyết." if conflicts else "Không có xung đột nào.")
            + (f" {len(self.duplicates)} cặp nghi trùng." if self.duplicates else "")
        )
        self._update()

    def selected(self) -> dict[str, Any] | None:
        rows = self.table.selectionModel().selectedRows()
        return self.conflicts[rows[0].row()] if rows and rows[0].row() < len(self.conflicts) else None

    def selected_duplicate(self) -> same_tax_code.Candidate | None:
        rows = self.dup_table.selectionModel().selectedRows()
        return self.duplicates[rows[0].row()] if rows and rows[0].row() < len(self.duplicates) else None

    def _update(self) -> None:
        ok = self.selected() is not None
        self.keep_a.setEnabled(ok)
        self.keep_b.setEnabled(ok)
        dup = hasattr(self, "dup_table") and self.selected_duplicate() is not None
        if hasattr(self, "merge_a"):
            self.merge_a.setEnabled(dup)
            self.merge_b.setEnabled(dup)

    def merge(self, side: str) -> None:
        d = self.selected_duplicate()
        if d is None:
            return
        keep, drop = (d.id_a, d.id_b) if side == "a" else (d.id_b, d.id_a)
        author = self.window_.profile.collaborator
        self.window_.tasks.write(
            lambda store: same_tax_code.merge_pair(store, keep, drop, author),
            lambda _r: self.status.setText("Đã gộp hai doanh nghiệp; sẽ gửi lên với gói sau."),
            lambda f: self.status.setText(message(f)),
        )

    def resolve(self, side: str) -> None:
        c = self.selected()
        if c is None:
            return
        value = _value(c["field"], c[f"value_{side}"])
        author = self.window_.profile.collaborator
        self.window_.tasks.write(
            lambda store: B.resolve_conflict(store, c["id"], value, author),
            lambda _r: self.status.setText("Đã ghi lựa chọn; sẽ gửi lên với gói dữ liệu sau."),
            lambda f: self.status.setText(message(f)),
        )
