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
import re
import sys
import unicodedata
import warnings
import zipfile
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, BinaryIO, overload

from app.domain.vnformat import format_int
from app.importing import legacy as lg
from app.importing.errors import ImportFailed

# --- what a list import may cost ------------------------------------------------------------------
#
# No file may freeze the program or take more memory than an office laptop has to spare (the
# whole import stays under 500 MB; measured in bench/bench_list_bounds.py, docs/performance.md).
# Each limit is checked while reading, before the cost is paid, and refused with a message that
# names it.
MAX_FILE_BYTES = 200 * 1024 * 1024  # the file on disk
MAX_ROWS = 200_000  # data rows of a sheet
_ROWS_ABOVE_DATA = 50  # titles and the header above them (the header is looked for in the first 30 rows)
MAX_COLUMNS = 256  # columns A..IV, as in .xls; a master list has a few dozen
MAX_SHEET_BYTES = 100 * 1024 * 1024  # memory the rows of a sheet take (a real list of 200,000 takes about 75)
MAX_CELL_CHARS = 32_767  # Excel's own limit for one cell: a longer cell is a row error
CUT_CELL_CHARS = 200  # what is kept of a cell that was too long (shown in the preview and error file)
MAX_LINE_CHARS = 1_000_000  # one CSV line; a longer one is a row error
MAX_XLS_BYTES = 40 * 1024 * 1024  # xlrd holds a whole .xls and every cell of a sheet in memory
# .xlsx is a zip: what its parts may inflate to, checked before anything is parsed
MAX_INFLATED_BYTES = 400 * 1024 * 1024  # all parts together
MAX_SHARED_STRINGS_BYTES = 120 * 1024 * 1024  # the shared strings part is held in memory whole
MAX_RATIO = 200  # inflated / compressed for a part over 1 MB (text compresses about 5-20 times)
MAX_PARTS = 5_000
MAX_XML_TOKEN = 1024 * 1024  # one tag or one run of text in a part (a cell is at most 32,767 characters)
MAX_SHARED_STRINGS = 3_000_000  # entries of the shared strings table
EXCEL_ROWS = 1_048_576
_MB = 1024 * 1024


@dataclass
class Sheet:
    """One sheet's cells as text, before the header is found."""

    name: str
    rows: Sequence[list[str]]  # each row's cells (``Rows``: held compactly, a fresh list each time)
    row_numbers: list[int]  # 1-based line/row number in the file of each entry of ``rows``
    conversions: Counter = field(default_factory=Counter)  # Legacy -> cells converted
    encoding: str | None = None  # for CSV: the text encoding found
    # rows that cannot be imported as they are (a cell longer than Excel allows, damaged characters,
    # a CSV line that could not be read): row number -> the reason, in Vietnamese
    bad_rows: dict[int, str] = field(default_factory=dict)


def _too_many_columns(name: str, number: int, col: int) -> ImportFailed:
    from app.importing.mapping import column_letter

    return ImportFailed(
        f"Dòng {format_int(number)} của tệp {name} có dữ liệu ở cột {column_letter(col - 1)}: KhaoSat đọc tối đa "
        f"{MAX_COLUMNS} cột (A đến {column_letter(MAX_COLUMNS - 1)}). Hãy xóa các cột thừa ở bên phải rồi lưu lại tệp."
    )


def _mb(n: int) -> str:
    """A size as people read it: "850 KB", "2,5 MB", "400 MB"."""
    if n < _MB:
        return f"{format_int(max(1, round(n / 1024)))} KB"
    if n < 10 * _MB:
        return f"{n / _MB:.1f}".rstrip("0").rstrip(".").replace(".", ",") + " MB"
    return f"{format_int(round(n / _MB))} MB"


def _too_many_rows(name: str) -> ImportFailed:
    return ImportFailed(
        f"Tệp {name} có hơn {format_int(MAX_ROWS)} dòng dữ liệu: KhaoSat nhập tối đa {format_int(MAX_ROWS)} dòng mỗi "
        "lần. Hãy chia danh sách thành nhiều tệp nhỏ hơn (ví dụ theo phường, xã) rồi nhập lần lượt từng tệp. "
        "Chưa có gì được ghi vào dữ liệu."
    )


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
        from app.domain.text import fold, shown

        if sheet is None or sheet == "":
            return self.sheet_names[0]
        if isinstance(sheet, int) or (isinstance(sheet, str) and sheet.isdigit()):
            n = int(sheet)
            if 1 <= n <= len(self.sheet_names):
                return self.sheet_names[n - 1]
        for name in self.sheet_names:
            if name == sheet or fold(name) == fold(str(sheet)):
                return name
        names = ", ".join(f"«{shown(n)}»" for n in self.sheet_names[:30])
        raise ImportFailed(f"Tệp không có trang tính «{shown(sheet)}». Các trang có trong tệp: {names}.")

    def close(self) -> None:  # noqa: B027 (optional hook: most readers hold nothing open)
        pass

    def __enter__(self) -> Workbook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# First bytes of files that are often renamed or saved with the wrong extension.
