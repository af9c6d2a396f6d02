"""The import against a real SQLite file: the database and the error file checked row by row."""

from __future__ import annotations

import dataclasses

import pytest
from openpyxl import load_workbook

from app.domain import units
from app.domain.records import Enterprise
from app.domain.vocab import LegalForm
from app.importing import errorfile
from app.importing import mapping as mp
from app.importing import plan as pl
from app.importing.errors import ImportFailed
from app.importing.legacy import encode_tcvn3
from app.storage.writer import Writer
from tests.conftest import TEST_TODAY, TEST_WARD
from tests.importing import builders as B


def _import(store, path, options=None, corrections=None, decisions=None):
    prepared = mp.prepare(path, store, corrections=corrections)
    plan = pl.preview(
        store, prepared.table, prepared.mapping, options or pl.Options(today=TEST_TODAY), decisions=decisions
    )
    return pl.execute(store, plan)


def _by_tax(store):
    return {r["tax_code"]: r for r in store._rows("SELECT * FROM enterprises WHERE deleted = 0")}


@pytest.mark.parametrize(
    "maker",
    [
        lambda p: B.write_xlsx(p / "ds.xlsx"),
        lambda p: B.write_xls(p / "ds.xls", font=".VnTime", encode=encode_tcvn3),
        lambda p: B.write_csv(p / "ds.csv", "cp1258"),
    ],
    ids=["xlsx", "xls-tcvn3", "csv-cp1258"],
)
def test_valid_rows_go_in_and_rejected_rows_go_to_the_error_file(file_store, tmp_path, maker):
    path = maker(tmp_path)
    result = _import(file_store, path)
    counts = result.preview.counts()
    assert counts[pl.Outcome.NEW] == len(B.VALID) == 4
    assert counts[pl.Outcome.INVALID] == 5 and counts[pl.Outcome.REPEATED] == 1
    assert result.created == 4 and result.updated == 0

    # the database, row by row
    kept = _by_tax(file_store)
    assert len(kept) == 4
    for cells, _o, _r in B.VALID:
        row = kept[cells[2]]
        assert row["name"] == cells[1]
        assert row["address"] == cells[3]
        assert row["owner_name"] == cells[4]
        assert row["workforce_total"] == int(cells[5].replace(".", ""))
        assert row["workforce_women"] == int(cells[6])
        assert row["ward_code"] == TEST_WARD
        history = file_store.history("enterprises", row["id"])
        assert [h["op"] for h in history] == ["create"]
        assert history[0]["author"] == "Nguyễn Thị Hằng"
        assert file_store.search_enterprises(cells[1])[0]["id"] == row["id"]
    assert kept[B.tax(0)]["legal_form"] == LegalForm.LLC_MULTI.value  # from the name "Công ty TNHH"
    assert kept[B.tax(1)]["legal_form"] == LegalForm.JSC.value
    assert kept[B.tax(2)]["legal_form"] == LegalForm.COOPERATIVE.value
    assert file_store.counts()["changes"] == 4

    # the error file, row by row: original columns + row number + reason
    dest = errorfile.write(tmp_path / "loi.xlsx", result.preview)
    ws = load_workbook(dest).active
    lines = list(ws.iter_rows(values_only=True))
    assert list(lines[0]) == B.HEADERS + [mp.ORIGIN_HEADER, mp.REASON_HEADER]
    rejected = [(cells, outcome, reason) for cells, outcome, reason in B.ROWS if outcome != "new"]
    assert len(lines) == 1 + len(rejected)
    for line, (cells, _outcome, reason) in zip(lines[1:], rejected):
        values = ["" if v is None else str(v) for v in line[: len(B.HEADERS)]]
        assert values[1:5] == cells[1:5]
        assert values[2] == cells[2]  # the tax code keeps its leading zero
        assert line[len(B.HEADERS)] == 3 + int(cells[0])  # row number in the source
        assert reason in line[-1], (line[-1], reason)


