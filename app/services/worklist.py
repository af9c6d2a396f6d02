"""What to do next (Việc cần làm): the work list of a collaborator or an office, in sections.

- ``overdue``: the latest visit set a next visit ("Hẹn lần sau") before today; missed lately first.
- ``this_week``: ... from today to Sunday of this week.
- ``not_visited``: active enterprises never visited, or not for ``not_visited_months`` months (the
  enterprise list's own filter, ``app.services.enterprise_list``: one query, one index for both).
- ``stalled``: organisations being mobilised ("Đang vận động") since ``stalled_months`` months or more
  (or since a day not recorded), the longest first.
- ``opportunities``: founding opportunities: the latest visit found at least the founding minimum of
  members of a kind (official Party members, union members, youth members...; the minimums are the
  office's setting) and the enterprise has no founded organisation of that kind; owners who support it
  first, then undecided, not recorded, refusing; within each, the largest workforce first.
- ``probation``: Party admissions whose probation ends within ``probation_ahead_days`` days or has
  ended, not yet decided on (``app.domain.probation``); the earliest due first.

Only active enterprises are listed (not deleted, status "Đang hoạt động"). Every line names its
enterprise, so the window opens it. Appointments and opportunities are read from ``work_facts``
(``app/storage/work_facts.py``); a page is one indexed read however many enterprises the file has.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from app.domain.probation import add_months, due_on
from app.domain.vnformat import format_date, format_int
from app.domain.vocab import PROBATION_MONTHS, EnterpriseStatus, OrgKind
from app.services import enterprise_list as el
from app.services.form_batches import week_of
from app.storage import work_facts
from app.storage.store import Store

OVERDUE = "overdue"
THIS_WEEK = "this_week"
NOT_VISITED = "not_visited"
STALLED = "stalled"
OPPORTUNITIES = "opportunities"
PROBATION = "probation"

SECTIONS: dict[str, str] = {  # code -> Vietnamese title, in the order the list shows them
    OVERDUE: "Quá hẹn khảo sát",
    THIS_WEEK: "Hẹn khảo sát tuần này",
    OPPORTUNITIES: "Đủ điều kiện thành lập",
    PROBATION: "Dự bị đến hạn chính thức",
    STALLED: "Vận động chậm",
    NOT_VISITED: "Lâu chưa khảo sát",
}

# settings (``Store.setting``) an office may change, with their defaults
NOT_VISITED_MONTHS = ("todo.not_visited_months", 6)
STALLED_MONTHS = ("todo.stalled_months", 6)
PROBATION_AHEAD_DAYS = ("todo.probation_ahead_days", 30)


@dataclass(frozen=True)
class WorkQuery:
    today: date = field(default_factory=date.today)
    ward_code: str | None = None  # one ward; None: every enterprise in the file
    not_visited_months: int = NOT_VISITED_MONTHS[1]
    stalled_months: int = STALLED_MONTHS[1]
    probation_ahead_days: int = PROBATION_AHEAD_DAYS[1]

    def replace(self, **changes: Any) -> WorkQuery:
        return dataclasses.replace(self, **changes)

    @property
    def week_end(self) -> date:
        return week_of(self.today)[1]


class WorkSettingError(ValueError):
    """A work-list setting that cannot be used (Vietnamese message)."""


def query_for(store: Store, today: date | None = None, ward_code: str | None = None) -> WorkQuery:
    """The work list's query with the office's settings."""
    values = {}
    for name, (key, default) in (
        ("not_visited_months", NOT_VISITED_MONTHS),
        ("stalled_months", STALLED_MONTHS),
        ("probation_ahead_days", PROBATION_AHEAD_DAYS),
    ):
        value = store.setting(key, default)
        if type(value) is not int or not 1 <= value <= 120 * (30 if name.endswith("days") else 1):
            raise WorkSettingError(f"Thiết lập «{key}» phải là một số nguyên dương, không phải «{value}».")
        values[name] = value
    return WorkQuery(today=today or date.today(), ward_code=ward_code, **values)


@dataclass(frozen=True)
class WorkItem:
    """One line of the work list."""

    section: str
    enterprise_id: str
    name: str
    tax_code: str
    address: str | None
    ward_code: str
    day: date | None  # the day that matters: appointment, last visit, mobilising since, probation's end
    what: str  # Vietnamese: what is due ("hẹn 14/11/2025, quá 6 ngày", "Công đoàn: 12 đoàn viên công đoàn")
    record_id: str | None = None  # the organisation or admission the line is about


# --- counting and paging ----------------------------------------------------------------------------


def count(store: Store, q: WorkQuery, section: str) -> int:
    if section == NOT_VISITED:
        return el.count(store, _not_visited(q))
    sql, params = _COUNT[section](q)
    return store.conn.execute(sql, params).fetchone()[0]


def page(store: Store, q: WorkQuery, section: str, offset: int = 0, limit: int = 50) -> list[WorkItem]:
    """Lines ``offset`` .. ``offset + limit`` of a section, in its order."""
    if section == NOT_VISITED:
        rows = el.page(store, _not_visited(q), offset, limit)
        return [_not_visited_item(q, r) for r in rows]
    sql, params = _SQL[section](q)
    rows = store.conn.execute(f"{sql} LIMIT ? OFFSET ?", [*params, limit, offset]).fetchall()
    return _ITEMS[section](store, q, rows)


def overview(store: Store, q: WorkQuery, limit: int = 50) -> dict[str, tuple[int, list[WorkItem]]]:
    """Every section's number of lines and first page, in the order of ``SECTIONS``."""
    return {s: (count(store, q, s), page(store, q, s, 0, limit)) for s in SECTIONS}


