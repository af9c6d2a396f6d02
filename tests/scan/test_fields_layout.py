"""The paper fields and their layout are derived from the Visit record."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from app.domain.records import Visit
from app.scan.fields import paper_fields
from app.scan.layout import BUBBLE_R, PAGE_H, PAGE_W, sheet_layout


def test_every_visit_field_is_on_paper_in_order_with_its_kind():
    from app.printing.visit_form import field_numbers

    fields = paper_fields()
    names = [f.name for f in fields]
    assert (
        set(names) == {i.name for i in Visit.FIELDS if i.paper is not None} and "enterprise_id" not in names
    )
    assert {f.name: f.number for f in fields} == field_numbers()  # numbered as on the printed form
    kinds = {f.name: f.kind for f in fields}
    assert kinds["visit_date"] == "date" and kinds["next_visit_date"] == "date"
    assert all(kinds[n] == "count" for n in Visit.COUNT_FIELDS)
    assert all(kinds[n] == "yesno" for n in Visit.HAS_FIELD.values())
    assert kinds["attitude"] == "choice"
    assert kinds["difficulties"] == "text"
    assert fields[0].required and fields[0].name == "visit_date"
    assert {c for c, _ in fields[names.index("attitude")].choices} == {"supports", "undecided", "refuses"}


def test_counts_take_as_many_digits_as_real_values_need():
    """A workforce (and its union members) can pass 99.999 in a real enterprise: six columns; the
    other counts five; the pool of candidates three. The review takes up to the domain's bound."""
    from app.domain.fields import MAX_COUNT

    digits = {f.name: f.digits for f in paper_fields() if f.kind == "count"}
    for name in ("workforce_total", "workforce_women", "workforce_under30", "union_members"):
        assert digits[name] == 6, name
    for name in ("party_total", "party_official", "party_probationary", "youth_members", "women_members"):
        assert digits[name] == 5, name
    assert digits["candidates_identified"] == 3
    assert all(f.maximum == MAX_COUNT for f in paper_fields() if f.kind == "count")


def _inside(inner, outer) -> bool:
    x, y, w, h = inner
    X, Y, W, H = outer
    return x >= X - 0.01 and y >= Y - 0.01 and x + w <= X + W + 0.01 and y + h <= Y + H + 0.01


def _overlap(a, b) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def test_layout_areas_are_on_the_page_apart_and_hold_their_marks():
    layout = sheet_layout()
    page = (0, 0, PAGE_W, PAGE_H)
    assert sorted(a.field.name for a in layout.areas) == sorted(f.name for f in paper_fields())
    for i, a in enumerate(layout.areas):
        assert _inside(a.rect, page)
        for b in layout.areas[i + 1 :]:
            assert not _overlap(a.rect, b.rect), (a.field.name, b.field.name)
        for col in a.columns:
            assert list(col.digits) == list(range(col.lo, col.hi + 1))
            for y in col.ys:
                assert _inside((col.x - BUBBLE_R, y - BUBBLE_R, 2 * BUBBLE_R, 2 * BUBBLE_R), a.rect)
            assert _inside(col.write, a.rect)
        kinds = {"count": "columns", "date": "columns", "yesno": "boxes", "choice": "boxes", "text": "lines"}
        assert getattr(a, kinds[a.field.kind])
    # the four registration marks stand at the corners, outside every area
    xs = sorted({round(x) for x, _ in layout.marks})
    ys = sorted({round(y) for _, y in layout.marks})
    assert len(xs) == 2 and len(ys) == 2 and xs[0] < 50 and xs[1] > PAGE_W - 50 and ys[0] < 50
    assert len(layout.layout_id) == 6 and layout.layout_id == sheet_layout().layout_id


def test_a_new_question_appears_on_the_sheet_and_in_the_reader(monkeypatch, tmp_path):
    """A count declared on a test copy of Visit is printed on the mark sheet, read back, and changes the
    layout id (a sheet printed before is then refused, not misread)."""
    import random
    from datetime import date

    from app.domain import fields as f
    from app.domain.fields import Paper
    from app.domain.records import RECORD_TYPES, Enterprise
    from app.printing.visit_form import VisitFormData, render_visit_forms
    from app.scan.reader import READ, read_files
    from tests.helpers import paper

    before = sheet_layout().layout_id

    @dataclass
    class VisitPlus(Visit):
        volunteers: int | None = f.count("Tình nguyện viên", paper=Paper(row=5))

    monkeypatch.setitem(RECORD_TYPES, "visits", VisitPlus)
    fields = paper_fields()
    new = [p for p in fields if p.name == "volunteers"]
    assert new and new[0].kind == "count" and new[0].digits == 5
    layout = sheet_layout()
    assert layout.layout_id != before and len(layout.area("volunteers").columns) == 5

    e = Enterprise(name="Công ty TNHH Thử", tax_code="0100109106", ward_code="00070")
    pdf = tmp_path / "phieu.pdf"
    render_visit_forms(pdf, [VisitFormData(e)], marks=True)
    rng = random.Random(3)
    sheet = paper.render_sheet(pdf, 1, 200)
    filled = paper.fill(sheet, 200, {"visit_date": date(2025, 10, 1), "volunteers": 17}, rng, corrections=0)
    filled.image.convert("L").save(tmp_path / "quet.png")
    (page,) = list(read_files([tmp_path / "quet.png"]))
    assert page.status == READ and page.code.layout == layout.layout_id
    assert page.field("volunteers").value == 17


