"""Find the page in an image: read its QR code, find the registration marks, straighten it.

1. **QR code** (zxing-cpp): its text names the enterprise, form version, page and mark layout;
   its four corners, found in any orientation, give a first estimate of where the page lies.
2. **Registration marks**: from that estimate, each corner's solid square is looked for in a
   window around where it should be (``mark_candidates``), against the paper right around it (a
   hand's shadow, glare or the table are background). A mark answers a box filter (dark inside,
   light around it); the few best positions that look like a printed mark (size, squareness, a
   light band around) are kept, their centres the centres of their dark pixels.
3. **Homography** from four candidates (or three and the QR code when a corner is cut off or
   folded) that agree with the QR code's corners, and whose straightened page shows the printed
   frames where the layout has them (``frames_found``): a page whose marks disagree is refused
   rather than read at the wrong places.
4. **Straightened page**: the image resampled to ``DPI`` in page coordinates, its lighting made
   even (paper white everywhere, from a coarse estimate of the paper's brightness), as darkness
   0..1 (``Straight.dark``).
"""

from __future__ import annotations

import itertools
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
    """Every KhaoSat-looking QR code in the image (any orientation), read by zxing-cpp.

    Tried in turn, until one attempt reads a code: the image as taken; sharpened; then each
    symbol that zxing found but could not decode (a checksum error: a small, blurred code in a
    large photo) cut out, enlarged and given its own contrast (``_enhanced``); then, for an image
    of at most 2,400 pixels, the whole of it twice as large with an unsharp mask.
    """
    import zxingcpp

    failed: list[np.ndarray] = []

    def attempt(
        img: Image.Image, scale: float = 1.0, offset: tuple[float, float] = (0.0, 0.0)
    ) -> list[QrFound]:
        found = []
        for code in zxingcpp.read_barcodes(img, formats=zxingcpp.BarcodeFormat.QRCode, return_errors=True):  # pyright: ignore[reportArgumentType] (one format is a set of formats)
            p = code.position
            corners = np.array(
                [[pt.x, pt.y] for pt in (p.top_left, p.top_right, p.bottom_right, p.bottom_left)], dtype=float
            ) / scale + np.asarray(offset)
            if code.valid:
                found.append(QrFound(code.text, corners))
            else:
                failed.append(corners)
        return found

    found = attempt(image) or attempt(image.filter(ImageFilter.SHARPEN))
    if found:
        return found
    for corners in failed[:3]:
        # the symbol as found may be only part of it (two finder patterns): a wide margin
        (x0, y0), (x1, y1) = corners.min(axis=0), corners.max(axis=0)
        size = max(x1 - x0, y1 - y0, 20.0)
        box = (
            int(max(0, x0 - size)),
            int(max(0, y0 - size)),
            int(min(image.width, x1 + size)),
            int(min(image.height, y1 + size)),
        )
        crop = image.crop(box)
        for k in sorted({min(4.0, max(2.0, round(400 / size))), 4.0}):
            big = crop.resize((round(crop.width * k), round(crop.height * k)), Image.Resampling.BICUBIC)
            found = attempt(_enhanced(big, k), k, (box[0], box[1]))
            if found:
                return found
    if max(image.size) <= 2400:
        big = image.resize((image.width * 2, image.height * 2), Image.Resampling.BICUBIC)
        return attempt(big.filter(ImageFilter.UnsharpMask(4, 200, 2)), 2.0)
    return []


def _enhanced(image: Image.Image, k: float) -> Image.Image:
    """A blurred code made crisp: an unsharp mask of its enlarged size, then the contrast
    stretched over the crop (the paper white, the modules black)."""
    from PIL import ImageOps

    return ImageOps.autocontrast(image.filter(ImageFilter.UnsharpMask(round(2 * k), 250, 0)), cutoff=1)


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


def _running(a: np.ndarray, k: int, fn) -> np.ndarray:
    """``fn`` (np.max or np.min) over a k x k square around each pixel, edges repeated (separable)."""
    from numpy.lib.stride_tricks import sliding_window_view

    p = k // 2
    a = fn(sliding_window_view(np.pad(a, ((p, p), (0, 0)), mode="edge"), k, axis=0), axis=-1)
    return fn(sliding_window_view(np.pad(a, ((0, 0), (p, p)), mode="edge"), k, axis=1), axis=-1)


