"""New records in bulk (app/sync/bulk.py) and creations kept on their records (app/storage/kept_creations.py):
the same state as the general path, whatever happens to the record afterwards."""

from __future__ import annotations

import zlib
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.records import Enterprise, Visit
from app.domain.text import search_key, search_keys
from app.sync import bundles as B
from app.sync.bulk import CreateSection
from app.sync.merge import merge
from tests.sync.conftest import WARD, edit, enterprise


def _kept_creation(store, table: str, rid: str) -> str | None:
    return store.conn.execute(f"SELECT create_change FROM {table} WHERE id = ?", (rid,)).fetchone()[0]


def test_a_new_record_keeps_its_creation_until_it_changes(net):
    e = enterprise(net.l1)
    [created] = [c for c in net.l1.store.changes_since(0) if c["record_id"] == e.id]
    r = net.ward.import_ok(net.l1.export(net.stick))
    assert r.report.new == 1 and r.report.applied == 1
    store = net.ward.store
    # no change-log row, the creation on the record; the history reads the same
    assert store.conn.execute("SELECT count(*) FROM changes").fetchone()[0] == 0
    assert _kept_creation(store, "enterprises", e.id) == created["change_id"]
    [h] = store.history("enterprises", e.id)
    assert (h["change_id"], h["op"], h["origin"], h["fields"]) == (
        created["change_id"],
        "create",
        net.l1.id,
        created["fields"],
    )
    [via] = store.conn.execute("SELECT hash FROM sync_envelopes").fetchone()
    assert h["received_via"] == via  # the envelope that carried it
    # a local edit at the office writes the creation first, then the edit
    edit(net.ward, store.get(Enterprise, e.id), workforce_total=77)
    log = store.conn.execute("SELECT change_id, op, origin, fields FROM changes ORDER BY seq").fetchall()
    assert [x[:3] for x in log] == [
        (created["change_id"], "create", net.l1.id),
        (log[1][0], "update", net.ward.id),
    ]
    assert _kept_creation(store, "enterprises", e.id) is None
    assert [x["op"] for x in store.history("enterprises", e.id)] == ["create", "update"]


def test_an_edit_arriving_later_and_a_concurrent_edit_make_the_same_conflict(net):
    e = enterprise(net.l1)
    net.ward.import_ok(net.l1.export(net.stick))
    edit(net.l1, e, name="Công ty TNHH Hòa Bình Mới")
    # the office edits the same field without having seen the laptop's edit
    edit(net.ward, net.ward.store.get(Enterprise, e.id), name="Công ty TNHH Hòa Bình (sửa ở phường)")
    r = net.ward.import_ok(net.l1.export(net.stick))
    assert r.report.conflicts == 1 and r.report.unchanged == 1  # the creation, already here
    [c] = B.open_conflicts(net.ward.store)
    assert c["field"] == "name"
    assert [x["op"] for x in net.ward.store.history("enterprises", e.id)] == ["create", "update", "update"]


def test_relayed_upward_the_province_gets_the_same_records_and_history(net):
    e = enterprise(net.l1)
    v = Visit(
        enterprise_id=e.id,
        visit_date=date(2026, 11, 20),
        collaborator="Nguyễn Thị Hằng",
        person_met="Ông Hùng",
        union_members=4,
    )
    with net.l1.store.write() as w:
        w.create(v)
    net.ward.import_ok(net.l1.export(net.stick))
    # the envelope is kept as a slice of the file's compressed plaintext, not a second copy
    data, blob, offset, length = net.ward.store.conn.execute(
        "SELECT data, blob_id, blob_offset, blob_length FROM sync_envelopes"
    ).fetchone()
    assert data == b"" and blob is not None
    packed = net.ward.store.conn.execute("SELECT data FROM sync_blobs WHERE id = ?", (blob,)).fetchone()[0]
    assert zlib.decompress(packed)[offset : offset + length][-64:]  # a whole envelope, signature last
    edit(net.ward, net.ward.store.get(Enterprise, e.id), workforce_total=55)
    r = net.province.import_ok(net.ward.export(net.stick))
    assert r.relayed == 1 and r.report.new == 2
    p = net.province.store
    assert p.get(Enterprise, e.id).workforce_total == 55 and p.get(Visit, v.id).union_members == 4
    assert [x["origin"] for x in p.history("enterprises", e.id)] == [net.l1.id, net.ward.id]
    assert [x["origin"] for x in p.history("visits", v.id)] == [net.l1.id]
    assert _kept_creation(p, "visits", v.id) is not None  # never changed: still kept on the record
    from app.services.history import enterprise_history

    entries = enterprise_history(p, e.id)
    assert [(x.entity, x.op) for x in entries] == [
        ("enterprises", "update"),
        ("visits", "create"),
        ("enterprises", "create"),
    ]