def test_the_error_file_of_an_import_in_practice_mode_is_marked_and_still_imports(file_store, tmp_path):
    """In practice mode the error file says so, as every file made from practice data does
    (app.domain.practice): above its header row, in the printed page header, on the tab, in the title.
    Fixed, it imports again: the header row under the mark is found."""
    from app.domain.practice import MARK
    from app.domain.vocab import Role
    from tests.helpers.vault import open_store

    path = B.write_xlsx(tmp_path / "ds.xlsx")
    plain = errorfile.write(tmp_path / "loi-that.xlsx", _import(file_store, path).preview)
    practice = open_store(tmp_path / "tap")
    practice.set_profile(unit_code=TEST_WARD, collaborator="Nguyễn Thị Hằng", role=Role.COLLABORATOR)
    practice.mark_practice()
    prepared = mp.prepare(path, practice)
    previewed = pl.preview(practice, prepared.table, prepared.mapping, pl.Options(today=TEST_TODAY))
    for made in (previewed, pl.execute(practice, previewed).preview):  # saved before or after the import
        assert made.practice
        dest = errorfile.write(tmp_path / "loi-tap-duot.xlsx", made)
        wb = load_workbook(dest)
        ws = wb.active
        assert wb.properties.title == MARK and ws.oddHeader.center.text == MARK
        assert ws.sheet_properties.tabColor.rgb.endswith("FFC000")
        assert str(ws["A1"].value).startswith(MARK) and "chế độ tập dượt" in ws["A1"].value
        lines = list(ws.iter_rows(values_only=True))
        assert list(lines[1]) == B.HEADERS + [mp.ORIGIN_HEADER, mp.REASON_HEADER]
        assert ws.freeze_panes == "A3"  # the header row under the mark stays in view
        assert [line[len(B.HEADERS)] for line in lines[2:]] == [
            3 + int(cells[0]) for cells, outcome, _r in B.ROWS if outcome != "new"
        ]
    again = mp.prepare(dest, practice)
    assert again.table.header_row_number == 2 and again.table.data_count() == len(lines) - 2
    practice.close()
    real = load_workbook(plain)
    assert not real.properties.title and not real.active.oddHeader.center.text
    assert not any(MARK in str(c) for line in real.active.iter_rows(values_only=True) for c in line)


def test_importing_the_same_file_twice_adds_nothing(file_store, tmp_path):
    path = B.write_xlsx(tmp_path / "ds.xlsx")
    _import(file_store, path)
    before = file_store.counts()
    for on_duplicate in ("ask", "update", "skip"):
        again = _import(file_store, path, pl.Options(on_duplicate=on_duplicate, today=TEST_TODAY))
        assert again.created == again.updated == 0
        assert again.preview.counts()[pl.Outcome.UNCHANGED] == 4
        assert file_store.counts() == before


def test_fixed_error_file_imports_the_rest(file_store, tmp_path):
    path = B.write_xlsx(tmp_path / "ds.xlsx")
    first = _import(file_store, path)
    dest = errorfile.write(tmp_path / "loi.xlsx", first.preview)
    wb = load_workbook(dest)
    ws = wb.active
    fixes = {  # row in the error file -> column -> value
        2: {3: B.tax(3)},  # the check digit
        3: {7: 5},  # women no more than the total
        4: {4: "9 Hàng Đào, Phường Hoàn Kiếm"},  # an existing ward
        5: {2: "Công ty TNHH Hàng Gai"},  # a name
    }
    for r, cols in fixes.items():
        for c, v in cols.items():
            ws.cell(r, c, v)
    wb.save(dest)
    second = _import(file_store, dest)
    assert second.created == 4
    left = {r.cells[0]: r for r in second.preview.rejected()}
    assert sorted(left) == ["8", "9"]
    # the repeated row is now a second version of an enterprise that went in: a person decides
    assert left["8"].outcome == pl.Outcome.ASK and "Tên doanh nghiệp" in left["8"].reason
    assert left["9"].outcome == pl.Outcome.INVALID and "nhiều" in left["9"].reason
    assert len(_by_tax(file_store)) == 8


