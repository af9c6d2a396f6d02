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
