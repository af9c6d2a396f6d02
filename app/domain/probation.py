"""Probationary Party members and their recognition as official (chuyển đảng viên chính thức).

An admission into the Party (``Admission`` of kind ``party``) makes its people probationary members
(đảng viên dự bị) for ``PROBATION_MONTHS`` (12, Điều lệ Đảng, điều 5). When the probation ends, the
Party cell considers them and a decision recognises them as official: the admission records the
decision's day (``official_on``), number (``official_decision``) and how many of its people were
recognised (``official_count``; empty: all of them). Those not recognised are not Party members any
more; they are not counted one by one.

*Due* is the day the probation ends: the same day of the month PROBATION_MONTHS later (29 February
becomes 28 February). An admission not yet decided on is *overdue* on a day after its due day.

Pure Python: no Qt, no SQL (the same rule in SQL is in ``app/services/development.py``).
"""

from __future__ import annotations

import calendar
from datetime import date

from app.domain.vocab import PROBATION_MONTHS, OrgKind


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (or earlier), the month's last day when it has no such day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def due_on(admitted_on: date) -> date:
    """The day a probation that started on ``admitted_on`` ends."""
    return add_months(admitted_on, PROBATION_MONTHS)


def is_probation(kind: OrgKind | str | None) -> bool:
    """Whether an admission of this kind starts a probation (only the Party's do)."""
    return kind == OrgKind.PARTY


def recognised(count: int, official_count: int | None) -> int:
    """How many people of an admission of ``count`` were recognised as official."""
    return count if official_count is None else official_count
