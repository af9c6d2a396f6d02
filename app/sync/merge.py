"""Applying remote changes field by field, without ever losing a value.

Rules (docs/sync-bundle.md, "Merge"):

- A change already known (by ``change_id``) is skipped: merging is idempotent.
- Each field is a last-writer-wins register ordered by (hlc, change_id): a change is applied to a
  field if it is newer than the last change applied to that field. Since a writer's clock has
  observed everything it saw, a change whose old value matches what we hold is always newer.
- Conflicts are recomputed from a record's whole change log after each merge (``_recompute_conflicts``),
  so every office shows the same queue whatever the order of arrival: the last two changes of a field
  conflict when they come from different machines, set different values, and the last one's old value
  is not the previous one's new value. The newer is the provisional winner; both values are kept.
- Deletion is the field ``deleted``; an edit the deleting machine had not seen, on a record left
  deleted, is an ``edit_delete`` conflict, and the edit's data is kept on the (tombstoned) record.
- A child (visit, organisation, admission) whose enterprise is unknown, or an update of a record not
  yet created, waits in ``sync_pending`` and is applied when the parent arrives.
- Enterprises created with a tax code already used by another enterprise are recorded in
  ``sync_duplicates`` for a person to merge (``app.sync.same_tax_code``).
- Every incoming change is written to ``changes`` with its own change_id, hlc, origin and author
  (``received_via`` = the hash of the envelope that carried it), and the search index is kept in step.
"""

from __future__ import annotations

import json
import operator
import sqlite3
from typing import Any

from app.domain.records import RECORD_TYPES
from app.storage import kept_creations, list_facts, search, work_facts
from app.storage.writer import record_columns
from app.sync import bulk, same_tax_code
from app.sync.errors import SyncError, shown
from app.sync.payload import (
    I_ENTITY,
    I_FIELDS,
    I_HLC,
    I_ID,
    I_OP,
    I_ORIGIN,
    I_RECORD,
    Incoming,
    MergeReport,
    bad,
    children,
    key_table,
    outside,
    place_kind,
    scope_error,
)

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode


_TABLE_INFO: dict[str, tuple[set[str], dict[str, Any]]] = {}


def _table_info(conn: sqlite3.Connection, table: str) -> tuple[set[str], dict[str, Any]]:
    """(required columns, SQL defaults) of a record table."""
    if table not in _TABLE_INFO:
        required, defaults = set(), {}
        for _cid, name, _type, notnull, dflt, _pk in conn.execute(f"PRAGMA table_info({table})"):
            if name in ("rid", "id", "deleted", "created_hlc", "updated_hlc", "origin"):
                continue
            if dflt is not None:
                defaults[name] = json.loads(dflt.replace("'", '"')) if dflt[0] in "'0123456789-" else None
            elif notnull:
                required.add(name)
        _TABLE_INFO[table] = (required, defaults)
    return _TABLE_INFO[table]


