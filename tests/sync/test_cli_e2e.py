"""End to end through the command line: two collaborator laptops -> ward office -> province.

Each machine has its own data folder; files travel through a folder standing in for the USB stick.
Edits a person would type in the GUI are made with a short script against the machine's own file.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from app.storage.store import connect
from tests.conftest import ROOT, run_cli
from tests.helpers.vault import TEST_PASSPHRASE, key_for

pytestmark = pytest.mark.slow


def ok(*args, data_dir: Path, env: dict | None = None) -> str:
    r = run_cli(*args, data_dir=data_dir, env=env)
    assert r.returncode == 0, (args, r.stdout, r.stderr)
    return r.stdout


def fingerprint(out: str) -> str:
    return re.search(r"Dấu vân tay[^:]*: ([\d ]{35})", out).group(1)


WARD_PASSPHRASE = "mật khẩu của phường"  # the ward office's own; the others use the tests' one


def _passphrase(data_dir: Path) -> str:
    """The ward office of the first test has its own passphrase; every other folder the tests' one."""
    from app.security.datakey import LockError

    try:
        key_for(data_dir, WARD_PASSPHRASE)
    except LockError:
        return TEST_PASSPHRASE
    return WARD_PASSPHRASE


def script(data_dir: Path, code: str) -> str:
    """What a person does in the GUI, done directly on that machine's file."""
    prelude = (
        "import sys\nfrom app.storage import Store\nfrom app.domain.records import Enterprise\n"
        "from tests.helpers.vault import key_for\n"
        f"store = Store.in_dir({str(data_dir)!r}, key_for({str(data_dir)!r}, {_passphrase(data_dir)!r}))\n"
    )
    r = subprocess.run([sys.executable, "-c", prelude + code], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    return r.stdout


def rows(data_dir: Path, sql: str) -> list:
    conn = connect(data_dir / "khaosat.sqlite3", key_for(data_dir, _passphrase(data_dir)))
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_two_laptops_ward_office_province(tmp_path):
    L1, L2, W, P = (tmp_path / n for n in ("hang", "nam", "phuong", "tinh"))
    stick = tmp_path / "usb"
    stick.mkdir()
    secret = {"KHAOSAT_PASSPHRASE": WARD_PASSPHRASE}
    fp = {}
    fp[L1] = fingerprint(
        ok("init", "--unit", "00070", "--name", "Nguyễn Thị Hằng", "--role", "collaborator", data_dir=L1)
    )
    fp[L2] = fingerprint(
        ok("init", "--unit", "00070", "--name", "Trần Văn Nam", "--role", "collaborator", data_dir=L2)
    )
    fp[W] = fingerprint(
        ok("init", "--unit", "00070", "--name", "Lê Thị Thu", "--role", "ward_office", data_dir=W, env=secret)
    )
    fp[P] = fingerprint(
        ok("init", "--unit", "01", "--name", "Phạm Văn Đức", "--role", "province_office", data_dir=P)
    )
    assert "được bảo vệ bằng mật khẩu" in ok("keys", "show", data_dir=W, env=secret)
    # without the passphrase the ward office cannot use its key
    r = run_cli("keys", "show", data_dir=W)
    assert r.returncode == 1 and "Mật khẩu không đúng" in r.stderr

    # registration: public-key files on the stick, fingerprints compared with the paper
    keyfile = {}
    for m in (L1, L2, W, P):
        out = ok("keys", "export", "--to", str(stick), data_dir=m, env=secret if m == W else None)
        keyfile[m] = Path(re.search(r"khóa công khai: (.+)", out).group(1).strip())
    r = run_cli("keys", "register", str(keyfile[L1]), "--fingerprint", "12345 67890", data_dir=W, env=secret)
    assert r.returncode == 1 and "không khớp" in r.stderr
    for laptop in (L1, L2):
        ok("keys", "register", str(keyfile[laptop]), "--fingerprint", fp[laptop], data_dir=W, env=secret)
        ok("keys", "register", str(keyfile[W]), "--office", "--fingerprint", fp[W], data_dir=laptop)
    ok("keys", "register", str(keyfile[W]), "--fingerprint", fp[W], data_dir=P)
    ok("keys", "register", str(keyfile[P]), "--office", "--fingerprint", fp[P], data_dir=W, env=secret)
    shown = ok("keys", "show", data_dir=W, env=secret)
    assert "Nguyễn Thị Hằng" in shown and "Trần Văn Nam" in shown and "cơ quan nhận" in shown

    # field work
    ok("demo", "--ward", "00070", "--enterprises", "6", "--seed", "1", "--years", "1", data_dir=L1)
    ok("demo", "--ward", "00070", "--enterprises", "4", "--seed", "2", "--years", "1", data_dir=L2)
    assert "thay đổi" in ok("export", "--to", str(stick), "--dry-run", data_dir=L1)

    # laptop 1 -> ward, receipt back
    out = ok("export", "--to", str(stick), data_dir=L1)
    bundle1 = Path(re.search(r"-> (.+)", out).group(1).strip())
    assert bundle1.name.startswith("goi_00070_") and "_00001_" in bundle1.name
    out = ok("import", str(bundle1), data_dir=W, env=secret)
    assert rows(W, "SELECT count(*) FROM enterprises") == [(6,)]
    receipt = Path(re.search(r"Biên nhận: (.+)", out).group(1).strip())
    assert "biên nhận" in ok("import", str(receipt), data_dir=L1)

    # laptop 2's first stick is lost on the way
    out = ok("export", "--to", str(stick), data_dir=L2)
    Path(re.search(r"-> (.+)", out).group(1).strip()).unlink()

    # concurrent edits: the office and the collaborator change the same field; the collaborator deletes
    # an enterprise the office then corrects, not knowing it was deleted
    x, y = [r[0] for r in rows(L1, "SELECT id FROM enterprises ORDER BY id LIMIT 2")]
    script(
        W,
        f"e = store.get(Enterprise, {x!r}); e.workforce_total = 200\n"
        "with store.write('Lê Thị Thu') as w:\n    w.update(e)\n",
    )
    script(
        L1,
        f"e = store.get(Enterprise, {x!r}); e.workforce_total = 150\n"
        "with store.write() as w:\n    w.update(e)\n"
        f"with store.write() as w:\n    w.delete('enterprises', {y!r})\n",
    )
    script(
        W,
        f"f = store.get(Enterprise, {y!r}); f.phone = '0243 999 999'\n"
        "with store.write('Lê Thị Thu') as w:\n    w.update(f)\n",
    )
    out = ok("export", "--to", str(stick), data_dir=L1)
    bundle2 = Path(re.search(r"-> (.+)", out).group(1).strip())
    assert "_00002_" in bundle2.name
    out = ok("import", str(bundle2), data_dir=W, env=secret)
    assert "2 xung đột" in out, out
    conflicts = ok("conflicts", data_dir=W, env=secret)
    assert "(2 xung đột chưa giải quyết)" in conflicts
    assert rows(W, f"SELECT workforce_total FROM enterprises WHERE id = '{x}'") == [(150,)]
    assert rows(W, f"SELECT deleted, phone FROM enterprises WHERE id = '{y}'") == [(1, "0243 999 999")]

    # the stick was full and the receipt is lost: importing again writes the receipt again, nothing else
    for f in stick.glob("*.khaosat-receipt"):
        f.unlink()
    before = rows(W, "SELECT count(*) FROM changes")
    out = ok("import", str(bundle2), data_dir=W, env=secret)
    assert "đã được nhập trước đây" in out and "Đã ghi lại biên nhận" in out
    assert rows(W, "SELECT count(*) FROM changes") == before
    [receipt] = stick.glob("*.khaosat-receipt")
    assert "nhận đến" not in ok("import", str(receipt), data_dir=L1)  # the laptop takes it like any receipt

    # laptop 2 exports again: the lost stick is healed (a gap, with a warning)
    out = ok("export", "--to", str(stick), data_dir=L2)
    bundle3 = Path(re.search(r"-> (.+)", out).group(1).strip())
    out = ok("import", str(bundle3), data_dir=W, env=secret)
    assert "thiếu gói" in out
    assert rows(W, "SELECT count(*) FROM enterprises WHERE deleted = 0")[0][0] == 6 + 4 - 1

    # the ward relays upward; the province verifies every original signature
    conflict_id = re.search(r"#(\d+) enterprises " + x, conflicts).group(1)
    ok("conflicts", "--resolve", conflict_id, "--value", "180", data_dir=W, env=secret)
    out = ok("export", "--to", str(stick), data_dir=W, env=secret)
    up = Path(re.search(r"-> (.+)", out).group(1).strip())
    assert "_den_01" in up.name and "3 gói chuyển tiếp" in out
    out = ok("import", str(up), data_dir=P)
    assert "3 gói chuyển tiếp" in out
    assert rows(P, "SELECT id, workforce_total, deleted FROM enterprises ORDER BY id") == rows(
        W, "SELECT id, workforce_total, deleted FROM enterprises ORDER BY id"
    )
    assert rows(P, f"SELECT workforce_total FROM enterprises WHERE id = '{x}'") == [(180,)]
    assert sorted(rows(P, "SELECT change_id FROM changes")) == sorted(
        rows(W, "SELECT change_id FROM changes")
    )
    # who captured, who relayed
    captured = rows(
        P,
        f"SELECT DISTINCT c.origin, e.relayed_by FROM changes c JOIN sync_envelopes e "
        f"ON e.hash = c.received_via WHERE c.record_id = '{x}' ORDER BY c.hlc",
    )
    laptop1 = rows(L1, "SELECT value FROM meta WHERE key = 'laptop_id'")[0][0]
    ward_id = rows(W, "SELECT value FROM meta WHERE key = 'laptop_id'")[0][0]
    assert (laptop1, f'["{ward_id}"]') in captured and (ward_id, "[]") in captured
    assert "Kiểm tra toàn vẹn: tốt." in ok("check", data_dir=P)
    story = ok("provenance", x, data_dir=P)
    assert "nhập trên máy Nguyễn Thị Hằng (Phường Hoàn Kiếm); chuyển tiếp qua: Lê Thị Thu" in story
    assert "nhập trên máy Lê Thị Thu (Phường Hoàn Kiếm)" in story
    # the edit-delete conflict is still open upstream; the resolved one is not
    assert "(1 xung đột chưa giải quyết)" in ok("conflicts", data_dir=P)

    # the ward office loses a laptop: revoked, what it sent before is kept
    out = ok("keys", "revoke", fp[L2][:11], data_dir=W, env=secret)
    assert "Đã thu hồi" in out
    ok("demo", "--ward", "00070", "--enterprises", "1", "--seed", "9", "--years", "1", data_dir=L2)
    out = ok("export", "--to", str(stick), data_dir=L2)
    stolen = Path(re.search(r"-> (.+)", out).group(1).strip())
    r = run_cli("import", str(stolen), data_dir=W, env=secret)
    assert r.returncode == 1 and "thu hồi" in r.stderr
    assert rows(W, "SELECT count(*) FROM enterprises WHERE deleted = 0")[0][0] == 9


def test_changing_the_passphrase_keeps_data_and_keys(tmp_path):
    d = tmp_path / "m"
    old = {"KHAOSAT_PASSPHRASE": "mật khẩu cũ của Hằng"}
    ok("init", "--unit", "00070", "--name", "Hằng", "--role", "collaborator", data_dir=d, env=old)
    before = fingerprint(ok("keys", "show", data_dir=d, env=old))
    db_before = (d / "khaosat.sqlite3").read_bytes()
    r = run_cli("passphrase", data_dir=d, env={**old, "KHAOSAT_NEW_PASSPHRASE": "ngắn"})
    assert r.returncode == 1 and "quá ngắn" in r.stderr
    ok("passphrase", data_dir=d, env={**old, "KHAOSAT_NEW_PASSPHRASE": "mật khẩu mới hơn 2026"})
    assert (d / "khaosat.sqlite3").read_bytes() == db_before  # re-wrapped, never re-encrypted
    r = run_cli("keys", "show", data_dir=d, env=old)
    assert r.returncode == 1 and "Mật khẩu không đúng" in r.stderr
    new = {"KHAOSAT_PASSPHRASE": "mật khẩu mới hơn 2026"}
    assert fingerprint(ok("keys", "show", data_dir=d, env=new)) == before


def test_the_stick_on_the_command_line_restored_laptop_and_exit_codes(tmp_path):
    """`khaosat import E:\\` on a laptop skips its own bundle; a quarantined bundle exits 3, a refused one 1;
    the office releases it once and the receipt tells the restored laptop where to continue."""
    L, W = tmp_path / "hang", tmp_path / "phuong"
    stick = tmp_path / "usb"
    stick.mkdir()
    fp_l = fingerprint(
        ok("init", "--unit", "00070", "--name", "Nguyễn Thị Hằng", "--role", "collaborator", data_dir=L)
    )
    fp_w = fingerprint(
        ok("init", "--unit", "00070", "--name", "Lê Thị Thu", "--role", "ward_office", data_dir=W)
    )
    key_l = Path(
        re.search(r"khóa công khai: (.+)", ok("keys", "export", "--to", str(stick), data_dir=L)).group(1)
    )
    key_w = Path(
        re.search(r"khóa công khai: (.+)", ok("keys", "export", "--to", str(stick), data_dir=W)).group(1)
    )
    ok("keys", "register", str(key_l.as_posix()).strip(), "--fingerprint", fp_l, data_dir=W)
    ok("keys", "register", str(key_w.as_posix()).strip(), "--office", "--fingerprint", fp_w, data_dir=L)
    for f in stick.iterdir():
        f.unlink()
    ok("demo", "--ward", "00070", "--enterprises", "2", "--seed", "3", "--years", "1", data_dir=L)
    ok("export", "--to", str(stick), data_dir=L)
    ok("import", str(stick), data_dir=W)
    # on the laptop: its own outgoing bundle and the receipt are on the stick; nothing is an error
    out = ok("import", str(stick), data_dir=L)
    assert "do chính máy này xuất" in out and "1 gói đã được xác nhận" in out
    # the laptop is copied now (a backup), then goes on working and sending
    shutil.copytree(L, tmp_path / "ban-sao")
    script(
        L,
        "e = Enterprise(name='Công ty Sau Sao Lưu', tax_code='0100109113', ward_code='00070')\n"
        "with store.write() as w:\n    w.create(e)\n",
    )
    ok("export", "--to", str(stick), data_dir=L)
    ok("import", str(stick), data_dir=W)
    # the laptop's disk dies; the backup is put back and a new bundle 2 is written
    shutil.rmtree(L)
    shutil.copytree(tmp_path / "ban-sao", L)
    script(
        L,
        "e = Enterprise(name='Công ty Sau Khôi Phục', tax_code='0100109120', ward_code='00070')\n"
        "with store.write() as w:\n    w.create(e)\n",
    )
    for f in stick.iterdir():
        f.unlink()
    ok("export", "--to", str(stick), data_dir=L)
    (stick / "hong.khaosat").write_bytes(b"KHAOSAT\x1aB\x01garbage")
    r = run_cli("import", str(stick), data_dir=W)
    assert r.returncode == 1 and "CÁCH LY" in r.stderr and "KHÔNG NHẬP" in r.stderr
    (stick / "hong.khaosat").unlink()
    r = run_cli("import", str(stick), data_dir=W)
    assert r.returncode == 3 and "cách ly từ lần nhập trước" in r.stderr, (r.returncode, r.stdout, r.stderr)
    listed = ok("quarantine", data_dir=W)
    qid = re.search(r"#(\d+) gói số 2", listed).group(1)
    assert "cùng máy (khác nội dung)" in listed
    out = ok("quarantine", "--release", qid, "--receipt-to", str(stick), data_dir=W)
    assert "Biên nhận:" in out and "số 3" in out
    out = ok("import", str(stick), data_dir=L)
    assert "tạm cách ly" in out and "khôi phục từ bản sao lưu" in out and "không mất gì" in out
    assert "gói số 3" in ok("export", "--to", str(stick), "--dry-run", data_dir=L)
    names = {r[0] for r in rows(W, "SELECT name FROM enterprises")}
    assert {"Công ty Sau Sao Lưu", "Công ty Sau Khôi Phục"} <= names and len(names) == 4