def test_duplicate_tax_code_update_skip_or_ask(store, tmp_path):
    path = B.write_xlsx(tmp_path / "ds.xlsx", rows=B.VALID)
    _import(store, path)
    first = _by_tax(store)[B.tax(0)]
    changed = [list(r[0]) for r in B.VALID]
    changed[0][5] = "130"  # more workers now
    changed[0][3] = ""  # an empty cell never erases what is kept
    path2 = B.write_xlsx(tmp_path / "ds2.xlsx", rows=[(c, "", "") for c in changed])

    skip = _import(store, path2, pl.Options(on_duplicate="skip", today=TEST_TODAY))
    assert skip.preview.counts()[pl.Outcome.SKIP] == 1 and skip.updated == 0
    assert _by_tax(store)[B.tax(0)]["workforce_total"] == 120

    ask = pl.preview(
        store,
        mp.prepare(path2, store).table,
        mp.prepare(path2, store).mapping,
        pl.Options(on_duplicate="ask", today=TEST_TODAY),
    )
    row = next(r for r in ask.rows if r.outcome == pl.Outcome.ASK)
    assert row.changes == {"workforce_total": [120, 130]}
    assert "Tổng số lao động" in row.reason and "đã có" in row.reason
    assert pl.execute(store, ask).updated == 0
    ask.decide(row.number, "update")
    assert pl.execute(store, ask).updated == 1

    kept = _by_tax(store)[B.tax(0)]
    assert kept["id"] == first["id"]
    assert kept["workforce_total"] == 130 and kept["address"] == first["address"]
    history = store.history("enterprises", first["id"])
    assert [h["op"] for h in history] == ["create", "update"]
    assert history[1]["fields"] == {"workforce_total": [120, 130]}
    with pytest.raises(ImportFailed):
        ask.decide(row.number, "create")


def test_same_name_and_address_is_flagged_for_a_person(store, tmp_path):
    _import(store, B.write_xlsx(tmp_path / "ds.xlsx", rows=B.VALID))
    twin = list(B.VALID[0][0])
    twin[1] = "CTY TNHH MAY HOÀN KIẾM"  # typed differently
    twin[2] = B.tax(20)  # another tax code
    path = B.write_xlsx(tmp_path / "twin.xlsx", rows=[(twin, "", "")])
    flagged = _import(store, path)
    row = flagged.preview.rows[0]
    assert row.outcome == pl.Outcome.SIMILAR and flagged.created == 0
    assert "Công ty TNHH May Hoàn Kiếm" in row.reason and B.tax(0) in row.reason
    prepared = mp.prepare(path, store)
    plan = pl.preview(store, prepared.table, prepared.mapping, pl.Options(today=TEST_TODAY))
    plan.decide(row.number, "create")
    assert pl.execute(store, plan).created == 1
    accepted = _import(store, path, pl.Options(accept_similar=True, today=TEST_TODAY))
    assert accepted.created == 0 and accepted.preview.rows[0].outcome == pl.Outcome.UNCHANGED


def test_the_import_matches_rows_as_the_preview_did_before_any_update(store, tmp_path):
    """The import plans every row again (it keeps no plan per row); an update it writes must not change
    how a later row of the same file is matched: the twin of a kept enterprise whose name an earlier row
    changes stays a look-alike, as the preview said."""
    _import(store, B.write_xlsx(tmp_path / "ds.xlsx", rows=B.VALID))
    renamed = list(B.VALID[0][0])
    renamed[1] = "Công ty TNHH May Tràng Tiền"  # the kept enterprise's new name
    twin = list(B.VALID[0][0])
    twin[2] = B.tax(20)  # another tax code, the kept enterprise's old name and address
    path = B.write_xlsx(tmp_path / "doi-ten.xlsx", rows=[(renamed, "", ""), (twin, "", "")])
    prepared = mp.prepare(path, store)
    options = pl.Options(on_duplicate="update", today=TEST_TODAY)
    plan = pl.preview(store, prepared.table, prepared.mapping, options)
    assert [r.outcome for r in plan.rows] == [pl.Outcome.UPDATE, pl.Outcome.SIMILAR]

    result = pl.execute(store, plan)
    assert result.updated == 1 and result.created == 0 and not result.rebuilt
    assert [r.outcome for r in result.preview.rows] == [pl.Outcome.UPDATE, pl.Outcome.SIMILAR]
    assert result.preview.counts() == plan.counts()
    kept = _by_tax(store)
    assert kept[B.tax(0)]["name"] == "Công ty TNHH May Tràng Tiền" and B.tax(20) not in kept


