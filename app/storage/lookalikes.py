"""Enterprises that look like one being typed or imported: the same tax code, or the same name and
address (folded: no diacritics, old/new tone placement alike, legal-form words removed).

Not to be confused with ``app.sync.same_tax_code`` (two ids for one tax code found when merging
bundles) or the import's ``on_duplicate`` choice (what to do with a row whose tax code is kept).
``find_lookalikes`` asks the store for one record (the enterprise form, as you type);
``LookalikeIndex`` holds every live enterprise in memory to answer the same for a whole list.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.domain import validation as v
from app.domain.records import Enterprise
from app.domain.text import fold, search_key
from app.storage.store import Store


@dataclass(frozen=True)
class Lookalike:
    enterprise: dict[str, Any]
    reason: str  # Vietnamese: why it looks like the same enterprise


def find_lookalikes(store: Store, e: Enterprise) -> list[Lookalike]:
    """Existing enterprises that look like ``e``: the same tax code, or the same name and address.

    Names and addresses are compared folded (no diacritics, old/new tone placement alike), with
    the legal-form words removed ("Công ty TNHH ..." = "Cty TNHH ...").
    """
    e = v.normalise_enterprise(e)
    out: list[Lookalike] = []
    seen = {e.id}
    for other in store.find_by_tax_code(e.tax_code) if e.tax_code else []:
        if other.id not in seen:
            seen.add(other.id)
            out.append(Lookalike(other.to_row(), f"Trùng mã số thuế {e.tax_code}."))
    name_key = _name_key(e.name)
    if name_key:
        # search by the key (legal-form words removed) so "Cty ..." finds "Công ty ..."
        for row in store.search_enterprises(name_key, limit=50):
            if row["id"] in seen:
                continue
            if _name_key(row["name"]) == name_key and (
                not e.address or not row["address"] or _address_key(row["address"]) == _address_key(e.address)
            ):
                seen.add(row["id"])
                out.append(Lookalike(row, "Trùng tên và địa chỉ với một doanh nghiệp đã có."))
    return out


_FORM_WORDS = (
    "cong ty trach nhiem huu han",
    "cong ty tnhh",
    "cty tnhh",
    "cong ty co phan",
    "cty co phan",
    "ctcp",
    "cty cp",
    "cong ty cp",
    "doanh nghiep tu nhan",
    "dntn",
    "hop tac xa",
    "htx",
    "mot thanh vien",
    "mtv",
    "cong ty",
    "cty",
)


def _name_key(name: str) -> str:
    key = " " + search_key(name) + " "
    for word in _FORM_WORDS:
        key = key.replace(f" {word} ", " ")
    return " ".join(key.split())


def _address_key(address: str) -> str:
    return " ".join(fold(address).replace(",", " ").replace(".", " ").split())


class LookalikeIndex:
    """``find_lookalikes`` for many records at once (list import): every live enterprise loaded
    once into memory, matched by the same rules (same tax code; same name and address, folded,
    legal-form words removed). ``add`` makes later records match earlier ones of the same batch.
    """

    def __init__(self, store: Store):
        self._by_tax: dict[str, list[dict[str, Any]]] = {}
        self._by_name: dict[str, list[dict[str, Any]]] = {}
        for row in store._rows("SELECT * FROM enterprises WHERE deleted = 0"):
            self.add_row(row)

    def add_row(self, row: dict[str, Any]) -> None:
        if row.get("tax_code"):
            self._by_tax.setdefault(row["tax_code"], []).append(row)
        key = _name_key(row.get("name") or "")
        if key:
            self._by_name.setdefault(key, []).append(row)

    def add(self, e: Enterprise) -> None:
        self.add_row(e.to_row())

    def same_tax_code(self, tax_code: str) -> list[dict[str, Any]]:
        return list(self._by_tax.get(tax_code, [])) if tax_code else []

    def similar(self, e: Enterprise) -> list[dict[str, Any]]:
        """Enterprises with the same name and address (or no address on either side)."""
        key = _name_key(e.name)
        out = []
        for row in self._by_name.get(key, []) if key else []:
            if row["id"] == e.id:
                continue
            if (
                not e.address
                or not row.get("address")
                or _address_key(row["address"]) == _address_key(e.address)
            ):
                out.append(row)
        return out

    def match(self, e: Enterprise) -> list[Lookalike]:
        """The same answer as ``find_lookalikes`` for an already normalised enterprise."""
        out: list[Lookalike] = []
        seen = {e.id}
        for row in self.same_tax_code(e.tax_code):
            if row["id"] not in seen:
                seen.add(row["id"])
                out.append(Lookalike(row, f"Trùng mã số thuế {e.tax_code}."))
        for row in self.similar(e):
            if row["id"] not in seen:
                seen.add(row["id"])
                out.append(Lookalike(row, "Trùng tên và địa chỉ với một doanh nghiệp đã có."))
        return out
