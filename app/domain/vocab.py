"""Coded values: English codes in data, Vietnamese labels on screen and paper."""

from __future__ import annotations

from enum import Enum
from typing import Self


class Labelled(str, Enum):
    """A str enum whose members carry a Vietnamese label."""

    label: str

    def __new__(cls, code: str, label: str) -> Labelled:
        obj = str.__new__(cls, code)
        obj._value_ = code
        obj.label = label
        return obj

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(m.value, m.label) for m in cls]

    @classmethod
    def parse(cls, value: str | Labelled | None) -> Self | None:
        if value is None or value == "":
            return None
        if isinstance(value, cls):
            return value
        try:
            return cls(value)
        except ValueError:
            return None


class OrgKind(Labelled):
    PARTY = ("party", "Tổ chức đảng")
    UNION = ("union", "Công đoàn cơ sở")
    YOUTH = ("youth", "Đoàn thanh niên")
    WOMEN = ("women", "Hội phụ nữ")
    VETERANS = ("veterans", "Hội Cựu chiến binh")


ORG_KIND_SHORT = {
    OrgKind.PARTY: "Đảng",
    OrgKind.UNION: "Công đoàn",
    OrgKind.YOUTH: "Đoàn TN",
    OrgKind.WOMEN: "Phụ nữ",
    OrgKind.VETERANS: "CCB",
}

MEMBER_NOUN = {
    OrgKind.PARTY: "đảng viên",
    OrgKind.UNION: "đoàn viên công đoàn",
    OrgKind.YOUTH: "đoàn viên thanh niên",
    OrgKind.WOMEN: "hội viên phụ nữ",
    OrgKind.VETERANS: "hội viên cựu chiến binh",
}


class OrgStatus(Labelled):
    NONE = ("none", "Chưa có")
    MOBILISING = ("mobilising", "Đang vận động")
    FOUNDED = ("founded", "Đã thành lập")
    DISSOLVED = ("dissolved", "Đã giải thể")


# The life cycle: which status may follow which.
ORG_TRANSITIONS: dict[OrgStatus, frozenset[OrgStatus]] = {
    OrgStatus.NONE: frozenset({OrgStatus.NONE, OrgStatus.MOBILISING, OrgStatus.FOUNDED}),
    OrgStatus.MOBILISING: frozenset({OrgStatus.NONE, OrgStatus.MOBILISING, OrgStatus.FOUNDED}),
    OrgStatus.FOUNDED: frozenset({OrgStatus.FOUNDED, OrgStatus.DISSOLVED}),
    OrgStatus.DISSOLVED: frozenset({OrgStatus.DISSOLVED, OrgStatus.MOBILISING, OrgStatus.FOUNDED}),
}


class EnterpriseStatus(Labelled):
    ACTIVE = ("active", "Đang hoạt động")
    SUSPENDED = ("suspended", "Tạm ngừng hoạt động")
    DISSOLVED = ("dissolved", "Đã giải thể")
    MOVED = ("moved", "Đã chuyển đi")


class Attitude(Labelled):
    SUPPORTS = ("supports", "Đồng tình")
    UNDECIDED = ("undecided", "Chưa quyết định")
    REFUSES = ("refuses", "Chưa đồng tình")


class LegalForm(Labelled):
    LLC_ONE = ("llc1", "Công ty TNHH một thành viên")
    LLC_MULTI = ("llc2", "Công ty TNHH hai thành viên trở lên")
    JSC = ("jsc", "Công ty cổ phần")
    PARTNERSHIP = ("partnership", "Công ty hợp danh")
    PRIVATE = ("private", "Doanh nghiệp tư nhân")
    COOPERATIVE = ("coop", "Hợp tác xã")
    HOUSEHOLD = ("household", "Hộ kinh doanh")


class Role(Labelled):
    COLLABORATOR = ("collaborator", "Cộng tác viên")
    WARD_OFFICE = ("ward_office", "Cơ quan cấp phường, xã")
    MIDDLE_OFFICE = ("middle_office", "Cơ quan trung gian")
    PROVINCE_OFFICE = ("province_office", "Cơ quan cấp tỉnh")


