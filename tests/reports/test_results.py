"""The report's numbers against the database, computed independently here with plain SQL."""

from __future__ import annotations

from datetime import date

import pytest

from app.domain.records import Admission, Enterprise, Organisation, Target
from app.domain.vnformat import Rounding
from app.domain.vocab import OrgKind, OrgStatus, TargetMetric
from app.reports.results import Period, ReportError, compute, report_for
from app.reports.settings import SettingsError, load
from app.storage import Store
from app.storage.store import connect
from tests.conftest import TEST_WARD
from tests.helpers.vault import key_for, open_store

OTHER_WARD = "00004"  # Phường Ba Đình, Hà Nội (same province)


def _enterprise(
    w, name: str, ward: str = TEST_WARD, workforce: int | None = 50, status: str = "active"
) -> Enterprise:
    return w.create(
        Enterprise(name=name, tax_code="0100109106", ward_code=ward, workforce_total=workforce, status=status)
    )


def _org(
    w,
    e,
    kind: OrgKind,
    on: date | None,
    status: OrgStatus = OrgStatus.FOUNDED,
    members: int | None = 10,
    dissolved: date | None = None,
) -> Organisation:
    return w.create(
        Organisation(
            enterprise_id=e.id,
            kind=kind,
            status=status,
            decision_date=on,
            founding_members=members,  # founded with this many members (app.domain.membership)
            dissolved_date=dissolved,
        )
    )


def seed_case(store: Store) -> None:
    """The seed articles' numbers: 16 trade unions against 15; 103 Party members admitted against 80."""
    with store.write("test") as w:
        for year, kind, metric, value in (
            (2024, OrgKind.UNION, TargetMetric.ORGANISATIONS, 15),
            (2024, OrgKind.PARTY, TargetMetric.MEMBERS, 80),
        ):
            w.create(Target(unit_code=TEST_WARD, year=year, kind=kind, metric=metric, value=value))
        for i in range(16):
            e = _enterprise(w, f"Công ty {i}", workforce=30 + i)
            _org(w, e, OrgKind.UNION, date(2024, 1 + i % 12, 10), members=20)
        e = _enterprise(w, "Công ty Cổ phần May Hồng Hà", workforce=900)
        party = _org(w, e, OrgKind.PARTY, date(2023, 5, 1), members=120)
        for n, month in ((40, 3), (33, 7), (30, 11)):  # 103 in 2024
            w.create(
                Admission(
                    enterprise_id=e.id,
                    organisation_id=party.id,
                    kind=OrgKind.PARTY,
                    admitted_on=date(2024, month, 2),
                    count=n,
                )
            )
        w.create(
            Admission(
                enterprise_id=e.id,
                organisation_id=party.id,
                kind=OrgKind.PARTY,
                admitted_on=date(2025, 1, 2),
                count=9,
            )
        )  # next year: not counted


def test_seed_case_103_over_80_and_16_over_15(store):
    seed_case(store)
    r = compute(store, TEST_WARD, Period.year(2024))
    party, union = r.kind(OrgKind.PARTY), r.kind(OrgKind.UNION)
    assert party.admitted.ratio == "103/80"
    assert party.admitted.short == "vượt 28,75%"
    assert party.admitted.text == "103/80, vượt 28,75%"
    assert party.admitted.reached is True
    assert union.founded.ratio == "16/15"
    assert union.founded.short == "vượt 6,67%"
    assert union.organisations == 16 and union.members == 320
    # founded with 120, admitted 103 in the year (issue 14: the report no longer says 120)
    assert party.organisations == 1 and party.members == 120 + 103
    assert (
        r.kind(OrgKind.YOUTH).founded.target is None
        and r.kind(OrgKind.YOUTH).founded.verdict == "Không giao chỉ tiêu"
    )
    assert (r.targets_reached, r.targets_set) == (2, 2)
    truncated = compute(store, TEST_WARD, Period.year(2024), rounding=Rounding.TRUNCATE)
    assert truncated.kind(OrgKind.UNION).founded.short == "vượt 6,66%"
    assert truncated.kind(OrgKind.PARTY).admitted.short == "vượt 28,75%"


