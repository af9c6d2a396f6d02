"""The enterprise list: search as you type, filters, the table, counts."""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QSize, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.domain import units
from app.domain.vocab import ORG_KIND_SHORT, EnterpriseStatus, OrgKind
from app.gui.enterprises.model import COLUMNS, EnterpriseTableModel
from app.gui.tasks import TaskRunner
from app.services import enterprise_list as el

NOT_VISITED_CHOICES = [
    (None, "Mọi thời điểm khảo sát"),
    (3, "Chưa khảo sát 3 tháng"),
    (6, "Chưa khảo sát 6 tháng"),
    (12, "Chưa khảo sát 12 tháng"),
]


FORM_CODE_PREFIX = "KHAOSAT:"  # app.printing.qr: codes printed on visit and key forms


class _RowNumbers(QHeaderView):
    """The row numbers at the list's left, as wide as the last (the widest) number.

    Qt sizes a header from its first and last hundred sections, asking the model about each of them: at
    every keystroke (the list is reset) and every count, about 1,200 calls of ``headerData`` from C++ into
    Python, 5 ms of a keystroke on a slow machine. The numbers grow downwards, so the last one is the
    widest and the only one to measure."""

    def __init__(self, parent: QWidget):
        super().__init__(Qt.Orientation.Vertical, parent)

    def sizeHint(self) -> QSize:
        n = self.count()
        return self.sectionSizeFromContents(n - 1) if n else super().sizeHint()


