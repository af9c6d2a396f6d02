"""The report of results as a Vietnamese administrative document (PDF).

Header (issuing body, number, motto, place and date), title, body with the tables of
``app.reports.results.ResultsReport``, a chart of achieved against target, and the signature
block. Pages after the first are numbered at the top centre (Nghị định 30/2020).
"""

from __future__ import annotations

import io
import os
from datetime import date
from typing import Any, BinaryIO
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    KeepTogether,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from app.domain.vnformat import format_date, format_int
from app.domain.vocab import ORG_KIND_SHORT, OrgKind, QualityLevel
from app.fileio import atomic_output
from app.printing.document import (
    CONTENT_WIDTH,
    MARGIN_BOTTOM,
    MARGIN_LEFT,
    MARGIN_RIGHT,
    MARGIN_TOP,
    PAGE_HEIGHT,
    PAGE_WIDTH,
    AdminHeader,
    SignatureBlock,
    draw_admin_header,
    draw_practice_mark,
    draw_signature_block,
    nfc,
    printable,
)
from app.printing.fonts import SERIF, SERIF_BOLD, SERIF_ITALIC, register
from app.reports.development import KINDS, LEVELS, Development
from app.reports.results import ResultsReport
from app.reports.settings import ReportSettings

REPORT_TITLE = "BÁO CÁO"
REPORT_SUBJECT = (
    "Kết quả khảo sát doanh nghiệp và xây dựng tổ chức đảng, đoàn thể "
    "trong doanh nghiệp ngoài khu vực nhà nước"
)
WARD_TABLE_KIND = {
    OrgKind.PARTY: "Đảng",
    OrgKind.UNION: "CĐ",
    OrgKind.YOUTH: "Đoàn",
    OrgKind.WOMEN: "PN",
    OrgKind.VETERANS: "CCB",
}
ROUNDING_NOTE = {
    "half_up": "Tỷ lệ phần trăm làm tròn đến hai chữ số thập phân (từ 5 trở lên làm tròn lên).",
    "truncate": "Tỷ lệ phần trăm lấy hai chữ số thập phân, bỏ phần sau (không làm tròn lên).",
}


def _styles() -> dict[str, ParagraphStyle]:
    register()
    body = ParagraphStyle(
        "body",
        fontName=SERIF,
        fontSize=13,
        leading=17,
        alignment=TA_JUSTIFY,
        firstLineIndent=10 * mm,
        spaceAfter=4,
    )
    return {
        "body": body,
        "title": ParagraphStyle(
            "title",
            parent=body,
            fontName=SERIF_BOLD,
            fontSize=14,
            leading=18,
            alignment=TA_CENTER,
            firstLineIndent=0,
            spaceAfter=0,
        ),
        "subtitle": ParagraphStyle(
            "subtitle",
            parent=body,
            fontName=SERIF_BOLD,
            fontSize=13,
            leading=17,
            alignment=TA_CENTER,
            firstLineIndent=0,
        ),
        "heading": ParagraphStyle(
            "heading", parent=body, fontName=SERIF_BOLD, firstLineIndent=0, spaceBefore=6, keepWithNext=1
        ),
        "bullet": ParagraphStyle("bullet", parent=body),
        "note": ParagraphStyle(
            "note", parent=body, fontName=SERIF_ITALIC, fontSize=11, leading=14, firstLineIndent=0
        ),
        "cell": ParagraphStyle("cell", fontName=SERIF, fontSize=10.5, leading=12.5),
        "cellc": ParagraphStyle("cellc", fontName=SERIF, fontSize=10.5, leading=12.5, alignment=TA_CENTER),
        "head": ParagraphStyle("head", fontName=SERIF_BOLD, fontSize=10.5, leading=12.5, alignment=TA_CENTER),
    }


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(printable(text)), style)


