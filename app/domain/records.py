"""The records KhaoSat keeps. Plain dataclasses: no Qt, no SQL.

Dates are ``datetime.date``; counts are ``int`` or ``None`` (unknown). Every record has a UUID
(``id``) that is the same on every laptop and office it travels to.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import time
import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar

from app.domain.vocab import Attitude, EnterpriseStatus, LegalForm, OrgKind, OrgStatus, TargetMetric


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


@dataclass
class Record:
    """Common behaviour: conversion to and from plain dictionaries of stored values."""

    TABLE: ClassVar[str] = ""
    # field name -> Vietnamese label (for messages, the history view and printed forms)
    LABELS: ClassVar[dict[str, str]] = {}

    id: str = field(default_factory=new_id)

    @classmethod
    def field_names(cls) -> list[str]:
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
    def from_row(cls, row: dict[str, Any]) -> Record:
        kwargs = {}
        types = {f.name: f.type for f in dataclasses.fields(cls)}
        for name, typ in types.items():
            if name in row:
                kwargs[name] = from_stored(row[name], str(typ))
        return cls(**kwargs)

    @classmethod
    def label(cls, name: str) -> str:
        return cls.LABELS.get(name, name)


@functools.cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


def to_stored(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "value") and isinstance(value, str):  # str enums
        return value.value
    return value


def from_stored(value: Any, typ: str) -> Any:
    if value is None:
        return None
    if "date" in typ and isinstance(value, str):
        return date.fromisoformat(value)
    if typ.startswith("bool"):
        return bool(value)
    for enum in (OrgKind, OrgStatus, EnterpriseStatus, Attitude, LegalForm, TargetMetric):
        if enum.__name__ in typ:
            return enum.parse(value) or value
    return value


@dataclass
class Enterprise(Record):
    TABLE: ClassVar[str] = "enterprises"
    LABELS: ClassVar[dict[str, str]] = {
        "name": "Tên doanh nghiệp",
        "short_name": "Tên viết tắt",
        "tax_code": "Mã số thuế",
        "legal_form": "Loại hình doanh nghiệp",
        "fdi": "Có vốn đầu tư nước ngoài",
        "vsic_section": "Ngành kinh tế",
        "address": "Địa chỉ",
        "ward_code": "Phường, xã",
        "phone": "Điện thoại",
        "email": "Thư điện tử",
        "owner_name": "Người đại diện theo pháp luật",
        "owner_is_party_member": "Người đại diện là đảng viên",
        "year_founded": "Năm thành lập",
        "workforce_total": "Tổng số lao động",
        "workforce_women": "Lao động nữ",
        "workforce_under30": "Lao động dưới 30 tuổi",
        "status": "Tình trạng hoạt động",
        "note": "Ghi chú",
    }

    name: str = ""
    short_name: str | None = None
    tax_code: str = ""
    legal_form: LegalForm | None = None
    fdi: bool = False
    vsic_section: str | None = None
    address: str | None = None
    ward_code: str = ""
    phone: str | None = None
    email: str | None = None
    owner_name: str | None = None
    owner_is_party_member: bool = False
    year_founded: int | None = None
    workforce_total: int | None = None
    workforce_women: int | None = None
    workforce_under30: int | None = None
    status: EnterpriseStatus = EnterpriseStatus.ACTIVE
    note: str | None = None


@dataclass
class Visit(Record):
    TABLE: ClassVar[str] = "visits"
    LABELS: ClassVar[dict[str, str]] = {
        "enterprise_id": "Doanh nghiệp",
        "visit_date": "Ngày khảo sát",
        "collaborator": "Cộng tác viên",
        "person_met": "Người tiếp làm việc",
        "person_met_title": "Chức vụ người tiếp",
        "workforce_total": "Tổng số lao động",
        "workforce_women": "Lao động nữ",
        "workforce_under30": "Lao động dưới 30 tuổi",
        "party_total": "Tổng số đảng viên",
        "party_official": "Đảng viên chính thức",
        "party_probationary": "Đảng viên dự bị",
        "union_members": "Đoàn viên công đoàn",
        "youth_members": "Đoàn viên thanh niên",
        "women_members": "Hội viên phụ nữ",
        "veterans_members": "Hội viên cựu chiến binh",
        "has_party": "Đã có tổ chức đảng",
        "has_union": "Đã có công đoàn cơ sở",
        "has_youth": "Đã có tổ chức Đoàn",
        "has_women": "Đã có tổ chức phụ nữ",
        "has_veterans": "Đã có chi hội Cựu chiến binh",
        "attitude": "Thái độ của chủ doanh nghiệp",
        "difficulties": "Khó khăn, vướng mắc",
        "proposals": "Đề xuất, kiến nghị",
        "next_step": "Hướng tiếp theo",
        "next_visit_date": "Hẹn lần sau",
    }

    enterprise_id: str = ""
    visit_date: date | None = None
    collaborator: str | None = None
    person_met: str | None = None
    person_met_title: str | None = None
    workforce_total: int | None = None
    workforce_women: int | None = None
    workforce_under30: int | None = None
    party_total: int | None = None
    party_official: int | None = None
    party_probationary: int | None = None
    union_members: int | None = None
    youth_members: int | None = None
    women_members: int | None = None
    veterans_members: int | None = None
    has_party: bool = False
    has_union: bool = False
    has_youth: bool = False
    has_women: bool = False
    has_veterans: bool = False
    attitude: Attitude | None = None
    difficulties: str | None = None
    proposals: str | None = None
    next_step: str | None = None
    next_visit_date: date | None = None

    COUNT_FIELDS: ClassVar[tuple[str, ...]] = (
        "workforce_total",
        "workforce_women",
        "workforce_under30",
        "party_total",
        "party_official",
        "party_probationary",
        "union_members",
        "youth_members",
        "women_members",
        "veterans_members",
    )
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


@dataclass
class Organisation(Record):
    TABLE: ClassVar[str] = "organisations"
    LABELS: ClassVar[dict[str, str]] = {
        "enterprise_id": "Doanh nghiệp",
        "kind": "Loại tổ chức",
        "status": "Tình trạng",
        "mobilising_since": "Bắt đầu vận động",
        "decision_number": "Số quyết định thành lập",
        "decision_date": "Ngày quyết định",
        "issuing_body": "Cơ quan ban hành",
        "founding_members": "Số thành viên khi thành lập",
        "leader": "Người đứng đầu",
        "members": "Số thành viên hiện nay",
        "dissolved_date": "Ngày giải thể",
        "note": "Ghi chú",
    }

    enterprise_id: str = ""
    kind: OrgKind = OrgKind.PARTY
    status: OrgStatus = OrgStatus.NONE
    mobilising_since: date | None = None
    decision_number: str | None = None
    decision_date: date | None = None
    issuing_body: str | None = None
    founding_members: int | None = None
    leader: str | None = None
    members: int | None = None
    dissolved_date: date | None = None
    note: str | None = None


@dataclass
class Admission(Record):
    """Members newly admitted (kết nạp) into an organisation on a date."""

    TABLE: ClassVar[str] = "admissions"
    LABELS: ClassVar[dict[str, str]] = {
        "enterprise_id": "Doanh nghiệp",
        "organisation_id": "Tổ chức",
        "kind": "Loại tổ chức",
        "admitted_on": "Ngày kết nạp",
        "count": "Số người kết nạp",
        "note": "Ghi chú",
    }

    enterprise_id: str = ""
    organisation_id: str | None = None
    kind: OrgKind = OrgKind.PARTY
    admitted_on: date | None = None
    count: int = 1
    note: str | None = None


@dataclass
class Target(Record):
    """A yearly target (chỉ tiêu) of a unit for one organisation kind and metric."""

    TABLE: ClassVar[str] = "targets"
    LABELS: ClassVar[dict[str, str]] = {
        "unit_code": "Đơn vị",
        "year": "Năm",
        "kind": "Loại tổ chức",
        "metric": "Chỉ tiêu",
        "value": "Số chỉ tiêu",
    }

    unit_code: str = ""
    year: int = 0
    kind: OrgKind = OrgKind.PARTY
    metric: TargetMetric = TargetMetric.ORGANISATIONS
    value: int = 0


RECORD_TYPES: dict[str, type[Record]] = {
    cls.TABLE: cls for cls in (Enterprise, Visit, Organisation, Admission, Target)
}
