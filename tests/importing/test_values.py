"""Cell text to field values, typed loosely."""

from __future__ import annotations

import pytest

from app.domain import taxcode
from app.domain.vocab import EnterpriseStatus, LegalForm
from app.importing import values as val

CODE = taxcode.make_valid("010600001") or taxcode.make_valid("010600002")


def test_tax_code_leading_zero_put_back():
    assert val.tax_code(CODE) == CODE
    assert val.tax_code(CODE.lstrip("0")) == CODE  # a number cell: 9 digits
    assert val.tax_code(CODE.lstrip("0") + "001") == CODE + "001"  # branch, 12 digits
    assert val.tax_code("01234567890") == "001234567890"  # a personal ID that lost its zero (11 digits)
    assert val.tax_code("0101 234 567") == "0101 234 567"  # left for the validator to normalise
    assert val.tax_code("") == ""


@pytest.mark.parametrize(
    "text,expected",
    [
        ("912345678", "0912345678"),
        ("2438251234", "02438251234"),
        ("0912 345 678", "0912 345 678"),
        ("19001234", "19001234"),
        ("", None),
    ],
)
def test_phone(text, expected):
    assert val.phone(text) == expected


@pytest.mark.parametrize(
    "text,expected",
    [
        ("120", 120),
        ("1.549", 1549),
        ("1,549", 1549),
        ("120 người", 120),
        ("45 LĐ", 45),
        ("", None),
        ("-", None),
        (" 7 ", 7),
    ],
)
def test_counts(text, expected):
    assert val.count(text) == (expected, None)


@pytest.mark.parametrize("text", ["nhiều", "12,5", "1.5", "khoảng 100"])
def test_counts_rejected_with_a_message(text):
    value, problem = val.count(text)
    assert value is None and "không phải là số nguyên" in problem


@pytest.mark.parametrize(
    "text,expected",
    [
        ("2015", 2015),
        ("27/02/2015", 2015),
        ("2015-02-27", 2015),
        ("02/2015", 2015),
        ("", None),
    ],
)
def test_year(text, expected):
    assert val.year(text) == (expected, None)


def test_year_rejected():
    assert "không phải là năm" in val.year("năm ngoái")[1]


@pytest.mark.parametrize(
    "text,expected",
    [
        ("Công ty TNHH MTV", LegalForm.LLC_ONE),
        ("TNHH 1 thành viên", LegalForm.LLC_ONE),
        ("Công ty TNHH", LegalForm.LLC_MULTI),
        ("TNHH hai thành viên trở lên", LegalForm.LLC_MULTI),
        ("CTCP", LegalForm.JSC),
        ("Cổ phần", LegalForm.JSC),
        ("DNTN", LegalForm.PRIVATE),
        ("Hợp tác xã", LegalForm.COOPERATIVE),
        ("HTX", LegalForm.COOPERATIVE),
        ("Hộ kinh doanh", LegalForm.HOUSEHOLD),
        ("Công ty hợp danh", LegalForm.PARTNERSHIP),
        ("llc1", LegalForm.LLC_ONE),
        ("Khác", None),
    ],
)
def test_legal_form(text, expected):
    assert val.legal_form(text) == expected


@pytest.mark.parametrize(
    "text,expected",
    [
        ("C", "C"),
        ("c", "C"),
        ("1410", "C"),
        ("C1410", "C"),
        ("4711", "G"),
        ("01", "A"),
        ("9900", "U"),
        ("Xây dựng", "F"),
        ("", None),
    ],
)
def test_vsic(text, expected):
    assert val.vsic_section(text) == (expected, None)


def test_vsic_unknown_is_a_warning():
    section, warning = val.vsic_section("Sản xuất đủ thứ")
    assert section is None and "Không nhận ra ngành" in warning


@pytest.mark.parametrize(
    "text,expected",
    [
        ("Đang hoạt động", EnterpriseStatus.ACTIVE),
        ("Tạm ngừng hoạt động", EnterpriseStatus.SUSPENDED),
        ("Ngừng hoạt động", EnterpriseStatus.SUSPENDED),
        ("Đã giải thể", EnterpriseStatus.DISSOLVED),
        ("Phá sản", EnterpriseStatus.DISSOLVED),
        ("Chuyển đi nơi khác", EnterpriseStatus.MOVED),
        ("moved", EnterpriseStatus.MOVED),
    ],
)
def test_status(text, expected):
    assert val.status(text) == (expected, None)


def test_yes():
    assert all(val.yes(t) for t in ("x", "X", "Có", "co", "1", "FDI"))
    assert not any(val.yes(t) for t in ("", "Không", "0", "-"))


def test_any_declared_field_is_read_by_its_kind():
    """A field declared later is imported with no change to the import: read by its kind."""
    import datetime as dt

    from app.domain import fields as f

    def info(declared):
        return f.info_of(declared)

    level = info(f.choice("Mức độ", {"hi": "Cao", "lo": "Thấp"}))
    assert val.read(level, "cao") == ("hi", None, None) and val.read(level, "lo") == ("lo", None, None)
    assert val.read(level, "vừa") == (None, None, "không nhận ra «vừa»; để trống mức độ.")
    day = info(f.date("Ngày cấp"))
    assert val.read(day, "27/02/2024") == (dt.date(2024, 2, 27), None, None)
    assert val.read(day, "hôm qua")[1] == "«hôm qua» không phải là ngày (ví dụ 27/02/2024)."
    people = info(f.count("Lao động khuyết tật"))
    assert val.read(people, "1.549 người") == (1549, None, None) and val.read(people, "nhiều")[1]
    assert val.read(info(f.yes_no("Có nhà ăn")), "x") == (True, None, None)
    assert val.read(info(f.phone("Đường dây nóng")), "912345678") == ("0912345678", None, None)
    assert val.read(info(f.text("Ghi chú")), "  Hai  dòng ") == ("Hai dòng", None, None)
