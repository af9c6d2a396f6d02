"""The visit form (Phiếu khảo sát doanh nghiệp): pre-filled, blank, or a batch in one PDF.

One A4 page per enterprise:
A. what KhaoSat knows (name, tax code, address, owner, workforce, organisations, last visit), to
   check and correct by hand;
B. a box for every field a visit records, numbered, in the order of ``Visit``'s fields (the order
   of the visit entry form on screen), so typing the paper back is a straight run down the form.
   Each count box shows last visit's figure in grey as a hint.
Both parts are laid out from the field declarations (``app.domain.records``): a field with a
``Paper`` place is printed in its row; the kind of a row's fields gives its mark area (number boxes,
day/month/year boxes, tick boxes, ruled lines).
A QR code (top right) and its text (bottom left) name the enterprise and the form version
(``app.printing.qr``); typing or scanning it in the program opens the enterprise.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import BinaryIO, TypeVar

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from app.domain import formcode, units
from app.domain.display import display
from app.domain.fields import FieldInfo, Kind
from app.domain.practice import WORD
from app.domain.records import Enterprise, Organisation, Visit, fields_of, record_type
from app.domain.vnformat import format_date, format_int
from app.domain.vocab import ORG_KIND_SHORT, Attitude, OrgKind, OrgStatus
from app.fileio import atomic_output
from app.printing import mark_sheet, qr
from app.printing.document import draw_practice_mark, fit, new_canvas, nfc, printable, set_metadata
from app.printing.fonts import SERIF, SERIF_BOLD, SERIF_ITALIC, register

W, H = A4
LEFT = 20 * mm
RIGHT = W - 12 * mm
TOP = H - 12 * mm
BOTTOM = 12 * mm
WIDTH = RIGHT - LEFT
QR_SIZE = 23 * mm
GREY = 0.45

FORM_TITLE = "PHIẾU KHẢO SÁT DOANH NGHIỆP"
# the one line under the title: how the form comes back into KhaoSat
TYPE_BACK_LINE = "Ghi vào ô trống, đánh dấu X vào ô chọn; nhập lại vào KhaoSat theo đúng số thứ tự các mục."
MARKS_LINE = "Sửa trực tiếp thông tin sai ở phần A; kết quả khảo sát ghi và tô ở {pages} để KhaoSat đọc lại."

R = TypeVar("R", Enterprise, Visit, Organisation)


@dataclass
class VisitFormData:
    """One pre-filled form: the enterprise, its latest visit and its organisations
    (``app.services.form_batches.load_forms`` reads them from the store)."""

    enterprise: Enterprise
    last_visit: Visit | None = None
    organisations: list[Organisation] = field(default_factory=list)
    ward_name: str | None = None
    members: dict[str, int] = field(default_factory=dict)  # kind -> members today (app.domain.membership)


# Part B: the visit's fields with a paper place, grouped into rows, in Visit's field order (tests
# check the order). Each row is (kind, fields) or ("text", fields, lines):
#   ("line", fields)         short entries side by side (dates get day/month/year boxes)
#   ("counts", fields)       number boxes side by side
#   ("checks", fields)       tick boxes (which organisations exist)
#   ("choice", [field])      one tick among the choices (the owner's attitude)
#   ("text", [field], lines) ruled lines for free text
ROW_KINDS = ("line", "counts", "checks", "choice", "text")


def paper_rows(cls: type = Enterprise, variant: str | None = None) -> list[list[FieldInfo]]:
    """A record's fields with a paper place, row by row (rows by number, then ``col``, then
    declaration order). ``variant`` ("blank" or "prefilled") leaves out the other variant's rows."""
    rows: dict[int, list[FieldInfo]] = {}
    for info in fields_of(cls):
        paper = info.paper
        if paper is not None and (variant is None or paper.only in (None, variant)):
            rows.setdefault(paper.row, []).append(info)
    return [sorted(rows[r], key=lambda i: i.paper.col) for r in sorted(rows)]  # type: ignore[union-attr]


