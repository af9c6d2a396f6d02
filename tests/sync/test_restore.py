"""A laptop restored from a backup, and the stick: one release re-bases the chain at each office, the
receipt tells the laptop where the office stands, nothing of either history is lost; receipts can be
written again; a laptop's own files on the stick are skipped with a note."""

from __future__ import annotations

import shutil

import pytest

from app.storage import Store
from app.sync import bundles as B
from app.sync import registry as R
from tests.helpers.vault import open_store
from tests.sync.conftest import Machine, db_fingerprint, enterprise


def restore(m: Machine, backup: Machine) -> Machine:
    """The laptop dies; its backup (database and key file, copied earlier) is put back."""
    m.store.close()
    shutil.rmtree(m.folder)
    shutil.copytree(backup.folder, m.folder)
    store = open_store(m.folder)
    return Machine(m.name, store, R.load_keys(store), m.folder)


def backup_of(m: Machine, where) -> Machine:
    m.store.backup(where / "khaosat.sqlite3")
    shutil.copy(m.folder / "khaosat-keys.json", where / "khaosat-keys.json")
    shutil.copy(m.folder / "khaosat-datakey.json", where / "khaosat-datakey.json")
    return Machine(m.name, None, m.ident, where)  # type: ignore[arg-type]


def chain(m: Machine, sender: Machine) -> list[tuple[int, str]]:
    """The chain of bundles from ``sender`` as ``m`` holds it: (sequence, hash)."""
    return m.store.conn.execute(
        "SELECT seq, hash FROM sync_chains WHERE sender = ? ORDER BY seq", (sender.id,)
    ).fetchall()


def names(store: Store) -> set[str]:
    return {r[0] for r in store.conn.execute("SELECT name FROM enterprises WHERE deleted = 0")}


def test_a_restored_laptop_is_released_once_and_continues_above_the_office(net, tmp_path):
    ward, province = net.ward, net.province
    enterprise(net.l1, name="Công ty Một", tax_code="0100109106")
    r1 = ward.import_ok(net.l1.export(net.stick))
    net.l1.import_ok(r1.receipt)
    (tmp_path / "backup").mkdir()
    saved = backup_of(net.l1, tmp_path / "backup")
    # after the backup: two more bundles reach the office (and, relayed, the province)
    enterprise(net.l1, name="Công ty Hai", tax_code="0100109113")
    ward.import_ok(net.l1.export(net.stick))
    enterprise(net.l1, name="Công ty Ba", tax_code="0100109120")
    ward.import_ok(net.l1.export(net.stick))
    province.import_ok(ward.export(net.stick))
    # the laptop's disk fails; it is restored from the backup and work goes on
    l1 = restore(net.l1, saved)
    net.l1 = l1
    enterprise(l1, name="Công ty Bốn", tax_code="0100109138")
    again = l1.export(net.stick)
    assert "_00002_" in again.name  # the restored laptop does not know bundles 2 and 3
    [r] = ward.import_(again)
    assert r.outcome == "quarantined"
    text = r.summary()
    assert "gói số 2 khác" in text and "cùng số thứ tự, khác nội dung" in text and "khôi phục" in text
    # a person asks, then releases it once; the receipt goes onto the stick now
    [q] = B.quarantined(ward.store)
    released = B.release(ward.store, q["id"], ident=ward.ident, receipt_to=net.stick)
    assert released.rebased and released.high == 3 and released.report.new == 1
    assert "số 4" in released.summary()
    # the laptop learns where the office stands; its user is told
    ack = l1.import_ok(released.receipt)
    told = " ".join(ack.warnings)
    assert "đến gói số 3" in told and "khôi phục từ bản sao lưu" in told and "mang số 4" in told
    assert B.preview(l1.store)[0].next_seq == 4
    enterprise(l1, name="Công ty Năm", tax_code="0100109145")
    nxt = l1.export(net.stick)
    assert "_00004_" in nxt.name
    r = ward.import_ok(nxt)
    assert r.outcome == "applied" and not r.warnings  # no new quarantine, no gap
    everything = {"Công ty Một", "Công ty Hai", "Công ty Ba", "Công ty Bốn", "Công ty Năm"}
    assert names(ward.store) == everything
    # the province, which had the abandoned branch: the office released the new one, so the province
    # re-bases its copy of the chain as the office did, with nothing set aside again
    [r] = province.import_(ward.export(net.stick))
    assert r.outcome == "applied" and B.quarantined(province.store) == []
    [note] = r.warnings
    assert "Gói chuyển tiếp số 2" in note and "đã kiểm tra và gộp" in note and "không mất gì" in note
    assert names(province.store) == everything
    assert chain(province, l1) == chain(ward, l1)
    # a stale copy of the abandoned bundle 3 is known: nothing happens
    old3 = sorted(net.stick.glob("goi_00070_*_00003_*.khaosat"))[0]
    before = db_fingerprint(ward.store)
    [r] = ward.import_(old3, receipt=False)
    assert r.outcome == "already" and db_fingerprint(ward.store) == before


