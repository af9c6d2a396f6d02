"""Batches of visit forms: which enterprises a batch covers (in the order a collaborator walks), and
what each pre-filled form needs (``app.printing.visit_form`` draws them)."""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from app.domain import units
from app.domain.records import Enterprise, Organisation, Visit
from app.domain.vocab import EnterpriseStatus
from app.printing.visit_form import VisitFormData
from app.storage.store import Store


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
        wards = units.ward_codes(sel.unit_code)
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
