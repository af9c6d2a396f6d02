"""Read the marks of a straightened page: a value and a confidence for every field.

A bubble's **fill** is the mean darkness (0 paper .. 1 ink) of the disc inside its printed ring,
less what an empty bubble of the same digit shows on this page (its printed grey digit, the
photo's noise): the median over every column, since nearly all bubbles are empty. A box's fill is
the mean darkness inside its border, less the page's empty level.

Each bubble or box is then **marked** (fill at least ``*_MARKED``), **empty** (at most
``*_EMPTY``), or **uncertain** in between: a faint, partial or half-erased mark. Nothing uncertain
is ever turned into a value: the field is flagged with the reason and the best guess is only
offered to the person reviewing it.

A column of bubbles gives one digit when exactly one bubble is marked and every other is empty.
Two marked bubbles (a correction, a slip) or an uncertain one flag the field. The write-in box
above each column counts too: a digit written by hand over a column with no mark flags the field
(a forgotten mark would otherwise shorten the number silently).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from app.scan.fields import PaperField
from app.scan.layout import BOX, BUBBLE_R, COL, ROW, Area, Column, SheetLayout
from app.scan.locate import SCALE, Straight, to_canon

BUBBLE_MARKED = 0.24
BUBBLE_EMPTY = 0.10
BOX_MARKED = 0.13
BOX_EMPTY = 0.05
WRITE_INK = 0.025  # share of a write-in box's pixels that are ink (darker than INK) when a digit is written
INK = 0.35  # darkness of a pen stroke's pixels; JPEG noise and shading stay well below
ALIGN_RADIUS = 9  # pixels (3.2 pt) searched around each area for its printed borders
ALIGN_MIN = 0.25  # mean darkness along the borders when they are found
ALIGN_CONTRAST = 0.08  # or: that much darker than the page around them (a blurred photo)
ALIGN_WEAK = 0.04  # fainter still: found only where the clear areas nearby agree
ALIGN_AGREE = 3  # pixels (1 pt)
DISC = 0.66  # the disc read inside a bubble, as a share of its radius (the ring stays outside)
BOX_INSET = 2.0  # points inside a box's border
WRITE_INSET = 2.4

# statuses of a field read
OK = "ok"  # a value read with confidence
EMPTY = "empty"  # nothing marked (the field stays unknown)
UNCERTAIN = "uncertain"  # a person must decide
TEXT = "text"  # handwriting: a person types it from the image


@dataclass
class FieldRead:
    field: PaperField
    status: str
    value: Any = None  # OK: date, int, bool or a choice code; None otherwise
    suggestion: Any = None  # UNCERTAIN: the best guess offered to the person (never saved unasked)
    reason: str = ""  # Vietnamese: why the field needs a person
    confidence: float = 0.0  # 0..1: how far the marks are from the thresholds
    rect: tuple[int, int, int, int] = (
        0,
        0,
        0,
        0,
    )  # the area in the straightened page (pixels x0, y0, x1, y1)
    detail: dict[str, Any] = dataclasses.field(default_factory=dict)  # fills, for tests and the benchmark

    @property
    def needs_person(self) -> bool:
        return self.status in (UNCERTAIN, TEXT)


def _disc_offsets(r: float) -> tuple[np.ndarray, np.ndarray]:
    n = int(np.ceil(r))
    yy, xx = np.mgrid[-n : n + 1, -n : n + 1]
    keep = xx**2 + yy**2 <= r * r
    return yy[keep], xx[keep]


class _Sampler:
    def __init__(self, page: Straight):
        self.dark = page.dark
        self.dy, self.dx = _disc_offsets(BUBBLE_R * DISC * SCALE)
        self.shift: tuple[float, float] = (0, 0)  # pixels: the local correction of the area being read

    def disc(self, x: float, y: float) -> float:
        cx, cy = to_canon(x, y)
        cx, cy = cx + self.shift[0], cy + self.shift[1]
        ys = np.clip(np.round(cy).astype(int) + self.dy, 0, self.dark.shape[0] - 1)
        xs = np.clip(np.round(cx).astype(int) + self.dx, 0, self.dark.shape[1] - 1)
        return float(self.dark[ys, xs].mean())

    def paper(self, x: float, y: float) -> float:
        """Darkness of the bare paper around the bubble centred at (x, y): the median of the four
        gaps between it and its diagonal neighbours (clear of every printed ring and of a mark
        that overflows its bubble)."""
        values = []
        for sx in (-COL / 2, COL / 2):
            for sy in (-ROW / 2, ROW / 2):
                cx, cy = to_canon(x + sx, y + sy)
                cx, cy = round(cx) + self.shift[0], round(cy) + self.shift[1]
                values.append(float(self.dark[max(0, cy - 1) : cy + 2, max(0, cx - 1) : cx + 2].mean()))
        return float(np.median(values))

    def patch(self, x: float, y: float, w: float, h: float, inset: float) -> np.ndarray:
        x0, y1 = to_canon(x + inset, y + inset)
        x1, y0 = to_canon(x + w - inset, y + h - inset)
        sx, sy = self.shift
        return self.dark[
            max(0, round(y0) + sy) : max(0, round(y1) + sy), max(0, round(x0) + sx) : max(0, round(x1) + sx)
        ]

    def align(
        self, rects: list[tuple[float, float, float, float]], near: tuple[int, int] | None = None
    ) -> tuple[tuple[int, int], float, float]:
        """The shift (pixels) that puts the printed borders of ``rects`` on the darkest lines nearby,
        how dark they are there (0..1), and how much darker than around. Photos of paper that is
        not quite flat move parts of the page by a millimetre or so from where the corner marks
        put them. ``near``: only shifts within ``ALIGN_AGREE`` of it (where the areas around say)."""
        # points along the horizontal sides and along the vertical sides, scored apart: a shift
        # must put both on ink (a side alone would match anywhere along its own direction)
        hy, hx, vy, vx = [], [], [], []
        for x, y, w, h in rects:
            x0, y1 = to_canon(x, y)
            x1, y0 = to_canon(x + w, y + h)
            for t in np.arange(x0 + 2, x1 - 1, 2.0):
                hx += [t, t]
                hy += [y0, y1]
            for t in np.arange(y0 + 2, y1 - 1, 2.0):
                vx += [x0, x1]
                vy += [t, t]
        if not hx or not vx:
            return (0, 0), 1.0, 1.0
        h, w = self.dark.shape
        r = ALIGN_RADIUS
        hyi, hxi = np.round(np.asarray(hy)).astype(int), np.round(np.asarray(hx)).astype(int)
        vyi, vxi = np.round(np.asarray(vy)).astype(int), np.round(np.asarray(vx)).astype(int)

        def score(dx: int, dy: int) -> tuple[float, float]:
            top = self.dark[np.clip(hyi + dy, 0, h - 1), np.clip(hxi + dx, 0, w - 1)].mean()
            side = self.dark[np.clip(vyi + dy, 0, h - 1), np.clip(vxi + dx, 0, w - 1)].mean()
            both = float(min(top, side))
            return both - 0.002 * (abs(dx) + abs(dy)), both

        def allowed(dx: int, dy: int) -> bool:
            if near is None:
                return abs(dx) <= r and abs(dy) <= r
            return abs(dx - near[0]) <= ALIGN_AGREE and abs(dy - near[1]) <= ALIGN_AGREE

        # coarse (every third pixel), then every pixel around the best
        best = near or (0, 0)
        best_score, strength = score(*best)
        seen: list[float] = []
        for step, around, span in ((3, (0, 0), r), (1, None, 2)):
            cx, cy = around if around is not None else best
            for dy in range(cy - span, cy + span + 1, step):
                for dx in range(cx - span, cx + span + 1, step):
                    if abs(dx) > r or abs(dy) > r:
                        continue
                    sc, both = score(dx, dy)
                    if step == 3:
                        seen.append(both)
                    if not allowed(dx, dy):
                        continue
                    if sc > best_score:
                        best, best_score, strength = (dx, dy), sc, both
        # how much darker the borders are where found than around (a blurred photo's thin lines
        # are faint, but still stand out; a fold or a shadow's edge where they are not does not)
        return best, strength, strength - float(np.median(seen))

    def rect(self, x: float, y: float, w: float, h: float, inset: float) -> float:
        """Mean darkness inside a rectangle (page points), ``inset`` points from its sides."""
        patch = self.patch(x, y, w, h, inset)
        return float(patch.mean()) if patch.size else 0.0

    def ink(self, x: float, y: float, w: float, h: float, inset: float) -> float:
        """Share of the pixels inside a rectangle that are as dark as a pen stroke."""
        patch = self.patch(x, y, w, h, inset)
        return float((patch > INK).mean()) if patch.size else 0.0


def _pixels(rect: tuple[float, float, float, float]) -> tuple[int, int, int, int]:
    x, y, w, h = rect
    x0, y1 = to_canon(x, y)
    x1, y0 = to_canon(x + w, y + h)
    return int(x0), int(y0), int(np.ceil(x1)), int(np.ceil(y1))


@dataclass
class _Col:
    digit: int | None  # the one marked digit
    state: str  # "empty" | "marked" | "double" | "faint"
    written: bool  # ink in the write-in box
    margin: float  # 0..1, distance of the decisive fills from the thresholds
    guess: int | None  # the strongest bubble, for a suggestion


def _column(col: Column, fills: list[float], written: bool) -> _Col:
    order = sorted(range(len(fills)), key=lambda i: -fills[i])
    top, second = fills[order[0]], fills[order[1]] if len(fills) > 1 else 0.0
    guess = col.lo + order[0]
    marked = [i for i, f in enumerate(fills) if f >= BUBBLE_MARKED]
    faint = [i for i, f in enumerate(fills) if BUBBLE_EMPTY < f < BUBBLE_MARKED]
    span = BUBBLE_MARKED - BUBBLE_EMPTY
    if len(marked) >= 2:
        return _Col(None, "double", written, 0.0, guess)
    if faint:
        return _Col(None, "faint", written, 0.0, guess)
    if len(marked) == 1:
        margin = min(1.0, (top - BUBBLE_MARKED) / span + 0.5) * min(1.0, (BUBBLE_EMPTY - second) / span + 0.5)
        return _Col(col.lo + marked[0], "marked", written, max(0.0, margin), guess)
    margin = min(1.0, (BUBBLE_EMPTY - top) / span + 0.5)
    return _Col(None, "empty", written, max(0.0, margin), None)


def _digits(cols: list[_Col]) -> tuple[str, str | None, str]:
    """(digits, problem, suggestion digits): the number the columns spell, or why they do not.

    Empty columns (no mark, nothing written) may stand before the number and after it; a gap
    between digits, a written digit without its mark, two marks or a faint mark are problems.
    """
    suggestion = "".join(
        str(c.digit if c.digit is not None else (c.guess if c.guess is not None else "")) for c in cols
    )
    if any(c.state == "double" for c in cols):
        return "", "Có cột tô hai ô (có thể là chỗ sửa): xem số viết tay rồi chọn.", suggestion
    if any(c.state == "faint" for c in cols):
        return "", "Có ô tô mờ, tô dở hoặc đã tẩy: xem ảnh rồi xác nhận.", suggestion
    if any(c.state == "empty" and c.written for c in cols):
        return "", "Có chữ số viết tay mà chưa tô ô tròn bên dưới.", suggestion
    marked = [i for i, c in enumerate(cols) if c.state == "marked"]
    if not marked:
        return "", None, ""
    if len(marked) != marked[-1] - marked[0] + 1:
        return "", "Có cột để trống xen giữa các chữ số.", suggestion
    return "".join(str(cols[i].digit) for i in marked), None, suggestion


class Reader:
    def __init__(self, page: Straight, layout: SheetLayout):
        self.layout = layout
        self.s = _Sampler(page)
        raw: dict[tuple[int, int], list[float]] = {}
        per_digit: dict[int, list[float]] = {}
        self.shifts: dict[int, tuple[int, int]] = {}
        self.lost: set[int] = set()  # areas whose printed borders were not found
        self.contrasts: dict[int, tuple[float, float]] = {}
        weak: set[int] = set()
        for ai, area in enumerate(layout.areas):
            rects = [c.write for c in area.columns] + [(b.x, b.y, BOX, BOX) for b in area.boxes]
            if rects:
                shift, strength, contrast = self.s.align(rects)
                self.shifts[ai] = shift
                self.contrasts[ai] = (strength, contrast)
                if strength < ALIGN_MIN and contrast < ALIGN_CONTRAST:
                    (weak if contrast >= ALIGN_WEAK else self.lost).add(ai)
        # faint borders (a small, blurred photo) are taken where the areas nearby, whose borders
        # are clear, say the page lies: a fold or a shadow's edge is where they disagree. An area
        # found far from where its neighbours are (a small area caught on a filled bubble or the
        # next line) is looked for again there.
        for ai in list(self.shifts):
            if ai in self.lost:
                continue
            around = self._neighbours_shift(ai, weak)
            if around is None:
                if ai in weak:
                    self.lost.add(ai)
                continue
            dx, dy = self.shifts[ai]
            if abs(dx - around[0]) <= ALIGN_AGREE and abs(dy - around[1]) <= ALIGN_AGREE:
                continue
            rects = [c.write for c in layout.areas[ai].columns] + [
                (b.x, b.y, BOX, BOX) for b in layout.areas[ai].boxes
            ]
            shift, strength, contrast = self.s.align(rects, near=around)
            self.shifts[ai] = shift
            self.contrasts[ai] = (strength, contrast)
            if contrast < ALIGN_WEAK:
                self.lost.add(ai)
        for ai, area in enumerate(layout.areas):
            self.s.shift = self.shifts.get(ai, (0, 0))
            for ci, col in enumerate(area.columns):
                # against the paper right around the bubble (a fold's shadow, uneven light)
                fills = [self.s.disc(col.x, y) - self.s.paper(col.x, y) for y in col.ys]
                raw[(ai, ci)] = fills
                for d, f in zip(col.digits, fills):
                    per_digit.setdefault(d, []).append(f)
        self.empty_level = {d: min(float(np.median(v)), 0.3) for d, v in per_digit.items()}
        self.fills = {
            key: [f - self.empty_level[d] for d, f in zip(layout.areas[key[0]].columns[key[1]].digits, v)]
            for key, v in raw.items()
        }
        writes, boxes = [], []
        for ai, a in enumerate(layout.areas):
            self.s.shift = self.shifts.get(ai, (0, 0))
            writes += [self.s.ink(*c.write, WRITE_INSET) for c in a.columns]
            boxes += [self.s.rect(b.x, b.y, BOX, BOX, BOX_INSET) for b in a.boxes]
        self.write_level = min(float(np.percentile(writes, 20)), 0.05) if writes else 0.0
        self.box_level = min(float(np.percentile(boxes, 25)), 0.1) if boxes else 0.0

    def _neighbours_shift(self, ai: int, weak: set[int]) -> tuple[int, int] | None:
        """The median shift of the five areas nearest ``ai`` whose borders were found clearly (the
        median: one of them caught on something else does not decide), or None with fewer than 3."""

        def centre(i: int) -> tuple[float, float]:
            x, y, w, h = self.layout.areas[i].rect
            return x + w / 2, y + h / 2

        cx, cy = centre(ai)
        clear = [i for i in self.shifts if i != ai and i not in weak and i not in self.lost]
        nearest = sorted(clear, key=lambda i: (centre(i)[0] - cx) ** 2 + (centre(i)[1] - cy) ** 2)[:5]
        if len(nearest) < 3:
            return None
        return (
            round(float(np.median([self.shifts[i][0] for i in nearest]))),
            round(float(np.median([self.shifts[i][1] for i in nearest]))),
        )

    def read(self) -> list[FieldRead]:
        return [self.read_area(i, a) for i, a in enumerate(self.layout.areas)]

    def read_area(self, ai: int, area: Area) -> FieldRead:
        f = area.field
        rect = _pixels(area.rect)
        if f.kind == "text":
            return FieldRead(f, TEXT, rect=rect, reason="Chữ viết tay: nhìn ảnh và gõ lại.")
        if ai in self.lost:
            return FieldRead(
                f,
                UNCERTAIN,
                rect=rect,
                reason="Không thấy rõ khung các ô ở vùng này (ảnh mờ, tối, gấp hoặc bị che): xem ảnh rồi nhập.",
            )
        self.s.shift = self.shifts.get(ai, (0, 0))
        if f.kind in ("count", "date"):
            cols = []
            for ci, col in enumerate(area.columns):
                written = self.s.ink(*col.write, WRITE_INSET) - self.write_level >= WRITE_INK
                cols.append(_column(col, self.fills[(ai, ci)], written))
            read = self._count(f, cols) if f.kind == "count" else self._date(f, cols)
            read.rect = rect
            read.detail["fills"] = [self.fills[(ai, ci)] for ci in range(len(area.columns))]
            read.detail["written"] = [c.written for c in cols]
            return read
        fills = [self.s.rect(b.x, b.y, BOX, BOX, BOX_INSET) - self.box_level for b in area.boxes]
        read = self._boxes(f, area, fills)
        read.rect = rect
        read.detail["fills"] = fills
        return read

    def _count(self, f: PaperField, cols: list[_Col]) -> FieldRead:
        digits, problem, suggestion = _digits(cols)
        confidence = min(c.margin for c in cols)
        if problem:
            return FieldRead(f, UNCERTAIN, suggestion=_int(suggestion), reason=problem)
        if not digits:
            return _empty(f, confidence)
        return FieldRead(f, OK, value=int(digits), confidence=confidence)

    def _date(self, f: PaperField, cols: list[_Col]) -> FieldRead:
        digits, problem, suggestion = _digits(cols)
        confidence = min(c.margin for c in cols)
        if problem:
            return FieldRead(f, UNCERTAIN, suggestion=_date_of(suggestion), reason=problem)
        if not digits:
            return _empty(f, confidence)
        if len(digits) != 6 or any(c.state != "marked" for c in cols):
            return FieldRead(
                f, UNCERTAIN, suggestion=_date_of(suggestion), reason="Ngày chưa tô đủ ngày, tháng và năm."
            )
        value = _date_of(digits)
        if value is None:
            return FieldRead(
                f, UNCERTAIN, reason=f"Ngày {digits[:2]}/{digits[2:4]}/20{digits[4:]} không có trong lịch."
            )
        return FieldRead(f, OK, value=value, confidence=confidence)

    def _boxes(self, f: PaperField, area: Area, fills: list[float]) -> FieldRead:
        marked = [i for i, v in enumerate(fills) if v >= BOX_MARKED]
        faint = [i for i, v in enumerate(fills) if BOX_EMPTY < v < BOX_MARKED]
        strongest = max(range(len(fills)), key=lambda i: fills[i])
        guess = _box_value(f, area.boxes[strongest].value)
        span = BOX_MARKED - BOX_EMPTY
        if len(marked) >= 2:
            return FieldRead(
                f, UNCERTAIN, suggestion=None, reason="Đánh dấu nhiều hơn một ô: xem ảnh rồi chọn."
            )
        if faint:
            return FieldRead(
                f, UNCERTAIN, suggestion=guess, reason="Có ô đánh dấu mờ hoặc dở: xem ảnh rồi xác nhận."
            )
        if not marked:
            margin = min(1.0, (BOX_EMPTY - max(fills)) / span + 0.5)
            if f.kind == "yesno":
                return FieldRead(f, UNCERTAIN, reason="Chưa đánh dấu «Có» hay «Chưa».", confidence=margin)
            return _empty(f, margin)
        others = [v for i, v in enumerate(fills) if i != marked[0]]
        margin = min(1.0, (fills[marked[0]] - BOX_MARKED) / span + 0.5) * min(
            1.0, (BOX_EMPTY - max(others, default=0.0)) / span + 0.5
        )
        return FieldRead(f, OK, value=_box_value(f, area.boxes[marked[0]].value), confidence=max(0.0, margin))


def _box_value(f: PaperField, code: str) -> Any:
    if f.kind == "yesno":
        return code == "yes"
    return code


def _empty(f: PaperField, confidence: float) -> FieldRead:
    if f.required:
        return FieldRead(f, UNCERTAIN, reason="Mục bắt buộc mà chưa tô.", confidence=confidence)
    return FieldRead(f, EMPTY, confidence=confidence)


def _int(digits: str) -> int | None:
    return int(digits) if digits.isdigit() else None


def _date_of(digits: str) -> date | None:
    if len(digits) != 6 or not digits.isdigit():
        return None
    try:
        return date(2000 + int(digits[4:]), int(digits[2:4]), int(digits[:2]))
    except ValueError:
        return None


def read_marks(page: Straight, layout: SheetLayout) -> list[FieldRead]:
    """Every field of the layout, read from a straightened page."""
    return Reader(page, layout).read()
