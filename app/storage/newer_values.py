"""Values received from a newer version, applied once this version declares their column.

A bundle may carry a column this version does not know: its values are kept in
``sync_unknown_values`` (``app/sync/newer.py``) with their change's id, stamp and machine. When an upgrade
adds the column (``migrations.add_declared_column``), ``apply`` gives each record the value it would
have had if the column had been known when the values arrived: the last one by ``(hlc, change_id)``,
the merge's rule. Each value also joins its change in the change log (the creation or update that
carried it; a change that carried nothing else gets its own ``update`` row), so the record's history
shows it and later merges compare against it. A value whose record has not arrived yet (a child
waiting for its parent) stays kept.

Limits: the change's author and wall time were not kept, so a change that carried nothing else shows
an empty author in the history; conflicts between such values are not recomputed until the next change
of the field is merged; machines below the office received the changes without these values and do not
get them.
"""

from __future__ import annotations

import json
import sqlite3
from itertools import groupby

from app.storage import kept_creations

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode


def apply(conn: sqlite3.Connection, table: str, column: str) -> int:
    """Apply the kept values of ``table.column`` (inside the migration's transaction). Returns how many."""
    rows = conn.execute(
        "SELECT record_id, change_id, value, hlc, origin, envelope FROM sync_unknown_values "
        "WHERE entity = ? AND field = ? ORDER BY record_id, hlc, change_id",
        (table, column),
    ).fetchall()
    applied = 0
    for rid, group in groupby(rows, key=lambda r: r[0]):
        kept = list(group)
        if conn.execute(f"SELECT 1 FROM {table} WHERE id = ?", (rid,)).fetchone() is None:
            continue  # not arrived yet: kept
        kept_creations.materialize(conn, table, rid)  # its creation in the log before the record changes
        for _rid, change_id, value, hlc, origin, envelope in kept:
            row = conn.execute("SELECT fields FROM changes WHERE change_id = ?", (change_id,)).fetchone()
            if row is not None:
                fields = json.loads(row[0])
                fields[column] = [None, json.loads(value)]
                conn.execute("UPDATE changes SET fields = ? WHERE change_id = ?", (_dumps(fields), change_id))
            else:  # a change of unknown fields only: it merged nothing then
                conn.execute(
                    "INSERT INTO changes(change_id, txn, hlc, origin, author, wall_time, entity, record_id, op, "
                    "fields, received_via) VALUES (?, ?, ?, ?, '', '', ?, ?, 'update', ?, ?)",
                    (
                        change_id,
                        change_id,
                        hlc,
                        origin,
                        table,
                        rid,
                        _dumps({column: [None, json.loads(value)]}),
                        envelope,
                    ),
                )
        # the field's value: the last change naming it, as the merge decides (app/sync/merge.py)
        last, last_hlc = None, ""
        for hlc, fields in conn.execute(
            "SELECT hlc, fields FROM changes WHERE entity = ? AND record_id = ? ORDER BY hlc, change_id",
            (table, rid),
        ):
            named = json.loads(fields)
            if column in named:
                last, last_hlc = named[column][1], hlc
        _chain_old_values(conn, table, rid, column)
        conn.execute(
            f"UPDATE {table} SET {column} = ?, updated_hlc = max(coalesce(updated_hlc, ''), ?) WHERE id = ?",
            (last, last_hlc, rid),
        )
        conn.execute(
            "DELETE FROM sync_unknown_values WHERE entity = ? AND field = ? AND record_id = ?",
            (table, column, rid),
        )
        applied += len(kept)
    return applied


def _chain_old_values(conn: sqlite3.Connection, table: str, rid: str, column: str) -> None:
    """Each change naming the column says the value before it (the previous change's), as a merged
    change would: the history reads "a → b", and a later change's old value can be compared."""
    before = None
    for change_id, fields in conn.execute(
        "SELECT change_id, fields FROM changes WHERE entity = ? AND record_id = ? ORDER BY hlc, change_id",
        (table, rid),
    ).fetchall():
        named = json.loads(fields)
        if column not in named:
            continue
        if named[column][0] is None and before is not None:
            named[column] = [before, named[column][1]]
            conn.execute("UPDATE changes SET fields = ? WHERE change_id = ?", (_dumps(named), change_id))
        before = named[column][1]
