"""The store: pragmas, transactions, change log contents, tombstones, search, backup."""

import json
import threading
import unicodedata

import pytest

from app.domain.records import Enterprise, Visit
from app.services.records import save_enterprise
from app.storage import Store
from app.storage.clock import HybridClock, Stamp
from app.storage.store import connect
from tests.conftest import TEST_TODAY
from tests.helpers.vault import open_store


def enterprise(**kw):
    base = dict(
        name="Công ty TNHH Thương mại Hòa Bình",
        tax_code="0100109106",
        ward_code="00070",
        address="Số 5 Lê Lợi, Phường Hoàn Kiếm",
        owner_name="Nguyễn Thị Hằng",
        workforce_total=30,
    )
    base.update(kw)
    return Enterprise(**base)


def test_pragmas(file_store):
    c = file_store.conn
    assert c.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert c.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert c.execute("PRAGMA trusted_schema").fetchone()[0] == 0


def test_change_log_for_create_update_delete(store):
    e = save_enterprise(store, enterprise(), today=TEST_TODAY).record
    e.workforce_total = 45
    e.phone = "024 3825 1234"
    save_enterprise(store, e, today=TEST_TODAY)
    with store.write() as w:
        w.delete("enterprises", e.id)
    log = store.history("enterprises", e.id)
    assert [c["op"] for c in log] == ["create", "update", "delete"]
    create, update, delete = log
    assert create["fields"]["name"] == [None, "Công ty TNHH Thương mại Hòa Bình"]
    assert create["fields"]["tax_code"] == [None, "0100109106"]
    assert "phone" not in create["fields"]  # empty fields are not logged
    assert update["fields"] == {"workforce_total": [30, 45], "phone": [None, "024 3825 1234"]}
    assert delete["fields"] == {"deleted": [0, 1]}
    for c in log:
        assert c["origin"] == store.laptop_id
        assert c["author"] == "Nguyễn Thị Hằng"
        assert Stamp.parse(c["hlc"]).node == store.laptop_id
    assert create["hlc"] < update["hlc"] < delete["hlc"]
    assert len({c["change_id"] for c in log}) == 3
    # the tombstone keeps the row; reads skip it; search forgets it
    assert store.get(Enterprise, e.id) is None
    assert store.get(Enterprise, e.id, include_deleted=True).name == e.name
    assert store.search_enterprises("hoa binh") == []
    # everything since X
    since = store.changes_since(create["seq"])
    assert [c["op"] for c in since] == ["update", "delete"]


def test_saving_unchanged_record_logs_nothing(store):
    e = save_enterprise(store, enterprise(), today=TEST_TODAY).record
    n = store.counts()["changes"]
    save_enterprise(store, e, today=TEST_TODAY)
    assert store.counts()["changes"] == n


def test_a_failed_transaction_leaves_nothing(file_store):
    before = file_store.counts()
    with pytest.raises(RuntimeError), file_store.write() as w:
        w.create(enterprise())
        w.create(Visit(enterprise_id="x"))
        raise RuntimeError("crash")
    assert file_store.counts() == before
    assert file_store.search_enterprises("hoa binh") == []


def test_search_is_diacritic_and_tone_placement_insensitive(store):
    a = save_enterprise(store, enterprise(), today=TEST_TODAY).record
    b = save_enterprise(
        store,
        enterprise(
            name="Công ty Cổ phần Thủy sản Hoà Phát",
            tax_code="0100109106-001",
            owner_name="Trần Văn Toàn",
            address="12 Hai Bà Trưng",
        ),
        today=TEST_TODAY,
    ).record
    ids = lambda q: {r["id"] for r in store.search_enterprises(q)}  # noqa: E731
    assert ids("nguyen thi hang") == {a.id}
    assert ids("Nguyễn Thị Hằng") == {a.id}
    assert ids(unicodedata.normalize("NFD", "Nguyễn Thị Hằng")) == {a.id}
    assert ids("hoa") == {a.id, b.id}  # Hòa and Hoà
    assert ids("hoà") == ids("hòa") == {a.id, b.id}
    assert ids("thuy san") == ids("thuỷ sản") == {b.id}
    assert ids("0100109106") == {a.id, b.id}
    assert ids("0100109106001") == {b.id}
    assert ids("HAI BA TRUNG") == {b.id}
    assert ids("hoa pha") == {b.id}  # prefix of the last word while typing
    assert ids("") == set()
    assert ids('"; DROP TABLE') == set()  # FTS syntax in the query is harmless


