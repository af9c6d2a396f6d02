"""Pictures for the user guide's section on reading filled-in forms (resources/help/images and
docs/images, the same files), from the forms as the program prints them now: the guide on page 1,
a filled mark sheet, how to mark, a photo as a phone takes it.

    uv run python docs/samples/make_scan_pictures.py

The review screen (xem-lai.png) is the window itself: ``tests/gui/test_scan.py::
test_review_fits_small_screens_and_refused_pages_say_why`` grabs it as review-1366.png in its
temporary folder; this script copies it when given that file: ``... make_scan_pictures.py REVIEW.png``.
"""

from __future__ import annotations

import random
import shutil
import sys
import tempfile
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from PIL import Image, ImageDraw, ImageFont

from app.domain.records import Enterprise
from app.printing.visit_form import VisitFormData, render_visit_forms
from app.scan.layout import PAGE_H, sheet_layout
from tests.helpers import paper

OUT = [ROOT / "resources" / "help" / "images", ROOT / "docs" / "images"]
DPI = 150
VALUES = {
    "visit_date": date(2025, 11, 3),
    "next_visit_date": date(2026, 2, 12),
    "workforce_total": 245,
    "workforce_women": 120,
    "workforce_under30": 64,
    "party_total": 3,
    "party_official": 3,
    "party_probationary": 0,
    "union_members": 180,
    "youth_members": 35,
    "women_members": 60,
    "veterans_members": 2,
    "has_party": True,
    "has_union": True,
    "has_youth": False,
    "has_women": False,
    "has_veterans": False,
    "attitude": "undecided",
}


def save(img: Image.Image, name: str) -> None:
    for folder in OUT:
        folder.mkdir(parents=True, exist_ok=True)
        img.save(folder / name, optimize=True)


def px(x: float, y: float) -> tuple[int, int]:
    k = DPI / 72
    return round(x * k), round((PAGE_H - y) * k)


def main() -> None:
    tmp = Path(tempfile.mkdtemp())
    e = Enterprise(name="Công ty TNHH May mặc Hòa Bình", tax_code="0100109106", ward_code="00070")
    pdf = tmp / "phieu.pdf"
    render_visit_forms(
        pdf, [VisitFormData(e, None, [], "Phường Hoàn Kiếm")], marks=True, printed_on=date(2025, 11, 1)
    )
    rng = random.Random(5)
    sheet = paper.render_sheet(pdf, 1, DPI)
    filled = paper.fill(sheet.copy(), DPI, VALUES, rng, corrections=0)
    layout = sheet_layout()

    # 1. the top of a filled mark sheet: dates, yes/no, attitude, the first counts
    a, b = layout.area("visit_date"), layout.area("party_official")
    x0, y0 = px(a.rect[0] - 6, a.rect[1] + a.rect[3] + 6)
    from app.scan.layout import RIGHT

    x1, y1 = px(RIGHT + 6, b.rect[1] - 4)
    top = filled.image.crop((x0, y0, x1, y1)).convert("L")
    top.thumbnail((720, 720), Image.Resampling.LANCZOS)  # fits the help window without scrolling sideways
    save(top, "phieu-da-to.png")

    # 1b. page 1's guide to filling and photographing page 2, as printed
    page1 = paper.render_sheet(pdf, 0, DPI).convert("L")
    from app.printing.visit_form import LEFT as L1
    from app.printing.visit_form import RIGHT as R1

    text = _page_text(pdf, 0)
    top_y, bottom_y = text["Cách điền trang 2"], text["Ghi chú"]
    guide = page1.crop((px(L1, 0)[0] - 4, px(0, top_y + 12)[1], px(R1, 0)[0] + 4, px(0, bottom_y + 10)[1]))
    guide.thumbnail((720, 720), Image.Resampling.LANCZOS)
    save(guide, "huong-dan.png")

    # 2. how to mark: right and wrong, drawn on one count column
    w = layout.area("workforce_total")
    cx0, cy0 = px(w.rect[0] - 3, w.rect[1] + w.rect[3] + 3)
    cx1, cy1 = px(w.rect[0] + w.rect[2] + 3, w.rect[1] - 3)
    examples = []
    for style, caption in (
        ("full", "Đúng: tô kín"),
        ("cross", "Nên tô kín hơn"),
        ("double", "Hai ô: máy hỏi lại"),
    ):
        img = sheet.copy()
        pen = paper.Pen(img, DPI, random.Random(7))
        for col, d in zip(w.columns[-3:], "245"):
            pen.write(*col.write, d)
            y = col.ys[int(d)]
            if style == "cross":
                r = 3.2
                pen.line([(col.x - r, y - r), (col.x + r, y + r)])
                pen.line([(col.x - r, y + r), (col.x + r, y - r)])
            else:
                pen.bubble(col.x, y, "full")
        if style == "double":
            col = w.columns[-1]
            pen.bubble(col.x, col.ys[8], "full")
        crop = img.crop((cx0, cy0, cx1, cy1))
        canvas = Image.new("RGB", (crop.width + 20, crop.height + 34), "white")
        canvas.paste(crop, (10, 4))
        font = ImageFont.truetype(str(ROOT / "resources" / "fonts" / "LiberationSerif-Regular.ttf"), 15)
        ImageDraw.Draw(canvas).text((10, crop.height + 10), caption, fill="black", font=font)
        examples.append(canvas)
    strip = Image.new(
        "RGB", (sum(i.width for i in examples) + 20 * len(examples), examples[0].height), "white"
    )
    x = 0
    for i in examples:
        strip.paste(i, (x, 0))
        x += i.width + 20
    save(strip.convert("L"), "cach-to.png")

    # 3. a photo as a phone takes it (smaller), which the program reads as well as a scan
    photo = paper.photograph(filled.image, random.Random(11), max_angle=8)
    photo.thumbnail((480, 640))
    for folder in OUT:
        photo.save(folder / "anh-chup.jpg", quality=82)
    shutil.rmtree(tmp)
    if len(sys.argv) > 1:  # the review window, grabbed by the GUI test
        review = Image.open(sys.argv[1])
        review.thumbnail((760, 760), Image.Resampling.LANCZOS)
        save(review.convert("RGB"), "xem-lai.png")


def _page_text(pdf: Path, index: int) -> dict[str, float]:
    """The baseline (PDF points from the bottom) of each line of text on a page, by its text."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(pdf))
    try:
        page = doc[index]
        tp = page.get_textpage()
        out: dict[str, float] = {}
        for i in range(tp.count_rects()):
            x0, y0, x1, y1 = tp.get_rect(i)
            line = tp.get_text_bounded(x0, y0, x1, y1).strip()
            for key in ("Cách điền trang 2", "Ghi chú"):
                if line.startswith(key) and key not in out:
                    out[key] = y0
        return out
    finally:
        doc.close()


if __name__ == "__main__":
    main()