def paper_level(grey: np.ndarray, side: float) -> np.ndarray:
    """The brightness of the paper under each pixel: the image with every dark thing smaller than
    about twice ``side`` taken away (a grey-level closing: the brightest pixel around, then the
    darkest of those). A hand's shadow, a gradient of light or glare is larger than that and stays
    part of the paper, so a mark is measured against the paper right around it."""
    k = int(2 * side) | 1
    return np.maximum(_running(_running(grey, k, np.max), k, np.min), 30.0)


@dataclass
class MarkFound:
    x: float  # image pixels, the centre of the mark's dark pixels
    y: float
    score: float  # mean darkness inside less around


# the size, in pixels, at which marks are looked for: a large photo is reduced to it first
WORK_SIDE = 12.0


def mark_candidates(
    image: Image.Image,
    centre: tuple[float, float],
    side: float,
    radius: float,
    limit: int = 4,
    exclude: np.ndarray | None = None,
) -> list[MarkFound]:
    """Solid dark squares of about ``side`` pixels within ``radius`` of ``centre``, best first.

    The window is reduced so that a mark is about ``WORK_SIDE`` pixels, made darkness (0 paper ..
    1 ink) against the paper right around each pixel (``paper_level``: shadows, uneven light and
    glare are evened out, and the table beside a cut margin counts as background, not as ink),
    and each position scored by the mean darkness inside a square of the mark's size minus the
    mean in the ring around it. The best positions, apart from each other, are kept when they
    look like a printed mark (``_looks_like_mark``). ``exclude`` (a polygon in image pixels: the
    QR code) holds no mark.
    """
    w, h = image.size
    cx, cy = centre
    margin = 2 * side
    x0, x1 = int(max(0, cx - radius - margin)), int(min(w, cx + radius + margin))
    y0, y1 = int(max(0, cy - radius - margin)), int(min(h, cy + radius + margin))
    f = max(1.0, side / WORK_SIDE)
    s = side / f
    half = max(2, round(s / 2))
    ring = max(half + 2, round(s * 0.95))
    if (x1 - x0) / f < 2 * ring + 4 or (y1 - y0) / f < 2 * ring + 4:
        return []
    crop = image.crop((x0, y0, x1, y1))
    if f > 1:
        crop = crop.resize((round(crop.width / f), round(crop.height / f)), Image.Resampling.BOX)
    fx, fy = (x1 - x0) / crop.width, (y1 - y0) / crop.height
    grey = np.asarray(crop, dtype=np.float32)
    paper = paper_level(grey, s)
    win = np.clip(1.0 - grey / paper, 0.0, 1.0)
    ii = np.zeros((win.shape[0] + 1, win.shape[1] + 1))
    ii[1:, 1:] = win.cumsum(0).cumsum(1)
    ys = np.arange(ring, win.shape[0] - ring)
    xs = np.arange(ring, win.shape[1] - ring)
    yy, xx = np.meshgrid(ys, xs, indexing="ij")
    inner_sum = _box_sum(ii, yy - half, xx - half, yy + half, xx + half)
    inner = inner_sum / (2 * half) ** 2
    outer = (_box_sum(ii, yy - ring, xx - ring, yy + ring, xx + ring) - inner_sum) / (
        (2 * ring) ** 2 - (2 * half) ** 2
    )
    score = np.where((inner >= 0.25) & (inner - outer >= 0.2), inner - outer, -1.0)
    # within ``radius`` of the centre only (the margin is there for the ring and the paper level)
    gx, gy = x0 + (xx + 0.5) * fx, y0 + (yy + 0.5) * fy
    score[(gx - cx) ** 2 + (gy - cy) ** 2 > radius**2] = -1.0
    found: list[MarkFound] = []
    for _ in range(4 * limit):
        iy, ix = np.unravel_index(np.argmax(score), score.shape)
        best = float(score[iy, ix])
        if best < 0:
            break
        score[max(0, iy - round(s)) : iy + round(s) + 1, max(0, ix - round(s)) : ix + round(s) + 1] = -1.0
        at = _looks_like_mark(win, paper, int(ys[iy]), int(xs[ix]), s, float(inner[iy, ix]))
        if at is None:
            continue
        x, y = x0 + (at[0] + 0.5) * fx, y0 + (at[1] + 0.5) * fy
        if exclude is not None and _inside(exclude, x, y):
            continue
        found.append(MarkFound(x, y, best))
        if len(found) >= limit:
            break
    return found