def test_a_cancel_while_importing_writes_nothing(file_store, tmp_path):
    """The window's cancel raises from the progress callback: at any of its calls, the one transaction is
    rolled back (the last call comes before the commit)."""

    class Cancelled(Exception):
        pass

    path = B.write_xlsx(tmp_path / "ds.xlsx")
    prepared = mp.prepare(path, file_store)
    plan = pl.preview(file_store, prepared.table, prepared.mapping, pl.Options(today=TEST_TODAY))
    before = file_store.counts()["enterprises"]
    n = 0
    while True:  # cancelled at the first call, then the second... until a run makes fewer calls
        calls: list[tuple[int, int]] = []

        def cancel(done: int, total: int, calls=calls, n=n) -> None:
            calls.append((done, total))
            if len(calls) > n:
                raise Cancelled

        try:
            result = pl.execute(file_store, plan, progress=cancel)
        except Cancelled:
            assert file_store.counts()["enterprises"] == before
            n += 1
            continue
        break
    assert n == len(calls) >= 2 and calls[-1][0] == calls[-1][1]
    assert result.created == 4 and file_store.counts()["enterprises"] == before + 4


def test_a_preview_of_a_long_file_keeps_the_counts_and_the_reasons_not_the_rows(store, tmp_path):
    """Without a window: ``keep`` rows at most, the counts of every row, the reason of every row that
    did not go in; the import (and the command line's, with no preview) writes every row."""
    rows = []
    for i in range(60):
        cells = [str(i + 1), f"Công ty TNHH Dài Số {i + 1}", B.tax(100 + i), "12 Tràng Tiền, P. Hoàn Kiếm"]
        if i % 3 == 2:
            cells[2] = B.bad_check_digit(cells[2])
        rows.append((cells + ["Lê Văn Tâm", "10", "2"], "", ""))
    path = B.write_xlsx(tmp_path / "dai.xlsx", rows=rows)
    prepared = mp.prepare(path, store)
    plan = pl.preview(store, prepared.table, prepared.mapping, pl.Options(today=TEST_TODAY), keep=10)
    assert len(plan.rows) == 10 and plan.total == 60 and not plan.all_shown
    assert plan.counts() == {pl.Outcome.NEW: 40, pl.Outcome.INVALID: 20}
    assert plan.rejected_count() == 20 and len(plan.left_out) == 20 - 9  # one first row, nine to look at
    first = prepared.table.header_row_number + 1  # the file's row of the first enterprise
    assert [r.number for r in plan.rejected()] == [first + i for i in range(60) if i % 3 == 2]
    assert pl.summary_lines(plan)[0] == "Số dòng doanh nghiệp trong tệp: 60"

    cli = pl.execute(
        store, pl.Preview.unchecked(prepared.table, prepared.mapping, pl.Options(today=TEST_TODAY))
    )
    assert cli.created == 40 and cli.preview.rejected_count() == 20 and not cli.rebuilt
    dest = errorfile.write(tmp_path / "loi.xlsx", cli.preview)
    lines = list(load_workbook(dest).active.iter_rows(values_only=True))[1:]
    assert [(line[1], line[-2]) for line in lines] == [
        (f"Công ty TNHH Dài Số {i + 1}", first + i) for i in range(60) if i % 3 == 2
    ]


