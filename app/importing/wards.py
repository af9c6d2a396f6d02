"""Placing a row in a ward: from a ward code, a ward name, or the address.

Names match with or without diacritics and with any of the prefixes people write ("Phường",
"P.", "F.", "Xã", "X.", "Đặc khu"...), and "Phường 01" = "P.1". The search is restricted to the
importing laptop's province when it is known. Addresses are read from the right (the ward comes
after the street); parts naming a province or an abolished district ("Quận ...", "Huyện ...")
are not wards.

Addresses written before the 2025 reform ("Phường Hàng Bài, Quận Hoàn Kiếm, Hà Nội") are placed with
the official conversion table (``app.importing.old_units``): an address naming a district is an old one,
so its ward is looked up among the old wards of that district first; an old ward that went whole into
one ward of today is placed there (the row says how), one split between several is left for a person
to choose, with the candidates named.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from app.domain import units
from app.domain.text import search_key, tone_key
from app.domain.units import Unit
from app.importing import old_units

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
    note: str | None = None  # Vietnamese: how an old (pre-2025) address was placed

    @property
    def ok(self) -> bool:
        return self.unit is not None


_CACHED_ADDRESSES = 10_000


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
            old = self._old(text, None, None)
            if old is not None:
                return old
            return Placement(None, f"Không có phường, xã tên «{text.strip()}»{self._where()}.")
        return self._one(found, text, provinces_hint)

    # --- addresses of before the 2025 reform ------------------------------------------------------

    def _old(
        self, ward: str, district: str | None, province: str | None, folded: str | None = None
    ) -> Placement | None:
        """An old ward (with its old district and province when the address gives them) in today's
        wards; None when no old ward of this name is known (here)."""
        found = old_units.find(ward, district, province, folded=folded)
        if self.province_code:
            found = [w for w in found if any(u.province_code == self.province_code for u in w.new)]
        if not found:
            return None
        if len(found) > 1:
            names = "; ".join(w.label for w in found[:4])
            return Placement(
                None,
                f"«{ward.strip()}» (trước năm 2025) trùng tên nhiều phường, xã cũ: {names}. "
                "Hãy ghi thêm quận, huyện cũ, hoặc tên hay mã phường, xã mới.",
            )
        w = found[0]
        new = [u for u in w.new if not self.province_code or u.province_code == self.province_code]
        if len(new) == 1:
            return Placement(
                new[0], note=f"Địa chỉ trước năm 2025: {w.name}, {w.district} → nay thuộc {new[0].name}."
            )
        names = ", ".join(f"{u.name} ({u.code})" for u in new)
        namesake = [u for u in new if old_units.ward_key(u.name) == old_units.ward_key(w.name)]
        if len(namesake) == 1:  # split, one part keeping the name: most of it, as a rule; said, to check
            return Placement(
                namesake[0],
                note=f"Địa chỉ trước năm 2025: {w.name}, {w.district}, nay được chia cho {names}; đã xếp vào "
                f"{namesake[0].name} (cùng tên): hãy kiểm tra lại.",
            )
        return Placement(
            None,
            f"{w.name}, {w.district} (trước năm 2025) nay được chia cho nhiều phường, xã: {names}. "
            "Hãy ghi tên hoặc mã phường, xã mới.",
        )

    def _from_old_address(self, parts: list[str], keys: list[str]) -> Placement | None:
        """An address written the old way: a ward, then its district ("Quận Hoàn Kiếm", or a bare name
        that is the district of an old ward of the part before it: "Hàng Bài, Hoàn Kiếm")."""
        for d in range(len(parts) - 1, 0, -1):
            if not keys[d] or "," in parts[d]:
                continue
            district = parts[d]
            marked = old_units.is_district(district)
            province = next(
                (parts[i] for i in range(len(parts) - 1, d, -1) if keys[i] and "," not in parts[i]), None
            )
            for index in range(d - 1, -1, -1):  # the ward is written before its district
                key = keys[index]
                if not key or key[0].isdigit() or "," in parts[index]:
                    continue
                placed = self._old(parts[index], district, province, key)
                if placed is not None:
                    return placed
                if not marked:
                    break  # a bare part is a district only right after its ward
        return None

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
        if len(self._cache) >= _CACHED_ADDRESSES:  # most addresses differ: a list of 200,000 is not held
            self._cache.clear()
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
        old = self._from_old_address(parts, keys)
        if old is not None:
            return old  # placed, or an old ward split between several of today's (candidates named)
        explicit, bare = [], []
        last = max((i for i, k in enumerate(keys) if k), default=-1)
        province_part = (
            parts[last] if last > 0 and old_units.province_key(parts[last]) in _old_provinces() else None
        )
        for index in range(len(parts) - 1, -1, -1):
            key = keys[index]
            if not key:
                continue
            if _WARD_PREFIX_RE.match(key) or _GLUED_NUMBER_RE.match(key):
                explicit.append((parts[index], key))
            elif index > 0 and not _OTHER_LEVEL_RE.match(key) and not key[0].isdigit():
                if province_part is not None and parts[index] in province_part:
                    continue  # "..., Bình Dương": the province it was in, not today's Phường Bình Dương
                bare.append((parts[index], key))
        gone = parts[last] if last >= 0 and old_units.province_key(parts[last]) in _gone_provinces() else None
        if gone is not None:  # "..., Bình Dương": a province merged away in 2025, so an old address
            for text, _key in explicit + bare:
                placed = self._old(text, None, gone)
                if placed is not None:
                    return placed
        for text, key in explicit + bare:
            found = self._lookup(text, key)
            if found:
                kind = _written_kind(key)
                if (kind and all(u.kind != kind for u in found)) or not _same_letters(text, found):
                    # "Phường Chương Dương" is not today's "Xã Chương Dương", "Sơn Đông" is not "Sơn Đồng":
                    # an old ward of exactly that name, if there is one
                    old = self._old(text, None, None)
                    if old is not None:
                        return old
                return self._one(found, text, hint)
        for text, _key in explicit + bare:  # an old ward written without its district
            placed = self._old(text, None, None)
            if placed is not None:
                return placed
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


def _same_letters(text: str, found: list[Unit]) -> bool:
    """Whether a name written with diacritics is written as one of the units found (tone placement aside);
    a name written without any diacritic is taken to be any of them."""
    name = old_units.ward_key(text)
    if text.isascii():
        return True
    written = tone_key(_strip_kind_words(text))
    return any(tone_key(u.short_name) == written for u in found) or not name


def _strip_kind_words(text: str) -> str:
    words = text.replace(".", " ").split()
    kinds = {"phường", "xã", "p", "f", "x", "thị", "trấn", "tt", "đặc", "khu"}
    while len(words) > 1 and words[0].lower() in kinds:
        words = words[1:]
    return " ".join(str(int(w)) if w.isdigit() else w for w in words)


@functools.cache
def _old_provinces() -> frozenset[str]:
    """Folded names of the provinces before 2025 (and today's): the last part of an address naming one
    is the province."""
    return old_units.province_keys() | frozenset(old_units.province_key(p.name) for p in units.provinces())


@functools.cache
def _gone_provinces() -> frozenset[str]:
    """Folded names of the provinces merged into others in 2025 (Bình Dương, Hà Giang...)."""
    today = frozenset(old_units.province_key(p.name) for p in units.provinces())
    return old_units.province_keys() - today


_KINDS = (("phuong ", "phường"), ("p ", "phường"), ("f ", "phường"), ("xa ", "xã"), ("x ", "xã"))


def _written_kind(key: str) -> str | None:
    """The kind a part of an address says it is: "phuong hang bai" -> "phường"."""
    if _GLUED_NUMBER_RE.match(key):
        return "phường"
    return next((kind for prefix, kind in _KINDS if key.startswith(prefix)), None)


@functools.cache
def _index(province_code: str | None) -> dict[str, list[Unit]]:
    out: dict[str, list[Unit]] = {}
    for u in units.wards(province_code):
        for key in _keys(u.short_name):
            out.setdefault(key, []).append(u)
    return out
