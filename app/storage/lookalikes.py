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
    """``find_lookalikes`` for many records at once (list import): every live enterprise's keys held
    in memory, matched by the same rules (same tax code; same name and address, folded, legal-form
    words removed). ``add`` makes later records match earlier ones of the same batch.

    Only hashes of the keys and row numbers are held (about 200 bytes an enterprise, where whole rows
    took 2 KB: an office keeping 500,000 enterprises imports a list within the memory it has); a match
    reads its rows from the store and checks the keys themselves.
    """

    def __init__(self, store: Store):
        self._store = store
        self._by_tax: dict[int, Any] = {}  # hash of the tax code -> a ref or a list of refs
        self._by_name: dict[int, Any] = {}  # hash of the name key -> a ref or a list of refs
        # a ref is the rowid of a kept enterprise, or (for rows added during the batch) the row itself
        for rid, tax, name in store.conn.execute(
            "SELECT rid, tax_code, name FROM enterprises WHERE deleted = 0"
        ):
            self._put(rid, tax, name)

    def _put(self, ref: Any, tax: str | None, name: str | None) -> None:
        if tax:
            _add_ref(self._by_tax, hash(tax), ref)
        key = _name_key(name or "")
        if key:
            _add_ref(self._by_name, hash(key), ref)

    def _rows(self, refs: Any) -> list[dict[str, Any]]:
        out = []
        for ref in refs if isinstance(refs, list) else [refs]:
            if isinstance(ref, dict):
                out.append(ref)
            else:
                out.extend(
                    self._store._rows("SELECT * FROM enterprises WHERE rid = ? AND deleted = 0", (ref,))
                )
        return out

    def add_row(self, row: dict[str, Any]) -> None:
        self._put(row, row.get("tax_code"), row.get("name"))

    def add(self, e: Enterprise) -> None:
        self.add_row(e.to_row())

    def same_tax_code(self, tax_code: str) -> list[dict[str, Any]]:
        if not tax_code or (refs := self._by_tax.get(hash(tax_code))) is None:
            return []
        return [row for row in self._rows(refs) if row.get("tax_code") == tax_code]

    def similar(self, e: Enterprise) -> list[dict[str, Any]]:
        """Enterprises with the same name and address (or no address on either side)."""
        key = _name_key(e.name)
        if not key or (refs := self._by_name.get(hash(key))) is None:
            return []
        out = []
        for row in self._rows(refs):
            if row["id"] == e.id or _name_key(row.get("name") or "") != key:
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


def _add_ref(index: dict[int, Any], key: int, ref: Any) -> None:
    """One ref per key is kept bare; a second one makes a list (few keys ever have two)."""
    old = index.get(key)
    if old is None:
        index[key] = ref
    elif isinstance(old, list):
        old.append(ref)
    else:
        index[key] = [old, ref]
