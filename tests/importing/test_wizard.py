"""The import wizard in the real main window (offscreen): file → sheet → mapping → preview → import."""

from __future__ import annotations

import pytest
from openpyxl import Workbook, load_workbook
from PySide6.QtCore import Qt

from app.importing import plan as pl
from tests.gui.conftest import close_window, data_dir, open_window, wait_idle  # noqa: F401
from tests.helpers.vault import open_store
from tests.importing import builders as B

pytestmark = pytest.mark.gui


def _kept(data_dir):
    with open_store(data_dir) as s:
        rows = s._rows(
            "SELECT * FROM enterprises WHERE deleted = 0 AND address IS NOT NULL ORDER BY rid LIMIT 2"
        )
        return rows, s.counts()["enterprises"]


def _write(path, kept):
    wb = Workbook()
    notes = wb.active
    notes.title = "Hướng dẫn"
    notes["A1"] = "Danh sách ở trang sau"
    ws = wb.create_sheet("DS doanh nghiệp")
    ws["A1"] = B.TITLE
    ws.merge_cells("A1:F1")
    ws.append([])
    ws.append(["STT", "Tên DN", "Mã", "Địa chỉ trụ sở", "Tổng số LĐ", "Ghi chú"])
    for i, (cells, _o, _r) in enumerate(B.ROWS, 1):
        ws.append([i, cells[1], cells[2], cells[3], cells[5], ""])
    first, second = kept
    ws.append(
        [90, first["name"], first["tax_code"], first["address"], (first["workforce_total"] or 0) + 7, ""]
    )
    ws.append([91, second["name"], B.tax(99), second["address"], 12, ""])
    wb.save(path)


def test_wizard_imports_a_list_off_the_gui_thread(qtbot, tmp_path, data_dir):
    kept, before = _kept(data_dir)
    src = tmp_path / "danhsach.xlsx"
    _write(src, kept)
    window = open_window(qtbot, data_dir)
    try:
        window.actions.trigger("import.list")
        wizard = window.importing.wizard
        qtbot.waitExposed(wizard)
        assert wizard.step == "file"

        qtbot.keyClicks(wizard.path_edit, str(src))  # an ASCII path
        qtbot.keyClick(wizard.path_edit, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: wizard.step == "sheet" and not wizard.busy, timeout=10000)
        # the sheet with a header row is preselected
        assert wizard.sheet_list.currentItem().text() == "DS doanh nghiệp"
        wizard.next_button.click()
        qtbot.waitUntil(lambda: wizard.step == "mapping" and not wizard.busy, timeout=10000)
        assert "dòng tiêu đề: 3" in wizard.mapping_info.text()
        assert wizard.current_mapping() == {1: "name", 3: "address", 4: "workforce_total", 5: "note"}
        wizard.grab().save(str(tmp_path / "mapping.png"))
        wizard.next_button.click()  # no tax-code column yet
        assert "Chưa chọn cột cho: Mã số thuế" in wizard.message.text() and wizard.step == "mapping"
        wizard.set_field(2, "tax_code")
        wizard.set_field(5, "address")  # a field goes to one column only...
        assert wizard.current_mapping() == {1: "name", 2: "tax_code", 4: "workforce_total", 5: "address"}
        wizard.set_field(3, "address")  # ...so choosing it again takes it back
        wizard.set_field(5, None)
        wizard.next_button.click()
        qtbot.waitUntil(lambda: wizard.step == "preview" and not wizard.busy, timeout=20000)

        plan = wizard.preview
        counts = plan.counts()
        # no women column in this file: row 5 (more women than workers elsewhere) is valid here
        assert counts[pl.Outcome.NEW] == 5 and counts[pl.Outcome.ASK] == 1 and counts[pl.Outcome.SIMILAR] == 1
        assert "Thêm mới: 5" in wizard.summary.text()
        assert wizard.preview_model.rowCount() == len(plan.rows)

        ask = next(r for r in plan.rows if r.outcome == pl.Outcome.ASK)
        wizard.select_row(ask.number)
        assert wizard.decide_buttons["update"].isEnabled() and not wizard.decide_buttons["create"].isEnabled()
        wizard.decide_buttons["update"].click()
        assert ask.outcome == pl.Outcome.UPDATE
        similar = next(r for r in plan.rows if r.outcome == pl.Outcome.SIMILAR)
        wizard.select_row(similar.number)
        wizard.decide_buttons["skip"].click()
        assert similar.outcome == pl.Outcome.SKIP
        # switching the whole-file choice and back keeps the decisions taken row by row
        for key in ("skip", "ask"):
            old_plan = wizard.preview
            wizard.dup_buttons[key].click()
            qtbot.waitUntil(
                lambda old_plan=old_plan: wizard.preview is not old_plan and not wizard.busy, timeout=20000
            )
        plan = wizard.preview
        assert {r.number: r.outcome for r in plan.rows if r.number in (ask.number, similar.number)} == {
            ask.number: pl.Outcome.UPDATE,
            similar.number: pl.Outcome.SKIP,
        }
        wizard.grab().save(str(tmp_path / "preview.png"))

        wizard.import_button.click()
        qtbot.waitUntil(lambda: wizard.step == "result" and not wizard.busy, timeout=20000)
        wait_idle(qtbot, window)
        assert "Đã thêm mới 5 và cập nhật 1 doanh nghiệp." in wizard.result_label.text()
        wizard.grab().save(str(tmp_path / "result.png"))
        with open_store(data_dir) as s:
            assert s.counts()["enterprises"] == before + 5
            updated = s.find_by_tax_code(kept[0]["tax_code"])[0]
            assert updated.workforce_total == (kept[0]["workforce_total"] or 0) + 7
            assert [h["op"] for h in s.history("enterprises", updated.id)][-1] == "update"

        errors = tmp_path / "loi.xlsx"
        wizard.save_errors(str(errors))
        qtbot.waitUntil(lambda: wizard.error_path is not None, timeout=10000)
        lines = list(load_workbook(errors).active.iter_rows(values_only=True))
        assert len(lines) == 1 + 5  # 4 invalid + 1 repeated; the skipped similar row was decided
        wizard.close()
    finally:
        close_window(qtbot, window)


