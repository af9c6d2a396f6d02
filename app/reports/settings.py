"""Report settings, read from the store's settings table (``store.setting``), with defaults.

Keys (values are JSON):
``report.style``                 "party" (default) or "state": the header of printed reports
``report.rounding``              "half_up" (default: 16/15 -> vượt 6,67%) or "truncate" (6,66%)
``report.workforce_thresholds``  [20, 500] (default): groups under 20, 20-499, 500 and more
``report.issuing_body``          the body issuing the report, e.g. "ĐẢNG ỦY PHƯỜNG HOÀN KIẾM"
``report.superior_body``         the body above it, e.g. "ĐẢNG BỘ THÀNH PHỐ HÀ NỘI"
``report.number_code``           the code after the number: "BC/ĐU" (party), "BC-UBND" (state)
``report.place``                 the place before the date: "Hoàn Kiếm"
``report.signer_capacity``       lines above the signature: ["T/M ĐẢNG ỦY", "BÍ THƯ"]
``report.signer_name``           the name under the signature ("" leaves it to be written by hand)
``report.recipients``            the "Nơi nhận" lines
Defaults for the bodies and the place are derived from the unit of the report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.domain import units
from app.domain.vnformat import Rounding
from app.domain.vocab import DEFAULT_WORKFORCE_THRESHOLDS, DocStyle
from app.storage.store import Store

DEFAULT_THRESHOLDS = DEFAULT_WORKFORCE_THRESHOLDS


class SettingsError(ValueError):
    """A report setting has a value that cannot be used (Vietnamese message)."""


@dataclass
class ReportSettings:
    style: DocStyle = DocStyle.PARTY
    rounding: Rounding = Rounding.HALF_UP
    thresholds: tuple[int, int] = DEFAULT_THRESHOLDS
    issuing_body: str = ""
    superior_body: str | None = None
    number_code: str = "BC/ĐU"
    place: str = ""
    signer_capacity: list[str] = field(default_factory=list)
    signer_name: str = ""
    recipients: list[str] = field(default_factory=list)


def defaults_for(unit_code: str, style: DocStyle) -> dict[str, Any]:
    """Header defaults derived from the unit (a ward or a province)."""
    u = units.unit(unit_code)
    name = u.name if u else unit_code
    prov = units.province(units.province_of(unit_code) or "") if u else None
    is_province = bool(u and u.is_province)
    if style is DocStyle.PARTY:
        if is_province:
            body = ("THÀNH ỦY " if name.startswith("Thành phố") else "TỈNH ỦY ") + (
                u.short_name if u else name
            )
            superior, code = None, "BC/TU"
            capacity = ["T/M BAN THƯỜNG VỤ", "PHÓ BÍ THƯ"]
        else:
            body = f"ĐẢNG ỦY {name}"
            superior = f"ĐẢNG BỘ {prov.name}" if prov else None
            code = "BC/ĐU"
            capacity = ["T/M ĐẢNG ỦY", "BÍ THƯ"]
        recipients = ["- Cấp ủy cấp trên (để báo cáo),", "- Lưu Văn phòng."]
    else:
        body = f"ỦY BAN NHÂN DÂN {name}"
        superior = None if is_province else (f"UBND {prov.name}" if prov else None)
        code = "BC-UBND"
        capacity = ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"]
        recipients = ["- Cơ quan cấp trên (để báo cáo),", "- Lưu: VT."]
    return {
        "issuing_body": body.upper(),
        "superior_body": superior.upper() if superior else None,
        "number_code": code,
        "place": u.short_name if u else "",
        "signer_capacity": capacity,
        "signer_name": "",
        "recipients": recipients,
    }


def parse_thresholds(value: Any) -> tuple[int, int]:
    try:
        low, high = (int(v) for v in value)
    except (TypeError, ValueError):
        raise SettingsError(
            f"Ngưỡng quy mô lao động «{value}» không dùng được; cần hai số nguyên, ví dụ [20, 500]."
        ) from None
    if not (0 < low < high):
        raise SettingsError(
            f"Ngưỡng quy mô lao động phải là hai số dương tăng dần (ví dụ 20 và 500), "
            f"không phải {low} và {high}."
        )
    return low, high


def load(store: Store, unit_code: str) -> ReportSettings:
    """The settings of a report for ``unit_code``, defaults filled in. The style, the rounding and the
    workforce groups set by an office above (or this office's own settings) come first
    (``app/storage/from_above.py``)."""
    from app.storage import from_above

    given = from_above.all_settings(store.conn)
    raw_style = given["report_style"][0] or store.setting("report.style", DocStyle.PARTY.value)
    try:
        style = DocStyle(raw_style)
    except ValueError:
        raise SettingsError(
            f"Kiểu văn bản «{raw_style}» không có; chọn «party» (văn bản Đảng) "
            "hoặc «state» (văn bản hành chính nhà nước)."
        ) from None
    raw_rounding = given["rounding"][0] or store.setting("report.rounding", Rounding.HALF_UP.value)
    try:
        rounding = Rounding(raw_rounding)
    except ValueError:
        raise SettingsError(
            f"Cách làm tròn «{raw_rounding}» không có; chọn «half_up» (làm tròn, 16/15 vượt "
            "6,67%) hoặc «truncate» (cắt bớt, 6,66%)."
        ) from None
    local = parse_thresholds(store.setting("report.workforce_thresholds", list(DEFAULT_THRESHOLDS)))
    low = given["workforce_small"][0] or local[0]
    high = given["workforce_large"][0] or local[1]
    thresholds = parse_thresholds([low, high]) if low < high else local
    d = defaults_for(unit_code, style)
    values = {k: store.setting(f"report.{k}", None) for k in d}
    merged = {k: (v if v not in (None, "") else d[k]) for k, v in values.items()}
    return ReportSettings(style=style, rounding=rounding, thresholds=thresholds, **merged)
