"""Value checks derived from the field declarations (``app.domain.fields``).

One set of rules for every way a value arrives: typed in a form (``app.domain.validation`` calls
``check_record``), read from an enterprise list (``app.importing`` goes through the same
validation), or received in a bundle (``app.sync`` calls ``check_row`` or ``column_problems`` on
stored values). Each problem names the field and says in Vietnamese what to fix.

What is checked: required values, the kind (text, whole number, date, coded value, yes/no), real
dates, coded values in their list, maximum lengths, bounds (counts 0 to 1.000.000, years, dates not
after today), tax codes, ward and unit codes, e-mail and phone shapes, and the declared "part not
above the whole" rules between counts. Rules that tie several fields together in other ways stay in
``app.domain.validation``.

Values may be given as records hold them (``date``, enum members, ``bool``) or as stored (ISO date
strings, codes, 0/1): the checks accept both.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from app.domain import taxcode, units
from app.domain.fields import FieldInfo, Kind
from app.domain.text import clean, clean_or_none
from app.domain.vnformat import format_date

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE_RE = re.compile(r"^[0-9+()./ -]{6,20}$")


@dataclass(frozen=True)
class Problem:
    field: str
    message: str

    def __str__(self) -> str:
        return self.message


def _lower_first(label: str) -> str:
    return label[:1].lower() + label[1:]


def missing_message(info: FieldInfo) -> str:
    if info.missing:
        return info.missing
    verb = "Chưa chọn" if info.kind in (Kind.CHOICE, Kind.REF, Kind.WARD, Kind.UNIT) else "Chưa nhập"
    return f"{verb} {_lower_first(info.label)}."


def _is_empty(value: Any) -> bool:
    return value is None or value == ""


def check_value(info: FieldInfo, value: Any, today: date | None = None) -> str | None:
    """The Vietnamese message for one value of a field, or None when it is acceptable."""
    if _is_empty(value):
        return missing_message(info) if info.required else None
    message = _check_present(info, value, today or date.today())
    if message is not None and info.invalid:
        return info.invalid
    return message


def _check_present(info: FieldInfo, value: Any, today: date) -> str | None:
    kind = info.kind
    label = info.label
    if kind.is_number:
        if isinstance(value, bool) or not isinstance(value, int):
            return f"{label} phải là số nguyên."
        return _check_bounds(info, value, today)
    if kind is Kind.DATE:
        return _check_date(info, value, today)
    if kind is Kind.YES_NO:
        if value not in (0, 1):  # True/False are 1/0
            return f"{label}: chỉ nhận có (1) hoặc không (0)."
        return None
    if not isinstance(value, str):
        return f"{label} phải là chữ."
    if info.max_length is not None and len(value) > info.max_length:
        return f"{label} quá dài (tối đa {info.max_length} ký tự)."
    if kind is Kind.CHOICE:
        if value not in info.codes:
            return f"{label}: mã «{value}» không có trong danh mục."
    elif kind is Kind.TAX_CODE:
        return taxcode.parse(value).error
    elif kind is Kind.WARD:
        if units.ward(value) is None:
            return f"Mã {_lower_first(label)} «{value}» không có trong danh mục."
    elif kind is Kind.UNIT:
        if units.unit_name(value) is None:
            return f"Mã {_lower_first(label)} «{value}» không có trong danh mục."
    elif kind is Kind.EMAIL:
        if not EMAIL_RE.match(value):
            return f"{label} không đúng dạng (ví dụ: ten@congty.vn)."
    elif kind is Kind.PHONE:
        if not PHONE_RE.match(value):
            return "Số điện thoại chỉ gồm chữ số (có thể có dấu cách, dấu chấm, +)."
    return None


def _check_bounds(info: FieldInfo, value: int, today: date) -> str | None:
    label = info.label
    low, high = info.minimum, info.maximum
    if info.not_future and info.kind is Kind.YEAR:
        high = today.year if high is None else min(high, today.year)
    if info.kind is Kind.COUNT:
        if isinstance(low, int) and value < low:
            if low == 0:
                return f"{label} không được là số âm (đã nhập {value})."
            return f"{label} phải là số nguyên từ {low} trở lên."
        if high is not None and value > high:
            return f"{label} quá lớn ({value}); hãy kiểm tra lại."
        return None
    if (isinstance(low, int) and value < low) or (high is not None and value > high):
        if isinstance(low, int) and high is not None:
            return f"{label} phải từ {low} đến {high}."
        if isinstance(low, int):
            return f"{label} phải từ {low} trở lên."
        return f"{label} không được lớn hơn {high}."
    return None


def _check_date(info: FieldInfo, value: Any, today: date) -> str | None:
    label = info.label
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value) if len(value) == 10 else None
        except ValueError:
            value = None
        if value is None:
            return f"{label} không phải là ngày có thật (cần dạng năm-tháng-ngày)."
    elif not isinstance(value, date):
        return f"{label} phải là một ngày."
    if info.not_future and value > today:
        return f"{label} không được sau ngày hôm nay ({format_date(today)})."
    low = info.minimum
    if isinstance(low, date) and value < low:
        if (low.month, low.day) == (1, 1):
            return f"{label} phải từ năm {low.year} trở đi."
        return f"{label} phải từ ngày {format_date(low)} trở đi."
    return None


def _not_above(fields: dict[str, FieldInfo], get: Any, info: FieldInfo) -> Iterable[Problem]:
    part = get(info.name)
    for whole_name in info.not_above:
        whole = get(whole_name)
        if _plain_int(part) and _plain_int(whole) and part >= 0 and whole >= 0 and part > whole:
            whole_label = _lower_first(fields[whole_name].label)
            yield Problem(info.name, f"{info.label} ({part}) không được lớn hơn {whole_label} ({whole}).")


def _plain_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_record(record: Any, today: date | None = None) -> list[Problem]:
    """Every problem of a record's values against its declarations, in field order."""
    today = today or date.today()
    values = record.__dict__
    return _check(type(record).FIELDS, values.get, today)


