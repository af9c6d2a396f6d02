"""Benchmark: reading filled-in paper forms back, over generated pages.

Each page is the real mark sheet (page 2 of a printed visit form) rendered at 100-300 dpi,
marked by ``tests/helpers/paper.py`` (full, partial and overfull fills, crosses, ticks, digits
written in the boxes, some fields left blank, some corrected: a wrong mark scribbled out and the
right one beside it), then either photographed (rotation up to 15 degrees, perspective, blur,
shading, a fold, a cut margin, noise, JPEG quality 20-75, EXIF orientation; and, since the second
session, a strong keystone, small low-resolution frames, the shadow of a hand or phone, glare, motion
blur, focus blur up to 2.2 px and turns with no EXIF tag: ``paper.photograph(hard=True)``) or scanned
(150-600 dpi, PNG, JPEG or a PDF of the scan). The reader sees only the file.

Per field with a value marked: **right** (read with confidence, and equal to what was meant),
**asked** (flagged for a person), **WRONG** (read with confidence, and not what was meant: the
measure that matters most; a blank field read as a value, or a marked one read as blank, counts
here too). Time per page is the reader's alone (open the file, find, straighten, read).

    uv run python bench/bench_scan.py [--pages 300] [--seed 1] [--keep DIR] [--kind-photos]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


from app.domain.records import Enterprise, Visit
from app.printing.visit_form import VisitFormData, render_visit_forms
from app.scan import marks
from app.scan.reader import READ, read_files
from bench.machine import machine
from tests.helpers import paper


def make_page(
    pdf: Path, seed: int, folder: Path, hard: bool = True
) -> tuple[Path, dict[str, paper.Truth], str]:
    rng = random.Random(seed)
    dpi = rng.choice([100, 150, 200, 250, 300])
    sheet = paper.render_sheet(pdf, 1, dpi)
    filled = paper.fill(sheet, dpi, paper.random_values(rng), rng, corrections=0.03)
    if rng.random() < 0.7:
        photo = paper.photograph(filled.image, rng, hard=hard)
        q = rng.randint(20, 75) if hard else rng.randint(30, 75)
        out = folder / f"p{seed}.jpg"
        out.write_bytes(paper.jpeg(photo, q, orientation=rng.choice([None, None, 3, 6, 8])))
        kind = f"photo q{q // 10 * 10}"
    else:
        to = rng.choice([150, 200, 300, 600])
        img = paper.scan(filled.image, rng, dpi, min(to, dpi * 2))
        fmt = rng.choice(["png", "jpg", "pdf"])
        out = folder / f"s{seed}.{fmt}"
        if fmt == "png":
            img.convert("L").save(out)
        elif fmt == "jpg":
            out.write_bytes(paper.jpeg(img, 85))
        else:
            img.save(out, "PDF", resolution=min(to, dpi * 2))
        kind = f"scan {fmt}"
    return out, filled.truth, kind


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=300)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", help="keep the generated files here (default: a temporary folder)")
    ap.add_argument(
        "--kind-photos",
        action="store_true",
        help="the first session's kinder photos (no hand shadow, glare, motion blur, unmarked turns; q 30-75)",
    )
    args = ap.parse_args()

    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-scan-"))
    folder.mkdir(parents=True, exist_ok=True)
    e = Enterprise(name="Công ty TNHH May mặc Hòa Bình", tax_code="0100109106", ward_code="00070")
    last = Visit(enterprise_id=e.id, visit_date=date(2025, 3, 4), workforce_total=245, party_total=3)
    pdf = folder / "phieu.pdf"
    render_visit_forms(pdf, [VisitFormData(e, last, [], "Phường Hoàn Kiếm")], marks=True)

    outcome: Counter[str] = Counter()
    by_style: dict[str, Counter[str]] = defaultdict(Counter)
    by_kind: dict[str, Counter[str]] = defaultdict(Counter)
    wrong: list[str] = []
    asked: list[str] = []
    times: list[float] = []
    cpu_times: list[float] = []
    refused: list[str] = []
    load_before = os.getloadavg()
    for i in range(args.pages):
        seed = args.seed * 100_000 + i
        path, truth, kind = make_page(pdf, seed, folder, hard=not args.kind_photos)
        start = time.perf_counter()
        cpu = time.process_time()
        pages = list(read_files([path]))
        times.append(time.perf_counter() - start)
        cpu_times.append(time.process_time() - cpu)
        page = pages[0]
        if page.status != READ:
            refused.append(f"seed {seed} ({kind}): {page.reason}")
            outcome["page refused"] += 1
            continue
        for f in page.fields:
            t = truth.get(f.field.name)
            if t is None:
                continue
            group = "blank" if t.value is None else ("corrected" if t.ambiguous else "marked")
            if f.status == marks.UNCERTAIN:
                result = "asked"
                if group == "marked":
                    asked.append(f"seed {seed} ({kind}) {f.field.name} {t.style} {t.value!r}: {f.reason}")
            elif (f.status == marks.OK and f.value == t.value) or (
                f.status == marks.EMPTY and t.value is None
            ):
                result = "right"
            else:
                result = "WRONG"
                wrong.append(
                    f"seed {seed} ({kind}) {f.field.name}: meant {t.value!r} ({t.style}), read {f.value!r}"
                )
            outcome[f"{group} {result}"] += 1
            by_style[f"{f.field.kind}/{t.style}"][result] += 1
            by_kind[kind.split()[0]][result] += 1
        if not args.keep:
            path.unlink()
        if (i + 1) % 50 == 0 and i + 1 < args.pages:
            report(
                i + 1,
                outcome,
                by_style,
                by_kind,
                wrong,
                asked,
                times,
                cpu_times,
                refused,
                load_before,
                brief=True,
            )
    report(args.pages, outcome, by_style, by_kind, wrong, asked, times, cpu_times, refused, load_before)


def report(
    pages, outcome, by_style, by_kind, wrong, asked, times, cpu_times, refused, load_before, brief=False
) -> None:
    load_after = os.getloadavg()
    marked = sum(v for k, v in outcome.items() if k.startswith("marked"))
    right = outcome["marked right"]
    wrong_total = sum(v for k, v in outcome.items() if k.endswith("WRONG"))
    print(f"# {machine()}")
    print(f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f} (1 min)")
    print(f"pages: {pages}, refused: {len(refused)}")
    print(
        f"marked values: {marked}; read right {right} ({100 * right / max(marked, 1):.2f} %), "
        f"asked {outcome['marked asked']}, WRONG {outcome['marked WRONG']}"
    )
    print(
        f"blank fields: right {outcome['blank right']}, asked {outcome['blank asked']}, WRONG {outcome['blank WRONG']}"
    )
    print(
        f"corrected (scribbled out + another): asked {outcome['corrected asked']}, right {outcome['corrected right']}, "
        f"WRONG {outcome['corrected WRONG']}"
    )
    print(f"wrong and not flagged, all fields: {wrong_total}")
    q = statistics.quantiles(times, n=20)
    print(
        f"time per page: median {statistics.median(times):.2f} s, p95 {q[18]:.2f} s, max {max(times):.2f} s"
    )
    qc = statistics.quantiles(cpu_times, n=20)
    print(
        f"CPU per page (process_time): median {statistics.median(cpu_times):.2f} s, p95 {qc[18]:.2f} s, "
        f"max {max(cpu_times):.2f} s"
    )
    print("by style:")
    for style, c in sorted(by_style.items()):
        n = sum(c.values())
        print(f"  {style:24} n={n:5}  right {c['right']:5}  asked {c['asked']:4}  WRONG {c['WRONG']}")
    print("by input:")
    for kind, c in sorted(by_kind.items()):
        print(f"  {kind:8} right {c['right']:5}  asked {c['asked']:4}  WRONG {c['WRONG']}")
    for line in refused[:20]:
        print("REFUSED", line)
    for line in wrong[:50]:
        print("WRONG", line)
    for line in asked[:30]:
        print("ASKED", line)


if __name__ == "__main__":
    main()
