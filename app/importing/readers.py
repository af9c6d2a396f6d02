"""Reading a spreadsheet into rows of Unicode text: .xlsx, old .xls, and CSV in any common encoding.

Every cell comes out as NFC text ("" when empty): numbers without a spurious ".0", dates as
dd/mm/yyyy, legacy TCVN3/VNI text converted by its font (Excel) or by the content of its column.
Which format a file is comes from its first bytes, not its name (a .xls that is really .xlsx, or a
"CSV" named .xls, still reads).
"""

from __future__ import annotations

import abc
import codecs
import csv
import io
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

from app.importing import legacy as lg
from app.importing.errors import ImportFailed

MAX_FILE_BYTES = 200 * 1024 * 1024


@dataclass
class Sheet:
    """One sheet's cells as text, before the header is found."""

    name: str
    rows: list[list[str]]
    row_numbers: list[int]  # 1-based line/row number in the file of each entry of ``rows``
    conversions: Counter = field(default_factory=Counter)  # Legacy -> cells converted
    encoding: str | None = None  # for CSV: the text encoding found


class Workbook(abc.ABC):
    """A file opened for import: its sheet names, and each sheet read on demand (one subclass per format)."""

    def __init__(self, path: Path, kind: str, sheet_names: list[str]):
        self.path = path
        self.kind = kind  # "xlsx" | "xls" | "csv"
        self.sheet_names = sheet_names

    @abc.abstractmethod
    def read(self, sheet: str | int | None = None) -> Sheet:
        """One sheet's rows (by name or 1-based number; the first when None)."""

    def sheet_name(self, sheet: str | int | None) -> str:
        """Resolve a sheet given by name (any case, with or without diacritics) or 1-based number."""
        from app.domain.text import fold

        if sheet is None or sheet == "":
            return self.sheet_names[0]
        if isinstance(sheet, int) or (isinstance(sheet, str) and sheet.isdigit()):
            n = int(sheet)
            if 1 <= n <= len(self.sheet_names):
                return self.sheet_names[n - 1]
        for name in self.sheet_names:
            if name == sheet or fold(name) == fold(str(sheet)):
                return name
        names = ", ".join(f"«{n}»" for n in self.sheet_names)
        raise ImportFailed(f"Tệp không có trang tính «{sheet}». Các trang có trong tệp: {names}.")

    def close(self) -> None:  # noqa: B027 (optional hook: most readers hold nothing open)
        pass

    def __enter__(self) -> Workbook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_workbook(path: str | Path) -> Workbook:
    path = Path(path)
    if not path.exists():
        raise ImportFailed(f"Không tìm thấy tệp {path}.")
    if path.is_dir():
        raise ImportFailed(f"«{path}» là một thư mục, không phải tệp danh sách.")
    size = path.stat().st_size
    if size == 0:
        raise ImportFailed(f"Tệp {path.name} rỗng.")
    if size > MAX_FILE_BYTES:
        raise ImportFailed(f"Tệp {path.name} quá lớn ({size // (1024 * 1024)} MB); hãy chia nhỏ danh sách.")
    with open(path, "rb") as fh:
        head = fh.read(8)
    if head.startswith(b"PK\x03\x04"):
        return _XlsxWorkbook(path)
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return _XlsWorkbook(path)
    stripped = head.lstrip(codecs.BOM_UTF8).lstrip()
    if stripped[:1] == b"<":
        raise ImportFailed(
            f"Tệp {path.name} không phải bảng tính Excel thật mà là một trang web (HTML) mang đuôi "
            f"{path.suffix}. Hãy mở tệp bằng Excel rồi lưu lại dạng .xlsx (File > Save As)."
        )
    return _CsvWorkbook(path)


# --- cell values ---------------------------------------------------------------------------------


def _number_text(value: float | int) -> str:
    if isinstance(value, bool):
        return "Có" if value else "Không"
    if isinstance(value, int):
        return str(value)
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value).replace(".", ",")


def _value_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return _number_text(value)
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y") if value.time() == time(0, 0) else value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return str(value)


