"""The enterprise list for export: one row per enterprise, the columns an office works with.

Data minimisation: whether the owner is a Party member (political-affiliation data) is not
exported; the list carries what is needed to plan visits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from app.domain import units
from app.domain.vocab import ORG_KIND_SHORT, VSIC_SECTIONS, EnterpriseStatus, LegalForm, OrgKind
from app.storage.store import Store

COLUMNS: list[tuple[str, str, float]] = [  # key, Vietnamese header, width (characters)
    ("no", "STT", 6),
    ("name", "Tên doanh nghiệp", 44),
    ("short_name", "Tên viết tắt", 16),
    ("tax_code", "Mã số thuế", 15),
    ("legal_form", "Loại hình doanh nghiệp", 26),
    ("vsic", "Ngành kinh tế", 30),
    ("address", "Địa chỉ", 48),
    ("ward", "Phường, xã", 20),
    ("phone", "Điện thoại", 14),
    ("email", "Thư điện tử", 26),
    ("owner_name", "Người đại diện theo pháp luật", 24),
    ("year_founded", "Năm thành lập", 9),
    ("workforce_total", "Tổng số lao động", 10),
    ("workforce_women", "Lao động nữ", 10),
    ("workforce_under30", "Lao động dưới 30 tuổi", 10),
    ("status", "Tình trạng hoạt động", 18),
    ("founded", "Tổ chức đã thành lập", 28),
    ("last_visit", "Lần khảo sát gần nhất", 13),
]
GROUPED_COLUMNS = {"workforce_total", "workforce_women", "workforce_under30"}  # shown as 1.549
DATE_COLUMNS = {"last_visit"}


@dataclass
class EnterpriseRow:
    values: dict[str, Any]


def enterprise_rows(store: Store, unit_code: str | None = None) -> list[dict[str, Any]]:
    """Rows of the list (not deleted), by ward then name; numbers as int, dates as ``date``."""
    params: list[Any] = []
    where = "e.deleted = 0"
    if unit_code:
        wards = units.ward_codes(unit_code)
        where += f" AND e.ward_code IN ({', '.join('?' * len(wards))})"
        params.extend(wards)
    sql = (
        "SELECT e.*, (SELECT max(v.visit_date) FROM visits v WHERE v.enterprise_id = e.id AND v.deleted = 0) "
        "AS last_visit, (SELECT group_concat(o.kind) FROM organisations o WHERE o.enterprise_id = e.id "
        f"AND o.deleted = 0 AND o.status = 'founded') AS founded_kinds FROM enterprises e WHERE {where} "
        "ORDER BY e.ward_code, e.name, e.rid"
    )
    cur = store.conn.execute(sql, params)
    cols = [d[0] for d in cur.description]
    out = []
    for i, raw in enumerate(cur.fetchall(), start=1):
        r = dict(zip(cols, raw))
        kinds = set((r["founded_kinds"] or "").split(","))
        ward = units.ward(r["ward_code"])
        form = LegalForm.parse(r["legal_form"])
        status = EnterpriseStatus.parse(r["status"])
        out.append(
            {
                "no": i,
                "name": r["name"],
                "short_name": r["short_name"],
                "tax_code": r["tax_code"],
                "legal_form": form.label if form else r["legal_form"],
                "vsic": f"{r['vsic_section']} - {VSIC_SECTIONS.get(r['vsic_section'], '')}"
                if r["vsic_section"]
                else None,
                "address": r["address"],
                "ward": ward.name if ward else r["ward_code"],
                "phone": r["phone"],
                "email": r["email"],
                "owner_name": r["owner_name"],
                "year_founded": r["year_founded"],
                "workforce_total": r["workforce_total"],
                "workforce_women": r["workforce_women"],
                "workforce_under30": r["workforce_under30"],
                "status": status.label if status else r["status"],
                "founded": ", ".join(ORG_KIND_SHORT[k] for k in OrgKind if k.value in kinds) or None,
                "last_visit": date.fromisoformat(r["last_visit"]) if r["last_visit"] else None,
            }
        )
    return out
