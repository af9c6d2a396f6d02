"""Search ranking: a person's whole name first, words finished by a space are whole words, why a row
matched, and the representatives' index kept in step with the record."""

from __future__ import annotations

from app.domain.records import Enterprise
from app.domain.taxcode import valid_tax_code
from app.storage import search


def _enterprise(i: int, name: str, owner: str | None, **kw) -> Enterprise:
    return Enterprise(
        name=name,
        tax_code=valid_tax_code(i),
        ward_code=kw.pop("ward_code", "00070"),
        address=kw.pop("address", "Số 5 Lê Lợi, Phường Hoàn Kiếm, Thành phố Hà Nội"),
        owner_name=owner,
        **kw,
    )


def _add(store, *records: Enterprise) -> list[Enterprise]:
    with store.write() as w:
        w.create_many(records)
    return list(records)


def test_a_persons_whole_name_ranks_the_enterprise_they_represent_first(store):
    # issue 14, item 8: companies named "Đức Huy" used to come before Nguyễn Đức Huy's enterprise
    brands = [_enterprise(i, f"Công ty TNHH Đức Huy {i}", f"Nguyễn Văn Nam {i}") for i in range(1, 25)]
    his = _enterprise(99, "Công ty Cổ phần Thương mại Minh Phát", "Nguyễn Đức Huy")
    other = _enterprise(98, "Công ty TNHH Hòa Bình", "Nguyễn Đức Huỳnh")
    _add(store, *brands, his, other)
    for typed in ("nguyen duc huy", "Nguyễn Đức Huy", "NGUYEN DUC HUY"):
        rows = store.search_enterprises(typed)
        assert rows[0]["id"] == his.id, typed
        assert rows[0]["tier"] == "owner"
        assert rows[0]["matched"] == {"owner_name"}
        assert rows[0]["owner_name"] == "Nguyễn Đức Huy"
        # still typing the given name: his, then the others whose name starts so, then the rest
        assert {r["id"] for r in rows} == {his.id, other.id, *(b.id for b in brands)}
    typing = store.search_enterprises("nguyen duc hu")
    assert [r["id"] for r in typing[:2]] == [his.id, other.id]
    assert {r["tier"] for r in typing[:2]} == {"owner_start"}
    assert typing[2]["matched"] == {"name", "owner_name"}  # "Đức Huy" in the name, "Nguyễn" in the owner


def test_words_followed_by_a_space_are_whole_words(store):
    trang, tran = _add(
        store,
        _enterprise(1, "Công ty TNHH Trang Anh", "Lê Văn An"),
        _enterprise(2, "Công ty TNHH Tràn Đầy", "Lê Văn Bình"),
    )
    ids = lambda q: {r["id"] for r in store.search_enterprises(q)}  # noqa: E731
    assert ids("tran") == {trang.id, tran.id}  # the last word may be unfinished
    assert ids("tran ") == {tran.id}  # a space ends it
    assert ids("tran day") == {tran.id}
    assert ids("tran anh") == set()  # "tran" is finished: it is not "trang"
    assert ids("cong ty tnhh trang a") == {trang.id}


def test_tax_code_and_matched_fields(store):
    a, b = _add(
        store,
        _enterprise(1, "Công ty TNHH Sao Mai", "Phạm Thị Lan", short_name="SAO MAI CO., LTD"),
        _enterprise(2, "Doanh nghiệp tư nhân Hồng Hà", "Đỗ Văn Sao"),
    )
    rows = store.search_enterprises(a.tax_code[:6])
    assert rows[0]["id"] == a.id and rows[0]["tier"] == "tax_code" and rows[0]["matched"] == {"tax_code"}
    rows = {r["id"]: r for r in store.search_enterprises("sao")}
    assert rows[a.id]["matched"] == {"name", "short_name"}
    assert rows[b.id]["matched"] == {"owner_name"}
    assert store.search_enterprises("le loi")[0]["matched"] == {"address"}


