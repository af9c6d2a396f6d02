"""A printed visit form with its mark sheet, rendered once for the reader's tests, and what they share:
the values a person marks, how a reading is judged, and the scanned and photographed sheets read end to
end (for a real form and a practice one alike)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from PIL import Image

from app.domain.records import Enterprise, Visit
from app.scan import marks
from app.scan.reader import READ, read_files, read_image
from tests.conftest import TEST_WARD
from tests.helpers import paper

ENTERPRISE_ID = "0199a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b"
DPI = 200


def grey(img: Image.Image) -> Image.Image:
    return img.convert("L")


def check(page, truth: dict[str, paper.Truth]) -> dict[str, str]:
    """Per field: "right", "asked" or "WRONG" (a value read with confidence that is not the truth)."""
    out = {}
    for f in page.fields:
        t = truth.get(f.field.name)
        if t is None:
            continue
        if f.status == marks.UNCERTAIN:
            out[f.field.name] = "asked"
        elif (f.status == marks.OK and f.value == t.value) or (f.status == marks.EMPTY and t.value is None):
            out[f.field.name] = "right"
        else:
            out[f.field.name] = "WRONG"
    return out


VALUES = {
    "visit_date": date(2025, 10, 7),
    "next_visit_date": date(2026, 1, 15),
    "workforce_total": 1250,
    "workforce_women": 604,
    "workforce_under30": None,
    "party_total": 5,
    "party_official": 4,
    "party_probationary": 1,
    "candidates_identified": 12,
    "candidates_trained": 7,
    "candidates_applied": 3,
    "candidates_admitted": 1,
    "union_members": 980,
    "youth_members": 0,
    "women_members": None,
    "veterans_members": 12,
    "has_party": True,
    "has_union": True,
    "has_youth": False,
    "has_women": None,
    "has_veterans": False,
    "attitude": "undecided",
}


def scanned_reads_every_value(sheet: Image.Image, seed: int):
    """``sheet`` (a rendered mark sheet, not changed) filled with ``VALUES`` and scanned straight: read,
    every value right or asked, never wrong; the page read."""
    rng = random.Random(seed)
    filled = paper.fill(sheet.copy(), DPI, VALUES, rng, corrections=0)
    page = read_image(grey(paper.scan(filled.image, rng, DPI, 150)))
    assert page.status == READ, page.reason
    result = check(page, filled.truth)
    assert "WRONG" not in result.values(), result
    assert result["workforce_total"] == "right" and result["visit_date"] == "right"
    assert page.field("has_women").status == marks.UNCERTAIN  # nothing marked: asked
    return page


def photographed_never_reads_a_wrong_value(sheet: Image.Image, seed: int, folder: Path):
    """``sheet`` filled with random values (a tenth of them corrected) and photographed with a phone (a
    JPEG in ``folder``, turned as a phone turns it): read, never a wrong value, a scribbled-out mark
    always asked, at most 6 values asked; the page read."""
    rng = random.Random(seed)
    filled = paper.fill(sheet.copy(), DPI, paper.random_values(rng), rng, corrections=0.1)
    photo = folder / "anh.jpg"
    photo.write_bytes(
        paper.jpeg(paper.photograph(filled.image, rng), 45, orientation=rng.choice([None, 6, 8, 3]))
    )
    (page,) = list(read_files([photo]))
    assert page.status == READ, page.reason
    result = check(page, filled.truth)
    assert "WRONG" not in result.values(), result
    for name, t in filled.truth.items():
        if t.ambiguous:  # a mark scribbled out beside the right one: always asked
            assert result[name] == "asked", name
    assert sum(r == "right" for r in result.values()) >= len(result) - 6
    return page


@dataclass
class Printed:
    pdf: Path  # page 1 and 2: the pre-filled form; 3 and 4: a blank form
    enterprise: Enterprise


def enterprise() -> Enterprise:
    return Enterprise(
        id=ENTERPRISE_ID, name="Công ty TNHH May mặc Hòa Bình", tax_code="0100109106", ward_code=TEST_WARD
    )


def print_forms(pdf: Path, *, practice: bool = False) -> Path:
    """The visit form printed at ``pdf``: pages 1 and 2 the enterprise's pre-filled form, 3 and 4 a blank
    one, with mark sheets; ``practice``: printed from practice data (marked so)."""
    from app.printing.visit_form import VisitFormData, render_visit_forms

    e = enterprise()
    last = Visit(enterprise_id=e.id, visit_date=date(2025, 3, 4), workforce_total=245, party_total=3)
    render_visit_forms(
        pdf,
        [VisitFormData(e, last, [], "Phường Hoàn Kiếm"), None],
        marks=True,
        printed_on=date(2025, 11, 1),
        practice=practice,
    )
    return pdf


@pytest.fixture(scope="session")
def printed(tmp_path_factory) -> Printed:
    return Printed(print_forms(tmp_path_factory.mktemp("scan") / "phieu.pdf"), enterprise())
