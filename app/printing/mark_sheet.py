"""Page 2 of the visit form: the answers of a visit as marks a machine reads back.

Everything is drawn where ``app.scan.layout.sheet_layout()`` says (the reader looks at the same
places): registration marks at the corners, write-in boxes over bubble columns for dates and
counts, boxes for yes/no and choices, ruled lines for free text, and a QR code naming the
enterprise, the form version, the page and the layout. One printed line tells how to fill it with
a ballpoint pen.

The parts that are the same on every page are drawn once per file as a PDF form XObject.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from reportlab.pdfgen.canvas import Canvas

from app.domain import formcode
from app.domain.records import Visit
from app.domain.vnformat import format_date, format_int
from app.domain.vocab import Attitude
from app.printing import qr
from app.printing.document import draw_practice_mark, fit
from app.printing.fonts import SERIF, SERIF_BOLD, SERIF_ITALIC, register
from app.scan.layout import (
    BOX,
    BUBBLE_R,
    LEFT,
    MARK_SIZE,
    PAGE_H,
    PAGE_W,
    RIGHT,
    TOP,
    Label,
    SheetLayout,
    sheet_layout,
    sheet_layouts,
)

if TYPE_CHECKING:
    from app.printing.visit_form import VisitFormData

INSTRUCTION = (
    "Dùng bút bi: viết số vào ô trên cùng rồi tô kín ô tròn của đúng chữ số ở cột dưới nó; "
    "đánh X vào ô vuông. Sửa: gạch chéo ô sai, tô ô đúng."
)
TITLE = "PHIẾU KHẢO SÁT DOANH NGHIỆP"
SUBTITLE = "B. KẾT QUẢ KHẢO SÁT LẦN NÀY"
CONTINUED = " (tiếp)"  # after the subtitle on the sheet's following pages (when its fields overflow)
DIGIT_GREY = 0.55
TEMPLATE = "KhaoSatMarkSheet"


def sheet_code(data: VisitFormData | None, page: int, practice: bool = False) -> str:
    layout = sheet_layout()
    if data is None:
        return formcode.sheet_code(None, None, page, layout.layout_id, practice=practice)
    return formcode.sheet_code(
        data.enterprise.id, data.enterprise.tax_code, page, layout.layout_id, practice=practice
    )


PRACTICE_CLEAR = 8.0  # pt of plain paper kept around what the reader measures, on a practice sheet


def _practice_mark(c: Canvas, layout: SheetLayout) -> None:
    """The practice mark on a sheet page, kept off everything the reader looks at: its areas and
    their frames, the QR code and the registration marks stay on plain paper, as on a real sheet."""
    m = PRACTICE_CLEAR
    clear = [(x - m, y - m, w + 2 * m, h + 2 * m) for x, y, w, h in layout.frames]
    clear += [(x - m, y - m, w + 2 * m, h + 2 * m) for x, y, w, h in (a.rect for a in layout.areas)]
    qx, qy, qs = layout.qr
    clear.append((qx - m, qy - m, qs + 2 * m, qs + 2 * m))
    around = MARK_SIZE * 3  # the reader checks that a mark stands alone on paper
    clear += [(cx - around, cy - around, 2 * around, 2 * around) for cx, cy in layout.marks]
    mm = 72 / 25.4
    draw_practice_mark(c, band_y=PAGE_H - 10 * mm, keep_clear=clear, side_x=(8.5 * mm, PAGE_W - 8.5 * mm))


def _label(c: Canvas, lab: Label) -> None:
    font = {"bold": SERIF_BOLD, "italic": SERIF_ITALIC}.get(lab.style, SERIF)
    c.setFont(font, lab.size)
    if lab.style == "grey":
        c.setFillGray(DIGIT_GREY)
    draw = {"centre": c.drawCentredString, "right": c.drawRightString}.get(lab.align, c.drawString)
    draw(lab.x, lab.y, lab.text)
    c.setFillGray(0)


def _static(c: Canvas, layout: SheetLayout) -> None:
    c.setLineWidth(0.6)
    for cx, cy in layout.marks:
        c.rect(cx - MARK_SIZE / 2, cy - MARK_SIZE / 2, MARK_SIZE, MARK_SIZE, stroke=0, fill=1)
    qx, qy, _qs = layout.qr
    c.setFont(SERIF, 8.5)
    c.drawString(LEFT, TOP - 8, f"Mẫu {formcode.SHEET_VERSION} · KhaoSat · mã mẫu {layout.layout_id}")
    c.setFont(SERIF_BOLD, 13)  # clear of the enterprise's name beside it
    c.drawString(LEFT, TOP - 26, TITLE)
    c.setFont(SERIF_BOLD, 11)
    c.drawString(LEFT, TOP - 40, SUBTITLE + (CONTINUED if layout.page > 2 else ""))
    c.setFont(SERIF_ITALIC, 8)
    c.drawString(LEFT, qy - 1, fit(INSTRUCTION, SERIF_ITALIC, 8, qx - LEFT - 4))
    c.setLineWidth(0.8)
    for x, y, w, h in layout.frames:
        c.roundRect(x, y, w, h, 3, stroke=1, fill=0)
    for lab in layout.labels:
        _label(c, lab)
    for area in layout.areas:
        for lab in area.seps:
            _label(c, lab)
        for col in area.columns:
            c.setLineWidth(0.6)
            c.setStrokeGray(0)
            c.rect(*col.write, stroke=1, fill=0)
            c.setLineWidth(0.5)
            c.setFont(SERIF, 6.3)
            for d, y in zip(col.digits, col.ys):
                c.setStrokeGray(0.25)
                c.circle(col.x, y, BUBBLE_R, stroke=1, fill=0)
                c.setFillGray(DIGIT_GREY)
                c.drawCentredString(col.x, y - 2.2, str(d))
                c.setFillGray(0)
            c.setStrokeGray(0)
        c.setLineWidth(0.7)
        for box in area.boxes:
            c.rect(box.x, box.y, BOX, BOX, stroke=1, fill=0)
        c.setLineWidth(0.5)
        c.setDash(1, 2)
        for x0, x1, y in area.lines:
            c.line(x0, y, x1, y)
        c.setDash()


def sheet_pages() -> tuple[SheetLayout, ...]:
    """The pages of the mark sheet (usually one: the form's page 2; more when the fields overflow)."""
    return sheet_layouts()


def draw_sheet(
    c: Canvas,
    data: VisitFormData | None,
    *,
    unit_title: str,
    printed_on: date,
    page_label: str,
    layout: SheetLayout | None = None,
    practice: bool = False,
) -> None:
    """Draw one page of the mark sheet (default: its first, the form's page 2) on the current page of
    ``c`` (the caller calls ``showPage``). ``practice``: printed from practice data (marked so on
    the page and in its code)."""
    register()
    layout = layout or sheet_layout()
    if practice:
        _practice_mark(c, layout)
    template = TEMPLATE if layout.page == 2 else f"{TEMPLATE}{layout.page}"
    if template not in getattr(c, "_khaosat_forms", set()):
        c.beginForm(template)
        _static(c, layout)
        c.endForm()
        c._khaosat_forms = getattr(c, "_khaosat_forms", set()) | {template}  # type: ignore[attr-defined]
    c.doForm(template)
    qx, qy, qs = layout.qr
    code = sheet_code(data, layout.page, practice)
    qr.draw(c, code, qx, qy, qs)
    name_x = LEFT + 245
    width = qx - name_x - 8
    c.setFont(SERIF, 9)
    if data is not None:
        e = data.enterprise
        c.drawString(name_x, TOP - 8, fit(unit_title.upper(), SERIF, 9, width))
        c.setFont(SERIF_BOLD, 10)
        c.drawString(name_x, TOP - 26, fit(e.name, SERIF_BOLD, 10, width))
        c.setFont(SERIF, 9.5)
        c.drawString(name_x, TOP - 40, fit(f"Mã số thuế: {e.tax_code}", SERIF, 9.5, width))
        _hints(c, layout, data.last_visit)
    else:
        c.drawString(name_x, TOP - 8, fit(unit_title.upper(), SERIF, 9, width))
        c.drawString(name_x, TOP - 26, "Doanh nghiệp:")
        c.drawString(name_x, TOP - 40, "Mã số thuế:")
        c.setDash(1, 2)
        c.line(name_x + 58, TOP - 28, qx - 8, TOP - 28)
        c.line(name_x + 50, TOP - 42, qx - 8, TOP - 42)
        c.setDash()
    c.setFont(SERIF, 8)
    # the footer keeps clear of the corner marks (the reader checks that a mark stands alone)
    footer_y = 12 * 72 / 25.4 - 8
    c.drawString(LEFT + 6 * 72 / 25.4, footer_y, f"Mã phiếu: {code}")
    c.drawRightString(RIGHT - 6 * 72 / 25.4, footer_y, f"In ngày {format_date(printed_on)} · {page_label}")


def part_b_note(c: Canvas, y: float) -> float:
    """On page 1 of a form with a mark sheet: where part B went, and how to fill it in and
    photograph it, with the sheet's own shapes drawn at their size. Returns the bottom."""
    from app.printing.visit_form import LEFT as L1
    from app.printing.visit_form import WIDTH as W1

    c.setFillGray(0.88)
    c.rect(L1, y - 14, W1, 14, stroke=0, fill=1)
    c.setFillGray(0)
    c.setFont(SERIF_BOLD, 10.5)
    c.drawString(L1 + 3, y - 10.5, SUBTITLE)
    c.setFont(SERIF_ITALIC, 9.5)
    c.drawString(
        L1 + 3,
        y - 28,
        f"Ghi và đánh dấu ở {_after()}: KhaoSat đọc lại được khi chụp ảnh hoặc quét phiếu.",
    )
    bottom = _fill_guide(c, L1, y - 40, W1)
    c.rect(L1, bottom, W1, y - bottom, stroke=1, fill=0)
    return bottom


def sheet_pages_text() -> str:
    """«trang 2», or «trang 2 và 3» when the mark sheet continues on another page."""
    n = len(sheet_pages())
    if n == 1:
        return "trang 2"
    if n == 2:
        return "trang 2 và 3"
    return f"trang 2 đến {n + 1}"


def _after() -> str:
    if len(sheet_pages()) == 1:
        return "trang sau (trang 2)"
    return f"các trang sau ({sheet_pages_text()})"


def guide_photo() -> tuple[str, ...]:
    """How to photograph or scan the sheet (as printed on page 1)."""
    if len(sheet_pages()) == 1:
        return GUIDE_PHOTO
    return (
        GUIDE_PHOTO[0],
        f"Chụp cả {sheet_pages_text()}, mỗi trang một ảnh: đủ 4 ô vuông đen ở 4 góc và mã QR.",
        GUIDE_PHOTO[2],
        GUIDE_PHOTO[3],
        "Trong KhaoSat chọn «Đọc phiếu đã điền», chọn cùng lúc ảnh các trang của phiếu theo thứ tự, "
        "xem lại rồi lưu.",
    )


GUIDE_PHOTO = (
    "Đặt phiếu phẳng trên bàn, chỗ đủ sáng; không để bóng tay, bóng điện thoại hay chỗ lóa che phiếu.",
    "Chụp cả trang 2: đủ 4 ô vuông đen ở 4 góc và mã QR.",
    "Cầm máy thẳng phía trên phiếu, giữ yên cho ảnh rõ nét.",
    "Hoặc quét bằng máy quét từ 150 dpi trở lên; nhiều trang chung một tệp PDF cũng được.",
    "Trong KhaoSat chọn «Đọc phiếu đã điền», chọn ảnh hoặc tệp quét, xem lại rồi lưu.",
)


def _fill_guide(c: Canvas, x: float, top: float, width: float) -> float:
    """How to fill part B (a count, a bubble, a box, a correction: drawn as on page 2) and how to
    photograph or scan it. Returns the bottom."""
    from app.printing.document import fit as fit_text
    from app.scan.layout import COL, ROW, WRITE_H

    def bubble(cx: float, cy: float, digit: int | None = None, filled: bool = False) -> None:
        c.setLineWidth(0.5)
        c.setStrokeGray(0.25)
        c.circle(cx, cy, BUBBLE_R, stroke=1, fill=0)
        c.setStrokeGray(0)
        if filled:
            c.circle(cx, cy, BUBBLE_R * 0.92, stroke=0, fill=1)
        elif digit is not None:
            c.setFillGray(DIGIT_GREY)
            c.setFont(SERIF, 6.3)
            c.drawCentredString(cx, cy - 2.2, str(digit))
            c.setFillGray(0)

    c.setFont(SERIF_BOLD, 9.5)
    c.drawString(x + 6, top - 2, f"Cách điền {sheet_pages_text()}")
    # a count: 245 written over three columns, the bubbles of 2, 4 and 5 filled
    c.setFont(SERIF, 8.5)
    c.drawString(x + 6, top - 16, "Số: viết số, tô ô tròn dưới mỗi chữ số")
    col0 = x + 14
    write_y = top - 22 - WRITE_H
    c.setFont(SERIF_ITALIC, 12)
    for i, d in enumerate((2, 4, 5)):
        cx = col0 + i * COL + COL / 2
        c.setLineWidth(0.6)
        c.rect(col0 + i * COL + 0.8, write_y, COL - 1.6, WRITE_H, stroke=1, fill=0)
        c.setFont(SERIF_ITALIC, 12)
        c.drawCentredString(cx, write_y + 3, str(d))
        for k in range(10):
            bubble(cx, write_y - 3 - BUBBLE_R - 1 - k * ROW, k, filled=k == d)
    count_bottom = write_y - 3 - BUBBLE_R - 1 - 9 * ROW - BUBBLE_R
    # bubbles, boxes, a correction
    bx = x + 160
    rows = [
        ("Tô kín ô tròn (đúng):", "filled"),
        ("Không đánh dấu tích, chấm hay tô một nửa:", "wrong"),
        ("Ô vuông: đánh X (hoặc tích) vào ô:", "box"),
        ("Sửa: gạch chéo ô tô sai, tô ô đúng; KhaoSat sẽ hỏi lại để xác nhận:", "fix"),
    ]
    yy = top - 16
    for text, kind in rows:
        c.setFont(SERIF, 8.5)
        c.drawString(bx, yy, text)
        sy = yy - 16
        if kind == "filled":
            bubble(bx + 10, sy, filled=True)
        elif kind == "wrong":
            for i, how in enumerate(("tick", "dot", "half")):
                cx = bx + 10 + i * 22
                bubble(cx, sy, 3 + i)
                c.setLineWidth(1.1)
                if how == "tick":
                    c.line(cx - 3, sy, cx - 1, sy - 3)
                    c.line(cx - 1, sy - 3, cx + 4, sy + 4)
                elif how == "dot":
                    c.circle(cx + 0.5, sy + 0.5, 1.3, stroke=0, fill=1)
                else:
                    p = c.beginPath()
                    p.moveTo(cx - BUBBLE_R * 0.9, sy)
                    p.arcTo(
                        cx - BUBBLE_R * 0.9,
                        sy - BUBBLE_R * 0.9,
                        cx + BUBBLE_R * 0.9,
                        sy + BUBBLE_R * 0.9,
                        180,
                        180,
                    )
                    p.close()
                    c.drawPath(p, stroke=0, fill=1)
                c.setLineWidth(0.5)
        elif kind == "box":
            c.setLineWidth(0.7)
            c.rect(bx + 10 - BOX / 2, sy - BOX / 2, BOX, BOX, stroke=1, fill=0)
            c.setLineWidth(1.1)
            c.line(bx + 10 - BOX / 2 + 1.5, sy - BOX / 2 + 1.5, bx + 10 + BOX / 2 - 1.5, sy + BOX / 2 - 1.5)
            c.line(bx + 10 - BOX / 2 + 1.5, sy + BOX / 2 - 1.5, bx + 10 + BOX / 2 - 1.5, sy - BOX / 2 + 1.5)
            c.setLineWidth(0.5)
        else:
            bubble(bx + 10, sy, filled=True)
            c.setLineWidth(1.4)
            c.setStrokeGray(0)
            c.line(bx + 10 - 6, sy - 6, bx + 10 + 6, sy + 6)
            c.line(bx + 10 - 6, sy + 6, bx + 10 + 6, sy - 6)
            c.setLineWidth(0.5)
            bubble(bx + 10 + COL, sy, filled=True)
        yy = sy - 16
    # photographing or scanning
    yy -= 6
    c.setFont(SERIF_BOLD, 9.5)
    c.drawString(x + 6, min(yy, count_bottom - 14), f"Chụp ảnh hoặc quét {sheet_pages_text()}")
    yy = min(yy, count_bottom - 14) - 14
    c.setFont(SERIF, 8.5)
    for line in guide_photo():
        c.drawString(x + 12, yy, "–")
        c.drawString(x + 20, yy, fit_text(line, SERIF, 8.5, width - 28))
        yy -= 12
    return yy - 4


def _hints(c: Canvas, layout: SheetLayout, last: Visit | None) -> None:
    """Last visit's counts in grey above their columns, so a change stands out."""
    if last is None:
        return
    c.setFillGray(DIGIT_GREY)
    c.setFont(SERIF_ITALIC, 7)
    for area in layout.areas:
        value = getattr(last, area.field.name, None)
        if area.hint is None or value is None:
            continue
        x, y = area.hint
        if area.field.kind == "count":
            c.drawRightString(x, y, f"trước: {format_int(value)}")
        elif area.field.kind == "choice":
            prev = Attitude.parse(value)
            if prev is not None:
                c.drawRightString(x, y, f"trước: {prev.label}")
    c.setFillGray(0)