_NOT_SPREADSHEETS = (
    (b"%PDF", "tệp PDF"),
    (b"\x89PNG", "ảnh PNG"),
    (b"\xff\xd8\xff", "ảnh JPEG"),
    (b"GIF8", "ảnh GIF"),
    (b"Rar!", "tệp nén RAR"),
    (b"7z\xbc\xaf\x27\x1c", "tệp nén 7-Zip"),
    (b"\x1f\x8b", "tệp nén gzip"),
    (b"MZ", "chương trình (.exe)"),
    (b"{\\rtf", "văn bản RTF (Word)"),
    (b"SQLite format 3\x00", "tệp cơ sở dữ liệu SQLite"),
)


def open_workbook(path: str | Path) -> Workbook:
    path = Path(path)
    try:
        if not path.exists():
            raise ImportFailed(f"Không tìm thấy tệp {path}.")
        if path.is_dir():
            raise ImportFailed(f"«{path}» là một thư mục, không phải tệp danh sách.")
        size = path.stat().st_size
        with open(path, "rb") as fh:
            head = fh.read(16)
    except PermissionError as exc:
        raise ImportFailed(
            f"Không có quyền đọc tệp {path.name}. Hãy chép tệp ra thư mục của mình rồi thử lại."
        ) from exc
    if size == 0:
        raise ImportFailed(f"Tệp {path.name} rỗng.")
    if size > MAX_FILE_BYTES:
        raise ImportFailed(
            f"Tệp {path.name} quá lớn ({_mb(size)}): KhaoSat nhập tệp danh sách tới {_mb(MAX_FILE_BYTES)}. "
            "Hãy chia danh sách thành nhiều tệp nhỏ hơn."
        )
    for magic, what in _NOT_SPREADSHEETS:
        if head.startswith(magic):
            raise ImportFailed(
                f"Tệp {path.name} không phải bảng tính mà là {what} (chỉ mang đuôi {path.suffix or 'khác'}). "
                "Hãy chọn tệp danh sách Excel (.xlsx, .xls) hoặc CSV."
            )
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


def _damaged(path: Path, what: str = "Excel") -> ImportFailed:
    return ImportFailed(
        f"Không đọc được tệp {what} {path.name}: tệp bị hỏng hoặc không đúng định dạng. Hãy mở tệp bằng "
        "Excel, kiểm tra nội dung rồi lưu lại dạng .xlsx và nhập lại."
    )


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


SEP = "\x1f"  # joins the cells of a row (a control character never kept in a cell)


class Rows(Sequence[list[str]]):
    """A sheet's rows, each held as one UTF-8 string of bytes, its cells joined by ``SEP``: a row of
    ten cells is one object instead of eleven, and Vietnamese text takes about half the memory it
    takes as ``str`` (two bytes a character as soon as one is beyond Latin-1). Indexing gives a
    fresh list of the row's cells."""

    __slots__ = ("_joined",)

    def __init__(self, joined: list[bytes]):
        self._joined = joined

    def __len__(self) -> int:
        return len(self._joined)

    @overload
    def __getitem__(self, i: int) -> list[str]: ...
    @overload
    def __getitem__(self, i: slice) -> list[list[str]]: ...
    def __getitem__(self, i: int | slice) -> list[str] | list[list[str]]:
        if isinstance(i, slice):
            return [_cells(r) for r in self._joined[i]]
        return _cells(self._joined[i])


def _cells(joined: bytes) -> list[str]:
    return joined.decode("utf-8", "surrogatepass").split(SEP) if joined else []


