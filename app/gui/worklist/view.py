"""Việc cần làm: the sections of the work list on the left, the lines of the chosen one on the right.

Keyboard first: the section list has the focus when the tab opens; Up/Down choose a section, Enter or
Right goes to its lines; in the lines Enter opens the enterprise (the window's list and detail), Escape
or Left goes back to the sections. «In phiếu của tuần» prints the forms of this week's and overdue
appointments in one batch, by ward and address. Everything is read in workers (``TaskRunner.read``):
the sections' counts and first pages in one read, further lines a page at a time as the list scrolls.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.domain import units
from app.domain.vnformat import format_date, format_int
from app.gui.tasks import TaskFailure, TaskRunner
from app.services import worklist as wl
from app.storage.store import Profile

PAGE = 100
Index = QModelIndex | QPersistentModelIndex

# what each section lists, said under its lines
EXPLAIN = {
    wl.OVERDUE: "Lượt khảo sát gần nhất đã hẹn ngày khảo sát lần sau, nay đã qua ngày hẹn; hẹn gần đây nhất trước.",
    wl.THIS_WEEK: "Hẹn khảo sát từ hôm nay đến hết Chủ nhật tuần này, theo ngày hẹn.",
    wl.OPPORTUNITIES: "Lần khảo sát gần nhất thấy đủ số người tối thiểu để thành lập tổ chức mà doanh nghiệp chưa có; "
    "chủ doanh nghiệp đồng tình trước, rồi doanh nghiệp đông lao động.",
    wl.PROBATION: "Kết nạp vào Đảng chưa ghi công nhận chính thức, đã hoặc sắp hết 12 tháng dự bị; đến hạn sớm nhất trước.",
    wl.STALLED: "Tổ chức đang vận động đã lâu mà chưa thành lập; vận động lâu nhất trước.",
    wl.NOT_VISITED: "Doanh nghiệp đang hoạt động chưa khảo sát lần nào, hoặc đã lâu chưa khảo sát; theo phường và tên.",
}
COLUMNS = ("Doanh nghiệp", "Việc cần làm", "Mã số thuế", "Địa chỉ")


class LinesModel(QAbstractTableModel):
    """The lines of one section: the first page comes with the overview, more as the view scrolls."""

    sig_more = Signal(int)  # offset of the page wanted

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.section = ""
        self.items: list[wl.WorkItem] = []
        self.total = 0
        self._asking = False

    def reset(self, section: str, total: int, items: list[wl.WorkItem]) -> None:
        self.beginResetModel()
        self.section, self.total, self.items = section, total, list(items)
        self._asking = False
        self.endResetModel()

    def append(self, section: str, offset: int, items: list[wl.WorkItem]) -> None:
        self._asking = False
        if section != self.section or offset != len(self.items) or not items:
            return
        self.beginInsertRows(QModelIndex(), len(self.items), len(self.items) + len(items) - 1)
        self.items.extend(items)
        self.endInsertRows()

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.items)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:
        return not parent.isValid() and not self._asking and len(self.items) < self.total

    def fetchMore(self, parent: Index = QModelIndex()) -> None:
        if self.canFetchMore(parent):
            self._asking = True
            self.sig_more.emit(len(self.items))

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.items):
            return None
        item = self.items[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return (item.name, item.what, item.tax_code, item.address or "")[index.column()]
        if role == Qt.ItemDataRole.ToolTipRole:
            if item.section == wl.PROBATION:
                return f"{item.name}\n{item.what}\nEnter: mở doanh nghiệp và lần kết nạp để ghi công nhận chính thức"
            return f"{item.name}\n{item.what}\nEnter: mở doanh nghiệp"
        if role == Qt.ItemDataRole.UserRole:
            # a probation's line also opens its admission, where the conversion is recorded
            admission = item.record_id if item.section == wl.PROBATION else None
            return (item.enterprise_id, item.tax_code, admission)
        return None


class _Lines(QTableView):
    sig_back = Signal()
    sig_open = Signal(object)  # (enterprise id, tax code, admission id or None)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            index = self.currentIndex()
            if index.isValid():
                self.sig_open.emit(index.data(Qt.ItemDataRole.UserRole))
            return
        if key == Qt.Key.Key_Escape or (
            key == Qt.Key.Key_Left and event.modifiers() == Qt.KeyboardModifier.NoModifier
        ):
            self.sig_back.emit()
            return
        super().keyPressEvent(event)


class _Sections(QListWidget):
    sig_enter = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Right):
            self.sig_enter.emit()
            return
        super().keyPressEvent(event)


class WorkListView(QWidget):
    sig_open = Signal(object)  # (enterprise id, tax code, admission id or None) to open
    sig_print_week = Signal(object)  # the WorkQuery whose week to print
    sig_loaded = Signal(object)  # the overview shown ({section: (count, items)}) or None (failed)

    def __init__(self, tasks: TaskRunner, profile: Profile, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("worklist_view")
        self._tasks = tasks
        self.profile = profile
        self.today: Callable[[], date] = date.today  # the window gives the day its forms use
        self.overview: dict[str, tuple[int, list[wl.WorkItem]]] = {}
        self.query: wl.WorkQuery | None = None
        self._generation = 0
        self._stale = True

        self.title = QLabel(self)
        self.title.setObjectName("worklist_title")
        self.title.setWordWrap(True)
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.15)
        font.setBold(True)
        self.title.setFont(font)
        self.ward_label = QLabel("&Phường, xã:", self)
        self.ward = QComboBox(self)
        self.ward.setObjectName("worklist_ward")
        self.ward_label.setBuddy(self.ward)
        self.ward.currentIndexChanged.connect(lambda _i: self.refresh())
        self.print_week = QPushButton("In phiếu của &tuần", self)
        self.print_week.setObjectName("worklist_print_week")
        self.print_week.setToolTip(
            "In một lần các phiếu khảo sát hẹn trong tuần này và đã quá hẹn, theo phường và địa chỉ"
        )
        self.print_week.clicked.connect(self._print_week)

        self.sections = _Sections(self)
        self.sections.setObjectName("worklist_sections")
        self.sections.currentRowChanged.connect(self._section_changed)
        self.sections.sig_enter.connect(self._to_lines)
        self.sections.itemActivated.connect(lambda _i: self._to_lines())
        self.model = LinesModel(self)
        self.model.sig_more.connect(self._more)
        self.lines = _Lines(self)
        self.lines.setObjectName("worklist_lines")
        self.lines.setModel(self.model)
        self.lines.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.lines.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.lines.setWordWrap(False)
        self.lines.verticalHeader().setVisible(False)
        self.lines.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        header = self.lines.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        self.lines.sig_open.connect(self.sig_open)
        self.lines.sig_back.connect(self.sections.setFocus)
        self.lines.doubleClicked.connect(
            lambda index: self.sig_open.emit(index.data(Qt.ItemDataRole.UserRole))
        )
        self.explain = QLabel(self)
        self.explain.setObjectName("worklist_explain")
        self.explain.setWordWrap(True)
        self.explain.setStyleSheet("color: #555")

        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.ward_label)
        top.addWidget(self.ward)
        top.addWidget(self.print_week)
        right = QWidget(self)
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(self.lines, 1)
        rl.addWidget(self.explain)
        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.addWidget(self.sections)
        split.addWidget(right)
        split.setStretchFactor(0, 0)
        split.setStretchFactor(1, 1)
        split.setSizes([250, 750])
        self.splitter = split
        layout = QVBoxLayout(self)
        layout.setContentsMargins(3, 3, 3, 3)
        layout.addLayout(top)
        layout.addWidget(split, 1)
        for code, title in wl.SECTIONS.items():
            item = QListWidgetItem(title)
            item.setData(Qt.ItemDataRole.UserRole, code)
            self.sections.addItem(item)
        self.sections.setCurrentRow(0)
        # the section list as wide as its longest title with its number, never wider
        self.sections.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        widest = max(self.fontMetrics().horizontalAdvance(f"{t} (99.999)") for t in wl.SECTIONS.values())
        self.sections.setFixedWidth(widest + 24)
        self.setTabOrder(self.sections, self.lines)
        self.setTabOrder(self.lines, self.print_week)
        self.setTabOrder(self.print_week, self.ward)
        self._set_wards([])
        self._show_title()

    # --- what the window uses -------------------------------------------------------------------

    def set_profile(self, profile: Profile) -> None:
        self.profile = profile
        self._set_wards(self._ward_codes)
        self.data_changed()

    def set_wards(self, codes: list[str]) -> None:
        """The wards that have enterprises (an office above a ward chooses among them)."""
        self._set_wards(codes)

    def current_section(self) -> str:
        item = self.sections.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else wl.OVERDUE

    def select_section(self, section: str) -> None:
        self.sections.setCurrentRow(list(wl.SECTIONS).index(section))

    def data_changed(self) -> None:
        """Records changed: read again now if the tab is shown, else when it is."""
        self._stale = True
        if self.isVisible():
            self.refresh()

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if self._stale:
            self.refresh()

    def refresh(self) -> None:
        self._stale = False
        self._generation += 1
        generation = self._generation
        today = self.today()
        ward = self._own_ward() or self.ward.currentData()
        self._show_title(today)

        def work(store: Any) -> tuple[wl.WorkQuery, dict[str, tuple[int, list[wl.WorkItem]]]]:
            q = wl.query_for(store, today, ward)
            return q, wl.overview(store, q, PAGE)

        def done(result: tuple[wl.WorkQuery, dict[str, tuple[int, list[wl.WorkItem]]]]) -> None:
            if generation != self._generation:
                return
            self.query, self.overview = result
            self._show_overview()

        def failed(failure: TaskFailure) -> None:
            if generation != self._generation:
                return
            self.overview = {}
            self.model.reset("", 0, [])
            from html import escape

            from app.gui.failures import explain

            said = escape(explain(failure, "Chưa đọc được danh sách việc cần làm")).replace("\n", "<br>")
            self.explain.setText(f"<span style='color:#b00020'>{said}</span>")
            self.sig_loaded.emit(None)

        self._tasks.read(work, done, failed)

    # --- internals -------------------------------------------------------------------------------

    _ward_codes: list[str] = []

    def _own_ward(self) -> str | None:
        return self.profile.unit_code if units.ward(self.profile.unit_code) else None

    def _set_wards(self, codes: list[str]) -> None:
        """Offices above a ward choose a ward (or all); a ward's machine shows its ward only."""
        self._ward_codes = [] if self._own_ward() else sorted(codes, key=_ward_name)
        current = self.ward.currentData()
        self.ward.blockSignals(True)
        self.ward.clear()
        self.ward.addItem("Tất cả", None)
        for code in self._ward_codes:
            self.ward.addItem(_ward_name(code), code)
        found = self.ward.findData(current)
        self.ward.setCurrentIndex(max(0, found))
        self.ward.blockSignals(False)
        self.ward.setVisible(bool(self._ward_codes))
        self.ward_label.setVisible(bool(self._ward_codes))

    def _show_title(self, today: date | None = None) -> None:
        unit = units.unit(self.profile.unit_code)
        place = unit.name if unit else "đơn vị chưa chọn"
        self.title.setText(f"Việc cần làm của {place}, ngày {format_date(today or self.today())}")

    def _show_overview(self) -> None:
        for row in range(self.sections.count()):
            item = self.sections.item(row)
            code = item.data(Qt.ItemDataRole.UserRole)
            n = self.overview.get(code, (0, []))[0]
            item.setText(f"{wl.SECTIONS[code]} ({format_int(n)})")
        week = self.overview.get(wl.OVERDUE, (0, []))[0] + self.overview.get(wl.THIS_WEEK, (0, []))[0]
        self.print_week.setText(f"In phiếu của &tuần ({format_int(week)})")
        self.print_week.setEnabled(week > 0)
        self._section_changed(self.sections.currentRow())
        self.sig_loaded.emit(self.overview)

    def _section_changed(self, row: int) -> None:
        if row < 0:
            return
        code = self.sections.item(row).data(Qt.ItemDataRole.UserRole)
        total, items = self.overview.get(code, (0, []))
        self.model.reset(code, total, items)
        self.lines.resizeColumnToContents(0)
        self.lines.setColumnWidth(0, min(self.lines.columnWidth(0), 280))
        self.lines.resizeColumnToContents(1)
        self.lines.setColumnWidth(1, min(self.lines.columnWidth(1), 520))
        self.lines.resizeColumnToContents(2)
        if self.overview:
            count = "Không có việc nào." if total == 0 else f"{format_int(total)} dòng."
            self.explain.setText(f"{EXPLAIN[code]} {count}")

    def _to_lines(self) -> None:
        if self.model.rowCount() == 0:
            return
        self.lines.setFocus()
        if not self.lines.currentIndex().isValid():
            self.lines.setCurrentIndex(self.model.index(0, 0))

    def _more(self, offset: int) -> None:
        q, section, generation = self.query, self.model.section, self._generation
        if q is None:
            return

        def done(items: list[wl.WorkItem]) -> None:
            if generation == self._generation:
                self.model.append(section, offset, items)

        self._tasks.read(lambda store: wl.page(store, q, section, offset, PAGE), done)

    def _print_week(self) -> None:
        if self.query is not None:
            self.sig_print_week.emit(self.query)


def _ward_name(code: str) -> str:
    w = units.ward(code)
    return w.name if w else code
