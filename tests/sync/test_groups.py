"""A stick's files merged in groups: one transaction per group, each file in its own savepoint inside it,
the receipts written once the group has committed (docs/sync-bundle.md, section 6)."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.domain.taxcode import valid_tax_code
from app.domain.vocab import Role
from app.storage.driver import dbapi
from app.sync import bundles as B
from tests.helpers.vault import copy_data, open_store
from tests.sync.conftest import (
    OTHER_WARD,
    WARD,
    Machine,
    db_fingerprint,
    enterprise,
    make_machine,
    register,
    state,
)


def laptops(net, tmp_path: Path, count: int) -> list[Machine]:
    """``count`` collaborator laptops of the ward (the fixture's two, then new ones), registered at the office."""
    out = [net.l1, net.l2]
    keys = tmp_path / "keys"
    keys.mkdir(exist_ok=True)
    for k in range(len(out), count):
        m = make_machine(tmp_path, f"Cộng tác viên {k}", WARD, Role.COLLABORATOR, clock=net.clock)
        register(net.ward, m, keys)
        out.append(m)
    return out[:count]


def bundles(net, machines: list[Machine], sizes: list[int]) -> list[Path]:
    """Each machine creates ``size`` enterprises (distinct tax codes) and exports them: the stick's files,
    in the order given."""
    paths = []
    for k, (m, size) in enumerate(zip(machines, sizes, strict=True)):
        for j in range(size):
            enterprise(
                m, name=f"Công ty TNHH Số {k}-{j}", tax_code=valid_tax_code(100_100_000 + 1000 * k + j)
            )
        paths.append(m.export(net.stick))
    return paths


def receipts_for(stick: Path, m: Machine) -> list[Path]:
    return sorted(stick.glob(f"*_cho_{m.id[:8]}{B.RECEIPT_SUFFIX}"))


def commits(store) -> list[str]:
    said: list[str] = []
    store.conn.set_trace_callback(lambda sql: said.append(sql) if sql.strip().upper() == "COMMIT" else None)
    return said


def names(store) -> set[str]:
    return {r[0] for r in store.conn.execute("SELECT name FROM enterprises")}


def sync_tables(store) -> dict:
    """What an import records besides the records (``state``), without the times it was received at."""
    q = store.conn.execute
    return {
        "chains": sorted(q("SELECT sender, recipient, seq, hash, prev FROM sync_chains").fetchall()),
        "envelopes": sorted(
            q("SELECT hash, signer, recipient, seq, relayed_by FROM sync_envelopes").fetchall()
        ),
        "imports": sorted(q("SELECT file_name, outcome, report FROM sync_imports").fetchall()),
        "blobs": q("SELECT count(*) FROM sync_blobs").fetchone()[0],
        "quarantine": q("SELECT count(*) FROM sync_quarantine").fetchone()[0],
        "hlc": store.meta("hlc_last"),
    }


def twin(net, tmp_path: Path):
    """A copy of the ward office as it is now (the same machine, keys and records)."""
    net.ward.store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return open_store(copy_data(net.ward.folder, tmp_path / "twin"))


def test_a_stick_is_merged_in_fewer_transactions_than_files_and_receipted_after_the_commit(net, tmp_path):
    machines = laptops(net, tmp_path, 4)
    files = bundles(net, machines, [2, 1, 3, 1])
    seen: list[list[str]] = []  # the receipts on the stick each time the progress bar moves

    def progress(done: int, total: int) -> None:
        assert total == 4
        seen.append(sorted(p.name for p in net.stick.glob(f"*{B.RECEIPT_SUFFIX}")))

    said = commits(net.ward.store)
    try:
        results = B.import_paths(net.ward.store, net.ward.ident, [net.stick], progress=progress)
    finally:
        net.ward.store.conn.set_trace_callback(None)
    assert [r.path for r in results] == sorted(files)  # one result per file, in the stick's order
    assert [r.outcome for r in results] == ["applied"] * 4 and all(r.error is None for r in results)
    assert len(said) == 1 < len(files)  # one transaction for the four files
    assert seen == [[], [], [], []]  # no receipt before the group committed
    assert all(r.receipt is not None and r.receipt.exists() for r in results)
    for m in machines:
        [receipt] = receipts_for(net.stick, m)
        [ack] = m.import_(receipt)
        assert ack.outcome == "receipt" and ack.report.applied == 1
    assert len(names(net.ward.store)) == 7
    assert sum(r.report.new for r in results) == 7
    assert net.ward.store.conn.execute("SELECT count(*) FROM sync_imports").fetchone()[0] == 4


def test_a_group_closes_at_its_bound(net, tmp_path, monkeypatch):
    machines = laptops(net, tmp_path, 4)
    files = bundles(net, machines, [3, 1, 1, 1])
    monkeypatch.setattr(B, "GROUP_CHANGES", 3)  # the first file fills a group, the other three the next
    said = commits(net.ward.store)
    try:
        results = net.ward.import_(*files)
    finally:
        net.ward.store.conn.set_trace_callback(None)
    assert [r.outcome for r in results] == ["applied"] * 4
    assert len(said) == 2
    assert all(r.receipt is not None and r.receipt.exists() for r in results)


def test_a_file_refused_while_merging_is_rolled_back_alone(net, tmp_path):
    machines = laptops(net, tmp_path, 3)
    good1 = bundles(net, machines[:1], [2])[0]
    enterprise(machines[1], name="Công ty ngoài phường", tax_code=valid_tax_code(100_999_001))
    enterprise(
        machines[1], name="Công ty ở Ba Đình", tax_code=valid_tax_code(100_999_101), ward_code=OTHER_WARD
    )
    bad = machines[1].export(net.stick)
    good2 = bundles(net, machines[2:], [1])[0]
    other = twin(net, tmp_path)
    try:
        said = commits(net.ward.store)
        try:
            results = net.ward.import_(good1, bad, good2)
        finally:
            net.ward.store.conn.set_trace_callback(None)
        assert [r.outcome for r in results] == ["applied", "refused", "applied"]
        assert results[1].error is not None and results[1].error.reason == "out_of_scope"
        assert "Ba Đình" in results[1].error.message and results[1].receipt is None
        assert results[1].error.__traceback__ is None  # (its frames held the file's payload)
        assert len(said) == 1  # the other two committed together
        assert receipts_for(net.stick, machines[1]) == []
        assert all(len(receipts_for(net.stick, m)) == 1 for m in (machines[0], machines[2]))
        assert "Công ty ngoài phường" not in names(net.ward.store)
        # as if the refused file had not been offered
        assert [
            r.outcome for r in B.import_paths(other, net.ward.ident, [good1, good2], write_receipt=False)
        ] == [
            "applied",
            "applied",
        ]
        assert state(net.ward.store) == state(other)
        assert sync_tables(net.ward.store) == sync_tables(other)
        assert net.ward.store.integrity_check() == []
    finally:
        other.close()


def test_a_full_disk_in_the_second_group_keeps_the_first_and_loses_the_second_whole(
    net, tmp_path, monkeypatch
):
    machines = laptops(net, tmp_path, 4)
    files = bundles(net, machines, [3, 1, 1, 1])
    monkeypatch.setattr(B, "GROUP_CHANGES", 3)  # groups: the first file, then the three others
    real = B.log_merged
    calls = []

    def full(*args, **kw):  # the disk fills while the third file is merged (the second of its group)
        calls.append(1)
        if len(calls) == 3:
            raise dbapi.OperationalError("database or disk is full")
        return real(*args, **kw)

    monkeypatch.setattr(B, "log_merged", full)
    other = twin(net, tmp_path)
    try:
        results = net.ward.import_(*files)
        assert [r.outcome for r in results] == ["applied", "refused", "refused", "refused"]
        assert results[0].receipt is not None and results[0].receipt.exists()
        assert [r.error.reason for r in results[1:] if r.error] == ["disk_full", "disk_full", "not_tried"]
        for r in results[1:]:
            assert r.error is not None and r.receipt is None and r.report.new == 0 and not r.changes
            assert "giải phóng chỗ trống trên ổ đĩa của máy tính" in r.error.message
            assert "nhập lại" in r.error.message
        assert "Chưa nhập" in results[1].summary() and "KHÔNG NHẬP" in results[1].summary()
        assert [len(receipts_for(net.stick, m)) for m in machines] == [1, 0, 0, 0]
        # the first group is in, the second is not: as if only the first file had been offered
        B.import_paths(other, net.ward.ident, files[:1], write_receipt=False)
        assert state(net.ward.store) == state(other)
        assert sync_tables(net.ward.store) == sync_tables(other)
    finally:
        other.close()
    monkeypatch.setattr(B, "log_merged", real)  # space freed: importing the stick again brings the rest
    again = net.ward.import_(*files)
    assert [r.outcome for r in again] == ["already", "applied", "applied", "applied"]
    assert [len(receipts_for(net.stick, m)) for m in machines] == [1, 1, 1, 1]


class FailingCommit:
    """The office's connection, whose COMMIT fails as on a full disk."""

    def __init__(self, conn):
        self._conn = conn

    def __getattr__(self, name):
        return getattr(self._conn, name)

    def execute(self, sql, *args):
        if sql.strip().upper() == "COMMIT":
            raise dbapi.OperationalError("database or disk is full")
        return self._conn.execute(sql, *args)


def test_a_failed_commit_changes_nothing_and_writes_no_receipt(net, tmp_path):
    machines = laptops(net, tmp_path, 3)
    files = bundles(net, machines, [2, 1, 1])
    before = db_fingerprint(net.ward.store)
    real = net.ward.store.conn
    net.ward.store.conn = FailingCommit(real)  # type: ignore[assignment]
    try:
        results = net.ward.import_(*files)
    finally:
        net.ward.store.conn = real
    assert not real.in_transaction  # rolled back, not left open for the next write to commit
    assert [r.outcome for r in results] == ["refused"] * 3
    assert all(r.error is not None and r.error.reason == "disk_full" for r in results)
    assert list(net.stick.glob(f"*{B.RECEIPT_SUFFIX}")) == []
    assert db_fingerprint(net.ward.store) == before
    assert net.ward.store.writes_committed == 0
    again = net.ward.import_(*files)
    assert [r.outcome for r in again] == ["applied"] * 3 and all(r.receipt for r in again)


def test_a_real_full_database_loses_the_group_whole(net, tmp_path):
    """SQLite itself refuses to grow the file (``max_page_count``): the same as a full disk."""
    machines = laptops(net, tmp_path, 2)
    files = bundles(net, machines, [30, 30])
    before = db_fingerprint(net.ward.store)
    store = net.ward.store
    pages = store.conn.execute("PRAGMA page_count").fetchone()[0]
    store.conn.execute(f"PRAGMA max_page_count = {pages}")
    try:
        results = net.ward.import_(*files)
    finally:
        store.conn.execute("PRAGMA max_page_count = 4294967294")
    assert [r.outcome for r in results] == ["refused", "refused"]
    # the first file fills the file: the group is lost, and the next file is not tried
    assert [r.error.reason for r in results if r.error] == ["disk_full", "not_tried"]
    assert all(r.error and "giải phóng chỗ trống" in r.error.message for r in results)
    assert list(net.stick.glob(f"*{B.RECEIPT_SUFFIX}")) == []
    assert db_fingerprint(store) == before
    assert [r.outcome for r in net.ward.import_(*files)] == ["applied", "applied"]


def test_a_stop_between_two_files_commits_what_was_merged(net, tmp_path):
    machines = laptops(net, tmp_path, 3)
    files = bundles(net, machines, [1, 1, 1])

    class Stop(Exception):
        pass

    def progress(done: int, total: int) -> None:
        if done == 2:
            raise Stop  # the window's «Dừng sau gói này» (ctx.check)

    with pytest.raises(Stop):
        B.import_paths(net.ward.store, net.ward.ident, files, progress=progress)
    assert not net.ward.store.conn.in_transaction
    assert [len(receipts_for(net.stick, m)) for m in machines] == [1, 1, 0]
    assert len(names(net.ward.store)) == 2
    assert [r.outcome for r in net.ward.import_(*files)] == ["already", "already", "applied"]


def test_the_files_of_a_stick_keep_at_most_the_limit_of_ids_in_all(net, tmp_path, monkeypatch):
    """Each file's result lists the ids it created only while all the files' lists stay within the
    limit one summary keeps (``MAX_IDS``); past it every file keeps the count, and the union the window
    reads says "maybe" for that table, as it would for that many ids."""
    from app.storage import changes

    machines = laptops(net, tmp_path, 4)
    files = bundles(net, machines, [2, 1, 3, 1])
    monkeypatch.setattr(changes, "MAX_IDS", 4)  # the first two files list 3 ids, the third passes 4
    results = B.import_paths(net.ward.store, net.ward.ident, files)
    assert [r.outcome for r in results] == ["applied"] * 4
    created = [r.changes.ops["enterprises"]["create"] for r in results]
    assert [n for _ids, n in created] == [2, 1, 3, 1]  # the counts are all kept
    assert all(ids is None for ids, _n in created)  # the ids of none: together they were too many
    union = changes.changes_of(results)
    assert union is not None and union.created("enterprises") is None
    assert union.ops["enterprises"]["create"][1] == 7
    assert union.affects("enterprises", "any id at all")


def test_the_files_of_a_stick_within_the_limit_keep_their_ids(net, tmp_path):
    machines = laptops(net, tmp_path, 3)
    files = bundles(net, machines, [2, 1, 3])
    results = B.import_paths(net.ward.store, net.ward.ident, files)
    created = [r.changes.created("enterprises") for r in results]
    assert [len(ids or ()) for ids in created] == [2, 1, 3]
    every = names(net.ward.store)
    listed = set().union(*(ids or set() for ids in created))
    ids = {r[0] for r in net.ward.store.conn.execute("SELECT id FROM enterprises")}
    assert listed <= ids and len(listed) == 6 and len(every) == 6
