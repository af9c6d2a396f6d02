"""Đọc phiếu đã điền: read filled-in paper forms from photos or scans, review them, save visits.

The menu action asks for files (photos, scans, PDFs); reading runs in a task worker with a
progress dialog that can cancel (``app.scan.reader``, ``app.services.scanning``); the review dialog
(``app.gui.scan.review``) then shows each page's values beside the images of their areas, the
uncertain ones first, and saves each page as a visit through the same validation and change log as
a typed visit.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QFileDialog

from app.gui.actions import ActionSpec

if TYPE_CHECKING:
    from app.gui.main_window import MainWindow
    from app.gui.scan.review import ReviewDialog


class ScanFeature:
    """Reading filled-in forms, on the main window (``window.scan``)."""

    def __init__(self, window: MainWindow):
        self.review: ReviewDialog | None = None  # the open review, kept alive while open; tests reach it here
        add_actions(window)


FILE_FILTER = "Ảnh chụp, ảnh quét, PDF (*.jpg *.jpeg *.png *.tif *.tiff *.bmp *.webp *.pdf);;Mọi tệp (*)"


@dataclass
class ReviewItem:
    """One page for the review: what was read, and either the visit to review or why it cannot be."""

    page: Any  # app.scan.reader.PageRead
    form: Any = None  # app.services.scanning.ScannedForm, or None when refused
    problem: str = ""  # Vietnamese: why the page cannot become a visit
    crops: dict[str, Any] | None = None  # field name -> PIL image of its area
    saved_visit: str | None = None  # the id of the visit saved from it


def read_pages(paths: list[str], expected_enterprise: str | None = None):
    """The work of reading (runs in a task worker): ``fn(store, ctx)`` returning ReviewItems."""

    def work(store, ctx):
        from app.scan.reader import READ, SKIPPED, read_files
        from app.services.scanning import ScanRefused, prepare

        items: list[ReviewItem] = []
        pages = read_files(
            paths,
            progress=lambda done, total, page: ctx.progress(done, total, f"Đã đọc {page.where}"),
            cancelled=lambda: ctx.cancelled,
        )
        for page in pages:
            ctx.check()
            if page.status == SKIPPED:
                continue
            item = ReviewItem(page)
            if page.status != READ:
                item.problem = page.reason
            else:
                try:
                    item.form = prepare(store, page, expected_enterprise=expected_enterprise)
                except ScanRefused as exc:
                    item.problem = str(exc)
                item.crops = {f.field.name: page.crop(f.field.name) for f in page.fields}
            page.forget_images()  # the straightened pages are not kept: the crops are enough
            items.append(item)
        ctx.check()
        return items

    return work


def read_forms(window: MainWindow, paths: list[str] | None = None):
    """Ask for files, read them with progress, then open the review."""
    if paths is None:
        chosen, _ = QFileDialog.getOpenFileNames(
            window, "Chọn ảnh chụp hoặc ảnh quét phiếu đã điền", "", FILE_FILTER
        )
        paths = list(chosen)
    if not paths:
        return None

    def done(items: list[ReviewItem]) -> None:
        if not items:
            window.show_status("Không có trang đánh dấu nào để đọc trong các tệp đã chọn.")
            return
        open_review(window, items)

    def failed(failure: Any) -> None:
        from app.gui.tasks import Cancelled
        from app.scan.images import ScanInputError

        exc = getattr(failure, "exception", failure)
        if isinstance(exc, Cancelled):
            window.show_status("Đã dừng đọc phiếu; chưa lưu gì.")
        elif isinstance(exc, ScanInputError):
            window.show_error("Không đọc được phiếu", str(exc))
        else:
            from app.gui.failures import explain

            window.show_error(
                "Không đọc được phiếu", explain(failure, "Chưa đọc được các phiếu đã chọn"), exc
            )

    return window.tasks.run_with_progress(
        window,
        "Đang đọc phiếu đã điền…",
        read_pages([str(Path(p)) for p in paths]),
        done,
        on_error=failed,
        write=False,
    )


def open_review(window: MainWindow, items: list[ReviewItem]):
    from app.gui.scan.review import ReviewDialog

    dialog = ReviewDialog(window, items)
    window.scan.review = dialog
    dialog.show()
    return dialog


def add_actions(window: MainWindow) -> None:
    window.actions.add(
        ActionSpec(
            "scan.read",
            "Đọc phiếu đã đ&iền…",
            lambda w: read_forms(w),
            "printing",
            "Ctrl+Shift+O",
            "Chọn ảnh chụp hoặc ảnh quét các trang đánh dấu của phiếu khảo sát (trang 2, và trang 3 nếu có): "
            "chương trình đọc các ô đã tô, "
            "bạn xem lại rồi lưu",
            section=1,
        )
    )
