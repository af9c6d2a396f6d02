"""Visit forms: field order, pre-filled text read back (pypdf and pdftotext), QR codes, batches."""

from __future__ import annotations

import unicodedata
from datetime import date

import pytest
from pypdf import PdfReader

from app.domain import formcode
from app.domain.records import Enterprise, Organisation, Visit
from app.domain.vocab import Attitude, OrgKind, OrgStatus
from app.printing.visit_form import FORM_ROWS, FORM_TITLE, VisitFormData, form_fields, render_visit_forms
from app.services.enterprise_list import months_before
from app.services.form_batches import FormSelection, load_forms, select_enterprises
from app.services.records import save_enterprise, save_organisation, save_visit
from tests.conftest import TEST_TODAY, TEST_WARD
from tests.helpers.vault import open_store
from tests.printing.pdftools import page_count, pdftotext, pypdf_pages, qr_codes

NAME = "Công ty TNHH Dệt may Hưng Thịnh"
OWNER = "Nguyễn Thị Hằng"
ADDRESS = "Số 12 phố Hàng Bạc, Phường Hoàn Kiếm, Thành phố Hà Nội"


def NFD(s):
    return unicodedata.normalize("NFD", s)


def test_part_b_follows_the_visit_record_field_order():
    expected = [f for f in Visit.field_names() if f not in ("id", "enterprise_id")]
    assert form_fields() == expected
    assert all(kind in {"line", "counts", "checks", "choice", "text"} for kind, *_ in FORM_ROWS)


@pytest.fixture
def prefilled(store):
    e = save_enterprise(
        store,
        Enterprise(
            name=NFD(NAME),
            tax_code="0100109106",
            ward_code=TEST_WARD,
            address=NFD(ADDRESS),
            owner_name=NFD(OWNER),
            phone="0243826123",
            workforce_total=245,
            workforce_women=130,
            workforce_under30=77,
        ),
        today=TEST_TODAY,
    ).record
    save_organisation(
        store,
        Organisation(
            enterprise_id=e.id,
            kind=OrgKind.UNION,
            status=OrgStatus.FOUNDED,
            decision_number="15/QĐ-LĐLĐ",
            decision_date=date(2023, 3, 12),
            issuing_body="LĐLĐ phường",
            founding_members=12,
            members=88,
        ),
        today=TEST_TODAY,
    )
    save_organisation(
        store,
        Organisation(
            enterprise_id=e.id,
            kind=OrgKind.PARTY,
            status=OrgStatus.MOBILISING,
            mobilising_since=date(2025, 1, 6),
        ),
        today=TEST_TODAY,
    )
    save_visit(
        store,
        Visit(
            enterprise_id=e.id,
            visit_date=date(2025, 6, 3),
            collaborator="Trần Văn Nam",
            person_met=NFD("Lê Thị Thu Hà"),
            person_met_title="Phó Giám đốc",
            workforce_total=241,
            workforce_women=128,
            workforce_under30=75,
            party_total=4,
            party_official=3,
            party_probationary=1,
            union_members=88,
            youth_members=23,
            women_members=0,
            veterans_members=2,
            has_union=True,
            attitude=Attitude.UNDECIDED,
            next_step="Gặp lại Giám đốc về thành lập chi bộ",
            next_visit_date=date(2025, 9, 1),
        ),
        today=TEST_TODAY,
    )
    return e