class _Drawn(Flowable):
    """A flowable drawn by a function of (canvas, x, top) that returns the bottom y."""

    def __init__(self, draw, height: float):
        super().__init__()
        self._draw = draw
        self.height = height

    def wrap(self, aw, ah):
        return CONTENT_WIDTH, self.height

    def draw(self):
        # the drawing functions use page coordinates: undo the frame's offset
        self.canv.translate(-MARGIN_LEFT, 0)
        self._draw(self.canv, self.height)


def _measure(draw) -> float:
    """Height used by a canvas drawing function (dry run on a throwaway canvas)."""
    c = Canvas(io.BytesIO())
    top = PAGE_HEIGHT
    return top - draw(c, top)


class AchievementChart(Flowable):
    """Bars of achieved (dark) against target (outlined) per organisation kind; two panels."""

    def __init__(self, report: ResultsReport, height: float = 62 * mm):
        super().__init__()
        self.report = report
        self.height = height

    def wrap(self, aw, ah):
        return CONTENT_WIDTH, self.height

    def draw(self):
        c = self.canv
        gap = 8 * mm
        pw = (CONTENT_WIDTH - gap) / 2
        panels = [
            ("Thành lập tổ chức mới", [(k.kind, k.founded) for k in self.report.kinds]),
            ("Kết nạp thành viên mới", [(k.kind, k.admitted) for k in self.report.kinds]),
        ]
        for i, (title, items) in enumerate(panels):
            self._panel(c, i * (pw + gap), 0, pw, self.height, title, items)
        # legend
        c.setFont(SERIF, 9)
        lx = 0
        c.setFillColor(colors.HexColor("#8a1c1c"))
        c.rect(lx, -12, 8, 8, stroke=0, fill=1)
        c.setFillColor(colors.black)
        c.drawString(lx + 11, -11, "Đã đạt")
        c.setFillColor(colors.white)
        c.rect(lx + 55, -12, 8, 8, stroke=1, fill=1)
        c.setFillColor(colors.black)
        c.drawString(lx + 66, -11, "Chỉ tiêu")

    def _panel(self, c, x0, y0, w, h, title, items):
        c.setFont(SERIF_BOLD, 10.5)
        c.drawCentredString(x0 + w / 2, y0 + h - 10, title)
        plot_top = y0 + h - 24
        plot_bottom = y0 + 30
        top_value = max([1] + [max(a.achieved, a.target or 0) for _, a in items])
        scale = (plot_top - plot_bottom) / top_value
        c.setLineWidth(0.5)
        c.line(x0, plot_bottom, x0 + w, plot_bottom)
        slot = w / len(items)
        bw = min(14, slot / 3)
        for i, (kind, a) in enumerate(items):
            cx = x0 + slot * i + slot / 2
            # target: outlined bar on the right; achieved: filled bar on the left
            if a.target is not None:
                c.setFillColor(colors.white)
                c.rect(cx + 1, plot_bottom, bw, a.target * scale, stroke=1, fill=1)
            c.setFillColor(colors.HexColor("#8a1c1c"))
            c.rect(cx - bw - 1, plot_bottom, bw, a.achieved * scale, stroke=0, fill=1)
            c.setFillColor(colors.black)
            c.setFont(SERIF, 8.5)
            c.drawCentredString(cx - bw / 2 - 1, plot_bottom + a.achieved * scale + 2, format_int(a.achieved))
            if a.target is not None:
                c.drawCentredString(cx + bw / 2 + 1, plot_bottom + a.target * scale + 2, format_int(a.target))
            c.setFont(SERIF, 9)
            c.drawCentredString(cx, plot_bottom - 10, ORG_KIND_SHORT[kind])
            c.setFont(SERIF_ITALIC, 8)
            verdict, _, value = (a.short or "không giao").partition(" ")
            c.drawCentredString(cx, plot_bottom - 19, verdict)
            c.drawCentredString(cx, plot_bottom - 27, value)


