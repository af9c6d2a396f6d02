"""From a page read off paper to a saved visit: which enterprise, what a person decided, save.

A page read by ``app.scan.reader`` becomes a ``ScannedForm``: the enterprise its QR code names
(refused if this database does not have it, or if it is not the one the person said the pages are
for; a form printed from practice data is read into practice data only, a real one into real data
only), the values read with confidence, and the fields a person must decide (uncertain marks,
handwritten text). ``save_scanned`` builds the ``Visit`` from the values and the person's
decisions and saves it through ``app.services.records.save_visit``: the same normalising,
validation and change log as a visit typed in the form. It refuses while a field is undecided.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from app.domain import practice
from app.domain.records import Enterprise, Visit, record_type
from app.scan import marks
from app.scan.reader import READ, PageRead
from app.services.records import save_visit
from app.storage.changes import Saved
from app.storage.store import Store


class ScanRefused(ValueError):
    """This page cannot become a visit here (Vietnamese message)."""


class Undecided(ValueError):
    """Fields still waiting for a person (Vietnamese message; ``fields`` names them)."""

    def __init__(self, message: str, fields: list[str]):
        super().__init__(message)
        self.fields = fields


@dataclass
class ScannedForm:
    page: PageRead
    enterprise: Enterprise | None  # None: a blank form, the person names the enterprise
    values: dict[str, Any] = field(default_factory=dict)  # read with confidence (None: left empty)
    to_decide: list[str] = field(default_factory=list)  # uncertain marks first, then handwriting
    same_day: list[Visit] = field(default_factory=list)  # visits already saved for that date

    @property
    def uncertain(self) -> list[str]:
        return [n for n in self.to_decide if self.page.field(n).status == marks.UNCERTAIN]


def prepare(store: Store, page: PageRead, *, expected_enterprise: str | None = None) -> ScannedForm:
    """The page as a visit to review. Raises ``ScanRefused`` with the reason."""
    if page.status != READ or page.code is None:
        raise ScanRefused(page.reason or "Trang này không đọc được.")
    # a form printed from practice data is read into practice data only, a real one into real data only
    refusal = practice.form_refusal(page.code.practice, store.is_practice)
    if refusal is not None:
        raise ScanRefused(refusal)
    enterprise = None
    if page.code.enterprise_id:
        enterprise = store.get(Enterprise, page.code.enterprise_id)
        if enterprise is None:
            raise ScanRefused(
                f"Phiếu của doanh nghiệp mã số thuế {page.code.tax_code or '?'}, không có trong dữ liệu của "
                "máy này (đã xóa, hoặc phiếu của phường, xã khác)."
            )
        if expected_enterprise and enterprise.id != expected_enterprise:
            other = store.get(Enterprise, expected_enterprise)
            raise ScanRefused(
                f"Phiếu này của doanh nghiệp «{enterprise.name}» (MST {enterprise.tax_code}), không phải của "
                f"«{other.name if other else expected_enterprise}» đang chọn."
            )
    elif expected_enterprise:
        enterprise = store.get(Enterprise, expected_enterprise)
    form = ScannedForm(page, enterprise)
    uncertain, text = [], []
    for f in page.fields:
        if f.status == marks.OK:
            form.values[f.field.name] = f.value
        elif f.status == marks.EMPTY:
            form.values[f.field.name] = None
        elif f.status == marks.UNCERTAIN:
            uncertain.append(f.field.name)
        else:
            text.append(f.field.name)
    form.to_decide = uncertain + text
    if enterprise is not None and isinstance(form.values.get("visit_date"), date):
        form.same_day = visits_on(store, enterprise.id, form.values["visit_date"])
    return form


def visits_on(store: Store, enterprise_id: str, day: date) -> list[Visit]:
    return [v for v in store.children(Visit, enterprise_id, "visit_date DESC") if v.visit_date == day]


def build_visit(form: ScannedForm, decisions: dict[str, Any], enterprise_id: str | None = None) -> Visit:
    """The visit from what was read and what the person decided. Raises ``Undecided``."""
    missing = [n for n in form.uncertain if n not in decisions]
    if missing:
        labels = ", ".join(form.page.field(n).field.label for n in missing)
        raise Undecided(f"Còn {len(missing)} mục chưa xác nhận: {labels}.", missing)
    eid = enterprise_id or (form.enterprise.id if form.enterprise else None)
    if not eid:
        raise Undecided(
            "Phiếu trống chưa ghi doanh nghiệp: hãy chọn doanh nghiệp của phiếu này.", ["enterprise_id"]
        )
    values = dict(form.values)
    values.update(decisions)
    row: dict[str, Any] = {"enterprise_id": eid}
    for f in form.page.fields:
        name = f.field.name
        value = values.get(name)
        if f.field.kind == "yesno":
            value = int(bool(value))
        elif f.field.kind == "date" and value is not None:
            value = value.isoformat()
        elif f.field.kind == "text":
            value = (value or "").strip() or None
        row[name] = value  # stored form: the record converts dates, booleans and coded choices
    return record_type(Visit).from_row(row)  # type: ignore[return-value]


def save_scanned(
    store: Store,
    form: ScannedForm,
    decisions: dict[str, Any],
    *,
    enterprise_id: str | None = None,
    author: str | None = None,
    today: date | None = None,
) -> Saved[Visit]:
    """Save the visit (validation and change log as for a typed visit) and say what changed; raises
    ``Undecided`` or ``app.domain.validation.ValidationError``."""
    return save_visit(store, build_visit(form, decisions, enterprise_id), author=author, today=today)
