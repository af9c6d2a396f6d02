"""Gửi xuống máy ở dưới: for each machine registered with this office, what waits to go down and when
it last came back; writes the downward bundles onto a USB stick (``app/sync/down_export.py``)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
)
from shiboken6 import isValid

from app.domain.vnformat import format_date, format_int
from app.gui.sync.common import with_keys
from app.gui.sync.dialogs import ENTITY_LABELS, _Dialog, _fill, _table
from app.sync import down_export as DX

if TYPE_CHECKING:
    from app.gui.main_window import MainWindow

# what waits, as people say it: the records' names (ENTITY_LABELS), the office's summaries of visits
WHAT = {**ENTITY_LABELS, "visit_summaries": "tóm tắt khảo sát"}


def waiting_text(p: DX.DownPreview) -> str:
    """ "12 thay đổi (3 doanh nghiệp, 9 phân công)" or "không có gì mới"."""
    if not p.changes and not p.relayed:
        return "không có gì mới"
    parts = ", ".join(f"{format_int(n)} {WHAT.get(e, e)}" for e, n in sorted(p.by_entity.items()))
    text = f"{format_int(p.changes)} thay đổi" + (f" ({parts})" if parts else "")
    if p.relayed:
        text += f"; {format_int(p.relayed)} gói của cấp trên chuyển tiếp"
    return text


def back_text(p: DX.DownPreview) -> str:
    if not p.last_back:
        return "chưa lần nào"
    try:
        when = datetime.fromisoformat(p.last_back).astimezone()
    except ValueError:
        return p.last_back
    return f"{format_date(when.date())} {when:%H:%M}"


class DownDialog(_Dialog):
    """Gửi xuống: one file per machine below, signed by this office and encrypted to that machine."""

    SCREEN = "sync.down"

    def __init__(self, window: MainWindow):
        super().__init__(window, "Gửi dữ liệu xuống máy ở dưới")
        self.resize(900, 480)
        intro = QLabel(
            "Mỗi máy đã đăng ký ở cơ quan này (máy cộng tác viên, cơ quan cấp dưới) nhận một gói riêng, ký bằng "
            "khóa của cơ quan và mã hóa cho đúng máy đó: danh sách doanh nghiệp của đơn vị, phân công, chỉ tiêu, "
            "thiết lập, những chỗ cơ quan đã sửa. Máy cộng tác viên chỉ nhận đủ lượt khảo sát của doanh nghiệp "
            "được giao; của doanh nghiệp khác chỉ biết «khảo sát gần nhất ngày …, do …»."
        )
        intro.setWordWrap(True)
        self.table = _table(["Máy", "Đơn vị", "Đang chờ gửi xuống", "Lần cuối gửi lại", "Gói số"])
        self.table.setObjectName("down_machines")
        self.full_visits = QCheckBox(
            "Gửi &đủ mọi lượt khảo sát của phường cho máy cộng tác viên (không chỉ tóm tắt)"
        )
        self.full_visits.setObjectName("down_full_visits")
        self.full_visits.toggled.connect(self._set_full_visits)
        box = self._folder_box()
        self.status = self._status_label()
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QDialogButtonBox()
        self.send_selected = buttons.addButton(
            "Gửi cho máy đang &chọn", QDialogButtonBox.ButtonRole.ActionRole
        )
        self.send_all = buttons.addButton("&Gửi cho mọi máy", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton("Đóng", QDialogButtonBox.ButtonRole.RejectRole)
        self.send_selected.clicked.connect(lambda: self.export(selected=True))
        buttons.accepted.connect(lambda: self.export(selected=False))
        buttons.rejected.connect(self.reject)
        for w in (intro, self.table, self.full_visits, box, self.status):
            self.layout_.addWidget(w, 1 if w is self.table else 0)
        self.layout_.addWidget(buttons)
        self.previews: list[DX.DownPreview] = []
        self.results: list[DX.DownResult] = []
        self.table.itemSelectionChanged.connect(self._update)
        self.reload()

    def reload(self) -> None:
        def work(store: Any) -> tuple[list[DX.DownPreview], bool]:
            return DX.preview_down(store), store.setting(DX.OTHERS_VISITS, "summary") == "full"

        self.window_.tasks.read(work, self._show, self.fail)

    def _show(self, result: tuple[list[DX.DownPreview], bool]) -> None:
        if not isValid(self):  # closed before the worker finished
            return
        self.previews, full = result
        self.full_visits.blockSignals(True)
        self.full_visits.setChecked(full)
        self.full_visits.blockSignals(False)
        rows = [
            [
                f"{p.recipient.display} ({p.recipient.role_label})",
                p.recipient.unit_label,
                waiting_text(p),
                back_text(p),
                str(p.next_seq),
            ]
            for p in self.previews
        ]
        _fill(self.table, rows)
        # what waits is the long one: it takes the room left and wraps there (a small screen cuts nothing)
        header = self.table.horizontalHeader()
        for c in range(self.table.columnCount()):
            header.setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        header.setStretchLastSection(False)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        if self.previews and not self.table.selectedItems():
            self.table.selectRow(0)
        self._update()

    def _set_full_visits(self, on: bool) -> None:
        def work(store: Any) -> None:
            with store.transaction():
                store.set_setting(DX.OTHERS_VISITS, "full" if on else "summary")

        self.window_.tasks.write(work, lambda _r: self.reload(), self.fail)

    def _update(self) -> None:
        ready = bool(self.previews) and bool(self.folder.currentText().strip()) and not self.busy
        self.send_all.setEnabled(ready)
        self.send_selected.setEnabled(ready and bool(self.table.selectedItems()))

    def selected_machine(self) -> str | None:
        rows = {i.row() for i in self.table.selectedItems()}
        if len(rows) != 1:
            return None
        return self.previews[rows.pop()].recipient.laptop_id

    def export(self, *, selected: bool) -> None:
        folder = Path(self.folder.currentText().strip())
        machine = self.selected_machine() if selected else None
        self.busy = True
        self._update()
        self.status.setStyleSheet("")
        self.status.setText("Đang ghi gói đi xuống…")
        author = self.window_.profile.collaborator
        with_keys(
            self.window_,
            "Đang ký, mã hóa và ghi gói đi xuống…",
            lambda store, ident, _ctx: DX.export_down(store, ident, folder, machine=machine, author=author),
            self._done,
            self.fail,
        )

    def _done(self, results: list[DX.DownResult]) -> None:
        if not isValid(self):  # closed before the worker finished
            return
        self.busy = False
        self.results = results
        lines = [f"{line} → {r.path}" for r, line in zip(results, DX.down_summary(results))]
        self.status.setText(
            "\n".join(lines)
            + "\nHãy rút USB an toàn, mang đến từng máy và nhập (Đồng bộ ▸ Nhập gói dữ liệu)."
        )
        if lines:
            self.window_.show_status(lines[0])
        self.reload()
