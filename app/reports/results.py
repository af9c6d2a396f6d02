"""The report of results for a unit and a period, computed from the database.

Definitions (docs/printing.md repeats them for the offices):
- The unit's enterprises: not deleted, in the ward (or, for a province, in any of its wards).
  Enterprises counted in the workforce table are those active or suspended (not dissolved or moved).
- An organisation *exists* at the period's end if it was founded on or before that day (status
  founded, or dissolved after that day); founded organisations without a decision date count as
  existing. Its members are those it has on the period's end day by the rule of
  ``app.domain.membership``: the latest count (founding members, a visit's count, or a count typed on
  its form with its day) plus the people admitted after that count.
- *Founded in the period*: organisations (founded or since dissolved) whose decision date falls in
  the period. *Admitted*: the sum of admissions' ``count`` with ``admitted_on`` in the period.
- Targets are yearly: the unit's own target for the year of the period (when a province has none
  of its own, the sum of its wards' targets). The excess is rounded as set in ``report.rounding``.
- Founding opportunities, the pool of candidates for the Party, probation and recognition, quality
  levels: ``app/reports/development.py``.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from app.domain import units
from app.domain.vnformat import Rounding, achievement, format_date
from app.domain.vocab import (
    DEFAULT_WORKFORCE_THRESHOLDS,
    MEMBER_NOUN,
    OrgKind,
    TargetMetric,
    workforce_groups,
)
from app.reports.development import Development, UnitReads, empty_ward, read_unit
from app.reports.development import compute as compute_development
from app.storage import work_facts
from app.storage.driver import dbapi
from app.storage.store import ScratchFile, Store, connect


class ReportError(ValueError):
    """The report cannot be made as asked (Vietnamese message; ``reason`` a stable code or "")."""

    def __init__(self, message: str, reason: str = ""):
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(date(year, 1, 1), date(year, 12, 31))

    @property
    def is_whole_year(self) -> bool:
        return self.start == date(self.start.year, 1, 1) and self.end == date(self.start.year, 12, 31)

    @property
    def label(self) -> str:
        """ "năm 2025", "6 tháng đầu năm 2025", "quý II năm 2025", or "từ ngày ... đến ngày ..."."""
        import calendar

        y = self.start.year
        if self.is_whole_year:
            return f"năm {y}"
        whole_months = self.start.day == 1 and self.end.day == calendar.monthrange(y, self.end.month)[1]
        if whole_months and self.start.month == 1 and self.end.month in (6, 9):
            return f"{self.end.month} tháng đầu năm {y}"
        quarters = {1: "I", 4: "II", 7: "III", 10: "IV"}
        if whole_months and self.start.month in quarters and self.end.month == self.start.month + 2:
            return f"quý {quarters[self.start.month]} năm {y}"
        return f"từ ngày {format_date(self.start)} đến ngày {format_date(self.end)}"


@dataclass
class Achievement:
    achieved: int
    target: int | None  # None: no target set
    ratio: str  # "16/15" (or "16" without a target)
    percent: Any  # Decimal percent of target, or None
    excess: Any  # Decimal excess over target (negative when short), or None
    verdict: str  # "Vượt", "Đạt", "Chưa đạt", "Không giao chỉ tiêu"
    reached: bool | None
    text: str  # "16/15, vượt 6,67%"
    short: str  # "vượt 6,67%", "đạt 100%", "đạt 85,00%", ""


def make_achievement(achieved: int, target: int | None, rounding: Rounding) -> Achievement:
    if target is None:
        return Achievement(
            achieved, None, str(achieved), None, None, "Không giao chỉ tiêu", None, f"{achieved}", ""
        )
    a = achievement(achieved, target, rounding)
    short = a["text"].split(", ", 1)[1] if ", " in a["text"] else ""
    return Achievement(
        achieved, target, a["ratio"], a["percent"], a["excess"], a["verdict"], a["reached"], a["text"], short
    )


@dataclass
class KindResult:
    kind: OrgKind
    label: str  # "Công đoàn cơ sở"
    member_noun: str  # "đoàn viên công đoàn"
    organisations: int  # existing at the period's end
    members: int  # their current members
    founded: Achievement
    admitted: Achievement


@dataclass
class WorkforceRow:
    code: str  # small / medium / large / unknown
    label: str
    enterprises: int
    workers: int
    with_party: int  # enterprises with an existing Party organisation
    with_union: int  # ... with an existing grassroots trade union


@dataclass
class WardRow:
    code: str
    name: str
    enterprises: int
    workers: int
    founded: dict[OrgKind, int]
    admitted: dict[OrgKind, int]


@dataclass
class ResultsReport:
    unit_code: str
    unit_name: str
    is_province: bool
    period: Period
    rounding: Rounding
    thresholds: tuple[int, int]
    enterprises: int  # active or suspended
    workers: int
    kinds: list[KindResult]
    workforce: list[WorkforceRow]
    wards: list[WardRow] = field(default_factory=list)  # offices above a ward only
    target_source: str = ""  # Vietnamese: where the targets come from
    # opportunities, the pool of candidates, probation, quality levels (app/reports/development.py)
    development: Development | None = None

    @property
    def targets_set(self) -> int:
        return sum(1 for k in self.kinds for a in (k.founded, k.admitted) if a.target is not None)

    @property
    def targets_reached(self) -> int:
        return sum(1 for k in self.kinds for a in (k.founded, k.admitted) if a.reached)

    def kind(self, kind: OrgKind) -> KindResult:
        return next(k for k in self.kinds if k.kind == kind)


# SQL fragments on report_organisations ``o`` (founded or dissolved, not deleted). ``:end`` is the last
# day of the period (ISO text compares as dates).
_EXISTS = (
    "(o.status = 'founded' AND (o.decision_date IS NULL OR o.decision_date <= :end) "
    "OR o.status = 'dissolved' AND o.decision_date <= :end AND o.dissolved_date > :end)"
)
_FOUNDED = "o.decision_date BETWEEN :start AND :end"
_ACTIVE = "e.status IN ('active', 'suspended')"  # of report_enterprises (none deleted)


def _members_sql() -> str:
    """Per kind: organisations existing at the period's end and their members then, by the rule of
    ``app.domain.membership``: the latest count on or before the end (on the same day the organisation's
    own before a visit's, a visit's before the founding count; of two visits the same day the larger),
    plus the admissions after it. A visit's count is the one kept in ``member_counts``
    (``app/storage/work_facts.py``: the latest visit that counted the kind) when that visit is on or
    before the end; only the organisations of enterprises visited after the end have their visits read,
    from the index of the visits by enterprise alone (migration 17 put the counts in it), in one look-up
    each: the latest day up to the end and, of two visits that day, the larger count, as one key (``late``:
    the day, the rank of a visit, then the count in twelve digits, so that ``max`` picks it). Each
    candidate count is a key, its day then its rank, so the latest is their ``max``: one pass over the
    organisations, nothing sorted; the keys are kept (``keyed``, one row per organisation existing at the
    end) so that the visits read for ``late`` are read once, not once for each use of it below.
    tests/reports/test_results.py checks it against the domain function on the demo data."""
    visit_count = work_facts.visit_members("o.kind")
    visits = (
        "FROM visits v WHERE v.enterprise_id = o.enterprise_id AND v.deleted = 0 "
        f"AND v.visit_date >= o.since AND v.visit_date <= :end AND {visit_count} IS NOT NULL"
    )
    sep = "char(1)"  # below every character of a day: a day before another sorts first
    return f"""
        WITH orgs AS NOT MATERIALIZED (
            SELECT o.enterprise_id, o.kind, coalesce(o.decision_date, '0001-01-01') AS since,
                   o.founding_members, o.members, o.members_counted_on, c.counted_on, c.members AS counted
            FROM report_organisations o
            LEFT JOIN member_counts c ON c.enterprise_id = o.enterprise_id AND c.kind = o.kind
            WHERE {_EXISTS}
        ),
        keyed AS MATERIALIZED (
            SELECT o.*,
                CASE WHEN o.founding_members IS NOT NULL THEN o.since || {sep} || '0' END AS kf,
                CASE WHEN o.members IS NOT NULL AND o.members_counted_on >= o.since
                     AND o.members_counted_on <= :end THEN o.members_counted_on || {sep} || '2' END AS ko,
                CASE WHEN o.counted_on >= o.since AND o.counted_on <= :end THEN o.counted_on || {sep} || '1' END AS kv,
                CASE WHEN o.counted_on > :end THEN (SELECT max(v.visit_date || {sep} || '1' || {sep} ||
                    printf('%012d', {visit_count})) {visits}) END AS late
            FROM orgs o
        ),
        best AS NOT MATERIALIZED (
            SELECT o.*, max(coalesce(o.kf, ''), coalesce(o.ko, ''), coalesce(o.kv, ''), coalesce(o.late, '')) AS k
            FROM keyed o
        ),
        based AS NOT MATERIALIZED (
            SELECT o.enterprise_id, o.kind, nullif(substr(o.k, 1, instr(o.k, {sep}) - 1), '') AS d,
                   CASE o.k WHEN '' THEN NULL WHEN o.ko THEN o.members WHEN o.kv THEN o.counted
                   WHEN o.kf THEN o.founding_members
                   ELSE CAST(substr(o.k, instr(o.k, {sep}) + 3) AS INTEGER) END AS n
            FROM best o
        )
        SELECT o.kind, count(*), sum(coalesce(o.n, 0) + coalesce((
            SELECT sum(a.count) FROM report_admissions a WHERE a.enterprise_id = o.enterprise_id AND a.kind = o.kind
              AND a.admitted_on <= :end AND a.admitted_on > coalesce(o.d, '0000-00-00')), 0))
        FROM based o
        GROUP BY o.kind
    """


REPORT_CACHE_KIB = 16_000  # the file's page cache while a province's report reads it (Store.smaller_cache)
REPORT_TABLES = ("report_enterprises", "report_organisations", "report_admissions")


@contextlib.contextmanager
def _scoped(store: Store, ward_codes: list[str], province: bool) -> Iterator[str]:
    """The report's tables filled for its wards (``_scope``) for the work inside, dropped after; yields
    their schema. A province's tables (hundreds of thousands of rows) go to the store's encrypted scratch
    file and the file's page cache is kept small meanwhile (it reads each table once, in its order): the
    window's reader would otherwise grow by both, over its memory target at 500,000 enterprises. A
    ward's few thousand rows stay in memory (``temp``)."""
    with contextlib.ExitStack() as stack:
        schema = "temp"
        if province:
            stack.enter_context(store.smaller_cache(REPORT_CACHE_KIB))
            schema = stack.enter_context(store.scratch())
        try:
            _scope(store, ward_codes, province, schema)
            yield schema
        finally:
            for table in REPORT_TABLES:
                with contextlib.suppress(dbapi.Error):
                    store.conn.execute(f"DROP TABLE IF EXISTS {schema}.{table}")


