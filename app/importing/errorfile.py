"""The error file: the rows that did not go in, with their original columns and the reason, as
.xlsx. The user fixes the cells and imports the file again (the reason column is ignored then).

Made from practice data (``Preview.practice``: a list imported in practice mode), the file says so as
a list exported from practice data does (``app.reports.excel``): the mark above the header row (which
the import still finds when the file comes back), in the printed page header, on the tab and in the
title.

Every text cell is written as text (``app/spreadsheet.py``): a cell of the list that reads
``=HYPERLINK(...)`` or ``=cmd|...`` comes back as those characters, never as a live formula.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from app.fileio import atomic_write, os_error_message
from app.importing.errors import ImportFailed
from app.importing.mapping import ORIGIN_HEADER, REASON_HEADER
from app.importing.plan import Preview, RowPlan
from app.spreadsheet import text_cell

_PLAIN_INT_RE = re.compile(r"^[1-9]\d{0,7}$")
PRACTICE_NOTE = (
    "Ghi trong chế độ tập dượt: các dòng chưa nhập vào dữ liệu tập dượt, không phải vào dữ liệu thật."
)


def default_path(source: Path) -> Path:
    return source.with_name(f"{source.stem}-dong-chua-nhap.xlsx")


def write(path: str | os.PathLike[str], plan: Preview, rows: list[RowPlan] | None = None) -> Path:
    """Write ``rows`` (default: every rejected row) to ``path``: temporary name, fsync, rename. A row
    the preview did not keep its cells for (not shown) takes them from the sheet, read alongside."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill

    rows = plan.rejected() if rows is None else rows
    dest = Path(path)
    dest.parent.mkdir(parents=True, exist_ok=True)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Dòng chưa nhập")
    headers = list(plan.table.headers)
    missing = {r.number for r in rows if r.cells is None}
    width = max([len(headers)] + [len(r.cells or ()) for r in rows])
    if missing:
        width = max(
            [width] + [len(cells) for number, cells in plan.table.iter_data_rows() if number in missing]
        )
    from_sheet = _cells_of(plan, missing)
    headers += [""] * (width - len(headers))
    bold = Font(bold=True)
    red = Font(color="C00000")
    fill = PatternFill("solid", fgColor="FFF2CC")
    for col in range(width + 1):
        letter = _letter(col)
        ws.column_dimensions[letter].width = 60 if col == width else 22
    ws.freeze_panes = "A3" if plan.practice else "A2"
    if plan.practice:
        from app.domain.practice import MARK
        from app.reports.excel import PRACTICE_FILL, PRACTICE_FONT, practice_print_header

        wb.properties.title = MARK
        practice_print_header(ws)
        mark = text_cell(WriteOnlyCell(ws), f"{MARK}. {PRACTICE_NOTE}")
        mark.font, mark.fill = PRACTICE_FONT, PRACTICE_FILL
        ws.append([mark])
    header_cells = []
    for text in headers + [ORIGIN_HEADER, REASON_HEADER]:
        c = text_cell(WriteOnlyCell(ws), text)
        c.font = bold
        c.fill = fill
        header_cells.append(c)
    ws.append(header_cells)
    wrap = Alignment(wrap_text=True, vertical="top")
    from app.importing.values import tax_code

    tax_col = next((c for c, f in plan.mapping.items() if f == "tax_code"), None)
    for r in rows:
        cells = []
        own = r.cells if r.cells is not None else from_sheet(r.number)
        for col, text in enumerate(([*own] + [""] * width)[:width]):
            if col == tax_col and text:
                text = tax_code(text)  # with the leading zero a number cell dropped
            value = _value(text)
            if isinstance(value, str):
                c = text_cell(WriteOnlyCell(ws), value)
                c.number_format = "@"  # keep tax codes and phone numbers as typed (leading zeros)
            else:
                c = WriteOnlyCell(ws, value=value)
            cells.append(c)
        line = WriteOnlyCell(ws, value=r.number)
        reason = text_cell(WriteOnlyCell(ws), r.reason or r.outcome.label)
        reason.font = red
        reason.alignment = wrap
        ws.append(cells + [line, reason])
    try:
        # made in a local temporary file first, then copied under a temporary name beside the
        # destination and renamed: a full or pulled-out stick fails the copy (our code, a clean
        # message), never openpyxl half-way through its zip
        with tempfile.TemporaryFile() as local:
            wb.save(local)
            local.seek(0)
            with atomic_write(dest) as fh:
                shutil.copyfileobj(local, fh, 1024 * 1024)
    except PermissionError as exc:
        raise ImportFailed(
            f"Không ghi được tệp {dest}: tệp đang mở trong Excel hoặc thư mục không cho ghi. "
            "Hãy đóng tệp hoặc chọn chỗ lưu khác rồi thử lại."
        ) from exc
    except OSError as exc:  # a full or write-protected stick, one pulled out
        raise ImportFailed(os_error_message(exc, dest)) from exc
    return dest


def _cells_of(plan: Preview, numbers: set[int]) -> Callable[[int], list[str]]:
    """The cells of the rows ``numbers`` from the sheet, asked for in file order (one pass, nothing held)."""
    rows = (item for item in plan.table.iter_data_rows() if item[0] in numbers) if numbers else iter(())

    def cells(number: int) -> list[str]:
        for found, row in rows:
            if found == number:
                return row
        return []

    return cells


def _value(text: str) -> str | int | None:
    if not text:
        return None
    if _PLAIN_INT_RE.match(text):
        return int(text)
    return text


def _letter(col: int) -> str:
    from app.importing.mapping import column_letter

    return column_letter(col)
