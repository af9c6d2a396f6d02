"""Export, import, receipts, relay and the merge rules, on real files in real data folders."""

from __future__ import annotations

import json
import shutil
import time
from datetime import date

from app.domain.records import Enterprise, Organisation, Visit
from app.sync import bundles as B
from app.sync import registry as R
from tests.helpers.vault import open_store
from tests.sync.conftest import WARD, db_fingerprint, edit, enterprise, state


def test_round_trip_keeps_change_identity_and_search(net):
    e = enterprise(net.l1)
    edit(net.l1, e, workforce_total=120, owner_name="Nguyễn Văn Hùng")
    r = net.ward.import_ok(net.l1.export(net.stick))
    assert (r.report.new, r.report.conflicts, r.relayed) == (1, 0, 0)
    mine = net.l1.store.history("enterprises", e.id)
    theirs = net.ward.store.history("enterprises", e.id)
    keys = ("change_id", "hlc", "origin", "author", "op", "fields")
    assert [{k: c[k] for k in keys} for c in theirs] == [{k: c[k] for k in keys} for c in mine]
    assert all(c["received_via"] for c in theirs)
    got = net.ward.store.get(Enterprise, e.id)
    assert got.workforce_total == 120 and got.owner_name == "Nguyễn Văn Hùng"
    assert [x["id"] for x in net.ward.store.search_enterprises("van hung")] == [e.id]
    # the office's clock has seen the laptop's stamps: its own edits sort after them
    edit(net.ward, e, workforce_total=130)
    last = net.ward.store.history("enterprises", e.id)[-1]
    assert last["hlc"] > mine[-1]["hlc"] and last["origin"] == net.ward.id


def test_nothing_readable_on_the_stick(net):
    enterprise(net.l1, name="Công ty Cổ phần Bí Mật Quốc Gia", owner_name="Lê Văn Đảng")
    data = net.l1.export(net.stick).read_bytes()
    for needle in ("Bí Mật", "Bi Mat", "0100109106", "Lê Văn", "enterprises", "khaosat-bundle", net.l1.id):
        assert needle.encode() not in data
    assert needle.encode("utf-16-le") not in data


def test_receipt_makes_the_next_export_leave_out_what_arrived(net):
    enterprise(net.l1)
    r = net.ward.import_ok(net.l1.export(net.stick))
    assert r.receipt is not None and r.receipt.exists()
    [pv] = B.preview(net.l1.store)
    assert pv.changes == 1  # not confirmed yet
    rr = net.l1.import_ok(r.receipt)
    assert rr.kind == "receipt"
    [pv] = B.preview(net.l1.store)
    assert pv.changes == 0
    enterprise(net.l1, name="Công ty TNHH Bình An", tax_code="0100109113")
    [res] = B.export(net.l1.store, net.l1.ident, net.stick)
    assert (res.seq, res.changes) == (2, 1)
    # the same receipt again changes nothing and says so (not an error: a stick keeps old receipts)
    before = db_fingerprint(net.l1.store)
    [again] = net.l1.import_(r.receipt)
    assert again.outcome == "already" and again.error is None and "không có gì mới" in again.summary()
    assert db_fingerprint(net.l1.store) == before


def test_lost_stick_is_healed_by_the_next_export(net):
    e = enterprise(net.l1)
    lost = net.l1.export(net.stick)
    lost.unlink()  # the stick is lost on the way
    edit(net.l1, e, phone="0243 826 1234")
    second = net.l1.export(net.stick)
    r = net.ward.import_ok(second)
    assert r.report.new == 1 and any("thiếu gói" in w for w in r.warnings)  # gap accepted with a warning
    assert net.ward.store.get(Enterprise, e.id).phone == "0243 826 1234"


def test_old_bundle_after_newer_changes_nothing_and_closes_the_gap(net):
    e = enterprise(net.l1)
    first = net.l1.export(net.stick)
    edit(net.l1, e, workforce_total=40)
    second = net.l1.export(net.stick)
    net.ward.import_ok(second)
    snapshot = state(net.ward.store)
    r = net.ward.import_ok(first)
    assert r.report.unchanged == 1 and r.report.applied == 0 and not r.warnings
    after = state(net.ward.store)
    assert after == snapshot
    assert net.ward.store.get(Enterprise, e.id).workforce_total == 40