@contextlib.contextmanager
def _read_beside(
    store: Store, ward_codes: list[str], p: dict[str, Any], province: bool
) -> Iterator[Callable[[], UnitReads] | None]:
    """A province's ``UnitReads`` (the opportunities, the pool and a copy of the quality ratings: 2-4 s of
    reading at 500,000 enterprises, none of it from the report's own tables) read on a connection of its
    own, in a thread, while this thread fills the report's tables: the machine's second core does it. The
    ratings go to a scratch file of their own (``UnitReads.ratings``), which this thread attaches when it
    counts them, and which is deleted here after. Yields what returns
    them (waiting for them, raising what stopped them). Should the report stop first (an error, the
    window's stop), that connection's query is interrupted and the thread awaited before this returns.
    A ward's report (a moment's reading) and a store in memory read them in turn (yields ``None``).

    The two connections read the file in two transactions: a write committed between them (an import)
    may be counted by one part of the report and not the other, as it may between two statements of one
    connection."""
    if not province or store.path is None:
        yield None
        return
    path, key = store.path, store.key
    ratings = ScratchFile.beside(path, shared=True)  # the quality ratings, read there too (deleted below)
    lock = threading.Lock()
    stopped = False
    reading: dbapi.Connection | None = None  # the connection of the thread while it reads

    def read() -> UnitReads:
        nonlocal reading
        conn = connect(path, key)
        try:
            with lock:
                if stopped:
                    raise ReportError("Đã dừng lập báo cáo.")
                reading = conn
            conn.execute(f"PRAGMA cache_size = -{REPORT_CACHE_KIB}")
            conn.execute("CREATE TEMP TABLE report_wards (code TEXT PRIMARY KEY)")
            conn.executemany("INSERT INTO report_wards(code) VALUES (?)", [(c,) for c in ward_codes])
            return read_unit(conn, p, ratings)
        finally:
            with lock:
                reading = None
            conn.close()

    try:
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="report-reads") as pool:
            future = pool.submit(read)
            try:
                yield future.result
            finally:
                with lock:
                    stopped = True
                    if reading is not None:
                        reading.interrupt()
    finally:  # the thread has ended, and the report has detached the file
        ratings.delete()