def test_rounding_and_thresholds_come_from_settings(store):
    seed_case(store)
    store.set_setting("report.rounding", "truncate")
    store.set_setting("report.workforce_thresholds", [40, 800])
    r, _settings = report_for(store, TEST_WARD, Period.year(2024))
    assert r.kind(OrgKind.UNION).founded.short == "vượt 6,66%"
    groups = {g.code: g.enterprises for g in r.workforce}
    assert groups == {"small": 10, "medium": 6, "large": 1, "unknown": 0}  # 30..45 and 900
    assert r.workforce[0].label == "Dưới 40 lao động"
    store.set_setting("report.workforce_thresholds", [500, 20])
    with pytest.raises(SettingsError, match="tăng dần"):
        load(store, TEST_WARD)
    store.set_setting("report.rounding", "bankers")
    with pytest.raises(SettingsError, match="half_up"):
        load(store, TEST_WARD)


def test_existing_founded_dissolved_deleted_and_other_wards(store):
    with store.write("test") as w:
        e = _enterprise(w, "A")
        other = _enterprise(w, "B", ward=OTHER_WARD)
        gone = _enterprise(w, "C", status="dissolved")
        _org(w, e, OrgKind.YOUTH, date(2024, 3, 1), members=7)  # founded in period, exists
        _org(
            w,
            e,
            OrgKind.WOMEN,
            date(2023, 3, 1),
            status=OrgStatus.DISSOLVED,
            dissolved=date(2024, 6, 1),
            members=5,
        )  # existed before, dissolved inside the period: not existing at the end
        _org(
            w,
            e,
            OrgKind.VETERANS,
            date(2024, 2, 1),
            status=OrgStatus.DISSOLVED,
            dissolved=date(2025, 2, 1),
            members=4,
        )  # founded in the period, dissolved after it: founded and existing
        _org(w, e, OrgKind.PARTY, date(2025, 1, 5))  # after the period
        _org(w, e, OrgKind.UNION, None, status=OrgStatus.MOBILISING)  # not founded
        _org(w, other, OrgKind.YOUTH, date(2024, 4, 1), members=9)  # another ward of the province
        _org(w, gone, OrgKind.YOUTH, date(2024, 5, 1), members=3)  # dissolved enterprise: orgs still count
        deleted = _org(w, e, OrgKind.YOUTH, date(2024, 5, 1), members=100)
        w.delete("organisations", deleted.id)
    r = compute(store, TEST_WARD, Period.year(2024))
    youth = r.kind(OrgKind.YOUTH)
    assert (youth.organisations, youth.members, youth.founded.achieved) == (2, 10, 2)
    assert r.kind(OrgKind.WOMEN).organisations == 0 and r.kind(OrgKind.WOMEN).founded.achieved == 0
    veterans = r.kind(OrgKind.VETERANS)
    assert (veterans.organisations, veterans.founded.achieved) == (1, 1)
    assert r.kind(OrgKind.PARTY).organisations == 0 and r.kind(OrgKind.UNION).organisations == 0
    assert r.enterprises == 1 and r.wards == []  # a ward report has no breakdown
    half = compute(store, TEST_WARD, Period(date(2024, 1, 1), date(2024, 3, 31)))
    assert half.kind(OrgKind.WOMEN).organisations == 1  # still existed on 31/03
    assert half.period.label == "quý I năm 2024"
    labels = {
        (date(2024, 1, 1), date(2024, 6, 30)): "6 tháng đầu năm 2024",
        (date(2024, 1, 1), date(2024, 9, 30)): "9 tháng đầu năm 2024",
        (date(2024, 10, 1), date(2024, 12, 31)): "quý IV năm 2024",
        (date(2024, 1, 1), date(2024, 12, 31)): "năm 2024",
        (date(2024, 3, 5), date(2024, 6, 30)): "từ ngày 05/03/2024 đến ngày 30/06/2024",
        (date(2024, 1, 1), date(2024, 6, 29)): "từ ngày 01/01/2024 đến ngày 29/06/2024",
    }
    for (a, b), text in labels.items():
        assert Period(a, b).label == text
    province = compute(store, "01", Period.year(2024))
    assert province.is_province and province.kind(OrgKind.YOUTH).founded.achieved == 3
    assert [w.code for w in province.wards] == [OTHER_WARD, TEST_WARD]  # Ba Đình before Hoàn Kiếm
    assert sum(w.founded[OrgKind.YOUTH] for w in province.wards) == 3
    with pytest.raises(ReportError, match="một năm"):
        compute(store, TEST_WARD, Period(date(2024, 6, 1), date(2025, 5, 31)))
    with pytest.raises(ReportError, match="không có trong danh mục"):
        compute(store, "99999", Period.year(2024))