def test_concurrent_edits_make_a_conflict_with_the_same_winner_everywhere(net):
    e = enterprise(net.l1)
    r = net.ward.import_ok(net.l1.export(net.stick))
    net.l1.import_ok(r.receipt)
    # the office corrects the workforce while the collaborator, offline, also changes it
    edit(net.ward, e, workforce_total=200)
    net.clock.advance(0.005)  # later by the clock (within one millisecond the machine id would decide)
    edit(net.l1, e, workforce_total=150)
    r2 = net.ward.import_ok(net.l1.export(net.stick))
    assert r2.report.conflicts == 1
    [c] = B.open_conflicts(net.ward.store)
    assert c["field"] == "workforce_total" and {json.loads(c["value_a"]), json.loads(c["value_b"])} == {
        150,
        200,
    }
    winner_value = net.ward.store.get(Enterprise, e.id).workforce_total
    # newest stamp wins provisionally: the laptop edited last
    assert winner_value == 150
    # the province sees the same winner and the same conflict, from the relayed originals
    net.province.import_ok(net.ward.export(net.stick))
    assert net.province.store.get(Enterprise, e.id).workforce_total == 150
    assert len(B.open_conflicts(net.province.store)) == 1
    # a person resolves it at the ward: an ordinary change that travels upward
    resolved = B.resolve_conflict(net.ward.store, c["id"], 200, author="Trần Văn Nam")
    assert resolved.fields == {"workforce_total": [150, 200]}
    assert resolved.changes.updated("enterprises") == {e.id} and resolved.changes.entities == {"enterprises"}
    assert B.open_conflicts(net.ward.store) == []
    net.province.import_ok(net.ward.export(net.stick))
    assert net.province.store.get(Enterprise, e.id).workforce_total == 200


def test_edit_against_delete_keeps_the_edit(net):
    e = enterprise(net.l1)
    r = net.ward.import_ok(net.l1.export(net.stick))
    net.l1.import_ok(r.receipt)
    with net.ward.store.write() as w:
        w.delete("enterprises", e.id)
    net.clock.advance(0.005)
    edit(net.l1, e, owner_name="Phạm Thị Lan", workforce_total=88)
    r2 = net.ward.import_ok(net.l1.export(net.stick))
    assert r2.report.conflicts == 1
    [c] = B.open_conflicts(net.ward.store)
    assert c["kind"] == "edit_delete"
    row = net.ward.store.row("enterprises", e.id)
    assert row["owner_name"] == "Phạm Thị Lan" and row["workforce_total"] == 88


def test_children_before_parent_wait_then_link(net):
    e = enterprise(net.l1)
    v = Visit(
        enterprise_id=e.id,
        visit_date=date(2026, 11, 20),
        collaborator="Nguyễn Thị Hằng",
        person_met="Ông Hùng",
    )
    o = Organisation(enterprise_id=e.id)
    with net.l1.store.write() as w:
        w.create(v)
        w.create(o)
    bundle = net.l1.export(net.stick)
    # an office that got the children first (hand-built: only the child changes)
    from app.sync.merge import merge
    from app.sync.payload import Incoming

    rows = net.l1.store.changes_since(0)
    child = [
        [
            c["change_id"],
            c["txn"],
            c["hlc"],
            c["origin"],
            c["author"],
            c["wall_time"],
            c["entity"],
            c["record_id"],
            c["op"],
            c["fields"],
        ]
        for c in rows
        if c["entity"] != "enterprises"
    ]
    with net.ward.store.transaction() as conn:
        rep = merge(conn, [Incoming(c, "x" * 64, WARD) for c in child], "now")
    assert rep.pending == 2 and net.ward.store.get(Visit, v.id) is None
    r = net.ward.import_ok(bundle)
    assert r.report.linked == 2
    assert [x.id for x in net.ward.store.children(Visit, e.id)] == [v.id]
    assert net.ward.store.conn.execute("SELECT count(*) FROM sync_pending").fetchone()[0] == 0
    assert net.ward.store.integrity_check() == []  # the enterprise's last visit counted the linked one