def test_bundles_set_aside_before_the_release_are_released_with_it(net, tmp_path):
    """The restored laptop exported twice before anyone looked: one release takes both."""
    ward = net.ward
    enterprise(net.l1, name="Công ty Một", tax_code="0100109106")
    ward.import_ok(net.l1.export(net.stick))
    (tmp_path / "backup").mkdir()
    saved = backup_of(net.l1, tmp_path / "backup")
    for name, code in (("Công ty Hai", "0100109113"), ("Công ty Ba", "0100109120")):
        enterprise(net.l1, name=name, tax_code=code)
        ward.import_ok(net.l1.export(net.stick))
    l1 = restore(net.l1, saved)
    net.l1 = l1
    results = []
    for name, code in (("Công ty Bốn", "0100109138"), ("Công ty Năm", "0100109145")):
        enterprise(l1, name=name, tax_code=code)
        results += ward.import_(l1.export(net.stick))
    assert [r.outcome for r in results] == ["quarantined", "quarantined"]
    first = B.quarantined(ward.store)[0]
    released = B.release(ward.store, first["id"])
    assert [s for _, s in released.bundles] == [2, 3] and B.quarantined(ward.store) == []
    assert len(names(ward.store)) == 5
    # the next bundle (4, after 3') is an ordinary one; its receipt also confirms 2' and 3'
    enterprise(l1, name="Công ty Sáu", tax_code="0100109152")
    r = ward.import_ok(l1.export(net.stick))
    assert not r.warnings
    ack = l1.import_ok(r.receipt)
    assert ack.report.applied == 3
    [note] = ack.warnings  # the laptop's user learns that 2 and 3 were set aside, checked and merged
    assert "Gói số 2, 3 của máy này" in note and "tạm cách ly" in note and "không mất gì" in note
    assert [x.changes for x in B.preview(l1.store)] == [0]


def test_a_fork_that_names_another_previous_bundle_says_so(net, tmp_path):
    enterprise(net.l1, name="Công ty Một", tax_code="0100109106")
    net.ward.import_ok(net.l1.export(net.stick))
    enterprise(net.l1, name="Công ty Hai", tax_code="0100109113")
    second = net.l1.export(net.stick)
    # a copy of the laptop made now writes its own bundle 2 and 3; the office gets the real 2, then the copy's 3
    (tmp_path / "copy").mkdir()
    backup_of(net.l1, tmp_path / "copy")
    store = open_store(tmp_path / "copy")
    copy = Machine("bản sao", store, R.load_keys(store), tmp_path / "copy")
    copy.store.conn.execute("DELETE FROM sync_exports WHERE seq = 2")
    other_stick = tmp_path / "usb2"
    other_stick.mkdir()
    enterprise(copy, name="Công ty Bản Sao", tax_code="0100109120")
    copy.export(other_stick)
    enterprise(copy, name="Công ty Bản Sao Hai", tax_code="0100109138")
    third = copy.export(other_stick)
    net.ward.import_ok(second)
    [r] = net.ward.import_(third)
    assert r.outcome == "quarantined" and "nối tiếp một gói số 2 khác" in r.summary()
    copy.store.close()


def test_a_laptop_imports_the_stick_and_skips_its_own_outgoing_bundle(net):
    enterprise(net.l1)
    r = net.ward.import_ok(net.l1.export(net.stick))
    enterprise(net.l1, name="Công ty TNHH Bình An", tax_code="0100109113")
    mine = net.l1.export(net.stick)
    enterprise(net.l2, name="Công ty TNHH Sông Hồng", tax_code="0100109120")
    net.l2.export(net.stick)
    results = {x.path.name: x for x in net.l1.import_(net.stick)}
    assert results[mine.name].outcome == "own" and "do chính máy này xuất" in results[mine.name].summary()
    assert results[r.receipt.name].outcome == "receipt"
    first = [x for x in results.values() if x.outcome == "own" and x.seq == 1]
    assert first and "cơ quan đã gửi biên nhận" in first[0].summary()
    [other] = [x for x in results.values() if x.outcome == "not_mine"]  # laptop 2's bundle
    assert "máy khác" in other.summary()
    assert sorted(x.outcome for x in results.values()) == ["not_mine", "own", "own", "receipt"]
    [named] = net.l1.import_(mine)  # named explicitly: still its own bundle, a note
    assert named.outcome == "own" and named.error is None


