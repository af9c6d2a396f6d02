"""The records KhaoSat keeps. Plain dataclasses: no Qt, no SQL.

Every field is declared once, here, with its metadata (``app.domain.fields``): label, kind,
choices, bounds, place on the form and on paper. Labels, columns, value checks, forms, printed
forms, exports and the bundle spec are read from these declarations through ``fields_of``.

Dates are ``datetime.date``; counts are ``int`` or ``None`` (unknown). Every record has a UUID
(``id``) that is the same on every laptop and office it travels to.

``RECORD_TYPES`` is the one list of record types (table -> class): the store, the forms and
everything that lists fields read a table's type from it (``record_type``).
"""

from __future__ import annotations

import dataclasses
import functools
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from typing import Any, ClassVar, Generic, Self, TypeVar

from app.domain import fields as f
from app.domain.fields import FieldInfo, Kind, Paper
from app.domain.vocab import (
    VSIC_SECTIONS,
    Attitude,
    DocStyle,
    EnterpriseStatus,
    LegalForm,
    OrgKind,
    OrgStatus,
    QualityLevel,
    TargetMetric,
)


def uuid7(millis: int | None = None, rand: int | None = None) -> uuid.UUID:
    """A time-ordered UUID (RFC 9562 version 7): 48 bits of Unix milliseconds, then random bits.

    New keys land at the end of every index instead of at random places, which keeps bulk
    writes fast on a province-size file (measured in bench/bench_foundation.py).
    """
    if millis is None:
        millis = time.time_ns() // 1_000_000
    if rand is None:
        rand = int.from_bytes(os.urandom(10), "big")
    rand &= (1 << 74) - 1
    value = (millis & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76  # version
    value |= (rand >> 62) << 64  # 12 bits rand_a
    value |= 0b10 << 62  # variant
    value |= rand & ((1 << 62) - 1)  # 62 bits rand_b
    return uuid.UUID(int=value)


def new_id() -> str:
    return str(uuid7())


# The namespace of ids derived from other ids (RFC 9562 version 5): a record of which there is one per
# enterprise or per office has the same id wherever it is made, so two places that make it make one
# record, whose fields merge like any other's (docs/sync-bundle.md, "Records of the office").
DERIVED_NAMESPACE = uuid.UUID("6b1f3c2e-9d4a-5e7b-8c0f-4a2d6e8b1c3f")


def derived_id(kind: str, key: str) -> str:
    """The id of the ``kind`` record of ``key`` (an enterprise's or a machine's id): UUID version 5 of
    ``kind + ":" + key`` in ``DERIVED_NAMESPACE``."""
    return str(uuid.uuid5(DERIVED_NAMESPACE, f"{kind}:{key}"))


T = TypeVar("T")


class _PerClass(Generic[T]):
    """A class attribute computed from the class's declarations, once per class (test copies of a
    record get their own)."""

    def __init__(self, fn: Callable[[type], T]):
        self.fn = functools.cache(fn)

    def __get__(self, obj: object, cls: type) -> T:
        return self.fn(cls)


def _declared_fields(cls: type) -> tuple[FieldInfo, ...]:
    out = []
    for fld in dataclasses.fields(cls):
        if fld.name == "id":
            continue
        info = f.info_of(fld)
        if info is None:
            raise TypeError(f"{cls.__name__}.{fld.name} is not declared with a helper of app.domain.fields")
        out.append(dataclasses.replace(info, name=fld.name))
    return tuple(out)


@functools.cache
def _readers(cls: type) -> tuple[tuple[str, Callable[[Any], Any] | None], ...]:
    """(column, converter from the stored value) for ``from_row``: ISO dates, 0/1, codes."""
    out: list[tuple[str, Callable[[Any], Any] | None]] = [("id", None)]
    for info in cls.FIELDS:
        conv: Callable[[Any], Any] | None = None
        if info.kind is Kind.DATE:
            conv = _to_date
        elif info.kind is Kind.YES_NO:
            conv = bool
        elif info.enum is not None:
            members = {m.value: m for m in info.enum}
            conv = functools.partial(_member, members)
        out.append((info.name, conv))
    return tuple(out)


def _to_date(value: Any) -> Any:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _member(members: dict[str, Any], value: Any) -> Any:
    return members.get(value, value)  # an unknown code is kept as it is (the checks name it)


@dataclass
class Record:
    """Common behaviour: the declared fields, and conversion to and from stored rows."""

    TABLE: ClassVar[str] = ""
    TITLE: ClassVar[str] = ""  # what people call the record, as a heading ("Lượt khảo sát")
    NOUN: ClassVar[str] = ""  # ... and inside a sentence ("lượt khảo sát")
    # Who may write records of this type: "anyone", or "offices" (a collaborator's laptop only receives
    # them; a bundle from a laptop that changes one is refused: docs/sync-bundle.md, "Who writes what")
    WRITERS: ClassVar[str] = "anyone"
    # Whether a record travels upward (False: an office writes it only for the machines below it)
    UPWARD: ClassVar[bool] = True
    # What goes down to a collaborator's laptop: "unit" (every record of its ward) or "assigned" (only
    # those of the enterprises assigned to it, and those it made itself); offices get their whole unit
    TO_COLLABORATORS: ClassVar[str] = "assigned"
    # Whether its ``unit_code`` is the unit of an office whose machines below it apply it (office settings),
    # rather than the unit the record is about (a target)
    APPLIES_BELOW: ClassVar[bool] = False
    # the declared fields (without ``id``), in order: see app/domain/fields.py
    FIELDS = _PerClass(_declared_fields)
    # field name -> Vietnamese label (for messages, the history view and printed forms)
    LABELS = _PerClass(lambda cls: {i.name: i.label for i in cls.FIELDS})
    # the counts (numbers of people), in order
    COUNT_FIELDS = _PerClass(lambda cls: tuple(i.name for i in cls.FIELDS if i.kind is Kind.COUNT))
    # name -> FieldInfo
    INFO = _PerClass(lambda cls: {i.name: i for i in cls.FIELDS})
    # the fields shown as columns where records are listed (declared with a ``column`` heading), in order
    LISTED = _PerClass(lambda cls: tuple(i for i in cls.FIELDS if i.column))

    id: str = field(default_factory=new_id)

    @classmethod
    def field_names(cls) -> list[str]:
        """The columns: ``id``, then the declared fields."""
        return list(_field_names(cls))

    def to_row(self) -> dict[str, Any]:
        """Stored form: dates as ISO strings, enums as codes, booleans as 0/1."""
        values = self.__dict__
        row: dict[str, Any] = {}
        for name in _field_names(type(self)):
            value = values[name]
            kind = type(value)
            # plain values first: this runs for every record of a bulk import
            row[name] = value if (value is None or kind is str or kind is int) else to_stored(value)
        return row

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Self:
        kwargs = {}
        for name, conv in _readers(cls):
            if name in row:
                value = row[name]
                kwargs[name] = value if conv is None or value is None else conv(value)
        return cls(**kwargs)

    @classmethod
    def label(cls, name: str) -> str:
        return cls.LABELS.get(name, name)

    def listed_value(self, name: str) -> Any:
        """The value a listing shows in the field's column (the field's own value, unless a record type
        says better)."""
        return getattr(self, name)


@functools.cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


def to_stored(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):  # str enums
        return value.value
    return value


# --- the records -------------------------------------------------------------------------------


@dataclass
class Enterprise(Record):
    TABLE: ClassVar[str] = "enterprises"
    TITLE: ClassVar[str] = "Doanh nghiệp"
    NOUN: ClassVar[str] = "doanh nghiệp"
    TO_COLLABORATORS: ClassVar[str] = "unit"

    name: str = f.text("Tên doanh nghiệp", required=True, paper=Paper(row=1))
    short_name: str | None = f.text("Tên viết tắt")
    tax_code: str = f.tax_code(required=True, help="10 chữ số, chi nhánh thêm -001", paper=Paper(row=2))
    legal_form: LegalForm | None = f.choice(
        "Loại hình doanh nghiệp", LegalForm, paper=Paper(row=2, label="Loại hình")
    )
    fdi: bool = f.yes_no("Có vốn đầu tư nước ngoài", beside=True)
    vsic_section: str | None = f.choice(
        "Ngành kinh tế",
        VSIC_SECTIONS,
        show_code=True,
        invalid="Ngành kinh tế phải là một chữ cái từ A đến U (mã ngành cấp 1 VSIC).",
        paper=Paper(row=5),
    )
    address: str | None = f.text("Địa chỉ", max_length=500, paper=Paper(row=3))
    ward_code: str = f.ward(
        required=True,
        missing="Chưa chọn phường, xã của doanh nghiệp.",
        help="gõ tên phường, xã (có dấu hoặc không dấu) hoặc mã 5 số",
    )
    phone: str | None = f.phone(paper=Paper(row=4, col=1))
    email: str | None = f.email(beside=True, paper=Paper(row=7, col=1, only="blank"))
    owner_name: str | None = f.text("Người đại diện theo pháp luật", paper=Paper(row=4))
    owner_is_party_member: bool = f.yes_no("Người đại diện là đảng viên", beside=True, sensitive=True)
    year_founded: int | None = f.year("Năm thành lập", not_future=True, paper=Paper(row=7, only="blank"))
    workforce_total: int | None = f.count(
        "Tổng số lao động",
        group="workforce",
        paper=Paper(row=6, title="Lao động theo hồ sơ", label="tổng", only="prefilled"),
    )
    workforce_women: int | None = f.count(
        "Lao động nữ",
        not_above=("workforce_total",),
        group="workforce",
        beside=True,
        paper=Paper(row=6, label="nữ", only="prefilled"),
    )
    workforce_under30: int | None = f.count(
        "Lao động dưới 30 tuổi",
        not_above=("workforce_total",),
        group="workforce",
        paper=Paper(row=6, label="dưới 30 tuổi", only="prefilled"),
    )
    status: EnterpriseStatus = f.choice(
        "Tình trạng hoạt động",
        EnterpriseStatus,
        default=EnterpriseStatus.ACTIVE,
        paper=Paper(row=5, col=1, label="Tình trạng"),
    )
    note: str | None = f.long_text("Ghi chú", export=False)


@dataclass
class Visit(Record):
    TABLE: ClassVar[str] = "visits"
    TITLE: ClassVar[str] = "Lượt khảo sát"
    NOUN: ClassVar[str] = "lượt khảo sát"

    enterprise_id: str = f.ref(
        "enterprises", "Doanh nghiệp", required=True, missing="Chưa chọn doanh nghiệp được khảo sát."
    )
    visit_date: date | None = f.date(
        "Ngày khảo sát",
        required=True,
        null=True,
        not_future=True,
        minimum=date(2000, 1, 1),
        missing="Chưa nhập ngày khảo sát (dạng ngày/tháng/năm, ví dụ 27/02/2024).",
        paper=Paper(row=1),
        column="Ngày khảo sát",
    )
    collaborator: str | None = f.text("Cộng tác viên", paper=Paper(row=1), column="Cộng tác viên")
    person_met: str | None = f.text(
        "Người tiếp làm việc", carry=True, paper=Paper(row=2), column="Người tiếp"
    )
    person_met_title: str | None = f.text("Chức vụ người tiếp", beside=True, carry=True, paper=Paper(row=2))
    # A workforce, and the union members who can be all of it, take six digits on the machine-read form:
    # the largest private employers come close to 99.999 (about 90.000 workers of Pouyuen Việt Nam struck in
    # 2015), so five would not bound real values. The other counts keep five (app/scan/fields.py).
    workforce_total: int | None = f.count(
        "Tổng số lao động", group="workforce", carry=True, paper=Paper(row=3, digits=6), column="Lao động"
    )
    workforce_women: int | None = f.count(
        "Lao động nữ",
        not_above=("workforce_total",),
        group="workforce",
        beside=True,
        carry=True,
        paper=Paper(row=3, digits=6),
    )
    workforce_under30: int | None = f.count(
        "Lao động dưới 30 tuổi",
        not_above=("workforce_total",),
        group="workforce",
        carry=True,
        paper=Paper(row=3, digits=6),
    )
    party_total: int | None = f.count(
        "Tổng số đảng viên",
        not_above=("workforce_total",),
        group="party",
        carry=True,
        paper=Paper(row=4),
        column="Đảng viên",  # (listed as official + probationary when the total was not written)
    )
    party_official: int | None = f.count(
        "Đảng viên chính thức", group="party", beside=True, carry=True, paper=Paper(row=4)
    )
    party_probationary: int | None = f.count("Đảng viên dự bị", group="party", carry=True, paper=Paper(row=4))
    # The pool of candidates for the Party (nguồn phát triển đảng viên, "tạo nguồn") as found on the visit's
    # day: the outstanding people being followed (quần chúng ưu tú), of whom some attended the class on the
    # Party (lớp bồi dưỡng nhận thức về Đảng) and some applied; and how many were admitted since 1 January.
    candidates_identified: int | None = f.count(
        "Quần chúng ưu tú",
        not_above=("workforce_total",),
        group="pipeline",
        carry=True,
        help="đang theo dõi, bồi dưỡng",
        paper=Paper(row=5, title="Nguồn phát triển đảng viên", digits=3),
    )
    candidates_trained: int | None = f.count(
        "Đã học lớp nhận thức",
        not_above=("candidates_identified",),
        group="pipeline",
        beside=True,
        carry=True,
        help="lớp bồi dưỡng nhận thức về Đảng",
        paper=Paper(row=5, digits=3),
    )
    candidates_applied: int | None = f.count(
        "Có đơn xin vào Đảng",
        not_above=("candidates_identified",),
        group="pipeline",
        carry=True,
        paper=Paper(row=5, digits=3),
    )
    candidates_admitted: int | None = f.count(
        "Kết nạp từ đầu năm",
        not_above=("party_total",),
        group="pipeline",
        beside=True,
        help="từ 1 tháng 1 đến ngày khảo sát",
        paper=Paper(row=5, digits=3),
    )
    union_members: int | None = f.count(
        "Đoàn viên công đoàn",
        not_above=("workforce_total",),
        group="members",
        carry=True,
        paper=Paper(row=6, digits=6),
    )
    youth_members: int | None = f.count(
        "Đoàn viên thanh niên", group="members", beside=True, carry=True, paper=Paper(row=6)
    )
    women_members: int | None = f.count("Hội viên phụ nữ", group="members", carry=True, paper=Paper(row=6))
    veterans_members: int | None = f.count(
        "Hội viên cựu chiến binh", group="members", carry=True, paper=Paper(row=6)
    )
    has_party: bool = f.yes_no(
        "Đã có tổ chức đảng",
        group="organisations",
        carry=True,
        paper=Paper(row=7, title="Tổ chức đã có", label="Tổ chức đảng"),
    )
    has_union: bool = f.yes_no(
        "Đã có công đoàn cơ sở",
        group="organisations",
        beside=True,
        carry=True,
        paper=Paper(row=7, label="Công đoàn cơ sở"),
    )
    has_youth: bool = f.yes_no(
        "Đã có tổ chức Đoàn", group="organisations", carry=True, paper=Paper(row=7, label="Tổ chức Đoàn")
    )
    has_women: bool = f.yes_no(
        "Đã có tổ chức phụ nữ",
        group="organisations",
        beside=True,
        carry=True,
        paper=Paper(row=7, label="Tổ chức phụ nữ"),
    )
    has_veterans: bool = f.yes_no(
        "Đã có chi hội Cựu chiến binh",
        group="organisations",
        carry=True,
        paper=Paper(row=7, label="Chi hội Cựu chiến binh"),
    )
    attitude: Attitude | None = f.choice(
        "Thái độ của chủ doanh nghiệp", Attitude, carry=True, paper=Paper(row=8), column="Thái độ"
    )
    difficulties: str | None = f.long_text("Khó khăn, vướng mắc", paper=Paper(row=9, lines=4))
    proposals: str | None = f.long_text("Đề xuất, kiến nghị", paper=Paper(row=10, lines=3))
    next_step: str | None = f.text("Hướng tiếp theo", paper=Paper(row=11, lines=3), column="Hướng tiếp theo")
    next_visit_date: date | None = f.date("Hẹn lần sau", paper=Paper(row=12))

    HAS_FIELD: ClassVar[dict[OrgKind, str]] = {
        OrgKind.PARTY: "has_party",
        OrgKind.UNION: "has_union",
        OrgKind.YOUTH: "has_youth",
        OrgKind.WOMEN: "has_women",
        OrgKind.VETERANS: "has_veterans",
    }
    MEMBERS_FIELD: ClassVar[dict[OrgKind, str]] = {
        OrgKind.PARTY: "party_total",
        OrgKind.UNION: "union_members",
        OrgKind.YOUTH: "youth_members",
        OrgKind.WOMEN: "women_members",
        OrgKind.VETERANS: "veterans_members",
    }

    def listed_value(self, name: str) -> Any:
        if name == "party_total" and self.party_total is None:
            if self.party_official is not None or self.party_probationary is not None:
                return (self.party_official or 0) + (self.party_probationary or 0)
        return super().listed_value(name)


@dataclass
class Organisation(Record):
    TABLE: ClassVar[str] = "organisations"
    TITLE: ClassVar[str] = "Tổ chức"
    NOUN: ClassVar[str] = "tổ chức"
    TO_COLLABORATORS: ClassVar[str] = "unit"

    enterprise_id: str = f.ref("enterprises", "Doanh nghiệp", required=True)
    kind: OrgKind = f.choice("Loại tổ chức", OrgKind, required=True, entry=False)
    status: OrgStatus = f.choice("Tình trạng", OrgStatus, required=True, default=OrgStatus.NONE)
    mobilising_since: date | None = f.date("Bắt đầu vận động", not_future=True)
    decision_number: str | None = f.text("Số quyết định thành lập")
    decision_date: date | None = f.date("Ngày quyết định", not_future=True)
    issuing_body: str | None = f.text("Cơ quan ban hành")
    founding_members: int | None = f.count("Số thành viên khi thành lập", adds_up=False)
    leader: str | None = f.text("Người đứng đầu")
    # a count of the members made on members_counted_on (app.domain.membership: the latest count plus the
    # admissions after it is what the organisation has)
    members: int | None = f.count("Số thành viên đếm được")
    dissolved_date: date | None = f.date("Ngày giải thể", not_future=True)
    note: str | None = f.long_text("Ghi chú")
    # schema 6 (a column added last; the form puts it beside the count it dates)
    members_counted_on: date | None = f.date("Đếm ngày", not_future=True, beside=True)


@dataclass
class Admission(Record):
    """Members newly admitted (kết nạp) into an organisation on a date."""

    TABLE: ClassVar[str] = "admissions"
    TITLE: ClassVar[str] = "Kết nạp"
    NOUN: ClassVar[str] = "lần kết nạp"

    enterprise_id: str = f.ref("enterprises", "Doanh nghiệp", required=True)
    organisation_id: str | None = f.ref("organisations", "Tổ chức")
    kind: OrgKind = f.choice("Loại tổ chức", OrgKind, required=True)
    admitted_on: date | None = f.date("Ngày kết nạp", required=True, null=True, not_future=True)
    count: int = f.count("Số người kết nạp", required=True, minimum=1, default=1)
    note: str | None = f.long_text("Ghi chú")
    # A Party admission is probationary (dự bị) for PROBATION_MONTHS; then the members are recognised as
    # official (công nhận đảng viên chính thức) by a decision: its date, its number, how many of them.
    # Those of ``count`` not recognised are not (app.domain.probation).
    official_on: date | None = f.date(
        "Ngày công nhận đảng viên chính thức", not_future=True, group="probation", help="chỉ với kết nạp Đảng"
    )
    official_decision: str | None = f.text("Số quyết định công nhận chính thức", group="probation")
    official_count: int | None = f.count(
        "Số người được công nhận chính thức",
        not_above=("count",),
        adds_up=False,
        group="probation",
        beside=True,
        help="để trống: tất cả",
    )


@dataclass
class Target(Record):
    """A yearly target (chỉ tiêu) of a unit for one organisation kind and metric."""

    TABLE: ClassVar[str] = "targets"
    TITLE: ClassVar[str] = "Chỉ tiêu"
    NOUN: ClassVar[str] = "chỉ tiêu"
    TO_COLLABORATORS: ClassVar[str] = "unit"

    unit_code: str = f.unit("Đơn vị", required=True)
    year: int = f.year(
        "Năm", required=True, minimum=2000, maximum=2100, invalid="Năm của chỉ tiêu phải từ 2000 đến 2100."
    )
    kind: OrgKind = f.choice("Loại tổ chức", OrgKind, required=True)
    metric: TargetMetric = f.choice("Chỉ tiêu", TargetMetric, required=True)
    value: int = f.count("Số chỉ tiêu", required=True, invalid="Số chỉ tiêu phải là số nguyên không âm.")


@dataclass
class QualityRating(Record):
    """The quality level of an organisation for a year (xếp loại chất lượng hằng năm)."""

    TABLE: ClassVar[str] = "quality_ratings"
    TITLE: ClassVar[str] = "Xếp loại chất lượng"
    NOUN: ClassVar[str] = "xếp loại chất lượng"
    # with its organisation, to every laptop of the ward: it names no person, and a laptop's table of
    # levels (the report, the targets page) would otherwise show the ward's rated organisations unrated
    TO_COLLABORATORS: ClassVar[str] = "unit"

    enterprise_id: str = f.ref("enterprises", "Doanh nghiệp", required=True)
    organisation_id: str = f.ref("organisations", "Tổ chức", required=True)
    kind: OrgKind = f.choice("Loại tổ chức", OrgKind, required=True, entry=False)
    year: int = f.year(
        "Năm", required=True, minimum=2000, not_future=True, invalid="Năm xếp loại phải từ 2000 đến năm nay."
    )
    level: QualityLevel = f.choice("Xếp loại", QualityLevel, required=True)
    decision: str | None = f.text("Văn bản xếp loại", beside=True, help="số, ngày của văn bản (nếu có)")
    note: str | None = f.long_text("Ghi chú")


# --- records of the office: written by offices, sent down to the machines below ------------------


@dataclass
class Assignment(Record):
    """Which collaborator follows an enterprise (phân công), as the ward office decided. One record per
    enterprise (``Assignment.id_for``): assigning again changes it; no assignee means not assigned."""

    TABLE: ClassVar[str] = "assignments"
    TITLE: ClassVar[str] = "Phân công"
    NOUN: ClassVar[str] = "phân công"
    WRITERS: ClassVar[str] = "offices"
    TO_COLLABORATORS: ClassVar[str] = "unit"

    enterprise_id: str = f.ref("enterprises", "Doanh nghiệp", required=True)
    assignee: str | None = f.machine("Cộng tác viên phụ trách (mã máy)")
    assignee_name: str | None = f.text("Cộng tác viên phụ trách", entry=False)
    assigned_on: date | None = f.date("Ngày phân công", not_future=True, entry=False)

    @staticmethod
    def id_for(enterprise_id: str) -> str:
        return derived_id("assignment", enterprise_id)


@dataclass
class VisitSummary(Record):
    """What a collaborator's laptop is told of the visits to an enterprise it does not follow: when it
    was last visited, by whom, how many visits. The office writes it for the laptops below it (it does
    not travel upward); one per enterprise (``VisitSummary.id_for``)."""

    TABLE: ClassVar[str] = "visit_summaries"
    TITLE: ClassVar[str] = "Lần khảo sát gần nhất"
    NOUN: ClassVar[str] = "lần khảo sát gần nhất"
    WRITERS: ClassVar[str] = "offices"
    UPWARD: ClassVar[bool] = False
    TO_COLLABORATORS: ClassVar[str] = "unit"

    enterprise_id: str = f.ref("enterprises", "Doanh nghiệp", required=True)
    last_visit_date: date | None = f.date("Khảo sát gần nhất", not_future=True, entry=False)
    last_visitor: str | None = f.text("Người khảo sát gần nhất", entry=False)
    visits: int = f.count("Số lượt khảo sát", default=0, entry=False, adds_up=False)

    @staticmethod
    def id_for(enterprise_id: str) -> str:
        return derived_id("visit-summary", enterprise_id)


ROUNDING_CHOICES = {
    "half_up": "Làm tròn (16/15: vượt 6,67%)",
    "truncate": "Cắt bớt (16/15: vượt 6,66%)",
}


@dataclass
class OfficeSettings(Record):
    """Settings an office gives every machine below it: founding minimums, report style and rounding,
    workforce groups. One record per office (``OfficeSettings.id_for``); an empty field is not set by
    this office. A value set by an office above a machine is the one that machine uses, and it cannot
    change it (``app/services/office_settings.py``)."""

    TABLE: ClassVar[str] = "office_settings"
    TITLE: ClassVar[str] = "Thiết lập của cơ quan"
    NOUN: ClassVar[str] = "thiết lập của cơ quan"
    WRITERS: ClassVar[str] = "offices"
    TO_COLLABORATORS: ClassVar[str] = "unit"
    APPLIES_BELOW: ClassVar[bool] = True

    office: str = f.machine("Cơ quan (mã máy)", required=True)
    unit_code: str = f.unit("Đơn vị của cơ quan", required=True)
    min_party: int | None = f.integer(
        "Tối thiểu đảng viên chính thức để lập tổ chức đảng", minimum=1, maximum=1000
    )
    min_union: int | None = f.integer("Tối thiểu đoàn viên để lập công đoàn cơ sở", minimum=1, maximum=1000)
    min_youth: int | None = f.integer("Tối thiểu đoàn viên để lập chi đoàn", minimum=1, maximum=1000)
    min_women: int | None = f.integer("Tối thiểu hội viên để lập chi hội phụ nữ", minimum=1, maximum=1000)
    min_veterans: int | None = f.integer(
        "Tối thiểu hội viên để lập chi hội cựu chiến binh", minimum=1, maximum=1000
    )
    report_style: DocStyle | None = f.choice("Kiểu văn bản báo cáo", DocStyle)
    rounding: str | None = f.choice("Cách làm tròn phần vượt chỉ tiêu", ROUNDING_CHOICES)
    workforce_small: int | None = f.integer(
        "Nhóm lao động: từ bao nhiêu người trở lên", minimum=1, maximum=100_000
    )
    workforce_large: int | None = f.integer(
        "Nhóm lao động: doanh nghiệp lớn từ bao nhiêu người", minimum=2, maximum=1_000_000
    )

    @staticmethod
    def id_for(office: str) -> str:
        return derived_id("office-settings", office)


# --- the registry ------------------------------------------------------------------------------

RECORD_TYPES: dict[str, type[Record]] = {
    cls.TABLE: cls
    for cls in (
        Enterprise,
        Visit,
        Organisation,
        Admission,
        Target,
        QualityRating,
        Assignment,
        VisitSummary,
        OfficeSettings,
    )
}

R = TypeVar("R", bound=Record)


def record_type(cls: type[R] | str) -> type[R]:
    """The record type the program uses for a table (given by name or by its class).

    Normally the class itself. A test can put a copy with an extra declared field in
    ``RECORD_TYPES``; whatever reads its record type here (the store, the forms, the listings)
    then uses the copy: that is how tests prove that a field declared once shows up everywhere.
    """
    if isinstance(cls, str):
        return RECORD_TYPES[cls]  # type: ignore[return-value]
    registered = RECORD_TYPES.get(cls.TABLE)
    if registered is not None and issubclass(registered, cls):
        return registered  # type: ignore[return-value]
    return cls


def child_tables() -> tuple[str, ...]:
    """The record tables whose records belong to an enterprise (they have an ``enterprise_id``): they
    wait for their enterprise in a bundle, move with it when two records of one enterprise are merged,
    and are listed in its history."""
    return tuple(t for t, cls in RECORD_TYPES.items() if any(i.name == "enterprise_id" for i in cls.FIELDS))


def fields_of(cls: type[Record] | str) -> tuple[FieldInfo, ...]:
    """The declared fields of a record type (see ``record_type``), in order, without ``id``."""
    return record_type(cls).FIELDS


def columns_of(cls: type[Record] | str) -> list[str]:
    """The stored columns of a record type: ``id`` first, then the declared fields (one list per
    type, shared: do not change it)."""
    return _columns(record_type(cls))


@functools.cache
def _columns(cls: type[Record]) -> list[str]:
    return list(_field_names(cls))
