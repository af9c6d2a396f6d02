"""Find the page in an image: read its QR code, find the registration marks, straighten it.

1. **QR code** (zxing-cpp): its text names the enterprise, form version, page and mark layout;
   its four corners, found in any orientation, give a first estimate of where the page lies.
2. **Registration marks**: from that estimate, each corner's solid square is looked for in a
   window around where it should be. A mark answers a box filter (dark inside, light around it)
   at the scale the QR code tells; its centre is the centre of its dark pixels.
3. **Homography** from the four marks (or three marks and the QR code when a corner is cut off
   or folded), checked against the QR code's corners: a page whose marks disagree with its QR code
   is refused rather than read at the wrong places.
4. **Straightened page**: the image resampled to ``DPI`` in page coordinates, its lighting made
   even (paper white everywhere, from a coarse estimate of the paper's brightness), as darkness
   0..1 (``Straight.dark``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter

from app.scan.layout import MARK_SIZE, PAGE_H, PAGE_W, SheetLayout

DPI = 200
SCALE = DPI / 72  # canonical pixels per point
CANON_W, CANON_H = round(PAGE_W * SCALE), round(PAGE_H * SCALE)
QR_TOLERANCE_PT = 3.0  # the marks' page and the QR code's corners must agree within ~1 mm


class LocateError(ValueError):
    """The page cannot be found in the image (Vietnamese message)."""


@dataclass
class QrFound:
    text: str
    corners: np.ndarray  # 4x2 image pixels: the symbol's top-left, top-right, bottom-right, bottom-left


@dataclass
class Straight:
    """A page in page coordinates: ``image`` (grey, 200 dpi) and ``dark`` (float32 0..1)."""

    image: Image.Image
    dark: np.ndarray
    marks_found: int  # 4, or 3 when a corner was cut off or folded
    qr_error_pt: float  # how far the QR code's corners are from where the marks put them


def to_canon(x: float, y: float) -> tuple[float, float]:
    """Page point (PDF coordinates, origin bottom-left) to canonical pixel (origin top-left)."""
    return x * SCALE, (PAGE_H - y) * SCALE


def read_qr(image: Image.Image) -> list[QrFound]:
    """Every KhaoSat-looking QR code in the image (any orientation), read by zxing-cpp."""
    import zxingcpp

    found: list[QrFound] = []
    for attempt, scale in _qr_attempts(image):
        for code in zxingcpp.read_barcodes(attempt, formats=zxingcpp.BarcodeFormat.QRCode):  # pyright: ignore[reportArgumentType] (one format is a set of formats)
            p = code.position
            corners = np.array(
                [[pt.x, pt.y] for pt in (p.top_left, p.top_right, p.bottom_right, p.bottom_left)], dtype=float
            )
            found.append(QrFound(code.text, corners / scale))
        if found:
            break
    return found


def _qr_attempts(image: Image.Image):
    """The image as taken, sharpened, then (only when both fail: a small or blurred code, as in a
    photo sent through a chat app) twice as large with an unsharp mask, which gives the decoder
    more pixels a module. Yields (image, its scale)."""
    yield image, 1.0
    yield image.filter(ImageFilter.SHARPEN), 1.0
    if max(image.size) <= 2400:
        big = image.resize((image.width * 2, image.height * 2), Image.Resampling.BICUBIC)
        yield big.filter(ImageFilter.UnsharpMask(4, 200, 2)), 2.0


# --- homographies -------------------------------------------------------------------------------


def homography(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """The 3x3 projective map taking ``src`` points to ``dst`` (least squares for more than 4)."""
    rows, rhs = [], []
    for (x, y), (u, v) in zip(src, dst):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        rhs += [u, v]
    a = np.asarray(rows, dtype=float)
    b = np.asarray(rhs, dtype=float)
    h = np.linalg.lstsq(a, b, rcond=None)[0] if len(src) > 4 else np.linalg.solve(a, b)
    return np.append(h, 1.0).reshape(3, 3)


def affine(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """The least-squares affine map (as a 3x3 matrix) taking ``src`` to ``dst``."""
    a = np.hstack([src, np.ones((len(src), 1))])
    m = np.linalg.lstsq(a, dst, rcond=None)[0]  # 3x2
    return np.vstack([m.T, [0, 0, 1]])


def apply(h: np.ndarray, pts: np.ndarray) -> np.ndarray:
    pts = np.asarray(pts, dtype=float).reshape(-1, 2)
    q = np.hstack([pts, np.ones((len(pts), 1))]) @ h.T
    return q[:, :2] / q[:, 2:3]


# --- registration marks -------------------------------------------------------------------------


def _box_sum(ii: np.ndarray, y0, x0, y1, x1) -> np.ndarray:
    """Sums over boxes [y0:y1, x0:x1) from an integral image with a zero first row and column."""
    return ii[y1, x1] - ii[y0, x1] - ii[y1, x0] + ii[y0, x0]


def find_mark(
    image: Image.Image, centre: tuple[float, float], side: float, radius: float
) -> tuple[float, float] | None:
    """The centre of a solid dark square of about ``side`` pixels within ``radius`` of ``centre``.

    The window is made darkness (0 paper .. 1 ink) against its own paper brightness. Each position
    is scored by the mean darkness inside a square of the mark's size minus the mean in the ring
    around it; the best score must look like a printed mark (dark inside, light around).
    """
    w, h = image.size
    cx, cy = centre
    half = max(2, round(side / 2))
    ring = max(half + 2, round(side * 0.95))
    x0, x1 = int(max(0, cx - radius - ring)), int(min(w, cx + radius + ring))
    y0, y1 = int(max(0, cy - radius - ring)), int(min(h, cy + radius + ring))
    if x1 - x0 < 2 * ring + 2 or y1 - y0 < 2 * ring + 2:
        return None
    grey = np.asarray(image.crop((x0, y0, x1, y1)), dtype=np.float32)
    paper = max(float(np.percentile(grey, 90)), 40.0)
    win = np.clip(1.0 - grey / paper, 0.0, 1.0)
    ii = np.zeros((win.shape[0] + 1, win.shape[1] + 1))
    ii[1:, 1:] = win.cumsum(0).cumsum(1)
    ys = np.arange(ring, win.shape[0] - ring)
    xs = np.arange(ring, win.shape[1] - ring)
    yy, xx = np.meshgrid(ys, xs, indexing="ij")
    inner = _box_sum(ii, yy - half, xx - half, yy + half, xx + half) / (2 * half) ** 2
    outer_sum = _box_sum(ii, yy - ring, xx - ring, yy + ring, xx + ring)
    inner_sum = inner * (2 * half) ** 2
    outer = (outer_sum - inner_sum) / ((2 * ring) ** 2 - (2 * half) ** 2)
    score = inner - outer
    iy, ix = np.unravel_index(np.argmax(score), score.shape)
    best = score[iy, ix]
    py, px = int(ys[iy]), int(xs[ix])
    if best < 0.35 or inner[iy, ix] < 0.5:
        return None
    # the centre of the dark pixels around the best position
    r = max(half + 1, round(0.7 * side))  # the mark and a little paper, not the table beyond
    patch = win[max(0, py - r) : py + r, max(0, px - r) : px + r]
    mask = patch > 0.5 * inner[iy, ix]
    if not 0.5 * (2 * half) ** 2 <= mask.sum() <= 1.6 * (2 * half) ** 2:
        return None  # too little ink for a mark, or a larger dark area (the table, a shadow)
    ty, tx = np.nonzero(mask)
    mx, my = max(0, px - r) + tx.mean(), max(0, py - r) + ty.mean()
    # a printed mark stands alone on paper: the band around it is light. A mark cut at the page's
    # edge, or touching the table or a shadow, has a centre that is not the printed one: refuse it
    # (the page is then placed with the three others and the QR code).
    yy2, xx2 = np.mgrid[0 : win.shape[0], 0 : win.shape[1]]
    d = np.maximum(np.abs(xx2 - mx), np.abs(yy2 - my))
    band = win[(d >= 0.62 * side) & (d <= 0.8 * side)]
    if band.size < 2 * side or float(band.mean()) > 0.15 or float((band > 0.5).mean()) > 0.12:
        return None
    return x0 + mx + 0.5, y0 + my + 0.5


def darkness(image: Image.Image) -> np.ndarray:
    """0 (paper) .. 1 (ink) with the lighting evened out: each pixel against the paper around it.

    The paper's brightness is estimated on a coarse grid (the brightest pixels of each 16-pixel
    block, spread over the neighbouring blocks so that ink areas do not count as paper), smoothed,
    and brought back to full size.
    """
    a = np.asarray(image, dtype=np.float32)
    h, w = a.shape
    # means of 4x4 pixels first: the brightest of single pixels would be noise, not paper
    reduced = np.asarray(image.reduce(4), dtype=np.float32)
    b = 4
    hh, ww = reduced.shape[0] // b, reduced.shape[1] // b
    blocks = reduced[: hh * b, : ww * b].reshape(hh, b, ww, b).max(axis=(1, 3))
    small = Image.fromarray(blocks.astype(np.uint8))
    small = small.filter(ImageFilter.MaxFilter(5)).filter(ImageFilter.BoxBlur(2))
    paper = np.asarray(small.resize((w, h), Image.Resampling.BILINEAR), dtype=np.float32)
    paper = np.maximum(paper, 40.0)
    return np.clip(1.0 - a / paper, 0.0, 1.0)


@dataclass
class Located:
    h: np.ndarray  # canonical pixels -> image pixels
    marks_found: int
    qr_error_pt: float


def locate(image: Image.Image, qr: QrFound, layout: SheetLayout) -> Located:
    """Where the page lies in the image, from the QR code and the registration marks."""
    qx, qy, qs = layout.qr
    qr_canon = np.array(
        [to_canon(qx, qy + qs), to_canon(qx + qs, qy + qs), to_canon(qx + qs, qy), to_canon(qx, qy)]
    )
    first = affine(qr_canon, qr.corners)
    px_per_canon = float(np.sqrt(abs(np.linalg.det(first[:2, :2]))))
    side = MARK_SIZE * SCALE * px_per_canon
    marks_canon = np.array([to_canon(x, y) for x, y in layout.marks])
    # around where a mark should be: 40 pt (14 mm) for the two near the QR code, 150 pt (53 mm) for
    # the far ones, where a photo's perspective can move them that far from the first guess
    near, far = 40 * SCALE * px_per_canon, 150 * SCALE * px_per_canon
    # nearest mark first; each one found improves the guess for the next (perspective)
    qr_centre = qr_canon.mean(axis=0)
    order = sorted(range(len(marks_canon)), key=lambda i: float(np.hypot(*(marks_canon[i] - qr_centre))))
    found: list[tuple[int, tuple[float, float]]] = []
    estimate = first
    for n, i in enumerate(order):
        g = apply(estimate, marks_canon[i : i + 1])[0]
        m = find_mark(image, (g[0], g[1]), side, near if n < 2 else far)
        if m is None:
            continue
        found.append((i, m))
        src = np.vstack([qr_canon, marks_canon[[k for k, _ in found]]])
        dst = np.vstack([qr.corners, np.array([p for _, p in found])])
        # affine until three marks span the page: a projective fit to points bunched at the top
        # would throw the far corners anywhere
        estimate = homography(src, dst) if len(found) >= 3 else affine(src, dst)
    found.sort()
    candidates: list[tuple[np.ndarray, int]] = []
    if len(found) == 4:
        candidates.append((homography(marks_canon, np.array([m for _, m in found])), 4))
        # if the four disagree with the QR code, one of them may be wrong: try each three
        for k in range(4):
            keep = [f for j, f in enumerate(found) if j != k]
            src = np.vstack([marks_canon[[i for i, _ in keep]], qr_canon])
            dst = np.vstack([np.array([m for _, m in keep]), qr.corners])
            candidates.append((homography(src, dst), 3))
    if len(found) == 3:
        src = np.vstack([marks_canon[[i for i, _ in found]], qr_canon])
        dst = np.vstack([np.array([m for _, m in found]), qr.corners])
        candidates.append((homography(src, dst), 3))
    if not candidates:
        raise LocateError(
            "Không thấy đủ các ô vuông đen ở góc phiếu (cần ít nhất 3 trong 4 góc). "
            "Hãy chụp hoặc quét cả trang, không để mất góc, không che tay lên góc."
        )
    scored = []
    for h, n in candidates:
        err = float(np.abs(apply(h, qr_canon) - qr.corners).max()) / (SCALE * px_per_canon)
        scored.append(Located(h, n, err))
    four = [c for c in scored if c.marks_found == 4 and c.qr_error_pt <= QR_TOLERANCE_PT]
    # four marks that agree with the QR code; otherwise the three (and the QR code) that agree best
    best = four[0] if four else min(scored, key=lambda c: c.qr_error_pt)
    if best.qr_error_pt > QR_TOLERANCE_PT:
        raise LocateError(
            "Các ô vuông đen ở góc phiếu không khớp với mã QR (ảnh bị méo, gấp hoặc đây không phải phiếu "
            "KhaoSat). Hãy đặt phiếu phẳng rồi chụp hoặc quét lại."
        )
    return best


def straighten(image: Image.Image, loc: Located) -> Straight:
    """The page resampled in canonical coordinates, with its darkness map."""
    h = loc.h / loc.h[2, 2]
    coeffs = (h[0, 0], h[0, 1], h[0, 2], h[1, 0], h[1, 1], h[1, 2], h[2, 0], h[2, 1])
    page = image.transform(
        (CANON_W, CANON_H), Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BILINEAR, fillcolor=255
    )
    return Straight(page, darkness(page), loc.marks_found, loc.qr_error_pt)