def row_kind(infos: list[FieldInfo]) -> str:
    """The mark area of a part B row, from its fields' kinds."""
    kinds = {i.kind for i in infos}
    if any(i.paper is not None and i.paper.lines for i in infos):
        return "text"
    if kinds <= {Kind.COUNT, Kind.INTEGER}:
        return "counts"
    if kinds == {Kind.YES_NO}:
        return "checks"
    if kinds == {Kind.CHOICE}:
        if len(infos) > 1:
            raise ValueError(f"one choice per row on paper: {[i.name for i in infos]}")
        return "choice"
    return "line"


def form_rows() -> list[tuple]:
    """Part B, row by row (see ``ROW_KINDS``)."""
    out: list[tuple] = []
    for infos in paper_rows(Visit):
        kind = row_kind(infos)
        names = [i.name for i in infos]
        if kind == "text":
            out.append((kind, names, max(i.paper.lines for i in infos)))  # type: ignore[union-attr]
        else:
            out.append((kind, names))
    return out


def __getattr__(name: str) -> object:
    if name == "FORM_ROWS":  # the rows of part B as declared now (a test may declare more)
        return form_rows()
    raise AttributeError(name)


LINE_GAP = 14  # pt between the ruled lines for free text
MIN_LINE_GAP = 10  # the least that is still written on by hand
SIGNATURE_ROOM = 32  # pt below part B for the two signature captions


class FormLayoutError(ValueError):
    """The declared fields do not fit on one page."""


COUNTS_TITLE = 11  # pt for the name of a titled row of counts


def _counts_title(fields: list[str]) -> str | None:
    paper = record_type(Visit).INFO[fields[0]].paper
    return paper.title if paper is not None else None