def check_row(fields: Sequence[FieldInfo], row: dict[str, Any], today: date | None = None) -> list[Problem]:
    """The same checks on a stored row (``{column: value}``: codes, ISO dates, 0/1).

    Columns the row does not have are not checked (a bundle's row names its columns; the SQL
    default fills the rest)."""
    today = today or date.today()
    present = [i for i in fields if i.name in row]
    return _check(present, row.get, today, all_fields=fields)


def _check(
    fields: Sequence[FieldInfo], get: Any, today: date, all_fields: Sequence[FieldInfo] | None = None
) -> list[Problem]:
    problems: list[Problem] = []
    by_name = {i.name: i for i in (all_fields if all_fields is not None else fields)}
    for info in fields:
        message = check_value(info, get(info.name), today)
        if message is not None:
            problems.append(Problem(info.name, message))
        elif info.not_above:
            problems.extend(_not_above(by_name, get, info))
    return problems


def column_problems(
    info: FieldInfo, values: Sequence[Any], today: date | None = None
) -> list[tuple[int, str]]:
    """(index, message) of each value of one column that fails its field's checks.

    Made for a bundle's columns (hundreds of thousands of values): the common case, where every value
    is acceptable, is decided with set operations and one pass; values are looked at one by one only
    when that pass finds something."""
    today = today or date.today()
    distinct = set(values)
    if _column_fine(info, distinct, values, today):
        return []
    out = []
    for i, v in enumerate(values):
        message = check_value(info, v, today)
        if message is not None:
            out.append((i, message))
    return out


def _column_fine(info: FieldInfo, distinct: set[Any], values: Sequence[Any], today: date) -> bool:
    if info.required and (None in distinct or "" in distinct):
        return False
    present = distinct - {None, ""}
    if not present:
        return True
    kind = info.kind
    if kind is Kind.CHOICE:
        return present <= info.codes
    if kind is Kind.YES_NO:
        return present <= {0, 1}
    if kind.is_text or kind is Kind.DATE:
        if not all(type(v) is str for v in present):
            return False
        if info.max_length is not None and max(map(len, present)) > info.max_length:
            return False
        if kind in (Kind.TEXT, Kind.LONG_TEXT, Kind.REF):
            return True
    if kind.is_number and not all(type(v) is int for v in present):
        return False
    # the rest (dates, bounds, codes of units, tax codes, shapes) on distinct values only
    return all(check_value(info, v, today) is None for v in present)


# --- normalisation ------------------------------------------------------------------------------


def normalise(record: Any) -> Any:
    """The record as it will be stored: text NFC, trimmed, spaces collapsed (empty optional text
    becomes None), e-mail in lower case, the tax code in its canonical form."""
    changes: dict[str, Any] = {}
    values = record.__dict__
    for info in type(record).FIELDS:
        kind = info.kind
        value = values[info.name]
        if not isinstance(value, str) or not (kind.is_text and kind is not Kind.REF):
            continue
        if kind is Kind.TAX_CODE:
            new: Any = taxcode.parse(value).value
        elif info.null:
            new = clean_or_none(value)
            if new is not None and kind is Kind.EMAIL:
                new = new.lower()
        else:
            new = clean(value)
        if new != value:
            changes[info.name] = new
    return dataclasses.replace(record, **changes) if changes else record
