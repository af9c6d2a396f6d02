"""Others' visits count on a collaborator's laptop (issue 16): the visits of an enterprise it does not
follow come down as a summary ("last visited on ..., by ..."), and the list's "not visited for N months"
and the work list's «Lâu chưa khảo sát» count them, so two collaborators of one ward do not visit one
company in the same week. Real downward bundles between real machines."""

from __future__ import annotations

from datetime import date

from app.domain.records import Visit, VisitSummary
from app.services import enterprise_list as el
from app.services import worklist as wl
from tests.sync.conftest import enterprise
from tests.sync.test_down import assign, exchange_down, up, visit

TODAY = date(2026, 5, 4)
NOT_VISITED = el.ListQuery(not_visited_months=6, today=TODAY)


def _not_visited(m) -> set[str]:
    return {r["id"] for r in el.page(m.store, NOT_VISITED, 0, 100)}


def _work(m) -> dict[str, wl.WorkItem]:
    q = wl.WorkQuery(today=TODAY)
    assert wl.count(m.store, q, wl.NOT_VISITED) == len(wl.page(m.store, q, wl.NOT_VISITED, 0, 100))
    return {i.enterprise_id: i for i in wl.page(m.store, q, wl.NOT_VISITED, 0, 100)}


def test_a_visit_by_the_other_collaborator_counts_on_this_laptop(net):
    l1, l2, ward, stick = net.l1, net.l2, net.ward, net.stick
    hoa_binh = enterprise(ward, "Công ty TNHH Hòa Bình", "0100109106")
    thang_long = enterprise(ward, "Công ty CP Thăng Long", "0101243150")
    assign(ward, hoa_binh, l1)
    assign(ward, thang_long, l1)
    exchange_down(ward, l1, stick)
    # the first collaborator visits Hòa Bình last week and Thăng Long a year ago; it goes up
    v = visit(l1, hoa_binh, date(2026, 4, 27), "Nguyễn Thị Hằng")
    visit(l1, thang_long, date(2025, 5, 2), "Nguyễn Thị Hằng")
    up(l1, ward, stick)
    # the second laptop follows neither: it gets the list and the summaries, not the visits
    r = exchange_down(ward, l2, stick)
    assert r.report.new >= 4
    assert l2.store.conn.execute("SELECT count(*) FROM visits").fetchone()[0] == 0
    assert l2.store.get(VisitSummary, VisitSummary.id_for(hoa_binh.id)).last_visitor == "Nguyễn Thị Hằng"
    # Hòa Bình was visited last week: not in "not visited for 6 months", nor in the work list
    assert _not_visited(l2) == {thang_long.id}
    work = _work(l2)
    assert set(work) == {thang_long.id}
    assert work[thang_long.id].day == date(2025, 5, 2)
    assert work[thang_long.id].what.startswith("Lần khảo sát gần nhất 02/05/2025")
    # the list shows and sorts by the last visit known, whoever made it
    rows = el.page(l2.store, el.ListQuery(sort="last_visit", descending=True, today=TODAY), 0, 10)
    assert [(row["id"], row["last_visit"]) for row in rows] == [
        (hoa_binh.id, "2026-04-27"),
        (thang_long.id, "2025-05-02"),
    ]
    # the first laptop counts its own visits as before
    assert _not_visited(l1) == {thang_long.id}

    # an older visit of the second laptop's own does not hide the later one it was told of
    visit(l2, hoa_binh, date(2025, 1, 10), "Trần Văn Nam")
    assert _not_visited(l2) == {thang_long.id}
    # the visit of last week was typed on the wrong enterprise: deleted, and the summary follows down
    with l1.store.write() as w:
        w.delete("visits", v.id)
    up(l1, ward, stick)
    exchange_down(ward, l2, stick)
    s = l2.store.get(VisitSummary, VisitSummary.id_for(hoa_binh.id))
    assert s is not None and s.last_visit_date is None and s.visits == 0
    assert _not_visited(l2) == {hoa_binh.id, thang_long.id}
    assert _work(l2)[hoa_binh.id].day == date(2025, 1, 10)  # its own visit is the latest now
    # visited again by the first collaborator this week: the summary's new date counts at once
    visit(l1, thang_long, date(2026, 5, 2), "Nguyễn Thị Hằng")
    up(l1, ward, stick)
    exchange_down(ward, l2, stick)
    assert _not_visited(l2) == {hoa_binh.id}
    for m in (l1, l2, ward):
        assert m.store.integrity_check() == []


def test_the_office_does_not_count_the_summaries_it_wrote(net):
    """An office's summaries are written from its visits when it sends down: a visit deleted at the office
    counts at once, not when the next downward bundle refreshes the summary."""
    l1, ward, stick = net.l1, net.ward, net.stick
    e = enterprise(ward)
    v = visit(ward, e, date(2026, 4, 27), "Nguyễn Thị Hằng")
    exchange_down(ward, l1, stick)  # writes the summary at the ward
    assert ward.store.conn.execute("SELECT count(*) FROM visit_summaries").fetchone()[0] == 1
    assert _not_visited(l1) == set()  # the laptop is told
    with ward.store.write() as w:
        w.delete("visits", v.id)
    assert _not_visited(ward) == {e.id}
    assert ward.store.integrity_check() == []


def test_a_summary_waiting_for_its_enterprise_counts_when_it_comes(net):
    """The office's summary reaches the laptop through the general merge too (an edit of a summary the
    laptop holds, a visit of an enterprise assigned later): the row follows."""
    l1, l2, ward, stick = net.l1, net.l2, net.ward, net.stick
    e = enterprise(ward)
    assign(ward, e, l1)
    exchange_down(ward, l1, stick)
    exchange_down(ward, l2, stick)
    visit(l1, e, date(2026, 4, 1))
    up(l1, ward, stick)
    exchange_down(ward, l2, stick)
    assert _not_visited(l2) == set()
    with l1.store.write() as w:
        w.update(Visit.from_row({**l1.store.row("visits", _only_visit(l1)), "visit_date": "2025-04-01"}))
    up(l1, ward, stick)
    exchange_down(ward, l2, stick)  # the summary is edited: the trigger recounts
    assert l2.store.row("enterprises", e.id)["last_visit"] == "2025-04-01"
    assert _not_visited(l2) == {e.id}
    assert l2.store.integrity_check() == []


def _only_visit(m) -> str:
    [(vid,)] = m.store.conn.execute("SELECT id FROM visits").fetchall()
    return vid
