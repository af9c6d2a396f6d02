"""Enterprises sharing one tax code under two ids (found when merging bundles; table ``sync_duplicates``).

Nothing is merged automatically. A person picks the enterprise to keep; ``merge_pair`` then moves the
other's visits, organisations and admissions to it, fills the kept enterprise's empty fields from
the other, and deletes (tombstones) the other: all ordinary changes, so the merge travels upward
like any edit and every office ends with the same result.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from app.domain.records import Admission, Enterprise, Organisation, Visit
from app.storage.store import Store
from app.sync.errors import SyncError


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


def merge_pair(store: Store, keep_id: str, drop_id: str, author: str | None = None) -> dict[str, Any]:
    """Keep one enterprise, fold the other into it. Returns counts of what moved."""
    keep = store.get(Enterprise, keep_id)
    drop = store.get(Enterprise, drop_id)
    if keep is None or drop is None or keep_id == drop_id:
        raise SyncError("missing", "Không tìm thấy hai doanh nghiệp cần gộp (có thể một bên đã bị xóa).")
    if keep.tax_code != drop.tax_code:
        raise SyncError("bad_merge", "Hai doanh nghiệp không cùng mã số thuế: không gộp.")
    moved = {"visits": 0, "organisations": 0, "admissions": 0, "fields": 0}
    with store.write(author) as w:
        for cls in (Visit, Organisation, Admission):
            for child in store.children(cls, drop_id):
                child.enterprise_id = keep_id  # type: ignore[attr-defined]
                w.update(child)
                moved[cls.TABLE] += 1
        for name in Enterprise.field_names():
            if name != "id" and getattr(keep, name) in (None, "") and getattr(drop, name) not in (None, ""):
                setattr(keep, name, getattr(drop, name))
                moved["fields"] += 1
        w.update(keep)
        w.delete("enterprises", drop_id)
        a, b = sorted([keep_id, drop_id])
        store.conn.execute(
            "UPDATE sync_duplicates SET resolved_at = ? WHERE id_a = ? AND id_b = ?",
            (datetime.now(UTC).isoformat(timespec="seconds"), a, b),
        )
    return moved
