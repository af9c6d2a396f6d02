"""Wards, communes and districts of before 1 July 2025, and the wards of today they became part of.

Most lists in circulation still write addresses the old way: "Phường Hàng Bài, Quận Hoàn Kiếm, Hà Nội".
Districts are gone and most old wards were merged; the official conversion table says where each old
ward went. It is read from ``resources/units/old-wards-2025.tsv`` (written by
``resources/units/make_old_wards.py`` from the ``vietnam-provinces`` package's 2026 release, which names
its source, version and date in the file's header).

An old ward went whole into one ward of today, or was split between several ("partly"): then the address
alone does not say which, and the row is left for a person to choose among the candidates. The table's
codes of today's wards are those of its own release; each is matched to KhaoSat's list of units by code
and name, else by name within its province (the releases numbered some wards differently).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from app.domain import units
from app.domain.text import search_key, tone_key
from app.domain.units import Unit

TABLE = "units/old-wards-2025.tsv"

_WARD_PREFIXES = ("phuong ", "xa ", "thi tran ", "p ", "x ", "tt ", "f ")
_DISTRICT_PREFIXES = ("quan ", "huyen ", "thi xa ", "thanh pho ", "q ", "h ", "tx ", "tp ")
_PROVINCE_PREFIXES = ("tinh ", "thanh pho ")


@dataclass(frozen=True)
class OldWard:
    code: str
    name: str  # "Phường Hàng Bài"
    district: str  # "Quận Hoàn Kiếm"
    province: str  # "Thành phố Hà Nội" (the old province)
    partly: bool  # split between several wards of today
    new: tuple[Unit, ...]  # today's wards it became part of (in KhaoSat's list of units)
    district_key: str = ""  # folded keys, made once when the table is read
    province_key: str = ""
    new_province_key: str = ""
    kind_key: str = ""  # "phuong ", "xa ", "thi tran "

    @property
    def label(self) -> str:
        return f"{self.name}, {self.district}, {self.province}"


def _strip(key: str, prefixes: tuple[str, ...]) -> str:
    for p in prefixes:
        if key.startswith(p) and len(key) > len(p):
            return key[len(p) :]
    return key


def ward_key(text: str, folded: str | None = None) -> str:
    """ "Phường 05" -> "5", "Xã Đàm Thuỷ" -> "dam thuy": folded, without the kind, numbers unpadded.
    ``folded``: ``search_key(text)`` when the caller has it already."""
    key = _strip(search_key(text) if folded is None else folded, _WARD_PREFIXES)
    return _unpadded(key)


def _unpadded(key: str) -> str:
    return (
        " ".join(str(int(w)) if w.isdigit() else w for w in key.split())
        if any(c.isdigit() for c in key)
        else key
    )


def district_key(text: str) -> str:
    key = _strip(search_key(text), _DISTRICT_PREFIXES)
    return " ".join(str(int(w)) if w.isdigit() else w for w in key.split())


def province_key(text: str) -> str:
    return _strip(search_key(text), _PROVINCE_PREFIXES)


@functools.cache
def _by_name(province_code: str) -> dict[str, list[Unit]]:
    """Today's wards of a province by tone-insensitive name, and by folded name."""
    out: dict[str, list[Unit]] = {}
    for u in units.wards(province_code):
        out.setdefault(tone_key(u.name), []).append(u)
        out.setdefault("~" + search_key(u.name), []).append(u)
    return out


def _resolve(code: str, province_code: str, name: str) -> Unit | None:
    """One of today's wards as the table names it, in KhaoSat's list of units."""
    own = units.ward(code)
    key = tone_key(name)
    if own is not None and tone_key(own.name) == key:
        return own
    names = _by_name(province_code)
    same = names.get(key) or names.get("~" + search_key(name)) or []
    return same[0] if len(same) == 1 else None


@dataclass(frozen=True)
class Table:
    wards: tuple[OldWard, ...]
    by_ward: dict[str, tuple[OldWard, ...]]  # ward_key -> old wards of that name (all provinces)
    unresolved: tuple[str, ...]  # "code:province:name" of today's wards not found in KhaoSat's list


@functools.cache
def table() -> Table:
    from app.paths import resources_dir

    path = resources_dir() / TABLE
    rows: list[OldWard] = []
    unresolved: list[str] = []
    with open(path, encoding="utf-8") as fh:
        header_seen = False
        for line in fh:
            if line.startswith("#"):
                continue
            if not header_seen:
                header_seen = True
                continue
            code, name, _dcode, district, _pcode, province, partly, new = line.rstrip("\n").split("\t")
            found: list[Unit] = []
            for item in new.split("|"):
                ncode, nprov, nname = item.split(":", 2)
                unit = _resolve(ncode, nprov, nname)
                if unit is None:
                    unresolved.append(item)
                elif unit not in found:
                    found.append(unit)
            today = units.province(found[0].province_code) if found else None
            rows.append(
                OldWard(
                    code,
                    name,
                    district,
                    province,
                    partly == "1",
                    tuple(found),
                    district_key(district),
                    province_key(province),
                    province_key(today.name) if today else "",
                    _written_kind(search_key(name)) or "",
                )
            )
    by_ward: dict[str, list[OldWard]] = {}
    for w in rows:
        by_ward.setdefault(ward_key(w.name), []).append(w)
    return Table(tuple(rows), {k: tuple(v) for k, v in by_ward.items()}, tuple(unresolved))


def find(
    ward: str, district: str | None = None, province: str | None = None, *, folded: str | None = None
) -> list[OldWard]:
    """Old wards named ``ward`` (with or without "Phường", diacritics), narrowed by the old district and
    province when given (a name alone is often shared: there were many "Phường 1"). ``folded``:
    ``search_key(ward)`` when the caller has it already."""
    folded = search_key(ward) if folded is None else folded
    key = ward_key(ward, folded)
    by_ward = table().by_ward
    found = list(by_ward.get(key, ()))
    whole = _unpadded(folded)
    if whole != key:  # "Phương Liên" folds to "phuong lien", which is not "Phường Liên"
        found += [w for w in by_ward.get(whole, ()) if w not in found]
    if not found:
        return found
    kind = _written_kind(folded)
    if kind and len(found) > 1:  # "Phường Chương Dương" is not "Xã Chương Dương"
        found = [w for w in found if w.kind_key == kind] or found
    if district:
        dk = district_key(district)
        found = [w for w in found if w.district_key == dk]
    if province and found:
        pk = province_key(province)
        narrowed = [w for w in found if w.province_key == pk]
        found = narrowed or [w for w in found if w.new_province_key == pk] or found
    return found


_KIND_WORDS = {
    "phuong": "phuong ",
    "p": "phuong ",
    "f": "phuong ",
    "xa": "xa ",
    "x": "xa ",
    "tt": "thi tran ",
}


def _written_kind(key: str) -> str | None:
    """The kind a folded old ward's name is written with, as the start of a folded name ("phuong ")."""
    if key.startswith("thi tran "):
        return "thi tran "
    first = key.split(" ", 1)[0] if " " in key else ""
    return _KIND_WORDS.get(first)


def province_keys() -> frozenset[str]:
    """Folded names of the provinces of before 2025."""
    return frozenset(w.province_key for w in table().wards)


def is_district(text: str) -> bool:
    """Whether a part of an address names an old district ("Quận Hoàn Kiếm", "Q. 3", "Huyện Gia Lâm")."""
    key = search_key(text)
    return key.startswith(("quan ", "q ", "huyen ", "h ", "thi xa ", "tx ")) and len(key.split()) >= 2
