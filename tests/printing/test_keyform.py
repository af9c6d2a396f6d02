"""The key registration form: plain values in, large digits and a QR code out."""

from __future__ import annotations

import unicodedata
from datetime import date

import pytest

from app.domain import formcode
from app.printing.keyform import KeyFormData, fingerprint_groups, render_key_form
from tests.printing.pdftools import pdftotext, pypdf_pages, qr_codes

FP = "14973 73630 30809 70835 11222 73668"


def test_key_form_text_and_qr(tmp_path):
    path = tmp_path / "khoa.pdf"

    def nfd(s):
        return unicodedata.normalize("NFD", s)

    render_key_form(
        path,
        KeyFormData(
            "361a98764c134dc5",
            FP,
            nfd("Phường Hoàn Kiếm"),
            "00070",
            nfd("Nguyễn Thị Hằng"),
            nfd("Đảng ủy Phường Hoàn Kiếm"),
            nfd("Trần Văn Nam"),
            "Cộng tác viên",
            date(2025, 11, 20),
            "Hoàn Kiếm",
        ),
    )
    for text in (pypdf_pages(path)[0], pdftotext(path)):
        assert unicodedata.is_normalized("NFC", text)
        for expected in (
            "PHIẾU ĐĂNG KÝ KHÓA MÁY TÍNH",
            "PHƯỜNG HOÀN KIẾM",
            "Nguyễn Thị Hằng",
            "Trần Văn Nam",
            "Đảng ủy Phường Hoàn Kiếm",
            "361a98764c134dc5",
            "20/11/2025",
            "14973",
            "73668",
            "Hoàn Kiếm, ngày 20 tháng 11 năm 2025",
            "NGƯỜI DÙNG MÁY",
            "CÁN BỘ TIẾP NHẬN",
        ):
            assert expected in text, expected
    assert qr_codes(path, tmp=tmp_path) == [formcode.key_form_code("361a98764c134dc5", FP)]


def test_groups_and_missing_values():
    assert fingerprint_groups(FP) == FP.split()
    assert fingerprint_groups("ABCDEFGHIJKL") == ["ABCDE", "FGHIJ", "KL"]
    with pytest.raises(ValueError, match="dấu vân tay"):
        render_key_form("/nonexistent/x.pdf", KeyFormData("abc", " ", "Phường Hoàn Kiếm"))