def test_representatives_index_follows_every_change(store):
    (e,) = _add(store, _enterprise(1, "Công ty TNHH Sao Mai", "Phạm Thị Lan"))

    def owner_hits(q):
        return [r["id"] for r in store.search_enterprises(q) if r["tier"] == "owner"]

    assert owner_hits("pham thi lan") == [e.id]
    with store.write() as w:
        w.update(Enterprise.from_row({**store.row("enterprises", e.id), "owner_name": "Phạm Thị Loan"}))
    assert owner_hits("pham thi lan") == []
    assert owner_hits("pham thi loan") == [e.id]
    with store.write() as w:
        w.delete("enterprises", e.id)
    assert store.search_enterprises("pham thi loan") == []
    assert store.conn.execute("SELECT count(*) FROM enterprise_owners").fetchone()[0] == 0
    with store.write() as w:
        w.restore("enterprises", e.id)
    assert owner_hits("pham thi loan") == [e.id]
    # a rebuild gives the same index
    before = store.conn.execute("SELECT key, rid FROM enterprise_owners").fetchall()
    search.rebuild_index(store.conn)
    assert store.conn.execute("SELECT key, rid FROM enterprise_owners").fetchall() == before


def test_ranking_of_many_matches_and_the_ward_filter(store, monkeypatch):
    # more matches than are ranked by relevance: the representative first, names next, the rest after
    monkeypatch.setattr(search, "RANK_LIMIT", 5)
    rows = [_enterprise(i, f"Công ty TNHH Hoa Sen {i}", f"Trần Văn Hải {i}") for i in range(1, 9)]
    rows += [_enterprise(i, f"Công ty TNHH Bình An {i}", "Trần Hoa Sen") for i in range(10, 18)]
    rows += [_enterprise(20, "Công ty TNHH Bình Minh", "Hoa Sen", ward_code="00073")]
    _add(store, *rows)
    found = store.search_enterprises("hoa sen", limit=100)
    assert found[0]["owner_name"] == "Hoa Sen" and found[0]["tier"] == "owner"
    assert [r["tier"] for r in found[1:9]] == ["name"] * 8
    assert {r["tier"] for r in found[9:]} == {"all"} and len(found) == 17
    in_ward = store.search_enterprises("hoa sen", ward_code="00070")
    assert len(in_ward) == 16 and all(r["ward_code"] == "00070" for r in in_ward)
    assert store.search_enterprises("hoa sen", limit=3) == found[:3]


def test_without_a_filter_the_tiers_read_the_indexes_alone_and_find_the_same(store, monkeypatch):
    # the indexes hold exactly the enterprises not deleted, so without a filter of its own a search reads
    # no record to filter by (search._word_tiers): it must rank exactly as the path that joins the records
    rows = [_enterprise(i, f"Công ty TNHH Hoa Sen {i}", f"Trần Văn Hải {i % 4}") for i in range(1, 13)]
    rows += [_enterprise(i, f"Công ty Cổ phần Bình An {i}", "Trần Hoa Sen") for i in range(20, 29)]
    rows += [
        _enterprise(i, f"Doanh nghiệp tư nhân Minh {i}", "Lê Thị Hoa", address=f"Số {i} phố Hoa Sen")
        for i in range(40, 47)
    ]
    _add(store, *rows)
    with store.write() as w:
        for e in rows[::5]:
            w.delete("enterprises", e.id)
    deleted = {r[0] for r in store.conn.execute("SELECT rid FROM enterprises WHERE deleted = 1").fetchall()}
    assert deleted
    same_meaning = search.Filter("e.rid > ?", (0,))
    assert search.Filter().kept_only and not same_meaning.kept_only
    for limit in (5, 300):  # tiers ranked by relevance, and too many to rank (index order)
        monkeypatch.setattr(search, "RANK_LIMIT", limit)
        for typed in (
            "hoa sen",
            "hoa s",
            "tran van hai 1",
            "tran",
            "cong ty",
            "binh an 2",
            "le thi hoa",
            "0",
            "tran hoa s",
            "tran hoa sen",
            rows[1].tax_code[:4],
        ):
            t = search.terms(typed)
            assert t is not None
            for need in (1, 4, 9, 60):
                alone = search.ranked(store.conn, t, need)
                joined = search.ranked(store.conn, t, need, same_meaning)
                assert alone == joined, (limit, typed, need)
                assert not deleted & {rid for rid, _ in alone}
    # the queries above went through every tier
    monkeypatch.setattr(search, "RANK_LIMIT", 5)
    typed = ("hoa sen", "tran hoa sen", "tran hoa s", rows[1].tax_code[:4])
    tiers = {tier for text in typed for tier in _tiers(store, text)}
    assert tiers == {"tax_code", "owner", "owner_start", "name", "all"}


def _tiers(store, typed: str) -> set[str]:
    t = search.terms(typed)
    assert t is not None
    return {tier for _, tier in search.ranked(store.conn, t, 60)}
