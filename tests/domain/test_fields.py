"""The field declarations: what they say, what is derived from them, and the value checks."""

from __future__ import annotations

import dataclasses
import typing
from datetime import date

import pytest

from app.domain import fields as f
from app.domain.checks import Problem, check_record, check_row, check_value, column_problems, normalise
from app.domain.fields import Kind, Paper
from app.domain.records import (
    RECORD_TYPES,
    Admission,
    Enterprise,
    Organisation,
    Record,
    Target,
    Visit,
    columns_of,
    fields_of,
    record_type,
)
from app.domain.vocab import Attitude, EnterpriseStatus, LegalForm, OrgKind, OrgStatus

TODAY = date(2025, 11, 20)

# the Python type each kind is held in (None allowed where the field may be empty)
_TYPES = {
    Kind.TEXT: str,
    Kind.LONG_TEXT: str,
    Kind.INTEGER: int,
    Kind.COUNT: int,
    Kind.YEAR: int,
    Kind.DATE: date,
    Kind.YES_NO: bool,
    Kind.TAX_CODE: str,
    Kind.WARD: str,
    Kind.UNIT: str,
    Kind.EMAIL: str,
    Kind.PHONE: str,
    Kind.REF: str,
    Kind.MACHINE: str,
}


@pytest.mark.parametrize("cls", list(RECORD_TYPES.values()), ids=list(RECORD_TYPES))
def test_every_field_is_declared_and_its_annotation_matches_its_kind(cls):
    hints = typing.get_type_hints(cls)
    assert [i.name for i in cls.FIELDS] == [fl.name for fl in dataclasses.fields(cls)][1:]
    for info in cls.FIELDS:
        args = set(typing.get_args(hints[info.name])) or {hints[info.name]}
        held = (
            info.enum if info.enum is not None else (str if info.kind is Kind.CHOICE else _TYPES[info.kind])
        )
        assert held in args, (cls.__name__, info.name, hints[info.name])
        assert (type(None) in args) == info.null, info.name
        assert info.label and info.label[0].isupper(), info.name
        for whole in info.not_above:
            assert cls.INFO[whole].kind is Kind.COUNT


def test_derived_tables_keep_what_they_were():
    assert Enterprise.LABELS["tax_code"] == "Mã số thuế"
    assert list(Visit.LABELS)[:3] == ["enterprise_id", "visit_date", "collaborator"]
    assert Visit.COUNT_FIELDS == (
        "workforce_total",
        "workforce_women",
        "workforce_under30",
        "party_total",
        "party_official",
        "party_probationary",
        "candidates_identified",
        "candidates_trained",
        "candidates_applied",
        "candidates_admitted",
        "union_members",
        "youth_members",
        "women_members",
        "veterans_members",
    )
    assert Enterprise.label("nope") == "nope"
    assert columns_of("visits")[:2] == ["id", "enterprise_id"]
    assert Visit.field_names() == columns_of(Visit)


def test_defaults_and_placeholders():
    e = Enterprise()
    assert (e.name, e.tax_code, e.fdi, e.status, e.legal_form) == (
        "",
        "",
        False,
        EnterpriseStatus.ACTIVE,
        None,
    )
    assert Organisation().kind is OrgKind.PARTY and Organisation().status is OrgStatus.NONE
    assert Admission().count == 1 and Target().year == 0
    info = Enterprise.INFO
    assert info["status"].default is EnterpriseStatus.ACTIVE and info["status"].stored_default == "active"
    assert info["name"].default is None and not info["name"].null  # "" is a placeholder, not a default
    assert info["fdi"].column_sql() == "fdi INTEGER NOT NULL DEFAULT 0"
    assert info["status"].column_sql() == "status TEXT NOT NULL DEFAULT 'active'"
    assert Visit.INFO["visit_date"].column_sql() == "visit_date TEXT"


