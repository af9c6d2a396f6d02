"""Validation that returns every problem at once.

Each problem names the field and says, in Vietnamese, what to fix. Normalisation (NFC, trimmed,
collapsed spaces, canonical tax code) happens first, so callers validate what they will store.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from datetime import date

from app.domain import taxcode
from app.domain.records import Admission, Enterprise, Organisation, Target, Visit
from app.domain.text import clean, clean_or_none
from app.domain.vocab import MEMBER_NOUN, ORG_TRANSITIONS, LegalForm, OrgKind, OrgStatus

MAX_COUNT = 1_000_000  # no enterprise in Vietnam has a million workers
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE_RE = re.compile(r"^[0-9+()./ -]{6,20}$")


@dataclass(frozen=True)
class Problem:
    field: str
    message: str

    def __str__(self) -> str:
        return self.message


class ValidationError(Exception):
    """Raised by write operations when a record does not pass validation."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(p.message for p in problems))


@dataclass(frozen=True)
class FoundingRules:
    """Founding minimums: members needed to found an organisation of each kind.

    National rules by default; an office may change them (``None`` means no minimum).
    """

    minimums: dict[OrgKind, int | None] = dataclasses.field(
        default_factory=lambda: {
            OrgKind.PARTY: 3,  # Điều lệ Đảng, điều 21: ít nhất 3 đảng viên chính thức
            OrgKind.UNION: 5,  # Điều lệ Công đoàn: ít nhất 5 đoàn viên hoặc người lao động có đơn
            OrgKind.YOUTH: 3,  # Điều lệ Đoàn: ít nhất 3 đoàn viên
            OrgKind.WOMEN: None,
            OrgKind.VETERANS: None,
        }
    )

    def minimum(self, kind: OrgKind) -> int | None:
        return self.minimums.get(kind)


DEFAULT_RULES = FoundingRules()

_FOUNDING_EXPLANATION = {
    OrgKind.PARTY: "Điều lệ Đảng quy định tổ chức đảng cần ít nhất {n} đảng viên chính thức",
    OrgKind.UNION: "Điều lệ Công đoàn quy định cần ít nhất {n} đoàn viên hoặc người lao động có đơn gia nhập",
    OrgKind.YOUTH: "Điều lệ Đoàn quy định chi đoàn cần ít nhất {n} đoàn viên",
    OrgKind.WOMEN: "Quy định của cơ quan: cần ít nhất {n} hội viên",
    OrgKind.VETERANS: "Quy định của cơ quan: cần ít nhất {n} hội viên",
}


def founding_explanation(kind: OrgKind, rules: FoundingRules = DEFAULT_RULES) -> str | None:
    n = rules.minimum(kind)
    if n is None:
        return None
    return _FOUNDING_EXPLANATION[kind].format(n=n) + "."


# --- helpers -----------------------------------------------------------------------------------


def _check_count(problems: list[Problem], record: object, name: str, label: str) -> None:
    value = getattr(record, name)
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        problems.append(Problem(name, f"{label} phải là số nguyên."))
    elif value < 0:
        problems.append(Problem(name, f"{label} không được là số âm (đã nhập {value})."))
    elif value > MAX_COUNT:
        problems.append(Problem(name, f"{label} quá lớn ({value}); hãy kiểm tra lại."))


def _not_above(
    problems: list[Problem], record: object, part: str, whole: str, labels: dict[str, str]
) -> None:
    a, b = getattr(record, part), getattr(record, whole)
    if isinstance(a, int) and isinstance(b, int) and a >= 0 and b >= 0 and a > b:
        problems.append(
            Problem(part, f"{labels[part]} ({a}) không được lớn hơn {labels[whole].lower()} ({b}).")
        )


def _not_future(problems: list[Problem], name: str, label: str, value: date | None, today: date) -> None:
    if value is not None and value > today:
        problems.append(Problem(name, f"{label} không được sau ngày hôm nay ({today:%d/%m/%Y})."))


# --- enterprise ----------------------------------------------------------------------------------


def normalise_enterprise(e: Enterprise) -> Enterprise:
    tax = taxcode.parse(e.tax_code)
    return dataclasses.replace(
        e,
        name=clean(e.name),
        short_name=clean_or_none(e.short_name),
        tax_code=tax.value,
        vsic_section=(clean(e.vsic_section).upper() or None) if e.vsic_section else None,
        address=clean_or_none(e.address),
        ward_code=clean(e.ward_code),
        phone=clean_or_none(e.phone),
        email=(clean(e.email).lower() or None) if e.email else None,
        owner_name=clean_or_none(e.owner_name),
        note=clean_or_none(e.note),
    )


