"""Everything printed or exported from practice data says so on every page and every sheet; nothing
printed from real data does. Read back with pypdf and pdftotext, rendered with pdftoppm."""

from __future__ import annotations

from datetime import date

import pytest
from openpyxl import load_workbook
from PIL import Image

from app.domain import formcode
from app.domain import practice as practice_data
from app.domain.records import Enterprise, Visit
from app.printing.keyform import KeyFormData, render_key_form
from app.printing.report_pdf import render_report
from app.printing.visit_form import VisitFormData, render_visit_forms
from app.reports.excel import export_enterprises, export_report
from app.reports.results import Period, report_for
from app.services.records import save_enterprise
from tests.conftest import TEST_TODAY, TEST_WARD
from tests.printing.pdftools import (
    page_count,
    pdftotext,
    pypdf_pages,
    qr_codes,
    qr_codes_per_page,
    render_page,
)
from tests.reports.test_results import seed_case

MARK = practice_data.MARK
FP = "SHA256:" + "ab12" * 16


def _forms() -> list[VisitFormData | None]:
    e = Enterprise(
        id="0199a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b",
        name="Công ty TNHH May mặc Hòa Bình",
        tax_code="0100109106",
        ward_code=TEST_WARD,
    )
    last = Visit(enterprise_id=e.id, visit_date=date(2025, 3, 4), workforce_total=245, party_total=3)
    return [VisitFormData(e, last, [], "Phường Hoàn Kiếm"), None]


def _marked_on_every_page(path) -> None:
    pages = pypdf_pages(path)
    assert pages and all(MARK in text for text in pages), [MARK in t for t in pages]
    n = page_count(path)
    for i in range(1, n + 1):
        assert MARK in pdftotext(path, i, i), i


def _never_marked(path) -> None:
    assert not any(practice_data.WORD in text for text in pypdf_pages(path))
    assert practice_data.WORD not in pdftotext(path)


def _watermark_pixels(path, page: int, tmp_path) -> int:
    """Pixels of the light-grey watermark's shade on a 60 dpi rendering of ``page``."""
    png = render_page(path, page, 60, tmp_path / f"{path.stem}-{page}")
    with Image.open(png) as img:
        return sum(n for shade, n in enumerate(img.histogram()) if 200 <= shade <= 218)


@pytest.mark.parametrize("marks", [True, False])
def test_visit_forms_from_practice_data_are_marked_on_every_page(marks, tmp_path):
    practice, real = tmp_path / "tap-duot.pdf", tmp_path / "that.pdf"
    render_visit_forms(practice, _forms(), marks=marks, printed_on=TEST_TODAY, practice=True)
    render_visit_forms(real, _forms(), marks=marks, printed_on=TEST_TODAY)
    assert page_count(practice) == page_count(real) == (4 if marks else 2)
    _marked_on_every_page(practice)
    _never_marked(real)
    # the diagonal watermark is there to see on the first page, and only on the practice form's
    assert _watermark_pixels(practice, 1, tmp_path) > _watermark_pixels(real, 1, tmp_path) + 2000
    # and the QR codes say it too: a practice form is never read into real data
    codes = [c for page in qr_codes_per_page(practice, tmp=tmp_path) for c in page]
    assert codes and all(formcode.parse_form_code(c).practice for c in codes)
    assert not any(
        formcode.parse_form_code(c).practice for page in qr_codes_per_page(real, tmp=tmp_path) for c in page
    )


def test_practice_codes_read_back_and_real_ones_are_unchanged():
    eid = "0199a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b"
    real = formcode.sheet_code(eid, "0100109106", 2, "632714")
    assert real == "KHAOSAT:F2:0199A1B2-C3D4-7E5F-8A6B-7C8D9E0F1A2B:0100109106:2:632714"
    code = formcode.parse_form_code(formcode.sheet_code(eid, "0100109106", 2, "632714", practice=True))
    assert code.practice and code.page == 2 and code.layout == "632714" and code.tax_code == "0100109106"
    blank = formcode.parse_form_code(formcode.sheet_code(None, None, 2, "632714", practice=True))
    assert blank.practice and blank.blank
    one = formcode.parse_form_code(formcode.visit_form_code(eid, "0100109106", practice=True).lower())
    assert one.practice and one.enterprise_id == eid and one.tax_code == "0100109106"
    assert not formcode.parse_form_code(real).practice


