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
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from app.domain.records import columns_of

COLUMNS = ("create_change", "create_txn", "create_author", "create_wall", "create_via")
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
    """The change-log row of a kept creation (``fields`` as JSON text, ``seq`` None)."""
    return {
        "seq": None,
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
    conn.execute(
        "INSERT INTO changes(change_id, txn, hlc, origin, author, wall_time, entity, record_id, op, fields, "
        "received_via) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [entry[c] for c in LOG_COLUMNS[1:]],
    )
    conn.execute(f"UPDATE {table} SET {', '.join(f'{c} = NULL' for c in COLUMNS)} WHERE id = ?", (record_id,))
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
