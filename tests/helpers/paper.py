"""Filled-in paper forms made by program, for the reader's tests and benchmark.

``render_sheet`` renders the real mark sheet (page 2 of a printed visit form) with PDFium;
``fill`` marks it as a person with a ballpoint pen would (full and partial fills, ticks and
crosses, a mark scribbled out with another beside it, digits written in the boxes, nothing in
some fields) and returns what was meant; ``photograph`` makes it look like a phone photo
(rotation, perspective, blur, shading, a fold, a cut margin, noise, low JPEG quality) and
``scan`` like a flatbed scanner's output.

Every random choice comes from the ``random.Random`` passed in, so a failing page can be made
again from its seed.
"""

from __future__ import annotations

import io
import math
import random
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from app.scan.layout import BOX, BUBBLE_R, PAGE_H, Area, SheetLayout, sheet_layout
from app.scan.locate import homography

FONT = Path(__file__).resolve().parents[2] / "resources" / "fonts" / "LiberationSerif-Italic.ttf"
INKS = [(25, 45, 150), (20, 20, 30), (30, 60, 190), (60, 40, 120)]  # blue and black ballpoints

# how a value is marked (bubbles and boxes); the benchmark reports each style apart
BUBBLE_STYLES = ["full"] * 14 + ["partial"] * 4 + ["overfull"] * 2
BOX_STYLES = ["cross"] * 8 + ["tick"] * 6 + ["full"] * 3 + ["partial"] * 3


@dataclass
class Truth:
    """What the person meant for one field, and how it was marked."""

    value: Any  # None: nothing marked
    style: str  # full, partial, overfull, cross, tick, corrected, blank, ...
    ambiguous: bool = False  # marked so that a careful reader must ask (a correction)


@dataclass
class FilledPage:
    image: Image.Image  # RGB
    dpi: float
    truth: dict[str, Truth] = field(default_factory=dict)