def test_same_tax_code_under_two_ids_is_a_duplicate_candidate(net):
    a = enterprise(net.l1, name="Công ty TNHH Hòa Bình")
    b = enterprise(net.l2, name="Cty TNHH Hoà Bình")
    net.ward.import_ok(net.l1.export(net.stick))
    r = net.ward.import_ok(net.l2.export(net.stick))
    assert r.report.duplicates == 1
    pairs = net.ward.store.conn.execute("SELECT id_a, id_b, tax_code FROM sync_duplicates").fetchall()
    assert pairs == [(*sorted([a.id, b.id]), "0100109106")]
    assert net.ward.store.get(Enterprise, a.id) and net.ward.store.get(
        Enterprise, b.id
    )  # nothing merged silently


def test_fork_is_quarantined_not_merged(net, tmp_path):
    enterprise(net.l1)
    first = net.l1.export(net.stick)
    net.ward.import_ok(first)
    # a restored backup of the laptop: the same sequence number again, different content
    clone_dir = tmp_path / "clone"
    net.l1.store.backup(clone_dir / "khaosat.sqlite3")
    (net.l1.folder / "khaosat-keys.json").rename(clone_dir / "khaosat-keys.json")
    shutil.copy(net.l1.folder / "khaosat-datakey.json", clone_dir / "khaosat-datakey.json")

    clone = open_store(clone_dir)
    ident = R.load_keys(clone)
    clone.conn.execute("DELETE FROM sync_exports")
    e2 = Enterprise(name="Công ty TNHH Sao Mai", tax_code="0100109113", ward_code=WARD)
    with clone.write() as w:
        w.create(e2)
    [res] = B.export(clone, ident, net.stick)
    clone.close()
    assert res.seq == 1
    [r] = net.ward.import_(res.path)
    assert r.outcome == "quarantined" and "cách ly" in r.summary()
    assert net.ward.store.get(Enterprise, e2.id) is None
    assert net.ward.store.conn.execute("SELECT reason FROM sync_quarantine").fetchall() == [
        ("fork_same_seq",)
    ]
    # a person checks it (both copies hold real work) and releases it: merged, nothing lost
    [q] = B.quarantined(net.ward.store)
    assert q["seq"] == 1 and q["sender"] == net.l1.id
    released = B.release(net.ward.store, q["id"])
    assert released.report.new == 1 and net.ward.store.get(Enterprise, e2.id) is not None
    assert B.quarantined(net.ward.store) == []


def test_relay_verifies_originals_and_a_bundle_by_two_paths_is_merged_once(net):
    e = enterprise(net.l1)
    bundle = net.l1.export(net.stick)
    net.ward.import_ok(bundle)
    up = net.ward.export(net.stick)
    r = net.province.import_ok(up)
    assert r.relayed == 1 and r.report.new == 1
    # who captured it, who relayed it
    [src] = net.province.store.conn.execute(
        "SELECT e.signer, e.relayed_by FROM enterprises r JOIN sync_envelopes e ON e.eid = r.create_via "
        "WHERE r.id = ?",
        (e.id,),
    ).fetchall()
    assert src == (net.l1.id, json.dumps([net.ward.id]))
    [entry] = B.provenance(net.province.store, "enterprises", e.id)
    assert entry["op"] == "create" and entry["origin"] == net.l1.id
    assert entry["captured_by"].startswith(net.l1.name) and entry["relayed_by"][0].startswith("Đảng ủy")
    # the laptop was vouched for by the ward office, within its ward
    [peer] = R.peers_of(net.province.store, net.l1.id)
    assert peer.registered_via == net.ward.id and peer.unit_code == WARD
    # the same ward export again (a second copy of the stick) is a replay; nothing changes
    before = db_fingerprint(net.province.store)
    [again] = net.province.import_(up, receipt=False)
    assert again.outcome == "already" and again.error is None
    assert db_fingerprint(net.province.store) == before


def test_revoked_laptop_keeps_what_it_sent_before(net):
    e = enterprise(net.l1)
    net.ward.import_ok(net.l1.export(net.stick))
    count, point = R.revoke(net.ward.store, net.l1.id)
    assert (count, point) == (1, 1)
    edit(net.l1, e, workforce_total=999)
    before = db_fingerprint(net.ward.store)
    [r] = net.ward.import_(net.l1.export(net.stick))
    assert r.error.reason == "revoked" and "thu hồi" in r.error.message
    assert db_fingerprint(net.ward.store) == before
    assert net.ward.store.get(Enterprise, e.id) is not None  # what came before stays


