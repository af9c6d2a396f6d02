"""Ordered schema migrations.

Each migration is a small function that takes the connection inside a transaction and moves
the schema from version N-1 to N. The version lives in ``PRAGMA user_version`` and every
applied step is recorded in ``schema_migrations``. A migration, once released, never changes:
later changes come as new migrations. Tests run every path: from an empty file and from each
earlier version (``tests/storage/test_migrations.py``).

Upgrading a large file takes minutes (migration 14 took a minute at 500,000 enterprises), so the runner
says what it does through a callback the opener passes down (``progress``: an ``UpgradeStep`` before each
step; the window's start dialog and the command line's stderr show them; by default nothing). A migration
does no UI work of its own: one that loops over rows may call ``report_fraction(done, total)`` and the
step's bar fills; any other shows a bar that moves without a fraction.
"""

from __future__ import annotations

import contextlib
import contextvars
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from app.domain.vocab import Role

Migration = Callable[[sqlite3.Connection], None]

BACKUP, MIGRATE, DONE = "backup", "migrate", "done"


@dataclass(frozen=True)
class UpgradeStep:
    """What the upgrade of an older file is doing, told to whoever opened it.

    ``stage``: ``BACKUP`` (the copy kept before upgrading), ``MIGRATE`` (migration ``version``, the
    ``step``-th of ``steps`` to run) or ``DONE``. ``fraction``: how much of this stage is done, when the
    work can tell cheaply (the backup's pages, a migration's ``report_fraction``); None: unknown.
    """

    stage: str
    step: int = 0
    steps: int = 0
    version: int = 0
    fraction: float | None = None

    @property
    def text(self) -> str:
        if self.stage == BACKUP:
            return "Đang sao lưu dữ liệu trước khi nâng cấp…"
        if self.stage == DONE:
            return "Đã nâng cấp xong dữ liệu."
        return f"Đang nâng cấp dữ liệu (bước {self.step}/{self.steps})…"


UpgradeProgress = Callable[[UpgradeStep], None]


def no_progress(_step: UpgradeStep) -> None:
    """The default: nobody is told."""


# The running step's reporter (set by ``migrate`` around each step, on its own thread).
_reporter: contextvars.ContextVar[Callable[[float], None] | None] = contextvars.ContextVar(
    "migration_reporter", default=None
)


def report_fraction(done: int, total: int) -> None:
    """Inside a migration that loops over rows: ``done`` of ``total`` done (the step's bar fills).

    Cheap to call on every row: only a change of a whole percent reaches the opener. Outside a
    migration, or when nobody listens, it does nothing."""
    report = _reporter.get()
    if report is not None and total > 0:
        report(min(max(done / total, 0.0), 1.0))


def run_script(conn: sqlite3.Connection, script: str) -> None:
    """Run statements one by one inside the caller's transaction.

    (``executescript`` would COMMIT the open transaction first and break atomicity.)
    """
    buffer = ""
    for line in script.splitlines(keepends=True):
        if line.strip().startswith("--") and not buffer.strip():
            continue
        buffer += line
        if sqlite3.complete_statement(buffer):
            conn.execute(buffer)
            buffer = ""
    if buffer.strip():
        raise ValueError(f"incomplete SQL statement: {buffer[:80]!r}")


def add_declared_column(conn: sqlite3.Connection, table: str, name: str) -> None:
    """Add a declared field's column (``app.domain.records``): the one line a migration needs when a
    field is added to a record.

    The column's SQL (type, NOT NULL, DEFAULT) comes from the declaration as it stands when the
    migration runs, so a released field's declaration keeps its kind, null and default (changing
    those, or removing a field, is a migration of its own). ``tests/storage/test_schema.py`` checks
    that every declared field has its column, as declared.
    """
    from app.domain.records import record_type

    info = record_type(table).INFO[name]
    if not info.null and info.default is None:
        raise ValueError(
            f"{table}.{name}: a column added to existing rows needs a default or null=True in its declaration"
        )
    conn.execute(f"ALTER TABLE {table} ADD COLUMN {info.column_sql()}")
    # values a newer version sent before this one knew the column, kept until now: applied
    from app.storage import newer_values

    if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'sync_unknown_values'").fetchone():
        newer_values.apply(conn, table, name)


def rebuild_table(
    conn: sqlite3.Connection, table: str, create_sql: str, copy: dict[str, str] | None = None
) -> None:
    """Change a table in a way ``ALTER TABLE`` cannot (drop or rename a column, change a type, a
    constraint or a default): SQLite's documented procedure, inside the migration's transaction.
    The new table is made from ``create_sql`` (a ``CREATE TABLE {table} (...)``, written out in full
    in the migration, so the migration never changes once released) under a temporary name, the
    rows are copied, the old table dropped, the new one renamed, and the old table's indexes made
    again (an index on a column that no longer exists is left out: the migration makes its own), and
    so are its triggers (a migration that changes what they read makes them anew).

    ``copy`` maps a column of the new table to an SQL expression over the old one (a rename:
    ``{"title": "headline"}``); the other columns both tables have are copied as they are.

    sqlite-utils reads the old table (columns, indexes); its ``Table.transform()`` is not used: it
    cannot rebuild a WITHOUT ROWID table (every record table but ``enterprises``: it copies ``rowid``
    and makes a rowid table), and it rewrites the schema in its own words (``DEFAULT 0`` becomes
    ``DEFAULT '0'``), where a migration should say exactly what the table becomes (docs/architecture.md).
    """
    import sqlite_utils

    db = sqlite_utils.Database(conn)
    old = db.table(table)
    if not old.exists():
        raise ValueError(f"no table {table!r}")
    temp = f"{table}_rebuild"
    head = f"CREATE TABLE {table} ("
    if not create_sql.lstrip().startswith(head):
        raise ValueError(f"create_sql must start with {head!r}")
    indexes = [(ix.name, ix.columns) for ix in old.indexes if not ix.name.startswith("sqlite_autoindex_")]
    index_sql = dict(
        conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
            (table,),
        )
    )
    conn.execute(create_sql.replace(head, f"CREATE TABLE {temp} (", 1))
    new_columns = list(db.table(temp).columns_dict)
    old_columns = set(old.columns_dict)
    copy = dict(copy or {})
    for name in new_columns:
        if name not in copy and name in old_columns:
            copy[name] = f'"{name}"'
    targets = ", ".join(f'"{c}"' for c in copy)
    sources = ", ".join(copy.values())
    triggers = [
        sql
        for (sql,) in conn.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ? AND sql IS NOT NULL",
            (table,),
        )
    ]
    conn.execute(f"INSERT INTO {temp} ({targets}) SELECT {sources} FROM {table}")
    conn.execute(f"DROP TABLE {table}")
    # Triggers of other tables that read this one (the work list's, app/storage/work_facts.py) would
    # make a checked rename fail while the table is gone; the legacy rename leaves them as they are,
    # and they name the table by the name it gets back.
    legacy = conn.execute("PRAGMA legacy_alter_table").fetchone()[0]
    conn.execute("PRAGMA legacy_alter_table = ON")
    try:
        conn.execute(f"ALTER TABLE {temp} RENAME TO {table}")
    finally:
        conn.execute(f"PRAGMA legacy_alter_table = {int(legacy)}")
    for name, columns in indexes:
        if all(c in new_columns for c in columns) and name in index_sql:
            conn.execute(index_sql[name])
    for sql in triggers:  # the table's own triggers went with it: made again as they were
        conn.execute(sql)


