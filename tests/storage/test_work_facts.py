"""work_facts and member_counts follow every change that matters, whatever writes it: the writer, bulk
creation, a merge, an edit of a date, a deletion, an organisation founded or dissolved, an enterprise
closed or moved, the founding minimums changed. After each step their rows equal those computed from the
records (``work_facts.problems`` counts them again from scratch)."""

from __future__ import annotations

import random
from datetime import date, timedelta

from app.domain.records import Enterprise, Organisation, Visit
from app.domain.vocab import Attitude, EnterpriseStatus, OrgKind, OrgStatus
from app.storage import work_facts


def facts(store, eid):
    rows = store._rows("SELECT * FROM work_facts WHERE enterprise_id = ?", (eid,))
    return rows[0] if rows else None


def test_the_latest_visit_and_the_chances(store):
    e = Enterprise(name="Công ty TNHH Hòa Bình", tax_code="0100109106", ward_code="00070", workforce_total=80)
    with store.write() as w:
        w.create(e)
    assert facts(store, e.id) is None  # never visited: not in the table
    old = Visit(
        enterprise_id=e.id, visit_date=date(2025, 1, 5), next_visit_date=date(2025, 3, 1), union_members=2
    )
    new = Visit(
        enterprise_id=e.id,
        visit_date=date(2025, 6, 5),
        next_visit_date=date(2025, 9, 1),
        union_members=7,
        party_official=3,
        attitude=Attitude.UNDECIDED,
        workforce_total=90,
    )
    with store.write() as w:
        w.create_many([old, new])
    f = facts(store, e.id)
    assert (f["visit_id"], f["next_visit"], f["attitude_rank"], f["workforce"]) == (
        new.id,
        "2025-09-01",
        1,
        90,
    )
    assert work_facts.kinds(f["chances"]) == [OrgKind.PARTY, OrgKind.UNION]
    # a union founded: no chance of a union any more; dissolved: the chance is back
    org = Organisation(
        enterprise_id=e.id, kind=OrgKind.UNION, status=OrgStatus.FOUNDED, decision_date=date(2025, 7, 1)
    )
    with store.write() as w:
        w.create(org)
    assert work_facts.kinds(facts(store, e.id)["chances"]) == [OrgKind.PARTY]
    org.status = OrgStatus.DISSOLVED
    with store.write() as w:
        w.update(org)
    assert work_facts.kinds(facts(store, e.id)["chances"]) == [OrgKind.PARTY, OrgKind.UNION]
    # the latest visit's date moved before the other: the other is the latest now
    new.visit_date = date(2024, 12, 1)
    with store.write() as w:
        w.update(new)
    assert facts(store, e.id)["visit_id"] == old.id and facts(store, e.id)["chances"] == 0
    with store.write() as w:
        w.delete("visits", old.id)
    assert facts(store, e.id)["visit_id"] == new.id
    # the enterprise closes: it stays counted but is not active
    e.status = EnterpriseStatus.DISSOLVED
    with store.write() as w:
        w.update(e)
    assert facts(store, e.id)["active"] == 0
    with store.write() as w:
        w.delete("visits", new.id)
    assert facts(store, e.id) is None
    assert store.integrity_check() == []


def members(store, eid):
    return {
        r["kind"]: (r["counted_on"], r["members"])
        for r in store._rows("SELECT * FROM member_counts WHERE enterprise_id = ?", (eid,))
    }