def test_ward_from_address_code_or_name_and_unplaced_rows(store, tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["Tên doanh nghiệp", "Mã số thuế", "Địa chỉ", "Phường/Xã", "Mã xã"])
    ws.append(["Công ty A", B.tax(30), "1 Tràng Tiền, F. Hoan Kiem", None, None])
    ws.append(["Công ty B", B.tax(31), "Số 2 đường X", "P.Ba Đình", None])
    ws.append(["Công ty C", B.tax(32), "Số 3", None, "4"])  # a number cell: 00004
    ws.append(["Công ty D", B.tax(33), "Số 4, Phường Không Có, Quận Ba Đình", None, None])
    ws.append(["Công ty E", B.tax(34), "Số 5, Phường Bến Nghé, Quận 1, TP Hồ Chí Minh", None, None])
    ws.append(["Công ty F", B.tax(35), None, "Xã Tân An", None])
    wb.save(tmp_path / "w.xlsx")
    prepared = mp.prepare(tmp_path / "w.xlsx", store)
    plan = pl.preview(store, prepared.table, prepared.mapping, pl.Options(today=TEST_TODAY))
    got = {r.enterprise.name: (r.enterprise.ward_code, r.ward_from) for r in plan.rows}
    assert got["Công ty A"] == ("00070", "address")
    assert got["Công ty B"] == ("00004", "name")
    assert got["Công ty C"] == ("00004", "code")
    assert {r.enterprise.name for r in plan.unplaced()} == {"Công ty D", "Công ty E", "Công ty F"}
    reasons = {r.enterprise.name: r.reason for r in plan.rows}
    assert "Phường Không Có" in reasons["Công ty D"] and "Hà Nội" in reasons["Công ty D"]
    assert "Tân An" in reasons["Công ty F"]
    # in Hồ Chí Minh City: Bến Nghé is gone since 2025, merged into Sài Gòn (the official old -> new
    # table), and the row says so; Tân An is in many provinces
    nationwide = pl.preview(
        store, prepared.table, prepared.mapping, pl.Options(today=TEST_TODAY, province_code="79")
    )
    e = next(r for r in nationwide.rows if r.enterprise.name == "Công ty E")
    assert e.outcome == pl.Outcome.NEW and units.ward(e.enterprise.ward_code).name == "Phường Sài Gòn"
    assert "Phường Bến Nghé, Quận 1 → nay thuộc Phường Sài Gòn" in " ".join(e.warnings)
    # a default ward for the rest
    with_default = pl.preview(
        store, prepared.table, prepared.mapping, pl.Options(today=TEST_TODAY, default_ward=TEST_WARD)
    )
    assert {r.enterprise.ward_code for r in with_default.rows if r.ward_from == "default"} == {TEST_WARD}
    # a ward the file names but that does not exist is never replaced by the default
    assert {r.enterprise.name for r in with_default.unplaced()} == {"Công ty F"}


def test_one_transaction_nothing_half_saved(store, tmp_path, monkeypatch):
    path = B.write_xlsx(tmp_path / "ds.xlsx", rows=B.VALID)
    _import(store, path)
    changed = [list(r[0]) for r in B.VALID]
    for cells in changed:
        cells[5] = str(int(cells[5].replace(".", "")) + 1)
    changed.append(["9", "Công ty TNHH Mới", B.tax(40), "7 Hàng Bông, P. Hoàn Kiếm", "Mai Văn An", "9", "1"])
    path2 = B.write_xlsx(tmp_path / "ds2.xlsx", rows=[(c, "", "") for c in changed])
    before = store.counts()
    calls = {"n": 0}
    original = Writer.update

    def failing_update(self, record):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("disk full")
        return original(self, record)

    monkeypatch.setattr(Writer, "update", failing_update)
    with pytest.raises(OSError):
        _import(store, path2, pl.Options(on_duplicate="update", today=TEST_TODAY))
    assert store.counts() == before
    assert _by_tax(store)[B.tax(0)]["workforce_total"] == 120


def test_changes_after_the_preview_are_respected(store, tmp_path):
    path = B.write_xlsx(tmp_path / "ds.xlsx", rows=B.VALID)
    prepared = mp.prepare(path, store)
    plan = pl.preview(store, prepared.table, prepared.mapping, pl.Options(today=TEST_TODAY))
    assert plan.counts()[pl.Outcome.NEW] == 4
    # someone types one of the enterprises in while the preview is open
    from app.services.records import save_enterprise

    save_enterprise(
        store,
        Enterprise(name="Công ty TNHH May Hoàn Kiếm", tax_code=B.tax(0), ward_code=TEST_WARD),
        today=TEST_TODAY,
    )
    result = pl.execute(store, plan)
    assert result.rebuilt and result.created == 3
    assert len(store.find_by_tax_code(B.tax(0))) == 1


def test_required_columns_and_mapping_is_remembered(store, tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["Đơn vị sử dụng lao động", "Số", "Nơi đặt"])
    ws.append(["Công ty TNHH A", B.tax(50), "1 Tràng Tiền, P. Hoàn Kiếm"])
    wb.save(tmp_path / "a.xlsx")
    with pytest.raises(ImportFailed, match="Không tìm thấy dòng tiêu đề"):
        mp.prepare(tmp_path / "a.xlsx", store)
    ws.insert_rows(1)
    ws["A1"], ws["B1"], ws["C1"] = "Tên DN", "Mã", "Địa chỉ"
    wb.save(tmp_path / "b.xlsx")
    prepared = mp.prepare(tmp_path / "b.xlsx", store)
    with pytest.raises(ImportFailed, match="Chưa ghép cột cho: Mã số thuế"):
        pl.preview(store, prepared.table, prepared.mapping)
    result = _import(store, tmp_path / "b.xlsx", corrections="B=tax_code")
    # the old header line is now a data line: rejected; the enterprise under it goes in
    assert [r.outcome for r in result.preview.rows] == [pl.Outcome.INVALID, pl.Outcome.NEW]
    assert result.created == 1
    again = mp.prepare(tmp_path / "b.xlsx", store)
    assert again.source == "remembered" and again.mapping[1] == "tax_code"


