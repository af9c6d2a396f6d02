"""A field's value as a person reads it, from its declaration (``app.domain.fields``).

Dates 27/02/2024, counts 1.549 (years without the dot), coded values by their label ("C - Công
nghiệp chế biến, chế tạo" where the declaration shows codes), yes/no as Có/Không, ward and unit codes
by name. Values may be as records hold them or as stored (codes, ISO dates, 0/1). The detail panel,
``khaosat enterprise show``, the printed forms and the history all show values through here.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from app.domain import units
from app.domain.fields import FieldInfo, Kind
from app.domain.vnformat import format_date, format_int

YES, NO = "Có", "Không"


def display(info: FieldInfo, value: Any, *, with_code: bool = False) -> str:
    """``value`` of the field ``info`` as text ("" when empty). ``with_code`` adds the code after a
    ward's or unit's name: "Phường Hoàn Kiếm (00070)"."""
    if value is None or value == "":
        return ""
    kind = info.kind
    if kind is Kind.YES_NO:
        return YES if value else NO
    if kind is Kind.CHOICE:
        code = getattr(value, "value", value)
        label = info.choice_label(code)
        if label is None:
            return str(code)
        return f"{code} - {label}" if info.show_code else label
    if kind is Kind.DATE:
        if isinstance(value, str):
            try:
                value = date.fromisoformat(value)
            except ValueError:
                return value
        return format_date(value) if isinstance(value, date) else str(value)
    if kind in (Kind.COUNT, Kind.INTEGER) and isinstance(value, int):
        return format_int(value)
    if kind in (Kind.WARD, Kind.UNIT):
        name = units.unit_name(value)
        if name is None:
            return str(value)
        return f"{name} ({value})" if with_code else name
    return str(value)
