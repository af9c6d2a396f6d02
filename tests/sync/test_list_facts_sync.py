"""The list's facts (last visit, organisations founded) at an office follow what bundles bring, through
the bulk import of new records and the general merge of edits."""

from __future__ import annotations

from app.domain.records import Organisation, Visit
from app.domain.vocab import OrgKind, OrgStatus
from app.storage import list_facts
from tests.sync.conftest import enterprise


def _facts(m, eid):
    row = m.store.row("enterprises", eid)
    return row["last_visit"], list_facts.kinds(row["founded"])


def test_an_office_counts_what_bundles_bring(net):
    e = enterprise(net.l1)
    v1 = Visit(enterprise_id=e.id, visit_date="2025-03-04")
    v2 = Visit(enterprise_id=e.id, visit_date="2025-06-07")
    union = Organisation(enterprise_id=e.id, kind=OrgKind.UNION, status=OrgStatus.FOUNDED)
    party = Organisation(enterprise_id=e.id, kind=OrgKind.PARTY, status=OrgStatus.MOBILISING)
    with net.l1.store.write() as w:
        w.create_many([v1, v2, union, party])
    expected = ("2025-06-07", {OrgKind.UNION})
    assert _facts(net.l1, e.id) == expected
    net.ward.import_ok(net.l1.export(net.stick))  # new records: the bulk import
    assert _facts(net.ward, e.id) == expected
    # edits: the general merge (a later visit's date corrected, the Party cell founded, a visit deleted)
    with net.l1.store.write() as w:
        w.update(Visit.from_row({**net.l1.store.row("visits", v2.id), "visit_date": "2025-02-01"}))
        w.update(Organisation.from_row({**net.l1.store.row("organisations", party.id), "status": "founded"}))
        w.delete("visits", v1.id)
        w.create(Visit(enterprise_id=e.id, visit_date="2025-01-15"))
    expected = ("2025-02-01", {OrgKind.UNION, OrgKind.PARTY})
    assert _facts(net.l1, e.id) == expected
    net.ward.import_ok(net.l1.export(net.stick))
    assert _facts(net.ward, e.id) == expected
    # relayed to the province: the same
    net.province.import_ok(net.ward.export(net.stick))
    assert _facts(net.province, e.id) == expected
    for m in (net.l1, net.ward, net.province):
        assert m.store.integrity_check() == []
