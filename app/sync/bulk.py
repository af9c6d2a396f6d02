"""New records in bulk: the fast path of a merge (docs/sync-bundle.md, sections 5 and 7).

A bundle carries its creations as columns and rows (``created`` sections). A record that is new to
this office and whose creation is the only change this import brings for it has nothing to be merged
with: it is inserted with one ``executemany`` per section and keeps its creation on the record
(``app/storage/kept_creations.py``) instead of in a change-log row. Every other creation (a record already
here, one that also has an edit in this import, a child whose enterprise has not arrived) takes the
general path (``app.sync.merge.Merger``), which reaches the same state.

Checks are the general path's, done a column at a time: value kinds (string, integer, null), string
lengths, identifiers and clock stamps, required columns (the NOT NULL constraints), scope (a ward's
machine only creates records of its ward). They run inside the import's transaction: a refusal rolls
everything back.
"""

from __future__ import annotations

import operator
import re
import sqlite3
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

from app.storage import search, work_facts
from app.storage.driver import dbapi
from app.storage.kept_creations import COLUMNS as KEPT_COLUMNS
from app.sync import same_tax_code
from app.sync.errors import SyncError, shown
from app.sync.payload import (
    MAX_ID,
    MAX_STRING,
    Incoming,
    MergeReport,
    bad,
    check_value,
    columns_of,
    is_newer_column,
    key_table,
    other_machine,
    outside,
    place_kind,
    scope_error,
    validate_change,
)

NoneType = type(None)
META = 5  # change_id, txn, hlc, author, wall_time; then the values, "id" first
META_LIMITS = (MAX_ID + 30, MAX_ID + 30, MAX_ID + 30, 200, MAX_ID + 30, MAX_ID)


@dataclass
class CreateSection:
    entity: str
    columns: list[str]
    rows: list[list[Any]]
    envelope: str  # hash of the envelope that carried it
    eid: int | None  # that envelope's sync_envelopes row (None: not kept, e.g. a released quarantine)
    origin: str  # the machine that made them (upward: the signer, whose own changes they all are)
    signer_unit: str  # upward: the signer's unit; downward: the receiving machine's unit
    checked: bool = False  # value kinds and sizes checked already (``check_values``)
    down: bool = False  # from an office above (the scope rule of downward bundles)


def check_shape(entity: str, columns: Any, rows: Any) -> None:
    """The structure of a section (before anything else is looked at)."""
    if type(columns) is not list or not columns or columns[0] != "id":
        raise bad(f"phần tạo mới {entity}: danh sách cột phải bắt đầu bằng «id».")
    cols = columns_of(entity)
    if len(set(columns)) != len(columns) or not all(
        type(c) is str and (c in cols or is_newer_column(c)) for c in columns[1:]
    ):
        raise bad(f"phần tạo mới {entity}: có cột không tồn tại hoặc bị lặp.")
    if type(rows) is not list:
        raise bad(f"phần tạo mới {entity}: các dòng không phải danh sách.")
    n = META + len(columns)
    if not all(type(r) is list and len(r) == n for r in rows):
        raise bad(f"phần tạo mới {entity}: mỗi dòng cần đúng {n} phần.")


def check_values(sec: CreateSection) -> tuple[list[tuple[Any, ...]], dict[int, set[type]]]:
    """Kinds and sizes of every value, one column at a time (raises SyncError). Returns the section's
    rows turned into columns and the kinds of values found in each (the domain rules look at them next)."""
    if not sec.rows:
        return [], {}
    columns = list(zip(*sec.rows))
    found: dict[int, set[type]] = {}
    for i, col in enumerate(columns[: META + 1]):  # identifiers, stamps, author, the record id
        if set(map(type, col)) != {str} or "" in col or max(map(len, col)) > META_LIMITS[i]:
            raise bad(
                f"phần tạo mới {sec.entity}: phần thứ {i + 1} của một dòng không đúng kiểu, rỗng hoặc quá dài."
            )
    for j, (name, col) in enumerate(zip(sec.columns[1:], columns[META + 1 :]), start=META + 1):
        kinds = found[j] = set(map(type, col))
        if kinds <= _TEXT:
            if max(map(len, filter(None, col)), default=0) > MAX_STRING:
                for v in col:
                    check_value(name, v)
        elif not kinds <= _NUMBER:  # integers out of range are refused when bound
            for v in col:
                check_value(name, v)  # names the wrong kind or the oversized string
    # stamps: 15 digits, "-", 5 digits, "-", then the signer's laptop id (checked all at once)
    stamps = columns[2]
    origin = sec.origin
    if set(map(operator.itemgetter(slice(22, None)), stamps)) != {origin} or not _HLC_PREFIXES.fullmatch(
        "".join(map(operator.itemgetter(slice(0, 22)), stamps))
    ):
        for h in stamps:
            if not _HLC.fullmatch(h):
                raise bad(f"phần tạo mới {sec.entity}: dấu thời gian «{shown(h, 40)}» không hợp lệ.")
            if h[22:] != origin:
                raise other_machine(h)
    return columns, found