def test_prefilled_form_reads_back_nfc_with_both_extractors(store, prefilled, tmp_path):
    path = tmp_path / "phieu.pdf"
    render_visit_forms(
        path, load_forms(store, [prefilled.id]), unit_title="Phường Hoàn Kiếm", printed_on=TEST_TODAY
    )
    assert page_count(path) == 1
    code = formcode.visit_form_code(prefilled.id, "0100109106")
    for text in (pypdf_pages(path)[0], pdftotext(path)):
        assert unicodedata.is_normalized("NFC", text)
        for expected in (
            FORM_TITLE,
            NAME,
            OWNER,
            ADDRESS,
            "0100109106",
            "0243826123",
            "tổng 245, nữ 130",
            "Lần khảo sát trước: 03/06/2025",
            "Lê Thị Thu Hà (Phó Giám đốc)",
            "thái độ: Chưa quyết định",
            "Gặp lại Giám đốc về thành lập chi bộ",
            "Đã thành lập 12/03/2023",
            "88 thành viên",
            "Đang vận động",
            "từ 06/01/2025",
            "trước: 241",
            "trước: 88",
            "trước: 23",
            "1. Ngày khảo sát",
            "28. Hẹn lần sau",
            "25. Khó khăn, vướng mắc",
            "11. Quần chúng ưu tú",
            f"Mã phiếu: {code}",
            "Trang 1/1",
            "In ngày 20/11/2025",
        ):
            assert expected in text, expected
    assert qr_codes(path, tmp=tmp_path) == [code]
    reader = PdfReader(str(path))
    fonts = {f["/BaseFont"].split("+")[-1] for f in _fonts(reader)}
    assert fonts <= {"LiberationSerif", "LiberationSerif-Bold", "LiberationSerif-Italic"}, fonts
    assert all("/FontFile2" in _descriptor(f) for f in _fonts(reader))  # embedded


def _fonts(reader):
    out = []
    for page in reader.pages:
        for f in page["/Resources"]["/Font"].values():
            out.append(f.get_object())
    return out


def _descriptor(font):
    desc = font.get("/FontDescriptor")
    if desc is None:
        desc = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
    return desc.get_object()


def test_nfd_in_plain_values_is_printed_as_nfc(tmp_path):
    """Values that never went through the services (e.g. a form built from imported data)."""
    e = Enterprise(
        name=NFD("Hợp tác xã Thủy sản Đồng Tâm"),
        tax_code="0100109106",
        ward_code=TEST_WARD,
        owner_name=NFD("Phạm Thị Thủy"),
    )
    path = tmp_path / "nfd.pdf"
    render_visit_forms(path, [VisitFormData(e, None, [], NFD("Phường Hoàn Kiếm"))], printed_on=TEST_TODAY)
    for text in (pypdf_pages(path)[0], pdftotext(path)):
        assert "Hợp tác xã Thủy sản Đồng Tâm" in text and "Phạm Thị Thủy" in text
        assert "PHƯỜNG HOÀN KIẾM" in text
        assert unicodedata.is_normalized("NFC", text)
        assert "lần khảo sát đầu tiên" in text


def test_blank_form_has_every_box_and_no_code(tmp_path):
    path = tmp_path / "trong.pdf"
    render_visit_forms(path, [None, None], unit_title="Phường Hoàn Kiếm", printed_on=TEST_TODAY)
    text = pdftotext(path)
    assert page_count(path) == 2
    for label in [
        f"{i}. {Visit.LABELS[f]}"
        for i, f in enumerate(form_fields(), start=1)
        if f not in Visit.HAS_FIELD.values()
    ]:
        assert label in text, label
    assert "Phiếu trống mẫu F1" in text and "Trang 2/2" in text and "KHAOSAT:" not in text
    assert qr_codes(path, tmp=tmp_path) == []


@pytest.mark.slow
def test_batch_of_not_visited_enterprises_one_numbered_page_each(demo_file, tmp_path):
    store = open_store(demo_file.parent)
    try:
        sel = FormSelection(unit_code=TEST_WARD, not_visited_months=6, today=TEST_TODAY)
        ids = select_enterprises(store, sel)
        since = months_before(TEST_TODAY, 6).isoformat()
        expected = {
            r[0]
            for r in store.conn.execute(
                "SELECT id FROM enterprises e WHERE deleted = 0 AND status IN ('active', 'suspended') AND ward_code = ? "
                "AND coalesce((SELECT max(visit_date) FROM visits v WHERE v.enterprise_id = e.id AND v.deleted = 0), "
                "'0000') < ?",
                (TEST_WARD, since),
            )
        }
        forms = load_forms(store, ids)
    finally:
        store.close()
    assert set(ids) == expected and 10 < len(ids) < 300
    path = tmp_path / "lo.pdf"
    seen = []
    render_visit_forms(
        path, forms, printed_on=TEST_TODAY, progress=lambda done, total: seen.append((done, total))
    )
    n = len(forms)
    assert page_count(path) == n and seen[-1] == (n, n) and len(seen) == n
    pages = pypdf_pages(path)
    for i, (page, form) in enumerate(zip(pages, forms), start=1):
        assert f"Trang {i}/{n}" in page
        assert form.enterprise.tax_code in page
    assert qr_codes(path, page=n, tmp=tmp_path) == [
        formcode.visit_form_code(forms[-1].enterprise.id, forms[-1].enterprise.tax_code)
    ]


