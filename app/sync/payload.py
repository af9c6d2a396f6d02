"""Incoming changes as a bundle carries them: their shape, the checks every one passes (the payload
schema of docs/sync-bundle.md), and the report of a merge.

Shared by the general path (``app.sync.merge``) and the bulk path (``app.sync.bulk``); neither
reaches into the other's private names.
"""

from __future__ import annotations

import functools
import re
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from app.domain.records import RECORD_TYPES, record_type
from app.storage.changes import ChangeRecorder
from app.sync.errors import SyncError, shown

OPS = ("create", "update", "delete", "restore")
MAX_INT = 2**63 - 1
MAX_STRING = 20_000
MAX_ID = 64

# An incoming change: [change_id, txn, hlc, origin, author, wall_time, entity, record_id, op, fields]
I_ID, I_TXN, I_HLC, I_ORIGIN, I_AUTHOR, I_WALL, I_ENTITY, I_RECORD, I_OP, I_FIELDS = range(10)


def key_table(conn: sqlite3.Connection, keys: Iterable[str]) -> str:
    """Put keys (ids, tax codes) in a temporary table to join with: one join beats hundreds of
    ``IN (...)`` chunks at province scale. Returns the table's name (column ``id``); the next call
    replaces its content."""
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS sync_keys_tmp (id TEXT PRIMARY KEY) WITHOUT ROWID")
    conn.execute("DELETE FROM temp.sync_keys_tmp")
    conn.executemany("INSERT OR IGNORE INTO temp.sync_keys_tmp(id) VALUES (?)", ((k,) for k in keys))
    return "temp.sync_keys_tmp"


def bad(message: str) -> SyncError:
    return SyncError("bad_payload", f"Gói dữ liệu có thay đổi không hợp lệ: {message}")


def check_value(name: str, v: Any) -> None:
    t = type(v)
    if t is str:
        if len(v) > MAX_STRING:
            raise SyncError(
                "oversized_value",
                f"Gói dữ liệu có giá trị quá dài ở trường «{shown(name, 40)}» ({len(v)} ký tự; tối đa {MAX_STRING}).",
            )
    elif t is int:
        if not -MAX_INT <= v <= MAX_INT:
            raise bad(f"số ở trường «{shown(name, 40)}» vượt giới hạn.")
    elif v is not None:
        raise bad(
            f"giá trị ở trường «{shown(name, 40)}» không đúng kiểu (chỉ nhận chuỗi, số nguyên hoặc null)."
        )


def other_machine(hlc: str) -> SyncError:
    return SyncError(
        "bad_origin",
        f"Gói chứa thay đổi của máy khác ({hlc[22:38]}) mà máy gửi không ký: "
        "mỗi máy chỉ được gửi thay đổi của chính mình.",
    )


def validate_change(c: Any, origin: str) -> None:
    """Types and sizes of one incoming change (the payload schema); raises SyncError.

    Written for speed (it runs once per change of a province-sized bundle)."""
    if type(c) is not list or len(c) != 10:
        raise bad("một thay đổi không đúng cấu trúc (cần 10 phần).")
    _cid, _txn, hlc, corigin, _author, _wall, entity, _rid, op, fields = c
    for i, v in enumerate(c[:9]):
        if type(v) is not str or not v or len(v) > (200 if i == I_AUTHOR else MAX_ID + 30):
            raise bad(f"phần thứ {i + 1} của thay đổi không đúng kiểu hoặc quá dài.")
    if corigin != origin:
        raise SyncError(
            "bad_origin",
            f"Gói chứa thay đổi của máy khác ({shown(corigin, 16)}) mà máy gửi không ký: "
            "mỗi máy chỉ được gửi thay đổi của chính mình.",
        )
    if not (
        len(hlc) > 22
        and hlc[15] == "-"
        and hlc[21] == "-"
        and hlc[:15].isdigit()
        and hlc[16:21].isdigit()
        and hlc[:15].isascii()
        and hlc[16:21].isascii()
    ):
        raise bad(f"dấu thời gian «{shown(hlc, 40)}» không hợp lệ.")
    if hlc[22:] != origin:
        raise other_machine(hlc)
    if entity not in RECORD_TYPES:
        raise bad(f"loại bản ghi «{shown(entity, 40)}» không tồn tại.")
    cols = columns_of(entity)
    if type(fields) is not dict:
        raise bad("danh sách trường không đúng kiểu.")
    if op != "create" and op != "update":
        if op not in OPS:
            raise bad(f"thao tác «{shown(op, 20)}» không tồn tại.")
        expected = [0, 1] if op == "delete" else [1, 0]
        if fields != {"deleted": expected} or any(type(v) is not int for v in fields["deleted"]):
            raise bad("thao tác xóa/khôi phục không đúng cấu trúc.")
        return
    for name, pair in fields.items():
        if name not in cols and not is_newer_column(name):
            raise bad(f"trường «{shown(name, 40)}» không có trong {entity}.")
        if type(pair) is not list or len(pair) != 2:
            raise bad(f"trường «{shown(name, 40)}» cần đúng [giá trị cũ, giá trị mới].")
        a, b = pair
        ta, tb = type(a), type(b)
        if (ta is str and len(a) <= MAX_STRING) or a is None or (ta is int and -MAX_INT <= a <= MAX_INT):
            pass
        else:
            check_value(name, a)
        if (tb is str and len(b) <= MAX_STRING) or b is None or (tb is int and -MAX_INT <= b <= MAX_INT):
            pass
        else:
            check_value(name, b)


