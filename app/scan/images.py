"""Pages as images, from phone photos, scanner output and folders of them.

- JPEG, PNG, TIFF (every page), BMP, WebP: turned upright as the camera recorded it (EXIF
  orientation), made grey. A photo taken sideways or upside down is fine: the QR code tells the
  reader which way is up.
- PDF (a scanner's multi-page output, or a form printed to PDF): every page rendered with PDFium
  (``pypdfium2``) at 200 dpi.
- A folder: every such file in it, by name.

Large images are reduced so that the longest side is at most ``MAX_SIDE`` pixels (a 600 dpi scan
or a 48-megapixel photo reads as well and much faster at that size).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp", ".webp"})
PDF_SUFFIX = ".pdf"
PDF_DPI = 200
MAX_SIDE = 3200
MAX_PIXELS = 200_000_000  # Pillow refuses bigger images (decompression bombs) with its own error


class ScanInputError(ValueError):
    """A file cannot be read as pages (Vietnamese message)."""


@dataclass
class SourcePage:
    """One page image: where it came from, and the picture in grey ("L")."""

    source: str  # file path
    index: int  # page in the file, from 0
    count: int  # pages in the file
    image: Image.Image

    @property
    def where(self) -> str:
        """For messages: "phieu.pdf, trang 3" or "anh.jpg"."""
        name = os.path.basename(self.source)
        return f"{name}, trang {self.index + 1}" if self.count > 1 else name


def supported(path: str | os.PathLike[str]) -> bool:
    suffix = Path(path).suffix.lower()
    return suffix in IMAGE_SUFFIXES or suffix == PDF_SUFFIX


def expand(paths: list[str | os.PathLike[str]]) -> list[Path]:
    """Files to read: each file given, and every supported file of each folder given (by name)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out += sorted(
                (f for f in p.iterdir() if f.is_file() and supported(f)), key=lambda f: f.name.lower()
            )
        elif p.exists():
            if not supported(p):
                raise ScanInputError(
                    f"Tệp «{p.name}» không phải ảnh hay PDF. KhaoSat đọc ảnh JPEG, PNG, TIFF và tệp PDF của máy quét."
                )
            out.append(p)
        else:
            raise ScanInputError(f"Không có tệp hoặc thư mục «{p}».")
    return out


def _grey(img: Image.Image) -> Image.Image:
    img = ImageOps.exif_transpose(img) or img
    if img.mode in ("RGBA", "LA", "P", "PA"):
        img = img.convert("RGBA")
        white = Image.new("RGBA", img.size, (255, 255, 255, 255))
        img = Image.alpha_composite(white, img)
    if img.mode == "I;16" or img.mode == "I":
        img = img.point(lambda v: v / 256)
    if img.mode != "L":
        img = img.convert("L")
    longest = max(img.size)
    if longest > MAX_SIDE:
        factor = MAX_SIDE / longest
        img = img.resize((round(img.width * factor), round(img.height * factor)), Image.Resampling.BOX)
    return img


def _image_pages(path: Path) -> Iterator[Image.Image]:
    try:
        with Image.open(path) as img:
            frames = getattr(img, "n_frames", 1)
            for frame in ImageSequence.Iterator(img) if frames > 1 else [img]:
                frame.load()
                yield _grey(frame.copy() if frames > 1 else frame)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise ScanInputError(
            f"Không đọc được ảnh «{path.name}»: tệp hỏng hoặc không phải ảnh ({exc})."
        ) from None


def _pdf_pages(path: Path) -> Iterator[Image.Image]:
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        raise ScanInputError(f"Không mở được tệp PDF «{path.name}» ({exc}).") from None
    try:
        for i in range(len(pdf)):
            page = pdf[i]
            try:
                w, h = page.get_size()
                scale = min(PDF_DPI / 72, MAX_SIDE / max(w, h, 1))
                bitmap = page.render(scale=scale, grayscale=True)  # pyright: ignore[reportArgumentType] (pypdfium2 annotates scale as int; it takes a float)
                yield _grey(bitmap.to_pil())
            finally:
                page.close()
    finally:
        pdf.close()


def page_count(path: Path) -> int:
    if path.suffix.lower() == PDF_SUFFIX:
        import pypdfium2 as pdfium

        try:
            pdf = pdfium.PdfDocument(str(path))
        except pdfium.PdfiumError as exc:
            raise ScanInputError(f"Không mở được tệp PDF «{path.name}» ({exc}).") from None
        try:
            return len(pdf)
        finally:
            pdf.close()
    try:
        with Image.open(path) as img:
            return getattr(img, "n_frames", 1)
    except (UnidentifiedImageError, OSError) as exc:
        raise ScanInputError(
            f"Không đọc được ảnh «{path.name}»: tệp hỏng hoặc không phải ảnh ({exc})."
        ) from None


def load_pages(path: str | os.PathLike[str]) -> Iterator[SourcePage]:
    """Every page of one file, in order."""
    p = Path(path)
    count = page_count(p)
    pages = _pdf_pages(p) if p.suffix.lower() == PDF_SUFFIX else _image_pages(p)
    for i, image in enumerate(pages):
        yield SourcePage(str(p), i, count, image)
