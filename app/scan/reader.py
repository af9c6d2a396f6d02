"""Read filled-in visit forms from files: every page found, identified, straightened and read.

``read_files(paths)`` yields one ``PageRead`` per page image (a PDF's pages, a TIFF's frames,
each photo, each file of a folder), in order. A page is

- ``READ``: a mark sheet of the current layout, its fields read (``app.scan.marks``). When the
  sheet has more than one page (its fields overflow one: ``app.scan.layout.sheet_layouts``), the
  pages of one form, read one after the other (page 2, then 3, ...), come as one ``PageRead`` with
  every field (``more`` holds the following pages); a page whose companion pages are not read just
  before or after it is refused, never read as a visit with fields missing;
- ``SKIPPED``: page 1 of a form (the enterprise's details: nothing to read), said so;
- ``REFUSED``: not readable, with the reason in Vietnamese (no QR code, another program's QR
  code, a form printed with another layout or version, corners missing, ...).

Nothing here touches the database: which enterprise a page belongs to, and saving, is
``app.services.scanning``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from PIL import Image

from app.domain import formcode as qrcodes
from app.scan import images, locate, marks
from app.scan.layout import SheetLayout, sheet_layouts

READ = "read"
SKIPPED = "skipped"
REFUSED = "refused"


@dataclass
class PageRead:
    source: str
    index: int  # page in its file, from 0
    where: str  # "phieu.pdf, trang 3" (for messages)
    status: str
    reason: str = ""  # Vietnamese: why skipped or refused
    code: qrcodes.FormCode | None = None
    fields: list[marks.FieldRead] = field(default_factory=list)
    page: Image.Image | None = None  # the straightened page (grey, 200 dpi): crops for the review
    marks_found: int = 0
    seconds: float = 0.0
    more: list[PageRead] = field(default_factory=list)  # the sheet's following pages (3, ...), read

    def field(self, name: str) -> marks.FieldRead:
        for f in self.fields:
            if f.field.name == name:
                return f
        raise KeyError(name)

    def crop(self, name: str, pad: int = 6) -> Image.Image:
        """The image of one field's area on the straightened page."""
        for other in self.more:
            if any(f.field.name == name for f in other.fields):
                return other.crop(name, pad)
        if self.page is None:
            raise ValueError("page not read")
        x0, y0, x1, y1 = self.field(name).rect
        return self.page.crop((max(0, x0 - pad), max(0, y0 - pad), x1 + pad, y1 + pad))

    def forget_images(self) -> None:
        """Drop the straightened pages (once the crops are taken)."""
        self.page = None
        for other in self.more:
            other.page = None


def read_image(
    image: Image.Image, where: str = "", layout: SheetLayout | tuple[SheetLayout, ...] | None = None
) -> PageRead:
    """Read one page image (grey) of the sheet ``layout`` (its pages; default: the program's)."""
    layouts = sheet_layouts() if layout is None else (layout,) if isinstance(layout, SheetLayout) else layout
    start = time.perf_counter()
    result = _read(image, where, layouts)
    result.seconds = time.perf_counter() - start
    return result


def _read(image: Image.Image, where: str, layouts: tuple[SheetLayout, ...]) -> PageRead:
    def refused(reason: str, code: qrcodes.FormCode | None = None) -> PageRead:
        return PageRead("", 0, where, REFUSED, reason, code)

    found = locate.read_qr(image)
    codes: list[tuple[locate.QrFound, qrcodes.FormCode]] = []
    problems = []
    for q in found:
        try:
            codes.append((q, qrcodes.parse_form_code(q.text)))
        except qrcodes.FormCodeError as exc:
            problems.append(str(exc))
    if not codes:
        if problems:
            return refused(problems[0])
        return refused(
            "Không tìm thấy mã QR của phiếu. Hãy chụp lại cả trang cho rõ, đủ sáng, không bị lóa; "
            "nếu quét thì quét ở 150 dpi trở lên."
        )
    if len(codes) > 1:
        return refused("Ảnh có nhiều hơn một phiếu: hãy chụp hoặc quét từng trang riêng.")
    q, code = codes[0]
    if code.kind != "visit":
        return refused("Đây là phiếu đăng ký khóa máy, không phải phiếu khảo sát.", code)
    if code.version == qrcodes.FORM_VERSION:
        return refused(
            f"Phiếu mẫu {code.version} (in trước khi có ô đánh dấu) không đọc bằng máy được: hãy nhập tay "
            "vào KhaoSat, hoặc in phiếu mới để lần sau đọc bằng máy.",
            code,
        )
    if code.page == 1:
        return PageRead(
            "",
            0,
            where,
            SKIPPED,
            "Trang 1 của phiếu (thông tin doanh nghiệp): không có ô đánh dấu để đọc.",
            code,
        )
    last = 1 + len(layouts)
    if code.page is None or not 2 <= code.page <= last:
        return refused(f"Mã QR ghi trang {code.page}, phiếu khảo sát chỉ có {last} trang.", code)
    layout = layouts[code.page - 2]
    if code.layout != layout.layout_id:
        return refused(
            f"Phiếu in theo mẫu ô đánh dấu {code.layout}, khác mẫu của KhaoSat này ({layout.layout_id}): "
            "danh sách câu hỏi đã thay đổi hoặc phiếu do phiên bản KhaoSat khác in. Hãy nhập tay phiếu này.",
            code,
        )
    try:
        loc = locate.locate(image, q, layout)
    except locate.LocateError as exc:
        return refused(str(exc), code)
    page = locate.straighten(image, loc)
    reads = marks.read_marks(page, layout)
    return PageRead("", 0, where, READ, "", code, reads, page.image, loc.marks_found)


