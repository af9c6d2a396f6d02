"""In ấn: visit forms (selected enterprise, batches, blank), the report of results, Excel exports,
the key registration form, and opening an enterprise from the code printed on a form.

The work runs in ``window.tasks`` workers through ``app.printing`` and ``app.reports`` (Qt-free);
the finished PDF or workbook is opened in the system's viewer (``QDesktopServices``), from where the
user prints it. Files go to the ``ban-in`` folder of the data folder, each under a new name (a PDF
still open in a viewer is locked on Windows and could not be replaced).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QMessageBox, QWidget

from app.gui.actions import ActionSpec
from app.gui.tasks import failure_message
from app.services.print_settings import MARK_SHEET_DEFAULT

if TYPE_CHECKING:
    from app.gui.main_window import MainWindow

OUT_FOLDER = "ban-in"


def _open_in_viewer(path: Path) -> None:
    if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))):
        raise OSError(f"Không mở được {path}: máy chưa có chương trình xem tệp này.")


class PrintingFeature:
    """The In ấn menu's state on the main window (``window.printing``): where files go, how they
    are opened, the open dialog."""

    def __init__(self, window: MainWindow, opener: Callable[[Path], None] | None = None):
        self.window = window
        self.opener = opener or _open_in_viewer  # tests replace it to see what would be opened
        self.today: Callable[[], date] = date.today
        self.last_paths: list[Path] = []
        # visit forms with their mark sheet (page 2, read back by «Đọc phiếu đã điền»): the
        # checkable «In kèm trang đánh dấu» in the menu, a setting of the data folder
        # (app.services.print_settings). This copy is for what the window says; the print
        # tasks read the setting itself in their worker.
        self.marks = MARK_SHEET_DEFAULT
        self.dialog: QWidget | None = None  # the open dialog, kept alive while open; tests reach it here
        self.question: QMessageBox | None = None  # "print so many pages?", open; tests answer it
        add_actions(window)
        window.actions.action("print.marks").setChecked(self.marks)
        self._load_marks(window)

    def _load_marks(self, window: MainWindow) -> None:
        """Read the remembered choice (in a worker) and tick the menu item to match."""
        from app.services.print_settings import mark_sheet

        def loaded(on: bool) -> None:
            self.marks = on
            window.actions.action("print.marks").setChecked(on)

        window.tasks.read(mark_sheet, loaded, self.failed("Không đọc được thiết lập"))

    @property
    def out_dir(self) -> Path:
        return Path(self.window.data_dir) / OUT_FOLDER

    def out_path(self, stem: str, suffix: str) -> Path:
        """A new file name in the output folder (call in a worker: it creates the folder)."""
        from app.domain.text import fold

        self.out_dir.mkdir(parents=True, exist_ok=True)
        safe = "-".join(fold(stem).replace("/", " ").split())[:80] or "ban-in"
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        path = self.out_dir / f"{safe}-{stamp}{suffix}"
        n = 2
        while path.exists():
            path = self.out_dir / f"{safe}-{stamp}-{n}{suffix}"
            n += 1
        return path

    def done(self, paths: Path | list[Path], message: str = "") -> None:
        paths = paths if isinstance(paths, list) else [paths]
        self.last_paths = paths
        for p in paths:
            try:
                self.opener(p)
            except OSError as exc:
                from app.fileio import os_error_message

                self.window.show_error("Không mở được tệp", f"{os_error_message(exc, p)}\nTệp đã ghi ở: {p}")
                return
        self.window.show_status(
            message or f"Đã ghi {', '.join(p.name for p in paths)} (thư mục {self.out_dir})."
        )

    def failed(self, title: str) -> Callable[[Any], None]:
        def show(failure: Any) -> None:
            from app.gui.tasks import Cancelled

            exc = getattr(failure, "exception", failure)
            if isinstance(exc, Cancelled):
                self.window.show_status("Đã hủy; không ghi tệp nào.")
                return
            self.window.show_error(title, message(exc), exc)

        return show


def message(exc: BaseException) -> str:
    """A Vietnamese message for what went wrong in a printing task."""
    from app.domain.formcode import FormCodeError
    from app.domain.units import UnknownUnitError
    from app.fileio import OutputError
    from app.printing.fonts import FontError
    from app.reports.results import ReportError
    from app.reports.settings import SettingsError
    from app.services.enterprise_lookup import SelectionError
    from app.services.machine import NoKeyError

    if isinstance(
        exc,
        (
            OutputError,
            FontError,
            FormCodeError,
            SelectionError,
            UnknownUnitError,
            ReportError,
            SettingsError,
            NoKeyError,
        ),
    ):
        return str(exc)
    known = failure_message(exc)  # a full disk, a write-protected or pulled-out stick...
    if known is not None:
        return known
    from app.gui.failures import explain

    return explain(exc, "Chưa tạo được tệp")


# --- the actions --------------------------------------------------------------------------------


def print_selected(window: MainWindow) -> None:
    from app.printing.visit_form import render_visit_forms, unit_title_for
    from app.services.form_batches import load_forms

    f = window.printing
    eid = window.selected_enterprise_id()
    if eid is None:
        window.show_status("Hãy chọn một doanh nghiệp trong danh sách.")
        return
    unit_title = unit_title_for(window.profile.unit_code)
    today = f.today()

    def work(store):
        from app.services.print_settings import mark_sheet

        forms = load_forms(store, [eid], today)
        if not forms:
            from app.services.enterprise_lookup import SelectionError

            raise SelectionError("Doanh nghiệp này không còn (đã bị xóa).")
        path = f.out_path(f"phieu-khao-sat {forms[0].enterprise.tax_code}", ".pdf")
        render_visit_forms(
            path,
            forms,
            unit_title=unit_title,
            printed_on=today,
            marks=mark_sheet(store),
            practice=store.is_practice,
        )
        return path

    window.tasks.read(
        work, lambda p: f.done(p, f"Đã in phiếu khảo sát: {p.name}"), f.failed("Không in được phiếu khảo sát")
    )


def print_batch(window: MainWindow):
    from app.gui.printing.dialogs import BatchDialog

    dialog = BatchDialog(window, window.printing)
    window.printing.dialog = dialog
    dialog.open()
    return dialog


def run_batch(window: MainWindow, selection: Any) -> None:
    """Print the forms of every enterprise matching ``selection`` (a FormSelection), with progress."""
    from app.services.enterprise_lookup import SelectionError
    from app.services.form_batches import select_enterprises

    def ids(store):
        found = select_enterprises(store, selection)
        if not found:
            raise SelectionError("Không có doanh nghiệp nào khớp điều kiện đã chọn; không ghi tệp.")
        return found

    _print_forms(window, selection.unit_code, ids)


MAX_LIST_FORMS = 5000
# A batch of more pages than this is asked about first (the number of pages, the paper it takes);
# one page per enterprise.
ASK_ABOVE_PAGES = 50
SHEETS_PER_REAM = 500


def print_shown_list(window: MainWindow) -> None:
    """The forms of the enterprises the list shows now (its search and filters), in its order."""
    from app.services import enterprise_list as el
    from app.services.enterprise_lookup import SelectionError

    query = window.list_panel.model.query

    def ids(store):
        n = el.count(store, query)
        if n == 0:
            raise SelectionError("Danh sách đang trống; không có phiếu nào để in.")
        if n > MAX_LIST_FORMS:
            raise SelectionError(
                f"Danh sách đang hiện {n:,} doanh nghiệp; hãy lọc bớt (mỗi lần in tối đa "
                f"{MAX_LIST_FORMS:,} phiếu).".replace(",", ".")
            )
        return [row["id"] for row in el.page(store, query, 0, n)]

    _print_forms(window, window.profile.unit_code, ids)


def pages_text(pages: int, per_form: int = 1) -> str:
    """ "1.076 trang (1.076 doanh nghiệp, mỗi doanh nghiệp một trang), khoảng 2,2 gam giấy A4"."""
    from app.domain.vnformat import format_decimal, format_int

    forms = pages // per_form
    each = "một trang" if per_form == 1 else f"{per_form} trang"
    text = f"{format_int(pages)} trang ({format_int(forms)} doanh nghiệp, mỗi doanh nghiệp {each})"
    if pages >= SHEETS_PER_REAM // 2:
        text += f", khoảng {format_decimal(pages / SHEETS_PER_REAM, 1)} gam giấy A4"
    return text


def print_enterprises(window: MainWindow, unit_code: str | None, choose_ids: Any) -> None:
    """Print the forms of the enterprises ``choose_ids(store)`` returns (read in a worker), in that order:
    the page count said first and asked about when large, then one PDF with progress, opened."""
    _print_forms(window, unit_code, choose_ids)


def _print_forms(window: MainWindow, unit_code: str | None, choose_ids: Any) -> None:
    """Choose the enterprises (in a worker), say how many pages and ask when they are many, then
    render their forms into one PDF with progress and open it."""
    f = window.printing

    def choose(store):
        from app.services.print_settings import mark_sheet

        return choose_ids(store), mark_sheet(store)

    def chosen(result: tuple[list[str], bool]) -> None:
        from app.services.print_settings import pages_per_form

        ids, marks = result
        f.marks = marks
        per_form = pages_per_form(marks)
        if len(ids) * per_form <= ASK_ABOVE_PAGES:
            _render_forms(window, unit_code, ids, marks)
            return
        from app.domain.vnformat import format_int

        box = QMessageBox(
            QMessageBox.Icon.Question,
            "In nhiều phiếu",
            f"Sẽ in {pages_text(len(ids) * per_form, per_form)}.\n\nIn tất cả?",
            QMessageBox.StandardButton.NoButton,
            window,
        )
        box.setObjectName("pages_box")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        go = box.addButton(f"&In {format_int(len(ids) * per_form)} trang", QMessageBox.ButtonRole.AcceptRole)
        stop = box.addButton("&Không in", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(stop)
        box.setEscapeButton(stop)

        def clicked(button: Any) -> None:
            if button is go:
                _render_forms(window, unit_code, ids, marks)
            else:
                window.show_status("Không in; chưa ghi tệp nào.")

        box.buttonClicked.connect(clicked)
        box.open()
        window.printing.question = box  # tests answer it

    window.tasks.read(choose, chosen, f.failed("Không in được phiếu khảo sát"))


def _render_forms(window: MainWindow, unit_code: str | None, ids: list[str], marks: bool) -> None:
    from app.printing.visit_form import render_visit_forms, unit_title_for
    from app.services.form_batches import load_forms

    f = window.printing
    unit_title = unit_title_for(unit_code)
    today = f.today()

    def work(store, ctx):
        ctx.progress(0, len(ids), f"Đang đọc {len(ids)} doanh nghiệp…")
        forms = load_forms(store, ids, today)
        path = f.out_path(f"phieu-khao-sat {len(forms)} doanh nghiep", ".pdf")

        def progress(done: int, total: int) -> None:
            ctx.check()
            ctx.progress(done, total, f"Đã in {done}/{total} phiếu")

        render_visit_forms(
            path,
            forms,
            unit_title=unit_title,
            printed_on=today,
            progress=progress,
            marks=marks,
            practice=store.is_practice,
        )
        return path, len(forms)

    window.tasks.run_with_progress(
        window,
        "Đang in phiếu khảo sát…",
        work,
        lambda r: f.done(r[0], f"Đã in {r[1]} phiếu khảo sát vào {r[0].name}."),
        f.failed("Không in được phiếu khảo sát"),
        write=False,
    )


def print_blank(window: MainWindow) -> None:
    from app.printing.visit_form import render_visit_forms, unit_title_for

    f = window.printing
    unit_title = unit_title_for(window.profile.unit_code)
    today = f.today()

    def work(store):
        from app.services.print_settings import mark_sheet

        path = f.out_path("phieu-khao-sat-trong", ".pdf")
        render_visit_forms(
            path,
            [None],
            unit_title=unit_title,
            printed_on=today,
            marks=mark_sheet(store),
            practice=store.is_practice,
        )
        return path

    window.tasks.read(
        work, lambda p: f.done(p, f"Đã in phiếu trống: {p.name}"), f.failed("Không in được phiếu trống")
    )


def toggle_marks(window: MainWindow) -> None:
    """«In kèm trang đánh dấu»: remember whether visit forms have their mark sheet (page 2)."""
    from app.services.print_settings import set_mark_sheet

    action = window.actions.action("print.marks")
    on = action.isChecked()

    def saved(_r: Any) -> None:
        window.printing.marks = on
        window.show_status(
            "Phiếu khảo sát in từ giờ có trang đánh dấu (từ trang 2) để đọc lại bằng «Đọc phiếu đã điền»."
            if on
            else "Phiếu khảo sát in từ giờ chỉ có một trang, không có trang đánh dấu; "
            "không đọc lại bằng máy được."
        )

    def failed(failure: Any) -> None:
        action.setChecked(not on)  # not remembered: the menu says what will be printed
        window.printing.failed("Không lưu được thiết lập")(failure)

    window.tasks.write(lambda store: set_mark_sheet(store, on), saved, failed)


def open_report(window: MainWindow):
    from app.gui.printing.dialogs import ReportDialog

    dialog = ReportDialog(window, window.printing)
    window.printing.dialog = dialog
    dialog.open()
    return dialog


def run_report(
    window: MainWindow, unit_code: str, period: Any, *, pdf: bool, xlsx: bool, number: str | None
) -> None:
    from app.printing.report_pdf import render_report
    from app.reports.excel import export_report
    from app.reports.results import report_for

    f = window.printing
    today = f.today()

    def work(store):
        report, settings = report_for(store, unit_code, period, today)
        stem = f"bao-cao {unit_code} {period.start.year}"
        paths = []
        if pdf:
            paths.append(f.out_path(stem, ".pdf"))
            render_report(paths[-1], report, settings, number=number, on=today, practice=store.is_practice)
        if xlsx:
            paths.append(f.out_path(stem, ".xlsx"))
            export_report(paths[-1], report, practice=store.is_practice)
        return paths, report

    def done(result):
        paths, report = result
        f.done(
            paths,
            f"Báo cáo {report.period.label} của {report.unit_name}: "
            f"{report.targets_reached}/{report.targets_set} chỉ tiêu đạt và vượt.",
        )

    window.tasks.read(work, done, f.failed("Không lập được báo cáo"))


def open_report_settings(window: MainWindow) -> None:
    """Load the settings in a worker, then show the dialog."""
    from app.reports.settings import load

    unit = window.profile.unit_code or "01"

    def show(result: tuple[Any, dict[str, str]]) -> None:
        from app.gui.printing.dialogs import ReportSettingsDialog

        dialog = ReportSettingsDialog(window, *result)
        window.printing.dialog = dialog
        dialog.open()

    def work(store: Any) -> tuple[Any, dict[str, str]]:
        from app.services import office_settings

        # the local keys an office above set (this machine cannot change them) -> "do ... giao"
        given = {
            office_settings.LOCAL_KEYS[e.field]: e.where for e in office_settings.effective(store) if e.locked
        }
        return load(store, unit), given

    window.tasks.read(work, show, window.printing.failed("Không đọc được thiết lập"))


def save_report_settings(window: MainWindow, values: dict[str, Any]) -> None:
    """Store the report settings (one transaction). Empty texts fall back to the unit's defaults."""

    def work(store: Any) -> None:
        with store.transaction():
            for key, value in values.items():
                store.set_setting(key, value if value not in ("", []) else None)

    window.tasks.write(
        work,
        lambda _r: window.show_status("Đã lưu thiết lập báo cáo."),
        window.printing.failed("Không lưu được thiết lập"),
    )


