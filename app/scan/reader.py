"""Read filled-in visit forms from files: every page found, identified, straightened and read.

``read_files(paths)`` yields one ``PageRead`` per page image (a PDF's pages, a TIFF's frames,
each photo, each file of a folder), in order. A page is

- ``READ``: a mark sheet of the current layout, its fields read (``app.scan.marks``);
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
from app.scan.layout import SheetLayout, sheet_layout

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

    def field(self, name: str) -> marks.FieldRead:
        for f in self.fields:
            if f.field.name == name:
                return f
        raise KeyError(name)

    def crop(self, name: str, pad: int = 6) -> Image.Image:
        """The image of one field's area on the straightened page."""
        if self.page is None:
            raise ValueError("page not read")
        x0, y0, x1, y1 = self.field(name).rect
        return self.page.crop((max(0, x0 - pad), max(0, y0 - pad), x1 + pad, y1 + pad))


def read_image(image: Image.Image, where: str = "", layout: SheetLayout | None = None) -> PageRead:
    """Read one page image (grey)."""
    layout = layout or sheet_layout()
    start = time.perf_counter()
    result = _read(image, where, layout)
    result.seconds = time.perf_counter() - start
    return result


def _read(image: Image.Image, where: str, layout: SheetLayout) -> PageRead:
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
    if code.page != 2:
        return refused(f"Mã QR ghi trang {code.page}, phiếu khảo sát chỉ có 2 trang.", code)
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
    layout = sheet_layout()
    for f in files:
        try:
            pages = list(images.load_pages(f)) if f.suffix.lower() != images.PDF_SUFFIX else None
            iterator = iter(pages) if pages is not None else images.load_pages(f)
            for sp in iterator:
                if cancelled and cancelled():
                    return
                result = read_image(sp.image, sp.where, layout)
                result.source, result.index = sp.source, sp.index
                done += 1
                if progress:
                    progress(done, total, result)
                yield result
        except images.ScanInputError as exc:
            result = PageRead(str(f), 0, f.name, REFUSED, str(exc))
            done += 1
            if progress:
                progress(done, total, result)
            yield result