def test_values_typed_loosely(store, tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(
        [
            "Tên doanh nghiệp",
            "MST",
            "Địa chỉ",
            "Điện thoại",
            "Ngày thành lập",
            "Loại hình",
            "Ngành nghề",
            "Tổng số LĐ",
            "Tình trạng",
        ]
    )
    from datetime import datetime

    ws.append(
        [
            "Hộ kinh doanh Bà Ba",
            int(B.tax(60)),
            "P. Hoàn Kiếm",
            912345678,
            datetime(2015, 2, 27),
            "Công ty TNHH MTV",
            "1410",
            "120 người",
            "Tạm ngừng hoạt động",
        ]
    )
    wb.save(tmp_path / "v.xlsx")
    prepared = mp.prepare(tmp_path / "v.xlsx", store)
    plan = pl.preview(store, prepared.table, prepared.mapping, pl.Options(today=TEST_TODAY))
    e = plan.rows[0].enterprise
    assert plan.rows[0].outcome == pl.Outcome.NEW, plan.rows[0].reason
    assert (e.tax_code, e.phone, e.year_founded) == (B.tax(60), "0912345678", 2015)
    assert (e.legal_form, e.vsic_section, e.workforce_total, e.status.value) == (
        LegalForm.LLC_ONE,
        "C",
        120,
        "suspended",
    )
    assert dataclasses.asdict(e)["ward_code"] == TEST_WARD


def test_ward_inside_an_address_without_commas():
    from app.importing.wards import WardMatcher

    m = WardMatcher("01")
    assert m.from_address("Số 5 phường Hoàn Kiếm Hà Nội").unit.code == "00070"
    assert m.from_address("12 Hang Bai p hoan kiem").unit.code == "00070"
    assert m.from_address("Số 5 đường Xã Đàn").unit is None  # a street named "Xã Đàn" is not a ward
    assert m.from_address("Số 5, F.Hoàn Kiếm").unit.code == "00070"


def test_error_file_in_a_folder_that_cannot_be_written(store, tmp_path):
    import os

    if os.geteuid() == 0:
        # root ignores permissions: simulate the Windows case (file open in Excel) instead
        import unittest.mock

        with unittest.mock.patch("os.replace", side_effect=PermissionError(13, "denied")):
            _check_error_file_failure(store, tmp_path, tmp_path)
    else:
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o500)
        try:
            _check_error_file_failure(store, tmp_path, locked)
        finally:
            locked.chmod(0o700)


def _check_error_file_failure(store, source_dir, folder):
    prepared = mp.prepare(B.write_xlsx(source_dir / "ds-perm.xlsx"), store)
    plan = pl.preview(store, prepared.table, prepared.mapping, pl.Options(today=TEST_TODAY))
    with pytest.raises(ImportFailed, match="đang mở trong Excel"):
        errorfile.write(folder / "loi.xlsx", plan)
    assert not [p for p in folder.iterdir() if p.name.endswith(".tmp")]


