"""Targets (chỉ tiêu) entry and progress: "16/15", the percentage, reached or not, a bar chart; and the
report's development part for the year (founding opportunities, the pool of candidates for the Party,
probation and recognition, quality levels) with the numbers the report prints."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from html import escape
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
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from app.domain import units
from app.domain.records import Target
from app.domain.validation import ValidationError
from app.domain.vnformat import format_date, format_decimal, format_int, parse_int
from app.domain.vocab import ORG_KIND_SHORT, TargetMetric
from app.gui.failures import explain
from app.gui.tasks import TaskFailure, TaskRunner
from app.reports.development import KINDS, LEVELS, Development
from app.reports.results import Period, development_for
from app.services import progress as prog
from app.storage.store import Profile

COL_WHAT, COL_TARGET, COL_DONE, COL_RATIO, COL_PERCENT, COL_VERDICT = range(6)
VERDICT_COLOURS = {"Vượt": "#1b7f3b", "Đạt": "#1b7f3b", "Chưa đạt": "#b00020"}
TARGET_COLOUR = "#c8ccd2"
# the achieved bar's colour by whether the target is reached (None: no target set)
ACHIEVED_COLOURS: dict[bool | None, tuple[str, str]] = {
    True: ("#1b7f3b", "Đạt, vượt chỉ tiêu"),
    False: ("#d2691e", "Chưa đạt chỉ tiêu"),
    None: ("#2f6db5", "Đã làm được (chưa giao chỉ tiêu)"),
}


class BarChart(QWidget):
    """Achieved against target per kind, drawn with QPainter (no chart library needed)."""

    def __init__(self, title: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.title = title
        self.rows: list[prog.ProgressRow] = []
        self.legend_bottom = 0.0  # where the last paint put things (tests check they do not overlap)
        self.figure_top = 0.0
        self.setMinimumHeight(220)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def sizeHint(self) -> QSize:
        return QSize(420, 260)

    def set_rows(self, rows: list[prog.ProgressRow]) -> None:
        self.rows = rows
        self.update()

    def legend(self) -> list[tuple[str, str]]:
        """(colour, text) of each kind of bar drawn: the legend names exactly the colours on screen."""
        out = [(TARGET_COLOUR, "Chỉ tiêu")]
        reached = {r.result["reached"] for r in self.rows if r.target is not None} | (
            {None} if any(r.target is None for r in self.rows) else set()
        )
        for key in (True, False, None):
            if key in reached:
                out.append(ACHIEVED_COLOURS[key])
        return out

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
        left, right, bottom = 16, 16, 44
        metrics = p.fontMetrics()
        line = metrics.height() + 2
        # legend: swatch and text, wrapping onto a second line when the chart is narrow
        x, y = left, 26
        for colour, text in self.legend():
            item_w = 16 + metrics.horizontalAdvance(text) + 14
            if x > left and x + item_w > w - right:
                x, y = left, y + line
            p.fillRect(QRectF(x, y + (line - 10) / 2, 12, 10), QColor(colour))
            p.setPen(QColor("#222"))
            p.drawText(QRectF(x + 16, y, item_w, line), Qt.AlignmentFlag.AlignVCenter, text)
            x += item_w
        # the tallest bar's figure stands in its own row under the legend, never over it
        self.legend_bottom = y + line
        top = y + line + 4 + line
        plot_h = max(h - top - bottom, 10)
        peak = max([max(r.achieved, r.target or 0) for r in self.rows] + [1])
        group_w = (w - left - right) / len(self.rows)
        bar_w = min(group_w * 0.32, 40)
        p.setPen(QPen(QColor("#999"), 1))
        p.drawLine(left, top + plot_h, w - right, top + plot_h)
        self.figure_top = top + plot_h
        for i, r in enumerate(self.rows):
            x0 = left + i * group_w + (group_w - 2 * bar_w - 4) / 2
            target = r.target or 0
            th = plot_h * target / peak
            ah = plot_h * r.achieved / peak
            p.fillRect(QRectF(x0, top + plot_h - th, bar_w, th), QColor(TARGET_COLOUR))
            p.fillRect(
                QRectF(x0 + bar_w + 4, top + plot_h - ah, bar_w, ah),
                QColor(ACHIEVED_COLOURS[r.result["reached"] if r.target is not None else None][0]),
            )
            p.setPen(QColor("#222"))
            figure = r.ratio if r.target is not None else format_int(r.achieved)
            figure_rect = QRectF(left + i * group_w, top + plot_h - max(th, ah) - line, group_w, line)
            self.figure_top = min(self.figure_top, figure_rect.top())
            self._fitted_text(p, figure_rect, figure)
            p.drawText(
                QRectF(left + i * group_w, top + plot_h + 4, group_w, 36),
                Qt.AlignmentFlag.AlignHCenter | Qt.TextFlag.TextWordWrap,
                ORG_KIND_SHORT[r.kind],
            )
        p.end()

    def _fitted_text(self, p: QPainter, rect: QRectF, text: str) -> None:
        """Centred in ``rect``; in a smaller font when it would spill into the next group's figure."""
        font = QFont(self.font())
        size = font.pointSizeF() if font.pointSizeF() > 0 else 9.0
        while size > 6 and p.fontMetrics().horizontalAdvance(text) > rect.width() - 4:
            size -= 0.5
            font.setPointSizeF(size)
            p.setFont(font)
        p.drawText(rect, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom, text)
        p.setFont(self.font())


