"""Encryption at rest against the plain file, side by side in one run.

    uv run python bench/bench_at_rest.py [--enterprises 100000] [--import-rows 20000]
                                         [--province-enterprises 100000] [--wards 10] [--out bench/out/at-rest]
                                         [--start-runs 3] [--bundle-runs 2] [--steps search,keystroke,start,...]

One command, one table. Each measure runs on a plain SQLite file and on the same data encrypted
(SQLCipher keyed from the data key, as the program opens it), one after the other, in this process:

- search p50/p95 (200 queries typed with and without diacritics) on ``--enterprises`` enterprises;
- GUI keystroke p95 (the search box of the real main window, offscreen: list updated on screen);
- start to usable window, in a child process, through the real start-up (the passphrase dialog is
  answered at once, so the time includes the unlock but not a person typing), from compiled bytecode
  as the installed program runs; plain and encrypted runs alternate; the CPU time of the process
  beside the wall time (with and without scrypt's);
- list import of ``--import-rows`` rows (read the .xlsx, preview, import in one transaction);
- bundle import at province scale: ``--wards`` ward offices' bundles (``--province-enterprises`` in all)
  imported by the province office (the bundles made once, then ``--bundle-runs`` imports of each
  mode, alternating, into a copy of the office's folder as it was before); its CPU time and the
  pages it wrote and read beside the wall time;
- unlock alone: scrypt at the production cost (N=2^16, r=8, p=1) and the key check.

``--steps`` measures only some of them (``search,keystroke,start,list-import,bundle-import,unlock``).
Targets (issue 12): encrypted within 10% of plain; unlock at most 1 s. The machine and its load are
printed with the table: on a shared machine, run it again when the machine is quiet.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.pop("KHAOSAT_TEST_FAST_KDF", None)  # the production cost, always

from machine import machine, run_child  # noqa: E402

from app.demo.generator import DemoOptions, generate  # noqa: E402
from app.domain import units  # noqa: E402
from app.domain.vocab import Role  # noqa: E402
from app.security import datakey  # noqa: E402
from app.storage import Store, encryption  # noqa: E402

PASSPHRASE = "Mật khẩu đo hiệu năng 2026"
STEPS = ("search", "keystroke", "start", "list-import", "bundle-import", "unlock")


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    k = (len(values) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def quiet() -> None:
    os.sync()
    time.sleep(2)


def encrypted_copy(plain_folder: Path, folder: Path, n: int) -> datakey.DataKey:
    """The same data, encrypted as the program does it for an earlier version's file (kept for the next
    run, like the plain demo: encrypting 100,000 enterprises takes minutes)."""
    made_from = f"{n} enterprises"
    marker = folder / "made-from.txt"
    if marker.exists() and marker.read_text() == made_from and datakey.exists(folder):
        return datakey.unlock(folder, PASSPHRASE)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    shutil.copy(plain_folder / "khaosat.sqlite3", folder / "khaosat.sqlite3")
    key = datakey.create(folder, PASSPHRASE)
    encryption.encrypt_in_place(folder / "khaosat.sqlite3", key)
    marker.write_text(made_from)
    return key


def make_demo(folder: Path, n: int) -> None:
    db = folder / "khaosat.sqlite3"
    marker = folder / "made-from.txt"
    if db.exists() and (not marker.exists() or marker.read_text() == f"{n} enterprises"):
        return  # (a folder of an earlier run without the marker is taken as it is)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    print(f"making {n:,} enterprises in {folder}…", file=sys.stderr, flush=True)
    with Store(db) as store:
        store.set_profile(unit_code="00070", collaborator="Nguyễn Thị Hằng", role=Role.COLLABORATOR)
        generate(
            store,
            DemoOptions("00070", enterprises=n, seed=3, today=date(2026, 11, 21), visits_per_enterprise=2),
        )
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    marker.write_text(f"{n} enterprises")


# --- the measures ----------------------------------------------------------------------------------


def _io() -> dict[str, int]:
    """This process's I/O counters so far (Linux; zeros elsewhere)."""
    try:
        with open("/proc/self/io") as fh:
            return {k: int(v) for k, v in (line.split(": ") for line in fh)}
    except OSError:
        return {"syscr": 0, "syscw": 0}


def _reads() -> int:
    """Read calls of this process so far (Linux): SQLite reads one page per call, so the difference
    counts the pages a round read from the file (each one decrypted when encrypted). Load-proof."""
    try:
        with open("/proc/self/io") as fh:
            return next(int(line.split()[1]) for line in fh if line.startswith("syscr"))
    except (OSError, StopIteration):
        return 0