def test_the_report_figures_follow_typed_edited_and_deleted_visits(store):
    """The pool of the latest visit and the enterprise's place in the report on work_facts; the latest
    count of each kind of organisation founded in member_counts (the largest of a day's counts)."""
    e = Enterprise(name="Công ty TNHH Hòa Bình", tax_code="0100109106", ward_code="00070")
    with store.write() as w:
        w.create(e)
    first = Visit(
        enterprise_id=e.id,
        visit_date=date(2025, 3, 1),
        union_members=20,
        party_official=2,
        party_probationary=1,
        candidates_identified=4,
        candidates_trained=2,
    )
    with store.write() as w:
        w.create(first)
    f = facts(store, e.id)
    assert (f["reported"], f["identified"], f["trained"], f["applied"]) == (1, 4, 2, None)
    assert members(store, e.id) == {}  # no organisation founded: nothing kept
    union = Organisation(enterprise_id=e.id, kind=OrgKind.UNION, status=OrgStatus.FOUNDED)
    party = Organisation(enterprise_id=e.id, kind=OrgKind.PARTY, status=OrgStatus.MOBILISING)
    with store.write() as w:
        w.create_many([union, party])
    assert members(store, e.id) == {"union": ("2025-03-01", 20)}
    party.status = OrgStatus.FOUNDED
    with store.write() as w:
        w.update(party)
    assert members(store, e.id) == {"union": ("2025-03-01", 20), "party": ("2025-03-01", 3)}
    # two visits the same later day: the larger count; one without a union count is not a count
    same_day = [
        Visit(enterprise_id=e.id, visit_date=date(2025, 8, 1), union_members=25, party_total=4),
        Visit(enterprise_id=e.id, visit_date=date(2025, 8, 1), union_members=27, candidates_applied=1),
        Visit(enterprise_id=e.id, visit_date=date(2025, 9, 1), party_total=5),
    ]
    with store.write() as w:
        w.create_many(same_day)
    assert members(store, e.id) == {"union": ("2025-08-01", 27), "party": ("2025-09-01", 5)}
    assert (facts(store, e.id)["identified"], facts(store, e.id)["applied"]) == (None, None)
    # edited: the latest visit counted again, then moved before the others
    latest = same_day[2]
    latest.party_total, latest.candidates_identified = None, 6
    with store.write() as w:
        w.update(latest)
    assert members(store, e.id)["party"] == ("2025-08-01", 4)
    assert facts(store, e.id)["identified"] == 6
    latest.visit_date = date(2025, 1, 1)
    with store.write() as w:
        w.update(latest)
    assert facts(store, e.id)["visit_id"] in {v.id for v in same_day[:2]}
    # deleted: the day's larger count goes, the other stays
    with store.write() as w:
        w.delete("visits", same_day[1].id)
    assert members(store, e.id) == {"union": ("2025-08-01", 25), "party": ("2025-08-01", 4)}
    # the union dissolved still has its members counted (the report counts it before its end)
    union.status = OrgStatus.DISSOLVED
    with store.write() as w:
        w.update(union)
    assert members(store, e.id)["union"] == ("2025-08-01", 25)
    with store.write() as w:
        w.delete("organisations", union.id)
    assert set(members(store, e.id)) == {"party"}
    # suspended: still reported; dissolved: not
    e.status = EnterpriseStatus.SUSPENDED
    with store.write() as w:
        w.update(e)
    assert facts(store, e.id)["reported"] == 1
    e.status = EnterpriseStatus.DISSOLVED
    with store.write() as w:
        w.update(e)
    assert facts(store, e.id)["reported"] == 0
    assert work_facts.problems(store.conn) == []
    assert store.integrity_check() == []


def test_problems_finds_facts_changed_behind_the_writers_back(store):
    e = Enterprise(name="Công ty TNHH An Bình", tax_code="0100109106", ward_code="00070", workforce_total=40)
    union = Organisation(enterprise_id=e.id, kind=OrgKind.UNION, status=OrgStatus.FOUNDED)
    visit = Visit(enterprise_id=e.id, visit_date=date(2025, 3, 1), union_members=20)
    with store.write() as w:
        w.create_many([e, union, visit])
    assert work_facts.problems(store.conn) == []
    store.conn.execute("UPDATE member_counts SET members = 21")  # a row that differs: counted both ways
    store.conn.execute("DELETE FROM work_facts")  # a row missing
    found = work_facts.problems(store.conn)
    assert found == [
        "1 dòng của danh sách việc cần làm không khớp với các lượt khảo sát",
        "2 số thành viên đếm khi khảo sát không khớp với các lượt khảo sát",
    ]


