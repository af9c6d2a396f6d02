"""Excel export (.xlsx with openpyxl): the report of results and the enterprise list.

Numbers are written as numbers and dates as dates (so sums and filters work), headers are in
Vietnamese, header rows are frozen, columns have widths. Text is never a formula
(``app/spreadsheet.py``): an enterprise named "=HYPERLINK(...)" cannot run anything. The text itself
is kept exactly.
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any, BinaryIO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import coordinate_to_tuple

from app.domain import practice as practice_data
from app.fileio import atomic_output
from app.reports.development import KINDS, LEVELS
from app.reports.enterprises import columns, date_columns, enterprise_rows, grouped_columns
from app.reports.results import ResultsReport
from app.spreadsheet import is_unsafe, sheet_text, text_cell
from app.storage.store import Store

HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDDDDD")
TITLE_FONT = Font(bold=True, size=13)
PRACTICE_FONT = Font(bold=True, size=13, color="9C0006")
PRACTICE_FILL = PatternFill("solid", fgColor="FFC000")  # the orange of the window's practice band
WRAP = Alignment(wrap_text=True, vertical="center", horizontal="center")
DATE_FORMAT = "DD/MM/YYYY"
INT_FORMAT = "#,##0"
PERCENT_FORMAT = "0.00%"


def _set(cell, value: Any) -> Any:
    """Put ``value`` in ``cell``: text NFC and never a formula."""
    if isinstance(value, str):
        text_cell(cell, value)
    else:
        cell.value = value
        if isinstance(value, date):
            cell.number_format = DATE_FORMAT
        elif isinstance(value, int) and not isinstance(value, bool):
            cell.number_format = INT_FORMAT
    return cell


def _save(wb: Workbook, out: str | os.PathLike[str] | BinaryIO) -> None:
    if isinstance(out, (str, os.PathLike)):
        with atomic_output(out) as fh:
            wb.save(fh)
    else:
        wb.save(out)


# --- the report ---------------------------------------------------------------------------------

SUMMARY_HEADERS = [
    ("Loại tổ chức", 24),
    ("Tổ chức hiện có", 11),
    ("Thành viên hiện có", 12),
    ("Thành lập mới", 11),
    ("Chỉ tiêu thành lập", 11),
    ("Tỷ lệ so với chỉ tiêu (thành lập)", 13),
    ("Đánh giá (thành lập)", 14),
    ("Kết nạp mới", 11),
    ("Chỉ tiêu kết nạp", 11),
    ("Tỷ lệ so với chỉ tiêu (kết nạp)", 13),
    ("Đánh giá (kết nạp)", 14),
]
WORKFORCE_HEADERS = [
    ("Quy mô lao động", 28),
    ("Số doanh nghiệp", 12),
    ("Số lao động", 13),
    ("Có tổ chức đảng", 12),
    ("Có công đoàn cơ sở", 12),
]


def _title(ws, rows: list[str], width: int) -> int:
    for i, text in enumerate(rows, start=1):
        _set(ws.cell(i, 1), text).font = TITLE_FONT if i == 1 else Font(italic=True)
        ws.merge_cells(start_row=i, start_column=1, end_row=i, end_column=width)
    return len(rows) + 2  # a blank row, then the header row


def _header(ws, row: int, headers: Sequence[tuple[str, float]]) -> None:
    for col, (text, width) in enumerate(headers, start=1):
        c = _set(ws.cell(row, col), text)
        c.font, c.fill, c.alignment = HEADER_FONT, HEADER_FILL, WRAP
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.row_dimensions[row].height = 45
    ws.freeze_panes = ws.cell(row + 1, 2)


def _percent(a) -> float | None:
    return float(a.percent / 100) if a.percent is not None else None


def report_workbook(report: ResultsReport) -> Workbook:
    wb = Workbook()
    ws: Any = wb.active  # a new workbook has one sheet
    ws.title = "Tổng hợp"
    titles = [
        f"Báo cáo kết quả xây dựng tổ chức trong doanh nghiệp {report.period.label}",
        f"{report.unit_name} ({report.unit_code}); {report.target_source}",
    ]
    row = _title(ws, titles, len(SUMMARY_HEADERS))
    _header(ws, row, SUMMARY_HEADERS)
    for k in report.kinds:
        row += 1
        values = [
            k.label,
            k.organisations,
            k.members,
            k.founded.achieved,
            k.founded.target,
            _percent(k.founded),
            k.founded.verdict,
            k.admitted.achieved,
            k.admitted.target,
            _percent(k.admitted),
            k.admitted.verdict,
        ]
        for col, v in enumerate(values, start=1):
            c = _set(ws.cell(row, col), v)
            if col in (6, 10) and v is not None:
                c.number_format = PERCENT_FORMAT
    row += 2
    _set(ws.cell(row, 1), f"Có {report.targets_reached}/{report.targets_set} chỉ tiêu đạt và vượt.")

    ws = wb.create_sheet("Quy mô lao động")
    row = _title(
        ws,
        [f"Doanh nghiệp theo quy mô lao động: {report.unit_name}, {report.period.label}"],
        len(WORKFORCE_HEADERS),
    )
    _header(ws, row, WORKFORCE_HEADERS)
    for r in report.workforce:
        row += 1
        for col, v in enumerate([r.label, r.enterprises, r.workers, r.with_party, r.with_union], start=1):
            _set(ws.cell(row, col), v)
    row += 1
    totals = [
        "Tổng cộng",
        report.enterprises,
        report.workers,
        sum(r.with_party for r in report.workforce),
        sum(r.with_union for r in report.workforce),
    ]
    for col, v in enumerate(totals, start=1):
        _set(ws.cell(row, col), v).font = HEADER_FONT

    if report.development is not None:
        _development_sheets(wb, report)

    if report.wards:
        from app.domain.vocab import OrgKind

        ws = wb.create_sheet("Theo phường, xã")
        kinds = list(OrgKind)
        headers = [("Mã", 8), ("Phường, xã", 26), ("Số doanh nghiệp", 12), ("Số lao động", 12)]
        headers += [(f"Thành lập mới: {k.label}", 12) for k in kinds]
        headers += [(f"Kết nạp mới: {k.label}", 12) for k in kinds]
        row = _title(
            ws, [f"Kết quả theo phường, xã: {report.unit_name}, {report.period.label}"], len(headers)
        )
        _header(ws, row, headers)
        ws.freeze_panes = ws.cell(row + 1, 3)
        for w in report.wards:
            row += 1
            values = (
                [w.code, w.name, w.enterprises, w.workers]
                + [w.founded[k] for k in kinds]
                + [w.admitted[k] for k in kinds]
            )
            for col, v in enumerate(values, start=1):
                _set(ws.cell(row, col), v)
        d = report.development
        if d is not None and d.wards:
            _development_wards_sheet(wb, report)
    return wb


def _development_sheets(wb: Workbook, report: ResultsReport) -> None:
    """Founding opportunities, the pool of candidates with probation, quality levels: one sheet each."""
    d = report.development
    assert d is not None
    where = f"{report.unit_name}, {report.period.label}"

    ws = wb.create_sheet("Đủ điều kiện thành lập")
    row = _title(
        ws,
        [
            f"Doanh nghiệp đủ điều kiện thành lập tổ chức: {report.unit_name}",
            "Tại thời điểm lập báo cáo: lần khảo sát gần nhất có đủ số người tối thiểu, chưa có tổ chức",
        ],
        3,
    )
    _header(ws, row, [("Loại tổ chức", 26), ("Số tối thiểu", 12), ("Số doanh nghiệp", 14)])
    for kind in KINDS:
        row += 1
        minimum = d.opportunities.minimums.get(kind)
        values = [kind.label, minimum, d.opportunities.by_kind[kind] if minimum else None]
        for col, v in enumerate(values, start=1):
            _set(ws.cell(row, col), v)
    row += 1
    _set(ws.cell(row, 1), "Số doanh nghiệp (mỗi doanh nghiệp tính một lần)").font = HEADER_FONT
    _set(ws.cell(row, 3), d.opportunities.enterprises).font = HEADER_FONT

    ws = wb.create_sheet("Nguồn phát triển đảng viên")
    row = _title(ws, [f"Nguồn phát triển đảng viên, chuyển đảng viên chính thức: {where}"], 2)
    _header(ws, row, [("Nội dung", 60), ("Số", 12)])
    pool, pr = d.pool, d.probation
    lines = [
        ("Doanh nghiệp có quần chúng ưu tú đang theo dõi (lần khảo sát gần nhất)", pool.enterprises),
        ("Quần chúng ưu tú", pool.identified),
        ("Trong đó: đã học lớp bồi dưỡng nhận thức về Đảng", pool.trained),
        ("Trong đó: có đơn xin vào Đảng", pool.applied),
        ("Kết nạp đảng viên trong kỳ", pool.admitted),
        ("Công nhận đảng viên chính thức trong kỳ (người)", pr.people),
        ("Số quyết định công nhận chính thức trong kỳ", pr.decisions),
        ("Không được công nhận chính thức (người)", pr.not_recognised),
        ("Hết thời gian dự bị trong kỳ (người)", pr.due),
        ("Quá hạn chưa công nhận cuối kỳ (trường hợp)", pr.overdue),
        ("Quá hạn chưa công nhận cuối kỳ (người)", pr.overdue_people),
        ("Đảng viên dự bị cuối kỳ", pr.probationary),
    ]
    for text, value in lines:
        row += 1
        _set(ws.cell(row, 1), text)
        _set(ws.cell(row, 2), value)

    q = d.quality
    ws = wb.create_sheet("Xếp loại chất lượng")
    titles = [f"Xếp loại chất lượng tổ chức năm {q.year}: {report.unit_name}"]
    if q.year_note:
        titles.append(f"{q.year_note[0].upper()}{q.year_note[1:]}.")
    row = _title(ws, titles, len(LEVELS) + 2)
    _header(ws, row, [("Loại tổ chức", 24)] + [(lv.label, 15) for lv in LEVELS] + [("Chưa xếp loại", 12)])
    for kind in KINDS:
        row += 1
        values = [kind.label] + [q.levels[kind][lv] for lv in LEVELS] + [q.not_rated[kind]]
        for col, v in enumerate(values, start=1):
            _set(ws.cell(row, col), v)
    row += 1
    totals = ["Tổng cộng"] + [q.total(lv) for lv in LEVELS] + [sum(q.not_rated.values())]
    for col, v in enumerate(totals, start=1):
        _set(ws.cell(row, col), v).font = HEADER_FONT


def _development_wards_sheet(wb: Workbook, report: ResultsReport) -> None:
    d = report.development
    assert d is not None
    ws = wb.create_sheet("Phát triển theo phường, xã")
    headers = [
        ("Mã", 8),
        ("Phường, xã", 26),
        ("Doanh nghiệp đủ điều kiện thành lập tổ chức", 14),
        ("Quần chúng ưu tú", 11),
        ("Có đơn xin vào Đảng", 11),
        ("Công nhận đảng viên chính thức (người)", 13),
        ("Quá hạn chưa công nhận (người)", 13),
    ] + [(f"Xếp loại năm {d.quality.year}: {lv.label}", 14) for lv in LEVELS]
    row = _title(
        ws,
        [
            f"Nguồn phát triển đảng viên và xếp loại theo phường, xã: {report.unit_name}, {report.period.label}"
        ],
        len(headers),
    )
    _header(ws, row, headers)
    ws.freeze_panes = ws.cell(row + 1, 3)
    for w in d.wards:
        row += 1
        values = [w.code, w.name, w.opportunities, w.identified, w.applied, w.recognised, w.overdue] + [
            w.levels[lv] for lv in LEVELS
        ]
        for col, v in enumerate(values, start=1):
            _set(ws.cell(row, col), v)


def export_report(
    out: str | os.PathLike[str] | BinaryIO, report: ResultsReport, *, practice: bool = False
) -> None:
    """``practice``: the report comes from practice data; every sheet says so (``mark_practice``)."""
    wb = report_workbook(report)
    if practice:
        mark_practice(wb)
    _save(wb, out)


def practice_print_header(ws) -> None:
    """The practice mark in a sheet's printed page header, and its tab in the practice band's orange."""
    ws.oddHeader.center.text = practice_data.MARK  # on every printed page
    ws.oddHeader.center.font = "Times New Roman,Bold"
    ws.sheet_properties.tabColor = "FFC000"


def mark_practice(wb: Workbook) -> None:
    """Mark every sheet of a report as practice data: the mark in the free row between its titles and
    its header row (bold, on orange, across the table), in the printed page header, and on its tab."""
    wb.properties.title = practice_data.MARK
    for ws in wb.worksheets:
        header_row = coordinate_to_tuple(ws.freeze_panes)[0] - 1 if ws.freeze_panes else 0
        row = header_row - 1  # the blank row _title leaves above the header row
        if row < 1 or ws.cell(row, 1).value is not None:  # a sheet laid out otherwise: below its table
            row = ws.max_row + 2
        cell = _set(ws.cell(row, 1), f"{practice_data.MARK}. {practice_data.NOTE}")
        cell.font, cell.fill = PRACTICE_FONT, PRACTICE_FILL
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=max(ws.max_column, 2))
        practice_print_header(ws)


# --- the enterprise list ------------------------------------------------------------------------


def export_enterprises(
    out: str | os.PathLike[str] | BinaryIO,
    store: Store,
    unit_code: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Write the enterprise list (write-only mode: light for 100,000 rows). Returns the row count.

    Plain values are appended as they are; only cells that need a style get a cell object: dates,
    workforce counts (grouped "1.549"), and text that must be kept from becoming a formula. The row
    number and the founding year stay ungrouped (a year shown as "2.015" would be wrong).
    """
    rows = enterprise_rows(store, unit_code)
    cols = columns()
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Doanh nghiệp")
    for col, (_key, _header_text, width) in enumerate(cols, start=1):
        ws.column_dimensions[get_column_letter(col)].width = width
    practice = store.is_practice
    ws.freeze_panes = "C3" if practice else "C2"
    if practice:  # a list of practice data says so above its header row, and on every printed page
        wb.properties.title = practice_data.MARK
        practice_print_header(ws)
        mark = _set(WriteOnlyCell(ws), f"{practice_data.MARK}. {practice_data.NOTE}")
        mark.font, mark.fill = PRACTICE_FONT, PRACTICE_FILL
        ws.append([mark])
    header = []
    for _key, text, _w in cols:
        c = _set(WriteOnlyCell(ws), text)
        c.font, c.fill, c.alignment = HEADER_FONT, HEADER_FILL, WRAP
        header.append(c)
    ws.append(header)
    try:
        _append_rows(ws, [key for key, _t, _w in cols], rows, progress)
    except BaseException:
        # a cancelled or failed export: finish the sheet into memory so openpyxl closes and removes
        # its temporary file, then pass the error on (nothing is written under the real name)
        with contextlib.suppress(Exception):
            wb.save(io.BytesIO())
        raise
    _save(wb, out)
    return len(rows)


def _append_rows(
    ws, keys: list[str], rows: list[dict[str, Any]], progress: Callable[[int, int], None] | None
) -> None:
    dated, grouped = date_columns(), grouped_columns()
    total = len(rows)
    for i, r in enumerate(rows, start=1):
        if progress is not None and (i % 500 == 0 or i == total):
            progress(i, total)  # may raise to cancel: nothing is written under the real name then
        cells: list[Any] = []
        for key in keys:
            v = r[key]
            if isinstance(v, str):
                v = sheet_text(v)
                if is_unsafe(v):
                    v = text_cell(WriteOnlyCell(ws), v)
            elif v is None:
                pass
            elif key in dated:
                c = WriteOnlyCell(ws, value=v)
                c.number_format = DATE_FORMAT
                v = c
            elif key in grouped:
                c = WriteOnlyCell(ws, value=v)
                c.number_format = INT_FORMAT
                v = c
            cells.append(v)
        ws.append(cells)