HINT = (
    "Gõ số vào cột «Chỉ tiêu» để giao chỉ tiêu năm; số đã đạt được tính từ các quyết định thành lập và các "
    "lần kết nạp đã ghi."
)
HINT_GIVEN = " Chỉ tiêu ghi «do ... giao» là của cơ quan cấp trên: máy này không sửa được."


class TargetsView(QWidget):
    def __init__(self, tasks: TaskRunner, profile: Profile, parent: QWidget | None = None):
        super().__init__(parent)
        self._tasks = tasks
        self.profile = profile
        self.rows: list[prog.ProgressRow] = []
        self._filling = False
        self.today: Callable[[], date] = date.today  # the window pins it in tests
        self._generation = 0
        # computed when first shown, and again when shown after a write made it stale: at start the
        # tab is hidden, and its two reads (admissions and organisations joined with their
        # enterprises) were most of the pages the start read (docs/performance.md, encryption at rest)
        self._stale = True

        self.unit_label = QLabel(self)
        self.year = QSpinBox(self)
        self.year.setObjectName("targets_year")
        self.year.setRange(2000, 2100)
        self.year.setValue(date.today().year)
        self.year.setPrefix("Năm ")
        self.year.valueChanged.connect(lambda _v: self.data_changed())
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
        charts_page = QWidget(self)
        charts = QHBoxLayout(charts_page)
        charts.setContentsMargins(0, 0, 0, 0)
        charts.addWidget(self.chart_orgs)
        charts.addWidget(self.chart_members)
        # the report's part on what to do next, for the year: the numbers it prints
        self.development = QTextBrowser(self)
        self.development.setObjectName("targets_development")
        self.shown_development: Development | None = None
        self.shown_year = 0
        self.lower = QTabWidget(self)
        self.lower.setObjectName("targets_lower")
        self.lower.addTab(charts_page, "Biể&u đồ")  # B is the menu Đồng bộ
        self.lower.addTab(self.development, "&Phát triển đảng viên, xếp loại")
        layout = QVBoxLayout(self)
        layout.addLayout(head)
        self.hint = QLabel(HINT, self)
        self.hint.setObjectName("targets_hint")
        self.hint.setWordWrap(True)
        layout.addWidget(self.hint)
        layout.addWidget(self.table, 3)
        layout.addWidget(self.message)
        layout.addWidget(self.lower, 2)
        self.set_profile(profile)

    def set_profile(self, profile: Profile) -> None:
        self.profile = profile
        unit = units.unit(profile.unit_code)
        self.unit_label.setText(f"Chỉ tiêu và tiến độ của <b>{unit.name if unit else 'đơn vị chưa chọn'}</b>")
        self.data_changed()

    def data_changed(self) -> None:
        """What the page shows may have changed: read again now if it is shown, else when it is."""
        self._stale = True
        if self.isVisible():
            self.refresh()

    @property
    def stale(self) -> bool:
        """True while the page has not read what it would show (not yet shown, or changed while hidden)."""
        return self._stale

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if self._stale:
            self.refresh()

    def refresh(self) -> None:
        """Read the year's progress and development part now (in a worker)."""
        self._stale = False
        unit_code = self.profile.unit_code
        if not unit_code:
            return
        year = self.year.value()
        self._generation += 1
        generation = self._generation

        today = self.today()

        def work(store: Any) -> tuple[list[prog.ProgressRow], Development]:
            return (
                prog.progress(store, unit_code, year),
                development_for(store, unit_code, Period.year(year), today),
            )

        def done(result: tuple[list[prog.ProgressRow], Development]) -> None:
            if generation == self._generation:
                self._fill(result[0])
                self._show_development(result[1], year)

        self._tasks.read(work, done)

    def _show_development(self, d: Development, year: int) -> None:
        self.shown_development, self.shown_year = d, year
        self.development.setHtml(development_html(d, year))

    def _fill(self, rows: list[prog.ProgressRow]) -> None:
        self._filling = True
        self.rows = rows
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            given = row.source is not None and row.source.above  # set by an office above: not editable here
            cells = [
                f"{row.metric.label} — {row.kind.label}" + (f" ({row.source.phrase})" if given else ""),
                format_int(row.target) if row.target is not None else "",
                format_int(row.achieved),
                row.ratio if row.target is not None else "",
                (f"{format_decimal(row.result['percent'])}%" if row.result["percent"] is not None else ""),
                row.result["verdict"] if row.target is not None else "Chưa giao chỉ tiêu",
            ]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if c != COL_TARGET or given:
                    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                if c == COL_TARGET:
                    item.setToolTip(
                        f"Chỉ tiêu {row.source.phrase}: máy này không sửa được"
                        if given and row.source
                        else "Gõ số chỉ tiêu rồi Enter"
                    )
                if c in (COL_TARGET, COL_DONE, COL_RATIO, COL_PERCENT):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if c == COL_VERDICT and text in VERDICT_COLOURS:
                    item.setForeground(QColor(VERDICT_COLOURS[text]))
                self.table.setItem(r, c, item)
        given_any = any(row.source is not None and row.source.above for row in rows)
        self.hint.setText(HINT + (HINT_GIVEN if given_any else ""))
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
            self._error(
                str(exc) if isinstance(exc, ValidationError) else explain(failure, "Chưa lưu được chỉ tiêu")
            )

        self.message.setStyleSheet("")
        self.message.setText("")
        self._tasks.write(lambda store: save_target(store, target), lambda _t: None, failed)

    def _error(self, text: str) -> None:
        self.message.setStyleSheet("color: #b00020;")
        self.message.setText(text)
        self.refresh()


