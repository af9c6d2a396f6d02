"""The change log made readable: who changed what, when, old → new (no Qt).

``enterprise_history`` gathers the changes of an enterprise and of everything recorded about it
(visits, organisations, admissions) and turns each into Vietnamese lines with field labels and
values as people read them: dates 27/02/2024, numbers 1.549, coded values by their label, ward
codes by the ward's name, yes/no.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from app.domain import units
from app.domain.records import RECORD_TYPES
from app.domain.vnformat import format_date, format_int
from app.domain.vocab import (
    VSIC_SECTIONS,
    Attitude,
    EnterpriseStatus,
    LegalForm,
    OrgKind,
    OrgStatus,
    TargetMetric,
)
from app.storage import kept_creations
from app.storage.store import Store

ENTITY_LABELS = {
    "enterprises": "Doanh nghiệp",
    "visits": "Lượt khảo sát",
    "organisations": "Tổ chức",
    "admissions": "Kết nạp",
    "targets": "Chỉ tiêu",
}
OP_LABELS = {"create": "Tạo mới", "update": "Sửa", "delete": "Xóa", "restore": "Khôi phục"}
_ENUMS = {
    "legal_form": LegalForm,
    "status": None,
    "attitude": Attitude,
    "kind": OrgKind,
    "metric": TargetMetric,
}


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
    """A stored value as a person reads it."""
    if value is None or value == "":
        return ""
    if name == "deleted":
        return "đã xóa" if value else "còn dùng"
    if name in ("fdi", "owner_is_party_member") or name.startswith("has_"):
        return "Có" if value else "Không"
    if name == "status":
        enum = EnterpriseStatus if entity == "enterprises" else OrgStatus
        member = enum.parse(value)
        return member.label if member else str(value)
    if name in _ENUMS and _ENUMS[name] is not None:
        member = _ENUMS[name].parse(value)  # type: ignore[union-attr]
        return member.label if member else str(value)
    if name in ("ward_code", "unit_code"):
        return units.unit_name(value) or str(value)
    if name == "vsic_section":
        return f"{value} - {VSIC_SECTIONS.get(value, '')}".rstrip(" -")
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            return format_date(date.fromisoformat(value))
        except ValueError:
            return value
    if isinstance(value, int) and name != "year" and name != "year_founded":
        return format_int(value)
    return str(value)


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
    cls = RECORD_TYPES.get(entity)
    changes = []
    for name, pair in fields.items():
        old, new = pair if isinstance(pair, list) and len(pair) == 2 else (None, pair)
        label = "Trạng thái bản ghi" if name == "deleted" else (cls.label(name) if cls else name)
        if name in ("enterprise_id", "organisation_id"):
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
        entity_label=ENTITY_LABELS.get(entity, entity),
        record_id=row["record_id"],
        op=row["op"],
        op_label=OP_LABELS.get(row["op"], row["op"]),
        changes=tuple(changes),
        received_via=row.get("received_via"),
    )


def enterprise_history(store: Store, enterprise_id: str, limit: int = 500) -> list[HistoryEntry]:
    """Changes of the enterprise and its visits, organisations and admissions, newest first."""
    ids = [enterprise_id]
    by_table = {"enterprises": [enterprise_id]}
    for table in ("visits", "organisations", "admissions"):
        by_table[table] = [
            r[0]
            for r in store.conn.execute(f"SELECT id FROM {table} WHERE enterprise_id = ?", (enterprise_id,))
        ]
        ids += by_table[table]
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
