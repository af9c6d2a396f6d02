"""Gói bị cách ly: bundles set aside instead of merged (two different bundles with the same number from one
machine: a cloned laptop, a restored backup). A person who has checked with the machine's user may merge one;
its changes are then merged like any others (known ones skipped, conflicts queued), the machine's chain
continues from it (the bundles it wrote after it are merged with it), and its receipt goes onto a stick now
or with the receipt of the machine's next bundle."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QComboBox, QFileDialog, QHBoxLayout, QLabel, QPushButton

from app.domain.vnformat import format_int
from app.gui.sync.common import with_keys
from app.gui.sync.dialogs import _Dialog, _fill, _table
from app.sync import bundles as B
from app.sync import drives

if TYPE_CHECKING:
    from app.gui.main_window import MainWindow


def _local(stamp: str) -> str:
    """An ISO time in UTC as the laptop's local date and time, the Vietnamese way (21/11/2026 20:21)."""
    try:
        return datetime.fromisoformat(stamp).astimezone().strftime("%d/%m/%Y %H:%M")
    except ValueError:
        return stamp


class QuarantineDialog(_Dialog):
    def __init__(self, window: MainWindow):
        super().__init__(window, "Gói bị cách ly")
        self.resize(900, 420)
        self.rows: list[dict[str, Any]] = []
        intro = QLabel(
            "Các gói dưới đây chưa được gộp vì không nối tiếp những gói cơ quan đã nhận của cùng máy "
            "(máy được khôi phục từ bản sao lưu, hoặc bị sao chép). Hãy hỏi người dùng máy đó. Nếu dữ "
            "liệu trong gói là thật, chọn gói rồi bấm «Gộp gói này»: các thay đổi được gộp như mọi gói "
            "khác (thay đổi đã có được bỏ qua, thay đổi trái nhau vào danh sách xung đột), và các gói sau "
            "của máy đó nối tiếp gói này, không bị cách ly nữa."
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
        receipt_row = QHBoxLayout()
        receipt_row.addWidget(QLabel("Ghi biên nhận cho máy đó vào:"))
        self.receipt_folder = QComboBox()
        self.receipt_folder.setEditable(True)
        self.receipt_folder.setMinimumWidth(300)
        self.receipt_folder.lineEdit().setPlaceholderText(
            "(để trống: gửi kèm biên nhận của gói sau của máy đó)"
        )
        browse = QPushButton("Chọn &thư mục…")
        browse.clicked.connect(self._browse)
        receipt_row.addWidget(self.receipt_folder, 1)
        receipt_row.addWidget(browse)
        self.status = self._status_label()
        for w in (intro, self.table):
            self.layout_.addWidget(w)
        self.layout_.addLayout(receipt_row)
        self.layout_.addLayout(row)
        self.layout_.addWidget(self.status)
        self.layout_.addWidget(self._close_buttons())
        self._update()
        self.reload()
        window.tasks.call(drives.removable_drives, self._show_drives, lambda _f: None)

    def _show_drives(self, found: list[drives.Drive]) -> None:
        for d in found:
            self.receipt_folder.addItem(str(d.path), str(d.path))
        self.receipt_folder.setCurrentIndex(-1)

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Ghi biên nhận vào")
        if folder:
            self.receipt_folder.setEditText(folder)

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
                    r["reason_text"],
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
            "chắc rằng dữ liệu trong gói là thật. Nếu gói này mới hơn những gói nó trùng số, các gói sau "
            "của máy đó sẽ nối tiếp gói này.",
            "&Gộp",
            lambda: self.release(row["id"]),
        )

    def release(self, quarantine_id: int) -> None:
        self.busy = True
        self._update()
        text = self.receipt_folder.currentText().strip()
        folder = Path(text) if text else None

        def done(released: B.Released) -> None:
            self.busy = False
            self.status.setStyleSheet("")
            self.status.setText(released.summary())
            self.reload()

        if folder is None:
            self.window_.tasks.write(lambda store: B.release(store, quarantine_id), done, self.fail)
        else:  # the receipt is signed with this machine's key
            with_keys(
                self.window_,
                "Đang gộp gói và ghi biên nhận…",
                lambda store, ident, _ctx: B.release(store, quarantine_id, ident=ident, receipt_to=folder),
                done,
                self.fail,
                parent=self,
            )
