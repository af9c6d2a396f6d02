"""Downward relay through a middle office (issue 16, item 5): the province's envelope for a ward travels
intact through the middle office, and each hop verifies the province's signature."""

from __future__ import annotations

import pytest

from app.domain.records import Target
from app.domain.vocab import OrgKind, Role, TargetMetric
from app.sync import down_export as DX
from app.sync import registry as R
from tests.sync.conftest import PROVINCE, WARD, db_fingerprint, make_machine, register
from tests.sync.test_down import exchange_down, up
from tests.sync.test_restore import backup_of, restore


@pytest.fixture
def chain(tmp_path):
    """Province, middle office, ward office and a laptop of the ward, each registered with the office above;
    the ward's and the middle office's first bundles have gone up, so the province knows the ward through
    the middle office's vouching."""
    stick = tmp_path / "usb"
    stick.mkdir()
    p = make_machine(tmp_path, "Ban Tổ chức Thành ủy", PROVINCE, Role.PROVINCE_OFFICE)
    m = make_machine(tmp_path, "Đảng ủy Khối doanh nghiệp", PROVINCE, Role.MIDDLE_OFFICE)
    w = make_machine(tmp_path, "Đảng ủy phường Hoàn Kiếm", WARD, Role.WARD_OFFICE)
    lap = make_machine(tmp_path, "Nguyễn Thị Hằng", WARD, Role.COLLABORATOR)
    register(m, w, stick)
    register(p, m, stick)
    register(w, lap, stick)
    for f in stick.iterdir():
        f.unlink()
    up(w, m, stick)
    up(m, p, stick)
    yield p, m, w, lap, stick
    for x in (p, m, w, lap):
        x.store.close()


def _province_backup(p, tmp_path):
    """The province's computer as a backup holds it (``test_restore.restore`` puts it back)."""
    (tmp_path / "backup").mkdir()
    return backup_of(p, tmp_path / "backup")


def _backup_then_a_file_with_nothing_for_the_ward(p, m, stick, tmp_path):
    """The province is backed up, then sends the middle office a file with a target of its own only (no
    envelope for the ward); its receipt is not taken back. Returns the backup and the file."""
    saved = _province_backup(p, tmp_path)
    t0 = Target(unit_code=PROVINCE, year=2026, kind=OrgKind.UNION, metric=TargetMetric.MEMBERS, value=900)
    with p.store.write() as wr:
        wr.create(t0)
    first = DX.export_down(p.store, p.ident, stick, machine=m.id)[0].path
    r = m.import_ok(first)
    assert r.outcome == "applied" and r.relayed == 0, r.summary()  # nothing for the ward yet
    assert m.store.row("targets", t0.id)["value"] == 900
    return saved, first


def test_the_province_envelope_for_a_ward_travels_intact_through_the_middle_office(chain):
    p, m, w, lap, stick = chain
    # the province learned of the ward through the middle office's vouching
    assert any(x.laptop_id == w.id for x in R.peers(p.store))
    t = Target(unit_code=WARD, year=2026, kind=OrgKind.UNION, metric=TargetMetric.ORGANISATIONS, value=15)
    with p.store.write() as wr:
        wr.create(t)
    # province -> middle: its own envelope, and the envelope for the ward, relayed
    r1 = exchange_down(p, m, stick)
    assert r1.relayed == 1  # kept at the middle office, to relay
    assert m.store.row("targets", t.id) is not None  # the middle office's own envelope carried it too
    # middle -> ward: the province's envelope intact; the ward verifies the province's signature
    r2 = exchange_down(m, w, stick)
    assert r2.relayed == 1
    via = w.store.conn.execute(
        "SELECT e.signer FROM changes c JOIN sync_envelopes e ON e.hash = c.received_via WHERE c.record_id = ? "
        "UNION SELECT e.signer FROM targets t JOIN sync_envelopes e ON e.eid = t.create_via WHERE t.id = ?",
        (t.id, t.id),
    ).fetchall()
    assert via == [(p.id,)]  # custody: the province's own envelope
    assert R.is_above(w.store, p.id) and R.is_above(w.store, m.id)
    # ward -> laptop: the target of its ward, with where it came from
    exchange_down(w, lap, stick)
    assert lap.store.row("targets", t.id)["value"] == 15
    # nothing is sent twice once the receipts came back
    assert DX.preview_down(p.store, m.id)[0].relayed == 0
    assert DX.preview_down(m.store, w.id)[0].relayed == 0


