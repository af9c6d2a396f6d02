"""The work list against the demo database, each section computed again here from the records with plain
SQL and Python (no work_facts, no shared query)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.domain.probation import add_months, due_on
from app.services import worklist as wl
from tests.conftest import TEST_TODAY
from tests.helpers.vault import open_store

MONDAY = TEST_TODAY - timedelta(days=TEST_TODAY.weekday())
SUNDAY = MONDAY + timedelta(days=6)


@pytest.fixture(scope="module")
def demo(demo_file):
    store = open_store(demo_file.parent)
    yield store
    store.close()


def _active(store) -> dict[str, dict]:
    return {
        r["id"]: r
        for r in store._rows(
            "SELECT id, ward_code, workforce_total FROM enterprises WHERE deleted = 0 AND status = 'active'"
        )
    }


def _latest(store) -> dict[str, dict]:
    latest: dict[str, dict] = {}
    for v in store._rows("SELECT * FROM visits WHERE deleted = 0 AND visit_date IS NOT NULL"):
        cur = latest.get(v["enterprise_id"])
        if cur is None or (v["visit_date"], v["created_hlc"]) > (cur["visit_date"], cur["created_hlc"]):
            latest[v["enterprise_id"]] = v
    return latest


def _all(store, q, section) -> list[wl.WorkItem]:
    items = wl.page(store, q, section, 0, 100_000)
    assert wl.count(store, q, section) == len(items)
    assert wl.page(store, q, section, 3, 4) == items[3:7]  # pages are slices of one order
    return items


def test_appointments(demo):
    q = wl.query_for(demo, TEST_TODAY)
    active, latest = _active(demo), _latest(demo)
    overdue = sorted(
        (
            (v["next_visit_date"], e)
            for e, v in latest.items()
            if e in active and v["next_visit_date"] and v["next_visit_date"] < TEST_TODAY.isoformat()
        ),
        key=lambda p: (p[0], p[1]),
    )
    overdue.sort(key=lambda p: p[0], reverse=True)  # missed lately first, ties by id
    got = _all(demo, q, wl.OVERDUE)
    assert [(i.day.isoformat(), i.enterprise_id) for i in got] == sorted(
        overdue, key=lambda p: (-date.fromisoformat(p[0]).toordinal(), p[1])
    )
    week = sorted(
        (v["next_visit_date"], e)
        for e, v in latest.items()
        if e in active
        and v["next_visit_date"]
        and TEST_TODAY.isoformat() <= v["next_visit_date"] <= SUNDAY.isoformat()
    )
    got = _all(demo, q, wl.THIS_WEEK)
    assert [(i.day.isoformat(), i.enterprise_id) for i in got] == week and week
    assert all(i.section == wl.THIS_WEEK for i in got) and all(
        i.section == wl.OVERDUE for i in _all(demo, q, wl.OVERDUE)
    )
    # the week's batch of forms: this week's and the overdue, by ward then address
    batch = wl.week_batch(demo, q)
    assert set(batch) == {e for _d, e in week} | {e for _d, e in overdue}
    rows = {r["id"]: r for r in demo._rows("SELECT id, rid, ward_code, address, name FROM enterprises")}
    walk = sorted(
        batch,
        key=lambda e: (
            rows[e]["ward_code"],
            rows[e]["address"] is None,
            rows[e]["address"] or "",
            rows[e]["name"],
            rows[e]["rid"],
        ),
    )
    assert batch == walk  # by ward, then address: the way a collaborator walks


def test_founding_opportunities(demo):
    q = wl.query_for(demo, TEST_TODAY)
    rules = demo.founding_rules()
    active, latest = _active(demo), _latest(demo)
    founded = {
        (r[0], r[1])
        for r in demo.conn.execute(
            "SELECT enterprise_id, kind FROM organisations WHERE status = 'founded' AND deleted = 0"
        )
    }
    count_of = {
        "party": "party_official",
        "union": "union_members",
        "youth": "youth_members",
        "women": "women_members",
        "veterans": "veterans_members",
    }
    rank = {"supports": 0, "undecided": 1, None: 2, "refuses": 3}
    expected = []
    for e, v in latest.items():
        if e not in active:
            continue
        kinds = [
            k
            for k, col in count_of.items()
            if rules.minimums.get(k) is not None
            and (v[col] or 0) >= rules.minimums[k]
            and v[col] is not None
            and (e, k) not in founded
        ]
        if kinds:
            workforce = (
                v["workforce_total"] if v["workforce_total"] is not None else active[e]["workforce_total"]
            )
            expected.append((rank[v["attitude"]], -(workforce if workforce is not None else -1), e))
    expected.sort()
    got = _all(demo, q, wl.OPPORTUNITIES)
    assert [i.enterprise_id for i in got] == [e for *_k, e in expected] and len(got) >= 10
    assert any("Công đoàn cơ sở:" in i.what for i in got) and any(
        "đảng viên chính thức" in i.what for i in got
    )


def test_stalled_mobilisations(demo):
    q = wl.query_for(demo, TEST_TODAY)
    active = _active(demo)
    cutoff = add_months(TEST_TODAY, -q.stalled_months).isoformat()
    rows = demo._rows(
        "SELECT id, enterprise_id, mobilising_since FROM organisations WHERE status = 'mobilising' AND deleted = 0"
    )
    expected = sorted(
        (r["mobilising_since"] is not None, r["mobilising_since"] or "", r["id"])
        for r in rows
        if r["enterprise_id"] in active and (r["mobilising_since"] is None or r["mobilising_since"] <= cutoff)
    )
    got = _all(demo, q, wl.STALLED)
    assert [i.record_id for i in got] == [r for *_k, r in expected] and got


def test_probationary_members_due(demo):
    q = wl.query_for(demo, TEST_TODAY)
    active = _active(demo)
    horizon = TEST_TODAY + timedelta(days=q.probation_ahead_days)
    rows = demo._rows(
        "SELECT id, enterprise_id, admitted_on FROM admissions WHERE kind = 'party' AND deleted = 0 AND official_on IS NULL"
    )
    expected = sorted(
        (r["admitted_on"], r["id"])
        for r in rows
        if r["enterprise_id"] in active and due_on(date.fromisoformat(r["admitted_on"])) <= horizon
    )
    got = _all(demo, q, wl.PROBATION)
    assert [i.record_id for i in got] == [a for _d, a in expected]
    for i in got:
        assert i.day == due_on(date.fromisoformat(next(d for d, a in expected if a == i.record_id)))


def test_not_visited_for_months(demo):
    q = wl.query_for(demo, TEST_TODAY)
    active = _active(demo)
    last = {
        r[0]: r[1]
        for r in demo.conn.execute(
            "SELECT enterprise_id, max(visit_date) FROM visits WHERE deleted = 0 GROUP BY enterprise_id"
        )
    }
    since = add_months(TEST_TODAY, -q.not_visited_months).isoformat()
    expected = {e for e in active if last.get(e) is None or last[e] < since}
    got = _all(demo, q, wl.NOT_VISITED)
    assert {i.enterprise_id for i in got} == expected and expected


def test_one_ward_only(demo):
    q = wl.query_for(demo, TEST_TODAY, ward_code="00004")  # the demo is all in 00070
    assert all(wl.count(demo, q, s) == 0 for s in wl.SECTIONS)
    q = wl.query_for(demo, TEST_TODAY, ward_code="00070")
    assert wl.count(demo, q, wl.OPPORTUNITIES) == wl.count(demo, q.replace(ward_code=None), wl.OPPORTUNITIES)


def test_settings_change_the_list(demo, tmp_path):
    from tests.helpers.vault import copy_data

    store = open_store(copy_data(demo.path.parent, tmp_path / "copy"))
    q = wl.query_for(store, TEST_TODAY)
    before = wl.count(store, q, wl.OPPORTUNITIES)
    rules = store.setting("founding_minimums")
    store.set_setting("founding_minimums", {**rules, "union": 1000, "party": 1000, "youth": 1000})
    assert wl.count(store, q, wl.OPPORTUNITIES) == 0 < before
    store.set_setting("founding_minimums", rules)
    assert wl.count(store, q, wl.OPPORTUNITIES) == before
    store.set_setting("todo.stalled_months", 200)
    with pytest.raises(wl.WorkSettingError, match=r"todo\.stalled_months"):
        wl.query_for(store, TEST_TODAY)
    assert store.integrity_check() == []
    store.close()


def test_probation_due_soon_overdue_and_decided(store):
    from app.domain.records import Admission, Enterprise
    from app.domain.vocab import OrgKind

    e = Enterprise(name="Công ty TNHH Hòa Bình", tax_code="0100109106", ward_code="00070")
    closed = Enterprise(
        name="Công ty TNHH Đóng Cửa", tax_code="0100109113", ward_code="00070", status="dissolved"
    )

    def party(on, **kw):
        return Admission(enterprise_id=kw.pop("eid", e.id), kind=OrgKind.PARTY, admitted_on=on, **kw)

    overdue = party(date(2024, 10, 1), count=2)  # due 01/10/2025
    soon = party(date(2024, 12, 10))  # due 10/12/2025: within 30 days of 20/11/2025
    later = party(date(2025, 1, 15))  # due 15/01/2026: not yet listed
    decided = party(date(2024, 9, 1), official_on=date(2025, 9, 3), official_decision="7-QĐ/ĐU")
    union = Admission(enterprise_id=e.id, kind=OrgKind.UNION, admitted_on=date(2024, 1, 1), count=9)
    gone = party(date(2024, 8, 1), eid=closed.id)
    with store.write() as w:
        w.create_many([e, closed, overdue, soon, later, decided, union, gone])
    q = wl.query_for(store, TEST_TODAY)
    got = wl.page(store, q, wl.PROBATION)
    assert [i.record_id for i in got] == [overdue.id, soon.id] and wl.count(store, q, wl.PROBATION) == 2
    assert (
        got[0].day == date(2025, 10, 1)
        and "quá hạn 50 ngày" in got[0].what
        and "2 đảng viên dự bị" in got[0].what
    )
    assert got[1].day == date(2025, 12, 10) and "còn 20 ngày" in got[1].what
    assert wl.count(store, q.replace(probation_ahead_days=60), wl.PROBATION) == 3
