"""Machines for sync tests: each a real SQLite file in its own data folder, with real keys.

``net`` gives two collaborator laptops of ward 00070 (Hoàn Kiếm, Hà Nội), the ward office and the
province office of Hà Nội, all registered the way people do it: public-key files through a folder
standing in for the USB stick.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import pytest

from app.domain.records import RECORD_TYPES, Enterprise
from app.domain.vocab import Role
from app.storage import Store, kept_creations
from app.sync import bundles as B
from app.sync import keys as K
from app.sync import registry as R
from tests.helpers.clock import ManualClock
from tests.helpers.vault import open_store

WARD = "00070"
OTHER_WARD = "00004"  # Phường Ba Đình, Hà Nội
PROVINCE = "01"


@dataclass
class Machine:
    name: str
    store: Store
    ident: K.Identity
    folder: Path

    @property
    def id(self) -> str:
        return self.store.laptop_id

    def pubkey(self, stick: Path) -> Path:
        return R.export_pubkey(self.store, self.ident, stick)

    def export(self, stick: Path) -> Path:
        [res] = B.export(self.store, self.ident, stick)
        return res.path

    def import_(self, *paths: Path, receipt: bool = True) -> list[B.ImportResult]:
        return B.import_paths(self.store, self.ident, list(paths), write_receipt=receipt)

    def import_ok(self, path: Path) -> B.ImportResult:
        [r] = self.import_(path)
        assert r.error is None, r.error
        return r


def make_machine(
    root: Path,
    name: str,
    unit: str,
    role: Role,
    passphrase: str | None = None,
    clock: ManualClock | None = None,
) -> Machine:
    """``clock``: the wall clock of its change stamps (machines sharing one agree on what came later)."""
    folder = root / name
    store = open_store(folder, wall=clock) if clock is not None else open_store(folder)
    store.set_profile(unit_code=unit, collaborator=name, role=role)
    ident = R.setup_keys(store, passphrase)
    return Machine(name, store, ident, folder)


def register(office: Machine, lower: Machine, stick: Path) -> None:
    """The lower machine's key goes to the office; the office's key comes back as its destination."""
    R.register(office.store, K.read_pubkey_file(lower.pubkey(stick).read_bytes()))
    R.register(lower.store, K.read_pubkey_file(office.pubkey(stick).read_bytes()), destination=True)


@dataclass
class Net:
    l1: Machine
    l2: Machine
    ward: Machine
    province: Machine
    stick: Path
    clock: ManualClock  # every machine's wall clock: clock.advance(s) instead of sleeping

    def machines(self):
        return [self.l1, self.l2, self.ward, self.province]


@pytest.fixture
def net(tmp_path):
    stick = tmp_path / "usb"
    stick.mkdir()
    clock = ManualClock()
    l1 = make_machine(tmp_path, "Nguyễn Thị Hằng", WARD, Role.COLLABORATOR, clock=clock)
    l2 = make_machine(tmp_path, "Trần Văn Nam", WARD, Role.COLLABORATOR, clock=clock)
    ward = make_machine(tmp_path, "Đảng ủy phường Hoàn Kiếm", WARD, Role.WARD_OFFICE, clock=clock)
    province = make_machine(tmp_path, "Ban Tổ chức Thành ủy", PROVINCE, Role.PROVINCE_OFFICE, clock=clock)
    register(ward, l1, stick)
    register(ward, l2, stick)
    register(province, ward, stick)
    for f in stick.iterdir():
        f.unlink()
    n = Net(l1, l2, ward, province, stick, clock)
    yield n
    for m in n.machines():
        m.store.close()


def enterprise(
    m: Machine, name: str = "Công ty TNHH Hòa Bình", tax_code: str = "0100109106", **kw
) -> Enterprise:
    e = Enterprise(name=name, tax_code=tax_code, ward_code=kw.pop("ward_code", WARD), **kw)
    with m.store.write() as w:
        w.create(e)
    return e


def edit(m: Machine, e: Enterprise, **fields) -> Enterprise:
    current = m.store.get(Enterprise, e.id, include_deleted=True)
    assert current is not None
    for k, v in fields.items():
        setattr(current, k, v)
    with m.store.write() as w:
        w.update(current)
    return current


def db_fingerprint(store: Store) -> str:
    """SHA-256 of the database file after folding the WAL into it (byte-for-byte comparison)."""
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    wal = Path(str(store.path) + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0
    return hashlib.sha256(Path(store.path).read_bytes()).hexdigest()


def state(store: Store) -> dict:
    """Everything the merge decides, in a comparable form."""
    out = {}
    for table in RECORD_TYPES:
        rows = store._rows(f"SELECT * FROM {table} ORDER BY id")
        for r in rows:
            r.pop("rid", None)
            for col in kept_creations.ALL_COLUMNS:  # where a creation is kept is a storage detail, not state
                r.pop(col, None)
        out[table] = rows
    # the change log as a reader sees it: logged rows and creations still kept on their records
    log = [tuple(r) for r in store.conn.execute("SELECT change_id, op, fields FROM changes")]
    for table in RECORD_TYPES:
        ids = [r[0] for r in store.conn.execute(f"SELECT id FROM {table} WHERE create_change IS NOT NULL")]
        log += [
            (r["change_id"], r["op"], r["fields"]) for r in kept_creations.log_rows(store.conn, table, ids)
        ]
    out["changes"] = sorted(log)
    out["fts"] = sorted(
        store.conn.execute(
            "SELECT e.id, f.name, f.tax_code FROM enterprise_fts f JOIN enterprises e ON e.rid = f.rowid"
        ).fetchall()
    )
    out["conflicts"] = sorted(
        store.conn.execute(
            "SELECT DISTINCT entity, record_id, field FROM sync_conflicts WHERE resolved_at IS NULL"
        ).fetchall()
    )
    out["pending"] = sorted(r[0] for r in store.conn.execute("SELECT change_id FROM sync_pending"))
    out["duplicates"] = sorted(store.conn.execute("SELECT id_a, id_b FROM sync_duplicates").fetchall())
    return out