_TEXT = {str, NoneType}
_NUMBER = {int, NoneType}
_HLC_PREFIXES = re.compile(r"(?:[0-9]{15}-[0-9]{5}-)+", re.ASCII)
_HLC = re.compile(r"[0-9]{15}-[0-9]{5}-.+", re.ASCII | re.DOTALL)


def to_incoming(sec: CreateSection, row: list[Any]) -> Incoming:
    """A creation for the general path, in the change-log form (checked there like any change)."""
    c = [
        row[0],
        row[1],
        row[2],
        sec.origin,
        row[3],
        row[4],
        sec.entity,
        row[5],
        "create",
        {col: [None, v] for col, v in zip(sec.columns[1:], row[META + 1 :]) if v is not None},
    ]
    validate_change(c, sec.origin)
    return Incoming(c, sec.envelope, sec.signer_unit, sec.down)


def split(
    sections: Iterable[CreateSection], general: set[tuple[str, str]], waiting: Collection[str] = frozenset()
) -> tuple[list[CreateSection], list[Incoming]]:
    """Creations of records that also get other changes here go the general way; the rest in bulk.

    A record created twice in this import (the same creation relayed by two paths, or two machines
    that made the same id) goes the general way after its first creation, and so does a creation
    already waiting for its parent (``waiting``: change ids in sync_pending)."""
    bulk, rest = [], []
    seen: dict[str, set[str]] = {}  # entity -> record ids created so far in this import
    entities_elsewhere = {e for e, _ in general}
    for sec in sections:
        if not sec.checked:
            check_values(sec)
        ids = list(map(operator.itemgetter(5), sec.rows))
        unique = set(ids)
        done = seen.setdefault(sec.entity, set())
        if (
            sec.entity not in entities_elsewhere
            and not waiting
            and len(unique) == len(ids)
            and done.isdisjoint(unique)
        ):  # the usual case: all in bulk
            if done:
                done |= unique
            else:
                seen[sec.entity] = unique
            bulk.append(sec)
            continue
        keep = []
        for r in sec.rows:
            if (sec.entity, r[5]) in general or r[5] in done or r[0] in waiting:
                rest.append(to_incoming(sec, r))
            else:
                done.add(r[5])
                keep.append(r)
        if keep:
            bulk.append(
                CreateSection(
                    sec.entity,
                    sec.columns,
                    keep,
                    sec.envelope,
                    sec.eid,
                    sec.origin,
                    sec.signer_unit,
                    True,
                    sec.down,
                )
            )
    return bulk, rest


def _out_of_scope(sec: CreateSection, record_id: str, place: str) -> SyncError:
    return scope_error(record_id, sec.entity, place, sec.signer_unit, down=sec.down)


def _inside(sec: CreateSection, place: Any) -> bool:
    return outside(sec.signer_unit, [place], sec.entity, down=sec.down) is None


def _check_places(sec: CreateSection, column: str) -> None:
    if column not in sec.columns:
        return  # a required column: the insert refuses the rows without it
    i = META + sec.columns.index(column)
    for place in {r[i] for r in sec.rows}:
        if place is not None and not _inside(sec, str(place)):
            row = next(r for r in sec.rows if r[i] == place)
            raise _out_of_scope(sec, row[5], str(place))


def _existing(conn: sqlite3.Connection, table: str, ids: list[str], column: str = "id") -> dict[str, Any]:
    """{id: column} of the given ids present in ``table``."""
    out: dict[str, Any] = {}
    if len(ids) > 500:
        out.update(
            conn.execute(
                f"SELECT t.id, t.{column} FROM {key_table(conn, ids)} x JOIN {table} t ON t.id = x.id"
            )
        )
    elif ids:
        out.update(
            conn.execute(f"SELECT id, {column} FROM {table} WHERE id IN ({','.join('?' * len(ids))})", ids)
        )
    return out


def _literal(value: str | int | None) -> str:
    if value is None:
        return "NULL"
    if type(value) is int:
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def _insert_sql(conn: sqlite3.Connection, sec: CreateSection) -> str:
    """INSERT taking a section's rows as they are (numbered parameters: no tuple built per row)."""
    defaults = {
        name: dflt for _cid, name, _type, _nn, dflt, _pk in conn.execute(f"PRAGMA table_info({sec.entity})")
    }
    values = [
        f"coalesce(?{META + 1 + i}, {defaults[c]})" if defaults.get(c) is not None else f"?{META + 1 + i}"
        for i, c in enumerate(sec.columns)
    ]
    cols = [*sec.columns, "deleted", "created_hlc", "updated_hlc", "origin", *KEPT_COLUMNS]
    values += ["0", "?3", "?3", _literal(sec.origin), "?1", "?2", "?4", "?5", _literal(sec.eid)]
    return (
        f"INSERT INTO {sec.entity} ({', '.join(cols)}) VALUES ({', '.join(values)}) "
        "ON CONFLICT(id) DO NOTHING"
    )