def create_declared_table(conn: sqlite3.Connection, table: str, columns: list[str]) -> None:
    """Create a new record type's table: ``id``, the named declared fields (the fields as the record
    type has them when the migration is written: a field added later comes with ``add_declared_column``
    in a later migration), the columns every synced record has, and the kept-creation columns."""
    from app.domain.records import record_type

    info = record_type(table).INFO
    cols = ",\n".join(["id TEXT PRIMARY KEY", *(info[c].column_sql() for c in columns)])
    kept = ", ".join(
        f"{c} {t}"
        for c, t in (
            ("create_change", "TEXT"),
            ("create_txn", "TEXT"),
            ("create_author", "TEXT"),
            ("create_wall", "TEXT"),
            ("create_via", "INTEGER"),
            ("create_seq", "INTEGER"),
        )
    )
    conn.execute(f"CREATE TABLE {table} ({cols}, {_SYNCED}, {kept}) WITHOUT ROWID")


# Columns every synced record table has.
_SYNCED = """
    deleted INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
    created_hlc TEXT NOT NULL,
    updated_hlc TEXT NOT NULL,
    origin TEXT NOT NULL
"""


def _v1_core(conn: sqlite3.Connection) -> None:
    """Records, the change log and the laptop's settings."""
    run_script(
        conn,
        f"""
        CREATE TABLE meta (
            key TEXT PRIMARY KEY,
            value TEXT
        );
        CREATE TABLE enterprises (
            rid INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            short_name TEXT,
            tax_code TEXT NOT NULL,
            legal_form TEXT,
            fdi INTEGER NOT NULL DEFAULT 0,
            vsic_section TEXT,
            address TEXT,
            ward_code TEXT NOT NULL,
            phone TEXT,
            email TEXT,
            owner_name TEXT,
            owner_is_party_member INTEGER NOT NULL DEFAULT 0,
            year_founded INTEGER,
            workforce_total INTEGER,
            workforce_women INTEGER,
            workforce_under30 INTEGER,
            status TEXT NOT NULL DEFAULT 'active',
            note TEXT,
            {_SYNCED}
        );
        CREATE INDEX enterprises_tax_code ON enterprises(tax_code);
        CREATE INDEX enterprises_ward ON enterprises(ward_code, name);

        CREATE TABLE visits (
            id TEXT PRIMARY KEY,
            enterprise_id TEXT NOT NULL,
            visit_date TEXT,
            collaborator TEXT,
            person_met TEXT,
            person_met_title TEXT,
            workforce_total INTEGER,
            workforce_women INTEGER,
            workforce_under30 INTEGER,
            party_total INTEGER,
            party_official INTEGER,
            party_probationary INTEGER,
            union_members INTEGER,
            youth_members INTEGER,
            women_members INTEGER,
            veterans_members INTEGER,
            has_party INTEGER NOT NULL DEFAULT 0,
            has_union INTEGER NOT NULL DEFAULT 0,
            has_youth INTEGER NOT NULL DEFAULT 0,
            has_women INTEGER NOT NULL DEFAULT 0,
            has_veterans INTEGER NOT NULL DEFAULT 0,
            attitude TEXT,
            difficulties TEXT,
            proposals TEXT,
            next_step TEXT,
            next_visit_date TEXT,
            {_SYNCED}
        ) WITHOUT ROWID;
        CREATE INDEX visits_enterprise ON visits(enterprise_id, visit_date);

        CREATE TABLE organisations (
            id TEXT PRIMARY KEY,
            enterprise_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'none',
            mobilising_since TEXT,
            decision_number TEXT,
            decision_date TEXT,
            issuing_body TEXT,
            founding_members INTEGER,
            leader TEXT,
            members INTEGER,
            dissolved_date TEXT,
            note TEXT,
            {_SYNCED}
        ) WITHOUT ROWID;
        CREATE INDEX organisations_enterprise ON organisations(enterprise_id, kind);
        CREATE INDEX organisations_decision ON organisations(kind, decision_date);

        CREATE TABLE admissions (
            id TEXT PRIMARY KEY,
            enterprise_id TEXT NOT NULL,
            organisation_id TEXT,
            kind TEXT NOT NULL,
            admitted_on TEXT,
            count INTEGER NOT NULL DEFAULT 1,
            note TEXT,
            {_SYNCED}
        ) WITHOUT ROWID;
        CREATE INDEX admissions_enterprise ON admissions(enterprise_id);
        CREATE INDEX admissions_kind_date ON admissions(kind, admitted_on);

        CREATE TABLE targets (
            id TEXT PRIMARY KEY,
            unit_code TEXT NOT NULL,
            year INTEGER NOT NULL,
            kind TEXT NOT NULL,
            metric TEXT NOT NULL,
            value INTEGER NOT NULL,
            {_SYNCED}
        ) WITHOUT ROWID;
        CREATE INDEX targets_unit_year ON targets(unit_code, year);

        -- The change log. One row per change of one record, in the transaction that made it.
        --   seq        local order of arrival: "everything since X" is seq > X
        --   change_id  global identity of the change (a UUID): merging the same change twice is a no-op
        --   hlc        hybrid logical clock stamp: orders changes across laptops even with wrong clocks
        --   origin     the laptop that made the change; author: the person logged on there
        --   fields     JSON object {{"field": [old, new], ...}}: the values replaced and the new ones
        --   op         create | update | delete (a tombstone: deleted 0 -> 1) | restore
        CREATE TABLE changes (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            change_id TEXT NOT NULL UNIQUE,
            txn TEXT NOT NULL,
            hlc TEXT NOT NULL,
            origin TEXT NOT NULL,
            author TEXT NOT NULL,
            wall_time TEXT NOT NULL,
            entity TEXT NOT NULL,
            record_id TEXT NOT NULL,
            op TEXT NOT NULL CHECK (op IN ('create', 'update', 'delete', 'restore')),
            fields TEXT NOT NULL,
            received_via TEXT
        );
        CREATE INDEX changes_record ON changes(entity, record_id, seq);
        CREATE INDEX changes_origin ON changes(origin, hlc);
        """,
    )