def search(folder: Path, key, qs: list[str]) -> dict:
    """Each query twice on one connection with the page cache of the program's reader connections:
    the first round right after opening (cold: every page read from the file, so decrypted when
    encrypted), the second as the program's readers run (warm). CPU time of the thread and the
    pages read from the file beside the wall time."""
    from app.gui.tasks import READER_CACHE_MB

    with Store.in_dir(folder, key) as store:
        store.set_cache_size(READER_CACHE_MB)
        store.search_enterprises("khoi dong")
        out = {}
        for name in ("cold", "warm"):
            times, cpu, r0 = [], [], _reads()
            for q in qs:
                t0, c0 = time.perf_counter(), time.thread_time()
                store.search_enterprises(q, limit=100)
                times.append((time.perf_counter() - t0) * 1000)
                cpu.append((time.thread_time() - c0) * 1000)
            out[name] = {
                "p50": percentile(times, 0.5),
                "p95": percentile(times, 0.95),
                "cpu": sum(cpu),
                "pages": _reads() - r0,
            }
    return out


def keystrokes(folder: Path, key) -> dict:
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtTest import QTest

    from app.gui.application import make_app
    from app.gui.main_window import MainWindow

    app = make_app([])
    with Store.in_dir(folder, key) as s:
        profile = s.profile()
    window = MainWindow(folder, folder / "khaosat.sqlite3", profile, key)
    window.resize(1366, 768)
    window.show()
    model, table, box = window.list_panel.model, window.list_panel.table, window.list_panel.search

    def pump(until, timeout=60.0) -> None:
        end = time.monotonic() + timeout
        while not until():
            if time.monotonic() > end:
                raise TimeoutError("no update")
            QCoreApplication.processEvents()

    pump(lambda: model.loaded_once and model.exact)
    box.setFocus()
    state = {"reset": 0}
    model.modelReset.connect(lambda: state.__setitem__("reset", state["reset"] + 1))
    times: list[float] = []
    for q in ("nguyen thi", "cong ty tnhh", "hoa binh", "tran van nam", "0100", "xay dung"):
        for ch in q:
            before = state["reset"]
            t = time.perf_counter()
            QTest.keyClick(box, ch)
            pump(lambda b=before: state["reset"] > b and not model._running)
            table.viewport().repaint()
            times.append((time.perf_counter() - t) * 1000)
            pump(lambda: model.exact)
            time.sleep(0.02)
        box.clear()
        pump(lambda: not model.busy and model.exact)
    window.inactivity.detach()
    window.close()
    window.tasks.wait()
    del app
    return {"p50": percentile(times, 0.5), "p95": percentile(times, 0.95), "n": len(times), "max": max(times)}


CHILD = r"""
import os, sys, time
t0 = float(sys.argv[2])
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.pop("KHAOSAT_TEST_FAST_KDF", None)
sys.path.insert(0, sys.argv[3])
from pathlib import Path
from PySide6.QtCore import QCoreApplication
from app.gui.application import Launcher, make_app
from app.security import kdf
spent, spent_cpu = [], []
_derive = kdf.derive
def derive(*a, **k):
    t, c = time.perf_counter(), time.thread_time()
    try:
        return _derive(*a, **k)
    finally:
        spent.append(time.perf_counter() - t)
        spent_cpu.append(time.thread_time() - c)
kdf.derive = derive
app = make_app([])
launcher = Launcher(Path(sys.argv[1]), offer_drafts=False)
launcher.start()
typed = False
while not (launcher.window is not None and launcher.window.list_panel.model.loaded_once):
    d = launcher.unlock_dialog
    if d is not None and d.isVisible() and not typed:  # answered at once: no typing time in the measure
        d.passphrase.setText(sys.argv[4]); d.ok.click(); typed = True
    QCoreApplication.processEvents()
    time.sleep(0.001)
launcher.window.repaint()
print(time.time() - t0, sum(spent), time.process_time(), sum(spent_cpu), flush=True)
launcher.window.close()
"""


PLAIN_CHILD = CHILD.replace(  # the program before encryption: no passphrase, the plain file opened at once
    "launcher.start()",
    "from app.gui.application import open_database\n"
    "launcher.key = None\n"
    "launcher._opened(open_database(launcher.db_path, None))",
)


