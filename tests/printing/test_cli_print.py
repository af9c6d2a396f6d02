"""``khaosat print ...``, ``khaosat report``, ``khaosat excel`` run as real subprocesses."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook

from app.domain import formcode
from tests.conftest import run_cli
from tests.helpers.vault import open_store
from tests.printing.pdftools import page_count, pdftotext, qr_codes


@pytest.mark.slow
def test_print_report_excel_end_to_end(tmp_path):
    data = tmp_path / "data"
    assert (
        run_cli(
            "init", "--unit", "00070", "--name", "Nguyễn Thị Hằng", "--role", "collaborator", data_dir=data
        ).returncode
        == 0
    )
    assert (
        run_cli("demo", "--ward", "00070", "--enterprises", "60", "--seed", "3", data_dir=data).returncode
        == 0
    )
    out = tmp_path / "out"
    out.mkdir()

    r = run_cli(
        "print",
        "form",
        "--not-visited-months",
        "6",
        "--today",
        "20/11/2025",
        "--out",
        str(out / "lo.pdf"),
        data_dir=data,
    )
    assert r.returncode == 0, r.stderr
    n = int(r.stdout.split("Đã in ")[1].split()[0])
    # by default every form has its mark sheet: two pages a form
    assert n > 0 and page_count(out / "lo.pdf") == 2 * n
    assert f"({2 * n} trang: mỗi phiếu một trang thông tin và một trang đánh dấu)" in r.stdout

    r = run_cli("enterprise", "list", "--limit", "1", data_dir=data)
    tax = r.stdout.split(" | ")[0]
    r = run_cli("print", "form", "--enterprise", tax, "--out", str(out / "mot.pdf"), data_dir=data)
    assert r.returncode == 0, r.stderr
    assert "Đã in 1 phiếu" in r.stdout
    (code,) = qr_codes(out / "mot.pdf", tmp=tmp_path)
    parsed = formcode.parse_form_code(code)
    assert parsed.tax_code == tax and parsed.version == "F2" and parsed.page == 1
    (sheet,) = qr_codes(out / "mot.pdf", page=2, tmp=tmp_path)
    assert formcode.parse_form_code(sheet).page == 2 and formcode.parse_form_code(sheet).tax_code == tax
    # the code printed on the form finds the same enterprise again
    r = run_cli("print", "form", "--enterprise", code, "--out", str(out / "lai.pdf"), data_dir=data)
    assert r.returncode == 0, r.stderr
    assert qr_codes(out / "lai.pdf", tmp=tmp_path) == [code]

    r = run_cli(
        "print",
        "form",
        "--planned-week",
        "20/11/2025",
        "--today",
        "20/11/2025",
        "--out",
        str(out / "tuan.pdf"),
        data_dir=data,
    )
    from datetime import date

    from app.services.form_batches import FormSelection, select_enterprises

    with open_store(data) as s:
        week = select_enterprises(
            s,
            FormSelection(unit_code="00070", planned_from=date(2025, 11, 17), planned_to=date(2025, 11, 23)),
        )
    if week:
        assert r.returncode == 0 and page_count(out / "tuan.pdf") == 2 * len(week), r.stderr
    else:
        assert r.returncode == 1 and "Không có doanh nghiệp nào" in r.stderr

    r = run_cli("print", "blank", "--copies", "3", "--out", str(out / "trong.pdf"), data_dir=data)
    assert r.returncode == 0 and page_count(out / "trong.pdf") == 6  # 3 forms, 2 pages each

    r = run_cli(
        "print",
        "keyform",
        "--office",
        "Đảng ủy Phường Hoàn Kiếm",
        "--out",
        str(out / "khoa.pdf"),
        data_dir=data,
    )
    assert r.returncode == 0, r.stderr
    (key_code,) = qr_codes(out / "khoa.pdf", tmp=tmp_path)
    assert key_code.startswith("KHAOSAT:K1:")
    show = run_cli("keys", "show", data_dir=data)
    if show.returncode == 0:  # the sync feature prints this machine's fingerprint: the form must agree
        assert formcode.parse_form_code(key_code).fingerprint in show.stdout

    r = run_cli(
        "report",
        "--year",
        "2025",
        "--pdf",
        str(out / "bc.pdf"),
        "--xlsx",
        str(out / "bc.xlsx"),
        "--number",
        "7",
        data_dir=data,
    )
    assert r.returncode == 0, r.stderr
    assert "Số 7-BC/ĐU" in pdftotext(out / "bc.pdf")
    ws = load_workbook(out / "bc.xlsx")["Tổng hợp"]
    assert any(row[0] == "Tổ chức đảng" for row in ws.iter_rows(values_only=True))

    r = run_cli("excel", "--out", str(out / "ds.xlsx"), data_dir=data)
    assert r.returncode == 0 and "Đã xuất 60 doanh nghiệp" in r.stdout

    r = run_cli("report-settings", "--style", "state", "--thresholds", "10,300", data_dir=data)
    assert r.returncode == 0 and "Ngưỡng quy mô lao động: 10, 300" in r.stdout
    r = run_cli("report", "--year", "2025", "--pdf", str(out / "bc2.pdf"), data_dir=data)
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in pdftotext(out / "bc2.pdf")


@pytest.mark.slow
def test_clear_errors_and_no_file_written(tmp_path):
    data = tmp_path / "data"
    run_cli("init", "--unit", "00070", "--name", "Lê Văn Tám", "--role", "collaborator", data_dir=data)
    cases = [
        (("print", "form", "--out", str(tmp_path / "a.pdf")), "Hãy chọn doanh nghiệp"),
        (
            ("print", "form", "--enterprise", "0100109106", "--out", str(tmp_path / "a.pdf")),
            "Không có doanh nghiệp",
        ),
        (
            ("print", "form", "--not-visited-months", "6", "--out", str(tmp_path / "a.pdf")),
            "Không có doanh nghiệp nào",
        ),
        (
            ("print", "form", "--enterprise", "KHAOSAT:F1:12:3", "--out", str(tmp_path / "a.pdf")),
            "không đúng dạng",
        ),
        (("print", "blank", "--out", str(tmp_path / "a.docx")), "cần đuôi .pdf"),
        (("print", "blank", "--out", str(tmp_path / "khong-co" / "a.pdf")), "không có"),
        (
            ("report", "--year", "2025", "--unit", "99999", "--pdf", str(tmp_path / "a.pdf")),
            "không có trong danh mục",
        ),
        (("report", "--year", "2025"), "--pdf"),
        (
            ("report", "--year", "2025", "--from", "01/06/2024", "--pdf", str(tmp_path / "a.pdf")),
            "trong năm 2025",
        ),
        (("report-settings", "--thresholds", "500,20"), "tăng dần"),
    ]
    for args, message in cases:
        r = run_cli(*args, data_dir=data)
        assert r.returncode == 1, (args, r.stdout, r.stderr)
        assert message in r.stderr, (args, r.stderr)
        assert "Traceback" not in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]


def test_mark_sheet_by_default_off_by_setting_or_for_one_print(tmp_path):
    """Visit forms carry their mark sheet unless the data folder's setting turned it off (the window's
    «In kèm trang đánh dấu»); ``--marks``/``--no-marks`` decide for one print without changing it."""
    from app.services.print_settings import mark_sheet, set_mark_sheet

    data = tmp_path / "data"
    run_cli("init", "--unit", "00070", "--name", "Lê Văn Tám", "--role", "collaborator", data_dir=data)
    run_cli("demo", "--ward", "00070", "--enterprises", "5", "--seed", "4", data_dir=data)
    tax = run_cli("enterprise", "list", "--limit", "1", data_dir=data).stdout.split(" | ")[0]

    def pages(*args: str) -> int:
        out = tmp_path / f"p{len(list(tmp_path.glob('p*.pdf')))}.pdf"
        r = run_cli("print", *args, "--out", str(out), data_dir=data)
        assert r.returncode == 0, r.stderr
        return page_count(out)

    assert pages("form", "--enterprise", tax) == 2
    assert pages("blank", "--copies", "2") == 4
    assert pages("form", "--enterprise", tax, "--no-marks") == 1
    assert pages("blank", "--no-marks") == 1
    with open_store(data) as s:
        assert mark_sheet(s)  # a one-off --no-marks is not remembered
        set_mark_sheet(s, False)
    assert pages("form", "--enterprise", tax) == 1
    assert pages("blank", "--copies", "3") == 3
    assert pages("form", "--enterprise", tax, "--marks") == 2
    assert "Mẫu F1" in pdftotext(tmp_path / "p4.pdf")  # the one-page form keeps its version
    r = run_cli("print", "blank", "--marks", "--no-marks", "--out", str(tmp_path / "x.pdf"), data_dir=data)
    assert r.returncode == 2 and not (tmp_path / "x.pdf").exists()
