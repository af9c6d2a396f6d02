"""Settings an office gives every machine below it, and where each value a machine uses comes from.

An office keeps one ``OfficeSettings`` record (founding minimums, report style and rounding, workforce
groups); it travels down to every machine below it, and up to the offices above. A value set by an office
above this machine is the one used here and cannot be changed here: ``effective`` says, for each setting,
the value used and who set it ("do Đảng ủy phường Hoàn Kiếm giao"); ``set_own`` writes this office's
record and refuses a value that an office above set; ``check_local`` refuses a local choice (report
settings, founding minimums typed on this machine) that an office above set.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.domain import checks
from app.domain.records import OfficeSettings
from app.domain.validation import Problem, ValidationError
from app.domain.vocab import DocStyle, Role
from app.storage import from_above
from app.storage.changes import Saved
from app.storage.store import Store

# OfficeSettings field -> the local setting it overrides (table ``settings``)
LOCAL_KEYS = {
    "report_style": "report.style",
    "rounding": "report.rounding",
    "workforce_small": "report.workforce_thresholds",
    "workforce_large": "report.workforce_thresholds",
    **dict.fromkeys(from_above.FOUNDING_FIELDS.values(), "founding_minimums"),
}
FIELDS = [i.name for i in OfficeSettings.FIELDS if i.name not in ("office", "unit_code")]


@dataclass(frozen=True)
class Effective:
    field: str
    label: str
    value: Any  # None: not set by any office (the local choice or the default applies)
    source: from_above.Source | None

    @property
    def locked(self) -> bool:
        return self.source is not None and self.source.above

    @property
    def shown(self) -> str:
        if self.value is None:
            return "chưa đặt"
        info = OfficeSettings.INFO[self.field]
        if info.choices:
            code = str(getattr(self.value, "value", self.value))
            return info.choice_label(code) or code
        return str(self.value)

    @property
    def where(self) -> str:
        if self.source is None:
            return "cài đặt của máy này" if self.value is None else ""
        return self.source.phrase or "cơ quan này đặt"


def effective(store: Store) -> list[Effective]:
    """Every office setting: the value that applies here and who set it."""
    values = from_above.all_settings(store.conn)
    return [Effective(name, OfficeSettings.LABELS[name], values[name][0], values[name][1]) for name in FIELDS]


def own(store: Store) -> OfficeSettings | None:
    return store.get(OfficeSettings, OfficeSettings.id_for(store.laptop_id))


def set_own(store: Store, changes: dict[str, Any], *, author: str | None = None) -> Saved[OfficeSettings]:
    """Write this office's settings: ``changes`` maps fields to values (None clears one: not set by this
    office). Refuses on a collaborator's laptop, and a field an office above set."""
    prof = store.profile()
    if prof.role is None or prof.role == Role.COLLABORATOR or not prof.unit_code:
        raise ValidationError(
            [
                Problem(
                    "office",
                    "Chỉ cơ quan mới đặt thiết lập cho các máy ở dưới; máy cộng tác viên nhận thiết lập từ cơ quan.",
                )
            ]
        )
    problems = []
    for name in changes:
        if name not in FIELDS:
            problems.append(Problem(name, f"Không có thiết lập «{name}»."))
            continue
        src = from_above.locked(store.conn, name)
        if src is not None:
            problems.append(
                Problem(name, f"{OfficeSettings.LABELS[name]}: {src.phrase}, cơ quan này không đổi được.")
            )
    if problems:
        raise ValidationError(problems)
    current = own(store)
    values = {n: getattr(current, n) for n in FIELDS} if current else dict.fromkeys(FIELDS)
    values.update(changes)
    if values.get("report_style") is not None and not isinstance(values["report_style"], DocStyle):
        values["report_style"] = DocStyle.parse(values["report_style"]) or values["report_style"]
    record = OfficeSettings(
        id=OfficeSettings.id_for(store.laptop_id), office=store.laptop_id, unit_code=prof.unit_code, **values
    )
    problems = checks.check_record(record)
    low, high = values.get("workforce_small"), values.get("workforce_large")
    if low is not None and high is not None and low >= high:
        problems.append(
            Problem("workforce_large", "Ngưỡng doanh nghiệp lớn phải lớn hơn ngưỡng nhóm lao động thứ nhất.")
        )
    if problems:
        raise ValidationError(problems)
    with store.write(author) as w:
        if current is None:
            w.create(record)
        else:
            w.update(record)
    return Saved(record, w.changes)


def check_local(store: Store, local_key: str) -> None:
    """Refuse a change of a local setting that an office above set (ValidationError naming who)."""
    for name, key in LOCAL_KEYS.items():
        if key != local_key:
            continue
        src = from_above.locked(store.conn, name)
        if src is not None:
            raise ValidationError(
                [Problem(name, f"{OfficeSettings.LABELS[name]}: {src.phrase}, máy này không đổi được.")]
            )
