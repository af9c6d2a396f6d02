"""Test files of every format and encoding a master list arrives in, built from one set of rows."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from app.domain import taxcode
from app.importing.legacy import encode_tcvn3, encode_vni


def tax(n: int) -> str:
    """The n-th valid 10-digit tax code starting 0106... (deterministic)."""
    found = 0
    i = 0
    while True:
        code = taxcode.make_valid(f"0106{i:05d}")
        i += 1
        if code:
            if found == n:
                return code
            found += 1


def bad_check_digit(code: str) -> str:
    return code[:9] + str((int(code[9]) + 1) % 10)


HEADERS = ["STT", "Tên doanh nghiệp", "MST", "Địa chỉ trụ sở", "Người đại diện", "Tổng số LĐ", "Lao động nữ"]

# (cells, expected outcome, expected reason fragment)
ROWS: list[tuple[list[str], str, str]] = [
    (
        [
            "1",
            "Công ty TNHH May Hoàn Kiếm",
            tax(0),
            "12 Tràng Tiền, P. Hoàn Kiếm, Hà Nội",
            "Nguyễn Thị Hằng",
            "120",
            "80",
        ],
        "new",
        "",
    ),
    (
        [
            "2",
            "Công ty Cổ phần Thương mại Đồng Xuân",
            tax(1),
            "5 Hàng Bài, phuong hoan kiem",
            "Trần Văn Nam",
            "1.549",
            "600",
        ],
        "new",
        "",
    ),
    (
        [
            "3",
            "Hợp tác xã Dịch vụ Hà Thành",
            tax(2),
            "8 Lý Thái Tổ, Phường Hoàn Kiếm, TP Hà Nội",
            "Lê Thị Thủy",
            "15",
            "10",
        ],
        "new",
        "",
    ),
    (
        [
            "4",
            "Công ty TNHH Sai Mã",
            bad_check_digit(tax(3)),
            "1 Hàng Khay, P. Hoàn Kiếm",
            "Phạm Văn Đức",
            "30",
            "5",
        ],
        "invalid",
        "chữ số kiểm tra",
    ),
    (
        [
            "5",
            "Doanh nghiệp tư nhân Hoà Bình",
            tax(4),
            "3 Đinh Tiên Hoàng, P. Hoàn Kiếm",
            "Đỗ Thị Hoà",
            "10",
            "25",
        ],
        "invalid",
        "Lao động nữ (25) không được lớn hơn tổng số lao động (10)",
    ),
    (
        [
            "6",
            "Công ty TNHH Phố Cổ",
            tax(5),
            "9 Hàng Bông, Phường Hàng Bông, Quận Hoàn Kiếm",
            "Vũ Văn Bình",
            "40",
            "12",
        ],
        "invalid",
        "Phường Hàng Bông, Quận Hoàn Kiếm (trước năm 2025) nay được chia",
    ),
    (["7", "", tax(6), "2 Hàng Gai, P. Hoàn Kiếm", "Ngô Thị Lan", "7", "3"], "invalid", "Chưa nhập tên"),
    (
        [
            "8",
            "Công ty TNHH May Hoàn Kiếm (lặp)",
            tax(0),
            "12 Tràng Tiền, P. Hoàn Kiếm",
            "Nguyễn Thị Hằng",
            "120",
            "80",
        ],
        "repeated",
        "dòng",
    ),
    (
        ["9", "Công ty TNHH Nhiều Người", tax(7), "4 Hàng Bạc, P. Hoàn Kiếm", "Bùi Văn Tú", "nhiều", ""],
        "invalid",
        "không phải là số nguyên",
    ),
    (
        [
            "10",
            "Công ty TNHH Thủy Tiên",
            tax(8),
            "6 Hàng Bông, Hoàn Kiếm, Hà Nội",
            "Đặng Thị Thủy",
            "55",
            "30",
        ],
        "new",
        "",
    ),
]

VALID = [r for r in ROWS if r[1] == "new"]
TITLE = "DANH SÁCH DOANH NGHIỆP NGOÀI KHU VỰC NHÀ NƯỚC TRÊN ĐỊA BÀN"


def table_rows(rows=ROWS) -> list[list[str]]:
    return [r[0] for r in rows]


def write_xlsx(
    path: Path,
    rows=ROWS,
    *,
    font: str | None = None,
    encode=None,
    caps_font: str | None = None,
    header_line: int = 3,
    numbers: bool = True,
) -> Path:
    """Title merged across the columns on line 1, a blank line, the header on ``header_line``.

    ``font``/``encode``: write text cells in a legacy font, encoded; ``caps_font``: the names column in
    an "H" font (lower-case codes, shown as capitals). ``numbers``: numeric cells as numbers (the tax code
    then loses its leading zero, as in real files).
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "Danh sách"
    ws.cell(1, 1, encode(TITLE.lower()) if encode else TITLE)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADERS))
    for c, h in enumerate(HEADERS, 1):
        ws.cell(header_line, c, encode(h) if encode else h)
        if font:
            ws.cell(header_line, c).font = Font(name=font)
    if font:
        ws.cell(1, 1).font = Font(name=font, bold=True)
    for r, cells in enumerate(table_rows(rows), header_line + 1):
        for c, text in enumerate(cells, 1):
            value: object = text
            if numbers and text.isdigit() and c != 2:
                value = int(text)
            elif c == 2 and caps_font:
                value = encode_tcvn3(text.lower())
            elif encode and text:
                value = encode(text)
            cell = ws.cell(r, c, value)
            if c == 2 and caps_font:
                cell.font = Font(name=caps_font)
            elif font:
                cell.font = Font(name=font)
    wb.save(path)
    return path