def export_enterprises(window: MainWindow) -> None:
    from PySide6.QtWidgets import QFileDialog

    f = window.printing
    dialog = QFileDialog(
        window, "Xuất danh sách doanh nghiệp ra Excel", str(Path.home()), "Tệp Excel (*.xlsx)"
    )
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    dialog.setDefaultSuffix("xlsx")
    dialog.selectFile(f"danh-sach-doanh-nghiep-{f.today():%Y%m%d}.xlsx")
    dialog.fileSelected.connect(lambda path: run_enterprise_export(window, Path(path)))
    window.printing.dialog = dialog
    dialog.open()


def run_enterprise_export(window: MainWindow, path: Path, unit_code: str | None = None) -> None:
    from app.domain.vnformat import format_int
    from app.reports.excel import export_enterprises as export

    f = window.printing
    if path.suffix.lower() != ".xlsx":
        path = path.with_suffix(".xlsx")

    def work(store, ctx):
        def progress(done: int, total: int) -> None:
            ctx.check()
            ctx.progress(done, total, f"Đã ghi {format_int(done)}/{format_int(total)} doanh nghiệp")

        return export(path, store, unit_code, progress), path

    window.tasks.run_with_progress(
        window,
        "Đang xuất danh sách doanh nghiệp…",
        work,
        lambda r: f.done(r[1], f"Đã xuất {format_int(r[0])} doanh nghiệp vào {r[1]}."),
        f.failed("Không xuất được danh sách"),
        write=False,
    )


