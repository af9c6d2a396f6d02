"""Writes that log themselves.

A ``Writer`` lives inside one transaction (``Store.write()``). Each create, update or delete
changes the record and appends one row to ``changes`` with the fields it touched, their old and
new values, a hybrid-clock stamp, this laptop and the author. Nothing is hard-deleted. A creation
that no office above waits for keeps its change-log row on the record (``kept_creations``). What it
did is also said in ``Writer.changes`` (a ``ChangeSummary``), which the Store hands on when the
transaction commits.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from app.domain.records import Record, columns_of, uuid7
from app.storage import kept_creations, list_facts, search, work_facts
from app.storage.changes import ChangeRecorder, ChangeSummary
from app.storage.clock import Stamp

if TYPE_CHECKING:
    from app.storage.store import Store


def record_columns(table: str) -> list[str]:
    """The data columns of a record table: ``id`` first, then the declared fields
    (``app.domain.records``), in declaration order. The bundle's columns are these."""
    return columns_of(table)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class Writer:
    def __init__(self, store: Store, author: str):
        self.store = store
        self.conn = store.conn
        self.author = author
        self.txn = uuid7().hex
        self.last_stamp: Stamp | None = None
        self.recorder = ChangeRecorder()
        self._wall = datetime.now(UTC).isoformat(timespec="seconds")
        self._keep: bool | None = None

    def _keep_creations(self) -> bool:
        """Whether creations are kept on their records from the start: no office above is registered, so
        nothing waits for them in the change log (``app/storage/kept_creations.py``)."""
        if self._keep is None:
            self._keep = kept_creations.acknowledged_through(self.conn) is None
        return self._keep

    @property
    def changes(self) -> ChangeSummary:
        """What this writer has created, changed and deleted so far."""
        return self.recorder.summary()

    # --- the log -----------------------------------------------------------------------------

    def _stamp(self) -> str:
        stamp = self.store.clock().now()
        self.last_stamp = stamp
        return str(stamp)

    def _log(self, entity: str, record_id: str, op: str, fields: dict[str, list[Any]], hlc: str) -> None:
        self.conn.execute(
            "INSERT INTO changes(change_id, txn, hlc, origin, author, wall_time, entity, record_id, op, fields) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                uuid7().hex,
                self.txn,
                hlc,
                self.store.laptop_id,
                self.author,
                self._wall,
                entity,
                record_id,
                op,
                _dumps(fields),
            ),
        )
        self.recorder.add_one(entity, op, record_id)

    # --- records -----------------------------------------------------------------------------

    def create(self, record: Record) -> Record:
        table = record.TABLE
        row = record.to_row()
        if self.store.row(table, row["id"]) is not None:
            raise ValueError(f"{table} {row['id']} already exists")
        hlc = self._stamp()
        cols = record.field_names()  # the record's own fields (the table's, see record_columns)
        values = [*(row[c] for c in cols), hlc, hlc, self.store.laptop_id]
        keep = self._keep_creations()
        kept = ""
        if keep:  # kept on the record, with its number in the log
            values += [uuid7().hex, self.txn, self.author, self._wall, kept_creations.allocate(self.conn, 1)]
            kept = ", create_change, create_txn, create_author, create_wall, create_seq"
        sql = (
            f"INSERT INTO {table} ({', '.join(cols)}, deleted, created_hlc, updated_hlc, origin{kept}) "
            f"VALUES ({', '.join('?' * len(cols))}, 0, ?, ?, ?{', ?, ?, ?, ?, ?' if keep else ''})"
        )
        cur = self.conn.execute(sql, values)
        if table == "enterprises":
            search.index_row(self.conn, cur.lastrowid, row)  # type: ignore[arg-type]
        elif table in list_facts.CHILDREN:
            list_facts.recount(self.conn, [row["enterprise_id"]])
        if table in work_facts.CHILDREN:
            work_facts.recount(self.conn, [row["enterprise_id"]])
        if keep:
            self.recorder.add_one(table, "create", row["id"])
            return record
        fields = {c: [None, row[c]] for c in cols if c != "id" and row[c] is not None}
        self._log(table, row["id"], "create", fields, hlc)
        return record

    def update(self, record: Record) -> dict[str, list[Any]]:
        """Write the fields that differ from the stored record. Returns {field: [old, new]}."""
        table = record.TABLE
        row = record.to_row()
        current = self.store.row(table, row["id"])
        if current is None:
            raise KeyError(f"{table} {row['id']} does not exist")
        if current["deleted"]:
            raise ValueError(f"{table} {row['id']} is deleted")
        changed = {
            c: [current[c], row[c]] for c in record.field_names() if c != "id" and current[c] != row[c]
        }
        if not changed:
            return {}
        if current.get("create_change"):
            kept_creations.materialize(self.conn, table, row["id"])
        hlc = self._stamp()
        assignments = ", ".join(f"{c} = ?" for c in changed)
        self.conn.execute(
            f"UPDATE {table} SET {assignments}, updated_hlc = ? WHERE id = ?",
            [*(v[1] for v in changed.values()), hlc, row["id"]],
        )
        if table == "enterprises" and any(c in search.INDEXED for c in changed):
            search.index_row(self.conn, current["rid"], row)
        self._log(table, row["id"], "update", changed, hlc)
        return changed

    def save(self, record: Record) -> dict[str, list[Any]]:
        current = self.store.row(record.TABLE, record.id)
        if current is None:
            self.create(record)
            return {"id": [None, record.id]}
        return self.update(record)

    def delete(self, table: str, record_id: str) -> bool:
        """Tombstone a record. Returns False if it was already deleted."""
        return self._set_deleted(table, record_id, True)

    def restore(self, table: str, record_id: str) -> bool:
        return self._set_deleted(table, record_id, False)

    def _set_deleted(self, table: str, record_id: str, deleted: bool) -> bool:
        current = self.store.row(table, record_id)
        if current is None:
            raise KeyError(f"{table} {record_id} does not exist")
        if bool(current["deleted"]) == deleted:
            return False
        if current.get("create_change"):
            kept_creations.materialize(self.conn, table, record_id)
        hlc = self._stamp()
        self.conn.execute(
            f"UPDATE {table} SET deleted = ?, updated_hlc = ? WHERE id = ?", (int(deleted), hlc, record_id)
        )
        if table == "enterprises":
            current["deleted"] = int(deleted)
            search.index_row(self.conn, current["rid"], current)
        self._log(
            table,
            record_id,
            "delete" if deleted else "restore",
            {"deleted": [int(not deleted), int(deleted)]},
            hlc,
        )
        return True

    def create_many(self, records: Iterable[Record]) -> int:
        """Bulk create (demo data, list import): ``executemany`` in this one transaction.

        Each record gets its search-index entry, and its own change-log row or, when nothing waits for
        the log, its creation kept on the record (``app/storage/kept_creations.py``).
        """
        by_type: dict[type[Record], list[Record]] = {}
        for r in records:
            by_type.setdefault(type(r), []).append(r)
        total = 0
        origin = self.store.laptop_id
        keep = self._keep_creations()
        for cls, items in by_type.items():
            table = cls.TABLE
            cols = cls.field_names()
            rows, log = [], []
            seq = kept_creations.allocate(self.conn, len(items)) if keep and items else 0
            for i, rec in enumerate(items):
                row = rec.to_row()
                hlc = self._stamp()
                if keep:  # kept on the record, with its number in the log
                    rows.append(
                        [*(row[c] for c in cols), hlc, hlc, origin, uuid7().hex, self.txn, self.author]
                        + [self._wall, seq + i]
                    )
                    continue
                rows.append([*(row[c] for c in cols), hlc, hlc, origin])
                fields = {c: [None, row[c]] for c in cols if c != "id" and row[c] is not None}
                log.append(
                    (
                        uuid7().hex,
                        self.txn,
                        hlc,
                        origin,
                        self.author,
                        self._wall,
                        table,
                        row["id"],
                        "create",
                        _dumps(fields),
                    )
                )
            kept = ", create_change, create_txn, create_author, create_wall, create_seq" if keep else ""
            self.conn.executemany(
                f"INSERT INTO {table} ({', '.join(cols)}, deleted, created_hlc, updated_hlc, origin{kept}) "
                f"VALUES ({', '.join('?' * len(cols))}, 0, ?, ?, ?{', ?, ?, ?, ?, ?' if keep else ''})",
                rows,
            )
            if log:
                self.conn.executemany(
                    "INSERT INTO changes(change_id, txn, hlc, origin, author, wall_time, entity, record_id, op, "
                    "fields) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    log,
                )
            if table in list_facts.CHILDREN:
                list_facts.recount(self.conn, [r.to_row()["enterprise_id"] for r in items])
            if table in work_facts.CHILDREN:
                work_facts.recount(self.conn, [r.to_row()["enterprise_id"] for r in items])
            if table == "enterprises":
                ids = [r.id for r in items]
                for chunk_start in range(0, len(ids), 500):
                    chunk = ids[chunk_start : chunk_start + 500]
                    search.index_many(
                        self.conn,
                        self.conn.execute(
                            f"SELECT rid, name, short_name, tax_code, address, owner_name FROM enterprises "
                            f"WHERE id IN ({', '.join('?' * len(chunk))})",
                            chunk,
                        ),
                    )
            self.recorder.add(table, "create", (r.id for r in items))
            total += len(items)
        return total
