"""A write says what it changed (app/storage/changes.py): the Writer, the Store's transactions, the
services, a list import and the merge of a bundle, without reading the change log."""

from __future__ import annotations

import pytest

from app.domain.records import Enterprise, Visit
from app.services import records as svc
from app.storage.changes import MAX_IDS, ChangeRecorder, ChangeSummary
from tests.conftest import TEST_TODAY, TEST_WARD


def _enterprise(name: str = "Công ty TNHH Hòa Bình", tax_code: str = "0100109106") -> Enterprise:
    return Enterprise(name=name, tax_code=tax_code, ward_code=TEST_WARD)


def test_the_writer_says_what_it_created_changed_and_deleted(store):
    a, b = _enterprise(), _enterprise("Công ty cổ phần Sông Hồng", "0101243150")
    with store.write() as w:
        w.create(a)
        w.create(b)
    assert w.changes.created("enterprises") == {a.id, b.id}
    assert store.take_changes().created("enterprises") == {a.id, b.id}
    assert not store.take_changes()  # taken once
    visit = Visit(enterprise_id=a.id, visit_date=TEST_TODAY, collaborator="Nguyễn Thị Hằng")
    with store.write() as w:
        a.phone = "0243 826 1234"
        w.update(a)
        w.create(visit)
        w.delete("enterprises", b.id)
    said = store.take_changes()
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
    store.take_changes()
    with store.write() as w:
        w.update(e)
    assert not w.changes and not store.take_changes()


def test_a_rolled_back_write_says_nothing(store):
    e = _enterprise()
    with pytest.raises(RuntimeError), store.write() as w:
        w.create(e)
        raise RuntimeError("power cut")
    assert store.get(Enterprise, e.id) is None
    assert not store.take_changes()


def test_a_rolled_back_savepoint_takes_back_only_its_own_changes(store):
    a, b = _enterprise(), _enterprise("Công ty cổ phần Sông Hồng", "0101243150")
    with store.transaction():
        with store.write() as w:
            w.create(a)
        with pytest.raises(ValueError), store.write() as w:
            w.create(b)
            raise ValueError("refused")
        assert not store.take_changes()  # nothing committed yet
    said = store.take_changes()
    assert said.created("enterprises") == {a.id}
    assert store.get(Enterprise, b.id) is None


def test_services_and_bulk_writes_say_what_they_did(store):
    e = svc.save_enterprise(store, _enterprise(), today=TEST_TODAY)
    assert store.take_changes().created("enterprises") == {e.id}
    svc.delete_record(store, "enterprises", e.id)
    assert store.take_changes().deleted("enterprises") == {e.id}
    many = [_enterprise(f"Công ty số {i}", "") for i in range(3)]
    with store.write() as w:
        w.create_many(many)
    assert store.take_changes().created("enterprises") == {x.id for x in many}


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
    assert store.take_changes().created("enterprises") == created
    assert {e.tax_code for e in (store.get(Enterprise, i) for i in created) if e} == {
        "0100109106",
        "0101243150",
    }
