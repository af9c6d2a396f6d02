"""Value checks derived from the field declarations (``app.domain.fields``).

One set of rules for every way a value arrives: typed in a form (``app.domain.validation`` calls
``check_record``), read from an enterprise list (``app.importing`` goes through the same
validation), or received in a bundle (``app.sync`` calls ``check_row`` or ``column_problems`` on
stored values). Each problem names the field and says in Vietnamese what to fix.

What is checked: required values, the kind (text, whole number, date, coded value, yes/no), real
dates (as stored: ``YYYY-MM-DD`` only), coded values in their list, maximum lengths, text that is text
(``app.domain.text.text_problem``), bounds (counts 0 to 1.000.000, years, dates not after today), tax
codes (as stored: in their canonical form), ward and unit codes, e-mail and phone shapes, and the declared "part not
above the whole" rules between counts. Rules that tie several fields together in other ways stay in
``app.domain.validation``.

Values may be given as records hold them (``date``, enum members, ``bool``) or as stored (ISO date
strings, codes, 0/1): the checks accept both.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from app.domain import taxcode, units
from app.domain.fields import FieldInfo, Kind
from app.domain.text import NOT_TEXT_RE, clean, clean_or_none, shown, text_problem
from app.domain.vnformat import format_date

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+\Z")  # (\Z: "$" would also take a line break at the end)
PHONE_RE = re.compile(r"^[0-9+()./ -]{6,20}\Z")
MACHINE_RE = re.compile(r"^[0-9a-f]{16}\Z")
ISO_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)


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
    if kind in _NUMBERS:
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
    # characters that are not text (a lone surrogate, NUL, a direction override), then the length:
    # the one rule of app.domain.text, for every door
    problem = text_problem(value, label, info.max_length)
    if problem is not None:
        return problem
    if kind is Kind.CHOICE:
        if value not in info.codes:
            return f"{label}: mã «{shown(value)}» không có trong danh mục."
    elif kind is Kind.TAX_CODE:
        parsed = taxcode.parse(value)
        if parsed.ok and parsed.value != value:  # a form stores the canonical form; a stored value must be it
            return f"Mã số thuế «{shown(value)}» không viết ở dạng chuẩn «{parsed.value}»."
        return parsed.error
    elif kind is Kind.WARD:
        if units.ward(value) is None:
            return f"Mã {_lower_first(label)} «{shown(value)}» không có trong danh mục."
    elif kind is Kind.UNIT:
        if units.unit_name(value) is None:
            return f"Mã {_lower_first(label)} «{shown(value)}» không có trong danh mục."
    elif kind is Kind.EMAIL:
        if not EMAIL_RE.match(value):
            return f"{label} không đúng dạng (ví dụ: ten@congty.vn)."
    elif kind is Kind.PHONE:
        if not PHONE_RE.match(value):
            return "Số điện thoại chỉ gồm chữ số (có thể có dấu cách, dấu chấm, +)."
    elif kind is Kind.MACHINE:
        if not MACHINE_RE.match(value):
            return f"{label}: mã máy phải gồm 16 chữ số hệ mười sáu (0-9, a-f), không phải «{value}»."
    return None


_NUMBERS = frozenset({Kind.INTEGER, Kind.COUNT, Kind.YEAR})


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
        # a stored date is written YYYY-MM-DD and nothing else: date.fromisoformat also reads ISO week
        # dates ("2026-W09-5"), compact forms and other digits, which no door may store
        if ISO_DATE_RE.fullmatch(value) is None:
            return f"{label} «{shown(value)}» không viết dạng năm-tháng-ngày (ví dụ 2026-02-27)."
        try:
            value = date.fromisoformat(value)
        except ValueError:
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


def check_record(record: Any, today: date | None = None) -> list[Problem]:
    """Every problem of a record's values against its declarations, in field order."""
    return _run(_plan(type(record)), record.__dict__, today or date.today())


def check_row(fields: Sequence[FieldInfo], row: dict[str, Any], today: date | None = None) -> list[Problem]:
    """The same checks on a stored row (``{column: value}``: codes, ISO dates, 0/1).

    Columns the row does not have are not checked (a bundle's row names its columns; the SQL
    default fills the rest)."""
    plan = tuple(step for step in _make_plan(tuple(fields)) if step[0] in row)
    return _run(plan, row, today or date.today())


