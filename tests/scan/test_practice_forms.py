"""A form printed from practice data is read back like a real one (its marks are kept off everything
the reader measures), into practice data only; a real form is read into real data only."""

from __future__ import annotations

import random

import pytest

from app.domain import practice as practice_data
from app.scan.reader import READ, read_files
from app.services.enterprise_lookup import SelectionError, resolve_enterprise
from app.services.records import save_enterprise
from app.services.scanning import ScanRefused, prepare, save_scanned
from tests.conftest import TEST_TODAY
from tests.helpers import paper
from tests.scan.conftest import (
    DPI,
    VALUES,
    enterprise,
    photographed_never_reads_a_wrong_value,
    print_forms,
    scanned_reads_every_value,
)


@pytest.fixture(scope="module")
def practice_pdf(tmp_path_factory):
    return print_forms(tmp_path_factory.mktemp("practice") / "phieu-tap-duot.pdf", practice=True)


@pytest.fixture(scope="module")
def practice_sheet(practice_pdf):
    return paper.render_sheet(practice_pdf, 1, DPI)


@pytest.mark.parametrize("seed", [1, 2])
def test_a_practice_sheet_scanned_reads_every_value(practice_sheet, seed):
    page = scanned_reads_every_value(practice_sheet, seed)
    assert page.code is not None and page.code.practice


@pytest.mark.parametrize("seed", [3, 4, 5])
def test_a_practice_sheet_photographed_never_reads_a_wrong_value(practice_sheet, seed, tmp_path):
    page = photographed_never_reads_a_wrong_value(practice_sheet, seed, tmp_path)
    assert page.code is not None and page.code.practice


def _read(pdf, index, tmp_path, seed=31):
    rng = random.Random(seed)
    filled = paper.fill(paper.render_sheet(pdf, index, DPI), DPI, VALUES, rng, corrections=0)
    path = tmp_path / f"trang-{index}.png"
    paper.scan(filled.image, rng, DPI, 200).convert("L").save(path)
    (page,) = list(read_files([path]))
    assert page.status == READ, page.reason
    return page


def test_practice_forms_go_into_practice_data_only(practice_pdf, printed, store, tmp_path):
    save_enterprise(store, enterprise(), today=TEST_TODAY)
    practice_page, practice_blank = _read(practice_pdf, 1, tmp_path), _read(practice_pdf, 3, tmp_path)
    real_page = _read(printed.pdf, 1, tmp_path / "..")

    # real data: a practice form (pre-filled or blank) is refused with the reason, a real one is read
    for page in (practice_page, practice_blank):
        with pytest.raises(ScanRefused) as exc:
            prepare(store, page, expected_enterprise=enterprise().id)
        assert str(exc.value) == practice_data.PRACTICE_FORM_IN_REAL_DATA
    assert prepare(store, real_page).enterprise is not None
    # the code typed from the form to open its enterprise: refused the same way
    with pytest.raises(SelectionError, match="dữ liệu tập dượt"):
        resolve_enterprise(store, "KHAOSAT:F2:0199A1B2-C3D4-7E5F-8A6B-7C8D9E0F1A2B:0100109106:1:E79E21:TD")

    # practice data: the practice form is read and saved; a real form is refused with the reason
    store.mark_practice()
    with pytest.raises(ScanRefused) as exc:
        prepare(store, real_page)
    assert str(exc.value) == practice_data.REAL_FORM_IN_PRACTICE
    form = prepare(store, practice_page)
    assert form.enterprise is not None and form.values["workforce_total"] == 1250
    decisions = {n: practice_page.field(n).suggestion for n in form.uncertain}
    decisions.update(has_women=False, person_met="Lê Văn Tám", difficulties="", proposals="")
    decisions.update({n: "" for n in form.to_decide if n not in decisions})
    visit = save_scanned(store, form, decisions, today=TEST_TODAY).record
    assert visit.enterprise_id == enterprise().id and visit.workforce_total == 1250