ProgressFn = Callable[[int, int, PageRead], None]


def read_files(
    paths: list[str | os.PathLike[str]],
    progress: ProgressFn | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> Iterator[PageRead]:
    """Every page of every file (folders expanded), read in order.

    ``progress(done, total, page)`` after each page; ``cancelled()`` is checked between pages.
    Raises ``images.ScanInputError`` for a path that does not exist or is not an image or PDF.
    """
    files = images.expand(paths)
    counts = []
    for f in files:
        try:
            counts.append(images.page_count(f))
        except images.ScanInputError:
            counts.append(1)
    total = sum(counts)
    done = 0
    layouts = sheet_layouts()
    sheet = _Sheets(len(layouts))
    for f in files:
        try:
            pages = list(images.load_pages(f)) if f.suffix.lower() != images.PDF_SUFFIX else None
            iterator = iter(pages) if pages is not None else images.load_pages(f)
            for sp in iterator:
                if cancelled and cancelled():
                    return
                result = read_image(sp.image, sp.where, layouts)
                result.source, result.index = sp.source, sp.index
                done += 1
                if progress:
                    progress(done, total, result)
                yield from sheet.add(result)
        except images.ScanInputError as exc:
            result = PageRead(str(f), 0, f.name, REFUSED, str(exc))
            done += 1
            if progress:
                progress(done, total, result)
            yield from sheet.add(result)
    yield from sheet.flush()


class _Sheets:
    """Puts the pages of a sheet of several pages together: page 2, then 3, ... of one form (the same
    enterprise, or both blank), read one right after the other."""

    def __init__(self, pages: int):
        self.pages = pages
        self.pending: PageRead | None = None

    def _expected(self) -> int:
        assert self.pending is not None
        return 3 + len(self.pending.more)

    def add(self, page: PageRead) -> Iterator[PageRead]:
        if self.pages == 1:
            yield page
            return
        sheet_page = page.code.page if page.status == READ and page.code is not None else None
        if self.pending is not None:
            p = self.pending
            if (
                sheet_page == self._expected()
                and page.code is not None
                and p.code is not None
                and (page.code.enterprise_id, page.code.tax_code) == (p.code.enterprise_id, p.code.tax_code)
            ):
                p.more.append(page)
                p.fields = p.fields + page.fields
                p.where = f"{p.where} + {page.where}"
                p.marks_found = min(p.marks_found, page.marks_found)
                p.seconds += page.seconds
                if len(p.more) == self.pages - 1:
                    self.pending = None
                    yield p
                return
            yield from self.flush()
        if sheet_page == 2:
            self.pending = page
        elif sheet_page is not None:
            yield _alone(page, f"Trang {sheet_page} của phiếu phải đọc cùng các trang trước nó")
        else:
            yield page

    def flush(self) -> Iterator[PageRead]:
        if self.pending is not None:
            p, self.pending = self.pending, None
            yield _alone(p, f"Thiếu trang {3 + len(p.more)} của phiếu này")


def _alone(page: PageRead, what: str) -> PageRead:
    """A page of a sheet read without the others: refused (its visit would miss fields)."""
    page.status = REFUSED
    page.reason = (
        f"{what}: các câu hỏi của phiếu nằm trên {_pages_text()}. Hãy chọn cùng lúc ảnh hoặc tệp quét "
        "của các trang đó, theo thứ tự trang."
    )
    page.fields, page.page = [], None
    for other in page.more:
        other.page = None
    page.more = []
    return page


def _pages_text() -> str:
    n = len(sheet_layouts())
    return "trang 2 và 3" if n == 2 else f"các trang 2 đến {n + 1}"