def _scope(store: Store, ward_codes: list[str], province: bool, schema: str = "temp") -> None:
    """Fill the report's tables in ``schema`` (``temp``: in memory, per connection; or the store's
    scratch file) for its wards: their enterprises not deleted (``report_enterprises``), the
    organisations of those founded or dissolved (``report_organisations``) and their admissions
    (``report_admissions``), both not deleted. Each table of the file is read once; every figure is then
    counted from these, where a look-up in the file reads and decrypts a page of a file of gigabytes for
    each record. A province reads every table once in its order (the enterprises in that of their narrow
    index ``enterprises_report``, the organisations and the admissions in that of their index by enterprise,
    each carrying what it reads of them); a ward finds its own enterprises
    through the ward's index, and their records through the enterprise's. The queries name the tables
    without a schema: none of these names may be left in ``temp`` when they are in the scratch file
    (``_scoped`` drops them after each report)."""
    q = store.conn.execute
    q("CREATE TEMP TABLE IF NOT EXISTS report_wards (code TEXT PRIMARY KEY)")
    q("DELETE FROM report_wards")
    store.conn.executemany("INSERT INTO report_wards(code) VALUES (?)", [(c,) for c in ward_codes])
    for table in REPORT_TABLES:
        q(f"DROP TABLE IF EXISTS temp.{table}")  # an earlier report's, should its drop have failed
    q(
        f"CREATE TABLE {schema}.report_enterprises (id TEXT PRIMARY KEY, ward_code TEXT NOT NULL, "
        "status TEXT NOT NULL, workforce_total INTEGER) WITHOUT ROWID"
    )
    q(
        "INSERT INTO report_enterprises(id, ward_code, status, workforce_total) "
        "SELECT id, ward_code, status, workforce_total FROM enterprises "
        f"{'INDEXED BY enterprises_report ' if province else ''}"
        "WHERE deleted = 0 AND ward_code IN (SELECT code FROM report_wards) ORDER BY id"  # pages filled
    )
    q(
        f"CREATE TABLE {schema}.report_organisations (id TEXT NOT NULL, enterprise_id TEXT NOT NULL, "
        "kind TEXT NOT NULL, status TEXT NOT NULL, decision_date TEXT, dissolved_date TEXT, founding_members "
        "INTEGER, members INTEGER, members_counted_on TEXT, PRIMARY KEY (enterprise_id, kind, id)) WITHOUT ROWID"
    )
    q(
        f"CREATE TABLE {schema}.report_admissions (enterprise_id TEXT NOT NULL, kind TEXT NOT NULL, "
        "admitted_on TEXT, count INTEGER NOT NULL, official_on TEXT, official_count INTEGER)"
    )
    q(
        f"CREATE INDEX {schema}.report_admissions_enterprise "
        "ON report_admissions(enterprise_id, kind, admitted_on)"
    )
    # both read the records through their index by enterprise (``<table>_enterprise``: since migration 18
    # it carries every column read here). A province reads that whole index, in the enterprises' order, each
    # record's enterprise looked up in report_enterprises: never the tables, whose notes, names and sync
    # columns would be read and decrypted with the rest (2-3 times as long at 500,000 enterprises). A ward
    # looks its enterprises' records up in it.
    join = (
        "{table} {alias} INDEXED BY {table}_enterprise CROSS JOIN report_enterprises e"
        if province
        else "report_enterprises e CROSS JOIN {table} {alias}"
    )
    q(
        "INSERT INTO report_organisations SELECT o.id, o.enterprise_id, o.kind, o.status, o.decision_date, "
        "o.dissolved_date, o.founding_members, o.members, o.members_counted_on "
        f"FROM {join.format(table='organisations', alias='o')} ON e.id = o.enterprise_id "
        "WHERE o.deleted = 0 AND o.status IN ('founded', 'dissolved') ORDER BY o.enterprise_id, o.kind, o.id"
    )
    q(
        "INSERT INTO report_admissions SELECT a.enterprise_id, a.kind, a.admitted_on, a.count, a.official_on, "
        f"a.official_count FROM {join.format(table='admissions', alias='a')} ON e.id = a.enterprise_id "
        "WHERE a.deleted = 0 "
        "ORDER BY a.enterprise_id, a.kind, a.admitted_on"
    )
    # the planner then knows a ward's few records from a province's many; from a sample of each index
    # (analysis_limit): the whole tables, 0.4 s at 500,000 enterprises, tell it nothing more for that
    limit = q("PRAGMA analysis_limit").fetchone()[0]
    q("PRAGMA analysis_limit = 1000")
    try:
        q(f"ANALYZE {schema}")
    finally:
        q(f"PRAGMA analysis_limit = {int(limit)}")


