"""The enterprise list's pages: ranked when searching, every match exactly once across pages."""

from __future__ import annotations

from app.domain.records import Enterprise
from app.domain.taxcode import valid_tax_code
from app.services import enterprise_list as el
from app.storage import search


def _enterprise(i: int, name: str, owner: str, ward: str = "00070") -> Enterprise:
    return Enterprise(
        name=name,
        tax_code=valid_tax_code(i),
        ward_code=ward,
        address=f"Số {i} Lê Lợi",
        owner_name=owner,
    )


def _fill(store):
    records = [_enterprise(i, f"Công ty TNHH Đức Huy {i}", f"Lê Văn Nam {i}") for i in range(1, 15)]
    records += [_enterprise(i, f"Công ty TNHH Minh Phát {i}", "Nguyễn Đức Huy") for i in range(20, 23)]
    records += [_enterprise(i, f"Hợp tác xã Nguyễn Trãi {i}", f"Phạm Đức Huy {i}") for i in range(30, 42)]
    records += [
        _enterprise(i, f"Công ty TNHH Sao Mai {i}", "Trần Thị Lan", ward="00073") for i in range(50, 60)
    ]
    with store.write() as w:
        w.create_many(records)
    return records


def _all_pages(store, q, size):
    out, offset = [], 0
    while True:
        rows = el.page(store, q, offset, size)
        out += rows
        if len(rows) < size:
            return out
        offset += size


def test_pages_of_a_search_cover_every_match_once(store, monkeypatch):
    _fill(store)
    monkeypatch.setattr(el, "HEAD", 7)  # the ranked head ends inside the third page
    monkeypatch.setattr(search, "RANK_LIMIT", 5)
    q = el.ListQuery(text="nguyen duc huy")
    n = el.count(store, q)
    rows = _all_pages(store, q, 3)
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids)) == n == 3 + 12  # his three, and "Nguyễn Trãi" + "Đức Huy" in the others
    assert [r["owner_name"] for r in rows[:3]] == ["Nguyễn Đức Huy"] * 3
    assert rows[0]["matched"] == {"owner_name"}
    assert [r["id"] for r in el.page(store, q, 0, n)] == ids  # one big page: the same order
    # a filter applies to every tier
    q2 = q.replace(text="le van nam", ward_code="00070")
    assert el.count(store, q2) == 14 == len(_all_pages(store, q2, 4))
    assert el.count(store, q2.replace(ward_code="00073")) == 0
    assert el.page(store, q2.replace(ward_code="00073"), 0, 10) == []


def test_a_chosen_sort_and_the_unfiltered_list(store):
    _fill(store)
    q = el.ListQuery(text="duc huy", sort="owner")
    owners = [r["owner_name"] for r in el.page(store, q, 0, 100)]
    assert owners == sorted(owners) and len(owners) == el.count(store, q) == 14 + 3 + 12
    everything = el.page(store, el.ListQuery(), 0, 1000)
    assert len(everything) == el.total(store) == 39
    assert all(r["matched"] == frozenset() for r in everything)
    assert [r["ward_code"] for r in everything] == sorted(r["ward_code"] for r in everything)


def test_a_collaborators_own_enterprises_come_first_on_every_page(store):
    """'Của tôi' first, then the others, each by ward and name: the pages read as one sorted list would,
    however they are cut (the laptop's own are found through its assignments, not by sorting all)."""
    from datetime import date

    from app.domain.records import Assignment

    records = _fill(store)
    ids = {r.tax_code: r.id for r in records}
    own = [ids[valid_tax_code(i)] for i in (3, 31, 52, 55, 21)]
    other = ids[valid_tax_code(5)]  # assigned to another laptop
    with store.write() as w:
        for eid, who in [*((e, "laptop-a") for e in own), (other, "laptop-b")]:
            w.create(Assignment(Assignment.id_for(eid), eid, who, who, date(2026, 11, 1)))
        w.delete("assignments", Assignment.id_for(own[-1]))  # no longer assigned
    own = own[:-1]
    q = el.ListQuery(mine="laptop-a")
    every = el.page(store, el.ListQuery(), 0, 1000)  # by ward and name
    expected = [r["id"] for r in every if r["id"] in own] + [r["id"] for r in every if r["id"] not in own]
    for size in (1, 3, 4, 5, 7, 100):
        rows = _all_pages(store, q, size)
        assert [r["id"] for r in rows] == expected, size
        assert [r["mine"] for r in rows] == [True] * 4 + [False] * 35
    # with a filter: the laptop's own among those it keeps
    q2 = q.replace(ward_code="00073")
    assert [r["id"] for r in _all_pages(store, q2, 2)] == [
        r["id"] for r in every if r["ward_code"] == "00073" and r["id"] in own
    ] + [r["id"] for r in every if r["ward_code"] == "00073" and r["id"] not in own]
    # only the laptop's own
    assert [r["id"] for r in el.page(store, q.replace(only_mine=True), 0, 100)] == expected[:4]
