from datetime import date

from app.domain.records import Enterprise, Organisation, Visit
from app.domain.validation import (
    FoundingRules,
    normalise_enterprise,
    validate_enterprise,
    validate_organisation,
    validate_visit,
)
from app.domain.vocab import LegalForm, OrgKind, OrgStatus

TODAY = date(2025, 11, 20)


def fields(problems):
    return {p.field for p in problems}


def good_enterprise(**kw):
    base = dict(
        name="Công ty TNHH Hòa Bình",
        tax_code="0100109106",
        ward_code="00070",
        workforce_total=50,
        workforce_women=20,
        workforce_under30=10,
    )
    base.update(kw)
    return normalise_enterprise(Enterprise(**base))


def test_valid_enterprise_has_no_problems():
    assert validate_enterprise(good_enterprise(), TODAY) == []


def test_every_problem_is_returned_at_once_with_its_field():
    e = good_enterprise(
        name="  ",
        tax_code="0100109107",
        ward_code="99999",
        workforce_women=60,
        workforce_under30=-1,
        email="not-an-email",
        year_founded=2030,
    )
    problems = validate_enterprise(e, TODAY)
    assert fields(problems) == {
        "name",
        "tax_code",
        "ward_code",
        "workforce_women",
        "workforce_under30",
        "email",
        "year_founded",
    }
    by_field = {p.field: p.message for p in problems}
    assert by_field["workforce_women"] == "Lao động nữ (60) không được lớn hơn tổng số lao động (50)."
    assert "số âm" in by_field["workforce_under30"]
    assert "chữ số thứ 10 phải là 6" in by_field["tax_code"]


def test_personal_id_only_for_household_businesses():
    assert (
        validate_enterprise(good_enterprise(tax_code="001099012345", legal_form=LegalForm.HOUSEHOLD), TODAY)
        == []
    )
    problems = validate_enterprise(good_enterprise(tax_code="001099012345", legal_form=LegalForm.JSC), TODAY)
    assert fields(problems) == {"tax_code"}


def test_normalisation_nfc_and_spaces():
    e = good_enterprise(name="Công  ty\u0303 ", owner_name="  Nguyễn   Văn A ", tax_code="0100109106 001")
    assert e.owner_name == "Nguyễn Văn A"
    assert e.tax_code == "0100109106-001"


def visit(**kw):
    base = dict(enterprise_id="e1", visit_date=date(2025, 3, 1), workforce_total=40)
    base.update(kw)
    return Visit(**base)


def test_visit_counts_must_add_up():
    assert validate_visit(visit(party_official=3, party_probationary=1, party_total=4), TODAY) == []
    problems = validate_visit(visit(party_official=3, party_probationary=1, party_total=5), TODAY)
    assert fields(problems) == {"party_total"}
    assert problems[0].message == (
        "Đảng viên chính thức (3) + dự bị (1) = 4, nhưng tổng số đảng viên là 5. Hãy sửa cho khớp."
    )


def test_visit_party_members_not_above_workforce():
    assert fields(validate_visit(visit(party_total=41), TODAY)) == {"party_total"}
    assert fields(validate_visit(visit(party_official=30, party_probationary=11), TODAY)) == {
        "party_official"
    }
    assert fields(validate_visit(visit(workforce_women=41, workforce_under30=41), TODAY)) == {
        "workforce_women",
        "workforce_under30",
    }


def test_visit_date_not_in_future_and_required():
    assert fields(validate_visit(visit(visit_date=date(2025, 11, 21)), TODAY)) == {"visit_date"}
    assert fields(validate_visit(visit(visit_date=None), TODAY)) == {"visit_date"}
    assert validate_visit(visit(visit_date=TODAY), TODAY) == []
    assert fields(validate_visit(visit(next_visit_date=date(2025, 2, 1)), TODAY)) == {"next_visit_date"}


def test_no_negative_counts():
    problems = validate_visit(visit(union_members=-2, youth_members=-1), TODAY)
    assert fields(problems) == {"union_members", "youth_members"}


def founded(kind, members, **kw):
    return Organisation(
        enterprise_id="e1",
        kind=kind,
        status=OrgStatus.FOUNDED,
        decision_number="12-QĐ/ĐU",
        decision_date=date(2025, 5, 1),
        issuing_body="Đảng ủy phường Hoàn Kiếm",
        founding_members=members,
        **kw,
    )


def test_founding_minimums_are_explained():
    problems = validate_organisation(founded(OrgKind.PARTY, 2), today=TODAY)
    assert fields(problems) == {"founding_members"}
    assert problems[0].message == (
        "Chưa đủ điều kiện thành lập: Điều lệ Đảng quy định tổ chức đảng cần ít nhất 3 "
        "đảng viên chính thức, nhưng mới có 2 đảng viên."
    )
    assert validate_organisation(founded(OrgKind.PARTY, 3), today=TODAY) == []
    assert fields(validate_organisation(founded(OrgKind.UNION, 4), today=TODAY)) == {"founding_members"}
    assert validate_organisation(founded(OrgKind.UNION, 5), today=TODAY) == []
    assert fields(validate_organisation(founded(OrgKind.YOUTH, 2), today=TODAY)) == {"founding_members"}
    assert validate_organisation(founded(OrgKind.WOMEN, 1), today=TODAY) == []  # no national minimum


def test_founding_minimums_are_data_an_office_can_change():
    rules = FoundingRules({**FoundingRules().minimums, OrgKind.WOMEN: 7, OrgKind.UNION: 3})
    assert fields(validate_organisation(founded(OrgKind.WOMEN, 5), rules=rules, today=TODAY)) == {
        "founding_members"
    }
    assert validate_organisation(founded(OrgKind.UNION, 3), rules=rules, today=TODAY) == []


def test_founded_needs_decision_details_and_life_cycle_is_enforced():
    o = Organisation(enterprise_id="e1", kind=OrgKind.UNION, status=OrgStatus.FOUNDED)
    assert fields(validate_organisation(o, today=TODAY)) == {
        "decision_number",
        "decision_date",
        "issuing_body",
        "founding_members",
    }
    # founded -> not yet is not a step of the life cycle
    o2 = Organisation(enterprise_id="e1", kind=OrgKind.UNION, status=OrgStatus.NONE)
    assert fields(validate_organisation(o2, previous=OrgStatus.FOUNDED, today=TODAY)) == {"status"}
    d = founded(OrgKind.UNION, 6, dissolved_date=None)
    d.status = OrgStatus.DISSOLVED
    assert fields(validate_organisation(d, previous=OrgStatus.FOUNDED, today=TODAY)) == {"dissolved_date"}