def _looks_like_mark(
    win: np.ndarray, paper: np.ndarray, py: int, px: int, s: float, inner: float
) -> tuple[float, float] | None:
    """The centre (window pixels) of the dark square at (px, py), or None when it is not one.

    A printed mark is a solid square standing alone on paper: the dark pixels joined to it are
    spread as a square's are (not a line, a half-cut mark, a disc with its neighbours, the table
    or a filled row of boxes), as many as a square of that spread has, of a side within what a
    photo's perspective makes of ``s``, and the band of paper around it is light. Its own size,
    not ``s``, decides the band: the far edge of a page photographed at an angle is smaller or
    larger than the QR code's scale says.

    Where the paper level changes across the band (``paper``: the table beyond the page's edge,
    or a shadow's edge), the mark must be square to within 30%: a mark cut by the page's edge
    has its centre elsewhere than the printed one, and is refused (the page is then placed with
    the three other marks and the QR code).
    """
    r = round(1.6 * s)
    oy, ox = max(0, py - r), max(0, px - r)
    patch = win[oy : py + r + 1, ox : px + r + 1]
    mask = patch > 0.5 * inner
    seed = (py - oy, px - ox)
    if not mask[seed]:
        return None
    region = np.zeros_like(mask)
    region[seed] = True
    for _ in range(2 * r + 2):  # grow within the mask: the dark pixels joined to the seed
        grown = region.copy()
        grown[1:] |= region[:-1]
        grown[:-1] |= region[1:]
        grown[:, 1:] |= region[:, :-1]
        grown[:, :-1] |= region[:, 1:]
        grown &= mask
        if (grown == region).all():
            break
        region = grown
    if region[0].any() or region[-1].any() or region[:, 0].any() or region[:, -1].any():
        return None  # joined to something larger than a mark
    n = int(region.sum())
    a = float(np.sqrt(n))
    if not 0.6 * s <= a <= 2.1 * s:
        return None
    weights = np.where(region, patch, 0.0)
    total = float(weights.sum())
    ty, tx = np.mgrid[0 : patch.shape[0], 0 : patch.shape[1]]
    my, mx = float((ty * weights).sum() / total), float((tx * weights).sum() / total)
    # a square of side a spreads by a^2/12 along every direction (turned or not)
    dy, dx = ty - my, tx - mx
    cxx, cxy, cyy = (dx * dx * weights).sum(), (dx * dy * weights).sum(), (dy * dy * weights).sum()
    low, high = np.linalg.eigvalsh(np.array([[cxx, cxy], [cxy, cyy]]) / total)
    if high > 2.5 * low or not 0.75 <= 12 * np.sqrt(max(low, 0.0) * high) / n <= 1.4:
        return None
    my, mx = oy + my, ox + mx
    # the band of paper around it
    n0, n1 = max(0, int(my - a)), int(my + a) + 2
    m0, m1 = max(0, int(mx - a)), int(mx + a) + 2
    around = win[n0:n1, m0:m1]
    by, bx = np.mgrid[n0 : n0 + around.shape[0], m0 : m0 + around.shape[1]]
    d = np.maximum(np.abs(bx - mx), np.abs(by - my))
    in_band = (d >= 0.7 * a) & (d <= 0.9 * a)
    band = around[in_band]
    if band.size < 2 * a or float(band.mean()) > 0.15 or float((band > 0.5).mean()) > 0.12:
        return None
    level = paper[n0:n1, m0:m1][in_band]
    if float(level.min()) < 0.8 * float(level.max()) and high > 1.3 * low:
        return None
    return mx, my


def _inside(poly: np.ndarray, x: float, y: float) -> bool:
    """Whether (x, y) lies in the convex polygon ``poly`` (its corners in order)."""
    signs = []
    for (ax, ay), (bx, by) in zip(poly, np.roll(poly, -1, axis=0)):
        signs.append((bx - ax) * (y - ay) - (by - ay) * (x - ax))
    return all(v >= 0 for v in signs) or all(v <= 0 for v in signs)


def find_mark(
    image: Image.Image, centre: tuple[float, float], side: float, radius: float
) -> tuple[float, float] | None:
    """The centre of the best-looking registration mark within ``radius`` of ``centre``, if any."""
    found = mark_candidates(image, centre, side, radius, limit=1)
    return (found[0].x, found[0].y) if found else None