def test_a_receipt_signed_by_a_collaborator_laptop_is_refused_for_what_it_is(net):
    enterprise(net.l1)
    r = net.ward.import_ok(net.l1.export(net.stick))
    # laptop 2 (registered at the ward as a collaborator) signs a receipt for the ward office
    [ward_peer] = R.peers_of(net.l2.store, net.ward.id)
    fake = B.write_receipt_file(net.l2.store, net.l2.ident, ward_peer, [(1, "0" * 64)], net.stick)
    before = db_fingerprint(net.ward.store)
    [x] = net.ward.import_(fake)
    assert x.outcome == "refused" and x.error.reason == "not_destination"
    assert "đã được nhập" not in x.error.message and "cộng tác viên" in x.error.message.lower()
    assert db_fingerprint(net.ward.store) == before
    # the real receipt, imported twice by the laptop: the second time is no error either
    net.l1.import_ok(r.receipt)
    [twice] = net.l1.import_(r.receipt)
    assert twice.outcome == "already" and twice.error is None


def test_a_stick_file_name_that_is_not_text_does_not_stop_the_import(net):
    enterprise(net.l1)
    bundle = net.l1.export(net.stick)
    odd = net.stick / "goi_\udc80\udcff.khaosat"  # bytes 0x80 0xff in a name on a FAT stick
    try:
        bundle.rename(odd)
    except (UnicodeEncodeError, OSError):
        pytest.skip("this file system refuses such names")
    [r] = net.ward.import_(net.stick)
    assert r.outcome == "applied" and "\\udc80" in r.summary() and "\udc80" not in r.summary()
    assert r.report.new == 1 and names(net.ward.store) == {"Công ty TNHH Hòa Bình"}


def test_a_released_fork_relayed_with_the_bundles_it_forked_from_reaches_the_province(net, tmp_path):
    """The office releases the restored laptop's bundle before relaying anything: one file carries the
    abandoned branch and the new one; the province re-bases the chain as the office did, and every record
    of both histories is there."""
    ward, province = net.ward, net.province
    enterprise(net.l1, name="Công ty Một", tax_code="0100109106")
    net.l1.import_ok(ward.import_ok(net.l1.export(net.stick)).receipt)
    (tmp_path / "backup").mkdir()
    saved = backup_of(net.l1, tmp_path / "backup")
    enterprise(net.l1, name="Công ty Hai", tax_code="0100109113")
    ward.import_ok(net.l1.export(net.stick))
    enterprise(net.l1, name="Công ty Ba", tax_code="0100109120")
    ward.import_ok(net.l1.export(net.stick))
    old = {h for (h,) in ward.store.conn.execute("SELECT hash FROM sync_chains WHERE seq IN (2, 3)")}
    l1 = restore(net.l1, saved)
    net.l1 = l1
    enterprise(l1, name="Công ty Bốn", tax_code="0100109138")
    [r] = ward.import_(l1.export(net.stick))
    assert r.outcome == "quarantined"
    [q] = B.quarantined(ward.store)
    released = B.release(ward.store, q["id"], ident=ward.ident, receipt_to=net.stick)
    assert released.rebased
    l1.import_ok(released.receipt)
    enterprise(l1, name="Công ty Năm", tax_code="0100109145")
    assert ward.import_ok(l1.export(net.stick)).warnings == []
    everything = {"Công ty Một", "Công ty Hai", "Công ty Ba", "Công ty Bốn", "Công ty Năm"}
    assert names(ward.store) == everything
    # only now does anything go up: bundles 1, 2, 3 (abandoned), 2' (released) and 4' in one file
    [r] = province.import_(ward.export(net.stick))
    assert r.error is None, r.error
    assert r.outcome == "applied" and r.relayed == 5
    assert B.quarantined(province.store) == [] and names(province.store) == everything
    told = r.summary()
    assert "Gói chuyển tiếp số 2" in told and "đã kiểm tra và gộp" in told
    # the province's chain from the laptop is the office's: 1, 2', 4'; 2 and 3 on the abandoned branch
    assert chain(province, l1) == chain(ward, l1) and [s for s, _ in chain(province, l1)] == [1, 2, 4]
    assert {
        h
        for (h,) in province.store.conn.execute(
            "SELECT hash FROM sync_chains_replaced WHERE sender = ?", (l1.id,)
        )
    } == old
    # the laptop's next bundle goes up as an ordinary one
    enterprise(l1, name="Công ty Sáu", tax_code="0100109152")
    ward.import_ok(l1.export(net.stick))
    r = province.import_ok(ward.export(net.stick))
    assert r.outcome == "applied" and r.relayed == 1 and not r.warnings
    assert "Công ty Sáu" in names(province.store) and B.quarantined(province.store) == []


