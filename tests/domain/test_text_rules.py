"""The one rule for text at every door: invisible characters dropped, characters that are not text
refused with a message, lengths limited."""

from __future__ import annotations

import pytest

from app.domain import validation as v
from app.domain.records import Admission, Enterprise, Organisation, Target, Visit
from app.domain.text import clean, shown, text_problem
from tests.conftest import TEST_TODAY, TEST_WARD


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("Công\u200b ty\u00ad TNHH", "Công ty TNHH"),  # zero-width space, soft hyphen
        ("\ufeffHòa\u200e Bình\u200f", "Hòa Bình"),  # BOM, direction marks (implicit, harmless)
        ("Hòa\x07 Bình\x1b\x7f", "Hòa Bình"),  # C0 controls and DEL
        ("Hòa\x85Bình\x9f", "Hòa Bình"),  # C1: NEL is a line break, the others invisible
        ("  Hòa\t\tBình\r\n", "Hòa Bình"),
        ("Ho\u0300a", "Hòa"),  # NFD to NFC
    ],
)
def test_clean_drops_invisible_characters(raw, stored):
    assert clean(raw) == stored


def test_text_that_is_already_clean_comes_back_as_the_same_object():
    text = "Công ty TNHH Hòa Bình 12"
    assert clean(text) is text


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("Công ty \ud800", "ký tự hỏng ở vị trí 9"),
        ("\udc80abc", "ký tự hỏng ở vị trí 1"),
        ("Công\x00ty", "ký tự rỗng (NUL) ở vị trí 5"),
        ("Công ty \u202eHNNT", "đảo chiều hiển thị chữ (U+202E)"),
        ("\u2066Hòa\u2069", "(U+2066)"),
        ("x" * 301, "quá dài (tối đa 300 ký tự)"),
    ],
)
def test_text_that_cannot_be_stored_is_refused_with_a_reason(value, fragment):
    kept = clean(value)
    assert kept, "the characters to refuse are kept by clean, not silently dropped"
    problem = text_problem(kept, "Tên doanh nghiệp", 300)
    assert problem is not None and fragment in problem and problem.startswith("Tên doanh nghiệp")


def test_shown_makes_values_printable_and_short():
    text = shown("a\nb\x00c\ud800\u202e" + "x" * 500)
    assert text.encode("utf-8") and len(text) < 100
    assert "\\u0000" in text and "\ufffd" in text and "\\u202e" in text and text.endswith("…")


def test_every_record_checks_every_text_field():
    today = TEST_TODAY
    e = v.normalise_enterprise(
        Enterprise(
            name="Công ty \u202eABC",
            tax_code="0100109106",
            ward_code=TEST_WARD,
            owner_name="Nguyễn\x00",
            address="x" * 501,
            note="Ghi chú \udc80",
        )
    )
    fields = {p.field for p in v.validate_enterprise(e, today)}
    assert {"name", "owner_name", "address", "note"} <= fields
    visit = v.normalise_visit(
        Visit(enterprise_id="e", visit_date=today, person_met="\ud83d", difficulties="y" * 4001)
    )
    assert {p.field for p in v.validate_visit(visit, today)} >= {"person_met", "difficulties"}
    org = v.normalise_organisation(
        Organisation(enterprise_id="e", leader="\u202dX", decision_number="1" * 301)
    )
    assert {p.field for p in v.validate_organisation(org, today=today)} >= {"leader", "decision_number"}
    adm = v.normalise_admission(Admission(enterprise_id="e", admitted_on=today, count=1, note="\x00"))
    assert [p.field for p in v.validate_admission(adm, today)] == ["note"]
    target = Target(unit_code="\ud800", year=2025, value=1)
    problems = v.validate_target(target)
    assert [p.field for p in problems] == ["unit_code"] and "ký tự hỏng" in problems[0].message


def test_a_ward_code_that_is_not_text_is_said_once_and_printable():
    e = v.normalise_enterprise(Enterprise(name="Công ty A", tax_code="0100109106", ward_code="00\ud80070"))
    problems = [p for p in v.validate_enterprise(e, TEST_TODAY) if p.field == "ward_code"]
    assert len(problems) == 1 and "ký tự hỏng" in problems[0].message
    e = v.normalise_enterprise(Enterprise(name="Công ty A", tax_code="0100109106", ward_code="9" * 150))
    message = next(p.message for p in v.validate_enterprise(e, TEST_TODAY) if p.field == "ward_code")
    assert len(message) < 150  # the value is quoted cut short


def test_an_office_name_that_is_not_text_is_refused():
    from app.domain.offices import Office, validate_office
    from app.domain.vocab import Role

    problems = validate_office(
        Office(name="Đảng ủy \u202ePhường", role=Role.WARD_OFFICE, unit_code=TEST_WARD)
    )
    assert [p.field for p in problems] == ["name"] and "đảo chiều" in problems[0].message
    assert (
        validate_office(Office(name="Đảng ủy\x07 phường", role=Role.WARD_OFFICE, unit_code=TEST_WARD)) == []
    )
