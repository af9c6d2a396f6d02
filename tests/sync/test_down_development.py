"""Issue 17's records travel down too (issue 16's downward bundles): the yearly quality levels (an
entity of payload version 3), the recognition of probationary Party members as official, and the pool
of candidates counted on a visit reach the collaborator the enterprise is assigned to, and show on
that laptop: in its work list and in its report's numbers, as the office sees them for that enterprise.
The levels follow their organisation to every laptop of the ward (they name no person), so the
laptop's table of levels is the office's.

The office's own records and those another laptop sent up (relayed down as they came), first as the
whole history of a newly assigned enterprise, then as the changes of the next bundle. An enterprise
not assigned to the laptop sends its visits as a summary and its admissions not at all.
"""

from __future__ import annotations

from datetime import date

from app.domain.records import Admission, Organisation, QualityRating, Visit, VisitSummary
from app.domain.vocab import OrgKind, OrgStatus, QualityLevel
from app.reports.results import Period, compute, development_for
from app.services import records as svc
from app.services import worklist as wl
from tests.sync.conftest import WARD, enterprise
from tests.sync.test_down import assign, exchange_down, up

TODAY = date(2025, 11, 20)  # the day both machines look at their work list and report


def _founded_party(e) -> Organisation:
    return Organisation(
        enterprise_id=e.id,
        kind=OrgKind.PARTY,
        status=OrgStatus.FOUNDED,
        decision_number="12-QĐ/ĐU",
        decision_date=date(2023, 3, 1),
        issuing_body="Đảng ủy phường Hoàn Kiếm",
        founding_members=3,
    )


def _rating(e, org, level: QualityLevel, year: int = 2024) -> QualityRating:
    return QualityRating(
        enterprise_id=e.id, organisation_id=org.id, kind=OrgKind.PARTY, year=year, level=level
    )


def _lines(store, section: str) -> list[wl.WorkItem]:
    q = wl.query_for(store, TODAY, WARD)
    return wl.page(store, q, section, 0, 100)


def _numbers(store):
    return development_for(store, WARD, Period.year(2025), TODAY)


