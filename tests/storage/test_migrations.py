"""Migrations: from an empty file and from every earlier version, up to the latest."""

import sqlite3

import pytest

from app.storage import Store, StoreError
from app.storage.driver import dbapi
from app.storage.migrations import LATEST, MIGRATIONS, current_version, migrate
from app.storage.store import connect


def schema(conn):
    return sorted(
        (r[0], r[1], r[2])
        for r in conn.execute("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'")
    )


def test_migrations_are_numbered_in_order():
    numbers = [m[0] for m in MIGRATIONS]
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)
    assert numbers[0] == 1


def test_from_empty_file(tmp_path):
    conn = connect(tmp_path / "a.sqlite3")
    assert current_version(conn) == 0
    assert migrate(conn) == [m[0] for m in MIGRATIONS]
    assert current_version(conn) == LATEST
    recorded = [r[0] for r in conn.execute("SELECT version FROM schema_migrations ORDER BY version")]
    assert recorded == [m[0] for m in MIGRATIONS]
    assert migrate(conn) == []  # idempotent


@pytest.mark.parametrize("start", [m[0] for m in MIGRATIONS[:-1]])
def test_from_every_earlier_version_keeps_data(tmp_path, start):
    path = tmp_path / "old.sqlite3"
    conn = connect(path)
    migrate(conn, target=start)
    assert current_version(conn) == start
    # an enterprise as an older version would have written it (the v1 columns only)
    conn.execute(
        "INSERT INTO enterprises(id, name, tax_code, ward_code, created_hlc, updated_hlc, origin) "
        "VALUES ('e-1', 'Công ty TNHH Hòa Bình', '0100109106', '00070', 'x', 'x', 'old')"
    )
    conn.execute("UPDATE enterprises SET owner_name = 'Nguyễn Đức Huy'")
    # a visit and a founded trade union (the list's filters read them from the enterprise since version 9)
    conn.execute(
        "INSERT INTO visits(id, enterprise_id, visit_date, created_hlc, updated_hlc, origin) "
        "VALUES ('v-1', 'e-1', '2025-03-04', 'x', 'x', 'old')"
    )
    conn.execute(
        "INSERT INTO organisations(id, enterprise_id, kind, status, created_hlc, updated_hlc, origin) "
        "VALUES ('o-1', 'e-1', 'union', 'founded', 'x', 'x', 'old')"
    )
    if start >= 2:  # versions with the search index kept it in step
        conn.execute(
            "INSERT INTO enterprise_fts(rowid, name, tax_code, owner_name) "
            "SELECT rid, 'cong ty tnhh hoa binh', '0100109106', 'nguyen duc huy' FROM enterprises"
        )
    if start >= 9:  # ... and the list's facts
        conn.execute("UPDATE enterprises SET last_visit = '2025-03-04', founded = 2")
    if start >= 13:  # ... and the work list's facts (and the report's, since version 15)
        from app.storage import work_facts

        work_facts.fill(conn, report=start >= 16)
    if start >= 6:  # ... and the names apart, and the representatives' names
        conn.execute("INSERT INTO enterprise_owners(key, rid) SELECT 'nguyen duc huy', rid FROM enterprises")
        conn.execute(
            "INSERT INTO enterprise_names(rowid, name, short_name) SELECT rid, 'cong ty tnhh hoa binh', '' "
            "FROM enterprises"
        )
    last_visit = "2025-03-04"
    if start >= 11:  # a laptop told of a later visit by its office (counted since version 14)
        conn.execute("INSERT INTO meta(key, value) VALUES ('laptop_id', 'this-laptop')")
        conn.execute(
            "INSERT INTO visit_summaries(id, enterprise_id, last_visit_date, visits, created_hlc, updated_hlc, "
            "origin) VALUES ('s-1', 'e-1', '2025-09-01', 1, 'x', 'x', 'the-office')"
        )
        last_visit = "2025-09-01"
        if start >= 14:  # ... counted on the enterprise by the program that wrote it
            conn.execute("UPDATE enterprises SET last_visit = ?", (last_visit,))
    conn.close()
    with Store(path) as store:
        assert store.schema_version() == LATEST
        assert store.integrity_check() == []
        assert [r["id"] for r in store.search_enterprises("hoa binh")] == ["e-1"]
        assert [(r["id"], r["tier"]) for r in store.search_enterprises("nguyen duc huy")] == [
            ("e-1", "owner")
        ]
        row = store.row("enterprises", "e-1")
        assert (row["last_visit"], row["founded"]) == (last_visit, 2)
    # the schema reached is the same as from an empty file
    fresh = connect(tmp_path / "fresh.sqlite3")
    migrate(fresh)
    upgraded = connect(path)
    assert [s[:2] for s in schema(upgraded)] == [s[:2] for s in schema(fresh)]


def test_failed_migration_rolls_back(tmp_path, monkeypatch):
    from app.storage import migrations

    def broken(conn):
        conn.execute("CREATE TABLE half_done (x)")
        raise RuntimeError("power cut")

    monkeypatch.setattr(migrations, "MIGRATIONS", [*MIGRATIONS, (LATEST + 1, "broken", broken)])
    monkeypatch.setattr(migrations, "LATEST", LATEST + 1)
    conn = connect(tmp_path / "b.sqlite3")
    with pytest.raises(RuntimeError):
        migrations.migrate(conn)
    assert current_version(conn) == LATEST
    assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'half_done'").fetchone()[0] == 0