def _table(rows, widths, header_rows=1, spans=(), total_row=False) -> Table:
    t = Table(rows, colWidths=widths, repeatRows=header_rows)
    style = [
        ("FONT", (0, 0), (-1, -1), SERIF, 10.5),
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("ALIGN", (1, header_rows), (-1, -1), "RIGHT"),
        ("BACKGROUND", (0, 0), (-1, header_rows - 1), colors.HexColor("#eeeeee")),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    for span in spans:
        style.append(("SPAN", *span))
    if total_row:
        style.append(("FONT", (0, -1), (-1, -1), SERIF_BOLD, 10.5))
    t.setStyle(TableStyle(style))
    return t


def build_story(report: ResultsReport, settings: ReportSettings) -> list:
    st = _styles()
    n = format_int
    story: list = []
    story.append(_p(REPORT_TITLE, st["title"]))
    story.append(_p(f"{REPORT_SUBJECT} {report.period.label}", st["subtitle"]))
    mid = MARGIN_LEFT + CONTENT_WIDTH / 2
    story.append(_Drawn(lambda c, h: c.line(mid - 20 * mm, h - 2, mid + 20 * mm, h - 2), 8))
    story.append(
        _p(
            f"{report.unit_name} báo cáo kết quả khảo sát doanh nghiệp và xây dựng tổ chức đảng, "
            f"đoàn thể trong doanh nghiệp ngoài khu vực nhà nước {report.period.label} như sau:",
            st["body"],
        )
    )

    # I. enterprises
    story.append(_p("I. TÌNH HÌNH DOANH NGHIỆP", st["heading"]))
    low, high = report.thresholds
    wf = {r.code: r for r in report.workforce}
    story.append(
        _p(
            f"Trên địa bàn có {n(report.enterprises)} doanh nghiệp đang hoạt động (kể cả tạm ngừng) với "
            f"{n(report.workers)} lao động; trong đó {n(wf['large'].enterprises)} doanh nghiệp từ {n(high)} lao động "
            f"trở lên, {n(wf['medium'].enterprises)} doanh nghiệp từ {n(low)} đến {n(high - 1)} lao động.",
            st["body"],
        )
    )
    rows: list[list[Any]] = [
        [
            _p(h, st["head"])
            for h in (
                "Quy mô lao động",
                "Số doanh nghiệp",
                "Số lao động",
                "Có tổ chức đảng",
                "Có công đoàn cơ sở",
            )
        ]
    ]
    for r in report.workforce:
        rows.append(
            [_p(r.label, st["cell"]), n(r.enterprises), n(r.workers), n(r.with_party), n(r.with_union)]
        )
    rows.append(
        [
            "Tổng cộng",
            n(report.enterprises),
            n(report.workers),
            n(sum(r.with_party for r in report.workforce)),
            n(sum(r.with_union for r in report.workforce)),
        ]
    )
    story.append(_table(rows, [55 * mm, 27 * mm, 28 * mm, 27 * mm, 28 * mm], total_row=True))
    story.append(Spacer(1, 6))

    # II. results against targets
    story.append(_p("II. KẾT QUẢ THÀNH LẬP TỔ CHỨC VÀ PHÁT TRIỂN THÀNH VIÊN", st["heading"]))
    for k in report.kinds:
        f, a = k.founded, k.admitted
        founded = (
            f"thành lập mới {f.ratio} tổ chức" + (f", {f.short} chỉ tiêu" if f.short else "")
            if f.target is not None
            else f"thành lập mới {n(f.achieved)} tổ chức (không giao chỉ tiêu)"
        )
        admitted = (
            f"kết nạp {a.ratio} {k.member_noun} mới" + (f", {a.short}" if a.short else "")
            if a.target is not None
            else f"kết nạp {n(a.achieved)} {k.member_noun} mới (không giao chỉ tiêu)"
        )
        story.append(
            _p(
                f"- {k.label}: {founded}; {admitted}; hiện có {n(k.organisations)} tổ chức với "
                f"{n(k.members)} {k.member_noun}.",
                st["bullet"],
            )
        )
    rows = [
        [
            _p("Loại tổ chức", st["head"]),
            _p("Hiện có", st["head"]),
            "",
            _p("Thành lập mới", st["head"]),
            "",
            _p("Kết nạp mới", st["head"]),
            "",
        ],
        [
            "",
            _p("Tổ chức", st["head"]),
            _p("Thành viên", st["head"]),
            _p("Đạt/chỉ tiêu", st["head"]),
            _p("Tỷ lệ", st["head"]),
            _p("Đạt/chỉ tiêu", st["head"]),
            _p("Tỷ lệ", st["head"]),
        ],
    ]
    for k in report.kinds:
        rows.append(
            [
                _p(k.label, st["cell"]),
                n(k.organisations),
                n(k.members),
                k.founded.ratio,
                k.founded.short or "–",
                k.admitted.ratio,
                k.admitted.short or "–",
            ]
        )
    story.append(
        KeepTogether(
            _table(
                rows,
                [34 * mm, 16 * mm, 20 * mm, 21 * mm, 26 * mm, 21 * mm, 27 * mm],
                header_rows=2,
                spans=[((0, 0), (0, 1)), ((1, 0), (2, 0)), ((3, 0), (4, 0)), ((5, 0), (6, 0))],
            )
        )
    )
    story.append(Spacer(1, 4))
    if report.targets_set:
        story.append(
            _p(
                f"Có {report.targets_reached}/{report.targets_set} chỉ tiêu đạt và vượt "
                f"({report.target_source}).",
                st["body"],
            )
        )
    else:
        story.append(_p(f"Kỳ này {report.target_source}.", st["body"]))
    story.append(_p(ROUNDING_NOTE[report.rounding.value], st["note"]))
    story.append(Spacer(1, 4))
    story.append(
        KeepTogether(
            [
                _p("Biểu đồ: kết quả so với chỉ tiêu", st["heading"]),
                Spacer(1, 2),
                AchievementChart(report),
                Spacer(1, 16),
            ]
        )
    )

    if report.development is not None:
        story.extend(_development_story(report.development, report.period.label, st))

    # VI. by ward (offices above a ward)
    if report.wards:
        story.append(_p("VI. KẾT QUẢ THEO PHƯỜNG, XÃ", st["heading"]))
        kinds = list(OrgKind)
        head1 = (
            [_p("Phường, xã", st["head"]), _p("Số DN", st["head"]), _p("Thành lập tổ chức mới", st["head"])]
            + [""] * 4
            + [_p("Kết nạp thành viên mới", st["head"])]
            + [""] * 4
        )
        head2 = ["", ""] + [_p(WARD_TABLE_KIND[k], st["head"]) for k in kinds] * 2
        rows: list[list[Any]] = [head1, head2]
        for w in report.wards:
            rows.append(
                [_p(w.name, st["cell"]), n(w.enterprises)]
                + [n(w.founded[k]) for k in kinds]
                + [n(w.admitted[k]) for k in kinds]
            )
        rows.append(
            ["Tổng cộng", n(sum(w.enterprises for w in report.wards))]
            + [n(sum(w.founded[k] for w in report.wards)) for k in kinds]
            + [n(sum(w.admitted[k] for w in report.wards)) for k in kinds]
        )
        widths = [36 * mm, 13 * mm] + [11.6 * mm] * 10
        t = _table(
            rows,
            widths,
            header_rows=2,
            total_row=True,
            spans=[((0, 0), (0, 1)), ((1, 0), (1, 1)), ((2, 0), (6, 0)), ((7, 0), (11, 0))],
        )
        t.setStyle(
            TableStyle(
                [
                    ("FONT", (0, 2), (-1, -2), SERIF, 9.5),
                    ("FONT", (0, -1), (-1, -1), SERIF_BOLD, 9.5),
                    ("LEFTPADDING", (0, 0), (-1, -1), 2),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 2),
                ]
            )
        )
        story.append(t)
        story.append(
            _p(
                "Viết tắt: CĐ: công đoàn cơ sở; Đoàn: Đoàn thanh niên; PN: Hội phụ nữ; "
                "CCB: Hội Cựu chiến binh; DN: doanh nghiệp đang hoạt động.",
                st["note"],
            )
        )
        story.append(Spacer(1, 4))
        if report.development is not None and report.development.wards:
            story.extend(_development_wards(report.development, st))
        story.append(Spacer(1, 10))

    sig = SignatureBlock(settings.recipients, settings.signer_capacity, settings.signer_name)
    height = _measure(lambda c, top: draw_signature_block(c, sig, top))
    story.append(KeepTogether([Spacer(1, 6), _Drawn(lambda c, h: draw_signature_block(c, sig, h), height)]))
    return story


