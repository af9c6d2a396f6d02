"""Property: any set of bundles, imported in any order with repeats, converges to one state.

Two laptops edit a shared pool of records (the same UUIDs, so their edits, deletions and restores
collide), export now and then, and sometimes read a receipt (so later bundles leave out what was
confirmed and arrive as updates without their creates). Replicas of the office import the same files
in shuffled orders with repeats; every replica must end in the same records, change log, search
index, open conflicts and waiting children as the office that imported them in order.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.domain.records import Enterprise
from app.domain.vocab import Role
from app.storage import Store
from app.sync import bundles as B
from app.sync import keys as K
from app.sync import registry as R
from tests.sync.conftest import state

IDS = [f"00000000-0000-4000-8000-00000000000{i}" for i in range(4)]

op = st.one_of(
    st.tuples(st.just("create"), st.integers(0, 1), st.integers(0, 3)),
    st.tuples(
        st.just("edit"),
        st.integers(0, 1),
        st.integers(0, 3),
        st.sampled_from(["workforce_total", "owner_name", "phone"]),
        st.integers(0, 3),
    ),
    st.tuples(st.just("delete"), st.integers(0, 1), st.integers(0, 3)),
    st.tuples(st.just("restore"), st.integers(0, 1), st.integers(0, 3)),
    st.tuples(st.just("export"), st.integers(0, 1), st.booleans()),
)


def _machine(folder: Path, unit: str, role: Role, name: str, laptop_id: str | None = None):
    store = Store.memory()
    if laptop_id:
        with store.transaction():
            store._set_meta("laptop_id", laptop_id)
    store.set_profile(unit_code=unit, collaborator=name, role=role)
    ident = R.setup_keys(store, data_dir=folder)
    return store, ident


def _value(field: str, n: int):
    return {
        "workforce_total": [10, 20, 30, None],
        "owner_name": ["Lan", "Hùng", "Hằng", None],
        "phone": ["0241 111 111", "0242 222 222", "0243 333 333", None],
    }[field][n]


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=st.lists(op, min_size=1, max_size=25), seed=st.randoms(use_true_random=False))
def test_any_order_with_repeats_converges(ops, seed):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        stick = root / "usb"
        stick.mkdir()
        office, office_id = _machine(root / "w", "00070", Role.WARD_OFFICE, "Phường")
        laptops = [_machine(root / f"l{i}", "00070", Role.COLLABORATOR, f"CTV {i}") for i in range(2)]
        office_doc = K.read_pubkey_file(K.pubkey_file(R.own_pubkey_doc(office, office_id)))
        docs = []
        for store, ident in laptops:
            R.register(store, office_doc, destination=True)
            doc = K.read_pubkey_file(K.pubkey_file(R.own_pubkey_doc(store, ident)))
            R.register(office, doc)
            docs.append(doc)
        files: list[Path] = []
        for step in ops:
            kind, who = step[0], step[1]
            store, ident = laptops[who]
            if kind == "create":
                rid = IDS[step[2]]
                if store.row("enterprises", rid) is None:
                    with store.write() as w:
                        w.create(
                            Enterprise(
                                id=rid, name=f"Công ty {step[2]}", tax_code="0100109106", ward_code="00070"
                            )
                        )
            elif kind == "edit":
                e = store.get(Enterprise, IDS[step[2]])
                if e is not None:
                    setattr(e, step[3], _value(step[3], step[4]))
                    with store.write() as w:
                        w.update(e)
            elif kind in ("delete", "restore"):
                if store.row("enterprises", IDS[step[2]]) is not None:
                    with store.write() as w:
                        getattr(w, kind)("enterprises", IDS[step[2]])
            else:
                [res] = B.export(store, ident, stick, today=f"{len(files):04d}")
                files.append(res.path)
                r = B.import_file(office, office_id, res.path, write_receipt=step[2])
                if (
                    r.receipt is not None
                ):  # the laptop reads the receipt: later bundles leave out what arrived
                    B.import_file(store, ident, r.receipt)
                    r.receipt.unlink()
        for store, ident in laptops:  # a last export from each laptop
            [res] = B.export(store, ident, stick, today=f"{len(files):04d}")
            files.append(res.path)
            B.import_file(office, office_id, res.path, write_receipt=False)
        expected = state(office)
        for _replica in range(3):
            order = files + seed.sample(files, k=min(3, len(files)))
            seed.shuffle(order)
            replica, _ = _machine(root / "w", "00070", Role.WARD_OFFICE, "Phường", laptop_id=office.laptop_id)
            for doc in docs:
                R.register(replica, doc)
            for f in order:
                try:
                    B.import_file(replica, office_id, f, write_receipt=False)
                except Exception as exc:  # repeats are refused as replays; nothing else may fail
                    assert getattr(exc, "reason", None) == "replay", exc
            got = state(replica)
            assert got == expected
            replica.close()
        office.close()
        for store, _ in laptops:
            store.close()


up_op = st.one_of(
    op,
    st.tuples(
        st.just("office_edit"),
        st.integers(0, 3),
        st.sampled_from(["workforce_total", "owner_name"]),
        st.integers(0, 3),
    ),
    st.tuples(st.just("office_delete"), st.integers(0, 3)),
    st.tuples(st.just("up"), st.booleans()),
)


@pytest.mark.slow
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=st.lists(up_op, min_size=1, max_size=25), seed=st.randoms(use_true_random=False))
def test_relayed_bundles_in_any_order_converge_at_the_province(ops, seed):
    """Laptops -> ward office (which edits too) -> province: the office's bundles, which carry the laptops'
    original envelopes and its own changes, converge at the province in any order with repeats."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        stick = root / "usb"
        stick.mkdir()
        office, office_id = _machine(root / "w", "00070", Role.WARD_OFFICE, "Phường")
        prov, prov_id = _machine(root / "p", "01", Role.PROVINCE_OFFICE, "Tỉnh")
        laptops = [_machine(root / f"l{i}", "00070", Role.COLLABORATOR, f"CTV {i}") for i in range(2)]

        def doc(store, ident):
            return K.read_pubkey_file(K.pubkey_file(R.own_pubkey_doc(store, ident)))

        for store, ident in laptops:
            R.register(store, doc(office, office_id), destination=True)
            R.register(office, doc(store, ident))
        R.register(office, doc(prov, prov_id), destination=True)
        office_doc = doc(office, office_id)
        R.register(prov, office_doc)
        files: list[Path] = []

        def up(receipt: bool) -> None:
            [res] = B.export(office, office_id, stick, today=f"w{len(files):04d}")
            files.append(res.path)
            r = B.import_file(prov, prov_id, res.path, write_receipt=receipt)
            if r.receipt is not None:
                B.import_file(office, office_id, r.receipt)
                r.receipt.unlink()

        for step in ops:
            kind = step[0]
            if kind == "up":
                up(step[1])
            elif kind == "office_edit":
                e = office.get(Enterprise, IDS[step[1]])
                if e is not None:
                    setattr(e, step[2], _value(step[2], step[3]))
                    with office.write() as w:
                        w.update(e)
            elif kind == "office_delete":
                if office.row("enterprises", IDS[step[1]]) is not None:
                    with office.write() as w:
                        w.delete("enterprises", IDS[step[1]])
            else:
                store, ident = laptops[step[1]]
                if kind == "create":
                    rid = IDS[step[2]]
                    if store.row("enterprises", rid) is None:
                        with store.write() as w:
                            w.create(
                                Enterprise(
                                    id=rid,
                                    name=f"Công ty {step[2]}",
                                    tax_code="0100109106",
                                    ward_code="00070",
                                )
                            )
                elif kind == "edit":
                    e = store.get(Enterprise, IDS[step[2]])
                    if e is not None:
                        setattr(e, step[3], _value(step[3], step[4]))
                        with store.write() as w:
                            w.update(e)
                elif kind in ("delete", "restore"):
                    if store.row("enterprises", IDS[step[2]]) is not None:
                        with store.write() as w:
                            getattr(w, kind)("enterprises", IDS[step[2]])
                else:
                    [res] = B.export(store, ident, stick, today=f"l{len(files):04d}")
                    r = B.import_file(office, office_id, res.path, write_receipt=step[2])
                    if r.receipt is not None:
                        B.import_file(store, ident, r.receipt)
                        r.receipt.unlink()
        for store, ident in laptops:
            [res] = B.export(store, ident, stick, today="last")
            B.import_file(office, office_id, res.path, write_receipt=False)
        up(False)
        expected = state(prov)
        # the province holds exactly what the ward office holds
        assert expected["changes"] == state(office)["changes"]
        assert expected["enterprises"] == state(office)["enterprises"]
        assert expected["conflicts"] == state(office)["conflicts"]
        for _replica in range(2):
            order = files + seed.sample(files, k=min(2, len(files)))
            seed.shuffle(order)
            replica, _ = _machine(root / "p", "01", Role.PROVINCE_OFFICE, "Tỉnh", laptop_id=prov.laptop_id)
            R.register(replica, office_doc)
            for f in order:
                try:
                    B.import_file(replica, prov_id, f, write_receipt=False)
                except Exception as exc:
                    assert getattr(exc, "reason", None) == "replay", exc
            assert state(replica) == expected
            replica.close()
        for s in (office, prov, *(x for x, _ in laptops)):
            s.close()
