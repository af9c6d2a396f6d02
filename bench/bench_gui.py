"""Desktop program benchmarks on a 100,000-enterprise database (or any file made before).

    uv run python bench/bench_gui.py [--data-dir DIR] [--runs 5]
    uv run python bench/bench_gui.py --db /work/bench-data/province-79-500000.sqlite3 [--busy 2]

Measures, offscreen:
1. start: process start to a usable window (main window shown and the first page of the list
   loaded), as a subprocess, median and worst of ``--runs``;
2. search: a keystroke in the search box to the list updated (model reset with the new rows,
   table repainted), typing realistic queries letter by letter and deleting them again; p50/p95/max.
   Also the time until the exact count reached the status bar (it follows the capped first count);
3. memory: peak resident set size (VmHWM) after opening, searching, scrolling to the end and back.

The database is made once with ``khaosat demo`` (100,000 enterprises, 2 visits each) if absent;
``--db FILE`` uses a file made before (bench_foundation.py --keep, bench_sync.py) through a hard link in
a folder beside it. ``--busy N`` runs N processes that keep a core busy each while the keystrokes are
typed (a virus scan, another program): the targets are p95 ≤ 50 ms and max ≤ 100 ms on an idle
machine, p95 ≤ 100 ms with both cores busy. Prints JSON, then each figure against its target.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine import load, machine, run_child, verdict  # noqa: E402

QUERIES = [
    "cong ty hoa binh",
    "nguyen van",
    "0101",
    "may mặc",
    "xay dung thanh",
    "hợp tác xã",
    "le loi",
    "tran thi",
    "dntn",
    "logistics",
]


PASSPHRASE = "Mật khẩu đo hiệu năng 2026"  # the data folder is encrypted, as a user's is


def ensure_database(folder: Path, n: int) -> Path:
    db = folder / "khaosat.sqlite3"
    if db.exists():
        return db
    print(f"making a {n:,}-enterprise database in {folder} (once, a few minutes)…", flush=True)
    run = [sys.executable, "-m", "app", "--data-dir", str(folder)]
    env = dict(os.environ, KHAOSAT_PASSPHRASE=PASSPHRASE)
    subprocess.run(
        run + ["demo", "--ward", "00070", "--enterprises", str(n), "--visits-per-enterprise", "2"],
        check=True,
        cwd=ROOT,
        env=env,
    )
    subprocess.run(
        run + ["init", "--unit", "00070", "--name", "Nguyễn Thị Hằng", "--role", "collaborator"],
        check=True,
        cwd=ROOT,
        env=env,
    )
    from app.security import datakey
    from app.storage.store import connect

    con = connect(db, datakey.unlock(folder, PASSPHRASE))
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    return db


CHILD = r"""
import os, sys, time
t0 = float(sys.argv[2])
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, sys.argv[3])
from pathlib import Path
from PySide6.QtCore import QCoreApplication
from app.gui.application import Launcher, make_app
app = make_app([])
launcher = Launcher(Path(sys.argv[1]), offer_drafts=False)
launcher.start()
typed = False
while not (launcher.window is not None and launcher.window.list_panel.model.loaded_once):
    d = launcher.unlock_dialog
    if d is not None and d.isVisible() and not typed:  # the passphrase, answered at once
        d.passphrase.setText(sys.argv[4]); d.ok.click(); typed = True
    QCoreApplication.processEvents()
    time.sleep(0.001)
