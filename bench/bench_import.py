"""List import benchmark: a 20,000-row .xlsx master list, previewed and imported.

    uv run python bench/bench_import.py [--rows 20000] [--province 01] [--legacy] [--out bench/out]

Writes a realistic list (title rows, header on line 3, number cells for tax codes and workforce,
wards written in the address with and without diacritics and prefixes, 2% bad tax codes, 1% rows
repeated) to an .xlsx, then times, against a fresh SQLite file on disk: reading and finding the
header and mapping; the preview (every row validated, matched, placed in a ward); the import (one
transaction); the error file; and importing the same file a second time (must add nothing).
``--legacy`` writes the text cells in TCVN3 with the .VnTime font to time the conversion too.
Prints a Markdown section for docs/performance.md. Target: preview + import under 15 s.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.demo import names as N
from app.domain import taxcode, units
from app.domain.text import fold
from app.domain.vnformat import format_int
from app.domain.vocab import Role
from app.importing import errorfile
from app.importing import mapping as mp
from app.importing import plan as pl
from app.importing.legacy import encode_tcvn3
from app.storage import Store

HEADERS = [
    "STT",
    "Tên doanh nghiệp",
    "Mã số thuế",
    "Địa chỉ trụ sở",
    "Người đại diện",
    "Điện thoại",
    "Năm thành lập",
    "Tổng số LĐ",
    "LĐ nữ",
    "Ghi chú",
]


def person(rng: random.Random) -> str:
    surname = rng.choices([s for s, _ in N.SURNAMES], [w for _, w in N.SURNAMES])[0]
    if rng.random() < 0.5:
        return f"{surname} {rng.choice(N.MIDDLE_MALE)} {rng.choice(N.GIVEN_MALE)}"
    return f"{surname} {rng.choice(N.MIDDLE_FEMALE)} {rng.choice(N.GIVEN_FEMALE)}"


def ward_text(rng: random.Random, short: str) -> str:
    style = rng.random()
    if style < 0.4:
        return f"Phường {short}"
    if style < 0.6:
        return f"P. {short}"
    if style < 0.75:
        return f"phuong {fold(short)}"
    if style < 0.85:
        return short
    return f"P.{short}"


class _Legacy(str):
    """Text to be written in the .VnTime font."""


def write_list(path: Path, rows: int, province: str, seed: int, legacy: bool) -> int:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    rng = random.Random(seed)
    wards = [w for w in units.wards(province) if w.kind == "phường"] or units.wards(province)
    # A normal (not write-only) workbook: like Excel, it writes the sheet's <dimension> first, which
    # openpyxl's reader looks for (without it the reader scans the whole sheet once more).
    wb = Workbook()
    ws = wb.active
    ws.title = "Danh sách"
    font = Font(name=".VnTime")

    def text(value: str):
        if not legacy:
            return value
        try:
            return _Legacy(encode_tcvn3(value))
        except ValueError:  # a capital with a tone: TCVN3 needs an H font; keep this cell in Unicode
            return value

    def append(values: list) -> None:
        ws.append([str(v) if isinstance(v, _Legacy) else v for v in values])
        r = ws.max_row
        for c, v in enumerate(values, 1):
            if isinstance(v, _Legacy):
                ws.cell(r, c).font = font

    append([text("danh sách doanh nghiệp ngoài khu vực nhà nước")])
    append([])
    append([text(h) if not any(ch.isupper() and ord(ch) > 0x7F for ch in h) else h for h in HEADERS])
    used = 0
    serial = 0
    last: list = []
    for i in range(rows):
        if i and rng.random() < 0.01:
            append([i + 1, *last[1:]])  # a repeated line
            continue
        while True:
            serial += 1
            code = taxcode.make_valid(f"0{rng.randint(10, 99)}{serial:06d}")
            if code:
                break
        if rng.random() < 0.02:
            code = code[:9] + str((int(code[9]) + 1) % 10)
        section = rng.choice(list(N.INDUSTRY_WORDS))
        form = rng.choice(["Công ty TNHH", "Công ty Cổ phần", "Công ty TNHH MTV", "Doanh nghiệp tư nhân"])
        name = f"{form} {rng.choice(N.INDUSTRY_WORDS[section])} {rng.choice(N.BRAND_WORDS)} {serial}"
        ward = rng.choice(wards)
        address = f"Số {rng.randint(1, 300)} {rng.choice(N.STREETS)}, {ward_text(rng, ward.short_name)}"
        total = rng.randint(3, 900)
        last = [
            i + 1,
            text(name),
            int(code) if rng.random() < 0.5 else code,
            text(address),
            text(person(rng)),
            int(f"9{rng.randint(10000000, 99999999)}"),
            rng.randint(1995, 2024),
            total,
            rng.randint(0, total),
            f"phường gốc {ward.code}",
        ]  # the note says where the row belongs
        append(last)
        used += 1
    wb.save(path)
    return used


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=20_000)
    ap.add_argument("--province", default="01")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--legacy", action="store_true")
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    from bench_foundation import machine  # type: ignore[import-not-found]

    work = Path(args.out or tempfile.mkdtemp(prefix="bench-import-"))
    work.mkdir(parents=True, exist_ok=True)
    src = work / f"danh-sach-{args.rows}{'-tcvn3' if args.legacy else ''}.xlsx"
    t0 = time.perf_counter()
    write_list(src, args.rows, args.province, args.seed, args.legacy)
    t_write = time.perf_counter() - t0
    db = work / "bench-import.sqlite3"
    for p in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        p.unlink(missing_ok=True)
    ward = units.wards(args.province)[0].code
    with Store(db) as store:
        store.set_profile(unit_code=ward, collaborator="Bench", role=Role.WARD_OFFICE)
        t0, c0 = time.perf_counter(), time.process_time()
        prepared = mp.prepare(src, store)
        t_read, c_read = time.perf_counter() - t0, time.process_time() - c0
        t0, c0 = time.perf_counter(), time.process_time()
        plan = pl.preview(store, prepared.table, prepared.mapping, pl.Options(on_duplicate="update"))
        t_preview, c_preview = time.perf_counter() - t0, time.process_time() - c0
        t0, c0 = time.perf_counter(), time.process_time()
        result = pl.execute(store, plan)
        t_import, c_import = time.perf_counter() - t0, time.process_time() - c0
        t0 = time.perf_counter()
        errorfile.write(work / "loi.xlsx", result.preview)
        t_errors = time.perf_counter() - t0
        counts = result.preview.counts()
        placed = [r for r in result.preview.rows if r.outcome == pl.Outcome.NEW]
        right = sum(1 for r in placed if r.enterprise.note.endswith(r.enterprise.ward_code))
        before = store.counts()
        t0 = time.perf_counter()
        again = mp.prepare(src, store)
        plan2 = pl.preview(store, again.table, again.mapping, pl.Options(on_duplicate="update"))
        result2 = pl.execute(store, plan2)
        t_again = time.perf_counter() - t0
        assert store.counts() == before and result2.created == result2.updated == 0
    total = t_read + t_preview + t_import
    cpu = c_read + c_preview + c_import
    conv = sum(prepared.table.sheet.conversions.values())
    print(f"### {format_int(args.rows)} rows{' (TCVN3, .VnTime)' if args.legacy else ''}")
    print()
    print(f"Machine: {machine()}. File {src.stat().st_size / 1e6:.1f} MB, written in {t_write:.1f} s.")
    print()
    print(
        f"Wall-clock seconds (CPU seconds of this process in brackets: the machine may be shared; "
        f"load average {os.getloadavg()[0]:.1f})."
    )
    print()
    print(
        f"- Read the .xlsx, find the header, map the columns: **{t_read:.2f} s** ({c_read:.2f})"
        + (f" ({conv:,} cells converted from TCVN3)".replace(",", ".") if conv else "")
    )
    print(f"- Preview (validate, match duplicates, place wards): **{t_preview:.2f} s** ({c_preview:.2f})")
    print(
        f"- Import in one transaction ({format_int(result.created)} created): **{t_import:.2f} s** ({c_import:.2f})"
    )
    print(f"- Read + preview + import: **{total:.2f} s** ({cpu:.2f}) (target < 15 s)")
    print(f"- Error file ({len(result.preview.rejected()):,} rows): {t_errors:.2f} s".replace(",", "."))
    print(f"- The same file again (read + preview + import, nothing added): {t_again:.2f} s")
    print(f"- Wards placed from the address: {format_int(right)}/{format_int(len(placed))} right")
    print("- Outcomes: " + "; ".join(f"{o.label}: {format_int(n)}" for o, n in counts.items()))


if __name__ == "__main__":
    main()