# A column this version does not know may come from a newer version (which declared a new field): it is
# kept, not applied (docs/sync-bundle.md, "Versions"). Its name must look like a column, and never like
# one of the columns every record table has for itself.
_COLUMN_NAME = re.compile(r"[a-z][a-z0-9_]{0,62}", re.ASCII)
RESERVED_COLUMNS = frozenset(
    {"id", "rid", "deleted", "created_hlc", "updated_hlc", "origin"}
    | {"create_change", "create_txn", "create_author", "create_wall", "create_via"}
)


def is_newer_column(name: Any) -> bool:
    """Whether ``name`` may be a column of a newer version (not one this version knows or reserves)."""
    return type(name) is str and _COLUMN_NAME.fullmatch(name) is not None and name not in RESERVED_COLUMNS


def columns_of(entity: str) -> frozenset[str]:
    """The columns a change of ``entity`` may name: the declared fields of its record type
    (``app.domain.records.record_type``), without ``id``."""
    return _declared_columns(record_type(entity))


@functools.cache
def _declared_columns(cls: type) -> frozenset[str]:
    return frozenset(c for c in cls.field_names() if c != "id")


@dataclass
class Incoming:
    change: list[Any]
    envelope: str  # hash of the envelope that carried it
    signer_unit: str  # upward: the signer's unit; downward: the receiving machine's unit
    down: bool = False  # from an office above (docs/sync-bundle.md, "Downward bundles")


# --- where a record lies (docs/sync-bundle.md, "Units inside units") -------------------------------------


def place_kind(entity: str) -> str:
    """How a record of ``entity`` is placed in a unit: "ward" (its ``ward_code``: an enterprise), "parent"
    (through its ``enterprise_id``: visits, organisations...), "unit" (its ``unit_code``: targets, office
    settings), or "" (nowhere: never sent across units)."""
    return _place_kind(record_type(entity))


@functools.cache
def _place_kind(cls: type) -> str:
    info = cls.INFO
    if "ward_code" in info and cls.TABLE == "enterprises":
        return "ward"
    if "enterprise_id" in info and info["enterprise_id"].ref == "enterprises":
        return "parent"
    if "unit_code" in info:
        return "unit"
    return ""


def children() -> tuple[str, ...]:
    """The record types that belong to an enterprise (through ``enterprise_id``)."""
    return tuple(e for e in RECORD_TYPES if place_kind(e) == "parent")


def applies_below(entity: str) -> bool:
    """Whether a record of ``entity`` applies to the machines below its unit (an office's settings: its
    ``unit_code`` is the office's, and every machine below lies inside it)."""
    return bool(getattr(record_type(entity), "APPLIES_BELOW", False))


def outside(unit: str, places: list[str | None], entity: str, *, down: bool) -> str | None:
    """The place that puts a record out of scope, or None. Upward (``down`` False) every place must lie
    inside the signer's ``unit``. Downward a record passes when one of its places lies inside the receiving
    machine's ``unit`` (an enterprise moved away is news to the ward it leaves); a record that applies below
    its unit passes when ``unit`` lies inside its place."""
    from app.domain import units

    known = [p for p in places if p is not None]
    if not down:
        return next((p for p in known if not units.contains(unit, str(p))), None)
    if not known:
        return None
    below = applies_below(entity)
    for p in known:
        if units.contains(unit, str(p)) or (below and units.contains(str(p), unit)):
            return None
    return str(known[-1])


