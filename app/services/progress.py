"""Achieved against target, per organisation kind and metric, for a unit and a year (no Qt).

Achieved counts, within the unit (a ward, or every ward of a province):
- ``organisations``: organisations of the kind whose founding decision is dated in the year
  (founded, or founded and later dissolved: it was founded that year);
- ``members``: people admitted (``admissions.count``) into the kind in the year.
The percentage rule is ``app.domain.vnformat.achievement`` with the office's rounding setting
(``percent_rounding``: "half_up", default, 16/15 -> vượt 6,67%; or "truncate" -> 6,66%).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.domain import units
from app.domain.vnformat import Rounding, achievement
from app.domain.vocab import OrgKind, TargetMetric
from app.storage import from_above
from app.storage.store import Store


@dataclass(frozen=True)
class ProgressRow:
    kind: OrgKind
    metric: TargetMetric
    achieved: int
    target: int | None  # None: no target set
    target_id: str | None
    result: dict[str, Any]  # vnformat.achievement(...)
    source: from_above.Source | None = (
        None  # who set the target (an office above: this machine cannot change it)
    )

    @property
    def ratio(self) -> str:
        return self.result["ratio"]


def _ward_filter(unit_code: str) -> tuple[str, list[str]]:
    if units.ward(unit_code):
        return "e.ward_code = ?", [unit_code]
    if units.province(unit_code):
        codes = [w.code for w in units.wards(unit_code)]
        return f"e.ward_code IN ({', '.join('?' * len(codes))})", codes
    return "0", []


def achieved(store: Store, unit_code: str, year: int) -> dict[tuple[OrgKind, TargetMetric], int]:
    cond, params = _ward_filter(unit_code)
    start, end = f"{year:04d}-01-01", f"{year:04d}-12-31"
    out = {(k, m): 0 for k in OrgKind for m in TargetMetric}
    for kind, n in store.conn.execute(
        "SELECT o.kind, count(*) FROM organisations o JOIN enterprises e ON e.id = o.enterprise_id "
        f"WHERE o.deleted = 0 AND e.deleted = 0 AND o.status IN ('founded', 'dissolved') "
        f"AND o.decision_date BETWEEN ? AND ? AND {cond} GROUP BY o.kind",
        [start, end, *params],
    ):
        k = OrgKind.parse(kind)
        if k is not None:
            out[(k, TargetMetric.ORGANISATIONS)] = n  # type: ignore[index]
    for kind, n in store.conn.execute(
        "SELECT a.kind, sum(a.count) FROM admissions a JOIN enterprises e ON e.id = a.enterprise_id "
        f"WHERE a.deleted = 0 AND e.deleted = 0 AND a.admitted_on BETWEEN ? AND ? AND {cond} GROUP BY a.kind",
        [start, end, *params],
    ):
        k = OrgKind.parse(kind)
        if k is not None:
            out[(k, TargetMetric.MEMBERS)] = n or 0  # type: ignore[index]
    return out


def targets(
    store: Store, unit_code: str, year: int
) -> dict[tuple[OrgKind, TargetMetric], tuple[str, int, from_above.Source]]:
    """The targets that apply to the unit: those set by the highest office above this machine win
    (``app/storage/from_above.py``); each with who set it."""
    out = {}
    for (kind, metric), t in from_above.targets(store.conn, unit_code, year).items():
        k, m = OrgKind.parse(kind), TargetMetric.parse(metric)
        if k is not None and m is not None:
            out[(k, m)] = (t.id, t.value, t.source)
    return out


def rounding(store: Store) -> Rounding:
    """Set by an office above (or this office), else the local choice."""
    value, _source = from_above.setting(store.conn, "rounding")
    try:
        return Rounding(value or store.setting("percent_rounding", Rounding.HALF_UP.value))
    except ValueError:
        return Rounding.HALF_UP


def progress(store: Store, unit_code: str, year: int) -> list[ProgressRow]:
    """One row per kind and metric, in the order kinds are declared (organisations first)."""
    got = achieved(store, unit_code, year)
    tgt = targets(store, unit_code, year)
    mode = rounding(store)
    rows = []
    for metric in TargetMetric:
        for kind in OrgKind:
            a = got[(kind, metric)]
            tid, value, source = tgt.get((kind, metric), (None, None, None))
            result = achievement(a, value if value is not None else 0, mode)
            rows.append(ProgressRow(kind, metric, a, value, tid, result, source))
    return rows


def years_with_data(store: Store) -> list[int]:
    years = set()
    for (y,) in store.conn.execute("SELECT DISTINCT year FROM targets WHERE deleted = 0"):
        years.add(int(y))
    for (d,) in store.conn.execute(
        "SELECT DISTINCT substr(decision_date, 1, 4) FROM organisations WHERE deleted = 0 AND decision_date IS NOT NULL"
    ):
        if d and d.isdigit():
            years.add(int(d))
    return sorted(years)
