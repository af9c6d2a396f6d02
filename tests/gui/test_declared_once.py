"""A field declared once shows up everywhere, with no other file touched.

The test declares an extra field on a test copy of ``Enterprise`` (a hotline) and of ``Visit`` (a
count of disabled workers, not above the workforce), puts the copies in the registry the program
reads its record types from (``app.domain.records.RECORD_TYPES``), adds their columns with the
migration helper, and finds them on the entry forms (typed, checked, saved), the printed visit form
(pdftotext), its mark sheet read back from a rendered page and saved as a visit, the detail panel and
its visits tab, ``khaosat enterprise show`` and its visit lines, the Excel list (openpyxl), an
imported list (its column found, read and checked), the history, the demo data, a bundle (exported, decoded, imported by the office; a bad value refused at
the laptop's export and at the office's door, a count above the workforce listed to check) and the
generated column table of the spec.
Nothing of this ships: the copies live in this test only.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import date

import pytest
from openpyxl import load_workbook
from PySide6.QtCore import Qt

from app.domain import fields as f
from app.domain.fields import Paper
from app.domain.records import RECORD_TYPES, Enterprise, Visit, fields_of
from app.domain.vocab import Role
from app.storage import Store
from app.storage.migrations import add_declared_column
from tests.conftest import TEST_TODAY, TEST_WARD
from tests.gui.conftest import close_window, focused_form, open_window, wait_idle
from tests.helpers.typing import Keyboard
from tests.helpers.vault import open_store
from tests.printing.pdftools import pdftotext

HOTLINE = "0912 345 678"
HOTLINE_LABEL = "Đường dây nóng"
DISABLED_LABEL = "Lao động khuyết tật"
DISABLED_COLUMN = "Khuyết tật"  # its heading where visits are listed


@dataclasses.dataclass
class EnterpriseWithHotline(Enterprise):
    hotline: str | None = f.phone(HOTLINE_LABEL, beside=False, paper=Paper(row=8))


@dataclasses.dataclass
class VisitWithDisabled(Visit):
    disabled_workers: int | None = f.count(
        DISABLED_LABEL, not_above=("workforce_total",), carry=True, paper=Paper(row=3), column=DISABLED_COLUMN
    )


@pytest.fixture
def declared(monkeypatch):
    """The program now reads enterprises and visits with the extra fields."""
    monkeypatch.setitem(RECORD_TYPES, "enterprises", EnterpriseWithHotline)
    monkeypatch.setitem(RECORD_TYPES, "visits", VisitWithDisabled)


def add_columns(store: Store) -> None:
    """The migration: one line per field."""
    with store.transaction():
        add_declared_column(store.conn, "enterprises", "hotline")
        add_declared_column(store.conn, "visits", "disabled_workers")


@pytest.fixture
def window(qtbot, data_dir, declared):
    with open_store(data_dir) as s:
        add_columns(s)
    w = open_window(qtbot, data_dir)
    yield w
    close_window(qtbot, w)


def _enterprise_with_hotline(data_dir) -> EnterpriseWithHotline:
    with open_store(data_dir) as s:
        e = s.get(Enterprise, s.conn.execute("SELECT id FROM enterprises ORDER BY rid LIMIT 1").fetchone()[0])
        e = dataclasses.replace(e, hotline=HOTLINE)
        with s.write("Trần Văn Nam") as w:
            w.save(e)
        return e


def test_the_entry_forms_show_check_and_save_the_new_fields(qtbot, window, data_dir):
    window.actions.trigger("enterprise.new")
    form = focused_form(qtbot, window, "EnterpriseForm")
    assert [s.name for s in form.FIELDS][-2:] == ["note", "hotline"]  # declaration order is Tab order
    box = form.widgets["hotline"]
    label = box.parentWidget().layout().itemAtPosition(*_grid_position(box, -1)).widget()
    assert label.text() == HOTLINE_LABEL
    kb = Keyboard()
    kb.type("Công ty TNHH Đường Sắt Nhỏ")
    form.widgets["tax_code"].setFocus()
    kb.type("0100109106")
    box.setFocus()
    kb.type("09x")
    assert form.errors["hotline"].isVisible()
    assert form.errors["hotline"].text().startswith("Số điện thoại chỉ gồm chữ số")
    kb.replace(HOTLINE)
    assert not form.errors["hotline"].isVisible()
    kb.shortcut(Qt.Key.Key_S)
    qtbot.waitUntil(lambda: form not in window.forms.open_forms, timeout=10000)
    wait_idle(qtbot, window)
    with open_store(data_dir) as s:
        [saved] = [e for e in s.find_by_tax_code("0100109106") if e.name == "Công ty TNHH Đường Sắt Nhỏ"]
        assert type(saved) is EnterpriseWithHotline and saved.hotline == HOTLINE
        enterprise_id = saved.id

    window.forms.new_visit(enterprise_id)
    visit_form = focused_form(qtbot, window, "VisitForm")
    assert [s.name for s in visit_form.FIELDS][-1] == "disabled_workers"
    visit_form.widgets["workforce_total"].setFocus()
    kb.type("10")
    visit_form.widgets["disabled_workers"].setFocus()
    kb.type("20")
    error = visit_form.errors["disabled_workers"]
    assert error.isVisible() and error.text() == (
        "Lao động khuyết tật (20) không được lớn hơn tổng số lao động (10)."
    )
    kb.replace("3")
    assert not error.isVisible()
    kb.shortcut(Qt.Key.Key_S)
    qtbot.waitUntil(lambda: visit_form not in window.forms.open_forms, timeout=10000)
    wait_idle(qtbot, window)
    with open_store(data_dir) as s:
        [visit] = s.children(Visit, enterprise_id)
    assert visit.disabled_workers == 3

    # the next visit starts from this one's figure (declared carry=True)
    window.forms.new_visit(enterprise_id)
    next_form = focused_form(qtbot, window, "VisitForm")
    qtbot.waitUntil(lambda: next_form.field_text("disabled_workers") == "3", timeout=5000)


def _grid_position(widget, column_offset: int) -> tuple[int, int]:
    grid = widget.parentWidget().layout()
    row, col, _rs, _cs = grid.getItemPosition(grid.indexOf(widget))
    return row, col + column_offset


def test_the_detail_panel_and_the_history_show_the_new_field(qtbot, window, data_dir):
    e = _enterprise_with_hotline(data_dir)
    with open_store(data_dir) as s, s.write("Trần Văn Nam") as w:
        v = VisitWithDisabled(enterprise_id=e.id, visit_date=date(2025, 6, 3), workforce_total=40)
        v.disabled_workers = 1234  # (shown as people read it: 1.234)
        w.save(v)
    window.detail_panel.show_enterprise(e.id)
    qtbot.waitUntil(lambda: HOTLINE in window.detail_panel.info.toPlainText(), timeout=10000)
    assert f"{HOTLINE_LABEL}\t{HOTLINE}" in window.detail_panel.info.toPlainText().replace("\n", "\t")
    # the visits tab: a column after the declared ones before it, the value right-aligned
    visits = window.detail_panel.visits
    headers = [visits.horizontalHeaderItem(c).text() for c in range(visits.columnCount())]
    assert headers == ["Ngày khảo sát", "Cộng tác viên", "Người tiếp", "Lao động", "Đảng viên", "Thái độ"] + [
        "Hướng tiếp theo",
        DISABLED_COLUMN,
    ]
    row = next(r for r in range(visits.rowCount()) if visits.item(r, 0).text() == "03/06/2025")
    cell = visits.item(row, headers.index(DISABLED_COLUMN))
    assert cell.text() == "1.234" and cell.textAlignment() & Qt.AlignmentFlag.AlignRight
    history = window.detail_panel.history
    texts = [
        history.topLevelItem(i).child(j).text(2)
        for i in range(history.topLevelItemCount())
        for j in range(history.topLevelItem(i).childCount())
    ] + [history.topLevelItem(i).text(2) for i in range(history.topLevelItemCount())]
    assert any(t == f"Sửa doanh nghiệp ({HOTLINE_LABEL.lower()})" for t in texts), texts


def test_the_printed_visit_form_has_both_fields(tmp_path, declared):
    from app.printing.visit_form import VisitFormData, form_fields, render_visit_forms

    e = EnterpriseWithHotline(name="Công ty TNHH Hòa Bình", tax_code="0100109106", ward_code=TEST_WARD)
    e.hotline = HOTLINE
    last = VisitWithDisabled(enterprise_id=e.id, visit_date=date(2025, 6, 3), workforce_total=40)
    last.disabled_workers = 2
    path = tmp_path / "phieu.pdf"
    render_visit_forms(path, [VisitFormData(e, last, [], "Phường Hoàn Kiếm"), None], printed_on=TEST_TODAY)
    number = form_fields().index("disabled_workers") + 1
    assert number == 8  # printed in the workforce's row, after «7. Lao động dưới 30 tuổi»
    prefilled, blank = pdftotext(path).split("\f")[:2]
    assert f"{HOTLINE_LABEL}: {HOTLINE}" in prefilled
    assert f"{number}. {DISABLED_LABEL}" in prefilled and "trước: 2" in prefilled
    assert f"{HOTLINE_LABEL}:" in blank and f"{number}. {DISABLED_LABEL}" in blank
    # the page still holds everything: the signatures come after the last box, before the footer
    for page in (prefilled, blank):
        assert page.index(DISABLED_LABEL) < page.index("CỘNG TÁC VIÊN") < page.index("Trang ")


def test_enterprise_show_on_the_command_line(tmp_path, declared, capsys):
    from app.cli.main import main

    data = tmp_path / "data"
    with open_store(data) as s:
        s.set_profile(unit_code=TEST_WARD, collaborator="Trần Văn Nam", role=Role.COLLABORATOR)
        add_columns(s)
        with s.write("Trần Văn Nam") as w:
            w.save(
                EnterpriseWithHotline(
                    name="Công ty TNHH Hòa Bình", tax_code="0100109106", ward_code=TEST_WARD
                )
            )
            [e] = s.find_by_tax_code("0100109106")
            w.save(dataclasses.replace(e, hotline=HOTLINE))
            v = VisitWithDisabled(
                enterprise_id=e.id,
                visit_date=date(2025, 6, 3),
                collaborator="Trần Văn Nam",
                workforce_total=40,
            )
            v.disabled_workers = 3
            w.save(v)
    assert main(["--data-dir", str(data), "enterprise", "show", "0100109106"]) == 0
    out = capsys.readouterr().out
    assert f"{HOTLINE_LABEL}: {HOTLINE}" in out
    assert out.index("Tình trạng hoạt động:") < out.index(HOTLINE_LABEL) < out.index("ID:")
    # the visit's line: its listed fields, as on the detail panel's visits tab
    assert "  - 03/06/2025: Cộng tác viên: Trần Văn Nam; Lao động: 40; Khuyết tật: 3\n" in out


def test_the_excel_list_has_a_column_for_it(store, declared, tmp_path):
    from app.reports.excel import export_enterprises

    add_columns(store)
    with store.write("t") as w:
        w.save(
            EnterpriseWithHotline(name="Công ty TNHH Hòa Bình", tax_code="0100109106", ward_code=TEST_WARD)
        )
    [e] = store.find_by_tax_code("0100109106")
    with store.write("t") as w:
        w.save(dataclasses.replace(e, hotline=HOTLINE))
    path = tmp_path / "ds.xlsx"
    assert export_enterprises(path, store, TEST_WARD) == 1
    ws = load_workbook(path)["Doanh nghiệp"]
    headers = [c.value for c in ws[1]]
    assert headers[-3:] == [HOTLINE_LABEL, "Tổ chức đã thành lập", "Lần khảo sát gần nhất"]
    assert ws.cell(2, headers.index(HOTLINE_LABEL) + 1).value == HOTLINE


def test_an_imported_list_fills_the_new_field_and_checks_it(store, declared, tmp_path):
    """The list import finds the column by the field's label, reads it by its kind (a phone number),
    checks it as declared (the row refused, naming the column) and writes it, new or updated."""
    from app.importing import mapping as mp
    from app.importing import plan as pl
    from tests.importing.builders import tax

    add_columns(store)
    with store.write("t") as w:
        w.save(
            EnterpriseWithHotline(name="Công ty TNHH Hòa Bình", tax_code="0100109106", ward_code=TEST_WARD)
        )
    path = tmp_path / "danh_sach.csv"
    path.write_text(
        f"Tên doanh nghiệp,MST,Mã phường,{HOTLINE_LABEL}\n"
        f"Công ty TNHH Hòa Bình,0100109106,{TEST_WARD},{HOTLINE}\n"
        f"Công ty TNHH Sông Hồng,{tax(0)},{TEST_WARD},09x\n"
        f"Công ty TNHH Hồ Tây,{tax(1)},{TEST_WARD},0243 555 666\n",
        encoding="utf-8",
    )
    prepared = mp.prepare(path, store)
    assert prepared.mapping[3] == "hotline" and mp.fields()["hotline"][0] == HOTLINE_LABEL
    plan = pl.preview(
        store, prepared.table, prepared.mapping, pl.Options(on_duplicate="update", today=TEST_TODAY)
    )
    updated, refused, created = plan.rows
    assert updated.outcome == pl.Outcome.UPDATE and updated.changes == {"hotline": [None, HOTLINE]}
    assert refused.outcome == pl.Outcome.INVALID
    assert refused.reason.startswith(f"Cột D «{HOTLINE_LABEL}»: Số điện thoại chỉ gồm chữ số"), refused.reason
    assert created.outcome == pl.Outcome.NEW
    result = pl.execute(store, plan)
    assert (result.created, result.updated) == (1, 1)
    assert [e.hotline for e in store.find_by_tax_code("0100109106")] == [HOTLINE]
    [new] = store.find_by_tax_code(tax(1))
    assert type(new) is EnterpriseWithHotline and new.hotline == "0243 555 666"


def test_a_bundle_carries_the_new_fields_to_the_office(tmp_path, declared):
    from app.sync import container as C
    from tests.sync.conftest import make_machine, register

    stick = tmp_path / "usb"
    stick.mkdir()
    laptop = make_machine(tmp_path, "Nguyễn Thị Hằng", TEST_WARD, Role.COLLABORATOR)
    office = make_machine(tmp_path, "Đảng ủy phường Hoàn Kiếm", TEST_WARD, Role.WARD_OFFICE)
    try:
        register(office, laptop, stick)
        for m in (laptop, office):
            add_columns(m.store)
        e = EnterpriseWithHotline(name="Công ty TNHH Hòa Bình", tax_code="0100109106", ward_code=TEST_WARD)
        e.hotline = HOTLINE
        v = VisitWithDisabled(enterprise_id=e.id, visit_date=date(2025, 6, 3), workforce_total=40)
        v.disabled_workers = 2
        with laptop.store.write("Nguyễn Thị Hằng") as w:
            w.save(e)
            w.save(v)
        path = laptop.export(stick)

        # decoded with the office's key: the columns and values are in the payload
        envelopes = C.open_sealed(C.parse_frame(path.read_bytes()), office.ident.decryption_keys())
        payload = json.loads(envelopes[0].payload)
        sections = {s["entity"]: s for s in payload["created"]}
        for entity, column, value in (("enterprises", "hotline", HOTLINE), ("visits", "disabled_workers", 2)):
            sec = sections[entity]
            assert sec["columns"] == ["id", *(i.name for i in fields_of(entity))]
            assert sec["columns"][-1] == column and sec["rows"][0][-1] == value

        office.import_ok(path)
        got = office.store.get(Enterprise, e.id)
        assert type(got) is EnterpriseWithHotline and got.hotline == HOTLINE
        assert office.store.get(Visit, v.id).disabled_workers == 2
    finally:
        laptop.store.close()
        office.store.close()


def test_the_bundle_door_checks_the_new_fields_as_declared(tmp_path, declared):
    """Bundles are checked with the declarations: at the office, a hotline that is not a phone number
    (the field's own kind) refuses the whole bundle, naming the field, and a visit whose new count is
    above the workforce (a rule between fields) is merged and listed to check; a laptop does not even
    export a value the office would refuse."""
    from app.sync import rules
    from app.sync.errors import SyncError
    from tests.sync.conftest import make_machine, register
    from tests.sync.test_rules import bundle, creation

    stick = tmp_path / "usb"
    stick.mkdir()
    laptop = make_machine(tmp_path, "Nguyễn Thị Hằng", TEST_WARD, Role.COLLABORATOR)
    office = make_machine(tmp_path, "Đảng ủy phường Hoàn Kiếm", TEST_WARD, Role.WARD_OFFICE)
    try:
        register(office, laptop, stick)
        for m in (laptop, office):
            add_columns(m.store)
        e = EnterpriseWithHotline(name="Công ty TNHH Hòa Bình", tax_code="0100109106", ward_code=TEST_WARD)
        hostile = stick / "sai.khaosat"
        hostile.write_bytes(bundle(laptop, office, created=[creation(laptop, e, hotline="09x")]))
        [r] = office.import_(hostile)
        assert r.error is not None and r.error.reason == "rule", r.error
        assert f"«{HOTLINE_LABEL}» (hotline)" in r.error.message and e.id in r.error.message
        assert office.store.get(Enterprise, e.id) is None  # nothing of that bundle came in

        v = VisitWithDisabled(enterprise_id=e.id, visit_date=date(2025, 6, 3), workforce_total=40)
        v.disabled_workers = 50
        with laptop.store.write("Nguyễn Thị Hằng") as w:  # the writer stores what it is given
            w.save(v)
        r = office.import_ok(laptop.export(stick))
        assert r.report.new == 2 and r.report.to_check == 1
        [item] = rules.to_check(office.store)
        assert (item.entity, item.field, item.field_label) == ("visits", "disabled_workers", DISABLED_LABEL)

        with laptop.store.write("Nguyễn Thị Hằng") as w:
            w.save(dataclasses.replace(laptop.store.get(Enterprise, e.id), hotline="09x"))
        with pytest.raises(SyncError, match=f"«{HOTLINE_LABEL}» \\(hotline\\)") as refused:
            laptop.export(stick)
        assert refused.value.reason == "rule_export"
    finally:
        laptop.store.close()
        office.store.close()


def test_the_demo_data_fills_the_new_fields_from_their_declarations(store, declared):
    """The demo generator models the fields it knows; a field declared since gets values from its
    declaration: a count below a fifth of the workforce it is part of, a phone number for the hotline."""
    from app.demo.generator import MODELLED, DemoOptions, generate
    from app.domain.checks import check_record
    from app.domain.validation import validate_visit

    add_columns(store)
    made = generate(store, DemoOptions(TEST_WARD, enterprises=30, seed=5, today=TEST_TODAY))
    assert made.enterprises == 30 and made.changes.created("visits")
    enterprises = [store.get(Enterprise, i) for i in made.changes.created("enterprises") or ()]
    assert all(type(e) is EnterpriseWithHotline and e.hotline for e in enterprises)
    assert all(not check_record(e, TEST_TODAY) for e in enterprises)
    visits = [store.get(Visit, i) for i in made.changes.created("visits") or ()]
    counted = [v for v in visits if v.disabled_workers is not None]
    assert counted and all(v.disabled_workers <= v.workforce_total // 5 for v in counted)
    assert any(v.disabled_workers for v in counted)
    assert all(validate_visit(v, TEST_TODAY) == [] for v in visits)
    # what the generator models exists: a renamed field is not silently left to the declarations
    for table, names in MODELLED.items():
        assert names <= {i.name for i in fields_of(table)}, table
    # the same seed gives the same data, the new field included
    again = Store.memory()
    add_columns(again)
    generate(again, DemoOptions(TEST_WARD, enterprises=30, seed=5, today=TEST_TODAY))
    assert [v.disabled_workers for v in visits] == [again.get(Visit, v.id).disabled_workers for v in visits]
    again.close()


def test_the_mark_sheet_asks_for_the_new_count_and_the_reader_saves_it(store, declared, tmp_path):
    """Part B of the printed form is a mark sheet derived from the declarations: the new count gets its
    digit columns, the filled-in pages are read back, and the visit saved from them holds the value.
    The default sheet fills its page, so with one more count it continues on page 3 (page 2 read
    without page 3 is refused: its visit would miss the fields of page 3)."""
    import random

    from app.printing.visit_form import VisitFormData, render_visit_forms
    from app.scan.fields import by_name
    from app.scan.layout import sheet_layouts
    from app.scan.reader import READ, REFUSED, read_files
    from app.services.scanning import prepare, save_scanned
    from tests.helpers import paper
    from tests.printing.pdftools import page_count

    add_columns(store)
    e = EnterpriseWithHotline(name="Công ty TNHH Hòa Bình", tax_code="0100109106", ward_code=TEST_WARD)
    with store.write("t") as w:
        w.save(e)
    sheet_field = by_name()["disabled_workers"]
    assert (sheet_field.kind, sheet_field.label, sheet_field.digits) == ("count", DISABLED_LABEL, 5)
    pdf = tmp_path / "phieu.pdf"
    render_visit_forms(pdf, [VisitFormData(e)], marks=True, printed_on=TEST_TODAY)
    layouts = sheet_layouts()
    assert len(layouts) == 2 and page_count(pdf) == 3  # the details, then the mark sheet's two pages
    values = {
        "visit_date": date(2025, 10, 1),
        "workforce_total": 40,
        "disabled_workers": 3,
        "veterans_members": 7,
    }
    scans = []
    for layout in layouts:
        sheet = paper.render_sheet(pdf, layout.page - 1, 200)
        filled = paper.fill(sheet, 200, values, random.Random(13), corrections=0, layout=layout)
        scans.append(tmp_path / f"quet-{layout.page}.png")
        filled.image.convert("L").save(scans[-1])
    (alone,) = list(read_files(scans[:1]))
    assert alone.status == REFUSED and "Thiếu trang 3" in alone.reason and not alone.fields
    (page,) = list(read_files(scans))
    assert page.status == READ and page.field("disabled_workers").value == 3
    assert page.field("veterans_members").value == 7 and page.crop("veterans_members").size[0] > 0
    form = prepare(store, page)
    decisions = {n: page.field(n).suggestion for n in form.uncertain}
    saved = save_scanned(store, form, decisions, today=TEST_TODAY)
    got = store.get(Visit, saved.record.id)
    assert type(got) is VisitWithDisabled and got.disabled_workers == 3 and got.workforce_total == 40
    assert got.veterans_members == 7


def test_the_spec_table_lists_the_new_columns(declared):
    from app.domain.spec_table import render

    table = render()
    assert f"| `hotline` | {HOTLINE_LABEL} | string | no |  |  | digits, spaces" in table
    assert (
        f"| `disabled_workers` | {DISABLED_LABEL} | integer | no |  |  | 0 to 1,000,000; not above `workforce_total` |"
        in (table)
    )


def test_a_form_that_no_longer_fits_one_page_says_so(tmp_path, monkeypatch):
    from app.printing.visit_form import FormLayoutError, render_visit_forms

    extra = {f"extra_{i}": (int | None, f.count(f"Số thứ {i}", paper=Paper(row=13 + i))) for i in range(1, 8)}
    crowded = dataclasses.make_dataclass(
        "CrowdedVisit", [(name, typ, fld) for name, (typ, fld) in extra.items()], bases=(Visit,)
    )
    monkeypatch.setitem(RECORD_TYPES, "visits", crowded)
    with pytest.raises(FormLayoutError, match="không còn vừa một trang A4"):
        render_visit_forms(tmp_path / "x.pdf", [None], printed_on=TEST_TODAY)
    assert not (tmp_path / "x.pdf").exists()