def week_batch(store: Store, q: WorkQuery) -> list[str]:
    """The enterprises to visit this week, the lines of ``overdue`` and ``this_week``, in the order a
    collaborator walks (by ward, then address, as ``form_batches.select_enterprises`` orders a batch):
    the batch of visit forms to print."""
    ward, wp = _ward(q, "f.ward_code")
    return [
        r[0]
        for r in store.conn.execute(
            "SELECT e.id FROM work_facts f JOIN enterprises e ON e.id = f.enterprise_id "
            f"WHERE f.active = 1 AND f.next_visit IS NOT NULL AND f.next_visit <= ?{ward} "
            "ORDER BY e.ward_code, e.address IS NULL, e.address, e.name, e.rid",
            [q.week_end.isoformat(), *wp],
        )
    ]


# --- the sections -----------------------------------------------------------------------------------

_E = "e.name, e.tax_code, e.address, e.ward_code"


def _ward(q: WorkQuery, column: str) -> tuple[str, list[Any]]:
    return (f" AND {column} = ?", [q.ward_code]) if q.ward_code else ("", [])


def _appointments(q: WorkQuery, overdue: bool) -> tuple[str, list[Any]]:
    ward, wp = _ward(q, "f.ward_code")
    low, high = ("", q.today - timedelta(days=1)) if overdue else (q.today.isoformat(), q.week_end)
    return (
        f"SELECT f.enterprise_id, {_E}, f.next_visit, f.visit_date FROM work_facts f "
        f"JOIN enterprises e ON e.id = f.enterprise_id "
        f"WHERE f.active = 1 AND f.next_visit IS NOT NULL AND f.next_visit BETWEEN ? AND ?{ward} "
        # missed lately first (an appointment missed long ago is also an enterprise not visited for long)
        + (
            "ORDER BY f.next_visit DESC, f.enterprise_id"
            if overdue
            else "ORDER BY f.next_visit, f.enterprise_id"
        ),
        [low, high.isoformat(), *wp],
    )


def _appointment_items(store: Store, q: WorkQuery, rows: list[tuple]) -> list[WorkItem]:
    out = []
    for eid, name, tax, address, ward, nxt, last in rows:
        day = date.fromisoformat(nxt)
        late = (q.today - day).days
        when = "hôm nay" if late == 0 else (f"quá {late} ngày" if late > 0 else f"còn {-late} ngày")
        what = f"Hẹn {format_date(day)} ({when}); lần trước {format_date(date.fromisoformat(last))}"
        out.append(WorkItem(OVERDUE if late > 0 else THIS_WEEK, eid, name, tax, address, ward, day, what))
    return out


