"""Every format and encoding a list arrives in reads to the same Unicode table."""

from __future__ import annotations

import unicodedata

import pytest

from app.importing import legacy as lg
from app.importing import mapping as mp
from app.importing.errors import ImportFailed
from app.importing.readers import decode_bytes, open_workbook, sniff_delimiter
from tests.importing import builders as B

EXPECTED_MAPPING = {
    1: "name",
    2: "tax_code",
    3: "address",
    4: "owner_name",
    5: "workforce_total",
    6: "workforce_women",
}

FORMATS = {
    "xlsx": lambda p: B.write_xlsx(p / "ds.xlsx"),
    "xlsx-text-cells": lambda p: B.write_xlsx(p / "ds.xlsx", numbers=False),
    "xls": lambda p: B.write_xls(p / "ds.xls"),
    "csv-utf8": lambda p: B.write_csv(p / "ds.csv", "utf-8"),
    "csv-utf8-bom": lambda p: B.write_csv(p / "ds.csv", "utf-8-sig"),
    "csv-utf8-nfd": lambda p: B.write_csv(p / "ds.csv", "utf-8", nfd=True),
    "csv-utf16": lambda p: B.write_csv(p / "ds.csv", "utf-16"),
    "csv-utf16le-nobom-tab": lambda p: B.write_csv(p / "ds.txt", "utf-16-le", delimiter="\t"),
    "csv-cp1258": lambda p: B.write_csv(p / "ds.csv", "cp1258"),
    "csv-cp1258-semicolon": lambda p: B.write_csv(p / "ds.csv", "cp1258", delimiter=";"),
    "csv-tcvn3": lambda p: B.write_csv(p / "ds.csv", "tcvn3"),
    "csv-vni": lambda p: B.write_csv(p / "ds.csv", "vni", delimiter=";"),
    "xlsx-vntime": lambda p: B.write_xlsx(p / "ds.xlsx", font=".VnTime", encode=lg.encode_tcvn3),
    "xlsx-vni": lambda p: B.write_xlsx(p / "ds.xlsx", font="VNI-Times", encode=lg.encode_vni),
    "xls-vntime": lambda p: B.write_xls(p / "ds.xls", font=".VnTime", encode=lg.encode_tcvn3),
    "xls-vni": lambda p: B.write_xls(p / "ds.xls", font="VNI-Helve", encode=lg.encode_vni),
    "xlsx-tcvn3-no-font": lambda p: B.write_xlsx(p / "ds.xlsx", encode=lg.encode_tcvn3),
    "xlsx-vni-no-font": lambda p: B.write_xlsx(p / "ds.xlsx", encode=lg.encode_vni),
}


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_reads_to_the_same_table(tmp_path, fmt):
    path = FORMATS[fmt](tmp_path)
    prepared = mp.prepare(path)
    table = prepared.table
    assert table.header_row_number == 3
    assert table.headers[: len(B.HEADERS)] == B.HEADERS
    assert prepared.mapping == EXPECTED_MAPPING
    rows = table.data_rows()
    assert [n for n, _ in rows] == list(range(4, 4 + len(B.ROWS)))
    for (_n, cells), (expected, _o, _r) in zip(rows, B.ROWS):
        assert all(unicodedata.is_normalized("NFC", c) for c in cells)
        # text cells exactly as written; number cells may have lost a leading zero (restored later)
        for got, want in zip(cells, expected):
            if want.isdigit():
                assert got.lstrip("0") == want.lstrip("0")
            else:
                assert got == want
    if "tcvn3" in fmt or "vntime" in fmt:
        assert table.sheet.conversions[lg.Legacy.TCVN3] > 30
    if "vni" in fmt:
        assert table.sheet.conversions[lg.Legacy.VNI] > 30


def test_h_font_cells_come_out_in_capitals(tmp_path):
    path = B.write_xlsx(tmp_path / "ds.xlsx", font=".VnTime", encode=lg.encode_tcvn3, caps_font=".VnTimeH")
    table = mp.prepare(path).table
    names = [cells[1] for _n, cells in table.data_rows()]
    assert names[0] == "CÔNG TY TNHH MAY HOÀN KIẾM"
    assert names[4] == "DOANH NGHIỆP TƯ NHÂN HOÀ BÌNH"
    assert [cells[4] for _n, cells in table.data_rows()][0] == "Nguyễn Thị Hằng"
    assert table.sheet.conversions[lg.Legacy.TCVN3_CAPS] == sum(1 for r in B.ROWS if r[0][1])


def test_cp1258_combining_tones_become_nfc():
    text = "Nguyễn Thị Hằng, Đồng Xuân"
    data = B._cp1258(text)
    assert b"\xde" in data or b"\xec" in data or b"\xf2" in data  # some tone went in as a combining byte
    decoded, encoding = decode_bytes(data)
    assert decoded == text and encoding == "Windows-1258"


def test_delimiter_sniffing():
    assert sniff_delimiter(["a;b;c", "1;2,5;3"]) == ";"
    assert sniff_delimiter(["a\tb\tc", "1\t2\t3"]) == "\t"
    assert sniff_delimiter(['"Tên, đầy đủ",MST,Địa chỉ', "x,1,y"]) == ","


