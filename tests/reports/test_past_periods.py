"""A past period's figures read from the visits' index (migration 17) equal a plain count of the records.

The report of a past period reads, for each enterprise visited after the period's end, its latest visit up
to that end (the pool of candidates) and each kind's latest member count up to it, from the index of the
visits by enterprise; the current period reads the kept ``work_facts`` and ``member_counts``. Here a
small province (two wards) gets visits before, inside and after several periods, two visits on one day,
visits without a pool or a count, and edits made after the periods (a visit moved, recounted, deleted,
restored; an enterprise dissolved, deleted); each period's pool and members are then counted again in
Python from the rows and ``app.domain.membership``.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from app.domain import units
from app.domain.membership import membership
from app.domain.records import Admission, Enterprise, Organisation, Visit
from app.domain.vocab import EnterpriseStatus, OrgKind, OrgStatus
from app.reports.results import Period, compute
from app.storage import Store, work_facts
from tests.conftest import TEST_WARD

OTHER_WARD = "00004"  # Phường Ba Đình, Hà Nội: the same province as TEST_WARD
PROVINCE = "01"
TODAY = date(2026, 11, 21)
PERIODS = [
    Period.year(2024),
    Period.year(2025),
    Period(date(2025, 1, 1), date(2025, 6, 30)),  # six months
    Period(date(2025, 4, 1), date(2025, 6, 30)),  # a quarter
    Period(date(2025, 10, 1), date(2025, 12, 31)),
    Period(date(2025, 3, 1), date(2025, 3, 31)),  # a month (the command line's --start/--end)
    Period(date(2026, 2, 1), date(2026, 2, 28)),
    Period.year(2026),  # the current year: the kept figures
]
COUNTS = ("party_total", "party_official", "party_probationary", "union_members", "youth_members")
COUNTS += ("women_members", "veterans_members")
POOL = ("candidates_identified", "candidates_trained", "candidates_applied")
EDGES = sorted(
    {d for p in PERIODS for d in (p.start - timedelta(days=1), p.start, p.end, p.end + timedelta(days=1))}
)


def _day(rng: random.Random, first: date = date(2024, 1, 1), last: date = date(2026, 11, 20)) -> date:
    return first + timedelta(days=rng.randrange((last - first).days + 1))


def _visit(rng: random.Random, enterprise_id: str, on: date) -> Visit:
    fields = {
        name: rng.choice([None, rng.randrange(0, 40)]) for name in (*COUNTS, *POOL) if rng.random() < 0.7
    }
    return Visit(enterprise_id=enterprise_id, visit_date=on, **fields)


def _build(store: Store, seed: int) -> None:
    rng = random.Random(seed)
    enterprises = []
    with store.write("test") as w:
        for i in range(30):
            e = w.create(
                Enterprise(
                    name=f"Công ty {i}",
                    tax_code="0100109106",
                    ward_code=(TEST_WARD, OTHER_WARD)[i % 2],
                    workforce_total=rng.randrange(5, 900),
                    status=rng.choice([EnterpriseStatus.ACTIVE] * 4 + [EnterpriseStatus.SUSPENDED]),
                )
            )
            enterprises.append(e)
            for kind in rng.sample(list(OrgKind), rng.randrange(0, 4)):
                founded = _day(rng, date(2023, 6, 1), date(2026, 6, 1))
                dissolved = rng.random() < 0.15
                w.create(
                    Organisation(
                        enterprise_id=e.id,
                        kind=kind,
                        status=OrgStatus.DISSOLVED if dissolved else OrgStatus.FOUNDED,
                        decision_date=founded if dissolved or rng.random() < 0.9 else None,
                        dissolved_date=_day(rng, founded + timedelta(days=1), date(2026, 11, 1))
                        if dissolved
                        else None,
                        founding_members=rng.choice([None, rng.randrange(3, 30)]),
                    )
                )
                for _ in range(rng.randrange(0, 3)):
                    w.create(
                        Admission(
                            enterprise_id=e.id,
                            kind=kind,
                            admitted_on=_day(rng, founded),
                            count=rng.randrange(1, 5),
                        )
                    )
            days = [_day(rng) for _ in range(rng.randrange(0, 7))]
            days += rng.sample(EDGES, rng.randrange(0, 3))  # on a period's first or last day, or just outside
            days.sort()
            for on in days:
                w.create(_visit(rng, e.id, on))
                if rng.random() < 0.15:  # two visits the same day: the latest created counts for the pool
                    w.create(_visit(rng, e.id, on))
    # edits made after the periods: moved, recounted, deleted and restored visits; enterprises dissolved
    # or deleted; an organisation deleted
    visits = [v for e in enterprises for v in store.children(Visit, e.id)]
    rng.shuffle(visits)
    with store.write("test") as w:
        for v in visits[:12]:
            v.visit_date = _day(rng)
            w.update(v)
        for v in visits[12:24]:
            for name in rng.sample([*COUNTS, *POOL], 3):
                setattr(v, name, rng.choice([None, rng.randrange(0, 40)]))
            w.update(v)
        for v in visits[24:32]:
            w.delete("visits", v.id)
        for v in visits[24:27]:
            w.restore("visits", v.id)
        enterprises[3].status = EnterpriseStatus.DISSOLVED
        w.update(enterprises[3])
        w.delete("enterprises", enterprises[4].id)
        orgs = store.children(Organisation, enterprises[5].id)
        if orgs:
            w.delete("organisations", orgs[0].id)


def _expected_pool(store: Store, unit: str, end: date) -> tuple[int, int, int, int]:
    """The pool by the definition: the latest visit up to the end (by day, then the latest created) of
    each enterprise of the unit not deleted, active or suspended."""
    wards = set(units.ward_codes(unit))
    counted = {
        eid
        for eid, ward, status, deleted in store.conn.execute(
            "SELECT id, ward_code, status, deleted FROM enterprises"
        )
        if not deleted and ward in wards and status in ("active", "suspended")
    }
    latest: dict[str, tuple[str, str, tuple[int | None, ...]]] = {}
    for eid, day, created, *pool in store.conn.execute(
        f"SELECT enterprise_id, visit_date, created_hlc, {', '.join(POOL)} FROM visits WHERE deleted = 0"
    ):
        if eid in counted and day is not None and day <= end.isoformat():
            if eid not in latest or (day, created) > latest[eid][:2]:
                latest[eid] = (day, created, tuple(pool))
    figures = [v[2] for v in latest.values()]
    return (
        sum(1 for f in figures if (f[0] or 0) > 0),
        sum(f[0] or 0 for f in figures),
        sum(f[1] or 0 for f in figures),
        sum(f[2] or 0 for f in figures),
    )


def _expected_members(store: Store, unit: str, end: date) -> dict[OrgKind, tuple[int, int]]:
    wards = set(units.ward_codes(unit))
    out = dict.fromkeys(OrgKind, (0, 0))
    for eid, ward, deleted in store.conn.execute("SELECT id, ward_code, deleted FROM enterprises"):
        if deleted or ward not in wards:
            continue
        visits, admissions = store.children(Visit, eid), store.children(Admission, eid)
        for org in store.children(Organisation, eid):
            m = membership(org, visits, admissions, end)
            if m is not None:
                n, members = out[org.kind]
                out[org.kind] = (n + 1, members + m.value)
    return out


@pytest.mark.parametrize("seed,where", [(1, "file_store"), (2, "file_store"), (3, "store")])
def test_past_periods_equal_a_plain_count(request, seed, where):
    """In an encrypted file a province's tables are in the store's scratch file; in memory, in ``temp``."""
    store = request.getfixturevalue(where)
    _build(store, seed)
    assert work_facts.problems(store.conn) == []
    late = store.conn.execute("SELECT count(*) FROM work_facts WHERE visit_date > '2025-06-30'").fetchone()[0]
    assert late > 5  # most enterprises were visited after the past periods: their visits are read
    for period in PERIODS:
        for unit in (PROVINCE, TEST_WARD):
            report = compute(store, unit, period, today=TODAY)
            assert report.development is not None
            pool = report.development.pool
            got = (pool.enterprises, pool.identified, pool.trained, pool.applied)
            assert got == _expected_pool(store, unit, period.end), (unit, period)
            members = {k.kind: (k.organisations, k.members) for k in report.kinds}
            assert members == _expected_members(store, unit, period.end), (unit, period)
            if unit == PROVINCE:  # its wards' lines add up to it
                assert sum(w.identified for w in report.development.wards) == pool.identified
    if store.path is not None:  # the scratch file is gone, nothing of the report is left in memory
        assert not list(store.path.parent.glob(".khaosat-tam-*"))
    names = {r[0] for r in store.conn.execute("SELECT name FROM temp.sqlite_master WHERE type = 'table'")}
    assert names - {"sqlite_stat1", "sqlite_stat4"} <= {"report_wards"}  # ANALYZE's statistics stay


def test_the_visits_index_carries_what_the_report_reads(store):
    """Migration 17: a past period's visits are read from the index alone only while it holds every
    column the report reads of a visit (the pool and each kind's count, ``work_facts.visit_members``)."""
    indexed = {row[2] for row in store.conn.execute("PRAGMA index_info('visits_enterprise')")}
    read = {"enterprise_id", "visit_date", "deleted", *POOL, *COUNTS}
    members_sql = work_facts.visit_members("o.kind")
    columns = {r[1] for r in store.conn.execute("PRAGMA table_info('visits')")}
    assert {c for c in columns if f"v.{c} " in members_sql or f"v.{c})" in members_sql} <= set(COUNTS)
    assert read <= indexed


@pytest.mark.parametrize("where", ["file_store", "store"])
def test_of_two_visits_on_the_periods_last_count_day_the_larger_count_is_taken(request, where):
    """An organisation whose enterprise was visited after the period: its count is the latest visit's up to
    the end, and of two visits that day the larger count (the rule of ``app.domain.membership``), whatever
    the number of digits of either count and whichever was created first."""
    store = request.getfixturevalue(where)
    with store.write("test") as w:
        e = w.create(Enterprise(name="Công ty Hai Lần", tax_code="0100109106", ward_code=TEST_WARD))
        for kind in (OrgKind.UNION, OrgKind.YOUTH, OrgKind.WOMEN):
            w.create(
                Organisation(
                    enterprise_id=e.id,
                    kind=kind,
                    status=OrgStatus.FOUNDED,
                    decision_date=date(2024, 3, 1),
                    founding_members=5,
                )
            )
        on = date(2025, 5, 10)
        w.create(
            Visit(enterprise_id=e.id, visit_date=on, union_members=12, youth_members=99, women_members=7)
        )
        w.create(
            Visit(enterprise_id=e.id, visit_date=on, union_members=9, youth_members=120, women_members=None)
        )
        w.create(Visit(enterprise_id=e.id, visit_date=date(2026, 2, 1), union_members=30, youth_members=1))
    for unit in (PROVINCE, TEST_WARD):
        report = compute(store, unit, Period.year(2025), today=TODAY)
        got = {k.kind: k.members for k in report.kinds if k.organisations}
        assert got == {OrgKind.UNION: 12, OrgKind.YOUTH: 120, OrgKind.WOMEN: 7}, unit
        assert got == {
            k: m for k, (_n, m) in _expected_members(store, unit, date(2025, 12, 31)).items() if _n
        }
