"""From an image file to a saved visit: the use case and ``khaosat scan`` as a subprocess."""

from __future__ import annotations

import random
from datetime import date

import pytest

from app.domain.records import Visit
from app.domain.validation import ValidationError
from app.domain.vocab import Attitude
from app.scan import marks
from app.scan.reader import read_files
from app.services.records import save_enterprise
from app.services.scanning import ScanRefused, Undecided, prepare, save_scanned
from tests.conftest import TEST_TODAY, run_cli
from tests.helpers import paper
from tests.helpers.vault import open_store
from tests.scan.conftest import DPI, VALUES, enterprise

ALL_MARKED = {**VALUES, "has_women": False, "workforce_under30": 300, "women_members": 410}


def filled_file(printed, tmp_path, values, seed, name="anh.jpg", photo=True):
    rng = random.Random(seed)
    sheet = paper.render_sheet(printed.pdf, 1, DPI)
    filled = paper.fill(sheet, DPI, values, rng, corrections=0)
    path = tmp_path / name
    if photo:
        path.write_bytes(paper.jpeg(paper.photograph(filled.image, rng, max_angle=8), 60))
    else:
        paper.scan(filled.image, rng, DPI, 200).convert("L").save(path)
    return path


def test_photo_to_saved_visit_through_validation_and_change_log(printed, file_store, tmp_path):
    save_enterprise(file_store, enterprise(), today=TEST_TODAY)
    photo = filled_file(printed, tmp_path, VALUES, 21)
    (page,) = list(read_files([photo]))
    form = prepare(file_store, page)
    assert form.enterprise.id == printed.enterprise.id
    assert form.values["workforce_total"] == 1250 and form.values["visit_date"] == date(2025, 10, 7)
    assert form.values["women_members"] is None  # left blank: unknown
    # uncertain marks come first, then the handwriting to type
    assert form.to_decide.index("has_women") < form.to_decide.index("difficulties")
    assert set(form.uncertain) >= {"has_women"}
    with pytest.raises(Undecided) as exc:
        save_scanned(file_store, form, {}, today=TEST_TODAY)
    assert "has_women" in exc.value.fields and "Đã có tổ chức phụ nữ" in str(exc.value)
    assert file_store.children(Visit, printed.enterprise.id) == []

    decisions = {n: page.field(n).suggestion for n in form.uncertain}
    decisions.update(has_women=False, person_met="Lê Văn Tám", difficulties="Chủ doanh nghiệp bận.")
    visit = save_scanned(file_store, form, decisions, author="Nguyễn Thị Hằng", today=TEST_TODAY).record
    (saved,) = file_store.children(Visit, printed.enterprise.id)
    assert saved.id == visit.id
    assert saved.visit_date == date(2025, 10, 7) and saved.next_visit_date == date(2026, 1, 15)
    assert (saved.workforce_total, saved.workforce_women, saved.union_members) == (1250, 604, 980)
    assert (saved.party_total, saved.party_official, saved.party_probationary) == (5, 4, 1)
    pool = (saved.candidates_identified, saved.candidates_trained, saved.candidates_applied)
    assert pool == (12, 7, 3) and saved.candidates_admitted == 1  # the pool of candidates, read off paper
    assert saved.has_party and saved.has_union and not saved.has_youth and not saved.has_women
    assert saved.attitude is Attitude.UNDECIDED and saved.youth_members == 0
    assert saved.person_met == "Lê Văn Tám" and saved.collaborator is None
    (change,) = file_store.history("visits", visit.id)
    assert change["op"] == "create" and change["author"] == "Nguyễn Thị Hằng"
    assert change["fields"]["workforce_total"] == [None, 1250]

    # the same page again: the visit of that day is pointed out
    assert [v.id for v in prepare(file_store, page).same_day] == [visit.id]


def test_values_that_fail_validation_are_not_saved(printed, file_store, tmp_path):
    save_enterprise(file_store, enterprise(), today=TEST_TODAY)
    wrong = {**ALL_MARKED, "workforce_women": 2000}  # more women than workers
    path = filled_file(printed, tmp_path, wrong, 22, "quet.png", photo=False)
    (page,) = list(read_files([path]))
    form = prepare(file_store, page)
    assert form.uncertain == [] and form.values["workforce_women"] == 2000
    with pytest.raises(ValidationError) as exc:
        save_scanned(file_store, form, {}, today=TEST_TODAY)
    assert any(p.field == "workforce_women" for p in exc.value.problems)
    assert file_store.children(Visit, printed.enterprise.id) == []


def test_a_page_of_another_enterprise_is_refused(printed, store, tmp_path):
    path = filled_file(printed, tmp_path, ALL_MARKED, 23, "quet.png", photo=False)
    (page,) = list(read_files([path]))
    with pytest.raises(ScanRefused, match="không có trong dữ liệu của máy này"):
        prepare(store, page)
    save_enterprise(store, enterprise(), today=TEST_TODAY)
    from app.domain.records import Enterprise

    other = save_enterprise(
        store,
        Enterprise(name="Công ty Cổ phần Sông Hồng", tax_code="0100112437", ward_code="00070"),
        today=TEST_TODAY,
    ).record
    with pytest.raises(ScanRefused, match="Sông Hồng"):
        prepare(store, page, expected_enterprise=other.id)
    assert (
        prepare(store, page, expected_enterprise=printed.enterprise.id).enterprise.id == printed.enterprise.id
    )


