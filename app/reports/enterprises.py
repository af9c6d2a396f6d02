"""The enterprise list for export: one row per enterprise, the columns an office works with.

The columns are the enterprise's declared fields (``app.domain.records``) in order, then the
organisations founded and the last visit. Data minimisation: fields declared ``sensitive`` (whether
the owner is a Party member: political-affiliation data) are not exported, nor those declared
``export=False``; the list carries what is needed to plan visits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from app.domain import units
from app.domain.display import display
from app.domain.fields import FieldInfo, Kind
from app.domain.records import Enterprise, fields_of
from app.domain.vocab import ORG_KIND_SHORT, OrgKind
from app.storage.store import Store

# Column widths (characters) of some fields; the others take their kind's width.
_WIDTHS = {
    "name": 44,
    "short_name": 16,
    "tax_code": 15,
    "legal_form": 26,
    "vsic_section": 30,
    "address": 48,
    "owner_name": 24,
    "status": 18,
}
_KIND_WIDTHS = {
    Kind.TEXT: 24,
    Kind.LONG_TEXT: 40,
    Kind.COUNT: 10,
    Kind.INTEGER: 10,
    Kind.YEAR: 9,
    Kind.DATE: 13,
    Kind.CHOICE: 20,
    Kind.YES_NO: 10,
    Kind.WARD: 20,
    Kind.EMAIL: 26,
    Kind.PHONE: 14,
}


def exported_fields() -> list[FieldInfo]:
    """The enterprise's declared fields that go into the list, in order: not the sensitive ones
    (data minimisation) nor those declared ``export=False``."""
    return [i for i in fields_of(Enterprise) if i.export and not i.sensitive and i.kind is not Kind.REF]


def columns() -> list[tuple[str, str, float]]:
    """(key, Vietnamese header, width in characters) of each column."""
    return [
        ("no", "STT", 6),
        *((i.name, i.label, _WIDTHS.get(i.name, _KIND_WIDTHS.get(i.kind, 20))) for i in exported_fields()),
        ("founded", "Tổ chức đã thành lập", 28),
        ("last_visit", "Lần khảo sát gần nhất", 13),
    ]


def grouped_columns() -> set[str]:
    """Columns of numbers shown grouped (1.549); not years."""
    return {i.name for i in exported_fields() if i.kind in (Kind.COUNT, Kind.INTEGER)}


def date_columns() -> set[str]:
    return {"last_visit"} | {i.name for i in exported_fields() if i.kind is Kind.DATE}


def __getattr__(name: str) -> object:
    # COLUMNS, GROUPED_COLUMNS, DATE_COLUMNS: as declared now (a test may declare more fields)
    table = {"COLUMNS": columns, "GROUPED_COLUMNS": grouped_columns, "DATE_COLUMNS": date_columns}
    if name in table:
        return table[name]()
    raise AttributeError(name)


@dataclass
class EnterpriseRow:
    values: dict[str, Any]


def _cell(info: FieldInfo, value: Any) -> Any:
    """A stored value as the list shows it: numbers as numbers, dates as dates, codes by label."""
    if value is None:
        return None
    if info.kind in (Kind.COUNT, Kind.INTEGER, Kind.YEAR):
        return value
    if info.kind is Kind.DATE:
        return date.fromisoformat(value) if isinstance(value, str) else value
    return display(info, value) or None


def enterprise_rows(store: Store, unit_code: str | None = None) -> list[dict[str, Any]]:
    """Rows of the list (not deleted), by ward then name; numbers as int, dates as ``date``."""
    params: list[Any] = []
    where = "e.deleted = 0"
    if unit_code:
        wards = units.ward_codes(unit_code)
        where += f" AND e.ward_code IN ({', '.join('?' * len(wards))})"
        params.extend(wards)
    sql = (
        "SELECT e.*, (SELECT max(v.visit_date) FROM visits v WHERE v.enterprise_id = e.id AND v.deleted = 0) "
        "AS last_visit, (SELECT group_concat(o.kind) FROM organisations o WHERE o.enterprise_id = e.id "
        f"AND o.deleted = 0 AND o.status = 'founded') AS founded_kinds FROM enterprises e WHERE {where} "
        "ORDER BY e.ward_code, e.name, e.rid"
    )
    cur = store.conn.execute(sql, params)
    cols = [d[0] for d in cur.description]
    exported = exported_fields()
    out = []
    for i, raw in enumerate(cur.fetchall(), start=1):
        r = dict(zip(cols, raw))
        kinds = set((r["founded_kinds"] or "").split(","))
        row: dict[str, Any] = {"no": i}
        for info in exported:
            row[info.name] = _cell(info, r[info.name])
        row["founded"] = ", ".join(ORG_KIND_SHORT[k] for k in OrgKind if k.value in kinds) or None
        row["last_visit"] = date.fromisoformat(r["last_visit"]) if r["last_visit"] else None
        out.append(row)
    return out
