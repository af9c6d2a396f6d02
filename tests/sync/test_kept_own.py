"""This machine's own creations leave the change log for their records only when no office above needs
them from it (app/storage/kept_creations.py): sync, history and provenance stay exactly what they were."""

from __future__ import annotations

from datetime import date

from app.domain.records import Enterprise, Visit
from app.storage import kept_creations
from app.sync import bundles as B
from tests.sync.conftest import edit, enterprise, register, state


def _logged_creations(m) -> set[str]:
    return {r[0] for r in m.store.conn.execute("SELECT record_id FROM changes WHERE op = 'create'")}


def _kept(m) -> set[str]:
    return {
        r[0]
        for t in kept_creations.TABLES
        for r in m.store.conn.execute(f"SELECT id FROM {t} WHERE create_seq IS NOT NULL")
    }


def _history(m, e) -> list[dict]:
    return [
        {k: c[k] for k in ("seq", "change_id", "hlc", "origin", "author", "op", "fields")}
        for c in m.store.history("enterprises", e.id)
    ]


def test_a_creation_leaves_the_log_only_once_the_office_above_confirmed_it(net):
    e = enterprise(net.l1)
    v = Visit(enterprise_id=e.id, visit_date="2025-03-04", person_met="Lê Văn An")
    with net.l1.store.write() as w:
        w.create(v)
    before = _history(net.l1, e)
    since = net.l1.store.changes_since(0)
    assert _logged_creations(net.l1) == {e.id, v.id}
    r = net.ward.import_ok(net.l1.export(net.stick))
    assert _logged_creations(net.l1) == {e.id, v.id}  # exported, not confirmed: still in the log
    net.l1.import_ok(r.receipt)
    assert _logged_creations(net.l1) == set() and _kept(net.l1) == {e.id, v.id}
    # the history, the numbers and "everything since X" read the same
    assert _history(net.l1, e) == before
    assert net.l1.store.changes_since(0) == since
    assert net.l1.store.integrity_check() == []
    [pv] = B.preview(net.l1.store)
    assert pv.changes == 0
    # the record changes: its creation goes back to the log with its number, and only the edit travels
    edit(net.l1, e, workforce_total=77)
    assert [c["seq"] for c in _history(net.l1, e)][0] == before[0]["seq"]
    assert _history(net.l1, e)[0] == before[0]
    [pv] = B.preview(net.l1.store)
    assert (pv.changes, pv.by_entity) == (1, {"enterprises": 1})
    r = net.ward.import_ok(net.l1.export(net.stick))
    assert (r.report.applied, r.report.conflicts) == (1, 0)
    assert net.ward.store.get(Enterprise, e.id).workforce_total == 77


def test_every_office_above_must_confirm(net):
    register(net.province, net.l1, net.stick)  # a laptop sending to two offices (a second destination)
    e = enterprise(net.l1)
    bundles = B.export(net.l1.store, net.l1.ident, net.stick)
    assert len(bundles) == 2
    by_office = {b.recipient.laptop_id: b.path for b in bundles}
    r_ward = net.ward.import_ok(by_office[net.ward.id])
    r_prov = net.province.import_ok(by_office[net.province.id])
    net.l1.import_ok(r_ward.receipt)
    assert _logged_creations(net.l1) == {e.id}  # the province has not confirmed yet
    net.l1.import_ok(r_prov.receipt)
    assert _logged_creations(net.l1) == set() and _kept(net.l1) == {e.id}


def test_a_creation_changed_before_the_receipt_stays_in_the_log(net):
    e = enterprise(net.l1)
    r = net.ward.import_ok(net.l1.export(net.stick))
    edit(net.l1, e, workforce_total=12)  # changed after the export
    net.l1.import_ok(r.receipt)
    assert _logged_creations(net.l1) == {e.id} and _kept(net.l1) == set()
    assert [c["op"] for c in net.l1.store.history("enterprises", e.id)] == ["create", "update"]


def test_nothing_above_keeps_creations_at_once_and_an_office_registered_later_gets_them(net, tmp_path):
    from app.domain.vocab import Role
    from tests.sync.conftest import make_machine

    # a laptop whose ward office is not registered yet: nothing waits for its log
    l3 = make_machine(tmp_path, "Phạm Văn Bình", "00070", Role.COLLABORATOR)
    e = enterprise(l3, name="Công ty TNHH Sao Mai", tax_code="0100109113")
    v = Visit(enterprise_id=e.id, visit_date="2025-04-05")
    with l3.store.write() as w:
        w.create_many([v])
    assert _logged_creations(l3) == set() and _kept(l3) == {e.id, v.id}
    history = _history(l3, e)
    assert [c["op"] for c in history] == ["create"] and history[0]["seq"] == 1
    since = l3.store.changes_since(0)
    assert [(c["seq"], c["record_id"]) for c in since] == [(1, e.id), (2, v.id)]
    # the ward office is registered: its first bundle carries both, exactly as the log would have
    register(net.ward, l3, net.stick)
    [pv] = B.preview(l3.store)
    assert (pv.changes, pv.by_entity) == (2, {"enterprises": 1, "visits": 1})
    bundle = l3.export(net.stick)
    r = net.ward.import_ok(bundle)
    assert (r.report.new, r.report.conflicts) == (2, 0)
    theirs = net.ward.store.history("enterprises", e.id)
    assert [(c["change_id"], c["hlc"], c["fields"]) for c in theirs] == [
        (c["change_id"], c["hlc"], c["fields"]) for c in history
    ]
    assert net.ward.store.get(Visit, v.id).visit_date == date(2025, 4, 5)
    l3.import_ok(r.receipt)
    [pv] = B.preview(l3.store)
    assert pv.changes == 0  # confirmed: not sent again
    # the same bundle again changes nothing at the office
    before = state(net.ward.store)
    [again] = net.ward.import_(bundle)
    assert again.outcome == "already" and state(net.ward.store) == before
    # edits travel as usual and the office converges with the laptop on the records
    edit(l3, e, owner_name="Phạm Văn Bình")
    net.ward.import_ok(l3.export(net.stick))
    mine, theirs = state(l3.store), state(net.ward.store)
    assert mine["enterprises"] == theirs["enterprises"] and mine["visits"] == theirs["visits"]
    assert l3.store.integrity_check() == [] and net.ward.store.integrity_check() == []
