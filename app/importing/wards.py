"""Placing a row in a ward: from a ward code, a ward name, or the address.

Names match with or without diacritics and with any of the prefixes people write ("Phường",
"P.", "F.", "Xã", "X.", "Đặc khu"...), and "Phường 01" = "P.1". The search is restricted to the
importing laptop's province when it is known. Addresses are read from the right (the ward comes
after the street); parts naming a province or an abolished district ("Quận ...", "Huyện ...")
are not wards.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from app.domain import units
from app.domain.text import search_key
from app.domain.units import Unit

_WARD_PREFIX_RE = re.compile(r"^(phuong|p|xa|x|f|thi tran|tt|dac khu|dk)\s+(.+)$")
_GLUED_NUMBER_RE = re.compile(r"^(?:phuong|p|f)(\d{1,2})$")
# Abolished districts and provinces: never a ward, even when a ward now has the same name
# ("Quận Hoàn Kiếm" is not "Phường Hoàn Kiếm"). Streets, hamlets and house numbers need no rule: a
# part is looked up whole, so "Đường Lê Lợi" never matches a ward, while "Dương Nội" does.
_OTHER_LEVEL_RE = re.compile(r"^(quan|q|huyen|h|thi xa|tx|thanh pho|tp|tinh|t)\b")
_SPLIT_RE = re.compile(r"[,;]")
_DASH_RE = re.compile(r"\s[-–]\s")
_INNER_PREFIX_RE = re.compile(r"(?:^|\s)(phuong|xa|p|f|thi tran|dac khu)\s+(\S.*)$")
_PROVINCE_PREFIX_RE = re.compile(r"^(tinh|thanh pho|tp)\s+")


def _numbers(key: str) -> str:
    return " ".join(str(int(w)) if w.isdigit() else w for w in key.split())


def ward_key(name: str) -> str:
    """Folded ward name without its prefix, numbers without leading zeros: "Phường 05" -> "5"."""
    return _strip_prefix(search_key(name))


def _strip_prefix(key: str) -> str:
    m = _GLUED_NUMBER_RE.match(key)
    if m:
        key = m.group(1)
    else:
        m = _WARD_PREFIX_RE.match(key)
        if m:
            key = m.group(2)
    return _numbers(key)


def _keys(name: str, key: str | None = None) -> list[str]:
    """Keys to look a name up by: without its prefix, then whole (a ward may be named "Xa ...")."""
    key = search_key(name) if key is None else key
    first, whole = _strip_prefix(key), _numbers(key)
    return [first] if first == whole else [first, whole]


@dataclass(frozen=True)
class Placement:
    unit: Unit | None
    problem: str | None = None  # Vietnamese: why the row could not be placed

    @property
    def ok(self) -> bool:
        return self.unit is not None


class WardMatcher:
    def __init__(self, province_code: str | None = None):
        self.province_code = province_code
        self.province = units.province(province_code) if province_code else None
        self._by_key = _index(province_code)
        self._provinces = {search_key(p.short_name): p.code for p in units.provinces()}
        self._cache: dict[str, Placement] = {}

    def _where(self) -> str:
        return f" trong {self.province.name}" if self.province else ""

    def by_code(self, text: str) -> Placement:
        raw = text.strip()
        digits = raw.split(".")[0] if raw.replace(".", "").isdigit() else raw
        code = digits.zfill(5) if digits.isdigit() and len(digits) <= 5 else digits
        unit = units.ward(code)
        if unit is None:
            return Placement(None, f"Mã phường, xã «{raw}» không có trong danh mục (mã gồm 5 chữ số).")
        if self.province_code and unit.province_code != self.province_code:
            prov = units.province(unit.province_code)
            return Placement(
                None,
                f"Mã {code} là {unit.name} thuộc {prov.name if prov else unit.province_code}, "
                f"không thuộc {self.province.name if self.province else self.province_code}.",
            )
        return Placement(unit)

    def _lookup(self, text: str, key: str | None = None) -> list[Unit]:
        for k in _keys(text, key):
            found = self._by_key.get(k)
            if found:
                return found
        return []

    def by_name(self, text: str, provinces_hint: set[str] | None = None) -> Placement:
        found = self._lookup(text)
        if not found:
            return Placement(None, f"Không có phường, xã tên «{text.strip()}»{self._where()}.")
        return self._one(found, text, provinces_hint)

    def _one(self, found: list[Unit], text: str, hint: set[str] | None) -> Placement:
        if len(found) == 1:
            return Placement(found[0])
        if hint:
            narrowed = [u for u in found if u.province_code in hint]
            if len(narrowed) == 1:
                return Placement(narrowed[0])
        names = "; ".join(f"{u.name} ({(units.province(u.province_code) or u).name})" for u in found[:5])
        return Placement(
            None, f"«{text.strip()}» trùng tên nhiều phường, xã: {names}. Hãy ghi mã phường, xã."
        )

    def from_address(self, address: str) -> Placement:
        if address in self._cache:
            return self._cache[address]
        result = self._from_address(address)
        self._cache[address] = result
        return result

    def _from_address(self, address: str) -> Placement:
        # comma parts; a part with a dash is tried whole first ("Văn Miếu - Quốc Tử Giám" is one
        # ward), then piece by piece ("Tổ 5 - P. Hoàn Kiếm")
        parts: list[str] = []
        for comma_part in _SPLIT_RE.split(address):
            comma_part = comma_part.strip()
            if not comma_part:
                continue
            pieces = [x.strip() for x in _DASH_RE.split(comma_part) if x.strip()]
            parts += pieces[:-1]
            if len(pieces) > 1:
                parts.append(pieces[-1])
            parts.append(comma_part)  # tried first: the loop below goes right to left
        parts = list(dict.fromkeys(parts))
        keys = [search_key(p) for p in parts]
        hint = set()
        for k in keys:
            k = _PROVINCE_PREFIX_RE.sub("", k)
            if k in self._provinces:
                hint.add(self._provinces[k])
        explicit, bare = [], []
        for index in range(len(parts) - 1, -1, -1):
            key = keys[index]
            if not key:
                continue
            if _WARD_PREFIX_RE.match(key) or _GLUED_NUMBER_RE.match(key):
                explicit.append((parts[index], key))
            elif index > 0 and not _OTHER_LEVEL_RE.match(key) and not key[0].isdigit():
                bare.append((parts[index], key))
        for text, key in explicit + bare:
            found = self._lookup(text, key)
            if found:
                return self._one(found, text, hint)
        # last resort: a ward prefix inside a part written without commas ("Số 5 phường Hoàn Kiếm Hà Nội");
        # the longest run of words after it that names a ward
        for key in reversed(keys):
            for m in _INNER_PREFIX_RE.finditer(key):
                words = m.group(2).split()
                for n in range(min(len(words), 5), 0, -1):
                    found = self._by_key.get(_numbers(" ".join(words[:n])))
                    if found:
                        placed = self._one(found, " ".join(words[:n]), hint)
                        if placed.ok:
                            return placed
        if explicit:
            return Placement(
                None,
                f"«{explicit[0][0]}» không có trong danh mục phường, xã sau sắp xếp năm 2025"
                f"{self._where()}. Hãy ghi tên hoặc mã phường, xã mới.",
            )
        return Placement(None, f"Không xác định được phường, xã từ địa chỉ «{address.strip()}».")


@functools.cache
def _index(province_code: str | None) -> dict[str, list[Unit]]:
    out: dict[str, list[Unit]] = {}
    for u in units.wards(province_code):
        for key in _keys(u.short_name):
            out.setdefault(key, []).append(u)
    return out