def _execute(conn: sqlite3.Connection, sec: CreateSection, rows: list[list[Any]]) -> int:
    try:
        return conn.executemany(_insert_sql(conn, sec), rows).rowcount
    except dbapi.IntegrityError as exc:
        m = re.search(r"NOT NULL constraint failed: \w+\.(\w+)", str(exc))
        what = f"thiếu trường bắt buộc {m.group(1)}" if m else f"vi phạm ràng buộc dữ liệu ({exc})"
        raise bad(f"một bản ghi mới trong {sec.entity} {what}.") from exc
    except (OverflowError, dbapi.ProgrammingError, dbapi.InterfaceError) as exc:
        raise bad(f"một giá trị trong {sec.entity} không đúng kiểu hoặc vượt giới hạn.") from exc


def insert(
    conn: sqlite3.Connection, sec: CreateSection, report: MergeReport, wards: dict[str, str], now: str
) -> list[Incoming]:
    """Insert a section's new records. Returns the creations left for the general path (records that
    exist already, children whose enterprise is not here yet). ``wards``: enterprise id -> ward of the
    enterprises inserted in this import (children are scope-checked against them). The section's values
    have been checked (``split``)."""
    entity, rows = sec.entity, sec.rows
    left: list[Incoming] = []
    kind = place_kind(entity)
    if kind == "ward":
        _check_places(sec, "ward_code")
    elif kind == "unit":
        _check_places(sec, "unit_code")
    elif kind != "parent":
        return [to_incoming(sec, r) for r in rows]  # (a record placed nowhere: the general path decides)
    else:
        if "enterprise_id" not in sec.columns:
            return [to_incoming(sec, r) for r in rows]  # the general path names what is missing
        pi = META + sec.columns.index("enterprise_id")
        parents = set(map(operator.itemgetter(pi), rows))
        ward_of = {p: wards[p] for p in parents if p in wards}
        ward_of.update(
            _existing(
                conn, "enterprises", [p for p in parents if p not in ward_of and type(p) is str], "ward_code"
            )
        )
        if len(ward_of) == len(parents):  # every enterprise is here: check each ward once
            for p, ward in ward_of.items():
                if not _inside(sec, ward):
                    raise _out_of_scope(sec, next(r[5] for r in rows if r[pi] == p), ward)
            parents = set()
        keep = [] if parents else rows
        checked: set[str] = set()
        for r in rows if parents else ():
            ward = ward_of.get(r[pi])
            if ward is None:
                left.append(to_incoming(sec, r))  # waits for its enterprise (general path: sync_pending)
                continue
            if ward not in checked:
                if not _inside(sec, ward):
                    raise _out_of_scope(sec, r[5], ward)
                checked.add(ward)
            keep.append(r)
        rows = keep
    if not rows:
        return left
    before = (
        conn.execute("SELECT coalesce(max(rid), 0) FROM enterprises").fetchone()[0]
        if entity == "enterprises"
        else 0
    )
    conn.execute("SAVEPOINT bulk_insert")
    inserted = _execute(conn, sec, rows)
    if inserted != len(rows):  # some exist already: insert only the others, merge those the general way
        conn.execute("ROLLBACK TO bulk_insert")
        there = _existing(conn, entity, [r[5] for r in rows])
        left += [to_incoming(sec, r) for r in rows if r[5] in there]
        rows = [r for r in rows if r[5] not in there]
        inserted = _execute(conn, sec, rows) if rows else 0
    conn.execute("RELEASE bulk_insert")
    if entity in work_facts.CHILDREN:
        work_facts.recount(conn, map(operator.itemgetter(META + sec.columns.index("enterprise_id")), rows))
    report.inserted.append((sec, rows))
    report.changes.add(entity, "create", map(operator.itemgetter(5), rows))
    report.new += inserted
    report.applied += inserted
    top = max(map(operator.itemgetter(2), rows), default="")
    if top and (report.max_hlc is None or top > report.max_hlc):
        report.max_hlc = top
    if entity == "enterprises":
        wi = META + sec.columns.index("ward_code")
        wards.update(zip(map(operator.itemgetter(5), rows), map(operator.itemgetter(wi), rows)))
        _index(conn, before)
        ci = META + sec.columns.index("tax_code")
        same_tax_code.recompute(conn, set(map(operator.itemgetter(ci), rows)), now, report, before)
    return left


def _index(conn: sqlite3.Connection, after_rid: int) -> None:
    """Search-index entries of the enterprises inserted after ``after_rid`` (folded in one go)."""
    rows = conn.execute(
        "SELECT rid, name, short_name, tax_code, address, owner_name FROM enterprises "
        "WHERE rid > ? AND deleted = 0",
        (after_rid,),
    ).fetchall()
    search.index_many(conn, rows)
