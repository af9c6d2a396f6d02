"""Micro-benchmark of the record hot paths: ``to_row``, ``from_row`` and the declared value checks.

    uv run python bench/bench_records.py [--n 100000] [--repeat 5]

``to_row`` and ``from_row`` run for every record of a province-size import (500,000 enterprises and
their visits); the declared checks run for every record the list import and the services validate.
Prints the best of ``--repeat`` runs per operation, in microseconds per record, with the machine and
its load (the machine is shared: numbers are noisy, compare runs taken together).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine import machine

from app.domain.records import Enterprise, Visit
from app.domain.vocab import Attitude, EnterpriseStatus, LegalForm


def sample(n: int) -> tuple[list[Enterprise], list[Visit]]:
    es = [
        Enterprise(
            name=f"Công ty TNHH Hòa Bình {i}",
            short_name="HB",
            tax_code="0100109106",
            legal_form=LegalForm.LLC_ONE,
            vsic_section="C",
            address=f"Số {i} phố Hàng Bạc",
            ward_code="00070",
            phone="0243826123",
            owner_name="Nguyễn Thị Hằng",
            year_founded=2015,
            workforce_total=245,
            workforce_women=130,
            workforce_under30=77,
            status=EnterpriseStatus.ACTIVE,
        )
        for i in range(n)
    ]
    vs = [
        Visit(
            enterprise_id=e.id,
            visit_date=date(2025, 6, 3),
            collaborator="Trần Văn Nam",
            person_met="Lê Thị Thu Hà",
            workforce_total=241,
            party_total=4,
            party_official=3,
            party_probationary=1,
            has_union=True,
            attitude=Attitude.UNDECIDED,
            next_visit_date=date(2025, 9, 1),
        )
        for e in es
    ]
    return es, vs


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    n = args.n
    es, vs = sample(n)
    e_rows = [e.to_row() for e in es]
    v_rows = [v.to_row() for v in vs]
    today = date(2025, 11, 20)
    cases = {
        "Enterprise.to_row": lambda: [e.to_row() for e in es],
        "Enterprise.from_row": lambda: [Enterprise.from_row(r) for r in e_rows],
        "Visit.to_row": lambda: [v.to_row() for v in vs],
        "Visit.from_row": lambda: [Visit.from_row(r) for r in v_rows],
    }
    from app.domain.validation import validate_enterprise, validate_visit

    cases["validate_enterprise"] = lambda: [validate_enterprise(e, today) for e in es]
    cases["validate_visit"] = lambda: [validate_visit(v, today) for v in vs]
    try:
        from app.domain.checks import check_record
    except ImportError:  # before the declared checks existed
        check_record = None
    if check_record is not None:
        cases["check_record(Enterprise)"] = lambda: [check_record(e, today) for e in es]
        cases["check_record(Visit)"] = lambda: [check_record(v, today) for v in vs]
    load = os.getloadavg()
    print(
        f"{machine()}; load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; {n:,} records, best of {args.repeat}"
    )
    for name, fn in cases.items():
        print(f"  {name:28} {best(fn, args.repeat) / n * 1e6:7.2f} µs/record")


if __name__ == "__main__":
    main()