def _v2_search(conn: sqlite3.Connection) -> None:
    """Full-text search of enterprises on folded text (no diacritics, đ -> d)."""
    from app.storage.search import index_values

    run_script(
        conn,
        """
        CREATE VIRTUAL TABLE enterprise_fts USING fts5(
            name, short_name, tax_code, address, owner_name,
            tokenize = 'unicode61 remove_diacritics 0',
            prefix = '1 2 3'
        );
        """,
    )
    cols = ("rid", "name", "short_name", "tax_code", "address", "owner_name")
    conn.executemany(
        "INSERT INTO enterprise_fts(rowid, name, short_name, tax_code, address, owner_name) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [
            (r[0], *index_values(dict(zip(cols, r))))
            for r in conn.execute(f"SELECT {', '.join(cols)} FROM enterprises WHERE deleted = 0").fetchall()
        ],
    )


def _v3_settings_and_offices(conn: sqlite3.Connection) -> None:
    """Office-level settings (founding minimums...) and the configurable chain of offices."""
    run_script(
        conn,
        """
        CREATE TABLE settings (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        INSERT INTO settings(key, value) VALUES
            ('founding_minimums', '{"party": 3, "union": 5, "youth": 3, "women": null, "veterans": null}');

        -- Offices above the ward, bottom to top. parent_id NULL is the top (usually the province).
        CREATE TABLE offices (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            role TEXT NOT NULL,
            unit_code TEXT NOT NULL,
            parent_id TEXT REFERENCES offices(id),
            created_at TEXT NOT NULL
        );
        """,
    )