LEVEL_SHORT = {
    QualityLevel.EXCELLENT: "HTXS",
    QualityLevel.GOOD: "HTT",
    QualityLevel.FULFILLED: "HT",
    QualityLevel.FAILED: "KHT",
}


def _development_story(d: Development, period_label: str, st: dict[str, ParagraphStyle]) -> list:
    """III. founding opportunities, IV. the pool of candidates and probation, V. quality levels."""
    n = format_int
    out: list = []
    o, pool, pr, q = d.opportunities, d.pool, d.probation, d.quality

    out.append(_p("III. DOANH NGHIỆP ĐỦ ĐIỀU KIỆN THÀNH LẬP TỔ CHỨC", st["heading"]))
    out.append(
        _p(
            f"Tại thời điểm báo cáo có {n(o.enterprises)} doanh nghiệp đang hoạt động mà lần khảo sát gần "
            "nhất đã có đủ số người tối thiểu để thành lập tổ chức nhưng chưa thành lập:",
            st["body"],
        )
    )
    rows: list[list[Paragraph | str]] = [
        [_p(h, st["head"]) for h in ("Loại tổ chức", "Số tối thiểu", "Số doanh nghiệp")]
    ]
    for kind in KINDS:
        minimum = o.minimums.get(kind)
        rows.append(
            [
                _p(kind.label, st["cell"]),
                n(minimum) if minimum else "chưa đặt",
                n(o.by_kind[kind]) if minimum else "–",
            ]
        )
    out.append(KeepTogether(_table(rows, [70 * mm, 35 * mm, 40 * mm])))
    out.append(Spacer(1, 6))

    out.append(_p("IV. NGUỒN PHÁT TRIỂN ĐẢNG VIÊN VÀ CHUYỂN ĐẢNG VIÊN CHÍNH THỨC", st["heading"]))
    out.append(
        _p(
            f"Theo lần khảo sát gần nhất, {n(pool.enterprises)} doanh nghiệp có quần chúng ưu tú đang được "
            f"theo dõi, bồi dưỡng: {n(pool.identified)} người, trong đó {n(pool.trained)} người đã học lớp "
            f"bồi dưỡng nhận thức về Đảng, {n(pool.applied)} người có đơn xin vào Đảng; "
            f"{period_label} kết nạp {n(pool.admitted)} đảng viên mới.",
            st["body"],
        )
    )
    late = (
        f"{n(pr.overdue)} trường hợp ({n(pr.overdue_people)} người) đã hết 12 tháng dự bị nhưng chưa "
        "có quyết định công nhận"
        if pr.overdue
        else "không có trường hợp nào hết dự bị mà chưa có quyết định công nhận"
    )
    out.append(
        _p(
            f"Công nhận đảng viên chính thức: {n(pr.people)} người ({n(pr.decisions)} quyết định)"
            + (f", {n(pr.not_recognised)} người không được công nhận" if pr.not_recognised else "")
            + f"; {n(pr.due)} người hết thời gian dự bị trong kỳ. Đến ngày {format_date(pr.as_of)}, "
            f"{late}; còn {n(pr.probationary)} đảng viên dự bị.",
            st["body"],
        )
    )
    heads = (
        "Quần chúng ưu tú",
        "Đã học lớp nhận thức",
        "Có đơn xin vào Đảng",
        "Kết nạp trong kỳ",
        "Công nhận chính thức",
        "Quá hạn chưa công nhận (người)",
    )
    rows = [
        [_p(h, st["head"]) for h in heads],
        [
            n(pool.identified),
            n(pool.trained),
            n(pool.applied),
            n(pool.admitted),
            n(pr.people),
            n(pr.overdue_people),
        ],
    ]
    t = _table(rows, [26.5 * mm] * 6)
    t.setStyle(TableStyle([("ALIGN", (0, 1), (-1, -1), "RIGHT")]))
    out.append(KeepTogether(t))
    out.append(Spacer(1, 6))

    out.append(_p(f"V. XẾP LOẠI CHẤT LƯỢNG TỔ CHỨC NĂM {q.year}", st["heading"]))
    if q.year_note:
        out.append(_p(f"({q.year_note[0].upper()}{q.year_note[1:]}.)", st["note"]))
    head: list[Paragraph | str] = [_p("Loại tổ chức", st["head"])]
    head += [_p(lv.label, st["head"]) for lv in LEVELS] + [_p("Chưa xếp loại", st["head"])]
    rows = [head]
    for kind in KINDS:
        rows.append(
            [_p(kind.label, st["cell"]), *(n(q.levels[kind][lv]) for lv in LEVELS), n(q.not_rated[kind])]
        )
    rows.append(["Tổng cộng", *(n(q.total(lv)) for lv in LEVELS), n(sum(q.not_rated.values()))])
    out.append(KeepTogether(_table(rows, [40 * mm] + [25 * mm] * 5, total_row=True)))
    out.append(Spacer(1, 6))
    return out


