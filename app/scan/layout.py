"""Where every mark area of the machine-readable visit form lies, derived from the paper fields.

One function, ``sheet_layout()``, places the areas of ``app.scan.fields.paper_fields()`` on an A4
page (the form's page 2, "Phần B"); the printer draws exactly these shapes
(``app.printing.mark_sheet``) and the reader looks exactly there (``app.scan.marks``). Nothing else
knows a coordinate, so a new field moves the others on paper and in the reader together.

Coordinates are PDF points (1/72 inch) from the page's bottom-left corner, as reportlab draws.
The layout has an id (a short hash of every position that the reader uses) printed in the QR code:
a page printed with another layout is refused instead of being read at the wrong places.

Shapes:
- four **registration marks**, solid squares near the corners, that straighten a photo;
- per date or count, a row of **write-in boxes** (the person writes the digits) over **bubble
  columns** 0-9, one column per digit (a date: day, month and the last two digits of the year,
  with the day's tens 0-3 and the month's tens 0-1 only);
- per yes/no field two **boxes** ("Có", "Chưa"); per choice one box per choice;
- per free text, **ruled lines** read back as an image.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass, field

from app.scan.fields import PaperField, paper_fields

MM = 72 / 25.4
PAGE_W, PAGE_H = 595.2756, 841.8898

MARK_SIZE = 5 * MM  # registration mark: a solid square
MARK_INSET = 8 * MM  # from the page edge to the mark's outer side
LEFT = 15 * MM
RIGHT = PAGE_W - 15 * MM
TOP = PAGE_H - 15 * MM
BOTTOM = 15 * MM
QR_SIZE = 22 * MM

BUBBLE_R = 4.6  # bubble radius (pt): 3.2 mm across
ROW = 10.8  # bubble pitch down a column
COL = 12.6  # column pitch
WRITE_H = 14.0  # write-in box height
BOX = 9.5  # yes/no and choice box side
LABEL_SIZE = 8.0
TEXT_LINE = 16.0  # ruled line pitch for free text
COUNT_GAP = 8.0  # between two counts side by side (room for a seventh count on each row)
HEADER_LINES = 3  # lines of a count's or date's label over its columns

DAY_MONTH_YEAR = ((0, 3), (0, 9), (0, 1), (0, 9), (0, 9), (0, 9))  # digit ranges of a date's columns


@dataclass(frozen=True)
class Column:
    """One digit: bubbles for ``lo..hi`` (centres x, ys[d - lo]) under a write-in box."""

    x: float
    ys: tuple[float, ...]
    lo: int
    hi: int
    write: tuple[float, float, float, float]  # write-in box x, y, w, h

    @property
    def digits(self) -> range:
        return range(self.lo, self.hi + 1)


@dataclass(frozen=True)
class Box:
    """A square to tick, standing for ``value`` (``"yes"``/``"no"`` or a choice code)."""

    x: float  # bottom-left
    y: float
    value: str
    label: str


@dataclass(frozen=True)
class Label:
    x: float
    y: float  # baseline
    text: str
    size: float = LABEL_SIZE
    style: str = "regular"  # regular | bold | italic | grey
    align: str = "left"  # left | centre | right


@dataclass(frozen=True)
class Area:
    """Where one field is answered; ``rect`` (x, y, w, h) is what the review screen shows."""

    field: PaperField
    rect: tuple[float, float, float, float]
    columns: tuple[Column, ...] = ()
    boxes: tuple[Box, ...] = ()
    lines: tuple[tuple[float, float, float], ...] = ()  # x0, x1, y of each ruled line
    seps: tuple[Label, ...] = ()  # "/" and the printed "20" of a year
    hint: tuple[float, float] | None = None  # where last visit's value is printed (grey)


@dataclass(frozen=True)
class SheetLayout:
    areas: tuple[Area, ...]
    marks: tuple[tuple[float, float], ...]  # centres: top-left, top-right, bottom-right, bottom-left
    qr: tuple[float, float, float]  # x, y (bottom-left), size
    labels: tuple[Label, ...]
    frames: tuple[tuple[float, float, float, float], ...] = field(default=())
    layout_id: str = ""  # the same on every page of the sheet
    page: int = 2  # the form's page this is (2: the first page of the sheet)
    pages: int = 1  # pages of the sheet (the form has one more: the enterprise's details)

    def area(self, name: str) -> Area:
        for a in self.areas:
            if a.field.name == name:
                return a
        raise KeyError(name)


def _wrap(text: str, width: float, size: float) -> list[str]:
    """Split a label into lines of at most ``width`` points (the printer's font metrics)."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    from app.printing.fonts import SERIF, register

    register()
    lines: list[str] = []
    cur = ""
    for word in text.split():
        trial = f"{cur} {word}".strip()
        if cur and stringWidth(trial, SERIF, size) > width:
            lines.append(cur)
            cur = word
        else:
            cur = trial
    if cur:
        lines.append(cur)
    return lines


def _text_width(text: str, size: float) -> float:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    from app.printing.fonts import SERIF, register

    register()
    return stringWidth(text, SERIF, size)


class _Builder:
    def __init__(self) -> None:
        self.areas: list[Area] = []
        self.labels: list[Label] = []
        self.frames: list[tuple[float, float, float, float]] = []

    def columns(self, x: float, top: float, ranges) -> tuple[list[Column], float]:
        """Bubble columns from x with the write-in boxes' top at ``top``; returns them and the bottom."""
        cols = []
        write_y = top - WRITE_H
        first = write_y - 3 - BUBBLE_R - 1
        for lo, hi in ranges:
            ys = tuple(first - d * ROW for d in range(lo, hi + 1))
            cols.append(Column(x + COL / 2, ys, lo, hi, (x + 0.8, write_y, COL - 1.6, WRITE_H)))
            x += COL
        return cols, first - 9 * ROW - BUBBLE_R - 2

    def header_label(self, f: PaperField, x: float, top: float, width: float) -> float:
        """The field's number and label over its columns, in up to ``HEADER_LINES`` lines (every
        block of a row keeps the same room, so the write-in boxes line up)."""
        lines = _wrap(f"{f.number}. {f.label}", width, LABEL_SIZE)
        if len(lines) > HEADER_LINES:
            raise ValueError(f"the label of {f.name} needs {len(lines)} lines over its columns")
        y = top - LABEL_SIZE
        for line in lines:
            self.labels.append(Label(x, y, line, LABEL_SIZE, "bold" if f.required else "regular"))
            y -= LABEL_SIZE + 1
        return top - HEADER_LINES * (LABEL_SIZE + 1) - 1

    def count_block(self, f: PaperField, x: float, top: float) -> float:
        width = f.digits * COL
        col_top = self.header_label(f, x, top, width + COUNT_GAP - 4)
        cols, bottom = self.columns(x, col_top, [(0, 9)] * f.digits)
        bottom -= 8  # room for last visit's figure, in grey
        self.areas.append(
            Area(
                f,
                (x - 2, bottom, width + 4, top - bottom),
                columns=tuple(cols),
                hint=(x + width, bottom + 1.5),
            )
        )
        return bottom

    def date_block(self, f: PaperField, x: float, top: float) -> float:
        sep = 5.0
        col_top = self.header_label(f, x, top, 6 * COL + 3 * sep + 14)
        cols: list[Column] = []
        seps: list[Label] = []
        cx = x
        bottom = 0.0
        for i, pair in enumerate((DAY_MONTH_YEAR[0:2], DAY_MONTH_YEAR[2:4], DAY_MONTH_YEAR[4:6])):
            if i == 2:
                seps.append(Label(cx + 0.5, col_top - WRITE_H + 3.5, "20", 9))
                cx += 11
            group, bottom = self.columns(cx, col_top, pair)
            cols += group
            cx += 2 * COL
            if i < 2:
                seps.append(Label(cx + 1, col_top - WRITE_H + 3.5, "/", 9))
                cx += sep
        self.areas.append(
            Area(f, (x - 2, bottom, cx - x + 4, top - bottom), columns=tuple(cols), seps=tuple(seps))
        )
        return bottom

    def box_rows(self, fields: list[PaperField], x: float, top: float, right: float) -> float:
        """Yes/no fields as a small table (Có / Chưa), then each choice field as a row of boxes."""
        y = top
        yesno = [f for f in fields if f.kind == "yesno"]
        if yesno:
            label_w = max(_text_width(f"{f.number}. {f.label}", LABEL_SIZE + 0.5) for f in yesno) + 8
            cx_yes, cx_no = x + label_w, x + label_w + 40
            self.labels.append(Label(cx_yes + BOX / 2, y - LABEL_SIZE, "Có", LABEL_SIZE, "bold", "centre"))
            self.labels.append(Label(cx_no + BOX / 2, y - LABEL_SIZE, "Chưa", LABEL_SIZE, "bold", "centre"))
            y -= LABEL_SIZE + 4
            for f in yesno:
                row_top = y
                y -= BOX + 4
                self.labels.append(Label(x, y + 2.5, f"{f.number}. {f.label}", LABEL_SIZE + 0.5))
                boxes = (Box(cx_yes, y + 0.5, "yes", "Có"), Box(cx_no, y + 0.5, "no", "Chưa"))
                self.areas.append(Area(f, (x - 2, y - 1.5, cx_no + BOX + 4 - x, row_top - y), boxes=boxes))
            y -= 8
        for f in (f for f in fields if f.kind == "choice"):
            row_top = y
            self.labels.append(Label(x, y - LABEL_SIZE - 1, f"{f.number}. {f.label}:", LABEL_SIZE + 0.5))
            y -= LABEL_SIZE + 4
            boxes = []
            for code, label in f.choices:
                y -= BOX + 4
                boxes.append(Box(x + 8, y + 0.5, code, label))
                self.labels.append(Label(x + 8 + BOX + 5, y + 2.5, label, LABEL_SIZE + 0.5))
            self.areas.append(Area(f, (x - 2, y - 1.5, right - x, row_top - y + 1.5), boxes=tuple(boxes)))
            y -= 6
        return y

    def text_area(self, f: PaperField, x: float, top: float, right: float) -> float:
        label = f"{f.number}. {f.label}:"
        self.labels.append(Label(x, top - 10, label, LABEL_SIZE + 1))
        lines = []
        if f.lines == 1:
            lx = x + _text_width(label, LABEL_SIZE + 1) + 4
            lines.append((lx, right, top - 12))
            bottom = top - 16
        else:
            y = top - 12
            for _ in range(f.lines):
                y -= TEXT_LINE
                lines.append((x, right, y))
            bottom = y - 4
        self.areas.append(Area(f, (x - 2, bottom, right - x + 4, top - bottom), lines=tuple(lines)))
        return bottom


def _page_parts(areas: tuple[Area, ...], marks, qr) -> list[str]:
    parts = [repr(marks), repr(qr)]
    for a in areas:
        parts.append(f"{a.field.name}:{a.field.kind}:{a.rect}:{a.columns}:{a.boxes}")
    return parts


def _layout_id(pages: list[tuple[Area, ...]], marks, qr) -> str:
    """One id for all the sheet's pages (a sheet of one page: the id it always had)."""
    parts = _page_parts(pages[0], marks, qr)
    for n, areas in enumerate(pages[1:], start=3):
        parts += [f"page {n}", *_page_parts(areas, marks, qr)]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:6].upper()


