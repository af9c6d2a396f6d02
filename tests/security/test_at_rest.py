"""Encryption at rest: passphrase, key hierarchy, migration of plain files, backups, and no leaks."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import pytest

from app.demo.generator import DemoOptions, generate
from app.domain.text import fold
from app.domain.vocab import Role
from app.security import datakey, kdf
from app.security.datakey import DataKey, LockError
from app.security.passphrase import normalise, strength_problem
from app.services import unlock
from app.storage import Store, backups, encryption
from app.storage.driver import is_plain_file
from app.storage.store import StoreError, connect
from tests.conftest import ROOT, TEST_TODAY, TEST_WARD, run_cli
from tests.helpers.vault import TEST_PASSPHRASE, key_for, open_practice_store, open_store, practice_backup

PASS = "Hoa sen nở ở hồ Tây năm 2019"


def _plain_demo(folder: Path, enterprises: int = 60) -> Path:
    """A data folder as an earlier version left it: a plain SQLite file with demo data."""
    folder.mkdir(parents=True, exist_ok=True)
    with Store(folder / "khaosat.sqlite3") as s:  # no key: the plain path, for this test only
        s.set_profile(unit_code=TEST_WARD, collaborator="Nguyễn Thị Hằng", role=Role.COLLABORATOR)
        generate(s, DemoOptions(TEST_WARD, enterprises=enterprises, seed=5, today=TEST_TODAY))
    return folder / "khaosat.sqlite3"


def _census(conn) -> dict[str, int]:
    tables = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}


# --- passphrases ----------------------------------------------------------------------------------


def test_composed_and_decomposed_passphrases_unlock_alike(tmp_path):
    nfd = unicodedata.normalize("NFD", PASS)
    assert nfd != PASS and normalise(nfd) == PASS
    unlock.open_folder(tmp_path, nfd)  # set with a keyboard that sends decomposed letters
    assert unlock.open_folder(tmp_path, PASS).key.key_id == datakey.load(tmp_path).key_id


def _nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def test_every_way_a_passphrase_comes_in_takes_it_composed_or_decomposed(tmp_path, monkeypatch):
    """KHAOSAT_PASSPHRASE and KHAOSAT_NEW_PASSPHRASE (the command line as a subprocess), the
    terminal's prompts, the passphrase change and a backup's restore: decomposed letters open what
    composed ones set, and the other way round; a passphrase typed twice matches across the forms.
    (The GUI's dialogs: tests/gui/test_protection.py; the recovery: tests/security/test_recovery.py.)"""
    import argparse

    from app.cli import unlock as cli_unlock
    from app.cli.common import CliError
    from app.security.passphrase import same

    assert same(PASS, _nfd(PASS)) and not same(PASS, PASS + " ")
    assert strength_problem(_nfd("ngắn")) == strength_problem("ngắn")
    folder = tmp_path / "data"
    r = run_cli(
        "init",
        "--unit",
        TEST_WARD,
        "--name",
        "Nguyễn Thị Hằng",
        "--role",
        "collaborator",
        data_dir=folder,
        env={"KHAOSAT_PASSPHRASE": _nfd(PASS)},  # set decomposed
    )
    assert r.returncode == 0, r.stderr
    key_id = unlock.open_folder(folder, PASS).key.key_id  # opens composed
    r = run_cli("check", data_dir=folder, env={"KHAOSAT_PASSPHRASE": PASS})
    assert r.returncode == 0, r.stderr
    new = "Mật khẩu mới của Hằng 2026"
    r = run_cli(
        "passphrase",
        data_dir=folder,
        env={"KHAOSAT_PASSPHRASE": PASS, "KHAOSAT_NEW_PASSPHRASE": _nfd(new)},
    )
    assert r.returncode == 0, r.stderr
    r = run_cli("check", data_dir=folder, env={"KHAOSAT_PASSPHRASE": new})
    assert r.returncode == 0, r.stderr

    # at a terminal: asked, typed decomposed; a new one typed composed then decomposed
    monkeypatch.delenv("KHAOSAT_PASSPHRASE")
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    typed = iter([_nfd(new)])
    monkeypatch.setattr(cli_unlock.getpass, "getpass", lambda _prompt="": next(typed))
    args = argparse.Namespace(data_dir=str(folder))
    assert cli_unlock.data_key(args).key_id == key_id
    typed = iter([PASS, _nfd(PASS)])
    assert cli_unlock._ask_new() == PASS
    typed = iter([PASS, _nfd(PASS) + "!"])
    with pytest.raises(CliError, match="không khớp"):
        cli_unlock._ask_new()

    # a change and a restore through the services, decomposed on either side
    unlock.change_passphrase(folder, _nfd(new), _nfd(PASS))
    key = unlock.open_folder(folder, PASS).key
    with Store.in_dir(folder, key) as s:
        out = backups.write_backup(s, tmp_path / "usb" / "a.khaosat-backup")
    done = backups.restore(folder, out, _nfd(PASS), other_machine_ok=False)
    assert not done.key_changed and unlock.open_folder(folder, _nfd(PASS)).key.key_id == key_id


@pytest.mark.parametrize(
    "weak, why",
    [
        ("ngắn", "quá ngắn"),
        ("aaaaaaaaaaaa", "ít ký tự khác nhau"),
        ("0912345678", "chỉ toàn chữ số"),
        ("1234567890", "chỉ toàn chữ số"),
        ("abcdefghijk", "quen thuộc"),
        ("matkhau123", "quen thuộc"),
    ],
)
def test_weak_passphrases_are_refused_with_a_vietnamese_reason(tmp_path, weak, why):
    assert why in (strength_problem(weak) or "")
    with pytest.raises(LockError) as exc:
        unlock.open_folder(tmp_path, weak)
    assert exc.value.reason == "weak" and why in exc.value.message
    assert not datakey.exists(tmp_path) and not (tmp_path / "khaosat.sqlite3").exists()
    assert strength_problem(PASS) is None


def test_production_cost_is_used_unless_a_test_asks(monkeypatch):
    monkeypatch.delenv(kdf.TEST_ENV)
    assert kdf.default_cost() == kdf.PRODUCTION == kdf.ScryptCost(2**16, 8, 1)
    monkeypatch.setenv(kdf.TEST_ENV, "1")
    monkeypatch.setattr(sys, "frozen", True, raising=False)  # the installed program never reads it
    assert kdf.default_cost() == kdf.PRODUCTION


def test_a_hostile_cost_in_a_file_is_refused():
    for bad in ({"kdf": "scrypt", "n": 2**30, "r": 8, "p": 1}, {"kdf": "scrypt", "n": 1000, "r": 8, "p": 1}):
        with pytest.raises(kdf.KdfError):
            kdf.ScryptCost.from_json(bad)


# --- the key hierarchy ----------------------------------------------------------------------------


def test_wrong_passphrase_then_change_rewraps_without_reencrypting(tmp_path):
    opened = unlock.open_folder(tmp_path, PASS)
    assert opened.created
    with Store.in_dir(tmp_path, opened.key) as s:
        s.set_profile(unit_code=TEST_WARD, collaborator="Nguyễn Thị Hằng", role=Role.COLLABORATOR)
        s.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    with pytest.raises(LockError) as exc:
        unlock.open_folder(tmp_path, "không phải mật khẩu này")
    assert exc.value.reason == "wrong_passphrase" and exc.value.message == "Mật khẩu không đúng."
    before = (tmp_path / "khaosat.sqlite3").read_bytes()
    with pytest.raises(LockError):
        unlock.change_passphrase(tmp_path, "sai mật khẩu cũ rồi", "Mật khẩu mới năm 2026")
    unlock.change_passphrase(tmp_path, PASS, "Mật khẩu mới năm 2026")
    assert (tmp_path / "khaosat.sqlite3").read_bytes() == before
    with pytest.raises(LockError):
        unlock.open_folder(tmp_path, PASS)
    again = unlock.open_folder(tmp_path, "Mật khẩu mới năm 2026")
    assert again.key == opened.key and not again.created
    with Store.in_dir(tmp_path, again.key) as s:
        assert s.profile().collaborator == "Nguyễn Thị Hằng"


def test_the_database_does_not_open_without_its_key(tmp_path):
    key = unlock.open_folder(tmp_path, PASS).key
    with pytest.raises(StoreError, match="Không mở được tệp dữ liệu"):
        Store.in_dir(tmp_path)
    with pytest.raises(StoreError, match="khóa khác"):
        Store.in_dir(tmp_path, DataKey.generate())
    with Store.in_dir(tmp_path, key) as s:
        assert s.integrity_check() == []
    assert repr(key) == f"DataKey({key.key_id})" and key.raw.hex() not in repr(key)


def test_a_keyring_edited_by_hand_does_not_open(tmp_path):
    unlock.open_folder(tmp_path, PASS)
    doc = json.loads(datakey.keyring_path(tmp_path).read_text())
    other = DataKey.generate()
    doc["key_id"] = other.key_id  # claims another key
    datakey.keyring_path(tmp_path).write_text(json.dumps(doc))
    with pytest.raises(LockError) as exc:
        unlock.open_folder(tmp_path, PASS)
    assert exc.value.reason == "wrong_passphrase"


# --- migration of an earlier version's plain file -------------------------------------------------


def test_a_plain_file_is_encrypted_on_first_start_with_its_backups(tmp_path):
    db = _plain_demo(tmp_path / "data")
    old_backup = tmp_path / "data" / "backups" / "khaosat-v4-20250101-000000.sqlite3"
    old_backup.parent.mkdir()
    shutil.copy(db, old_backup)
    conn = connect(db)
    before = _census(conn)
    laptop = conn.execute("SELECT value FROM meta WHERE key = 'laptop_id'").fetchone()[0]
    conn.close()
    assert unlock.folder_state(tmp_path / "data") == unlock.PLAIN
    opened = unlock.open_folder(tmp_path / "data", PASS)
    assert opened.encrypted_now and opened.laptop_id == laptop
    assert not is_plain_file(db) and not is_plain_file(old_backup)
    assert not list((tmp_path / "data").glob("*.encrypting*"))
    with Store(db, opened.key) as s:
        assert _census(s.conn) == before
        assert s.integrity_check() == []
    assert datakey.load(tmp_path / "data").laptop_id == laptop


_KILL_SCRIPT = """
import sys, time
from app.security.datakey import DataKey
from app.storage.encryption import encrypt_in_place
key = DataKey(bytes.fromhex(sys.argv[2]))
print("ready", flush=True)
encrypt_in_place(sys.argv[1], key, step=lambda name: print(name, flush=True))
print("done", flush=True)
"""


@pytest.mark.slow
def test_migration_killed_at_random_points_leaves_one_whole_file(tmp_path):
    source = _plain_demo(tmp_path / "source", enterprises=400)
    conn = connect(source)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    before = _census(conn)
    conn.close()
    key = DataKey.generate()
    rng = random.Random(12)
    # how long a whole migration takes here, so the kills fall all along it
    probe = tmp_path / "probe"
    probe.mkdir()
    shutil.copy(source, probe / "khaosat.sqlite3")
    t0 = time.perf_counter()
    encryption.encrypt_in_place(probe / "khaosat.sqlite3", key)
    whole = time.perf_counter() - t0
    seen = {"plain": 0, "encrypted": 0}
    for i in range(12):
        folder = tmp_path / f"run{i}"
        folder.mkdir()
        db = folder / "khaosat.sqlite3"
        shutil.copy(source, db)
        proc = subprocess.Popen(
            [sys.executable, "-c", _KILL_SCRIPT, str(db), key.raw.hex()],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        # wait for a stage (the process reports each), then a random moment more: the kills fall all
        # along the migration whatever the machine's load
        stage = ("ready", "checked", "copied", "verified", "swapped")[i % 5]
        while proc.stdout.readline().strip() not in (stage, "done", ""):
            pass
        time.sleep(rng.uniform(0, whole * 0.6))
        proc.kill()  # SIGKILL: no cleanup of any kind
        proc.wait()
        proc.stdout.close()
        if is_plain_file(db):
            seen["plain"] += 1
            conn = connect(db)
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert _census(conn) == before
            conn.close()
            encryption.encrypt_in_place(db, key)  # the next start finishes the work
        else:
            seen["encrypted"] += 1
        conn = connect(db, key)
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert _census(conn) == before
        conn.close()
        assert not list(folder.glob("*.encrypting*"))
    assert seen["plain"] and seen["encrypted"], seen  # the kills fell before and after the swap


# --- backups --------------------------------------------------------------------------------------


def test_backup_restore_round_trip_and_refusals(tmp_path):
    a = tmp_path / "may-a"
    with open_store(a) as s:
        s.set_profile(unit_code=TEST_WARD, collaborator="Nguyễn Thị Hằng", role=Role.COLLABORATOR)
        generate(s, DemoOptions(TEST_WARD, enterprises=30, seed=2, today=TEST_TODAY))
        counts = s.counts()
        out = backups.write_backup(s, tmp_path / "usb" / "a.khaosat-backup")
        s.conn.execute("DELETE FROM visits")  # a disaster after the backup
    info = backups.read_info(out)
    with pytest.raises(LockError, match="lúc tạo bản sao lưu"):
        backups.restore(a, out, "mật khẩu sai hoàn toàn", other_machine_ok=False)
    done = backups.restore(a, out, TEST_PASSPHRASE, other_machine_ok=False)
    assert not done.other_machine and not done.key_changed and done.previous.is_dir()
    with open_store(a) as s:
        assert s.counts() == counts and s.integrity_check() == []
    # another machine's folder: refused unless confirmed; then it opens with the backup's passphrase
    b = tmp_path / "may-b"
    unlock.open_folder(b, "Mật khẩu của máy B 2026")
    assert backups.is_other_machine(info, b)
    with pytest.raises(backups.BackupError, match="của máy khác"):
        backups.restore(b, out, TEST_PASSPHRASE, other_machine_ok=False)
    done = backups.restore(b, out, TEST_PASSPHRASE, other_machine_ok=True)
    assert done.other_machine and done.key_changed
    key = unlock.open_folder(b, TEST_PASSPHRASE).key
    with Store.in_dir(b, key) as s:
        assert s.counts() == counts
        assert s.laptop_id == info.laptop_id
    # damaged or foreign files
    data = out.read_bytes()
    (tmp_path / "cut.khaosat-backup").write_bytes(data[:-100])
    with pytest.raises(backups.BackupError, match="cắt cụt"):
        backups.read_info(tmp_path / "cut.khaosat-backup")
    (tmp_path / "x.pdf").write_bytes(b"%PDF-1.7 hello")
    with pytest.raises(backups.BackupError, match="không phải bản sao lưu"):
        backups.read_info(tmp_path / "x.pdf")


def test_practice_data_and_real_data_never_replace_each_other_through_a_backup(tmp_path):
    """Practice mode (app.demo.practice) is made-up data: it is not backed up, a backup holding it is never
    restored over real data, and no backup is restored into it. Each refusal says what to do and changes
    nothing."""
    from app.demo import practice

    real = tmp_path / "data"
    with open_store(real) as s:
        s.set_profile(unit_code=TEST_WARD, collaborator="Nguyễn Thị Hằng", role=Role.COLLABORATOR)
        generate(s, DemoOptions(TEST_WARD, enterprises=12, seed=3, today=TEST_TODAY))
        real_counts, profile = s.counts(), s.profile()
    made = practice.prepare(real, profile, 5, key=key_for(real), today=TEST_TODAY)
    with open_practice_store(real) as s:
        practice_counts = s.counts()
        with pytest.raises(backups.BackupError, match="thoát chế độ tập dượt rồi sao lưu"):
            backups.write_backup(s, tmp_path / "usb" / "tap.khaosat-backup")
    assert not (tmp_path / "usb" / "tap.khaosat-backup").exists()

    # a real backup is not restored into the practice folder
    with open_store(real) as s:
        real_backup = backups.write_backup(s, tmp_path / "usb" / "that.khaosat-backup")
    assert backups.is_practice_folder(made.data_dir) and not backups.is_practice_folder(real)
    with pytest.raises(backups.BackupError, match="thoát chế độ tập dượt rồi khôi phục"):
        backups.restore(made.data_dir, real_backup, TEST_PASSPHRASE, other_machine_ok=True)
    assert sorted(p.name for p in made.data_dir.iterdir()) == ["khaosat.sqlite3"]
    with open_practice_store(real) as s:
        assert s.is_practice and s.counts() == practice_counts

    # a backup holding practice data (however it was made) is not restored over the real data
    practice_file = practice_backup(real, tmp_path / "usb" / "tap.khaosat-backup")
    assert not backups.is_other_machine(backups.read_info(practice_file), real)  # same machine, same key
    with pytest.raises(backups.BackupError) as refused:
        backups.restore(real, practice_file, TEST_PASSPHRASE, other_machine_ok=True)
    said = str(refused.value)
    assert "tập dượt" in said and "chưa bị thay đổi" in said and "không ở chế độ tập dượt" in said
    assert not (real / backups.STAGING).exists() and not list(real.glob("backups/before-restore-*"))
    with open_store(real) as s:
        assert not s.is_practice and s.counts() == real_counts


def test_two_restores_in_the_same_second_keep_both_set_aside_folders(tmp_path, monkeypatch):
    """What the folder held before each restore is kept in a folder of its own, even when the clock reads
    the same second for both (the name carries the time to the second)."""
    from datetime import datetime

    a = tmp_path / "a"
    with open_store(a) as s:
        s.set_profile(unit_code=TEST_WARD, collaborator="Hằng", role=Role.COLLABORATOR)
        out = backups.write_backup(s, tmp_path / "b.khaosat-backup")
        s.set_profile(unit_code=TEST_WARD, collaborator="Lan", role=Role.COLLABORATOR)

    class Frozen(datetime):
        @classmethod
        def now(cls, tz=None):
            return cls(2026, 12, 3, 10, 15, 0, tzinfo=tz)

    monkeypatch.setattr(backups, "datetime", Frozen)
    first = backups.restore(a, out, TEST_PASSPHRASE, other_machine_ok=False).previous
    second = backups.restore(a, out, TEST_PASSPHRASE, other_machine_ok=False).previous
    assert first is not None and second is not None
    assert first.name == "before-restore-20261203-101500"
    assert second.name == "before-restore-20261203-101500-2"
    assert sorted(p.name for p in (a / "backups").glob("before-restore-*")) == [first.name, second.name]
    for previous, collaborator in ((first, "Lan"), (second, "Hằng")):
        kept = tmp_path / f"kept-{previous.name}"  # a copy is read: the set-aside files stay as they were
        kept.mkdir()
        shutil.copy(previous / "khaosat.sqlite3", kept / "khaosat.sqlite3")
        with Store(kept / "khaosat.sqlite3", key_for(a)) as s:
            assert s.profile().collaborator == collaborator
    with open_store(a) as s:
        assert s.profile().collaborator == "Hằng"


def test_a_restore_cut_short_is_finished_at_the_next_start(tmp_path, monkeypatch):
    a = tmp_path / "a"
    with open_store(a) as s:
        s.set_profile(unit_code=TEST_WARD, collaborator="Hằng", role=Role.COLLABORATOR)
        out = backups.write_backup(s, tmp_path / "b.khaosat-backup")
    calls = []
    real = backups.finish_pending_restore

    def crash(folder):
        calls.append(folder)
        raise KeyboardInterrupt  # the power goes after the journal is written

    monkeypatch.setattr(backups, "finish_pending_restore", crash)
    with pytest.raises(KeyboardInterrupt):
        backups.restore(a, out, TEST_PASSPHRASE, other_machine_ok=False)
    monkeypatch.setattr(backups, "finish_pending_restore", real)
    assert (a / backups.STAGING / backups.MANIFEST).exists()
    assert unlock.folder_state(a) == unlock.LOCKED  # finishes the restore first
    assert not (a / backups.STAGING).exists()
    with open_store(a) as s:
        assert s.profile().collaborator == "Hằng"


# --- logs ---------------------------------------------------------------------------------------


def test_the_log_keeps_the_type_and_place_of_an_error_never_its_message(tmp_path):
    from app import logs

    logs.setup(tmp_path)
    try:
        raise ValueError("Công ty TNHH Hòa Bình 0100109106")
    except ValueError as inner:
        try:
            raise RuntimeError("chủ: Nguyễn Thị Hằng") from inner
        except RuntimeError as exc:
            logs.get("test").error("a task failed", exc_info=exc)
    logs.flush()
    text = logs.log_path(tmp_path).read_text(encoding="utf-8")
    assert "builtins.ValueError" in text and "builtins.RuntimeError" in text and "test_at_rest.py" in text
    assert "Hòa Bình" not in text and "0100109106" not in text and "Hằng" not in text


# --- nothing readable on disk ---------------------------------------------------------------------


def _needles(values: list[str]) -> list[bytes]:
    """Each value as it may lie in a file: UTF-8 NFC and NFD, UTF-16 (both orders), folded."""
    out: set[bytes] = set()
    for v in values:
        for form in {unicodedata.normalize("NFC", v), unicodedata.normalize("NFD", v), fold(v)}:
            out.add(form.encode("utf-8"))
            out.add(form.encode("utf-16-le"))
            out.add(form.encode("utf-16-be"))
    return sorted(out)


@pytest.mark.slow
def test_no_name_owner_or_tax_code_is_readable_in_any_file_the_program_writes(tmp_path):
    from app.gui.drafts import Draft, DraftStore

    data = tmp_path / "data"
    r = run_cli(
        "init", "--unit", TEST_WARD, "--name", "Nguyễn Thị Hằng", "--role", "collaborator", data_dir=data
    )
    assert r.returncode == 0, r.stderr
    r = run_cli("demo", "--ward", TEST_WARD, "--enterprises", "80", "--seed", "4", data_dir=data)
    assert r.returncode == 0, r.stderr
    r = run_cli("backup", str(tmp_path / "usb" / "saoluu.khaosat-backup"), data_dir=data)
    assert r.returncode == 0, r.stderr
    key = key_for(data)
    writer = Store.in_dir(data, key)  # keeps a WAL with recent pages while the files are read
    rows = writer.conn.execute("SELECT name, owner_name, tax_code FROM enterprises").fetchall()
    values = [v for row in rows for v in row if v and len(v) >= 6]
    assert len(values) > 100
    with writer.write("Nguyễn Thị Hằng") as w:
        e = writer.get(
            __import__("app.domain.records", fromlist=["Enterprise"]).Enterprise,
            writer.conn.execute("SELECT id FROM enterprises LIMIT 1").fetchone()[0],
        )
        e.phone = "0243 111 222"
        w.update(e)
    DraftStore(data / "drafts", key).save(
        Draft("visit-x", "visit", f"Lượt khảo sát — {rows[0][0]}", "x", True, {}, {"person_met": rows[0][1]})
    )
    from app import logs

    logs.setup(data)
    try:
        raise ValueError(f"{rows[1][0]} {rows[1][2]}")
    except ValueError as exc:
        logs.get("test").error("failed", exc_info=exc)
    logs.flush()
    files = [p for p in [*data.rglob("*"), *(tmp_path / "usb").rglob("*")] if p.is_file()]
    names = {p.name for p in files}
    assert {"khaosat.sqlite3", "khaosat.sqlite3-wal", "saoluu.khaosat-backup", "visit-x.draft"} <= names
    assert "khaosat-errors.log" in names
    needles = _needles(values + ["Nguyễn Thị Hằng"])
    hits = [(p.name, n) for p in files for n in needles if n in p.read_bytes()]
    writer.close()
    assert hits == []
    # and the same search does find them in a plain copy (the search works)
    plain = _plain_demo(tmp_path / "plain", enterprises=20)
    conn = connect(plain)
    plain_values = [v for r in conn.execute("SELECT name, tax_code FROM enterprises") for v in r if v]
    conn.close()
    assert any(n in plain.read_bytes() for n in _needles(plain_values))
    os.sync()