def _development_wards(d: Development, st: dict[str, ParagraphStyle]) -> list:
    """The ward table of section VI, second part: opportunities, pool, probation, quality levels."""
    n = format_int
    head1 = (
        [_p("Phường, xã", st["head"]), _p("DN đủ ĐK", st["head"]), _p("Nguồn", st["head"]), ""]
        + [_p("Chính thức", st["head"]), ""]
        + [_p(f"Xếp loại năm {d.quality.year}", st["head"])]
        + [""] * 3
    )
    head2 = (
        ["", "", _p("QCƯT", st["head"]), _p("Có đơn", st["head"])]
        + [_p("Công nhận", st["head"]), _p("Quá hạn", st["head"])]
        + [_p(LEVEL_SHORT[lv], st["head"]) for lv in LEVELS]
    )
    rows = [head1, head2]
    for w in d.wards:
        rows.append(
            [_p(w.name, st["cell"]), n(w.opportunities), n(w.identified), n(w.applied)]
            + [n(w.recognised), n(w.overdue)]
            + [n(w.levels[lv]) for lv in LEVELS]
        )
    rows.append(
        [
            "Tổng cộng",
            n(sum(w.opportunities for w in d.wards)),
            n(sum(w.identified for w in d.wards)),
            n(sum(w.applied for w in d.wards)),
            n(sum(w.recognised for w in d.wards)),
            n(sum(w.overdue for w in d.wards)),
        ]
        + [n(sum(w.levels[lv] for w in d.wards)) for lv in LEVELS]
    )
    t = _table(
        rows,
        [36 * mm] + [14.5 * mm] * 9,
        header_rows=2,
        total_row=True,
        spans=[((0, 0), (0, 1)), ((1, 0), (1, 1)), ((2, 0), (3, 0)), ((4, 0), (5, 0)), ((6, 0), (9, 0))],
    )
    t.setStyle(
        TableStyle(
            [
                ("FONT", (0, 2), (-1, -2), SERIF, 9.5),
                ("FONT", (0, -1), (-1, -1), SERIF_BOLD, 9.5),
                ("LEFTPADDING", (0, 0), (-1, -1), 2),
                ("RIGHTPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    return [
        Spacer(1, 6),
        t,
        _p(
            "Viết tắt: DN đủ ĐK: doanh nghiệp đủ điều kiện thành lập tổ chức (tại thời điểm báo cáo); "
            "QCƯT: quần chúng ưu tú; Có đơn: có đơn xin vào Đảng; Công nhận: số người được công nhận đảng "
            "viên chính thức trong kỳ; Quá hạn: số người đã hết 12 tháng dự bị mà chưa có quyết định công nhận; HTXS, HTT, HT, KHT: "
            "hoàn thành xuất sắc, hoàn thành tốt, hoàn thành, không hoàn thành nhiệm vụ.",
            st["note"],
        ),
    ]


def header_for(settings: ReportSettings, number: str | None, on: date) -> AdminHeader:
    return AdminHeader(
        style=settings.style,
        issuing_body=settings.issuing_body,
        superior_body=settings.superior_body,
        number=number,
        number_code=settings.number_code,
        place=settings.place,
        on=on,
    )


def render_report(
    out: str | os.PathLike[str] | BinaryIO,
    report: ResultsReport,
    settings: ReportSettings,
    *,
    number: str | None = None,
    on: date | None = None,
    practice: bool = False,
) -> None:
    """Write the report PDF (atomically when ``out`` is a path). ``practice``: the report comes from
    practice data; every page is marked so (``app.domain.practice``)."""
    register()
    header = header_for(settings, number, on or date.today())
    header_h = _measure(lambda c, top: draw_admin_header(c, header, top))

    def mark(c) -> None:
        if practice:
            draw_practice_mark(c, band_y=MARGIN_BOTTOM / 2)

    def first(c, doc):
        mark(c)
        c.saveState()
        draw_admin_header(c, header, PAGE_HEIGHT - MARGIN_TOP)
        c.restoreState()

    def later(c, doc):
        mark(c)
        c.saveState()
        c.setFont(SERIF, 13)
        c.drawCentredString(MARGIN_LEFT + CONTENT_WIDTH / 2, PAGE_HEIGHT - 12 * mm, str(doc.page))
        c.restoreState()

    def build(fh):
        doc = BaseDocTemplate(
            fh,
            pagesize=(PAGE_WIDTH, PAGE_HEIGHT),
            leftMargin=MARGIN_LEFT,
            rightMargin=MARGIN_RIGHT,
            topMargin=MARGIN_TOP,
            bottomMargin=MARGIN_BOTTOM,
            title=("[TẬP DƯỢT] " if practice else "")
            + nfc(f"Báo cáo kết quả {report.period.label}: {report.unit_name}"),
            author="KhaoSat",
            creator="KhaoSat",
            subject=REPORT_SUBJECT,
            initialFontName=SERIF,
            initialFontSize=13,
        )
        frame = Frame(
            MARGIN_LEFT,
            MARGIN_BOTTOM,
            CONTENT_WIDTH,
            PAGE_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM,
            leftPadding=0,
            rightPadding=0,
            topPadding=0,
            bottomPadding=0,
        )
        doc.addPageTemplates(
            [
                PageTemplate("first", [frame], onPage=first, autoNextPageTemplate="later"),
                PageTemplate("later", [frame], onPage=later),
            ]
        )
        story: list[Flowable] = [Spacer(1, header_h + 4 * mm), *build_story(report, settings)]
        doc.build(story)

    if isinstance(out, (str, os.PathLike)):
        with atomic_output(out) as fh:
            build(fh)
    else:
        build(out)