def test_repeated_headers_and_group_headings_are_not_rows(store, tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(B.HEADERS)
    ws.append(["", "I. PHƯỜNG HOÀN KIẾM", "", "", "", "", ""])
    ws.append(B.VALID[0][0])
    ws.append(B.HEADERS)  # printed-page header repeated
    ws.append(["", "A) Khối doanh nghiệp cổ phần", "", "", "", "", ""])
    ws.append(B.VALID[1][0])
    ws.append(["", "Công ty TNHH Chỉ Có Tên", "", "", "", "", ""])  # a real row without tax code: an error
    wb.save(tmp_path / "g.xlsx")
    prepared = mp.prepare(tmp_path / "g.xlsx", store)
    plan = pl.preview(store, prepared.table, prepared.mapping, pl.Options(today=TEST_TODAY))
    assert [(r.number, r.outcome) for r in plan.rows] == [
        (3, pl.Outcome.NEW),
        (6, pl.Outcome.NEW),
        (7, pl.Outcome.INVALID),
    ]
    assert plan.skipped_lines == 3


def test_totals_lines_are_not_rows_but_companies_are(store, tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(B.HEADERS)
    ws.append(B.VALID[0][0])
    ws.append(["", "Công ty TNHH Không Mã", "", "1 Hàng Bạc, P. Hoàn Kiếm", "", "5", ""])
    ws.append(["", "Cộng", "", "", "", "125", ""])
    ws.append(["", "TỔNG CỘNG", "", "", "", "125", ""])
    ws.append(["", "Tổng số: 2 doanh nghiệp", "", "", "", "", ""])
    wb.save(tmp_path / "t.xlsx")
    prepared = mp.prepare(tmp_path / "t.xlsx", store)
    plan = pl.preview(store, prepared.table, prepared.mapping, pl.Options(today=TEST_TODAY))
    assert [(r.number, r.outcome) for r in plan.rows] == [(2, pl.Outcome.NEW), (3, pl.Outcome.INVALID)]
    assert "Chưa nhập mã số thuế" in plan.rows[1].reason
    assert plan.skipped_lines == 3


def test_wards_named_like_streets_or_hamlets():
    from app.domain import units
    from app.importing.wards import WardMatcher

    m = WardMatcher("01")
    duong_noi = [u for u in units.wards("01") if u.short_name == "Dương Nội"]
    assert duong_noi, "Hà Nội has a ward Dương Nội"
    assert m.from_address("Số 3 Tố Hữu, Dương Nội, Hà Nội").unit.code == duong_noi[0].code
    assert m.from_address("Số 3, Đường Hoàn Kiếm, Hà Nội").unit is None
    assert m.from_address("Số 3, Quận Hoàn Kiếm, Hà Nội").unit is None


def test_ward_names_with_a_dash():
    from app.importing.wards import WardMatcher

    m = WardMatcher("01")
    for address in (
        "Số 178 Bà Triệu, Phường Văn Miếu - Quốc Tử Giám",
        "Số 92, phuong van mieu - quoc tu giam",
        "Số 127 Tôn Đức Thắng, Văn Miếu - Quốc Tử Giám, Hà Nội",
    ):
        assert m.from_address(address).unit.name == "Phường Văn Miếu - Quốc Tử Giám", address
    assert m.from_address("Tổ 5 - P. Hoàn Kiếm").unit.code == "00070"
    assert m.from_address("12 Tràng Tiền - Hoàn Kiếm - Hà Nội").unit.code == "00070"


def test_an_update_by_list_keeps_the_report_figures(store, tmp_path):
    """A list that updates a visited enterprise (its workforce) leaves the work list's and the report's
    kept figures equal to a count from scratch (``work_facts.problems``)."""
    from datetime import date

    from app.domain.records import Organisation, Visit
    from app.domain.vocab import OrgKind, OrgStatus
    from app.storage import work_facts

    _import(store, B.write_xlsx(tmp_path / "ds.xlsx", rows=B.VALID))
    eid = _by_tax(store)[B.tax(0)]["id"]
    with store.write() as w:
        w.create(Organisation(enterprise_id=eid, kind=OrgKind.UNION, status=OrgStatus.FOUNDED))
        w.create(
            Visit(enterprise_id=eid, visit_date=date(2025, 5, 6), union_members=30, candidates_identified=3)
        )
    changed = [list(r[0]) for r in B.VALID]
    changed[0][5] = "130"
    path = B.write_xlsx(tmp_path / "ds2.xlsx", rows=[(c, "", "") for c in changed])
    assert _import(store, path, pl.Options(on_duplicate="update", today=TEST_TODAY)).updated == 1
    kept = store.conn.execute(
        "SELECT f.workforce, f.identified, m.members FROM work_facts f JOIN member_counts m "
        "ON m.enterprise_id = f.enterprise_id WHERE f.enterprise_id = ?",
        (eid,),
    ).fetchone()
    assert tuple(kept) == (130, 3, 30)
    assert work_facts.problems(store.conn) == []
