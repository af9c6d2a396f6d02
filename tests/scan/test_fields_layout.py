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
