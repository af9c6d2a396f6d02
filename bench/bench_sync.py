"""Sync benchmark at province scale: ward offices export signed bundles, the province imports them.

    uv run python bench/bench_sync.py [--enterprises 100000] [--wards 10] [--province 01] [--out bench/out/sync]
                                      [--keep] [--gui]

Generates the demo data of ``--wards`` wards of one province (``--enterprises`` in all, about three
visits each), each ward in its own ward-office database. Each ward office exports one bundle (sign,
compress, encrypt, write) to the province office, which imports them all (read, decrypt, verify every
signature, validate, merge in groups of bundles, one transaction per group, change log and search index
included).
The floor is a plain ``executemany`` of the same record rows into an empty SQLite file (the record
tables only, one transaction), measured in the same run. Prints a Markdown section for
docs/performance.md.

The province office's file is encrypted as the program keeps it (SQLCipher, a raw key from the data
key); the floors are measured twice, into a plain file and into an encrypted one, so the ratio can be
read against either. ``--gui``: one more import into a fresh copy, run as the desktop program runs it
(a write task on a worker thread, the window's event loop turning meanwhile), measuring how late a
timer that should fire every 20 ms fires, and how long the list takes to show a page while the
import runs: the window is responsive when neither stalls beyond what a person notices (100 ms).
"""

from __future__ import annotations

import argparse
import faulthandler
import os
import shutil
import sqlite3
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine import machine

from app.demo.generator import DemoOptions, generate
from app.domain import units
from app.domain.records import RECORD_TYPES
from app.domain.vocab import Role
from app.security import datakey
from app.storage import Store
from app.storage.store import connect
from app.storage.writer import record_columns
from app.sync import bundles as B
from app.sync import keys as K
from app.sync import registry as R

PASSPHRASE = "Mật khẩu đo hiệu năng 2026"
STALL_DUMP = 0.15  # seconds: a tick this late has the stacks of every thread written while it waits


def fmt(n: float) -> str:
    return f"{n:,.0f}".replace(",", ".")


SYNCED = ["deleted", "created_hlc", "updated_hlc", "origin"]
CREATION = ["create_change", "create_txn", "create_author", "create_wall", "create_via"]


def floor(
    province_db: Path, out: Path, extra: list[str] | None = None, *, key=None, encrypted: bool = False
) -> tuple[float, int]:
    """executemany of the same record rows into an empty file: the tables as declared, nothing else.
    ``extra``: more columns of the stored rows (the creation each record keeps); ``key``: the province
    file's; ``encrypted``: the empty file is encrypted with it too (SQLCipher, as the program's)."""
    src = connect(province_db, key)
    data = {}
    schema = {}
    for table in RECORD_TYPES:
        cols = [*record_columns(table), *SYNCED, *(extra or [])]
        data[table] = (cols, src.execute(f"SELECT {', '.join(cols)} FROM {table}").fetchall())
        schema[table] = src.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
        ).fetchone()[0]
    src.close()
    path = out / "floor.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    conn = connect(path, key) if encrypted else sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    for table, sql in schema.items():
        conn.execute(sql)
        for c in CREATION:
            if c not in sql:  # (a v5 file's tables: the creation columns were added by ALTER TABLE)
                conn.execute(f"ALTER TABLE {table} ADD COLUMN {c}")
    rows = 0
    t0 = time.perf_counter()
    conn.execute("BEGIN")
    for table, (cols, values) in data.items():
        conn.executemany(
            f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})", values
        )
        rows += len(values)
    conn.execute("COMMIT")
    elapsed = time.perf_counter() - t0
    conn.close()
    return elapsed, rows


def _record_rows(src, extra: list[str]) -> dict[str, tuple[list[str], list]]:
    """Every record table's rows (its declared columns, the synced ones and ``extra``) read from ``src``."""
    data = {}
    for table in RECORD_TYPES:
        cols = [*record_columns(table), *SYNCED, *extra]
        data[table] = (cols, src.execute(f"SELECT {', '.join(cols)} FROM {table}").fetchall())
    return data


