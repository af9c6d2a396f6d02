"""Gói bị cách ly: bundles set aside instead of merged (two different bundles with the same number from one
machine: a cloned laptop, a restored backup). A person who has checked with the machine's user may merge one;
its changes are then merged like any others (known ones skipped, conflicts queued)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton

from app.domain.vnformat import format_int
from app.gui.sync.dialogs import _Dialog, _fill, _table
from app.sync import bundles as B


def _local(stamp: str) -> str:
    """An ISO time in UTC as the laptop's local date and time, the Vietnamese way (21/11/2026 20:21)."""
    try:
        return datetime.fromisoformat(stamp).astimezone().strftime("%d/%m/%Y %H:%M")
    except ValueError:
        return stamp


REASONS = {"fork": "Trùng số thứ tự với một gói khác của cùng máy"}


class QuarantineDialog(_Dialog):
    def __init__(self, window: Any):
        super().__init__(window, "Gói bị cách ly")
        self.resize(900, 420)
        self.rows: list[dict[str, Any]] = []
        intro = QLabel(
            "Các gói dưới đây không được gộp vì cùng một máy đã gửi một gói khác mang cùng số thứ tự "
            "(máy bị sao chép, hoặc được khôi phục từ bản sao lưu). Hãy hỏi người dùng máy đó. Nếu dữ "
            "liệu trong gói là thật, chọn gói rồi bấm «Gộp gói này»: các thay đổi được gộp như mọi gói "
            "khác (thay đổi đã có được bỏ qua, thay đổi trái nhau vào danh sách xung đột)."
        )
        intro.setWordWrap(True)
        self.table = _table(["Máy gửi", "Gói số", "Lý do", "Nhận lúc", "Mã gói"])
        self.table.setObjectName("sync_quarantine")
        self.table.itemSelectionChanged.connect(self._update)
        row = QHBoxLayout()
        self.release_button = QPushButton("&Gộp gói này…")
        self.release_button.clicked.connect(self.ask_release)
        row.addWidget(self.release_button)
        row.addStretch(1)
        self.status = self._status_label()
        for w in (intro, self.table):
            self.layout_.addWidget(w)
        self.layout_.addLayout(row)
        self.layout_.addWidget(self.status)
        self.layout_.addWidget(self._close_buttons())
        self._update()
        self.reload()

    def reload(self) -> None:
        self.window_.tasks.read(B.quarantined, self._show, self.fail)

    def _show(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows
        _fill(
            self.table,
            [
                [
                    r["sender_name"],
                    format_int(r["seq"]),
                    REASONS.get(r["reason"], r["reason"]),
                    _local(r["received_at"]),
                    r["hash"][:16],
                ]
                for r in rows
            ],
        )
        if not rows and not self.status.text():
            self.status.setText("Không có gói nào bị cách ly.")
        self._update()

    def selected(self) -> dict[str, Any] | None:
        r = self.table.currentRow()
        return self.rows[r] if 0 <= r < len(self.rows) and self.table.selectedItems() else None

    def _update(self) -> None:
        self.release_button.setEnabled(self.selected() is not None and not self.busy)

    def ask_release(self) -> None:
        row = self.selected()
        if row is None:
            return
        self.confirm(
            "release_box",
            "Gộp gói bị cách ly",
            f"Gộp gói số {row['seq']} của {row['sender_name']}?\nChỉ gộp khi đã hỏi người dùng máy đó và "
            "chắc rằng dữ liệu trong gói là thật. Thứ tự gói của máy vẫn giữ theo gói đến trước.",
            "Gộp",
            lambda: self.release(row["id"]),
        )

    def release(self, quarantine_id: int) -> None:
        self.busy = True
        self._update()

        def done(report: Any) -> None:
            self.busy = False
            self.status.setStyleSheet("")
            self.status.setText(
                f"Đã gộp: {report.new} bản ghi mới, {report.updated} bản ghi cập nhật, "
                f"{report.unchanged} thay đổi đã có, {report.conflicts} xung đột."
            )
            self.window_.notify_data_changed()
            self.reload()

        self.window_.tasks.write(lambda store: B.release(store, quarantine_id), done, self.fail)