class _Collector:
    """Gathers rows within the limits, then converts legacy text: by font where a cell's font says
    so, otherwise by a verdict on the content of the whole column."""

    def __init__(self, file_name: str) -> None:
        self.file_name = file_name
        self.rows: list[bytes] = []  # cells joined by SEP, as UTF-8 (``Rows``)
        self.fonts: dict[int, list[lg.Legacy | None]] = {}  # row index -> fonts, for rows with a legacy font
        self.numbers: list[int] = []
        self.bad_rows: dict[int, str] = {}
        self.held = 0  # bytes of memory the rows take

    def add(self, number: int, cells: list[str], fonts: list[lg.Legacy | None] | None = None) -> None:
        while cells and not cells[-1].strip():
            cells.pop()
        if not cells:
            return
        if len(self.rows) >= MAX_ROWS + _ROWS_ABOVE_DATA:
            raise _too_many_rows(self.file_name)
        if len(cells) > MAX_COLUMNS:
            raise _too_many_columns(self.file_name, number, len(cells))
        for col, text in enumerate(cells):
            n = len(text)
            if n > MAX_CELL_CHARS:
                cells[col] = text = text[:CUT_CELL_CHARS] + "…"
                self._bad(
                    number,
                    col,
                    f"dài {format_int(n)} ký tự, quá giới hạn {format_int(MAX_CELL_CHARS)} ký tự một ô của Excel; "
                    "đã cắt bớt",
                )
            if _SURROGATE_RE.search(text):
                cells[col] = text = _SURROGATE_RE.sub("\ufffd", text)
                self._bad(number, col, "có ký tự hỏng (mã hóa không hợp lệ, hiện là «\ufffd»); hãy gõ lại")
        joined = SEP.join(cells)
        if joined.count(SEP) != len(cells) - 1:  # a cell holding the separator: it is whitespace anyway
            joined = SEP.join(c.replace(SEP, " ") for c in cells)
        self._keep(number, joined)
        if fonts and any(fonts):
            self.fonts[len(self.rows) - 1] = fonts[: len(cells)]

    def _keep(self, number: int, joined: str) -> None:
        # the string, its place in the list, the row number (as str: the bytes kept take less)
        self.held += sys.getsizeof(joined) + 16
        if self.held > MAX_SHEET_BYTES:
            raise ImportFailed(
                f"Tệp {self.file_name} quá lớn để nhập một lần: dữ liệu đọc được đã vượt {_mb(MAX_SHEET_BYTES)} "
                f"bộ nhớ (giới hạn của KhaoSat) ở dòng {format_int(number)}. Hãy xóa các cột không cần, hoặc "
                "chia danh sách thành nhiều tệp nhỏ hơn (ví dụ theo phường, xã) rồi nhập lần lượt. "
                "Chưa có gì được ghi vào dữ liệu."
            )
        self.rows.append(joined.encode("utf-8", "surrogatepass"))
        self.numbers.append(number)

    def _bad(self, number: int, col: int, what: str) -> None:
        from app.importing.mapping import column_letter

        reason = f"Ô ở cột {column_letter(col)} {what}."
        self.bad_rows[number] = f"{self.bad_rows[number]} {reason}" if number in self.bad_rows else reason

    def bad_line(self, number: int, reason: str) -> None:
        """A line that could not be read into cells: kept as an empty row that the import reports."""
        if len(self.rows) >= MAX_ROWS + _ROWS_ABOVE_DATA:
            raise _too_many_rows(self.file_name)
        self.bad_rows[number] = reason
        self._keep(number, "")

    def finish(self, name: str, encoding: str | None = None) -> Sheet:
        conversions: Counter = Counter()
        # one verdict per column, on up to 2,000 of its cells (those without a legacy font)
        samples: list[list[str]] = []
        full = 0
        for r, raw in enumerate(self.rows):
            fonts = self.fonts.get(r)
            for col, text in enumerate(_cells(raw)):
                while len(samples) <= col:
                    samples.append([])
                sample = samples[col]
                if text and len(sample) < 2000 and not (fonts and col < len(fonts) and fonts[col]):
                    sample.append(text)
                    if len(sample) == 2000:
                        full += 1
            if full and full == len(samples):
                break
        verdicts = [lg.detect_many(s) for s in samples]
        del samples
        for r, raw in enumerate(self.rows):  # row by row: a second copy of a big sheet costs memory
            if not raw:
                continue
            joined = raw.decode("utf-8", "surrogatepass")
            fonts = self.fonts.get(r)
            if not fonts and not lg.might_be_legacy(joined) and all(v == lg.Legacy.UNICODE for v in verdicts):
                if not unicodedata.is_normalized("NFC", joined):  # the separator blocks composition
                    self.rows[r] = unicodedata.normalize("NFC", joined).encode("utf-8", "surrogatepass")
                continue
            cells = joined.split(SEP)
            changed = False
            for col, text in enumerate(cells):
                if text:
                    enc = (fonts[col] if fonts and col < len(fonts) else None) or verdicts[col]
                    if enc == lg.Legacy.UNICODE and lg.might_be_legacy(text):
                        converted, enc = lg.to_unicode(text, thorough=False)  # a lone legacy cell
                    else:
                        converted = lg.decode(text, enc)
                    if converted != text:
                        cells[col] = converted.replace(SEP, " ")
                        changed = True
                        if enc != lg.Legacy.UNICODE:
                            conversions[enc] += 1
            if changed:
                self.rows[r] = SEP.join(cells).encode("utf-8", "surrogatepass")
        self.fonts = {}
        return Sheet(name, Rows(self.rows), self.numbers, conversions, encoding, self.bad_rows)


