"""The key registration form (Phiếu đăng ký khóa máy tính).

A collaborator's laptop is registered with the receiving office by comparing the key fingerprint
shown on the office's screen with this paper, group by group, then both sign. The renderer takes
plain values (no dependency on the sync code): the laptop id, the fingerprint text, the unit and
the names. The fingerprint is printed in large digits and as a QR code
(``KHAOSAT:K1:<laptop id>:<fingerprint>``, see ``app.printing.qr``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from typing import Any, BinaryIO

from reportlab.lib.units import mm

from app.domain import formcode
from app.domain.vnformat import format_date, long_date
from app.fileio import atomic_output
from app.printing import qr
from app.printing.document import (
    CONTENT_WIDTH,
    MARGIN_LEFT,
    MARGIN_TOP,
    PAGE_HEIGHT,
    PAGE_WIDTH,
    draw_practice_mark,
    fit,
    new_canvas,
    nfc,
    printable,
    set_metadata,
    wrap,
)
from app.printing.fonts import SERIF, SERIF_BOLD, SERIF_ITALIC, register

TITLE = "PHIẾU ĐĂNG KÝ KHÓA MÁY TÍNH"


@dataclass
class KeyFormData:
    laptop_id: str
    fingerprint: str  # e.g. "12345 67890 13579 24680 11223 34455"
    unit_name: str  # "Phường Hoàn Kiếm"
    unit_code: str = ""
    collaborator: str = ""
    office: str = ""  # the receiving office
    officer: str = ""  # the registering officer (blank: written by hand)
    role: str = ""  # "Cộng tác viên", ...
    on: date | None = None
    place: str = ""


def fingerprint_groups(fingerprint: str) -> list[str]:
    """The groups to print: as spaced in the text, or runs of five characters."""
    text = nfc(fingerprint).strip()
    parts = text.split()
    if len(parts) > 1:
        return parts
    return [text[i : i + 5] for i in range(0, len(text), 5)]


def render_key_form(
    out: str | os.PathLike[str] | BinaryIO, data: KeyFormData, *, practice: bool = False
) -> None:
    """Write the one-page form (atomically when ``out`` is a path). ``practice``: printed in practice
    mode; marked so (``app.domain.practice``), an office does not register a key from it."""
    register()
    if not data.fingerprint.strip() or not data.laptop_id.strip():
        raise ValueError("Thiếu mã máy hoặc dấu vân tay khóa để in phiếu đăng ký.")
    if isinstance(out, (str, os.PathLike)):
        with atomic_output(out) as fh:
            _draw(fh, data, practice)
    else:
        _draw(out, data, practice)


def _draw(fh: BinaryIO, d: KeyFormData, practice: bool = False) -> None:
    values: dict[str, Any] = {k: printable(v) if isinstance(v, str) else v for k, v in vars(d).items()}
    d = KeyFormData(**values)
    on = d.on or date.today()
    c = new_canvas(fh, (PAGE_WIDTH, PAGE_HEIGHT), 12)
    set_metadata(
        c,
        ("[TẬP DƯỢT] " if practice else "")
        + f"Phiếu đăng ký khóa máy tính: {nfc(d.collaborator) or d.laptop_id}",
        "KhaoSat",
    )
    if practice:
        draw_practice_mark(c, width=PAGE_WIDTH, height=PAGE_HEIGHT, band_y=PAGE_HEIGHT - MARGIN_TOP / 2)
    left, right = MARGIN_LEFT, MARGIN_LEFT + CONTENT_WIDTH
    cx = left + CONTENT_WIDTH / 2
    y = PAGE_HEIGHT - MARGIN_TOP
    c.setFont(SERIF_BOLD, 12)
    c.drawString(left, y - 12, fit(nfc(d.unit_name).upper(), SERIF_BOLD, 12, CONTENT_WIDTH / 2))
    c.setFont(SERIF, 10)
    c.drawRightString(right, y - 12, f"Mẫu {formcode.KEY_FORM_VERSION} · KhaoSat")
    y -= 48
    c.setFont(SERIF_BOLD, 16)
    c.drawCentredString(cx, y, TITLE)
    c.setFont(SERIF_ITALIC, 11)
    y -= 16
    c.drawCentredString(cx, y, "(đăng ký máy với cơ quan tiếp nhận để gửi và nhận gói dữ liệu)")
    y -= 26

    rows = [
        ("Đơn vị", f"{nfc(d.unit_name)}" + (f" (mã {d.unit_code})" if d.unit_code else "")),
        ("Cơ quan tiếp nhận", nfc(d.office)),
        ("Người dùng máy", nfc(d.collaborator) + (f", {nfc(d.role)}" if d.role else "")),
        ("Mã máy", nfc(d.laptop_id)),
        ("Ngày đăng ký", format_date(on)),
    ]
    c.setLineWidth(0.6)
    for label, value in rows:
        c.setFont(SERIF, 12)
        c.drawString(left, y, f"{label}:")
        if value:
            c.setFont(SERIF_BOLD, 12)
            c.drawString(left + 42 * mm, y, fit(value, SERIF_BOLD, 12, CONTENT_WIDTH - 42 * mm))
        else:
            c.setDash(1, 2)
            c.line(left + 42 * mm, y - 2, right, y - 2)
            c.setDash()
        y -= 20

    y -= 6
    c.setFont(SERIF_BOLD, 13)
    c.drawString(left, y, "DẤU VÂN TAY KHÓA CỦA MÁY")
    y -= 10
    groups = fingerprint_groups(d.fingerprint)
    per_row = 3
    lines = [groups[i : i + per_row] for i in range(0, len(groups), per_row)]
    box_h = 20 + 34 * len(lines)
    c.rect(left, y - box_h, CONTENT_WIDTH, box_h, stroke=1, fill=0)
    yy = y - 38
    size = 28
    for line in lines:
        text = "   ".join(line)
        c.setFont(SERIF_BOLD, size)
        c.drawCentredString(cx, yy, text)
        yy -= 34
    y -= box_h + 16

    code = formcode.key_form_code(d.laptop_id, d.fingerprint)
    qr_size = 48 * mm
    if practice:  # plain paper under the QR code (and its quiet zone), as on a real form
        c.saveState()
        c.setFillGray(1)
        c.rect(
            cx - qr_size / 2 - 4 * mm,
            y - qr_size - 4 * mm,
            qr_size + 8 * mm,
            qr_size + 8 * mm,
            stroke=0,
            fill=1,
        )
        c.restoreState()
    qr.draw(c, code, cx - qr_size / 2, y - qr_size, qr_size, best_mask=True)
    y -= qr_size + 12
    c.setFont(SERIF, 8.5)
    c.drawCentredString(cx, y, fit(code, SERIF, 8.5, CONTENT_WIDTH))
    y -= 22

    note = (
        "Cán bộ tiếp nhận đọc to từng nhóm số hiện trên máy của cơ quan và so với phiếu này (hoặc quét mã "
        "QR). Chỉ ký xác nhận khi mọi nhóm số trùng khớp; nếu khác dù một chữ số, không đăng ký máy và báo "
        "ngay cho người phụ trách."
    )
    c.setFont(SERIF_ITALIC, 11)
    for line in wrap(note, SERIF_ITALIC, 11, CONTENT_WIDTH):
        c.drawString(left, y, line)
        y -= 14
    y -= 10
    c.setFont(SERIF_ITALIC, 12)
    c.drawRightString(right, y, long_date(on, nfc(d.place) or None))
    y -= 22
    half = CONTENT_WIDTH / 2
    for i, (who, name) in enumerate((("NGƯỜI DÙNG MÁY", d.collaborator), ("CÁN BỘ TIẾP NHẬN", d.officer))):
        x = left + half * i + half / 2
        c.setFont(SERIF_BOLD, 12)
        c.drawCentredString(x, y, who)
        c.setFont(SERIF_ITALIC, 10.5)
        c.drawCentredString(x, y - 14, "(Ký, ghi rõ họ tên)")
        if name:
            c.setFont(SERIF_BOLD, 12)
            c.drawCentredString(x, y - 14 - 26 * mm, fit(nfc(name), SERIF_BOLD, 12, half - 6))
    c.showPage()
    c.save()
