"""The enterprise list: search, filters, sorting and paging in SQL (no Qt).

The desktop list shows 500,000 enterprises by asking for one page at a time; ``count`` gives the
number of rows for the scroll bar and the status bar. Search uses the store's full-text index on
folded text and ranks as ``Store.search_enterprises`` does (``app.storage.search``), so
"nguyen thi hang" finds "Nguyễn Thị Hằng", and the enterprise whose representative she is comes first.
"""

from __future__ import annotations

import calendar
import dataclasses
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from app.domain import units
from app.domain.vocab import (  # noqa: F401  (WorkforceGroup, workforce_groups: part of the list's interface)
    DEFAULT_WORKFORCE_THRESHOLDS,
    EnterpriseStatus,
    OrgKind,
    WorkforceGroup,
    workforce_groups,
)
from app.storage import list_facts, search
from app.storage.store import Store

SORT_COLUMNS: dict[str, str] = {
    "name": "e.name",
    "owner": "e.owner_name",
    "tax_code": "e.tax_code",
    "address": "e.address",
    "ward": "e.ward_code",
    "workforce": "e.workforce_total",
    "status": "e.status",
    "last_visit": "e.last_visit",
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
    unit_code: str | None = None  # a ward or a province: every ward it covers (batches of forms)
    next_visit_from: date | None = None  # the latest visit set the next visit in [from, to]
    next_visit_to: date | None = None
    # this collaborator's laptop: the enterprises assigned to it come first (phân công, "của tôi")
    mine: str | None = None
    only_mine: bool = False  # only the enterprises assigned to ``mine``
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
            or self.unit_code
            or self.next_visit_from
            or self.next_visit_to
            or (self.only_mine and self.mine)
        )


def months_before(day: date, months: int) -> date:
    """The same day ``months`` months earlier (the month's last day if it has fewer days)."""
    y, m = divmod(day.year * 12 + day.month - 1 - months, 12)
    m += 1
    return date(y, m, min(day.day, calendar.monthrange(y, m)[1]))


_KEPT = "+e.deleted = 0"


def _conditions(q: ListQuery) -> tuple[list[str], list[Any]]:
    """The list's filters other than the text, as conditions on the enterprise ``e``."""
    params: list[Any] = []
    # "+": not a reason to read enterprises_facts by its first column: the list is read in the order of
    # the (ward, name) index and stops at a page; counts read enterprises_facts whole (it covers them)
    conds = [_KEPT]
    if q.statuses:
        conds.append(f"e.status IN ({', '.join('?' * len(q.statuses))})")
        params.extend(sorted(s.value for s in q.statuses))
    if q.missing:  # the kinds founded are kept on the row (app/storage/list_facts.py)
        conds.append("(e.founded & ?) = 0")
        params.append(sum(list_facts.BITS[k] for k in q.missing))
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
        since = months_before(q.today, q.not_visited_months)
        # the last visit is on the row too, with those of others the office told of (list_facts.py)
        conds.append("(e.last_visit IS NULL OR e.last_visit < ?)")
        params.append(since.isoformat())
    if q.ward_code:
        conds.append("e.ward_code = ?")
        params.append(q.ward_code)
    if q.only_mine and q.mine:
        conds.append(_MINE)
        params.append(q.mine)
    if q.unit_code:
        wards = units.ward_codes(q.unit_code)
        conds.append(f"e.ward_code IN ({', '.join('?' * len(wards))})")
        params.extend(wards)
    if q.next_visit_from or q.next_visit_to:
        # the next-visit date set by the enterprise's latest visit
        conds.append(
            "(SELECT v.next_visit_date FROM visits v WHERE v.enterprise_id = e.id AND v.deleted = 0 "
            "ORDER BY v.visit_date DESC, v.created_hlc DESC LIMIT 1) BETWEEN ? AND ?"
        )
        params.append((q.next_visit_from or date(1900, 1, 1)).isoformat())
        params.append((q.next_visit_to or date(9999, 12, 31)).isoformat())
    return conds, params


def _where(q: ListQuery) -> tuple[str, str, list[Any], search.Terms | None]:
    """(FROM ... clause, WHERE clause, params, the search words or None)."""
    conds, params = _conditions(q)
    t = search.terms(q.text)
    if t is None:
        return "enterprises e", " AND ".join(conds), params, None
    source = "enterprise_fts f JOIN enterprises e ON e.rid = f.rowid"
    return source, " AND ".join(["enterprise_fts MATCH ?", *conds]), [search.match_expression(t), *params], t


