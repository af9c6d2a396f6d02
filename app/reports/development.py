"""What the report adds for issue 17: founding opportunities, the pool of candidates for the Party
(nguồn phát triển đảng viên), probationary members recognised as official (and those overdue), and
the yearly quality levels of organisations, for a unit and a period, by ward for an office above a ward.

Definitions (docs/printing.md repeats them for the offices):
- *Opportunities* are counted when the report is made, as the work list shows them
  (``app/storage/work_facts.py``): active enterprises of the unit whose latest visit found at least
  the founding minimum of members of a kind with no organisation of that kind founded. One
  enterprise may be an opportunity for several kinds; ``enterprises`` counts it once.
- *The pool* is what the latest visit up to the period's end found in each enterprise of the unit
  (active or suspended): outstanding people followed (quần chúng ưu tú), of whom some attended the
  class on the Party and some applied; ``enterprises`` counts those with at least one person
  followed. *Admitted* is the Party admissions dated in the period (as in section II).
- *Probation* (``app.domain.probation``): a Party admission's probation ends 12 months after it.
  *Recognised* are the admissions whose recognition as official (``official_on``) falls in the
  period: ``decisions`` admissions, ``people`` recognised, ``not_recognised`` the rest of their
  people. *Due* are the people whose probation ended in the period. *Overdue* are the admissions
  whose probation ended before the period's last day with no recognition recorded on or before that
  day; *probationary* the people still in their probation on that day. For a period not yet over,
  "the period's last day" is the report's day (``as_of``).
- *Quality levels* are those of the period's year (the newest rating of an organisation and year
  counts, should two places have rated it); when no organisation of the unit is rated for that year
  yet, the year before (``year`` says which, ``year_note`` says why). *Not rated* are the
  organisations that existed at the end of that year without a level.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from app.domain.probation import due_on, recognised
from app.domain.vocab import OrgKind, QualityLevel
from app.storage import work_facts
from app.storage.driver import dbapi
from app.storage.store import ScratchFile, Store

# kinds of organisation that have founding minimums people act on (all five; the Party first)
KINDS: tuple[OrgKind, ...] = tuple(OrgKind)
LEVELS: tuple[QualityLevel, ...] = tuple(QualityLevel)


@dataclass
class Opportunities:
    by_kind: dict[OrgKind, int]  # active enterprises with a founding opportunity of the kind
    enterprises: int  # with at least one
    minimums: dict[OrgKind, int | None]  # the founding minimums (None: not set, no opportunity counted)


@dataclass
class Pool:
    enterprises: int  # with at least one person followed
    identified: int  # quần chúng ưu tú
    trained: int  # attended the class on the Party
    applied: int  # applied to join
    admitted: int  # Party admissions dated in the period


@dataclass
class Probation:
    decisions: int  # admissions recognised in the period
    people: int  # people recognised as official in the period
    not_recognised: int  # people of those admissions not recognised
    due: int  # people whose probation ended in the period
    overdue: int  # admissions overdue at the period's end
    overdue_people: int
    probationary: int  # people still probationary on the period's last day
    as_of: date  # that day: the period's last, or the report's day when the period is not over


@dataclass
class Quality:
    year: int
    year_note: str  # "" or why another year than the period's is shown
    levels: dict[OrgKind, dict[QualityLevel, int]]
    not_rated: dict[OrgKind, int]

    def total(self, level: QualityLevel) -> int:
        return sum(self.levels[k][level] for k in KINDS)

    def rated(self, kind: OrgKind) -> int:
        return sum(self.levels[kind].values())


@dataclass
class DevelopmentWard:
    code: str
    name: str
    opportunities: int  # enterprises with at least one founding opportunity
    identified: int
    applied: int
    recognised: int  # people recognised as official in the period
    overdue: int  # people overdue at the period's end
    levels: dict[QualityLevel, int]  # organisations of every kind by level, in the quality year


def empty_ward(code: str, name: str) -> DevelopmentWard:
    return DevelopmentWard(code, name, 0, 0, 0, 0, 0, dict.fromkeys(LEVELS, 0))


@dataclass
class Development:
    opportunities: Opportunities
    pool: Pool
    probation: Probation
    quality: Quality
    wards: list[DevelopmentWard] = field(default_factory=list)


def _in_unit(column: str) -> str:
    return f"{column} IN (SELECT code FROM report_wards)"


@dataclass
class UnitReads:
    """What the development part reads from the file alone (the unit's wards in ``report_wards``), none
    of the report's own tables: it can be read on another connection while those are filled."""

    opportunities: list[tuple[str, int, int]]  # ward, the kinds of chances (work_facts.kinds), enterprises
    pool: list[tuple[str, int, int, int, int]]  # ward, enterprises, identified, trained, applied
    ratings: ScratchFile | None = None  # holds ``report_ratings`` (``fill_ratings``) of the period's year


RATED = "rated"  # the schema name of ``UnitReads.ratings`` while it is attached


def read_unit(conn: dbapi.Connection, p: dict[str, Any], ratings: ScratchFile | None = None) -> UnitReads:
    """``UnitReads`` over ``p``'s period (``start``, ``end``) on ``conn``, whose ``report_wards`` holds
    the unit's wards; with ``ratings`` (a new scratch file), the quality ratings of the period's year
    and the year before too (``fill_ratings``: one pass over the whole table, 0.6-0.8 s at 500,000
    enterprises), written there for the connection that counts them."""
    q = conn.execute
    if ratings is not None:
        with ratings.attached(conn, RATED):
            fill_ratings(conn, RATED, int(p["start"][:4]))
    opportunities = q(
        "SELECT ward_code, chances, count(*) FROM work_facts "
        f"WHERE active = 1 AND chances != 0 AND {_in_unit('ward_code')} GROUP BY ward_code, chances"
    ).fetchall()
    # the pool: each enterprise's latest visit up to the period's end, kept in work_facts when the
    # latest visit is on or before the end; for the enterprises visited after the end, read from the index
    # of the visits by enterprise (migration 17 put the pool's figures in it), in the enterprises' order:
    # the latest day up to the end, then its visit when it is the day's only one, else the latest created
    # of that day (the table's created_hlc: two visits of one enterprise on one day are rare)
    pool = q(_pool_sql(), p).fetchall()
    return UnitReads(opportunities, pool, ratings)


def compute(
    store: Store,
    start: date,
    end: date,
    *,
    as_of: date | None = None,
    by_ward: bool,
    ward_name: Any = None,
    schema: str = "temp",
    reads: Callable[[], UnitReads] | None = None,
) -> Development:
    """The numbers of the unit whose wards are in the temporary table ``report_wards`` and whose
    enterprises not deleted are in ``report_enterprises`` (both filled by ``app.reports.results``, the
    latter in ``schema``, where this adds its own) over ``start``..``end``; per ward too when ``by_ward``.
    A period not yet over is counted up to ``as_of`` (the report's day) for what is due, overdue and
    probationary. ``reads``: what ``read_unit`` reads, already read on a connection of its own (a
    province's report reads it beside the filling of its tables); else it is read here."""
    q = store.conn.execute
    p = {"start": start.isoformat(), "end": end.isoformat()}
    cut = min(end, as_of) if as_of is not None else end

    read = (reads or (lambda: read_unit(store.conn, p)))()

    # opportunities, as the work list counts them (now)
    opp_kind = dict.fromkeys(KINDS, 0)
    opp_ward: dict[str, int] = {}
    opp_total = 0
    for ward, chances, n in read.opportunities:
        opp_total += n
        opp_ward[ward] = opp_ward.get(ward, 0) + n
        for kind in work_facts.kinds(chances):
            opp_kind[kind] += n

    pool_ward: dict[str, tuple[int, int, int, int]] = {}
    for ward, n, identified, trained, applied in read.pool:
        pool_ward[ward] = (n or 0, identified or 0, trained or 0, applied or 0)
    admitted = q(
        "SELECT coalesce(sum(a.count), 0) FROM report_admissions a "
        "WHERE a.kind = 'party' AND a.admitted_on BETWEEN :start AND :end",
        p,
    ).fetchone()[0]
    pool = Pool(
        sum(v[0] for v in pool_ward.values()),
        sum(v[1] for v in pool_ward.values()),
        sum(v[2] for v in pool_ward.values()),
        sum(v[3] for v in pool_ward.values()),
        admitted,
    )

    # probation and recognition: every Party admission up to the period's end (few)
    decisions = people = not_recognised = due_n = overdue = overdue_people = probationary = 0
    rec_ward: dict[str, int] = {}
    late_ward: dict[str, int] = {}
    for ward, admitted_on, count, official_on, official_count in q(
        "SELECT e.ward_code, a.admitted_on, a.count, a.official_on, a.official_count FROM report_admissions a "
        "JOIN report_enterprises e ON e.id = a.enterprise_id "
        "WHERE a.kind = 'party' AND a.admitted_on IS NOT NULL AND a.admitted_on <= :end",
        p,
    ):
        due = due_on(date.fromisoformat(admitted_on))
        decided = date.fromisoformat(official_on) if official_on else None
        if decided is not None and start <= decided <= end:
            n = recognised(count, official_count)
            decisions += 1
            people += n
            not_recognised += count - n
            rec_ward[ward] = rec_ward.get(ward, 0) + n
        if start <= due <= cut:
            due_n += count
        if decided is None or decided > cut:
            if due < cut:
                overdue += 1
                overdue_people += count
                late_ward[ward] = late_ward.get(ward, 0) + count
            else:
                probationary += count
    probation = Probation(
        decisions, people, not_recognised, due_n, overdue, overdue_people, probationary, cut
    )

    quality, level_ward = _quality(store, start.year, schema, read.ratings)

    wards: list[DevelopmentWard] = []
    if by_ward:
        codes = set(opp_ward) | set(pool_ward) | set(rec_ward) | set(late_ward) | set(level_ward)
        for code in codes:
            pw = pool_ward.get(code, (0, 0, 0, 0))
            wards.append(
                DevelopmentWard(
                    code,
                    ward_name(code) if ward_name else code,
                    opp_ward.get(code, 0),
                    pw[1],
                    pw[3],
                    rec_ward.get(code, 0),
                    late_ward.get(code, 0),
                    {lv: level_ward.get(code, {}).get(lv, 0) for lv in LEVELS},
                )
            )
    rules = store.founding_rules()
    minimums = {k: rules.minimum(k) for k in KINDS}
    return Development(Opportunities(opp_kind, opp_total, minimums), pool, probation, quality, wards)


def _pool_sql() -> str:
    """Per ward: enterprises with someone followed, and the sums of the pool's three figures, of the
    latest visit up to ``:end`` of each enterprise the report counts (``work_facts.reported``)."""
    latest = (
        "(SELECT v2.id FROM visits v2 WHERE v2.enterprise_id = d.enterprise_id AND v2.deleted = 0 "
        "AND v2.visit_date IS NOT NULL AND v2.visit_date <= :end ORDER BY v2.visit_date DESC, v2.created_hlc DESC LIMIT 1)"
    )
    figures = ("candidates_identified", "candidates_trained", "candidates_applied")
    picked = ", ".join(
        f"CASE d.n WHEN 1 THEN d.{c} ELSE (SELECT x.{c} FROM visits x WHERE x.id = {latest}) END"
        for c in figures
    )
    return f"""
        WITH late AS NOT MATERIALIZED (
            SELECT f.enterprise_id, f.ward_code, (SELECT max(v.visit_date) FROM visits v
                WHERE v.enterprise_id = f.enterprise_id AND v.deleted = 0 AND v.visit_date <= :end) AS day
            FROM work_facts f WHERE f.reported = 1 AND f.visit_date > :end AND {_in_unit("f.ward_code")}
        ),
        days AS NOT MATERIALIZED (
            SELECT l.enterprise_id, l.ward_code, count(*) AS n, {", ".join(f"v.{c}" for c in figures)}
            FROM late l JOIN visits v ON v.enterprise_id = l.enterprise_id AND v.visit_date = l.day AND v.deleted = 0
            GROUP BY l.enterprise_id
        )
        SELECT ward_code, sum(coalesce(i, 0) > 0), sum(coalesce(i, 0)), sum(coalesce(t, 0)), sum(coalesce(a, 0))
        FROM (
            SELECT f.ward_code, f.identified AS i, f.trained AS t, f.applied AS a FROM work_facts f
            WHERE f.reported = 1 AND f.visit_date <= :end AND {_in_unit("f.ward_code")}
            UNION ALL
            SELECT d.ward_code, {picked} FROM days d
        )
        GROUP BY ward_code
    """


_EXISTS_AT = (  # on report_organisations (founded or dissolved, not deleted)
    "(o.status = 'founded' AND (o.decision_date IS NULL OR o.decision_date <= :end) "
    "OR o.status = 'dissolved' AND o.decision_date <= :end AND o.dissolved_date > :end)"
)


def fill_ratings(conn: dbapi.Connection, schema: str, year: int) -> None:
    """``{schema}.report_ratings``: the ratings of ``year`` and of the year before, not deleted, of every
    unit (the newest rating of an organisation is the newest of all its ratings: ``_levels`` picks it). One
    pass over the table, in its order, nothing sorted (the sort is ``_levels``', of one year's ratings, in
    the connection that counts them): ``+year``, because SQLite searched ``quality_ratings_year`` (dropped
    by migration 19) for ``year IN (...)`` on this WITHOUT ROWID table despite ``NOT INDEXED``, one look-up
    of the whole row per rating (3.5 times as slow at 500,000)."""
    conn.execute(
        f"CREATE TABLE {schema}.report_ratings (organisation_id TEXT NOT NULL, enterprise_id TEXT NOT NULL, "
        "kind TEXT NOT NULL, year INTEGER NOT NULL, level TEXT NOT NULL, updated_hlc TEXT NOT NULL)"
    )
    conn.execute(
        f"INSERT INTO {schema}.report_ratings SELECT organisation_id, enterprise_id, kind, year, level, "
        "updated_hlc FROM quality_ratings NOT INDEXED WHERE deleted = 0 AND +year IN (?, ?)",
        (year, year - 1),
    )


def _quality(
    store: Store, year: int, schema: str, ratings: ScratchFile | None
) -> tuple[Quality, dict[str, dict[QualityLevel, int]]]:
    """The quality levels of the unit whose enterprises are in ``report_enterprises``: from the ratings
    ``ratings`` holds (read on the province report's second connection), else read here into ``schema``."""
    with contextlib.ExitStack() as stack:
        if ratings is not None:
            source = f"{stack.enter_context(ratings.attached(store.conn, RATED))}.report_ratings"
        else:
            store.conn.execute("DROP TABLE IF EXISTS temp.report_ratings")  # an earlier report's
            fill_ratings(store.conn, schema, year)
            stack.callback(_drop_ratings, store.conn, schema)
            source = f"{schema}.report_ratings"
        return _levels(store, year, source)


def _drop_ratings(conn: dbapi.Connection, schema: str) -> None:
    with contextlib.suppress(dbapi.Error):
        conn.execute(f"DROP TABLE {schema}.report_ratings")


def _levels(store: Store, year: int, ratings: str) -> tuple[Quality, dict[str, dict[QualityLevel, int]]]:
    """``_quality`` from the table ``ratings`` (``fill_ratings``)."""
    q = store.conn.execute
    # the newest rating of each organisation and year (those of the same newest stamp, should there be two)
    in_unit = (
        "FROM (SELECT r.enterprise_id, r.kind, r.level, rank() OVER (PARTITION BY r.organisation_id "
        f"ORDER BY r.updated_hlc DESC) AS newest FROM {ratings} r WHERE r.year = ?) r "
        "JOIN report_enterprises e ON e.id = r.enterprise_id WHERE r.newest = 1"
    )
    note = ""
    by_level = (
        f"SELECT e.ward_code, r.kind, r.level, count(*) {in_unit} GROUP BY e.ward_code, r.kind, r.level"
    )
    rows = q(by_level, (year,)).fetchall()
    if not rows:  # no rating of the year in the unit
        note = f"chưa có kết quả xếp loại năm {year}, số liệu là của năm {year - 1}"
        year -= 1
        rows = q(by_level, (year,)).fetchall()
    levels = {k: dict.fromkeys(LEVELS, 0) for k in KINDS}
    by_ward: dict[str, dict[QualityLevel, int]] = {}
    for ward, kind, level, n in rows:
        k, lv = OrgKind.parse(kind), QualityLevel.parse(level)
        if k is None or lv is None:
            continue
        levels[k][lv] += n
        w = by_ward.setdefault(ward, dict.fromkeys(LEVELS, 0))
        w[lv] += n
    end = {"end": f"{year:04d}-12-31", "year": year}
    not_rated = dict.fromkeys(KINDS, 0)
    for kind, n in q(
        f"SELECT o.kind, count(*) FROM report_organisations o WHERE ({_EXISTS_AT}) "
        f"AND o.id NOT IN (SELECT organisation_id FROM {ratings} WHERE year = :year) GROUP BY o.kind",
        end,
    ):
        k = OrgKind.parse(kind)
        if k is not None:
            not_rated[k] = n
    return Quality(year, note, levels, not_rated), by_ward
