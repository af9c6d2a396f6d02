"""A write says what it changed (app/storage/changes.py): the Writer, the services, a list import and
the merge of a bundle return it to their caller, without reading the change log; the Store only
counts the transactions that wrote records (``writes_committed``)."""

from __future__ import annotations

import pytest

from app.domain.records import Enterprise, Visit
from app.services import records as svc
from app.storage.changes import MAX_IDS, ChangeRecorder, ChangeSummary, Saved, changes_of
from tests.conftest import TEST_TODAY, TEST_WARD


def _enterprise(name: str = "Công ty TNHH Hòa Bình", tax_code: str = "0100109106") -> Enterprise:
    return Enterprise(name=name, tax_code=tax_code, ward_code=TEST_WARD)


def test_the_writer_says_what_it_created_changed_and_deleted(store):
    a, b = _enterprise(), _enterprise("Công ty cổ phần Sông Hồng", "0101243150")
    with store.write() as w:
        w.create(a)
        w.create(b)
    assert w.changes.created("enterprises") == {a.id, b.id}
    assert store.writes_committed == 1
    visit = Visit(enterprise_id=a.id, visit_date=TEST_TODAY, collaborator="Nguyễn Thị Hằng")
    with store.write() as w:
        a.phone = "0243 826 1234"
        w.update(a)
        w.create(visit)
        w.delete("enterprises", b.id)
    said = w.changes
    assert said.updated("enterprises") == {a.id} and said.deleted("enterprises") == {b.id}
    assert said.created("visits") == {visit.id}
    assert said.entities == {"enterprises", "visits"} and said.count == 3
    assert said.affects("enterprises", a.id) and not said.affects("enterprises", "someone-else")
    assert not said.affects("targets", a.id)
    assert said.describe() == "enterprises: 1 delete, 1 update; visits: 1 create"


def test_an_update_that_changes_nothing_says_nothing(store):
    e = _enterprise()
    with store.write() as w:
        w.create(e)
    with store.write() as w:
        w.update(e)
    assert not w.changes and store.writes_committed == 1


def test_a_rolled_back_write_says_nothing(store):
    e = _enterprise()
    with pytest.raises(RuntimeError), store.write() as w:
        w.create(e)
        raise RuntimeError("power cut")
    assert store.get(Enterprise, e.id) is None
    assert store.writes_committed == 0  # (its caller got the exception, never a summary)


def test_a_rolled_back_savepoint_takes_back_only_its_own_changes(store):
    a, b = _enterprise(), _enterprise("Công ty cổ phần Sông Hồng", "0101243150")
    with store.transaction():
        with store.write() as first:
            first.create(a)
        with pytest.raises(ValueError), store.write() as w:
            w.create(b)
            raise ValueError("refused")
        assert store.writes_committed == 0  # nothing committed yet
    assert first.changes.created("enterprises") == {a.id} and store.writes_committed == 1
    assert store.get(Enterprise, b.id) is None
    with store.transaction(), pytest.raises(ValueError), store.write() as w:
        w.create(b)
        raise ValueError("refused")
    assert store.writes_committed == 1  # a rolled-back savepoint is not counted


def test_services_and_bulk_writes_say_what_they_did(store):
    saved = svc.save_enterprise(store, _enterprise(), today=TEST_TODAY)
    e = saved.record
    assert saved.changes.created("enterprises") == {e.id} and changes_of(saved) == saved.changes
    assert svc.delete_record(store, "enterprises", e.id).deleted("enterprises") == {e.id}
    assert not svc.delete_record(store, "enterprises", e.id)  # gone already: nothing changed
    many = [_enterprise(f"Công ty số {i}", "") for i in range(3)]
    with store.write() as w:
        w.create_many(many)
    assert w.changes.created("enterprises") == {x.id for x in many}


def test_what_a_result_says_it_changed():
    one = ChangeSummary({"visits": {"create": (frozenset({"v1"}), 1)}})
    two = ChangeSummary({"enterprises": {"update": (frozenset({"e1"}), 1)}})
    assert changes_of(one) is one and changes_of(Saved("record", two)) is two
    both = changes_of([Saved("a", one), Saved("b", two)])  # (several imported files)
    assert both is not None and both.entities == {"visits", "enterprises"}
    assert changes_of(None) is None and changes_of(3) is None and changes_of([]) is None
    assert changes_of([Saved("a", one), "not a write"]) is None

    class Exported:  # a result with a count named changes says nothing
        changes = 12

    assert changes_of(Exported()) is None


def test_many_ids_are_counted_not_listed():
    rec = ChangeRecorder()
    rec.add("enterprises", "create", (f"id{i}" for i in range(MAX_IDS + 5)))
    rec.add("enterprises", "create", ["one more"])
    said = rec.summary()
    assert said.created("enterprises") is None and said.count == MAX_IDS + 6
    assert said.affects("enterprises", "anything")  # too many to list: maybe
    assert said.record_ids == frozenset()
    both = said | ChangeSummary({"visits": {"update": (frozenset({"v1"}), 1)}})
    assert both.entities == {"enterprises", "visits"} and both.updated("visits") == {"v1"}
    assert ChangeSummary.all().affects("targets", "x") and ChangeSummary.all().count == 1


def test_a_list_import_says_what_it_created(store, tmp_path):
    from app.importing import mapping as mp
    from app.importing import plan as pl

    path = tmp_path / "danhsach.csv"
    path.write_text(
        "Tên doanh nghiệp,Mã số thuế,Địa chỉ,Phường\n"
        "Công ty TNHH Hòa Bình,0100109106,12 Hàng Bài,Phường Hoàn Kiếm\n"
        "Công ty cổ phần Sông Hồng,0101243150,5 Tràng Tiền,Phường Hoàn Kiếm\n",
        encoding="utf-8",
    )
    prepared = mp.prepare(path, store)
    result = pl.execute(
        store, pl.preview(store, prepared.table, prepared.mapping, pl.Options(today=TEST_TODAY))
    )
    created = result.changes.created("enterprises")
    assert result.created == 2 and created is not None and len(created) == 2
    assert changes_of(result) == result.changes
    assert {e.tax_code for e in (store.get(Enterprise, i) for i in created) if e} == {
        "0100109106",
        "0101243150",
    }


def test_shared_ids_keep_the_limit_across_recorders(monkeypatch):
    from app.storage import changes

    monkeypatch.setattr(changes, "MAX_IDS", 3)
    a, b, c = ChangeRecorder(), ChangeRecorder(), ChangeRecorder()
    a.add("enterprises", "create", ["e1", "e2"])
    a.add("visits", "update", ["v1"])
    b.add("enterprises", "create", ["e3"])
    c.add("enterprises", "create", ["e4"])
    c.add("visits", "update", ["v2"])
    shared = changes.SharedIds()
    shared.add(a)
    shared.add(b)
    assert a.summary().created("enterprises") == {"e1", "e2"}  # 3 in all: within the limit
    shared.add(c)
    for r in (a, b, c):  # 4 in all: every recorder keeps the counts only
        assert r.summary().created("enterprises") is None
    assert [r.summary().ops["enterprises"]["create"][1] for r in (a, b, c)] == [2, 1, 1]
    assert a.summary().updated("visits") == {"v1"} and c.summary().updated("visits") == {"v2"}
    d = ChangeRecorder()
    d.add("enterprises", "create", ["e5"])
    shared.add(d)  # once past the limit, a later recorder keeps the count only at once
    assert d.summary().created("enterprises") is None and d.summary().ops["enterprises"]["create"][1] == 1