def _not_visited(q: WorkQuery) -> el.ListQuery:
    return el.ListQuery(
        statuses=frozenset({EnterpriseStatus.ACTIVE}),
        not_visited_months=q.not_visited_months,
        ward_code=q.ward_code,
        today=q.today,
    )


def _not_visited_item(q: WorkQuery, r: dict[str, Any]) -> WorkItem:
    last = r.get("last_visit")
    day = date.fromisoformat(last) if isinstance(last, str) else None
    if day is None:
        what = "Chưa khảo sát lần nào"
    else:
        months = (q.today.year - day.year) * 12 + q.today.month - day.month - (q.today.day < day.day)
        what = f"Lần khảo sát gần nhất {format_date(day)} ({months} tháng trước)"
    return WorkItem(NOT_VISITED, r["id"], r["name"], r["tax_code"], r["address"], r["ward_code"], day, what)


def _stalled(q: WorkQuery) -> tuple[str, list[Any]]:
    ward, wp = _ward(q, "e.ward_code")
    since = add_months(q.today, -q.stalled_months)
    return (
        f"SELECT o.enterprise_id, {_E}, o.mobilising_since, o.kind, o.id FROM organisations o "
        f"JOIN enterprises e ON e.id = o.enterprise_id "
        f"WHERE o.status = 'mobilising' AND o.deleted = 0 AND (o.mobilising_since IS NULL OR o.mobilising_since <= ?) "
        f"AND e.deleted = 0 AND e.status = 'active'{ward} "
        # NULL (a day not recorded) sorts first in SQLite: the order of the index, read 50 lines at a time
        "ORDER BY o.mobilising_since, o.id",
        [since.isoformat(), *wp],
    )


def _stalled_items(store: Store, q: WorkQuery, rows: list[tuple]) -> list[WorkItem]:
    out = []
    for eid, name, tax, address, ward, since, kind, oid in rows:
        label = OrgKind(kind).label
        if since is None:
            day, what = None, f"{label}: đang vận động, chưa ghi ngày bắt đầu"
        else:
            day = date.fromisoformat(since)
            months = (q.today.year - day.year) * 12 + q.today.month - day.month - (q.today.day < day.day)
            what = f"{label}: vận động từ {format_date(day)} ({months} tháng) chưa thành lập"
        out.append(WorkItem(STALLED, eid, name, tax, address, ward, day, what, oid))
    return out


def _opportunities(q: WorkQuery) -> tuple[str, list[Any]]:
    ward, wp = _ward(q, "f.ward_code")
    return (
        f"SELECT f.enterprise_id, {_E}, f.visit_date, f.chances, f.visit_id, f.attitude_rank, f.workforce "
        f"FROM work_facts f JOIN enterprises e ON e.id = f.enterprise_id "
        f"WHERE f.active = 1 AND f.chances != 0{ward} "
        "ORDER BY f.attitude_rank, f.workforce DESC, f.enterprise_id",
        wp,
    )


_MEMBERS = {  # who counts toward founding each kind (the count compared with the minimum)
    OrgKind.PARTY: "đảng viên chính thức",
    OrgKind.UNION: "đoàn viên",
    OrgKind.YOUTH: "đoàn viên",
    OrgKind.WOMEN: "hội viên",
    OrgKind.VETERANS: "hội viên",
}
_ATTITUDE_TEXT = {
    0: "chủ doanh nghiệp đồng tình",
    1: "chưa quyết định",
    2: "chưa rõ thái độ",
    3: "chưa đồng tình",
}


def _opportunity_items(store: Store, q: WorkQuery, rows: list[tuple]) -> list[WorkItem]:
    if not rows:
        return []
    counts_sql = ", ".join(work_facts.COUNT_OF.values())
    visits = {
        r[0]: r[1:]
        for r in store.conn.execute(
            f"SELECT id, {counts_sql} FROM visits WHERE id IN ({', '.join('?' * len(rows))})",
            [r[7] for r in rows],
        )
    }
    out = []
    for eid, name, tax, address, ward, last, chances, vid, rank, workforce in rows:
        counts = dict(zip(work_facts.COUNT_OF, visits.get(vid, ())))
        parts = []
        for kind in work_facts.kinds(chances):
            n = counts.get(kind)
            parts.append(f"{kind.label}: {format_int(n)} {_MEMBERS[kind]}")
        people = f"{format_int(workforce)} lao động, " if workforce is not None else ""
        what = f"{'; '.join(parts)} ({people}{_ATTITUDE_TEXT.get(rank, '')}; khảo sát {format_date(date.fromisoformat(last))})"
        out.append(WorkItem(OPPORTUNITIES, eid, name, tax, address, ward, date.fromisoformat(last), what))
    return out


