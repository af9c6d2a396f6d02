"""The configurable chain of offices above the ward.

Data flows upward: collaborator laptop → ward office → (optional middle offices, e.g. a Party committee
of an enterprise bloc or a Labour Federation) → province office. The chain is data, not three
hard-coded levels: each office names its parent, and ``validate_chain`` checks the whole set.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.domain import units
from app.domain.records import new_id
from app.domain.text import clean, shown, text_problem
from app.domain.validation import Problem
from app.domain.vocab import Role

# How high each office role stands; a parent must stand higher than its child.
LEVEL = {Role.WARD_OFFICE: 1, Role.MIDDLE_OFFICE: 2, Role.PROVINCE_OFFICE: 3}


@dataclass
class Office:
    name: str
    role: Role
    unit_code: str
    parent_id: str | None = None
    id: str = field(default_factory=new_id)


def validate_office(o: Office) -> list[Problem]:
    problems = []
    name = clean(o.name)
    if not name:
        problems.append(Problem("name", "Chưa nhập tên cơ quan."))
    elif problem := text_problem(name, "Tên cơ quan", 300):  # a direction override, a damaged character
        problems.append(Problem("name", problem))
    if o.role not in LEVEL:
        problems.append(Problem("role", "Vai trò của cơ quan phải là cấp phường, trung gian hoặc cấp tỉnh."))
        return problems
    unit = units.unit(o.unit_code)
    if unit is None:
        problems.append(Problem("unit_code", f"Mã đơn vị «{shown(o.unit_code)}» không có trong danh mục."))
    elif o.role == Role.WARD_OFFICE and unit.is_province:
        problems.append(Problem("unit_code", "Cơ quan cấp phường phải gắn với một phường/xã (mã 5 số)."))
    elif o.role == Role.PROVINCE_OFFICE and not unit.is_province:
        problems.append(Problem("unit_code", "Cơ quan cấp tỉnh phải gắn với một tỉnh/thành phố (mã 2 số)."))
    return problems


def validate_chain(offices: list[Office]) -> list[Problem]:
    """Every problem of a set of offices: each valid, parents exist and stand higher, no cycles."""
    by_id = {o.id: o for o in offices}
    problems: list[Problem] = []
    for o in offices:
        problems += [
            Problem(f"{o.id}.{p.field}", f"{shown(o.name)}: {p.message}") for p in validate_office(o)
        ]
        if o.parent_id is None:
            continue
        parent = by_id.get(o.parent_id)
        if parent is None:
            problems.append(
                Problem(f"{o.id}.parent_id", f"{o.name}: cơ quan cấp trên không có trong danh sách.")
            )
            continue
        if parent.role in LEVEL and o.role in LEVEL and LEVEL[parent.role] <= LEVEL[o.role]:
            problems.append(
                Problem(
                    f"{o.id}.parent_id", f"{o.name}: cơ quan cấp trên «{parent.name}» phải ở cấp cao hơn."
                )
            )
        pu, ou = units.province_of(parent.unit_code), units.province_of(o.unit_code)
        if pu and ou and pu != ou:
            problems.append(
                Problem(f"{o.id}.parent_id", f"{o.name}: cơ quan cấp trên «{parent.name}» thuộc tỉnh khác.")
            )
        seen = {o.id}
        cur = parent
        while cur is not None and cur.parent_id is not None:
            if cur.id in seen:
                problems.append(
                    Problem(f"{o.id}.parent_id", f"{o.name}: chuỗi cơ quan cấp trên bị vòng lặp.")
                )
                break
            seen.add(cur.id)
            cur = by_id.get(cur.parent_id)
    return problems


def chain_above(offices: list[Office], start_id: str) -> list[Office]:
    """The office ``start_id`` and every office above it, bottom to top."""
    by_id = {o.id: o for o in offices}
    out: list[Office] = []
    cur = by_id.get(start_id)
    while cur is not None and cur not in out:
        out.append(cur)
        cur = by_id.get(cur.parent_id) if cur.parent_id else None
    return out


def office_for_unit(offices: list[Office], unit_code: str) -> Office | None:
    """The lowest office that covers ``unit_code`` (the ward office, else the nearest above)."""
    candidates = [o for o in offices if units.contains(o.unit_code, unit_code)]
    return min(candidates, key=lambda o: LEVEL.get(o.role, 9), default=None)


def title(role: str, unit_code: str | None) -> str | None:
    """How people name an office of ``role`` for ``unit_code`` when it sets a value ("do Đảng ủy phường
    Hoàn Kiếm giao"): a ward office is the ward's Party committee, a province office the province's
    (Tỉnh ủy, or Thành ủy for a centrally governed city). None when the unit says nothing of its name (a
    middle office: a bloc's Party committee, a Labour Federation), or the unit is unknown."""
    u = units.unit(unit_code)
    if u is None:
        return None
    if role == Role.WARD_OFFICE.value and not u.is_province:
        return f"Đảng ủy {u.name[:1].lower()}{u.name[1:]}"  # "Phường Hoàn Kiếm" -> "Đảng ủy phường Hoàn Kiếm"
    if role == Role.PROVINCE_OFFICE.value and u.is_province:
        return f"{'Thành ủy' if u.kind.startswith('thành phố') else 'Tỉnh ủy'} {u.short_name}"
    return None