def test_to_row_and_from_row_round_trip_every_kind():
    v = Visit(
        enterprise_id="e1",
        visit_date=date(2025, 3, 1),
        has_union=True,
        attitude=Attitude.SUPPORTS,
        workforce_total=12,
    )
    row = v.to_row()
    assert row["visit_date"] == "2025-03-01" and row["has_union"] == 1 and row["attitude"] == "supports"
    back = Visit.from_row(row)
    assert back == v and back.attitude is Attitude.SUPPORTS and back.has_union is True
    # an unknown code is kept as it came (the checks name it), not dropped
    assert Enterprise.from_row({**Enterprise(name="A").to_row(), "legal_form": "xyz"}).legal_form == "xyz"


def test_check_value_messages_name_the_field_and_the_fix():
    i = Enterprise.INFO
    assert check_value(i["name"], "", TODAY) == "Chưa nhập tên doanh nghiệp."
    assert check_value(i["name"], "x" * 301, TODAY) == "Tên doanh nghiệp quá dài (tối đa 300 ký tự)."
    assert check_value(i["ward_code"], "", TODAY) == "Chưa chọn phường, xã của doanh nghiệp."
    assert check_value(i["ward_code"], "99999", TODAY) == "Mã phường, xã «99999» không có trong danh mục."
    assert check_value(i["year_founded"], 2030, TODAY) == "Năm thành lập phải từ 1900 đến 2025."
    assert check_value(i["year_founded"], 2025, TODAY) is None
    assert (
        check_value(i["workforce_total"], -1, TODAY) == "Tổng số lao động không được là số âm (đã nhập -1)."
    )
    assert check_value(i["workforce_total"], 2_000_000, TODAY) == (
        "Tổng số lao động quá lớn (2000000); hãy kiểm tra lại."
    )
    assert check_value(i["workforce_total"], True, TODAY) == "Tổng số lao động phải là số nguyên."
    assert (
        check_value(i["legal_form"], "xyz", TODAY)
        == "Loại hình doanh nghiệp: mã «xyz» không có trong danh mục."
    )
    assert check_value(i["legal_form"], LegalForm.JSC, TODAY) is None
    assert check_value(i["legal_form"], "jsc", TODAY) is None  # stored codes are accepted as well
    assert check_value(i["vsic_section"], "Z", TODAY).startswith("Ngành kinh tế phải là một chữ cái")
    assert check_value(i["email"], "a@b", TODAY) == "Thư điện tử không đúng dạng (ví dụ: ten@congty.vn)."
    assert check_value(i["fdi"], 2, TODAY) is not None and check_value(i["fdi"], True, TODAY) is None
    assert "chữ số thứ 10" in check_value(i["tax_code"], "0100109107", TODAY)
    d = Visit.INFO["visit_date"]
    assert (
        check_value(d, date(2025, 11, 21), TODAY) == "Ngày khảo sát không được sau ngày hôm nay (20/11/2025)."
    )
    assert check_value(d, "2025-02-30", TODAY) == (
        "Ngày khảo sát không phải là ngày có thật (cần dạng năm-tháng-ngày)."
    )
    assert check_value(d, "2025-02-28", TODAY) is None
    assert check_value(d, date(1999, 12, 31), TODAY) == "Ngày khảo sát phải từ năm 2000 trở đi."
    assert check_value(d, None, TODAY).startswith("Chưa nhập ngày khảo sát")
    assert (
        check_value(Admission.INFO["count"], 0, TODAY) == "Số người kết nạp phải là số nguyên từ 1 trở lên."
    )
    assert check_value(Target.INFO["year"], 1999, TODAY) == "Năm của chỉ tiêu phải từ 2000 đến 2100."
    assert check_value(Target.INFO["unit_code"], "999", TODAY) == "Mã đơn vị «999» không có trong danh mục."


def test_parts_not_above_the_whole_are_declared():
    v = Visit(enterprise_id="e1", visit_date=TODAY, workforce_total=10, workforce_women=11, union_members=12)
    assert check_record(v, TODAY) == [
        Problem("workforce_women", "Lao động nữ (11) không được lớn hơn tổng số lao động (10)."),
        Problem("union_members", "Đoàn viên công đoàn (12) không được lớn hơn tổng số lao động (10)."),
    ]


