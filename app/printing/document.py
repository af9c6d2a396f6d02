"""A small toolkit for Vietnamese administrative documents on reportlab.

Page: A4 portrait with the margins of Nghị định 30/2020/NĐ-CP (top 20 mm, bottom 20 mm, left
30 mm, right 15 mm). The header follows Nghị định 30 (state style) or Hướng dẫn 36-HD/VPTW
(Party style): the issuing body top left under its superior body, the number below it; top right
the national motto ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" over the underlined "Độc lập - Tự do -
Hạnh phúc") or "ĐẢNG CỘNG SẢN VIỆT NAM" underlined; then the place and date in italics.

Every string drawn goes through ``nfc``: names typed in NFD (macOS, some keyboards) print as whole
letters and come back NFC from text extraction.
"""

from __future__ import annotations

import functools
import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, BinaryIO

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from app.domain import practice
from app.domain.vnformat import long_date
from app.domain.vocab import DocStyle
from app.printing.fonts import SERIF, SERIF_BOLD, SERIF_ITALIC, register

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN_TOP = 20 * mm
MARGIN_BOTTOM = 20 * mm
MARGIN_LEFT = 30 * mm
MARGIN_RIGHT = 15 * mm
CONTENT_WIDTH = PAGE_WIDTH - MARGIN_LEFT - MARGIN_RIGHT

PDF_CREATOR = "KhaoSat"


def new_canvas(fh: BinaryIO, pagesize: tuple[float, float], font_size: float) -> Canvas:
    """A compressed page canvas that starts in the serif font."""
    return Canvas(
        fh,
        pagesize=pagesize,
        pageCompression=1,
        initialFontName=SERIF,  # pyright: ignore[reportArgumentType] (reportlab annotates it as a float)
        initialFontSize=font_size,
    )


def nfc(text: object) -> str:
    """NFC text for drawing; ``None`` gives ""."""
    if text is None:
        return ""
    return unicodedata.normalize("NFC", str(text))


@functools.cache
def _charset() -> frozenset[int]:
    from reportlab.pdfbase import pdfmetrics

    register()
    font: Any = pdfmetrics.getFont(SERIF)  # a TTFont (reportlab types getFont as the base Font)
    return frozenset(font.face.charToGlyph)


MISSING_GLYPH = "?"


def printable(text: object) -> str:
    """``nfc(text)`` with every character the font cannot draw replaced by "?".

    reportlab silently drops a character missing from the font (a Chinese name in a field, a
    symbol pasted from the web): on paper it would vanish without a trace. A "?" shows that
    something could not be printed.
    """
    t = nfc(text)
    chars = _charset()
    if all(ord(ch) in chars for ch in t):
        return t
    return "".join(ch if ord(ch) in chars or ch in "\n\t" else MISSING_GLYPH for ch in t)


def upper_vi(text: str) -> str:
    return printable(text).upper()


def fit(text: str, font: str, size: float, width: float) -> str:
    """``text`` cut with "…" so that it fits ``width`` (one line)."""
    text = printable(text)
    if stringWidth(text, font, size) <= width:
        return text
    lo, hi = 0, len(text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if stringWidth(text[:mid].rstrip() + "…", font, size) <= width:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo].rstrip() + "…"


def wrap(text: str, font: str, size: float, width: float, max_lines: int | None = None) -> list[str]:
    """Lines of ``text`` wrapped at ``width``; the last kept line ends with "…" if text was cut."""
    lines = simpleSplit(printable(text), font, size, width) if text else []
    if max_lines is not None and len(lines) > max_lines:
        kept = lines[:max_lines]
        kept[-1] = fit(kept[-1] + " " + " ".join(lines[max_lines:]), font, size, width)
        return kept
    return lines


def document_number(style: DocStyle, number: str | int | None, code: str) -> str:
    """ "Số 12-BC/ĐU" (Party) or "Số: 12/BC-UBND" (state); blank for the clerk to fill if no number."""
    n = printable(number).strip() if number not in (None, "") else "\u00a0" * 8
    if style is DocStyle.PARTY:
        return f"Số {n}-{printable(code)}"
    return f"Số: {n}/{printable(code)}"


