"""The one-folder build (installer/khaosat.spec), run as the user runs it: offscreen, no network.

Slow (the build takes about 30 s, once per session); CI runs these tests.
"""

from __future__ import annotations

import io
import re
import shutil
import sys
from pathlib import Path

import pytest

from app import __version__
from app.selftest import SelfTest
from app.storage.driver import is_plain_file
from app.storage.store import connect
from tests.conftest import TEST_WARD
from tests.helpers.vault import key_for
from tests.installer.conftest import EXE_NAME, linked_copy, run_built

# The tests run in parallel by file (pytest-xdist, --dist loadfile): every test that needs the build (the session
# fixture `built`, about a minute) is in this file, so one process builds it once.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

STEPS = [label for label, _ in SelfTest(Path("."), io.StringIO()).steps()]
LINUX = sys.platform.startswith("linux")


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def test_self_test_of_the_build_passes_offscreen(built):
    r = run_built(built, "--self-test")
    assert r.returncode == 0, r.stdout + r.stderr
    for label in STEPS:
        assert re.search(rf"^✓ {re.escape(label)} \(\d+,\d\d giây\)$", r.stdout, re.MULTILINE), (
            label,
            r.stdout,
        )
    assert "✗" not in r.stdout
    assert f"Kết quả: ĐẠT, {len(STEPS)}/{len(STEPS)} bước" in r.stdout
    assert "cửa sổ chính hiện sau" in r.stdout  # the real main window opened in the built program
    assert (
        str(built / "_internal" / "resources") in r.stdout
    )  # resources came from the build, not the checkout


def test_build_carries_every_resource_and_stays_small(built):
    internal = built / "_internal"
    repo_resources = Path(__file__).resolve().parents[2] / "resources"
    for f in repo_resources.rglob("*"):
        if f.is_file():
            assert (internal / "resources" / f.relative_to(repo_resources)).is_file(), f
    for name in ("flat-divisions.json", "nested-divisions.json"):
        assert (internal / "vietnam_provinces" / "data" / name).stat().st_size > 100_000
    assert (
        len(list((internal / "reportlab" / "fonts").iterdir())) > 10
    )  # reportlab's standard fonts and metrics
    plugins = internal / "PySide6" / "Qt" / "plugins"
    if LINUX:
        for rel in (
            "platforms/libqoffscreen.so",
            "platforms/libqxcb.so",
            "imageformats/libqsvg.so",
            "iconengines/libqsvgicon.so",
        ):
            assert (plugins / rel).is_file(), rel
        assert not list(plugins.glob("platforms/libqwayland*")), "Wayland plugins should be left out"
    assert not list(internal.rglob("*QtWebEngine*")) and not list(internal.rglob("*Qt6Quick*"))
    assert not list(internal.rglob("qtbase_de.qm")), "Qt's own translations (no Vietnamese) are left out"
    # the paper-form reader's libraries (the self-test reads a form back in the build)
    assert list(internal.rglob("zxingcpp*")) and list(internal.rglob("*pdfium*"))
    assert list(internal.glob("sqlcipher3/_sqlite3*")), "SQLCipher (the encrypted database) must ship"
    size = folder_size(built)
    # the laptop budget (issue 18); numpy is ~42 MB of it, SQLCipher (stripped: its own OpenSSL inside) ~8 MB
    assert size < 250 * 1024 * 1024, f"{size / 2**20:.0f} MB"


def test_version_and_help_come_from_the_same_entry_point(built):
    r = run_built(built, "--version")
    assert r.returncode == 0 and r.stdout.strip() == f"KhaoSat {__version__}"
    r = run_built(built, "--help")
    assert r.returncode == 0
    for name in ("init", "demo", "print", "export", "import", "keys", "self-test", "--self-test"):
        assert name in r.stdout, name


