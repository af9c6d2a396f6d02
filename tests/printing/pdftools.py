"""Reading back what was printed: text with pypdf and pdftotext, QR codes with pdftoppm + zbarimg."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

POPPLER = shutil.which("pdftotext") and shutil.which("pdftoppm")
ZBAR = shutil.which("zbarimg")


def need_tools(*names: str) -> None:
    missing = [n for n in names if shutil.which(n) is None]
    if missing:
        message = f"missing tools {missing}: apt-get install poppler-utils zbar-tools"
        if os.environ.get("CI"):  # CI installs them from .ci/apt-packages: their absence is a failure there
            pytest.fail(message)
        pytest.skip(message)  # a bare developer machine skips with the reason


def pypdf_pages(path: Path) -> list[str]:
    return [p.extract_text() or "" for p in PdfReader(str(path)).pages]


def pdftotext(path: Path, first: int | None = None, last: int | None = None, layout: bool = False) -> str:
    need_tools("pdftotext")
    cmd = ["pdftotext", "-enc", "UTF-8"]
    if layout:
        cmd.append("-layout")
    if first:
        cmd += ["-f", str(first)]
    if last:
        cmd += ["-l", str(last)]
    cmd += [str(path), "-"]
    return subprocess.run(cmd, capture_output=True, check=True).stdout.decode("utf-8")


def page_count(path: Path) -> int:
    return len(PdfReader(str(path)).pages)


def render_page(path: Path, page: int, dpi: int, prefix: Path) -> Path:
    """``page`` of ``path`` rendered in grey by pdftoppm at ``dpi``: the PNG written at ``prefix``.png."""
    need_tools("pdftoppm")
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-png", "-gray", "-f", str(page), "-l", str(page), "-singlefile"]
        + [str(path), str(prefix)],
        check=True,
        capture_output=True,
    )
    return prefix.with_suffix(".png")


def qr_codes(path: Path, page: int = 1, dpi: int = 150, tmp: Path | None = None) -> list[str]:
    """Texts of the QR codes on ``page``, decoded by zbarimg from a pdftoppm rendering."""
    need_tools("pdftoppm", "zbarimg")
    png = render_page(path, page, dpi, (tmp or path.parent) / f"{path.stem}-qr-p{page}")
    r = subprocess.run(
        ["zbarimg", "-q", "--raw", "-Sdisable", "-Sqrcode.enable", str(png)], capture_output=True
    )
    return [line for line in r.stdout.decode("utf-8").splitlines() if line]


def qr_codes_per_page(path: Path, dpi: int = 150, tmp: Path | None = None) -> list[list[str]]:
    """The QR texts of every page, page by page (one pdftoppm and one zbarimg run per page)."""
    return [qr_codes(path, page=i, dpi=dpi, tmp=tmp) for i in range(1, page_count(path) + 1)]
