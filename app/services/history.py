"""The change log made readable: who changed what, when, old → new (no Qt).

``enterprise_history`` gathers the changes of an enterprise and of everything recorded about it
(visits, organisations, admissions) and turns each into Vietnamese lines with field labels and
values as people read them: dates 27/02/2024, numbers 1.549, coded values by their label, ward
codes by the ward's name, yes/no.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.domain.display import display
from app.domain.fields import Kind
from app.domain.records import RECORD_TYPES, record_type
from app.storage import kept_creations
from app.storage.store import Store

ENTITY_LABELS: dict[str, str] = {table: cls.TITLE for table, cls in RECORD_TYPES.items()}
OP_LABELS: dict[str, str] = {"create": "Tạo mới", "update": "Sửa", "delete": "Xóa", "restore": "Khôi phục"}


@dataclass(frozen=True)
class FieldChange:
    field: str
    label: str
    old: str
    new: str

    def __str__(self) -> str:
        if not self.old:
            return f"{self.label}: {self.new}"
        return f"{self.label}: {self.old} → {self.new}"


@dataclass(frozen=True)
class HistoryEntry:
    when: datetime | None  # local time of the laptop that made the change
    when_text: str  # "14:05 27/02/2024"
    author: str
    entity: str
    entity_label: str
    record_id: str
    op: str
    op_label: str
    changes: tuple[FieldChange, ...]
    received_via: str | None

    @property
    def summary(self) -> str:
        text = f"{self.op_label} {self.entity_label.lower()}"
        detail = {c.field: c.new for c in self.changes}
        if self.entity == "visits" and detail.get("visit_date"):
            text += f" ngày {detail['visit_date']}"
        elif self.entity in ("organisations", "admissions") and detail.get("kind"):
            text += f": {detail['kind']}"
        if self.op == "update" and len(self.changes) == 1:
            text += f" ({self.changes[0].label.lower()})"
        return text


def display_value(entity: str, name: str, value: Any) -> str:
    """A stored value as a person reads it (by the field's declaration)."""
    if value is None or value == "":
        return ""
    if name == "deleted":
        return "đã xóa" if value else "còn dùng"
    info = record_type(entity).INFO.get(name) if entity in RECORD_TYPES else None
    if info is None:  # a column this version does not declare
        return str(value)
    return display(info, value)


def _when(wall_time: str | None) -> tuple[datetime | None, str]:
    if not wall_time:
        return None, ""
    try:
        dt = datetime.fromisoformat(wall_time).astimezone()  # stored in UTC, shown in local time
    except ValueError:
        return None, wall_time
    return dt, dt.strftime("%H:%M %d/%m/%Y")


def readable(row: dict[str, Any]) -> HistoryEntry:
    entity = row["entity"]
    fields = row["fields"] if isinstance(row["fields"], dict) else json.loads(row["fields"])
    cls = record_type(entity) if entity in RECORD_TYPES else None
    changes = []
    for name, pair in fields.items():
        old, new = pair if isinstance(pair, list) and len(pair) == 2 else (None, pair)
        label = "Trạng thái bản ghi" if name == "deleted" else (cls.label(name) if cls else name)
        if cls is not None and name in cls.INFO and cls.INFO[name].kind is Kind.REF:
            continue  # links, not something a person changed
        changes.append(
            FieldChange(name, label, display_value(entity, name, old), display_value(entity, name, new))
        )
    when, when_text = _when(row.get("wall_time"))
    return HistoryEntry(
        when=when,
        when_text=when_text,
        author=row.get("author") or "?",
        entity=entity,
        entity_label=ENTITY_LABELS.get(entity) or entity,
        record_id=row["record_id"],
        op=row["op"],
        op_label=OP_LABELS.get(row["op"]) or row["op"],
        changes=tuple(changes),
        received_via=row.get("received_via"),
    )


def enterprise_history(store: Store, enterprise_id: str, limit: int = 500) -> list[HistoryEntry]:
    """Changes of the enterprise and its visits, organisations and admissions, newest first."""
    by_table = {"enterprises": [enterprise_id], **store.child_ids(enterprise_id)}
    ids = [rid for table_ids in by_table.values() for rid in table_ids]
    rows: list[dict[str, Any]] = []
    for table, table_ids in by_table.items():  # creations received in a bundle, still kept on the record
        for r in kept_creations.log_rows(store.conn, table, table_ids):
            r["seq"] = 0
            rows.append(r)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        cur = store.conn.execute(
            "SELECT seq, hlc, author, wall_time, entity, record_id, op, fields, received_via FROM changes "
            f"WHERE record_id IN ({', '.join('?' * len(chunk))})",
            chunk,
        )
        cols = [d[0] for d in cur.description]
        rows += [dict(zip(cols, r)) for r in cur.fetchall()]
    rows.sort(key=lambda r: (r["hlc"], r["seq"]), reverse=True)
    return [readable(r) for r in rows[:limit]]