def test_sheet_codes_name_enterprise_page_and_layout_and_old_codes_still_read():
    from app.domain import formcode

    eid = "0199a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b"
    code = formcode.sheet_code(eid, "0100109106-001", 2, "ab12cd")
    assert code == "KHAOSAT:F2:0199A1B2-C3D4-7E5F-8A6B-7C8D9E0F1A2B:0100109106-001:2:AB12CD"
    parsed = formcode.parse_form_code(" " + code.lower() + " ")
    assert (parsed.version, parsed.enterprise_id, parsed.tax_code, parsed.page, parsed.layout) == (
        "F2",
        eid,
        "0100109106-001",
        2,
        "AB12CD",
    )
    assert not parsed.blank
    blank = formcode.parse_form_code(formcode.sheet_code(None, None, 1, "AB12CD"))
    assert blank.blank and blank.page == 1 and blank.tax_code is None
    old = formcode.parse_form_code(formcode.visit_form_code(eid, "0100109106"))
    assert old.version == "F1" and old.enterprise_id == eid and old.page is None
    with pytest.raises(formcode.FormCodeError, match="mới hơn"):
        formcode.parse_form_code(f"KHAOSAT:F9:{eid}:0100109106:2:AB12CD")
    with pytest.raises(formcode.FormCodeError, match="mẫu F1"):
        formcode.parse_form_code(f"KHAOSAT:F1:{eid}:0100109106:2:AB12CD")


def test_a_blank_form_code_opens_no_enterprise(store):
    from app.domain import formcode
    from app.services.enterprise_lookup import SelectionError, resolve_enterprise

    with pytest.raises(SelectionError, match="phiếu trống"):
        resolve_enterprise(store, formcode.sheet_code(None, None, 2, "AB12CD"))


