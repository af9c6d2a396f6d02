"""What the benchmarks ran on, for the heading of each docs/performance.md section; and a start of the
program in a fresh interpreter, as the start benchmarks time it."""

from __future__ import annotations

import os
import platform
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:  # the program's SQLite is the one inside SQLCipher (sqlcipher3), not the system's
        from app.storage.driver import dbapi

        conn = dbapi.connect(":memory:")
        cipher = conn.execute("PRAGMA cipher_version").fetchone()
        ours = f"SQLite {dbapi.sqlite_version} in SQLCipher {cipher[0] if cipher else '?'}"
        conn.close()
    except Exception:
        ours = "SQLCipher not importable"
    return (
        f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {ours} "
        f"(system SQLite {sqlite3.sqlite_version})"
    )


def load() -> str:
    """The load average now (1, 5, 15 minutes), to write beside every timing on a shared machine."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} / {five:.2f} / {fifteen:.2f} on {os.cpu_count()} cores"


def verdict(value: float, target: float) -> str:
    """ "met" or "NOT met" against a ceiling."""
    return "met" if value <= target else "NOT met"


def run_child(code: str, folder: Path, passphrase: str, env: dict[str, str] | None = None) -> list[float]:
    """Run ``code`` in a fresh interpreter from the source root, its arguments the data folder, the time
    of the launch, the root and the passphrase (``env``: the environment, else this one's); the numbers
    it printed on its last line."""
    t0 = time.time()
    out = subprocess.run(
        [sys.executable, "-c", code, str(folder), repr(t0), str(ROOT), passphrase],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        check=True,
    )
    return [float(v) for v in out.stdout.strip().splitlines()[-1].split()]
