"""The one rule for text at every door: invisible characters dropped, characters that are not text
refused with a message, lengths limited."""

from __future__ import annotations

import pytest

from app.domain import validation as v
from app.domain.checks import check_value
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


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("Hòa\x07Bình", "điều khiển vô hình (U+0007) ở vị trí 4"),
        ("Hòa\x85", "(U+0085)"),
        ("Hòa\x1b", "(U+001B)"),
    ],
)
def test_a_stored_value_holding_a_control_character_is_refused(value, fragment):
    """clean() drops them from what is typed or read from a list; a value that arrives as stored (a
    bundle, a key file) still holding one is refused by the same rule."""
    assert clean(value) != value
    problem = text_problem(value, "Tên doanh nghiệp", 300)
    assert problem is not None and fragment in problem
    assert text_problem(clean(value), "Tên doanh nghiệp", 300) is None


def test_tabs_and_line_breaks_are_text_except_in_a_name_on_one_line():
    assert text_problem("dòng 1\ndòng 2\tcột", "Ghi chú") is None
    problem = text_problem("Nguyễn\nHằng", "Tên máy", 200, one_line=True)
    assert problem is not None and "một dòng" in problem


@pytest.mark.parametrize(
    "value", ["2026-W09-5", "2026-058", "20260227", "2026-02-27T00:00", "２０２６-02-27"]
)
def test_a_stored_date_is_written_year_month_day_only(value):
    from datetime import date

    info = Visit.INFO["visit_date"]
    message = check_value(info, value, TEST_TODAY)
    assert message is not None and "năm-tháng-ngày" in message
    assert date.fromisoformat("2026-02-27") and check_value(info, "2026-02-27", date(2026, 11, 1)) is None


def test_a_tax_code_in_other_digits_is_stored_in_ascii_and_a_stored_one_must_be_canonical():
    e = v.normalise_enterprise(
        Enterprise(name="Công ty A", tax_code="０１００１０９１０６", ward_code=TEST_WARD)
    )
    assert e.tax_code == "0100109106" and v.validate_enterprise(e, TEST_TODAY) == []
    info = Enterprise.INFO["tax_code"]
    for stored in ("０１００１０９１０６", "0100 109 106", "0100109106 "):
        message = check_value(info, stored, TEST_TODAY)
        assert message is not None and "dạng chuẩn «0100109106»" in message
    assert "chỉ gồm chữ số" in check_value(info, "²100109106", TEST_TODAY)


@pytest.mark.parametrize(("field", "value"), [("phone", "0912345678\n"), ("email", "a@congty.vn\n")])
def test_a_shape_is_the_whole_value(field, value):
    assert check_value(Enterprise.INFO[field], value, TEST_TODAY) is not None
    assert check_value(Enterprise.INFO[field], value.strip(), TEST_TODAY) is None
