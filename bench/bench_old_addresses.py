"""Placing addresses written before the 2025 reform in today's wards.

    uv run python bench/bench_old_addresses.py [--provinces 01 79] [--seed 1]

Writes, for every old ward of the given provinces (pre-2025 boundaries, from the official conversion
table in resources/units/old-wards-2025.tsv), addresses the way lists in circulation write them: with the
kinds in full ("Phường Hàng Bài, Quận Hoàn Kiếm, Thành phố Hà Nội"), abbreviated ("P. Hàng Bài, Q. Hoàn
Kiếm, TP Hà Nội"), without diacritics, bare ("Hàng Bài, Hoàn Kiếm, Hà Nội"), and without the district.
Each is placed by the importer's ``WardMatcher.from_address`` for the importing laptop's province, and
counted as: placed in a ward the old one went into (right); placed in the one of several that keeps the
old ward's name, with a note asking to check (to check); left for a person with the candidates named
(split, or a name shared by several old wards); placed elsewhere (wrong); or not recognised.
Prints a Markdown section for docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.domain import units
from app.domain.text import fold
from app.domain.vnformat import format_int
from app.importing import old_units
from app.importing.wards import WardMatcher
from bench.machine import machine

STREETS = ["Lê Lợi", "Trần Hưng Đạo", "Nguyễn Trãi", "Hai Bà Trưng", "Lý Thường Kiệt", "Quang Trung"]
STYLES = ("full", "short", "folded", "bare", "no_district")


def address(rng: random.Random, w: old_units.OldWard, style: str) -> str:
    house = f"Số {rng.randint(1, 300)} {rng.choice(STREETS)}"
    province = w.province
    if style == "full":
        return f"{house}, {w.name}, {w.district}, {province}"
    short_ward = w.name.replace("Phường ", "P. ").replace("Xã ", "X. ").replace("Thị trấn ", "TT. ")
    short_district = (
        w.district.replace("Quận ", "Q. ")
        .replace("Huyện ", "H. ")
        .replace("Thị xã ", "TX. ")
        .replace("Thành phố ", "TP. ")
    )
    short_province = province.replace("Thành phố ", "TP ").replace("Tỉnh ", "")
    if style == "short":
        return f"{house}, {short_ward}, {short_district}, {short_province}"
    if style == "folded":
        return fold(f"{house}, {w.name}, {w.district}, {province}").title()
    bare_ward = w.name.split(" ", 1)[1] if w.name.startswith(("Phường ", "Xã ")) else w.name
    if bare_ward.isdigit():  # nobody writes a numbered ward without its kind
        bare_ward = w.name
    bare_district = w.district.split(" ", 1)[1] if w.district.startswith(("Quận ", "Huyện ")) else w.district
    if style == "bare":
        return f"{house}, {bare_ward}, {bare_district}, {short_province}"
    return f"{house}, {w.name}, {short_province}"  # no_district


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--provinces", nargs="+", default=["01", "79"])
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)

    t0 = time.perf_counter()
    table = old_units.table()
    load_s = time.perf_counter() - t0
    results: dict[str, Counter] = {s: Counter() for s in STYLES}
    rows = 0
    elapsed = 0.0
    samples: dict[str, str] = {}
    for pcode in args.provinces:
        matcher = WardMatcher(pcode)
        mine = [w for w in table.wards if any(u.province_code == pcode for u in w.new)]
        for w in mine:
            expected = {u.code for u in w.new if u.province_code == pcode}
            for style in STYLES:
                text = address(rng, w, style)
                t = time.perf_counter()
                placed = matcher.from_address(text)
                elapsed += time.perf_counter() - t
                rows += 1
                if placed.unit is None:
                    outcome = "left" if placed.problem and "(trước năm 2025)" in placed.problem else "unknown"
                elif placed.unit.code not in expected:
                    outcome = "wrong"
                elif getattr(placed, "note", None) and "kiểm tra lại" in placed.note:
                    outcome = "check"
                else:
                    outcome = "right"
                results[style][outcome] += 1
                samples.setdefault(
                    f"{style}:{outcome}", f"{text} → {placed.unit.name if placed.unit else '—'}"
                )

    print(
        f"## Old addresses: `uv run python bench/bench_old_addresses.py --provinces {' '.join(args.provinces)}`"
    )
    print()
    print(f"{machine()}; load {os.getloadavg()[0]:.1f}.")
    names = ", ".join(units.province(p).name for p in args.provinces if units.province(p))
    print(
        f"Every old ward of {names} ({format_int(rows // len(STYLES))} wards), one address in each of "
        f"{len(STYLES)} styles: {format_int(rows)} addresses. Table loaded in {load_s:.2f} s; placing "
        f"{elapsed * 1e6 / rows:.0f} µs an address."
    )
    print()
    print("| style | right | placed, to check | left for a person | wrong | not recognised |")
    print("|---|---:|---:|---:|---:|---:|")
    for style in STYLES:
        c = results[style]
        n = sum(c.values())
        cells = [f"{c[k] * 100 / n:.1f}%" for k in ("right", "check", "left", "wrong", "unknown")]
        print(f"| {style} | " + " | ".join(cells) + " |")
    print()
    print("Examples:")
    for key in sorted(samples):
        print(f"- {key}: {samples[key]}")


if __name__ == "__main__":
    main()