def test_levels_recognitions_and_the_pool_go_down_to_the_assigned_laptop_and_show(net):
    ward, l1, l2 = net.ward, net.l1, net.l2
    e = enterprise(ward, "Công ty TNHH Hòa Bình", "0100109106", workforce_total=120)
    other = enterprise(ward, "Công ty CP Thăng Long", "0101243150", workforce_total=60)
    assign(ward, e, l2)  # the second laptop visits it first
    exchange_down(ward, l2, net.stick)

    # the second laptop's visit (the pool of candidates, members enough for a trade union) goes up
    visit = svc.save_visit(
        l2.store,
        Visit(
            enterprise_id=e.id,
            visit_date=date(2025, 6, 2),
            collaborator="Trần Văn Nam",
            workforce_total=120,
            party_total=4,
            party_official=4,
            union_members=8,
            candidates_identified=5,
            candidates_trained=3,
            candidates_applied=2,
            candidates_admitted=0,
        ),
        today=TODAY,
    ).record
    up(l2, ward, net.stick)

    # at the office: the Party organisation, its level for 2024, two admissions (one recognised)
    org = svc.save_organisation(ward.store, _founded_party(e), today=TODAY).record
    rating = svc.save_rating(ward.store, _rating(e, org, QualityLevel.GOOD), today=TODAY).record
    recognised = svc.save_admission(
        ward.store,
        Admission(
            enterprise_id=e.id,
            organisation_id=org.id,
            kind=OrgKind.PARTY,
            admitted_on=date(2024, 5, 10),
            count=2,
            official_on=date(2025, 5, 12),
            official_decision="88-QĐ/ĐU",
        ),
        today=TODAY,
    ).record
    waiting = svc.save_admission(
        ward.store,
        Admission(
            enterprise_id=e.id,
            organisation_id=org.id,
            kind=OrgKind.PARTY,
            admitted_on=date(2024, 11, 15),
            count=1,
        ),
        today=TODAY,
    ).record
    # the enterprise not assigned to the first laptop: its records stay at the office (a summary goes)
    other_org = svc.save_organisation(ward.store, _founded_party(other), today=TODAY).record
    svc.save_rating(ward.store, _rating(other, other_org, QualityLevel.EXCELLENT), today=TODAY)
    svc.save_admission(
        ward.store,
        Admission(enterprise_id=other.id, kind=OrgKind.PARTY, admitted_on=date(2024, 11, 25), count=3),
        today=TODAY,
    )
    other_visit = svc.save_visit(
        ward.store,
        Visit(
            enterprise_id=other.id,
            visit_date=date(2025, 9, 9),
            collaborator="Lê Thị Thu",
            candidates_identified=7,
        ),
        today=TODAY,
    ).record

    # the enterprise is now the first laptop's: its whole history goes down to it
    assign(ward, e, l1)
    s = l1.store
    written = s.writes_committed
    came = exchange_down(ward, l1, net.stick)
    # and the import says what it changed (the window refreshes its list, work list and targets from
    # it), and counts as a write of records (a task stopped after it refreshes everything)
    said = came.changes
    assert s.writes_committed > written
    assert said.touches("quality_ratings") and said.touches("admissions") and said.touches("visits")
    assert rating.id in said.created("quality_ratings") and visit.id in said.created("visits")
    assert s.get(QualityRating, rating.id).level == QualityLevel.GOOD
    got = s.get(Admission, recognised.id)
    assert (got.official_on, got.official_decision) == (date(2025, 5, 12), "88-QĐ/ĐU")
    assert s.get(Admission, waiting.id).official_on is None
    v = s.get(Visit, visit.id)
    assert (v.candidates_identified, v.candidates_trained, v.candidates_applied) == (5, 3, 2)
    # the other enterprise: a summary of its visit, nothing of its admissions (Party membership); its
    # organisation and that organisation's level, as of every organisation of the ward
    assert s.row("visits", other_visit.id) is None
    assert s.get(VisitSummary, VisitSummary.id_for(other.id)).last_visit_date == date(2025, 9, 9)
    assert (
        s.conn.execute("SELECT count(*) FROM admissions WHERE enterprise_id = ?", (other.id,)).fetchone()[0]
        == 0
    )
    assert s.get(Organisation, other_org.id) is not None
    assert [r.level for r in s.children(QualityRating, other.id)] == [QualityLevel.EXCELLENT]

    # the work list of the laptop: the recognition overdue, the trade union within reach
    [due] = _lines(s, wl.PROBATION)
    assert (due.enterprise_id, due.record_id, due.day) == (e.id, waiting.id, date(2025, 11, 15))
    [chance] = _lines(s, wl.OPPORTUNITIES)
    assert chance.enterprise_id == e.id and "Công đoàn" in chance.what and "8" in chance.what
    assert e.id not in {i.enterprise_id for i in _lines(s, wl.NOT_VISITED)}
    # and the report's numbers
    n = _numbers(s)
    assert (n.pool.enterprises, n.pool.identified, n.pool.trained, n.pool.applied) == (1, 5, 3, 2)
    assert (n.probation.decisions, n.probation.people, n.probation.overdue_people) == (1, 2, 1)
    assert n.quality.year == 2024 and n.quality.levels[OrgKind.PARTY][QualityLevel.GOOD] == 1
    assert n.opportunities.by_kind[OrgKind.UNION] == 1 and n.opportunities.by_kind[OrgKind.PARTY] == 0
    # the quality levels are the ward's, as at the office (no organisation of the ward shown unrated
    # on the laptop while the office rated it); the pool and the probation of its own enterprise only
    office = _numbers(ward.store)
    assert n.quality == office.quality and n.quality.levels[OrgKind.PARTY][QualityLevel.EXCELLENT] == 1
    assert office.pool.identified == 5 + 7 and office.probation.probationary == 3  # the other enterprise's
    # the printed report of the laptop says them too
    assert compute(s, WARD, Period.year(2025), today=TODAY).development == n

    # later, at the office: the waiting member recognised, the level corrected, a new visit's pool
    waiting.official_on, waiting.official_decision = date(2025, 11, 18), "102-QĐ/ĐU"
    svc.save_admission(ward.store, waiting, today=TODAY)
    svc.save_rating(ward.store, _rating(e, org, QualityLevel.EXCELLENT), today=TODAY)
    svc.save_visit(
        ward.store,
        Visit(
            enterprise_id=e.id,
            visit_date=date(2025, 11, 10),
            collaborator="Lê Thị Thu",
            workforce_total=125,
            party_official=5,
            union_members=9,
            candidates_identified=6,
            candidates_trained=4,
            candidates_applied=3,
        ),
        today=TODAY,
    )
    r = exchange_down(ward, l1, net.stick)
    assert r.report.new >= 1  # the visit; the rest are changes
    assert s.get(Admission, waiting.id).official_decision == "102-QĐ/ĐU"
    [level] = s.children(QualityRating, e.id)
    assert level.id == rating.id and level.level == QualityLevel.EXCELLENT  # one per organisation and year
    assert _lines(s, wl.PROBATION) == []
    [chance] = _lines(s, wl.OPPORTUNITIES)
    assert "9" in chance.what
    n = _numbers(s)
    assert (n.pool.identified, n.pool.trained, n.pool.applied) == (6, 4, 3)
    assert (n.probation.decisions, n.probation.people, n.probation.overdue_people) == (2, 3, 0)
    assert n.quality.levels[OrgKind.PARTY][QualityLevel.EXCELLENT] == 2
    assert n.quality.levels[OrgKind.PARTY][QualityLevel.GOOD] == 0
    assert n.quality == _numbers(ward.store).quality