def _v4_sync(conn: sqlite3.Connection) -> None:
    """Signed, encrypted bundles (app/sync): keys, registry, chains, receipts, conflicts, quarantine."""
    run_script(
        conn,
        """
        -- This machine's own key pairs (private halves live in the data folder, never here).
        CREATE TABLE sync_keys (
            keyid TEXT PRIMARY KEY,
            sign_pub BLOB NOT NULL,
            enc_pub BLOB NOT NULL,
            created_at TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('active', 'retired')),
            doc BLOB NOT NULL
        );
        -- Registered machines (laptops below us, offices above us), one row per key.
        CREATE TABLE sync_peers (
            keyid TEXT PRIMARY KEY,
            laptop_id TEXT NOT NULL,
            sign_pub BLOB NOT NULL,
            enc_pub BLOB NOT NULL,
            fingerprint TEXT NOT NULL,
            name TEXT,
            unit_code TEXT NOT NULL,
            role TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('active', 'superseded', 'revoked')),
            revoked_after_seq INTEGER,
            revoked_at TEXT,
            registered_at TEXT NOT NULL,
            registered_via TEXT,
            is_destination INTEGER NOT NULL DEFAULT 0,
            doc BLOB NOT NULL
        );
        CREATE INDEX sync_peers_laptop ON sync_peers(laptop_id);
        -- Bundles seen, per chain (sender -> recipient): sequence and hash of the previous one.
        CREATE TABLE sync_chains (
            sender TEXT NOT NULL,
            recipient TEXT NOT NULL,
            seq INTEGER NOT NULL,
            hash TEXT NOT NULL,
            prev TEXT,
            received_at TEXT NOT NULL,
            PRIMARY KEY (sender, recipient, seq)
        ) WITHOUT ROWID;
        -- Signed envelopes received (kept to relay them upward intact). A merged change's
        -- changes.received_via is the hash of the envelope that carried it: who captured it is
        -- changes.origin, who relayed it is relayed_by here.
        CREATE TABLE sync_envelopes (
            eid INTEGER PRIMARY KEY AUTOINCREMENT,
            hash TEXT NOT NULL UNIQUE,
            signer TEXT NOT NULL,
            keyid TEXT NOT NULL,
            recipient TEXT NOT NULL,
            seq INTEGER NOT NULL,
            relayed_by TEXT NOT NULL,
            received_at TEXT NOT NULL,
            data BLOB NOT NULL
        );
        -- Bundles this machine wrote, per destination; acked_at set when a receipt confirms one.
        CREATE TABLE sync_exports (
            recipient TEXT NOT NULL,
            seq INTEGER NOT NULL,
            hash TEXT NOT NULL,
            prev TEXT,
            created_at TEXT NOT NULL,
            max_change_seq INTEGER NOT NULL,
            max_envelope_id INTEGER NOT NULL,
            changes INTEGER NOT NULL,
            envelopes INTEGER NOT NULL,
            file_name TEXT NOT NULL,
            acked_at TEXT,
            PRIMARY KEY (recipient, seq)
        ) WITHOUT ROWID;
        -- Concurrent edits: both values kept; winner is the provisional value shown everywhere.
        CREATE TABLE sync_conflicts (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            entity TEXT NOT NULL,
            record_id TEXT NOT NULL,
            field TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('field', 'edit_delete')),
            change_a TEXT NOT NULL,
            value_a TEXT,
            hlc_a TEXT NOT NULL,
            change_b TEXT NOT NULL,
            value_b TEXT,
            hlc_b TEXT NOT NULL,
            winner TEXT NOT NULL,
            found_at TEXT NOT NULL,
            resolved_at TEXT,
            resolution TEXT,
            UNIQUE (entity, record_id, field, change_a, change_b)
        );
        CREATE INDEX sync_conflicts_open ON sync_conflicts(resolved_at, entity, record_id);
        -- Bundles not merged: forks (same sequence, different content) and the like.
        CREATE TABLE sync_quarantine (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            sender TEXT NOT NULL,
            recipient TEXT NOT NULL,
            seq INTEGER NOT NULL,
            hash TEXT NOT NULL UNIQUE,
            reason TEXT NOT NULL,
            received_at TEXT NOT NULL,
            data BLOB NOT NULL
        );
        -- Children that arrived before their parent: applied when the parent comes.
        CREATE TABLE sync_pending (
            change_id TEXT PRIMARY KEY,
            parent_id TEXT NOT NULL,
            signer_unit TEXT NOT NULL,
            envelope TEXT NOT NULL,
            change TEXT NOT NULL,
            received_at TEXT NOT NULL
        );
        CREATE INDEX sync_pending_parent ON sync_pending(parent_id);
        -- The same tax code under two record ids: a person merges them explicitly.
        CREATE TABLE sync_duplicates (
            id_a TEXT NOT NULL,
            id_b TEXT NOT NULL,
            tax_code TEXT NOT NULL,
            found_at TEXT NOT NULL,
            resolved_at TEXT,
            PRIMARY KEY (id_a, id_b)
        ) WITHOUT ROWID;
        -- Every import attempt and its outcome (the report shown to the user).
        CREATE TABLE sync_imports (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,
            file_name TEXT NOT NULL,
            outcome TEXT NOT NULL,
            report TEXT NOT NULL
        );
        """,
    )


def _v5_compact_creates(conn: sqlite3.Connection) -> None:
    """Records received in a bundle as a creation and not changed since carry their creation themselves.

    An office importing a province's worth of new records would otherwise write every value twice
    (the record and its change-log row). While ``create_change`` is set, the record's only change is
    that creation: its values are the record's own, its stamp ``created_hlc``, its machine ``origin``;
    the change-log row is written (``app/storage/kept_creations.py``) just before anything else changes the
    record. Envelopes kept for relaying can point into the compressed file they came in.
    """
    for table in ("enterprises", "visits", "organisations", "admissions", "targets"):
        for column, kind in (
            ("create_change", "TEXT"),
            ("create_txn", "TEXT"),
            ("create_author", "TEXT"),
            ("create_wall", "TEXT"),
            ("create_via", "INTEGER"),
        ):
            conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
    run_script(
        conn,
        """
        -- The compressed plaintext of an imported file (zlib), once: the envelopes it carried are
        -- slices of its decompressed bytes (sync_envelopes.blob_id, blob_offset, blob_length; data is empty).
        CREATE TABLE sync_blobs (
            id INTEGER PRIMARY KEY,
            data BLOB NOT NULL
        );
        ALTER TABLE sync_envelopes ADD COLUMN blob_id INTEGER;
        ALTER TABLE sync_envelopes ADD COLUMN blob_offset INTEGER;
        ALTER TABLE sync_envelopes ADD COLUMN blob_length INTEGER;
        -- a bigger buffer of pending search terms: a big import writes fewer, larger segments
        -- (about 30% faster for 100,000 enterprises; memory only while writing)
        INSERT INTO enterprise_fts(enterprise_fts, rank) VALUES ('hashsize', 16777216);
        """,
    )


def _v6_search_tiers(conn: sqlite3.Connection) -> None:
    """Search in tiers (``app/storage/search.py``): the full-text index again with column detail and
    prefixes up to six letters, the names alone (``enterprise_names``), and the representatives' folded
    names in a B-tree (``enterprise_owners``), so a person's whole name ranks the enterprises they
    represent first. Every index is filled again from the records (about 30 s for 500,000 enterprises)."""
    from app.storage.search import FTS_DDL, NAMES_DDL, OWNERS_DDL, rebuild_index

    conn.execute("DROP TABLE enterprise_fts")
    run_script(conn, FTS_DDL + NAMES_DDL + OWNERS_DDL)
    conn.execute("INSERT INTO enterprise_fts(enterprise_fts, rank) VALUES ('hashsize', 16777216)")
    conn.execute("INSERT INTO enterprise_names(enterprise_names, rank) VALUES ('hashsize', 16777216)")
    rebuild_index(conn)


