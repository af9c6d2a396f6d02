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


@pytest.fixture
def chain(tmp_path):
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
    yield p, m, w, lap, stick
    for x in (p, m, w, lap):
        x.store.close()


def test_the_province_envelope_for_a_ward_travels_intact_through_the_middle_office(chain):
    p, m, w, lap, stick = chain
    # the province learns of the ward through the middle office's vouching
    up(w, m, stick)
    up(m, p, stick)
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
    up(w, m, stick)
    up(m, p, stick)
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
