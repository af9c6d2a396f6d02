"""A process killed in the middle of an import leaves the database as it was; the next import succeeds."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest

from app.demo.generator import DemoOptions, generate
from tests.conftest import ROOT
from tests.helpers.vault import open_store
from tests.sync.conftest import WARD, state

pytestmark = pytest.mark.slow


@pytest.mark.skipif(os.name == "nt", reason="SIGKILL")
def test_killed_import_changes_nothing(net):
    generate(net.l1.store, DemoOptions(WARD, enterprises=3000, seed=3, years=2, today=date(2025, 11, 20)))
    bundle = net.l1.export(net.stick)
    office_dir = net.ward.folder
    before = state(net.ward.store)
    net.ward.store.close()
    wal = Path(str(office_dir / "khaosat.sqlite3") + "-wal")
    base = wal.stat().st_size if wal.exists() else 0
    killed = False
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "--data-dir", str(office_dir), "import", "--no-receipt", str(bundle)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while proc.poll() is None and time.monotonic() < deadline:
        if wal.exists() and wal.stat().st_size > base + 256 * 1024:  # the transaction is being written
            proc.send_signal(signal.SIGKILL)
            killed = True
            break
        time.sleep(0.002)
    proc.wait()
    proc.stdout.close()
    proc.stderr.close()
    if not killed:
        pytest.fail("the import finished before it could be killed")
    assert killed and proc.returncode == -signal.SIGKILL
    store = open_store(office_dir)
    try:
        assert store.integrity_check() == []
        assert state(store) == before
        assert store.conn.execute("SELECT count(*) FROM sync_chains").fetchone()[0] == 0
    finally:
        store.close()
    # the next import succeeds
    r = subprocess.run(
        [sys.executable, "-m", "app", "--data-dir", str(office_dir), "import", str(bundle)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
    )
    assert r.returncode == 0, r.stderr
    store = open_store(office_dir)
    try:
        assert store.counts()["enterprises"] == 3000
        assert store.integrity_check() == []
    finally:
        store.close()
    net.ward.store = open_store(office_dir)  # for the fixture's teardown
