"""QR codes: the module matrix from reportlab's encoder, drawn as ONE filled path.

reportlab's ``QrCodeWidget`` encodes twice and makes one drawing object per module (about 55 ms a
page). Here the data is encoded once and the dark modules are written as one path of rectangles,
one rectangle per horizontal run (no hairline seams between modules in viewers: the whole symbol
is a single fill).

Mask choice: the standard has the encoder score all eight masks (penalty rules N1-N4) and keep
the best; in pure Python that costs about 2 ms more per code, which is most of the QR's cost in a
batch of 1,000 forms. Any mask decodes, so batches of visit forms use a fixed mask
(``best_mask=False``, about 0.9 ms a code) and single documents such as the key registration form
score all eight (``best_mask=True``). Both are checked with zbarimg in tests/printing.

The texts encoded are made and read by ``app.domain.formcode`` (documented in docs/printing.md).
"""

from __future__ import annotations

import functools
import itertools
import re

from reportlab.graphics.barcode import qrencoder

_LEVELS = {
    "L": qrencoder.QRErrorCorrectLevel.L,
    "M": qrencoder.QRErrorCorrectLevel.M,
    "Q": qrencoder.QRErrorCorrectLevel.Q,
    "H": qrencoder.QRErrorCorrectLevel.H,
}


# --- the matrix ---------------------------------------------------------------------------------

FIXED_MASK = 0  # (row + column) mod 2 == 0

# --- Reed-Solomon error correction ---------------------------------------------------------------
# reportlab's encoder computes the error-correction codewords with polynomial objects (about
# 0.6 ms a code, most of a code's cost). This is the textbook table-driven encoder over GF(256)
# with the QR polynomial 0x11D; tests/printing/test_qr.py checks that it gives byte for byte what
# reportlab's ``QRCode.createData`` gives, for every version and level used.

_EXP = [0] * 512
_LOG = [0] * 256
_x = 1
for _i in range(255):
    _EXP[_i] = _x
    _LOG[_x] = _i
    _x <<= 1
    if _x & 0x100:
        _x ^= 0x11D
for _i in range(255, 512):
    _EXP[_i] = _EXP[_i - 255]


@functools.cache
def _generator_logs(n: int) -> tuple[int, ...]:
    """log of the coefficients (after the leading 1) of the generator polynomial of degree n."""
    g = [1]
    for i in range(n):
        nxt = [0] * (len(g) + 1)
        for j, coef in enumerate(g):
            nxt[j] ^= coef
            if coef:
                nxt[j + 1] ^= _EXP[_LOG[coef] + i]
        g = nxt
    assert all(g[1:]), "generator coefficients are non-zero"
    return tuple(_LOG[c] for c in g[1:])


def _ec_codewords(data: list[int], n: int) -> list[int]:
    glog = _generator_logs(n)
    rem = [0] * n
    for d in data:
        factor = d ^ rem[0]
        del rem[0]
        rem.append(0)
        if factor:
            lf = _LOG[factor]
            for j, gl in enumerate(glog):
                rem[j] ^= _EXP[lf + gl]
    return rem


def create_data(version: int, level: int, data_list: list) -> list[int]:
    """The codewords of the symbol: what ``QRCode.createData`` computes, with the fast encoder above."""
    blocks = qrencoder.QRRSBlock.getRSBlocks(version, level)
    buffer = qrencoder.QRBitBuffer()
    for data in data_list:
        data.write(buffer, version)
    total = sum(b.dataCount for b in blocks)
    if buffer.getLengthInBits() > total * 8:
        raise ValueError(f"QR data too long ({buffer.getLengthInBits()} > {total * 8} bits)")
    if buffer.getLengthInBits() + 4 <= total * 8:
        buffer.put(0, 4)
    while buffer.getLengthInBits() % 8:
        buffer.putBit(False)
    pads = (qrencoder.QRCode.PAD0, qrencoder.QRCode.PAD1)
    i = 0
    while buffer.getLengthInBits() < total * 8:
        buffer.put(pads[i % 2], 8)
        i += 1
    dc, ec, offset = [], [], 0
    for b in blocks:
        chunk = buffer.buffer[offset : offset + b.dataCount]
        offset += b.dataCount
        dc.append(chunk)
        ec.append(_ec_codewords(chunk, b.totalCount - b.dataCount))
    out = []
    for group in (dc, ec):
        for i in range(max(len(g) for g in group)):
            out.extend(g[i] for g in group if i < len(g))
    return out


def matrix(text: str, level: str = "M", best_mask: bool = False) -> list[list[bool]]:
    """The QR symbol of ``text`` (smallest version that fits) as rows of booleans (True = dark)."""
    q = qrencoder.QRCode(None, _LEVELS[level])
    q.addData(text)
    q.version = q.calculate_version()
    q.dataCache = create_data(q.version, q.errorCorrectLevel, q.dataList)
    if not best_mask:
        q.makeImpl(False, FIXED_MASK)
        return [list(r) for r in q.modules]
    best: list[list[bool]] | None = None
    best_score = None
    for mask in range(8):
        q.makeImpl(False, mask)
        rows = [list(r) for r in q.modules]
        score = penalty(rows)
        if best_score is None or score < best_score:
            best, best_score = rows, score
    assert best is not None
    return best


_RUN_RE = re.compile(r"0{5,}|1{5,}")
_FINDER_RE = re.compile(r"(?=10111010000|00001011101)")


def penalty(rows: list[list[bool]]) -> int:
    """The standard's mask penalty N1 + N2 + N3 + N4 (lower is better)."""
    n = len(rows)
    lines = ["".join("1" if d else "0" for d in r) for r in rows]
    cols = ["".join(c) for c in zip(*lines)]
    score = 0
    for line in lines + cols:
        for m in _RUN_RE.finditer(line):
            score += len(m.group()) - 2  # 3 + (length - 5)
        score += 40 * len(_FINDER_RE.findall(line))
    full = (1 << (n - 1)) - 1
    ints = [int(line, 2) for line in lines]
    for a, b in itertools.pairwise(ints):
        dark = a & (a >> 1) & b & (b >> 1) & full
        light = ~a & ~(a >> 1) & ~b & ~(b >> 1) & full
        score += 3 * (dark.bit_count() + light.bit_count())
    dark_total = sum(i.bit_count() for i in ints)
    score += 10 * (abs(dark_total * 100 // (n * n) - 50) // 5)
    return score


def path_operators(rows: list[list[bool]], x: float, y: float, size: float) -> str:
    """PDF operators that fill the dark modules as one path: a ``size`` square, bottom-left at x, y.

    Coordinates are whole modules inside a scaled coordinate system, so the numbers are exact.
    """
    n = len(rows)
    s = size / n
    parts = [f"q 0 g 1 0 0 1 {x:.3f} {y:.3f} cm {s:.5f} 0 0 {s:.5f} 0 0 cm"]
    for r, row in enumerate(rows):
        yy = n - 1 - r
        c = 0
        while c < n:
            if row[c]:
                start = c
                while c < n and row[c]:
                    c += 1
                parts.append(f"{start} {yy} {c - start} 1 re")
            else:
                c += 1
    parts.append("f Q")
    return "\n".join(parts)


def draw(
    canvas, text: str, x: float, y: float, size: float, level: str = "M", best_mask: bool = False
) -> None:
    """Draw the QR code of ``text`` on a reportlab canvas, bottom-left at x, y, ``size`` points wide.

    Leave a light margin of 4 modules around it (the quiet zone) when placing it.
    """
    canvas.addLiteral(path_operators(matrix(text, level, best_mask), x, y, size))
