"""Targets (chỉ tiêu) entry and progress: "16/15", the percentage, reached or not, a bar chart."""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSizePolicy,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.domain import units
from app.domain.records import Target
from app.domain.validation import ValidationError
from app.domain.vnformat import format_decimal, format_int, parse_int
from app.domain.vocab import ORG_KIND_SHORT, TargetMetric
from app.gui.tasks import TaskFailure, TaskRunner
from app.services import progress as prog
from app.storage.store import Profile

COL_WHAT, COL_TARGET, COL_DONE, COL_RATIO, COL_PERCENT, COL_VERDICT = range(6)
VERDICT_COLOURS = {"Vượt": "#1b7f3b", "Đạt": "#1b7f3b", "Chưa đạt": "#b00020"}


class BarChart(QWidget):
    """Achieved against target per kind, drawn with QPainter (no chart library needed)."""

    def __init__(self, title: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.title = title
        self.rows: list[prog.ProgressRow] = []
        self.setMinimumHeight(220)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def sizeHint(self) -> QSize:
        return QSize(420, 260)

    def set_rows(self, rows: list[prog.ProgressRow]) -> None:
        self.rows = rows
        self.update()

    def paintEvent(self, _event: Any) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), QColor("white"))
        w, h = self.width(), self.height()
        title_font = QFont(self.font())
        title_font.setBold(True)
        p.setFont(title_font)
        p.setPen(QColor("#222"))
        p.drawText(QRectF(0, 4, w, 20), Qt.AlignmentFlag.AlignHCenter, self.title)
        p.setFont(self.font())
        if not self.rows:
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "Chưa có số liệu")
            return
        top, bottom, left, right = 48, 44, 16, 16
        plot_h = max(h - top - bottom, 10)
        peak = max([max(r.achieved, r.target or 0) for r in self.rows] + [1])
        group_w = (w - left - right) / len(self.rows)
        bar_w = min(group_w * 0.32, 40)
        # legend
        p.fillRect(QRectF(left, 26, 12, 10), QColor("#c8ccd2"))
        p.drawText(QRectF(left + 16, 22, 80, 18), Qt.AlignmentFlag.AlignVCenter, "Chỉ tiêu")
        p.fillRect(QRectF(left + 90, 26, 12, 10), QColor("#2f6db5"))
        p.drawText(QRectF(left + 106, 22, 80, 18), Qt.AlignmentFlag.AlignVCenter, "Đã đạt")
        p.setPen(QPen(QColor("#999"), 1))
        p.drawLine(left, top + plot_h, w - right, top + plot_h)
        for i, r in enumerate(self.rows):
            x0 = left + i * group_w + (group_w - 2 * bar_w - 4) / 2
            target = r.target or 0
            th = plot_h * target / peak
            ah = plot_h * r.achieved / peak
            p.fillRect(QRectF(x0, top + plot_h - th, bar_w, th), QColor("#c8ccd2"))
            reached = r.result["reached"]
            colour = "#2f6db5" if reached is None else ("#1b7f3b" if reached else "#d2691e")
            p.fillRect(QRectF(x0 + bar_w + 4, top + plot_h - ah, bar_w, ah), QColor(colour))
            p.setPen(QColor("#222"))
            label_rect = QRectF(left + i * group_w, top + plot_h - max(th, ah) - 18, group_w, 16)
            p.drawText(
                label_rect,
                Qt.AlignmentFlag.AlignHCenter,
                r.ratio if r.target is not None else format_int(r.achieved),
            )
            p.drawText(
                QRectF(left + i * group_w, top + plot_h + 4, group_w, 36),
                Qt.AlignmentFlag.AlignHCenter | Qt.TextFlag.TextWordWrap,
                ORG_KIND_SHORT[r.kind],
            )
        p.end()