def _probation(q: WorkQuery) -> tuple[str, list[Any]]:
    ward, wp = _ward(q, "e.ward_code")
    # due on or before today + ahead: admitted on or before that day PROBATION_MONTHS earlier
    admitted_by = add_months(q.today + timedelta(days=q.probation_ahead_days), -PROBATION_MONTHS)
    # One ward: start from its enterprises (CROSS JOIN keeps that order) and sort its few admissions;
    # the whole file: walk the admissions in date order, the first page read without sorting. (A ward of a
    # 500,000-enterprise province took 262 ms the other way round, reading every due admission of the file.)
    source = (
        "enterprises e CROSS JOIN admissions a ON a.enterprise_id = e.id"
        if q.ward_code
        else "admissions a JOIN enterprises e ON e.id = a.enterprise_id"
    )
    return (
        f"SELECT a.enterprise_id, {_E}, a.admitted_on, a.count, a.id FROM {source} "
        f"WHERE a.kind = 'party' AND a.official_on IS NULL AND a.deleted = 0 AND a.admitted_on <= ? "
        f"AND e.deleted = 0 AND e.status = 'active'{ward} "
        "ORDER BY a.admitted_on, a.id",
        [admitted_by.isoformat(), *wp],
    )


def _probation_items(store: Store, q: WorkQuery, rows: list[tuple]) -> list[WorkItem]:
    out = []
    for eid, name, tax, address, ward, admitted, n, aid in rows:
        day = due_on(date.fromisoformat(admitted))
        late = (q.today - day).days
        when = "hôm nay" if late == 0 else (f"quá hạn {late} ngày" if late > 0 else f"còn {-late} ngày")
        what = (
            f"{format_int(n)} đảng viên dự bị kết nạp ngày {format_date(date.fromisoformat(admitted))}: "
            f"hết 12 tháng dự bị ngày {format_date(day)} ({when})"
        )
        out.append(WorkItem(PROBATION, eid, name, tax, address, ward, day, what, aid))
    return out


def _facts_count(q: WorkQuery, where: str, params: list[Any]) -> tuple[str, list[Any]]:
    """A count of work_facts rows read in its partial indexes alone (no enterprise row)."""
    ward, wp = _ward(q, "f.ward_code")
    return f"SELECT count(*) FROM work_facts f WHERE f.active = 1 AND {where}{ward}", [*params, *wp]


def _appointments_count(q: WorkQuery, overdue: bool) -> tuple[str, list[Any]]:
    low, high = ("", q.today - timedelta(days=1)) if overdue else (q.today.isoformat(), q.week_end)
    return _facts_count(
        q, "f.next_visit IS NOT NULL AND f.next_visit BETWEEN ? AND ?", [low, high.isoformat()]
    )


def _subquery_count(build: Any) -> Any:
    def counted(q: WorkQuery) -> tuple[str, list[Any]]:
        sql, params = build(q)
        return f"SELECT count(*) FROM ({sql})", params

    return counted


_COUNT = {
    OVERDUE: lambda q: _appointments_count(q, True),
    THIS_WEEK: lambda q: _appointments_count(q, False),
    STALLED: _subquery_count(_stalled),
    OPPORTUNITIES: lambda q: _facts_count(q, "f.chances != 0", []),
    PROBATION: _subquery_count(_probation),
}
_SQL = {
    OVERDUE: lambda q: _appointments(q, True),
    THIS_WEEK: lambda q: _appointments(q, False),
    STALLED: _stalled,
    OPPORTUNITIES: _opportunities,
    PROBATION: _probation,
}
_ITEMS = {
    OVERDUE: _appointment_items,
    THIS_WEEK: _appointment_items,
    STALLED: _stalled_items,
    OPPORTUNITIES: _opportunity_items,
    PROBATION: _probation_items,
}