def test_clock_orders_changes_when_the_laptop_clock_goes_back():
    t = [1_800_000_000.0]
    clock = HybridClock("lap1", wall=lambda: t[0])
    a = clock.now()
    t[0] -= 365 * 24 * 3600  # the clock is set back a year
    b = clock.now()
    c = clock.now()
    assert a < b < c
    assert str(a) < str(b) < str(c)
    clock.observe(Stamp(a.millis + 10_000, 3, "lap2"))
    d = clock.now()
    assert d.millis == a.millis + 10_000 and d.counter == 4 and d.node == "lap1"


def test_clock_persists_across_store_instances(tmp_path):
    with open_store(tmp_path) as s:
        s.set_profile(
            unit_code="00070",
            collaborator="A",
            role=__import__("app.domain.vocab").domain.vocab.Role("collaborator"),
        )
        save_enterprise(s, enterprise(), today=TEST_TODAY)
        last = s.meta("hlc_last")
    with open_store(tmp_path) as s:
        assert s.clock().last == Stamp.parse(last)


def test_store_refuses_use_from_another_thread(store):
    errors = []

    def other():
        try:
            with store.transaction():
                pass
        except RuntimeError as exc:
            errors.append(exc)

    t = threading.Thread(target=other)
    t.start()
    t.join()
    assert errors


def test_backup_is_consistent_while_another_connection_writes(file_store, tmp_path):
    from app.demo.generator import DemoOptions, generate

    generate(file_store, DemoOptions("00070", enterprises=200, seed=3, today=TEST_TODAY))
    writer = Store(file_store.path, file_store.key)
    with writer.write("Khác") as w:  # an open write transaction in another connection
        w.create(enterprise(name="Đang ghi dở", tax_code="0100109106-002"))
        out = file_store.backup(tmp_path / "backup" / "copy.sqlite3")
    writer.close()
    conn = connect(out, file_store.key)  # encrypted with the same key as the database
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("SELECT count(*) FROM enterprises").fetchone()[0] == 200
    assert conn.execute("SELECT count(*) FROM enterprises WHERE name = 'Đang ghi dở'").fetchone()[0] == 0
    assert not [p for p in out.parent.iterdir() if p.name.endswith(".tmp")]
    conn.close()


def test_change_fields_are_json_with_old_and_new(store):
    e = save_enterprise(store, enterprise(), today=TEST_TODAY).record
    # (no office above is registered: the creation is kept on the record until the record changes)
    assert store.conn.execute("SELECT count(*) FROM changes").fetchone()[0] == 0
    e.workforce_total = 31
    save_enterprise(store, e, today=TEST_TODAY)
    raw, seq = store.conn.execute("SELECT fields, seq FROM changes WHERE op = 'create'").fetchone()
    assert seq == 1  # written back with the number it was given
    data = json.loads(raw)
    assert all(isinstance(v, list) and len(v) == 2 for v in data.values())


def test_a_larger_cache_for_a_while_nests_and_comes_back(file_store):
    """``Store.larger_cache``: the outermost one counts (a batch of bundles keeps one cache from the
    first to the last), and the cache before it is back afterwards, also after an error."""

    def cache() -> int:
        return file_store.conn.execute("PRAGMA cache_size").fetchone()[0]

    before = cache()
    assert before == -32768
    with file_store.larger_cache(100_000):
        assert cache() == -100_000
        with file_store.larger_cache(262_144):
            assert cache() == -100_000
        assert cache() == -100_000
    assert cache() == before
    with file_store.larger_cache(16_000):  # not smaller than it is
        assert cache() == before
    with pytest.raises(RuntimeError), file_store.larger_cache(100_000):
        raise RuntimeError("hỏng giữa chừng")
    assert cache() == before