def test_minimums_follow_the_setting(store):
    e = Enterprise(name="Công ty TNHH Hòa Bình", tax_code="0100109106", ward_code="00070")
    v = Visit(enterprise_id=e.id, visit_date=date(2025, 6, 5), women_members=12, youth_members=3)
    with store.write() as w:
        w.create(e)
        w.create(v)
    assert work_facts.kinds(facts(store, e.id)["chances"]) == [
        OrgKind.YOUTH
    ]  # no minimum for women's branches
    store.set_setting(
        "founding_minimums", {"party": 3, "union": 5, "youth": 4, "women": 10, "veterans": None}
    )
    assert work_facts.kinds(facts(store, e.id)["chances"]) == [OrgKind.WOMEN]
    assert store.integrity_check() == []


def test_a_random_walk_of_edits_keeps_the_facts_in_step(store):
    rng = random.Random(17)
    firms = [
        Enterprise(
            name=f"Công ty {i}",
            tax_code="0100109106",
            ward_code=rng.choice(["00070", "00004"]),
            workforce_total=rng.randint(1, 300),
        )
        for i in range(12)
    ]
    with store.write() as w:
        w.create_many(firms)
    visits, orgs = [], []
    for step in range(150):
        with store.write() as w:
            roll = rng.random()
            if roll < 0.35 or not visits:
                v = Visit(
                    enterprise_id=rng.choice(firms).id,
                    visit_date=date(2025, 1, 1) + timedelta(days=rng.randint(0, 300)),
                    next_visit_date=rng.choice([None, date(2025, 11, rng.randint(1, 30))]),
                    attitude=rng.choice([None, *Attitude]),
                    union_members=rng.choice([None, rng.randint(0, 9)]),
                    party_official=rng.randint(0, 5),
                    party_probationary=rng.choice([None, rng.randint(0, 3)]),
                    party_total=rng.choice([None, None, rng.randint(5, 9)]),
                    youth_members=rng.randint(0, 5),
                    candidates_identified=rng.choice([None, rng.randint(0, 5)]),
                    candidates_applied=rng.choice([None, rng.randint(0, 2)]),
                )
                w.create(v)
                visits.append(v)
            elif roll < 0.55:
                v = rng.choice(visits)
                v.visit_date = date(2025, 1, 1) + timedelta(days=rng.randint(0, 300))
                v.union_members = rng.choice([None, rng.randint(0, 9)])
                v.candidates_trained = rng.choice([None, rng.randint(0, 3)])
                v.enterprise_id = rng.choice(firms).id
                w.update(v) if store.get(Visit, v.id) else None
            elif roll < 0.65:
                v = rng.choice(visits)
                w.delete("visits", v.id) if rng.random() < 0.7 else w.restore("visits", v.id)
            elif roll < 0.85:
                o = Organisation(
                    enterprise_id=rng.choice(firms).id,
                    kind=rng.choice(list(OrgKind)),
                    status=rng.choice(list(OrgStatus)),
                )
                w.create(o)
                orgs.append(o)
            elif orgs:
                o = rng.choice(orgs)
                o.status = rng.choice(list(OrgStatus))
                w.update(o)
            e = rng.choice(firms)
            if rng.random() < 0.1:
                e.status = rng.choice(list(EnterpriseStatus))
                e.ward_code = rng.choice(["00070", "00004"])
                w.update(e)
        assert work_facts.problems(store.conn) == [], step
    kept = store.conn.execute("SELECT count(*), count(DISTINCT kind) FROM member_counts").fetchone()
    pools = store.conn.execute("SELECT count(*) FROM work_facts WHERE identified > 0").fetchone()[0]
    assert kept[0] and kept[1] > 1 and pools  # the walk reached what it checks