def count(store: Store, q: ListQuery, cap: int | None = None) -> int:
    """Rows matching ``q``; with ``cap``, stop counting there (returns ``cap`` if there are at least that many)."""
    source, where, params, t = _where(q)
    if t is not None and not q.replace(text="").filtered:
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


COUNT_CAP = 1000  # a keystroke's count stops here (the exact count follows when typing pauses)
HEAD = 1000  # searching: the first HEAD rows are in rank order (search.ranked), the rest in index order

_MINE = (
    "EXISTS (SELECT 1 FROM assignments a WHERE a.enterprise_id = e.id AND a.assignee = ? AND a.deleted = 0)"
)
_SELECT = (
    "e.rid, e.id, e.name, e.short_name, e.tax_code, e.address, e.ward_code, e.owner_name, "
    "e.workforce_total, e.status, e.last_visit, e.founded"
)
PAGE_COLUMNS = (
    "id",
    "name",
    "short_name",
    "tax_code",
    "address",
    "ward_code",
    "owner_name",
    "workforce_total",
    "status",
    "founded",
    "last_visit",
    "assignee",
    "mine",
    "matched",
)


def page(store: Store, q: ListQuery, offset: int, limit: int) -> list[dict[str, Any]]:
    """Rows ``offset`` .. ``offset + limit`` of the list: PAGE_COLUMNS, ``founded`` as a set of OrgKind,
    ``matched`` the fields where a searched word was found (empty when not searching).

    Searching without a chosen sort orders the first ``HEAD`` rows by rank (``search.ranked``: a
    representative's whole name first, then by relevance), the rest in index order; else by ward and
    name, or by the chosen column.
    """
    source, where, params, t = _where(q)
    if t is not None and q.sort not in SORT_COLUMNS:
        rows = _ranked_page(store, q, t, offset, limit)
    else:
        if q.sort in SORT_COLUMNS:
            direction = "DESC" if q.descending else "ASC"
            order = f"{SORT_COLUMNS[q.sort]} {direction}, e.rid"
            if q.sort in ("workforce", "last_visit", "address", "owner"):
                # unknown values last whichever the direction
                order = f"{SORT_COLUMNS[q.sort]} IS NULL, {order}"
        else:
            # By ward, then name: the order of the (ward_code, name) index, so the first page of 100,000
            # rows needs no sort (one ward: simply by name).
            order = "e.ward_code, e.name, e.rid"
        if q.mine and not q.only_mine and q.sort not in SORT_COLUMNS:
            # a collaborator's own enterprises first ("của tôi"), then the others of its ward
            rows = _mine_first(store, where, params, q.mine, offset, limit)
        else:
            rows = _dicts(
                store.conn.execute(
                    f"SELECT {_SELECT} FROM {source} WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?",
                    [*params, limit, offset],
                )
            )
    for row in rows:
        row["founded"] = list_facts.kinds(row["founded"])
    _add_assignments(store, rows, q.mine)
    matched = search.matched_fields(t, rows) if t is not None else [frozenset()] * len(rows)
    for row, m in zip(rows, matched):
        row.pop("rid", None)
        row["matched"] = m
    return rows


def _mine_first(
    store: Store, where: str, params: list[Any], mine: str, offset: int, limit: int
) -> list[dict[str, Any]]:
    """The page of ``ORDER BY <assigned to mine> DESC, ward, name``, without sorting the whole list:
    the laptop's own enterprises (found through its assignments) in (ward, name) order, then the
    others in the order of the (ward_code, name) index, read only as far as the page. Sorting every
    enterprise for each page read all of them: on 100,000, 12,600 pages for the first page (75 ms of
    CPU, twice that encrypted, where each page read is decrypted), against about 240 this way."""
    own = "e.id IN (SELECT a.enterprise_id FROM assignments a WHERE a.assignee = ? AND a.deleted = 0)"
    order = "ORDER BY e.ward_code, e.name, e.rid LIMIT ? OFFSET ?"
    n_own = store.conn.execute(
        f"SELECT count(*) FROM enterprises e WHERE {where} AND {own}", [*params, mine]
    ).fetchone()[0]
    rows = []
    if offset < n_own:
        rows = _dicts(
            store.conn.execute(
                f"SELECT {_SELECT} FROM enterprises e WHERE {where} AND {own} {order}",
                [*params, mine, limit, offset],
            )
        )
    if len(rows) < limit:
        rows += _dicts(
            store.conn.execute(
                f"SELECT {_SELECT} FROM enterprises e WHERE {where} AND NOT {_MINE} {order}",
                [*params, mine, limit - len(rows), max(0, offset - n_own)],
            )
        )
    return rows