def _v7_sync_rules(conn: sqlite3.Connection) -> None:
    """Sync: incoming values to check, key replacements, re-based chains, values of newer versions."""
    run_script(
        conn,
        """
        -- Values a bundle brought that the domain rules only doubt (counts that do not add up, a
        -- founded organisation without its decision...): merged, and listed for a person to check.
        -- sender is the machine whose change brought the doubt; checked_* when a person kept it.
        CREATE TABLE sync_checks (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            entity TEXT NOT NULL,
            record_id TEXT NOT NULL,
            field TEXT NOT NULL,
            rule TEXT NOT NULL,
            message TEXT NOT NULL,
            sender TEXT NOT NULL,
            envelope TEXT,
            found_at TEXT NOT NULL,
            checked_at TEXT,
            checked_by TEXT,
            UNIQUE (entity, record_id, field, rule)
        );
        CREATE INDEX sync_checks_open ON sync_checks(checked_at, found_at);
        -- Every new key of a registered machine: endorsed by its old key, or a lost key replaced by a
        -- person (reason, who, when). office: the machine where it was decided (this one, or the
        -- office below that vouched for it).
        CREATE TABLE sync_key_events (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            laptop_id TEXT NOT NULL,
            old_keyid TEXT,
            old_fingerprint TEXT,
            new_keyid TEXT NOT NULL,
            new_fingerprint TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('endorsed', 'replaced_lost')),
            reason TEXT,
            by_name TEXT,
            at TEXT NOT NULL,
            office TEXT NOT NULL,
            UNIQUE (laptop_id, new_keyid, office)
        );
        -- A released bundle that continues a machine after its restore re-bases the chain: the
        -- bundles of the abandoned branch move here (still known: importing one again is a replay).
        CREATE TABLE sync_chains_replaced (
            hash TEXT PRIMARY KEY,
            sender TEXT NOT NULL,
            recipient TEXT NOT NULL,
            seq INTEGER NOT NULL,
            prev TEXT,
            received_at TEXT NOT NULL,
            replaced_at TEXT NOT NULL,
            replaced_by TEXT NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE sync_rebases (
            sender TEXT NOT NULL,
            recipient TEXT NOT NULL,
            head_seq INTEGER NOT NULL,
            head_hash TEXT NOT NULL,
            high INTEGER NOT NULL,
            at TEXT NOT NULL,
            PRIMARY KEY (sender, recipient, head_hash)
        ) WITHOUT ROWID;
        ALTER TABLE sync_quarantine ADD COLUMN released_at TEXT;
        ALTER TABLE sync_quarantine ADD COLUMN receipt_sent INTEGER NOT NULL DEFAULT 0;
        -- On a machine told by a receipt that its office has bundles it does not remember (it was
        -- restored from a backup): its next bundle continues above them.
        CREATE TABLE sync_resume (
            recipient TEXT PRIMARY KEY,
            seq INTEGER NOT NULL,
            prev TEXT NOT NULL,
            told_at TEXT NOT NULL
        ) WITHOUT ROWID;
        -- Values of columns this version does not know (a bundle from a newer version): kept, shown,
        -- relayed upward inside their envelope, applied once an upgrade knows the column.
        CREATE TABLE sync_unknown_values (
            change_id TEXT NOT NULL,
            entity TEXT NOT NULL,
            record_id TEXT NOT NULL,
            field TEXT NOT NULL,
            value TEXT,
            hlc TEXT NOT NULL,
            origin TEXT NOT NULL,
            envelope TEXT NOT NULL,
            received_at TEXT NOT NULL,
            PRIMARY KEY (change_id, field)
        ) WITHOUT ROWID;
        CREATE INDEX sync_unknown_values_record ON sync_unknown_values(entity, record_id);
        """,
    )


def _v8_recovery_log(conn: sqlite3.Connection) -> None:
    """Recoveries an office made for a laptop (and those its lower offices made), as the signed events
    that travel upward (app/sync/recovery.py; docs/sync-bundle.md, section 9)."""
    run_script(
        conn,
        """
        CREATE TABLE recovery_log (
            hash TEXT PRIMARY KEY,          -- SHA-256 of the signed event envelope
            envelope BLOB NOT NULL,         -- the envelope, as signed by the office that did the recovery
            office_id TEXT NOT NULL,
            laptop_id TEXT NOT NULL,
            issued_at TEXT NOT NULL,
            received_from TEXT,             -- NULL: made here; else the office it came from
            received_at TEXT NOT NULL
        );
        CREATE TABLE recovery_log_sent (
            recipient TEXT NOT NULL,
            hash TEXT NOT NULL REFERENCES recovery_log(hash),
            sent_at TEXT NOT NULL,
            PRIMARY KEY (recipient, hash)
        );
        """,
    )


def _v9_list_facts(conn: sqlite3.Connection) -> None:
    """Each enterprise's last visit and the kinds of organisation it founded, on its row and kept in step
    (``app/storage/list_facts.py``): the list's filters "not visited for N months" and "no trade union
    yet" read the row instead of every visit and organisation."""
    from app.storage import list_facts

    conn.execute("ALTER TABLE enterprises ADD COLUMN last_visit TEXT")
    conn.execute("ALTER TABLE enterprises ADD COLUMN founded INTEGER NOT NULL DEFAULT 0")
    list_facts.fill(conn, summaries=False)
    run_script(conn, list_facts.ddl(summaries=False))


def _v10_kept_own_creations(conn: sqlite3.Connection) -> None:
    """This machine's own creations kept on their records too (``app/storage/kept_creations.py``), with
    their number in the change log (``create_seq``), once no office above needs them from the log. New
    creations only: moving an old file's creations would take minutes and gigabytes of journal at a
    province and free no disk space until the file is rewritten (the next receipt moves a laptop's)."""
    for table in ("enterprises", "visits", "organisations", "admissions", "targets"):
        conn.execute(f"ALTER TABLE {table} ADD COLUMN create_seq INTEGER")


