"""How visit forms are printed: with their mark sheet (the default) or on one page.

A visit form has two pages by default: the enterprise's details (part A) and the mark sheet
(part B as bubbles and boxes that «Đọc phiếu đã điền» and ``khaosat scan`` read back). An office
with a real reason (no way to photograph or scan, paper counted sheet by sheet) turns the mark sheet
off; the choice is a setting of the data folder, so it is remembered by the window and the command
line alike.
"""

from __future__ import annotations

from typing import Any

MARK_SHEET = "print.mark_sheet"
MARK_SHEET_DEFAULT = True


def mark_sheet(store: Any) -> bool:
    """Whether visit forms are printed with their mark sheet (page 2)."""
    value = store.setting(MARK_SHEET, MARK_SHEET_DEFAULT)
    return value if isinstance(value, bool) else MARK_SHEET_DEFAULT


def set_mark_sheet(store: Any, on: bool) -> None:
    """Remember the choice (one transaction)."""
    store.set_setting(MARK_SHEET, bool(on))


def pages_per_form(marks: bool) -> int:
    """Printed pages of one visit form: the details, then the mark sheet's pages (usually one)."""
    if not marks:
        return 1
    from app.scan.layout import sheet_layouts

    return 1 + len(sheet_layouts())
