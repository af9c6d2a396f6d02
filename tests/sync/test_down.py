"""Downward bundles: the office sends its machines below what they lack of their unit (issue 16).

Real machines (SQLite files, keys), real files in a folder standing in for the USB stick.
"""

from __future__ import annotations

from datetime import date

from app.domain.records import Assignment, Enterprise, Organisation, Target, Visit, VisitSummary
from app.domain.vocab import OrgKind, TargetMetric
from app.sync import bundles as B
from app.sync import down as D
from app.sync import down_export as DX
from tests.sync.conftest import OTHER_WARD, WARD, edit, enterprise


def down(office, machine, stick, **kw):
    """The office writes a downward bundle for one machine; returns its path."""
    [res] = DX.export_down(office.store, office.ident, stick, machine=machine.id, **kw)
    return res.path


def exchange_down(office, machine, stick):
    """Down, imported, receipt back to the office."""
    r = machine.import_ok(down(office, machine, stick))
    assert r.direction == "down" and r.outcome == "applied", r.summary()
    back = office.import_ok(r.receipt)
    assert back.direction == "down"
    return r


def up(machine, office, stick):
    r = office.import_ok(machine.export(stick))
    machine.import_ok(r.receipt)
    return r


def visit(m, e, when=date(2026, 3, 2), who="Nguyễn Thị Hằng"):
    v = Visit(enterprise_id=e.id, visit_date=when, collaborator=who, workforce_total=40)
    with m.store.write() as w:
        w.create(v)
    return v


def assign(office, e, laptop):
    a = Assignment(
        id=Assignment.id_for(e.id), enterprise_id=e.id, assignee=laptop.id, assignee_name=laptop.name
    )
    with office.store.write() as w:
        if office.store.row("assignments", a.id) is None:
            w.create(a)
        else:
            w.update(a)


def test_the_ward_list_goes_down_to_a_new_laptop(net):
    a = enterprise(net.ward, "Công ty TNHH Hòa Bình", "0100109106", address="12 Hàng Bạc")
    b = enterprise(net.ward, "Công ty CP Thăng Long", "0101243150")
    with net.ward.store.write() as w:
        w.create(Organisation(enterprise_id=a.id, kind=OrgKind.UNION))
    elsewhere = enterprise(net.ward, "Công ty ngoài phường", "0100112437", ward_code=OTHER_WARD)
    r = exchange_down(net.ward, net.l1, net.stick)
    assert r.report.new == 3  # two enterprises and the organisation; not the one of another ward
    assert net.l1.store.get(Enterprise, a.id).address == "12 Hàng Bạc"
    assert net.l1.store.get(Enterprise, b.id) is not None
    assert net.l1.store.get(Enterprise, elsewhere.id) is None
    # nothing new: the next bundle is empty, and what it holds is known at the office
    assert DX.held(net.ward.store, net.l1.id) == 1
    [p] = DX.preview_down(net.ward.store, net.l1.id)
    assert p.changes == 0 and p.held == 1 and p.last_back is not None


def test_a_change_that_went_up_does_not_come_back_down(net):
    e = enterprise(net.l1)
    up(net.l1, net.ward, net.stick)
    [p] = DX.preview_down(net.ward.store, net.l1.id)
    assert p.changes == 0
    [p2] = DX.preview_down(net.ward.store, net.l2.id)
    assert p2.changes == 1  # the other laptop of the ward gets it
    exchange_down(net.ward, net.l2, net.stick)
    assert net.l2.store.get(Enterprise, e.id).name == e.name


def test_a_correction_at_the_office_reaches_the_laptop_and_conflicts_match(net):
    e = enterprise(net.l1)
    up(net.l1, net.ward, net.stick)
    edit(net.ward, e, workforce_total=200)
    net.clock.advance(0.005)
    edit(net.l1, e, workforce_total=150)
    exchange_down(net.ward, net.l1, net.stick)
    up(net.l1, net.ward, net.stick)
    assert net.l1.store.get(Enterprise, e.id).workforce_total == 150
    assert net.ward.store.get(Enterprise, e.id).workforce_total == 150
    office = [(c["field"], c["value_a"], c["value_b"]) for c in B.open_conflicts(net.ward.store)]
    laptop = [(c["field"], c["value_a"], c["value_b"]) for c in B.open_conflicts(net.l1.store)]
    assert office == laptop and len(office) == 1
    # resolved at the office: the resolution goes down and closes it on the laptop too
    [c] = B.open_conflicts(net.ward.store)
    B.resolve_conflict(net.ward.store, c["id"], 200, author="Trần Văn Nam")
    exchange_down(net.ward, net.l1, net.stick)
    assert B.open_conflicts(net.l1.store) == []
    assert net.l1.store.get(Enterprise, e.id).workforce_total == 200


