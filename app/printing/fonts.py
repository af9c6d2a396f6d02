"""The serif font of every printed document: Liberation Serif (SIL OFL 1.1, shipped in
``resources/fonts/`` with its licence), metric-compatible with Times New Roman and complete for
Vietnamese. Registered with reportlab once, on first use, and embedded (subset) in each PDF.
"""

from __future__ import annotations

import functools
from pathlib import Path

from app.paths import resources_dir

SERIF = "KhaoSatSerif"
SERIF_BOLD = "KhaoSatSerif-Bold"
SERIF_ITALIC = "KhaoSatSerif-Italic"
SERIF_BOLD_ITALIC = "KhaoSatSerif-BoldItalic"

_FILES = {
    SERIF: "LiberationSerif-Regular.ttf",
    SERIF_BOLD: "LiberationSerif-Bold.ttf",
    SERIF_ITALIC: "LiberationSerif-Italic.ttf",
    SERIF_BOLD_ITALIC: "LiberationSerif-BoldItalic.ttf",
}


class FontError(Exception):
    """The fonts are missing from the installation (Vietnamese message)."""


def fonts_dir() -> Path:
    return resources_dir() / "fonts"


@functools.cache
def register() -> None:
    """Register the four faces and the family (for <b>/<i> in paragraphs). Idempotent."""
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    for name, file in _FILES.items():
        path = fonts_dir() / file
        if not path.is_file():
            raise FontError(
                f"Thiếu phông chữ {file} trong {fonts_dir()}. Hãy cài lại KhaoSat để in được tiếng Việt."
            )
        pdfmetrics.registerFont(TTFont(name, str(path)))
    addMapping(SERIF, 0, 0, SERIF)
    addMapping(SERIF, 1, 0, SERIF_BOLD)
    addMapping(SERIF, 0, 1, SERIF_ITALIC)
    addMapping(SERIF, 1, 1, SERIF_BOLD_ITALIC)
    pdfmetrics.registerFontFamily(
        SERIF, normal=SERIF, bold=SERIF_BOLD, italic=SERIF_ITALIC, boldItalic=SERIF_BOLD_ITALIC
    )
