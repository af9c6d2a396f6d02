"""The In ấn menu: print the selected enterprise's form, a batch with progress, the report, the
Excel list, the key form; open an enterprise from a form's code. Real window, real files; the
system viewer is replaced by a list of what would have been opened."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox

from app.domain import formcode
from app.gui.printing import ASK_ABOVE_PAGES
from app.scan.layout import sheet_layout
from app.services.form_batches import FormSelection, select_enterprises
from tests.conftest import TEST_TODAY, TEST_WARD
from tests.gui.conftest import close_window, open_window, wait_idle
from tests.helpers.vault import open_store
from tests.printing.pdftools import page_count, pdftotext, qr_codes


def _window(qtbot, data_dir):
    window = open_window(qtbot, data_dir)
    opened: list = []
    window.printing.opener = opened.append
    window.printing.today = lambda: TEST_TODAY
    return window, opened


def _enterprises(data_dir, n=2):
    with open_store(data_dir) as s:
        return s._rows(
            "SELECT id, name, tax_code FROM enterprises WHERE deleted = 0 ORDER BY name LIMIT ?", (n,)
        )


def _error_box(qtbot, window) -> str:
    qtbot.waitUntil(lambda: window.findChild(QMessageBox, "error_box") is not None, timeout=10000)
    box = window.findChild(QMessageBox, "error_box")
    text = box.text()
    box.close()
    box.setObjectName("closed")
    return text


def test_print_the_selected_form_and_open_an_enterprise_by_its_code(qtbot, data_dir, tmp_path):
    window, opened = _window(qtbot, data_dir)
    try:
        first, second = _enterprises(data_dir)
        assert not window.actions.action("print.form").isEnabled() or window.selected_enterprise_id()
        window.open_enterprise(first["id"])
        qtbot.waitUntil(lambda: window.selected_enterprise_id() == first["id"], timeout=10000)
        window.actions.update_states()
        assert window.actions.action("print.form").isEnabled()
        window.actions.trigger("print.form")
        qtbot.waitUntil(lambda: len(opened) == 1, timeout=20000)
        path = opened[0]
        assert path.parent == data_dir / "ban-in" and path.suffix == ".pdf"
        assert first["name"] in pdftotext(path)
        # by default the form has its mark sheet: page 1 and page 2 each name the enterprise
        code = formcode.sheet_code(first["id"], first["tax_code"], 1, sheet_layout().layout_id)
        assert qr_codes(path, tmp=tmp_path) == [code]
        assert page_count(path) == 2

        window.open_enterprise(second["id"])
        qtbot.waitUntil(lambda: window.selected_enterprise_id() == second["id"], timeout=10000)
        window.actions.trigger("print.code")
        dialog = window.printing.dialog
        dialog.setTextValue(f"  {code.lower()} ")  # as a scanner or a person might type it
        dialog.accept()
        qtbot.waitUntil(lambda: window.selected_enterprise_id() == first["id"], timeout=10000)

        window.actions.trigger("print.code")
        window.printing.dialog.setTextValue("KHAOSAT:F1:12345")
        window.printing.dialog.accept()
        assert "không đúng dạng" in _error_box(qtbot, window)
        assert window.selected_enterprise_id() == first["id"]
        wait_idle(qtbot, window)
    finally:
        close_window(qtbot, window)


def test_batch_with_progress_blank_report_and_excel(qtbot, data_dir, tmp_path):
    window, opened = _window(qtbot, data_dir)
    try:
        window.actions.trigger("print.batch")
        dialog = window.printing.dialog
        dialog.months.setValue(6)
        with open_store(data_dir) as s:
            expected = select_enterprises(
                s, FormSelection(unit_code=TEST_WARD, not_visited_months=6, today=TEST_TODAY)
            )
        # the dialog says how many pages before anything is printed
        # (two pages a form: the details and the mark sheet, the default)
        pages = 2 * len(expected)
        qtbot.waitUntil(lambda: dialog.pages == len(expected), timeout=10000)
        assert f"Sẽ in {pages} trang ({len(expected)} doanh nghiệp, mỗi doanh nghiệp 2 trang" in (
            dialog.count.text()
        )
        dialog.accept()
        if pages > ASK_ABOVE_PAGES:  # many pages: asked first
            qtbot.waitUntil(lambda: window.printing.question is not None, timeout=10000)
            box = window.printing.question
            assert f"Sẽ in {pages} trang" in box.text()
            go = next(b for b in box.buttons() if b.text().startswith("&In"))
            assert go.text() == f"&In {pages} trang"
            go.click()
        qtbot.waitUntil(lambda: len(opened) == 1, timeout=30000)
        assert page_count(opened[0]) == pages > 0
        assert f"Trang {pages}/{pages}" in pdftotext(opened[0], pages, pages)

        window.actions.trigger("print.batch")
        dialog = window.printing.dialog
        dialog.planned.setChecked(True)
        dialog.start.setDate(dialog.start.date().addYears(5))
        dialog.end.setDate(dialog.end.date().addYears(5))
        dialog.accept()
        assert "Không có doanh nghiệp nào" in _error_box(qtbot, window)

        window.actions.trigger("print.blank")
        qtbot.waitUntil(lambda: len(opened) == 2, timeout=20000)
        assert "Phiếu trống" in pdftotext(opened[1])

        window.actions.trigger("print.report")
        dialog = window.printing.dialog
        dialog.year.setValue(2025)
        dialog.xlsx.setChecked(True)
        dialog.number.setText("7")
        dialog.accept()
        qtbot.waitUntil(lambda: len(opened) == 4, timeout=30000)
        pdf, xlsx = opened[2], opened[3]
        text = " ".join(pdftotext(pdf).split())
        assert "Số 7-BC/ĐU" in text and "năm 2025" in text and xlsx.suffix == ".xlsx"

        from app.gui.printing import run_enterprise_export

        run_enterprise_export(window, tmp_path / "ds")
        qtbot.waitUntil(lambda: len(opened) == 5, timeout=30000)
        assert opened[4] == tmp_path / "ds.xlsx" and opened[4].stat().st_size > 0
        wait_idle(qtbot, window)
    finally:
        close_window(qtbot, window)


def test_key_form_needs_keys_then_prints_the_fingerprint(qtbot, data_dir, tmp_path):
    from app.sync import registry as R

    window, opened = _window(qtbot, data_dir)
    try:
        window.actions.trigger("print.keyform")
        assert "chưa có khóa" in _error_box(qtbot, window)
        with open_store(data_dir) as s:
            ident = R.ensure_keys(s, data_dir=data_dir)
        window.actions.trigger("print.keyform")
        qtbot.waitUntil(lambda: len(opened) == 1, timeout=20000)
        (code,) = qr_codes(opened[0], tmp=tmp_path)
        assert formcode.parse_form_code(code).fingerprint == ident.current.fingerprint
        wait_idle(qtbot, window)
    finally:
        close_window(qtbot, window)


def test_report_settings_dialog_loads_and_saves(qtbot, data_dir):
    from app.domain.vocab import DocStyle
    from app.gui.printing.dialogs import ReportSettingsDialog
    from app.reports.settings import load

    window, _opened = _window(qtbot, data_dir)
    try:
        window.actions.trigger("print.report_settings")
        qtbot.waitUntil(lambda: isinstance(window.printing.dialog, ReportSettingsDialog), timeout=10000)
        dialog = window.printing.dialog
        assert dialog.issuing.text() == "ĐẢNG ỦY PHƯỜNG HOÀN KIẾM"  # the default for the unit
        assert dialog.capacity.text() == "T/M ĐẢNG ỦY / BÍ THƯ"
        dialog.style.setCurrentIndex(dialog.style.findData("state"))
        dialog.rounding.setCurrentIndex(dialog.rounding.findData("truncate"))
        dialog.low.setValue(600)
        dialog.high.setValue(500)
        dialog.accept()  # refused: thresholds must increase
        assert "nhỏ hơn" in _error_box(qtbot, window)
        dialog.low.setValue(30)
        dialog.issuing.setText("  ỦY BAN NHÂN DÂN   PHƯỜNG HOÀN KIẾM ")
        dialog.capacity.setText("TM. ỦY BAN NHÂN DÂN / KT. CHỦ TỊCH / PHÓ CHỦ TỊCH")
        dialog.signer.setText("Phạm Văn Đức")
        dialog.superior.setText("")
        dialog.accept()
        wait_idle(qtbot, window)
        with open_store(data_dir) as s:
            st = load(s, TEST_WARD)
            assert s.setting("report.superior_body") is None  # empty: the unit's default
        assert st.style is DocStyle.STATE and st.rounding.value == "truncate" and st.thresholds == (30, 500)
        assert st.issuing_body == "ỦY BAN NHÂN DÂN PHƯỜNG HOÀN KIẾM"
        assert st.signer_capacity == ["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"]
        assert st.signer_name == "Phạm Văn Đức" and st.superior_body == "UBND THÀNH PHỐ HÀ NỘI"
    finally:
        close_window(qtbot, window)


def test_print_the_list_as_filtered(qtbot, data_dir):
    from app.services import enterprise_list as el

    window, opened = _window(qtbot, data_dir)
    try:
        query = el.ListQuery(workforce=el.WorkforceGroup.LARGE, today=TEST_TODAY)
        window.list_panel.model.set_query(query)
        wait_idle(qtbot, window)
        window.actions.trigger("print.list")
        qtbot.waitUntil(lambda: len(opened) == 1, timeout=30000)
        with open_store(data_dir) as s:
            large = s._rows(
                "SELECT name FROM enterprises WHERE deleted = 0 AND workforce_total >= 500 ORDER BY name"
            )
        assert page_count(opened[0]) == 2 * len(large) > 0
        assert large[0]["name"] in pdftotext(opened[0], 1, 1)  # the list's order: by name
        wait_idle(qtbot, window)
    finally:
        close_window(qtbot, window)


def test_the_paper_form_follows_the_screen_form_order():
    """Typing a paper form back is a straight run: part B numbers the fields in the screen's order."""
    from app.gui.forms.record_forms import VisitForm
    from app.printing.visit_form import form_fields

    assert [spec.name for spec in VisitForm.FIELDS] == form_fields()


def test_a_code_scanned_into_the_search_box_opens_the_enterprise(qtbot, data_dir):
    from PySide6.QtCore import Qt

    window, _opened = _window(qtbot, data_dir)
    try:
        first, second = _enterprises(data_dir)
        window.open_enterprise(second["id"])
        qtbot.waitUntil(lambda: window.selected_enterprise_id() == second["id"], timeout=10000)
        search = window.list_panel.search
        search.setFocus()
        # a barcode scanner types the code like a keyboard and ends with Enter
        qtbot.keyClicks(search, formcode.visit_form_code(first["id"], first["tax_code"]))
        qtbot.keyClick(search, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: window.selected_enterprise_id() == first["id"], timeout=10000)
        assert search.text() == ""  # the code is not left behind as a search
        qtbot.keyClicks(search, "khaosat:F1:not-a-code")
        qtbot.keyClick(search, Qt.Key.Key_Return)
        assert "không đúng dạng" in _error_box(qtbot, window)
        wait_idle(qtbot, window)
    finally:
        close_window(qtbot, window)