def test_rekey_keeps_history_and_is_accepted_through_the_old_key(net):
    from app.sync import keys as K

    e = enterprise(net.l1)
    net.ward.import_ok(net.l1.export(net.stick))
    net.l1.ident = R.rekey(net.l1.store, net.l1.ident)
    doc = K.read_pubkey_file(net.l1.pubkey(net.stick).read_bytes())
    assert doc.previous is not None
    _peer, outcome = R.register(net.ward.store, doc)
    assert outcome == "rekey"
    edit(net.l1, e, workforce_total=77)
    r = net.ward.import_ok(net.l1.export(net.stick))
    assert r.seq == 2 and r.report.updated == 1
    assert [p.status for p in R.peers_of(net.ward.store, net.l1.id)] == ["superseded", "active"]


def test_relay_through_a_middle_office_keeps_every_original_signature(net, tmp_path):
    from app.domain.vocab import Role
    from tests.sync.conftest import PROVINCE, make_machine, register

    middle = make_machine(tmp_path, "Đảng ủy Khối doanh nghiệp", PROVINCE, Role.MIDDLE_OFFICE)
    register(middle, net.ward, net.stick)  # the ward now also sends to the middle office
    register(net.province, middle, net.stick)
    e = enterprise(net.l1)
    net.ward.import_ok(net.l1.export(net.stick))
    edit(net.ward, e, phone="0243 111 222")
    [to_middle] = B.export(net.ward.store, net.ward.ident, net.stick, office=middle.id)
    r = middle.import_ok(to_middle.path)
    assert r.relayed == 1 and r.report.new == 1
    up = middle.export(net.stick)
    r = net.province.import_ok(up)
    assert r.relayed == 2 and r.report.new == 1
    assert net.province.store.get(Enterprise, e.id).phone == "0243 111 222"
    [custody] = net.province.store.conn.execute(
        "SELECT relayed_by FROM sync_envelopes WHERE signer = ?", (net.l1.id,)
    ).fetchone()
    assert set(json.loads(custody)) == {net.ward.id, middle.id}
    # the laptop was vouched for by the ward, passed on by the middle office, within its unit
    [peer] = R.peers_of(net.province.store, net.l1.id)
    assert peer.unit_code == WARD
    # the ward's direct bundle to the province later carries the same originals: merged once
    [direct] = B.export(net.ward.store, net.ward.ident, net.stick, office=net.province.id)
    before = state(net.province.store)
    r = net.province.import_ok(direct.path)
    assert r.report.applied == 0 and r.relayed == 0
    assert state(net.province.store) == before
    middle.store.close()


def test_a_person_merges_duplicates_and_the_merge_travels_upward(net):
    from app.sync import same_tax_code

    a = enterprise(net.l1, name="Công ty TNHH Hòa Bình")
    b = enterprise(net.l2, name="Cty TNHH Hoà Bình", phone="0243 555 666")
    v = Visit(enterprise_id=b.id, visit_date=date(2026, 11, 20), person_met="Bà Lan")
    with net.l2.store.write() as w:
        w.create(v)
    net.ward.import_ok(net.l1.export(net.stick))
    net.ward.import_ok(net.l2.export(net.stick))
    net.province.import_ok(net.ward.export(net.stick))
    [cand] = same_tax_code.candidates(net.ward.store)
    assert {cand.id_a, cand.id_b} == {a.id, b.id}
    assert len(same_tax_code.candidates(net.province.store)) == 1  # the same candidate upstream
    merged = same_tax_code.merge_pair(net.ward.store, a.id, b.id, author="Trần Văn Nam")
    assert merged.moved["visits"] == 1 and merged.fields >= 1
    # it says what it changed: the visit moved, the kept enterprise filled, the other deleted
    assert merged.changes.deleted("enterprises") == {b.id} and merged.changes.updated("enterprises") == {a.id}
    assert merged.changes.updated("visits") == {v.id}
    assert same_tax_code.candidates(net.ward.store) == []
    kept = net.ward.store.get(Enterprise, a.id)
    assert kept.phone == "0243 555 666" and net.ward.store.get(Enterprise, b.id) is None
    net.province.import_ok(net.ward.export(net.stick))
    assert same_tax_code.candidates(net.province.store) == []
    assert [x.id for x in net.province.store.children(Visit, a.id)] == [v.id]
    assert net.province.store.get(Enterprise, b.id) is None


