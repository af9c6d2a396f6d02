"""Validation that returns every problem at once.

Each problem names the field and says, in Vietnamese, what to fix. Normalisation (NFC, trimmed,
collapsed spaces, canonical tax code) happens first, so callers validate what they will store.

The checks every declared field gets (required, kind, codes, lengths, bounds, real dates, parts
not above the whole) come from ``app.domain.checks``; the rules that tie fields together in other
ways are here.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date

from app.domain import taxcode
from app.domain.checks import Problem, check_record, normalise
from app.domain.fields import MAX_COUNT
from app.domain.probation import due_on, is_probation
from app.domain.records import Admission, Enterprise, Organisation, QualityRating, Target, Visit
from app.domain.text import clean
from app.domain.vnformat import format_date
from app.domain.vocab import MEMBER_NOUN, ORG_TRANSITIONS, LegalForm, OrgKind, OrgStatus

__all__ = [
    "DEFAULT_RULES",
    "MAX_COUNT",
    "FoundingRules",
    "Problem",
    "ValidationError",
    "founding_explanation",
    "normalise_admission",
    "normalise_enterprise",
    "normalise_organisation",
    "normalise_visit",
    "validate_admission",
    "validate_enterprise",
    "validate_organisation",
    "validate_rating",
    "validate_target",
    "validate_visit",
]


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


# --- enterprise ----------------------------------------------------------------------------------


def normalise_enterprise(e: Enterprise) -> Enterprise:
    e = normalise(e)
    section = clean(e.vsic_section).upper() or None if e.vsic_section else None
    return dataclasses.replace(e, vsic_section=section) if section != e.vsic_section else e


def validate_enterprise(e: Enterprise, today: date | None = None) -> list[Problem]:
    """Every problem of an (already normalised) enterprise."""
    problems = check_record(e, today)
    if (
        e.legal_form not in (None, LegalForm.HOUSEHOLD)
        and len(e.tax_code) >= 12  # a 10-digit code is never a personal ID: no need to parse it again
        and all(p.field != "tax_code" for p in problems)
        and taxcode.parse(e.tax_code).kind == taxcode.TaxCodeKind.PERSONAL
    ):
        problems.append(
            Problem(
                "tax_code",
                "Mã 12 chữ số là số định danh cá nhân, chỉ dùng cho hộ kinh doanh; "
                "doanh nghiệp phải có mã số thuế 10 chữ số.",
            )
        )
    return problems


# --- visit ---------------------------------------------------------------------------------------


def normalise_visit(v: Visit) -> Visit:
    return normalise(v)


def validate_visit(v: Visit, today: date | None = None) -> list[Problem]:
    problems = check_record(v, today)
    if v.next_visit_date is not None and v.visit_date is not None and v.next_visit_date < v.visit_date:
        problems.append(Problem("next_visit_date", "Ngày hẹn lần sau phải sau ngày khảo sát."))
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
    return normalise(o)


def validate_organisation(
    o: Organisation,
    previous: OrgStatus | None = None,
    rules: FoundingRules = DEFAULT_RULES,
    today: date | None = None,
) -> list[Problem]:
    problems = check_record(o, today)
    if previous is not None and o.status not in ORG_TRANSITIONS[previous]:
        problems.append(Problem("status", f"Không thể chuyển từ «{previous.label}» sang «{o.status.label}»."))
    if o.members_counted_on is not None:
        if o.members is None:
            problems.append(Problem("members", "Đã có ngày đếm nhưng chưa nhập số thành viên đếm được."))
        if o.decision_date is not None and o.members_counted_on < o.decision_date:
            problems.append(
                Problem(
                    "members_counted_on", "Ngày đếm số thành viên phải từ ngày quyết định thành lập trở đi."
                )
            )
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


def normalise_admission(a: Admission) -> Admission:
    return normalise(a)


def validate_admission(a: Admission, today: date | None = None) -> list[Problem]:
    problems = check_record(a, today)
    bad = {p.field for p in problems}
    if a.official_on is None:
        if a.official_decision:
            problems.append(
                Problem("official_on", "Đã có số quyết định nhưng chưa nhập ngày công nhận chính thức.")
            )
        elif a.official_count is not None and "official_count" not in bad:
            problems.append(Problem("official_on", "Chưa nhập ngày công nhận chính thức."))
        return problems
    if not is_probation(a.kind):
        problems.append(
            Problem(
                "official_on",
                "Chỉ người được kết nạp vào Đảng (đảng viên dự bị) mới được công nhận chính thức; "
                f"hãy xóa ngày công nhận của lần kết nạp vào {a.kind.label.lower()}.",
            )
        )
        return problems
    if not a.official_decision:
        problems.append(
            Problem("official_decision", "Chưa nhập số quyết định công nhận đảng viên chính thức.")
        )
    if isinstance(a.admitted_on, date) and "official_on" not in bad:
        due = due_on(a.admitted_on)
        if a.official_on < due:
            problems.append(
                Problem(
                    "official_on",
                    f"Đảng viên dự bị chỉ được công nhận chính thức khi hết 12 tháng dự bị, "
                    f"tức từ ngày {format_date(due)} (kết nạp ngày {format_date(a.admitted_on)}).",
                )
            )
    return problems


def validate_rating(
    r: QualityRating, organisation: Organisation | None = None, today: date | None = None
) -> list[Problem]:
    """A yearly quality level; with its ``organisation`` (as stored), also that it is rated as what it is,
    in its enterprise, in a year it existed."""
    problems = check_record(r, today)
    if organisation is None:
        return problems
    if organisation.enterprise_id != r.enterprise_id or organisation.kind != r.kind:
        problems.append(Problem("organisation_id", "Tổ chức được xếp loại không thuộc doanh nghiệp này."))
    elif organisation.status not in (OrgStatus.FOUNDED, OrgStatus.DISSOLVED):
        problems.append(
            Problem("level", f"{organisation.kind.label} chưa thành lập nên chưa xếp loại chất lượng được.")
        )
    elif isinstance(r.year, int):
        founded = organisation.decision_date
        gone = organisation.dissolved_date if organisation.status == OrgStatus.DISSOLVED else None
        if founded is not None and r.year < founded.year:
            problems.append(
                Problem(
                    "year", f"Tổ chức thành lập năm {founded.year}, không xếp loại được cho năm {r.year}."
                )
            )
        elif gone is not None and r.year > gone.year:
            problems.append(
                Problem("year", f"Tổ chức đã giải thể năm {gone.year}, không xếp loại được cho năm {r.year}.")
            )
    return problems


def validate_target(t: Target) -> list[Problem]:
    return check_record(t)
