"""``khaosat --self-test`` from the source checkout: as a subprocess, and its failure paths."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from app import selftest
from app.selftest import SelfTest, StepFailed, check_pdf
from tests.conftest import ROOT, TEST_WARD, run_cli

STEPS = [label for label, _ in SelfTest(Path("."), io.StringIO()).steps()]


def _lines(stdout: str, mark: str) -> list[str]:
    return re.findall(rf"^{mark} (.+) \(\d+,\d\d giây\)$", stdout, re.MULTILINE)


@pytest.mark.slow
def test_self_test_from_source_passes(tmp_path):
    data = tmp_path.parent / f"{tmp_path.name}-data"
    temp = tmp_path / "Tạm của Hằng"  # as C:\Users\Hằng\AppData\Local\Temp: spaces and Vietnamese
    temp.mkdir()
    r = run_cli("--self-test", data_dir=data, env={"TMPDIR": str(temp)}, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"    {data}; chưa có tệp dữ liệu (sẽ tạo khi mở chương trình)" in r.stdout
    assert not data.exists()  # only probed, through its parent
    assert _lines(r.stdout, "✓") == STEPS
    assert _lines(r.stdout, "✗") == []
    assert r.stdout.splitlines()[0].startswith("KhaoSat ")
    assert f"Kết quả: ĐẠT, {len(STEPS)}/{len(STEPS)} bước" in r.stdout
    assert list(temp.iterdir()) == []  # the temporary folder is removed after a pass


@pytest.mark.slow
def test_self_test_subcommand_keeps_its_folder_when_asked(tmp_path):
    r = run_cli("self-test", "--keep", env={"TMPDIR": str(tmp_path)}, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    [work] = list(tmp_path.iterdir())
    pdf = work / "phieu-khao-sat.pdf"
    assert check_pdf(pdf) == 6  # three forms, each with its mark sheet
    from pypdf import PdfReader

    text = PdfReader(pdf).pages[0].extract_text()
    assert "PHIẾU KHẢO SÁT" in text.upper()
    assert len(list((work / "usb").glob("*.khaosat"))) == 1
    assert len(list((work / "du-lieu-cu" / "backups").glob("*.sqlite3"))) == 1


def _source_copy(tmp_path: Path) -> Path:
    tree = tmp_path / "KhaoSat"
    shutil.copytree(ROOT / "app", tree / "app", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "resources", tree / "resources")
    return tree


def _run_source(tree: Path, *args: str, home: Path) -> subprocess.CompletedProcess:
    env = {
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / "share"),
        "PYTHONPATH": str(tree),
        "PYTHONIOENCODING": "utf-8",
        "QT_QPA_PLATFORM": "offscreen",
        "PATH": "",
        "TMPDIR": str(home),
        "KHAOSAT_PASSPHRASE": os.environ["KHAOSAT_PASSPHRASE"],  # the data folder's (tests/conftest.py)
        "KHAOSAT_TEST_FAST_KDF": "1",
    }
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=300,
    )


@pytest.mark.slow
def test_self_test_from_source_fails_naming_the_step_when_a_font_is_missing(tmp_path):
    tree = _source_copy(tmp_path)
    (tree / "resources" / "fonts" / "LiberationSerif-Italic.ttf").unlink()
    home = tmp_path / "home"
    home.mkdir()
    r = _run_source(tree, "--self-test", home=home)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "Phông chữ để in" in _lines(r.stdout, "✗") and "In phiếu khảo sát (PDF)" in _lines(r.stdout, "✗")
    assert "thiếu phông chữ LiberationSerif-Italic.ttf" in r.stdout
    assert "Danh mục đơn vị hành chính" in _lines(r.stdout, "✓")
    assert "Kết quả: KHÔNG ĐẠT" in r.stdout and "«Phông chữ để in»" in r.stdout
    assert "Thư mục tạm được giữ lại" in r.stdout


def test_a_failing_step_is_reported_and_the_others_still_run(tmp_path, monkeypatch):
    """A data folder that cannot be written (a file stands where it should be): the database step fails,
    says why, and the steps after it are still run and reported."""
    work = tmp_path / "work"
    work.mkdir()
    test = SelfTest(work, io.StringIO())
    test.laptop.write_text("not a folder")  # where the laptop's data folder should be
    report = test.run()
    assert not report.ok
    failed = [s.label for s in report.failed]
    assert "Tạo cơ sở dữ liệu (máy cộng tác viên, cơ quan phường)" in failed
    assert "Phông chữ để in" not in failed and "Danh mục đơn vị hành chính" not in failed
    assert len(report.steps) == len(STEPS)
    out = test.out.getvalue()
    assert "✗ Tạo cơ sở dữ liệu" in out and "lệnh «khaosat init" in out


def test_check_pdf_refuses_what_is_not_a_finished_pdf(tmp_path, demo_file):
    from app.printing.visit_form import render_visit_forms

    good = tmp_path / "good.pdf"
    render_visit_forms(good, [None, None])
    assert check_pdf(good) == 2
    cut = tmp_path / "cut.pdf"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(StepFailed, match="chưa ghi xong"):
        check_pdf(cut)
    text = tmp_path / "text.pdf"
    text.write_text("hello %%EOF")
    with pytest.raises(StepFailed, match="không phải tệp PDF"):
        check_pdf(text)


def test_the_self_test_is_qt_free():
    code = (
        "import sys, app.selftest, app.cli.selftest_command\n"
        "bad = sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken6')))\n"
        "print(bad); sys.exit(1 if bad else 0)\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "PySide6" not in (ROOT / "app" / "selftest.py").read_text(encoding="utf-8")


def test_portable_mode_from_source(tmp_path):
    """program_dir() of a source tree is its root: the marker there puts the data in data/ beside it."""
    tree = _source_copy(tmp_path)
    (tree / "khaosat-portable").write_text("")
    home = tmp_path / "home"
    home.mkdir()
    r = _run_source(
        tree, "init", "--unit", TEST_WARD, "--name", "Lê Văn An", "--role", "collaborator", home=home
    )
    assert r.returncode == 0, r.stderr
    assert (tree / "data" / "khaosat.sqlite3").is_file()
    assert list(home.rglob("*")) == []


def test_qt_check_reports_the_window(tmp_path):
    """The Qt half, as the self-test starts it: a child process opening the real main window."""
    data = tmp_path / "data"
    assert (
        run_cli(
            "init", "--unit", TEST_WARD, "--name", "Lê Văn An", "--role", "collaborator", data_dir=data
        ).returncode
        == 0
    )
    result = selftest.run_qt_check(data)
    assert result["ok"], result
    assert result["platform"] == "offscreen"
    assert result["translations"] == ["qtbase_vi"]
    assert result["window_title"].startswith("KhaoSat")
    assert 0 < result["window_shown_after"] < 30


@pytest.mark.slow
def test_without_a_console_the_report_goes_to_a_file(tmp_path, monkeypatch):
    """KhaoSat.exe (windowed) has sys.stdout None: the report is written to a file (opened on Windows)."""
    import tempfile

    from app.cli import main as cli_main
    from app.cli import selftest_command

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(sys, "stdout", None)
    opened = []
    monkeypatch.setattr(selftest_command.os, "startfile", opened.append, raising=False)
    code = cli_main.main(["--self-test"])
    report = tmp_path / selftest_command.REPORT_FILE
    text = report.read_text(encoding="utf-8")
    assert text.startswith("KhaoSat ") and "Kết quả:" in text
    assert code == (0 if "Kết quả: ĐẠT" in text else 1)
    assert _lines(text, "✓") + _lines(text, "✗") != [] and set(_lines(text, "✓") + _lines(text, "✗")) == set(
        STEPS
    )
    assert opened == [report]


def test_qt_check_on_a_machine_not_set_up_reports_the_wizard_at_once(tmp_path):
    import time

    t0 = time.perf_counter()
    result = selftest.run_qt_check(tmp_path / "empty")
    assert not result["ok"]
    assert "trình hướng dẫn thiết lập hiện ra thay cho cửa sổ chính" in result["error"]
    assert time.perf_counter() - t0 < 20  # not the 60 s timeout


def _can_mount_read_only() -> bool:
    import shutil as sh

    if not (sys.platform.startswith("linux") and sh.which("unshare") and sh.which("mount")):
        return False
    r = subprocess.run(["unshare", "-m", "sh", "-c", "mount --bind -o ro /tmp /tmp"], capture_output=True)
    return r.returncode == 0


@pytest.mark.slow
@pytest.mark.skipif(not _can_mount_read_only(), reason="needs a private mount namespace (unshare -m)")
def test_self_test_fails_on_a_read_only_data_folder(tmp_path):
    """The data folder mounted read-only (as a write-protected USB stick): the step fails and says so."""
    data = tmp_path / "usb-khoa-ghi"
    data.mkdir()
    (data / "khaosat.sqlite3").write_bytes(b"")
    script = (
        f'mount --bind -o ro "{data}" "{data}" && exec "{sys.executable}" -m app --data-dir "{data}" '
        f"--self-test"
    )
    env = dict(os.environ, PYTHONIOENCODING="utf-8", QT_QPA_PLATFORM="offscreen", TMPDIR=str(tmp_path))
    r = subprocess.run(
        ["unshare", "-m", "sh", "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=300,
    )
    assert r.returncode == 1, r.stdout + r.stderr
    assert _lines(r.stdout, "✗") == ["Thư mục dữ liệu của máy ghi được"], r.stdout
    assert f"không ghi được vào thư mục dữ liệu {data}: Read-only file system" in r.stdout
    assert "«Thư mục dữ liệu của máy ghi được»" in r.stdout


@pytest.mark.slow
@pytest.mark.skipif(
    not (sys.platform.startswith("linux") and shutil.which("script")), reason="needs script(1)"
)
@pytest.mark.slow
def test_self_test_in_a_terminal_asks_nothing(tmp_path):
    """Run in a console (the Start menu's «Tự kiểm tra KhaoSat»), no command may stop to ask for a passphrase:
    the self-test runs under a pseudo-terminal and must finish on its own."""
    import shlex

    command = shlex.join([sys.executable, "-m", "app", "--data-dir", str(tmp_path / "data"), "--self-test"])
    env = dict(os.environ, PYTHONIOENCODING="utf-8", QT_QPA_PLATFORM="offscreen", TMPDIR=str(tmp_path))
    env.pop("KHAOSAT_PASSPHRASE", None)
    r = subprocess.run(
        ["script", "-qec", command, "/dev/null"],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        timeout=120,
    )
    assert "Mật khẩu" not in r.stdout, r.stdout
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"Kết quả: ĐẠT, {len(STEPS)}/{len(STEPS)} bước" in r.stdout
