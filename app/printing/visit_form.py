"""The visit form (Phiếu khảo sát doanh nghiệp): pre-filled, blank, or a batch in one PDF.

One A4 page per enterprise:
A. what KhaoSat knows (name, tax code, address, owner, workforce, organisations, last visit), to
   check and correct by hand;
B. a box for every field a visit records, numbered, in the order of ``Visit``'s fields (the order
   of the visit entry form on screen), so typing the paper back is a straight run down the form.
   Each count box shows last visit's figure in grey as a hint.
A QR code (top right) and its text (bottom left) name the enterprise and the form version
(``app.printing.qr``); typing or scanning it in the program opens the enterprise.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from datetime import date
from typing import BinaryIO

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from app.domain import units
from app.domain.records import Enterprise, Organisation, Visit
from app.domain.vnformat import format_date, format_int
from app.domain.vocab import (
    ORG_KIND_SHORT,
    VSIC_SECTIONS,
    Attitude,
    EnterpriseStatus,
    LegalForm,
    OrgKind,
    OrgStatus,
)
from app.printing import qr
from app.printing.document import fit, nfc, set_metadata
from app.printing.files import atomic_output
from app.printing.fonts import SERIF, SERIF_BOLD, SERIF_ITALIC, register
from app.reports.forms import VisitFormData

W, H = A4
LEFT = 20 * mm
RIGHT = W - 12 * mm
TOP = H - 12 * mm
BOTTOM = 12 * mm
WIDTH = RIGHT - LEFT
QR_SIZE = 23 * mm
GREY = 0.45

FORM_TITLE = "PHIẾU KHẢO SÁT DOANH NGHIỆP"

# Part B: the visit's fields, grouped into rows, in Visit's field order (tests check the order).
#   ("line", fields)         short entries side by side (dates, names)
#   ("counts", fields)       number boxes side by side
#   ("checks", fields)       tick boxes (which organisations exist)
#   ("choice", [field])      one tick among the choices (the owner's attitude)
#   ("text", [field], lines) ruled lines for free text
FORM_ROWS: list[tuple] = [
    ("line", ["visit_date", "collaborator"]),
    ("line", ["person_met", "person_met_title"]),
    ("counts", ["workforce_total", "workforce_women", "workforce_under30"]),
    ("counts", ["party_total", "party_official", "party_probationary"]),
    ("counts", ["union_members", "youth_members", "women_members", "veterans_members"]),
    ("checks", ["has_party", "has_union", "has_youth", "has_women", "has_veterans"]),
    ("choice", ["attitude"]),
    ("text", ["difficulties"], 4),
    ("text", ["proposals"], 4),
    ("text", ["next_step"], 3),
    ("line", ["next_visit_date"]),
]

DATE_FIELDS = {"visit_date", "next_visit_date"}


def form_fields() -> list[str]:
    """The visit fields of part B in printed order."""
    return [f for row in FORM_ROWS for f in row[1]]


def field_numbers() -> dict[str, int]:
    return {f: i for i, f in enumerate(form_fields(), start=1)}


ProgressFn = Callable[[int, int], None]


class _Form:
    """Draws one form page on a canvas."""

    def __init__(self, c: Canvas, unit_title: str, printed_on: date):
        self.c = c
        self.unit_title = unit_title
        self.printed_on = printed_on
        self.numbers = field_numbers()

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
        return f"{self.numbers[name]}. {Visit.LABELS[name]}"

    def checkbox(self, x: float, y: float, ticked: bool = False, size: float = 9) -> None:
        c = self.c
        c.rect(x, y, size, size, stroke=1, fill=0)
        if ticked:
            c.line(x + 1.5, y + 1.5, x + size - 1.5, y + size - 1.5)
            c.line(x + 1.5, y + size - 1.5, x + size - 1.5, y + 1.5)

    def date_boxes(self, x: float, y: float) -> float:
        """dd / mm / yyyy boxes from x at baseline y; returns the right edge."""
        c = self.c
        h = 13
        for width, sep in ((17, "/"), (17, "/"), (30, "")):
            c.rect(x, y - 3, width, h, stroke=1, fill=0)
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
        c.setLineWidth(0.6)
        y = self.header(data)
        y = self.part_a(data, y - 4)
        y = self.part_b(data.last_visit if data else None, y - 6)
        self.signatures(y - 4)
        self.footer(data, page_no, pages)

    def header(self, data: VisitFormData | None) -> float:
        c = self.c
        unit = self.unit_title
        if data and data.ward_name:
            unit = data.ward_name
        self.text(LEFT, TOP - 10, fit(unit.upper(), SERIF_BOLD, 10, 62 * mm), SERIF_BOLD, 10)
        self.text(LEFT, TOP - 22, f"Mẫu {qr.FORM_VERSION} · KhaoSat", SERIF, 9)
        cx = LEFT + WIDTH / 2 - 6 * mm
        c.setFont(SERIF_BOLD, 15)
        c.drawCentredString(cx, TOP - 34, FORM_TITLE)
        c.setFont(SERIF_ITALIC, 9)
        c.drawCentredString(cx, TOP - 47, "Ghi vào ô trống, đánh dấu X vào ô chọn; nhập lại vào KhaoSat "
                                          "theo đúng số thứ tự các mục.")
        if data is not None:
            code = qr.visit_form_code(data.enterprise.id, data.enterprise.tax_code)
            qr.draw(c, code, RIGHT - QR_SIZE, TOP - QR_SIZE, QR_SIZE)
        else:
            c.setDash(2, 2)
            c.rect(RIGHT - QR_SIZE, TOP - QR_SIZE, QR_SIZE, QR_SIZE, stroke=1, fill=0)
            c.setDash()
            c.setFont(SERIF_ITALIC, 7.5)
            c.drawCentredString(RIGHT - QR_SIZE / 2, TOP - QR_SIZE / 2 + 2, "Phiếu trống:")
            c.drawCentredString(RIGHT - QR_SIZE / 2, TOP - QR_SIZE / 2 - 7, "chưa có mã")
        return TOP - QR_SIZE - 2 * mm

    def part_a(self, data: VisitFormData | None, y: float) -> float:
        c = self.c
        y = self.section(y, "A. THÔNG TIN DOANH NGHIỆP",
                         "đã có trong KhaoSat: kiểm tra, sửa trực tiếp nếu sai" if data else "ghi đầy đủ")
        e = data.enterprise if data else None
        L = Enterprise.LABELS
        col2 = LEFT + WIDTH * 0.58
        row_h = 15.5

        def field(x: float, yy: float, label: str, value: str | None, width: float, bold: bool = False) -> None:
            lab = f"{label}: "
            self.text(x, yy, lab, SERIF, 9.5)
            lw = stringWidth(lab, SERIF, 9.5)
            if value:
                font = SERIF_BOLD if bold else SERIF
                self.text(x + lw, yy, fit(value, font, 10, width - lw - 4), font, 10)
            else:
                c.setDash(1, 2)
                c.line(x + lw, yy - 2, x + width - 6, yy - 2)
                c.setDash()

        yy = y - 12
        field(LEFT + 3, yy, L["name"], e.name if e else None, WIDTH - 6, bold=True)
        yy -= row_h
        form = LegalForm.parse(e.legal_form).label if e and e.legal_form else None  # type: ignore[union-attr]
        field(LEFT + 3, yy, L["tax_code"], e.tax_code if e else None, col2 - LEFT - 3, bold=True)
        field(col2, yy, "Loại hình", form, RIGHT - col2)
        yy -= row_h
        field(LEFT + 3, yy, L["address"], (e.address if e else None), WIDTH - 6)
        yy -= row_h
        field(LEFT + 3, yy, L["owner_name"], e.owner_name if e else None, col2 - LEFT - 3)
        field(col2, yy, L["phone"], e.phone if e else None, RIGHT - col2)
        yy -= row_h
        section = None
        if e and e.vsic_section:
            section = f"{e.vsic_section} - {VSIC_SECTIONS.get(e.vsic_section, '')}"
        field(LEFT + 3, yy, L["vsic_section"], section, col2 - LEFT - 3)
        status = EnterpriseStatus.parse(e.status).label if e else None  # type: ignore[union-attr]
        field(col2, yy, "Tình trạng", status, RIGHT - col2)
        yy -= row_h
        if e:
            wf = (f"tổng {format_int(e.workforce_total) or '?'}, nữ {format_int(e.workforce_women) or '?'}, "
                  f"dưới 30 tuổi {format_int(e.workforce_under30) or '?'}")
            field(LEFT + 3, yy, "Lao động theo hồ sơ", wf, WIDTH - 6)
        else:
            field(LEFT + 3, yy, L["year_founded"], None, col2 - LEFT - 3)
            field(col2, yy, L["email"], None, RIGHT - col2)
        yy -= 6
        yy = self.org_table(data, yy)
        yy = self.last_visit_lines(data, yy)
        c.rect(LEFT, yy, WIDTH, y - yy, stroke=1, fill=0)
        return yy

    def org_table(self, data: VisitFormData | None, y: float) -> float:
        c = self.c
        cw = (WIDTH - 6) / 5
        x0 = LEFT + 3
        self.text(x0, y - 9, "Tổ chức hiện có trong doanh nghiệp:", SERIF_BOLD, 9.5)
        top = y - 13
        rows = 3 if data else 2
        h = 12 * rows + 2
        c.rect(x0, top - h, WIDTH - 6, h, stroke=1, fill=0)
        c.line(x0, top - 13, x0 + WIDTH - 6, top - 13)
        by_kind: dict[OrgKind, Organisation] = {}
        if data:
            for o in data.organisations:
                kind = OrgKind.parse(o.kind)
                if kind is not None and _rank(o) >= _rank(by_kind.get(kind)):
                    by_kind[kind] = o  # type: ignore[index]
        for i, kind in enumerate(OrgKind):
            x = x0 + i * cw
            if i:
                c.line(x, top, x, top - h)
            c.setFont(SERIF_BOLD, 9)
            c.drawCentredString(x + cw / 2, top - 9.5, ORG_KIND_SHORT[kind])
            if data:
                line1, line2 = _org_lines(by_kind.get(kind))
                c.setFont(SERIF, 8.5)
                c.drawCentredString(x + cw / 2, top - 22, fit(line1, SERIF, 8.5, cw - 4))
                c.drawCentredString(x + cw / 2, top - 33, fit(line2, SERIF, 8.5, cw - 4))
            else:
                self.checkbox(x + 4, top - 24, size=8)
                self.text(x + 14, top - 22.5, "có", SERIF, 8.5)
                self.checkbox(x + cw / 2, top - 24, size=8)
                self.text(x + cw / 2 + 10, top - 22.5, "chưa có", SERIF, 8.5)
        return top - h - 2

    def last_visit_lines(self, data: VisitFormData | None, y: float) -> float:
        if data is None:
            return y - 2
        v = data.last_visit
        x = LEFT + 3
        yy = y - 10
        if v is None:
            self.text(x, yy, "Lần khảo sát trước: chưa có (đây là lần khảo sát đầu tiên).", SERIF_ITALIC, 9.5)
            return yy - 5
        att = Attitude.parse(v.attitude)
        parts = [f"Lần khảo sát trước: {format_date(v.visit_date)}"]
        if v.collaborator:
            parts.append(f"cộng tác viên {v.collaborator}")
        if v.person_met:
            parts.append(f"gặp {v.person_met}" + (f" ({v.person_met_title})" if v.person_met_title else ""))
        if att is not None:
            parts.append(f"thái độ: {att.label}")
        self.text(x, yy, fit("; ".join(parts) + ".", SERIF, 9.5, WIDTH - 6), SERIF, 9.5)
        yy -= 11.5
        nxt = []
        if v.next_step:
            nxt.append(f"Hướng tiếp theo: {v.next_step}")
        if v.next_visit_date:
            nxt.append(f"hẹn lần sau: {format_date(v.next_visit_date)}")
        if nxt:
            self.text(x, yy, fit("; ".join(nxt) + ".", SERIF, 9.5, WIDTH - 6), SERIF, 9.5)
            yy -= 11.5
        return yy + 6

    def part_b(self, last: Visit | None, y: float) -> float:
        c = self.c
        y = self.section(y, "B. KẾT QUẢ KHẢO SÁT LẦN NÀY",
                         "số in mờ trong ô: số liệu lần khảo sát trước" if last else "ghi theo thứ tự các mục")
        top = y
        x0 = LEFT + 3
        inner = WIDTH - 6
        y -= 4
        for row in FORM_ROWS:
            kind, fields = row[0], row[1]
            if kind == "line":
                n = len(fields)
                cw = inner / n
                for i, f in enumerate(fields):
                    x = x0 + i * cw
                    lab = self.label(f) + ":"
                    self.text(x, y - 12, lab, SERIF, 9.5)
                    lx = x + stringWidth(lab, SERIF, 9.5) + 4
                    if f in DATE_FIELDS:
                        self.date_boxes(lx, y - 12)
                    else:
                        c.setDash(1, 2)
                        c.line(lx, y - 14, x + cw - 8, y - 14)
                        c.setDash()
                    hint = getattr(last, f, None) if last else None
                    if hint and f not in DATE_FIELDS:
                        self.grey_text(x + cw - 8, y - 12, fit(f"trước: {hint}", SERIF_ITALIC, 8, cw / 2.6),
                                       right=True)
                y -= 20
            elif kind == "counts":
                n = len(fields)
                cw = inner / n
                for i, f in enumerate(fields):
                    x = x0 + i * cw
                    self.text(x, y - 10, fit(self.label(f), SERIF, 9, cw - 4), SERIF, 9)
                    bw = min(cw - 10, 62)
                    c.rect(x, y - 30, bw, 16, stroke=1, fill=0)
                    value = getattr(last, f, None) if last else None
                    if value is not None:
                        self.grey_text(x + bw - 2, y - 26.5, f"trước: {format_int(value)}", 7.5, right=True)
                y -= 35
            elif kind == "checks":
                self.text(x0, y - 10, f"{self.numbers[fields[0]]}–{self.numbers[fields[-1]]}. "
                          "Tổ chức đã có (đánh dấu X):", SERIF, 9.5)
                cw = inner / 3
                for i, f in enumerate(fields):
                    r, col = divmod(i, 3)
                    x = x0 + col * cw
                    yy = y - 24 - r * 13
                    self.checkbox(x, yy - 1.5)
                    had = " (trước: có)" if last is not None and getattr(last, f) else ""
                    name = Visit.LABELS[f].removeprefix("Đã có ")
                    label = f"{self.numbers[f]}. {name[:1].upper()}{name[1:]}"
                    self.text(x + 13, yy, label, SERIF, 9.5)
                    if had:
                        self.grey_text(x + 13 + stringWidth(label, SERIF, 9.5) + 2, yy, had, 7.5)
                y -= 24 + 13 + 6
            elif kind == "choice":
                f = fields[0]
                lab = self.label(f) + ":"
                self.text(x0, y - 11, lab, SERIF, 9.5)
                x = x0 + stringWidth(lab, SERIF, 9.5) + 10
                prev = Attitude.parse(last.attitude) if last else None
                for a in Attitude:
                    self.checkbox(x, y - 12.5)
                    self.text(x + 13, y - 11, a.label, SERIF, 9.5)
                    x += 13 + stringWidth(a.label, SERIF, 9.5) + 16
                if prev is not None:
                    self.grey_text(RIGHT - 6, y - 11, f"trước: {prev.label}", 7.5, right=True)
                y -= 18
            elif kind == "text":
                f, lines = fields[0], row[2]
                self.text(x0, y - 10, self.label(f) + ":", SERIF, 9.5)
                y -= 12
                c.setDash(1, 2)
                for _ in range(lines):
                    y -= 14
                    c.line(x0, y, x0 + inner, y)
                c.setDash()
                y -= 4
        c.rect(LEFT, y, WIDTH, top - y, stroke=1, fill=0)
        return y

    def signatures(self, y: float) -> None:
        c = self.c
        half = WIDTH / 2
        for i, (who, note) in enumerate((("ĐẠI DIỆN DOANH NGHIỆP", "(Ký, ghi rõ họ tên)"),
                                         ("CỘNG TÁC VIÊN", "(Ký, ghi rõ họ tên)"))):
            cx = LEFT + half * i + half / 2
            c.setFont(SERIF_BOLD, 10)
            c.drawCentredString(cx, y - 11, who)
            c.setFont(SERIF_ITALIC, 9)
            c.drawCentredString(cx, y - 22, note)

    def footer(self, data: VisitFormData | None, page_no: int, pages: int) -> None:
        c = self.c
        c.setLineWidth(0.4)
        c.line(LEFT, BOTTOM + 9, RIGHT, BOTTOM + 9)
        c.setFont(SERIF, 8)
        if data is not None:
            code = qr.visit_form_code(data.enterprise.id, data.enterprise.tax_code)
            c.drawString(LEFT, BOTTOM, f"Mã phiếu: {code}")
        else:
            c.drawString(LEFT, BOTTOM, f"Phiếu trống mẫu {qr.FORM_VERSION}")
        c.drawCentredString(LEFT + WIDTH * 0.68, BOTTOM, f"In ngày {format_date(self.printed_on)}")
        c.drawRightString(RIGHT, BOTTOM, f"Trang {page_no}/{pages}")


def _rank(o: Organisation | None) -> int:
    if o is None:
        return -1
    order = {OrgStatus.NONE: 0, OrgStatus.DISSOLVED: 1, OrgStatus.MOBILISING: 2, OrgStatus.FOUNDED: 3}
    return order.get(OrgStatus.parse(o.status), 0)  # type: ignore[arg-type]


def _org_lines(o: Organisation | None) -> tuple[str, str]:
    if o is None:
        return "Chưa có", ""
    status = OrgStatus.parse(o.status)
    if status is OrgStatus.FOUNDED:
        line2 = f"{format_int(o.members)} thành viên" if o.members is not None else ""
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
) -> None:
    """Write one page per form (``None``: a blank form) into one PDF, pages numbered "Trang i/N".

    ``progress(done, total)`` is called after each page; it may raise to cancel (nothing is
    written under the real name then).
    """
    register()
    printed_on = printed_on or date.today()
    if isinstance(out, (str, os.PathLike)):
        with atomic_output(out) as fh:
            _render(fh, forms, unit_title, printed_on, progress)
    else:
        _render(out, forms, unit_title, printed_on, progress)


def _render(fh: BinaryIO, forms: Sequence[VisitFormData | None], unit_title: str, printed_on: date,
            progress: ProgressFn | None) -> None:
    c = Canvas(fh, pagesize=A4, pageCompression=1, initialFontName=SERIF, initialFontSize=10)
    many = len(forms) > 1
    title = "Phiếu khảo sát doanh nghiệp" + (f" ({format_int(len(forms))} phiếu)" if many else "")
    if len(forms) == 1 and forms[0] is not None:
        title += f": {nfc(forms[0].enterprise.name)}"
    set_metadata(c, title, "KhaoSat")
    page = _Form(c, nfc(unit_title), printed_on)
    total = len(forms)
    for i, data in enumerate(forms, start=1):
        page.page(_nfc_data(data), i, total)
        c.showPage()
        if progress:
            progress(i, total)
    c.save()


def _nfc_data(data: VisitFormData | None) -> VisitFormData | None:
    """A copy with every text value NFC (stored text is NFC already; this guards the rest)."""
    if data is None:
        return None
    import dataclasses

    def norm(rec):
        if rec is None:
            return None
        changes = {f.name: nfc(getattr(rec, f.name)) for f in dataclasses.fields(rec)
                   if isinstance(getattr(rec, f.name), str) and not hasattr(getattr(rec, f.name), "label")}
        return dataclasses.replace(rec, **changes)

    return VisitFormData(norm(data.enterprise), norm(data.last_visit), [norm(o) for o in data.organisations],
                         nfc(data.ward_name) if data.ward_name else None)


def unit_title_for(unit_code: str | None) -> str:
    u = units.unit(unit_code)
    return u.name if u else ""