def sheet_layout(fields: tuple[PaperField, ...] | None = None) -> SheetLayout:
    """The first page of the mark sheet (page 2 of the form): all of it when the fields fit one page."""
    return sheet_layouts(fields)[0]


def sheet_layouts(fields: tuple[PaperField, ...] | None = None) -> tuple[SheetLayout, ...]:
    """The pages of the mark sheet of the paper fields (by default those of the visit as the program
    uses it): one page, or more when the fields do not fit (the form's pages 2, 3, ...)."""
    return _sheet_layouts(fields if fields is not None else paper_fields())


class _Pages:
    """Places blocks top-down; a block that would cross the bottom margin moves whole to a new page."""

    START = TOP - QR_SIZE - 6  # the header (drawn by the printer) stands beside the QR code

    def __init__(self) -> None:
        self.builders = [_Builder()]
        self.y = self.START

    def place(self, block) -> None:
        """``block(builder, y)`` draws one block from ``y`` down and returns the next ``y``."""
        b = self.builders[-1]
        saved = len(b.areas), len(b.labels), len(b.frames)
        y = block(b, self.y)
        if y >= BOTTOM - 3:
            self.y = y
            return
        if not b.areas[: saved[0]] and not b.frames[: saved[2]]:
            raise ValueError(f"the paper fields do not fit on one page ({y:.0f} pt below the margin)")
        del b.areas[saved[0] :], b.labels[saved[1] :], b.frames[saved[2] :]
        self.builders.append(_Builder())
        self.y = self.START
        self.place(block)


