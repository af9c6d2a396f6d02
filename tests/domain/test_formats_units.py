from datetime import date

import pytest

from app.domain import units
from app.domain.vnformat import (
    Rounding,
    achievement,
    format_decimal,
    format_int,
    long_date,
    parse_date,
    parse_int,
)


def test_numbers_and_dates_in_vietnamese_form():
    assert format_int(1549) == "1.549"
    assert format_int(35139) == "35.139"
    assert format_decimal(28.75) == "28,75"
    assert long_date(date(2024, 2, 27), "Hà Nội") == "Hà Nội, ngày 27 tháng 02 năm 2024"
    assert long_date(date(2024, 11, 5)) == "ngày 05 tháng 11 năm 2024"
    assert parse_date("27/02/2024") == date(2024, 2, 27)
    assert parse_int("1.549") == 1549
    with pytest.raises(ValueError, match="không có trong lịch"):
        parse_date("31/02/2024")
    with pytest.raises(ValueError, match="không phải là số nguyên"):
        parse_int("12a")


def test_achievement_against_target_from_the_seed_articles():
    assert achievement(103, 80)["text"] == "103/80, vượt 28,75%"
    assert achievement(16, 15)["text"] == "16/15, vượt 6,67%"
    assert achievement(16, 15, Rounding.TRUNCATE)["text"] == "16/15, vượt 6,66%"
    assert achievement(3, 3)["verdict"] == "Đạt"
    assert achievement(2, 3)["verdict"] == "Chưa đạt"


def test_units_after_the_2025_reform():
    assert len(units.provinces()) == 34
    assert len(units.wards()) == 3321
    hk = units.ward("00070")
    assert hk.name == "Phường Hoàn Kiếm" and hk.province_code == "01"
    assert units.contains("01", "00070") and not units.contains("79", "00070")
    assert units.find("hoan kiem")[0].code == "00070"
    assert units.find("P. Hoàn Kiếm")[0].code == "00070"


def test_two_digit_years_read_in_a_window_ending_twenty_years_ahead():
    from app.domain.vnformat import distance_text, expand_year, far_from_today

    today = date(2025, 11, 20)
    assert parse_date("15/1/27", today) == date(2027, 1, 15)  # not 1927 (issue 14)
    assert parse_date("15-01-25", today) == date(2025, 1, 15)
    assert parse_date("15/03/98", today) == date(1998, 3, 15)  # an old founding decision
    assert [expand_year(y, today) for y in (0, 45, 46, 99)] == [2000, 2045, 1946, 1999]
    assert expand_year(46, date(2026, 12, 2)) == 2046  # the window moves with today
    assert parse_date("15/1/2027", today) == date(2027, 1, 15)  # four digits: as written
    assert not far_from_today(date(2026, 11, 20), today)  # a year: near
    assert far_from_today(date(2027, 1, 15), today) and far_from_today(date(2024, 2, 3), today)
    assert distance_text(date(2027, 1, 15), today) == "14 tháng sau hôm nay"
    assert distance_text(date(2015, 1, 1), today) == "11 năm trước hôm nay"