def test_a_sheet_whose_fields_overflow_its_page_continues_on_page_3(monkeypatch, store, tmp_path):
    """Seven more counts, a yes/no and a long text do not fit the sheet's page: the sheet continues on
    page 3 with its own marks and QR code (the same layout id, page 3), page counts say so, both pages
    are read back as one visit, and a page read without its companion is refused, never half saved."""
    import dataclasses
    import random
    from datetime import date

    from app.cli.print_commands import _pages
    from app.domain import fields as f
    from app.domain.fields import Paper
    from app.domain.records import RECORD_TYPES, Enterprise
    from app.printing.mark_sheet import sheet_pages_text
    from app.printing.visit_form import VisitFormData, render_visit_forms
    from app.scan.layout import BOTTOM, sheet_layouts
    from app.scan.reader import READ, REFUSED, SKIPPED, read_files
    from app.services.print_settings import pages_per_form
    from app.services.scanning import prepare, save_scanned
    from app.storage.migrations import add_declared_column
    from tests.conftest import TEST_TODAY, TEST_WARD
    from tests.helpers import paper
    from tests.printing.pdftools import page_count, pdftotext, qr_codes

    default_id = sheet_layout().layout_id
    extra = {f"extra_{i}": (int | None, f.count(f"Số thứ {i}", paper=Paper(row=13 + i))) for i in range(1, 8)}
    extra["has_club"] = (bool | None, f.yes_no("Có câu lạc bộ", paper=Paper(row=21)))
    extra["remarks"] = (str | None, f.long_text("Ghi chú thêm", paper=Paper(row=22, lines=3)))
    crowded = dataclasses.make_dataclass(
        "CrowdedVisit", [(name, typ, fld) for name, (typ, fld) in extra.items()], bases=(Visit,)
    )
    monkeypatch.setitem(RECORD_TYPES, "visits", crowded)
    with store.transaction():
        for name in extra:
            add_declared_column(store.conn, "visits", name)

    layouts = sheet_layouts()
    assert [p.page for p in layouts] == [2, 3] and {p.pages for p in layouts} == {2}
    assert len({p.layout_id for p in layouts}) == 1 and layouts[0].layout_id != default_id
    on_paper = [a.field.name for p in layouts for a in p.areas]
    assert sorted(on_paper) == sorted(p.name for p in paper_fields())  # every field once, on one page
    assert "extra_7" in {a.field.name for a in layouts[1].areas}
    for p in layouts:
        for i, a in enumerate(p.areas):
            assert _inside(a.rect, (0, BOTTOM - 3, PAGE_W, PAGE_H))
            for b in p.areas[i + 1 :]:
                assert not _overlap(a.rect, b.rect), (a.field.name, b.field.name)
    assert pages_per_form(True) == 3 and pages_per_form(False) == 1
    assert _pages(2, True) == "6 trang: mỗi phiếu một trang thông tin và 2 trang đánh dấu"
    assert sheet_pages_text() == "trang 2 và 3"

    a = Enterprise(name="Công ty TNHH Thử", tax_code="0100109106", ward_code=TEST_WARD)
    b = Enterprise(name="Công ty CP Hai", tax_code="0100233488", ward_code=TEST_WARD)
    with store.write("t") as w:
        w.save(a)
        w.save(b)
    pdf = tmp_path / "phieu.pdf"
    render_visit_forms(pdf, [VisitFormData(a), VisitFormData(b)], marks=True, printed_on=TEST_TODAY)
    assert page_count(pdf) == 6
    text = pdftotext(pdf)
    assert "Trang 3/6" in text and "Trang 6/6" in text and "B. KẾT QUẢ KHẢO SÁT LẦN NÀY (tiếp)" in text
    assert "Ghi và đánh dấu ở các trang sau (trang 2 và 3)" in text
    assert "kết quả khảo sát ghi và tô ở trang 2 và 3 để KhaoSat đọc lại" in text
    assert qr_codes(pdf, page=3, tmp=tmp_path) == [
        f"KHAOSAT:F2:{a.id.upper()}:0100109106:3:{layouts[0].layout_id}"
    ]

    def scans(first_page: int, values: dict, seed: int) -> list:
        out = []
        for p in layouts:
            image = paper.render_sheet(pdf, first_page + p.page - 2, 200)
            filled = paper.fill(image, 200, values, random.Random(seed), corrections=0, layout=p)
            out.append(tmp_path / f"quet-{first_page}-{p.page}.png")
            filled.image.convert("L").save(out[-1])
        return out

    va = {
        "visit_date": date(2025, 10, 1),
        "workforce_total": 40,
        "extra_1": 5,
        "extra_7": 12,
        "has_club": True,
    }
    vb = {"visit_date": date(2025, 10, 2), "workforce_total": 90, "extra_7": 3}
    a2, a3 = scans(1, va, 1)
    b2, b3 = scans(4, vb, 2)

    got = list(read_files([a2, a3, b2, b3]))
    assert [p.status for p in got] == [READ, READ]
    assert [p.code.enterprise_id for p in got] == [a.id, b.id]
    one = got[0]
    assert {n: one.field(n).value for n in va} == va and got[1].field("extra_7").value == 3
    assert one.crop("extra_7").size[0] > 0 and one.crop("remarks").size[0] > 0 and len(one.more) == 1
    form = prepare(store, one)
    saved = save_scanned(store, form, {n: one.field(n).suggestion for n in form.uncertain}, today=TEST_TODAY)
    visit = store.get(Visit, saved.record.id)
    assert (visit.extra_1, visit.extra_7, visit.has_club, visit.workforce_total) == (5, 12, True, 40)

    # out of order, or pages of two forms mixed: refused, with what to do
    wrong = list(read_files([a3, a2, b2, b3]))
    assert [p.status for p in wrong] == [REFUSED, REFUSED, READ]
    assert "Trang 3 của phiếu phải đọc cùng các trang trước nó" in wrong[0].reason
    assert "Thiếu trang 3" in wrong[1].reason and "trang 2 và 3" in wrong[1].reason
    assert not any(p.fields for p in wrong[:2]) and wrong[2].code.enterprise_id == b.id
    assert wrong[2].field("extra_7").value == 3
    mixed = list(read_files([a2, b3]))  # page 3 of another enterprise's form
    assert [p.status for p in mixed] == [REFUSED, REFUSED] and "Thiếu trang 3" in mixed[0].reason
    # page 1 of the form photographed too: skipped, pages 2 and 3 one visit
    paper.render_sheet(pdf, 0, 150).convert("L").save(tmp_path / "trang1.png")
    whole = list(read_files([tmp_path / "trang1.png", a2, a3]))
    assert [p.status for p in whole] == [SKIPPED, READ]
