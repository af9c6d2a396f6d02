"""The .xlsx exports read back with openpyxl equal the report and the database."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from openpyxl import load_workbook

from app.domain.records import Enterprise, Visit
from app.reports.enterprises import COLUMNS
from app.reports.excel import export_enterprises, export_report
from app.reports.results import Period, compute
from tests.conftest import TEST_WARD
from tests.helpers.vault import open_store
from tests.reports.test_results import OTHER_WARD, seed_case


def test_report_workbook_equals_the_report(store, tmp_path):
    seed_case(store)
    with store.write("test") as w:
        w.create(Enterprise(name="Khác", tax_code="0100109106", ward_code=OTHER_WARD, workforce_total=12))
    report = compute(store, "01", Period.year(2024))
    path = tmp_path / "bao-cao.xlsx"
    export_report(path, report)
    wb = load_workbook(path)
    assert wb.sheetnames == [
        "Tổng hợp",
        "Quy mô lao động",
        "Đủ điều kiện thành lập",
        "Nguồn phát triển đảng viên",
        "Xếp loại chất lượng",
        "Theo phường, xã",
        "Phát triển theo phường, xã",
    ]
    ws = wb["Tổng hợp"]
    header_row = next(r for r in range(1, 10) if ws.cell(r, 1).value == "Loại tổ chức")
    assert ws.freeze_panes == f"B{header_row + 1}"
    assert ws.column_dimensions["A"].width >= 20
    rows = list(ws.iter_rows(min_row=header_row + 1, max_row=header_row + 5, values_only=True))
    for k, row in zip(report.kinds, rows):
        assert row[0] == k.label
        assert row[1:5] == (k.organisations, k.members, k.founded.achieved, k.founded.target)
        assert row[7:9] == (k.admitted.achieved, k.admitted.target)
        assert row[6] == k.founded.verdict and row[10] == k.admitted.verdict
        for value, a in ((row[5], k.founded), (row[9], k.admitted)):
            assert value == (float(a.percent / 100) if a.percent is not None else None)
    party = rows[0]
    assert party[7:10] == (103, 80, 1.2875)
    assert ws.cell(header_row + 1, 10).number_format == "0.00%"
    assert isinstance(rows[1][3], int) and rows[1][3] == 16
    ws = wb["Quy mô lao động"]
    data = [r for r in ws.iter_rows(values_only=True) if r[0] and isinstance(r[1], int)]
    assert [(r[0], r[1], r[2]) for r in data[:-1]] == [
        (g.label, g.enterprises, g.workers) for g in report.workforce
    ]
    assert data[-1][:3] == ("Tổng cộng", report.enterprises, report.workers)
    ws = wb["Theo phường, xã"]
    wards = [r for r in ws.iter_rows(values_only=True) if r[0] in (TEST_WARD, OTHER_WARD)]
    assert [(r[0], r[1], r[2]) for r in wards] == [(w.code, w.name, w.enterprises) for w in report.wards]


def test_enterprise_list_numbers_dates_and_formula_safe_text(store, tmp_path):
    nasty = ['=HYPERLINK("http://x","bấm")', "+84 912 345 678", "-SUM(A1)", "@cmd", "Công ty Bình thường"]
    with store.write("test") as w:
        ids = []
        for i, name in enumerate(nasty):
            e = w.create(
                Enterprise(
                    name=name,
                    tax_code=f"010010910{i}",
                    ward_code=TEST_WARD,
                    workforce_total=1549 + i,
                    owner_name="=1+1",
                    phone="+84243826",
                )
            )
            ids.append(e.id)
        w.create(Visit(enterprise_id=ids[0], visit_date=date(2025, 2, 27)))
    path = tmp_path / "danh-sach.xlsx"
    assert export_enterprises(path, store, TEST_WARD) == 5
    wb = load_workbook(path)
    ws = wb["Doanh nghiệp"]
    assert ws.freeze_panes == "C2"
    headers = [c.value for c in ws[1]]
    assert headers == [h for _k, h, _w in COLUMNS]
    col = {h: i for i, h in enumerate(headers)}
    rows = list(ws.iter_rows(min_row=2))
    by_name = {r[col["Tên doanh nghiệp"]].value: r for r in rows}
    assert set(by_name) == set(nasty)
    for name in nasty:
        cell = by_name[name][col["Tên doanh nghiệp"]]
        assert cell.data_type == "s" and cell.value == name
        assert cell.quotePrefix == name.startswith(("=", "+", "-", "@"))
        owner = by_name[name][col["Người đại diện theo pháp luật"]]
        assert owner.value == "=1+1" and owner.data_type == "s" and owner.quotePrefix
    first = by_name[nasty[0]]
    assert first[col["Mã số thuế"]].value == "0100109100" and first[col["Mã số thuế"]].data_type == "s"
    assert first[col["Tổng số lao động"]].value == 1549 and first[col["Tổng số lao động"]].data_type == "n"
    assert first[col["Lần khảo sát gần nhất"]].value == datetime(2025, 2, 27)
    assert first[col["Lần khảo sát gần nhất"]].number_format == "DD/MM/YYYY"
    assert [r[col["STT"]].value for r in rows] == [1, 2, 3, 4, 5]
    assert first[col["Tổng số lao động"]].number_format == "#,##0"
    assert first[col["STT"]].number_format == "General"  # row numbers and years are not grouped
    # the raw sheet XML has no formula at all
    import zipfile

    with zipfile.ZipFile(path) as z:
        sheet = next(n for n in z.namelist() if n.startswith("xl/worksheets/"))
        assert b"<f>" not in z.read(sheet)


def test_enterprise_list_matches_the_database(demo_file, tmp_path):
    store = open_store(demo_file.parent)
    try:
        n = export_enterprises(tmp_path / "ds.xlsx", store)
        expected = {
            (r[0], r[1])
            for r in store.conn.execute("SELECT tax_code, name FROM enterprises WHERE deleted = 0")
        }
    finally:
        store.close()
    wb = load_workbook(tmp_path / "ds.xlsx", read_only=True)
    try:
        got = {(r[3], r[1]) for r in wb["Doanh nghiệp"].iter_rows(min_row=2, values_only=True)}
    finally:
        wb.close()
    assert n == len(expected) == 300 and got == expected


def test_enterprise_export_reports_progress_and_can_be_cancelled(demo_file, tmp_path):
    seen = []
    store = open_store(demo_file.parent)
    try:
        export_enterprises(tmp_path / "a.xlsx", store, progress=lambda d, t: seen.append((d, t)))
        assert seen == [(300, 300)]  # every 500 rows and at the end

        class Stop(Exception):
            pass

        def stop(done, total):
            raise Stop

        (tmp_path / "b.xlsx").write_bytes(b"old")
        with pytest.raises(Stop):
            export_enterprises(tmp_path / "b.xlsx", store, progress=stop)
    finally:
        store.close()
    assert (tmp_path / "b.xlsx").read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.xlsx", "b.xlsx"]