def test_portable_mode_keeps_the_data_beside_the_program(built, tmp_path):
    stick = linked_copy(built, tmp_path / "USB của Hằng" / "KhaoSat")  # spaces and Vietnamese in the path
    (stick / "khaosat-portable").write_text("")
    home = tmp_path / "home"
    home.mkdir()
    env = {"HOME": str(home), "XDG_DATA_HOME": str(home / ".local" / "share"), "LOCALAPPDATA": str(home)}
    r = run_built(
        stick,
        "init",
        "--unit",
        TEST_WARD,
        "--name",
        "Nguyễn Thị Hằng",
        "--role",
        "collaborator",
        env=env,
        cwd=tmp_path,
    )
    assert r.returncode == 0, r.stderr
    r = run_built(stick, "demo", "--ward", TEST_WARD, "--enterprises", "5", env=env, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    db = stick / "data" / "khaosat.sqlite3"
    assert db.is_file()
    assert not is_plain_file(db)  # the installed program writes the file encrypted (SQLCipher)
    conn = connect(db, key_for(db.parent))
    assert conn.execute("SELECT count(*) FROM enterprises").fetchone()[0] == 5
    conn.close()
    assert list(home.rglob("*")) == []  # nothing written in the user's folders
    r = run_built(stick, "check", env=env, cwd=tmp_path)
    assert r.returncode == 0 and f"Tệp dữ liệu: {db}" in r.stdout
    r = run_built(stick, "--self-test", env=env, cwd=tmp_path)
    assert r.returncode == 0, r.stdout
    assert f"    {stick / 'data'} (chế độ di động: cạnh chương trình); có tệp dữ liệu" in r.stdout

    # Without the marker the same program uses the user's data folder.
    (stick / "khaosat-portable").unlink()
    r = run_built(stick, "check", env=env, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert (home / ".local" / "share" / "KhaoSat" / "khaosat.sqlite3").is_file() or sys.platform == "win32"


def test_upgrade_keeps_the_data_and_leaves_a_backup(built, tmp_path):
    """A database written by an older KhaoSat (schema 1), opened by the built program."""
    from app.storage.migrations import LATEST, migrate
    from app.storage.store import connect

    data = tmp_path / "data"
    data.mkdir()
    conn = connect(data / "khaosat.sqlite3")
    migrate(conn, 1)
    conn.execute(
        "INSERT INTO enterprises(id, name, tax_code, ward_code, created_hlc, updated_hlc, origin) "
        "VALUES ('e-1', 'Công ty TNHH Hòa Bình', '0100109106', '00070', 'x', 'x', 'old')"
    )
    conn.close()
    r = run_built(built, "--data-dir", str(data), "check")
    assert r.returncode == 0, r.stderr
    assert f"Phiên bản lược đồ: {LATEST}" in r.stdout and "Doanh nghiệp: 1" in r.stdout
    r = run_built(built, "--data-dir", str(data), "enterprise", "show", "0100109106")
    assert r.returncode == 0 and "Công ty TNHH Hòa Bình" in r.stdout
    assert not is_plain_file(data / "khaosat.sqlite3")  # encrypted on first start
    backups = list((data / "backups").glob("*.sqlite3"))
    assert len(backups) == 1, backups
    assert not is_plain_file(backups[0])
    old = connect(backups[0], key_for(data))
    assert old.execute("PRAGMA user_version").fetchone()[0] == 1
    assert old.execute("SELECT name FROM enterprises").fetchall() == [("Công ty TNHH Hòa Bình",)]
    old.close()
    # Opening it again (already upgraded) makes no further backup.
    assert run_built(built, "--data-dir", str(data), "check").returncode == 0
    assert len(list((data / "backups").glob("*.sqlite3"))) == 1


def _failed_steps(stdout: str) -> list[str]:
    return re.findall(r"^✗ (.+) \(\d+,\d\d giây\)$", stdout, re.MULTILINE)


def test_self_test_fails_naming_the_step_when_a_font_is_missing(built, tmp_path):
    broken = linked_copy(built, tmp_path / "KhaoSat")
    (broken / "_internal" / "resources" / "fonts" / "LiberationSerif-Bold.ttf").unlink()
    r = run_built(broken, "--self-test")
    assert r.returncode == 1
    assert _failed_steps(r.stdout) == [
        "Phông chữ để in",
        "In phiếu khảo sát (PDF)",
        "Đọc lại phiếu đã điền từ ảnh quét",  # it prints the form it reads
    ], r.stdout
    assert "thiếu phông chữ LiberationSerif-Bold.ttf" in r.stdout
    assert "Kết quả: KHÔNG ĐẠT" in r.stdout and "«Phông chữ để in»" in r.stdout


@pytest.mark.skipif(not LINUX, reason="Linux plugin file names")
def test_self_test_survives_a_missing_qt_platform_plugin(built, tmp_path):
    """Qt aborts the process when its platform plugin is missing: the Qt step runs in a child, so the
    report is still complete and names that step."""
    broken = linked_copy(built, tmp_path / "KhaoSat")
    (broken / "_internal" / "PySide6" / "Qt" / "plugins" / "platforms" / "libqoffscreen.so").unlink()
    r = run_built(broken, "--self-test")
    assert r.returncode == 1
    assert _failed_steps(r.stdout) == ["Khởi động giao diện Qt (offscreen)"], r.stdout
    assert "offscreen" in r.stdout


def _can_trace() -> bool:
    if not (LINUX and shutil.which("strace")):
        return False
    import subprocess

    return (
        subprocess.run(["strace", "-f", "-qq", "-o", "/dev/null", "true"], capture_output=True).returncode
        == 0
    )


@pytest.mark.skipif(not _can_trace(), reason="needs strace allowed to trace (Linux)")
def test_no_network_access(built, tmp_path):
    """The whole self-test (database, printing, keys, bundles, the GUI in its child) opens no internet socket."""
    log = tmp_path / "strace.log"
    r = run_built(
        built,
        "--self-test",
        prefix=["strace", "-f", "-qq", "-e", "trace=execve,socket,connect", "-o", str(log)],
    )
    assert r.returncode == 0, r.stdout + r.stderr
    calls = log.read_text(errors="replace").splitlines()
    started = [line for line in calls if "execve(" in line and EXE_NAME in line]
    assert len(started) >= 2, calls[:10]  # the program and its Qt child were traced
    inet = [line for line in calls if "AF_INET" in line]
    assert inet == [], inet[:5]
