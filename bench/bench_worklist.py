"""The work list (Việc cần làm) at province scale: each section's first page and count.

    uv run python bench/bench_worklist.py                          # 100,000 enterprises, made once, kept
    uv run python bench/bench_worklist.py --reuse FILE             # a file made before (province scale)
    uv run python bench/bench_worklist.py --encrypted DIR          # bench_province.py's encrypted folder
    nice -n 19 uv run python bench/bench_worklist.py --quiet       # again later, the summary lines only

Makes (or reuses) ``bench/out/province-01-100000.sqlite3`` (the demo over every ward of Hà Nội, as
bench/bench_foundation.py makes it), then asks every section of the work list (app/services/worklist.py)
for its first page of 50 lines and for its number of lines, ``--rounds`` times each: over the whole file
(a province office) and over one ward (a ward's view). The first round reads a cold file; the figures are
the median and the worst of the other rounds, as wall-clock time and as the CPU time of the thread (on a
shared machine the second says what the code costs). Target: a section's first page within 200 ms.
The load average is printed before and after (docs/performance.md keeps it beside the figures).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine import load, machine, verdict

from app.services import worklist as wl
from app.storage import Store

TODAY = date(2026, 11, 21)  # the day bench_foundation's demo is made for
TARGET_MS = 200.0


def _time(fn) -> tuple[float, float]:
    w0, c0 = time.perf_counter(), time.thread_time()
    fn()
    return (time.perf_counter() - w0) * 1000, (time.thread_time() - c0) * 1000


def measure(store: Store, q: wl.WorkQuery, rounds: int) -> dict[str, dict[str, list[float]]]:
    out: dict[str, dict[str, list[float]]] = {}
    for section in wl.SECTIONS:
        res: dict[str, list[float]] = {"page": [], "page_cpu": [], "count": [], "count_cpu": []}
        for r in range(rounds + 1):
            page_ms, page_cpu = _time(lambda s=section: wl.page(store, q, s, 0, 50))
            count_ms, count_cpu = _time(lambda s=section: wl.count(store, q, s))
            if r:  # the first round warms the page cache
                res["page"].append(page_ms)
                res["page_cpu"].append(page_cpu)
                res["count"].append(count_ms)
                res["count_cpu"].append(count_cpu)
        out[section] = res
    return out


def _row(section: str, n: int, res: dict[str, list[float]]) -> str:
    med = {k: statistics.median(v) for k, v in res.items()}
    worst = max(res["page"])
    return (
        f"| {wl.SECTIONS[section]} | {n:,} | {med['page']:.1f} (CPU {med['page_cpu']:.1f}), worst {worst:.1f} "
        f"| {med['count']:.1f} (CPU {med['count_cpu']:.1f}) | {verdict(worst, TARGET_MS)} |"
    )


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--enterprises", type=int, default=100_000)
    ap.add_argument("--province", default="01")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument(
        "--reuse", metavar="FILE", help="a file made before (by this script or bench_foundation --keep)"
    )
    ap.add_argument(
        "--encrypted",
        metavar="DIR",
        help="the encrypted data folder bench_province.py made (e.g. 500,000 enterprises), as the program keeps it",
    )
    ap.add_argument("--quiet", action="store_true", help="print the summary lines only")
    args = ap.parse_args()
    load_before = load()
    key = None
    if args.encrypted:
        from bench_province import PASSPHRASE

        from app.security import datakey

        folder = Path(args.encrypted)
        key = datakey.unlock(folder, PASSPHRASE)
        path = folder / Store.FILE_NAME
    elif args.reuse:
        path = Path(args.reuse)
    else:
        path = Path(__file__).parent / "out" / f"province-{args.province}-{args.enterprises}.sqlite3"
        if not path.exists():
            from bench_foundation import generate_province

            path.parent.mkdir(parents=True, exist_ok=True)
            if not args.quiet:
                print(f"making {path} ...", file=sys.stderr)
            generate_province(path, args.province, args.enterprises, args.seed)
    t0 = time.perf_counter()
    with Store(path, key) as store:  # an older file is brought up to date (work_facts filled) here
        opened_s = time.perf_counter() - t0
        counts = store.counts()
        ward = store.conn.execute(
            "SELECT ward_code FROM enterprises GROUP BY ward_code ORDER BY count(*) DESC LIMIT 1"
        ).fetchone()[0]
        q = wl.query_for(store, TODAY)
        whole = measure(store, q, args.rounds)
        one = measure(store, q.replace(ward_code=ward), args.rounds)
        numbers = {
            s: (wl.count(store, q, s), wl.count(store, q.replace(ward_code=ward), s)) for s in wl.SECTIONS
        }
    first_screen = sum(
        statistics.median(whole[s]["page"]) + statistics.median(whole[s]["count"]) for s in wl.SECTIONS
    )
    worst = max(max(r["page"]) for res in (whole, one) for r in res.values())
    if args.quiet:
        print(
            f"work list, {counts['enterprises']:,} enterprises: worst first page {worst:.1f} ms "
            f"({verdict(worst, TARGET_MS)} ≤ {TARGET_MS:.0f} ms); whole tab {first_screen:.0f} ms; "
            f"{load_before} → {load()}"
        )
        return 0
    print(f"### Work list ({date.today():%Y-%m-%d}), {path.name}\n")
    print(f"Machine: {machine()}; before: {load_before}; after: {load()}.\n")
    print(
        f"- {counts['enterprises']:,} enterprises, {counts['visits']:,} visits, {counts['organisations']:,} "
        f"organisations, {counts['admissions']:,} admissions; file {path.stat().st_size / 1e6:.0f} MB"
        f"{' (encrypted)' if key else ''}; "
        f"opened in {opened_s:.1f} s (an older file is migrated: work_facts filled)."
    )
    print(
        f"- Every section's first page (50 lines) and its count, {args.rounds} warm rounds; ms, median "
        f"(CPU of the thread), and the worst first page. Target: first page ≤ {TARGET_MS:.0f} ms.\n"
    )
    for title, res, which in (("whole file (province office)", whole, 0), (f"one ward ({ward})", one, 1)):
        print(f"{title}:\n")
        print("| section | lines | first page, ms | count, ms | first page ≤ 200 ms |")
        print("|---|---|---|---|---|")
        for section in wl.SECTIONS:
            print(_row(section, numbers[section][which], res[section]))
        print()
    print(f"- The whole tab (every section's first page and count, medians): {first_screen:.0f} ms.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
