"""work_facts follows every change that matters, whatever writes it: the writer, bulk creation, a merge,
an edit of a date, a deletion, an organisation founded or dissolved, an enterprise closed or moved, the
founding minimums changed. After each step its rows equal those computed from the records."""

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
                    union_members=rng.randint(0, 9),
                    party_official=rng.randint(0, 5),
                    youth_members=rng.randint(0, 5),
                )
                w.create(v)
                visits.append(v)
            elif roll < 0.55:
                v = rng.choice(visits)
                v.visit_date = date(2025, 1, 1) + timedelta(days=rng.randint(0, 300))
                v.union_members = rng.randint(0, 9)
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
