"""Benchmark: 1,000 pre-filled visit forms in one PDF (and the report and Excel list at scale).

Target: under 10 s, and within 1.5x of reportlab drawing the same text with no QR code and no
database, measured in the same run. The baseline is made honestly from the real forms: a first
(untimed) render records every string drawn (text, font, size, position) per page; the baseline
then draws exactly those strings on fresh pages with plain canvas calls: no boxes, no lines, no QR,
no database.

    uv run python bench/bench_printing.py [--forms 1000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from app.demo.generator import DemoOptions, generate
from app.domain import formcode
from app.domain.vocab import Role
from app.printing import qr
from app.printing import visit_form as vf
from app.printing.fonts import SERIF, register
from app.services.form_batches import FormSelection, load_forms, select_enterprises
from app.storage import Store

TODAY = date(2025, 11, 20)
WARD = "00070"


class RecordingCanvas(Canvas):
    """A canvas that remembers each string drawn, page by page.

    Strings drawn into a form XObject (the forms' fixed part) are counted on every page that
    places the form: they are part of the text the page shows.
    """

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.pages: list[list[tuple]] = [[]]
        self.forms: dict[str, list[tuple]] = {}
        self._form: list[tuple] | None = None

    def _rec(self, how, x, y, text):
        target = self._form if self._form is not None else self.pages[-1]
        target.append((how, self._fontname, self._fontsize, x, y, text))

    def beginForm(self, name, *a, **kw):
        super().beginForm(name, *a, **kw)
        self._form = self.forms.setdefault(name, [])

    def endForm(self, **kw):
        super().endForm(**kw)
        self._form = None

    def doForm(self, name):
        super().doForm(name)
        self.pages[-1].extend(self.forms[name])

    def drawString(self, x, y, text, *a, **kw):
        self._rec("l", x, y, text)
        return super().drawString(x, y, text, *a, **kw)

    def drawCentredString(self, x, y, text, *a, **kw):
        self._rec("c", x, y, text)
        return super().drawCentredString(x, y, text, *a, **kw)

    def drawRightString(self, x, y, text, *a, **kw):
        self._rec("r", x, y, text)
        return super().drawRightString(x, y, text, *a, **kw)

    def showPage(self):
        super().showPage()
        self.pages.append([])


def record_text(forms) -> list[list[tuple]]:
    c = RecordingCanvas(io.BytesIO(), pagesize=A4, pageCompression=1, initialFontName=SERIF)
    page = vf._Form(c, "Phường Hoàn Kiếm", TODAY)
    for i, data in enumerate(forms, start=1):
        page.page(data, i, len(forms))
        c.showPage()
    return [p for p in c.pages if p]


def baseline(pages: list[list[tuple]], out: Path) -> float:
    """Plain reportlab: the same strings at the same places, nothing else."""
    t = time.perf_counter()
    c = Canvas(str(out), pagesize=A4, pageCompression=1, initialFontName=SERIF)
    for ops in pages:
        for how, font, size, x, y, text in ops:
            c.setFont(font, size)
            if how == "l":
                c.drawString(x, y, text)
            elif how == "c":
                c.drawCentredString(x, y, text)
            else:
                c.drawRightString(x, y, text)
        c.showPage()
    c.save()
    return time.perf_counter() - t


def full(db: Path, n: int, out: Path) -> tuple[float, int]:
    """The real thing: open the database, select, load, render with QR codes, write atomically."""
    t = time.perf_counter()
    with Store(db) as store:
        ids = select_enterprises(store, FormSelection(unit_code=WARD, include_inactive=True, today=TODAY))[:n]
        forms = load_forms(store, ids)
    vf.render_visit_forms(out, forms, unit_title="Phường Hoàn Kiếm", printed_on=TODAY)
    return time.perf_counter() - t, len(forms)


def bench_reports(n: int) -> None:
    """The report (a ward, and its province with the ward table) and the Excel list, n enterprises in 4 wards."""
    from app.printing.report_pdf import render_report
    from app.reports.excel import export_enterprises, export_report
    from app.reports.results import Period, report_for

    with tempfile.TemporaryDirectory() as tmp:
        tmpd = Path(tmp)
        db = tmpd / "khaosat.sqlite3"
        t = time.perf_counter()
        with Store(db) as s:
            s.set_profile(unit_code=WARD, collaborator="Trần Văn Nam", role=Role.WARD_OFFICE)
            for i, ward in enumerate((WARD, "00004", "00008", "00025")):
                generate(s, DemoOptions(ward, enterprises=n // 4, seed=i, today=TODAY))
        print(
            f"\nreports: {n} enterprises in 4 wards of province 01 ({time.perf_counter() - t:.1f} s, not measured)"
        )
        with Store(db) as s:
            for unit in (WARD, "01"):
                t = time.perf_counter()
                report, settings = report_for(s, unit, Period.year(2025))
                t_compute = time.perf_counter() - t
                t = time.perf_counter()
                render_report(tmpd / "r.pdf", report, settings)
                t_pdf = time.perf_counter() - t
                t = time.perf_counter()
                export_report(tmpd / "r.xlsx", report)
                t_xlsx = time.perf_counter() - t
                print(
                    f"report {unit}: numbers {t_compute:.2f} s, PDF {t_pdf:.2f} s, xlsx {t_xlsx:.2f} s "
                    f"({report.enterprises} enterprises)"
                )
            t = time.perf_counter()
            rows = export_enterprises(tmpd / "ds.xlsx", s)
            t_list = time.perf_counter() - t
            print(
                f"enterprise list .xlsx: {rows} rows in {t_list:.2f} s ({rows / t_list:,.0f} rows/s), "
                f"{(tmpd / 'ds.xlsx').stat().st_size / 1e6:.1f} MB"
            )


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--forms", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--report-enterprises", type=int, default=20000, help="0 skips the report part")
    args = ap.parse_args()
    register()
    if args.report_enterprises:
        bench_reports(args.report_enterprises)
    with tempfile.TemporaryDirectory() as tmp:
        tmpd = Path(tmp)
        db = tmpd / "khaosat.sqlite3"
        t = time.perf_counter()
        with Store(db) as s:
            s.set_profile(unit_code=WARD, collaborator="Trần Văn Nam", role=Role.WARD_OFFICE)
            generate(s, DemoOptions(WARD, enterprises=args.forms, seed=11, today=TODAY))
        print(f"demo data: {args.forms} enterprises in {time.perf_counter() - t:.1f} s (not measured)")
        with Store(db) as s:
            forms = load_forms(
                s,
                select_enterprises(s, FormSelection(unit_code=WARD, include_inactive=True, today=TODAY))[
                    : args.forms
                ],
            )
        pages = record_text(forms)
        strings = sum(len(p) for p in pages)
        print(
            f"forms: {len(forms)}, pages: {len(pages)}, strings drawn: {strings} ({strings / len(pages):.0f} a page)"
        )

        t = time.perf_counter()
        codes = [qr.matrix(formcode.visit_form_code(f.enterprise.id, f.enterprise.tax_code)) for f in forms]
        t_qr = time.perf_counter() - t
        t = time.perf_counter()
        for f in forms[:100]:
            qr.matrix(formcode.visit_form_code(f.enterprise.id, f.enterprise.tax_code), best_mask=True)
        t_best = (time.perf_counter() - t) / min(100, len(forms)) * len(forms)
        print(
            f"QR matrices alone: {t_qr:.2f} s fixed mask ({len(codes[0])}x{len(codes[0])}); "
            f"{t_best:.2f} s if all eight masks were scored"
        )

        # for comparison: reportlab's QrCodeWidget, one drawing object per module (50 pages)
        from reportlab.graphics import renderPDF
        from reportlab.graphics.barcode.qr import QrCodeWidget
        from reportlab.graphics.shapes import Drawing

        c = Canvas(io.BytesIO(), pagesize=A4)
        t = time.perf_counter()
        for f in forms[:50]:
            w = QrCodeWidget(formcode.visit_form_code(f.enterprise.id, f.enterprise.tax_code))
            x0, y0, x1, y1 = w.getBounds()
            d = Drawing(65, 65, transform=[65 / (x1 - x0), 0, 0, 65 / (y1 - y0), 0, 0])
            d.add(w)
            renderPDF.draw(d, c, 100, 100)
            c.showPage()
        c.save()
        t_widget = (time.perf_counter() - t) / 50 * 1000
        t = time.perf_counter()
        c = Canvas(io.BytesIO(), pagesize=A4)
        for f in forms[:50]:
            qr.draw(c, formcode.visit_form_code(f.enterprise.id, f.enterprise.tax_code), 100, 100, 65)
            c.showPage()
        c.save()
        t_path = (time.perf_counter() - t) / 50 * 1000
        print(f"one QR code on a page: QrCodeWidget {t_widget:.1f} ms, one path {t_path:.2f} ms")

        fulls, bases = [], []
        for _ in range(args.repeat):  # interleaved so both see the same machine state
            tf, n = full(db, args.forms, tmpd / "forms.pdf")
            fulls.append(tf)
            bases.append(baseline(pages, tmpd / "baseline.pdf"))
        f_med, b_med = statistics.median(fulls), statistics.median(bases)
        size = (tmpd / "forms.pdf").stat().st_size
        print(
            f"full (db + layout + boxes + QR + atomic write): median {f_med:.2f} s "
            f"({f_med / n * 1000:.2f} ms a form), runs {', '.join(f'{x:.2f}' for x in fulls)}; "
            f"PDF {size / 1e6:.1f} MB"
        )
        print(
            f"baseline (same strings, plain reportlab):       median {b_med:.2f} s "
            f"({b_med / n * 1000:.2f} ms a page), runs {', '.join(f'{x:.2f}' for x in bases)}"
        )
        ratio = f_med / b_med
        ok = f_med < 10 and ratio <= 1.5
        print(
            f"ratio full/baseline: {ratio:.2f} (target <= 1.5); under 10 s: {f_med < 10} -> "
            f"{'OK' if ok else 'MISSED'}"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
