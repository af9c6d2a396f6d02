"""Data flowing down, end to end through the command line over four data folders.

A province, a ward office and two collaborators' laptops, each its own data folder; every file travels
through a folder standing in for the USB stick. The province sets a founding minimum and the rounding;
the ward office hands its list down, assigns enterprises by address and by tax code, and the second
laptop learns of the first one's visit only as "last visited on ..., by ...".
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.helpers.vault import open_store

pytestmark = pytest.mark.slow

WARD = "00070"


def ok(*args, data_dir: Path) -> str:
    r = run_cli(*args, data_dir=data_dir)
    assert r.returncode == 0, (args, r.stdout, r.stderr)
    return r.stdout


def fails(*args, data_dir: Path) -> str:
    r = run_cli(*args, data_dir=data_dir)
    assert r.returncode == 1, (args, r.stdout, r.stderr)
    return r.stderr


def fingerprint(out: str) -> str:
    return re.search(r"Dấu vân tay[^:]*: ([\d ]{35})", out).group(1)


def written(out: str) -> list[Path]:
    """The files an export says it wrote ("... -> PATH")."""
    return [Path(p.strip()) for p in re.findall(r"-> (.+)", out)]


def receipt(out: str) -> Path:
    return Path(re.search(r"Biên nhận: (.+)", out).group(1).strip())


def query(folder: Path, sql: str, params=()) -> list:
    with open_store(folder) as s:
        return s.conn.execute(sql, params).fetchall()


def test_down_through_four_data_folders(tmp_path):
    L1, L2, W, P = (tmp_path / n for n in ("hang", "nam", "phuong", "tinh"))
    stick = tmp_path / "usb"
    stick.mkdir()
    fp, key = {}, {}
    for folder, unit, name, role in (
        (L1, WARD, "Nguyễn Thị Hằng", "collaborator"),
        (L2, WARD, "Trần Văn Nam", "collaborator"),
        (W, WARD, "Lê Thị Thu", "ward_office"),
        (P, "01", "Phạm Văn Đức", "province_office"),
    ):
        fp[folder] = fingerprint(ok("init", "--unit", unit, "--name", name, "--role", role, data_dir=folder))
        out = ok("keys", "export", "--to", str(stick), data_dir=folder)
        key[folder] = Path(re.search(r"khóa công khai: (.+)", out).group(1).strip())
    for laptop in (L1, L2):
        ok("keys", "register", str(key[laptop]), "--fingerprint", fp[laptop], data_dir=W)
        ok("keys", "register", str(key[W]), "--office", "--fingerprint", fp[W], data_dir=laptop)
    ok("keys", "register", str(key[W]), "--fingerprint", fp[W], data_dir=P)
    ok("keys", "register", str(key[P]), "--office", "--fingerprint", fp[P], data_dir=W)

    # a laptop cannot send down, nor assign, nor set what offices set
    assert "chỉ cơ quan" in fails("export", "--down", "--to", str(stick), data_dir=L1).lower()
    assert "Chỉ cơ quan" in fails("office-settings", "--set", "min_union=3", data_dir=L1)

    # the province sets a founding minimum and the rounding for every machine below it
    out = ok("office-settings", "--set", "min_union=7", "--set", "rounding=truncate", data_dir=P)
    assert "min_union" in out and "7" in out
    out = ok("export", "--down", "--to", str(stick), data_dir=P)
    [to_ward] = written(out)
    assert to_ward.name.startswith("xuong_01_")
    out = ok("import", str(to_ward), data_dir=W)
    ok("import", str(receipt(out)), data_dir=P)
    shown = ok("office-settings", data_dir=W)
    assert re.search(r"min_union: .*: 7 \(do Thành ủy Hà Nội giao\)", shown), shown
    assert "do Thành ủy Hà Nội giao" in fails("office-settings", "--set", "min_union=3", data_dir=W)
    # the ward office sets what the province left open
    ok("office-settings", "--set", "min_youth=4", data_dir=W)

    # the ward's list, typed at the office; assigned by address and by tax code
    ok("demo", "--ward", WARD, "--enterprises", "8", "--seed", "3", "--years", "1", data_dir=W)
    enterprises = query(W, "SELECT id, tax_code, address FROM enterprises ORDER BY name")
    street = enterprises[0][2].split(",")[0].split()[-1]  # a word of the first one's street
    out = ok("assign", "--to", fp[L1][:11], "--ward", WARD, "--address", street, data_dir=W)
    mine = {r[0] for r in query(W, "SELECT enterprise_id FROM assignments WHERE assignee IS NOT NULL")}
    assert enterprises[0][0] in mine and re.search(r"Đã phân công \d+ doanh nghiệp", out)
    others = [r for r in enterprises if r[0] not in mine]
    ok("assign", "--to", "Trần Văn Nam", *[r[1] for r in others[:2]], data_dir=W)
    assert "không khớp" in fails("assign", "--to", "Ai Đó", others[2][1], data_dir=W)

    # down to the first laptop: the whole list, the assignments, both offices' settings
    out = ok("export", "--down", "--to", str(stick), "--dry-run", data_dir=W)
    assert "Nguyễn Thị Hằng" in out and "Trần Văn Nam" in out and "chưa gửi lại lần nào" in out
    assert "phân công" in out and "assignments" not in out and "enterprises" not in out
    # what goes up to the province is named the same way (not "assignments", "office_settings")
    out = ok("export", "--to", str(stick), "--dry-run", data_dir=W)
    assert "phân công" in out and "thiết lập của cơ quan" in out, out
    assert not re.search(r"assignments|office_settings|enterprises", out), out
    out = ok("export", "--down", "--for", fp[L1][:11], "--to", str(stick), data_dir=W)
    [to_l1] = written(out)
    out = ok("import", str(to_l1), data_dir=L1)
    assert "gói đi xuống số 1" in out
    ok("import", str(receipt(out)), data_dir=W)
    assert query(L1, "SELECT count(*) FROM enterprises") == [(8,)]
    assert {
        r[0] for r in query(L1, "SELECT enterprise_id FROM assignments WHERE assignee IS NOT NULL")
    } >= mine
    shown = ok("office-settings", data_dir=L1)
    assert "do Thành ủy Hà Nội giao" in shown and "do Đảng ủy phường Hoàn Kiếm giao" in shown
    # what an office above set cannot be changed on the laptop, by any way in
    assert "do Thành ủy Hà Nội giao" in fails("report-settings", "--rounding", "half_up", data_dir=L1)
    assert "Làm tròn: truncate" in ok("report-settings", "--place", "Hà Nội", data_dir=L1)
    # the same file again: nothing changes, the receipt is written again
    assert "đã được nhập trước đây" in ok("import", str(to_l1), data_dir=L1)
    # a file addressed to the first laptop is no use to the second
    refused = fails("import", str(to_l1), data_dir=L2)
    assert "không gửi cho máy này" in refused and "mã hóa cho một khóa khác" in refused

    # the first laptop visits one of its enterprises; the visit goes up
    eid = sorted(mine)[0]
    from tests.sync.test_cli_e2e import script

    script(
        L1,
        "from datetime import date\nfrom app.domain.records import Visit\n"
        f"with store.write('Nguyễn Thị Hằng') as w:\n"
        f"    w.create(Visit(enterprise_id={eid!r}, visit_date=date(2024, 3, 2), collaborator='Nguyễn Thị Hằng'))\n",
    )
    [up] = written(ok("export", "--to", str(stick), data_dir=L1))
    out = ok("import", str(up), data_dir=W)
    ok("import", str(receipt(out)), data_dir=L1)
    progress = ok("assignments", "--year", "2024", data_dir=W)
    assert re.search(rf"Nguyễn Thị Hằng: 1/{len(mine)} doanh nghiệp, 1 lượt", progress), progress
    assert re.search(r"Trần Văn Nam: 0/2 doanh nghiệp", progress), progress

    # nothing new for the first laptop: its own visit does not come back down
    out = ok("export", "--down", "--for", fp[L1][:11], "--to", str(stick), "--dry-run", data_dir=W)
    assert ", 0 thay đổi" in out, out

    # the second laptop: the list, its assignments, and of the first one's visit only a summary
    [to_l2] = written(ok("export", "--down", "--for", fp[L2][:11], "--to", str(stick), data_dir=W))
    ok("import", str(to_l2), data_dir=L2)
    assert query(L2, "SELECT count(*) FROM visits WHERE enterprise_id = ?", (eid,)) == [(0,)]
    [(count, last)] = query(W, "SELECT count(*), max(visit_date) FROM visits WHERE enterprise_id = ?", (eid,))
    assert count >= 1
    [(when, who, n)] = query(
        L2,
        "SELECT last_visit_date, last_visitor, visits FROM visit_summaries WHERE enterprise_id = ?",
        (eid,),
    )
    assert (when, n) == (last, count) and who
