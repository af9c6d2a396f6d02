"""What goes down to a machine below: the records of its unit it does not hold yet.

An office writes, for each machine registered with it (a collaborator's laptop, a lower office), the
changes it holds of the records inside that machine's unit (docs/sync-bundle.md, section 10), except:

- what the machine already has: every change that came up through it (in an envelope it signed or
  relayed), and every change of the downward bundles it holds (the *marks* of the bundle it last reported
  holding: how far this office's change log and envelopes had gone);
- what its work does not need: a collaborator's laptop gets the enterprises of its ward, their
  organisations and their quality levels, assignments, targets and the offices' settings, but the visits
  and admissions only of the enterprises assigned to it (and the records it made itself); of the others
  a summary, "last visited on ..., by ..." (``VisitSummary``), unless the office chose to send them in
  full (``down.others_visits``).

When a record enters the machine's scope after its marks (an enterprise assigned to it, an enterprise
moved into its ward, the office's choice widened), its whole history goes down with the next bundle.

An office also writes envelopes for the offices below the machines registered with it (a province for
the wards below a middle office), relayed intact by the office in between: those carry only what the
office made itself or received from above (everything else reaches them through the office in between).
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from app.domain import units
from app.domain.records import RECORD_TYPES, record_type
from app.storage import kept_creations
from app.storage.writer import record_columns
from app.sync.payload import key_table, place_kind

OTHERS_VISITS = "down.others_visits"  # the office's choice: "summary" (default) or "full"


@dataclass(frozen=True)
class Target:
    """A machine below, as this office registered it (or as a lower office vouched for it)."""

    laptop_id: str
    unit_code: str
    role: str
    full_visits: bool = False  # (collaborators) others' visits in full, not only their summary
    own_line: bool = False  # only what this office made or received from above (a relayed envelope)

    @property
    def collaborator(self) -> bool:
        return self.role == "collaborator"

    @property
    def scope(self) -> str:
        """What decides the content besides the marks; when it changes, everything goes again."""
        if self.collaborator:
            return f"{self.unit_code}:collaborator:{'full' if self.full_visits else 'summary'}"
        return f"{self.unit_code}:office{':own' if self.own_line else ''}"


@dataclass(frozen=True)
class Marks:
    """How far this office's change log and received envelopes went in the bundle a machine holds."""

    change_seq: int = 0
    envelope_id: int = 0
    relay_id: int = 0
    scope: str | None = None

    @property
    def first(self) -> bool:
        return self.change_seq == 0 and self.envelope_id == 0


@dataclass
class Selection:
    created: list[dict[str, Any]]  # sections {"entity", "origin", "columns", "rows"}
    changes: list[
        list[Any]
    ]  # [change_id, txn, hlc, origin, author, wall_time, entity, record_id, op, fields]
    max_change_seq: int
    max_envelope_id: int
    by_entity: dict[str, int] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return sum(self.by_entity.values())


def down_entities(target: Target) -> list[str]:
    """The record types that go down to ``target`` (a summary of visits only to collaborators)."""
    out = []
    for entity, cls in RECORD_TYPES.items():
        if not place_kind(entity):
            continue
        if not cls.UPWARD and not target.collaborator:
            continue
        out.append(entity)
    return out


def _through(conn: sqlite3.Connection, machine: str) -> tuple[set[int], set[str]]:
    """The envelopes (ids, hashes) that came up through ``machine``: signed or relayed by it."""
    eids, hashes = set(), set()
    for eid, h in conn.execute(
        "SELECT eid, hash FROM sync_envelopes WHERE direction = 'up' AND (signer = ? OR EXISTS "
        "(SELECT 1 FROM json_each(sync_envelopes.relayed_by) WHERE value = ?))",
        (machine, machine),
    ):
        eids.add(eid)
        hashes.add(h)
    return eids, hashes


def _from_above(conn: sqlite3.Connection) -> tuple[set[int], set[str]]:
    eids, hashes = set(), set()
    for eid, h in conn.execute("SELECT eid, hash FROM sync_envelopes WHERE direction = 'down'"):
        eids.add(eid)
        hashes.add(h)
    return eids, hashes


def _has_column(conn: sqlite3.Connection, table: str, column: str) -> bool:
    return any(r[1] == column for r in conn.execute(f"PRAGMA table_info({table})"))