def test_province_targets_sum_the_wards_unless_it_has_its_own(store):
    with store.write("test") as w:
        for unit, value in ((TEST_WARD, 3), (OTHER_WARD, 4)):
            w.create(
                Target(
                    unit_code=unit,
                    year=2024,
                    kind=OrgKind.UNION,
                    metric=TargetMetric.ORGANISATIONS,
                    value=value,
                )
            )
    r = compute(store, "01", Period.year(2024))
    assert r.kind(OrgKind.UNION).founded.target == 7 and "các phường" in r.target_source
    with store.write("test") as w:
        t = w.create(
            Target(unit_code="01", year=2024, kind=OrgKind.UNION, metric=TargetMetric.ORGANISATIONS, value=20)
        )
    assert compute(store, "01", Period.year(2024)).kind(OrgKind.UNION).founded.target == 20
    t.value = 25  # an edit: the newest value counts
    with store.write("test") as w:
        w.save(t)
    assert compute(store, "01", Period.year(2024)).kind(OrgKind.UNION).founded.target == 25
    with store.write("test") as w:
        w.create(
            Target(unit_code=TEST_WARD, year=2024, kind=OrgKind.YOUTH, metric=TargetMetric.MEMBERS, value=0)
        )
    youth = compute(store, TEST_WARD, Period.year(2024)).kind(OrgKind.YOUTH).admitted
    assert youth.target is None and youth.verdict == "Không giao chỉ tiêu" and youth.short == ""


def _members_by_the_rule(demo_file, live: set[str], kind: OrgKind, end: date) -> int:
    """The members of the kind's organisations existing at ``end``, by app.domain.membership (Python)."""
    from app.domain.membership import membership
    from app.domain.records import Organisation, Visit

    store = open_store(demo_file.parent)
    try:
        total = 0
        for eid in live:
            orgs = [o for o in store.children(Organisation, eid) if o.kind == kind]
            if not orgs:
                continue
            visits, admissions = store.children(Visit, eid), store.children(Admission, eid)
            total += sum(m.value for o in orgs if (m := membership(o, visits, admissions, end)) is not None)
        return total
    finally:
        store.close()


@pytest.mark.parametrize("year", [2023, 2024, 2025])
def test_numbers_equal_independent_sql_on_the_demo_file(demo_file, year):
    store = open_store(demo_file.parent)
    try:
        r = compute(store, TEST_WARD, Period.year(year))
    finally:
        store.close()
    db = connect(demo_file, key_for(demo_file.parent))
    start, end = f"{year}-01-01", f"{year}-12-31"
    ents = {
        row[0]: row[1:]
        for row in db.execute("SELECT id, status, workforce_total, deleted, ward_code FROM enterprises")
    }
    live = {i for i, (status, wf, deleted, ward) in ents.items() if not deleted and ward == TEST_WARD}
    orgs = [
        o
        for o in db.execute(
            "SELECT enterprise_id, kind, status, decision_date, dissolved_date, members FROM organisations "
            "WHERE deleted = 0"
        )
        if o[0] in live
    ]
    for kind in OrgKind:
        mine = [o for o in orgs if o[1] == kind.value]
        existing = [
            o
            for o in mine
            if (o[2] == "founded" and (o[3] is None or o[3] <= end))
            or (o[2] == "dissolved" and o[3] <= end and o[4] > end)
        ]
        founded = [o for o in mine if o[2] in ("founded", "dissolved") and o[3] and start <= o[3] <= end]
        admitted = sum(
            n
            for eid, k, on, n in db.execute(
                "SELECT enterprise_id, kind, admitted_on, count FROM admissions WHERE deleted = 0"
            )
            if eid in live and k == kind.value and start <= on <= end
        )
        target = dict(
            db.execute(
                "SELECT metric, value FROM targets WHERE deleted = 0 AND unit_code = ? AND year = ? AND kind = ?",
                (TEST_WARD, year, kind.value),
            )
        )
        k = r.kind(kind)
        assert k.organisations == len(existing), kind
        assert k.members == _members_by_the_rule(demo_file, live, kind, date(year, 12, 31)), kind
        assert k.founded.achieved == len(founded), kind
        assert k.admitted.achieved == admitted, kind
        assert k.founded.target == (target.get("organisations") or None)  # 0: no target
        assert k.admitted.target == (target.get("members") or None)
        if k.admitted.target:
            assert k.admitted.ratio == f"{admitted:,}/{target['members']:,}".replace(",", ".")
    active = [i for i in live if ents[i][0] in ("active", "suspended")]
    sizes = {"small": 0, "medium": 0, "large": 0, "unknown": 0}
    for i in active:
        wf = ents[i][1]
        sizes["unknown" if wf is None else "small" if wf < 20 else "medium" if wf < 500 else "large"] += 1
    assert {g.code: g.enterprises for g in r.workforce} == sizes
    assert r.enterprises == len(active) and r.workers == sum(ents[i][1] or 0 for i in active)
    assert sum(g.with_union for g in r.workforce) == len(
        {
            o[0]
            for o in orgs
            if o[1] == "union"
            and o[0] in active
            and (
                (o[2] == "founded" and (o[3] is None or o[3] <= end))
                or (o[2] == "dissolved" and o[3] <= end < o[4])
            )
        }
    )
    db.close()