class Merger:
    """One merge inside the caller's transaction. ``check_scope`` then ``apply``."""

    def __init__(self, conn: sqlite3.Connection, now: str):
        self.conn = conn
        self.now = now
        self.rows: dict[tuple[str, str], dict[str, Any] | None] = {}
        self.state: dict[tuple[str, str], str] = {}  # 'new' | 'dirty' | 'clean'
        self.applied: dict[tuple[str, str], list[tuple[str, str, dict, str]]] = {}  # hlc, id, fields, origin
        self.fclocks: dict[tuple[str, str], dict[str, tuple[str, str, Any]]] = {}
        self.pending: set[str] = set()  # record ids waiting in this merge
        self.orig_codes: dict[str, str] = {}  # tax codes of enterprises as loaded
        self._office_ids: set[str] | None = None
        self.change_rows: list[tuple] = []
        self.pending_rows: list[tuple] = []

    # --- loading --------------------------------------------------------------------------------

    def _ids(self, ids: list[str]) -> str:
        return key_table(self.conn, ids)

    def _load(self, entity: str, ids: set[str]) -> None:
        missing = [i for i in ids if (entity, i) not in self.rows]
        if not missing:
            return
        if len(missing) > 500:
            cur = self.conn.execute(f"SELECT t.* FROM {self._ids(missing)} x JOIN {entity} t ON t.id = x.id")
        else:
            cur = self.conn.execute(
                f"SELECT * FROM {entity} WHERE id IN ({','.join('?' * len(missing))})", missing
            )
        cols = [d[0] for d in cur.description]
        rows, state = self.rows, self.state
        for r in cur.fetchall():
            row = dict(zip(cols, r))
            rows[(entity, row["id"])] = row
            if entity == "enterprises":
                self.orig_codes[row["id"]] = row["tax_code"]
            state[(entity, row["id"])] = "clean"
        for i in missing:
            rows.setdefault((entity, i), None)

    def known_change_ids(self, ids: list[str]) -> set[str]:
        if not ids:
            return set()
        table = self._ids(ids)
        known = {
            r[0]
            for r in self.conn.execute(
                f"SELECT c.change_id FROM {table} x JOIN changes c ON c.change_id = x.id"
            )
        }
        known.update(
            r[0]
            for r in self.conn.execute(
                f"SELECT p.change_id FROM {table} x JOIN sync_pending p ON p.change_id = x.id"
            )
        )
        return known

    def prepare(self, incoming: list[Incoming]) -> list[Incoming]:
        """Drop known and repeated changes, load every row they touch, sort by (hlc, change_id)."""
        seen: set[str] = set()
        fresh = []
        for inc in incoming:
            cid = inc.change[I_ID]
            if cid in seen:
                continue
            seen.add(cid)
            fresh.append(inc)
        known = self.known_change_ids([i.change[I_ID] for i in fresh])
        self.skipped = len(incoming) - len(fresh) + len(known)
        fresh = [i for i in fresh if i.change[I_ID] not in known]
        fresh.sort(key=lambda i: (i.change[I_HLC], i.change[I_ID]))
        by_entity: dict[str, set[str]] = {}
        parents: set[str] = set()
        kids = children()
        for inc in fresh:
            c = inc.change
            by_entity.setdefault(c[I_ENTITY], set()).add(c[I_RECORD])
            if c[I_ENTITY] in kids:
                ent = c[I_FIELDS].get("enterprise_id")
                if ent and isinstance(ent[1], str):
                    parents.add(ent[1])
        for entity, ids in by_entity.items():
            self._load(entity, ids)
        # a creation kept on its record (app/storage/kept_creations.py) is a change like the others: known if it
        # is this one, and written to the change log before anything else changes the record
        kept = []
        for inc in fresh:
            row = self.rows.get((inc.change[I_ENTITY], inc.change[I_RECORD]))
            if row is not None and row.get("create_change") == inc.change[I_ID]:
                self.skipped += 1
            else:
                kept.append(inc)
        fresh = kept
        for key in {(i.change[I_ENTITY], i.change[I_RECORD]) for i in fresh}:
            row = self.rows.get(key)
            if row is not None and row.get("create_change"):
                kept_creations.materialize(self.conn, *key)
                for col in kept_creations.ALL_COLUMNS:
                    row[col] = None
        for (entity, _), row in list(self.rows.items()):
            if entity in kids and row is not None:
                parents.add(row["enterprise_id"])
        self._load("enterprises", parents)
        return fresh

    # --- scope ------------------------------------------------------------------------------------

    def _ward_in_import(self, enterprise_id: str, created: dict[str, str]) -> str | None:
        row = self.rows.get(("enterprises", enterprise_id))
        if row is not None:
            return row["ward_code"]
        return created.get(enterprise_id)

    def check_scope(self, fresh: list[Incoming]) -> None:
        """Refuse (before anything is written) a change outside the signer's unit (upward), or a record
        outside the receiving machine's unit (downward: ``payload.outside``)."""
        created: dict[str, str] = {}  # enterprise id -> ward, created in this import
        for inc in fresh:
            c = inc.change
            if c[I_ENTITY] == "enterprises" and c[I_OP] == "create" and "ward_code" in c[I_FIELDS]:
                created[c[I_RECORD]] = c[I_FIELDS]["ward_code"][1]
        for inc in fresh:
            c = inc.change
            entity, fields = c[I_ENTITY], c[I_FIELDS]
            places: list[str | None] = []
            kind = place_kind(entity)
            if kind == "ward":
                places.append(self._ward_in_import(c[I_RECORD], created))
                if "ward_code" in fields:
                    places.append(fields["ward_code"][1])
            elif kind == "unit":
                row = self.rows.get((entity, c[I_RECORD]))
                if row is not None:
                    places.append(row["unit_code"])
                if "unit_code" in fields:
                    places.append(fields["unit_code"][1])
            elif kind == "parent":
                row = self.rows.get((entity, c[I_RECORD]))
                parent = row["enterprise_id"] if row is not None else None
                if "enterprise_id" in fields:
                    parent = fields["enterprise_id"][1]
                if parent:
                    places.append(self._ward_in_import(parent, created))
            place = outside(inc.signer_unit, places, entity, down=inc.down)
            if place is not None:
                raise scope_error(c[I_RECORD], entity, place, inc.signer_unit, down=inc.down)

    # --- applying ----------------------------------------------------------------------------------

    def _fclock(self, key: tuple[str, str]) -> dict[str, tuple[str, str, Any]]:
        fc = self.fclocks.get(key)
        if fc is None:
            fc = {}
            if self.state.get(key) != "new":
                for cid, hlc, fields in self.conn.execute(
                    "SELECT change_id, hlc, fields FROM changes WHERE entity = ? AND record_id = ? ORDER BY hlc, change_id",
                    key,
                ):
                    for f, (old, _new) in json.loads(fields).items():
                        fc[f] = (hlc, cid, old)
            for hlc, cid, fields, _origin in self.applied.get(key, []):
                for f, (old, _new) in fields.items():
                    if f not in fc or (hlc, cid) > fc[f][:2]:
                        fc[f] = (hlc, cid, old)
            self.fclocks[key] = fc
        return fc

    def _exists(self, entity: str, rid: str) -> bool:
        if (entity, rid) not in self.rows:
            self._load(entity, {rid})
        return self.rows[(entity, rid)] is not None

    def _defer(self, inc: Incoming, parent: str, report: MergeReport) -> None:
        c = inc.change
        self.pending.add(c[I_RECORD])
        self.pending_rows.append(
            (
                c[I_ID],
                parent,
                ("down:" if inc.down else "") + inc.signer_unit,
                inc.envelope,
                _dumps(c),
                self.now,
            )
        )
        report.pending += 1
        report.pending_ids.append(c[I_ID])

    def apply(self, fresh: list[Incoming], report: MergeReport) -> None:
        rows, state, applied, fclocks, pending = (
            self.rows,
            self.state,
            self.applied,
            self.fclocks,
            self.pending,
        )
        change_rows = self.change_rows
        touched = report.touched
        templates: dict[str, tuple[dict[str, Any], set[str]]] = {}
        new = applied_n = 0
        max_hlc = report.max_hlc or ""
        kids = children()
        for inc in fresh:
            c = inc.change
            cid, txn, hlc, origin, author, wall, entity, rid, op, fields = c
            key = (entity, rid)
            row = rows.get(key)
            if row is None:
                if op != "create" or rid in pending:
                    self._defer(inc, rid, report)
                    continue
                if entity in kids:
                    parent = fields.get("enterprise_id", (None, None))[1]
                    if parent is None or not self._exists("enterprises", parent):
                        self._defer(inc, parent or rid, report)
                        continue
                tpl = templates.get(entity)
                if tpl is None:
                    required, defaults = _table_info(self.conn, entity)
                    blank = dict.fromkeys(record_columns(entity))
                    blank.update(defaults)
                    tpl = templates[entity] = (blank, required)
                row = tpl[0].copy()
                for f, pair in fields.items():
                    row[f] = pair[1]
                for col in tpl[1]:
                    if row[col] is None:
                        missing = sorted(x for x in tpl[1] if row[x] is None)
                        raise bad(f"bản ghi mới {shown(rid, 40)} thiếu trường bắt buộc {', '.join(missing)}.")
                row["id"] = rid
                row["deleted"] = 0
                row["created_hlc"] = row["updated_hlc"] = hlc
                row["origin"] = origin
                rows[key] = row
                state[key] = "new"
                new += 1
            else:
                self._merge_fields(inc, key, row, report)
            touched[key] = inc.envelope
            lst = applied.get(key)
            if lst is None:
                applied[key] = [(hlc, cid, fields, origin)]
            else:
                lst.append((hlc, cid, fields, origin))
            fc = fclocks.get(key)
            if fc is not None:
                for f, (old, _new) in fields.items():
                    if f not in fc or (hlc, cid) > fc[f][:2]:
                        fc[f] = (hlc, cid, old)
            change_rows.append(
                (cid, txn, hlc, origin, author, wall, entity, rid, op, _dumps(fields), inc.envelope)
            )
            applied_n += 1
            if hlc > max_hlc:
                max_hlc = hlc
        report.new += new
        report.applied += applied_n
        report.max_hlc = max_hlc or None

    def _merge_fields(
        self, inc: Incoming, key: tuple[str, str], row: dict[str, Any], report: MergeReport
    ) -> None:
        """Last writer wins per field, by (hlc, change_id). Conflicts are found afterwards (``_recompute``)."""
        c = inc.change
        hlc, cid, op, fields = c[I_HLC], c[I_ID], c[I_OP], c[I_FIELDS]
        fast = hlc > row["updated_hlc"]  # newer than anything applied to this record: newer than every field
        changed = False
        if op == "create" and hlc < row["created_hlc"]:
            # the same record created in two places: the earliest creation is the record's creation everywhere
            row["created_hlc"], row["origin"] = hlc, c[I_ORIGIN]
            changed = True
        for f, (_old, new) in fields.items():
            if row[f] == new:
                continue
            if not fast:
                last = self._fclock(key).get(f)
                if last is not None and (hlc, cid) < last[:2]:
                    continue  # an older value: kept in the change log, not on the record
            row[f] = new
            changed = True
        if fast:
            row["updated_hlc"] = hlc
        if (changed or fast) and self.state[key] == "clean":
            self.state[key] = "dirty"
            report.updated += 1

    # --- conflicts --------------------------------------------------------------------------------

    def _offices(self) -> set[str]:
        """The machines this one knows as offices (registered with an office role, in the office chain,
        or itself when it is one); any other machine that made a change is a collaborator's laptop."""
        if self._office_ids is None:
            rows = self.conn.execute(
                "SELECT laptop_id FROM sync_peers WHERE role != 'collaborator' UNION SELECT id FROM offices "
                "UNION SELECT (SELECT value FROM meta WHERE key = 'laptop_id') FROM meta "
                "WHERE key = 'role' AND value != 'collaborator'"
            ).fetchall()
            self._office_ids = {r[0] for r in rows if r[0]}
        return self._office_ids

    def _recompute_conflicts(self, keys: list[tuple[str, str]], report: MergeReport) -> None:
        """Open conflicts of a record, as a function of its whole change log (so the same on every office).

        For each field, take its last two changes P and L in (hlc, change_id) order: they conflict when
        they come from different machines, set different values, and L's old value is not P's new
        value (L was made without seeing P). A later change made after seeing the winner closes it.
        An edit (create/update) from another machine that the deleting machine may not have seen when it
        deleted is an edit-delete conflict on a record left deleted: an edit newer than the delete (its
        clock had observed every stamp it merged), or, when a collaborator's laptop deleted (a machine no
        office knows as an office: ``_offices``), any edit from elsewhere (a laptop receives others'
        changes only in the office's downward bundles, whose arrival the change log does not record; so
        the rule stays a function of the changes and of which machines are offices, the same everywhere).
        """
        conn = self.conn
        for key in keys:
            per_field: dict[str, list[tuple]] = {}
            edits = []
            for cid, hlc, origin, op, fields in conn.execute(
                "SELECT change_id, hlc, origin, op, fields FROM changes WHERE entity = ? AND record_id = ? "
                "ORDER BY hlc, change_id",
                key,
            ):
                for f, (old, new) in json.loads(fields).items():
                    per_field.setdefault(f, []).append((hlc, cid, origin, old, new))
                if op in ("create", "update"):
                    edits.append((hlc, cid, origin))
            found = []
            for f, lst in per_field.items():
                if f == "deleted" or len(lst) < 2:
                    continue
                p, last = lst[-2], lst[-1]
                if p[2] != last[2] and last[4] != p[4] and last[3] != p[4]:
                    found.append(("field", f, (p[1], p[4], p[0]), (last[1], last[4], last[0]), last[1]))
            dl = per_field.get("deleted")
            if dl and dl[-1][4] == 1:
                d = dl[-1]
                # an edit from elsewhere that is newer than the delete, or any edit from elsewhere when a
                # collaborator's laptop deleted
                blind = d[2] not in self._offices()
                later = [e for e in edits if e[2] != d[2] and (blind or (e[0], e[1]) > (d[0], d[1]))]
                if later:
                    e = later[-1]
                    found.append(("edit_delete", "deleted", (e[1], 0, e[0]), (d[1], 1, d[0]), d[1]))
            # the open conflicts found again keep their row (and id: the conflicts page may be showing it);
            # those no longer found are closed by deleting them
            before = {
                (f, ca, cb): cid
                for cid, f, ca, cb in conn.execute(
                    "SELECT id, field, change_a, change_b FROM sync_conflicts WHERE entity = ? AND record_id = ? "
                    "AND resolved_at IS NULL",
                    key,
                )
            }
            for kind, f, a, b, winner in found:
                (ca, va, ha), (cb, vb, hb) = sorted([a, b])
                if before.pop((f, ca, cb), None) is not None:
                    continue
                cur = conn.execute(
                    "INSERT OR IGNORE INTO sync_conflicts(entity, record_id, field, kind, change_a, value_a, hlc_a, "
                    "change_b, value_b, hlc_b, winner, found_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (key[0], key[1], f, kind, ca, _dumps(va), ha, cb, _dumps(vb), hb, winner, self.now),
                )
                if cur.rowcount:
                    report.conflicts += 1
            conn.executemany("DELETE FROM sync_conflicts WHERE id = ?", [(cid,) for cid in before.values()])

    # --- writing ----------------------------------------------------------------------------------

    def write(self, report: MergeReport) -> None:
        conn = self.conn
        by_table_new: dict[str, list[dict]] = {}
        by_table_dirty: dict[str, list[dict]] = {}
        for key, state in self.state.items():
            if state == "new":
                by_table_new.setdefault(key[0], []).append(self.rows[key])  # type: ignore[arg-type]
            elif state == "dirty":
                by_table_dirty.setdefault(key[0], []).append(self.rows[key])  # type: ignore[arg-type]
        for table, rows in by_table_new.items():
            cols = [*record_columns(table), "deleted", "created_hlc", "updated_hlc", "origin"]
            get = operator.itemgetter(*cols)
            conn.executemany(
                f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                map(get, rows),
            )
        # the list's facts of the enterprises that are new or got new visits, organisations or summaries
        list_facts.recount(
            conn,
            [r["id"] for r in by_table_new.get("enterprises", [])]
            + [r["enterprise_id"] for t in list_facts.CHILDREN for r in by_table_new.get(t, [])],
        )
        # the work list's facts of the enterprises that got new visits or organisations
        work_facts.recount(
            conn, [r["enterprise_id"] for t in work_facts.CHILDREN for r in by_table_new.get(t, [])]
        )
        for table, rows in by_table_dirty.items():
            cols = [c for c in record_columns(table) if c != "id"] + [
                "deleted",
                "created_hlc",
                "updated_hlc",
                "origin",
            ]
            conn.executemany(
                f"UPDATE {table} SET {', '.join(f'{c} = ?' for c in cols)} WHERE id = ?",
                [[*(r[c] for c in cols), r["id"]] for r in rows],
            )
        conn.executemany(
            "INSERT INTO changes(change_id, txn, hlc, origin, author, wall_time, entity, record_id, op, fields, "
            "received_via) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            self.change_rows,
        )
        said = report.changes
        for row in self.change_rows:
            entity, rid, op = row[6], row[7], row[8]
            said.add_one(entity, "create" if self.state.get((entity, rid)) == "new" else op, rid)
        # search index
        new_ents = [r["id"] for r in by_table_new.get("enterprises", [])]
        for start in range(0, len(new_ents), 500):
            chunk = new_ents[start : start + 500]
            search.index_many(
                conn,
                conn.execute(
                    f"SELECT rid, name, short_name, tax_code, address, owner_name FROM enterprises "
                    f"WHERE id IN ({','.join('?' * len(chunk))}) AND deleted = 0",
                    chunk,
                ),
            )
        for r in by_table_dirty.get("enterprises", []):
            search.index_row(conn, r["rid"], r)
        # conflicts: only records that existed before, or that got changes from more than one machine
        suspects = [
            key
            for key, applied in self.applied.items()
            if self.state.get(key) != "new" or len({a[3] for a in applied}) > 1
        ]
        self._recompute_conflicts(suspects, report)
        conn.executemany(
            "INSERT OR IGNORE INTO sync_pending(change_id, parent_id, signer_unit, envelope, change, received_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            self.pending_rows,
        )
        # the same tax code under two ids (recomputed for the codes touched: the same on every office)
        codes = {r["tax_code"] for r in by_table_new.get("enterprises", [])}
        codes |= {r["tax_code"] for r in by_table_dirty.get("enterprises", [])}
        codes |= {
            self.orig_codes[r["id"]]
            for r in by_table_dirty.get("enterprises", [])
            if r["id"] in self.orig_codes
        }
        same_tax_code.recompute(conn, codes, self.now, report)


