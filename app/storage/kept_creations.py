"""Creations kept on the record itself until something else changes it.

An office imports new records by the hundred thousand. Writing each one twice (the record, and a
change-log row holding the same values) doubled the work of an import, so a record received in a
bundle as a plain creation carries its creation in five columns instead (``create_change``,
``create_txn``, ``create_author``, ``create_wall``, ``create_via``; its stamp is ``created_hlc``, its
machine ``origin``). The invariant: while ``create_change`` is set, that creation is the record's only
change, so the record's values *are* the values it created.

The first time anything else changes such a record (a merged change, a local edit, a deletion), the
change-log row is written (``materialize``) from the record as it still is, and the columns are
cleared. Readers of a record's history see the same rows either way (``log_rows``).

This machine's own creations are kept the same way once no office above needs them from the log: at
once when no office above is registered (a province office; a laptop not yet registered), else when
every office above has confirmed them in a receipt (``keep_acknowledged``). They keep their place in
the change log in ``create_seq``: export sends a kept creation to an office that has not confirmed it
(one registered later) from the record (``own_since``), and ``materialize`` writes its row back with
that number, so "everything since X" stays exactly what it was. A province file typed or imported
locally is then the records and their indexes, not twice their values (4.8 -> about 2 GB at
500,000 enterprises).
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from app.domain.records import RECORD_TYPES, columns_of

COLUMNS = ("create_change", "create_txn", "create_author", "create_wall", "create_via")
SEQ = "create_seq"  # an own creation kept on its record: its number in the change log (NULL: received)
ALL_COLUMNS = (*COLUMNS, SEQ)
TABLES = tuple(RECORD_TYPES)  # every record table (quality levels too: they are kept the same way)
LOG_COLUMNS = (
    "seq",
    "change_id",
    "txn",
    "hlc",
    "origin",
    "author",
    "wall_time",
    "entity",
    "record_id",
    "op",
    "fields",
    "received_via",
)


def _data_columns(table: str) -> list[str]:
    return columns_of(table)[1:]


def create_fields(table: str, row: dict[str, Any]) -> dict[str, list[Any]]:
    """A creation's fields as the change log holds them: the non-null values, ``[null, value]``."""
    return {c: [None, row[c]] for c in _data_columns(table) if row.get(c) is not None}


_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode


def _via_hash(conn: sqlite3.Connection, eid: int | None) -> str | None:
    if eid is None:
        return None
    r = conn.execute("SELECT hash FROM sync_envelopes WHERE eid = ?", (eid,)).fetchone()
    return r[0] if r else None


def log_row(conn: sqlite3.Connection, table: str, row: dict[str, Any]) -> dict[str, Any]:
    """The change-log row of a kept creation (``fields`` as JSON text; ``seq`` None for a received one)."""
    return {
        "seq": row.get(SEQ),
        "change_id": row["create_change"],
        "txn": row["create_txn"],
        "hlc": row["created_hlc"],
        "origin": row["origin"],
        "author": row["create_author"],
        "wall_time": row["create_wall"],
        "entity": table,
        "record_id": row["id"],
        "op": "create",
        "fields": _ENCODE(create_fields(table, row)),
        "received_via": _via_hash(conn, row["create_via"]),
    }


def materialize(conn: sqlite3.Connection, table: str, record_id: str) -> bool:
    """Write the change-log row of a kept creation (before the record changes). Inside the
    caller's transaction. Returns True if there was one to write."""
    cur = conn.execute(f"SELECT * FROM {table} WHERE id = ? AND create_change IS NOT NULL", (record_id,))
    r = cur.fetchone()
    if r is None:
        return False
    row = dict(zip([d[0] for d in cur.description], r))
    entry = log_row(conn, table, row)
    conn.execute(  # an own creation goes back to its place in the log (seq None: the next number)
        "INSERT INTO changes(seq, change_id, txn, hlc, origin, author, wall_time, entity, record_id, op, fields, "
        "received_via) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [entry[c] for c in LOG_COLUMNS],
    )
    conn.execute(
        f"UPDATE {table} SET {', '.join(f'{c} = NULL' for c in ALL_COLUMNS)} WHERE id = ?", (record_id,)
    )
    return True


def log_rows(conn: sqlite3.Connection, table: str, ids: list[str]) -> list[dict[str, Any]]:
    """The creations still kept on these records, as change-log rows."""
    out = []
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        cur = conn.execute(
            f"SELECT * FROM {table} WHERE create_change IS NOT NULL AND id IN ({','.join('?' * len(chunk))})",
            chunk,
        )
        cols = [d[0] for d in cur.description]
        out += [log_row(conn, table, dict(zip(cols, r))) for r in cur.fetchall()]
    return out


# --- this machine's own creations ------------------------------------------------------------------