class QualityLevel(Labelled):
    """The yearly quality level of an organisation (xếp loại chất lượng tổ chức), best first."""

    EXCELLENT = ("excellent", "Hoàn thành xuất sắc nhiệm vụ")
    GOOD = ("good", "Hoàn thành tốt nhiệm vụ")
    FULFILLED = ("fulfilled", "Hoàn thành nhiệm vụ")
    FAILED = ("failed", "Không hoàn thành nhiệm vụ")


# A Party admission is probationary (dự bị) for 12 months (Điều lệ Đảng, điều 5); then the Party cell
# considers recognising the member as official (công nhận đảng viên chính thức).
PROBATION_MONTHS = 12


class TargetMetric(Labelled):
    ORGANISATIONS = ("organisations", "Thành lập tổ chức mới")
    MEMBERS = ("members", "Kết nạp thành viên mới")


# VSIC 2018 sections (Quyết định 27/2018/QĐ-TTg).
VSIC_SECTIONS: dict[str, str] = {
    "A": "Nông nghiệp, lâm nghiệp và thủy sản",
    "B": "Khai khoáng",
    "C": "Công nghiệp chế biến, chế tạo",
    "D": "Sản xuất và phân phối điện, khí đốt, nước nóng, hơi nước và điều hoà không khí",
    "E": "Cung cấp nước; hoạt động quản lý và xử lý rác thải, nước thải",
    "F": "Xây dựng",
    "G": "Bán buôn và bán lẻ; sửa chữa ô tô, mô tô, xe máy và xe có động cơ khác",
    "H": "Vận tải kho bãi",
    "I": "Dịch vụ lưu trú và ăn uống",
    "J": "Thông tin và truyền thông",
    "K": "Hoạt động tài chính, ngân hàng và bảo hiểm",
    "L": "Hoạt động kinh doanh bất động sản",
    "M": "Hoạt động chuyên môn, khoa học và công nghệ",
    "N": "Hoạt động hành chính và dịch vụ hỗ trợ",
    "O": "Hoạt động của Đảng Cộng sản, tổ chức chính trị - xã hội, quản lý Nhà nước, an ninh quốc phòng",
    "P": "Giáo dục và đào tạo",
    "Q": "Y tế và hoạt động trợ giúp xã hội",
    "R": "Nghệ thuật, vui chơi và giải trí",
    "S": "Hoạt động dịch vụ khác",
    "T": "Hoạt động làm thuê các công việc trong các hộ gia đình",
    "U": "Hoạt động của các tổ chức và cơ quan quốc tế",
}


class DocStyle(Labelled):
    """The conventions a printed report follows (its header, its number)."""

    PARTY = ("party", "Văn bản của Đảng")  # Hướng dẫn 36-HD/VPTW: "ĐẢNG CỘNG SẢN VIỆT NAM", "Số 12-BC/ĐU"
    STATE = ("state", "Văn bản hành chính nhà nước")  # NĐ 30/2020/NĐ-CP: national motto, "Số: 12/BC-UBND"


DEFAULT_WORKFORCE_THRESHOLDS = (
    20,
    500,
)  # a local choice (report setting ``report.workforce_thresholds``): "under 20", "20-499", "500 and more"


class WorkforceGroup:
    SMALL = "small"  # under the first threshold
    MEDIUM = "medium"  # between the thresholds
    LARGE = "large"  # the second threshold and more
    UNKNOWN = "unknown"  # not recorded


def workforce_groups(thresholds: tuple[int, int] = DEFAULT_WORKFORCE_THRESHOLDS) -> list[tuple[str, str]]:
    """(code, Vietnamese label) of each workforce group."""
    low, high = thresholds
    return [
        (WorkforceGroup.SMALL, f"Dưới {low} lao động"),
        (WorkforceGroup.MEDIUM, f"Từ {low} đến {high - 1} lao động"),
        (WorkforceGroup.LARGE, f"Từ {high} lao động trở lên"),
        (WorkforceGroup.UNKNOWN, "Chưa rõ số lao động"),
    ]