_GROUP_SQL = (
    "CASE WHEN e.workforce_total IS NULL THEN 'unknown' WHEN e.workforce_total < :low THEN 'small' "
    "WHEN e.workforce_total < :high THEN 'medium' ELSE 'large' END"
)


@dataclass
class _ProvinceNumbers:
    """A province's numbers, each read once by ward (the province's totals are their sums)."""

    existing: dict[str, tuple[int, int]]  # kind -> (organisations existing at the end, their members)
    workforce: dict[str, tuple[int, int, int, int]]  # group -> (enterprises, workers, with party, with union)
    enterprises: dict[str, tuple[int, int]]  # ward -> (active enterprises, workers)
    founded: dict[str, dict[OrgKind, int]]  # ward -> kind -> founded in the period
    admitted: dict[str, dict[OrgKind, int]]  # ward -> kind -> members admitted in the period

    def founded_total(self) -> dict[str, int]:
        return _totals(self.founded)

    def admitted_total(self) -> dict[str, int]:
        return _totals(self.admitted)


def _totals(by_ward: dict[str, dict[OrgKind, int]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for counts in by_ward.values():
        for kind, n in counts.items():
            out[kind.value] = out.get(kind.value, 0) + (n or 0)
    return out


def _province_numbers(store: Store, p: dict[str, Any]) -> _ProvinceNumbers:
    """At a province the report reads every organisation and admission of hundreds of thousands of
    enterprises. Each query reads the report's table of them once, in the enterprises' order (``_scope``
    filled them so: never a look-up per row reading and decrypting a page of a file of gigabytes), groups
    the organisations (one pass for what exists, what was founded and which enterprises have a Party
    organisation or a trade union) or the admissions by enterprise, and looks the enterprises up in
    ``report_enterprises``. A ward's report (a few thousand enterprises) starts from its enterprises
    instead.
    """
    q = store.conn.execute
    # One pass over the organisations founded or dissolved: per enterprise and kind, how many exist at
    # the end of the period (and their members) and how many were founded in it; then per ward, kind,
    # workforce group and whether the enterprise is active.
    existing: dict[str, tuple[int, int]] = {}
    has: dict[str, dict[str, int]] = {}  # group -> kind -> active enterprises with one existing
    founded: dict[str, dict[OrgKind, int]] = {}
    for ward, k, g, active, n, m, f, with_one in q(
        f"SELECT e.ward_code, x.kind, {_GROUP_SQL} AS g, e.status IN ('active', 'suspended') AS act, "
        "sum(x.n), sum(x.m), sum(x.f), sum(x.n > 0) FROM (SELECT o.enterprise_id, o.kind, "
        f"sum(CASE WHEN {_EXISTS} THEN 1 ELSE 0 END) AS n, sum(CASE WHEN {_EXISTS} THEN o.members END) AS m, "
        f"sum(CASE WHEN {_FOUNDED} THEN 1 ELSE 0 END) AS f FROM report_organisations o "
        "GROUP BY o.enterprise_id, o.kind) x "
        "JOIN report_enterprises e ON e.id = x.enterprise_id GROUP BY e.ward_code, x.kind, g, act",
        p,
    ):
        if n:
            before = existing.get(k, (0, 0))
            existing[k] = (before[0] + n, before[1] + (m or 0))
        if f:
            by_kind = founded.setdefault(ward, {})
            by_kind[OrgKind(k)] = by_kind.get(OrgKind(k), 0) + f
        if active and with_one:
            has.setdefault(g, {})[k] = has.get(g, {}).get(k, 0) + with_one
    # the members of what exists: by the rule of app.domain.membership (the latest count, founding, a
    # visit's or the organisation's own, plus the admissions after it), as a ward's report counts them
    existing = {k: (n, m or 0) for k, n, m in q(_members_sql(), p)}
    workforce: dict[str, tuple[int, int, int, int]] = {}
    enterprises: dict[str, tuple[int, int]] = {}
    for ward, g, n, w in q(
        f"SELECT e.ward_code, {_GROUP_SQL} AS g, count(*), sum(e.workforce_total) FROM report_enterprises e "
        f"WHERE {_ACTIVE} GROUP BY e.ward_code, g",
        p,
    ):
        before = workforce.get(g, (0, 0, 0, 0))
        workforce[g] = (before[0] + n, before[1] + (w or 0), 0, 0)
        e_n, e_w = enterprises.get(ward, (0, 0))
        enterprises[ward] = (e_n + n, e_w + (w or 0))
    for g, kinds in has.items():
        n, w, _hp, _hu = workforce.get(g, (0, 0, 0, 0))
        workforce[g] = (n, w, kinds.get("party", 0), kinds.get("union", 0))
    admitted: dict[str, dict[OrgKind, int]] = {}
    for c, k, n in q(
        "SELECT e.ward_code, x.kind, sum(x.n) FROM (SELECT a.enterprise_id, a.kind, sum(a.count) AS n "
        "FROM report_admissions a WHERE a.admitted_on BETWEEN :start AND :end "
        "GROUP BY a.enterprise_id, a.kind) x "
        "JOIN report_enterprises e ON e.id = x.enterprise_id GROUP BY e.ward_code, x.kind",
        p,
    ):
        admitted.setdefault(c, {})[OrgKind(k)] = n
    return _ProvinceNumbers(existing, workforce, enterprises, founded, admitted)


def compute(
    store: Store,
    unit_code: str,
    period: Period,
    *,
    rounding: Rounding = Rounding.HALF_UP,
    thresholds: tuple[int, int] = DEFAULT_WORKFORCE_THRESHOLDS,
    today: date | None = None,
) -> ResultsReport:
    """The report for ``unit_code`` over ``period``, made on ``today`` (default: the real today)."""
    u = units.unit(unit_code)
    if u is None:
        raise ReportError(f"Mã đơn vị «{unit_code}» không có trong danh mục.", reason="unknown_unit")
    if period.end < period.start:
        raise ReportError("Ngày kết thúc kỳ báo cáo phải sau ngày bắt đầu.")
    if period.start.year != period.end.year:
        raise ReportError("Kỳ báo cáo phải nằm trong một năm (chỉ tiêu giao theo năm).")
    low, high = thresholds
    p = {"start": period.start.isoformat(), "end": period.end.isoformat(), "low": low, "high": high}
    codes = units.ward_codes(unit_code)
    with (
        _read_beside(store, codes, p, u.is_province) as reads,
        _scoped(store, codes, u.is_province) as schema,
    ):
        return _compute(store, u, period, p, rounding, schema, today, reads)


def _compute(
    store: Store,
    u: units.Unit,
    period: Period,
    p: dict[str, Any],
    rounding: Rounding,
    schema: str,
    today: date | None,
    reads: Callable[[], UnitReads] | None = None,
) -> ResultsReport:
    """``compute`` once the report's tables are filled (in ``schema``)."""
    low, high = p["low"], p["high"]
    q = store.conn.execute

    if u.is_province:
        by_ward = _province_numbers(store, p)
        existing = by_ward.existing
        founded, admitted = by_ward.founded_total(), by_ward.admitted_total()
    else:
        existing = {k: (n, m or 0) for k, n, m in q(_members_sql(), p)}
        founded = dict(
            q(
                f"SELECT o.kind, count(*) FROM report_organisations o WHERE {_FOUNDED} GROUP BY o.kind",
                p,
            ).fetchall()
        )
        admitted = dict(
            q(
                "SELECT a.kind, sum(a.count) FROM report_admissions a "
                "WHERE a.admitted_on BETWEEN :start AND :end GROUP BY a.kind",
                p,
            ).fetchall()
        )
    targets, source = _targets(store, u, period.start.year)

    kinds = []
    for kind in OrgKind:
        n, members = existing.get(kind.value, (0, 0))
        kinds.append(
            KindResult(
                kind,
                kind.label,
                MEMBER_NOUN[kind],
                n,
                members,
                make_achievement(
                    founded.get(kind.value, 0),
                    targets.get((kind.value, TargetMetric.ORGANISATIONS.value)),
                    rounding,
                ),
                make_achievement(
                    admitted.get(kind.value, 0) or 0,
                    targets.get((kind.value, TargetMetric.MEMBERS.value)),
                    rounding,
                ),
            )
        )

    if u.is_province:
        rows = by_ward.workforce
    else:
        has = (
            "EXISTS (SELECT 1 FROM report_organisations o WHERE o.enterprise_id = e.id AND o.kind = '{kind}' "
            f"AND ({_EXISTS}))"
        )
        rows = {
            g: (n, w or 0, hp, hu)
            for g, n, w, hp, hu in q(
                f"SELECT {_GROUP_SQL} AS g, count(*), sum(e.workforce_total), "
                f"sum({has.format(kind='party')}), sum({has.format(kind='union')}) "
                f"FROM report_enterprises e WHERE {_ACTIVE} GROUP BY g",
                p,
            )
        }
    workforce = [
        WorkforceRow(code, label, *rows.get(code, (0, 0, 0, 0)))
        for code, label in workforce_groups((low, high))
    ]

    wards: list[WardRow] = []
    if u.is_province:
        ent, f_by, a_by = by_ward.enterprises, by_ward.founded, by_ward.admitted
        for code in sorted(set(ent) | set(f_by) | set(a_by), key=lambda c: _ward_sort_key(c)):
            w = units.ward(code)
            n, workers = ent.get(code, (0, 0))
            wards.append(
                WardRow(
                    code,
                    w.name if w else code,
                    n,
                    workers,
                    {k: f_by.get(code, {}).get(k, 0) for k in OrgKind},
                    {k: a_by.get(code, {}).get(k, 0) for k in OrgKind},
                )
            )

    total_e = sum(r.enterprises for r in workforce)
    total_w = sum(r.workers for r in workforce)

    development = _development(store, u, period, today, wards, schema, reads)
    return ResultsReport(
        u.code,
        u.name,
        u.is_province,
        period,
        rounding,
        (low, high),
        total_e,
        total_w,
        kinds,
        workforce,
        wards,
        source,
        development,
    )


def _development(
    store: Store,
    u: units.Unit,
    period: Period,
    today: date | None,
    wards: list[WardRow],
    schema: str,
    reads: Callable[[], UnitReads] | None,
) -> Development:
    """The development part for the unit whose wards are in ``report_wards`` (its tables in ``schema``)."""

    def ward_name(code: str) -> str:
        w = units.ward(code)
        return w.name if w else code

    development = compute_development(
        store,
        period.start,
        period.end,
        as_of=today or date.today(),
        by_ward=u.is_province,
        ward_name=ward_name,
        schema=schema,
        reads=reads,
    )
    if u.is_province:  # every ward of the first ward table has its line in the second
        shown = {r.code for r in development.wards}
        development.wards += [empty_ward(r.code, r.name) for r in wards if r.code not in shown]
    development.wards.sort(key=lambda r: _ward_sort_key(r.code))
    return development


def development_for(store: Store, unit_code: str, period: Period, today: date | None = None) -> Development:
    """Only the development part of the report (opportunities, pool, probation, quality levels), as
    the report computes it: the window shows these numbers beside the targets."""
    u = units.unit(unit_code)
    if u is None:
        raise ReportError(f"Mã đơn vị «{unit_code}» không có trong danh mục.", reason="unknown_unit")
    codes = units.ward_codes(unit_code)
    p = {"start": period.start.isoformat(), "end": period.end.isoformat()}
    with (
        _read_beside(store, codes, p, u.is_province) as reads,
        _scoped(store, codes, u.is_province) as schema,
    ):
        return _development(store, u, period, today, [], schema, reads)


def _ward_sort_key(code: str) -> str:
    from app.domain.text import fold

    w = units.ward(code)
    return fold(w.name) if w else code


def _targets(store: Store, u: units.Unit, year: int) -> tuple[dict[tuple[str, str], int], str]:
    """{(kind, metric): value} for the unit and year, and a note on where they come from."""
    own, given = _target_rows(store, [u.code], year)
    by = f" ({', '.join(sorted(given))})" if given else ""
    if own or not u.is_province:
        return own, (f"chỉ tiêu năm {year} của {u.name}{by}" if own else f"chưa giao chỉ tiêu năm {year}")
    summed, given = _target_rows(store, [w.code for w in units.wards(u.code)], year)
    if summed:
        by = f" ({', '.join(sorted(given))})" if given else ""
        return summed, f"tổng chỉ tiêu năm {year} của các phường, xã{by}"
    return {}, f"chưa giao chỉ tiêu năm {year}"


def _target_rows(
    store: Store, unit_codes: list[str], year: int
) -> tuple[dict[tuple[str, str], int], set[str]]:
    """Per unit the value of each (kind, metric) that applies (set by the highest office above this
    machine, else the newest: ``app/storage/from_above.py``), summed; and who above set them ("do ...
    giao")."""
    from app.storage import from_above

    out: dict[tuple[str, str], int] = {}
    given: set[str] = set()
    for per_unit in from_above.targets_of_units(store.conn, unit_codes, year).values():
        for key, t in per_unit.items():
            if t.value:  # a target of 0 means nothing was asked: shown as "không giao chỉ tiêu"
                out[key] = out.get(key, 0) + t.value
                if t.source.above:
                    given.add(t.source.phrase)
    return out, given


def report_for(
    store: Store, unit_code: str, period: Period, today: date | None = None
) -> tuple[ResultsReport, Any]:
    """The report with the unit's settings (rounding, thresholds) applied; returns (report, settings)."""
    from app.reports.settings import load

    settings = load(store, unit_code)
    return compute(
        store,
        unit_code,
        period,
        rounding=settings.rounding,
        thresholds=settings.thresholds,
        today=today,
    ), settings