def test_wizard_reports_a_bad_file(qtbot, tmp_path, data_dir):
    (tmp_path / "web.xls").write_text("<html><body>not a sheet</body></html>", encoding="utf-8")
    window = open_window(qtbot, data_dir)
    try:
        window.actions.trigger("import.list")
        wizard = window.importing.wizard
        wizard.set_path(str(tmp_path / "web.xls"))
        qtbot.waitUntil(lambda: not wizard.busy, timeout=10000)
        assert wizard.step == "file" and "trang web" in wizard.message.text()
        wizard.close()
    finally:
        close_window(qtbot, window)


def test_wizard_csv_goes_straight_to_the_mapping_and_back(qtbot, tmp_path, data_dir):
    from app.importing.legacy import encode_vni

    src = B.write_csv(tmp_path / "ds.csv", "vni", delimiter=";")
    window = open_window(qtbot, data_dir)
    try:
        window.actions.trigger("import.list")
        wizard = window.importing.wizard
        wizard.set_path(str(src))
        qtbot.waitUntil(lambda: wizard.step == "mapping" and not wizard.busy, timeout=10000)
        info = wizard.mapping_info.text()
        assert "VNI-Windows" in info and "dòng tiêu đề: 3" in info
        assert wizard.mapping_table.item(1, 2).text() == "Công ty TNHH May Hoàn Kiếm"
        assert encode_vni("Hoàn Kiếm") not in wizard.mapping_table.item(1, 2).text()
        wizard.back_button.click()
        assert wizard.step == "file"
        wizard.next_button.click()
        qtbot.waitUntil(lambda: wizard.step == "mapping" and not wizard.busy, timeout=10000)
        wizard.next_button.click()
        qtbot.waitUntil(lambda: wizard.step == "preview" and not wizard.busy, timeout=20000)
        assert wizard.preview.counts()[pl.Outcome.NEW] == 4
        assert wizard.import_button.isEnabled()
        wizard.close()
    finally:
        close_window(qtbot, window)


