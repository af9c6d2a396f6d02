"""The report PDF: the administrative header in both styles, the numbers, the ward breakdown."""

from __future__ import annotations

import unicodedata
from datetime import date

from pypdf import PdfReader

from app.domain.records import Enterprise
from app.printing.report_pdf import render_report
from app.reports.results import Period, report_for
from tests.conftest import TEST_WARD
from tests.printing.pdftools import page_count, pdftotext, pypdf_pages
from tests.reports.test_results import OTHER_WARD, seed_case


def _texts(path):
    return ["\n".join(pypdf_pages(path)), pdftotext(path)]


def test_party_style_report_with_the_seed_numbers(store, tmp_path):
    seed_case(store)
    report, settings = report_for(store, TEST_WARD, Period.year(2024))
    path = tmp_path / "bao-cao.pdf"
    render_report(path, report, settings, number="12", on=date(2024, 2, 5))
    for text in _texts(path):
        assert unicodedata.is_normalized("NFC", text)
        for expected in (
            "ĐẢNG BỘ THÀNH PHỐ HÀ NỘI",
            "ĐẢNG ỦY PHƯỜNG HOÀN KIẾM",
            "Số 12-BC/ĐU",
            "ĐẢNG CỘNG SẢN VIỆT NAM",
            "Hoàn Kiếm, ngày 05 tháng 02 năm 2024",
            "BÁO CÁO",
            "năm 2024",
            "103/80",
            "vượt 28,75%",
            "16/15",
            "vượt 6,67%",
            "kết nạp 103/80 đảng viên mới, vượt 28,75%",
            "thành lập mới 16/15 tổ chức, vượt 6,67% chỉ tiêu",
            "Có 2/2 chỉ tiêu đạt và vượt",
            "Nơi nhận:",
            "T/M ĐẢNG ỦY",
            "BÍ THƯ",
            "Thành lập tổ chức mới",
            "Kết nạp thành viên mới",
            "làm tròn",
        ):
            assert expected in " ".join(text.split()), expected
        assert "CỘNG HÒA XÃ HỘI" not in text
    fonts = {
        f.get_object()["/BaseFont"].split("+")[-1]
        for p in PdfReader(str(path)).pages
        for f in p["/Resources"]["/Font"].values()
    }
    assert fonts and all(f.startswith("LiberationSerif") for f in fonts), fonts


def test_state_style_settings_and_truncation(store, tmp_path):
    seed_case(store)
    store.set_setting("report.style", "state")
    store.set_setting("report.rounding", "truncate")
    store.set_setting("report.signer_name", "Phạm Văn Đức")
    report, settings = report_for(store, TEST_WARD, Period(date(2024, 1, 1), date(2024, 6, 30)))
    path = tmp_path / "bc.pdf"
    render_report(path, report, settings, number=None, on=date(2024, 7, 3))
    for text in _texts(path):
        flat = " ".join(text.split())
        for expected in (
            "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
            "Độc lập - Tự do - Hạnh phúc",
            "ỦY BAN NHÂN DÂN PHƯỜNG HOÀN KIẾM",
            "/BC-UBND",
            "ngày 03 tháng 7 năm 2024",
            "6 tháng đầu năm 2024",
            "TM. ỦY BAN NHÂN DÂN",
            "CHỦ TỊCH",
            "Phạm Văn Đức",
            "bỏ phần sau",
        ):
            assert expected in flat, expected
        assert "ĐẢNG CỘNG SẢN" not in flat


def test_province_report_has_the_ward_breakdown_and_page_numbers(store, tmp_path):
    seed_case(store)
    with store.write("test") as w:
        w.create(
            Enterprise(
                name="Công ty Ba Đình", tax_code="0100109106", ward_code=OTHER_WARD, workforce_total=40
            )
        )
    report, settings = report_for(store, "01", Period.year(2024))
    path = tmp_path / "tinh.pdf"
    render_report(path, report, settings, on=date(2024, 12, 20))
    text = " ".join(pdftotext(path).split())
    assert "THÀNH ỦY HÀ NỘI" in text and "VI. KẾT QUẢ THEO PHƯỜNG, XÃ" in text
    assert "Phường Ba Đình" in text and "Phường Hoàn Kiếm" in text
    n = page_count(path)
    assert n >= 2
    for i in range(2, n + 1):  # pages after the first carry their number at the top
        assert pdftotext(path, i, i).split()[0] == str(i)
