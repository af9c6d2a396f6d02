"""Bundles from newer versions are kept, not refused (issue 13): a column this version does not know is set
aside with its values, shown as from a newer version, and relayed upward intact; an older bundle gets the
defaults; what is malformed is still refused."""

from __future__ import annotations

from app.domain.records import Enterprise
from app.sync import bundles as B
from app.sync import container as C
from app.sync import newer
from tests.sync.conftest import db_fingerprint, enterprise
from tests.sync.test_corpus import payload, refused, sealed
from tests.sync.test_rules import creation, firm, update


def test_a_column_of_a_newer_version_is_kept_shown_and_relayed(net):
    e = firm()
    sec = creation(net.l1, e, zalo_phone="0912 345 678")  # a field a newer version declared
    path = net.stick / "moi.khaosat"
    path.write_bytes(sealed(net.l1, net.ward, C.dumps(payload(net.l1, net.ward, created=[sec]))))
    r = net.ward.import_ok(path)
    assert r.report.new == 1 and net.ward.store.get(Enterprise, e.id).name == e.name
    [said] = [w for w in r.warnings if "phiên bản" in w]
    assert "enterprises.zalo_phone" in said and "mới hơn" in said
    [kept] = newer.of_record(net.ward.store.conn, "enterprises", e.id)
    assert (kept["field"], kept["value"], kept["origin"]) == ("zalo_phone", "0912 345 678", net.l1.id)
    # an update of the same unknown field, next to a known one
    change = update(net.l1, e, workforce_total=12)
    change[8]["zalo_phone"] = ["0912 345 678", "0987 654 321"]
    prev = net.ward.store.conn.execute("SELECT hash FROM sync_chains").fetchone()[0]
    path2 = net.stick / "moi2.khaosat"
    path2.write_bytes(
        sealed(net.l1, net.ward, C.dumps(payload(net.l1, net.ward, changes=[change], seq=2, prev=prev)))
    )
    r2 = net.ward.import_ok(path2)
    assert r2.report.updated == 1 and net.ward.store.get(Enterprise, e.id).workforce_total == 12
    assert [k["value"] for k in newer.of_record(net.ward.store.conn, "enterprises", e.id)] == [
        "0912 345 678",
        "0987 654 321",
    ]
    # relayed upward intact: the province gets the very envelopes, and keeps the values too
    originals = {row[0] for row in net.ward.store.conn.execute("SELECT hash FROM sync_envelopes")}
    up = net.province.import_ok(net.ward.export(net.stick))
    assert up.relayed == 2
    assert originals <= {row[0] for row in net.province.store.conn.execute("SELECT hash FROM sync_envelopes")}
    assert len(newer.of_record(net.province.store.conn, "enterprises", e.id)) == 2
    # and the record's story says which values came from a newer version
    story = B.provenance(net.province.store, "enterprises", e.id)
    assert any(entry.get("newer") for entry in story)


def test_an_older_bundle_gets_the_defaults(net):
    """A bundle that carries fewer columns (an older version had fewer fields): the others get their default."""
    e = firm()
    sec = creation(net.l1, e)
    keep = ["id", "name", "tax_code", "ward_code"]
    idx = [sec["columns"].index(c) for c in keep]
    sec = {
        "entity": "enterprises",
        "columns": keep,
        "rows": [[*r[:5], *(r[5 + i] for i in idx)] for r in sec["rows"]],
    }
    path = net.stick / "cu.khaosat"
    path.write_bytes(sealed(net.l1, net.ward, C.dumps(payload(net.l1, net.ward, created=[sec]))))
    net.ward.import_ok(path)
    got = net.ward.store.row("enterprises", e.id)
    assert (got["status"], got["fdi"], got["owner_is_party_member"], got["workforce_total"]) == (
        "active",
        0,
        0,
        None,
    )


