"""The one-folder build, made once per test session with installer/khaosat.spec (about 30 s)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT

SPEC = ROOT / "installer" / "khaosat.spec"
# On Windows the build has KhaoSat.exe (no console) and khaosat-cli.exe (console): tests use the latter.
EXE_NAME = "khaosat-cli.exe" if sys.platform == "win32" else "khaosat"


def build_env() -> dict[str, str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONIOENCODING="utf-8")
    env.pop("KHAOSAT_DATA_DIR", None)
    return env


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> Path:
    """``dist/KhaoSat`` built from the spec; the test fails if PyInstaller does."""
    out = tmp_path_factory.mktemp("pyinstaller")
    started = time.perf_counter()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "PyInstaller",
            str(SPEC),
            "--noconfirm",
            "--log-level",
            "WARN",
            "--distpath",
            str(out / "dist"),
            "--workpath",
            str(out / "work"),
        ],
        cwd=ROOT,
        env=build_env(),
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    folder = out / "dist" / "KhaoSat"
    assert (folder / EXE_NAME).is_file(), sorted(p.name for p in folder.iterdir())
    (out / "build-seconds.txt").write_text(f"{time.perf_counter() - started:.1f}")
    shutil.rmtree(out / "work", ignore_errors=True)
    return folder


def linked_copy(folder: Path, dest: Path) -> Path:
    """A copy of the build made of hard links (fast): files may be deleted or added in it freely."""
    shutil.copytree(folder, dest, copy_function=os.link, symlinks=True)
    return dest


def run_built(
    folder: Path,
    *args: str,
    env: dict | None = None,
    cwd: Path | None = None,
    timeout: float = 180,
    prefix: list[str] | None = None,
) -> subprocess.CompletedProcess:
    full = build_env()
    if env:
        full.update(env)
    return subprocess.run(
        [*(prefix or []), str(folder / EXE_NAME), *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=full,
        cwd=cwd or folder.parent,
        timeout=timeout,
    )