@pytest.mark.parametrize("year", [2024, 2025])
def test_a_province_adds_up_its_wards(store, year):
    """A province's numbers are read another way (each grouped by enterprise first, by ward once):
    they equal the sums of its wards' own reports, and each ward's row equals that ward's report."""
    from app.demo.generator import DemoOptions, generate

    for i, ward in enumerate((TEST_WARD, OTHER_WARD)):
        generate(store, DemoOptions(ward, enterprises=120, seed=i + 7, today=date(2025, 11, 21)))
    with store.write("test") as w:  # a deleted enterprise and an enterprise of another province
        gone = _enterprise(w, "Đã xóa", workforce=700)
        _org(w, gone, OrgKind.UNION, date(year, 3, 1))
        w.delete("enterprises", gone.id)
        far = _enterprise(w, "Tỉnh khác", ward="26732", workforce=40)
        _org(w, far, OrgKind.UNION, date(year, 3, 1))
    period = Period.year(year)
    province = compute(store, "01", period)
    wards = {code: compute(store, code, period) for code in (TEST_WARD, OTHER_WARD)}
    assert province.enterprises == sum(r.enterprises for r in wards.values()) > 0
    assert province.workers == sum(r.workers for r in wards.values())
    for kind in OrgKind:
        k = province.kind(kind)
        parts = [r.kind(kind) for r in wards.values()]
        assert k.organisations == sum(x.organisations for x in parts), kind
        assert k.members == sum(x.members for x in parts), kind
        assert k.founded.achieved == sum(x.founded.achieved for x in parts), kind
        assert k.admitted.achieved == sum(x.admitted.achieved for x in parts), kind
    for g in province.workforce:
        parts = [next(x for x in r.workforce if x.code == g.code) for r in wards.values()]
        assert (g.enterprises, g.workers, g.with_party, g.with_union) == (
            sum(x.enterprises for x in parts),
            sum(x.workers for x in parts),
            sum(x.with_party for x in parts),
            sum(x.with_union for x in parts),
        ), g.code
    assert sum(g.with_union for g in province.workforce) > 0
    assert {row.code for row in province.wards} == set(wards)
    for row in province.wards:
        r = wards[row.code]
        assert (row.enterprises, row.workers) == (r.enterprises, r.workers)
        assert row.founded == {k: r.kind(k).founded.achieved for k in OrgKind}
        assert row.admitted == {k: r.kind(k).admitted.achieved for k in OrgKind}
    # the development part too (kept figures: the pool on work_facts, members on member_counts)
    d, parts = province.development, [r.development for r in wards.values() if r.development is not None]
    assert d is not None and len(parts) == len(wards)
    for name in ("enterprises", "identified", "trained", "applied", "admitted"):
        assert getattr(d.pool, name) == sum(getattr(x.pool, name) for x in parts), name
    assert d.pool.identified > 0
    for name in ("decisions", "people", "not_recognised", "due", "overdue", "overdue_people", "probationary"):
        assert getattr(d.probation, name) == sum(getattr(x.probation, name) for x in parts), name
    assert d.opportunities.enterprises == sum(x.opportunities.enterprises for x in parts)
    if all(x.quality.year == d.quality.year for x in parts):
        for kind in OrgKind:
            assert d.quality.not_rated[kind] == sum(x.quality.not_rated[kind] for x in parts)
            assert d.quality.levels[kind] == {
                lv: sum(x.quality.levels[kind][lv] for x in parts) for lv in d.quality.levels[kind]
            }
    for row in d.wards:
        w = wards[row.code].development
        assert w is not None
        assert (row.identified, row.applied, row.recognised, row.overdue) == (
            w.pool.identified,
            w.pool.applied,
            w.probation.people,
            w.probation.overdue_people,
        )


