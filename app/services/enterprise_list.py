"""The enterprise list: search, filters, sorting and paging in SQL (no Qt).

The desktop list shows 100,000 enterprises by asking for one page at a time; ``count`` gives the
number of rows for the scroll bar and the status bar. Search uses the store's full-text index on
folded text (``app.storage.search.match_expression``: the same as ``Store.search_enterprises``),
so "nguyen thi hang" finds "Nguyễn Thị Hằng".
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from app.domain.vocab import (  # noqa: F401  (WorkforceGroup, workforce_groups: part of the list's interface)
    DEFAULT_WORKFORCE_THRESHOLDS,
    EnterpriseStatus,
    OrgKind,
    WorkforceGroup,
    workforce_groups,
)
from app.storage import search
from app.storage.store import Store

SORT_COLUMNS: dict[str, str] = {
    "name": "e.name",
    "tax_code": "e.tax_code",
    "address": "e.address",
    "ward": "e.ward_code",
    "workforce": "e.workforce_total",
    "status": "e.status",
    "last_visit": "last_visit",
}


@dataclass(frozen=True)
class ListQuery:
    """What the list shows. An empty query shows every enterprise, by name."""

    text: str = ""
    statuses: frozenset[EnterpriseStatus] = frozenset()
    missing: frozenset[OrgKind] = frozenset()  # enterprises without a founded organisation of each kind
    workforce: str | None = None  # a WorkforceGroup code
    not_visited_months: int | None = None  # no visit in the last N months (or never)
    ward_code: str | None = None
    sort: str | None = None  # a SORT_COLUMNS key; None: by relevance when searching, else by name
    descending: bool = False
    thresholds: tuple[int, int] = DEFAULT_WORKFORCE_THRESHOLDS
    today: date = field(default_factory=date.today)

    def replace(self, **changes: Any) -> ListQuery:
        return dataclasses.replace(self, **changes)

    @property
    def filtered(self) -> bool:
        return bool(
            self.text.strip()
            or self.statuses
            or self.missing
            or self.workforce
            or self.not_visited_months
            or self.ward_code
        )


def _months_before(day: date, months: int) -> date:
    y, m = divmod(day.year * 12 + day.month - 1 - months, 12)
    m += 1
    import calendar

    return date(y, m, min(day.day, calendar.monthrange(y, m)[1]))


def _where(q: ListQuery) -> tuple[str, str, list[Any], bool]:
    """(FROM ... clause, WHERE clause, params, has_fts)."""
    params: list[Any] = []
    conds = ["e.deleted = 0"]
    source = "enterprises e"
    has_fts = False
    expr = search.match_expression(q.text) if q.text.strip() else None
    if expr is not None:
        source = "enterprise_fts f JOIN enterprises e ON e.rid = f.rowid"
        conds.insert(0, "enterprise_fts MATCH ?")
        params.append(expr)
        has_fts = True
    if q.statuses:
        conds.append(f"e.status IN ({', '.join('?' * len(q.statuses))})")
        params.extend(sorted(s.value for s in q.statuses))
    for kind in sorted(q.missing, key=lambda k: k.value):
        conds.append(
            "NOT EXISTS (SELECT 1 FROM organisations o WHERE o.enterprise_id = e.id AND o.kind = ? "
            "AND o.status = 'founded' AND o.deleted = 0)"
        )
        params.append(kind.value)
    low, high = q.thresholds
    if q.workforce == WorkforceGroup.SMALL:
        conds.append("e.workforce_total < ?")
        params.append(low)
    elif q.workforce == WorkforceGroup.MEDIUM:
        conds.append("e.workforce_total >= ? AND e.workforce_total < ?")
        params.extend([low, high])
    elif q.workforce == WorkforceGroup.LARGE:
        conds.append("e.workforce_total >= ?")
        params.append(high)
    elif q.workforce == WorkforceGroup.UNKNOWN:
        conds.append("e.workforce_total IS NULL")
    if q.not_visited_months:
        since = _months_before(q.today, q.not_visited_months)
        conds.append(
            "NOT EXISTS (SELECT 1 FROM visits v WHERE v.enterprise_id = e.id AND v.deleted = 0 "
            "AND v.visit_date >= ?)"
        )
        params.append(since.isoformat())
    if q.ward_code:
        conds.append("e.ward_code = ?")
        params.append(q.ward_code)
    return source, " AND ".join(conds), params, has_fts


def count(store: Store, q: ListQuery, cap: int | None = None) -> int:
    """Rows matching ``q``; with ``cap``, stop counting there (returns ``cap`` if there are at least that many)."""
    source, where, params, has_fts = _where(q)
    if has_fts and not q.replace(text="").filtered:
        # Only the text: count in the full-text index alone (it holds no deleted enterprise), no join.
        sub = "SELECT rowid FROM enterprise_fts WHERE enterprise_fts MATCH ?" + (" LIMIT ?" if cap else "")
        return store.conn.execute(
            f"SELECT count(*) FROM ({sub})", [params[0], cap] if cap else [params[0]]
        ).fetchone()[0]
    if cap is None:
        return store.conn.execute(f"SELECT count(*) FROM {source} WHERE {where}", params).fetchone()[0]
    return store.conn.execute(
        f"SELECT count(*) FROM (SELECT 1 FROM {source} WHERE {where} LIMIT ?)", [*params, cap]
    ).fetchone()[0]


# Relevance: a word in the name counts most, then tax code and short name, then owner, then address
# (every address of a ward shares its words, so they say little).
RANK = "bm25(enterprise_fts, 10.0, 6.0, 6.0, 1.0, 3.0)"
RANK_LIMIT = 1000  # rank search results by relevance below this many matches; more: in index order


_LAST_VISIT = "(SELECT max(v.visit_date) FROM visits v WHERE v.enterprise_id = e.id AND v.deleted = 0)"
PAGE_COLUMNS = (
    "id",
    "name",
    "tax_code",
    "address",
    "ward_code",
    "workforce_total",
    "status",
    "founded",
    "last_visit",
)


def page(
    store: Store, q: ListQuery, offset: int, limit: int, *, by_rank: bool = True
) -> list[dict[str, Any]]:
    """Rows ``offset`` .. ``offset + limit`` of the list: PAGE_COLUMNS, ``founded`` as a set of OrgKind.

    Searching without a chosen sort orders by relevance (``by_rank``); ranking tens of thousands of
    matches of a first typed letter costs ~100 ms, so callers pass ``by_rank=False`` above
    ``RANK_LIMIT`` matches and get the index order instead (instant). (Store.search_enterprises ranks up to 3,000: the list pages, so it must answer faster.)
    """
    source, where, params, has_fts = _where(q)
    if q.sort in SORT_COLUMNS:
        direction = "DESC" if q.descending else "ASC"
        order = f"{SORT_COLUMNS[q.sort]} {direction}, e.rid"
        if q.sort in ("workforce", "last_visit", "address"):
            # unknown values last whichever the direction
            order = f"{SORT_COLUMNS[q.sort]} IS NULL, {order}"
    elif has_fts and by_rank:
        order = f"{RANK}, e.rid"
    elif has_fts:
        order = "f.rowid"
    else:
        # By ward, then name: the order of the (ward_code, name) index, so the first page of 100,000
        # rows needs no sort (one ward: simply by name).
        order = "e.ward_code, e.name, e.rid"
    select_last = _LAST_VISIT if q.sort == "last_visit" else "NULL"
    sql = (
        f"SELECT e.id, e.name, e.tax_code, e.address, e.ward_code, e.workforce_total, e.status, "
        f"{select_last} AS last_visit FROM {source} WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?"
    )
    cur = store.conn.execute(sql, [*params, limit, offset])
    cols = [d[0] for d in cur.description]
    rows = [dict(zip(cols, r)) for r in cur.fetchall()]
    # The per-row extras for just this page, in two indexed look-ups.
    ids = [r["id"] for r in rows]
    if ids:
        marks = ", ".join("?" * len(ids))
        last = (
            {}
            if q.sort == "last_visit"
            else dict(
                store.conn.execute(
                    f"SELECT enterprise_id, max(visit_date) FROM visits WHERE enterprise_id IN ({marks}) AND deleted = 0 "
                    "GROUP BY enterprise_id",
                    ids,
                ).fetchall()
            )
        )
        founded: dict[str, set[OrgKind]] = {}
        for eid, value in store.conn.execute(
            f"SELECT enterprise_id, kind FROM organisations WHERE enterprise_id IN ({marks}) "
            "AND status = 'founded' AND deleted = 0",
            ids,
        ):
            kind = OrgKind.parse(value)
            if kind is not None:
                founded.setdefault(eid, set()).add(kind)  # type: ignore[arg-type]
        for row in rows:
            if q.sort != "last_visit":
                row["last_visit"] = last.get(row["id"])
            row["founded"] = frozenset(founded.get(row["id"], ()))
    return rows


def ward_codes_in_use(store: Store) -> list[str]:
    """Wards that have at least one enterprise (for the ward filter)."""
    return [
        r[0]
        for r in store.conn.execute(
            "SELECT DISTINCT ward_code FROM enterprises WHERE deleted = 0 ORDER BY ward_code"
        )
    ]


def total(store: Store) -> int:
    return store.conn.execute("SELECT count(*) FROM enterprises WHERE deleted = 0").fetchone()[0]


@dataclass(frozen=True)
class EnterpriseDetail:
    """Everything the detail view shows about one enterprise."""

    enterprise: Any  # app.domain.records.Enterprise
    visits: list[Any]  # newest first
    organisations: list[Any]
    admissions: list[Any]
    history: list[Any]  # app.services.history.HistoryEntry, newest first


def detail(store: Store, enterprise_id: str) -> EnterpriseDetail | None:
    from app.domain.records import Admission, Enterprise, Organisation, Visit
    from app.services.history import enterprise_history

    e = store.get(Enterprise, enterprise_id)
    if e is None:
        return None
    return EnterpriseDetail(
        enterprise=e,
        visits=store.children(Visit, enterprise_id, "visit_date DESC"),
        organisations=store.children(Organisation, enterprise_id, "kind"),
        admissions=store.children(Admission, enterprise_id, "admitted_on DESC"),
        history=enterprise_history(store, enterprise_id),
    )


def last_visit(store: Store, enterprise_id: str) -> Any:
    """The enterprise's latest visit (by date), to pre-fill the next one; None if never visited."""
    from app.domain.records import Visit

    visits = store.children(Visit, enterprise_id, "visit_date DESC, created_hlc DESC")
    return visits[0] if visits else None