@dataclass
class AdminHeader:
    """The top of an administrative document."""

    style: DocStyle
    issuing_body: str  # "ĐẢNG ỦY PHƯỜNG HOÀN KIẾM"
    superior_body: str | None = None  # "ĐẢNG BỘ THÀNH PHỐ HÀ NỘI"
    number: str | None = None  # the document number, e.g. "12"; None: left blank for the clerk
    number_code: str = "BC/ĐU"  # the type and body code after the number
    place: str = ""  # "Hoàn Kiếm"
    on: date = field(default_factory=date.today)


def draw_centered_lines(
    c, lines: list[tuple[str, str, float]], cx: float, top: float, leading: float = 1.2
) -> float:
    """Draw (text, font, size) lines centred on ``cx`` from ``top`` down; returns the y below them."""
    y = top
    for text, font, size in lines:
        y -= size * leading
        c.setFont(font, size)
        c.drawCentredString(cx, y + size * 0.22, text)
    return y


def draw_admin_header(c, h: AdminHeader, top: float | None = None) -> float:
    """Draw the administrative header on canvas ``c``; returns the y of its bottom edge."""
    register()
    top = PAGE_HEIGHT - MARGIN_TOP if top is None else top
    left_w = 78 * mm
    right_w = CONTENT_WIDTH - left_w
    lcx = MARGIN_LEFT + left_w / 2
    rcx = MARGIN_LEFT + left_w + right_w / 2

    # left: superior body, issuing body (bold), a star or a short rule, the number
    lines: list[tuple[str, str, float]] = []
    size = 13
    if h.superior_body:
        for t in wrap(upper_vi(h.superior_body), SERIF, size, left_w):
            lines.append((t, SERIF, size))
    for t in wrap(upper_vi(h.issuing_body), SERIF_BOLD, size, left_w):
        lines.append((t, SERIF_BOLD, size))
    y = draw_centered_lines(c, lines, lcx, top)
    if h.style is DocStyle.PARTY:
        c.setFont(SERIF, size)
        y -= size * 1.1
        c.drawCentredString(lcx, y + 3, "*")
    else:
        last_w = stringWidth(lines[-1][0], SERIF_BOLD, size)
        rule = min(last_w, 40 * mm) / 2
        y -= 3
        c.setLineWidth(0.6)
        c.line(lcx - rule, y + 1, lcx + rule, y + 1)
    c.setFont(SERIF, size)
    y -= size * 1.3
    c.drawCentredString(lcx, y + 3, document_number(h.style, h.number, h.number_code))
    left_bottom = y

    # right: the motto, underlined, then place and date in italics
    motto: list[tuple[str, str, float]]
    if h.style is DocStyle.PARTY:
        motto = [("ĐẢNG CỘNG SẢN VIỆT NAM", SERIF_BOLD, 14)]
    else:
        motto = [
            ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", SERIF_BOLD, 12),
            ("Độc lập - Tự do - Hạnh phúc", SERIF_BOLD, 13),
        ]
    ry = draw_centered_lines(c, motto, rcx, top)
    last_text, last_font, last_size = motto[-1]
    w = stringWidth(last_text, last_font, last_size)
    c.setLineWidth(0.6)
    ry -= 1
    c.line(rcx - w / 2, ry, rcx + w / 2, ry)
    c.setFont(SERIF_ITALIC, 13)
    ry -= 13 * 1.6
    place_date = long_date(h.on, printable(h.place) or None)
    c.drawCentredString(rcx, ry + 3, fit(place_date, SERIF_ITALIC, 13, right_w))
    return min(left_bottom, ry) - 4 * mm


@dataclass
class SignatureBlock:
    """The bottom of a document: recipients on the left, the signer on the right."""

    recipients: list[str] = field(default_factory=list)  # "- Như trên,", "- Lưu VP."
    capacity: list[str] = field(default_factory=list)  # ["T/M ĐẢNG ỦY", "BÍ THƯ"]
    signer: str = ""  # the name under the signature space (may be blank: written by hand)