def _v11_downward(conn: sqlite3.Connection) -> None:
    """Data flows down too: records of the office (assignments, visit summaries, office settings) and
    downward bundles (envelopes kept to relay them down, exports per machine below, what each machine
    below holds, the base each downward bundle received builds on)."""
    create_declared_table(conn, "assignments", ["enterprise_id", "assignee", "assignee_name", "assigned_on"])
    create_declared_table(
        conn, "visit_summaries", ["enterprise_id", "last_visit_date", "last_visitor", "visits"]
    )
    create_declared_table(
        conn,
        "office_settings",
        [
            "office",
            "unit_code",
            "min_party",
            "min_union",
            "min_youth",
            "min_women",
            "min_veterans",
            "report_style",
            "rounding",
            "workforce_small",
            "workforce_large",
        ],
    )
    run_script(
        conn,
        """
        CREATE INDEX assignments_enterprise ON assignments(enterprise_id);
        CREATE INDEX assignments_assignee ON assignments(assignee, enterprise_id);
        CREATE INDEX visit_summaries_enterprise ON visit_summaries(enterprise_id);
        CREATE INDEX office_settings_office ON office_settings(office);
        -- 'up': received from a machine below (relayed upward); 'down': from an office above (relayed down
        -- to the machine it is addressed to, when that is not this one)
        ALTER TABLE sync_envelopes ADD COLUMN direction TEXT NOT NULL DEFAULT 'up'
            CHECK (direction IN ('up', 'down'));
        -- Downward envelopes this office wrote, per machine below (recipient). via: the machine the file
        -- went to (the recipient, or the office below that relays it); carrier_seq: that file's sequence
        -- on the chain to via. base: the bundle whose content this one builds on (0: none). max_*: how far
        -- the change log, the envelopes received and the downward envelopes relayed went.
        CREATE TABLE sync_down_exports (
            recipient TEXT NOT NULL,
            seq INTEGER NOT NULL,
            hash TEXT NOT NULL,
            prev TEXT,
            base INTEGER NOT NULL,
            via TEXT NOT NULL,
            carrier_seq INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            max_change_seq INTEGER NOT NULL,
            max_envelope_id INTEGER NOT NULL,
            max_relay_id INTEGER NOT NULL,
            scope TEXT NOT NULL,
            changes INTEGER NOT NULL,
            envelopes INTEGER NOT NULL,
            file_name TEXT NOT NULL,
            acked_at TEXT,
            PRIMARY KEY (recipient, seq)
        ) WITHOUT ROWID;
        -- What a machine below told this office in its receipts: it holds everything of the downward
        -- bundles up to held (the next one builds on it); acked_high, the highest bundle acknowledged.
        CREATE TABLE sync_down_held (
            recipient TEXT PRIMARY KEY,
            held INTEGER NOT NULL,
            acked_high INTEGER NOT NULL,
            at TEXT NOT NULL
        ) WITHOUT ROWID;
        -- On the receiving machine: the base of each downward bundle received (by its hash).
        CREATE TABLE sync_down_bases (
            hash TEXT PRIMARY KEY,
            sender TEXT NOT NULL,
            recipient TEXT NOT NULL,
            seq INTEGER NOT NULL,
            base INTEGER NOT NULL
        ) WITHOUT ROWID;
        """,
    )


def _v12_members_counted_on(conn: sqlite3.Connection) -> None:
    """The day an organisation's own member count was made (``app.domain.membership``): a count without
    its day cannot be placed among the founding count, visits' counts and admissions, so the counts
    typed before this version (no day) are kept but not used."""
    add_declared_column(conn, "organisations", "members_counted_on")


def _v13_development(conn: sqlite3.Connection) -> None:
    """What to do next (issue 17): the pool of candidates for the Party counted on each visit, the
    conversion of probationary Party members to official on their admission, and the yearly quality
    level of each organisation (a new record type). Indexes for the work list's small sections:
    probationary members not yet recognised, organisations being mobilised; the latest visit of each
    enterprise summed up for its large ones (``app/storage/work_facts.py``: appointments, founding
    opportunities), filled from the visits (about 10 s for 500,000 enterprises)."""
    for name in ("candidates_identified", "candidates_trained", "candidates_applied", "candidates_admitted"):
        add_declared_column(conn, "visits", name)
    for name in ("official_on", "official_decision", "official_count"):
        add_declared_column(conn, "admissions", name)
    run_script(
        conn,
        f"""
        CREATE TABLE quality_ratings (
            id TEXT PRIMARY KEY,
            enterprise_id TEXT NOT NULL,
            organisation_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            year INTEGER NOT NULL,
            level TEXT NOT NULL,
            decision TEXT,
            note TEXT,
            {_SYNCED},
            create_change TEXT,
            create_txn TEXT,
            create_author TEXT,
            create_wall TEXT,
            create_via INTEGER,
            create_seq INTEGER
        ) WITHOUT ROWID;
        CREATE INDEX quality_ratings_enterprise ON quality_ratings(enterprise_id);
        CREATE INDEX quality_ratings_organisation ON quality_ratings(organisation_id, year);
        CREATE INDEX quality_ratings_year ON quality_ratings(year, kind);
        -- Party admissions whose members are still probationary (the work list, in order of admission)
        CREATE INDEX admissions_probation ON admissions(admitted_on)
            WHERE kind = 'party' AND official_on IS NULL AND deleted = 0;
        CREATE INDEX admissions_official ON admissions(kind, official_on);
        -- organisations being mobilised (the work list's stalled mobilisations)
        CREATE INDEX organisations_mobilising ON organisations(mobilising_since)
            WHERE status = 'mobilising' AND deleted = 0;
        """,
    )
    from app.storage import work_facts

    run_script(conn, work_facts.ddl(report=False))
    work_facts.fill(conn, report=False)


def _v14_summaries_count(conn: sqlite3.Connection) -> None:
    """A collaborator's laptop counts the visits of others it is told of: an enterprise's last visit on
    its row (the list's "not visited for N months", the work list's "Lâu chưa khảo sát") is the latest of
    its visits here and of the office's visit summary (``app/storage/list_facts.py``)."""
    from app.storage import list_facts

    run_script(conn, list_facts.summary_ddl())
    list_facts.fill(conn)