def test_a_tampered_relayed_envelope_is_refused_at_the_ward(chain):
    p, m, w, _lap, stick = chain
    with p.store.write() as wr:
        wr.create(
            Target(unit_code=WARD, year=2026, kind=OrgKind.UNION, metric=TargetMetric.MEMBERS, value=80)
        )
    exchange_down(p, m, stick)
    # the middle office rewrites the province's relayed envelope (its own key cannot sign for the province)
    row = m.store.conn.execute(
        "SELECT eid FROM sync_envelopes WHERE direction = 'down' AND recipient = ?", (w.id,)
    ).fetchone()
    assert row is not None
    from app.sync.bundles import stored_envelopes

    [env] = stored_envelopes(m.store, [row[0]])
    forged = env.raw.replace(b",80]", b",10]")
    assert forged != env.raw
    m.store.conn.execute("UPDATE sync_envelopes SET data = ?, blob_id = NULL WHERE eid = ?", (forged, row[0]))
    m.store.conn.commit()
    [res] = DX.export_down(m.store, m.ident, stick, machine=w.id)
    before = db_fingerprint(w.store)
    [r] = w.import_(res.path)
    assert r.error is not None and r.error.reason in ("bad_signature", "tampered"), r.summary()
    assert db_fingerprint(w.store) == before


def test_a_restored_province_fork_released_at_the_middle_office_reaches_the_laptop(chain, tmp_path):
    """The province's computer is restored from a backup: its next envelope for the ward forks the chain
    the middle office keeps for the ward (same number, other content) and is set aside there; a person
    releases it, and the middle office relays the original and the released fork to the ward in one file.
    The ward follows the release (no crash, no second quarantine), and every record reaches the ward and
    its laptop."""
    from app.sync import bundles as B

    p, m, w, lap, stick = chain
    saved, a1 = _backup_then_a_file_with_nothing_for_the_ward(p, m, stick, tmp_path)
    t1 = Target(unit_code=WARD, year=2026, kind=OrgKind.UNION, metric=TargetMetric.ORGANISATIONS, value=15)
    with p.store.write() as wr:
        wr.create(t1)
    assert m.import_ok(DX.export_down(p.store, p.ident, stick, machine=m.id)[0].path).relayed == 1
    original = m.store.conn.execute(
        "SELECT hash FROM sync_chains WHERE sender = ? AND recipient = ?", (p.id, w.id)
    ).fetchall()
    # the province's computer is restored; the first file, still on the stick, is imported again at the
    # middle office, whose receipt tells the province where its chain to the middle office stands
    p = restore(p, saved)
    [again] = m.import_(a1)
    assert again.outcome == "already" and again.receipt is not None
    p.import_ok(again.receipt)
    t2 = Target(unit_code=WARD, year=2026, kind=OrgKind.UNION, metric=TargetMetric.MEMBERS, value=80)
    with p.store.write() as wr:
        wr.create(t2)
    r = m.import_ok(DX.export_down(p.store, p.ident, stick, machine=m.id)[0].path)
    assert r.outcome == "applied" and "CÁCH LY" in r.summary()
    [q] = B.quarantined(m.store)
    assert (q["sender"], q["recipient"], q["seq"]) == (p.id, w.id, 1)
    released = B.release(m.store, q["id"])
    assert released.rebased
    assert (
        m.store.conn.execute(
            "SELECT hash FROM sync_chains_replaced WHERE sender = ? AND recipient = ?", (p.id, w.id)
        ).fetchall()
        == original
    )
    # middle -> ward: the original and the released fork in one file
    r = exchange_down(m, w, stick)
    assert r.relayed == 2 and B.quarantined(w.store) == []
    assert "Gói đi xuống chuyển tiếp số 1" in r.summary() and "đã kiểm tra và gộp" in r.summary()
    assert w.store.row("targets", t1.id)["value"] == 15 and w.store.row("targets", t2.id)["value"] == 80

    def on_chain(x):
        return x.store.conn.execute(
            "SELECT seq, hash FROM sync_chains WHERE sender = ? AND recipient = ? ORDER BY seq", (p.id, w.id)
        ).fetchall()

    assert on_chain(w) == on_chain(m)
    # ward -> laptop: every record, nothing set aside
    exchange_down(w, lap, stick)
    assert lap.store.row("targets", t1.id)["value"] == 15 and lap.store.row("targets", t2.id)["value"] == 80
    assert B.quarantined(lap.store) == []
    p.store.close()


