"""Envelopes kept to relay upward: an office with an office above keeps their bytes and relays them; a
province office, with nothing above it, records each envelope without its bytes (migration 15 drops the
bytes a province kept before)."""

from __future__ import annotations

import json

from app.domain.records import Enterprise
from app.domain.vocab import Role
from app.sync import bundles as B
from app.sync import container as C
from tests.helpers.vault import open_store
from tests.sync.conftest import PROVINCE, Machine, edit, enterprise, make_machine, register


def _envelopes(m: Machine) -> list[tuple]:
    """(signer, bytes kept, created_at) of every envelope received, by signer."""
    return sorted(
        m.store.conn.execute(
            f"SELECT signer, {B.KEPT}, created_at FROM sync_envelopes ORDER BY signer"
        ).fetchall()
    )


def _blobs(m: Machine) -> int:
    return m.store.conn.execute("SELECT count(*) FROM sync_blobs").fetchone()[0]


def _created_at(data: bytes) -> str:
    return json.loads(C.read_envelope(memoryview(data), 0)[0].payload)["created_at"]


def test_a_province_keeps_no_relay_envelope_and_a_middle_office_keeps_and_relays_them(net, tmp_path):
    middle = make_machine(tmp_path, "Đảng ủy Khối doanh nghiệp", PROVINCE, Role.MIDDLE_OFFICE)
    register(middle, net.ward, net.stick)
    register(net.province, middle, net.stick)
    e = enterprise(net.l1)
    net.ward.import_ok(net.l1.export(net.stick))
    edit(net.ward, e, phone="0243 111 222")
    [to_middle] = B.export(net.ward.store, net.ward.ident, net.stick, office=middle.id)
    assert middle.import_ok(to_middle.path).relayed == 1
    # the middle office has an office above: it keeps both envelopes (the file, compressed, once)
    assert [kept for _, kept, _ in _envelopes(middle)] == [1, 1] and _blobs(middle) == 1
    up = middle.export(net.stick)
    r = net.province.import_ok(up)
    assert r.relayed == 2 and r.report.new == 1  # relayed intact: every signature verified above
    assert net.province.store.get(Enterprise, e.id).phone == "0243 111 222"
    # the province records the three envelopes (custody, chains, what came up through whom) without their bytes
    got = _envelopes(net.province)
    assert [(s, kept) for s, kept, _ in got] == sorted([(net.l1.id, 0), (net.ward.id, 0), (middle.id, 0)])
    assert all(at for _, _, at in got) and _blobs(net.province) == 0
    [custody] = net.province.store.conn.execute(
        "SELECT relayed_by FROM sync_envelopes WHERE signer = ?", (net.l1.id,)
    ).fetchone()
    assert set(json.loads(custody)) == {net.ward.id, middle.id}
    assert [x["relayed_by"] for x in B.provenance(net.province.store, "enterprises", e.id)][0]
    # the same file again: a replay, known by its hash
    [again] = net.province.import_(up, receipt=False)
    assert again.outcome == "already"
    # the middle office relays them until the province confirms them
    assert B.preview(middle.store)[0].envelopes == 2
    middle.import_ok(r.receipt)
    assert B.preview(middle.store)[0].envelopes == 0
    middle.store.close()


def test_migration_15_drops_the_bytes_a_province_kept_and_keeps_a_ward_offices(net, monkeypatch):
    e = enterprise(net.l1)
    net.ward.import_ok(net.l1.export(net.stick))
    edit(net.ward, e, phone="0243 111 222")
    with monkeypatch.context() as m:
        m.setattr(B, "keeps_envelopes", lambda _store: True)  # as the previous version did, everywhere
        net.province.import_ok(net.ward.export(net.stick))
    assert _blobs(net.province) == 1
    expected = {}
    for signer, data in net.province.store.conn.execute("SELECT signer, eid FROM sync_envelopes").fetchall():
        [env] = B.stored_envelopes(net.province.store, [data])
        expected[signer] = _created_at(env.raw)
    for machine in (net.ward, net.province):  # both files as version 14 wrote them
        conn = machine.store.conn
        conn.execute("ALTER TABLE sync_envelopes DROP COLUMN created_at")
        conn.execute("DROP TABLE member_counts")  # made by migration 16, which runs again too
        conn.execute("DELETE FROM schema_migrations WHERE version >= 15")
        conn.execute("PRAGMA user_version = 14")
        machine.store.close()
        machine.store = open_store(machine.folder)
        assert machine.store.schema_version() >= 15 and machine.store.integrity_check() == []
    assert _blobs(net.province) == 0
    assert {s: at for s, kept, at in _envelopes(net.province) if not kept} == expected
    # the ward office relays what it kept, as before
    assert [kept for _, kept, _ in _envelopes(net.ward)] == [1] and _blobs(net.ward) == 1
    [envelope] = B.stored_envelopes(net.ward.store, [1])
    assert envelope.hash == net.ward.store.conn.execute("SELECT hash FROM sync_envelopes").fetchone()[0]