_SURROGATE_RE = re.compile("[\ud800-\udfff]")


# --- .xlsx ---------------------------------------------------------------------------------------

_WORKSHEET_RE = re.compile(r"^xl/worksheets/[^/]+\.xml$", re.IGNORECASE)
_SHARED_STRINGS = "xl/sharedstrings.xml"
_SMALL_PART_BYTES = 16 * _MB  # parts parsed whole (workbook, styles, relationships...)


def check_xlsx(path: Path, fh: BinaryIO) -> None:
    """Refuse an .xlsx whose zip would cost more than the limits to open, before openpyxl sees it:
    what its parts inflate to (declared sizes: zipfile never inflates a part beyond them), the
    compression ratio, parts whose data overlap (the zip bomb of CVE-2024-0450, which Python 3.11.7's
    zipfile does not refuse), the longest tag or run of text in each XML part, and the number of
    shared strings."""
    name = path.name
    try:
        zf = zipfile.ZipFile(fh)
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise _damaged(path) from exc
    names = {i.filename.lower() for i in infos}
    if "xl/workbook.xml" not in names:
        if "mimetype" in names or any(n.endswith("content.xml") for n in names):
            raise ImportFailed(
                f"Tệp {name} là bảng tính LibreOffice (.ods). Hãy mở bằng LibreOffice và lưu lại dạng Excel (.xlsx)."
            )
        what = (
            "văn bản Word (.docx)"
            if "word/document.xml" in names
            else "bài trình chiếu PowerPoint (.pptx)"
            if "ppt/presentation.xml" in names
            else "một tệp nén (.zip)"
        )
        raise ImportFailed(
            f"Tệp {name} không phải bảng tính Excel mà là {what}. Hãy chọn tệp danh sách Excel (.xlsx, .xls) hoặc CSV."
        )
    if len(infos) > MAX_PARTS:
        raise ImportFailed(
            f"Tệp Excel {name} có {format_int(len(infos))} phần bên trong, nhiều bất thường: {_NOT_SAFE}"
        )
    inflated = sum(i.file_size for i in infos)
    if inflated > MAX_INFLATED_BYTES:
        raise ImportFailed(
            f"Tệp Excel {name} khi giải nén ra tới {_mb(inflated)}, quá giới hạn {_mb(MAX_INFLATED_BYTES)} mà "
            "KhaoSat đọc được một lần. Hãy chia danh sách thành nhiều tệp nhỏ hơn, hoặc xóa các trang tính, "
            "hình ảnh không cần rồi lưu lại."
        )
    for i in infos:
        part = i.filename.lower()
        if i.file_size > _MB and i.file_size > MAX_RATIO * max(i.compress_size, 1):
            raise ImportFailed(
                f"Tệp Excel {name} bị nén bất thường (một phần nén {format_int(i.file_size // max(i.compress_size, 1))} "
                f"lần, giới hạn {MAX_RATIO} lần): {_NOT_SAFE}"
            )
        if part == _SHARED_STRINGS and i.file_size > MAX_SHARED_STRINGS_BYTES:
            raise ImportFailed(
                f"Bảng chữ dùng chung của tệp Excel {name} giải nén ra {_mb(i.file_size)}, quá giới hạn "
                f"{_mb(MAX_SHARED_STRINGS_BYTES)}. Hãy chia danh sách thành nhiều tệp nhỏ hơn."
            )
        if (
            part.endswith((".xml", ".rels"))
            and part != _SHARED_STRINGS
            and not _WORKSHEET_RE.match(part)
            and not part.startswith("xl/pivotcache/")  # not read by the importer
            and i.file_size > _SMALL_PART_BYTES
        ):
            raise ImportFailed(
                f"Phần «{i.filename}» của tệp Excel {name} lớn bất thường ({_mb(i.file_size)}): {_NOT_SAFE}"
            )
    _check_overlaps(path, fh, zf, infos)
    for i in infos:
        part = i.filename.lower()
        if part.endswith((".xml", ".rels")) and not part.startswith("xl/pivotcache/"):
            _scan_xml(path, zf, i, count_strings=part == _SHARED_STRINGS)


