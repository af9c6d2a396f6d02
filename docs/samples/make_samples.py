"""Regenerate docs/samples/*.png: uv run python docs/samples/make_samples.py (needs pdftoppm)."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

from app.demo.generator import DemoOptions, generate
from app.domain.vocab import Role
from app.printing.keyform import KeyFormData, render_key_form
from app.printing.report_pdf import render_report
from app.printing.visit_form import render_visit_forms
from app.reports.results import Period, report_for
from app.services.form_batches import FormSelection, load_forms, select_enterprises
from app.storage import Store

TODAY = date(2025, 11, 20)


def png(pdf: Path, name: str, page: int = 1, dpi: int = 90) -> None:
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            str(dpi),
            "-png",
            "-singlefile",
            "-f",
            str(page),
            "-l",
            str(page),
            str(pdf),
            str(HERE / name),
        ],
        check=True,
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        with Store(t / "k.sqlite3") as s:
            s.set_profile(unit_code="00070", collaborator="Trần Văn Nam", role=Role.WARD_OFFICE)
            generate(s, DemoOptions("00070", enterprises=400, seed=7, today=TODAY))
            forms = load_forms(s, select_enterprises(s, FormSelection(unit_code="00070", today=TODAY))[:80])
            rich = max(forms, key=lambda f: (len(f.organisations), f.last_visit is not None))
            # as printed by default: with the mark sheet (page 2)
            render_visit_forms(
                t / "form.pdf", [rich], unit_title="Phường Hoàn Kiếm", printed_on=TODAY, marks=True
            )
            render_visit_forms(
                t / "blank.pdf", [None], unit_title="Phường Hoàn Kiếm", printed_on=TODAY, marks=True
            )
            render_visit_forms(t / "one.pdf", [rich], unit_title="Phường Hoàn Kiếm", printed_on=TODAY)
            r, st = report_for(s, "00070", Period.year(2025))
            render_report(t / "party.pdf", r, st, number="12", on=date(2025, 12, 5))
            s.set_setting("report.style", "state")
            r, st = report_for(s, "00070", Period.year(2025))
            render_report(t / "state.pdf", r, st, number="45", on=date(2025, 12, 5))
            s.set_setting("report.style", "party")
            r, st = report_for(s, "01", Period.year(2025))
            render_report(t / "province.pdf", r, st, on=date(2025, 12, 5))
        render_key_form(
            t / "key.pdf",
            KeyFormData(
                "361a98764c134dc5",
                "14973 73630 30809 70835 11222 73668",
                "Phường Hoàn Kiếm",
                "00070",
                "Nguyễn Thị Hằng",
                "Đảng ủy Phường Hoàn Kiếm",
                "",
                "Cộng tác viên",
                TODAY,
                "Hoàn Kiếm",
            ),
        )
        png(t / "form.pdf", "visit-form")
        png(t / "form.pdf", "visit-form-page2", page=2)
        png(t / "blank.pdf", "visit-form-blank")
        png(t / "blank.pdf", "visit-form-blank-page2", page=2)
        png(t / "one.pdf", "visit-form-one-page")
        png(t / "party.pdf", "report-party-page1")
        png(t / "party.pdf", "report-party-page2", page=2)
        png(t / "state.pdf", "report-state-page1")
        png(t / "province.pdf", "report-province-page2", page=2)
        png(t / "key.pdf", "key-registration-form")


if __name__ == "__main__":
    main()