def _dicts(cur: Any) -> list[dict[str, Any]]:
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]


def _ranked_page(
    store: Store, q: ListQuery, t: search.Terms, offset: int, limit: int
) -> list[dict[str, Any]]:
    conds, cparams = _conditions(q)
    # the search holds to "not deleted" itself (its indexes hold only those): the other filters, if any
    flt = search.Filter(" AND ".join(c for c in conds if c != _KEPT), tuple(cparams))
    head = [rid for rid, _tier in search.ranked(store.conn, t, min(offset + limit, HEAD), flt)]
    rids = head[offset : offset + limit]
    rows = []
    if rids:
        by_rid = {
            r["rid"]: r
            for r in _dicts(
                store.conn.execute(
                    f"SELECT {_SELECT} FROM enterprises e WHERE e.rid IN (SELECT value FROM json_each(?))",
                    (_json_list(rids),),
                )
            )
        }
        rows = [by_rid[r] for r in rids if r in by_rid]
    rest = limit - len(rows)
    if rest > 0 and len(head) == HEAD:  # beyond the ranked head: the other matches in index order
        source, where, params, _t = _where(q)
        rows += _dicts(
            store.conn.execute(
                f"SELECT {_SELECT} FROM {source} WHERE {where} "
                f"AND f.rowid NOT IN (SELECT value FROM json_each(?)) ORDER BY f.rowid LIMIT ? OFFSET ?",
                [*params, _json_list(head), rest, max(0, offset - HEAD)],
            )
        )
    return rows


def _json_list(values: list[int]) -> str:
    return "[" + ",".join(map(str, values)) + "]"


def _add_assignments(store: Store, rows: list[dict[str, Any]], mine: str | None) -> None:
    """For just this page, in indexed look-ups: the assignee (``assignee``: a name; ``mine``: assigned to
    this laptop). (The last visit on the row counts the office's visit summaries already:
    ``app/storage/list_facts.py``.)"""
    ids = [r["id"] for r in rows]
    if not ids:
        return
    marks = ", ".join("?" * len(ids))
    assigned = {
        eid: (who, name)
        for eid, who, name in store.conn.execute(
            f"SELECT enterprise_id, assignee, assignee_name FROM assignments WHERE enterprise_id IN ({marks}) "
            "AND deleted = 0 AND assignee IS NOT NULL",
            ids,
        )
    }
    for row in rows:
        who, name = assigned.get(row["id"], (None, None))
        row["mine"] = who is not None and who == mine
        row["assignee"] = name or who


# The order a collaborator walks a ward: by ward, then street address (none last), then name.
WALK_ORDER = "e.ward_code, e.address IS NULL, e.address, e.name, e.rid"


def ids(store: Store, q: ListQuery, order: str = WALK_ORDER) -> list[str]:
    """The ids of every enterprise matching ``q`` (batches of forms), in ``order``."""
    source, where, params, _terms = _where(q)
    return [
        r[0] for r in store.conn.execute(f"SELECT e.id FROM {source} WHERE {where} ORDER BY {order}", params)
    ]


def has_assignments(store: Store) -> bool:
    """Whether any enterprise here is assigned to a collaborator (phân công): the list shows who."""
    return bool(
        store.conn.execute(
            "SELECT EXISTS (SELECT 1 FROM assignments WHERE deleted = 0 AND assignee IS NOT NULL)"
        ).fetchone()[0]
    )


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
    admissions: list[Any]  # newest first
    history: list[Any]  # app.services.history.HistoryEntry, newest first
    ratings: list[Any] = field(default_factory=list)  # quality levels, the latest year first


def detail(store: Store, enterprise_id: str) -> EnterpriseDetail | None:
    from app.domain.records import Admission, Enterprise, Organisation, QualityRating, Visit
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
        ratings=store.children(QualityRating, enterprise_id, "year DESC, kind"),
    )


def last_visit(store: Store, enterprise_id: str) -> Any:
    """The enterprise's latest visit (by date), to pre-fill the next one; None if never visited."""
    from app.domain.records import Visit

    visits = store.children(Visit, enterprise_id, "visit_date DESC, created_hlc DESC")
    return visits[0] if visits else None
