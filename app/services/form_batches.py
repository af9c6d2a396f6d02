"""Batches of visit forms: which enterprises a batch covers (in the order a collaborator walks), and
what each pre-filled form needs (``app.printing.visit_form`` draws them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from app.domain import units
from app.domain.records import Enterprise, Organisation, Visit
from app.domain.vocab import EnterpriseStatus
from app.printing.visit_form import VisitFormData
from app.services import enterprise_list as el
from app.storage.store import Store


def load_forms(store: Store, enterprise_ids: list[str], on: date | None = None) -> list[VisitFormData]:
    """Form data for each enterprise, in the order given (deleted ones are skipped); the organisations'
    members as of ``on`` (default today)."""
    from app.domain.records import Admission
    from app.services.membership import of_records

    on = on or date.today()
    out = []
    for eid in enterprise_ids:
        e = store.get(Enterprise, eid)
        if e is None:
            continue
        visits = store.children(Visit, eid, "visit_date DESC, created_hlc DESC")
        orgs = store.children(Organisation, eid, "kind")
        members = {}
        if orgs:
            admissions = store.children(Admission, eid)
            members = {k.value: m.value for k, m in of_records(orgs, visits, admissions, on).items()}
        ward = units.ward(e.ward_code)
        out.append(
            VisitFormData(e, visits[0] if visits else None, orgs, ward.name if ward else None, members)
        )
    return out


@dataclass(frozen=True)
class FormSelection:
    """Which enterprises to print forms for (all conditions together)."""

    unit_code: str | None = None  # a ward or a province; None: every enterprise in the file
    not_visited_months: int | None = None  # no visit in the last N months, or never visited
    planned_from: date | None = None  # the latest visit set the next visit in [from, to]
    planned_to: date | None = None
    include_inactive: bool = False  # dissolved and moved-away enterprises are skipped unless asked
    today: date = field(default_factory=date.today)

    def query(self) -> el.ListQuery:
        """The same conditions as a query of the enterprise list (one filter for the list, batches
        and the command line)."""
        statuses = (
            frozenset()
            if self.include_inactive
            else frozenset({EnterpriseStatus.ACTIVE, EnterpriseStatus.SUSPENDED})
        )
        return el.ListQuery(
            statuses=statuses,
            not_visited_months=self.not_visited_months,
            unit_code=self.unit_code,
            next_visit_from=self.planned_from,
            next_visit_to=self.planned_to,
            today=self.today,
        )


def select_enterprises(store: Store, sel: FormSelection) -> list[str]:
    """Enterprise ids matching ``sel``, in the order a collaborator walks: by ward, then address, name."""
    return el.ids(store, sel.query(), el.WALK_ORDER)


def week_of(day: date) -> tuple[date, date]:
    """Monday to Sunday of the week of ``day``."""
    start = day - timedelta(days=day.weekday())
    return start, start + timedelta(days=6)
