"""Cell text to field values, forgiving of how lists are typed: tax codes and phone numbers that
lost their leading zero in a number cell, "1.549" workforce, "120 người", a founding date where a
year is wanted, a legal form or VSIC code written out in words.

Each parser returns ``(value, problem)``: a Vietnamese problem when the text cannot be read.
``read`` reads a cell for any declared field (``app/domain/fields.py``), by its kind.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from app.domain.fields import FieldInfo, Kind
from app.domain.text import clean, fold, search_key
from app.domain.vnformat import parse_date, parse_int
from app.domain.vocab import VSIC_SECTIONS, EnterpriseStatus, LegalForm

_COUNT_RE = re.compile(r"^\s*([\d.\s]+?)\s*(nguoi|ng|ld|lao dong|cn)?\s*$")


def tax_code(text: str) -> str:
    """The tax code as typed, with a leading zero put back where a number cell dropped it."""
    t = clean(text).replace(" ", "").replace(".", "")
    # 9 and 11 digits are never a code: a number cell dropped the zero of 0xxxxxxxxx (enterprise)
    # or 0xxxxxxxxxxx (personal ID); 12 digits not starting with 0 are a branch code 0xxxxxxxxxNNN.
    if t.isdigit() and (len(t) in (9, 11) or (len(t) == 12 and not t.startswith("0"))):
        return "0" + t
    return clean(text)


def phone(text: str) -> str | None:
    t = clean(text)
    if t.isdigit() and len(t) in (9, 10) and not t.startswith("0"):
        return "0" + t  # a number cell drops the leading zero of 09xx / 02xx numbers
    return t or None


def count(text: str) -> tuple[int | None, str | None]:
    t = clean(text)
    if t.isdigit():
        return int(t), None
    if not t or t in ("-", "–"):
        return None, None
    m = _COUNT_RE.match(fold(t))
    candidate = m.group(1).replace(" ", "") if m else t
    if re.fullmatch(r"\d{1,3}(,\d{3})+", candidate):
        candidate = candidate.replace(",", "")  # grouped the English way by an Excel set to en-US
    try:
        return parse_int(candidate), None
    except ValueError:
        return None, f"«{t}» không phải là số nguyên."


def year(text: str) -> tuple[int | None, str | None]:
    t = clean(text)
    if not t:
        return None, None
    if re.fullmatch(r"\d{4}", t):
        return int(t), None
    try:
        d = parse_date(t)
    except ValueError:
        m = re.fullmatch(r"(?:\d{1,2}\s*[/.-]\s*)?(\d{4})", t)  # "02/2015" or "2015"
        if m:
            return int(m.group(1)), None
        return None, f"«{t}» không phải là năm (ví dụ 2015) hoặc ngày (ví dụ 27/02/2015)."
    return (d.year if d else None), None


_FORM_WORDS: list[tuple[tuple[str, ...], LegalForm]] = [
    (("mot thanh vien", "1 thanh vien", "mtv", "1tv"), LegalForm.LLC_ONE),
    (("hai thanh vien", "2 thanh vien", "2tv", "tnhh", "trach nhiem huu han"), LegalForm.LLC_MULTI),
    (("co phan", "ctcp", "cty cp", "cong ty cp", "cp"), LegalForm.JSC),
    (("hop danh",), LegalForm.PARTNERSHIP),
    (("doanh nghiep tu nhan", "dntn", "tu nhan"), LegalForm.PRIVATE),
    (("hop tac xa", "htx"), LegalForm.COOPERATIVE),
    (("ho kinh doanh", "hkd", "ho ca the", "ca the"), LegalForm.HOUSEHOLD),
]


def legal_form(text: str) -> LegalForm | None:
    """A legal form written in words ("Công ty TNHH MTV", "CTCP", "DNTN") or as our code."""
    key = f" {search_key(text)} "
    if not key.strip():
        return None
    parsed = LegalForm.parse(text.strip())
    if parsed:
        return parsed  # type: ignore[return-value]
    for words, form in _FORM_WORDS:
        if any(f" {w} " in key for w in words):
            return form
    return None


# VSIC 2018 divisions (2 digits) -> section letter.
_DIVISIONS = [
    (1, 3, "A"),
    (5, 9, "B"),
    (10, 33, "C"),
    (35, 35, "D"),
    (36, 39, "E"),
    (41, 43, "F"),
    (45, 47, "G"),
    (49, 53, "H"),
    (55, 56, "I"),
    (58, 63, "J"),
    (64, 66, "K"),
    (68, 68, "L"),
    (69, 75, "M"),
    (77, 82, "N"),
    (84, 84, "O"),
    (85, 85, "P"),
    (86, 88, "Q"),
    (90, 93, "R"),
    (94, 96, "S"),
    (97, 98, "T"),
    (99, 99, "U"),
]


def vsic_section(text: str) -> tuple[str | None, str | None]:
    """A section letter from "C", a VSIC code ("1410", "C1410"), or a section's name in words."""
    t = clean(text)
    if not t:
        return None, None
    up = t.upper()
    if len(up) == 1 and up in VSIC_SECTIONS:
        return up, None
    m = re.fullmatch(r"([A-U])?\s*(\d{2,5})", up)
    if m:
        if m.group(1):
            return m.group(1), None
        division = int(m.group(2)[:2])
        for lo, hi, letter in _DIVISIONS:
            if lo <= division <= hi:
                return letter, None
    key = search_key(t)
    for letter, label in VSIC_SECTIONS.items():
        if search_key(label) == key:
            return letter, None
    return None, f"Không nhận ra ngành «{t}»; để trống ngành kinh tế (cần chữ cái A–U hoặc mã ngành VSIC)."


