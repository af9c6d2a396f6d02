"""What a pre-filled visit form needs, and which enterprises a batch of forms covers."""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from app.domain import units
from app.domain.records import Enterprise, Organisation, Visit
from app.domain.vocab import EnterpriseStatus
from app.storage.store import Store


class SelectionError(ValueError):
    """The enterprises asked for cannot be found (Vietnamese message)."""


@dataclass
class VisitFormData:
    """One pre-filled form: the enterprise, its latest visit and its organisations."""

    enterprise: Enterprise
    last_visit: Visit | None = None
    organisations: list[Organisation] = field(default_factory=list)
    ward_name: str | None = None


def load_forms(store: Store, enterprise_ids: list[str]) -> list[VisitFormData]:
    """Form data for each enterprise, in the order given (deleted ones are skipped)."""
    out = []
    for eid in enterprise_ids:
        e = store.get(Enterprise, eid)
        if e is None:
            continue
        visits = store.children(Visit, eid, "visit_date DESC, created_hlc DESC")
        orgs = store.children(Organisation, eid, "kind")
        ward = units.ward(e.ward_code)
        out.append(VisitFormData(e, visits[0] if visits else None, orgs, ward.name if ward else None))
    return out


def months_before(day: date, months: int) -> date:
    y, m = divmod(day.year * 12 + day.month - 1 - months, 12)
    m += 1
    return date(y, m, min(day.day, calendar.monthrange(y, m)[1]))


def resolve_enterprise(store: Store, key: str) -> Enterprise:
    """An enterprise by its UUID, its tax code, or a form code typed from a printed form."""
    from app.domain import taxcode
    from app.printing.qr import FormCodeError, parse_form_code

    key = (key or "").strip()
    e = store.get(Enterprise, key)
    if e is None and key.upper().startswith("KHAOSAT:"):
        try:
            code = parse_form_code(key)
        except FormCodeError as exc:
            raise SelectionError(str(exc)) from None
        if code.enterprise_id:
            e = store.get(Enterprise, code.enterprise_id)
    if e is None:
        matches = store.find_by_tax_code(taxcode.parse(key).value) if key else []
        if len(matches) > 1:
            raise SelectionError(f"Có {len(matches)} doanh nghiệp cùng mã số thuế {key}; hãy dùng mã ID.")
        e = matches[0] if matches else None
    if e is None:
        raise SelectionError(f"Không có doanh nghiệp với mã số thuế hoặc ID «{key}».")
    return e


def unit_ward_codes(unit_code: str) -> list[str]:
    """The wards a unit covers: itself for a ward, every ward of a province."""
    u = units.unit(unit_code)
    if u is None:
        raise SelectionError(
            f"Mã đơn vị «{unit_code}» không có trong danh mục. Tìm mã bằng: khaosat units TÊN"
        )
    if u.is_province:
        return [w.code for w in units.wards(u.code)]
    return [u.code]


@dataclass(frozen=True)
class FormSelection:
    """Which enterprises to print forms for (all conditions together)."""

    unit_code: str | None = None  # a ward or a province; None: every enterprise in the file
    not_visited_months: int | None = None  # no visit in the last N months, or never visited
    planned_from: date | None = None  # the latest visit set the next visit in [from, to]
    planned_to: date | None = None
    include_inactive: bool = False  # dissolved and moved-away enterprises are skipped unless asked
    today: date = field(default_factory=date.today)


def select_enterprises(store: Store, sel: FormSelection) -> list[str]:
    """Enterprise ids matching ``sel``, in the order a collaborator walks: by ward, then address, name."""
    conds = ["e.deleted = 0"]
    params: list[Any] = []
    if sel.unit_code:
        wards = unit_ward_codes(sel.unit_code)
        conds.append(f"e.ward_code IN ({', '.join('?' * len(wards))})")
        params.extend(wards)
    if not sel.include_inactive:
        conds.append("e.status IN (?, ?)")
        params.extend([EnterpriseStatus.ACTIVE.value, EnterpriseStatus.SUSPENDED.value])
    if sel.not_visited_months:
        since = months_before(sel.today, sel.not_visited_months)
        conds.append(
            "NOT EXISTS (SELECT 1 FROM visits v WHERE v.enterprise_id = e.id AND v.deleted = 0 "
            "AND v.visit_date >= ?)"
        )
        params.append(since.isoformat())
    if sel.planned_from or sel.planned_to:
        lo = (sel.planned_from or date(1900, 1, 1)).isoformat()
        hi = (sel.planned_to or date(9999, 12, 31)).isoformat()
        # the next-visit date of the enterprise's latest visit
        conds.append(
            "(SELECT v.next_visit_date FROM visits v WHERE v.enterprise_id = e.id AND v.deleted = 0 "
            "ORDER BY v.visit_date DESC, v.created_hlc DESC LIMIT 1) BETWEEN ? AND ?"
        )
        params.extend([lo, hi])
    sql = (
        f"SELECT e.id FROM enterprises e WHERE {' AND '.join(conds)} "
        "ORDER BY e.ward_code, e.address IS NULL, e.address, e.name, e.rid"
    )
    return [r[0] for r in store.conn.execute(sql, params)]


def week_of(day: date) -> tuple[date, date]:
    """Monday to Sunday of the week of ``day``."""
    start = day - timedelta(days=day.weekday())
    return start, start + timedelta(days=6)