def darkness(image: Image.Image) -> np.ndarray:
    """0 (paper) .. 1 (ink) with the lighting evened out: each pixel against the paper around it.

    The paper's brightness is estimated on the page reduced 4 times (means of 4x4 pixels: the
    brightest single pixels would be noise, not paper) by a grey-level closing 13 reduced pixels
    wide (``paper_level``): everything dark and smaller than about 6 mm (ink, a filled bubble, a
    corner mark) is taken away, while a shadow's or a fold's edge stays where it is. (Spreading the
    brightest paper around instead, as before, made the paper just inside a hand's sharp shadow
    look like ink: a blank box there was read as ticked.) Smoothed a little, brought back to full
    size.
    """
    a = np.asarray(image, dtype=np.float32)
    h, w = a.shape
    reduced = np.asarray(image.reduce(4), dtype=np.float32)
    paper = paper_level(reduced, PAPER_FEATURE / 2)
    small = Image.fromarray(np.clip(paper, 0, 255).astype(np.uint8)).filter(ImageFilter.BoxBlur(1))
    level = np.asarray(small.resize((w, h), Image.Resampling.BILINEAR), dtype=np.float32)
    return np.clip(1.0 - a / np.maximum(level, 40.0), 0.0, 1.0)


PAPER_FEATURE = 13  # reduced pixels (4 canonical each: 52 px, 6.6 mm at 200 dpi)


@dataclass
class Located:
    h: np.ndarray  # canonical pixels -> image pixels
    marks_found: int
    qr_error_pt: float
    straight: Straight | None = None  # the page straightened when it was checked


def locate(image: Image.Image, qr: QrFound, layout: SheetLayout) -> Located:
    """Where the page lies in the image, from the QR code and the registration marks.

    Each corner's mark is looked for around where the QR code (and the marks already found) put
    it: the two nearest the QR code within ``NEAR_PT``, the far ones within ``FAR_PT`` (a phone held
    at an angle shrinks the far edge of the page; a first guess from a code 22 mm wide is that far
    off). A few candidates are kept per corner, and the set of four (or, failing that, three) that
    agrees best with the QR code places the page: a shadow, a bubble filled as dark as a mark or a
    corner folded over cannot put the page in the wrong place unnoticed.
    """
    qx, qy, qs = layout.qr
    qr_canon = np.array(
        [to_canon(qx, qy + qs), to_canon(qx + qs, qy + qs), to_canon(qx + qs, qy), to_canon(qx, qy)]
    )
    first = affine(qr_canon, qr.corners)
    px_per_pt = SCALE * float(np.sqrt(abs(np.linalg.det(first[:2, :2]))))
    marks_canon = np.array([to_canon(x, y) for x, y in layout.marks])
    # the QR code holds no mark (its finder patterns are squares of about a mark's size)
    qr_middle = qr.corners.mean(axis=0)
    no_mark = qr_middle + (qr.corners - qr_middle) * 1.15
    # nearest mark first; each one found improves the guess for the next (perspective)
    qr_centre = qr_canon.mean(axis=0)
    order = sorted(range(len(marks_canon)), key=lambda i: float(np.hypot(*(marks_canon[i] - qr_centre))))
    candidates: dict[int, list[MarkFound]] = {}
    anchors: list[tuple[int, MarkFound]] = []
    estimate = first
    for n, i in enumerate(order):
        g = apply(estimate, marks_canon[i : i + 1])[0]
        side = _local_side(estimate, marks_canon[i])
        near = n < 2
        radius = (NEAR_PT if near else FAR_PT) * px_per_pt
        candidates[i] = mark_candidates(
            image, (g[0], g[1]), side, radius, limit=3 if near else 6, exclude=no_mark
        )
        if near and candidates[i]:
            # the far corners are looked for from the QR code and the near marks only: a wrong
            # candidate there must not move the search for the other
            anchors.append((i, candidates[i][0]))
            src = np.vstack([qr_canon, marks_canon[[k for k, _ in anchors]]])
            dst = np.vstack([qr.corners, np.array([[m.x, m.y] for _, m in anchors])])
            estimate = affine(src, dst)
    if sum(1 for c in candidates.values() if c) < 3:
        raise LocateError(
            "Không thấy đủ các ô vuông đen ở góc phiếu (cần ít nhất 3 trong 4 góc). "
            "Hãy chụp hoặc quét cả trang, không để mất góc, không che tay lên góc."
        )
    agreeing: list[Located] = []
    options = [[None, *candidates.get(i, [])] for i in range(len(marks_canon))]
    for combo in itertools.product(*options):
        chosen = [(i, m) for i, m in enumerate(combo) if m is not None]
        if len(chosen) < 3:
            continue
        src = marks_canon[[i for i, _ in chosen]]
        dst = np.array([[m.x, m.y] for _, m in chosen])
        if len(chosen) == 4:
            if not _convex(dst):
                continue
            h = homography(src, dst)
            err = float(np.abs(apply(h, qr_canon) - qr.corners).max())
        else:
            # three marks and the QR code: every point must fit
            src, dst = np.vstack([src, qr_canon]), np.vstack([dst, qr.corners])
            h = homography(src, dst)
            err = float(np.abs(apply(h, src) - dst).max())
        if err / px_per_pt <= QR_TOLERANCE_PT:
            agreeing.append(Located(h, len(chosen), err / px_per_pt))
    # four marks before three, then the best agreement with the QR code; and the page placed so
    # must show its printed frames where the layout has them (``frames_found``): marks that agree
    # with the QR code by chance do not place a page
    agreeing.sort(key=lambda c: (-c.marks_found, c.qr_error_pt))
    for loc in agreeing[:MAX_TRIED]:
        page = straighten(image, loc)
        if frames_found(page.dark, layout) >= FRAMES_MIN:
            loc.straight = page
            return loc
    raise LocateError(
        "Các ô vuông đen ở góc phiếu không khớp với mã QR (ảnh bị méo, gấp hoặc đây không phải phiếu "
        "KhaoSat). Hãy đặt phiếu phẳng rồi chụp hoặc quét lại."
    )