def acknowledged_through(conn: sqlite3.Connection) -> int | None:
    """The last change-log number every office above has confirmed in a receipt (0: not all have
    confirmed anything), or None when no office above is registered (nobody waits for the log)."""
    row = conn.execute(
        "SELECT count(*), min(acked) FROM (SELECT p.laptop_id, coalesce((SELECT max(x.max_change_seq) "
        "FROM sync_exports x WHERE x.recipient = p.laptop_id AND x.acked_at IS NOT NULL), 0) AS acked "
        "FROM sync_peers p WHERE p.is_destination = 1 AND p.status = 'active' GROUP BY p.laptop_id)"
    ).fetchone()
    return None if row[0] == 0 else row[1]


def allocate(conn: sqlite3.Connection, n: int) -> int:
    """Reserve ``n`` change-log numbers for creations kept on their records; returns the first. The log
    never uses them again (AUTOINCREMENT continues after the highest number reserved)."""
    conn.execute(
        "INSERT INTO sqlite_sequence(name, seq) SELECT 'changes', coalesce((SELECT max(seq) FROM changes), 0) "
        "WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'changes')"
    )
    last = conn.execute(
        "UPDATE sqlite_sequence SET seq = seq + ? WHERE name = 'changes' RETURNING seq", (n,)
    ).fetchone()[0]
    _note_kept(conn, last)
    return last - n + 1


def last_seq(conn: sqlite3.Connection) -> int:
    """The highest change-log number given so far (logged or reserved for a kept creation)."""
    row = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'changes'").fetchone()
    return row[0] if row else 0


def _note_kept(conn: sqlite3.Connection, seq: int) -> None:
    conn.execute(
        "INSERT INTO meta(key, value) VALUES ('kept_own_through', ?) ON CONFLICT(key) DO UPDATE "
        "SET value = max(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER))",
        (str(seq),),
    )


def kept_own_through(conn: sqlite3.Connection) -> int:
    """The highest number of an own creation ever kept on its record (0: none)."""
    row = conn.execute("SELECT value FROM meta WHERE key = 'kept_own_through'").fetchone()
    return int(row[0]) if row else 0


def keep_acknowledged(conn: sqlite3.Connection, origin: str, through: int | None = None) -> int:
    """Keep on their records this machine's creations numbered up to ``through`` (default: what every
    office above has confirmed, everything when none is registered) that are their record's only change
    and whose values are still the record's. Inside the caller's transaction. Returns how many."""
    if through is None:
        through = acknowledged_through(conn)
        if through is None:
            through = last_seq(conn)
    # creations looked at before were kept, or their record changed (it stays so): start after them
    row = conn.execute("SELECT value FROM meta WHERE key = 'kept_scanned_through'").fetchone()
    scanned = int(row[0]) if row else 0
    if through <= scanned:
        return 0
    kept = 0
    top = 0
    for table in TABLES:
        cols = _data_columns(table)
        cur = conn.execute(
            f"SELECT c.seq, c.change_id, c.txn, c.hlc, c.author, c.wall_time, c.fields, t.* FROM changes c "
            f"JOIN {table} t ON t.id = c.record_id WHERE c.entity = ? AND c.op = 'create' AND c.origin = ? "
            "AND c.received_via IS NULL AND c.seq > ? AND c.seq <= ? AND t.create_change IS NULL "
            "AND NOT EXISTS (SELECT 1 FROM changes d WHERE d.entity = c.entity AND d.record_id = c.record_id "
            "AND d.seq != c.seq)",
            (table, origin, scanned, through),
        )
        names = [d[0] for d in cur.description]
        moves, gone = [], []
        while batch := cur.fetchmany(5000):
            for r in batch:
                row = dict(zip(names[7:], r[7:]))
                if row["created_hlc"] != r[3] or row["origin"] != origin:
                    continue
                if json.loads(r[6]) != {c: [None, row[c]] for c in cols if row.get(c) is not None}:
                    continue  # the record holds other values than its creation: the log keeps it
                moves.append((r[1], r[2], r[4], r[5], r[0], row["id"]))
                gone.append((r[0],))
                top = max(top, r[0])
        conn.executemany(
            f"UPDATE {table} SET create_change = ?, create_txn = ?, create_author = ?, create_wall = ?, "
            "create_seq = ? WHERE id = ?",
            moves,
        )
        conn.executemany("DELETE FROM changes WHERE seq = ?", gone)
        kept += len(moves)
    if top:
        _note_kept(conn, top)
    conn.execute(
        "INSERT INTO meta(key, value) VALUES ('kept_scanned_through', ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (str(through),),
    )
    return kept


def own_since(conn: sqlite3.Connection, seq: int) -> list[dict[str, Any]]:
    """This machine's creations kept on their records numbered after ``seq``, as change-log rows with
    ``values`` (the record's data columns, as stored), in number order."""
    if kept_own_through(conn) <= seq:
        return []
    out = []
    for table in TABLES:
        cur = conn.execute(f"SELECT * FROM {table} WHERE {SEQ} > ?", (seq,))
        cols = [d[0] for d in cur.description]
        for r in cur.fetchall():
            row = dict(zip(cols, r))
            entry = log_row(conn, table, row)
            entry["values"] = [row[c] for c in columns_of(table)[1:]]
            out.append(entry)
    out.sort(key=lambda e: e["seq"])
    return out