def draw_signature_block(c, s: SignatureBlock, top: float, sign_space: float = 24 * mm) -> float:
    """Draw the signature block from ``top`` down; returns the y of its bottom edge."""
    register()
    left_w = 70 * mm
    rcx = MARGIN_LEFT + left_w + (CONTENT_WIDTH - left_w) / 2
    y = top
    if s.recipients:
        c.setFont(SERIF_BOLD, 12)
        c.drawString(MARGIN_LEFT, y - 12, "Nơi nhận:")
        yy = y - 12
        c.setFont(SERIF, 11)
        for r in s.recipients:
            yy -= 13
            c.drawString(MARGIN_LEFT, yy, fit(r, SERIF, 11, left_w))
        left_bottom = yy
    else:
        left_bottom = y
    ry = draw_centered_lines(c, [(upper_vi(t), SERIF_BOLD, 13) for t in s.capacity], rcx, y)
    ry -= sign_space
    if s.signer:
        c.setFont(SERIF_BOLD, 13)
        c.drawCentredString(rcx, ry, printable(s.signer))
    return min(left_bottom, ry) - 4 * mm


def set_metadata(c, title: str, subject: str = "") -> None:
    c.setTitle(nfc(title))
    c.setAuthor(PDF_CREATOR)
    c.setCreator(PDF_CREATOR)
    if subject:
        c.setSubject(nfc(subject))


# --- practice data: the mark on every page ---------------------------------------------------------

PRACTICE_GREY = 0.82  # the diagonal watermark: light, so what is printed over it stays readable
PRACTICE_BAND_SIZE = 10


def draw_practice_mark(
    c,
    *,
    width: float = PAGE_WIDTH,
    height: float = PAGE_HEIGHT,
    band_y: float | None = None,
    keep_clear: Sequence[tuple[float, float, float, float]] = (),
    side_x: Sequence[float] = (),
) -> None:
    """Mark the current page of ``c`` as printed from practice data (``app.domain.practice``).

    Call it before anything else is drawn on the page: a light-grey diagonal watermark
    («TẬP DƯỢT», «KHÔNG PHẢI SỐ LIỆU THẬT» under it) lies under the page's content, and the mark
    in dark print runs across the page at ``band_y`` (a baseline clear of the page's own text).
    ``keep_clear`` (x, y, w, h) rectangles are painted white over the watermark: where a reader
    measures the paper (the mark sheet's areas, its QR code and registration marks) the page is
    exactly as a real one; ``side_x`` are the centres of margins where the mark also runs up the
    page, in dark print (a page mostly covered by such areas shows the watermark little).
    """
    register()
    c.saveState()
    c.setFillGray(PRACTICE_GREY)
    c.translate(width / 2, height / 2)
    c.rotate(math.degrees(math.atan2(height, width)))
    diagonal = math.hypot(width, height)
    big, small = practice.WORD, practice.MARK.split("–", 1)[1].strip()
    big_size = min(120.0, 0.62 * diagonal / stringWidth(big, SERIF_BOLD, 1))
    small_size = min(big_size * 0.4, 0.62 * diagonal / stringWidth(small, SERIF_BOLD, 1))
    c.setFont(SERIF_BOLD, big_size)
    c.drawCentredString(0, -big_size * 0.2, big)
    c.setFont(SERIF_BOLD, small_size)
    c.drawCentredString(0, -big_size * 0.2 - small_size * 1.5, small)
    c.restoreState()
    if keep_clear:
        c.saveState()
        c.setFillGray(1)
        for x, y, w, h in keep_clear:
            c.rect(x, y, w, h, stroke=0, fill=1)
        c.restoreState()
    if band_y is not None:
        c.saveState()
        c.setFont(SERIF_BOLD, PRACTICE_BAND_SIZE)
        c.setFillGray(0)
        c.drawCentredString(width / 2, band_y, practice.MARK)
        c.restoreState()
    for x in side_x:
        c.saveState()
        c.setFont(SERIF_BOLD, PRACTICE_BAND_SIZE)
        c.setFillGray(0)
        c.translate(x, height / 2)
        c.rotate(90)
        for dy in (-height / 4, height / 4):  # twice up each margin, clear of the corners
            c.drawCentredString(dy, -PRACTICE_BAND_SIZE * 0.35, practice.MARK)
        c.restoreState()
