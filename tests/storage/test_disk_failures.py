"""Full disks, read-only folders, sticks pulled out: each says plainly what happened, that the data is
intact, and what to do; never exit 70, never calls a healthy file damaged.

The disks are real: small tmpfs file systems mounted for the test (the CI runs as root), remounted
read-only where a test needs it. Elsewhere these tests are skipped with the reason.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import os
import re
import shutil
import sqlite3
import subprocess
import uuid
from pathlib import Path

import pytest

from app.domain import taxcode
from app.fileio import disk_cause, os_error_message
from app.storage import Store
from app.storage.failures import database_message, describe
from app.storage.store import StoreError
from tests.conftest import TEST_WARD, run_cli
from tests.importing import builders as B

pytestmark = pytest.mark.slow

FORBIDDEN = ("Lỗi không mong đợi", "Error", "No space left", "disk is full", "Traceback", "errno")


@contextlib.contextmanager
def small_disk(where: Path, size: str):
    """A tmpfs of ``size`` mounted at ``where`` for the duration (skips the test if mounting is not allowed)."""
    where.mkdir(parents=True, exist_ok=True)
    if os.name != "posix" or shutil.which("mount") is None:
        pytest.skip("needs mount(8) to make a small file system")
    r = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True, text=True
    )
    if r.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (not root?): {r.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


def remount(where: Path, options: str) -> None:
    r = subprocess.run(["mount", "-o", f"remount,{options}", str(where)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def fill(where: Path) -> Path:
    """Fill the disk to the last byte with one file (unbuffered writes: nothing left to flush)."""
    filler = where / f"filler-{uuid.uuid4().hex[:6]}"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        for size in (65536, 4096, 1):
            with contextlib.suppress(OSError):
                while True:
                    os.write(fd, b"\0" * size)
    finally:
        os.close(fd)
    return filler


def said_plainly(r: subprocess.CompletedProcess, *fragments: str) -> str:
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
    text = r.stderr
    for bad in FORBIDDEN:
        assert bad not in text, (bad, text)
    assert "hỏng" not in text.replace("không bị hỏng", ""), text  # a healthy file is never called damaged
    for fragment in fragments:
        assert fragment in text, (fragment, text)
    return text


def init(data: Path) -> None:
    r = run_cli(
        "init", "--unit", TEST_WARD, "--name", "Nguyễn Thị Hằng", "--role", "collaborator", data_dir=data
    )
    assert r.returncode == 0, r.stderr


def checks_out(data: Path) -> str:
    r = run_cli("check", data_dir=data)
    assert r.returncode == 0, r.stderr
    assert "Kiểm tra toàn vẹn: tốt." in r.stdout
    return r.stdout


def enterprises(data: Path) -> int:
    return int(re.search(r"Doanh nghiệp: ([\d.]+)", checks_out(data)).group(1).replace(".", ""))


# --- a full disk ----------------------------------------------------------------------------------


def test_demo_on_a_full_disk_says_so_and_the_data_stays_whole(tmp_path):
    with small_disk(tmp_path / "disk", "3m") as disk:
        data = disk / "data"
        init(data)
        r = run_cli("demo", "--ward", TEST_WARD, "--enterprises", "20000", data_dir=data)
        said_plainly(r, "đã đầy", "vẫn nguyên vẹn", "xóa bớt tệp")
        remount(disk, "size=200m")
        checks_out(data)  # whole: what was committed before the disk filled, nothing half-written


def test_import_on_a_full_disk_writes_nothing_and_says_so(tmp_path):
    src = tmp_path / "ds.csv"
    with open(src, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["Tên doanh nghiệp", "Mã số thuế", "Địa chỉ", "Ghi chú"])
        codes = (taxcode.make_valid(f"01{i:07d}") for i in range(20_000))
        for i, code in enumerate(c for c in codes if c):
            w.writerow([f"Công ty TNHH Số {i}", code, "12 Tràng Tiền, Hoàn Kiếm", "x" * 200])
    with small_disk(tmp_path / "disk", "3m") as disk:
        data = disk / "data"
        init(data)
        r = run_cli("import-list", str(src), "--on-duplicate", "update", data_dir=data)
        said_plainly(r, "đã đầy", "vẫn nguyên vẹn", "việc vừa làm chưa được ghi")
        remount(disk, "size=200m")
        assert enterprises(data) == 0  # the import is one transaction: nothing of it went in


def test_opening_a_healthy_database_on_a_full_disk_never_calls_it_damaged(tmp_path):
    good = tmp_path / "good"
    init(good)
    r = run_cli("demo", "--ward", TEST_WARD, "--enterprises", "30", data_dir=good)
    assert r.returncode == 0, r.stderr
    size = sum(p.stat().st_size for p in good.rglob("*") if p.is_file())
    with small_disk(tmp_path / "disk", f"{size // 1024 + 400}k") as disk:
        data = disk / "data"
        shutil.copytree(good, data)  # the database, its data key, the machine's keys
        filler = fill(disk)
        r = run_cli("demo", "--ward", TEST_WARD, "--enterprises", "5", data_dir=data)
        text = said_plainly(r, "đầy")
        assert "không bị hỏng" in text or "nguyên vẹn" in text
        filler.unlink()
        checks_out(data)


def test_a_full_stick_for_a_backup_and_for_the_error_file(tmp_path):
    data = tmp_path / "data"
    init(data)
    src = tmp_path / "src.csv"
    with open(src, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["Tên doanh nghiệp", "Mã số thuế", "Địa chỉ"])
        w.writerow(["Công ty TNHH Một", B.tax(0), "12 Tràng Tiền, Hoàn Kiếm"])
        w.writerow(["Công ty TNHH Hai", "123", "5 Hàng Bài, Hoàn Kiếm"])  # goes to the error file
    with small_disk(tmp_path / "usb", "200k") as stick:
        shutil.copy2(src, stick / "ds.csv")
        fill(stick)
        r = run_cli("backup", str(stick / "sao-luu.sqlite3"), data_dir=data)
        said_plainly(r, "Ổ đĩa đã đầy", "sao-luu.sqlite3", "không bị ảnh hưởng")
        r = run_cli("import-list", str(stick / "ds.csv"), data_dir=data)
        said_plainly(
            r, "Ổ đĩa đã đầy", "ds-dong-chua-nhap.xlsx", "Các doanh nghiệp đã nhập vẫn được giữ (thêm mới 1"
        )
        assert not [p for p in stick.iterdir() if p.name.startswith(".")]  # no temporary file left behind
    assert enterprises(data) == 1


def test_a_bundle_export_to_a_full_stick(tmp_path):
    laptop, office, keys = tmp_path / "laptop", tmp_path / "office", tmp_path / "keys"
    keys.mkdir()
    init(laptop)
    r = run_cli("init", "--unit", TEST_WARD, "--name", "Lê Thị Thu", "--role", "ward_office", data_dir=office)
    assert r.returncode == 0, r.stderr
    fp = re.search(r"Dấu vân tay[^:]*: ([\d ]{35})", r.stdout).group(1)
    r = run_cli("keys", "export", "--to", str(keys), data_dir=office)
    keyfile = re.search(r"khóa công khai: (.+)", r.stdout).group(1).strip()
    r = run_cli("keys", "register", keyfile, "--office", "--fingerprint", fp, data_dir=laptop)
    assert r.returncode == 0, r.stderr
    assert run_cli("demo", "--ward", TEST_WARD, "--enterprises", "40", data_dir=laptop).returncode == 0
    with small_disk(tmp_path / "usb", "64k") as stick:
        fill(stick)
        r = run_cli("export", "--to", str(stick), data_dir=laptop)
        said_plainly(r, "đã đầy", "USB khác")
        assert not [p for p in stick.iterdir() if not p.name.startswith("filler")]
    r = run_cli("export", "--to", str(keys), data_dir=laptop)  # the same bundle number, on a stick with room
    assert r.returncode == 0, r.stderr and "_00001_" in r.stdout


# --- read-only -------------------------------------------------------------------------------------


def test_a_read_only_data_folder(tmp_path):
    with small_disk(tmp_path / "disk", "20m") as disk:
        data = disk / "data"
        init(data)
        remount(disk, "ro")
        r = run_cli("demo", "--ward", TEST_WARD, "--enterprises", "5", data_dir=data)
        said_plainly(r, "chỉ cho đọc")
        r = run_cli("backup", str(disk / "copy.sqlite3"), data_dir=tmp_path / "other")
        assert r.returncode == 1 and "chỉ cho đọc" in r.stderr and "Lỗi không mong đợi" not in r.stderr
        remount(disk, "rw")
        checks_out(data)


# --- the error log ------------------------------------------------------------------------------------


def _log_an_error(folder: Path) -> int:
    from app import logs

    before = logs.failed_writes()
    logs.setup(folder)
    try:
        raise ValueError("Công ty \udcff")  # a message that cannot even be encoded (never written anyway)
    except ValueError as exc:
        logs.get("test").error("failed with %s", "\udcff", exc_info=exc)  # nor can this line
        logs.get("test").error("a task failed", exc_info=exc)
    logs.flush()
    return logs.failed_writes() - before


def test_the_error_log_on_a_full_or_read_only_disk_never_prints_a_traceback(tmp_path, capfd):
    """The log is the door of last resort: a full disk, a read-only folder, a line that is not valid
    Unicode are counted as failed writes (so nobody is told to send a log that was not written), never
    printed as "--- Logging error ---" with a traceback in the middle of what a person reads."""
    from app import logs

    assert _log_an_error(tmp_path) == 1  # the line holding a lone surrogate; the other is written
    text = logs.log_path(tmp_path).read_text(encoding="utf-8")
    assert "a task failed" in text and "Công ty" not in text
    with small_disk(tmp_path / "disk", "1m") as disk:
        fill(disk)
        assert _log_an_error(disk) >= 2  # both lines (and the flush of what was buffered)
        remount(disk, "ro")
        assert _log_an_error(disk) >= 2  # both lines (and the flush of what was buffered)
        remount(disk, "rw")
    err = capfd.readouterr().err
    assert "Logging error" not in err and "Traceback" not in err, err


def test_the_window_offers_the_error_log_only_when_it_could_be_written(tmp_path):
    """``logs.record_now`` (the window's unexpected failures) waits for the write and says whether the log
    took it: on a full or read-only disk the window does not send the person to a log without the details."""
    from app import logs
    from app.gui.failures import unexpected

    def fails() -> RuntimeError:
        try:
            raise RuntimeError("Công ty TNHH Hòa Bình: no such column")
        except RuntimeError as exc:
            return exc

    assert logs.record_now("unexpected error shown in the window", fails(), tmp_path) == logs.log_path(
        tmp_path
    )
    assert "RuntimeError" in logs.log_path(tmp_path).read_text(encoding="utf-8")
    with small_disk(tmp_path / "disk", "1m") as disk:
        fill(disk)
        assert logs.record_now("unexpected error shown in the window", fails(), disk) is None
        text = unexpected("Chưa lưu được chỉ tiêu", fails(), disk)
        assert (
            "đã ghi vào" not in text and "Không ghi được chi tiết kỹ thuật" in text and "nguyên vẹn" in text
        )
        for f in disk.iterdir():
            f.unlink()
        remount(disk, "ro")
        assert logs.record_now("unexpected error shown in the window", fails(), disk) is None
        remount(disk, "rw")
        text = unexpected("Chưa lưu được chỉ tiêu", fails(), disk)
        assert f"Chi tiết kỹ thuật đã ghi vào tệp {logs.log_path(disk)}" in text
    logs.flush()


# --- the classification itself (every cause, also the ones a test machine cannot produce) -----------


@pytest.mark.parametrize(
    ("exc", "cause"),
    [
        (OSError(errno.ENOSPC, "No space left on device"), "full"),
        (OSError(errno.EROFS, "Read-only file system"), "read_only"),
        (OSError(errno.EIO, "Input/output error"), "gone"),
        (OSError(errno.ENODEV, "No such device"), "gone"),
        (PermissionError(errno.EACCES, "Permission denied"), "denied"),
        (FileNotFoundError(errno.ENOENT, "No such file"), "missing"),
    ],
)
def test_disk_causes(exc, cause):
    assert disk_cause(exc) == cause
    text = os_error_message(exc, "E:\\goi.khaosat")
    assert "E:\\goi.khaosat" in text and "No " not in text and "error" not in text.lower()


def test_windows_error_codes_are_read_too():
    exc = OSError(errno.EINVAL, "The device is not ready")
    exc.winerror = 21  # type: ignore[attr-defined]
    assert disk_cause(exc) == "gone"
    exc.winerror = 112  # type: ignore[attr-defined]
    assert disk_cause(exc) == "full"
    exc.winerror = 32  # type: ignore[attr-defined]
    assert "đang mở trong chương trình khác" in os_error_message(exc, "ds.xlsx")


@pytest.mark.parametrize(
    ("message", "fragment"),
    [
        ("database or disk is full", "đã đầy"),
        ("attempt to write a readonly database", "chỉ cho đọc"),
        ("database is locked", "đang bận"),
        ("disk I/O error", "bị rút ra hoặc bị lỗi"),
        ("unable to open database file", "ổ đĩa đã bị rút ra"),
        ("file is not a database", "không phải tệp dữ liệu của KhaoSat"),
        ("database disk image is malformed", "bị hỏng"),
    ],
)
def test_sqlite_errors_by_cause(tmp_path, message, fragment):
    text = database_message(sqlite3.OperationalError(message), tmp_path / "khaosat.sqlite3")
    assert text is not None and fragment in text
    if "malformed" not in message:
        assert "hỏng" not in text.replace("tệp bị hỏng hoặc", "")  # only SQLite's own verdict says damaged
    assert describe(ValueError("x")) is None  # a real bug stays a bug


def test_a_file_that_is_not_a_database_is_said_so_without_changing_it(tmp_path):
    path = tmp_path / "khaosat.sqlite3"
    path.write_bytes(b"this is a letter, not a database" * 100)
    before = path.read_bytes()
    with pytest.raises(StoreError, match="không phải tệp của KhaoSat"):
        Store(path)
    assert path.read_bytes() == before