class EnterpriseListPanel(QWidget):
    sig_selected = Signal(object)  # enterprise id or None
    sig_activated = Signal(str)  # Enter or double click on a row
    # text that looks like a printed form's code (typed, or a barcode scanner acting as a keyboard)
    sig_form_code = Signal(str)
    sig_counts = Signal(int)

    def __init__(self, tasks: TaskRunner, parent: QWidget | None = None):
        super().__init__(parent)
        self._tasks = tasks
        self.model = EnterpriseTableModel(tasks, self)
        self._selected: str | None = None
        self._want_select: str | None = None
        self._reveal: tuple[str, str] | None = None  # (id, tax code) of a just-saved enterprise
        self._reveal_widened = False
        self._mine: str | None = None  # a collaborator's laptop: its assigned enterprises come first

        self.search = QLineEdit(self)
        self.search.setObjectName("search")
        self.search.setClearButtonEnabled(True)
        self.search.setPlaceholderText(
            "Tìm theo tên, mã số thuế, địa chỉ, người đại diện (gõ có dấu hoặc không dấu)"
        )
        self.search.textChanged.connect(self._apply)
        self.search.returnPressed.connect(self._return_pressed)

        self.status = QComboBox(self)
        self.status.setObjectName("filter_status")
        self.status.addItem("Mọi tình trạng", None)
        for s in EnterpriseStatus:
            self.status.addItem(s.label, s.value)
        self.workforce = QComboBox(self)
        self.workforce.setObjectName("filter_workforce")
        self.workforce.addItem("Mọi quy mô lao động", None)
        for code, label in el.workforce_groups():
            self.workforce.addItem(label, code)
        self.not_visited = QComboBox(self)
        self.not_visited.setObjectName("filter_not_visited")
        for months, label in NOT_VISITED_CHOICES:
            self.not_visited.addItem(label, months)
        self.ward = QComboBox(self)
        self.ward.setObjectName("filter_ward")
        self.ward.addItem("Mọi phường, xã", None)
        self.filter_boxes = (self.status, self.workforce, self.not_visited, self.ward)
        for combo in self.filter_boxes:
            combo.currentIndexChanged.connect(self._apply)
            # narrower than their longest choice when the screen is (1024 pixels): the open list shows it whole,
            # and the tooltip the choice made («Mọi quy mô lao động» shows as «Mọi quy mô lao độn» there)
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(10)
            combo.currentTextChanged.connect(combo.setToolTip)
            combo.setToolTip(combo.currentText())

        self.missing: dict[OrgKind, QCheckBox] = {}
        missing_row = QHBoxLayout()
        missing_row.addWidget(QLabel("Chưa có tổ chức:"))
        for kind in OrgKind:
            box = QCheckBox(ORG_KIND_SHORT[kind], self)
            box.setObjectName(f"missing_{kind.value}")
            box.setToolTip(f"Chỉ hiện doanh nghiệp chưa có {kind.label.lower()}")
            box.toggled.connect(self._apply)
            self.missing[kind] = box
            missing_row.addWidget(box)
        missing_row.addStretch(1)
        self.count_label = QLabel(self)
        self.count_label.setObjectName("count_label")
        # never what sets the panel's width: the status bar shows the same count in full
        self.count_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.count_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        missing_row.addWidget(self.count_label)

        filters = QHBoxLayout()
        for w in self.filter_boxes:
            filters.addWidget(w, 1)  # they share the width: whole texts on a wide screen, shortened on 1024

        self.table = QTableView(self)
        self.table.setObjectName("enterprise_table")
        self.table.setVerticalHeader(_RowNumbers(self.table))
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        # several rows (Ctrl/Shift + click) for Phân công; the current row is the one shown on the right
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.table.setSortingEnabled(True)
        self.table.horizontalHeader().setSortIndicatorShown(True)
        self.table.verticalHeader().setDefaultSectionSize(24)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.setWordWrap(False)
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        widths = [300, 160, 110, 240, 140, 80, 130, 150, 120, 140]
        for i, w in enumerate(widths[: len(COLUMNS)]):
            self.table.setColumnWidth(i, w)
        header.setStretchLastSection(True)
        # «Phân công» right after the name (on screen, whatever the window's width) and only on a machine
        # where enterprises are assigned: none of an empty column elsewhere
        assignee = [k for k, _h in COLUMNS].index("assignee")
        header.moveSection(header.visualIndex(assignee), 1)
        self.table.setColumnHidden(assignee, True)
        self.model.sig_assigned.connect(lambda shown: self.table.setColumnHidden(assignee, not shown))
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)
        self.table.doubleClicked.connect(self._activated)
        self.table.activated.connect(self._activated)
        self.model.sig_counted.connect(self._counted)
        self.model.modelReset.connect(self._after_reset)
        self.model.dataChanged.connect(self._after_data)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(3, 3, 3, 3)  # room for the focus ring (app.gui.focus)
        layout.addWidget(self.search)
        layout.addLayout(filters)
        layout.addLayout(missing_row)
        layout.addWidget(self.table, 1)
        self._total = 0
        self.setFocusProxy(self.search)

    # --- filters ------------------------------------------------------------------------------

    def set_wards(self, codes: list[str], default: str | None = None) -> None:
        self.ward.blockSignals(True)
        current = self.ward.currentData()
        self.ward.clear()
        self.ward.addItem("Mọi phường, xã", None)
        for code in codes:
            w = units.ward(code)
            self.ward.addItem(w.name if w else code, code)
        idx = self.ward.findData(current)
        self.ward.setCurrentIndex(max(idx, 0))
        self.ward.blockSignals(False)
        self.ward.setToolTip(self.ward.currentText())

    def current_query(self) -> el.ListQuery:
        old = self.model.query
        status = self.status.currentData()
        return el.ListQuery(
            text=self.search.text(),
            statuses=frozenset({EnterpriseStatus(status)}) if status else frozenset(),
            missing=frozenset(k for k, box in self.missing.items() if box.isChecked()),
            workforce=self.workforce.currentData(),
            not_visited_months=self.not_visited.currentData(),
            ward_code=self.ward.currentData(),
            mine=self._mine,
            sort=old.sort,
            descending=old.descending,
        )

    def _apply(self, *_args: object) -> None:
        self.model.set_query(self.current_query())

    def clear_filters(self, text: str = "") -> None:
        """Every filter back to "all", the search box to ``text``; then one new query."""
        for combo in self.filter_boxes:
            combo.blockSignals(True)
            combo.setCurrentIndex(0)
            combo.blockSignals(False)
            combo.setToolTip(combo.currentText())
        for box in self.missing.values():
            box.blockSignals(True)
            box.setChecked(False)
            box.blockSignals(False)
        self.search.blockSignals(True)
        self.search.setText(text)
        self.search.blockSignals(False)
        self._apply()

    def load(self) -> None:
        self._apply()

    def refresh(self) -> None:
        self.model.refresh()

    def set_total(self, total: int) -> None:
        self._total = total
        self._counted(self.model.rowCount())

    def _counted(self, n: int) -> None:
        from app.domain.vnformat import format_int

        if self.model.query.filtered:
            text = f"Tìm thấy {format_int(n)} / {format_int(self._total)} doanh nghiệp"
        else:
            text = f"{format_int(n)} doanh nghiệp"
        self.count_label.setText(text)
        self.sig_counts.emit(n)

    # --- selection ----------------------------------------------------------------------------

    def selected_id(self) -> str | None:
        return self._selected

    def selected_ids(self) -> list[str]:
        """Every selected row's enterprise (loaded rows), the current one first."""
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        out = [eid for eid in (self.model.enterprise_id(r) for r in rows) if eid]
        if self._selected and self._selected in out:
            out.remove(self._selected)
            out.insert(0, self._selected)
        return out

    def set_mine(self, laptop_id: str | None, *, load: bool = True) -> None:
        """On a collaborator's laptop, its own enterprises (phân công) first."""
        if laptop_id != self._mine:
            self._mine = laptop_id
            if load:
                self._apply()

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        eid = self.model.enterprise_id(current.row()) if current.isValid() else None
        if eid != self._selected:
            self._selected = eid
            self.sig_selected.emit(eid)

    def _activated(self, index: QModelIndex) -> None:
        eid = self.model.enterprise_id(index.row())
        if eid:
            self.sig_activated.emit(eid)

    def _return_pressed(self) -> None:
        text = self.search.text().strip()
        if text.upper().startswith(FORM_CODE_PREFIX):
            self.search.clear()
            self.sig_form_code.emit(text)
            return
        self._focus_table()

    def _focus_table(self) -> None:
        if self.model.rowCount():
            self.table.setFocus()
            if not self.table.currentIndex().isValid():
                self.table.setCurrentIndex(self.model.index(0, 0))

    def select(self, enterprise_id: str) -> None:
        """Select ``enterprise_id`` if it is in the loaded rows (else after the next load)."""
        row = self.model.loaded_row_of(enterprise_id)
        if row is None:
            self._want_select = enterprise_id
            return
        self._want_select = None
        self.table.selectionModel().setCurrentIndex(
            self.model.index(row, 0),
            QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
        )
        self.table.scrollTo(self.model.index(row, 0))

    def reveal(self, enterprise_id: str, tax_code: str) -> None:
        """Make a just-saved enterprise the selected, visible row.

        It is selected where it stands in the list as the person left it (searches and filters kept);
        when the list does not show it (a search or filter it does not match, or a page not loaded),
        the list is cleared to a search by its tax code, which shows it.
        """
        self._reveal = (enterprise_id, tax_code)
        self._reveal_widened = False
        self._want_select = enterprise_id
        if not self.model.busy:  # nothing changed, or the refresh is already back
            self._resolve_reveal()

    def _resolve_reveal(self) -> None:
        if self._reveal is None:
            return
        enterprise_id, tax_code = self._reveal
        if self.model.loaded_row_of(enterprise_id) is not None:
            self._reveal = None
            self.select(enterprise_id)
            return
        if self._reveal_widened or not tax_code:
            self._reveal = None  # gone (deleted meanwhile): nothing to show
            return
        self._reveal_widened = True
        self.clear_filters(tax_code)

    def _after_reset(self) -> None:
        if self._reveal is not None:
            QTimer.singleShot(0, self._resolve_reveal)
        if not self.model.exact:  # a broad search: the exact count follows when typing pauses
            from app.domain.vnformat import format_int

            n = format_int(self.model.rowCount())
            if self.model.query.filtered and self._total:
                text = f"Tìm thấy hơn {n} / {format_int(self._total)} doanh nghiệp (đang đếm…)"
            else:
                text = f"Hơn {n} doanh nghiệp (đang đếm…)"
            self.count_label.setText(text)
            self.sig_counts.emit(self.model.rowCount())
        keep = self._want_select or self._selected
        if keep is not None:
            row = self.model.loaded_row_of(keep)
            if row is not None:
                QTimer.singleShot(0, lambda k=keep: self.select(k))
                return
        if self._selected is not None:
            self._selected = None
            self.sig_selected.emit(None)

    def _after_data(self, *_args: object) -> None:
        # a page arrived: the current row may now have its id
        current = self.table.currentIndex()
        if current.isValid() and self._selected is None:
            self._current_changed(current, QModelIndex())
