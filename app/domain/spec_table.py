"""The column table of docs/sync-bundle.md, generated from the field declarations.

For every column of every entity: its name, its Vietnamese label, its type on the wire, whether it is
required, its default, the allowed codes (with their labels) and its limits. The table sits between
two marker comments in section 5 of docs/sync-bundle.md; ``docs/make_spec_table.py`` rewrites it
there and ``tests/domain/test_spec_table.py`` fails when the document is stale:

    uv run python docs/make_spec_table.py
"""

from __future__ import annotations

from datetime import date

from app.domain.fields import FieldInfo, Kind
from app.domain.records import RECORD_TYPES, record_type

BEGIN = "<!-- columns:begin -->"
END = "<!-- columns:end -->"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _default(info: FieldInfo) -> str:
    value = info.stored_default
    if value is None:
        return ""
    return f"`{value}`" if isinstance(value, str) else str(value)


def _codes(info: FieldInfo) -> str:
    if info.kind is Kind.CHOICE:
        return "; ".join(f"`{code}` {label}" for code, label in info.choices)
    if info.kind is Kind.YES_NO:
        return "`1` có; `0` không"
    return ""


def _number(n: int) -> str:
    return f"{n:,}"


def _limits(info: FieldInfo) -> str:
    parts: list[str] = []
    kind = info.kind
    if kind.is_number:
        low, high = info.minimum, info.maximum
        top = (
            "the current year"
            if info.not_future and kind is Kind.YEAR and high is None
            else (_number(high) if high is not None else None)
        )
        if isinstance(low, int) and top is not None:
            parts.append(f"{_number(low)} to {top}")
        elif isinstance(low, int):
            parts.append(f"at least {_number(low)}")
        elif top is not None:
            parts.append(f"at most {top}")
    elif kind is Kind.DATE:
        span = "a real date"
        if isinstance(info.minimum, date):
            span += f", from {info.minimum.isoformat()}"
        if info.not_future:
            span += ", not after the day it is checked"
        parts.append(span)
    elif kind is Kind.TAX_CODE:
        parts.append("10 digits with a valid check digit, a branch `-001`…`-999`, or a 12-digit personal ID")
    elif kind is Kind.WARD:
        parts.append("a ward code of the GSO list")
    elif kind is Kind.UNIT:
        parts.append("a province or ward code of the GSO list")
    elif kind is Kind.EMAIL:
        parts.append("`name@domain.tld`")
    elif kind is Kind.PHONE:
        parts.append("digits, spaces, `+ ( ) . / -`, 6 to 20 characters")
    elif kind is Kind.REF:
        parts.append(f"the `id` of a record of `{info.ref}`")
    elif kind is Kind.MACHINE:
        parts.append("a machine's `laptop_id`: 16 lowercase hexadecimal digits")
    if info.max_length is not None and kind in (Kind.TEXT, Kind.LONG_TEXT, Kind.EMAIL):
        parts.append(f"at most {_number(info.max_length)} characters")
    for whole in info.not_above:
        parts.append(f"not above `{whole}`")
    return "; ".join(parts)


def render() -> str:
    """The table (Markdown), one sub-table per entity, in the order of ``RECORD_TYPES``."""
    out = [
        "Generated from the field declarations (`app/domain/records.py`) by `docs/make_spec_table.py`:",
        "do not edit by hand. *Required*: a record is not valid without a value (null or empty).",
        "*Default*: what a null (or a column left out of a creation) becomes. Coded values travel as their",
        "codes; the labels are what people see. *Required*, *allowed codes* and *limits* are the checks",
        "KhaoSat applies to a value (`app/domain/checks.py`); which of them an import enforces on a",
        "bundle is said in section 6.",
        "",
    ]
    for table in RECORD_TYPES:
        cls = record_type(table)
        out.append(f"#### `{table}` ({cls.TITLE or table})")
        out.append("")
        out.append("| column | label | type on the wire | required | default | allowed codes | limits |")
        out.append("|---|---|---|---|---|---|---|")
        out.append("| `id` | | string (UUID) | yes | | | at most 64 characters, the same everywhere |")
        for info in cls.FIELDS:
            row = [
                f"`{info.name}`",
                info.label,
                info.kind.wire,
                "yes" if info.required else "no",
                _default(info),
                _codes(info),
                _limits(info),
            ]
            out.append("| " + " | ".join(_cell(c) for c in row) + " |")
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def replace_between_markers(document: str, table: str) -> str:
    """``document`` with the text between the markers replaced by ``table``."""
    start = document.index(BEGIN) + len(BEGIN)
    end = document.index(END)
    if end < start:
        raise ValueError("the end marker comes before the begin marker")
    return document[:start] + "\n" + table + document[end:]