_STATUS_WORDS = [
    (("dang hoat dong", "hoat dong", "binh thuong"), EnterpriseStatus.ACTIVE),
    (("tam ngung", "tam dung", "ngung hoat dong", "tam nghi"), EnterpriseStatus.SUSPENDED),
    (("giai the", "pha san", "cham dut"), EnterpriseStatus.DISSOLVED),
    (("chuyen di", "chuyen dia ban", "chuyen dia diem"), EnterpriseStatus.MOVED),
]


def status(text: str) -> tuple[EnterpriseStatus | None, str | None]:
    key = search_key(text)
    if not key:
        return None, None
    parsed = EnterpriseStatus.parse(text.strip())
    if parsed:
        return parsed, None  # type: ignore[return-value]
    # the more specific words first: "ngừng hoạt động" is not "hoạt động"
    for words, value in reversed(_STATUS_WORDS):
        if any(w in key for w in words):
            return value, None
    return None, f"Không hiểu tình trạng «{clean(text)}»; coi là đang hoạt động."


def yes(text: str) -> bool:
    return search_key(text) in ("x", "co", "c", "1", "yes", "y", "fdi", "dung", "true")


def _legal_form_cell(text: str) -> tuple[LegalForm | None, str | None]:
    form = legal_form(text)
    return form, (None if form else f"không nhận ra loại hình «{clean(text)}».")


def _choice(info: FieldInfo, text: str) -> tuple[Any, str | None]:
    """A coded value written as its code or its label (folded)."""
    t, key = clean(text), search_key(text)
    for code, label in info.choices:
        if t == code or key in (search_key(code), search_key(label)):
            return (info.enum(code) if info.enum else code), None
    return None, f"không nhận ra «{t}»; để trống {info.label.lower()}."


# the choices lists write in their own words: (value, warning)
_CHOICE_READERS: dict[str, Callable[[str], tuple[Any, str | None]]] = {
    "legal_form": _legal_form_cell,
    "vsic_section": vsic_section,
    "status": status,
}


def read(info: FieldInfo, text: str) -> tuple[Any, str | None, str | None]:
    """A cell's value for a declared field, read by its kind: ``(value, problem, warning)``. A problem
    leaves the row out (a count that is not a number); a warning only leaves the field empty (a legal
    form not recognised). None: the cell says nothing."""
    kind = info.kind
    if kind in (Kind.COUNT, Kind.INTEGER):
        n, problem = count(text)
        return n, problem, None
    if kind is Kind.YEAR:
        y, problem = year(text)
        return y, problem, None
    if kind is Kind.DATE:
        try:
            return parse_date(clean(text)), None, None
        except ValueError:
            return None, f"«{clean(text)}» không phải là ngày (ví dụ 27/02/2024).", None
    if kind is Kind.YES_NO:
        return yes(text), None, None
    if kind is Kind.CHOICE:
        value, warning = _CHOICE_READERS.get(info.name, lambda t: _choice(info, t))(text)
        return value, None, warning
    if kind is Kind.PHONE:
        return phone(text), None, None
    if kind is Kind.TAX_CODE:
        return tax_code(text), None, None
    return clean(text) or None, None, None
