"""Bundle import into a file that already holds a whole province (or the nation): issue 15's "import there too".

    uv run python bench/bench_import_at_scale.py --base /work/bench-data/national/province-79-1000000-enc \
        --sync /work/bench-data/sync-500k [--bundles 20] [--scratch /work/bench-data/scratch]

``--base`` is a data folder made by ``bench_province.py`` (an encrypted province office file whose records
were created there, e.g. 1,000,000 enterprises). ``--sync`` is the output folder of
``bench_sync.py --keep`` (its ward offices, their bundles on ``usb/`` addressed to its province office,
and ``province-empty``, that office's file before any import).

The same ``--bundles`` ward bundles are imported twice, each time as the program imports them (read,
decrypt, verify, validate, merge, one transaction per bundle): into a copy of the empty province file,
and into a copy of the big file, which takes the sync province office's identity for the run (its
``laptop_id``, the bundles' recipient, and the wards' registered keys) so that the same bundles are
addressed to it. The ratio of the two says what the size of the file costs each import. Both copies
are deleted afterwards; the originals are never written.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.pop("KHAOSAT_TEST_FAST_KDF", None)

from machine import load, machine

from app.security import datakey
from app.storage import Store
from app.sync import bundles as B
from app.sync import keys as K
from app.sync import registry as R

PASSPHRASE = "Mật khẩu đo hiệu năng 2026"


def quiet() -> None:
    os.sync()
    time.sleep(3)


def import_all(store: Store, ident: K.Identity, bundles: list[Path]) -> tuple[float, float, int, list[float]]:
    quiet()
    each: list[float] = []
    changes = 0
    t0, c0 = time.perf_counter(), time.process_time()
    for b in bundles:
        t = time.perf_counter()
        res = B.import_file(store, ident, b, write_receipt=False)
        each.append(time.perf_counter() - t)
        changes += res.report.applied
    return time.perf_counter() - t0, time.process_time() - c0, changes, each


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", required=True, help="a big province office folder made by bench_province.py")
    ap.add_argument("--sync", required=True, help="the --out folder of bench_sync.py --keep")
    ap.add_argument("--bundles", type=int, default=20, help="how many ward bundles to import (0: all)")
    ap.add_argument("--scratch", default=None, help="where the copies go (default: beside --sync)")
    a = ap.parse_args()
    base, sync = Path(a.base), Path(a.sync)
    scratch = Path(a.scratch) if a.scratch else sync.parent / "import-at-scale"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    bundles = sorted((sync / "usb").glob("*.khaosat"))
    if a.bundles:
        bundles = bundles[: a.bundles]
    wards = {b.name.split("_")[1] for b in bundles}

    # The sync province office's identity, as bench_sync made it.
    pkey = datakey.unlock(sync / "province-empty", PASSPHRASE)
    empty = scratch / "empty"
    shutil.copytree(sync / "province-empty", empty)
    with Store.in_dir(empty, pkey) as st:
        ident = R.load_keys(st)
        laptop_id = st.laptop_id
        t_small, c_small, n_small, each_small = import_all(st, ident, bundles)
        small_counts = st.counts()
    shutil.rmtree(empty)
    print(f"into the empty file: {t_small:.1f} s ({n_small:,} changes)", file=sys.stderr)

    big = scratch / "big"
    print(f"copying {base} ({load()})…", file=sys.stderr)
    shutil.copytree(base, big, ignore=shutil.ignore_patterns("backups"))
    bkey = datakey.unlock(big, PASSPHRASE)
    with Store.in_dir(big, bkey) as st:
        before = st.counts()
        with st.transaction():
            st._set_meta("laptop_id", laptop_id)  # the bundles' recipient, for this run only
        for w in sorted(wards):
            with Store.in_dir(sync / f"ward-{w}") as ward:
                wident = R.load_keys(ward)
                doc = K.read_pubkey_file(K.pubkey_file(R.own_pubkey_doc(ward, wident)))
            R.register(st, doc)
        size_before = (big / Store.FILE_NAME).stat().st_size
        t_big, c_big, n_big, each_big = import_all(st, ident, bundles)
        after = st.counts()
    wal = big / (Store.FILE_NAME + "-wal")
    size_after = (big / Store.FILE_NAME).stat().st_size + (wal.stat().st_size if wal.exists() else 0)
    shutil.rmtree(scratch)
    assert n_big == n_small, "the same changes merged into both files"

    ratio = t_big / t_small
    print(f"### Import into a file holding {before['enterprises']:,} enterprises\n")
    print(
        f"`uv run python bench/bench_import_at_scale.py --base {a.base} --sync {a.sync} --bundles {a.bundles}`\n"
    )
    print(f"Machine: {machine()}; {load()} at the end.\n")
    print(
        f"- {len(bundles)} ward bundles, {n_big:,} changes ({small_counts['enterprises']:,} enterprises, "
        f"{small_counts['visits']:,} visits), imported as the program imports them, one transaction per bundle."
    )
    print(
        f"- Into the province's empty file: **{t_small:.1f} s** (CPU {c_small:.1f} s), "
        f"{n_small / t_small:,.0f} changes/s; slowest bundle {max(each_small):.1f} s."
    )
    print(
        f"- Into a file already holding {before['enterprises']:,} enterprises and {before['visits']:,} visits "
        f"({size_before / 1e6:,.0f} MB): **{t_big:.1f} s** (CPU {c_big:.1f} s), {n_big / t_big:,.0f} changes/s; "
        f"slowest bundle {max(each_big):.1f} s; the file after: {after['enterprises']:,} enterprises, "
        f"{size_after / 1e6:,.0f} MB."
    )
    print(f"- The size of the file costs each import **{ratio:.1f}x** (CPU {c_big / c_small:.1f}x).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
