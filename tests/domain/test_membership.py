"""How an organisation's membership follows its founding, admissions, counts at visits and on its form."""

from __future__ import annotations

from datetime import date

from app.domain.membership import FOUNDING, OWN, VISIT, membership
from app.domain.records import Admission, Organisation, Visit
from app.domain.vocab import OrgKind, OrgStatus

E = "e1"


def _cell(**kw) -> Organisation:
    base = dict(
        enterprise_id=E,
        kind=OrgKind.PARTY,
        status=OrgStatus.FOUNDED,
        decision_date=date(2024, 3, 15),
        founding_members=5,
    )
    base.update(kw)
    return Organisation(**base)


def _admit(on: date, n: int, kind: OrgKind = OrgKind.PARTY, enterprise: str = E) -> Admission:
    return Admission(enterprise_id=enterprise, kind=kind, admitted_on=on, count=n)


def test_the_issues_cell_founded_with_5_that_admits_103():
    admitted = [_admit(date(2024, 6, 1), 40), _admit(date(2024, 9, 1), 33), _admit(date(2025, 2, 1), 30)]
    m = membership(_cell(), [], admitted, date(2025, 11, 20))
    assert m.value == 108 and m.base.source == FOUNDING and m.admitted == 103
    assert m.explain() == "108 đảng viên: 5 khi thành lập (15/03/2024) + 103 kết nạp từ đó"
    # on a day in between, only what was admitted by then
    assert membership(_cell(), [], admitted, date(2024, 12, 31)).value == 5 + 40 + 33
    # other kinds and other enterprises' admissions do not count
    others = [_admit(date(2024, 6, 1), 7, OrgKind.UNION), _admit(date(2024, 6, 1), 9, enterprise="e2")]
    assert membership(_cell(), [], others, date(2025, 1, 1)).value == 5


def test_a_later_count_replaces_what_came_before_and_admissions_add_to_it():
    admitted = [_admit(date(2024, 6, 1), 40), _admit(date(2025, 3, 1), 2)]
    visit = Visit(enterprise_id=E, visit_date=date(2024, 12, 10), party_official=38, party_probationary=4)
    m = membership(_cell(), [visit], admitted, date(2025, 11, 20))
    # people left between founding and the visit: the visit's count (42) says so; 2 admitted after it
    assert m.value == 44 and m.base.source == VISIT
    assert m.explain() == "44 đảng viên: 42 đếm khi khảo sát ngày 10/12/2024 + 2 kết nạp từ đó"
    # the organisation's own count, later still, wins; on the same day it wins over a visit's
    own = _cell(members=30, members_counted_on=date(2025, 3, 1))
    m = membership(own, [visit], admitted, date(2025, 11, 20))
    assert m.value == 30 and m.base.source == OWN and m.admitted == 0  # admitted the same day: in the count
    same_day = Visit(enterprise_id=E, visit_date=date(2025, 3, 1), party_total=50)
    assert membership(own, [same_day], admitted, date(2025, 11, 20)).value == 30
    # a count without its day (typed before version 6) cannot be placed in time: not used
    assert membership(_cell(members=999), [], admitted, date(2025, 11, 20)).value == 5 + 42


def test_counts_before_the_founding_or_after_the_day_do_not_count():
    before = Visit(enterprise_id=E, visit_date=date(2023, 1, 1), party_total=2)
    after = Visit(enterprise_id=E, visit_date=date(2026, 1, 1), party_total=90)
    uncounted = Visit(enterprise_id=E, visit_date=date(2025, 1, 1))  # no Party count on that visit
    m = membership(_cell(), [before, after, uncounted], [], date(2025, 6, 1))
    assert m.value == 5 and m.base.source == FOUNDING


def test_only_organisations_that_exist_on_the_day_have_members():
    assert membership(_cell(status=OrgStatus.MOBILISING), [], [], date(2025, 1, 1)) is None
    assert membership(_cell(), [], [], date(2024, 1, 1)) is None  # not founded yet
    dissolved = _cell(status=OrgStatus.DISSOLVED, dissolved_date=date(2025, 1, 1))
    assert membership(dissolved, [], [], date(2024, 12, 31)).value == 5
    assert membership(dissolved, [], [], date(2025, 1, 1)) is None
    # founded without a decision date (as reports count it): its counts at any time
    undated = _cell(decision_date=None, founding_members=None)
    union_visit = Visit(enterprise_id=E, visit_date=date(2020, 5, 5), party_total=12)
    assert membership(undated, [union_visit], [_admit(date(2021, 1, 1), 1)], date(2025, 1, 1)).value == 13


def test_each_kind_takes_its_own_count_from_a_visit():
    union = _cell(kind=OrgKind.UNION, founding_members=10)
    v = Visit(enterprise_id=E, visit_date=date(2025, 1, 1), union_members=64, party_total=3)
    assert membership(union, [v], [], date(2025, 6, 1)).value == 64
    youth = _cell(kind=OrgKind.YOUTH, founding_members=4)
    assert membership(youth, [v], [], date(2025, 6, 1)).value == 4  # the visit did not count youth members