def test_a_blank_form_needs_its_enterprise(printed, store, tmp_path):
    save_enterprise(store, enterprise(), today=TEST_TODAY)
    rng = random.Random(24)
    sheet = paper.render_sheet(printed.pdf, 3, DPI)  # the blank form's mark sheet
    filled = paper.fill(sheet, DPI, ALL_MARKED, rng, corrections=0)
    (page,) = list(read_files([_save(filled.image, tmp_path / "trong.png")]))
    assert page.code.blank
    form = prepare(store, page)
    assert form.enterprise is None
    with pytest.raises(Undecided, match="chọn doanh nghiệp"):
        save_scanned(store, form, {}, today=TEST_TODAY)
    visit = save_scanned(store, form, {}, enterprise_id=printed.enterprise.id, today=TEST_TODAY).record
    assert visit.enterprise_id == printed.enterprise.id and visit.workforce_under30 == 300


def _save(image, path):
    image.convert("L").save(path)
    return path


def test_cli_scan_reads_saves_and_refuses(printed, tmp_path):
    data = tmp_path / "data"
    assert (
        run_cli(
            "init", "--unit", "00070", "--name", "Nguyễn Thị Hằng", "--role", "collaborator", data_dir=data
        ).returncode
        == 0
    )
    with open_store(data) as s:
        save_enterprise(s, enterprise(), today=TEST_TODAY)
    folder = tmp_path / "phieu"
    folder.mkdir()
    filled_file(printed, folder, ALL_MARKED, 25, "1-quet.png", photo=False)
    filled_file(printed, folder, VALUES, 26, "2-anh.jpg")  # has_women left blank: must be asked
    (folder / "3-trang.png").write_bytes(_blank_png())

    r = run_cli("scan", str(folder), "--save", "--today", "20/11/2025", data_dir=data)
    assert r.returncode == 1, r.stdout + r.stderr  # one page needs a person, one has no form on it
    out = r.stdout
    assert "1-quet.png: Công ty TNHH May mặc Hòa Bình (MST 0100109106)" in out
    assert "5. Tổng số lao động: 1.250" in out and "1. Ngày khảo sát: 07/10/2025" in out
    assert "24. Thái độ của chủ doanh nghiệp: Chưa quyết định" in out
    assert "Đã lưu lượt khảo sát ngày 07/10/2025." in out
    assert "22. Đã có tổ chức phụ nữ: CẦN XEM." in out and "Chưa lưu: " in out
    assert "3-trang.png: KHÔNG ĐỌC ĐƯỢC. Không tìm thấy mã QR" in out
    assert "Đọc được 2 phiếu, đã lưu 1, 2 trang cần xử lý" in out
    with open_store(data) as s:
        (v,) = s.children(Visit, printed.enterprise.id)
        assert v.workforce_total == 1250 and v.women_members == 410
    # the same page again is not saved twice
    r = run_cli("scan", str(folder / "1-quet.png"), "--save", "--today", "20/11/2025", data_dir=data)
    assert r.returncode == 1 and "để khỏi nhập trùng" in r.stdout
    r = run_cli("scan", str(tmp_path / "khong-co.jpg"), data_dir=data)
    assert r.returncode == 1 and "Không có tệp hoặc thư mục" in r.stderr


def _blank_png() -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("L", (600, 800), 255).save(buf, "PNG")
    return buf.getvalue()


def test_statuses_are_what_the_review_shows():
    assert marks.UNCERTAIN != marks.TEXT and marks.OK != marks.EMPTY


def test_the_form_printed_by_default_is_read_back_and_saved(tmp_path):
    """The form as `khaosat print form` prints it with no option (the mark sheet is the default),
    filled with a pen, photographed, and read by `khaosat scan --save`: the visit is saved."""
    from tests.printing.pdftools import page_count

    data = tmp_path / "data"
    run_cli("init", "--unit", "00070", "--name", "Nguyễn Thị Hằng", "--role", "collaborator", data_dir=data)
    with open_store(data) as s:
        save_enterprise(s, enterprise(), today=TEST_TODAY)
    pdf = tmp_path / "phieu.pdf"
    r = run_cli("print", "form", "--enterprise", "0100109106", "--out", str(pdf), data_dir=data)
    assert r.returncode == 0 and page_count(pdf) == 2, r.stderr
    rng = random.Random(51)
    filled = paper.fill(paper.render_sheet(pdf, 1, DPI), DPI, ALL_MARKED, rng, corrections=0)
    photo = tmp_path / "anh.jpg"
    photo.write_bytes(paper.jpeg(paper.photograph(filled.image, rng, max_angle=10), 55, orientation=6))
    first = tmp_path / "trang-1.png"
    paper.render_sheet(pdf, 0, 150).convert("L").save(first)  # page 1 photographed too: skipped
    r = run_cli("scan", str(first), str(photo), "--save", "--today", "20/11/2025", data_dir=data)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Đã lưu lượt khảo sát ngày 07/10/2025." in r.stdout
    assert "trang-1.png: bỏ qua. Trang 1 của phiếu" in r.stdout
    with open_store(data) as s:
        (v,) = s.children(Visit, enterprise().id)
    assert (v.workforce_total, v.workforce_under30, v.women_members) == (1250, 300, 410)
    assert v.attitude is Attitude.UNDECIDED and v.has_women is False