def scope_error(record_id: str, entity: str, place: str, unit: str, *, down: bool) -> SyncError:
    from app.domain import units

    where_ = units.unit_name(place) or shown(place, 20)
    mine = units.unit_name(unit) or shown(unit, 20)
    if down:
        label = getattr(record_type(entity), "LABEL", "") or entity
        return SyncError(
            "out_of_scope",
            f"Gói từ cơ quan cấp trên có bản ghi ngoài đơn vị của máy này: {label.lower()} {shown(record_id, 40)} "
            f"thuộc {where_}, còn máy này thuộc {mine}. Không nhập gì cả; hãy báo cơ quan cấp trên.",
        )
    return SyncError(
        "out_of_scope",
        (
            f"Gói có thay đổi ngoài phạm vi của máy gửi: bản ghi {shown(record_id, 40)} thuộc "
            f"{where_}, còn máy gửi chỉ được sửa dữ liệu của {mine}. Không nhập gì cả."
        ),
    )


@dataclass
class MergeReport:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    conflicts: int = 0
    pending: int = 0
    linked: int = 0
    duplicates: int = 0
    applied: int = 0
    to_check: int = 0  # records merged with values the rules doubt (listed as "Cần kiểm tra")
    pending_ids: list[str] = field(default_factory=list)
    max_hlc: str | None = None
    # what the merge wrote, for the checks that follow it: records changed by the general path
    # ((entity, id) -> the envelope that carried the change) and rows inserted in bulk
    touched: dict[tuple[str, str], str] = field(default_factory=dict, repr=False)
    inserted: list[tuple[Any, list[list[Any]]]] = field(default_factory=list, repr=False)
    # what the merge created, changed and deleted (the Store is told, the desktop program refreshes from it)
    changes: ChangeRecorder = field(default_factory=ChangeRecorder, compare=False, repr=False)

    def checked(self) -> MergeReport:
        """Let go of what only the checks after the merge read (``inserted``, ``touched``): kept with an
        import's result, a province's worth of payload rows would stay in memory until the last bundle of a
        stick is merged, and Python's garbage collector would walk all of them again and again meanwhile
        (seconds each time, with the GIL held: the window froze)."""
        self.inserted = []
        self.touched = {}
        return self

    def add(self, other: MergeReport) -> None:
        for k in (
            "new",
            "updated",
            "unchanged",
            "conflicts",
            "pending",
            "linked",
            "duplicates",
            "applied",
            "to_check",
        ):
            setattr(self, k, getattr(self, k) + getattr(other, k))
        self.touched.update(other.touched)
        self.inserted.extend(other.inserted)
        if other.max_hlc and (self.max_hlc is None or other.max_hlc > self.max_hlc):
            self.max_hlc = other.max_hlc
        self.changes.add_summary(other.changes.summary())


# --- who writes what (docs/sync-bundle.md, "Records of the office") ------------------------------------


def check_upward(entity: str, record_id: str, signer: str, role: str, version: int) -> None:
    """Refuse an upward change that its signer may not send: a record type of a later payload version in a
    version-2 bundle, a record that only travels down, a record of the office from a collaborator's laptop,
    an office's settings changed by another machine than that office."""
    cls = record_type(entity)
    label = cls.NOUN or entity
    if version < 3 and entity not in ("enterprises", "visits", "organisations", "admissions", "targets"):
        raise bad(f"loại bản ghi «{shown(entity, 40)}» không có trong gói định dạng {version}.")
    if not cls.UPWARD:
        raise bad(f"{label} chỉ đi xuống từ cơ quan, không đi lên trong gói của máy dưới.")
    if cls.WRITERS == "offices" and role == "collaborator":
        raise SyncError(
            "office_only",
            f"Gói của máy cộng tác viên có thay đổi {label} (bản ghi {shown(record_id, 40)}): chỉ cơ quan mới "
            "được làm việc này. Không nhập gì cả; máy đó cần cập nhật KhaoSat.",
        )
    if cls.APPLIES_BELOW and "office" in cls.INFO:
        own = cls.id_for(signer)  # type: ignore[attr-defined]
        if record_id != own:
            raise SyncError(
                "office_only",
                f"Gói có thay đổi {label} của một cơ quan khác (bản ghi {shown(record_id, 40)}): mỗi cơ quan "
                "chỉ sửa thiết lập của chính mình. Không nhập gì cả.",
            )
