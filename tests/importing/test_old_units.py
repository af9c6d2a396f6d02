"""Addresses of before the 2025 reform placed in today's wards with the official conversion table."""

from __future__ import annotations

import pytest

from app.domain import units
from app.importing import old_units
from app.importing.wards import WardMatcher
from tests.conftest import ROOT


def test_the_table_says_where_it_comes_from_and_every_ward_it_names_is_ours():
    head = (ROOT / "resources" / old_units.TABLE).read_text(encoding="utf-8").splitlines()[:8]
    text = "\n".join(head)
    assert "vietnam-provinces 2026." in text and "make_old_wards.py" in text and "Written 20" in text
    table = old_units.table()
    assert len(table.wards) > 10_000
    assert table.unresolved == ()  # every ward of today it names is in KhaoSat's list (by code or name)
    assert all(w.new for w in table.wards)
    assert all(units.ward(u.code) is u for w in table.wards for u in w.new)


def test_old_wards_by_name_district_and_province():
    (hang_bai,) = old_units.find("Phường Hàng Bài", "Quận Hoàn Kiếm")
    assert [u.name for u in hang_bai.new] == ["Phường Cửa Nam"] and not hang_bai.partly
    assert old_units.find("p. hang bai", "q hoan kiem") == [hang_bai]  # abbreviated, no diacritics
    assert len(old_units.find("Phường 1")) > 10  # a name shared across the country
    (one,) = old_units.find("Phường 1", "Quận 3", "TP Hồ Chí Minh")
    assert one.district == "Quận 3"
    # "Phương Liên" folds to "phuong lien" and is not "Phường Liên"
    assert any(w.district == "Quận Đống Đa" for w in old_units.find("Phương Liên - Trung Tự"))


@pytest.mark.parametrize(
    ("province", "address", "ward", "note"),
    [
        # the example, and the same written every way lists write it
        ("01", "Số 5 Hàng Bài, Phường Hàng Bài, Quận Hoàn Kiếm, Hà Nội", "Phường Cửa Nam", "Phường Hàng Bài"),
        ("01", "12 Lý Thường Kiệt, P. Hàng Bài, Q. Hoàn Kiếm, TP Hà Nội", "Phường Cửa Nam", "Quận Hoàn Kiếm"),
        ("01", "so 12 ly thuong kiet, phuong hang bai, quan hoan kiem", "Phường Cửa Nam", "trước năm 2025"),
        ("01", "Số 3 Phố Huế, Hàng Bài, Hoàn Kiếm, Hà Nội", "Phường Cửa Nam", "Phường Hàng Bài"),
        ("79", "45 Lê Lợi, P. Bến Nghé, Q.1, TP.HCM", "Phường Sài Gòn", "Phường Bến Nghé"),
        # a province merged away in 2025 marks an old address even without its district
        ("79", "Số 2 Yersin, Phường Phú Cường, Bình Dương", "Phường Thủ Dầu Một", "Phường Phú Cường"),
        # "Phường Chương Dương" (old, Hoàn Kiếm) is not today's "Xã Chương Dương"
        ("01", "Số 7 Bạch Đằng, Phường Chương Dương, TP Hà Nội", "Phường Hồng Hà", "Phường Chương Dương"),
        # split between several wards, one keeping the name: placed there, asked to be checked
        ("01", "Thôn 2, Xã Bát Tràng, Huyện Gia Lâm", "Xã Bát Tràng", "kiểm tra lại"),
        # addresses of today are read as before
        ("01", "6 Hàng Bông, Hoàn Kiếm, Hà Nội", "Phường Hoàn Kiếm", None),
        ("01", "Số 1 Tràng Tiền, Phường Hoàn Kiếm, Hà Nội", "Phường Hoàn Kiếm", None),
        ("01", "Văn Miếu - Quốc Tử Giám, Hà Nội", "Phường Văn Miếu - Quốc Tử Giám", None),
    ],
)
def test_old_addresses_are_placed_in_todays_wards(province, address, ward, note):
    placed = WardMatcher(province).from_address(address)
    assert placed.unit is not None, placed.problem
    assert placed.unit.name == ward
    if note is None:
        assert placed.note is None
    else:
        assert note in placed.note


def test_a_split_ward_is_left_for_a_person_with_the_candidates():
    placed = WardMatcher("01").from_address("9 Hàng Bông, Phường Hàng Bông, Quận Hoàn Kiếm")
    assert placed.unit is None
    assert (
        "nay được chia cho nhiều phường, xã: Phường Hoàn Kiếm (00070), Phường Cửa Nam (00073)"
        in placed.problem
    )
    assert "Hãy ghi tên hoặc mã phường, xã mới" in placed.problem
    shared = WardMatcher("79").from_address("123 Nguyễn Đình Chiểu, Phường 6, TP. Hồ Chí Minh")
    assert shared.unit is None and "trùng tên nhiều phường, xã cũ" in shared.problem


def test_a_ward_column_with_an_old_name():
    placed = WardMatcher("01").by_name("Phường Hàng Đào")
    assert placed.unit is not None and placed.unit.name == "Phường Hoàn Kiếm"
    assert "trước năm 2025" in placed.note