def render_sheet(pdf_path: str | Path, page_index: int, dpi: float) -> Image.Image:
    """One page of a PDF as an RGB image at ``dpi``."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(pdf_path))
    try:
        page = pdf[page_index]
        image = page.render(scale=dpi / 72).to_pil().convert("RGB")
        page.close()
        return image
    finally:
        pdf.close()


class Pen:
    def __init__(self, image: Image.Image, dpi: float, rng: random.Random):
        self.img = image
        self.draw = ImageDraw.Draw(image)
        self.k = dpi / 72
        self.rng = rng
        self.ink = rng.choice(INKS)
        self.width = max(1, round(rng.uniform(0.35, 0.55) / 25.4 * dpi))  # 0.35-0.55 mm

    def px(self, x: float, y: float) -> tuple[float, float]:
        return x * self.k, (PAGE_H - y) * self.k

    def line(self, pts: list[tuple[float, float]], width: int | None = None) -> None:
        self.draw.line([self.px(*p) for p in pts], fill=self.ink, width=width or self.width, joint="curve")

    def scribble_disc(self, cx: float, cy: float, r: float, coverage: float = 1.0, passes: int = 1) -> None:
        """Back-and-forth strokes over a disc (a ballpoint fill); ``coverage`` < 1 leaves part of it."""
        rng = self.rng
        step = self.width / self.k * rng.uniform(0.65, 0.95)
        for p in range(passes):
            angle = rng.uniform(0, math.pi) + p * 1.1
            ca, sa = math.cos(angle), math.sin(angle)
            pts = []
            t = -r
            top = -r + 2 * r * coverage
            flip = False
            while t <= top:
                half = math.sqrt(max(r * r - t * t, 0.0))
                a, b = (-half, half) if not flip else (half, -half)
                for s in (a, b):
                    s += rng.uniform(-0.3, 0.3)
                    pts.append((cx + s * ca - t * sa, cy + s * sa + t * ca))
                t += step
                flip = not flip
            if len(pts) > 1:
                self.line(pts)

    def bubble(self, cx: float, cy: float, style: str) -> None:
        rng = self.rng
        dx, dy = rng.uniform(-0.7, 0.7), rng.uniform(-0.7, 0.7)
        if style == "full":
            self.scribble_disc(cx + dx, cy + dy, BUBBLE_R * rng.uniform(0.85, 1.05))
        elif style == "overfull":
            self.scribble_disc(cx + dx, cy + dy, BUBBLE_R * rng.uniform(1.05, 1.25), passes=2)
        elif style == "partial":
            self.scribble_disc(
                cx + dx, cy + dy, BUBBLE_R * rng.uniform(0.75, 0.95), coverage=rng.uniform(0.7, 0.85)
            )
        elif style == "scribbled":  # a mark made then scribbled over to cancel it
            self.scribble_disc(cx + dx, cy + dy, BUBBLE_R * 1.1, passes=3)
        else:
            raise ValueError(style)

    def box(self, x: float, y: float, style: str) -> None:
        rng = self.rng
        j = lambda: rng.uniform(-0.8, 0.8)  # noqa: E731
        s = BOX
        if style == "cross":
            self.line([(x + 1 + j(), y + s - 1 + j()), (x + s - 1 + j(), y + 1 + j())])
            self.line([(x + 1 + j(), y + 1 + j()), (x + s - 1 + j(), y + s - 1 + j())])
        elif style == "tick":
            self.line(
                [
                    (x + 1.5 + j(), y + s * 0.5 + j()),
                    (x + s * 0.42 + j(), y + 1.5 + j()),
                    (x + s + 2 + j(), y + s + 2 + j()),
                ]
            )
        elif style == "full":
            self.scribble_disc(x + s / 2 + j() / 2, y + s / 2 + j() / 2, s * 0.62)
        elif style == "partial":
            self.scribble_disc(x + s / 2, y + s / 2, s * 0.55, coverage=rng.uniform(0.6, 0.8))
        elif style == "scribbled":
            self.scribble_disc(x + s / 2, y + s / 2, s * 0.7, passes=3)
        else:
            raise ValueError(style)

    def write(self, x: float, y: float, w: float, h: float, text: str) -> None:
        """Handwriting, roughly: italic letters, a little crooked, inside the box (x, y bottom-left)."""
        rng = self.rng
        size = max(8, round(h * self.k * rng.uniform(0.7, 0.9)))
        font = ImageFont.truetype(str(FONT), size)
        px, py = self.px(x + rng.uniform(0.5, 2), y + h - 1)
        self.draw.text((px, py), text, fill=self.ink, font=font, stroke_width=max(0, self.width // 3))


def _count_digits(value: int, digits: int, rng: random.Random) -> list[str | None]:
    s = str(value)
    pad = digits - len(s)
    if rng.random() < 0.4:  # written from the left, boxes after it left empty
        return list(s) + [None] * pad
    if rng.random() < 0.5:  # leading zeros marked too
        return list(s.zfill(digits))
    return [None] * pad + list(s)


def random_values(rng: random.Random) -> dict[str, Any]:
    """A plausible visit (some fields left blank)."""
    total = rng.choice([rng.randint(5, 80), rng.randint(80, 900), rng.randint(900, 25000)])
    v: dict[str, Any] = {
        "visit_date": date(2025, rng.randint(1, 12), rng.randint(1, 28)),
        "next_visit_date": date(2026, rng.randint(1, 12), rng.randint(1, 28)) if rng.random() < 0.7 else None,
        "workforce_total": total,
        "workforce_women": rng.randint(0, total),
        "workforce_under30": rng.randint(0, total) if rng.random() < 0.8 else None,
    }
    off, prob = rng.randint(0, 12), rng.randint(0, 3)
    v.update(party_total=off + prob, party_official=off, party_probationary=prob)
    for name in ("union_members", "youth_members", "women_members", "veterans_members"):
        v[name] = rng.randint(0, min(total, 999)) if rng.random() < 0.8 else None
    for name in ("has_party", "has_union", "has_youth", "has_women", "has_veterans"):
        v[name] = rng.random() < 0.5 if rng.random() < 0.9 else None
    v["attitude"] = rng.choice(["supports", "undecided", "refuses", None])
    if rng.random() < 0.7:  # the pool of candidates for the Party (three-digit boxes)
        pool = rng.randint(0, min(total, 120))
        v.update(
            candidates_identified=pool,
            candidates_trained=rng.randint(0, pool),
            candidates_applied=rng.randint(0, pool),
            candidates_admitted=rng.randint(0, off + prob),
        )
    return v


def fill(
    image: Image.Image,
    dpi: float,
    values: dict[str, Any],
    rng: random.Random,
    *,
    corrections: float = 0.03,
    layout: SheetLayout | None = None,
) -> FilledPage:
    """Mark ``values`` on a rendered mark sheet as a person would; returns the page and the truth.

    With probability ``corrections`` per field, a wrong mark is made first and scribbled out, and
    the right one made beside it (the reader must ask: both look marked). ``layout``: the sheet's
    page that ``image`` is (default: its first); values of fields on other pages are left alone.
    """
    layout = layout or sheet_layout()
    page = FilledPage(image, dpi)
    pen = Pen(image, dpi, rng)
    for area in layout.areas:
        f = area.field
        if f.name not in values:
            continue
        value = values[f.name]
        if value is None:
            page.truth[f.name] = Truth(None, "blank")
            continue
        corrected = rng.random() < corrections
        if f.kind in ("count", "date"):
            style = rng.choice(BUBBLE_STYLES)
            page.truth[f.name] = Truth(value, "corrected" if corrected else style, ambiguous=corrected)
            _mark_columns(pen, area, value, style, corrected)
        elif f.kind in ("yesno", "choice"):
            style = rng.choice(BOX_STYLES)
            code = ("yes" if value else "no") if f.kind == "yesno" else value
            page.truth[f.name] = Truth(value, "corrected" if corrected else style, ambiguous=corrected)
            boxes = {b.value: b for b in area.boxes}
            if corrected:
                wrong = rng.choice([c for c in boxes if c != code])
                pen.box(boxes[wrong].x, boxes[wrong].y, "scribbled")
            pen.box(boxes[code].x, boxes[code].y, style)
    return page


def _mark_columns(pen: Pen, area: Area, value: Any, style: str, corrected: bool) -> None:
    rng = pen.rng
    if isinstance(value, date):
        digits: list[str | None] = list(f"{value.day:02d}{value.month:02d}{value.year % 100:02d}")
    else:
        digits = _count_digits(int(value), len(area.columns), rng)
    marked = [i for i, d in enumerate(digits) if d is not None]
    wrong_col = rng.choice(marked) if corrected else -1
    for i, (col, d) in enumerate(zip(area.columns, digits)):
        if d is None:
            continue
        x, y, w, h = col.write
        pen.write(x, y, w, h, d)
        digit = int(d)
        if i == wrong_col:
            others = [k for k in col.digits if k != digit]
            bad = rng.choice(others)
            pen.bubble(col.x, col.ys[bad - col.lo], "scribbled")
        pen.bubble(col.x, col.ys[digit - col.lo], style)


# --- the camera and the scanner ------------------------------------------------------------------


def photograph(
    page: Image.Image, rng: random.Random, *, max_angle: float = 15.0, hard: bool = False
) -> Image.Image:
    """A phone photo of ``page``: on a table, turned, in perspective, unevenly lit, blurred, noisy.

    The whole page stays in the frame, but one margin may be cut (slightly: 2-7 mm, the corner
    marks stay whole; a lost corner is tested apart) and the page may have a fold across it. The
    photo comes back as an RGB image (JPEG-compress it with ``jpeg``).

    ``hard`` is what a hurried person at an enterprise's desk gets: the phone held at an angle
    (strong keystone), the page small in a low-resolution frame (a photo sent through a chat app
    comes back 1,400-2,000 pixels long), the shadow of a hand or phone across the page with a sharp
    or soft edge, glare that washes out part of it, stronger focus blur (up to 2.2 px in a 2,400-pixel
    frame, less in a smaller one: the blur of a large photo scaled down), motion blur, and the
    picture turned a quarter or half turn in its pixels with no EXIF tag to say so.
    """
    w, h = page.size
    mm = w / 210
    img = page
    if rng.random() < 0.25:  # a margin cut off (by the scissors or the frame)
        side = rng.choice("lrtb")
        cut = int(rng.uniform(2, 7) * mm)
        box = {"l": (cut, 0, w, h), "r": (0, 0, w - cut, h), "t": (0, cut, w, h), "b": (0, 0, w, h - cut)}[
            side
        ]
        img = img.crop(box)
        w, h = img.size
    if rng.random() < 0.3:  # a fold: a soft shadow line, the far side slightly shifted
        a = np.asarray(img, dtype=np.float32)
        y0 = int(rng.uniform(0.3, 0.7) * h)
        band = np.exp(-(((np.arange(h) - y0) / (rng.uniform(3, 8) * mm / 4)) ** 2)) * rng.uniform(0.08, 0.2)
        a *= (1 - band)[:, None, None]
        shift = rng.choice([-1, 1]) * rng.randint(0, 2)
        a[y0:] = np.roll(a[y0:], shift, axis=1)
        img = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))
    # where the page's corners land in the photo
    out_h = int(rng.uniform(1400, 3000) if hard else rng.uniform(1900, 3000))
    s = out_h / h * (rng.uniform(0.6, 0.92) if hard else rng.uniform(0.75, 0.9))
    angle = math.radians(rng.uniform(-max_angle, max_angle))
    ca, sa = math.cos(angle), math.sin(angle)
    corners = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=float)
    centred = (corners - [w / 2, h / 2]) * s
    if hard:  # keystone: the phone tilted, the far edge of the page narrower (up to 15%)
        k = rng.uniform(0.0, 0.15)
        edge = rng.choice([0, 1])  # top or bottom edge far from the camera
        for i in (0, 1) if edge == 0 else (2, 3):
            centred[i, 0] *= 1 - k
    rot = centred @ np.array([[ca, sa], [-sa, ca]])
    jitter = 0.06 if hard else 0.035
    persp = rot + np.array([[rng.uniform(-1, 1), rng.uniform(-1, 1)] for _ in range(4)]) * (jitter * out_h)
    out_w = int(out_h * rng.uniform(0.72, 0.8))
    # the whole page in the frame, a little table around it (a photo that cuts a corner off is
    # tested apart)
    span = persp.max(axis=0) - persp.min(axis=0)
    persp = persp * min(1.0, 0.97 * out_w / span[0], 0.97 * out_h / span[1])
    persp -= (persp.max(axis=0) + persp.min(axis=0)) / 2
    dst = persp + [out_w / 2, out_h / 2]
    hm = homography(dst, corners)  # photo pixel -> page pixel (what Image.transform wants)
    hm /= hm[2, 2]
    table = tuple(int(c) for c in rng.choice([(120, 100, 80), (60, 60, 65), (170, 160, 150)]))
    photo = img.transform(
        (out_w, out_h),
        Image.Transform.PERSPECTIVE,
        tuple(hm.flatten()[:8]),
        Image.Resampling.BILINEAR,
        fillcolor=table,
    )
    # light: a gradient across the page and a vignette
    a = np.asarray(photo, dtype=np.float32)
    yy, xx = np.mgrid[0:out_h, 0:out_w].astype(np.float32)
    gx, gy = rng.uniform(-1, 1), rng.uniform(-1, 1)
    strength = rng.uniform(0.1, 0.55) if hard else rng.uniform(0.1, 0.4)
    grad = 1 - strength * ((xx / out_w - 0.5) * gx + (yy / out_h - 0.5) * gy + 0.5)
    vign = 1 - rng.uniform(0.0, 0.25) * (((xx / out_w - 0.5) ** 2 + (yy / out_h - 0.5) ** 2) * 2)
    light = grad * vign
    if hard and rng.random() < 0.45:
        light = light * _shadow(out_w, out_h, rng)
    tint = np.array([rng.uniform(0.9, 1.0), rng.uniform(0.9, 1.0), rng.uniform(0.85, 1.0)], dtype=np.float32)
    a = a * light[:, :, None] * tint
    if hard and rng.random() < 0.15:  # glare: a bright patch that washes out what is under it
        gxc, gyc = rng.uniform(0.2, 0.8) * out_w, rng.uniform(0.2, 0.8) * out_h
        rad = rng.uniform(0.06, 0.15) * out_h
        glare = np.exp(-(((xx - gxc) ** 2 + (yy - gyc) ** 2) / (2 * rad**2))) * rng.uniform(0.3, 0.6)
        a = a + (255 - a) * glare[:, :, None]
    a += np.asarray(
        np.random.default_rng(rng.getrandbits(32)).normal(0, rng.uniform(1.5, 5), a.shape), np.float32
    )
    photo = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))
    # blur is the camera's: a small frame is a large photo scaled down, its blur scaled down with it
    shrink = min(1.0, out_h / 2400)
    if hard and rng.random() < 0.25:
        photo = _motion_blur(photo, max(2, round(rng.randint(3, 8) * shrink)), rng.uniform(0, math.pi))
    sigma = rng.uniform(0.5, 2.2) * shrink if hard else rng.uniform(0.3, 1.4)
    photo = photo.filter(ImageFilter.GaussianBlur(max(0.4, sigma)))
    if hard and rng.random() < 0.2:  # held sideways or upside down, and no EXIF tag says so
        photo = photo.rotate(rng.choice([90, 180, 270]), expand=True)
    return photo


def _shadow(w: int, h: int, rng: random.Random) -> np.ndarray:
    """The shadow of a hand or a phone: a dark region from one edge of the frame, edge sharp or soft."""
    mask = Image.new("L", (w, h), 0)
    draw = ImageDraw.Draw(mask)
    side = rng.choice("lrtb")
    depth = rng.uniform(0.15, 0.5)
    pts: list[tuple[float, float]]
    a, b = sorted((rng.uniform(0, 1), rng.uniform(0, 1)))
    b = max(b, a + 0.3)
    if side in "lr":
        x_edge = 0 if side == "l" else w
        x_in = depth * w if side == "l" else w - depth * w
        pts = [(x_edge, a * h), (x_in + rng.uniform(-0.1, 0.1) * w, a * h), (x_in, b * h), (x_edge, b * h)]
    else:
        y_edge = 0 if side == "t" else h
        y_in = depth * h if side == "t" else h - depth * h
        pts = [(a * w, y_edge), (a * w, y_in + rng.uniform(-0.1, 0.1) * h), (b * w, y_in), (b * w, y_edge)]
    draw.polygon(pts, fill=255)
    mask = mask.filter(ImageFilter.GaussianBlur(rng.uniform(2, 30)))
    m = np.asarray(mask, dtype=np.float32) / 255
    return 1 - m * rng.uniform(0.25, 0.55)


def _motion_blur(image: Image.Image, length: int, angle: float) -> Image.Image:
    """The phone moved while the picture was taken: the mean of copies shifted along a line."""
    a = np.asarray(image, dtype=np.float32)
    out = np.zeros_like(a)
    for i in range(length):
        t = i - (length - 1) / 2
        dx, dy = round(t * math.cos(angle)), round(t * math.sin(angle))
        out += np.roll(np.roll(a, dy, axis=0), dx, axis=1)
    return Image.fromarray(np.clip(out / length, 0, 255).astype(np.uint8))


def scan(page: Image.Image, rng: random.Random, dpi_from: float, dpi_to: float) -> Image.Image:
    """A flatbed scan of ``page`` (rendered at ``dpi_from``) at ``dpi_to``: nearly straight, even light."""
    img = page.rotate(
        rng.uniform(-2, 2), resample=Image.Resampling.BILINEAR, expand=True, fillcolor=(255, 255, 255)
    )
    k = dpi_to / dpi_from
    img = img.resize((round(img.width * k), round(img.height * k)), Image.Resampling.LANCZOS)
    return img.filter(ImageFilter.GaussianBlur(rng.uniform(0.2, 0.6)))


def jpeg(image: Image.Image, quality: int, orientation: int | None = None) -> bytes:
    """JPEG bytes; with ``orientation`` (EXIF 3, 6 or 8) the pixels are stored turned, as cameras do."""
    buf = io.BytesIO()
    if orientation:
        stored = {
            3: image.rotate(180, expand=True),
            6: image.rotate(90, expand=True),
            8: image.rotate(-90, expand=True),
        }[orientation]
        exif = Image.Exif()
        exif[0x0112] = orientation
        stored.save(buf, "JPEG", quality=quality, exif=exif)
    else:
        image.save(buf, "JPEG", quality=quality)
    return buf.getvalue()
