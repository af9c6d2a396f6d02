"""The last visit and the organisations founded, kept on the enterprise by triggers whatever writes."""

from __future__ import annotations

from app.domain.records import Enterprise, Organisation, Visit, VisitSummary
from app.domain.vocab import OrgKind, OrgStatus
from app.storage import list_facts, search, work_facts


def _facts(store, e):
    row = store.row("enterprises", e.id)
    return row["last_visit"], list_facts.kinds(row["founded"])


def _enterprise(store, name="Công ty TNHH Hòa Bình", tax_code="0100109106"):
    e = Enterprise(name=name, tax_code=tax_code, ward_code="00070")
    with store.write() as w:
        w.create(e)
    return e


def test_last_visit_follows_visits(store):
    e = _enterprise(store)
    assert _facts(store, e) == (None, frozenset())
    a = Visit(enterprise_id=e.id, visit_date="2025-03-04")
    b = Visit(enterprise_id=e.id, visit_date="2025-01-02")
    with store.write() as w:
        w.create_many([a, b])
    assert _facts(store, e)[0] == "2025-03-04"
    with store.write() as w:
        w.update(Visit.from_row({**store.row("visits", a.id), "visit_date": "2024-12-31"}))
    assert _facts(store, e)[0] == "2025-01-02"  # the later visit's date was corrected
    with store.write() as w:
        w.delete("visits", b.id)
    assert _facts(store, e)[0] == "2024-12-31"
    with store.write() as w:
        w.delete("visits", a.id)
    assert _facts(store, e)[0] is None
    with store.write() as w:
        w.restore("visits", b.id)
    assert _facts(store, e)[0] == "2025-01-02"
    # a visit moved to another enterprise (two records of one enterprise merged by a person)
    other = _enterprise(store, "Công ty TNHH Bình An", "0100109113")
    with store.write() as w:
        w.update(Visit.from_row({**store.row("visits", b.id), "enterprise_id": other.id}))
    assert _facts(store, e)[0] is None and _facts(store, other)[0] == "2025-01-02"
    assert list_facts.problems(store.conn) == []


def test_last_visit_counts_the_summaries_of_others_visits(store):
    """A laptop is told of others' visits by its office's summary (written elsewhere: another origin)."""
    e = _enterprise(store)
    with store.write() as w:
        w.create(Visit(enterprise_id=e.id, visit_date="2025-01-02"))
    s = VisitSummary(id=VisitSummary.id_for(e.id), enterprise_id=e.id, last_visit_date="2025-06-07", visits=2)
    row = {**s.to_row(), "deleted": 0, "created_hlc": "x", "updated_hlc": "x", "origin": "the-office"}
    store.conn.execute(
        f"INSERT INTO visit_summaries({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
        list(row.values()),
    )
    assert list_facts.problems(store.conn)  # inserted behind the writers' back: found, recounted
    list_facts.recount(store.conn, [e.id])
    assert _facts(store, e)[0] == "2025-06-07"
    store.conn.execute("UPDATE visit_summaries SET last_visit_date = '2024-05-06'")
    assert _facts(store, e)[0] == "2025-01-02"  # the summary's date corrected: its own visit is later
    store.conn.execute("UPDATE visit_summaries SET last_visit_date = '2025-08-09'")
    assert _facts(store, e)[0] == "2025-08-09"
    store.conn.execute("UPDATE visit_summaries SET deleted = 1")
    assert _facts(store, e)[0] == "2025-01-02"
    store.conn.execute("UPDATE visit_summaries SET deleted = 0")
    store.conn.execute("DELETE FROM visits")
    assert _facts(store, e)[0] == "2025-08-09"
    store.conn.execute("DELETE FROM visit_summaries")
    assert _facts(store, e)[0] is None
    # the summaries this machine wrote itself (an office's, for the machines below) are not counted
    with store.write() as w:
        w.create(s)
    assert _facts(store, e)[0] is None
    store.conn.execute("UPDATE enterprises SET last_visit = '2000-01-01'")
    list_facts.fill(store.conn)
    assert _facts(store, e)[0] is None and list_facts.problems(store.conn) == []


def test_founded_kinds_follow_organisations(store):
    e = _enterprise(store)
    union = Organisation(enterprise_id=e.id, kind=OrgKind.UNION, status=OrgStatus.MOBILISING)
    party = Organisation(enterprise_id=e.id, kind=OrgKind.PARTY, status=OrgStatus.FOUNDED)
    with store.write() as w:
        w.create_many([union, party])
    assert _facts(store, e)[1] == {OrgKind.PARTY}
    with store.write() as w:
        w.update(Organisation.from_row({**store.row("organisations", union.id), "status": "founded"}))
    assert _facts(store, e)[1] == {OrgKind.PARTY, OrgKind.UNION}
    with store.write() as w:
        w.update(Organisation.from_row({**store.row("organisations", party.id), "status": "dissolved"}))
    assert _facts(store, e)[1] == {OrgKind.UNION}
    with store.write() as w:
        w.delete("organisations", union.id)
    assert _facts(store, e)[1] == frozenset()
    with store.write() as w:
        w.restore("organisations", union.id)
    assert _facts(store, e)[1] == {OrgKind.UNION}
    assert list_facts.problems(store.conn) == []


def test_rows_written_by_another_tool_are_found_and_recounted(store):
    # a visit and an organisation inserted behind KhaoSat's back: the check sees it, a recount fixes it
    store.conn.execute(
        "INSERT INTO enterprises(id, name, tax_code, ward_code, created_hlc, updated_hlc, origin) "
        "VALUES ('e-1', 'Công ty TNHH Sao Mai', '0100109106', '00070', 'x', 'x', 'o')"
    )
    search.rebuild_index(store.conn)
    assert store.integrity_check() == []
    store.conn.execute(
        "INSERT INTO visits(id, enterprise_id, visit_date, created_hlc, updated_hlc, origin) "
        "VALUES ('v-1', 'e-1', '2025-05-06', 'x', 'x', 'o')"
    )
    store.conn.execute(
        "INSERT INTO organisations(id, enterprise_id, kind, status, created_hlc, updated_hlc, origin) "
        "VALUES ('o-1', 'e-1', 'youth', 'founded', 'x', 'x', 'o')"
    )
    assert list_facts.problems(store.conn) and store.integrity_check()
    list_facts.recount(store.conn, ["e-1"])
    work_facts.recount(store.conn, ["e-1"])  # the work list's summary is recounted the same way
    row = store.row("enterprises", "e-1")
    assert (row["last_visit"], list_facts.kinds(row["founded"])) == ("2025-05-06", {OrgKind.YOUTH})
    assert store.integrity_check() == []
    store.conn.execute("UPDATE enterprises SET founded = 0, last_visit = NULL")
    list_facts.fill(store.conn)
    assert list_facts.problems(store.conn) == [] and store.integrity_check() == []