def test_check_row_takes_stored_values_and_only_the_given_columns():
    row = {"id": "x", "name": "A", "tax_code": "0100109106", "ward_code": "00070", "status": "gone", "fdi": 1}
    assert check_row(fields_of("enterprises"), row, TODAY) == [
        Problem("status", "Tình trạng hoạt động: mã «gone» không có trong danh mục.")
    ]
    assert check_row(fields_of("visits"), {"enterprise_id": "e", "visit_date": "2025-13-01"}, TODAY)[
        0
    ].field == ("visit_date")


def test_column_problems_finds_the_bad_values_of_a_long_column():
    info = Enterprise.INFO["legal_form"]
    values = ["jsc", None, "llc1"] * 1000 + ["xyz"]
    assert column_problems(info, values, TODAY) == [
        (3000, "Loại hình doanh nghiệp: mã «xyz» không có trong danh mục.")
    ]
    assert column_problems(info, ["jsc", None] * 10, TODAY) == []
    assert column_problems(Enterprise.INFO["name"], ["A", ""], TODAY) == [(1, "Chưa nhập tên doanh nghiệp.")]
    assert column_problems(Visit.INFO["visit_date"], ["2025-01-01", "2025-02-30"], TODAY)[0][0] == 1
    assert column_problems(Enterprise.INFO["workforce_total"], [1, 2, None], TODAY) == []
    assert column_problems(Enterprise.INFO["workforce_total"], [1, "2"], TODAY)[0][0] == 1


def test_normalise_follows_the_kinds():
    e = normalise(
        Enterprise(
            name="  Công  ty ",
            email=" A@B.VN ",
            tax_code="0100109106 001",
            short_name="  ",
            ward_code=" 00070",
        )
    )
    assert (e.name, e.email, e.tax_code, e.short_name, e.ward_code) == (
        "Công ty",
        "a@b.vn",
        "0100109106-001",
        None,
        "00070",
    )


def test_a_record_field_without_a_declaration_is_refused():
    @dataclasses.dataclass
    class Bad(Record):
        TABLE: typing.ClassVar[str] = "bad"
        plain: str = ""

    with pytest.raises(TypeError, match="not declared"):
        Bad.FIELDS  # noqa: B018


def test_a_test_copy_in_the_registry_is_what_the_program_uses(monkeypatch):
    @dataclasses.dataclass
    class Copy(Enterprise):
        hotline: str | None = f.phone("Đường dây nóng", paper=Paper(row=99))

    assert Enterprise.FIELDS[-1].name == "note" and Copy.FIELDS[-1].name == "hotline"
    assert record_type(Enterprise) is Enterprise and fields_of(Copy)[-1].name == "hotline"
    monkeypatch.setitem(RECORD_TYPES, "enterprises", Copy)
    assert record_type(Enterprise) is Copy and record_type("enterprises") is Copy
    assert fields_of(Enterprise)[-1].label == "Đường dây nóng"
    assert columns_of("enterprises")[-1] == "hotline"
    assert record_type(Visit) is Visit


def test_paper_places_give_rows_and_mark_areas():
    from app.printing.visit_form import form_rows, paper_rows, row_kind

    rows = paper_rows(Visit)
    assert [row_kind(r) for r in rows] == [
        "line",
        "line",
        "counts",
        "counts",
        "counts",
        "counts",
        "checks",
        "choice",
        "text",
        "text",
        "text",
        "line",
    ]
    # part B is typed back in the order of the entry form
    assert [i.name for r in rows for i in r] == [i.name for i in Visit.FIELDS if i.entry]
    assert form_rows()[8] == ("text", ["difficulties"], 4)
    assert form_rows()[4] == (
        "counts",
        ["candidates_identified", "candidates_trained", "candidates_applied", "candidates_admitted"],
    )
    assert [i.name for i in paper_rows(Enterprise, "blank")[-1]] == ["year_founded", "email"]
    assert [i.name for i in paper_rows(Enterprise, "prefilled")[-1]][0] == "workforce_total"
    assert Visit.INFO["workforce_total"].digits == 6  # declared: the machine-read form's columns
    assert Enterprise.INFO["workforce_total"].digits == 7 and Enterprise.INFO["year_founded"].digits == 4
    assert Visit.INFO["attitude"].choices[0] == ("supports", "Đồng tình")
