"""Shared fixtures. Qt runs offscreen; every warning is an error (pyproject: filterwarnings)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.pop("KHAOSAT_DATA_DIR", None)
# Data folders are encrypted as in the program, with a fast key derivation (app/security/kdf.py) and
# one passphrase that the command line, run as a subprocess, reads from the environment.
os.environ["KHAOSAT_TEST_FAST_KDF"] = "1"
os.environ["KHAOSAT_PASSPHRASE"] = "Mật khẩu thử nghiệm 2025"  # tests/helpers/vault.py TEST_PASSPHRASE
os.environ.pop("KHAOSAT_NEW_PASSPHRASE", None)

ROOT = Path(__file__).resolve().parent.parent
TEST_WARD = "00070"  # Phường Hoàn Kiếm, Hà Nội
TEST_TODAY = date(2025, 11, 20)


@pytest.fixture
def store():
    """A fresh in-memory store with the latest schema."""
    from app.storage import Store

    s = Store.memory()
    s.set_profile(unit_code=TEST_WARD, collaborator="Nguyễn Thị Hằng", role=_role("collaborator"))
    yield s
    s.close()


@pytest.fixture
def file_store(tmp_path):
    """A store in a real SQLite file on disk (WAL)."""
    from tests.helpers.vault import open_store

    s = open_store(tmp_path / "data")
    s.set_profile(unit_code=TEST_WARD, collaborator="Nguyễn Thị Hằng", role=_role("collaborator"))
    yield s
    s.close()


@pytest.fixture(scope="session")
def demo_file(tmp_path_factory):
    """A read-only demo database file (300 enterprises) shared by tests that only read it; its data key
    file is beside it (tests/helpers/vault.py opens and copies both)."""
    from app.demo.generator import DemoOptions, generate
    from tests.helpers.vault import open_store

    path = tmp_path_factory.mktemp("demo") / "khaosat.sqlite3"
    with open_store(path.parent) as s:
        s.set_profile(unit_code=TEST_WARD, collaborator="Trần Văn Nam", role=_role("ward_office"))
        generate(s, DemoOptions(TEST_WARD, enterprises=300, seed=7, today=TEST_TODAY))
    return path


def _role(value: str):
    from app.domain.vocab import Role

    return Role(value)


def killed_once_it_says(line: str, script: str, *args: str) -> subprocess.Popen:
    """Run the Python source ``script`` with ``args`` as a subprocess (from the repository), wait for its first
    line of output, which must be ``line``, and kill it there (SIGKILL: no cleanup of any kind, as in a power
    cut); the process, finished."""
    proc = subprocess.Popen(
        [sys.executable, "-c", script, *args], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    try:
        assert proc.stdout.readline().strip() == line
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
    return proc


def run_cli(
    *args: str,
    data_dir: Path | None = None,
    input: str | None = None,
    env: dict | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess:
    """Run ``khaosat`` as a subprocess (the real command line)."""
    full_env = dict(os.environ)
    full_env["PYTHONIOENCODING"] = "utf-8"
    full_env.pop("KHAOSAT_DATA_DIR", None)
    if env:
        full_env.update(env)
    cmd = [sys.executable, "-m", "app"]
    if data_dir is not None:
        cmd += ["--data-dir", str(data_dir)]
    cmd += list(args)
    return subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=ROOT,
        env=full_env,
        input=input,
        timeout=timeout,
    )


@pytest.fixture
def cli():
    return run_cli