# A plan is, per field: (name, info, ok, wholes). ``ok(value, today)`` is a quick test that is True
# only for values that pass every check of the field (the common case, decided in a few operations);
# anything else goes through ``check_value``, which finds the message. ``wholes`` are the (name,
# label) of the counts the field must not exceed.
_Step = tuple[str, FieldInfo, Any, tuple[tuple[str, str], ...]]


def _run(plan: tuple[_Step, ...], values: dict[str, Any], today: date) -> list[Problem]:
    problems: list[Problem] = []
    get = values.get
    for name, info, ok, wholes in plan:
        value = get(name)
        if not ok(value, today):
            message = check_value(info, value, today)
            if message is not None:
                problems.append(Problem(name, message))
                continue
        if wholes and type(value) is int and value >= 0:
            for whole_name, whole_label in wholes:
                whole = get(whole_name)
                if type(whole) is int and 0 <= whole < value:
                    problems.append(
                        Problem(name, f"{info.label} ({value}) không được lớn hơn {whole_label} ({whole}).")
                    )
    return problems


@functools.cache
def _plan(cls: type) -> tuple[_Step, ...]:
    return _make_plan(cls.FIELDS)


def _make_plan(fields: tuple[FieldInfo, ...]) -> tuple[_Step, ...]:
    labels = {i.name: _lower_first(i.label) for i in fields}
    return tuple((i.name, i, _quick(i), tuple((w, labels.get(w, w)) for w in i.not_above)) for i in fields)


def _never(value: Any, today: date) -> bool:
    return False


def _quick(info: FieldInfo) -> Any:
    """A quick test passed only by acceptable values (see ``_Step``)."""
    kind = info.kind
    empty_ok = not info.required
    not_text = NOT_TEXT_RE.search
    if kind in (Kind.TEXT, Kind.LONG_TEXT, Kind.REF):
        n = info.max_length or 0

        def ok_text(v: Any, today: date) -> bool:
            if v is None or v == "":
                return empty_ok
            return type(v) is str and (not n or len(v) <= n) and not_text(v) is None

        return ok_text
    if kind is Kind.COUNT or kind is Kind.INTEGER:
        low = info.minimum if isinstance(info.minimum, int) else -(2**63)
        high = info.maximum if info.maximum is not None else 2**63

        def ok_number(v: Any, today: date) -> bool:
            if v is None:
                return empty_ok
            return type(v) is int and low <= v <= high

        return ok_number
    if kind is Kind.YES_NO:
        return lambda v, today: v is False or v is True or v == 0 or v == 1
    if kind is Kind.CHOICE:
        codes = info.codes

        def ok_choice(v: Any, today: date) -> bool:
            if v is None or v == "":
                return empty_ok
            return v in codes

        return ok_choice
    if kind is Kind.DATE:
        low_date = info.minimum if isinstance(info.minimum, date) else None
        future = info.not_future

        def ok_date(v: Any, today: date) -> bool:
            if v is None:
                return empty_ok
            return type(v) is date and (not future or v <= today) and (low_date is None or v >= low_date)

        return ok_date
    if kind is Kind.YEAR:
        low_year = info.minimum if isinstance(info.minimum, int) else -(2**63)
        high_year = info.maximum if info.maximum is not None else 2**63
        this_year = info.not_future

        def ok_year(v: Any, today: date) -> bool:
            if v is None:
                return empty_ok
            return type(v) is int and low_year <= v <= (
                min(high_year, today.year) if this_year else high_year
            )

        return ok_year
    if kind is Kind.WARD or kind is Kind.UNIT:
        find = units.ward if kind is Kind.WARD else units.unit

        def ok_unit(v: Any, today: date) -> bool:
            if v is None or v == "":
                return empty_ok
            return type(v) is str and find(v) is not None

        return ok_unit
    if kind is Kind.EMAIL or kind is Kind.PHONE or kind is Kind.MACHINE:
        shape = EMAIL_RE if kind is Kind.EMAIL else PHONE_RE if kind is Kind.PHONE else MACHINE_RE
        longest = info.max_length or 2**31

        def ok_shape(v: Any, today: date) -> bool:
            if v is None or v == "":
                return empty_ok
            return type(v) is str and len(v) <= longest and shape.match(v) is not None and not_text(v) is None

        return ok_shape
    return _never  # tax codes: the full check (parse)


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
        if any(NOT_TEXT_RE.search(v) for v in present):  # a lone surrogate, NUL, a direction override
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