def test_what_is_malformed_is_still_refused(net):
    e = enterprise(net.l1)
    for bad_name in ("Zalo-Phone", "deleted", "rid", "create_via", "x" * 70, "1abc", ""):
        sec = creation(net.l1, firm(name="Công ty Khác", tax="0100109113"), **{bad_name: "1"})
        err = refused(net, sealed(net.l1, net.ward, C.dumps(payload(net.l1, net.ward, created=[sec]))))
        assert err.reason == "bad_payload", bad_name
    # values of an unknown column are checked for kind and size like any other
    for value in (1.5, [1], {"a": 1}, True, "A" * 30_000):
        sec = creation(net.l1, firm(name="Công ty Khác", tax="0100109113"), zalo_phone=value)
        err = refused(net, sealed(net.l1, net.ward, C.dumps(payload(net.l1, net.ward, created=[sec]))))
        assert err.reason in ("bad_payload", "oversized_value"), value
    change = update(net.l1, e, workforce_total=5)
    change[8]["Bad Field"] = [None, 1]
    err = refused(net, sealed(net.l1, net.ward, C.dumps(payload(net.l1, net.ward, changes=[change]))))
    assert err.reason == "bad_payload"
    before = db_fingerprint(net.ward.store)
    assert before == db_fingerprint(net.ward.store)


def test_an_upgrade_that_declares_the_column_applies_the_kept_values(net, monkeypatch):
    """Values of a newer version's column, kept by an office of this version, become the record's once an
    upgrade adds the column: the last by stamp, in the history with their changes, and later merges
    compare against them (an older change of the field does not win over them)."""
    import dataclasses

    from app.domain import fields as f
    from app.domain.records import RECORD_TYPES
    from app.storage.migrations import add_declared_column

    ward = net.ward
    e = firm()
    sec = creation(net.l1, e, zalo_phone="0912 345 678")
    path = net.stick / "moi.khaosat"
    path.write_bytes(sealed(net.l1, ward, C.dumps(payload(net.l1, ward, created=[sec]))))
    ward.import_ok(path)
    net.clock.advance(0.01)
    stale = update(net.l1, e, workforce_total=11)  # made before the next one; arrives after the upgrade
    stale[8]["zalo_phone"] = ["0912 345 678", "0900 000 000"]
    net.clock.advance(0.01)
    only = update(net.l1, e, workforce_total=12)  # the newer field alone: merges nothing here today
    only[8] = {"zalo_phone": ["0912 345 678", "0987 654 321"]}
    prev = ward.store.conn.execute("SELECT hash FROM sync_chains").fetchone()[0]
    path2 = net.stick / "moi2.khaosat"
    path2.write_bytes(sealed(net.l1, ward, C.dumps(payload(net.l1, ward, changes=[only], seq=2, prev=prev))))
    assert ward.import_ok(path2).report.updated == 0
    assert len(newer.of_record(ward.store.conn, "enterprises", e.id)) == 2

    # the upgrade: this version now declares the field, and its migration adds the column
    @dataclasses.dataclass
    class EnterpriseWithZalo(Enterprise):
        zalo_phone: str | None = f.phone("Số Zalo")

    monkeypatch.setitem(RECORD_TYPES, "enterprises", EnterpriseWithZalo)
    with ward.store.transaction():
        add_declared_column(ward.store.conn, "enterprises", "zalo_phone")
    assert ward.store.row("enterprises", e.id)["zalo_phone"] == "0987 654 321"  # the last by stamp
    assert newer.of_record(ward.store.conn, "enterprises", e.id) == []
    story = [c["fields"].get("zalo_phone") for c in ward.store.history("enterprises", e.id)]
    assert [None, "0912 345 678"] in story and ["0912 345 678", "0987 654 321"] in story
    # a change of the field made before the last one, arriving now: merged, and it does not win
    prev2 = ward.store.conn.execute("SELECT hash FROM sync_chains WHERE seq = 2").fetchone()[0]
    path3 = net.stick / "moi3.khaosat"
    path3.write_bytes(
        sealed(net.l1, ward, C.dumps(payload(net.l1, ward, changes=[stale], seq=3, prev=prev2)))
    )
    ward.import_ok(path3)
    got = ward.store.row("enterprises", e.id)
    assert got["zalo_phone"] == "0987 654 321" and got["workforce_total"] == 11
