"""``khaosat import-list`` run as a real subprocess against a real data folder."""

from __future__ import annotations

import json

import pytest
from openpyxl import load_workbook

from app.importing.legacy import encode_vni
from app.storage.store import connect
from tests.conftest import run_cli
from tests.helpers.vault import key_for
from tests.importing import builders as B


def _count(data):
    conn = connect(data / "khaosat.sqlite3", key_for(data))
    try:
        # changes logged: in the log, or (a creation nothing waits for) kept on the record
        return conn.execute("SELECT count(*) FROM enterprises").fetchone()[0], conn.execute(
            "SELECT count(*) FROM changes"
        ).fetchone()[0] + conn.execute(
            "SELECT count(*) FROM enterprises WHERE create_change IS NOT NULL"
        ).fetchone()[0]
    finally:
        conn.close()


def _init(data):
    r = run_cli(
        "init", "--unit", "00070", "--name", "Nguyễn Thị Hằng", "--role", "collaborator", data_dir=data
    )
    assert r.returncode == 0, r.stderr


@pytest.mark.slow
def test_import_list_dry_run_then_import_then_again(tmp_path):
    data = tmp_path / "data"
    _init(data)
    src = B.write_xlsx(tmp_path / "danh sach.xlsx", font="VNI-Times", encode=encode_vni)

    r = run_cli("import-list", str(src), "--dry-run", data_dir=data)
    assert r.returncode == 3, r.stderr
    out = r.stdout
    assert "dòng tiêu đề: 3" in out and "trang «Danh sách»" in out
    assert "Đã chuyển 36 ô từ mã VNI-Windows sang Unicode." in out
    assert "C «MST» → Mã số thuế" in out and "A «STT» → (bỏ qua)" in out
    assert "Thêm mới: 4" in out and "Có lỗi, chưa nhập: 5" in out
    assert "Không xác định được phường, xã: 1 dòng (dòng 9)." in out
    assert "Chạy thử: chưa ghi gì vào dữ liệu." in out
    assert _count(data) == (0, 0)
    assert not (tmp_path / "danh sach-dong-chua-nhap.xlsx").exists()

    r = run_cli("import-list", str(src), data_dir=data)
    assert r.returncode == 3, r.stderr
    assert "Đã nhập: thêm mới 4, cập nhật 0 doanh nghiệp." in r.stdout
    errors = tmp_path / "danh sach-dong-chua-nhap.xlsx"
    assert f"vào {errors}" in r.stdout
    assert _count(data) == (4, 4)
    rows = list(load_workbook(errors).active.iter_rows(values_only=True))
    assert len(rows) == 7 and rows[1][1] == "Công ty TNHH Sai Mã" and "chữ số kiểm tra" in rows[1][-1]

    r = run_cli("enterprise", "search", "thuy tien", data_dir=data)
    assert r.returncode == 0 and "Công ty TNHH Thủy Tiên" in r.stdout

    r = run_cli("import-list", str(src), "--on-duplicate", "update", data_dir=data)
    assert "Đã có, không thay đổi: 4" in r.stdout
    assert "Đã nhập: thêm mới 0, cập nhật 0 doanh nghiệp." in r.stdout
    assert _count(data) == (4, 4)


@pytest.mark.slow
def test_import_list_mapping_sheet_errors_and_messages(tmp_path):
    data = tmp_path / "data"
    _init(data)
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "DS"
    ws.append(["Tên đơn vị", "Số", "Nơi ở"])
    ws.append(["Công ty TNHH Bảo An", B.tax(70), "3 Hàng Khay, P. Hoàn Kiếm"])
    wb.save(tmp_path / "a.xlsx")

    r = run_cli("import-list", str(tmp_path / "a.xlsx"), data_dir=data)
    assert r.returncode == 1
    assert "Không tìm thấy dòng tiêu đề" in r.stderr and "Traceback" not in r.stderr

    ws["A1"], ws["C1"] = "Tên DN", "Địa chỉ"
    wb.save(tmp_path / "a.xlsx")
    r = run_cli("import-list", str(tmp_path / "a.xlsx"), data_dir=data)
    assert r.returncode == 1 and "Chưa ghép cột cho: Mã số thuế" in r.stderr

    (tmp_path / "m.json").write_text(
        json.dumps({"B": "tax_code", "Địa chỉ": "Địa chỉ", "A": "name"}), encoding="utf-8"
    )
    r = run_cli(
        "import-list",
        str(tmp_path / "a.xlsx"),
        "--mapping",
        str(tmp_path / "m.json"),
        "--sheet",
        "DS",
        data_dir=data,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert "B «Số» → Mã số thuế" in r.stdout and "thêm mới 1" in r.stdout
    # remembered: the same shape needs no --mapping next time
    r = run_cli("import-list", str(tmp_path / "a.xlsx"), data_dir=data)
    assert (
        r.returncode == 0
        and "theo cách đã dùng lần trước" in r.stdout
        and "Đã có, không thay đổi: 1" in r.stdout
    )

    r = run_cli("import-list", str(tmp_path / "a.xlsx"), "--sheet", "Khác", data_dir=data)
    assert r.returncode == 1 and "Các trang có trong tệp: «DS»" in r.stderr
    r = run_cli("import-list", str(tmp_path / "khong-co.xlsx"), data_dir=data)
    assert r.returncode == 1 and "Không tìm thấy tệp" in r.stderr
    r = run_cli("import-list", str(tmp_path / "a.xlsx"), "--mapping", "B=lương", data_dir=data)
    assert r.returncode == 1 and "Không hiểu trường «lương»" in r.stderr


def test_import_list_csv_with_default_ward_and_errors_path(tmp_path):
    data = tmp_path / "data"
    _init(data)
    src = B.write_csv(tmp_path / "ds.csv", "tcvn3")
    out = tmp_path / "out" / "loi.xlsx"
    r = run_cli("import-list", str(src), "--ward", "00070", "--errors", str(out), data_dir=data)
    assert r.returncode == 3
    assert "mã Windows-1252 (TCVN3 (ABC))" in r.stdout
    # the row whose address names a ward that no longer exists goes to the default ward, with a note
    assert "Đã nhập: thêm mới 5" in r.stdout
    assert (
        "Lưu ý dòng 9: Phường Hàng Bông, Quận Hoàn Kiếm (trước năm 2025) nay được chia" in r.stdout
        and "mặc định Phường Hoàn Kiếm" in r.stdout
    )
    assert len(list(load_workbook(out).active.iter_rows())) == 1 + 5


def test_a_broken_mapping_file_is_said_in_vietnamese(tmp_path):
    """The column-mapping file's parser errors are never shown in the parser's English."""
    data = tmp_path / "data"
    _init(data)
    src = B.write_xlsx(tmp_path / "danh sach.xlsx")
    bad = {
        "cu_phap.json": b'{"B": "tax_code" "C": "name"}',
        "long_nhau.json": b"[" * 100_000,
        "ma_hoa.json": '{"Mã": "tax_code"}'.encode("utf-16"),
    }
    for name, raw in bad.items():
        path = tmp_path / name
        path.write_bytes(raw)
        r = run_cli("import-list", str(src), "--mapping", str(path), "--dry-run", data_dir=data)
        assert r.returncode == 1, (name, r.returncode, r.stderr)
        assert "Tệp ghép cột" in r.stderr and "Traceback" not in r.stderr, r.stderr
        for english in ("Expecting", "delimiter", "recursion", "codec", "decode"):
            assert english not in r.stderr, r.stderr
    assert _count(data) == (0, 0)