def test_planned_week_selection(store):
    e1 = save_enterprise(
        store, Enterprise(name="Một", tax_code="0100109106", ward_code=TEST_WARD), today=TEST_TODAY
    ).record
    e2 = save_enterprise(
        store, Enterprise(name="Hai", tax_code="0100109106", ward_code=TEST_WARD), today=TEST_TODAY
    ).record
    save_visit(
        store,
        Visit(enterprise_id=e1.id, visit_date=date(2025, 10, 1), next_visit_date=date(2025, 11, 19)),
        today=TEST_TODAY,
    )
    save_visit(
        store,
        Visit(enterprise_id=e2.id, visit_date=date(2025, 10, 1), next_visit_date=date(2025, 11, 19)),
        today=TEST_TODAY,
    )
    save_visit(
        store,
        Visit(enterprise_id=e2.id, visit_date=date(2025, 11, 3), next_visit_date=date(2025, 12, 20)),
        today=TEST_TODAY,
    )  # the latest visit moved e2's appointment out of the week
    sel = FormSelection(unit_code=TEST_WARD, planned_from=date(2025, 11, 17), planned_to=date(2025, 11, 23))
    assert select_enterprises(store, sel) == [e1.id]


def test_a_failed_batch_leaves_the_old_file_and_no_temporary(store, prefilled, tmp_path):
    path = tmp_path / "phieu.pdf"
    path.write_bytes(b"old")

    def cancel(done, total):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        render_visit_forms(path, load_forms(store, [prefilled.id]), progress=cancel)
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["phieu.pdf"]


def test_characters_the_font_lacks_print_as_a_question_mark(tmp_path):
    """reportlab would drop them silently; on paper a name must not lose letters without a trace."""
    e = Enterprise(name="Công ty TNHH 鴻海 Việt Nam ★", tax_code="0100109106", ward_code=TEST_WARD)
    path = tmp_path / "cjk.pdf"
    render_visit_forms(path, [VisitFormData(e, None, [], "Phường Hoàn Kiếm")], printed_on=TEST_TODAY)
    for text in (pypdf_pages(path)[0], pdftotext(path)):
        assert "Công ty TNHH ?? Việt Nam ?" in text


def test_nothing_to_print_writes_nothing(tmp_path):
    with pytest.raises(ValueError, match="Không có phiếu"):
        render_visit_forms(tmp_path / "x.pdf", [])
    assert list(tmp_path.iterdir()) == []


def test_a_form_with_its_mark_sheet_says_in_one_line_how_to_fill_it(store, prefilled, tmp_path):
    """Page 1 says where the results go; page 2 prints the one line a person needs to fill the marks
    with a ballpoint pen, whole. Pages are numbered across the batch (two a form)."""
    from app.printing.mark_sheet import INSTRUCTION
    from app.printing.visit_form import MARKS_LINE, TYPE_BACK_LINE

    path = tmp_path / "phieu.pdf"
    forms = load_forms(store, [prefilled.id])
    render_visit_forms(path, [*forms, None], unit_title="Phường Hoàn Kiếm", printed_on=TEST_TODAY, marks=True)
    assert page_count(path) == 4
    pages = [" ".join(pdftotext(path, i, i).split()) for i in range(1, 5)]
    marks_line = MARKS_LINE.format(pages="trang 2")
    assert marks_line in pages[0] and TYPE_BACK_LINE not in pages[0] and marks_line in pages[2]
    for i in (1, 3):
        assert INSTRUCTION in pages[i]  # not cut
    assert [f"Trang {i}/4" in p for i, p in enumerate(pages, start=1)] == [True] * 4
    assert "In ngày 20/11/2025 · Trang 1/4" in pages[0]
    assert "Phiếu trống mẫu F2" in pages[2]