def _child_env(out: Path) -> dict[str, str]:
    """The children run from compiled bytecode, as the installed program does (PyInstaller ships it):
    kept in ``out/pycache`` (``PYTHONPYCACHEPREFIX``), not in the source tree. A shell with
    ``PYTHONDONTWRITEBYTECODE=1`` would otherwise compile every module of the program at every start
    (about 0.7 s of the window's code alone), which is no part of either start."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(out / "pycache")
    return env


def _run_child(code: str, folder: Path, env: dict[str, str]) -> tuple[float, float, float, float]:
    """(wall from launch to the list shown, scrypt's wall, CPU time of the process, scrypt's CPU)."""
    total, scrypt, cpu, scrypt_cpu = run_child(code, folder, PASSPHRASE, env)
    return total, scrypt, cpu, scrypt_cpu


def start(plain: Path, enc: Path, runs: int, out: Path) -> dict[str, dict[str, float]]:
    """Start to usable window, plain and encrypted runs alternating (a change of load hits both
    alike), after one untimed run of each that compiles the bytecode and warms the OS cache.

    The plain folder has no data key (the program would encrypt it first): its start is the program's
    as it opened a plain file before, with no passphrase dialog."""
    env = _child_env(out)
    _run_child(PLAIN_CHILD, plain, env)
    _run_child(CHILD, enc, env)
    runs_of: dict[str, list[tuple[float, float, float, float]]] = {"plain": [], "encrypted": []}
    for i in range(runs):
        order = (("plain", PLAIN_CHILD, plain), ("encrypted", CHILD, enc))
        for mode, code, folder in order if i % 2 == 0 else reversed(order):
            runs_of[mode].append(_run_child(code, folder, env))
    result = {}
    for mode, rs in runs_of.items():
        result[mode] = {
            "median": statistics.median(t for t, _, _, _ in rs),
            "without_unlock": statistics.median(t - s for t, s, _, _ in rs),
            "cpu": statistics.median(c for _, _, c, _ in rs),
            "cpu_without_unlock": statistics.median(c - sc for _, _, c, sc in rs),
        }
    return result


def list_import(work: Path, rows: int, key) -> float:
    from bench_import import write_list  # type: ignore[import-not-found]

    from app.importing import mapping as mp
    from app.importing import plan as pl

    src = work / f"danh-sach-{rows}.xlsx"
    if not src.exists():
        write_list(src, rows, "01", 1, False)
    folder = work / ("import-enc" if key else "import-plain")
    shutil.rmtree(folder, ignore_errors=True)
    with Store.in_dir(folder, key) as store:
        store.set_profile(unit_code=units.wards("01")[0].code, collaborator="Bench", role=Role.WARD_OFFICE)
        quiet()
        t0 = time.perf_counter()
        prepared = mp.prepare(src, store)
        plan = pl.preview(store, prepared.table, prepared.mapping, pl.Options(on_duplicate="update"))
        pl.execute(store, plan)
        return time.perf_counter() - t0


def _province_before_import(work: Path, mode: str, ward_units: list, per: int) -> tuple[Path, list[Path]]:
    """A province office's folder with the wards registered, as it was just before the import (kept in
    ``province-{mode}-before``), and the wards' bundles to it (in ``usb-{mode}``)."""
    from app.sync import bundles as B
    from app.sync import keys as K
    from app.sync import registry as R

    before = work / f"province-{mode}-before"
    stick = work / f"usb-{mode}"
    for folder in (before, stick):
        shutil.rmtree(folder, ignore_errors=True)
    stick.mkdir(parents=True)
    key = datakey.create(before, PASSPHRASE) if mode == "encrypted" else None
    province = Store.in_dir(before, key)
    province.set_profile(unit_code="01", collaborator="Ban Tổ chức", role=Role.PROVINCE_OFFICE)
    p_ident = R.setup_keys(province)
    p_doc = K.read_pubkey_file(K.pubkey_file(R.own_pubkey_doc(province, p_ident)))
    bundles = []
    for i, w in enumerate(ward_units):
        folder = work / f"ward-{w.code}"
        marker = folder / "made-from.txt"
        fresh = not (folder / "khaosat.sqlite3").exists() or (
            marker.exists() and marker.read_text() != f"{per} enterprises"
        )
        if fresh:
            shutil.rmtree(folder, ignore_errors=True)
        store = Store.in_dir(folder)
        if fresh:
            store.set_profile(unit_code=w.code, collaborator=f"Đảng ủy {w.name}", role=Role.WARD_OFFICE)
            print(f"making ward {w.code} ({per:,})…", file=sys.stderr, flush=True)
            generate(store, DemoOptions(w.code, enterprises=per, seed=i + 1, today=date(2026, 11, 21)))
            marker.write_text(f"{per} enterprises")
        store.conn.execute("DELETE FROM sync_exports")
        store.conn.execute("DELETE FROM sync_peers")
        (folder / "khaosat-keys.json").unlink(missing_ok=True)
        store.conn.execute("DELETE FROM sync_keys")
        ident = R.setup_keys(store)
        R.register(store, p_doc, destination=True)
        R.register(province, K.read_pubkey_file(K.pubkey_file(R.own_pubkey_doc(store, ident))))
        [res] = B.export(store, ident, stick)
        bundles.append(res.path)
        store.close()
    province.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    province.close()
    return before, bundles


