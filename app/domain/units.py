"""Administrative units after the 2025 reform: 34 provinces and 3,321 communes/wards.

Codes are the official GSO codes as text: 2 digits for a province, 5 digits for a ward.
Data comes from the ``vietnam-provinces`` package (loaded once, on first use).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from app.domain.text import fold, search_key


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    kind: str  # "tỉnh", "thành phố trung ương", "phường", "xã", "đặc khu"
    province_code: str | None  # None for a province

    @property
    def is_province(self) -> bool:
        return self.province_code is None

    @property
    def short_name(self) -> str:
        """The name without its kind: "Phường Hoàn Kiếm" -> "Hoàn Kiếm"."""
        for prefix in ("Thành phố ", "Tỉnh ", "Phường ", "Xã ", "Đặc khu "):
            if self.name.startswith(prefix):
                return self.name[len(prefix) :]
        return self.name


@functools.cache
def _load() -> tuple[dict[str, Unit], dict[str, Unit], dict[str, list[Unit]]]:
    from vietnam_provinces import Province, Ward

    provinces = {}
    for p in Province.iter_all():
        code = f"{int(p.code):02d}"
        provinces[code] = Unit(code, p.name, p.division_type.value, None)
    wards = {}
    by_province: dict[str, list[Unit]] = {code: [] for code in provinces}
    for w in Ward.iter_all():
        code = f"{int(w.code):05d}"
        pcode = f"{int(w.province_code):02d}"
        unit = Unit(code, w.name, w.division_type.value, pcode)
        wards[code] = unit
        by_province[pcode].append(unit)
    for lst in by_province.values():
        lst.sort(key=lambda u: fold(u.name))
    return provinces, wards, by_province


def provinces() -> list[Unit]:
    return sorted(_load()[0].values(), key=lambda u: u.code)


def wards(province_code: str | None = None) -> list[Unit]:
    if province_code is None:
        return list(_load()[1].values())
    return list(_load()[2].get(province_code, []))


def province(code: str | None) -> Unit | None:
    return _load()[0].get(code or "")


def ward(code: str | None) -> Unit | None:
    return _load()[1].get(code or "")


def unit(code: str | None) -> Unit | None:
    return province(code) or ward(code)


def unit_name(code: str | None) -> str | None:
    u = unit(code)
    return u.name if u else None


def province_of(code: str) -> str | None:
    """Province code for a ward or province code."""
    if province(code):
        return code
    w = ward(code)
    return w.province_code if w else None


def contains(outer_code: str, inner_code: str) -> bool:
    """Whether unit ``inner_code`` lies inside (or is) unit ``outer_code``."""
    if outer_code == inner_code:
        return True
    w = ward(inner_code)
    return w is not None and w.province_code == outer_code


def find(query: str, province_code: str | None = None, limit: int = 50) -> list[Unit]:
    """Units whose name matches ``query`` typed with or without diacritics and prefixes."""
    key = search_key(query)
    for prefix in ("phuong ", "xa ", "p ", "x ", "tinh ", "thanh pho ", "tp ", "dac khu "):
        if key.startswith(prefix) and len(key) > len(prefix):
            key = key[len(prefix) :]
            break
    pool = wards(province_code) if province_code else provinces() + wards()
    starts, contains_ = [], []
    for u in pool:
        name_key = search_key(u.short_name)
        if name_key.startswith(key):
            starts.append(u)
        elif key in name_key:
            contains_.append(u)
    return (starts + contains_)[:limit]


class UnknownUnitError(ValueError):
    """A unit code that is not in the list of units (Vietnamese message)."""

    reason = "unknown_unit"  # the command line adds how to find a code (app.cli.hints)


def ward_codes(unit_code: str) -> list[str]:
    """The wards a unit covers: itself for a ward, every ward of a province."""
    u = unit(unit_code)
    if u is None:
        raise UnknownUnitError(f"Mã đơn vị «{unit_code}» không có trong danh mục.")
    if u.is_province:
        return [w.code for w in wards(u.code)]
    return [u.code]
