"""The selected enterprise: information, visits, organisations with their admissions (the probation and
its conversion) and quality levels, history (tabs)."""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import date
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLabel,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QTextBrowser,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.domain.display import display
from app.domain.probation import due_on, is_probation, recognised
from app.domain.records import Admission, Enterprise, QualityRating, Visit, fields_of, record_type
from app.domain.vnformat import format_date, format_int
from app.domain.vocab import OrgKind, OrgStatus
from app.gui.tasks import TaskRunner
from app.services import enterprise_list as el

MEMBERS_COLUMN = 2  # of the organisations tab: members today, beside the status (seen on a 1024 screen)


def _item(text: Any, align_right: bool = False) -> QTableWidgetItem:
    item = QTableWidgetItem("" if text is None else str(text))
    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
    if align_right:
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return item


def _table(headers: list[str], name: str) -> QTableWidget:
    t = QTableWidget(0, len(headers))
    t.setObjectName(name)
    t.setHorizontalHeaderLabels(headers)
    t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    t.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    t.verticalHeader().setVisible(False)
    t.horizontalHeader().setStretchLastSection(True)
    t.setWordWrap(False)
    return t


class DetailPanel(QWidget):
    sig_loaded = Signal(object)  # EnterpriseDetail or None
    sig_edit_visit = Signal(str)  # visit id
    sig_edit_organisation = Signal(object)  # (enterprise id, OrgKind)
    sig_edit_admission = Signal(str)  # admission id
    sig_edit_rating = Signal(str)  # quality rating id

    def __init__(self, tasks: TaskRunner, parent: QWidget | None = None):
        super().__init__(parent)
        self._tasks = tasks
        self._id: str | None = None
        self._generation = 0
        self.today: Callable[[], date] = date.today  # the window gives the day its forms use
        self.detail: el.EnterpriseDetail | None = None

        self.title = QLabel("Chọn một doanh nghiệp trong danh sách.", self)
        self.title.setObjectName("detail_title")
        self.title.setWordWrap(True)
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self.title.setFont(font)

        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("detail_tabs")
        # every tab's name whole, never behind scroll arrows: the panel is as wide as its tabs need
        self.tabs.setUsesScrollButtons(False)
        self.tabs.tabBar().setElideMode(Qt.TextElideMode.ElideNone)
        self.info = QTextBrowser(self)
        self.info.setObjectName("detail_info")
        # the visit's fields declared with a column heading (app/domain/records.py), in order
        self.visit_columns = record_type(Visit).LISTED
        self.visits = _table([i.column or i.label for i in self.visit_columns], "detail_visits")
        self.visits.itemActivated.connect(self._visit_activated)
        self.orgs = _table(
            ["Tổ chức", "Tình trạng", "Hiện có", "Quyết định", "Ngày QĐ", "Người đứng đầu"],
            "detail_orgs",
        )
        self.orgs.itemActivated.connect(self._org_activated)
        self.admissions = _table(
            ["Ngày kết nạp", "Vào", "Công nhận chính thức", "Số người", "Hết dự bị"], "detail_admissions"
        )
        self.admissions.itemActivated.connect(self._admission_activated)
        self.ratings = _table(["Năm", "Tổ chức", "Xếp loại", "Văn bản"], "detail_ratings")
        self.ratings.itemActivated.connect(self._rating_activated)
        self.history = QTreeWidget(self)
        self.history.setObjectName("detail_history")
        self.history.setHeaderLabels(["Thời điểm", "Người sửa", "Nội dung"])
        self.history.setColumnWidth(0, 130)
        self.history.setColumnWidth(1, 150)
        self.tabs.addTab(self.info, "Thông ti&n")  # T and C are the menus Tệp, Công cụ
        self.tabs.addTab(self.visits, "&Khảo sát")
        # one tab for the organisations, their admissions (with the probation and its conversion) and
        # their yearly quality levels: the panel stays as narrow as four tab names
        self.orgs_page = QSplitter(Qt.Orientation.Vertical, self)
        self.orgs_page.setObjectName("detail_orgs_page")
        self.orgs_page.setChildrenCollapsible(False)
        for title, table in (
            ("Tổ chức", self.orgs),
            ("Kết nạp (kết nạp Đảng: hết dự bị, công nhận chính thức)", self.admissions),
            ("Xếp loại chất lượng hằng năm", self.ratings),
        ):
            box = QWidget(self.orgs_page)
            column = QVBoxLayout(box)
            column.setContentsMargins(0, 2, 0, 0)
            column.setSpacing(2)
            heading = QLabel(f"<b>{title}</b>", box)
            heading.setBuddy(table)
            column.addWidget(heading)
            column.addWidget(table, 1)
            self.orgs_page.addWidget(box)
        self.tabs.addTab(self.orgs_page, "Tổ c&hức")
        self.tabs.addTab(self.history, "&Lịch sử")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(3, 3, 3, 3)  # room for the focus ring (app.gui.focus)
        layout.addWidget(self.title)
        layout.addWidget(self.tabs, 1)
        self._show(None)

    @property
    def enterprise_id(self) -> str | None:
        return self._id

    def show_enterprise(self, enterprise_id: str | None) -> None:
        self._id = enterprise_id
        self._generation += 1
        if enterprise_id is None:
            self._show(None)
            return
        generation = self._generation

        def done(detail: el.EnterpriseDetail | None) -> None:
            if generation == self._generation:
                self._show(detail)

        self._tasks.read(lambda store: el.detail(store, enterprise_id), done)

    def reload(self) -> None:
        self.show_enterprise(self._id)

    # --- rendering ----------------------------------------------------------------------------

    def _show(self, d: el.EnterpriseDetail | None) -> None:
        self.detail = d
        if d is None:
            self.title.setText(
                "Chọn một doanh nghiệp trong danh sách."
                if self._id is None
                else "Doanh nghiệp này không còn (đã bị xóa)."
            )
            self.info.clear()
            self.visits.setRowCount(0)
            self.orgs.setRowCount(0)
            self.admissions.setRowCount(0)
            self.ratings.setRowCount(0)
            self.history.clear()
            self.tabs.setEnabled(False)
            self.sig_loaded.emit(None)
            return
        self.tabs.setEnabled(True)
        e: Enterprise = d.enterprise
        self.title.setText(f"{e.name} — MST {e.tax_code}")
        self.info.setHtml(self._info_html(e))
        self._fill_visits(d.visits)
        self._fill_orgs(d.organisations, d.visits, d.admissions)
        self._fill_admissions(d.admissions)
        self._fill_ratings(d.ratings)
        self._fill_history(d.history)
        self.sig_loaded.emit(d)

    @staticmethod
    def _info_html(e: Enterprise) -> str:
        """Every declared field of the enterprise, in order (``app.domain.records``)."""
        rows = [(info.label, display(info, getattr(e, info.name))) for info in fields_of(type(e))]
        missing = "<i style='color:#999'>chưa có</i>"
        body = "".join(
            f"<tr><td style='color:#555;padding-right:12px'>{html.escape(k)}</td>"
            f"<td>{html.escape(str(v)) if v not in (None, '') else missing}</td></tr>"
            for k, v in rows
        )
        return f"<table cellspacing='3'>{body}</table>"

    def _fill_visits(self, visits: list[Visit]) -> None:
        self.visits.setRowCount(len(visits))
        for r, v in enumerate(visits):
            for c, info in enumerate(self.visit_columns):
                item = _item(display(info, v.listed_value(info.name)), align_right=info.kind.is_number)
                item.setData(Qt.ItemDataRole.UserRole, v.id)
                self.visits.setItem(r, c, item)
        self.visits.resizeColumnsToContents()

    def _fill_orgs(self, orgs: list, visits: list, admissions: list) -> None:
        from app.services.membership import of_records

        by_kind = {o.kind: o for o in orgs}
        # members today: founding, counts, admissions (app.domain.membership), explained in the tooltip
        members = of_records(orgs, visits, admissions, self.today())
        self.orgs.setRowCount(len(OrgKind))
        for r, kind in enumerate(OrgKind):
            o = by_kind.get(kind)
            status = o.status if o else OrgStatus.NONE
            values = [
                kind.label,
                status.label,
                format_int(members[kind].value) if kind in members else "",
                o.decision_number if o else "",
                format_date(o.decision_date) if o else "",
                o.leader if o else "",
            ]
            for c, value in enumerate(values):
                item = _item(value, align_right=c == MEMBERS_COLUMN)
                item.setData(Qt.ItemDataRole.UserRole, kind.value)
                if c == MEMBERS_COLUMN and kind in members:
                    item.setToolTip(f"Hiện có {members[kind].explain()}.")
                self.orgs.setItem(r, c, item)
        self.orgs.resizeColumnsToContents()

    def _fill_admissions(self, admissions: list[Admission]) -> None:
        today = self.today()
        self.admissions.setRowCount(len(admissions))
        for r, a in enumerate(admissions):
            due = due_on(a.admitted_on) if is_probation(a.kind) and a.admitted_on else None
            values = [
                format_date(a.admitted_on),
                a.kind.label,
                self.conversion_text(a, due, today),
                format_int(a.count),
                format_date(due) if due else "",
            ]
            for c, value in enumerate(values):
                item = _item(value, align_right=c == 3)
                item.setData(Qt.ItemDataRole.UserRole, a.id)
                if c == 2 and due and a.official_on is None and due < today:
                    item.setForeground(QColor("#b00020"))
                self.admissions.setItem(r, c, item)
        self.admissions.resizeColumnsToContents()

    @staticmethod
    def conversion_text(a: Admission, due: date | None, today: date) -> str:
        """The conversion of a Party admission as a line: decided (day, decision, how many), or what is
        left of the probation; empty for other kinds."""
        if due is None:
            return ""
        if a.official_on is not None:
            n = recognised(a.count, a.official_count)
            who = f"{format_int(n)}/{format_int(a.count)} người" if n != a.count else f"{format_int(n)} người"
            decision = f", QĐ {a.official_decision}" if a.official_decision else ""
            return f"{format_date(a.official_on)}{decision} ({who})"
        left = (due - today).days
        if left > 0:
            return f"đang dự bị, còn {format_int(left)} ngày"
        if left == 0:
            return "hết dự bị hôm nay: chưa ghi công nhận"
        return f"chưa ghi công nhận, quá hạn {format_int(-left)} ngày"

    def _fill_ratings(self, ratings: list[QualityRating]) -> None:
        self.ratings.setRowCount(len(ratings))
        for r, q in enumerate(ratings):
            values = [str(q.year), q.kind.label, q.level.label, q.decision or ""]
            for c, value in enumerate(values):
                item = _item(value)
                item.setData(Qt.ItemDataRole.UserRole, q.id)
                self.ratings.setItem(r, c, item)
        self.ratings.resizeColumnsToContents()

    def _fill_history(self, entries: list) -> None:
        self.history.clear()
        for entry in entries:
            top = QTreeWidgetItem([entry.when_text, entry.author, entry.summary])
            for ch in entry.changes:
                top.addChild(QTreeWidgetItem(["", "", str(ch)]))
            self.history.addTopLevelItem(top)
            top.setExpanded(len(entry.changes) <= 4)
        for column in range(3):
            self.history.resizeColumnToContents(column)

    def _visit_activated(self, item: QTableWidgetItem) -> None:
        vid = item.data(Qt.ItemDataRole.UserRole)
        if vid:
            self.sig_edit_visit.emit(vid)

    def _admission_activated(self, item: QTableWidgetItem) -> None:
        aid = item.data(Qt.ItemDataRole.UserRole)
        if aid:
            self.sig_edit_admission.emit(aid)

    def _rating_activated(self, item: QTableWidgetItem) -> None:
        rid = item.data(Qt.ItemDataRole.UserRole)
        if rid:
            self.sig_edit_rating.emit(rid)

    def _org_activated(self, item: QTableWidgetItem) -> None:
        kind = OrgKind.parse(item.data(Qt.ItemDataRole.UserRole))
        if kind and self._id:
            self.sig_edit_organisation.emit((self._id, kind))
