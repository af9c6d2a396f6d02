"""The report's kept figures (``work_facts``' pool of candidates, ``member_counts``) at an office follow
what bundles bring, through the bulk import of new records and the general merge of edits, and the
office above that they are relayed to; at each machine they equal a count from scratch."""

from __future__ import annotations

from app.domain.records import Organisation, Visit
from app.domain.vocab import OrgKind, OrgStatus
from app.storage import work_facts
from tests.sync.conftest import enterprise


def _figures(m, eid):
    row = m.store.conn.execute(
        "SELECT reported, identified, trained, applied FROM work_facts WHERE enterprise_id = ?", (eid,)
    ).fetchone()
    counts = m.store.conn.execute(
        "SELECT kind, counted_on, members FROM member_counts WHERE enterprise_id = ? ORDER BY kind", (eid,)
    ).fetchall()
    return tuple(row), [tuple(r) for r in counts]


def test_an_office_keeps_the_report_figures_of_what_bundles_bring(net):
    e = enterprise(net.l1)
    v1 = Visit(enterprise_id=e.id, visit_date="2025-03-04", union_members=12, party_total=3)
    v2 = Visit(
        enterprise_id=e.id,
        visit_date="2025-06-07",
        union_members=15,
        candidates_identified=2,
        candidates_trained=1,
    )
    union = Organisation(enterprise_id=e.id, kind=OrgKind.UNION, status=OrgStatus.FOUNDED)
    party = Organisation(enterprise_id=e.id, kind=OrgKind.PARTY, status=OrgStatus.MOBILISING)
    with net.l1.store.write() as w:
        w.create_many([v1, v2, union, party])
    expected = ((1, 2, 1, None), [("union", "2025-06-07", 15)])
    assert _figures(net.l1, e.id) == expected
    net.ward.import_ok(net.l1.export(net.stick))  # new records: the bulk import
    assert _figures(net.ward, e.id) == expected
    # edits: the general merge (the later visit moved before the first, the Party cell founded, a visit
    # deleted, a new one with a count the same day as another)
    with net.l1.store.write() as w:
        w.update(Visit.from_row({**net.l1.store.row("visits", v2.id), "visit_date": "2025-02-01"}))
        w.update(Organisation.from_row({**net.l1.store.row("organisations", party.id), "status": "founded"}))
        w.create(Visit(enterprise_id=e.id, visit_date="2025-03-04", union_members=14, candidates_applied=1))
    expected = ((1, None, None, 1), [("party", "2025-03-04", 3), ("union", "2025-03-04", 14)])
    assert _figures(net.l1, e.id) == expected
    net.ward.import_ok(net.l1.export(net.stick))
    assert _figures(net.ward, e.id) == expected
    with net.l1.store.write() as w:
        w.delete("visits", v1.id)
    net.ward.import_ok(net.l1.export(net.stick))
    assert _figures(net.ward, e.id)[1] == [("union", "2025-03-04", 14)]
    # relayed to the province: the same
    net.province.import_ok(net.ward.export(net.stick))
    assert _figures(net.province, e.id) == _figures(net.ward, e.id) == _figures(net.l1, e.id)
    for m in (net.l1, net.ward, net.province):
        assert work_facts.problems(m.store.conn) == []
        assert m.store.integrity_check() == []