def test_two_level_header_with_merged_cells_and_column_numbers(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws["A1"] = "ỦY BAN NHÂN DÂN PHƯỜNG HOÀN KIẾM"
    ws.merge_cells("A1:D1")
    ws["A2"] = B.TITLE
    ws.merge_cells("A2:G2")
    ws.append([])
    ws.append(["STT", "Tên doanh nghiệp", "Mã số thuế", "Địa chỉ", "Lao động", None, None])
    ws.append([None, None, None, None, "Tổng số", "Nữ", "Dưới 30 tuổi"])
    ws.merge_cells("A4:A5")
    ws.merge_cells("B4:B5")
    ws.merge_cells("E4:G4")
    ws.append(["(1)", "(2)", "(3)", "(4)", "(5)", "(6)", "(7)"])
    ws.append([1, "Công ty TNHH A", B.tax(0), "1 Tràng Tiền, P. Hoàn Kiếm", 50, 20, 10])
    wb.save(tmp_path / "two.xlsx")
    table = mp.prepare(tmp_path / "two.xlsx").table
    assert table.header_row_number == 5
    assert table.headers == [
        "STT",
        "Tên doanh nghiệp",
        "Mã số thuế",
        "Địa chỉ",
        "Lao động Tổng số",
        "Lao động Nữ",
        "Lao động Dưới 30 tuổi",
    ]
    assert mp.guess(table.headers) == {
        1: "name",
        2: "tax_code",
        3: "address",
        4: "workforce_total",
        5: "workforce_women",
        6: "workforce_under30",
    }
    assert [n for n, _ in table.data_rows()] == [7]


def test_sheets_by_name_or_number(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.title = "Ghi chú"
    wb.active["A1"] = "Danh sách ở trang sau"
    ws = wb.create_sheet("Danh sách DN")
    ws.append(["Tên DN", "MST", "Địa chỉ"])
    ws.append(["Công ty TNHH A", B.tax(0), "P. Hoàn Kiếm"])
    wb.save(tmp_path / "s.xlsx")
    assert mp.prepare(tmp_path / "s.xlsx").table.sheet.name == "Danh sách DN"  # first sheet with a header
    assert mp.prepare(tmp_path / "s.xlsx", sheet="2").table.sheet.name == "Danh sách DN"
    assert mp.prepare(tmp_path / "s.xlsx", sheet="danh sach dn").table.sheet.name == "Danh sách DN"
    with pytest.raises(ImportFailed, match="Các trang có trong tệp: «Ghi chú», «Danh sách DN»"):
        mp.prepare(tmp_path / "s.xlsx", sheet="Trang 3")
    with pytest.raises(ImportFailed, match="Không tìm thấy dòng tiêu đề"):
        mp.prepare(tmp_path / "s.xlsx", sheet="Ghi chú")


def test_bad_files_give_clear_messages(tmp_path):
    (tmp_path / "web.xls").write_text("<html><table><tr><td>Tên</td></tr></table></html>", encoding="utf-8")
    with pytest.raises(ImportFailed, match="trang web"):
        open_workbook(tmp_path / "web.xls")
    (tmp_path / "empty.csv").write_bytes(b"")
    with pytest.raises(ImportFailed, match="rỗng"):
        open_workbook(tmp_path / "empty.csv")
    (tmp_path / "broken.xlsx").write_bytes(b"PK\x03\x04not really a zip")
    with pytest.raises(ImportFailed, match="tệp bị hỏng"):
        open_workbook(tmp_path / "broken.xlsx")
    with pytest.raises(ImportFailed, match="Không tìm thấy tệp"):
        open_workbook(tmp_path / "none.xlsx")


def test_excel_sep_hint_line_and_odd_files(tmp_path):
    text = "sep=;\r\n" + B.csv_text(delimiter=";", title=False)
    (tmp_path / "hint.csv").write_text(text, encoding="utf-8")
    table = mp.prepare(tmp_path / "hint.csv").table
    assert table.header_row_number == 2 and table.headers[:3] == B.HEADERS[:3]
    assert [n for n, _ in table.data_rows()][:2] == [3, 4]
    import zipfile

    with zipfile.ZipFile(tmp_path / "bang.ods", "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
    with pytest.raises(ImportFailed, match="LibreOffice"):
        open_workbook(tmp_path / "bang.ods")


def test_a_file_is_read_by_its_content_not_its_name(tmp_path):
    B.write_xlsx(tmp_path / "ds.xlsx")
    (tmp_path / "really-xlsx.xls").write_bytes((tmp_path / "ds.xlsx").read_bytes())
    B.write_xls(tmp_path / "real.xls")
    (tmp_path / "really-xls.xlsx").write_bytes((tmp_path / "real.xls").read_bytes())
    B.write_csv(tmp_path / "ds.csv", "utf-8")
    (tmp_path / "really-csv.xls").write_bytes((tmp_path / "ds.csv").read_bytes())
    for name, kind in (("really-xlsx.xls", "xlsx"), ("really-xls.xlsx", "xls"), ("really-csv.xls", "csv")):
        prepared = mp.prepare(tmp_path / name)
        assert prepared.kind == kind
        assert prepared.mapping == EXPECTED_MAPPING
        assert len(prepared.table.data_rows()) == len(B.ROWS)