def test_values_set_above_name_the_office_not_the_person(chain):
    """«do ... giao» names the office by its unit and role (the province: «Thành ủy Hà Nội»); a middle
    office, whose unit does not say its name, by the name its machine registered with."""
    from app.services.office_settings import set_own
    from app.storage import from_above

    p, m, w, _lap, stick = chain
    set_own(p.store, {"min_union": 7})
    t = Target(unit_code=WARD, year=2026, kind=OrgKind.UNION, metric=TargetMetric.MEMBERS, value=80)
    with m.store.write() as wr:
        wr.create(t)
    exchange_down(p, m, stick)
    exchange_down(m, w, stick)
    value, source = from_above.setting(w.store.conn, "min_union")
    assert value == 7 and source is not None and source.phrase == "do Thành ủy Hà Nội giao"
    given = from_above.targets(w.store.conn, WARD, 2026)[(OrgKind.UNION.value, TargetMetric.MEMBERS.value)]
    assert given.value == 80 and given.source.phrase == "do Đảng ủy Khối doanh nghiệp giao"


def test_a_restored_province_whose_own_file_forks_needs_one_release_at_the_middle_office(chain, tmp_path):
    """The province's computer is restored from a backup and its first file forks the middle office's own
    chain from the province: the province's own envelope is set aside. The envelope it carries for the
    ward (which forks the chain the middle office keeps for the ward too) is set aside with it and released
    with it: one release, after which the middle office keeps it to relay. So the province's next file,
    whose ward envelope builds on that one, passes the middle office without a second release, and every
    record reaches the laptop."""
    from app.sync import bundles as B

    p, m, w, lap, stick = chain
    exchange_down(p, m, stick)
    saved = _province_backup(p, tmp_path)
    t1 = Target(unit_code=WARD, year=2026, kind=OrgKind.UNION, metric=TargetMetric.ORGANISATIONS, value=15)
    with p.store.write() as wr:
        wr.create(t1)
    r = exchange_down(p, m, stick)
    assert r.relayed == 1
    # the province's computer is restored: what it sent since the backup is forgotten there
    p = restore(p, saved)
    t2 = Target(unit_code=WARD, year=2026, kind=OrgKind.UNION, metric=TargetMetric.MEMBERS, value=80)
    with p.store.write() as wr:
        wr.create(t2)
    r = m.import_ok(DX.export_down(p.store, p.ident, stick, machine=m.id)[0].path)
    assert r.outcome == "quarantined" and "CÁCH LY" in r.summary(), r.summary()
    assert r.receipt is None  # nothing is confirmed before a person released the file
    waiting = B.quarantined(m.store)
    assert sorted((q["sender"], q["recipient"], q["seq"]) for q in waiting) == sorted(
        [(p.id, m.id, 2), (p.id, w.id, 1)]
    )  # the file, and the province's envelope for the ward it carried (a fork of that chain too)
    [own] = [q for q in waiting if q["recipient"] == m.id]
    released = B.release(m.store, own["id"], ident=m.ident, receipt_to=stick)
    assert B.quarantined(m.store) == []  # one release: the ward's envelope went with the file
    assert [seq for _, seq in released.bundles] == [2, 1] and released.rebased
    assert released.receipt is not None
    p.import_ok(released.receipt)
    assert m.store.row("targets", t2.id)["value"] == 80
    # middle -> ward -> laptop: every record
    exchange_down(m, w, stick)
    exchange_down(w, lap, stick)
    assert lap.store.row("targets", t1.id)["value"] == 15 and lap.store.row("targets", t2.id)["value"] == 80
    # the province's next file passes the middle office: nothing set aside, no second release
    t3 = Target(unit_code=WARD, year=2027, kind=OrgKind.UNION, metric=TargetMetric.MEMBERS, value=90)
    with p.store.write() as wr:
        wr.create(t3)
    r = exchange_down(p, m, stick)
    assert "CÁCH LY" not in r.summary(), r.summary()
    assert B.quarantined(m.store) == []
    exchange_down(m, w, stick)
    exchange_down(w, lap, stick)
    for t, value in ((t1, 15), (t2, 80), (t3, 90)):
        assert lap.store.row("targets", t.id)["value"] == value
    assert B.quarantined(w.store) == [] and B.quarantined(lap.store) == []
    p.store.close()