def _envelope_created_at(raw: bytes) -> str:
    """The ``created_at`` of a signed bundle envelope (docs/sync-bundle.md, section 3: type, key id, payload,
    signature; writers sort keys, so the payload's own member is the last of that name)."""
    pos = 1 + raw[0]
    pos += 1 + raw[pos]
    size = int.from_bytes(raw[pos : pos + 4], "big")
    payload = raw[pos + 4 : pos + 4 + size]
    at = payload.rfind(b'"created_at":"')
    end = payload.find(b'"', at + 14) if at >= 0 else -1
    return payload[at + 14 : end].decode("utf-8", "replace") if end > 0 else ""


def _v15_province_keeps_no_relay(conn: sqlite3.Connection) -> None:
    """Each envelope received records its ``created_at`` (what a fork's release compares), so that a province
    office, with no office above to relay them to, keeps none of their bytes (``app.sync.bundles.keeps_envelopes``):
    at a province the bytes kept so far go (a tenth of the file at 500,000 enterprises; the pages are reused
    by what comes next, the file is not rewritten)."""
    import zlib

    conn.execute("ALTER TABLE sync_envelopes ADD COLUMN created_at TEXT")
    role = conn.execute("SELECT value FROM meta WHERE key = 'role'").fetchone()
    if role is None or role[0] != Role.PROVINCE_OFFICE.value:
        return  # the bytes stay: their created_at is read from them when needed
    blobs: dict[int, bytes] = {}
    dated = []
    rows = conn.execute(
        "SELECT eid, data, blob_id, blob_offset, blob_length FROM sync_envelopes "
        "WHERE blob_id IS NOT NULL OR length(data) > 0 ORDER BY blob_id, eid"
    ).fetchall()
    for done, (eid, data, blob, offset, length) in enumerate(rows):
        report_fraction(done, len(rows))
        if blob is not None:
            if blob not in blobs:
                blobs.clear()
                blobs[blob] = zlib.decompress(
                    conn.execute("SELECT data FROM sync_blobs WHERE id = ?", (blob,)).fetchone()[0]
                )
            data = blobs[blob][offset : offset + length]
        dated.append((_envelope_created_at(bytes(data)), eid))
    conn.executemany(
        "UPDATE sync_envelopes SET created_at = ?, data = x'', blob_id = NULL, blob_offset = NULL, "
        "blob_length = NULL WHERE eid = ?",
        dated,
    )
    conn.execute("DELETE FROM sync_blobs")


def _v16_report_facts(conn: sqlite3.Connection) -> None:
    """The report against targets of a province reads kept figures instead of every visit (issue 15):
    ``work_facts`` gains whether the report counts the enterprise and its latest visit's pool of
    candidates for the Party, and ``member_counts`` keeps the latest visit's count of members of each
    kind of organisation founded (``app/storage/work_facts.py``). Both tables and their triggers are made
    again and filled from the records (about 20 s for 500,000 enterprises)."""
    from app.storage import work_facts

    for name in (
        "visits_work_changed",
        "visits_work_gone",
        "organisations_work_changed",
        "organisations_work_gone",
        "enterprises_work_changed",
    ):
        conn.execute(f"DROP TRIGGER IF EXISTS {name}")
    conn.execute("DROP TABLE work_facts")
    conn.execute("DROP TABLE work_minimums")
    run_script(conn, work_facts.ddl())
    work_facts.fill(conn, progress=report_fraction)


def _v17_visits_index_carries_the_report(conn: sqlite3.Connection) -> None:
    """The index of the visits by enterprise carries what the report reads of a visit (issue 15): whether it
    is deleted, its pool of candidates for the Party and its counts of members of each kind. A report of a
    past period reads, for each enterprise visited since the period's end, its latest visit up to that end
    (``app/reports/development.py``) and its latest count of each kind (``app/reports/results.py``): from
    the index alone, in the enterprises' order, where each visit was a look-up in the table (a page read
    and decrypted per visit). SQLite keeps an index in step with every write; about 17% more for this
    index (5 MB at 100,000 enterprises), made from the table in seconds."""
    conn.execute("DROP INDEX visits_enterprise")
    conn.execute(
        "CREATE INDEX visits_enterprise ON visits(enterprise_id, visit_date, deleted, candidates_identified, "
        "candidates_trained, candidates_applied, party_total, party_official, party_probationary, union_members, "
        "youth_members, women_members, veterans_members)"
    )


def _v18_report_reads_indexes(conn: sqlite3.Connection) -> None:
    """The indexes of the admissions and of the organisations by enterprise carry what the report reads
    of them (issue 15): an admission's kind, day, count, recognition and whether it is deleted; an
    organisation's status, days, founding and latest member counts and whether it is deleted. A
    province's report reads every admission and organisation: from these indexes, in the enterprises'
    order (at 500,000 enterprises the admissions 1.6 -> 0.5 s, the organisations 1.1 -> 0.6 s), instead
    of the tables, whose pages carry the notes, names and the record's sync columns, all decrypted. The
    file about 9 MB larger at 500,000 enterprises; every look-up these indexes served they serve as
    before (the same first columns)."""
    conn.execute("DROP INDEX admissions_enterprise")
    conn.execute(
        "CREATE INDEX admissions_enterprise ON admissions(enterprise_id, kind, admitted_on, count, official_on, "
        "official_count, deleted)"
    )
    conn.execute("DROP INDEX organisations_enterprise")
    conn.execute(
        "CREATE INDEX organisations_enterprise ON organisations(enterprise_id, kind, status, decision_date, "
        "dissolved_date, founding_members, members, members_counted_on, deleted)"
    )