def test_children_in_bulk_wait_for_their_enterprise(net):
    e = enterprise(net.l1)
    v = Visit(enterprise_id=e.id, visit_date=date(2026, 11, 20), collaborator="Nguyễn Thị Hằng")
    with net.l1.store.write() as w:
        w.create(v)
    bundle = net.l1.export(net.stick)
    rows = net.l1.store.conn.execute(
        "SELECT seq, change_id, txn, hlc, author, wall_time, entity, record_id, op, fields FROM changes "
        "WHERE entity = 'visits'"
    ).fetchall()
    created, _ = B._payload_changes(rows)
    [sec] = created
    with net.ward.store.transaction() as conn:
        rep = merge(
            conn,
            [],
            "now",
            [CreateSection("visits", sec["columns"], sec["rows"], "x" * 64, None, net.l1.id, WARD)],
        )
    assert rep.pending == 1 and rep.new == 0 and net.ward.store.get(Visit, v.id) is None
    r = net.ward.import_ok(bundle)
    assert r.report.linked == 1 and r.report.pending == 0
    assert net.ward.store.get(Visit, v.id) is not None
    assert net.ward.store.conn.execute("SELECT count(*) FROM sync_pending").fetchone()[0] == 0


def test_the_same_creation_twice_in_one_import_is_merged_once(net):
    """The same laptop envelope relayed by two offices in one file, say: one record, one creation."""
    e = enterprise(net.l1)
    rows = net.l1.store.conn.execute(
        "SELECT seq, change_id, txn, hlc, author, wall_time, entity, record_id, op, fields FROM changes"
    ).fetchall()
    [sec] = B._payload_changes(rows)[0]
    two = [
        CreateSection("enterprises", sec["columns"], sec["rows"], h * 64, None, net.l1.id, WARD) for h in "ab"
    ]
    with net.ward.store.transaction() as conn:
        rep = merge(conn, [], "now", two)
    assert (rep.new, rep.unchanged) == (1, 1)
    [h] = net.ward.store.history("enterprises", e.id)
    assert (
        h["op"] == "create" and net.ward.store.conn.execute("SELECT count(*) FROM changes").fetchone()[0] == 0
    )


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(codec="utf-8"), max_size=30), min_size=1, max_size=20))
def test_folding_in_one_go_is_folding_one_by_one(values):
    assert search_keys(values) == [search_key(v) for v in values]


def test_folding_in_one_go_vietnamese():
    values = [
        "Công ty TNHH Hòa Bình",
        "ĐOÀN  thị--Hằng",
        "",
        "0101234567-001 0101234567001",
        "Ắ ẳ, ỹ!",
        "日本 Corp",
    ]
    assert search_keys(values) == [search_key(v) for v in values]
    assert search_keys(values[:5]) == [
        "cong ty tnhh hoa binh",
        "doan thi hang",
        "",
        "0101234567 001 0101234567001",
        "a a y",
    ]


def test_a_stick_of_bundles_is_imported_with_one_large_cache_from_first_to_last(net, monkeypatch):
    """The page cache a big bundle gets is not dropped between the bundles of one import: the index
    pages the first one read (decrypted, on the encrypted file) are still there for the next
    (docs/performance.md, encryption at rest: bundle import at province scale)."""
    monkeypatch.setattr(B, "BIG_BUNDLE", 0)  # every bundle counts as big here
    enterprise(net.l1, "Công ty TNHH Một", "0100109106")
    enterprise(net.l2, "Công ty TNHH Hai", "0101243150")
    files = [net.l1.export(net.stick), net.l2.export(net.stick)]
    said: list[str] = []
    store = net.ward.store
    store.conn.set_trace_callback(lambda sql: said.append(sql) if "cache_size" in sql else None)
    try:
        results = net.ward.import_(*files)
    finally:
        store.conn.set_trace_callback(None)
    assert [r.outcome for r in results] == ["applied", "applied"]
    sets = [s for s in said if "=" in s]
    assert sets == [f"PRAGMA cache_size = -{B.IMPORT_CACHE_KIB}", "PRAGMA cache_size = -32768"]
    assert store.conn.execute("PRAGMA cache_size").fetchone()[0] == -32768
    # a bundle imported on its own still gets it, and gives it back
    enterprise(net.l1, "Công ty TNHH Ba", "0100100079")
    said.clear()
    store.conn.set_trace_callback(lambda sql: said.append(sql) if "cache_size = " in sql else None)
    try:
        B.import_file(store, net.ward.ident, net.l1.export(net.stick))
    finally:
        store.conn.set_trace_callback(None)
    assert said == [f"PRAGMA cache_size = -{B.IMPORT_CACHE_KIB}", "PRAGMA cache_size = -32768"]


def test_an_import_result_lets_go_of_the_payload_rows(net):
    """The soft checks read the rows a merge inserted; the result kept with the import (a province imports
    168 bundles in one batch) holds only counts and ids: the payload's rows are freed bundle by bundle."""
    e = enterprise(net.l1)
    with net.l1.store.write() as w:
        w.create(Visit(enterprise_id=e.id, visit_date=date(2026, 11, 20), workforce_total=3, union_members=9))
    [r] = net.ward.import_(net.l1.export(net.stick))
    assert r.report.new == 2 and r.report.to_check == 1  # the checks saw the rows (9 members of 3 workers)
    assert r.report.inserted == [] and r.report.touched == {}
    assert r.changes.created("visits") == {
        r2[0] for r2 in net.ward.store.conn.execute("SELECT id FROM visits")
    }
