"""What the offices above this machine set: settings and targets, with where they came from.

An office sets values for every machine below it in its ``OfficeSettings`` record (founding minimums,
report style, rounding, workforce groups) and sets targets (``Target`` records) for the units below it;
both travel down in downward bundles (docs/sync-bundle.md, section 10). Here a machine reads, for each
setting and each target, the value it uses and who set it:

- the value set by the highest office above this machine (province over middle over ward office: its
  level, ``app.domain.offices.LEVEL``), which this machine can no longer change ("do Đảng ủy phường
  Hoàn Kiếm giao");
- else this machine's own (an office's own ``OfficeSettings``; a target it typed);
- else the local setting (table ``settings``) or the default.

The offices above are those of the chain (table ``offices``: the destinations and the offices above them
that downward bundles named), with their role, named by their unit and role (``app.domain.offices.title``)
or else by the name their machine registered with; the machine that set a target is the one whose change last
set its value.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from app.domain.offices import LEVEL, title
from app.domain.records import OfficeSettings
from app.domain.vocab import OrgKind

LEVELS = {r.value: n for r, n in LEVEL.items()}

# OfficeSettings field -> how the same choice is kept locally (table ``settings``)
FOUNDING_FIELDS = {
    OrgKind.PARTY: "min_party",
    OrgKind.UNION: "min_union",
    OrgKind.YOUTH: "min_youth",
    OrgKind.WOMEN: "min_women",
    OrgKind.VETERANS: "min_veterans",
}


@dataclass(frozen=True)
class Source:
    """Who set a value: an office above (``above`` True: this machine cannot change it), this machine, or
    nobody (the local setting or the default)."""

    machine: str | None
    name: str  # "Đảng ủy phường Hoàn Kiếm"
    above: bool
    level: int

    @property
    def phrase(self) -> str:
        """ "do Đảng ủy phường Hoàn Kiếm giao" (empty for a value of this machine)."""
        return f"do {self.name} giao" if self.above else ""


LOCAL = Source(None, "máy này", False, 0)


@dataclass(frozen=True)
class Chain:
    """This machine and the offices above it: machine id -> (name, level)."""

    me: str
    my_level: int
    offices: dict[str, tuple[str, int]]

    def source(self, machine: str | None) -> Source | None:
        if machine is None:
            return None
        if machine == self.me:
            return Source(machine, "máy này", False, self.my_level)
        found = self.offices.get(machine)
        if found is None:
            return None
        return Source(machine, found[0], True, found[1])


def chain(conn: sqlite3.Connection) -> Chain:
    meta = dict(conn.execute("SELECT key, value FROM meta WHERE key IN ('laptop_id', 'role')").fetchall())
    me = meta.get("laptop_id") or ""
    my_level = LEVELS.get(meta.get("role") or "", 0)
    names = {
        r[0]: r[1] for r in conn.execute("SELECT laptop_id, name FROM sync_peers ORDER BY registered_at")
    }
    offices = {}
    for oid, name, role, unit_code in conn.execute("SELECT id, name, role, unit_code FROM offices"):
        level = LEVELS.get(role, 0)
        if level <= my_level:
            continue  # (an office of the local chain configuration at this machine's level is not above it)
        if oid not in names:  # an office of the local chain configuration: the name a person typed
            offices[oid] = (name, level)
            continue
        # a registered machine: the office by its unit and role ("Đảng ủy phường Hoàn Kiếm"); else the name
        # the machine registered with (a person's, often), else the name kept in the chain
        offices[oid] = (title(role, unit_code) or names[oid] or name, level)
    return Chain(me, my_level, offices)


# --- settings ----------------------------------------------------------------------------------------------


def settings_records(conn: sqlite3.Connection, c: Chain) -> list[tuple[Source, dict[str, Any]]]:
    """The ``OfficeSettings`` records that apply here (this machine's own and those of the offices above),
    highest office first."""
    cur = conn.execute("SELECT * FROM office_settings WHERE deleted = 0")
    cols = [d[0] for d in cur.description]
    out = []
    for r in cur.fetchall():
        row = dict(zip(cols, r))
        src = c.source(row["office"])
        if src is not None:
            out.append((src, row))
    out.sort(key=lambda item: (-item[0].level, not item[0].above))
    return out


def setting(conn: sqlite3.Connection, field: str, c: Chain | None = None) -> tuple[Any, Source | None]:
    """The value of an ``OfficeSettings`` field that applies here, and who set it (None, None: not set)."""
    c = c or chain(conn)
    for src, row in settings_records(conn, c):
        if row.get(field) is not None:
            return row[field], src
    return None, None


def all_settings(conn: sqlite3.Connection) -> dict[str, tuple[Any, Source | None]]:
    """Every ``OfficeSettings`` field: (value that applies, who set it); (None, None) when not set."""
    c = chain(conn)
    records = settings_records(conn, c)
    out: dict[str, tuple[Any, Source | None]] = {}
    for info in OfficeSettings.FIELDS:
        if info.name in ("office", "unit_code"):
            continue
        out[info.name] = next(
            ((row[info.name], src) for src, row in records if row[info.name] is not None), (None, None)
        )
    return out


def locked(conn: sqlite3.Connection, field: str) -> Source | None:
    """Who above this machine set this field (this machine cannot change it), or None."""
    _value, src = setting(conn, field)
    return src if src is not None and src.above else None


# --- targets -------------------------------------------------------------------------------------------------


def target_setters(conn: sqlite3.Connection, ids: list[str]) -> dict[str, str]:
    """For each target, the machine whose change last set its value (its creation, kept on the record, or
    a change in the log)."""
    out: dict[str, tuple[str, str]] = {}
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    for rid, origin, hlc in conn.execute(
        f"SELECT id, origin, created_hlc FROM targets WHERE id IN ({marks})", ids
    ):
        out[rid] = (hlc, origin)
    for rid, origin, hlc, fields in conn.execute(
        f"SELECT record_id, origin, hlc, fields FROM changes WHERE entity = 'targets' AND record_id IN ({marks})",
        ids,
    ):
        if "value" in json.loads(fields) and (rid not in out or hlc >= out[rid][0]):
            out[rid] = (hlc, origin)
    return {rid: origin for rid, (_hlc, origin) in out.items()}


@dataclass(frozen=True)
class EffectiveTarget:
    id: str
    value: int
    source: Source


def targets(conn: sqlite3.Connection, unit_code: str, year: int) -> dict[tuple[str, str], EffectiveTarget]:
    """(kind, metric) -> the target that applies to ``unit_code`` in ``year``: the one set by the highest
    office above this machine, else this machine's own, else the newest typed elsewhere below."""
    return targets_of_units(conn, [unit_code], year).get(unit_code, {})


def targets_of_units(
    conn: sqlite3.Connection, unit_codes: list[str], year: int
) -> dict[str, dict[tuple[str, str], EffectiveTarget]]:
    """``targets`` for several units at once: unit -> (kind, metric) -> target."""
    if not unit_codes:
        return {}
    marks = ",".join("?" * len(unit_codes))
    rows = conn.execute(
        f"SELECT id, unit_code, kind, metric, value, updated_hlc FROM targets WHERE year = ? AND deleted = 0 "
        f"AND unit_code IN ({marks})",
        (year, *unit_codes),
    ).fetchall()
    c = chain(conn)
    setters = target_setters(conn, [r[0] for r in rows])
    best: dict[tuple[str, str, str], tuple[tuple[int, int, str], EffectiveTarget]] = {}
    for rid, unit, kind, metric, value, hlc in rows:
        src = c.source(setters.get(rid)) or Source(setters.get(rid), "máy khác", False, -1)
        rank = (src.level if src.above else (0 if src.machine == c.me else -1), int(src.above), hlc)
        key = (unit, kind, metric)
        if key not in best or rank > best[key][0]:
            best[key] = (rank, EffectiveTarget(rid, value, src))
    out: dict[str, dict[tuple[str, str], EffectiveTarget]] = {}
    for (unit, kind, metric), (_rank, t) in best.items():
        out.setdefault(unit, {})[(kind, metric)] = t
    return out