def validate_enterprise(e: Enterprise, today: date | None = None) -> list[Problem]:
    """Every problem of an (already normalised) enterprise."""
    from app.domain import units
    from app.domain.vocab import VSIC_SECTIONS

    today = today or date.today()
    L = Enterprise.LABELS
    problems: list[Problem] = []
    if not e.name:
        problems.append(Problem("name", "Chưa nhập tên doanh nghiệp."))
    elif len(e.name) > 300:
        problems.append(Problem("name", "Tên doanh nghiệp quá dài (tối đa 300 ký tự)."))
    tax = taxcode.parse(e.tax_code)
    if tax.error:
        problems.append(Problem("tax_code", tax.error))
    elif tax.kind == taxcode.TaxCodeKind.PERSONAL and e.legal_form not in (None, LegalForm.HOUSEHOLD):
        problems.append(
            Problem(
                "tax_code",
                "Mã 12 chữ số là số định danh cá nhân, chỉ dùng cho hộ kinh doanh; "
                "doanh nghiệp phải có mã số thuế 10 chữ số.",
            )
        )
    if not e.ward_code:
        problems.append(Problem("ward_code", "Chưa chọn phường, xã của doanh nghiệp."))
    elif units.ward(e.ward_code) is None:
        problems.append(Problem("ward_code", f"Mã phường, xã «{e.ward_code}» không có trong danh mục."))
    if e.vsic_section and e.vsic_section not in VSIC_SECTIONS:
        problems.append(
            Problem("vsic_section", "Ngành kinh tế phải là một chữ cái từ A đến U (mã ngành cấp 1 VSIC).")
        )
    if e.email and not _EMAIL_RE.match(e.email):
        problems.append(Problem("email", "Thư điện tử không đúng dạng (ví dụ: ten@congty.vn)."))
    if e.phone and not _PHONE_RE.match(e.phone):
        problems.append(Problem("phone", "Số điện thoại chỉ gồm chữ số (có thể có dấu cách, dấu chấm, +)."))
    if e.year_founded is not None and not (1900 <= e.year_founded <= today.year):
        problems.append(Problem("year_founded", f"Năm thành lập phải từ 1900 đến {today.year}."))
    for name in ("workforce_total", "workforce_women", "workforce_under30"):
        _check_count(problems, e, name, L[name])
    _not_above(problems, e, "workforce_women", "workforce_total", L)
    _not_above(problems, e, "workforce_under30", "workforce_total", L)
    return problems


# --- visit ---------------------------------------------------------------------------------------


def normalise_visit(v: Visit) -> Visit:
    return dataclasses.replace(
        v,
        collaborator=clean_or_none(v.collaborator),
        person_met=clean_or_none(v.person_met),
        person_met_title=clean_or_none(v.person_met_title),
        difficulties=clean_or_none(v.difficulties),
        proposals=clean_or_none(v.proposals),
        next_step=clean_or_none(v.next_step),
    )


def validate_visit(v: Visit, today: date | None = None) -> list[Problem]:
    today = today or date.today()
    L = Visit.LABELS
    problems: list[Problem] = []
    if not v.enterprise_id:
        problems.append(Problem("enterprise_id", "Chưa chọn doanh nghiệp được khảo sát."))
    if v.visit_date is None:
        problems.append(
            Problem("visit_date", "Chưa nhập ngày khảo sát (dạng ngày/tháng/năm, ví dụ 27/02/2024).")
        )
    else:
        _not_future(problems, "visit_date", "Ngày khảo sát", v.visit_date, today)
        if v.visit_date.year < 2000:
            problems.append(Problem("visit_date", "Ngày khảo sát phải từ năm 2000 trở đi."))
    if v.next_visit_date is not None and v.visit_date is not None and v.next_visit_date < v.visit_date:
        problems.append(Problem("next_visit_date", "Ngày hẹn lần sau phải sau ngày khảo sát."))
    for name in Visit.COUNT_FIELDS:
        _check_count(problems, v, name, L[name])
    for part in ("workforce_women", "workforce_under30", "party_total", "union_members"):
        _not_above(problems, v, part, "workforce_total", L)
    if v.party_total is None:
        # without a total, official + probationary are still members of the workforce
        o, p, w = v.party_official, v.party_probationary, v.workforce_total
        if (
            isinstance(o, int)
            and isinstance(p, int)
            and isinstance(w, int)
            and min(o, p, w) >= 0
            and o + p > w
        ):
            problems.append(
                Problem(
                    "party_official",
                    f"Số đảng viên ({o} chính thức + {p} dự bị = {o + p}) không được lớn hơn "
                    f"tổng số lao động ({w}).",
                )
            )
    o, p, t = v.party_official, v.party_probationary, v.party_total
    if all(isinstance(x, int) and x >= 0 for x in (o, p, t)) and o + p != t:  # type: ignore[operator]
        problems.append(
            Problem(
                "party_total",
                f"Đảng viên chính thức ({o}) + dự bị ({p}) = {o + p}, "  # type: ignore[operator]
                f"nhưng tổng số đảng viên là {t}. Hãy sửa cho khớp.",
            )
        )
    return problems


