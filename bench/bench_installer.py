"""The one-folder build: build time, size, and start times of the built program.

    uv run python bench/bench_installer.py [--runs 7] [--out /tmp/ks-bench]

Builds installer/khaosat.spec into OUT (or reuses OUT/dist/KhaoSat with --reuse), then measures, with
QT_QPA_PLATFORM=offscreen, from the moment the process is started (the parent's clock just before
``subprocess`` spawns it):

- ``--version``: the bootloader unpacks nothing (one-folder), starts Python, imports the CLI, exits;
- main window shown: ``khaosat self-test-qt --window DATA`` opens the real main window on a demo
  database (300 enterprises) and reports the wall-clock time at which it was shown;
- self-test done: ``khaosat --self-test`` until the process has exited.

The same is measured from source (``python -m app``) for comparison. Each figure is the median of
``--runs`` runs after one warm-up run (the first run after a build reads the files from disk).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


PASSPHRASE = "Mật khẩu đo hiệu năng 2026"  # the demo folder is encrypted, as a user's is


def env() -> dict[str, str]:
    e = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONIOENCODING="utf-8", KHAOSAT_PASSPHRASE=PASSPHRASE)
    e.pop("KHAOSAT_DATA_DIR", None)
    e.pop("KHAOSAT_TEST_FAST_KDF", None)
    return e


def timed(cmd: list[str], cwd: Path) -> tuple[float, subprocess.CompletedProcess]:
    t0 = time.perf_counter()
    proc = subprocess.run(
        cmd, capture_output=True, text=True, encoding="utf-8", env=env(), cwd=cwd, timeout=300
    )
    return time.perf_counter() - t0, proc


def window_shown(cmd: list[str], data: Path, cwd: Path) -> float:
    started = time.time()
    proc = subprocess.run(
        cmd + ["self-test-qt", "--window", str(data)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env(),
        cwd=cwd,
        timeout=300,
    )
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if not lines:
        raise SystemExit(
            f"{cmd}: self-test-qt printed no result (exit {proc.returncode}):\n{proc.stderr[-3000:]}"
        )
    result = json.loads(lines[-1])
    if "window_shown_at" not in result:
        raise SystemExit(f"the main window did not open: {result}")
    return result["window_shown_at"] - started


def measure(label: str, cmd: list[str], data: Path, runs: int, cwd: Path) -> dict:
    first_version, _ = timed(cmd + ["--version"], cwd)
    first_window = window_shown(cmd, data, cwd)
    version = [timed(cmd + ["--version"], cwd)[0] for _ in range(runs)]
    window = [window_shown(cmd, data, cwd) for _ in range(runs)]
    selftest = []
    for _ in range(max(3, runs // 2)):
        seconds, proc = timed(cmd + ["--self-test"], cwd)
        selftest.append(seconds)
        if proc.returncode != 0:
            print(proc.stdout, proc.stderr, file=sys.stderr)
            print(f"warning: {label}: the self-test did not pass (exit {proc.returncode})", file=sys.stderr)
    return {
        "label": label,
        "first_version_s": first_version,
        "first_window_s": first_window,
        "version_s": statistics.median(version),
        "window_s": statistics.median(window),
        "window_max_s": max(window),
        "selftest_s": statistics.median(selftest),
    }


def folder_size(folder: Path) -> tuple[int, int]:
    files = [p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()]
    return sum(p.stat().st_size for p in files), len(files)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "khaosat-bench-installer")
    ap.add_argument("--reuse", action="store_true", help="reuse an existing build in OUT")
    args = ap.parse_args()

    folder = args.out / "dist" / "KhaoSat"
    build_s = None
    if not (args.reuse and folder.is_dir()):
        t0 = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "PyInstaller",
                str(ROOT / "installer" / "khaosat.spec"),
                "--noconfirm",
                "--log-level",
                "ERROR",
                "--distpath",
                str(args.out / "dist"),
                "--workpath",
                str(args.out / "work"),
            ],
            check=True,
            cwd=ROOT,
            env=env(),
        )
        build_s = time.perf_counter() - t0
    size, count = folder_size(folder)
    internal = folder / "_internal"
    biggest = sorted(
        ((folder_size(p)[0] if p.is_dir() else p.stat().st_size), p.name) for p in internal.iterdir()
    )[-6:]

    # A demo database for the main window (a collaborator's laptop, 300 enterprises).
    data = args.out / "data"
    if not (data / "khaosat.sqlite3").exists():
        from app.demo.generator import DemoOptions, generate
        from app.domain.vocab import Role
        from app.security import datakey
        from app.storage import Store

        with Store.in_dir(data, datakey.create(data, PASSPHRASE)) as store:
            store.set_profile(unit_code="00070", collaborator="Nguyễn Thị Hằng", role=Role.COLLABORATOR)
            generate(store, DemoOptions("00070", enterprises=300, seed=3))

    exe = folder / ("khaosat-cli.exe" if sys.platform == "win32" else "khaosat")
    built = measure("built", [str(exe)], data, args.runs, args.out)
    source = measure("source", [sys.executable, "-m", "app"], data, args.runs, ROOT)

    print(
        f"machine: {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"load {os.getloadavg()[0]:.1f}"
    )
    if build_s is not None:
        print(f"build: {build_s:.1f} s")
    print(f"size: {size / 2**20:.1f} MiB ({size:,} bytes), {count} files")
    print(
        "largest in _internal: " + ", ".join(f"{name} {b / 2**20:.1f} MiB" for b, name in reversed(biggest))
    )
    for r in (built, source):
        print(
            f"{r['label']:6}  --version {r['version_s']:.2f} s (first {r['first_version_s']:.2f}) | "
            f"main window shown {r['window_s']:.2f} s (first {r['first_window_s']:.2f}, max {r['window_max_s']:.2f}) | "
            f"--self-test {r['selftest_s']:.2f} s"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