def _import_once(work: Path, mode: str, before: Path, bundles: list[Path]) -> dict[str, float]:
    """The bundles imported by a copy of the province's folder as it was before: wall and CPU time,
    write and read calls (one a page for SQLite's pages; a WAL frame is two writes)."""
    from app.sync import bundles as B
    from app.sync import registry as R

    prov = work / f"province-{mode}"
    shutil.rmtree(prov, ignore_errors=True)
    shutil.copytree(before, prov)
    key = datakey.unlock(prov, PASSPHRASE) if mode == "encrypted" else None
    province = Store.in_dir(prov, key)
    p_ident = R.load_keys(province)
    quiet()
    t0, c0, r0 = time.perf_counter(), time.process_time(), _io()
    # as the program imports a stick (the Đồng bộ dialog, `khaosat import E:\`): the files in one go
    done = B.import_paths(province, p_ident, bundles, write_receipt=False)
    wall, cpu, io = time.perf_counter() - t0, time.process_time() - c0, _io()
    assert [r.outcome for r in done] == ["applied"] * len(bundles), [(r.outcome, r.error) for r in done]
    province.close()
    return {"wall": wall, "cpu": cpu, "written": io["syscw"] - r0["syscw"], "read": io["syscr"] - r0["syscr"]}


def province_import(work: Path, total: int, wards: int, runs: int) -> dict[str, dict[str, float]]:
    """Each mode's bundles made once, then imported ``runs`` times per mode, plain and encrypted
    alternating (plain, encrypted, encrypted, plain...): medians."""
    ward_units = units.wards("01")[:wards]
    per = total // len(ward_units)
    prepared = {mode: _province_before_import(work, mode, ward_units, per) for mode in ("plain", "encrypted")}
    trials: dict[str, list[dict[str, float]]] = {"plain": [], "encrypted": []}
    for i in range(runs):
        for mode in ("plain", "encrypted") if i % 2 == 0 else ("encrypted", "plain"):
            trials[mode].append(_import_once(work, mode, *prepared[mode]))
    return {
        mode: {what: statistics.median(t[what] for t in ts) for what in ts[0]} for mode, ts in trials.items()
    }


