"""Property: data flowing both ways converges.

Two collaborators' laptops, a ward office and a province. Random edits everywhere: the same fields of a
shared pool of enterprises at several places, deletions and restores, assignments at the ward office,
settings and targets from the province; random exchanges up and down, with repeated files and lost
sticks (a file written and never imported, a receipt that never comes back). After the machines have
exchanged everything, every machine holds the same enterprises, assignments, targets and settings, every
change made anywhere, and the same open conflicts.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.domain.records import Assignment, Enterprise, OfficeSettings, Target
from app.domain.vocab import OrgKind, Role, TargetMetric
from app.storage import Store, kept_creations
from app.sync import bundles as B
from app.sync import down_export as DX
from app.sync import keys as K
from app.sync import registry as R
from app.sync.errors import SyncError

IDS = [f"00000000-0000-4000-8000-00000000000{i}" for i in range(4)]
FIELDS = ["workforce_total", "owner_name", "phone"]
VALUES = {
    "workforce_total": [10, 20, 30, None],
    "owner_name": ["Lan", "Hùng", "Hằng", None],
    "phone": ["0241 111 111", "0242 222 222", "0243 333 333", None],
}
WHO = ["l0", "l1", "w", "p"]

op = st.one_of(
    st.tuples(st.just("create"), st.sampled_from(WHO), st.integers(0, 3)),
    st.tuples(
        st.just("edit"), st.sampled_from(WHO), st.integers(0, 3), st.sampled_from(FIELDS), st.integers(0, 3)
    ),
    st.tuples(st.just("delete"), st.sampled_from(WHO), st.integers(0, 3)),
    st.tuples(st.just("restore"), st.sampled_from(WHO), st.integers(0, 3)),
    st.tuples(st.just("assign"), st.integers(0, 3), st.integers(0, 2)),  # to laptop 0, 1, or nobody
    st.tuples(st.just("setting"), st.integers(3, 9)),  # the province's founding minimum for a union
    st.tuples(st.just("target"), st.integers(0, 20)),  # the province's target for the ward
    # an exchange: from, to, whether the file is imported (False: the stick is lost), whether the
    # receipt comes back
    st.tuples(
        st.just("send"),
        st.sampled_from(["l0>w", "l1>w", "w>p", "w>l0", "w>l1", "p>w"]),
        st.booleans(),
        st.booleans(),
    ),
    st.tuples(st.just("again"), st.integers(0, 1000)),  # an earlier file imported again
)


class World:
    def __init__(self, root: Path):
        self.root = root
        self.stick = root / "usb"
        self.stick.mkdir()
        self.m: dict[str, tuple[Store, K.Identity]] = {}
        for key, unit, role, name in (
            ("p", "01", Role.PROVINCE_OFFICE, "Tỉnh"),
            ("w", "00070", Role.WARD_OFFICE, "Phường"),
            ("l0", "00070", Role.COLLABORATOR, "CTV 0"),
            ("l1", "00070", Role.COLLABORATOR, "CTV 1"),
        ):
            store = Store.memory()
            store.set_profile(unit_code=unit, collaborator=name, role=role)
            self.m[key] = (store, R.setup_keys(store, data_dir=root / key))
        for lower, upper in (("l0", "w"), ("l1", "w"), ("w", "p")):
            R.register(self.store(upper), self.doc(lower))
            R.register(self.store(lower), self.doc(upper), destination=True)
        self.files: list[tuple[str, Path]] = []  # (addressee, file)
        self.n = 0

    def store(self, key: str) -> Store:
        return self.m[key][0]

    def doc(self, key: str) -> K.PublicKeyDoc:
        store, ident = self.m[key]
        return K.read_pubkey_file(K.pubkey_file(R.own_pubkey_doc(store, ident)))

    def import_(self, key: str, path: Path, receipt: bool) -> B.ImportResult | None:
        store, ident = self.m[key]
        try:
            return B.import_file(store, ident, path, write_receipt=receipt)
        except SyncError as exc:  # a repeat of a file merged in the same run: nothing else may fail
            assert exc.reason == "replay", exc
            return None

    def send(self, route: str, arrives: bool, receipt: bool) -> None:
        src, dst = route.split(">")
        store, ident = self.m[src]
        self.n += 1
        folder = self.stick / f"{self.n:04d}"
        folder.mkdir()
        if src in ("l0", "l1") or (src, dst) == ("w", "p"):
            [res] = B.export(store, ident, folder)
        else:
            [res] = DX.export_down(store, ident, folder, machine=self.store(dst).laptop_id)
        self.files.append((dst, res.path))
        if not arrives:
            return  # the stick was lost on the way
        r = self.import_(dst, res.path, receipt)
        if r is not None and r.receipt is not None:
            self.import_(src, r.receipt, False)

    def write(self, key: str, fn) -> None:
        store = self.store(key)
        with store.write() as w:
            fn(store, w)

    def settle(self) -> None:
        """Everything exchanged, receipts included: up the chain, down, and up again."""
        for route in (
            "l0>w",
            "l1>w",
            "w>p",
            "p>w",
            "w>l0",
            "w>l1",
            "l0>w",
            "l1>w",
            "w>p",
            "p>w",
            "w>l0",
            "w>l1",
        ):
            self.send(route, True, True)


def apply(world: World, step: tuple) -> None:
    kind = step[0]
    if kind == "create":
        rid = IDS[step[2]]
        if world.store(step[1]).row("enterprises", rid) is None:
            world.write(
                step[1],
                lambda s, w: w.create(
                    Enterprise(id=rid, name=f"Công ty {step[2]}", tax_code="0100109106", ward_code="00070")
                ),
            )
    elif kind == "edit":
        e = world.store(step[1]).get(Enterprise, IDS[step[2]])
        if e is not None:
            setattr(e, step[3], VALUES[step[3]][step[4]])
            world.write(step[1], lambda s, w: w.update(e))
    elif kind in ("delete", "restore"):
        if world.store(step[1]).row("enterprises", IDS[step[2]]) is not None:
            world.write(step[1], lambda s, w: getattr(w, kind)("enterprises", IDS[step[2]]))
    elif kind == "assign":
        eid = IDS[step[1]]
        ward = world.store("w")
        if ward.row("enterprises", eid) is None:
            return
        who = None if step[2] == 2 else world.store(f"l{step[2]}").laptop_id
        a = Assignment(
            id=Assignment.id_for(eid), enterprise_id=eid, assignee=who, assignee_name=who and f"CTV {step[2]}"
        )
        world.write("w", lambda s, w: w.create(a) if s.row("assignments", a.id) is None else w.update(a))
    elif kind == "setting":
        p = world.store("p")
        o = OfficeSettings(
            id=OfficeSettings.id_for(p.laptop_id), office=p.laptop_id, unit_code="01", min_union=step[1]
        )
        world.write("p", lambda s, w: w.create(o) if s.row("office_settings", o.id) is None else w.update(o))
    elif kind == "target":
        tid = "00000000-0000-4000-8000-0000000000a1"
        t = Target(
            id=tid,
            unit_code="00070",
            year=2026,
            kind=OrgKind.UNION,
            metric=TargetMetric.ORGANISATIONS,
            value=step[1],
        )
        world.write("p", lambda s, w: w.create(t) if s.row("targets", tid) is None else w.update(t))
    elif kind == "send":
        world.send(step[1], step[2], step[3])
    elif kind == "again" and world.files:
        dst, path = world.files[step[1] % len(world.files)]
        world.import_(dst, path, False)


def shared(store: Store) -> dict:
    """What every machine of the ward must agree on."""
    out = {}
    for table in ("enterprises", "assignments", "targets", "office_settings"):
        rows = store._rows(f"SELECT * FROM {table} ORDER BY id")
        for r in rows:
            r.pop("rid", None)
            for col in kept_creations.ALL_COLUMNS:
                r.pop(col, None)
        out[table] = rows
    log = [
        tuple(r)
        for r in store.conn.execute(
            "SELECT change_id, op, fields FROM changes WHERE entity IN "
            "('enterprises', 'assignments', 'targets', 'office_settings')"
        )
    ]
    for table in ("enterprises", "assignments", "targets", "office_settings"):
        ids = [r[0] for r in store.conn.execute(f"SELECT id FROM {table} WHERE create_change IS NOT NULL")]
        log += [
            (r["change_id"], r["op"], r["fields"]) for r in kept_creations.log_rows(store.conn, table, ids)
        ]
    # the same change, whatever the key order its fields were written in
    out["changes"] = sorted((cid, op, json.dumps(json.loads(f), sort_keys=True)) for cid, op, f in log)
    out["conflicts"] = sorted(
        store.conn.execute(
            "SELECT DISTINCT entity, record_id, field FROM sync_conflicts WHERE resolved_at IS NULL"
        ).fetchall()
    )
    return out


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=st.lists(op, min_size=1, max_size=30))
def test_two_way_exchanges_in_any_order_converge(ops):
    with tempfile.TemporaryDirectory() as tmp:
        world = World(Path(tmp))
        try:
            for step in ops:
                apply(world, step)
            world.settle()
            states = {k: shared(world.store(k)) for k in WHO}
            for k in ("w", "l0", "l1"):
                for part in (
                    "enterprises",
                    "assignments",
                    "targets",
                    "office_settings",
                    "changes",
                    "conflicts",
                ):
                    assert states[k][part] == states["p"][part], (k, part)
            # the province's minimum is the one every machine below uses
            p = world.store("p")
            own = p.get(OfficeSettings, OfficeSettings.id_for(p.laptop_id))
            if own is not None:
                for k in ("w", "l0", "l1"):
                    assert world.store(k).founding_rules().minimums[OrgKind.UNION] == own.min_union
        finally:
            for store, _ident in world.m.values():
                store.close()
