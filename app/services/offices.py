"""Reading and changing the chain of offices (table ``offices``, local configuration, not synced)."""

from __future__ import annotations

from datetime import UTC, datetime

from app.domain.offices import Office, validate_chain
from app.domain.text import clean
from app.domain.validation import ValidationError
from app.domain.vocab import Role
from app.storage.store import Store


def list_offices(store: Store) -> list[Office]:
    rows = store.conn.execute("SELECT id, name, role, unit_code, parent_id FROM offices ORDER BY rowid")
    return [Office(id=r[0], name=r[1], role=Role(r[2]), unit_code=r[3], parent_id=r[4]) for r in rows]


def save_office(store: Store, office: Office) -> Office:
    """Add or change one office; the whole chain must stay valid or nothing is written."""
    office.name = clean(office.name)
    others = [o for o in list_offices(store) if o.id != office.id]
    problems = validate_chain([*others, office])
    if problems:
        raise ValidationError(problems)
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO offices(id, name, role, unit_code, parent_id, created_at) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(id) DO UPDATE SET name = excluded.name, role = excluded.role, "
            "unit_code = excluded.unit_code, parent_id = excluded.parent_id",
            (
                office.id,
                office.name,
                office.role.value,
                office.unit_code,
                office.parent_id,
                datetime.now(UTC).isoformat(timespec="seconds"),
            ),
        )
    return office


def remove_office(store: Store, office_id: str) -> None:
    offices = list_offices(store)
    children = [o for o in offices if o.parent_id == office_id]
    if children:
        from app.domain.validation import Problem

        names = ", ".join(o.name for o in children)
        raise ValidationError(
            [Problem("parent_id", f"Không xóa được: các cơ quan sau đang báo cáo lên cơ quan này: {names}.")]
        )
    with store.transaction() as conn:
        conn.execute("DELETE FROM offices WHERE id = ?", (office_id,))