MAX_TRIED = 4  # placements straightened and checked against the printed frames, at most
FRAMES_MIN = 0.8  # share of the frames' sides found where the layout puts them


def frames_found(dark: np.ndarray, layout: SheetLayout) -> float:
    """The share of points along the printed frames' straight sides that are ink on the
    straightened page (within 1 pt across the line): about 1 when the page is placed right, much
    less when a part of it is placed a few points off."""
    h, w = dark.shape
    pad = round(1.2 * SCALE)
    hits = total = 0
    for x, y, fw, fh in layout.frames:
        x0, y1 = to_canon(x, y)
        x1, y0 = to_canon(x + fw, y + fh)
        inset = 6 * SCALE  # clear of the rounded corners
        xs = np.arange(x0 + inset, x1 - inset, 4.0).round().astype(int)
        ys = np.arange(y0 + inset, y1 - inset, 4.0).round().astype(int)
        for line_y in (round(y0), round(y1)):
            rows = np.clip(np.arange(line_y - pad, line_y + pad + 1), 0, h - 1)
            best = dark[np.ix_(rows, np.clip(xs, 0, w - 1))].max(axis=0)
            hits += int((best > 0.25).sum())
            total += len(xs)
        for line_x in (round(x0), round(x1)):
            cols = np.clip(np.arange(line_x - pad, line_x + pad + 1), 0, w - 1)
            best = dark[np.ix_(np.clip(ys, 0, h - 1), cols)].max(axis=1)
            hits += int((best > 0.25).sum())
            total += len(ys)
    return hits / total if total else 1.0


NEAR_PT = 40.0  # 14 mm
FAR_PT = 330.0  # 116 mm


def _local_side(h: np.ndarray, centre: np.ndarray) -> float:
    """A mark's side in image pixels where ``h`` (canonical -> image) puts it."""
    d = MARK_SIZE * SCALE / 2
    square = centre + np.array([[-d, -d], [d, -d], [d, d], [-d, d]])
    x, y = apply(h, square).T
    area = 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))
    return float(np.sqrt(area))


def _convex(pts: np.ndarray) -> bool:
    """Whether four points, in order, make a convex quadrilateral (a page, not a bow tie)."""
    cross = []
    for k in range(4):
        a, b, c = pts[k], pts[(k + 1) % 4], pts[(k + 2) % 4]
        cross.append((b[0] - a[0]) * (c[1] - b[1]) - (b[1] - a[1]) * (c[0] - b[0]))
    return all(v > 0 for v in cross) or all(v < 0 for v in cross)


def straighten(image: Image.Image, loc: Located) -> Straight:
    """The page resampled in canonical coordinates, with its darkness map."""
    if loc.straight is not None:
        return loc.straight
    h = loc.h / loc.h[2, 2]
    coeffs = (h[0, 0], h[0, 1], h[0, 2], h[1, 0], h[1, 1], h[1, 2], h[2, 0], h[2, 1])
    page = image.transform(
        (CANON_W, CANON_H), Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BILINEAR, fillcolor=255
    )
    return Straight(page, darkness(page), loc.marks_found, loc.qr_error_pt)
