"""Column mapping: Vietnamese headers written many ways, corrections, remembered by shape."""

from __future__ import annotations

import pytest

from app.importing import mapping as mp
from app.importing.errors import ImportFailed


@pytest.mark.parametrize(
    "header,field",
    [
        ("Tên doanh nghiệp", "name"),
        ("TÊN DOANH NGHIỆP", "name"),
        ("Tên DN", "name"),
        ("ten doanh nghiep", "name"),
        ("Tên đơn vị", "name"),
        ("Tên công ty", "name"),
        ("Tên người nộp thuế", "name"),
        ("MST", "tax_code"),
        ("Mã số thuế", "tax_code"),
        ("Mã số thuế (MST)", "tax_code"),
        ("Mã số DN", "tax_code"),
        ("Mã số doanh nghiệp", "tax_code"),
        ("M.S.T", None),
        ("Địa chỉ trụ sở", "address"),
        ("Địa chỉ", "address"),
        ("Trụ sở chính", "address"),
        ("Người đại diện", "owner_name"),
        ("Người đại diện theo pháp luật", "owner_name"),
        ("Giám đốc", "owner_name"),
        ("Chủ DN", "owner_name"),
        ("Số lao động", "workforce_total"),
        ("Tổng số LĐ", "workforce_total"),
        ("Tổng số LĐ (người)", "workforce_total"),
        ("Tổng số lao động", "workforce_total"),
        ("Lao động nữ", "workforce_women"),
        ("LĐ nữ", "workforce_women"),
        ("Dưới 30 tuổi", "workforce_under30"),
        ("Số điện thoại", "phone"),
        ("ĐT", "phone"),
        ("Email", "email"),
        ("Địa chỉ email", "email"),
        ("Loại hình DN", "legal_form"),
        ("Ngành nghề kinh doanh chính", "vsic_section"),
        ("Năm thành lập", "year_founded"),
        ("Ngày cấp GCN", "year_founded"),
        ("Phường/Xã", "ward_name"),
        ("Mã phường", "ward_code"),
        ("Tên viết tắt", "short_name"),
        ("Ghi chú", "note"),
        ("Tình trạng", "status"),
        ("STT", None),
        ("Số TT", None),
    ],
)
def test_headers_written_many_ways(header, field):
    got, score = mp.best_field(header)
    assert (got if score else None) == field


def test_guess_gives_each_field_to_the_best_column():
    headers = [
        "STT",
        "Tên DN",
        "Loại hình doanh nghiệp",
        "MST",
        "Địa chỉ trụ sở chính",
        "Địa chỉ email",
        "Tổng số LĐ",
        "Trong đó nữ",
        "Ghi chú",
        mp.REASON_HEADER,
    ]
    assert mp.guess(headers) == {
        1: "name",
        2: "legal_form",
        3: "tax_code",
        4: "address",
        5: "email",
        6: "workforce_total",
        7: "workforce_women",
        8: "note",
    }


def test_corrections_by_letter_header_or_label():
    headers = ["Tên", "Số", "Nơi ở", "Khác"]
    guessed = mp.guess(headers)
    assert guessed == {0: "name"}
    fixed = mp.apply_corrections(guessed, headers, "B=tax_code, Nơi ở=Địa chỉ; D=-")
    assert fixed == {0: "name", 1: "tax_code", 2: "address"}
    moved = mp.apply_corrections(fixed, headers, "D=mst")
    assert moved == {0: "name", 2: "address", 3: "tax_code"}
    with pytest.raises(ImportFailed, match="Không hiểu trường «lương»"):
        mp.apply_corrections(guessed, headers, "B=lương")
    with pytest.raises(ImportFailed, match="Không có cột «Z»"):
        mp.apply_corrections(guessed, headers, "Z=name")
    with pytest.raises(ImportFailed, match="CỘT=TRƯỜNG"):
        mp.apply_corrections(guessed, headers, "B tax_code")


def test_remembered_for_the_same_shape(store):
    headers = ["Tên", "Số", "Nơi ở"]
    assert mp.remembered(store, headers) is None
    mp.remember(store, headers, {0: "name", 1: "tax_code", 2: "address"})
    # same shape written differently (case, diacritics) and with the error file's extra columns
    same = ["TÊN", "so", "Noi o", mp.ORIGIN_HEADER, mp.REASON_HEADER]
    assert mp.signature(same) == mp.signature(headers)
    assert mp.remembered(store, same) == {0: "name", 1: "tax_code", 2: "address"}
    assert mp.remembered(store, ["Tên", "Số", "Nơi ở", "Khác"]) is None


def test_describe_in_vietnamese():
    lines = mp.describe({1: "tax_code"}, ["STT", "MST"])
    assert lines == ["A «STT» → (bỏ qua)", "B «MST» → Mã số thuế"]
