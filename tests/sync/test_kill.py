"""A process killed in the middle of an import leaves the database as it was; the next import succeeds."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from app.demo.generator import DemoOptions, generate
from tests.conftest import ROOT, killed_once_it_says
from tests.helpers.vault import open_store
from tests.sync.conftest import WARD, state

pytestmark = pytest.mark.slow

_HELD_IMPORT = """
import sys, time
from app.sync import bundles
real = bundles._import_one
def held(store, *args, **kwargs):
    store.conn.execute("PRAGMA cache_size = 20")
    result = real(store, *args, **kwargs)
    print("inside", flush=True)
    time.sleep(120)
    return result
bundles._import_one = held
from app.cli.main import main
raise SystemExit(main())
"""


@pytest.mark.skipif(os.name == "nt", reason="SIGKILL")
def test_killed_import_changes_nothing(net):
    generate(net.l1.store, DemoOptions(WARD, enterprises=3000, seed=3, years=2, today=date(2025, 11, 20)))
    bundle = net.l1.export(net.stick)
    office_dir = net.ward.folder
    before = state(net.ward.store)
    net.ward.store.close()
    wal = Path(str(office_dir / "khaosat.sqlite3") + "-wal")
    # the real command line, held once the bundle is merged inside its transaction, its pages spilled into
    # the WAL by a tiny cache (the transaction is being written), and killed there: a poll of the WAL's size
    # from here missed that moment under load (the commit and the close came between two looks)
    proc = killed_once_it_says(
        "inside", _HELD_IMPORT, "--data-dir", str(office_dir), "import", "--no-receipt", str(bundle)
    )
    assert proc.returncode == -signal.SIGKILL
    assert wal.stat().st_size > 256 * 1024  # frames of the transaction never committed
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
