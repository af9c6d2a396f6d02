"""How many members an organisation has on a given day.

The rule (docs/printing.md and the user guide say it in Vietnamese):

1. Start from the latest *count* of the organisation's members made on or before the day:
   - the founding members, counted on the founding decision's date;
   - a visit to the enterprise on or after that date: its count of the kind ("Tổng số đảng viên", or
     official + probationary when the total is blank; "Đoàn viên công đoàn", ...);
   - a count typed on the organisation's own form ("Số thành viên đếm được") with its day ("Đếm ngày").
   On the same day the organisation's own count wins over a visit's, a visit's over the founding count.
2. Add the people admitted (kết nạp, the admissions of that kind in the enterprise) *after* the count's
   day, up to the day asked. An admission on the count's own day is taken to be in the count.

People who leave (chuyển sinh hoạt đi, thôi việc, ra khỏi tổ chức) are not recorded one by one: the ward
learns of them by counting again, at the next visit or on the organisation's form, and that count
replaces everything before it. A count typed without its date (before version 6 of the database) cannot
be placed in time and is not used; it is still shown on the form.

An organisation that does not exist on the day (not founded yet, dissolved before it) has no members.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from app.domain.records import Admission, Organisation, Visit
from app.domain.vnformat import format_date, format_int
from app.domain.vocab import MEMBER_NOUN, OrgKind, OrgStatus

FOUNDING, VISIT, OWN = "founding", "visit", "organisation"
_PRIORITY = {FOUNDING: 0, VISIT: 1, OWN: 2}
_EARLIEST = date(1, 1, 1)


@dataclass(frozen=True)
class Count:
    on: date
    value: int
    source: str  # FOUNDING, VISIT or OWN


@dataclass(frozen=True)
class Membership:
    kind: OrgKind
    value: int  # members on the day
    base: Count | None  # the count it starts from (None: no count, only admissions)
    admitted: int  # admitted after the count, up to the day
    on: date

    def explain(self) -> str:
        """ "118 đảng viên: 5 khi thành lập (15/03/2024) + 113 kết nạp từ đó"."""
        noun = MEMBER_NOUN[self.kind]
        head = f"{format_int(self.value)} {noun}"
        if self.base is None:
            return f"{head}: {format_int(self.admitted)} kết nạp (chưa có số khi thành lập)"
        when = format_date(self.base.on) if self.base.on != _EARLIEST else "không rõ ngày"
        source = {
            FOUNDING: f"khi thành lập ({when})",
            VISIT: f"đếm khi khảo sát ngày {when}",
            OWN: f"đếm ngày {when}",
        }[self.base.source]
        if not self.admitted:
            return f"{head}: {format_int(self.base.value)} {source}"
        return f"{head}: {format_int(self.base.value)} {source} + {format_int(self.admitted)} kết nạp từ đó"


def visit_count(visit: Visit, kind: OrgKind) -> int | None:
    """A visit's count of the members of ``kind`` (None: not counted); for the Party, the total or else
    official + probationary, as the visit lists it (``Visit.listed_value``)."""
    return visit.listed_value(Visit.MEMBERS_FIELD[kind])


def exists_on(org: Organisation, on: date) -> bool:
    """Whether the organisation exists on the day (founded by then, not dissolved by then)."""
    if org.status == OrgStatus.FOUNDED:
        return org.decision_date is None or org.decision_date <= on
    if org.status == OrgStatus.DISSOLVED:
        return (
            org.decision_date is not None
            and org.decision_date <= on
            and org.dissolved_date is not None
            and org.dissolved_date > on
        )
    return False


def counts(org: Organisation, visits: Iterable[Visit], on: date) -> list[Count]:
    """Every count of the organisation's members made on or before ``on``."""
    founded = org.decision_date or _EARLIEST
    out: list[Count] = []
    if org.founding_members is not None and founded <= on:
        out.append(Count(founded, org.founding_members, FOUNDING))
    if (
        org.members is not None
        and org.members_counted_on is not None
        and founded <= org.members_counted_on <= on
    ):
        out.append(Count(org.members_counted_on, org.members, OWN))
    for v in visits:
        if v.visit_date is None or not founded <= v.visit_date <= on or v.enterprise_id != org.enterprise_id:
            continue
        n = visit_count(v, org.kind)
        if n is not None:
            out.append(Count(v.visit_date, n, VISIT))
    return out


def membership(
    org: Organisation, visits: Iterable[Visit], admissions: Iterable[Admission], on: date
) -> Membership | None:
    """The organisation's members on ``on`` (None if it does not exist that day)."""
    if not exists_on(org, on):
        return None
    found = counts(org, visits, on)
    base = max(found, key=lambda c: (c.on, _PRIORITY[c.source], c.value)) if found else None
    after = base.on if base is not None else _EARLIEST
    admitted = sum(
        a.count
        for a in admissions
        if a.kind == org.kind
        and a.enterprise_id == org.enterprise_id
        and a.admitted_on is not None
        and after < a.admitted_on <= on
    )
    return Membership(org.kind, (base.value if base else 0) + admitted, base, admitted, on)