def _general(conn: sqlite3.Connection, incoming: list[Incoming], now: str, report: MergeReport) -> None:
    m = Merger(conn, now)
    fresh = m.prepare(incoming)
    report.unchanged += m.skipped
    m.check_scope(fresh)
    m.apply(fresh, report)
    m.write(report)


OWN_CHECKED = "own_conflicts_seq"  # meta: the last change of the log whose own records were checked


def own_conflicts(conn: sqlite3.Connection, now: str) -> int:
    """The open conflicts of the records this machine changed itself since the last call, by the rule
    every machine applies when it merges those changes (``Merger._recompute_conflicts``), inside the
    caller's transaction; returns how many are new. A merge recomputes the records it receives changes
    for; a machine's own changes are not merged here, so without this it would never list the conflicts
    they open or close elsewhere: a collaborator's laptop deleting a record the ward office made (the
    edit-delete conflict every office finds), an office's own edit made after seeing a conflict's winner
    (which closes it everywhere else). Both exports call this before writing a bundle. Only records that
    also have changes from another machine are looked at (the rule compares changes of different
    origins): most of what a machine writes has none."""
    me_row = conn.execute("SELECT value FROM meta WHERE key = 'laptop_id'").fetchone()
    me = me_row[0] if me_row else ""
    done = conn.execute("SELECT value FROM meta WHERE key = ?", (OWN_CHECKED,)).fetchone()
    last = conn.execute("SELECT max(seq) FROM changes").fetchone()[0] or 0
    own = conn.execute(
        "SELECT DISTINCT entity, record_id FROM changes WHERE origin = ? AND seq > ?",
        (me, int(done[0]) if done else 0),
    ).fetchall()
    shared = [
        (entity, rid)
        for entity, rid in own
        if conn.execute(
            "SELECT 1 FROM changes WHERE entity = ? AND record_id = ? AND origin != ? LIMIT 1",
            (entity, rid, me),
        ).fetchone()
    ]
    report = MergeReport()
    Merger(conn, now)._recompute_conflicts(sorted(shared), report)
    conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (OWN_CHECKED, str(last)))
    return report.conflicts


