"""Phân công: which collaborator follows which enterprise, and how far each has got.

The ward office (or any office) assigns enterprises of its unit to the collaborators' laptops
registered with it: those it selected in the list, or every enterprise of a ward whose address
contains some words ("tổ 5", "Hàng Bạc"). An assignment is an ``Assignment`` record, one per
enterprise (its id derived from the enterprise's), written by offices only: it travels down to the
laptops (docs/sync-bundle.md, section 10), where the list shows "của tôi" first, and up to the offices
above. A collaborator's laptop cannot assign (``NotAnOffice``).

``progress_by_collaborator`` is what the office sees: per collaborator, the enterprises assigned, how
many were visited in the year, the visits, the last visit, the organisations founded.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from app.domain import units
from app.domain.records import Assignment, Enterprise
from app.domain.text import fold
from app.domain.validation import Problem, ValidationError
from app.domain.vocab import Role
from app.storage.changes import ChangeSummary
from app.storage.store import Store
from app.sync import registry as R


@dataclass(frozen=True)
class Collaborator:
    """A collaborator's laptop registered with this office."""

    laptop_id: str
    name: str
    unit_code: str

    @property
    def label(self) -> str:
        return f"{self.name} ({units.unit_name(self.unit_code) or self.unit_code})"


def _office_only(store: Store) -> None:
    role = store.profile().role
    if role is None or role == Role.COLLABORATOR:
        raise ValidationError(
            [
                Problem(
                    "assignee",
                    "Chỉ cơ quan mới phân công doanh nghiệp; máy cộng tác viên nhận phân công từ cơ quan.",
                )
            ]
        )


def collaborators(store: Store) -> list[Collaborator]:
    """The collaborators' laptops registered with this office directly (active), by name."""
    out: dict[str, Collaborator] = {}
    for p in R.peers(store, destinations=False):
        if p.role != Role.COLLABORATOR.value or p.status != "active" or p.registered_via is not None:
            continue
        out[p.laptop_id] = Collaborator(p.laptop_id, p.name or p.laptop_id, p.unit_code)
    return sorted(out.values(), key=lambda c: (fold(c.name), c.laptop_id))


def find_collaborator(store: Store, text: str) -> Collaborator:
    """The registered collaborator whose machine id, key id or fingerprint starts with ``text``, or whose
    name is ``text`` (diacritics and case aside)."""
    found = {p.laptop_id for p in R.find(store, text)} if text else set()
    by_id = {c.laptop_id: c for c in collaborators(store)}
    matches = [by_id[i] for i in found if i in by_id] or [
        c for c in by_id.values() if fold(c.name) == fold(text)
    ]
    if len(matches) != 1:
        names = ", ".join(c.label for c in by_id.values()) or "chưa đăng ký máy cộng tác viên nào"
        what = "không khớp máy cộng tác viên nào" if not matches else "khớp nhiều máy"
        raise ValidationError([Problem("assignee", f"«{text}» {what}. Các máy cộng tác viên: {names}.")])
    return matches[0]


def enterprises_by_address(store: Store, ward_code: str | None, words: str) -> list[str]:
    """The ids of the enterprises (not deleted) of ``ward_code`` (any ward when None) whose address
    contains every one of ``words`` (diacritics, case and tone placement aside)."""
    wanted = fold(words).split()
    sql = "SELECT id, address FROM enterprises WHERE deleted = 0"
    params: list[str] = []
    if ward_code:
        sql += " AND ward_code = ?"
        params.append(ward_code)
    out = []
    for eid, address in store.conn.execute(sql + " ORDER BY ward_code, name", params):
        folded = fold(address or "")
        if all(w in folded for w in wanted):
            out.append(eid)
    return out


@dataclass(frozen=True)
class Assigned:
    changed: int  # assignments written (new or changed)
    unchanged: int  # already so
    refused: list[str]  # names of enterprises outside the collaborator's unit
    changes: ChangeSummary = field(default_factory=ChangeSummary)  # the assignments written