def test_an_old_copy_released_at_the_office_is_merged_at_the_province_off_the_chain(
    net, tmp_path, monkeypatch
):
    """A bundle written before the laptop was restored reaches the office after the restored laptop's
    bundle of the same number: released there without re-basing (it is the older), and so at the province."""
    ward, province = net.ward, net.province
    enterprise(net.l1, name="Công ty Một", tax_code="0100109106")
    net.l1.import_ok(ward.import_ok(net.l1.export(net.stick)).receipt)
    (tmp_path / "backup").mkdir()
    saved = backup_of(net.l1, tmp_path / "backup")
    enterprise(net.l1, name="Công ty Hai", tax_code="0100109113")
    late = tmp_path / "late"
    late.mkdir()
    with monkeypatch.context() as m:
        m.setattr(B, "_now", lambda: "2026-01-05T08:00:00+00:00")
        old2 = net.l1.export(late)  # left in a drawer
    l1 = restore(net.l1, saved)
    net.l1 = l1
    enterprise(l1, name="Công ty Ba", tax_code="0100109120")
    assert ward.import_ok(l1.export(net.stick)).warnings == []
    [r] = ward.import_(old2)
    assert r.outcome == "quarantined"
    [q] = B.quarantined(ward.store)
    released = B.release(ward.store, q["id"])
    assert not released.rebased and names(ward.store) == {"Công ty Một", "Công ty Hai", "Công ty Ba"}
    up = ward.export(net.stick)
    [r] = province.import_(up)
    assert r.error is None and r.outcome == "applied" and r.relayed == 3
    [note] = r.warnings
    assert "Gói chuyển tiếp số 2" in note and "bản cũ đến muộn" in note and "đã kiểm tra và gộp" in note
    assert names(province.store) == names(ward.store) and B.quarantined(province.store) == []
    assert chain(province, l1) == chain(ward, l1)
    before = db_fingerprint(province.store)
    [r] = province.import_(up, receipt=False)
    assert r.outcome == "already" and db_fingerprint(province.store) == before


def test_an_office_restored_from_a_backup_loses_nothing_it_relays(net, tmp_path):
    """The ward office is restored from a backup: its next bundle to the province forks its chain and is
    set aside there, but the laptops' bundles it relays, each signed by its laptop, are merged at once;
    the release then merges the office's own changes, and its receipt confirms the whole file."""
    ward, province = net.ward, net.province
    enterprise(net.l1, name="Công ty Một", tax_code="0100109106")
    net.l1.import_ok(ward.import_ok(net.l1.export(net.stick)).receipt)
    ward.import_ok(province.import_ok(ward.export(net.stick)).receipt)
    (tmp_path / "backup").mkdir()
    saved = backup_of(ward, tmp_path / "backup")
    enterprise(net.l1, name="Công ty Hai", tax_code="0100109113")
    net.l1.import_ok(ward.import_ok(net.l1.export(net.stick)).receipt)
    ward.import_ok(province.import_ok(ward.export(net.stick)).receipt)
    w = restore(ward, saved)
    net.ward = w
    enterprise(net.l1, name="Công ty Ba", tax_code="0100109120")  # reaches the restored office only
    net.l1.import_ok(w.import_ok(net.l1.export(net.stick)).receipt)
    enterprise(w, name="Công ty Văn phòng", tax_code="0100109138")  # typed at the office
    [r] = province.import_(w.export(net.stick))
    assert r.outcome == "quarantined" and r.relayed == 1 and r.receipt is None
    assert "vẫn được gộp" in r.summary() and "chờ kiểm tra" in r.summary()
    assert "Công ty Ba" in names(province.store) and "Công ty Văn phòng" not in names(province.store)
    [q] = B.quarantined(province.store)
    released = B.release(province.store, q["id"], ident=province.ident, receipt_to=net.stick)
    assert released.rebased and "Công ty Văn phòng" in names(province.store)
    w.import_ok(released.receipt)
    enterprise(net.l1, name="Công ty Bốn", tax_code="0100109145")
    net.l1.import_ok(w.import_ok(net.l1.export(net.stick)).receipt)
    r = province.import_ok(w.export(net.stick))
    assert r.outcome == "applied" and B.quarantined(province.store) == []
    assert names(province.store) == {
        "Công ty Một",
        "Công ty Hai",
        "Công ty Ba",
        "Công ty Văn phòng",
        "Công ty Bốn",
    }