def write_xls(path: Path, rows=ROWS, *, font: str | None = None, encode=None, header_line: int = 3) -> Path:
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("DN")
    style = xlwt.XFStyle()
    if font:
        f = xlwt.Font()
        f.name = font
        style.font = f
    ws.write_merge(0, 0, 0, len(HEADERS) - 1, encode(TITLE.lower()) if encode else TITLE, style)
    for c, h in enumerate(HEADERS):
        ws.write(header_line - 1, c, encode(h) if encode else h, style)
    for r, cells in enumerate(table_rows(rows), header_line):
        for c, text in enumerate(cells):
            if text.isdigit() and c != 1:
                ws.write(r, c, int(text), style)
            else:
                ws.write(r, c, encode(text) if encode and text else text, style)
    wb.save(str(path))
    return path


def csv_text(rows=ROWS, delimiter: str = ",", title: bool = True) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    if title:
        w.writerow([TITLE])
        w.writerow([])
    w.writerow(HEADERS)
    for cells in table_rows(rows):
        w.writerow(cells)
    return buf.getvalue()


def write_csv(path: Path, encoding: str, rows=ROWS, delimiter: str = ",", nfd: bool = False) -> Path:
    """``encoding``: utf-8, utf-8-sig, utf-16, utf-16-le (no BOM), cp1258, tcvn3, vni."""
    import unicodedata

    text = csv_text(rows, delimiter)
    if encoding in ("tcvn3", "vni"):
        text = text.replace(TITLE, TITLE.lower())  # capitals with tones need an "H" font in TCVN3
    if nfd:
        text = unicodedata.normalize("NFD", text)
    if encoding == "tcvn3":
        data = encode_tcvn3(text).encode("cp1252")
    elif encoding == "vni":
        data = encode_vni(text).encode("cp1252")
    elif encoding == "cp1258":
        # Windows-1258 writes most toned letters as a base letter plus a combining tone byte
        data = unicodedata.normalize("NFD", text).encode("cp1258", errors="strict") if nfd else _cp1258(text)
    else:
        data = text.encode(encoding)
    path.write_bytes(data)
    return path


def _cp1258(text: str) -> bytes:
    """Encode as Windows-1258 the way Windows does: precomposed where the code page has the letter,
    otherwise base letter + combining tone mark."""
    import unicodedata

    out = bytearray()
    for ch in text:
        try:
            out += ch.encode("cp1258")
        except UnicodeEncodeError:
            decomposed = unicodedata.normalize("NFD", ch)
            base, marks = decomposed[0], decomposed[1:]
            # keep the letter modifiers (â ă ê ô ơ ư) composed, the tone as a combining byte
            tone = "".join(m for m in marks if m in "\u0300\u0301\u0303\u0309\u0323")
            body = unicodedata.normalize("NFC", base + "".join(m for m in marks if m not in tone))
            out += body.encode("cp1258") + tone.encode("cp1258")
    return bytes(out)
