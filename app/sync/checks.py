"""Saying where in a bundle something is wrong: the record, its kind and the field, in Vietnamese."""

from __future__ import annotations

from typing import Any

from app.domain.records import RECORD_TYPES
from app.sync.errors import shown

ENTITY_NAMES = {table: cls.NOUN for table, cls in RECORD_TYPES.items()}
META_NAMES = ("mã thay đổi", "mã giao dịch", "dấu thời gian", "người nhập", "thời điểm nhập", "mã bản ghi")


def field_label(entity: str, name: str) -> str:
    cls = RECORD_TYPES.get(entity)
    label = cls.LABELS.get(name) if cls is not None else None
    return f"«{label}» ({shown(name, 40)})" if label else f"«{shown(name, 40)}»"


def record(entity: Any, record_id: Any) -> str:
    kind = ENTITY_NAMES.get(entity, shown(entity, 30)) if isinstance(entity, str) else "?"
    return f"bản ghi {shown(record_id, 40)} ({kind})"


def where(entity: Any, record_id: Any, name: str | None = None) -> str:
    """ "bản ghi 019a… (doanh nghiệp), trường «Mã số thuế» (tax_code)"."""
    text = record(entity, record_id)
    if name is not None:
        text += f", trường {field_label(entity, name) if isinstance(entity, str) else shown(name, 40)}"
    return text


def _get(value: Any, *keys: Any) -> Any:
    for k in keys:
        try:
            value = value[k]
        except (KeyError, IndexError, TypeError):
            return None
    return value


def locate(payload: Any, path: tuple[Any, ...]) -> str | None:
    """Where a path into a bundle payload points, said for a person (None if not in a record)."""
    if len(path) >= 5 and path[0] == "created" and path[2] == "rows":
        sec = _get(payload, "created", path[1])
        entity, row, k = _get(sec, "entity"), _get(sec, "rows", path[3]), path[4]
        rid = _get(row, 5)
        if not isinstance(k, int):
            return None
        if k < 5:
            return f"{record(entity, rid)}, phần «{META_NAMES[k]}» của thay đổi"
        if k == 5:
            return f"{record(entity, '?')}, phần «{META_NAMES[5]}»"
        column = _get(sec, "columns", k - 5)
        return where(entity, rid, column if isinstance(column, str) else "?")
    if len(path) >= 4 and path[0] == "created" and path[2] == "columns":
        return (
            f"tên cột trong phần tạo mới {ENTITY_NAMES.get(_get(payload, 'created', path[1], 'entity'), '?')}"
        )
    if len(path) >= 3 and path[0] == "changes":
        change = _get(payload, "changes", path[1])
        entity, rid, k = _get(change, 5), _get(change, 6), path[2]
        if isinstance(k, int) and k < 5:
            return f"{record(entity, rid)}, phần «{META_NAMES[k]}» của thay đổi"
        if k != 8 or len(path) == 3:
            part = {5: "loại bản ghi", 6: "mã bản ghi", 7: "thao tác"}.get(k, "?")
            return f"{record(entity if k != 5 else '?', rid if k != 6 else '?')}, phần «{part}» của thay đổi"
        if len(path) == 4:
            return f"{record(entity, rid)}, tên một trường"
        return where(entity, rid, str(path[3]))
    return None