def _insert_records(conn, data: dict[str, tuple[list[str], list]]) -> None:
    for table, (cols, values) in data.items():
        conn.executemany(
            f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})", values
        )


def floor_program(province_db: Path, out: Path, key) -> float:
    """The least the program's own file can be given the same rows in: each record with the creation it
    keeps, executemany into an empty KhaoSat file (encrypted, every index and trigger of its schema) and
    the search entries of the enterprises, one transaction. What the import adds to this is per bundle:
    reading, verifying and checking, the chain, the kept figures, a commit."""
    from app.storage import search

    src = connect(province_db, key)
    data = _record_rows(src, CREATION)
    fts_src = src.execute(
        "SELECT rid, name, short_name, tax_code, address, owner_name FROM enterprises WHERE deleted = 0"
    ).fetchall()
    src.close()
    folder = out / "floor-program"
    shutil.rmtree(folder, ignore_errors=True)
    store = Store.in_dir(folder, key)
    conn = store.conn
    t0 = time.perf_counter()
    conn.execute("BEGIN")
    _insert_records(conn, data)
    search.index_many(conn, fts_src)
    conn.execute("COMMIT")
    elapsed = time.perf_counter() - t0
    store.close()
    shutil.rmtree(folder, ignore_errors=True)
    return elapsed


def floor_with_log(province_db: Path, out: Path, key) -> float:
    """What the previous design had to write: the same records, a change-log row per change holding its
    values, and search entries, executemany into an empty KhaoSat file (all its indexes; encrypted)."""
    from app.storage import kept_creations, search

    src = connect(province_db, key)
    data = {}
    log = []
    for table in RECORD_TYPES:
        cols = [*record_columns(table), *SYNCED]
        data[table] = (cols, src.execute(f"SELECT {', '.join(cols)} FROM {table}").fetchall())
        ids = [r[0] for r in src.execute(f"SELECT id FROM {table} WHERE create_change IS NOT NULL")]
        log += [
            tuple(r[c] for c in kept_creations.LOG_COLUMNS[1:])
            for r in kept_creations.log_rows(src, table, ids)
        ]
    log_cols = list(kept_creations.LOG_COLUMNS[1:])
    log += src.execute(f"SELECT {', '.join(log_cols)} FROM changes").fetchall()
    fts_src = src.execute(
        "SELECT name, short_name, tax_code, address, owner_name FROM enterprises"
    ).fetchall()
    src.close()
    folder = out / "floor-log"
    shutil.rmtree(folder, ignore_errors=True)
    store = Store.in_dir(folder, key)
    conn = store.conn
    t0 = time.perf_counter()
    conn.execute("BEGIN")
    _insert_records(conn, data)
    conn.executemany(
        f"INSERT INTO changes ({', '.join(log_cols)}) VALUES ({', '.join('?' * len(log_cols))})", log
    )
    names = ("name", "short_name", "tax_code", "address", "owner_name")
    conn.executemany(
        "INSERT INTO enterprise_fts(rowid, name, short_name, tax_code, address, owner_name) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [(i + 1, *search.index_values(dict(zip(names, r)))) for i, r in enumerate(fts_src)],
    )
    conn.execute("COMMIT")
    elapsed = time.perf_counter() - t0
    store.close()
    return elapsed


def rules_alone(bundles: list[Path], ident: K.Identity, founding) -> tuple[float, float, int]:
    """The domain rules on the bundles' values, timed alone, in processor time (the import runs them too,
    with the garbage collector paused, as here): the hard checks of every value (``rules.check_envelope``)
    and the search for values to check (``rules.soft_findings``). Returns (hard s, soft s, findings)."""
    from app.sync import container as C
    from app.sync import rules
    from app.sync.bulk import CreateSection, check_values

    hard = soft = 0.0
    found = 0
    for path in bundles:
        fr = C.parse_frame(C.read_capped(path))
        envelopes, _ = C.open_sealed_packed(fr, ident.decryption_keys())
        p = C.strict_loads(envelopes[0].payload)
        changes = [(c[0], c[2], c[5], c[6], c[7], c[8]) for c in p["changes"]]
        with C.gc_paused():
            sections = []
            for s in p["created"]:  # as the import has them: turned into columns, kinds known (untimed)
                sec = CreateSection(s["entity"], s["columns"], s["rows"], "", None, p["from"], "")
                sections.append((s["entity"], s["columns"], s["rows"], *check_values(sec)))
            t0 = time.process_time()
            rules.check_envelope(rules.final_values(sections, changes))
            hard += time.process_time() - t0
            t0 = time.process_time()
            for entity, columns, rows, *_ in sections:
                found += len(rules.soft_findings(entity, columns, rows, founding, offset=rules.META))
            soft += time.process_time() - t0
    return hard, soft, found


