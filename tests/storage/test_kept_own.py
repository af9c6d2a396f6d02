"""Own creations kept on their records (app/storage/kept_creations.py): numbers, guards, readers."""

from __future__ import annotations

from app.domain.records import Enterprise, Visit
from app.storage import kept_creations


def _enterprise(store, **kw) -> Enterprise:
    e = Enterprise(
        name=kw.pop("name", "Công ty TNHH Hòa Bình"), tax_code="0100109106", ward_code="00070", **kw
    )
    with store.write() as w:
        w.create(e)
    assert w.changes.created("enterprises") == {e.id}  # a kept creation is said like any other
    return e


def test_kept_creations_keep_their_numbers_among_the_logged_changes(store):
    a = _enterprise(store)  # no office above: kept at once, number 1
    b = _enterprise(store, name="Công ty TNHH Bình An")  # number 2
    a.workforce_total = 10
    with store.write() as w:
        w.update(a)  # a's creation goes back to the log as number 1, the edit is number 3
    said = w.changes  # what the write said it changed (the window refreshes from it)
    assert [(c["seq"], c["record_id"], c["op"]) for c in store.changes_since(0)] == [
        (1, a.id, "create"),
        (2, b.id, "create"),
        (3, a.id, "update"),
    ]
    assert [c["op"] for c in store.changes_since(2)] == ["update"]
    assert kept_creations.last_seq(store.conn) == 3
    assert store.counts()["changes"] == 3
    assert said.ids("enterprises") == {a.id} and said.updated("enterprises") == {a.id}


def test_a_record_changed_behind_the_log_keeps_its_creation_in_the_log(store):
    # a store with an office above that confirmed everything, and a record edited without the log
    store.conn.execute(
        "INSERT INTO sync_peers(keyid, laptop_id, sign_pub, enc_pub, fingerprint, unit_code, role, status, "
        "registered_at, is_destination, doc) VALUES ('k', 'office', x'', x'', 'f', '00070', 'ward_office', "
        "'active', 'now', 1, x'')"
    )
    a = _enterprise(store)
    b = _enterprise(store, name="Công ty TNHH Bình An")
    v = Visit(enterprise_id=a.id, visit_date="2025-01-02")
    with store.write() as w:
        w.create(v)
    assert store.conn.execute("SELECT count(*) FROM changes").fetchone()[0] == 3  # an office waits for them
    store.conn.execute("UPDATE enterprises SET note = 'sửa ngoài' WHERE id = ?", (b.id,))
    store.conn.execute(
        "INSERT INTO sync_exports(recipient, seq, hash, created_at, max_change_seq, max_envelope_id, changes, "
        "envelopes, file_name, acked_at) VALUES ('office', 1, 'h', 'now', 2, 0, 2, 0, 'f', 'now')"
    )
    with store.transaction() as conn:
        assert kept_creations.keep_acknowledged(conn, store.laptop_id) == 1  # a only: b's values differ
    logged = {r[0] for r in store.conn.execute("SELECT record_id FROM changes")}
    assert logged == {b.id, v.id}  # b changed behind the log; v is not confirmed (number 3)
    assert store.history("enterprises", a.id)[0]["seq"] == 1
    # confirmed later: v is kept too, and nothing is looked at twice
    store.conn.execute("UPDATE sync_exports SET max_change_seq = 3")
    with store.transaction() as conn:
        assert kept_creations.keep_acknowledged(conn, store.laptop_id) == 1
        assert kept_creations.keep_acknowledged(conn, store.laptop_id) == 0
    assert store.integrity_check() == []
