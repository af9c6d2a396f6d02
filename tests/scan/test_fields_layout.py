"""The paper fields and their layout are derived from the Visit record."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import ClassVar

import pytest

from app.domain.records import Visit
from app.scan.fields import NOT_ON_PAPER, paper_fields
from app.scan.layout import BUBBLE_R, PAGE_H, PAGE_W, sheet_layout


def test_every_visit_field_is_on_paper_in_order_with_its_kind():
    fields = paper_fields()
    names = [f.name for f in fields]
    assert names == [f.name for f in dataclasses.fields(Visit) if f.name not in NOT_ON_PAPER]
    kinds = {f.name: f.kind for f in fields}
    assert kinds["visit_date"] == "date" and kinds["next_visit_date"] == "date"
    assert all(kinds[n] == "count" for n in Visit.COUNT_FIELDS)
    assert all(kinds[n] == "yesno" for n in Visit.HAS_FIELD.values())
    assert kinds["attitude"] == "choice"
    assert kinds["difficulties"] == "text"
    assert [f.number for f in fields] == list(range(1, len(fields) + 1))
    assert {c for c, _ in fields[names.index("attitude")].choices} == {"supports", "undecided", "refuses"}


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


def test_a_new_question_appears_on_the_sheet_and_changes_the_layout_id():
    @dataclass
    class VisitPlus(Visit):
        LABELS: ClassVar[dict[str, str]] = {**Visit.LABELS, "volunteers": "Tình nguyện viên"}
        volunteers: int | None = None

    fields = paper_fields(VisitPlus)
    assert fields[-1].name == "volunteers" and fields[-1].kind == "count"
    layout = sheet_layout(fields)
    area = layout.area("volunteers")
    assert len(area.columns) == fields[-1].digits
    assert layout.layout_id != sheet_layout().layout_id


def test_a_field_type_without_a_paper_form_is_refused():
    @dataclass
    class Odd(Visit):
        ratio: float | None = None

    with pytest.raises(TypeError):
        paper_fields(Odd)


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