class _Collector:
    """Gathers raw cells, then converts legacy text: by font where a cell's font says so,
    otherwise by a verdict on the content of the whole column."""

    def __init__(self) -> None:
        self.rows: list[list[str]] = []
        self.fonts: list[list[lg.Legacy | None]] = []
        self.numbers: list[int] = []

    def add(self, number: int, cells: list[str], fonts: list[lg.Legacy | None] | None = None) -> None:
        while cells and not cells[-1].strip():
            cells.pop()
        if not cells:
            return
        self.rows.append(cells)
        self.fonts.append(fonts[: len(cells)] if fonts else [])
        self.numbers.append(number)

    def finish(self, name: str, encoding: str | None = None) -> Sheet:
        conversions: Counter = Counter()
        width = max((len(r) for r in self.rows), default=0)
        verdicts: list[lg.Legacy] = []
        for col in range(width):
            sample = []
            for r, row in enumerate(self.rows):
                if col < len(row) and row[col] and not self._font(r, col):
                    sample.append(row[col])
                    if len(sample) >= 2000:
                        break
            verdicts.append(lg.detect_many(sample))
        out = []
        for r, row in enumerate(self.rows):
            new = []
            for col, text in enumerate(row):
                if text:
                    enc = self._font(r, col) or verdicts[col]
                    if enc == lg.Legacy.UNICODE and lg.might_be_legacy(text):
                        converted, enc = lg.to_unicode(text, thorough=False)  # a lone legacy cell
                    else:
                        converted = lg.decode(text, enc)
                    if enc != lg.Legacy.UNICODE and converted != text:
                        conversions[enc] += 1
                    text = converted
                new.append(text)
            out.append(new)
        return Sheet(name, out, list(self.numbers), conversions, encoding)

    def _font(self, r: int, col: int) -> lg.Legacy | None:
        fonts = self.fonts[r]
        return fonts[col] if col < len(fonts) else None


# --- .xlsx ---------------------------------------------------------------------------------------


class _XlsxWorkbook(Workbook):
    def __init__(self, path: Path):
        import zipfile

        import openpyxl
        from openpyxl.utils.exceptions import InvalidFileException

        try:
            if path.suffix.lower() in (".ods", ".odt"):
                raise InvalidFileException("OpenDocument")
            if path.suffix.lower() not in (".xlsx", ".xlsm", ".xltx", ".xltm"):
                # openpyxl goes by the name: hand it the bytes of a .xls (or other) that is really .xlsx
                import io

                self._wb = openpyxl.load_workbook(
                    io.BytesIO(path.read_bytes()), read_only=True, data_only=True
                )
            else:
                self._wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError, InvalidFileException) as exc:
            if path.suffix.lower() in (".ods", ".odt"):
                raise ImportFailed(
                    f"Tệp {path.name} là bảng tính LibreOffice (.ods). Hãy mở bằng LibreOffice và lưu lại dạng "
                    "Excel (.xlsx)."
                ) from exc
            raise ImportFailed(
                f"Không đọc được tệp Excel {path.name}: tệp hỏng hoặc không phải .xlsx ({exc})."
            ) from exc
        names = list(self._wb.sheetnames)  # without opening every sheet (each open scans for its size)
        super().__init__(path, "xlsx", names)

    def read(self, sheet: str | int | None = None) -> Sheet:
        name = self.sheet_name(sheet)
        ws = self._wb[name]
        collector = _Collector()
        font_cache: dict[int, lg.Legacy | None] = {}
        for row in ws.iter_rows():
            cells: list[str] = []
            fonts: list[lg.Legacy | None] = []
            number = None
            for cell in row:
                value = getattr(cell, "value", None)
                if number is None and getattr(cell, "row", None) is not None:
                    number = cell.row
                col = getattr(cell, "column", None)
                if col is not None:
                    while len(cells) < col - 1:  # read-only rows may skip empty cells
                        cells.append("")
                        fonts.append(None)
                text = _value_text(value)
                font = None
                if isinstance(value, str) and any(ord(c) >= 0x80 or c.islower() for c in value):
                    style = getattr(cell, "style_array", None)
                    key = style.fontId if style is not None else -1
                    if key not in font_cache:
                        f = getattr(cell, "font", None)
                        font_cache[key] = lg.legacy_of_font(f.name if f is not None else None)
                    font = font_cache[key]
                cells.append(text)
                fonts.append(font)
            if number is not None:
                collector.add(number, cells, fonts)
        return collector.finish(name)

    def close(self) -> None:
        self._wb.close()


# --- .xls ----------------------------------------------------------------------------------------


class _XlsWorkbook(Workbook):
    def __init__(self, path: Path):
        import xlrd

        try:
            self._book = xlrd.open_workbook(str(path), formatting_info=True, on_demand=True)
        except (xlrd.biffh.XLRDError, OSError, AssertionError, IndexError, ValueError) as exc:
            if "workbook in OLE2" in str(exc) or "EncryptedPackage" in str(exc):
                raise ImportFailed(
                    f"Tệp {path.name} có đặt mật khẩu. Hãy mở bằng Excel, bỏ mật khẩu (File > Info > Protect "
                    "Workbook) rồi lưu lại dạng .xlsx."
                ) from exc
            raise ImportFailed(f"Không đọc được tệp Excel cũ {path.name} (.xls): {exc}.") from exc
        super().__init__(path, "xls", list(self._book.sheet_names()))

    def read(self, sheet: str | int | None = None) -> Sheet:
        import xlrd

        name = self.sheet_name(sheet)
        book = self._book
        sh = book.sheet_by_name(name)
        font_cache: dict[int, lg.Legacy | None] = {}
        collector = _Collector()
        for r in range(sh.nrows):
            cells, fonts = [], []
            for c in range(sh.ncols):
                cell = sh.cell(r, c)  # a merged block's value sits in its top-left cell
                ctype, value = cell.ctype, cell.value
                text: str
                if ctype == xlrd.XL_CELL_DATE:
                    try:
                        text = _value_text(xlrd.xldate.xldate_as_datetime(float(value), book.datemode))
                    except (ValueError, OverflowError, xlrd.xldate.XLDateError):
                        text = _number_text(float(value))
                elif ctype == xlrd.XL_CELL_NUMBER:
                    text = _number_text(float(value))
                elif ctype == xlrd.XL_CELL_BOOLEAN:
                    text = "Có" if value else "Không"
                elif ctype == xlrd.XL_CELL_TEXT:
                    text = str(value)
                else:
                    text = ""
                font = None
                if ctype == xlrd.XL_CELL_TEXT:
                    xf = cell.xf_index or 0  # (set: the book is opened with formatting_info)
                    if xf not in font_cache:
                        try:
                            font_name = book.font_list[book.xf_list[xf].font_index].name
                        except (IndexError, AttributeError, TypeError):
                            font_name = None
                        font_cache[xf] = lg.legacy_of_font(font_name)
                    font = font_cache[xf]
                cells.append(text)
                fonts.append(font)
            collector.add(r + 1, cells, fonts)
        book.unload_sheet(name)
        return collector.finish(name)

    def close(self) -> None:
        self._book.release_resources()