def unlock_time(folder: Path, runs: int = 5) -> tuple[float, float, float]:
    """Median wall and CPU time of the whole unlock (``open_folder``: scrypt, key check, opening the
    database, profile, office wraps), and of scrypt alone."""
    from app.security import kdf
    from app.services.unlock import open_folder

    ring = datakey.load(folder)
    salt, cost = datakey.unb64(ring.passphrase["salt"]), kdf.ScryptCost.from_json(ring.passphrase)
    walls, cpus, scrypts = [], [], []
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        open_folder(folder, PASSPHRASE)
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
        t0 = time.perf_counter()
        kdf.derive(PASSPHRASE, salt, cost)
        scrypts.append(time.perf_counter() - t0)
    return statistics.median(walls), statistics.median(cpus), statistics.median(scrypts)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--enterprises", type=int, default=100_000)
    ap.add_argument("--import-rows", type=int, default=20_000)
    ap.add_argument("--province-enterprises", type=int, default=100_000)
    ap.add_argument("--wards", type=int, default=10)
    ap.add_argument("--start-runs", type=int, default=3)
    ap.add_argument("--bundle-runs", type=int, default=2, help="imports per mode, alternating")
    ap.add_argument("--out", default="bench/out/at-rest")
    ap.add_argument(
        "--steps",
        default=",".join(STEPS),
        help=f"comma-separated, some of {','.join(STEPS)} (all by default)",
    )
    a = ap.parse_args()
    steps = [s for s in a.steps.split(",") if s]
    unknown = set(steps) - set(STEPS)
    if unknown:
        ap.error(f"unknown steps: {', '.join(sorted(unknown))}")
    out = Path(a.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()
    plain = out / "plain"
    make_demo(plain, a.enterprises)
    enc = out / "encrypted"
    key = encrypted_copy(plain, enc, a.enterprises)
    from bench_foundation import queries  # type: ignore[import-not-found]

    rows: list[tuple[str, float, float, str, float]] = []

    def add(name: str, p: float, e: float, target: str) -> None:
        rows.append((name, p, e, target, os.getloadavg()[0]))  # the load when it was measured

    if "search" in steps:
        qs = queries(plain / "khaosat.sqlite3", 200, 5)
        quiet()
        s_plain, s_enc = search(plain, None, qs), search(enc, key, qs)
        for name, what in (
            ("cold", "first round after opening"),
            ("warm", "second round, as the program runs"),
        ):
            p, e = s_plain[name], s_enc[name]
            add(f"search p50, {what} (ms)", p["p50"], e["p50"], "")
            add(f"search p95, {what} (ms)", p["p95"], e["p95"], "within 10%" if name == "warm" else "")
            add(f"search CPU time of the 200 queries, {name} (ms)", p["cpu"], e["cpu"], "")
            add(f"pages read from the file by the 200 queries, {name}", p["pages"] or 1, e["pages"], "")
    if "keystroke" in steps:
        quiet()
        k_plain, k_enc = keystrokes(plain, None), keystrokes(enc, key)
        add("GUI keystroke p95 (ms)", k_plain["p95"], k_enc["p95"], "within 10%")
    if "start" in steps:
        quiet()
        st = start(plain, enc, a.start_runs, out)
        p, e = st["plain"], st["encrypted"]
        add("start to usable window (s, median)", p["median"], e["median"], "(includes the unlock)")
        add(
            "start to usable window less the scrypt of the unlock (s, median)",
            p["median"],
            e["without_unlock"],
            "within 10%",
        )
        add("start, CPU time of the program (s, median; includes the unlock)", p["cpu"], e["cpu"], "")
        add(
            "start, CPU time of the program less the scrypt (s, median)",
            p["cpu"],
            e["cpu_without_unlock"],
            "",
        )
    if "list-import" in steps:
        quiet()
        li_plain, li_enc = list_import(out, a.import_rows, None), list_import(out, a.import_rows, key)
        add(f"list import of {a.import_rows:,} rows (s)", li_plain, li_enc, "within 10%")
    if "bundle-import" in steps:
        prov = province_import(out, a.province_enterprises, a.wards, a.bundle_runs)
        p, e = prov["plain"], prov["encrypted"]
        name = f"bundle import, {a.province_enterprises:,} enterprises in {a.wards} wards"
        add(f"{name} (s, median of {a.bundle_runs})", p["wall"], e["wall"], "within 10%")
        add(f"{name}, CPU time (s)", p["cpu"], e["cpu"], "")
        add(f"{name}, write calls", p["written"], e["written"], "")
        add(f"{name}, read calls", p["read"], e["read"], "")
    t_unlock = unlock_time(enc) if "unlock" in steps else None
    load_after = os.getloadavg()

    print(f"### Encryption at rest: `uv run python bench/bench_at_rest.py {' '.join(sys.argv[1:])}`\n")
    print(f"Machine: {machine()}; SQLCipher through sqlcipher3.")
    print(
        f"Load average (1, 5, 15 min) before {load_before[0]:.1f}, {load_before[1]:.1f}, {load_before[2]:.1f}; "
        f"after {load_after[0]:.1f}, {load_after[1]:.1f}, {load_after[2]:.1f}.\n"
    )
    print("| measure | plain | encrypted | encrypted / plain | target | load (1 min) |")
    print("|---|---:|---:|---:|---|---:|")
    for name, p, e, target, load in rows:
        print(f"| {name} | {p:.2f} | {e:.2f} | {e / p:.2f} | {target} | {load:.1f} |")
    if t_unlock is not None:
        wall, _cpu, scrypt = t_unlock
        load = os.getloadavg()[0]
        print(f"| unlock, whole (open_folder; s, median of 5) | | {wall:.2f} | | at most 1 s | {load:.1f} |")
        print(
            f"| scrypt alone (N=2^16, r=8, p=1; s, median of 5) | | {scrypt:.2f} | | about 0.5 s | {load:.1f} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