@pytest.mark.parametrize(
    "start,end",
    [
        (date(2025, 1, 1), date(2025, 12, 31)),
        (date(2025, 1, 1), date(2025, 6, 30)),
        (date(2026, 1, 1), date(2026, 12, 31)),
    ],
)
def test_members_by_the_rule_in_every_case(store, start, end):
    """The report's members (kept visit counts, the visits read only after the period's end) equal
    app.domain.membership's on hand-made cases: the organisation's own count and a visit's the same day,
    two visits the same day, a Party count as official + probationary, a visit before the founding, a
    visit after the period's end, an organisation dissolved, admissions on and after the count's day."""
    from app.domain.membership import membership
    from app.domain.records import Visit

    with store.write("test") as w:
        a, b, c = (_enterprise(w, f"Công ty {i}") for i in range(3))
        union = w.create(
            Organisation(
                enterprise_id=a.id,
                kind=OrgKind.UNION,
                status=OrgStatus.FOUNDED,
                decision_date=date(2024, 3, 1),
                founding_members=10,
                members=15,
                members_counted_on=date(2025, 5, 1),
            )
        )
        party = w.create(
            Organisation(enterprise_id=a.id, kind=OrgKind.PARTY, status=OrgStatus.FOUNDED, founding_members=5)
        )
        youth = _org(
            w, b, OrgKind.YOUTH, date(2024, 1, 1), status=OrgStatus.DISSOLVED, dissolved=date(2025, 10, 1)
        )
        women = _org(w, b, OrgKind.WOMEN, date(2025, 4, 1), members=None)
        veterans = _org(w, c, OrgKind.VETERANS, date(2024, 6, 1), members=8)
        for e, day, fields in (
            (a, date(2025, 5, 1), {"union_members": 20}),  # the organisation's own count wins the same day
            (a, date(2025, 2, 1), {"union_members": 12}),
            (a, date(2025, 2, 1), {"union_members": 14}),  # the larger of the day
            (a, date(2025, 1, 10), {"party_official": 3, "party_probationary": 2}),  # 5, the same day as 4
            (a, date(2025, 1, 10), {"party_total": 4}),
            (a, date(2026, 2, 1), {"party_total": 9, "union_members": 30}),  # after a 2025 period
            (b, date(2025, 3, 1), {"women_members": 7, "youth_members": 5}),  # before the women's union
            (c, date(2026, 3, 1), {"veterans_members": 11}),
        ):
            w.create(Visit(enterprise_id=e.id, visit_date=day, **fields))
        for e, kind, day, n in (
            (a, OrgKind.UNION, date(2025, 5, 1), 2),  # on the count's day: in the count
            (a, OrgKind.UNION, date(2025, 6, 1), 3),
            (a, OrgKind.PARTY, date(2025, 3, 1), 1),
            (b, OrgKind.WOMEN, date(2025, 5, 1), 2),
            (b, OrgKind.YOUTH, date(2025, 4, 1), 1),
            (c, OrgKind.VETERANS, date(2026, 1, 5), 4),
        ):
            w.create(Admission(enterprise_id=e.id, kind=kind, admitted_on=day, count=n))
    report = compute(store, TEST_WARD, Period(start, end))
    orgs = {
        OrgKind.UNION: union,
        OrgKind.PARTY: party,
        OrgKind.YOUTH: youth,
        OrgKind.WOMEN: women,
        OrgKind.VETERANS: veterans,
    }
    for kind, org in orgs.items():
        visits = store.children(Visit, org.enterprise_id)
        m = membership(org, visits, store.children(Admission, org.enterprise_id), end)
        got = report.kind(kind)
        assert (got.organisations, got.members) == ((1, m.value) if m else (0, 0)), (kind, m)
    expected = {  # union: own 15 (beats the visit's 20 the same day) + 3; party: 3 + 2 the same day as 4, + 1
        2025: {OrgKind.UNION: 18, OrgKind.PARTY: 6, OrgKind.VETERANS: 8},
        2026: {OrgKind.UNION: 30, OrgKind.PARTY: 9, OrgKind.VETERANS: 11},  # the 2026 visits' counts
    }[end.year]
    assert {k: report.kind(k).members for k in expected} == expected