def merge(
    conn: sqlite3.Connection,
    incoming: list[Incoming],
    now: str,
    created: list[bulk.CreateSection] | tuple = (),
) -> MergeReport:
    """Merge changes (inside the caller's transaction); then link children whose parent has come.

    ``created``: the bundle's creations as sections (``app/sync/bulk.py``); new records go in bulk,
    the rest with ``incoming`` through the general path."""
    report = MergeReport()
    waiting = {r[0] for r in conn.execute("SELECT change_id FROM sync_pending")} if created else set()
    sections, extra = bulk.split(
        created, {(i.change[I_ENTITY], i.change[I_RECORD]) for i in incoming}, waiting
    )
    incoming = [*incoming, *extra]
    wards: dict[str, str] = {}
    kids = children()
    for sec in sections:  # enterprises (and targets) first: children and the general path need them
        if sec.entity not in kids:
            incoming += bulk.insert(conn, sec, report, wards, now)
    _general(conn, incoming, now, report)
    later: list[Incoming] = []
    touched: set[str] = set()
    for sec in sections:
        if sec.entity in kids:
            if "enterprise_id" in sec.columns:
                col = bulk.META + sec.columns.index("enterprise_id")
                touched.update(r[col] for r in sec.rows if isinstance(r[col], str))
            later += bulk.insert(conn, sec, report, wards, now)
    list_facts.recount(conn, touched)  # their enterprises' last visit and organisations, once
    if later:
        _general(conn, later, now, report)
    # children waiting for a parent that now exists
    for _round in range(10):
        rows = conn.execute(
            "SELECT p.change_id, p.signer_unit, p.envelope, p.change FROM sync_pending p WHERE "
            + " OR ".join(f"EXISTS (SELECT 1 FROM {t} x WHERE x.id = p.parent_id)" for t in RECORD_TYPES)
        ).fetchall()
        if not rows:
            break
        waiting = [
            Incoming(json.loads(r[3]), r[2], r[1].removeprefix("down:"), r[1].startswith("down:"))
            for r in rows
        ]
        conn.execute("SAVEPOINT relink")
        conn.executemany("DELETE FROM sync_pending WHERE change_id = ?", [(r[0],) for r in rows])
        m2 = Merger(conn, now)
        fresh2 = m2.prepare(waiting)
        try:
            m2.check_scope(fresh2)
        except SyncError:
            conn.execute("ROLLBACK TO relink")  # stays pending: a person looks at it
            conn.execute("RELEASE relink")
            break
        conn.execute("RELEASE relink")
        r2 = MergeReport()
        m2.apply(fresh2, r2)
        m2.write(r2)
        report.linked += r2.applied
        r2.applied = 0
        r2.unchanged = 0
        report.add(r2)
        report.pending_ids.extend(r2.pending_ids)
    return report