def test_a_laptop_clock_far_ahead_is_reported(net):
    from app.storage.clock import HybridClock

    year_ahead = HybridClock(net.l1.id, wall=lambda: time.time() + 365 * 86400).now()
    with net.l1.store.transaction():
        net.l1.store._set_meta("hlc_last", str(year_ahead))
    enterprise(net.l1)
    r = net.ward.import_ok(net.l1.export(net.stick))
    assert any("chạy nhanh khoảng 365 ngày" in w for w in r.warnings)


def test_a_revocation_travels_upward_with_the_office_bundle(net):
    e = enterprise(net.l1)
    first = net.l1.export(net.stick)
    net.ward.import_ok(first)
    net.province.import_ok(net.ward.export(net.stick))
    R.revoke(net.ward.store, net.l1.id)
    net.province.import_ok(net.ward.export(net.stick))
    [peer] = R.peers_of(net.province.store, net.l1.id)
    assert (peer.status, peer.revoked_after_seq) == ("revoked", 1)
    assert net.province.store.get(Enterprise, e.id) is not None  # what came before stays


def test_a_folder_with_old_bundles_reports_them_as_already_imported(net):
    enterprise(net.l1)
    first = net.l1.export(net.stick)
    net.ward.import_ok(first)
    enterprise(net.l1, name="Công ty TNHH Bình An", tax_code="0100109113")
    net.l1.export(net.stick)
    results = net.ward.import_(net.stick)
    outcomes = sorted(r.outcome for r in results)
    assert outcomes == ["already", "applied", "not_mine"]  # the laptop's receipt is on the same stick
    assert "đã được nhập trước đây" in [r for r in results if r.outcome == "already"][0].summary()
    [again] = net.ward.import_(first)  # named explicitly: the same
    assert again.outcome == "already" and again.error is None


def test_choosing_the_provisional_winner_closes_the_conflict_upstream_too(net):
    e = enterprise(net.l1)
    r = net.ward.import_ok(net.l1.export(net.stick))
    net.l1.import_ok(r.receipt)
    edit(net.ward, e, workforce_total=200)
    net.clock.advance(0.005)
    edit(net.l1, e, workforce_total=150)
    with net.l1.store.write() as w:
        w.delete("enterprises", e.id)
    net.ward.import_ok(net.l1.export(net.stick))
    net.province.import_ok(net.ward.export(net.stick))
    assert len(B.open_conflicts(net.province.store)) == 2
    for c in B.open_conflicts(net.ward.store):  # keep what is shown: 150, deleted
        B.resolve_conflict(net.ward.store, c["id"], 150 if c["field"] == "workforce_total" else 1)
    assert B.open_conflicts(net.ward.store) == []
    net.province.import_ok(net.ward.export(net.stick))
    assert B.open_conflicts(net.province.store) == []
    row = net.province.store.row("enterprises", e.id)
    assert (row["workforce_total"], row["deleted"]) == (150, 1)


def test_an_import_says_what_it_created_changed_and_deleted(net):
    """The merge says what it wrote (app/storage/changes.py): the desktop program refreshes from that."""
    a = enterprise(net.l1)
    b = enterprise(net.l1, name="Công ty cổ phần Sông Hồng", tax_code="0101243150")
    r = net.ward.import_ok(net.l1.export(net.stick))
    assert r.changes.created("enterprises") == {a.id, b.id}  # the bulk path
    edit(net.l1, a, workforce_total=40)
    v = Visit(enterprise_id=a.id, visit_date=date(2026, 11, 20), collaborator="Nguyễn Thị Hằng")
    with net.l1.store.write() as w:
        w.delete("enterprises", b.id)
        w.create(v)
    committed = net.ward.store.writes_committed
    r = net.ward.import_ok(net.l1.export(net.stick))
    said = r.changes
    assert said.updated("enterprises") == {a.id} and said.deleted("enterprises") == {b.id}
    assert said.created("visits") == {v.id} and said.entities == {"enterprises", "visits"}
    assert net.ward.store.writes_committed == committed + 1
    # a bundle already imported changes nothing and says so
    [again] = net.ward.import_(net.l1.export(net.stick))
    assert not again.changes and net.ward.store.writes_committed == committed + 1