launcher.window.repaint()
print(time.time() - t0, flush=True)
launcher.window.close()
"""


def bench_start(folder: Path, runs: int) -> dict:
    times = []
    for _ in range(runs):
        (seconds,) = run_child(CHILD, folder, PASSPHRASE)
        times.append(seconds)
    return {
        "runs": runs,
        "median_s": round(statistics.median(times), 3),
        "max_s": round(max(times), 3),
        "all_s": [round(t, 3) for t in times],
    }


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    k = (len(values) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def bench_search_and_memory(folder: Path) -> dict:
    from PySide6.QtCore import QCoreApplication, Qt
    from PySide6.QtTest import QTest

    from app.gui.application import make_app
    from app.gui.main_window import MainWindow
    from app.security import datakey
    from app.storage import Store

    app = make_app([])
    key = datakey.unlock(folder, PASSPHRASE)
    with Store.in_dir(folder, key) as s:
        profile = s.profile()
    window = MainWindow(folder, folder / "khaosat.sqlite3", profile, key)
    window.resize(1366, 768)
    window.show()
    model = window.list_panel.model
    table = window.list_panel.table
    search = window.list_panel.search

    def pump(until, timeout=30.0) -> None:
        end = time.monotonic() + timeout
        while not until():
            if time.monotonic() > end:
                raise TimeoutError("no update")
            QCoreApplication.processEvents()

    pump(lambda: model.loaded_once and model.exact)
    search.setFocus()
    updates: list[float] = []
    exact: list[float] = []
    state = {"reset": 0}
    model.modelReset.connect(lambda: state.__setitem__("reset", state["reset"] + 1))

    labels: list[str] = []

    def keystroke(send) -> None:
        before = state["reset"]
        t = time.perf_counter()
        send()
        pump(lambda: state["reset"] > before and not model._running)
        table.viewport().repaint()  # the rows are on screen
        updates.append((time.perf_counter() - t) * 1000)
        labels.append(search.text())
        pump(lambda: model.exact)
        exact.append((time.perf_counter() - t) * 1000)

    for q in QUERIES:
        for ch in q:
            if ch.isascii():
                keystroke(lambda c=ch: QTest.keyClick(search, c))
            else:
                keystroke(
                    lambda c=ch: QTest.sendKeyEvent(
                        QTest.KeyAction.Click, search, Qt.Key.Key_unknown, c, Qt.KeyboardModifier.NoModifier
                    )
                )
            time.sleep(0.02)  # a fast typist: 50 keys a second at most
        for _ in q:
            keystroke(lambda: QTest.keyClick(search, Qt.Key.Key_Backspace))
    search.clear()
    pump(lambda: not model.busy and model.exact and model.rowCount() > 50_000, timeout=120)
    # scroll through the whole list: to the end, the middle, back to the top
    bar = table.verticalScrollBar()
    for value in (bar.maximum(), bar.maximum() // 2, bar.maximum() // 4, 0):
        bar.setValue(value)
        pump(lambda: not model.busy)
        table.viewport().repaint()
    rss = _vm("VmRSS")
    hwm = _vm("VmHWM")
    window.close()
    window.tasks.wait()
    return {
        "keystrokes": len(updates),
        "list_updated_ms": {
            "p50": round(percentile(updates, 0.5), 1),
            "p95": round(percentile(updates, 0.95), 1),
            "max": round(max(updates), 1),
        },
        "exact_count_ms": {
            "p50": round(percentile(exact, 0.5), 1),
            "p95": round(percentile(exact, 0.95), 1),
            "max": round(max(exact), 1),
        },
        "slowest_keystrokes": sorted(
            ((round(ms, 1), text) for ms, text in zip(updates, labels)), reverse=True
        )[:8],
        "memory_mb": {"rss_after": round(rss / 1024, 1), "peak": round(hwm / 1024, 1)},
        "rows": model.rowCount(),
        "_app": bool(app),
    }


def _vm(key: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])  # kB
    return 0


BURN = "import time\nwhile True:\n    sum(i * i for i in range(10000))\n"


def linked_folder(db: Path) -> Path:
    """A data folder beside ``db`` whose khaosat.sqlite3 is a hard link to it (same file, no copy)."""
    folder = db.parent / f"{db.stem}-gui"
    folder.mkdir(exist_ok=True)
    link = folder / "khaosat.sqlite3"
    if not link.exists():
        os.link(db, link)
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default="/tmp/khaosat-bench-100k")
    parser.add_argument("--db", help="an existing database file (used through a hard link)")
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--busy", type=int, default=0, help="processes keeping a core busy while typing")
    args = parser.parse_args()
    if args.db:
        folder = linked_folder(Path(args.db))
    else:
        folder = Path(args.data_dir)
        ensure_database(folder, args.enterprises)
    result = {"database_mb": round((folder / "khaosat.sqlite3").stat().st_size / 1e6, 1)}
    result["load_before"] = load()
    result["start"] = bench_start(folder, args.runs)
    burners = [subprocess.Popen([sys.executable, "-c", BURN]) for _ in range(args.busy)]
    try:
        result.update(bench_search_and_memory(folder))
        result["load_after"] = load()
    finally:
        for p in burners:
            p.kill()
            p.wait()
    result.pop("_app", None)
    result["busy_processes"] = args.busy
    print(json.dumps(result, indent=2, ensure_ascii=False))
    keys = result["list_updated_ms"]
    print(
        f"\nMachine: {machine()}; {result['load_after']} (with {args.busy} busy processes of this benchmark)."
    )
    print(
        f"- start to usable window, median {result['start']['median_s']} s (target ≤ 1.5 s: {verdict(result['start']['median_s'], 1.5)})"
    )
    if args.busy >= 2:
        print(
            f"- keystroke to list updated, both cores busy: p95 {keys['p95']} ms (target ≤ 100 ms: {verdict(keys['p95'], 100)})"
        )
    else:
        print(
            f"- keystroke to list updated: p95 {keys['p95']} ms (target ≤ 50 ms: {verdict(keys['p95'], 50)}), max {keys['max']} ms (target ≤ 100 ms: {verdict(keys['max'], 100)})"
        )
    print(
        f"- peak memory {result['memory_mb']['peak']} MB (target ≤ 300 MB: {verdict(result['memory_mb']['peak'], 300)})"
    )


if __name__ == "__main__":
    main()
