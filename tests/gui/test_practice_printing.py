"""In practice mode, what the window prints and exports says «TẬP DƯỢT» on every page and sheet."""

from __future__ import annotations

from openpyxl import load_workbook

from app.domain import formcode
from app.domain import practice as practice_data
from app.reports.results import Period
from tests.conftest import TEST_TODAY, TEST_WARD
from tests.gui.conftest import close_window, flush_deletes, open_window, wait_idle
from tests.gui.test_practice import _enter, real_dir  # noqa: F401 (the fixture)
from tests.printing.pdftools import pypdf_pages, qr_codes


def test_forms_and_report_printed_in_practice_mode_are_marked(qtbot, real_dir, tmp_path):
    from app.gui.printing import run_report

    window = open_window(qtbot, real_dir)
    practice = _enter(qtbot, window, 3)
    try:
        opened: list = []
        practice.printing.opener = opened.append
        practice.printing.today = lambda: TEST_TODAY
        practice.actions.trigger("print.blank")
        qtbot.waitUntil(lambda: len(opened) == 1, timeout=20000)
        pages = pypdf_pages(opened[0])
        assert len(pages) >= 2 and all(practice_data.MARK in p for p in pages)
        assert formcode.parse_form_code(qr_codes(opened[0], 2, tmp=tmp_path)[0]).practice
        wait_idle(qtbot, practice)

        run_report(practice, TEST_WARD, Period.year(2025), pdf=True, xlsx=True, number=None)
        qtbot.waitUntil(lambda: len(opened) == 3, timeout=30000)
        pdf, xlsx = opened[1:]
        assert all(practice_data.MARK in p for p in pypdf_pages(pdf))
        for ws in load_workbook(xlsx).worksheets:
            assert ws.oddHeader.center.text == practice_data.MARK
        wait_idle(qtbot, practice)
    finally:
        for w in (practice, window):
            close_window(qtbot, w)
        flush_deletes()