def _v19_report_enterprises_index(conn: sqlite3.Connection) -> None:
    """A narrow index of what a province's report reads of each enterprise not deleted (its id, ward,
    status and workforce), in the order of the ids, which the report keys its table of enterprises by
    (issue 15): the report read the whole ``enterprises`` table instead, every page of its wide rows
    decrypted (2.2-3.1 s at 500,000 enterprises; from this index 0.7-0.9 s). About 31 MB at 500,000
    enterprises. Room for it under the file's 2.5 GB: ``quality_ratings_year`` goes, which no query uses
    (the report reads the ratings in one pass over their table; a rating is looked up by its
    organisation and year through ``quality_ratings_organisation``): its pages serve the new index."""
    conn.execute("DROP INDEX IF EXISTS quality_ratings_year")
    conn.execute(
        "DROP INDEX IF EXISTS enterprises_report"
    )  # should the migrations run again from an older one
    conn.execute(
        "CREATE INDEX enterprises_report ON enterprises(id, ward_code, status, workforce_total) WHERE deleted = 0"
    )


MIGRATIONS: list[tuple[int, str, Migration]] = [
    (1, "core records and change log", _v1_core),
    (2, "enterprise full-text search", _v2_search),
    (3, "settings and office chain", _v3_settings_and_offices),
    (4, "signed bundles: keys, registry, chains, conflicts, quarantine", _v4_sync),
    (5, "received creations kept on the record; envelopes kept compressed", _v5_compact_creates),
    (6, "search in tiers: names and representatives indexed apart", _v6_search_tiers),
    (7, "sync: values to check, key replacements, re-based chains, values of newer versions", _v7_sync_rules),
    (8, "recovery log of the office", _v8_recovery_log),
    (9, "last visit and founded organisations on the enterprise, for the list's filters", _v9_list_facts),
    (
        10,
        "own creations kept on their records once no office above needs them from the log",
        _v10_kept_own_creations,
    ),
    (11, "downward: assignments, visit summaries, office settings, downward bundles", _v11_downward),
    (12, "the day an organisation's member count was made", _v12_members_counted_on),
    (
        13,
        "candidates for the Party, probation and conversion, yearly quality of organisations",
        _v13_development,
    ),
    (14, "the last visit on the enterprise counts the visit summaries sent down", _v14_summaries_count),
    (
        15,
        "a province office keeps no envelope to relay: each one's created_at recorded",
        _v15_province_keeps_no_relay,
    ),
    (16, "the report's figures kept: pool of candidates, latest member counts of visits", _v16_report_facts),
    (
        17,
        "the visits' index by enterprise carries the report's figures",
        _v17_visits_index_carries_the_report,
    ),
    (
        18,
        "the admissions' and the organisations' indexes by enterprise carry the report's figures",
        _v18_report_reads_indexes,
    ),
    (19, "a narrow index of what the report reads of each enterprise", _v19_report_enterprises_index),
]

LATEST = MIGRATIONS[-1][0]


def current_version(conn: sqlite3.Connection) -> int:
    return conn.execute("PRAGMA user_version").fetchone()[0]


def migrate(
    conn: sqlite3.Connection,
    target: int | None = None,
    progress: UpgradeProgress | None = None,
    committed: Callable[[int], None] | None = None,
) -> list[int]:
    """Bring the schema up to ``target``. Each step is its own transaction. Returns steps applied.

    ``progress`` is told each step before it runs (and its fraction, if the step reports one), then
    ``DONE`` once all are committed; nothing when there is nothing to do. ``committed`` is called with each
    step's number once it is committed (the opener follows the file's state: ``app.storage.upgrade_backup``)."""
    from app.storage.store import StoreError

    latest = MIGRATIONS[-1][0]
    target = latest if target is None else target
    version = current_version(conn)
    if version > latest:
        raise StoreError(
            f"Tệp dữ liệu được tạo bởi phiên bản KhaoSat mới hơn (lược đồ {version}, "
            f"phiên bản này chỉ đọc được đến {latest}). Hãy cập nhật KhaoSat."
        )
    applied = []
    pending = [number for number, _d, _s in MIGRATIONS if version < number <= target]
    tell = progress or no_progress
    # A step that rebuilds a table drops it: foreign keys are switched off around each step (they
    # cannot change inside a transaction) and checked before it commits.
    foreign_keys = conn.execute("PRAGMA foreign_keys").fetchone()[0]
    for number, description, step in MIGRATIONS:
        if number <= version or number > target:
            continue
        at = UpgradeStep(MIGRATE, len(applied) + 1, len(pending), number)
        tell(at)
        conn.execute("PRAGMA foreign_keys = OFF")
        conn.execute("BEGIN IMMEDIATE")
        token = _reporter.set(_fraction_reporter(at, tell))
        try:
            if number == 1:
                conn.execute(
                    "CREATE TABLE IF NOT EXISTS schema_migrations "
                    "(version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL)"
                )
            step(conn)
            conn.execute(
                "INSERT INTO schema_migrations(version, description, applied_at) VALUES (?, ?, ?)",
                (number, description, datetime.now(UTC).isoformat(timespec="seconds")),
            )
            conn.execute(f"PRAGMA user_version = {number}")
            broken = conn.execute("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise StoreError(
                    f"Nâng cấp lược đồ {number} làm hỏng liên kết dữ liệu ({broken[0]}); không nâng cấp."
                )
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:  # SQLite rolls back by itself on a full disk or an I/O error
                with contextlib.suppress(Exception):  # the driver's error (sqlite3 or sqlcipher3)
                    conn.execute("ROLLBACK")
            raise
        finally:
            _reporter.reset(token)
            conn.execute(f"PRAGMA foreign_keys = {'ON' if foreign_keys else 'OFF'}")
        applied.append(number)
        if committed is not None:
            committed(number)
    if applied:
        tell(UpgradeStep(DONE, len(applied), len(pending), applied[-1], 1.0))
    return applied


def _fraction_reporter(at: UpgradeStep, tell: UpgradeProgress) -> Callable[[float], None]:
    """``report_fraction``'s end for one step: the fraction passed on each time it reaches a new percent."""
    last = [-1]

    def report(fraction: float) -> None:
        percent = int(fraction * 100)
        if percent != last[0]:
            last[0] = percent
            tell(replace(at, fraction=fraction))

    return report
