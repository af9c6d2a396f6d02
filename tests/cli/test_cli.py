"""The command line, run as a real subprocess against a real data folder."""

from tests.conftest import run_cli


def test_init_demo_search_show_check_backup(tmp_path):
    data = tmp_path / "data"
    r = run_cli(
        "init", "--unit", "00070", "--name", "Nguyễn Thị Hằng", "--role", "collaborator", data_dir=data
    )
    assert r.returncode == 0, r.stderr
    assert "Phường Hoàn Kiếm" in r.stdout

    r = run_cli("demo", "--ward", "00070", "--enterprises", "150", "--seed", "4", data_dir=data)
    assert r.returncode == 0, r.stderr
    assert "150 doanh nghiệp" in r.stdout

    r = run_cli("enterprise", "search", "nguyen", data_dir=data)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.strip().splitlines()
    assert 0 < len(lines) <= 20
    tax_code = lines[0].split(" | ")[0]

    r = run_cli("enterprise", "show", tax_code, data_dir=data)
    assert r.returncode == 0, r.stderr
    assert f"Mã số thuế: {tax_code}" in r.stdout

    r = run_cli("enterprise", "list", "--limit", "5", data_dir=data)
    assert r.returncode == 0 and "(5/150 doanh nghiệp)" in r.stdout

    r = run_cli("check", data_dir=data)
    assert r.returncode == 0, r.stderr
    assert "Doanh nghiệp: 150" in r.stdout and "Kiểm tra toàn vẹn: tốt." in r.stdout

    r = run_cli("backup", str(tmp_path / "usb" / "saoluu.khaosat-backup"), data_dir=data)
    assert r.returncode == 0, r.stderr
    r = run_cli("restore", str(tmp_path / "usb" / "saoluu.khaosat-backup"), data_dir=tmp_path / "moi", env={})
    assert r.returncode == 0, r.stderr
    assert "150 doanh nghiệp" in r.stdout


def test_data_dir_from_environment(tmp_path):
    r = run_cli(
        "init",
        "--unit",
        "00070",
        "--name",
        "A",
        "--role",
        "ward_office",
        env={"KHAOSAT_DATA_DIR": str(tmp_path)},
    )
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "khaosat.sqlite3").exists()


def test_errors_go_to_stderr_in_vietnamese_without_traceback(tmp_path):
    cases = [
        (("init", "--unit", "99999", "--name", "A", "--role", "collaborator"), "không có trong danh mục"),
        (("demo", "--ward", "01"), "không có trong danh mục"),
        (("enterprise", "show", "0100109106"), "Không có doanh nghiệp"),
        (("enterprise", "search", "zzzzqqq"), "Không tìm thấy"),
        (("backup", str(tmp_path)), "là một thư mục"),
        (("init", "--unit", "00070"), "thiếu tham số bắt buộc"),
    ]
    for args, message in cases:
        r = run_cli(*args, data_dir=tmp_path / "d")
        assert r.returncode != 0, args
        assert message in r.stderr, (args, r.stderr)
        assert "Traceback" not in r.stderr and "Traceback" not in r.stdout


def test_damaged_database_file_gives_a_message(tmp_path):
    (tmp_path / "khaosat.sqlite3").write_bytes(b"\x00garbage" * 500)
    r = run_cli("check", data_dir=tmp_path)
    assert r.returncode == 1
    assert "Không mở được tệp dữ liệu" in r.stderr and "Traceback" not in r.stderr