class _Places:
    """Where the records of the candidate changes lie, read once per table."""

    def __init__(self, conn: sqlite3.Connection, target: Target, me: str):
        self.conn = conn
        self.target = target
        self.wards = frozenset(units.ward_codes(target.unit_code))
        self.enterprises: dict[str, str] = dict(
            conn.execute(
                f"SELECT e.id, e.ward_code FROM {key_table(conn, self.wards)} w "
                "JOIN enterprises e ON e.ward_code = w.id"
            )
        )
        self.assigned: set[str] = set()
        if target.collaborator:
            self.assigned = {
                r[0]
                for r in conn.execute(
                    "SELECT enterprise_id FROM assignments WHERE assignee = ? AND deleted = 0",
                    (target.laptop_id,),
                )
            }
        self.parent: dict[tuple[str, str], str] = {}
        self.origin: dict[tuple[str, str], str] = {}
        self.unit: dict[tuple[str, str], str] = {}
        self.office: dict[tuple[str, str], str] = {}
        self.above = {me} | {r[0] for r in conn.execute("SELECT id FROM offices")}
        self.held_before: set[str] = set()  # enterprises moved away that the target had before its marks

    def moved_away(self, ids: set[str], marks: Marks) -> None:
        """Note which of the enterprises moved out of the unit the target may hold (created before its
        marks): only those get the move; the others never reached it."""
        if marks.first or not ids:
            return
        table = key_table(self.conn, ids)
        self.held_before = {
            r[0]
            for r in self.conn.execute(
                f"SELECT x.id FROM {table} x WHERE EXISTS (SELECT 1 FROM changes c WHERE c.entity = 'enterprises' "
                "AND c.record_id = x.id AND c.seq <= ?) OR EXISTS (SELECT 1 FROM enterprises e WHERE e.id = x.id "
                "AND e.create_change IS NOT NULL AND coalesce(e.create_via, 0) <= ?)",
                (marks.change_seq, marks.envelope_id),
            )
        }

    def load(self, keys: Iterable[tuple[str, str]]) -> None:
        by_entity: dict[str, list[str]] = defaultdict(list)
        for entity, rid in keys:
            if (entity, rid) not in self.parent and (entity, rid) not in self.unit:
                by_entity[entity].append(rid)
        for entity, ids in by_entity.items():
            kind = place_kind(entity)
            if kind == "parent":
                for rid, parent, origin in self.conn.execute(
                    f"SELECT t.id, t.enterprise_id, t.origin FROM {key_table(self.conn, ids)} x "
                    f"JOIN {entity} t ON t.id = x.id"
                ):
                    self.parent[(entity, rid)] = parent
                    self.origin[(entity, rid)] = origin
            elif kind == "unit":
                office = "office" if "office" in record_type(entity).INFO else "NULL"
                for rid, unit, owner in self.conn.execute(
                    f"SELECT t.id, t.unit_code, {office} FROM {key_table(self.conn, ids)} x "
                    f"JOIN {entity} t ON t.id = x.id"
                ):
                    self.unit[(entity, rid)] = unit
                    if owner is not None:
                        self.office[(entity, rid)] = owner

    def wanted(self, entity: str, rid: str, fields: dict[str, Any] | None) -> bool:
        """Whether a change of this record goes to the target (``fields``: the change's, to see a move)."""
        kind = place_kind(entity)
        target = self.target
        if kind == "ward":
            if rid in self.enterprises:
                return True
            moved = (fields or {}).get("ward_code")  # moved away: news to a machine that holds it
            return bool(moved) and moved[0] in self.wards and rid in self.held_before
        if kind == "parent":
            parent = self.parent.get((entity, rid))
            if parent is None and fields and "enterprise_id" in fields:
                parent = fields["enterprise_id"][1]
            if parent not in self.enterprises:
                return False
            cls = record_type(entity)
            if target.collaborator and cls.TO_COLLABORATORS == "assigned" and not target.full_visits:
                return parent in self.assigned or self.origin.get((entity, rid)) == target.laptop_id
            return True
        if kind == "unit":
            unit = self.unit.get((entity, rid))
            if unit is None and fields and "unit_code" in fields:
                unit = fields["unit_code"][1]
            if unit is None:
                return False
            if record_type(
                entity
            ).APPLIES_BELOW:  # an office's settings: its own, or those of an office above
                owner = self.office.get((entity, rid))
                if owner is None and fields and "office" in fields:
                    owner = fields["office"][1]
                return owner in self.above and units.contains(unit, target.unit_code)
            return units.contains(target.unit_code, unit)
        return False