def print_key_form(window: MainWindow) -> None:
    from app.printing.keyform import render_key_form
    from app.services.machine import this_machine

    f = window.printing
    today = f.today()

    def work(store):
        data = this_machine(store, on=today)
        path = f.out_path(f"phieu-dang-ky-khoa {data.laptop_id}", ".pdf")
        render_key_form(path, data, practice=store.is_practice)
        return path

    window.tasks.read(
        work,
        lambda p: f.done(p, f"Đã in phiếu đăng ký khóa: {p.name}"),
        f.failed("Không in được phiếu đăng ký khóa"),
    )


def open_by_code(window: MainWindow):
    """Type or scan the code of a printed form: the enterprise opens."""
    from PySide6.QtWidgets import QInputDialog

    dialog = QInputDialog(window)
    dialog.setObjectName("form_code_dialog")
    dialog.setWindowTitle("Mở doanh nghiệp theo mã phiếu")
    dialog.setLabelText(
        "Quét mã QR trên phiếu khảo sát, hoặc gõ mã in ở chân phiếu\n(dạng KHAOSAT:F1:…), rồi nhấn Enter:"
    )
    dialog.setOkButtonText("&Mở")
    dialog.setCancelButtonText("Đó&ng")
    dialog.textValueSelected.connect(lambda text: go_to_code(window, text))
    window.printing.dialog = dialog
    dialog.open()
    return dialog


