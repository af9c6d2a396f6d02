"""Probation and conversion to official, yearly quality levels, the pool of candidates: the rules."""

from __future__ import annotations

from datetime import date

import pytest

from app.domain.probation import add_months, due_on, recognised
from app.domain.records import Admission, Organisation, QualityRating, Visit
from app.domain.validation import ValidationError, validate_admission, validate_rating, validate_visit
from app.domain.vocab import OrgKind, OrgStatus, QualityLevel
from app.services import records as svc

TODAY = date(2025, 11, 20)


def fields(problems):
    return {p.field for p in problems}


def party(**kw) -> Admission:
    return Admission(
        enterprise_id="e", kind=OrgKind.PARTY, admitted_on=kw.pop("admitted_on", date(2024, 3, 5)), **kw
    )


def test_the_probation_ends_twelve_months_later():
    assert due_on(date(2024, 3, 5)) == date(2025, 3, 5)
    assert due_on(date(2024, 2, 29)) == date(2025, 2, 28)  # no 29 February in 2025
    assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28) and add_months(
        date(2025, 3, 31), -1
    ) == date(2025, 2, 28)
    assert recognised(3, None) == 3 and recognised(3, 2) == 2


def test_a_conversion_after_the_probation_with_its_decision_is_fine():
    assert validate_admission(party(official_on=date(2025, 3, 5), official_decision="12-QĐ/ĐU"), TODAY) == []
    assert (
        validate_admission(
            party(count=3, official_on=date(2025, 4, 1), official_decision="1", official_count=2), TODAY
        )
        == []
    )


@pytest.mark.parametrize(
    ("values", "field", "said"),
    [
        ({"official_on": date(2025, 3, 4), "official_decision": "1"}, "official_on", "05/03/2025"),
        ({"official_on": date(2025, 4, 1)}, "official_decision", "Chưa nhập số quyết định"),
        ({"official_decision": "12-QĐ/ĐU"}, "official_on", "chưa nhập ngày công nhận"),
        ({"official_count": 1}, "official_on", "Chưa nhập ngày công nhận"),
        (
            {"official_on": date(2025, 4, 1), "official_decision": "1", "official_count": 2},
            "official_count",
            "không được lớn hơn",
        ),
        ({"official_on": date(2026, 4, 1), "official_decision": "1"}, "official_on", "sau ngày hôm nay"),
    ],
)
def test_a_conversion_says_what_to_fix(values, field, said):
    problems = validate_admission(party(**values), TODAY)
    assert field in fields(problems), problems
    assert any(said in p.message for p in problems if p.field == field), problems


def test_only_a_party_admission_is_converted():
    a = Admission(
        enterprise_id="e",
        kind=OrgKind.UNION,
        admitted_on=date(2024, 3, 5),
        official_on=date(2025, 4, 1),
        official_decision="1",
    )
    [p] = validate_admission(a, TODAY)
    assert p.field == "official_on" and "công đoàn cơ sở" in p.message


def _org(**kw) -> Organisation:
    return Organisation(
        id="o",
        enterprise_id="e",
        kind=OrgKind.UNION,
        status=kw.pop("status", OrgStatus.FOUNDED),
        decision_number="1",
        decision_date=date(2022, 6, 1),
        issuing_body="LĐLĐ",
        founding_members=5,
        **kw,
    )


def _rating(**kw) -> QualityRating:
    return QualityRating(
        enterprise_id="e",
        organisation_id="o",
        kind=OrgKind.UNION,
        year=kw.pop("year", 2024),
        level=QualityLevel.GOOD,
        **kw,
    )


def test_a_quality_level_belongs_to_an_organisation_that_existed_that_year():
    assert validate_rating(_rating(), _org(), TODAY) == []
    assert "year" in fields(validate_rating(_rating(year=2021), _org(), TODAY))
    gone = _org(status=OrgStatus.DISSOLVED, dissolved_date=date(2023, 5, 1))
    assert "year" in fields(validate_rating(_rating(year=2024), gone, TODAY))
    assert "level" in fields(validate_rating(_rating(), _org(status=OrgStatus.MOBILISING), TODAY))
    other = _org()
    other.kind = OrgKind.PARTY
    assert "organisation_id" in fields(validate_rating(_rating(), other, TODAY))
    assert "year" in fields(validate_rating(_rating(year=2026), _org(), TODAY))  # not a future year
    assert "level" in fields(
        validate_rating(QualityRating(enterprise_id="e", organisation_id="o", year=2024, level="great"))
    )


def test_the_pool_of_candidates_is_counted_whole_and_in_parts():
    v = Visit(
        enterprise_id="e",
        visit_date=date(2025, 6, 1),
        workforce_total=50,
        party_total=4,
        party_official=4,
        party_probationary=0,
    )
    ok = dict(candidates_identified=5, candidates_trained=3, candidates_applied=2, candidates_admitted=1)
    assert validate_visit(Visit(**{**v.__dict__, **ok}), TODAY) == []
    bad = dict(candidates_identified=2, candidates_trained=3, candidates_applied=4, candidates_admitted=6)
    assert fields(validate_visit(Visit(**{**v.__dict__, **bad}), TODAY)) == {
        "candidates_trained",
        "candidates_applied",
        "candidates_admitted",
    }
    assert "candidates_identified" in fields(
        validate_visit(Visit(**{**v.__dict__, "candidates_identified": 60}), TODAY)
    )


def test_one_level_per_organisation_and_year(store):
    from app.domain.records import Enterprise

    e = Enterprise(name="Công ty TNHH Hòa Bình", tax_code="0100109106", ward_code="00070")
    svc.save_enterprise(store, e)
    org = _org()
    org = Organisation(**{**org.__dict__, "id": "o1", "enterprise_id": e.id})
    svc.save_organisation(store, org)
    first = svc.save_rating(
        store,
        QualityRating(
            enterprise_id=e.id, organisation_id=org.id, kind=OrgKind.UNION, year=2024, level=QualityLevel.GOOD
        ),
    ).record
    again = svc.save_rating(
        store,
        QualityRating(
            enterprise_id=e.id,
            organisation_id=org.id,
            kind=OrgKind.UNION,
            year=2024,
            level=QualityLevel.FAILED,
        ),
    ).record
    assert again.id == first.id
    [r] = store.children(QualityRating, e.id)
    assert r.level == QualityLevel.FAILED
    with pytest.raises(ValidationError) as exc:
        svc.save_rating(
            store,
            QualityRating(
                enterprise_id=e.id,
                organisation_id="nope",
                kind=OrgKind.UNION,
                year=2024,
                level=QualityLevel.GOOD,
            ),
        )
    assert "organisation_id" in fields(exc.value.problems)