def test_visits_of_others_only_as_a_summary_unless_assigned(net):
    e = enterprise(net.l1)
    f = enterprise(net.l1, "Công ty CP Thăng Long", "0101243150")
    v = visit(net.l1, e)
    visit(net.l1, f, date(2026, 3, 5))
    up(net.l1, net.ward, net.stick)
    assign(net.ward, f, net.l2)
    exchange_down(net.ward, net.l2, net.stick)
    # the visit of the enterprise not assigned to the second laptop: a summary only
    assert net.l2.store.row("visits", v.id) is None
    s = net.l2.store.get(VisitSummary, VisitSummary.id_for(e.id))
    assert s.last_visit_date == date(2026, 3, 2) and s.last_visitor == "Nguyễn Thị Hằng" and s.visits == 1
    # the visits of the one assigned to it, in full
    assert (
        net.l2.store.conn.execute("SELECT count(*) FROM visits WHERE enterprise_id = ?", (f.id,)).fetchone()[
            0
        ]
        == 1
    )
    # assigned later: its history follows with the next bundle
    assign(net.ward, e, net.l2)
    exchange_down(net.ward, net.l2, net.stick)
    assert net.l2.store.row("visits", v.id) is not None


def test_targets_and_settings_of_the_unit_go_down(net):
    with net.ward.store.write() as w:
        w.create(
            Target(unit_code=WARD, year=2026, kind=OrgKind.UNION, metric=TargetMetric.ORGANISATIONS, value=15)
        )
        w.create(
            Target(
                unit_code=OTHER_WARD,
                year=2026,
                kind=OrgKind.UNION,
                metric=TargetMetric.ORGANISATIONS,
                value=9,
            )
        )
    exchange_down(net.ward, net.l1, net.stick)
    values = [r[0] for r in net.l1.store.conn.execute("SELECT value FROM targets")]
    assert values == [15]


def test_receipt_again_and_replay(net):
    enterprise(net.ward)
    path = down(net.ward, net.l1, net.stick)
    first = net.l1.import_ok(path)
    first.receipt.unlink()  # the stick was full: the receipt is lost
    again = net.l1.import_ok(path)
    assert again.outcome == "already" and again.receipt is not None
    assert net.ward.import_ok(again.receipt).direction == "down"
    assert DX.held(net.ward.store, net.l1.id) == 1


def test_a_lost_stick_costs_nothing(net):
    e = enterprise(net.ward)
    down(net.ward, net.l1, net.stick).unlink()  # bundle 1 lost
    edit(net.ward, e, phone="0241 111 111")
    r = net.l1.import_ok(down(net.ward, net.l1, net.stick))  # bundle 2 carries everything since
    assert any("Còn thiếu gói đi xuống" in w for w in r.warnings)
    assert net.l1.store.get(Enterprise, e.id).phone == "0241 111 111"
    net.ward.import_ok(r.receipt)
    assert DX.held(net.ward.store, net.l1.id) == 2
    assert D.held_from(net.l1.store, net.ward.id) == 2


def test_records_of_the_office_go_up_but_summaries_do_not(net):
    e = enterprise(net.l1)
    visit(net.l1, e)
    up(net.l1, net.ward, net.stick)
    assign(net.ward, e, net.l1)
    exchange_down(net.ward, net.l2, net.stick)  # writes the visit summaries at the ward
    assert net.ward.store.conn.execute("SELECT count(*) FROM visit_summaries").fetchone()[0] == 1
    r = up(net.ward, net.province, net.stick)
    assert r.error is None
    prov = net.province.store
    assert prov.row("assignments", Assignment.id_for(e.id))["assignee"] == net.l1.id
    assert prov.conn.execute("SELECT count(*) FROM visit_summaries").fetchone()[0] == 0


def test_a_laptop_bundle_that_assigns_is_refused(net):
    from tests.sync.conftest import db_fingerprint

    e = enterprise(net.l1)
    up(net.l1, net.ward, net.stick)
    with net.l1.store.write() as w:  # (the program never does this on a laptop)
        w.create(Assignment(id=Assignment.id_for(e.id), enterprise_id=e.id, assignee=net.l1.id))
    before = db_fingerprint(net.ward.store)
    [r] = net.ward.import_(net.l1.export(net.stick))
    assert r.error is not None and r.error.reason == "office_only"
    assert "chỉ cơ quan" in r.error.message and "phân công" in r.error.message
    assert db_fingerprint(net.ward.store) == before


def test_a_bundle_of_version_2_is_still_written_when_it_can_be(net):
    import json as _json

    from app.sync import container as C

    enterprise(net.l1)
    path = net.l1.export(net.stick)
    fr = C.parse_frame(path.read_bytes())
    envs = C.open_sealed(fr, net.ward.ident.decryption_keys())
    assert _json.loads(envs[0].payload)["version"] == 2