def select(conn: sqlite3.Connection, me: str, target: Target, marks: Marks) -> Selection:
    """The changes ``target`` lacks (module docstring). Read-only."""
    if marks.scope is not None and marks.scope != target.scope:
        marks = Marks()  # the office's choice changed: everything again (what is there is skipped)
    entities = down_entities(target)
    wanted_entities = set(entities)
    skip_eids, skip_hashes = _through(conn, target.laptop_id)
    above_eids, above_hashes = _from_above(conn) if target.own_line else (set(), set())
    places = _Places(conn, target, me)
    # the highest change number given so far, logged or kept on its record (an own creation kept there
    # leaves no row in ``changes``: app/storage/kept_creations.py)
    max_seq = max(
        conn.execute("SELECT coalesce(max(seq), 0) FROM changes").fetchone()[0], kept_creations.last_seq(conn)
    )
    max_eid = conn.execute("SELECT coalesce(max(eid), 0) FROM sync_envelopes").fetchone()[0]

    def skipped(
        origin: str, via_hash: str | None = None, via_eid: int | None = None, kept: bool = False
    ) -> bool:
        if origin == target.laptop_id:
            return True
        if kept:
            if via_eid is not None and via_eid in skip_eids:
                return True
            return target.own_line and via_eid is not None and via_eid not in above_eids
        if via_hash is not None and via_hash in skip_hashes:
            return True
        return target.own_line and via_hash is not None and via_hash not in above_hashes

    # 1. the change log after the marks
    logged: list[tuple] = []
    placeholders = ", ".join(f"'{e}'" for e in entities)
    for row in conn.execute(
        "SELECT seq, change_id, txn, hlc, origin, author, wall_time, entity, record_id, op, fields, received_via "
        f"FROM changes WHERE seq > ? AND entity IN ({placeholders}) ORDER BY seq",
        (marks.change_seq,),
    ):
        if not skipped(row[4], row[11]):
            logged.append(row)
    # 2. creations kept on their records, received after the marks (or this office's own, kept by number)
    kept: list[tuple[str, dict[str, Any]]] = []
    for entity in entities:
        cond = "create_via > ?"
        params: list[Any] = [marks.envelope_id]
        if _has_column(conn, entity, "create_seq"):
            cond += " OR (create_via IS NULL AND create_seq > ?)"
            params.append(marks.change_seq)
        elif marks.first:
            cond += " OR create_via IS NULL"
        cur = conn.execute(f"SELECT * FROM {entity} WHERE create_change IS NOT NULL AND ({cond})", params)
        cols = [d[0] for d in cur.description]
        for r in cur.fetchall():
            row = dict(zip(cols, r))
            if not skipped(row["origin"], via_eid=row["create_via"], kept=True):
                kept.append((entity, row))
    # 3. records that entered the target's scope after its marks: their whole history
    backfill: set[tuple[str, str]] = set()
    if not marks.first:
        places.load((r[7], r[8]) for r in logged if r[7] == "assignments")
        moved_in: set[str] = set()
        newly_assigned: set[str] = set()
        for r in logged:
            if r[7] == "enterprises":
                moved = json.loads(r[10]).get("ward_code")
                if moved and moved[1] in places.wards and moved[0] not in places.wards:
                    moved_in.add(r[8])
            elif r[7] == "assignments" and target.collaborator:
                pair = json.loads(r[10]).get("assignee")
                parent = places.parent.get(("assignments", r[8]))
                if pair and pair[1] == target.laptop_id and parent in places.assigned:
                    newly_assigned.add(parent)
        for entity, row in kept:
            if entity == "assignments" and row.get("assignee") == target.laptop_id and target.collaborator:
                newly_assigned.add(row["enterprise_id"])
        if moved_in or newly_assigned:
            backfill = _records_of(conn, moved_in, newly_assigned, entities)
    if backfill:
        have = {r[1] for r in logged} | {row["create_change"] for _e, row in kept}
        by_entity: dict[str, list[str]] = defaultdict(list)
        for entity, rid in backfill:
            by_entity[entity].append(rid)
        for entity, ids in by_entity.items():
            for row in conn.execute(
                "SELECT c.seq, c.change_id, c.txn, c.hlc, c.origin, c.author, c.wall_time, c.entity, c.record_id, "
                f"c.op, c.fields, c.received_via FROM {key_table(conn, ids)} x JOIN changes c "
                "ON c.entity = ? AND c.record_id = x.id ORDER BY c.seq",
                (entity,),
            ):
                if row[1] not in have and not skipped(row[4], row[11]):
                    logged.append(row)
                    have.add(row[1])
            cur = conn.execute(
                f"SELECT t.* FROM {key_table(conn, ids)} x JOIN {entity} t ON t.id = x.id "
                "WHERE t.create_change IS NOT NULL"
            )
            cols = [d[0] for d in cur.description]
            for r in cur.fetchall():
                row = dict(zip(cols, r))
                if row["create_change"] not in have and not skipped(
                    row["origin"], via_eid=row["create_via"], kept=True
                ):
                    kept.append((entity, row))
                    have.add(row["create_change"])
        logged.sort(key=lambda r: r[0])
    # 4. in the target's scope?
    places.moved_away(
        {
            r[8]
            for r in logged
            if r[7] == "enterprises" and r[8] not in places.enterprises and "ward_code" in r[10]
        },
        marks,
    )
    places.load(
        [(r[7], r[8]) for r in logged if place_kind(r[7]) in ("parent", "unit")]
        + [(e, row["id"]) for e, row in kept if place_kind(e) in ("parent", "unit")]
    )
    sections: dict[tuple[str, str], list[list[Any]]] = {}
    changes: list[list[Any]] = []
    by_entity_n: dict[str, int] = defaultdict(int)
    loads = json.loads
    for _seq, cid, txn, hlc, origin, author, wall, entity, rid, op, fields_text, _via in logged:
        fields = loads(fields_text)
        if entity not in wanted_entities or not places.wanted(entity, rid, fields):
            continue
        by_entity_n[entity] += 1
        if op == "create":
            none = (None, None)
            sections.setdefault((entity, origin), []).append(
                [
                    cid,
                    txn,
                    hlc,
                    author,
                    wall,
                    rid,
                    *[fields.get(c, none)[1] for c in record_columns(entity)[1:]],
                ]
            )
        else:
            changes.append([cid, txn, hlc, origin, author, wall, entity, rid, op, fields])
    for entity, row in kept:
        if not places.wanted(entity, row["id"], None):
            continue
        by_entity_n[entity] += 1
        sections.setdefault((entity, row["origin"]), []).append(
            [
                row["create_change"],
                row["create_txn"],
                row["created_hlc"],
                row["create_author"],
                row["create_wall"],
                *[row[c] for c in record_columns(entity)],
            ]
        )
    order = {e: i for i, e in enumerate(RECORD_TYPES)}
    created = [
        {"entity": entity, "origin": origin, "columns": record_columns(entity), "rows": rows}
        for (entity, origin), rows in sorted(sections.items(), key=lambda kv: (order[kv[0][0]], kv[0][1]))
    ]
    return Selection(created, changes, max_seq, max_eid, dict(by_entity_n))


def _records_of(
    conn: sqlite3.Connection, moved_in: set[str], assigned: set[str], entities: list[str]
) -> set[tuple[str, str]]:
    """The records whose history goes down again: enterprises moved into the unit with everything of
    theirs, and the records of the enterprises newly assigned to the target."""
    out: set[tuple[str, str]] = {("enterprises", e) for e in moved_in}
    both = moved_in | assigned
    if not both:
        return out
    for entity in entities:
        if place_kind(entity) != "parent":
            continue
        which = both if record_type(entity).TO_COLLABORATORS == "assigned" else moved_in
        if not which:
            continue
        out.update(
            (entity, r[0])
            for r in conn.execute(
                f"SELECT t.id FROM {key_table(conn, which)} x JOIN {entity} t ON t.enterprise_id = x.id"
            )
        )
    return out
