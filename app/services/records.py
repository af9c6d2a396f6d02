"""Saving records: normalise, validate with the domain rules, write with the change log.

Every function here either writes the whole record (one transaction, logged) and returns it with
what the write changed (``Saved``: the record as written and its ``ChangeSummary``, from which the
window refreshes), or raises ``ValidationError`` listing every problem, having written nothing.
Enterprises that look like one being typed are found by ``app.storage.lookalikes``.
"""

from __future__ import annotations

import dataclasses
from datetime import date

from app.domain import validation as v
from app.domain.records import Admission, Enterprise, Organisation, QualityRating, Target, Visit
from app.storage import from_above
from app.storage.changes import ChangeSummary, Saved
from app.storage.store import Store


def save_enterprise(
    store: Store, e: Enterprise, *, author: str | None = None, today: date | None = None
) -> Saved[Enterprise]:
    e = v.normalise_enterprise(e)
    problems = v.validate_enterprise(e, today)
    if problems:
        raise v.ValidationError(problems)
    with store.write(author) as w:
        w.save(e)
    return Saved(e, w.changes)


def save_visit(
    store: Store, visit: Visit, *, author: str | None = None, today: date | None = None
) -> Saved[Visit]:
    visit = v.normalise_visit(visit)
    problems = v.validate_visit(visit, today)
    if not problems and store.get(Enterprise, visit.enterprise_id) is None:
        problems.append(v.Problem("enterprise_id", "Doanh nghiệp này không có (hoặc đã bị xóa)."))
    if problems:
        raise v.ValidationError(problems)
    with store.write(author) as w:
        w.save(visit)
    return Saved(visit, w.changes)


def save_organisation(
    store: Store, org: Organisation, *, author: str | None = None, today: date | None = None
) -> Saved[Organisation]:
    org = v.normalise_organisation(org)
    previous = store.get(Organisation, org.id)
    problems = v.validate_organisation(
        org, previous.status if previous else None, store.founding_rules(), today
    )
    if problems:
        raise v.ValidationError(problems)
    with store.write(author) as w:
        w.save(org)
    return Saved(org, w.changes)


def save_admission(
    store: Store, a: Admission, *, author: str | None = None, today: date | None = None
) -> Saved[Admission]:
    a = v.normalise_admission(a)
    problems = v.validate_admission(a, today)
    if problems:
        raise v.ValidationError(problems)
    with store.write(author) as w:
        w.save(a)
    return Saved(a, w.changes)


def save_rating(
    store: Store, r: QualityRating, *, author: str | None = None, today: date | None = None
) -> Saved[QualityRating]:
    """The quality level of an organisation for a year: one per organisation and year (a second one for
    the same year replaces the first's level)."""
    r = v.normalise(r)
    organisation = store.get(Organisation, r.organisation_id) if r.organisation_id else None
    problems = v.validate_rating(r, organisation, today)
    if organisation is None and not any(p.field == "organisation_id" for p in problems):
        problems.append(v.Problem("organisation_id", "Tổ chức được xếp loại không có (hoặc đã bị xóa)."))
    if problems:
        raise v.ValidationError(problems)
    existing = store._rows(
        "SELECT id FROM quality_ratings WHERE organisation_id = ? AND year = ? AND deleted = 0 AND id != ? "
        "ORDER BY updated_hlc DESC LIMIT 1",
        (r.organisation_id, r.year, r.id),
    )
    if existing:
        r = dataclasses.replace(r, id=existing[0]["id"])
    with store.write(author) as w:
        w.save(r)
    return Saved(r, w.changes)


def save_target(store: Store, t: Target, *, author: str | None = None) -> Saved[Target]:
    """Write a target of this machine. A target an office above set for the same unit, year, kind and
    metric cannot be changed here (``app/storage/from_above.py``)."""
    problems = v.validate_target(t)
    if problems:
        raise v.ValidationError(problems)
    applies = from_above.targets(store.conn, t.unit_code, t.year).get((t.kind.value, t.metric.value))
    if applies is not None and applies.source.above:
        raise v.ValidationError(
            [v.Problem("value", f"Chỉ tiêu này {applies.source.phrase}: máy này không sửa được.")]
        )
    existing = [{"id": applies.id}] if applies is not None else []
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
    return Saved(t, w.changes)


def delete_record(store: Store, table: str, record_id: str, *, author: str | None = None) -> ChangeSummary:
    """Delete (mark deleted, logged); what it changed: nothing when the record was gone already."""
    with store.write(author) as w:
        w.delete(table, record_id)
    return w.changes