def development_html(d: Development, year: int) -> str:
    """The development part as the report prints it (sections III to V), in tables."""
    n = format_int
    o, pool, pr, q = d.opportunities, d.pool, d.probation, d.quality
    cell = "style='padding:2px 10px 2px 4px'"
    right = "style='padding:2px 10px 2px 4px' align='right'"

    def table(head: list[str], rows: list[list[str]]) -> str:
        h = "".join(f"<th {cell}>{escape(x)}</th>" for x in head)
        body = "".join(
            "<tr>"
            + "".join(f"<td {right if i else cell}>{escape(v)}</td>" for i, v in enumerate(r))
            + "</tr>"
            for r in rows
        )
        return (
            f"<table border='1' cellspacing='0' style='border-collapse:collapse'><tr>{h}</tr>{body}</table>"
        )

    parts = [
        f"<h4>Doanh nghiệp đủ điều kiện thành lập tổ chức (hiện nay): {n(o.enterprises)}</h4>",
        table(
            ["Loại tổ chức", "Số tối thiểu", "Số doanh nghiệp"],
            [
                [
                    k.label,
                    n(o.minimums[k]) if o.minimums[k] else "chưa đặt",
                    n(o.by_kind[k]) if o.minimums[k] else "–",
                ]
                for k in KINDS
            ],
        ),
        f"<h4>Nguồn phát triển đảng viên năm {year}</h4>",
        table(
            ["Nội dung", "Số"],
            [
                ["Doanh nghiệp có quần chúng ưu tú (lần khảo sát gần nhất)", n(pool.enterprises)],
                ["Quần chúng ưu tú", n(pool.identified)],
                ["Đã học lớp bồi dưỡng nhận thức về Đảng", n(pool.trained)],
                ["Có đơn xin vào Đảng", n(pool.applied)],
                ["Kết nạp đảng viên trong năm", n(pool.admitted)],
                ["Công nhận đảng viên chính thức (người)", n(pr.people)],
                ["Số quyết định công nhận chính thức", n(pr.decisions)],
                ["Không được công nhận chính thức (người)", n(pr.not_recognised)],
                ["Hết thời gian dự bị trong năm (người)", n(pr.due)],
                [f"Quá hạn chưa công nhận đến {format_date(pr.as_of)} (người)", n(pr.overdue_people)],
                [f"Đảng viên dự bị đến {format_date(pr.as_of)}", n(pr.probationary)],
            ],
        ),
        f"<h4>Xếp loại chất lượng tổ chức năm {q.year}</h4>",
    ]
    if q.year_note:
        parts.append(f"<p><i>{escape(q.year_note[0].upper() + q.year_note[1:])}.</i></p>")
    parts.append(
        table(
            ["Loại tổ chức", *(lv.label for lv in LEVELS), "Chưa xếp loại"],
            [[k.label, *(n(q.levels[k][lv]) for lv in LEVELS), n(q.not_rated[k])] for k in KINDS]
            + [["Tổng cộng", *(n(q.total(lv)) for lv in LEVELS), n(sum(q.not_rated.values()))]],
        )
    )
    if d.wards:
        parts.append("<h4>Theo phường, xã</h4>")
        parts.append(
            table(
                ["Phường, xã", "DN đủ điều kiện", "Quần chúng ưu tú", "Có đơn", "Công nhận", "Quá hạn"]
                + [lv.label for lv in LEVELS],
                [
                    [w.name, n(w.opportunities), n(w.identified), n(w.applied), n(w.recognised), n(w.overdue)]
                    + [n(w.levels[lv]) for lv in LEVELS]
                    for w in d.wards
                ],
            )
        )
    return "".join(parts)