# --- organisation --------------------------------------------------------------------------------


def normalise_organisation(o: Organisation) -> Organisation:
    return dataclasses.replace(
        o,
        decision_number=clean_or_none(o.decision_number),
        issuing_body=clean_or_none(o.issuing_body),
        leader=clean_or_none(o.leader),
        note=clean_or_none(o.note),
    )


def validate_organisation(
    o: Organisation,
    previous: OrgStatus | None = None,
    rules: FoundingRules = DEFAULT_RULES,
    today: date | None = None,
) -> list[Problem]:
    today = today or date.today()
    L = Organisation.LABELS
    problems: list[Problem] = []
    if not o.enterprise_id:
        problems.append(Problem("enterprise_id", "Chưa chọn doanh nghiệp."))
    if previous is not None and o.status not in ORG_TRANSITIONS[previous]:
        problems.append(Problem("status", f"Không thể chuyển từ «{previous.label}» sang «{o.status.label}»."))
    for name in ("founding_members", "members"):
        _check_count(problems, o, name, L[name])
    for name in ("mobilising_since", "decision_date", "dissolved_date"):
        _not_future(problems, name, L[name], getattr(o, name), today)
    if o.status in (OrgStatus.FOUNDED, OrgStatus.DISSOLVED):
        if not o.decision_number:
            problems.append(Problem("decision_number", "Chưa nhập số quyết định thành lập."))
        if o.decision_date is None:
            problems.append(Problem("decision_date", "Chưa nhập ngày của quyết định thành lập."))
        if not o.issuing_body:
            problems.append(Problem("issuing_body", "Chưa nhập cơ quan ban hành quyết định thành lập."))
        minimum = rules.minimum(o.kind)
        if o.founding_members is None:
            problems.append(Problem("founding_members", "Chưa nhập số thành viên khi thành lập."))
        elif minimum is not None and 0 <= o.founding_members < minimum:
            problems.append(
                Problem(
                    "founding_members",
                    f"Chưa đủ điều kiện thành lập: {founding_explanation(o.kind, rules)[:-1]}, "  # type: ignore[index]
                    f"nhưng mới có {o.founding_members} {MEMBER_NOUN[o.kind]}.",
                )
            )
    if o.status == OrgStatus.DISSOLVED:
        if o.dissolved_date is None:
            problems.append(Problem("dissolved_date", "Chưa nhập ngày giải thể."))
        elif o.decision_date is not None and o.dissolved_date < o.decision_date:
            problems.append(Problem("dissolved_date", "Ngày giải thể phải sau ngày quyết định thành lập."))
    return problems


# --- admissions and targets ----------------------------------------------------------------------


def validate_admission(a: Admission, today: date | None = None) -> list[Problem]:
    today = today or date.today()
    problems: list[Problem] = []
    if not a.enterprise_id:
        problems.append(Problem("enterprise_id", "Chưa chọn doanh nghiệp."))
    if a.admitted_on is None:
        problems.append(Problem("admitted_on", "Chưa nhập ngày kết nạp."))
    else:
        _not_future(problems, "admitted_on", "Ngày kết nạp", a.admitted_on, today)
    if isinstance(a.count, bool) or not isinstance(a.count, int) or a.count < 1:
        problems.append(Problem("count", "Số người kết nạp phải là số nguyên từ 1 trở lên."))
    elif a.count > MAX_COUNT:
        problems.append(Problem("count", "Số người kết nạp quá lớn; hãy kiểm tra lại."))
    return problems


def validate_target(t: Target) -> list[Problem]:
    from app.domain import units

    problems: list[Problem] = []
    if units.unit_name(t.unit_code) is None:
        problems.append(Problem("unit_code", f"Mã đơn vị «{t.unit_code}» không có trong danh mục."))
    if not (2000 <= t.year <= 2100):
        problems.append(Problem("year", "Năm của chỉ tiêu phải từ 2000 đến 2100."))
    if isinstance(t.value, bool) or not isinstance(t.value, int) or t.value < 0:
        problems.append(Problem("value", "Số chỉ tiêu phải là số nguyên không âm."))
    return problems
