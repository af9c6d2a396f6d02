"""A table model over the enterprise list that fetches pages lazily in worker threads.

The model knows the number of rows (one ``count`` query) and keeps at most ``MAX_PAGES`` pages of
``PAGE_SIZE`` rows; a row that is not loaded shows "…" and asks for its page. Nothing is loaded
into widgets, so 100,000 rows scroll like 100. Queries are coalesced: while one is running, only
the latest new query waits, so typing fast never queues stale searches.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import date
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont

from app.domain import units
from app.domain.vnformat import format_date, format_int
from app.domain.vocab import ORG_KIND_SHORT, EnterpriseStatus, OrgKind
from app.gui.tasks import Cancelled, TaskFailure, TaskHandle, TaskRunner
from app.services import enterprise_list as el

# A keystroke waits for the first page: 100 rows fill three screens at 1366x768 and cost half of 200 (at
# 500,000 enterprises a keystroke's queries CPU p50 5.5 ms against 9 ms, docs/performance.md); 60 pages keep
# as many rows as before.
PAGE_SIZE = 100
MAX_PAGES = 60
COUNT_DELAY_MS = 250  # exact count of a broad search once typing pauses this long

Index = QModelIndex | QPersistentModelIndex

COLUMNS: list[tuple[str, str]] = [  # (sort key, Vietnamese header)
    ("name", "Tên doanh nghiệp"),
    ("owner", "Người đại diện"),
    ("tax_code", "Mã số thuế"),
    ("address", "Địa chỉ"),
    ("ward", "Phường, xã"),
    ("workforce", "Lao động"),
    ("status", "Tình trạng"),
    ("founded", "Tổ chức đã có"),
    ("last_visit", "Khảo sát gần nhất"),
    ("assignee", "Phân công"),
]
SORTABLE = {"name", "owner", "tax_code", "address", "ward", "workforce", "status", "last_visit"}
# the stored fields each column shows: a cell is bold when a searched word was found in one of them
COLUMN_FIELDS = {
    "name": ("name", "short_name"),
    "owner": ("owner_name",),
    "tax_code": ("tax_code",),
    "address": ("address",),
}
MATCH_LABELS = {  # why a row matched, for the tooltip
    "name": "tên doanh nghiệp",
    "short_name": "tên viết tắt",
    "owner_name": "người đại diện",
    "tax_code": "mã số thuế",
    "address": "địa chỉ",
}


def _founded_text(kinds: frozenset[OrgKind]) -> str:
    return ", ".join(ORG_KIND_SHORT[k] for k in OrgKind if k in kinds)


# the roles ``EnterpriseTableModel.data`` answers (IntEnum members: an int role is found among them too)
_ROLES = frozenset(
    (
        Qt.ItemDataRole.DisplayRole,
        Qt.ItemDataRole.TextAlignmentRole,
        Qt.ItemDataRole.ForegroundRole,
        Qt.ItemDataRole.FontRole,
        Qt.ItemDataRole.ToolTipRole,
        Qt.ItemDataRole.UserRole,
    )
)


class EnterpriseTableModel(QAbstractTableModel):
    sig_counted = Signal(int)  # rows matching the current query, after each new query
    sig_assigned = Signal(bool)  # whether any enterprise is assigned (the «Phân công» column is shown)
    sig_failed = Signal(object)  # TaskFailure

    def __init__(self, tasks: TaskRunner, parent: Any = None):
        super().__init__(parent)
        self._tasks = tasks
        self._query = el.ListQuery()
        self._rows = 0
        self._pages: OrderedDict[int, list[dict[str, Any]]] = OrderedDict()
        self._pending_pages: set[int] = set()
        self._generation = 0
        self._running = False
        self._waiting: tuple[el.ListQuery, bool] | None = None
        self.exact = True  # False while the count is capped and the exact count is on its way
        self._count_handle: TaskHandle | None = None
        self._count_args: tuple[int, el.ListQuery] | None = None
        self._count_timer = QTimer(self)
        self._count_timer.setSingleShot(True)
        self._count_timer.setInterval(COUNT_DELAY_MS)
        self._count_timer.timeout.connect(self._start_exact_count)
        self.loaded_once = False
        self.assigned = False  # any enterprise assigned to a collaborator, as of the last query

    # --- queries ------------------------------------------------------------------------------

    @property
    def query(self) -> el.ListQuery:
        return self._query

    def set_query(self, query: el.ListQuery, *, keep: bool = False) -> None:
        """Show ``query``'s rows. ``keep``: a refresh after a data change (same query)."""
        self._query = query
        self._generation += 1
        if self._running:
            self._waiting = (query, keep)
            return
        self._run(query, keep)

    def refresh(self) -> None:
        self.set_query(self._query, keep=True)

    def _run(self, query: el.ListQuery, keep: bool) -> None:
        self._running = True
        if self._count_handle is not None:  # a count of an older query is no longer wanted
            self._count_handle.cancel()
            self._count_handle = None
        generation = self._generation

        def work(store):
            # A capped count first, so a first typed letter matching 90% of 100,000 rows is quick;
            # the exact count follows in its own task.
            n = el.count(store, query, cap=el.COUNT_CAP)
            first = el.page(store, query, 0, PAGE_SIZE) if n else []
            return n, first, el.has_assignments(store)

        def done(result: tuple[int, list[dict[str, Any]], bool]) -> None:
            self._finish_run()
            if generation != self._generation:
                return  # a newer query is on its way
            n, first, assigned = result
            self.beginResetModel()
            self.exact = n < el.COUNT_CAP
            self._rows = n
            self._pages.clear()
            self._pending_pages.clear()
            if first:
                self._pages[0] = first
            self.endResetModel()
            if assigned != self.assigned:
                self.assigned = assigned
                self.sig_assigned.emit(assigned)
            self.loaded_once = True
            if self.exact:
                self.sig_counted.emit(n)
            else:
                self._count_exactly(generation, query)

        def failed(failure: TaskFailure) -> None:
            self._finish_run()
            self.sig_failed.emit(failure)

        self._tasks.read(work, done, failed)

    def _count_exactly(self, generation: int, query: el.ListQuery) -> None:
        """The exact count, once typing pauses (it scans every match), cancelled by the next query."""
        if self._count_handle is not None:
            self._count_handle.cancel()
            self._count_handle = None
        self._count_timer.stop()
        self._count_args = (generation, query)
        self._count_timer.start()

    def _start_exact_count(self) -> None:
        if self._count_args is None:
            return
        generation, query = self._count_args
        self._count_args = None
        if generation != self._generation:
            return

        def done(n: int) -> None:
            self._count_handle = None
            if generation != self._generation:
                return
            if n > self._rows:
                self.beginInsertRows(QModelIndex(), self._rows, n - 1)
                self._rows = n
                self.endInsertRows()
            self.exact = True
            self.sig_counted.emit(n)

        def failed(failure: TaskFailure) -> None:
            self._count_handle = None
            if not isinstance(failure.exception, Cancelled):
                self.sig_failed.emit(failure)

        self._count_handle = self._tasks.read(lambda store: el.count(store, query), done, failed)

    def _finish_run(self) -> None:
        self._running = False
        if self._waiting is not None:
            query, keep = self._waiting
            self._waiting = None
            self._run(query, keep)

    @property
    def busy(self) -> bool:
        return self._running or bool(self._pending_pages)

    def _request_page(self, page: int) -> None:
        if page in self._pending_pages:
            return
        self._pending_pages.add(page)
        generation, query = self._generation, self._query

        def done(rows: list[dict[str, Any]]) -> None:
            self._pending_pages.discard(page)
            if generation != self._generation:
                return
            self._pages[page] = rows
            while len(self._pages) > MAX_PAGES:
                self._pages.popitem(last=False)
            first = page * PAGE_SIZE
            last = min(first + len(rows), self._rows) - 1
            if last >= first:
                self.dataChanged.emit(self.index(first, 0), self.index(last, len(COLUMNS) - 1))

        def failed(failure: TaskFailure) -> None:
            self._pending_pages.discard(page)
            self.sig_failed.emit(failure)

        self._tasks.read(lambda store: el.page(store, query, page * PAGE_SIZE, PAGE_SIZE), done, failed)

    def row_data(self, row: int) -> dict[str, Any] | None:
        """The stored row, or None while its page is loading (the page is then requested)."""
        if not 0 <= row < self._rows:
            return None
        page, offset = divmod(row, PAGE_SIZE)
        rows = self._pages.get(page)
        if rows is None:
            self._request_page(page)
            return None
        self._pages.move_to_end(page)
        return rows[offset] if offset < len(rows) else None

    def enterprise_id(self, row: int) -> str | None:
        data = self.row_data(row)
        return data["id"] if data else None

    def loaded_row_of(self, enterprise_id: str) -> int | None:
        for page, rows in self._pages.items():
            for i, r in enumerate(rows):
                if r["id"] == enterprise_id:
                    return page * PAGE_SIZE + i
        return None

    # --- Qt model interface -------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else self._rows

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole:
            if orientation == Qt.Orientation.Horizontal:
                return COLUMNS[section][1]
            return format_int(section + 1)
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # a painted cell is asked about eight roles; most of them are answered here without the row
        if role not in _ROLES or not index.isValid():
            return None
        row = self.row_data(index.row())
        key = COLUMNS[index.column()][0]
        if role == Qt.ItemDataRole.DisplayRole:
            if row is None:
                return "…" if index.column() == 0 else ""
            return self._display(key, row)
        if role == Qt.ItemDataRole.TextAlignmentRole and key == "workforce":
            return Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        if role == Qt.ItemDataRole.ForegroundRole and row is not None and key == "status":
            if row["status"] != EnterpriseStatus.ACTIVE.value:
                return QColor("#a33")
        if role == Qt.ItemDataRole.FontRole and row is not None and key in COLUMN_FIELDS:
            if row.get("matched", frozenset()) & set(COLUMN_FIELDS[key]):
                font = QFont()
                font.setBold(True)
                return font
            return None
        if role == Qt.ItemDataRole.FontRole and row is not None and key == "assignee" and row.get("mine"):
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole and row is not None and key == "founded":
            kinds = row["founded"]
            missing = [k.label for k in OrgKind if k not in kinds]
            return "Chưa có: " + ", ".join(missing) if missing else "Đã có đủ năm tổ chức"
        if role == Qt.ItemDataRole.ToolTipRole and row is not None and key == "name" and row.get("matched"):
            fields = [label for f, label in MATCH_LABELS.items() if f in row["matched"]]
            return "Khớp với từ tìm kiếm ở: " + ", ".join(fields)
        if role == Qt.ItemDataRole.UserRole and row is not None:
            return row["id"]
        return None

    @staticmethod
    def _display(key: str, row: dict[str, Any]) -> str:
        if key == "ward":
            w = units.ward(row["ward_code"])
            return w.name if w else row["ward_code"]
        if key == "workforce":
            return format_int(row["workforce_total"])
        if key == "status":
            s = EnterpriseStatus.parse(row["status"])
            return s.label if s else row["status"]
        if key == "founded":
            return _founded_text(row["founded"])
        if key == "owner":
            return row.get("owner_name") or ""
        if key == "name":
            matched = row.get("matched", frozenset())
            if "short_name" in matched and "name" not in matched and row.get("short_name"):
                # found by the short name, which no column shows: say so beside the name
                return f"{row['name']} ({row['short_name']})"
            return row["name"]
        if key == "assignee":
            if row.get("mine"):
                return "Của tôi"
            return row.get("assignee") or ""
        if key == "last_visit":
            return (
                format_date(date.fromisoformat(row["last_visit"])) if row["last_visit"] else "Chưa khảo sát"
            )
        return row.get(key) or ""

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if column < 0:  # no sort column: relevance when searching, else by name
            if self._query.sort is not None:
                self.set_query(self._query.replace(sort=None, descending=False))
            return
        key = COLUMNS[column][0]
        if key not in SORTABLE:
            return
        self.set_query(self._query.replace(sort=key, descending=order == Qt.SortOrder.DescendingOrder))
