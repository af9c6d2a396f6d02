"""What the benchmarks ran on, for the heading of each docs/performance.md section."""

from __future__ import annotations

import os
import platform
import sqlite3


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