def import_in_window(folder: Path, key, ident: K.Identity, bundles: list[Path]) -> dict:
    """The bundles imported as the desktop program imports them (a write task on a worker thread), while
    the event loop runs a 20 ms timer and the list asks for its first page every half second."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QEventLoop, Qt, QTimer

    from app.gui.application import make_app
    from app.gui.tasks import TaskRunner
    from app.services import enterprise_list as el

    app = make_app([])
    runner = TaskRunner(folder / "khaosat.sqlite3", key)
    loop = QEventLoop()
    state: dict = {"failed": None, "asking": False}
    stalls: list[float] = []
    pages: list[float] = []
    last = [time.perf_counter()]

    # a stall is caught in the act: each tick re-arms a watchdog (a C thread: it needs no GIL) that writes
    # every thread's Python stack if the next tick is more than STALL_DUMP late
    dumps = open(folder.parent / "gui-stalls.txt", "w")  # noqa: SIM115 - closed below
    late: list[tuple[float, int]] = []  # (ms late, bundles done when it ended) of every tick over 100 ms

    def tick() -> None:
        now = time.perf_counter()
        stall = max(0.0, (now - last[0]) * 1000 - 20)
        stalls.append(stall)
        last[0] = now
        if stall > 100:
            late.append((stall, state.get("done", 0)))
            print(
                f"--- the tick above came {stall:.0f} ms late, after bundle {state.get('done', 0)}",
                file=dumps,
            )
            dumps.flush()
        faulthandler.dump_traceback_later(STALL_DUMP, repeat=False, file=dumps)

    def ask() -> None:
        if state["asking"]:
            return
        state["asking"] = True
        t = time.perf_counter()

        def shown(_rows) -> None:
            pages.append((time.perf_counter() - t) * 1000)
            state["asking"] = False

        runner.read(lambda store: el.page(store, el.ListQuery(), 0, 200), shown, lambda _f: shown(None))

    def work(store: Store, ctx) -> list:
        def each(done: int, total: int) -> None:  # as the import dialog does (app/gui/sync/dialogs.py)
            state["done"] = done
            ctx.progress(done, total, f"Tệp {done}/{total}")
            if done < total:
                ctx.check()

        return B.import_paths(store, ident, bundles, write_receipt=False, progress=each)

    def failed(f) -> None:
        state["failed"] = f
        loop.quit()

    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.setInterval(20)
    timer.timeout.connect(tick)
    pager = QTimer()
    pager.setInterval(500)
    pager.timeout.connect(ask)
    quiet_disk()
    t0 = time.perf_counter()
    runner.write(work, lambda _r: loop.quit(), failed)
    last[0] = time.perf_counter()
    timer.start()
    pager.start()
    loop.exec()
    elapsed = time.perf_counter() - t0
    faulthandler.cancel_dump_traceback_later()
    dumps.close()
    timer.stop()
    pager.stop()
    runner.shutdown()
    del app
    if state["failed"] is not None:
        raise RuntimeError(f"import failed: {state['failed'].exception!r}")
    stalls.sort()
    return {
        "seconds": elapsed,
        "ticks": len(stalls),
        "stall_p99": stalls[int(len(stalls) * 0.99) - 1] if stalls else 0.0,
        "stall_max": stalls[-1] if stalls else 0.0,
        "over_100": sum(1 for x in stalls if x > 100),
        "late": sorted(late, reverse=True)[:5],
        "dumps": folder.parent / "gui-stalls.txt",
        "pages": len(pages),
        "page_p50": sorted(pages)[len(pages) // 2] if pages else 0.0,
        "page_max": max(pages) if pages else 0.0,
    }


def quiet_disk() -> None:
    """Let the disk settle between timed steps (the previous step's writes are still being flushed)."""
    os.sync()
    time.sleep(3)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--enterprises", type=int, default=100_000)
    ap.add_argument("--wards", type=int, default=10)
    ap.add_argument("--province", default="01")
    ap.add_argument("--out", default="bench/out/sync")
    ap.add_argument("--keep", action="store_true", help="reuse generated ward databases if present")
    ap.add_argument("--gui", action="store_true", help="also import once as the desktop program does")
    ap.add_argument(
        "--import-only",
        action="store_true",
        help="reuse the bundles an earlier run left on OUT/usb and the province office they were made for "
        "(OUT/province-empty): no generation, no export; every ward's records are counted at the province",
    )
    a = ap.parse_args()
    load_before = os.getloadavg()
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    stick = out / "usb"
    wards = units.wards(a.province)[: a.wards]
    if a.import_only:
        return import_only(a, out, wards, load_before)
    shutil.rmtree(stick, ignore_errors=True)
    stick.mkdir()
    per = a.enterprises // len(wards)

    prov_dir = out / "province"
    shutil.rmtree(prov_dir, ignore_errors=True)
    prov_dir.mkdir(parents=True)
    pkey = datakey.create(prov_dir, PASSPHRASE)  # the province office's file, encrypted as the program's
    province = Store.in_dir(prov_dir, pkey)
    province.set_profile(unit_code=a.province, collaborator="Ban Tổ chức", role=Role.PROVINCE_OFFICE)
    p_ident = R.setup_keys(province)
    p_doc = K.read_pubkey_file(K.pubkey_file(R.own_pubkey_doc(province, p_ident)))

    t_gen = 0.0
    offices = []
    for i, w in enumerate(wards):
        folder = out / f"ward-{w.code}"
        if not (a.keep and (folder / "khaosat.sqlite3").exists()):
            shutil.rmtree(folder, ignore_errors=True)
            store = Store.in_dir(folder)
            store.set_profile(unit_code=w.code, collaborator=f"Đảng ủy {w.name}", role=Role.WARD_OFFICE)
            t0 = time.perf_counter()
            generate(store, DemoOptions(w.code, enterprises=per, seed=i + 1, today=date(2026, 11, 21)))
            t_gen += time.perf_counter() - t0
        else:
            store = Store.in_dir(folder)
            store.conn.execute("DELETE FROM sync_exports")
            store.conn.execute("DELETE FROM sync_peers")
        ident = R.setup_keys(store)
        R.register(store, p_doc, destination=True)
        R.register(province, K.read_pubkey_file(K.pubkey_file(R.own_pubkey_doc(store, ident))))
        offices.append((store, ident))
    print(f"generated {len(wards)} wards in {t_gen:.1f} s", file=sys.stderr)

    t_export, sizes, bundles, changes = 0.0, 0, [], 0
    for store, ident in offices:
        t0 = time.perf_counter()
        [res] = B.export(store, ident, stick)
        t_export += time.perf_counter() - t0
        sizes += res.path.stat().st_size
        changes += res.changes
        bundles.append(res.path)
        store.close()
    print(f"exported {fmt(changes)} changes in {t_export:.1f} s", file=sys.stderr)

    province.close()
    empty = out / "province-empty"
    shutil.rmtree(empty, ignore_errors=True)
    shutil.copytree(prov_dir, empty)
    return measure(a, out, wards, bundles, changes, pkey, p_ident, t_export, sizes, load_before)


def import_only(
    a: argparse.Namespace, out: Path, wards: list, load_before: tuple[float, float, float]
) -> int:
    """The bundles and the province office of an earlier run (``--keep``): every ward's bundle must be on the
    stick, and every record of every ward database reaches the province (counted after the import)."""
    empty = out / "province-empty"
    bundles = sorted((out / "usb").glob(f"*{B.BUNDLE_SUFFIX}"))
    if not (empty / "khaosat.sqlite3").exists() or len(bundles) != len(wards):
        raise SystemExit(
            f"--import-only: {out}/usb must hold one bundle per ward ({len(wards)}) and {empty} the province"
        )
    pkey = datakey.unlock(empty, PASSPHRASE)
    prov_dir = out / "province"
    shutil.rmtree(prov_dir, ignore_errors=True)
    shutil.copytree(empty, prov_dir)
    with Store.in_dir(prov_dir, pkey) as st:
        p_ident = R.load_keys(st)
    expected: dict[str, int] = {}
    for w in wards:
        with Store.in_dir(out / f"ward-{w.code}") as st:
            for table, n in st.counts().items():
                if table in RECORD_TYPES:
                    expected[table] = expected.get(table, 0) + n
    sizes = sum(b.stat().st_size for b in bundles)
    return measure(a, out, wards, bundles, None, pkey, p_ident, None, sizes, load_before, expected)


def measure(
    a: argparse.Namespace,
    out: Path,
    wards: list,
    bundles: list[Path],
    changes: int | None,
    pkey,
    p_ident: K.Identity,
    t_export: float | None,
    sizes: int,
    load_before: tuple[float, float, float],
    expected: dict[str, int] | None = None,
) -> int:
    """Import the bundles into copies of the empty province office, time the floors, print the section."""
    prov_dir = out / "province"
    empty = out / "province-empty"
    quiet = quiet_disk

    cpu: list[float] = []  # processor time of each import

    def import_all(folder: Path) -> tuple[float, Store, list]:
        store = Store.in_dir(folder, pkey)
        quiet()
        t0, c0 = time.perf_counter(), time.process_time()
        # as the program imports a stick (Đồng bộ ▸ Nhập gói): one batch, one page cache for all of it
        res = B.import_paths(store, p_ident, bundles, write_receipt=False)
        cpu.append(time.process_time() - c0)
        return time.perf_counter() - t0, store, res

    t_import, province, results = import_all(prov_dir)
    counts = province.counts()
    assert all(r.outcome == "applied" for r in results), [
        r.summary() for r in results if r.outcome != "applied"
    ]
    if changes is None:  # --import-only: what every ward database holds is at the province
        changes = sum(r.report.applied for r in results)
        assert all(counts[t] == n for t, n in (expected or {}).items()), (counts, expected)
    assert sum(r.report.applied for r in results) == changes, "every change merged"
    assert province.integrity_check() == [], "integrity"
    province.close()
    print(f"imported in {t_import:.1f} s", file=sys.stderr)
    db = prov_dir / "khaosat.sqlite3"
    size = db.stat().st_size + sum(p.stat().st_size for p in prov_dir.glob("khaosat.sqlite3-wal"))
    quiet()
    t_floor, rows = floor(db, out, key=pkey)
    again = out / "province-again"
    shutil.rmtree(again, ignore_errors=True)
    shutil.copytree(empty, again)
    t_import_b, second, _ = import_all(again)
    second.close()
    print(f"imported again in {t_import_b:.1f} s", file=sys.stderr)
    quiet()
    t_floor_b, _ = floor(db, out, key=pkey)
    quiet()
    t_floor_kept, _ = floor(db, out, CREATION, key=pkey)
    quiet()
    t_floor_enc, _ = floor(db, out, CREATION, key=pkey, encrypted=True)
    quiet()
    t_floor_log = floor_with_log(db, out, pkey)
    quiet()
    t_floor_prog = floor_program(db, out, pkey)
    shutil.rmtree(again, ignore_errors=True)
    gui = None
    if a.gui:
        shutil.copytree(empty, again)
        Store.in_dir(again, pkey).close()  # brought up to date as the program does when it opens the folder
        gui = import_in_window(again, pkey, p_ident, bundles)
        shutil.rmtree(again, ignore_errors=True)
    t_imp = min(t_import, t_import_b)
    load_after = os.getloadavg()
    with Store.in_dir(prov_dir, pkey) as st:
        founding = st.founding_rules()
    t_hard, t_soft, n_found = rules_alone(bundles, p_ident, founding)

    print(f"## Sync: `uv run python bench/bench_sync.py --enterprises {a.enterprises} --wards {a.wards}`\n")
    print(
        f"Machine: {machine()}; {date.today().isoformat()}; load average (1, 5, 15 min) before "
        f"{load_before[0]:.1f}, {load_before[1]:.1f}, {load_before[2]:.1f}, after {load_after[0]:.1f}, "
        f"{load_after[1]:.1f}, {load_after[2]:.1f}. The province file is encrypted (SQLCipher).\n"
    )
    print(
        f"- Data: {len(wards)} wards of province {a.province}, one ward-office database each: "
        f"{fmt(counts['enterprises'])} enterprises, {fmt(counts['visits'])} visits, "
        f"{fmt(counts['organisations'])} organisations, {fmt(counts['admissions'])} admissions, "
        f"{fmt(counts['targets'])} targets; {fmt(changes)} changes."
    )
    if t_export is None:
        print(
            f"- Export: not measured (`--import-only`: the bundles of an earlier run); {sizes / 1e6:.0f} MB on the stick."
        )
    else:
        print(
            f"- Export, {len(wards)} bundles (read the change log, sign, compress, encrypt, write, fsync): "
            f"**{t_export:.1f} s**; {sizes / 1e6:.0f} MB on the stick."
        )
    print(
        f"- Import at the province (read, decrypt, verify, validate, merge with change log and search index, "
        f"one transaction per group of bundles): **{t_import:.1f} s** and {t_import_b:.1f} s (two runs into a fresh copy "
        f"of the same province file)."
    )
    fl = min(t_floor, t_floor_b)
    print(
        f"- Floor, plain executemany of the same {fmt(rows)} record rows into an empty file, one transaction: "
        f"**{t_floor:.1f} s** and {t_floor_b:.1f} s. Each timed step starts after `sync` and a 3 s pause; "
        f"the ratios compare the better of two runs."
    )
    print(
        f"- The same rows with the creation each record keeps (change id, transaction, author, time, envelope): "
        f"{t_floor_kept:.1f} s."
    )
    print(
        f"- What the previous design wrote (the same rows, a change-log row per change with its values, search "
        f"entries; all indexes): {t_floor_log:.1f} s ({t_floor_log / fl:.1f}x the floor)."
    )
    print(
        f"- The same rows with their creations into an encrypted empty file (SQLCipher, the same key): "
        f"{t_floor_enc:.1f} s."
    )
    print(
        f"- Import / floor: **{t_imp / fl:.1f}x** (target 3x); import / floor with the kept creations: "
        f"{t_imp / t_floor_kept:.1f}x; import / the same floor encrypted: **{t_imp / t_floor_enc:.1f}x**."
    )
    print(
        f"- The same rows with their creations into the program's own empty file (encrypted; every index, "
        f"trigger and the search entries; one transaction): {t_floor_prog:.1f} s; import / this floor: "
        f"**{t_imp / t_floor_prog:.1f}x**."
    )
    print(
        f"- Of the import, the domain rules alone (timed again on the same payloads, processor time): every "
        f"value against its field's rules {t_hard:.2f} s, the search for values to check {t_soft:.2f} s "
        f"({fmt(n_found)} found); {(t_hard + t_soft) / min(cpu):.0%} of the import's processor time "
        f"({min(cpu):.1f} s)."
    )
    print(f"- Province file after the import: {size / 1e6:.0f} MB.")
    if gui is not None:
        print(
            f"- Imported as the desktop program does (a write task; the window's event loop running): "
            f"{gui['seconds']:.1f} s. A 20 ms timer fired {gui['ticks']:,} times, late by p99 "
            f"{gui['stall_p99']:.0f} ms, at most **{gui['stall_max']:.0f} ms** ({gui['over_100']} times over "
            f"100 ms); the list's first page, asked every half second during the import: {gui['pages']} times, "
            f"p50 {gui['page_p50']:.0f} ms, at most {gui['page_max']:.0f} ms."
        )
        if gui["late"]:
            where = ", ".join(f"{ms:.0f} ms after bundle {n}" for ms, n in gui["late"])
            print(f"- The longest stalls: {where}; every thread's stack during each: `{gui['dumps']}`.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
