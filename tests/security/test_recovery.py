"""Recovery through the office above, end to end: the command line as subprocesses in separate data folders."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from app.security import datakey
from tests.conftest import run_cli
from tests.helpers.vault import TEST_PASSPHRASE

OFFICE = {"KHAOSAT_PASSPHRASE": "Mật khẩu của phường Hoàn Kiếm"}
PROVINCE = {"KHAOSAT_PASSPHRASE": "Mật khẩu của Thành ủy 2026"}
FORGOT = {"KHAOSAT_PASSPHRASE": ""}  # the collaborator no longer knows it
NEW = "Câu mới dễ nhớ hơn năm 2026"


def ok(*args, data_dir, env=None) -> str:
    r = run_cli(*args, data_dir=data_dir, env=env)
    assert r.returncode == 0, (args, r.stdout, r.stderr)
    return r.stdout


def fingerprint(out: str) -> str:
    return re.search(r"Dấu vân tay: ([\d ]{35})", out).group(1)


def register(lower: Path, office: Path, stick: Path, lower_env=None, office_env=None) -> None:
    lfile = Path(
        re.search(
            r"khóa công khai: (.+)", ok("keys", "export", "--to", str(stick), data_dir=lower, env=lower_env)
        )
        .group(1)
        .strip()
    )
    ofile = Path(
        re.search(
            r"khóa công khai: (.+)", ok("keys", "export", "--to", str(stick), data_dir=office, env=office_env)
        )
        .group(1)
        .strip()
    )
    lfp = fingerprint(ok("keys", "show", data_dir=lower, env=lower_env))
    ofp = fingerprint(ok("keys", "show", data_dir=office, env=office_env))
    ok("keys", "register", str(lfile), "--fingerprint", lfp, data_dir=office, env=office_env)
    ok("keys", "register", str(ofile), "--office", "--fingerprint", ofp, data_dir=lower, env=lower_env)


def test_recovery_round_trip_through_the_office_and_upward(tmp_path):
    L, other, W, P = (tmp_path / n for n in ("hang", "nam", "phuong", "tinh"))
    stick = tmp_path / "usb"
    stick.mkdir()
    ok("init", "--unit", "00070", "--name", "Nguyễn Thị Hằng", "--role", "collaborator", data_dir=L)
    ok("init", "--unit", "00070", "--name", "Trần Văn Nam", "--role", "collaborator", data_dir=other)
    ok("init", "--unit", "00070", "--name", "Lê Thị Thu", "--role", "ward_office", data_dir=W, env=OFFICE)
    ok(
        "init",
        "--unit",
        "01",
        "--name",
        "Phạm Văn Đức",
        "--role",
        "province_office",
        data_dir=P,
        env=PROVINCE,
    )
    register(L, W, stick, office_env=OFFICE)
    register(other, W, stick, office_env=OFFICE)
    register(W, P, stick, lower_env=OFFICE, office_env=PROVINCE)
    ok("demo", "--ward", "00070", "--enterprises", "12", "--seed", "3", "--years", "1", data_dir=L)
    before = ok("check", data_dir=L)
    keys_before = fingerprint(ok("keys", "show", data_dir=L))
    assert [o.office_id for o in datakey.load(L).offices] == [datakey.load(W).laptop_id]

    # the collaborator forgot the passphrase: a request, made without it
    r = run_cli("check", data_dir=L, env=FORGOT)
    assert r.returncode == 1
    out = ok("recovery", "request", "--to", str(stick), data_dir=L, env=FORGOT)
    request = Path(re.search(r"yêu cầu khôi phục: (.+)", out).group(1).strip())
    assert "Nguyễn Thị Hằng".encode() not in request.read_bytes()

    # another office cannot read it; the ward office checks the person, then answers
    r = run_cli(
        "recovery",
        "answer",
        str(request),
        "--to",
        str(stick),
        "--checked-by",
        "X",
        "--confirmed",
        data_dir=P,
        env=PROVINCE,
    )
    assert r.returncode == 1 and "không gửi cho cơ quan này" in r.stderr
    r = run_cli(
        "recovery",
        "answer",
        str(request),
        "--to",
        str(stick),
        "--checked-by",
        "Lê Thị Thu",
        data_dir=W,
        env=OFFICE,
    )
    assert (
        r.returncode == 1 and "Nguyễn Thị Hằng" in r.stdout and "--confirmed" in r.stderr
    )  # shows who, asks
    out = ok(
        "recovery",
        "answer",
        str(request),
        "--to",
        str(stick),
        "--checked-by",
        "Lê Thị Thu",
        "--note",
        "CCCD đã xem",
        "--confirmed",
        data_dir=W,
        env=OFFICE,
    )
    unlock_file = Path(re.search(r"tệp mở khóa: (.+)", out).group(1).strip())
    code = re.search(r"MÃ MỞ KHÓA.*: ([\d-]{14})", out).group(1)
    assert code.replace("-", "").encode() not in unlock_file.read_bytes()

    # on another laptop the file opens nothing; a wrong code opens nothing
    r = run_cli(
        "recovery",
        "unlock",
        str(unlock_file),
        "--code",
        code,
        data_dir=other,
        env={"KHAOSAT_NEW_PASSPHRASE": NEW},
    )
    assert r.returncode == 1 and "không dành cho máy này" in r.stderr
    wrong = "0000-0000-0000" if code != "0000-0000-0000" else "1111-1111-1111"
    r = run_cli(
        "recovery",
        "unlock",
        str(unlock_file),
        "--code",
        wrong,
        data_dir=L,
        env={**FORGOT, "KHAOSAT_NEW_PASSPHRASE": NEW},
    )
    assert r.returncode == 1 and "Mã mở khóa không đúng" in r.stderr
    ok(  # the new passphrase as a decomposing keyboard sends it: it opens composed below
        "recovery",
        "unlock",
        str(unlock_file),
        "--code",
        code,
        data_dir=L,
        env={**FORGOT, "KHAOSAT_NEW_PASSPHRASE": unicodedata.normalize("NFD", NEW)},
    )

    # everything the old passphrase protected is back under the new one: the data and the machine's keys
    new = {"KHAOSAT_PASSPHRASE": NEW}
    assert ok("check", data_dir=L, env=new) == before
    assert fingerprint(ok("keys", "show", data_dir=L, env=new)) == keys_before
    assert run_cli("check", data_dir=L, env={"KHAOSAT_PASSPHRASE": TEST_PASSPHRASE}).returncode == 1
    r = run_cli(
        "recovery",
        "unlock",
        str(unlock_file),
        "--code",
        code,
        data_dir=L,
        env={**new, "KHAOSAT_NEW_PASSPHRASE": NEW + "!"},
    )
    assert r.returncode == 1  # used once

    # the recovery is in the ward office's log and travels up with its next bundle
    assert "Lê Thị Thu; CCCD đã xem [tại cơ quan này]" in ok("recovery", "log", data_dir=W, env=OFFICE)
    out = ok("export", "--to", str(stick), data_dir=W, env=OFFICE)
    assert "Nhật ký khôi phục" in out
    out = ok("import", str(stick), data_dir=P, env=PROVINCE)
    assert "1 lần khôi phục mật khẩu mới" in out
    log = ok("recovery", "log", data_dir=P, env=PROVINCE)
    assert "Nguyễn Thị Hằng" in log and "nhận từ cấp dưới" in log
    out = ok("export", "--to", str(stick), data_dir=W, env=OFFICE)
    assert "Nhật ký khôi phục" not in out  # sent once


def test_a_laptop_with_no_office_cannot_ask(tmp_path):
    ok("init", "--unit", "00070", "--name", "Hằng", "--role", "collaborator", data_dir=tmp_path / "d")
    r = run_cli("recovery", "request", "--to", str(tmp_path), data_dir=tmp_path / "d", env=FORGOT)
    assert r.returncode == 1 and "chưa đăng ký cơ quan cấp trên" in r.stderr