def test_wizard_preview_keeps_only_the_rows_it_shows(qtbot, tmp_path, data_dir):
    """A file longer than the preview shows: the preview holds the rows it shows (those that need a
    look, then a few first ones) and the counts of the whole file; the import writes every row and the
    error file has every row that did not go in, with its cells read from the file again."""
    _kept_rows, before = _kept(data_dir)
    src = tmp_path / "dai.xlsx"
    wb = Workbook()
    ws = wb.active
    ws.append(B.HEADERS)
    bad: dict[int, str] = {}  # file row -> the enterprise's name
    for i in range(120):
        name = f"Công ty TNHH Thử Nghiệm Số {i + 1}"
        code = B.tax(i)
        if i % 4 == 3:  # 30 rows with a wrong check digit, to the end of the file
            code = B.bad_check_digit(code)
            bad[i + 2] = name
        ws.append([str(i + 1), name, code, "12 Tràng Tiền, P. Hoàn Kiếm, Hà Nội", "Nguyễn Văn An", "20", "5"])
    wb.save(src)

    window = open_window(qtbot, data_dir)
    try:
        window.actions.trigger("import.list")
        wizard = window.importing.wizard
        wizard.shown_rows = 20
        wizard.set_path(str(src))
        qtbot.waitUntil(lambda: wizard.step == "mapping" and not wizard.busy, timeout=10000)
        wizard.next_button.click()
        qtbot.waitUntil(lambda: wizard.step == "preview" and not wizard.busy, timeout=20000)

        plan = wizard.preview
        assert wizard.preview_model.rowCount() == len(plan.rows) == 20
        # the counts are the whole file's
        assert plan.total == 120
        assert plan.counts() == {pl.Outcome.NEW: 90, pl.Outcome.INVALID: 30}
        summary = wizard.summary.text()
        assert "Số dòng doanh nghiệp trong tệp: 120" in summary and "Thêm mới: 90" in summary
        assert "Có lỗi, chưa nhập: 30" in summary
        assert "chỉ hiện 20 trong 120 dòng" in summary
        # shown: two first rows that need nothing (a tenth), then the rows that need a look, in file order
        shown = [(r.number, r.outcome) for r in plan.rows]
        assert shown[:2] == [(2, pl.Outcome.NEW), (3, pl.Outcome.NEW)]
        assert [n for n, o in shown[2:]] == sorted(bad)[:18]
        assert {o for _n, o in shown[2:]} == {pl.Outcome.INVALID}
        # of the rows not shown, only the reason of those that did not go in (no cells, no plan)
        assert sorted(plan.left_out) == sorted(bad)[18:]
        assert all("Mã số thuế" in reason for _o, reason in plan.left_out.values())
        assert "Bấm «Nhập vào dữ liệu» để thêm 90" in wizard.message.text()

        wizard.import_button.click()
        qtbot.waitUntil(lambda: wizard.step == "result" and not wizard.busy, timeout=20000)
        wait_idle(qtbot, window)
        assert "Đã thêm mới 90 và cập nhật 0 doanh nghiệp." in wizard.result_label.text()
        assert "30 dòng chưa nhập" in wizard.result_label.text()
        assert len(wizard.preview.rows) == 20 and wizard.preview_model.rowCount() == 20
        with open_store(data_dir) as s:
            assert s.counts()["enterprises"] == before + 90
            names = {
                r["name"] for r in s._rows("SELECT name FROM enterprises WHERE name LIKE 'Công ty TNHH Thử%'")
            }
        assert names == {f"Công ty TNHH Thử Nghiệm Số {i + 1}" for i in range(120)} - set(bad.values())

        errors = tmp_path / "loi.xlsx"
        wizard.save_errors(str(errors))
        qtbot.waitUntil(lambda: wizard.error_path is not None, timeout=10000)
        lines = list(load_workbook(errors).active.iter_rows(values_only=True))
        assert len(lines) == 1 + 30
        # every row with its own cells (those not shown read from the file again), its row and reason
        assert [(line[1], line[-2]) for line in lines[1:]] == [(bad[n], n) for n in sorted(bad)]
        assert all("Mã số thuế" in line[-1] for line in lines[1:])
        wizard.close()
    finally:
        close_window(qtbot, window)