_NOT_SAFE = (
    "KhaoSat không mở tệp này để bảo vệ máy (tệp có thể bị hỏng hoặc được làm ra để làm treo chương trình). "
    "Hãy mở tệp bằng Excel, chép danh sách sang một tệp mới rồi lưu lại dạng .xlsx."
)


def _check_overlaps(path: Path, fh: BinaryIO, zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> None:
    """Each part's data must end before the next part's header starts (CPython's fix for CVE-2024-0450,
    missing from 3.11.7): otherwise many entries can inflate the same compressed bytes."""
    import struct

    ordered = sorted(infos, key=lambda i: i.header_offset)
    end_of_parts = zf.start_dir  # type: ignore[attr-defined]
    for n, info in enumerate(ordered):
        limit = ordered[n + 1].header_offset if n + 1 < len(ordered) else end_of_parts
        fh.seek(info.header_offset)
        header = fh.read(30)
        if len(header) < 30 or header[:4] != b"PK\x03\x04":
            raise _damaged(path)
        name_len, extra_len = struct.unpack("<HH", header[26:30])
        data_end = info.header_offset + 30 + name_len + extra_len + info.compress_size
        if data_end > limit:
            raise ImportFailed(
                f"Tệp Excel {path.name} có các phần chồng lên nhau (kiểu «bom nén»): {_NOT_SAFE}"
            )


def _scan_xml(path: Path, zf: zipfile.ZipFile, info: zipfile.ZipInfo, *, count_strings: bool) -> None:
    """Inflate one part in pieces and refuse it if a tag or a run of text is longer than
    MAX_XML_TOKEN (a parser would hold it whole) or, for the shared strings, if it has more than
    MAX_SHARED_STRINGS entries. Costs one inflation of the part, in 256 KB pieces."""
    run = 0  # bytes since the last "<" or ">"
    strings = 0
    tail = b""
    try:
        with zf.open(info) as part:
            while piece := part.read(256 * 1024):
                lt, gt = piece.find(b"<"), piece.find(b">")
                first = min(x for x in (lt, gt, len(piece)) if x >= 0)
                if run + first > MAX_XML_TOKEN:
                    break
                last = max(piece.rfind(b"<"), piece.rfind(b">"))
                run = len(piece) - 1 - last if last >= 0 else run + len(piece)
                if run > MAX_XML_TOKEN:
                    break
                if count_strings:
                    joined = tail + piece
                    strings += (
                        joined.count(b"<si>")
                        + joined.count(b"<si ")
                        - tail.count(b"<si>")
                        - tail.count(b"<si ")
                    )
                    tail = piece[-3:]
                    if strings > MAX_SHARED_STRINGS:
                        raise ImportFailed(
                            f"Tệp Excel {path.name} có hơn {format_int(MAX_SHARED_STRINGS)} chữ khác nhau trong bảng "
                            "chữ dùng chung, quá giới hạn KhaoSat đọc được một lần. Hãy chia danh sách thành nhiều tệp."
                        )
            else:
                return
    except (
        zipfile.BadZipFile,
        OSError,
        ValueError,
        EOFError,
        NotImplementedError,
    ) as exc:  # bad CRC, method...
        raise _damaged(path) from exc
    raise ImportFailed(
        f"Tệp Excel {path.name} có một ô hoặc một thẻ dài hơn {_mb(MAX_XML_TOKEN)} trong phần «{info.filename}», "
        f"trong khi một ô Excel chứa tối đa {format_int(MAX_CELL_CHARS)} ký tự: {_NOT_SAFE}"
    )


class _XlsxWorkbook(Workbook):
    def __init__(self, path: Path):
        import openpyxl

        self._fh = open(path, "rb")  # noqa: SIM115 (closed by close())
        try:
            check_xlsx(path, self._fh)
            self._fh.seek(0)
            # a file object, not the name: openpyxl goes by the name (a .xls that is really .xlsx)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # openpyxl warns in English about what it skips
                self._wb = openpyxl.load_workbook(self._fh, read_only=True, data_only=True, keep_links=False)
            names = list(self._wb.sheetnames)  # without opening every sheet (each open scans for its size)
        except ImportFailed:
            self._fh.close()
            raise
        except Exception as exc:  # any parser failure on a hostile or damaged file is a damaged file
            self._fh.close()
            if isinstance(exc, MemoryError):
                raise ImportFailed(
                    f"Không đủ bộ nhớ để mở tệp {path.name}. Hãy chia danh sách thành nhiều tệp."
                ) from exc
            raise _damaged(path) from exc
        super().__init__(path, "xlsx", names)

    def read(self, sheet: str | int | None = None) -> Sheet:
        name = self.sheet_name(sheet)
        collector = _Collector(self.path.name)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self._read(name, collector)
        except ImportFailed:
            raise
        except Exception as exc:  # a hostile or broken part: never a traceback
            raise _damaged(self.path) from exc
        return collector.finish(name)

    def _read(self, name: str, collector: _Collector) -> None:
        # The worksheet's own parser, not ws.iter_rows(): iter_rows pads every row to the width the
        # file claims and yields every missing row up to the last row number it names, so a few
        # bytes claiming row 1,000,000,000 or column XFD would keep it busy for hours.
        from openpyxl.worksheet._reader import WorkSheetParser

        wb: Any = self._wb  # (openpyxl's own reader attributes: private, so untyped)
        ws: Any = wb[name]
        if not hasattr(ws, "_get_source"):
            return  # a chart sheet: no cells
        styles = wb._cell_styles
        fonts = wb._fonts
        font_cache: dict[int, lg.Legacy | None] = {}
        with ws._get_source() as src:
            parser = WorkSheetParser(
                src,
                ws._shared_strings,
                data_only=True,
                epoch=wb.epoch,
                date_formats=wb._date_formats,
                timedelta_formats=wb._timedelta_formats,
            )
            for number, row in parser.parse():
                if number > EXCEL_ROWS:
                    raise ImportFailed(
                        f"Trang «{name}» của tệp {self.path.name} ghi dòng số {format_int(number)}, quá số dòng "
                        f"Excel cho phép ({format_int(EXCEL_ROWS)}): tệp bị hỏng. Hãy mở bằng Excel và lưu lại."
                    )
                cells: list[str] = []
                cell_fonts: list[lg.Legacy | None] = []
                for cell in row:
                    value = cell["value"]
                    if value is None:
                        continue
                    col = cell["column"]
                    if col > MAX_COLUMNS:
                        raise _too_many_columns(self.path.name, number, col)
                    while len(cells) < col - 1:  # empty cells are left out of the file
                        cells.append("")
                        cell_fonts.append(None)
                    text = _value_text(value)
                    font = None
                    if isinstance(value, str) and any(ord(c) >= 0x80 or c.islower() for c in value):
                        style_id = cell["style_id"] or 0
                        if style_id not in font_cache:
                            try:
                                font_name = fonts[styles[style_id].fontId].name
                            except (IndexError, AttributeError, TypeError):
                                font_name = None
                            font_cache[style_id] = lg.legacy_of_font(font_name)
                        font = font_cache[style_id]
                    if len(cells) == col - 1:
                        cells.append(text)
                        cell_fonts.append(font)
                    else:  # the same cell twice, or out of order: the last one wins
                        cells[col - 1] = text
                        cell_fonts[col - 1] = font
                collector.add(number, cells, cell_fonts)

    def close(self) -> None:
        try:
            self._wb.close()
        except AttributeError:
            pass
        self._fh.close()


# --- .xls ----------------------------------------------------------------------------------------


class _XlsWorkbook(Workbook):
    def __init__(self, path: Path):
        import xlrd

        size = path.stat().st_size
        if size > MAX_XLS_BYTES:
            raise ImportFailed(
                f"Tệp Excel cũ {path.name} (.xls) lớn {_mb(size)}: KhaoSat đọc tệp .xls tới {_mb(MAX_XLS_BYTES)}. "
                "Hãy mở bằng Excel và lưu lại dạng .xlsx (File > Save As), hoặc chia danh sách thành nhiều tệp."
            )
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self._book = xlrd.open_workbook(
                    str(path), formatting_info=True, on_demand=True, ragged_rows=True, logfile=io.StringIO()
                )
            names = list(self._book.sheet_names())
        except Exception as exc:  # xlrd fails in many ways on a damaged file
            if "workbook in OLE2" in str(exc) or "EncryptedPackage" in str(exc):
                raise ImportFailed(
                    f"Tệp {path.name} có đặt mật khẩu. Hãy mở bằng Excel, bỏ mật khẩu (File > Info > Protect "
                    "Workbook) rồi lưu lại dạng .xlsx."
                ) from exc
            if isinstance(exc, OSError) and not isinstance(exc, FileNotFoundError):
                raise
            raise _damaged(path, "Excel cũ (.xls)") from exc
        super().__init__(path, "xls", names)

    def read(self, sheet: str | int | None = None) -> Sheet:
        name = self.sheet_name(sheet)
        collector = _Collector(self.path.name)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self._read(name, collector)
        except ImportFailed:
            raise
        except Exception as exc:  # a damaged sheet: never a traceback
            raise _damaged(self.path, "Excel cũ (.xls)") from exc
        finally:
            self._book.unload_sheet(name)
        return collector.finish(name)

    def _read(self, name: str, collector: _Collector) -> None:
        import xlrd

        book = self._book
        sh = book.sheet_by_name(name)
        font_cache: dict[int, lg.Legacy | None] = {}
        for r in range(sh.nrows):
            width = sh.row_len(r)  # ragged rows: only as long as the row's last cell
            if width > MAX_COLUMNS:
                raise _too_many_columns(self.path.name, r + 1, width)
            types, values = sh.row_types(r), sh.row_values(r)
            cells: list[str] = []
            fonts: list[lg.Legacy | None] = []
            for c in range(width):  # a merged block's value sits in its top-left cell
                ctype, value = types[c], values[c]
                font = None
                if ctype == xlrd.XL_CELL_TEXT:
                    text = str(value)
                    xf = sh.cell_xf_index(r, c)
                    if xf not in font_cache:
                        try:
                            font_name = book.font_list[book.xf_list[xf].font_index].name
                        except (IndexError, AttributeError, TypeError):
                            font_name = None
                        font_cache[xf] = lg.legacy_of_font(font_name)
                    font = font_cache[xf]
                elif ctype == xlrd.XL_CELL_DATE:
                    try:
                        text = _value_text(xlrd.xldate.xldate_as_datetime(float(value), book.datemode))
                    except (ValueError, OverflowError, xlrd.xldate.XLDateError):
                        text = _number_text(float(value))
                elif ctype == xlrd.XL_CELL_NUMBER:
                    text = _number_text(float(value))
                elif ctype == xlrd.XL_CELL_BOOLEAN:
                    text = "Có" if value else "Không"
                else:
                    text = ""
                cells.append(text)
                fonts.append(font)
            collector.add(r + 1, cells, fonts)

    def close(self) -> None:
        self._book.release_resources()


# --- CSV -----------------------------------------------------------------------------------------

_DELIMITERS = (",", ";", "\t", "|")
_SAMPLE_BYTES = 1024 * 1024  # the encoding and the delimiter are judged on the first megabyte
_LONG_LINE = "\uffff\x00"  # stands for a line longer than MAX_LINE_CHARS (never in a real file)


def _encoding_of(head: bytes, utf8: bool) -> tuple[str, str]:
    """The codec and the name shown for a CSV whose first bytes are ``head``; ``utf8`` says whether
    the whole file decodes as UTF-8. See ``decode_bytes``."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", "UTF-8 (có BOM)"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", "UTF-16"
    sample = head[:4000]
    if len(sample) >= 4 and sample.count(0) > len(sample) // 4:
        even_zero = sum(1 for b in sample[0::2] if b == 0)
        odd_zero = sum(1 for b in sample[1::2] if b == 0)
        return ("utf-16-be" if even_zero > odd_zero else "utf-16-le"), "UTF-16"
    if utf8:
        return "utf-8", "UTF-8"
    lines_1258 = unicodedata.normalize("NFC", head.decode("cp1258", errors="replace")).splitlines()[:3000]
    lines_1252 = head.decode("cp1252", errors="replace").splitlines()[:3000]
    score_1258 = sum(lg.implausibility(t) for t in lines_1258)
    best_legacy = lg.detect_many(lines_1252)
    if best_legacy != lg.Legacy.UNICODE:
        score_legacy = sum(lg.implausibility(lg.decode(t, best_legacy)) for t in lines_1252)
        if score_legacy < score_1258:
            return "cp1252", f"Windows-1252 ({best_legacy.label})"
    return "cp1258", "Windows-1258"


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Text and the name of the encoding found: UTF-8 (with or without BOM), UTF-16 (with or
    without BOM), Windows-1258 (its combining tone marks composed to NFC), or Windows-1252 bytes
    of legacy TCVN3/VNI text (converted later, column by column)."""
    try:
        data.decode("utf-8")
        utf8 = True
    except UnicodeDecodeError:
        utf8 = False
    codec, label = _encoding_of(data[:_SAMPLE_BYTES], utf8)
    text = data.decode(codec, errors="replace")
    return (unicodedata.normalize("NFC", text) if codec == "cp1258" else text), label


def _is_utf8(path: Path) -> bool:
    """Whether the whole file decodes as UTF-8, read in pieces (never the whole file in memory)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with open(path, "rb") as fh:
        try:
            while piece := fh.read(_SAMPLE_BYTES):
                decoder.decode(piece)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


def sniff_delimiter(lines: list[str]) -> str:
    """The delimiter that splits the most of the first lines into the same number of columns (of
    two or more); on a tie, the one giving more columns. (A note full of ";" must not outvote the
    "," that splits every line into the same ten columns.)"""
    best, best_score = ",", (-1, -1)
    sample = [ln[:10_000] for ln in lines[:50] if ln.strip()]
    for delim in _DELIMITERS:
        try:
            counts = [len(r) for r in csv.reader(sample, delimiter=delim)]
        except csv.Error:
            continue
        if not counts:
            continue
        common, freq = Counter(counts).most_common(1)[0]
        if common < 2:
            continue
        score = (freq, common)
        if score > best_score:
            best, best_score = delim, score
    return best


def _bounded_lines(stream: io.TextIOBase) -> Iterator[str]:
    """The file's lines, a line longer than MAX_LINE_CHARS replaced by ``_LONG_LINE`` (it is read
    in pieces and dropped: one line of 600 MB never sits in memory)."""
    while line := stream.readline(MAX_LINE_CHARS):
        if len(line) >= MAX_LINE_CHARS and not line.endswith(("\n", "\r")):
            while (more := stream.readline(MAX_LINE_CHARS)) and not more.endswith(("\n", "\r")):
                pass
            yield _LONG_LINE + "\n"
        else:
            yield line


class _CsvWorkbook(Workbook):
    def __init__(self, path: Path):
        super().__init__(path, "csv", [path.stem])

    def read(self, sheet: str | int | None = None) -> Sheet:
        if sheet not in (None, "", 1, "1"):
            self.sheet_name(sheet)  # raises with the list of sheets
        with open(self.path, "rb") as fh:
            head = fh.read(_SAMPLE_BYTES)
        start = head[:4000]
        if not start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            # binary: many control bytes, but not so many zeros that it is UTF-16 without a BOM (a stray
            # NUL in a text file is a cell the import refuses, not a reason to refuse the file)
            controls = sum(start.count(bytes([b])) for b in range(9))
            if controls > len(start) // 100 + 1 and start.count(0) <= len(start) // 4:
                raise ImportFailed(
                    f"Tệp {self.path.name} không phải bảng tính hay tệp văn bản CSV (có ký tự nhị phân). Hãy chọn "
                    "tệp danh sách Excel (.xlsx, .xls) hoặc CSV."
                )
        codec, encoding = _encoding_of(head, _is_utf8(self.path))
        sample = head.decode(codec, errors="replace")
        first_lines = sample.splitlines()[:50]
        first = first_lines[0].strip().lower() if first_lines else ""
        hint = first.startswith("sep=") and len(first) == 5  # Excel's hint line: "sep=;"
        delim = first_lines[0].strip()[4] if hint else sniff_delimiter(first_lines)
        collector = _Collector(self.path.name)
        with open(self.path, "rb") as raw:
            stream = io.TextIOWrapper(raw, encoding=codec, errors="replace", newline="")
            lines = _bounded_lines(stream)
            offset = 0
            if hint:
                next(lines, None)
                offset = 1
            reader = csv.reader(lines, delimiter=delim)
            number = 1 + offset
            while True:
                try:
                    record = next(reader)
                except StopIteration:
                    break
                except csv.Error:
                    # a field longer than the csv module takes (131,072 characters): this record only
                    collector.bad_line(number, _unreadable_line(self.path.name, number))
                else:
                    if any(_LONG_LINE in c for c in record):
                        collector.bad_line(number, _unreadable_line(self.path.name, number))
                    else:
                        collector.add(number, [unicodedata.normalize("NFC", c) for c in record])
                number = reader.line_num + 1 + offset
        return collector.finish(self.sheet_names[0], encoding)


def _unreadable_line(name: str, number: int) -> str:
    return (
        f"Dòng {format_int(number)} của tệp {name} dài bất thường (có ô dài hơn {format_int(MAX_CELL_CHARS)} ký tự, "
        "thường do thiếu dấu ngoặc kép đóng); dòng này chưa đọc được. Hãy mở tệp, sửa dòng này rồi nhập lại."
    )
