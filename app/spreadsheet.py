"""Cells of the workbooks KhaoSat writes (report and list exports, the import's error file).

Text from data is always a string cell, never a formula: openpyxl turns any string that starts with
``=`` into a formula, so an enterprise named ``=HYPERLINK(...)`` or a list cell ``=cmd|' /C calc'!A0``
would become live in the file we hand back. Text that starts with ``=``, ``+``, ``-``, ``@`` (or a
tab or carriage return) also gets Excel's "quote prefix", so it stays text even after someone edits
the cell. Characters a workbook cannot hold (C0 control characters, lone surrogates) are shown as
U+FFFD instead of failing the whole file.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

UNSAFE_START = ("=", "+", "-", "@", "\t", "\r")
_NOT_IN_XML_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def is_unsafe(text: str) -> bool:
    """Whether Excel would read ``text`` typed into a cell as a formula."""
    return text.startswith(UNSAFE_START)


def sheet_text(value: str) -> str:
    """NFC text that an .xlsx can hold: characters XML forbids become U+FFFD."""
    return _NOT_IN_XML_RE.sub("\ufffd", unicodedata.normalize("NFC", value))


def text_cell(cell: Any, value: str) -> Any:
    """Put ``value`` in ``cell`` (a Cell or WriteOnlyCell) as a plain string, never a formula."""
    value = sheet_text(value)
    cell.value = value
    cell.data_type = "s"
    if is_unsafe(value):
        cell.quotePrefix = True
    return cell
