"""Downward benchmark: a ward of 5,000 enterprises with three years of visits sent down to a new laptop.

    uv run python bench/bench_down.py [--enterprises 5000] [--years 3] [--out bench/out/down]

The ward office's data is the demo generator's (about three visits per enterprise over ``--years``);
a third of the enterprises are assigned to the new laptop. Timed: the office writing the downward
bundle for the laptop (what it lacks: everything of its ward; visits of the enterprises assigned to it,
of the others a summary each; sign, compress, encrypt, write), and the laptop importing it (decrypt,
verify, check every value, merge in one transaction with the change log and the search index). Then the
same with the office's choice to send every visit of the ward in full. Prints a Markdown section for
docs/performance.md, with the load average beside every number (the machine is shared), and the processor time of the process beside the wall time.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine import load, machine

from app.demo.generator import DemoOptions, generate
from app.domain.vocab import Role
from app.services import assignments as A
from app.storage import Store
from app.sync import bundles as B
from app.sync import down_export as DX
from app.sync import keys as K
from app.sync import registry as R

WARD = "00070"


def laptop(folder: Path, office_doc: K.PublicKeyDoc) -> tuple[Store, K.Identity, K.PublicKeyDoc]:
    shutil.rmtree(folder, ignore_errors=True)
    store = Store.in_dir(folder)
    store.set_profile(unit_code=WARD, collaborator="Nguyễn Thị Hằng", role=Role.COLLABORATOR)
    ident = R.setup_keys(store)
    R.register(store, office_doc, destination=True)
    return store, ident, K.read_pubkey_file(K.pubkey_file(R.own_pubkey_doc(store, ident)))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--enterprises", type=int, default=5000)
    ap.add_argument("--years", type=int, default=3)
    ap.add_argument("--out", default="bench/out/down")
    a = ap.parse_args()
    out = Path(a.out)
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)

    office = Store.in_dir(out / "ward")
    office.set_profile(unit_code=WARD, collaborator="Đảng ủy phường", role=Role.WARD_OFFICE)
    o_ident = R.setup_keys(office)
    o_doc = K.read_pubkey_file(K.pubkey_file(R.own_pubkey_doc(office, o_ident)))
    t0 = time.perf_counter()
    made = generate(
        office, DemoOptions(WARD, enterprises=a.enterprises, years=a.years, seed=5, today=date(2026, 11, 21))
    )
    t_gen = time.perf_counter() - t0
    lines = [
        f"### Downward bundle to a new laptop: a ward of {a.enterprises:,} enterprises".replace(",", "."),
        "",
        f"`uv run python bench/bench_down.py --enterprises {a.enterprises} --years {a.years}`; {machine()}.",
        f"Ward data: {made.enterprises} enterprises, {made.visits} visits over {a.years} years, "
        f"{made.organisations} organisations, {made.admissions} admissions (generated in {t_gen:.1f} s).",
        "",
        "| case | changes | file | export wall (CPU) | import wall (CPU) | load (1/5/15 min) |",
        "|---|---|---|---|---|---|",
    ]
    for case, full in (("summaries of others' visits (default)", False), ("every visit of the ward", True)):
        with office.transaction():
            office.set_setting(DX.OTHERS_VISITS, "full" if full else "summary")
        store, ident, doc = laptop(out / f"laptop-{int(full)}", o_doc)
        R.register(office, doc)
        if not full:
            ids = [r[0] for r in office.conn.execute("SELECT id FROM enterprises ORDER BY rid")][::3]
            A.assign(office, ids, A.collaborators(office)[0])
        stick = out / f"usb-{int(full)}"
        stick.mkdir()
        t0, c0 = time.perf_counter(), time.process_time()
        [res] = DX.export_down(office, o_ident, stick, machine=store.laptop_id)
        t_export, c_export = time.perf_counter() - t0, time.process_time() - c0
        load_export = load()
        t0, c0 = time.perf_counter(), time.process_time()
        r = B.import_file(store, ident, res.path)
        t_import, c_import = time.perf_counter() - t0, time.process_time() - c0
        assert r.error is None and r.outcome == "applied", r.summary()
        size = res.path.stat().st_size
        lines.append(
            f"| {case} | {res.changes:,} | {size / 2**20:.1f} MiB | {t_export:.1f} s ({c_export:.1f} s) | "
            f"{t_import:.1f} s ({c_import:.1f} s) | "
            f"{load_export.split(' on ')[0].removeprefix('load average ')} |".replace(",", ".")
        )
        store.close()
    office.close()
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
