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