def test_newer_file_is_refused_with_a_message(tmp_path):
    path = tmp_path / "new.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {LATEST + 5}")
    conn.close()
    with pytest.raises(StoreError, match="phiên bản KhaoSat mới hơn"):
        Store(path)


def test_not_a_database_is_refused_with_a_message(tmp_path):
    path = tmp_path / "junk.sqlite3"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="Không mở được tệp dữ liệu"):
        Store(path)


def test_opening_an_older_file_keeps_a_backup_first(tmp_path):
    path = tmp_path / "khaosat.sqlite3"
    conn = connect(path)
    migrate(conn, target=1)
    conn.execute(
        "INSERT INTO enterprises(id, name, tax_code, ward_code, created_hlc, updated_hlc, origin) "
        "VALUES ('e-1', 'Công ty TNHH Hòa Bình', '0100109106', '00070', 'x', 'x', 'old')"
    )
    conn.close()
    with Store(path) as store:
        backup = store.upgrade_backup
        assert backup is not None and backup.parent == tmp_path / "backups"
        assert store.schema_version() == LATEST
    old = sqlite3.connect(backup)
    assert old.execute("PRAGMA user_version").fetchone()[0] == 1
    assert old.execute("SELECT name FROM enterprises").fetchone()[0] == "Công ty TNHH Hòa Bình"
    old.close()
    with Store(path) as store:  # already current: no second backup
        assert store.upgrade_backup is None
    assert len(list((tmp_path / "backups").iterdir())) == 1


VISITS_RENAMED = """
    CREATE TABLE visits (
        id TEXT PRIMARY KEY,
        enterprise_id TEXT NOT NULL,
        visit_date TEXT,
        collaborator TEXT,
        person_met TEXT,
        person_title TEXT,
        workforce_total INTEGER,
        party_total INTEGER,
        party_official INTEGER,
        party_probationary INTEGER,
        union_members INTEGER,
        youth_members INTEGER,
        women_members INTEGER,
        veterans_members INTEGER,
        candidates_identified INTEGER,
        candidates_trained INTEGER,
        candidates_applied INTEGER,
        deleted INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
        created_hlc TEXT NOT NULL,
        updated_hlc TEXT NOT NULL,
        origin TEXT NOT NULL
    ) WITHOUT ROWID
"""


def test_rebuild_table_changes_a_without_rowid_table_in_the_migrations_transaction(tmp_path, monkeypatch):
    """A later migration that renames and drops columns of a record table (sqlite-utils'
    transform() cannot rebuild WITHOUT ROWID tables): rows, indexes and the storage kind survive."""
    from app.domain.records import Enterprise, Visit
    from app.storage import migrations

    path = tmp_path / "khaosat.sqlite3"
    with Store(path) as store:
        e = Enterprise(name="Công ty TNHH Hòa Bình", tax_code="0100109106", ward_code="00070")
        v = Visit(enterprise_id=e.id, collaborator="Nguyễn Thị Hằng", person_met_title="Giám đốc")
        with store.write() as w:
            w.create(e)
            w.create(v)

    def rename_title(conn):
        migrations.rebuild_table(conn, "visits", VISITS_RENAMED, {"person_title": "person_met_title"})
        conn.execute("CREATE INDEX visits_title ON visits(person_title)")

    monkeypatch.setattr(
        migrations, "MIGRATIONS", [*MIGRATIONS, (LATEST + 1, "rename a column", rename_title)]
    )
    conn = connect(path)
    assert migrations.migrate(conn) == [LATEST + 1]
    row = conn.execute("SELECT id, person_title, collaborator, deleted FROM visits").fetchone()
    assert row == (v.id, "Giám đốc", "Nguyễn Thị Hằng", 0)
    # the table's own triggers are made again; the other tables' triggers that read it are kept
    triggers = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    assert {"visits_work_changed", "visits_work_gone", "organisations_work_changed"} <= triggers
    assert (
        "WITHOUT ROWID" in conn.execute("SELECT sql FROM sqlite_master WHERE name = 'visits'").fetchone()[0]
    )
    indexes = {
        r[0]
        for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'visits'")
    }
    assert {"visits_enterprise", "visits_title"} <= indexes
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1  # switched back on
    conn.close()


def test_a_failed_rebuild_leaves_the_table_as_it_was(tmp_path, monkeypatch):
    from app.storage import migrations

    path = tmp_path / "khaosat.sqlite3"
    Store(path).close()

    def bad(conn):  # the copy names a column the old table does not have: nothing may change
        migrations.rebuild_table(conn, "visits", VISITS_RENAMED, {"person_title": "no_such_column"})

    monkeypatch.setattr(migrations, "MIGRATIONS", [*MIGRATIONS, (LATEST + 1, "bad", bad)])
    conn = connect(path)
    before = schema(conn)
    with pytest.raises(dbapi.OperationalError):
        migrations.migrate(conn)
    assert schema(conn) == before and current_version(conn) == LATEST
