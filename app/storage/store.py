"""The Store: one SQLite file, opened with safe settings, read and written in transactions.

Every write goes through a ``Writer`` inside one ``BEGIN IMMEDIATE`` transaction that also
appends to the change log and keeps the search index in step; an exception rolls all of it
back. Records are never hard-deleted: deletion sets ``deleted = 1`` (a tombstone) and is logged.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from app.domain.records import RECORD_TYPES, Enterprise, Record, child_tables, record_type
from app.domain.validation import FoundingRules
from app.domain.vocab import OrgKind, Role
from app.fileio import fsync_dir, fsync_file, temp_beside
from app.storage import kept_creations, list_facts, search, work_facts
from app.storage.changes import ChangeSummary
from app.storage.clock import HybridClock
from app.storage.driver import dbapi
from app.storage.migrations import BACKUP, LATEST, UpgradeProgress, UpgradeStep, current_version, migrate
from app.storage.upgrade_backup import UpgradeBackups, file_state

if TYPE_CHECKING:
    from app.security.datakey import DataKey
    from app.storage.writer import Writer

R = TypeVar("R", bound=Record)

SYSTEM_FIELDS = ("deleted", "created_hlc", "updated_hlc", "origin")
BACKUP_SLICE = 2048  # pages copied between two progress reports of a backup (8 MB of 4 KiB pages)


class StoreError(Exception):
    """A storage problem with a Vietnamese message for the user."""


def opening_error(exc: BaseException, path: str | os.PathLike[str]) -> StoreError:
    """A StoreError saying, by its cause, why the data file at ``path`` could not be opened (a full
    disk, a read-only folder, a removed drive, a busy, foreign or damaged file): see ``failures``."""
    from app.fileio import os_error_message
    from app.storage.failures import database_message

    if isinstance(exc, StoreError):
        return exc
    message = database_message(exc, path, opening=True)
    if message is None and isinstance(exc, OSError):
        message = f"Không mở được dữ liệu: {os_error_message(exc)} Tệp dữ liệu không bị thay đổi."
    if message is None:
        message = (
            f"Không mở được tệp dữ liệu {path} ({exc.__class__.__name__}). Tệp dữ liệu không bị thay đổi."
        )
    return StoreError(message)


SCRATCH = "scratch"  # the schema name of ``Store.scratch()``
SCRATCH_PREFIX = ".khaosat-tam-"  # its file, in the data folder
SCRATCH_CACHE_KIB = 8_000


@dataclass(frozen=True)
class ScratchFile:
    """A file beside the data file for the tables of one large piece of work (``Store.scratch``, the
    province report's ratings read on a second connection), encrypted with a key made for it and kept
    nowhere but here, in memory (SQLite's own temporary files would hold such tables in clear, hence
    ``temp_store = MEMORY``); without a journal, a sync or page authentication (nothing in it outlives the
    work), read back through a small cache (its tables are read in their order). Whoever makes it deletes
    it after; a file such work left (a power cut) is deleted by the next one once it is an hour old."""

    path: Path
    key: str  # the SQL blob literal ATTACH takes
    # pages authenticated, as SQLCipher does by default: a file another connection attaches once written
    # (ATTACH reads its first page with the default settings, before a PRAGMA could change them)
    shared: bool = False

    @classmethod
    def beside(cls, data_file: Path, *, shared: bool = False) -> ScratchFile:
        folder = data_file.parent
        for left in folder.glob(f"{SCRATCH_PREFIX}*.tmp"):
            with contextlib.suppress(OSError):
                if time.time() - left.stat().st_mtime > 3600:
                    left.unlink()
        return cls(folder / f"{SCRATCH_PREFIX}{uuid.uuid4().hex}.tmp", f"x'{secrets.token_hex(32)}'", shared)

    @contextlib.contextmanager
    def attached(self, conn: dbapi.Connection, name: str) -> Iterator[str]:
        """The file attached to ``conn`` as ``name`` for the work inside (made empty if it is not there yet),
        detached after; yields ``name``."""
        if any(row[1] == name for row in conn.execute("PRAGMA database_list")):
            conn.execute(f"DETACH DATABASE {name}")  # left by work whose detach failed
        conn.execute(f"ATTACH DATABASE ? AS {name} KEY ?", (os.fspath(self.path), self.key))
        try:
            # no page authentication: the file lives for one piece of work under a key nobody else has
            # (three times the reading speed); its pages are still encrypted
            if not self.shared:
                conn.execute(f"PRAGMA {name}.cipher_use_hmac = OFF")
            conn.execute(f"PRAGMA {name}.journal_mode = OFF")
            conn.execute(f"PRAGMA {name}.synchronous = OFF")
            conn.execute(f"PRAGMA {name}.cache_size = -{SCRATCH_CACHE_KIB}")
            yield name
        finally:
            with contextlib.suppress(dbapi.Error):
                conn.execute(f"DETACH DATABASE {name}")

    def delete(self) -> None:
        with contextlib.suppress(OSError):
            self.path.unlink()


@dataclass(frozen=True)
class Profile:
    """Who this laptop is: set by ``khaosat init`` or the first-run wizard."""

    laptop_id: str
    collaborator: str | None
    unit_code: str | None
    role: Role | None
    practice: bool = False  # a practice database (demo data): never exported (app.demo.practice)

    @property
    def initialised(self) -> bool:
        return bool(self.unit_code and self.collaborator and self.role)


def is_interrupted(exc: BaseException) -> bool:
    """Whether ``exc`` is SQLite stopping a query because ``Store.interrupt()`` was called."""
    return isinstance(exc, dbapi.OperationalError) and "interrupt" in str(exc)


def connect(path: str | os.PathLike[str], key: DataKey | None = None) -> dbapi.Connection:
    """Open a connection with the project's pragmas; with ``key`` the file is encrypted (SQLCipher).

    ``":memory:"`` is allowed for tests. Without a key a file is plain SQLite: only the migration of
    an older program's file and tests that build such a file open one that way.
    """
    conn = dbapi.connect(os.fspath(path), isolation_level=None, timeout=15.0, check_same_thread=True)
    try:
        if key is not None:
            # Before anything else touches the file. A raw 256-bit key: no PBKDF2 on every connection.
            conn.execute(f'PRAGMA key = "{key.sqlcipher_key()}"')
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except dbapi.DatabaseError as exc:
            if key is not None and "not a database" in str(exc):
                raise StoreError(
                    "Không mở được tệp dữ liệu bằng khóa này: tệp được mã hóa bằng một khóa khác "
                    "hoặc đã bị hỏng."
                ) from exc
            if key is None and "not a database" in str(exc):
                raise StoreError(
                    f"Không mở được tệp dữ liệu {os.fspath(path)}: tệp đã được mã hóa (cần mở khóa bằng mật khẩu) "
                    "hoặc không phải tệp của KhaoSat."
                ) from exc
            raise
        conn.execute("PRAGMA trusted_schema = OFF")
        conn.execute("PRAGMA foreign_keys = ON")
        if os.fspath(path) != ":memory:":
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if mode.lower() != "wal":
                raise StoreError(f"Không bật được chế độ ghi an toàn (WAL) cho tệp dữ liệu: {mode}.")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA busy_timeout = 15000")
        # 32 MB of page cache: random UUID keys touch pages all over the indexes; the default 2 MB
        # made bulk writes spill and re-read pages (measured in bench/bench_foundation.py).
        conn.execute("PRAGMA cache_size = -32768")
        # Temporary tables and sort files stay in memory: nothing decrypted spills into a temp file.
        conn.execute("PRAGMA temp_store = MEMORY")
    except BaseException:
        conn.close()
        raise
    return conn


def _roll_back(conn: dbapi.Connection, *statements: str) -> None:
    """Undo the open transaction (or savepoint) after an error. On a full disk or an I/O error
    SQLite may already have rolled the whole transaction back itself; then there is nothing to undo,
    and the error that caused it (not "cannot rollback") is the one to report."""
    if not conn.in_transaction:
        return
    with contextlib.suppress(dbapi.Error):
        for statement in statements:
            conn.execute(statement)


class Store:
    """A KhaoSat database file. Use one Store per thread."""

    FILE_NAME = "khaosat.sqlite3"

    def __init__(
        self,
        path: str | os.PathLike[str],
        key: DataKey | None = None,
        *,
        migrate_schema: bool = True,
        wall: Callable[[], float] = time.time,
        progress: UpgradeProgress | None = None,
    ):
        """``key`` unlocks an encrypted file (the program always passes one; see app/services/unlock.py).

        Without a key only ``":memory:"`` and the plain files that tests build are opened. ``wall``:
        seconds since the epoch for change stamps (tests inject a clock that moves when told instead
        of sleeping). ``progress`` is told the steps of upgrading an older file (the backup kept first,
        then each migration: ``app.storage.migrations.UpgradeStep``); nothing when the file is current.
        """
        self.path = Path(path) if os.fspath(path) != ":memory:" else None
        self.key = key
        self.upgrade_backup: Path | None = None
        try:
            if self.path is not None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            self.conn = connect(path, key)
            if migrate_schema:
                version = current_version(self.conn)
                if self.path is not None and 0 < version < LATEST:
                    self._upgrade(self.path, version, progress)
                else:
                    # a new file's schema is made in a moment: only an older file's upgrade is told
                    migrate(self.conn, progress=progress if version > 0 else None)
        except BaseException as exc:
            # closed now, not by the garbage collector: a failed upgrade may be tried again at once
            with contextlib.suppress(Exception):
                self.conn.close()
            if isinstance(exc, (dbapi.Error, OSError)):
                raise opening_error(exc, path) from exc
            raise
        self._thread = threading.get_ident()
        self._wall = wall
        self._clock: HybridClock | None = None
        self._pending: list[ChangeSummary] = []  # said by writes of the open transaction
        # committed transactions whose writes said they changed records: a count only (what they
        # changed goes back to their callers); the task runner checks a write task's result said it
        self.writes_committed = 0
        self._larger_cache = False  # inside larger_cache()

    def _upgrade(self, path: Path, version: int, progress: UpgradeProgress | None) -> None:
        """An older program's file: keep a copy as it was before upgrading it, then migrate it.

        A copy an earlier try kept is used again when nothing but that try changed the file since (a failed
        or killed upgrade tried again does not write gigabytes again): ``app.storage.upgrade_backup``."""
        kept = UpgradeBackups(path)
        kept.remove_half_made()
        before = file_state(self.conn, path)
        self.upgrade_backup = kept.reusable(before)
        if self.upgrade_backup is None:
            told = progress
            self.upgrade_backup = self.backup(
                kept.new_name(version, datetime.now().strftime("%Y%m%d-%H%M%S")),
                progress=None
                if told is None
                else lambda fraction: told(UpgradeStep(BACKUP, fraction=fraction)),
            )
            after = file_state(self.conn, path)
            kept.made(self.upgrade_backup, version, after if after == before else None)
        # each committed step: the file is still the copy's data, upgraded by this program alone
        migrate(
            self.conn, progress=progress, committed=lambda _number: kept.moved(file_state(self.conn, path))
        )
        kept.forget()

    @classmethod
    def memory(cls, **options: Any) -> Store:
        return cls(":memory:", **options)

    @classmethod
    def in_dir(cls, data_dir: str | os.PathLike[str], key: DataKey | None = None, **options: Any) -> Store:
        return cls(Path(data_dir) / cls.FILE_NAME, key, **options)

    def close(self) -> None:
        with contextlib.suppress(dbapi.Error):
            self.conn.execute("PRAGMA optimize")
        self.conn.close()

    def set_cache_size(self, megabytes: int) -> None:
        """The page cache of this connection (a reader that stays open keeps its pages warm)."""
        self.conn.execute(f"PRAGMA cache_size = -{int(megabytes) * 1000}")

    @contextlib.contextmanager
    def larger_cache(self, kib: int) -> Iterator[None]:
        """A page cache of up to ``kib`` KiB for the work inside, the previous one after it.

        Nested, the outermost one counts: a batch of bundles keeps one large cache from the first
        to the last (``app.sync.bundles.import_paths``), so the index pages the first one read stay
        decrypted for the next instead of being dropped and read again between them. SQLite takes
        the memory only as pages are read."""
        if self._larger_cache:
            yield
            return
        before = int(self.conn.execute("PRAGMA cache_size").fetchone()[0])
        if before < 0 and -before >= kib:
            yield
            return
        self.conn.execute(f"PRAGMA cache_size = -{int(kib)}")
        self._larger_cache = True
        try:
            yield
        finally:
            self._larger_cache = False
            with contextlib.suppress(dbapi.Error):
                self.conn.execute(f"PRAGMA cache_size = {before}")

    @contextlib.contextmanager
    def smaller_cache(self, kib: int) -> Iterator[None]:
        """A page cache of at most ``kib`` KiB for the work inside, the previous one after it.

        For work that reads most of a table once, in its order (the report of a province): a large cache
        keeps nothing it reads again, and grows the process by its size (64 MB in a window's reader). SQLite
        drops the pages above the new size at once, so their memory serves the work's temporary tables
        instead. Inside ``larger_cache`` nothing changes."""
        before = int(self.conn.execute("PRAGMA cache_size").fetchone()[0])
        if self._larger_cache or 0 < -before <= kib:
            yield
            return
        self.conn.execute(f"PRAGMA cache_size = -{int(kib)}")
        try:
            yield
        finally:
            with contextlib.suppress(dbapi.Error):
                self.conn.execute(f"PRAGMA cache_size = {before}")

    @contextlib.contextmanager
    def scratch(self) -> Iterator[str]:
        """A database of its own for the tables of one large piece of work, yielded as its schema name.

        The tables of a province's report (``app/reports/results.py``) hold about 130 MB at 500,000
        enterprises: in memory (``temp``) they would take the window over its 300 MB. Here they are written
        to a file beside the data file (``ScratchFile``), detached and deleted after. An in-memory store
        yields ``temp``."""
        if self.path is None:
            yield "temp"
            return
        scratch = ScratchFile.beside(self.path)
        try:
            with scratch.attached(self.conn, SCRATCH) as schema:
                yield schema
        finally:
            scratch.delete()

    def interrupt(self) -> None:
        """Stop the query running on this store's connection (may be called from any thread)."""
        self.conn.interrupt()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- meta and profile --------------------------------------------------------------------

    def meta(self, key: str, default: str | None = None) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def _set_meta(self, key: str, value: str | None) -> None:
        self.conn.execute(
            "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    @property
    def laptop_id(self) -> str:
        value = self.meta("laptop_id")
        if value is None:
            with self.transaction():
                value = self.meta("laptop_id")
                if value is None:
                    value = uuid.uuid4().hex[:16]
                    self._set_meta("laptop_id", value)
        return value

    def profile(self) -> Profile:
        role = self.meta("role")
        return Profile(
            laptop_id=self.laptop_id,
            collaborator=self.meta("collaborator"),
            unit_code=self.meta("unit_code"),
            role=Role.parse(role) if role else None,  # type: ignore[arg-type]
            practice=self.is_practice,
        )

    @property
    def is_practice(self) -> bool:
        """Whether this is a practice database: demo data that sync refuses to export or mix with real data."""
        return self.meta("practice") == "1"

    def mark_practice(self) -> None:
        """Mark this database as practice data, for good (there is no way back)."""
        if not self.is_practice:
            with self.transaction():
                self._set_meta("practice", "1")

    def set_profile(self, *, unit_code: str, collaborator: str, role: Role) -> Profile:
        with self.transaction():
            self._set_meta("unit_code", unit_code)
            self._set_meta("collaborator", collaborator)
            self._set_meta("role", role.value)
            if self.meta("initialised_at") is None:
                self._set_meta("initialised_at", datetime.now(UTC).isoformat(timespec="seconds"))
        return self.profile()

    def schema_version(self) -> int:
        return current_version(self.conn)

    # --- settings ----------------------------------------------------------------------------

    def setting(self, key: str, default: Any = None) -> Any:
        row = self.conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else default

    def set_setting(self, key: str, value: Any) -> None:
        with self.transaction():
            self.conn.execute(
                "INSERT INTO settings(key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, json.dumps(value, ensure_ascii=False)),
            )
            if key == "founding_minimums":  # the work list's founding opportunities follow them
                work_facts.set_minimums(self.conn, value or {})

    def founding_rules(self) -> FoundingRules:
        """The founding minimums that apply here: set by the offices above (the highest first), by this
        office itself, or locally (``app/storage/from_above.py``)."""
        from app.storage import from_above

        raw = self.setting("founding_minimums", {}) or {}
        rules = FoundingRules()
        minimums = dict(rules.minimums)
        for kind in OrgKind:
            if kind.value in raw:
                minimums[kind] = raw[kind.value]
        if self.conn.execute("SELECT 1 FROM office_settings LIMIT 1").fetchone() is not None:
            values = from_above.all_settings(self.conn)
            for kind, name in from_above.FOUNDING_FIELDS.items():
                if values[name][0] is not None:
                    minimums[kind] = values[name][0]
        return FoundingRules(minimums)

    def set_founding_rules(self, rules: FoundingRules) -> None:
        self.set_setting("founding_minimums", {k.value: v for k, v in rules.minimums.items()})

    # --- transactions ------------------------------------------------------------------------

    def _check_thread(self) -> None:
        if threading.get_ident() != self._thread:
            raise RuntimeError("a Store must be used on the thread that opened it")

    @contextlib.contextmanager
    def transaction(self) -> Iterator[dbapi.Connection]:
        """``BEGIN IMMEDIATE`` ... ``COMMIT``; any exception rolls everything back. Nests as savepoints.

        What the writes inside said they changed (``note_changes``) counts once the outermost
        transaction commits; a rollback drops it with the data."""
        self._check_thread()
        if self.conn.in_transaction:
            name = f"sp_{uuid.uuid4().hex[:8]}"
            said = len(self._pending)
            self.conn.execute(f"SAVEPOINT {name}")
            try:
                yield self.conn
            except BaseException:
                _roll_back(self.conn, f"ROLLBACK TO {name}", f"RELEASE {name}")
                del self._pending[said:]
                raise
            self.conn.execute(f"RELEASE {name}")
            return
        self._pending.clear()
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            _roll_back(self.conn, "ROLLBACK")
            self._pending.clear()
            raise
        try:
            self.conn.execute("COMMIT")
        except BaseException:
            # a COMMIT that fails (a full disk, an I/O error) may leave the transaction open: undone,
            # so that nothing of it is committed later by another write on this connection
            _roll_back(self.conn, "ROLLBACK")
            self._pending.clear()
            raise
        if self._pending:
            self.writes_committed += 1
        self._pending.clear()

    def note_changes(self, summary: ChangeSummary) -> None:
        """Say that a write in the open transaction changed records (``Store.write()`` does it for its
        Writer; the merge of a bundle for what it merged); ``writes_committed`` counts it once the
        transaction commits. What it changed is returned to the write's caller, not kept here."""
        if not self.conn.in_transaction:
            raise RuntimeError("note_changes outside a transaction")
        if summary:
            self._pending.append(summary)

    def clock(self) -> HybridClock:
        if self._clock is None:
            self._clock = HybridClock(self.laptop_id, self.meta("hlc_last"), self._wall)
        return self._clock

    @contextlib.contextmanager
    def write(self, author: str | None = None) -> Iterator[Writer]:
        """A write transaction that logs every change. Yields a ``Writer``; after the block its
        ``changes`` say what the write created, changed and deleted."""
        from app.storage.writer import Writer

        with self.transaction():
            # Re-read the clock inside the lock: another process may have written since.
            self._clock = HybridClock(self.laptop_id, self.meta("hlc_last"), self._wall)
            writer = Writer(self, author or self.meta("collaborator") or "?")
            yield writer
            if writer.last_stamp is not None:
                self._set_meta("hlc_last", str(writer.last_stamp))
            self.note_changes(writer.changes)

    # --- reads -------------------------------------------------------------------------------

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        cur = self.conn.execute(sql, params)
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, r)) for r in cur.fetchall()]

    def row(self, table: str, record_id: str) -> dict[str, Any] | None:
        _check_table(table)
        rows = self._rows(f"SELECT * FROM {table} WHERE id = ?", (record_id,))
        return rows[0] if rows else None

    def get(self, cls: type[R], record_id: str, *, include_deleted: bool = False) -> R | None:
        """The record (of the table's registered type, see ``record_type``), or None."""
        row = self.row(cls.TABLE, record_id)
        if row is None or (row["deleted"] and not include_deleted):
            return None
        return record_type(cls).from_row(row)  # type: ignore[return-value]

    def find_by_tax_code(self, tax_code: str) -> list[Enterprise]:
        rows = self._rows("SELECT * FROM enterprises WHERE tax_code = ? AND deleted = 0", (tax_code,))
        return [record_type(Enterprise).from_row(r) for r in rows]  # type: ignore[misc]

    def children(self, cls: type[R], enterprise_id: str, order: str = "") -> list[R]:
        _check_table(cls.TABLE)
        sql = f"SELECT * FROM {cls.TABLE} WHERE enterprise_id = ? AND deleted = 0"
        if order:
            sql += f" ORDER BY {order}"
        read = record_type(cls).from_row
        return [read(r) for r in self._rows(sql, (enterprise_id,))]  # type: ignore[misc]

    def child_ids(self, enterprise_id: str) -> dict[str, list[str]]:
        """Ids of the records that belong to an enterprise (``child_tables``: visits, organisations,
        admissions, quality levels), deleted ones too (their history belongs to the enterprise's)."""
        return {
            table: [
                r[0]
                for r in self.conn.execute(
                    f"SELECT id FROM {table} WHERE enterprise_id = ?", (enterprise_id,)
                )
            ]
            for table in child_tables()
        }

    def search_enterprises(
        self, query: str, *, limit: int = 100, ward_code: str | None = None
    ) -> list[dict[str, Any]]:
        """Enterprises matching ``query`` (diacritic- and tone-insensitive), best first (``search.ranked``:
        a representative's whole name first). Each row says which tier it matched in (``tier``) and in
        which fields a searched word was found (``matched``)."""
        t = search.terms(query)
        if t is None or limit <= 0:
            return []
        flt = search.Filter("e.ward_code = ?", (ward_code,)) if ward_code else search.Filter()
        head = search.ranked(self.conn, t, limit, flt)
        if not head:
            return []
        by_rid = {
            r["rid"]: r
            for r in self._rows(
                "SELECT e.rid, e.id, e.name, e.short_name, e.tax_code, e.address, e.ward_code, e.owner_name, "
                "e.workforce_total, e.status FROM enterprises e WHERE e.rid IN (SELECT value FROM json_each(?))",
                ("[" + ",".join(str(rid) for rid, _ in head) + "]",),
            )
        }
        out = []
        for rid, tier in head:
            row = by_rid.get(rid)
            if row is not None:
                del row["rid"]
                row["tier"] = tier
                out.append(row)
        for row, matched in zip(out, search.matched_fields(t, out)):
            row["matched"] = matched
        return out

    def history(self, entity: str, record_id: str) -> list[dict[str, Any]]:
        rows = self._rows(
            "SELECT seq, change_id, hlc, origin, author, wall_time, op, fields, received_via FROM changes "
            "WHERE entity = ? AND record_id = ? ORDER BY hlc, seq",
            (entity, record_id),
        )
        if not rows:  # a creation received in a bundle may still be kept on the record (kept_creations.py)
            _check_table(entity)
            rows = [
                {k: v for k, v in r.items() if k not in ("txn", "entity", "record_id")}
                for r in kept_creations.log_rows(self.conn, entity, [record_id])
            ]
        for r in rows:
            r["fields"] = json.loads(r["fields"])
        return rows

    def changes_since(self, seq: int = 0, limit: int | None = None) -> list[dict[str, Any]]:
        """Changes in local arrival order after ``seq``, this machine's creations kept on their records
        included (``kept_creations``; a creation received in a bundle has no number here)."""
        rows = self._rows("SELECT * FROM changes WHERE seq > ? ORDER BY seq", [seq])
        kept = kept_creations.own_since(self.conn, seq)
        if kept:
            for k in kept:
                k.pop("values")
            rows = sorted([*rows, *kept], key=lambda r: r["seq"])
        rows = rows[:limit] if limit else rows
        for r in rows:
            r["fields"] = json.loads(r["fields"])
        return rows

    def counts(self) -> dict[str, int]:
        out = {}
        for table in RECORD_TYPES:
            out[table] = self.conn.execute(f"SELECT count(*) FROM {table} WHERE deleted = 0").fetchone()[0]
        out["deleted"] = sum(
            self.conn.execute(f"SELECT count(*) FROM {t} WHERE deleted = 1").fetchone()[0]
            for t in RECORD_TYPES
        )
        # the change log as readers see it: its rows and the creations kept on their records
        out["changes"] = self.conn.execute("SELECT count(*) FROM changes").fetchone()[0] + sum(
            self.conn.execute(f"SELECT count(*) FROM {t} WHERE create_change IS NOT NULL").fetchone()[0]
            for t in RECORD_TYPES
        )
        return out

    # --- maintenance -------------------------------------------------------------------------

    def integrity_check(self) -> list[str]:
        """Problems found by SQLite's integrity and foreign-key checks and our own (empty: all is well)."""
        problems = [r[0] for r in self.conn.execute("PRAGMA integrity_check").fetchall() if r[0] != "ok"]
        problems += [f"khóa ngoại: {r}" for r in self.conn.execute("PRAGMA foreign_key_check").fetchall()]
        try:
            self.conn.execute("INSERT INTO enterprise_fts(enterprise_fts) VALUES ('integrity-check')")
            if self.schema_version() >= 6:
                self.conn.execute("INSERT INTO enterprise_names(enterprise_names) VALUES ('integrity-check')")
                problems += search.index_problems(self.conn)
            if self.schema_version() >= 9:
                problems += list_facts.problems(self.conn)
        except dbapi.DatabaseError as exc:
            problems.append(f"chỉ mục tìm kiếm: {exc}")
        if self.schema_version() >= 16:  # as this version keeps them (migration 16)
            problems += work_facts.problems(self.conn)
        if self.schema_version() != LATEST:
            problems.append(f"lược đồ ở phiên bản {self.schema_version()}, cần {LATEST}")
        return problems

    def backup(
        self, destination: str | os.PathLike[str], progress: Callable[[float | None], None] | None = None
    ) -> Path:
        """Online, consistent copy of the database (safe while the program runs), encrypted with the
        same key as the database itself.

        Written to a temporary name beside the destination, flushed, then renamed into place. With
        ``progress`` the pages are copied in slices and the fraction copied told after each (SQLite
        starts again by itself if another connection writes in between), then None while the copy is
        checked and flushed; without it, in one pass.
        """
        dest = Path(destination)
        tmp = temp_beside(dest)
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            target = dbapi.connect(os.fspath(tmp))
            try:
                if self.key is not None:
                    target.execute(f'PRAGMA key = "{self.key.sqlcipher_key()}"')
                if progress is None:
                    self.conn.backup(target)
                else:
                    progress(0.0)
                    self.conn.backup(
                        target,
                        pages=BACKUP_SLICE,
                        progress=lambda _status, left, total: progress(1 - left / total if total else 1.0),
                    )
                    progress(None)
                target.execute("PRAGMA journal_mode = DELETE")
                ok = target.execute("PRAGMA quick_check").fetchone()[0]
            finally:
                target.close()
            if ok != "ok":
                raise StoreError(f"Bản sao lưu không toàn vẹn: {ok}")
            fsync_file(tmp)
            os.replace(tmp, dest)
            fsync_dir(dest.parent)
        except (dbapi.Error, OSError) as exc:
            from app.storage.failures import copy_message

            raise StoreError(copy_message(exc, dest)) from exc
        finally:
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
        return dest

    def adopt_laptop_id(self, laptop_id: str) -> None:
        """A new file takes the id its data key was made for (khaosat-datakey.json)."""
        if self.meta("laptop_id") is None:
            with self.transaction():
                self._set_meta("laptop_id", laptop_id)


def _check_table(table: str) -> None:
    if table not in RECORD_TYPES:
        raise ValueError(f"unknown table {table!r}")