def assign(
    store: Store,
    enterprise_ids: Iterable[str],
    collaborator: Collaborator | None,
    *,
    author: str | None = None,
    today: date | None = None,
) -> Assigned:
    """Assign the enterprises to ``collaborator`` (None: not assigned any more), in one transaction.
    Enterprises outside the collaborator's ward are not assigned (their names are returned)."""
    _office_only(store)
    today = today or date.today()
    ids = list(dict.fromkeys(enterprise_ids))
    changed = unchanged = 0
    refused: list[str] = []
    with store.write(author) as w:
        for eid in ids:
            e = store.get(Enterprise, eid)
            if e is None:
                continue
            if collaborator is not None and not units.contains(collaborator.unit_code, e.ward_code):
                refused.append(e.name)
                continue
            aid = Assignment.id_for(eid)
            row = store.row("assignments", aid)
            new = Assignment(
                id=aid,
                enterprise_id=eid,
                assignee=collaborator.laptop_id if collaborator else None,
                assignee_name=collaborator.name if collaborator else None,
                assigned_on=today if collaborator else None,
            )
            if row is None:
                if collaborator is None:
                    unchanged += 1
                    continue
                w.create(new)
            elif row["deleted"]:
                w.restore("assignments", aid)
                w.update(new)
            elif row["assignee"] == new.assignee:
                unchanged += 1
                continue
            else:
                w.update(new)
            changed += 1
    return Assigned(changed, unchanged, refused, w.changes)


def assignee_of(store: Store, enterprise_id: str) -> Assignment | None:
    a = store.get(Assignment, Assignment.id_for(enterprise_id))
    return a if a is not None and a.assignee else None


@dataclass(frozen=True)
class CollaboratorProgress:
    laptop_id: str | None  # None: the enterprises not assigned to anyone
    name: str
    assigned: int
    visited: int  # enterprises of those with at least one visit in the year
    visits: int  # visits in the year to those enterprises
    last_visit: date | None
    founded: int  # organisations founded in the year in those enterprises

    @property
    def share(self) -> str:
        """ "12/40" enterprises visited."""
        return f"{self.visited}/{self.assigned}"


def progress_by_collaborator(store: Store, year: int) -> list[CollaboratorProgress]:
    """Per collaborator (the registered ones, then any other assignee), then the enterprises assigned to
    nobody: what they follow and what was done in ``year``."""
    start, end = f"{year:04d}-01-01", f"{year:04d}-12-31"
    rows = store.conn.execute(
        """
        SELECT a.assignee, max(a.assignee_name), count(DISTINCT e.id),
               count(DISTINCT v.enterprise_id), count(DISTINCT v.id), max(v.visit_date)
        FROM enterprises e
        LEFT JOIN assignments a ON a.enterprise_id = e.id AND a.deleted = 0 AND a.assignee IS NOT NULL
        LEFT JOIN visits v ON v.enterprise_id = e.id AND v.deleted = 0 AND v.visit_date BETWEEN ? AND ?
        WHERE e.deleted = 0
        GROUP BY a.assignee
        """,
        (start, end),
    ).fetchall()
    founded = dict(
        store.conn.execute(
            """
            SELECT a.assignee, count(*) FROM organisations o
            JOIN enterprises e ON e.id = o.enterprise_id AND e.deleted = 0
            LEFT JOIN assignments a ON a.enterprise_id = e.id AND a.deleted = 0 AND a.assignee IS NOT NULL
            WHERE o.deleted = 0 AND o.status = 'founded' AND o.decision_date BETWEEN ? AND ?
            GROUP BY a.assignee
            """,
            (start, end),
        ).fetchall()
    )
    known = {c.laptop_id: c for c in collaborators(store)}
    by_id = {r[0]: r for r in rows}
    out = []
    for lid in [*known, *sorted(k for k in by_id if k is not None and k not in known)]:
        r = by_id.get(lid)
        name = known[lid].name if lid in known else (r[1] if r and r[1] else lid)
        out.append(
            CollaboratorProgress(
                lid,
                name,
                r[2] if r else 0,
                r[3] if r else 0,
                r[4] if r else 0,
                date.fromisoformat(r[5]) if r and r[5] else None,
                founded.get(lid, 0),
            )
        )
    r = by_id.get(None)
    if r is not None and r[2]:
        out.append(
            CollaboratorProgress(
                None,
                "Chưa phân công",
                r[2],
                r[3],
                r[4],
                date.fromisoformat(r[5]) if r[5] else None,
                founded.get(None, 0),
            )
        )
    return out