# --- CSV -----------------------------------------------------------------------------------------

_DELIMITERS = (",", ";", "\t", "|")


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Text and the name of the encoding found: UTF-8 (with or without BOM), UTF-16 (with or
    without BOM), Windows-1258 (its combining tone marks composed to NFC), or Windows-1252 bytes
    of legacy TCVN3/VNI text (converted later, column by column)."""
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", errors="replace"), "UTF-8 (có BOM)"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace"), "UTF-16"
    head = data[:4000]
    if len(head) >= 4 and head.count(0) > len(head) // 4:
        even_zero = sum(1 for b in head[0::2] if b == 0)
        odd_zero = sum(1 for b in head[1::2] if b == 0)
        codec = "utf-16-be" if even_zero > odd_zero else "utf-16-le"
        return data.decode(codec, errors="replace"), "UTF-16"
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    as_1258 = unicodedata.normalize("NFC", data.decode("cp1258", errors="replace"))
    as_1252 = data.decode("cp1252", errors="replace")
    lines_1258 = as_1258.splitlines()[:3000]
    lines_1252 = as_1252.splitlines()[:3000]
    score_1258 = sum(lg.implausibility(t) for t in lines_1258)
    best_legacy = lg.detect_many(lines_1252)
    if best_legacy != lg.Legacy.UNICODE:
        score_legacy = sum(lg.implausibility(lg.decode(t, best_legacy)) for t in lines_1252)
        if score_legacy < score_1258:
            return as_1252, f"Windows-1252 ({best_legacy.label})"
    return as_1258, "Windows-1258"


def sniff_delimiter(lines: list[str]) -> str:
    """The delimiter that splits the first lines into the most, and most regular, columns."""
    best, best_score = ",", -1.0
    sample = [ln for ln in lines[:50] if ln.strip()]
    for delim in _DELIMITERS:
        counts = [len(r) for r in csv.reader(sample, delimiter=delim)]
        if not counts:
            continue
        common, freq = Counter(counts).most_common(1)[0]
        if common < 2:
            continue
        score = freq * 10 + common
        if score > best_score:
            best, best_score = delim, score
    return best


class _CsvWorkbook(Workbook):
    def __init__(self, path: Path):
        super().__init__(path, "csv", [path.stem])

    def read(self, sheet: str | int | None = None) -> Sheet:
        if sheet not in (None, "", 1, "1"):
            self.sheet_name(sheet)  # raises with the list of sheets
        data = self.path.read_bytes()
        if (
            b"\x00" in data[:4000]
            and not (data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)))
            and data[:4000].count(0) <= len(data[:4000]) // 4
        ):
            raise ImportFailed(f"Tệp {self.path.name} không phải tệp văn bản CSV (có ký tự nhị phân).")
        text, encoding = decode_bytes(data)
        lines = text.splitlines()
        first = lines[0].strip().lower() if lines else ""
        if first.startswith("sep=") and len(first) == 5:  # Excel's hint line: "sep=;"
            delim = lines[0].strip()[4]
            text = text.split("\n", 1)[1] if "\n" in text else ""
            skipped_first = True
        else:
            delim = sniff_delimiter(lines)
            skipped_first = False
        collector = _Collector()
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
        try:
            start = 2 if skipped_first else 1
            offset = 1 if skipped_first else 0
            for record in reader:
                collector.add(start, [unicodedata.normalize("NFC", c) for c in record])
                start = reader.line_num + 1 + offset
        except csv.Error as exc:
            raise ImportFailed(f"Tệp CSV {self.path.name} hỏng ở dòng {reader.line_num}: {exc}.") from exc
        return collector.finish(self.sheet_names[0], encoding)
