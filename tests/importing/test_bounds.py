"""List import within bounds: files that would freeze the program or take all its memory are refused
before the cost is paid, with a Vietnamese message naming the limit; damaged rows are row errors."""

from __future__ import annotations

import csv
import struct
import time
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from app.importing import mapping as mp
from app.importing import plan as pl
from app.importing import readers as rd
from app.importing.errors import ImportFailed
from app.importing.readers import open_workbook
from tests.conftest import TEST_TODAY, run_cli
from tests.importing import builders as B

HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
TAIL = b"</sheetData></worksheet>"


def xlsx_with_sheet(path: Path, sheet_xml) -> Path:
    """A valid .xlsx whose first sheet's XML is ``sheet_xml`` (bytes, or a function writing to a file)."""
    base = path.with_suffix(".base.xlsx")
    wb = Workbook()
    wb.active.title = "Danh sách"
    wb.active["A1"] = "x"
    wb.save(base)
    with zipfile.ZipFile(base) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            if info.filename == "xl/worksheets/sheet1.xml":
                with out.open(info.filename, "w", force_zip64=True) as fh:
                    sheet_xml(fh) if callable(sheet_xml) else fh.write(sheet_xml)
            else:
                out.writestr(info, src.read(info.filename))
    base.unlink()
    return path


def inline_row(r: int, values: list[str]) -> str:
    cells = "".join(
        f'<c r="{mp.column_letter(i)}{r}" t="inlineStr"><is><t>{v}</t></is></c>' for i, v in enumerate(values)
    )
    return f'<row r="{r}">{cells}</row>'


def header_and_rows(rows: list[list[str]]) -> bytes:
    lines = [inline_row(1, ["Tên doanh nghiệp", "Mã số thuế", "Địa chỉ"])]
    lines += [inline_row(i + 2, row) for i, row in enumerate(rows)]
    return HEAD + "".join(lines).encode() + TAIL


def refused(path: Path, match: str, within: float = 20.0) -> str:
    t0 = time.perf_counter()
    with pytest.raises(ImportFailed, match=match) as info:
        mp.prepare(path)
    assert time.perf_counter() - t0 < within
    message = str(info.value)
    assert message.isprintable() and "Error" not in message and "Traceback" not in message
    return message


# --- not a spreadsheet ---------------------------------------------------------------------------