def test_a_set_aside_file_still_keeps_the_envelopes_it_relays_that_do_not_fork(chain, tmp_path):
    """The restored province's file forks the middle office's chain, but its envelope for the ward starts a
    chain the middle office never saw: that envelope is checked, placed on its chain and kept to relay at
    once (the ward gets it before anyone released the file); no receipt until the release; the province's
    next file passes."""
    from app.sync import bundles as B

    p, m, w, lap, stick = chain
    saved, _first = _backup_then_a_file_with_nothing_for_the_ward(p, m, stick, tmp_path)
    p = restore(p, saved)
    t1 = Target(unit_code=WARD, year=2026, kind=OrgKind.UNION, metric=TargetMetric.ORGANISATIONS, value=15)
    with p.store.write() as wr:
        wr.create(t1)
    before = m.store.row("targets", t1.id)
    r = m.import_ok(DX.export_down(p.store, p.ident, stick, machine=m.id)[0].path)
    assert r.outcome == "quarantined" and r.relayed == 1 and r.receipt is None, r.summary()
    assert "vẫn được kiểm tra và giữ lại" in r.summary()
    assert before is None and m.store.row("targets", t1.id) is None  # the province's own part waits
    [q] = B.quarantined(m.store)
    assert (q["recipient"], q["seq"]) == (m.id, 1)
    assert m.store.conn.execute(
        "SELECT seq FROM sync_chains WHERE sender = ? AND recipient = ?", (p.id, w.id)
    ).fetchall() == [(1,)]
    # the ward gets the province's envelope before the release
    exchange_down(m, w, stick)
    assert w.store.row("targets", t1.id)["value"] == 15
    released = B.release(m.store, q["id"], ident=m.ident, receipt_to=stick)
    assert released.receipt is not None and B.quarantined(m.store) == []
    p.import_ok(released.receipt)
    t2 = Target(unit_code=WARD, year=2026, kind=OrgKind.UNION, metric=TargetMetric.MEMBERS, value=80)
    with p.store.write() as wr:
        wr.create(t2)
    r = exchange_down(p, m, stick)
    assert "CÁCH LY" not in r.summary() and B.quarantined(m.store) == [], r.summary()
    exchange_down(m, w, stick)
    exchange_down(w, lap, stick)
    for t, value in ((t1, 15), (t2, 80)):
        assert lap.store.row("targets", t.id)["value"] == value
    assert B.quarantined(w.store) == [] and B.quarantined(lap.store) == []
    p.store.close()
