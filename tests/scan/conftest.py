"""A printed visit form with its mark sheet, rendered once for the reader's tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from app.domain.records import Enterprise, Visit
from tests.conftest import TEST_WARD

ENTERPRISE_ID = "0199a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b"


@dataclass
class Printed:
    pdf: Path  # page 1 and 2: the pre-filled form; 3 and 4: a blank form
    enterprise: Enterprise


def enterprise() -> Enterprise:
    return Enterprise(
        id=ENTERPRISE_ID, name="Công ty TNHH May mặc Hòa Bình", tax_code="0100109106", ward_code=TEST_WARD
    )


@pytest.fixture(scope="session")
def printed(tmp_path_factory) -> Printed:
    from app.printing.visit_form import VisitFormData, render_visit_forms

    e = enterprise()
    last = Visit(enterprise_id=e.id, visit_date=date(2025, 3, 4), workforce_total=245, party_total=3)
    pdf = tmp_path_factory.mktemp("scan") / "phieu.pdf"
    render_visit_forms(
        pdf, [VisitFormData(e, last, [], "Phường Hoàn Kiếm"), None], marks=True, printed_on=date(2025, 11, 1)
    )
    return Printed(pdf, e)