class TargetsView(QWidget):
    def __init__(self, tasks: TaskRunner, profile: Profile, parent: QWidget | None = None):
        super().__init__(parent)
        self._tasks = tasks
        self.profile = profile
        self.rows: list[prog.ProgressRow] = []
        self._filling = False
        self._generation = 0

        self.unit_label = QLabel(self)
        self.year = QSpinBox(self)
        self.year.setObjectName("targets_year")
        self.year.setRange(2000, 2100)
        self.year.setValue(date.today().year)
        self.year.setPrefix("Năm ")
        self.year.valueChanged.connect(lambda _v: self.refresh())
        self.message = QLabel(self)
        self.message.setObjectName("targets_message")
        self.message.setWordWrap(True)

        self.table = QTableWidget(0, 6, self)
        self.table.setObjectName("targets_table")
        self.table.setHorizontalHeaderLabels(
            ["Nội dung", "Chỉ tiêu", "Đã đạt", "Đạt/Chỉ tiêu", "Tỷ lệ", "Đánh giá"]
        )
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.table.setEditTriggers(
            QAbstractItemView.EditTrigger.AnyKeyPressed
            | QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
        )
        self.table.horizontalHeader().setSectionResizeMode(COL_WHAT, QHeaderView.ResizeMode.Stretch)
        self.table.itemChanged.connect(self._edited)

        self.chart_orgs = BarChart("Thành lập tổ chức mới", self)
        self.chart_orgs.setObjectName("chart_organisations")
        self.chart_members = BarChart("Kết nạp thành viên mới", self)
        self.chart_members.setObjectName("chart_members")

        head = QHBoxLayout()
        head.addWidget(self.unit_label, 1)
        head.addWidget(self.year)
        charts = QHBoxLayout()
        charts.addWidget(self.chart_orgs)
        charts.addWidget(self.chart_members)
        layout = QVBoxLayout(self)
        layout.addLayout(head)
        hint = QLabel(
            "Gõ số vào cột «Chỉ tiêu» để giao chỉ tiêu năm; số đã đạt được tính từ các quyết định thành "
            "lập và các lần kết nạp đã ghi.",
            self,
        )
        hint.setWordWrap(True)
        layout.addWidget(hint)
        layout.addWidget(self.table, 3)
        layout.addWidget(self.message)
        layout.addLayout(charts, 2)
        self.set_profile(profile)

    def set_profile(self, profile: Profile) -> None:
        self.profile = profile
        unit = units.unit(profile.unit_code)
        self.unit_label.setText(f"Chỉ tiêu và tiến độ của <b>{unit.name if unit else 'đơn vị chưa chọn'}</b>")
        self.refresh()

    def refresh(self) -> None:
        unit_code = self.profile.unit_code
        if not unit_code:
            return
        year = self.year.value()
        self._generation += 1
        generation = self._generation

        def done(rows: list[prog.ProgressRow]) -> None:
            if generation == self._generation:
                self._fill(rows)

        self._tasks.read(lambda store: prog.progress(store, unit_code, year), done)

    def _fill(self, rows: list[prog.ProgressRow]) -> None:
        self._filling = True
        self.rows = rows
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            cells = [
                f"{row.metric.label} — {row.kind.label}",
                format_int(row.target) if row.target is not None else "",
                format_int(row.achieved),
                row.ratio if row.target is not None else "",
                (f"{format_decimal(row.result['percent'])}%" if row.result["percent"] is not None else ""),
                row.result["verdict"] if row.target is not None else "Chưa giao chỉ tiêu",
            ]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if c != COL_TARGET:
                    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                else:
                    item.setToolTip("Gõ số chỉ tiêu rồi Enter")
                if c in (COL_TARGET, COL_DONE, COL_RATIO, COL_PERCENT):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if c == COL_VERDICT and text in VERDICT_COLOURS:
                    item.setForeground(QColor(VERDICT_COLOURS[text]))
                self.table.setItem(r, c, item)
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setSectionResizeMode(COL_WHAT, QHeaderView.ResizeMode.Stretch)
        self.chart_orgs.set_rows([r for r in rows if r.metric == TargetMetric.ORGANISATIONS])
        self.chart_members.set_rows([r for r in rows if r.metric == TargetMetric.MEMBERS])
        self._filling = False

    def _edited(self, item: QTableWidgetItem) -> None:
        if self._filling or item.column() != COL_TARGET:
            return
        row = self.rows[item.row()]
        try:
            value = parse_int(item.text())
        except ValueError as exc:
            self._error(str(exc))
            return
        if value is None:
            self._error("Chỉ tiêu phải là một số nguyên không âm (để trống không được).")
            return
        target = Target(
            unit_code=self.profile.unit_code or "",
            year=self.year.value(),
            kind=row.kind,
            metric=row.metric,
            value=value,
        )
        if row.target_id:
            target.id = row.target_id
        from app.services.records import save_target

        def failed(failure: TaskFailure) -> None:
            exc = failure.exception
            self._error(str(exc) if isinstance(exc, ValidationError) else f"Không lưu được chỉ tiêu: {exc}")

        self.message.setStyleSheet("")
        self.message.setText("")
        self._tasks.write(lambda store: save_target(store, target), lambda _t: None, failed)

    def _error(self, text: str) -> None:
        self.message.setStyleSheet("color: #b00020;")
        self.message.setText(text)
        self.refresh()