@functools.cache
def _sheet_layouts(fields_: tuple[PaperField, ...]) -> tuple[SheetLayout, ...]:
    fields = list(fields_)
    half = MARK_SIZE / 2
    inset = MARK_INSET + half
    marks = (
        (inset, PAGE_H - inset),
        (PAGE_W - inset, PAGE_H - inset),
        (PAGE_W - inset, inset),
        (inset, inset),
    )
    qr = (RIGHT - QR_SIZE, TOP - QR_SIZE, QR_SIZE)
    pages = _Pages()

    short_text = [f for f in fields if f.kind == "text" and f.lines == 1]
    long_text = [f for f in fields if f.kind == "text" and f.lines > 1]
    dates = [f for f in fields if f.kind == "date"]
    counts = [f for f in fields if f.kind == "count"]
    boxes = [f for f in fields if f.kind in ("yesno", "choice")]

    # short texts two to a row
    width = (RIGHT - LEFT) / 2

    def short_row(pair: list[PaperField], last: bool):
        def block(b: _Builder, y: float) -> float:
            bottom = y
            for j, f in enumerate(pair):
                x0 = LEFT + j * width
                bottom = min(bottom, b.text_area(f, x0, y, x0 + width - 10))
            return bottom - 2 - (4 if last else 0)

        return block

    for i in range(0, len(short_text), 2):
        pages.place(short_row(short_text[i : i + 2], i + 2 >= len(short_text)))
    if not short_text:
        pages.y -= 4

    # dates side by side, the yes/no and choice boxes to their right
    def dates_and_boxes(b: _Builder, y: float) -> float:
        x = LEFT
        bottom = y
        for f in dates:
            bottom = min(bottom, b.date_block(f, x, y))
            x += 6 * COL + 2 * 5 + 11 + 18
        if boxes:
            bottom = min(bottom, b.box_rows(boxes, x + 6, y, RIGHT))
        b.frames.append((LEFT - 4, bottom - 4, RIGHT - LEFT + 8, y - bottom + 6))
        return bottom - 10

    if dates or boxes:
        pages.place(dates_and_boxes)
    else:
        pages.y -= 10

    # counts flow left to right, each as wide as its digits, wrapping
    rows: list[list[PaperField]] = []
    used = RIGHT - LEFT + COUNT_GAP  # (a full row: the first count starts one)
    for f in counts:
        w = f.digits * COL + COUNT_GAP
        if used + w > RIGHT - LEFT + COUNT_GAP:
            rows.append([])
            used = 0.0
        rows[-1].append(f)
        used += w

    def count_row(row: list[PaperField]):
        def block(b: _Builder, y: float) -> float:
            bottom = y
            x = LEFT
            for f in row:
                bottom = min(bottom, b.count_block(f, x, y))
                x += f.digits * COL + COUNT_GAP
            b.frames.append((LEFT - 4, bottom - 3, RIGHT - LEFT + 8, y - bottom + 5))
            return bottom - 8

        return block

    for row in rows:
        pages.place(count_row(row))

    def long(f: PaperField):
        return lambda b, y: b.text_area(f, LEFT, y, RIGHT) - 2

    for f in long_text:
        pages.place(long(f))

    per_page = [tuple(b.areas) for b in pages.builders]
    layout_id = _layout_id(per_page, marks, qr)
    count = len(pages.builders)
    return tuple(
        SheetLayout(
            tuple(b.areas), marks, qr, tuple(b.labels), tuple(b.frames), layout_id, page=n, pages=count
        )
        for n, b in enumerate(pages.builders, start=2)
    )