def part_b_height(rows: list[tuple], gap: float = LINE_GAP) -> float:
    """The height of part B (section bar included) drawn with ruled lines ``gap`` apart."""
    height = 14 + 4  # the section bar, the space under it
    for row in rows:
        kind, fields = row[0], row[1]
        if kind == "line":
            height += 20
        elif kind == "counts":
            height += 35 + (COUNTS_TITLE if _counts_title(fields) else 0)
        elif kind == "checks":
            height += 24 + 13 * ((len(fields) - 1) // 3) + 6
        elif kind == "choice":
            height += 18
        elif kind == "text":
            height += 12 + gap * row[2] + 4
    return height


def form_fields() -> list[str]:
    """The visit fields of part B in printed order."""
    return [f for row in form_rows() for f in row[1]]


def field_numbers() -> dict[str, int]:
    return {f: i for i, f in enumerate(form_fields(), start=1)}


ProgressFn = Callable[[int, int], None]


class _Form:
    """Draws form pages on a canvas.

    What is the same on every page (titles, labels, boxes, ruled lines) is drawn once into a PDF
    form XObject per variant (pre-filled or blank) and placed on each page; only the values are
    drawn per page. A batch of 1,000 forms then costs little more than its values, and the file is
    smaller. Positions are fixed (part A has a fixed height), so the values land in the boxes.
    """

    def __init__(
        self, c: Canvas, unit_title: str, printed_on: date, marks: bool = False, practice: bool = False
    ):
        self.c = c
        self.marks = marks  # part B on a mark sheet (page 2, app.printing.mark_sheet)
        self.practice = practice  # printed from practice data: marked on the page and in the code
        self.unit_title = unit_title
        self.printed_on = printed_on
        self.numbers = field_numbers()
        self.rows = form_rows()
        self.visit_info = record_type(Visit).INFO
        self.templates: set[str] = set()
        self.value_pos: dict[str, tuple[float, float, float, bool]] = {}  # part A: x, y, width, bold
        self.hint_pos: dict[str, tuple[float, float, float]] = {}  # part B: x, y, width
        self.org_top = 0.0
        self.last_visit_y = 0.0

    # --- small drawing helpers ---------------------------------------------------------------

    def text(self, x: float, y: float, s: str, font: str = SERIF, size: float = 10) -> None:
        self.c.setFont(font, size)
        self.c.drawString(x, y, s)

    def grey_text(self, x: float, y: float, s: str, size: float = 8, right: bool = False) -> None:
        c = self.c
        c.setFillGray(GREY)
        c.setFont(SERIF_ITALIC, size)
        if right:
            c.drawRightString(x, y, s)
        else:
            c.drawString(x, y, s)
        c.setFillGray(0)

    def label(self, name: str) -> str:
        return f"{self.numbers[name]}. {self.visit_info[name].label}"

    def checkbox(self, x: float, y: float, size: float = 9) -> None:
        self.c.rect(x, y, size, size, stroke=1, fill=0)

    def dotted(self, x0: float, x1: float, y: float) -> None:
        c = self.c
        c.setDash(1, 2)
        c.line(x0, y, x1, y)
        c.setDash()

    def date_boxes(self, x: float, y: float) -> float:
        """dd / mm / yyyy boxes from x at baseline y; returns the right edge."""
        c = self.c
        for width, sep in ((17, "/"), (17, "/"), (30, "")):
            c.rect(x, y - 3, width, 13, stroke=1, fill=0)
            x += width
            if sep:
                self.text(x + 1.5, y, sep, SERIF, 10)
                x += 7
        return x

    def section(self, y: float, title: str, note: str) -> float:
        c = self.c
        c.setFillGray(0.88)
        c.rect(LEFT, y - 14, WIDTH, 14, stroke=0, fill=1)
        c.setFillGray(0)
        self.text(LEFT + 3, y - 10.5, title, SERIF_BOLD, 10.5)
        self.grey_text(RIGHT - 3, y - 10.5, note, 8.5, right=True)
        return y - 14

    # --- the page ----------------------------------------------------------------------------

    def page(self, data: VisitFormData | None, page_no: int, pages: int) -> None:
        register()
        c = self.c
        name = ("KhaoSatFormPrefilled" if data is not None else "KhaoSatFormBlank") + (
            "M" if self.marks else ""
        )
        if name not in self.templates:
            c.beginForm(name)
            self.static(data is not None)
            c.endForm()
            self.templates.add(name)
        if self.practice:
            draw_practice_mark(c, band_y=H - 7.5 * mm)
        c.doForm(name)
        self.values(data)
        self.footer(data, page_no, pages)

    def static(self, prefilled: bool) -> None:
        c = self.c
        c.setLineWidth(0.6)
        version = formcode.SHEET_VERSION if self.marks else formcode.FORM_VERSION
        self.text(LEFT, TOP - 22, f"Mẫu {version} · KhaoSat", SERIF, 9)
        cx = LEFT + WIDTH / 2 - 6 * mm
        c.setFont(SERIF_BOLD, 15)
        c.drawCentredString(cx, TOP - 34, FORM_TITLE)
        c.setFont(SERIF_ITALIC, 9)
        marks_line = MARKS_LINE.format(pages=mark_sheet.sheet_pages_text())
        c.drawCentredString(cx, TOP - 47, marks_line if self.marks else TYPE_BACK_LINE)
        if not prefilled and not self.marks:
            c.setDash(2, 2)
            c.rect(RIGHT - QR_SIZE, TOP - QR_SIZE, QR_SIZE, QR_SIZE, stroke=1, fill=0)
            c.setDash()
            c.setFont(SERIF_ITALIC, 7.5)
            c.drawCentredString(RIGHT - QR_SIZE / 2, TOP - QR_SIZE / 2 + 2, "Phiếu trống:")
            c.drawCentredString(RIGHT - QR_SIZE / 2, TOP - QR_SIZE / 2 - 7, "chưa có mã")
        y = TOP - QR_SIZE - 2 * mm
        y = self.part_a(prefilled, y - 4)
        if self.marks:
            y = mark_sheet.part_b_note(c, y - 6)
            y = self.notes(y - 8, BOTTOM + 80)  # what part B would have taken: room to write
        else:
            y = self.part_b(prefilled, y - 6, self.line_gap(y - 6))
        self.signatures(y - 4)
        c.setLineWidth(0.4)
        c.line(LEFT, BOTTOM + 9, RIGHT, BOTTOM + 9)

    def part_a(self, prefilled: bool, y: float) -> float:
        c = self.c
        y = self.section(
            y,
            "A. THÔNG TIN DOANH NGHIỆP",
            "đã có trong KhaoSat: kiểm tra, sửa trực tiếp nếu sai" if prefilled else "ghi đầy đủ",
        )
        col2 = LEFT + WIDTH * 0.58
        yy = y - 12
        for row in paper_rows(Enterprise, "prefilled" if prefilled else "blank"):
            title = row[0].paper.title  # type: ignore[union-attr]
            if title is not None or len(row) == 1:  # one entry across the whole width
                key = f"row{row[0].paper.row}" if title else row[0].name  # type: ignore[union-attr]
                cells = [(key, title or _paper_label(row[0]), LEFT + 3, WIDTH - 6, row[0].required)]
            elif len(row) == 2:  # the first wider, as the value of the first is longer
                cells = [
                    (row[0].name, _paper_label(row[0]), LEFT + 3, col2 - LEFT - 3, row[0].required),
                    (row[1].name, _paper_label(row[1]), col2, RIGHT - col2, row[1].required),
                ]
            else:
                w = (WIDTH - 6) / len(row)
                cells = [
                    (i.name, _paper_label(i), LEFT + 3 + n * w, w, i.required) for n, i in enumerate(row)
                ]
            for key, label, x, width, bold in cells:
                lab = f"{label}: "
                self.text(x, yy, lab, SERIF, 9.5)
                lw = stringWidth(lab, SERIF, 9.5)
                self.value_pos[key] = (x + lw, yy, width - lw - 4, bold)
                if not prefilled:
                    self.dotted(x + lw, x + width - 6, yy - 2)
            yy -= 15.5
        yy += 15.5 - 6
        yy = self.org_table(prefilled, yy)
        if prefilled:
            self.last_visit_y = yy - 10
            yy -= 2 * 11.5 + 2  # two lines about the last visit
        else:
            yy -= 2
        c.rect(LEFT, yy, WIDTH, y - yy, stroke=1, fill=0)
        return yy

    def org_table(self, prefilled: bool, y: float) -> float:
        c = self.c
        cw = (WIDTH - 6) / 5
        x0 = LEFT + 3
        self.text(x0, y - 9, "Tổ chức hiện có trong doanh nghiệp:", SERIF_BOLD, 9.5)
        top = y - 13
        self.org_top = top
        h = 12 * (3 if prefilled else 2) + 2
        c.rect(x0, top - h, WIDTH - 6, h, stroke=1, fill=0)
        c.line(x0, top - 13, x0 + WIDTH - 6, top - 13)
        for i, kind in enumerate(OrgKind):
            x = x0 + i * cw
            if i:
                c.line(x, top, x, top - h)
            c.setFont(SERIF_BOLD, 9)
            c.drawCentredString(x + cw / 2, top - 9.5, ORG_KIND_SHORT[kind])
            if not prefilled:
                self.checkbox(x + 4, top - 24, size=8)
                self.text(x + 14, top - 22.5, "có", SERIF, 8.5)
                self.checkbox(x + cw / 2, top - 24, size=8)
                self.text(x + cw / 2 + 10, top - 22.5, "chưa có", SERIF, 8.5)
        return top - h - 2

    def line_gap(self, top: float) -> float:
        """The spacing of the ruled lines of part B: 14 pt, less when the declared fields need the room
        (not under 10 pt, enough to write on). Raises ``FormLayoutError`` when part B cannot fit."""
        bottom = BOTTOM + 9 + SIGNATURE_ROOM
        lines = sum(row[2] for row in self.rows if row[0] == "text")
        needed = part_b_height(self.rows, LINE_GAP)
        if top - needed >= bottom:
            return LINE_GAP
        gap = LINE_GAP - (needed - (top - bottom)) / max(lines, 1)
        if gap < MIN_LINE_GAP:
            raise FormLayoutError(
                "Phiếu khảo sát không còn vừa một trang A4: có quá nhiều mục được in. "
                "Hãy bớt mục in trên giấy hoặc xếp chúng vào các hàng đã có."
            )
        return gap

    def part_b(self, prefilled: bool, y: float, gap: float = 14) -> float:
        c = self.c
        y = self.section(
            y,
            "B. KẾT QUẢ KHẢO SÁT LẦN NÀY",
            "số in mờ trong ô: số liệu lần khảo sát trước" if prefilled else "ghi theo thứ tự các mục",
        )
        top = y
        x0 = LEFT + 3
        inner = WIDTH - 6
        y -= 4
        info = self.visit_info
        for row in self.rows:
            kind, fields = row[0], row[1]
            if kind == "line":
                cw = inner / len(fields)
                for i, f in enumerate(fields):
                    x = x0 + i * cw
                    lab = self.label(f) + ":"
                    self.text(x, y - 12, lab, SERIF, 9.5)
                    lx = x + stringWidth(lab, SERIF, 9.5) + 4
                    if info[f].kind is Kind.DATE:
                        self.date_boxes(lx, y - 12)
                    else:
                        self.dotted(lx, x + cw - 8, y - 14)
                        self.hint_pos[f] = (x + cw - 8, y - 12, cw / 2.6)
                y -= 20
            elif kind == "counts":
                title = info[fields[0]].paper.title  # type: ignore[union-attr]
                if title:  # a group of counts under its name ("Nguồn phát triển đảng viên")
                    self.text(x0, y - 9, f"{title}:", SERIF_ITALIC, 9)
                    y -= COUNTS_TITLE
                cw = inner / len(fields)
                for i, f in enumerate(fields):
                    x = x0 + i * cw
                    self.text(x, y - 10, fit(self.label(f), SERIF, 9, cw - 4), SERIF, 9)
                    bw = min(cw - 10, 62)
                    c.rect(x, y - 30, bw, 16, stroke=1, fill=0)
                    self.hint_pos[f] = (x + bw - 2, y - 26.5, bw)
                y -= 35
            elif kind == "checks":
                first, last = self.numbers[fields[0]], self.numbers[fields[-1]]
                title = info[fields[0]].paper.title or "Đánh dấu X"  # type: ignore[union-attr]
                numbers = f"{first}–{last}" if len(fields) > 1 else f"{first}"
                self.text(x0, y - 10, f"{numbers}. {title} (đánh dấu X):", SERIF, 9.5)
                cw = inner / 3
                for i, f in enumerate(fields):
                    r, col = divmod(i, 3)
                    x = x0 + col * cw
                    yy = y - 24 - r * 13
                    self.checkbox(x, yy - 1.5)
                    label = f"{self.numbers[f]}. {_paper_label(info[f])}"
                    self.text(x + 13, yy, label, SERIF, 9.5)
                    self.hint_pos[f] = (x + 13 + stringWidth(label, SERIF, 9.5) + 2, yy, 0)
                y -= 24 + 13 * ((len(fields) - 1) // 3) + 6
            elif kind == "choice":
                f = fields[0]
                lab = self.label(f) + ":"
                self.text(x0, y - 11, lab, SERIF, 9.5)
                x = x0 + stringWidth(lab, SERIF, 9.5) + 10
                for _code, choice_label in info[f].choices:
                    self.checkbox(x, y - 12.5)
                    self.text(x + 13, y - 11, choice_label, SERIF, 9.5)
                    x += 13 + stringWidth(choice_label, SERIF, 9.5) + 16
                self.hint_pos[f] = (RIGHT - 6, y - 11, 0)
                y -= 18
            elif kind == "text":
                f, lines = fields[0], row[2]
                self.text(x0, y - 10, self.label(f) + ":", SERIF, 9.5)
                y -= 12
                c.setDash(1, 2)
                for _ in range(lines):
                    y -= gap
                    c.line(x0, y, x0 + inner, y)
                c.setDash()
                y -= 4
        c.rect(LEFT, y, WIDTH, top - y, stroke=1, fill=0)
        return y

    def notes(self, top: float, bottom: float) -> float:
        """Ruled lines from ``top`` to ``bottom`` for what the collaborator notes by hand (not read by
        the machine): corrections to part A, what to follow up. Returns the bottom."""
        c = self.c
        c.setFont(SERIF_BOLD, 10)
        c.drawString(LEFT + 3, top - 10, "Ghi chú")
        c.setFont(SERIF_ITALIC, 9)
        c.drawString(
            LEFT + 48, top - 10, "(sửa thông tin ở phần A, việc cần theo dõi; KhaoSat không đọc phần này)"
        )
        y = top - 12
        c.setLineWidth(0.5)
        c.setDash(1, 2)
        while y - 18 >= bottom:
            y -= 18
            c.line(LEFT + 3, y, RIGHT - 3, y)
        c.setDash()
        return y

    def signatures(self, y: float) -> None:
        c = self.c
        half = WIDTH / 2
        for i, who in enumerate(("ĐẠI DIỆN DOANH NGHIỆP", "CỘNG TÁC VIÊN")):
            cx = LEFT + half * i + half / 2
            c.setFont(SERIF_BOLD, 10)
            c.drawCentredString(cx, y - 11, who)
            c.setFont(SERIF_ITALIC, 9)
            c.drawCentredString(cx, y - 22, "(Ký, ghi rõ họ tên)")

    # --- what changes from page to page ------------------------------------------------------

    def values(self, data: VisitFormData | None) -> None:
        c = self.c
        unit = data.ward_name if data is not None and data.ward_name else self.unit_title
        if unit:
            self.text(LEFT, TOP - 10, fit(unit.upper(), SERIF_BOLD, 10, 62 * mm), SERIF_BOLD, 10)
        if data is None:
            if self.marks:  # a blank form's pages are named too, so that a scan can tell them apart
                qr.draw(
                    c, mark_sheet.sheet_code(None, 1, self.practice), RIGHT - QR_SIZE, TOP - QR_SIZE, QR_SIZE
                )
            return
        e = data.enterprise
        qr.draw(c, self.code(data), RIGHT - QR_SIZE, TOP - QR_SIZE, QR_SIZE)
        values: dict[str, str] = {}
        for row in paper_rows(type(e), "prefilled"):
            if row[0].paper.title is not None:  # type: ignore[union-attr]
                # "Lao động theo hồ sơ: tổng 245, nữ 130, dưới 30 tuổi 77"
                values[f"row{row[0].paper.row}"] = ", ".join(  # type: ignore[union-attr]
                    f"{_paper_label(i)} {display(i, getattr(e, i.name)) or '?'}" for i in row
                )
            else:
                values.update((i.name, display(i, getattr(e, i.name))) for i in row)
        for key, value in values.items():
            if key not in self.value_pos:
                continue
            x, y, width, bold = self.value_pos[key]
            if value:
                font = SERIF_BOLD if bold else SERIF
                self.text(x, y, fit(value, font, 10, width), font, 10)
            else:
                self.dotted(x, x + width, y - 2)
        self.org_cells(data)
        self.last_visit_lines(data.last_visit)
        self.hints(data.last_visit)

    def org_cells(self, data: VisitFormData) -> None:
        c = self.c
        cw = (WIDTH - 6) / 5
        by_kind: dict[OrgKind, Organisation] = {}
        for o in data.organisations:
            kind = OrgKind.parse(o.kind)
            if kind is not None and _rank(o) >= _rank(by_kind.get(kind)):  # type: ignore[arg-type]
                by_kind[kind] = o  # type: ignore[index]
        c.setFont(SERIF, 8.5)
        for i, kind in enumerate(OrgKind):
            x = LEFT + 3 + i * cw
            line1, line2 = _org_lines(by_kind.get(kind), data.members.get(kind.value))
            c.drawCentredString(x + cw / 2, self.org_top - 22, fit(line1, SERIF, 8.5, cw - 4))
            if line2:
                c.drawCentredString(x + cw / 2, self.org_top - 33, fit(line2, SERIF, 8.5, cw - 4))

    def last_visit_lines(self, v: Visit | None) -> None:
        x, y = LEFT + 3, self.last_visit_y
        if v is None:
            self.text(x, y, "Lần khảo sát trước: chưa có (đây là lần khảo sát đầu tiên).", SERIF_ITALIC, 9.5)
            return
        att = Attitude.parse(v.attitude)
        parts = [f"Lần khảo sát trước: {format_date(v.visit_date)}"]
        if v.collaborator:
            parts.append(f"cộng tác viên {v.collaborator}")
        if v.person_met:
            parts.append(f"gặp {v.person_met}" + (f" ({v.person_met_title})" if v.person_met_title else ""))
        if att is not None:
            parts.append(f"thái độ: {att.label}")
        self.text(x, y, fit("; ".join(parts) + ".", SERIF, 9.5, WIDTH - 6), SERIF, 9.5)
        nxt = []
        if v.next_step:
            nxt.append(f"Hướng tiếp theo: {v.next_step.rstrip('. ')}")
        if v.next_visit_date:
            nxt.append(f"hẹn lần sau: {format_date(v.next_visit_date)}")
        if nxt:
            self.text(x, y - 11.5, fit("; ".join(nxt) + ".", SERIF, 9.5, WIDTH - 6), SERIF, 9.5)

    def hints(self, last: Visit | None) -> None:
        """Last visit's values in grey beside the boxes."""
        if last is None:
            return
        info = self.visit_info
        for row in self.rows:
            kind, fields = row[0], row[1]
            for f in fields:
                pos = self.hint_pos.get(f)
                if pos is None:
                    continue
                x, y, width = pos
                value = getattr(last, f, None)
                if kind == "line" and value:
                    self.grey_text(x, y, fit(f"trước: {value}", SERIF_ITALIC, 8, width), right=True)
                elif kind == "counts" and value is not None:
                    self.grey_text(x, y, f"trước: {format_int(value)}", 7.5, right=True)
                elif kind == "checks" and value:
                    self.grey_text(x, y, "(trước: có)", 7.5)
                elif kind == "choice" and value is not None:
                    self.grey_text(x, y, f"trước: {display(info[f], value)}", 7.5, right=True)

    def code(self, data: VisitFormData) -> str:
        if self.marks:
            return mark_sheet.sheet_code(data, 1, self.practice)
        return formcode.visit_form_code(data.enterprise.id, data.enterprise.tax_code, practice=self.practice)

    def footer(self, data: VisitFormData | None, page_no: int, pages: int) -> None:
        c = self.c
        c.setFont(SERIF, 8)
        if data is not None:
            c.drawString(LEFT, BOTTOM, f"Mã phiếu: {self.code(data)}")
        else:
            version = formcode.SHEET_VERSION if self.marks else formcode.FORM_VERSION
            c.drawString(LEFT, BOTTOM, f"Phiếu trống mẫu {version}")
        # date and page number together at the right: the code of a form with a mark sheet is long
        c.drawRightString(RIGHT, BOTTOM, f"In ngày {format_date(self.printed_on)} · Trang {page_no}/{pages}")


def _paper_label(info: FieldInfo) -> str:
    paper = info.paper
    return paper.label if paper is not None and paper.label else info.label


def _rank(o: Organisation | None) -> int:
    if o is None:
        return -1
    order = {OrgStatus.NONE: 0, OrgStatus.DISSOLVED: 1, OrgStatus.MOBILISING: 2, OrgStatus.FOUNDED: 3}
    return order.get(OrgStatus.parse(o.status), 0)  # type: ignore[arg-type]


def _org_lines(o: Organisation | None, members: int | None = None) -> tuple[str, str]:
    if o is None:
        return "Chưa có", ""
    status = OrgStatus.parse(o.status)
    if status is OrgStatus.FOUNDED:
        line2 = f"{format_int(members)} thành viên" if members is not None else ""
        when = f" {format_date(o.decision_date)}" if o.decision_date else ""
        return f"Đã thành lập{when}", line2
    if status is OrgStatus.MOBILISING:
        since = f"từ {format_date(o.mobilising_since)}" if o.mobilising_since else ""
        return "Đang vận động", since
    if status is OrgStatus.DISSOLVED:
        return "Đã giải thể", format_date(o.dissolved_date)
    return "Chưa có", ""


def render_visit_forms(
    out: str | os.PathLike[str] | BinaryIO,
    forms: Sequence[VisitFormData | None],
    *,
    unit_title: str = "",
    printed_on: date | None = None,
    progress: ProgressFn | None = None,
    marks: bool = False,
    practice: bool = False,
) -> None:
    """Write one page per form (``None``: a blank form) into one PDF, pages numbered "Trang i/N".

    With ``marks`` each form has two pages: the enterprise's details, then part B as a mark sheet
    that KhaoSat reads back from a photo or a scan (``app.printing.mark_sheet``); three or more when
    the declared fields overflow the sheet's page (``app.scan.layout.sheet_layouts``).
    ``progress(done, total)`` is called after each form; it may raise to cancel (nothing is
    written under the real name then). ``practice``: the forms come from practice data; every page
    is marked so (``app.domain.practice``) and so is every QR code.
    """
    if not forms:
        raise ValueError("Không có phiếu nào để in.")
    register()
    printed_on = printed_on or date.today()
    if isinstance(out, (str, os.PathLike)):
        with atomic_output(out) as fh:
            _render(fh, forms, unit_title, printed_on, progress, marks, practice)
    else:
        _render(out, forms, unit_title, printed_on, progress, marks, practice)


def _render(
    fh: BinaryIO,
    forms: Sequence[VisitFormData | None],
    unit_title: str,
    printed_on: date,
    progress: ProgressFn | None,
    marks: bool = False,
    practice: bool = False,
) -> None:
    c = new_canvas(fh, A4, 10)
    many = len(forms) > 1
    title = "Phiếu khảo sát doanh nghiệp" + (f" ({format_int(len(forms))} phiếu)" if many else "")
    if len(forms) == 1 and forms[0] is not None:
        title += f": {nfc(forms[0].enterprise.name)}"
    if practice:
        title = f"[{WORD}] {title}"
    set_metadata(c, title, "KhaoSat")
    page = _Form(c, nfc(unit_title), printed_on, marks, practice)
    sheets = mark_sheet.sheet_pages() if marks else ()
    per_form = 1 + len(sheets)
    total = len(forms)
    for i, data in enumerate(forms, start=1):
        data = _nfc_data(data)
        page.page(data, per_form * (i - 1) + 1, per_form * total)
        c.showPage()
        unit = data.ward_name if data is not None and data.ward_name else nfc(unit_title)
        for k, layout in enumerate(sheets, start=2):
            label = f"Trang {per_form * (i - 1) + k}/{per_form * total}"
            mark_sheet.draw_sheet(
                c,
                data,
                unit_title=unit or "",
                printed_on=printed_on,
                page_label=label,
                layout=layout,
                practice=practice,
            )
            c.showPage()
        if progress:
            progress(i, len(forms))
    c.save()


def _nfc_data(data: VisitFormData | None) -> VisitFormData | None:
    """A copy with every text value NFC and printable (stored text is NFC already; this guards the rest)."""
    if data is None:
        return None
    import dataclasses

    def norm(rec: R) -> R:
        changes = {
            f.name: printable(getattr(rec, f.name))
            for f in dataclasses.fields(rec)
            if isinstance(getattr(rec, f.name), str) and not hasattr(getattr(rec, f.name), "label")
        }
        return dataclasses.replace(rec, **changes)

    return VisitFormData(
        norm(data.enterprise),
        norm(data.last_visit) if data.last_visit is not None else None,
        [norm(o) for o in data.organisations],
        printable(data.ward_name) if data.ward_name else None,
        dict(data.members),
    )


def unit_title_for(unit_code: str | None) -> str:
    u = units.unit(unit_code)
    return u.name if u else ""
