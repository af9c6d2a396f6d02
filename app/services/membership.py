"""Members of an enterprise's organisations on a day (the rule is app.domain.membership), read from the store."""

from __future__ import annotations

from datetime import date

from app.domain.membership import Membership, membership
from app.domain.records import Admission, Organisation, Visit
from app.domain.vocab import OrgKind
from app.storage.store import Store


def of_enterprise(store: Store, enterprise_id: str, on: date) -> dict[OrgKind, Membership]:
    """The members of each organisation of the enterprise that exists on ``on``."""
    orgs = store.children(Organisation, enterprise_id)
    if not orgs:
        return {}
    visits = store.children(Visit, enterprise_id)
    admissions = store.children(Admission, enterprise_id)
    return of_records(orgs, visits, admissions, on)


def of_records(
    orgs: list[Organisation], visits: list[Visit], admissions: list[Admission], on: date
) -> dict[OrgKind, Membership]:
    out: dict[OrgKind, Membership] = {}
    for o in orgs:
        m = membership(o, visits, admissions, on)
        if m is not None and o.kind not in out:
            out[o.kind] = m
    return out