def test_report_pdf_and_excel_from_practice_data_are_marked(store, tmp_path):
    seed_case(store)
    report, settings = report_for(store, TEST_WARD, Period.year(2024))
    practice, real = tmp_path / "bc-tap-duot.pdf", tmp_path / "bc.pdf"
    render_report(practice, report, settings, on=date(2024, 12, 5), practice=True)
    render_report(real, report, settings, on=date(2024, 12, 5))
    assert page_count(practice) >= 2
    _marked_on_every_page(practice)
    _never_marked(real)
    assert _watermark_pixels(practice, 2, tmp_path) > _watermark_pixels(real, 2, tmp_path) + 2000

    export_report(tmp_path / "bc-tap-duot.xlsx", report, practice=True)
    export_report(tmp_path / "bc.xlsx", report)
    marked, plain = load_workbook(tmp_path / "bc-tap-duot.xlsx"), load_workbook(tmp_path / "bc.xlsx")
    assert marked.sheetnames == plain.sheetnames
    for ws in marked.worksheets:
        top = [ws.cell(r, 1).value or "" for r in range(1, 6)]
        assert any(str(t).startswith(MARK) for t in top), (ws.title, top)
        assert ws.oddHeader.center.text == MARK  # on every printed page
        # the mark takes the free row above the header: the header and the numbers stay where they were
        plain_ws = plain[ws.title]
        assert [c.value for c in ws[plain_ws.max_row]] == [c.value for c in plain_ws[plain_ws.max_row]]
        assert ws.freeze_panes == plain_ws.freeze_panes
        # in the row left blank between the titles and the header row: the titles stay as they were
        row = next(r for r in range(1, 6) if str(ws.cell(r, 1).value or "").startswith(MARK))
        assert plain_ws.cell(row, 1).value is None and plain_ws.cell(row + 1, 1).value is not None
        assert [plain_ws.cell(r, 1).value for r in range(1, row)] == [
            ws.cell(r, 1).value for r in range(1, row)
        ]
    for ws in plain.worksheets:
        assert not any(practice_data.WORD in str(c.value) for row in ws.iter_rows() for c in row if c.value)
        assert not ws.oddHeader.center.text


def test_enterprise_list_from_practice_data_is_marked(store, tmp_path):
    save_enterprise(
        store,
        Enterprise(name="Công ty TNHH Ánh Dương", tax_code="0100109106", ward_code=TEST_WARD),
        today=TEST_TODAY,
    )
    export_enterprises(tmp_path / "that.xlsx", store)
    store.mark_practice()
    export_enterprises(tmp_path / "tap-duot.xlsx", store)
    ws = load_workbook(tmp_path / "tap-duot.xlsx")["Doanh nghiệp"]
    assert str(ws["A1"].value).startswith(MARK) and ws.oddHeader.center.text == MARK
    assert ws.freeze_panes == "C3"  # the header row under the mark stays in view
    assert any(c.value == "Công ty TNHH Ánh Dương" for c in ws[3])
    real = load_workbook(tmp_path / "that.xlsx")["Doanh nghiệp"]
    assert real.freeze_panes == "C2" and not str(real["A1"].value).startswith(practice_data.WORD)


def test_key_form_printed_in_practice_mode_is_marked(tmp_path):
    data = KeyFormData("361a98764c134dc5", FP, "Phường Hoàn Kiếm", TEST_WARD, "Nguyễn Thị Hằng")
    render_key_form(tmp_path / "khoa-tap-duot.pdf", data, practice=True)
    render_key_form(tmp_path / "khoa.pdf", data)
    _marked_on_every_page(tmp_path / "khoa-tap-duot.pdf")
    _never_marked(tmp_path / "khoa.pdf")
    # the watermark is kept from under the QR code: it reads as on a real form
    code = formcode.key_form_code(data.laptop_id, data.fingerprint)
    assert qr_codes(tmp_path / "khoa-tap-duot.pdf", tmp=tmp_path) == [code]
