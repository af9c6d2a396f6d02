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
