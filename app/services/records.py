"""Saving records: normalise, validate with the domain rules, write with the change log.

Every function here either writes the whole record (one transaction, logged) or raises
``ValidationError`` listing every problem, having written nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from app.domain import validation as v
from app.domain.records import Admission, Enterprise, Organisation, Target, Visit
from app.domain.text import fold, search_key
from app.storage.store import Store


@dataclass(frozen=True)
class Duplicate:
    enterprise: dict[str, Any]
    reason: str  # Vietnamese: why it looks like the same enterprise


def save_enterprise(
    store: Store, e: Enterprise, *, author: str | None = None, today: date | None = None
) -> Enterprise:
    e = v.normalise_enterprise(e)
    problems = v.validate_enterprise(e, today)
    if problems:
        raise v.ValidationError(problems)
    with store.write(author) as w:
        w.save(e)
    return e


def save_visit(store: Store, visit: Visit, *, author: str | None = None, today: date | None = None) -> Visit:
    visit = v.normalise_visit(visit)
    problems = v.validate_visit(visit, today)
    if not problems and store.get(Enterprise, visit.enterprise_id) is None:
        problems.append(v.Problem("enterprise_id", "Doanh nghiệp này không có (hoặc đã bị xóa)."))
    if problems:
        raise v.ValidationError(problems)
    with store.write(author) as w:
        w.save(visit)
    return visit


def save_organisation(
    store: Store, org: Organisation, *, author: str | None = None, today: date | None = None
) -> Organisation:
    org = v.normalise_organisation(org)
    previous = store.get(Organisation, org.id)
    problems = v.validate_organisation(
        org, previous.status if previous else None, store.founding_rules(), today
    )
    if problems:
        raise v.ValidationError(problems)
    with store.write(author) as w:
        w.save(org)
    return org


def save_admission(
    store: Store, a: Admission, *, author: str | None = None, today: date | None = None
) -> Admission:
    problems = v.validate_admission(a, today)
    if problems:
        raise v.ValidationError(problems)
    with store.write(author) as w:
        w.save(a)
    return a


def save_target(store: Store, t: Target, *, author: str | None = None) -> Target:
    problems = v.validate_target(t)
    if problems:
        raise v.ValidationError(problems)
    existing = store._rows(
        "SELECT id FROM targets WHERE unit_code = ? AND year = ? AND kind = ? AND metric = ? AND deleted = 0",
        (t.unit_code, t.year, t.kind.value, t.metric.value),
    )
    with store.write(author) as w:
        if existing and existing[0]["id"] != t.id:
            t = Target(
                id=existing[0]["id"],
                unit_code=t.unit_code,
                year=t.year,
                kind=t.kind,
                metric=t.metric,
                value=t.value,
            )
        w.save(t)
    return t


def delete_record(store: Store, table: str, record_id: str, *, author: str | None = None) -> bool:
    with store.write(author) as w:
        return w.delete(table, record_id)


def find_duplicates(store: Store, e: Enterprise) -> list[Duplicate]:
    """Existing enterprises that look like ``e``: the same tax code, or the same name and address.

    Names and addresses are compared folded (no diacritics, old/new tone placement alike), with
    the legal-form words removed ("Công ty TNHH ..." = "Cty TNHH ...").
    """
    e = v.normalise_enterprise(e)
    out: list[Duplicate] = []
    seen = {e.id}
    for other in store.find_by_tax_code(e.tax_code) if e.tax_code else []:
        if other.id not in seen:
            seen.add(other.id)
            out.append(Duplicate(other.to_row(), f"Trùng mã số thuế {e.tax_code}."))
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
                out.append(Duplicate(row, "Trùng tên và địa chỉ với một doanh nghiệp đã có."))
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


class DuplicateIndex:
    """``find_duplicates`` for many records at once (list import): every live enterprise loaded
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

    def match(self, e: Enterprise) -> list[Duplicate]:
        """The same answer as ``find_duplicates`` for an already normalised enterprise."""
        out: list[Duplicate] = []
        seen = {e.id}
        for row in self.same_tax_code(e.tax_code):
            if row["id"] not in seen:
                seen.add(row["id"])
                out.append(Duplicate(row, f"Trùng mã số thuế {e.tax_code}."))
        for row in self.similar(e):
            if row["id"] not in seen:
                seen.add(row["id"])
                out.append(Duplicate(row, "Trùng tên và địa chỉ với một doanh nghiệp đã có."))
        return out