def test_a_pdf_or_a_picture_renamed_to_xlsx_says_it_is_not_a_spreadsheet(tmp_path):
    cases = {
        "bao-cao.xlsx": (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n", "tệp PDF"),
        "anh.xls": (b"\x89PNG\r\n\x1a\n" + bytes(100), "ảnh PNG"),
        "nen.csv": (b"Rar!\x1a\x07\x00" + bytes(50), "tệp nén RAR"),
        "du-lieu.xlsx": (b"SQLite format 3\x00" + bytes(100), "cơ sở dữ liệu SQLite"),
    }
    for name, (data, what) in cases.items():
        (tmp_path / name).write_bytes(data)
        message = refused(tmp_path / name, "không phải bảng tính")
        assert what in message and name in message


def test_a_word_file_or_a_zip_renamed_to_xlsx(tmp_path):
    with zipfile.ZipFile(tmp_path / "cong-van.xlsx", "w") as z:
        z.writestr("word/document.xml", "<w:document/>")
        z.writestr("[Content_Types].xml", "<Types/>")
    assert "văn bản Word" in refused(tmp_path / "cong-van.xlsx", "không phải bảng tính Excel")
    with zipfile.ZipFile(tmp_path / "anh.xlsx", "w") as z:
        z.writestr("anh/1.jpg", b"\xff\xd8\xff")
    assert "tệp nén" in refused(tmp_path / "anh.xlsx", "không phải bảng tính Excel")


def test_binary_bytes_in_a_csv(tmp_path):
    (tmp_path / "x.csv").write_bytes(b"Ten,MST\n\x00\x01\x02\x03" + bytes(range(256)) * 4)
    refused(tmp_path / "x.csv", "không phải bảng tính hay tệp văn bản CSV")


# --- zip bombs and hostile .xlsx -------------------------------------------------------------------


def _cell_bomb(path: Path, megabytes: int) -> Path:
    def sheet(fh):
        fh.write(HEAD + b'<row r="1"><c r="A1" t="inlineStr"><is><t>')
        block = b"A" * (1024 * 1024)
        for _ in range(megabytes):
            fh.write(block)
        fh.write(b"</t></is></c></row>" + TAIL)

    return xlsx_with_sheet(path, sheet)


def test_one_cell_that_inflates_to_600_mb_is_refused_at_once(tmp_path):
    """0.6 MB on disk, 600 MB inflated: the declared sizes refuse it before anything is inflated."""
    path = _cell_bomb(tmp_path / "bom.xlsx", 600)
    assert path.stat().st_size < 1_000_000
    message = refused(path, "khi giải nén ra tới 600 MB, quá giới hạn 400 MB", within=5)
    assert "chia danh sách" in message
    # smaller, under the size limit: the compression ratio refuses it
    message = refused(_cell_bomb(tmp_path / "bom50.xlsx", 50), "nén bất thường", within=5)
    assert "giới hạn 200 lần" in message


def test_a_long_cell_that_compresses_normally_is_refused_by_its_length(tmp_path):
    import base64
    import os

    text = base64.b64encode(os.urandom(1_800_000))  # 2.4 MB of text in one cell, ratio about 1.3
    path = xlsx_with_sheet(
        tmp_path / "o-dai.xlsx", HEAD + b'<row r="1"><c r="A1" t="inlineStr"><is><t>' + text
    )
    # (the part is cut short on purpose: the scan refuses before the end of the cell is reached)
    message = refused(path, "một ô hoặc một thẻ dài hơn 1 MB trong phần «xl/worksheets/sheet1.xml»")
    assert "32.767 ký tự" in message


def test_inflated_size_and_part_limits_are_named(tmp_path, monkeypatch):
    B.write_xlsx(tmp_path / "ds.xlsx")
    monkeypatch.setattr(rd, "MAX_INFLATED_BYTES", 10_000)
    message = refused(tmp_path / "ds.xlsx", "khi giải nén ra tới")
    assert "quá giới hạn 10 KB" in message
    monkeypatch.setattr(rd, "MAX_INFLATED_BYTES", 400 * 1024 * 1024)
    monkeypatch.setattr(rd, "MAX_SHARED_STRINGS", 3)
    path = xlsx_with_sheet(tmp_path / "shared.xlsx", header_and_rows([]))
    with zipfile.ZipFile(path, "a") as z:
        z.writestr("xl/sharedStrings.xml", "<sst>" + "<si><t>Công ty</t></si>" * 5 + "</sst>")
    refused(path, "hơn 3 chữ khác nhau trong bảng chữ dùng chung")


def test_overlapping_zip_entries_are_refused(tmp_path):
    """The CVE-2024-0450 trick: many central-directory entries share one compressed part, so a few
    kilobytes inflate many times over. Python 3.11.7's zipfile does not refuse it; KhaoSat does."""
    path = B.write_xlsx(tmp_path / "ds.xlsx")
    data = bytearray(path.read_bytes())
    eocd = data.rfind(b"PK\x05\x06")
    cd_offset = struct.unpack("<I", data[eocd + 16 : eocd + 20])[0]
    cd = bytes(data[cd_offset:eocd])
    records, pos = [], 0
    while pos < len(cd):
        n, m, k = struct.unpack("<HHH", cd[pos + 28 : pos + 34])
        records.append(cd[pos : pos + 46 + n + m + k])
        pos += 46 + n + m + k
    sheet = next(r for r in records if b"sheet1.xml" in r)
    copies = []
    for i in range(50):
        name = f"xl/copy{i}.bin".encode()
        rec = bytearray(sheet[:46]) + name
        rec[28:30] = struct.pack("<H", len(name))
        rec[30:34] = bytes(4)
        copies.append(bytes(rec))
    new_cd = b"".join(records + copies)
    tail = bytearray(data[eocd : eocd + 22])
    tail[8:12] = struct.pack("<HH", len(records) + len(copies), len(records) + len(copies))
    tail[12:16] = struct.pack("<I", len(new_cd))
    path.write_bytes(bytes(data[:cd_offset]) + new_cd + bytes(tail))
    refused(path, "chồng lên nhau")


def test_a_row_numbered_two_billion_or_a_cell_in_column_xfd_does_not_keep_it_busy(tmp_path):
    far_row = HEAD + inline_row(1, ["Tên doanh nghiệp", "Mã số thuế"]).encode()
    far_row += b'<row r="2000000000"><c r="A2000000000" t="inlineStr"><is><t>x</t></is></c></row>' + TAIL
    message = refused(
        xlsx_with_sheet(tmp_path / "dong.xlsx", far_row), "quá số dòng Excel cho phép", within=5
    )
    assert "2.000.000.000" in message
    far_col = HEAD + inline_row(1, ["Tên doanh nghiệp", "Mã số thuế"]).encode()
    far_col += b'<row r="2"><c r="XFD2" t="inlineStr"><is><t>x</t></is></c></row>' + TAIL
    message = refused(xlsx_with_sheet(tmp_path / "cot.xlsx", far_col), "tối đa 256 cột", within=5)
    assert "cột XFD" in message


def test_a_damaged_part_is_a_damaged_file_not_a_traceback(tmp_path):
    bad_index = HEAD + b'<row r="1"><c r="A1" t="s"><v>99999</v></c></row>' + TAIL  # no such shared string
    refused(xlsx_with_sheet(tmp_path / "hong.xlsx", bad_index), "tệp bị hỏng")
    not_xml = HEAD + b"<row r='1'><c>" + TAIL
    refused(xlsx_with_sheet(tmp_path / "hong2.xlsx", not_xml), "tệp bị hỏng")


# --- how many rows and how much text --------------------------------------------------------------


def test_the_row_limit_is_named(tmp_path, monkeypatch):
    monkeypatch.setattr(rd, "MAX_ROWS", 50)

    def write(n: int) -> Path:
        with open(tmp_path / f"ds{n}.csv", "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["Danh sách doanh nghiệp"])
            w.writerow(["Tên doanh nghiệp", "Mã số thuế"])
            for i in range(n):
                w.writerow([f"Công ty {i}", B.tax(i)])
        return tmp_path / f"ds{n}.csv"

    assert mp.prepare(write(50)).table.data_count() == 50  # the title and the header do not count
    message = refused(write(120), "có hơn 50 dòng dữ liệu")
    assert "tối đa 50 dòng mỗi lần" in message and "chia danh sách" in message


def test_the_memory_limit_of_a_sheet_is_named(tmp_path, monkeypatch):
    monkeypatch.setattr(rd, "MAX_SHEET_BYTES", 200_000)
    rows = [[f"Công ty {i}", f"010{i:07d}", "Số 1 phố Tràng Tiền " * 10] for i in range(600)]
    xlsx_with_sheet(tmp_path / "to.xlsx", header_and_rows(rows))
    message = refused(tmp_path / "to.xlsx", "quá lớn để nhập một lần")
    assert "bộ nhớ (giới hạn của KhaoSat)" in message


def test_the_largest_real_list_passes_the_limits():
    """The limits are set so that a list of MAX_ROWS real rows fits (bench/bench_list_bounds.py
    measures it: 200,000 rows, under 500 MB)."""
    assert rd.MAX_ROWS >= 200_000
    assert rd.MAX_SHEET_BYTES >= 90 * 1024 * 1024  # such a list takes about 75 MB


# --- cells too long for a row: row errors, not a failed import --------------------------------------


def _data(tmp_path):
    data = tmp_path / "data"
    r = run_cli(
        "init", "--unit", "00070", "--name", "Nguyễn Thị Hằng", "--role", "collaborator", data_dir=data
    )
    assert r.returncode == 0, r.stderr
    return data


def test_a_csv_cell_longer_than_the_csv_module_takes_is_a_row_error(tmp_path):
    src = tmp_path / "ds.csv"
    with open(src, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["Tên doanh nghiệp", "Mã số thuế", "Địa chỉ", "Ghi chú"])
        w.writerow(["Công ty TNHH Một", B.tax(0), "12 Tràng Tiền, Hoàn Kiếm", "x"])
        w.writerow(["Công ty TNHH Hai", B.tax(1), "5 Hàng Bài, Hoàn Kiếm", "y" * 200_000])  # > 131,072
        w.writerow(["Công ty TNHH Ba", B.tax(2), "7 Hàng Khay, Hoàn Kiếm", "z" * 50_000])  # > 32,767
        w.writerow(["Công ty TNHH Bốn", B.tax(3), "9 Lý Thái Tổ, Hoàn Kiếm", "w"])
    data = _data(tmp_path)
    r = run_cli("import-list", str(src), data_dir=data)
    assert r.returncode == 3, r.stderr
    assert "Thêm mới: 2" in r.stdout
    assert "Dòng 3: Dòng 3 của tệp ds.csv dài bất thường" in r.stdout
    assert "Dòng 4: Ô ở cột D dài 50.000 ký tự, quá giới hạn 32.767 ký tự" in r.stdout
    wb = load_workbook(tmp_path / "ds-dong-chua-nhap.xlsx")
    values = [[c.value for c in row] for row in wb.active.iter_rows()]
    assert [v[-2] for v in values[1:]] == [3, 4]
    assert len(values[2][3]) == rd.CUT_CELL_CHARS + 1  # the cut cell, with "…"


def test_a_csv_line_of_600_megabytes_never_sits_in_memory(tmp_path, monkeypatch):
    monkeypatch.setattr(rd, "MAX_LINE_CHARS", 10_000)
    src = tmp_path / "dong-dai.csv"
    with open(src, "w", encoding="utf-8", newline="") as fh:
        fh.write("Tên doanh nghiệp,Mã số thuế\r\n")
        fh.write(f"Công ty TNHH Một,{B.tax(0)}\r\n")
        fh.write("x" * 95_000 + "\r\n")
        fh.write(f"Công ty TNHH Hai,{B.tax(1)}\r\n")
    table = mp.prepare(src).table
    assert [n for n, _c in table.data_rows()] == [2, 3, 4]
    assert table.sheet.bad_rows == {3: rd._unreadable_line("dong-dai.csv", 3)}
    assert table.data_rows()[2][1][:2] == ["Công ty TNHH Hai", B.tax(1)]


def test_an_xlsx_cell_longer_than_excel_allows_is_a_row_error(tmp_path, store):
    rows = [
        ["Công ty TNHH Một", B.tax(0), "12 Tràng Tiền, Hoàn Kiếm"],
        ["Công ty TNHH Hai", B.tax(1), "y" * 40_000],
    ]
    prepared = mp.prepare(xlsx_with_sheet(tmp_path / "dai.xlsx", header_and_rows(rows)), store)
    preview = pl.preview(store, prepared.table, prepared.mapping, pl.Options(today=TEST_TODAY))
    assert [r.outcome for r in preview.rows] == [pl.Outcome.NEW, pl.Outcome.INVALID]
    assert preview.rows[1].problems == [
        "Ô ở cột C dài 40.000 ký tự, quá giới hạn 32.767 ký tự một ô của Excel; đã cắt bớt."
    ]


def test_the_collector_replaces_damaged_characters_and_reports_the_row():
    c = rd._Collector("x.xls")
    c.add(1, ["Tên doanh nghiệp", "Mã số thuế"])
    c.add(2, ["Công ty \ud800 Một", "0100109106"])
    sheet = c.finish("Trang 1")
    assert sheet.rows[1][0] == "Công ty \ufffd Một"
    assert "có ký tự hỏng" in sheet.bad_rows[2] and "cột A" in sheet.bad_rows[2]


# --- the error file never holds a live formula ------------------------------------------------------


FORMULAS = [
    '=HYPERLINK("http://example.com/x","Bấm vào đây")',
    "=cmd|' /C calc'!A0",
    "+SUM(1,2)",
    "-2+3",
    "@SUM(A1:A2)",
    "=1+1",
]


def test_the_error_file_never_holds_a_formula_from_the_list(tmp_path):
    src = tmp_path / "ds.csv"
    with open(src, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["Tên doanh nghiệp", "Mã số thuế", "Địa chỉ", "=SUM(A1:A9)"])
        for f in FORMULAS:
            w.writerow([f, "123", f, f])  # a bad tax code: every row goes to the error file
        w.writerow(["Công ty\x07 có \x00 ký tự lạ", "456", "Hoàn Kiếm", "x"])
    data = _data(tmp_path)
    r = run_cli("import-list", str(src), data_dir=data)
    assert r.returncode == 3, r.stderr
    out = tmp_path / "ds-dong-chua-nhap.xlsx"
    with zipfile.ZipFile(out) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet and "<f " not in sheet
    wb = load_workbook(out)  # formulas would come back as data_type "f"
    cells = [c for row in wb.active.iter_rows() for c in row if c.value is not None]
    assert all(c.data_type != "f" for c in cells)
    texts = {c.value for c in cells}
    assert set(FORMULAS) <= texts and "=SUM(A1:A9)" in texts
    assert "Công ty\ufffd có \ufffd ký tự lạ" in texts  # control characters shown, not a failed file


# --- decode detection reads in pieces ---------------------------------------------------------------


def test_a_non_utf8_byte_far_into_the_file_is_found(tmp_path):
    lines = ["Ten doanh nghiep;Ma so thue"] + [f"Cong ty {i};010{i:07d}" for i in range(60_000)]
    data = ("\r\n".join(lines)).encode("ascii") + "\r\nCông ty Ho\u0300a;0100109106\r\n".encode("cp1258")
    assert len(data) > 1024 * 1024
    (tmp_path / "cp.csv").write_bytes(data)
    wb = open_workbook(tmp_path / "cp.csv")
    sheet = wb.read()
    assert sheet.encoding == "Windows-1258"
    assert sheet.rows[-1] == ["Công ty Hòa", "0100109106"]
