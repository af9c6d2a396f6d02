"""Enterprises sharing one tax code under two ids (found when merging bundles; table ``sync_duplicates``).

``recompute`` keeps the open pairs of the tax codes a merge touched (inside the merge's transaction).
Nothing is merged automatically. A person picks the enterprise to keep; ``merge_pair`` then moves the
other's visits, organisations, admissions and quality ratings (``child_tables``) to it, fills the kept enterprise's empty fields from
the other, and deletes (tombstones) the other: all ordinary changes, so the merge travels upward
like any edit and every office ends with the same result.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime

from app.domain.records import Enterprise, child_tables, columns_of, record_type
from app.storage.changes import ChangeSummary
from app.storage.store import Store
from app.sync.errors import SyncError
from app.sync.payload import MergeReport, key_table


@dataclass(frozen=True)
class Candidate:
    id_a: str
    id_b: str
    tax_code: str
    name_a: str
    name_b: str
    found_at: str


def candidates(store: Store) -> list[Candidate]:
    rows = store.conn.execute(
        "SELECT d.id_a, d.id_b, d.tax_code, a.name, b.name, d.found_at FROM sync_duplicates d "
        "JOIN enterprises a ON a.id = d.id_a JOIN enterprises b ON b.id = d.id_b "
        "WHERE d.resolved_at IS NULL AND a.deleted = 0 AND b.deleted = 0 ORDER BY d.tax_code, d.id_a"
    ).fetchall()
    return [Candidate(*r) for r in rows]


@dataclass(frozen=True)
class Merged:
    """What ``merge_pair`` did: the records moved to the kept enterprise (per table), how many of its
    empty fields were filled from the other, and the changes, from which the window refreshes."""

    moved: dict[str, int]
    fields: int
    changes: ChangeSummary


def merge_pair(store: Store, keep_id: str, drop_id: str, author: str | None = None) -> Merged:
    """Keep one enterprise, fold the other into it."""
    keep = store.get(Enterprise, keep_id)
    drop = store.get(Enterprise, drop_id)
    if keep is None or drop is None or keep_id == drop_id:
        raise SyncError("missing", "Không tìm thấy hai doanh nghiệp cần gộp (có thể một bên đã bị xóa).")
    if keep.tax_code != drop.tax_code:
        raise SyncError("bad_merge", "Hai doanh nghiệp không cùng mã số thuế: không gộp.")
    # the office's records of an enterprise (its assignment, its visit summary: one per enterprise, written
    # only by an office) stay with the one deleted: the office writes the kept one's
    tables = [t for t in child_tables() if record_type(t).WRITERS == "anyone"]
    moved = dict.fromkeys(tables, 0)
    fields = 0
    with store.write(author) as w:
        for table in tables:
            cls = record_type(table)
            for child in store.children(cls, drop_id):
                child.enterprise_id = keep_id  # type: ignore[attr-defined]
                w.update(child)
                moved[cls.TABLE] += 1
        for name in columns_of(Enterprise):
            if name != "id" and getattr(keep, name) in (None, "") and getattr(drop, name) not in (None, ""):
                setattr(keep, name, getattr(drop, name))
                fields += 1
        w.update(keep)
        w.delete("enterprises", drop_id)
        a, b = sorted([keep_id, drop_id])
        store.conn.execute(
            "UPDATE sync_duplicates SET resolved_at = ? WHERE id_a = ? AND id_b = ?",
            (datetime.now(UTC).isoformat(timespec="seconds"), a, b),
        )
    return Merged(moved, fields, w.changes)


def recompute(
    conn: sqlite3.Connection, codes: set[str], now: str, report: MergeReport, after_rid: int | None = None
) -> None:
    """Open duplicate candidates of these tax codes: every pair of live enterprises sharing one.
    ``after_rid``: the codes are those of the enterprises inserted after it (a bulk insert)."""
    codes_l = sorted(c for c in codes if c and type(c) is str)
    if after_rid is not None and len(codes_l) > 500:  # only the codes now shared, found by the index
        codes_l = sorted(
            {
                r[0]
                for r in conn.execute(
                    "SELECT DISTINCT n.tax_code FROM enterprises n WHERE n.rid > ? AND EXISTS (SELECT 1 FROM enterprises e "
                    "WHERE e.tax_code = n.tax_code AND e.rid != n.rid AND e.deleted = 0) UNION SELECT d.tax_code FROM "
                    "sync_duplicates d JOIN enterprises n ON n.tax_code = d.tax_code AND n.rid > ? WHERE d.resolved_at IS NULL",
                    (after_rid, after_rid),
                )
            }
        )
    elif len(codes_l) > 500:  # a big import: only the codes with two live enterprises or an open candidate
        table = key_table(conn, codes_l)
        codes_l = sorted(
            {
                r[0]
                for r in conn.execute(
                    f"SELECT e.tax_code FROM {table} c JOIN enterprises e ON e.tax_code = c.id WHERE e.deleted = 0 "
                    f"GROUP BY e.tax_code HAVING count(*) > 1 UNION SELECT d.tax_code FROM sync_duplicates d "
                    f"JOIN {table} c ON c.id = d.tax_code WHERE d.resolved_at IS NULL"
                )
            }
        )
    for start in range(0, len(codes_l), 500):
        chunk = codes_l[start : start + 500]
        marks = ",".join("?" * len(chunk))
        before = set(
            conn.execute(
                f"SELECT id_a, id_b FROM sync_duplicates WHERE resolved_at IS NULL AND tax_code IN ({marks})",
                chunk,
            ).fetchall()
        )
        groups: dict[str, list[str]] = {}
        for rid, code in conn.execute(
            f"SELECT id, tax_code FROM enterprises WHERE deleted = 0 AND tax_code IN ({marks})", chunk
        ):
            groups.setdefault(code, []).append(rid)
        pairs = []
        for code, ids in groups.items():
            ids.sort()
            for i, a in enumerate(ids):
                for b in ids[i + 1 :]:
                    pairs.append((a, b, code, now))
        if not pairs and not before:
            continue
        conn.execute(
            f"DELETE FROM sync_duplicates WHERE resolved_at IS NULL AND tax_code IN ({marks})", chunk
        )
        conn.executemany(
            "INSERT OR IGNORE INTO sync_duplicates(id_a, id_b, tax_code, found_at) VALUES (?, ?, ?, ?)", pairs
        )
        report.duplicates += len({(a, b) for a, b, _, _ in pairs} - before)