def go_to_code(window: MainWindow, text: str) -> None:
    from app.domain.formcode import FormCodeError, parse_form_code
    from app.services.enterprise_lookup import resolve_enterprise

    try:
        code = parse_form_code(text)
    except FormCodeError as exc:
        window.show_error("Mã phiếu không đúng", str(exc))
        return
    if code.kind != "visit":
        from app.gui.remedies import KEYS

        window.show_error(
            "Không phải phiếu khảo sát",
            f"Đây là mã phiếu đăng ký khóa của máy {code.laptop_id} (dấu vân tay {code.fingerprint}): "
            "hãy đối chiếu dấu vân tay này khi đăng ký máy đó.",
            remedy=KEYS,
        )
        return

    def found(e: Any) -> None:
        window.open_enterprise(e.id)
        window.show_status(f"Đã mở {e.name} ({e.tax_code}) theo mã phiếu.")

    window.tasks.read(
        lambda store: resolve_enterprise(store, text),
        found,
        window.printing.failed("Không tìm thấy doanh nghiệp"),
    )


def _has_selection(window: MainWindow) -> bool:
    return window.selected_enterprise_id() is not None


def add_actions(window: MainWindow) -> None:
    # a code scanned or typed into the enterprise search box, then Enter, opens that enterprise
    window.list_panel.sig_form_code.connect(lambda text: go_to_code(window, text))
    a = window.actions
    a.add_menu("printing", "&In ấn")
    a.add(
        ActionSpec(
            "print.form",
            "In &phiếu khảo sát doanh nghiệp đang chọn",
            print_selected,
            "printing",
            "Ctrl+P",
            "Phiếu khảo sát điền sẵn thông tin đã có, mở bằng trình xem PDF để in",
            toolbar=True,
            short="In phiếu",
            enabled=_has_selection,
        )
    )
    a.add(
        ActionSpec(
            "print.batch",
            "In phiếu cho &nhiều doanh nghiệp…",
            print_batch,
            "printing",
            "Ctrl+Shift+P",
            "Chưa khảo sát trong mấy tháng, hoặc hẹn khảo sát trong tuần: một tệp PDF, có số trang",
        )
    )
    a.add(
        ActionSpec(
            "print.list",
            "In phiếu cho &danh sách đang hiện",
            print_shown_list,
            "printing",
            None,
            "Mỗi doanh nghiệp đang hiện trong danh sách (theo tìm kiếm và bộ lọc) một trang, cùng thứ tự",
        )
    )
    a.add(
        ActionSpec(
            "print.blank",
            "In phiếu &trống",
            print_blank,
            "printing",
            None,
            "Phiếu khảo sát chưa điền, cho doanh nghiệp chưa có trong danh sách",
        )
    )
    a.add(
        ActionSpec(
            "print.code",
            "&Mở doanh nghiệp theo mã phiếu…",
            open_by_code,
            "printing",
            "Ctrl+G",
            "Quét hoặc gõ mã trên phiếu khảo sát đã in để mở đúng doanh nghiệp",
            section=1,
        )
    )
    a.add(
        ActionSpec(
            "print.marks",
            "In kèm t&rang đánh dấu (đọc lại bằng máy)",
            toggle_marks,
            "printing",
            None,
            "Phiếu khảo sát có trang đánh dấu (từ trang 2) với ô tròn, ô vuông để chụp ảnh hoặc quét rồi "
            "đọc lại bằng máy "
            "(bỏ chọn để in một trang, không đọc lại được)",
            section=1,
            checkable=True,
        )
    )
    a.add(
        ActionSpec(
            "print.report",
            "&Báo cáo kết quả so với chỉ tiêu…",
            open_report,
            "printing",
            None,
            "Báo cáo theo thể thức văn bản (PDF) và bảng Excel",
            section=2,
        )
    )
    a.add(
        ActionSpec(
            "print.report_settings",
            "Thiết &lập báo cáo…",
            open_report_settings,
            "printing",
            None,
            "Thể thức văn bản (Đảng hoặc nhà nước), cơ quan ban hành, người ký, cách làm tròn, ngưỡng "
            "quy mô lao động",
            section=2,
        )
    )
    a.add(
        ActionSpec(
            "print.enterprises_xlsx",
            "Xuất danh sách doanh nghiệp ra &Excel…",
            export_enterprises,
            "printing",
            None,
            "Mọi doanh nghiệp, một dòng mỗi doanh nghiệp",
            section=2,
        )
    )
    a.add(
        ActionSpec(
            "print.keyform",
            "In phiếu đăng ký &khóa máy",
            print_key_form,
            "printing",
            None,
            "Dấu vân tay khóa của máy này bằng số lớn và mã QR, để đăng ký với cơ quan tiếp nhận",
            section=3,
        )
    )
