"""The four record forms: enterprise, visit, organisation progress, admissions.

Field order is the order of the printed forms, which is the order of the record's declared
labels (``Record.LABELS``); the printed visit form uses the same order, so typing back a paper
form is one Tab (or Enter) per box.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QMessageBox, QPushButton

from app.domain import units
from app.domain import validation as v
from app.domain.records import Admission, Enterprise, Organisation, Visit
from app.domain.validation import DEFAULT_RULES, FoundingRules, Problem
from app.domain.vocab import VSIC_SECTIONS, Attitude, EnterpriseStatus, LegalForm, OrgKind, OrgStatus
from app.gui.forms.base import FieldSpec, Kind, RecordForm
from app.services import records as svc
from app.storage import lookalikes


def _choices(enum_cls: Any, none_label: str | None = "— chưa chọn —") -> tuple[tuple[Any, str], ...]:
    out: list[tuple[Any, str]] = [(None, none_label)] if none_label is not None else []
    return tuple(out + [(m.value, m.label) for m in enum_cls])


def enterprise_label(e: Enterprise) -> str:
    """How a form's title names its enterprise: the name and, to tell namesakes apart, the tax code."""
    return f"{e.name} (MST {e.tax_code})" if e.tax_code else e.name


def ward_text(code: str | None) -> str:
    w = units.ward(code)
    return f"{w.name} ({w.code})" if w else (code or "")


def parse_ward(text: str, province_code: str | None) -> str:
    """ "Phường Hoàn Kiếm (00070)", "00070" or "hoan kiem" -> "00070" (unknown text is returned as is)."""
    t = (text or "").strip()
    if t.endswith(")") and "(" in t:
        t = t[t.rindex("(") + 1 : -1].strip()
    if t.isdigit():
        return t.zfill(5) if len(t) <= 5 else t
    if not t:
        return ""
    found = units.find(t, province_code, limit=2)
    exact = [u for u in found if not u.is_province]
    return exact[0].code if exact else t


# --- enterprise ----------------------------------------------------------------------------------


def _enterprise_fields(province_code: str | None) -> list[FieldSpec]:
    L = Enterprise.LABELS
    wards = tuple(ward_text(u.code) for u in units.wards(province_code)) if province_code else ()
    return [
        FieldSpec("name", L["name"], required=True),
        FieldSpec("short_name", L["short_name"]),
        FieldSpec("tax_code", L["tax_code"], required=True, placeholder="10 chữ số, chi nhánh thêm -001"),
        FieldSpec("legal_form", L["legal_form"], Kind.CHOICE, _choices(LegalForm)),
        FieldSpec("fdi", L["fdi"], Kind.BOOL, column=1),
        FieldSpec(
            "vsic_section",
            L["vsic_section"],
            Kind.CHOICE,
            ((None, "— chưa chọn —"),) + tuple((k, f"{k} - {t}") for k, t in VSIC_SECTIONS.items()),
        ),
        FieldSpec("address", L["address"]),
        FieldSpec(
            "ward_code",
            L["ward_code"],
            required=True,
            completer=wards,
            placeholder="gõ tên phường, xã (có dấu hoặc không dấu) hoặc mã 5 số",
        ),
        FieldSpec("phone", L["phone"]),
        FieldSpec("email", L["email"], column=1),
        FieldSpec("owner_name", L["owner_name"]),
        FieldSpec("owner_is_party_member", L["owner_is_party_member"], Kind.BOOL, column=1),
        FieldSpec("year_founded", L["year_founded"], Kind.INT),
        FieldSpec("workforce_total", L["workforce_total"], Kind.INT),
        FieldSpec("workforce_women", L["workforce_women"], Kind.INT, column=1),
        FieldSpec("workforce_under30", L["workforce_under30"], Kind.INT),
        FieldSpec("status", L["status"], Kind.CHOICE, _choices(EnterpriseStatus, None)),
        FieldSpec("note", L["note"], Kind.MULTILINE),
    ]


class EnterpriseForm(RecordForm):
    FORM = "enterprise"
    RELATED = {
        "workforce_women": frozenset({"workforce_total"}),
        "workforce_under30": frozenset({"workforce_total"}),
        "tax_code": frozenset({"legal_form"}),
    }

    def __init__(
        self,
        window: Any,
        *,
        record: Enterprise | None = None,
        values: dict | None = None,
        record_id: str | None = None,
        today: date | None = None,
    ):
        self.province_code = (
            units.province_of(window.profile.unit_code or "") if window.profile.unit_code else None
        )
        self.FIELDS = _enterprise_fields(self.province_code)
        is_new = record is None
        if record is None:
            default_ward = window.profile.unit_code if units.ward(window.profile.unit_code) else ""
            record = Enterprise(id=record_id) if record_id else Enterprise()
            record = dataclasses.replace(record, ward_code=default_ward)
        initial = self.record_values(record, self.FIELDS)
        initial["ward_code"] = ward_text(record.ward_code)
        self._base = record
        self._dup_timer: QTimer | None = None
        self.duplicates: list[lookalikes.Lookalike] = []
        title = "Thêm doanh nghiệp" if is_new else f"Sửa doanh nghiệp — {enterprise_label(record)}"
        super().__init__(
            window,
            record_id=record.id,
            is_new=is_new,
            title=title,
            values=values,
            initial=initial,
            today=today,
        )
        self._dup_timer = QTimer(self)
        self._dup_timer.setSingleShot(True)
        self._dup_timer.setInterval(300)
        self._dup_timer.timeout.connect(self.check_duplicates)
        if values:
            self._dup_timer.start()

    def build(self, values: dict[str, Any]) -> Enterprise:
        return dataclasses.replace(
            self._base,
            name=values["name"] or "",
            short_name=values["short_name"],
            tax_code=values["tax_code"] or "",
            legal_form=LegalForm.parse(values["legal_form"]),
            fdi=bool(values["fdi"]),
            vsic_section=values["vsic_section"],
            address=values["address"],
            ward_code=parse_ward(values["ward_code"] or "", self.province_code),
            phone=values["phone"],
            email=values["email"],
            owner_name=values["owner_name"],
            owner_is_party_member=bool(values["owner_is_party_member"]),
            year_founded=values["year_founded"],
            workforce_total=values["workforce_total"],
            workforce_women=values["workforce_women"],
            workforce_under30=values["workforce_under30"],
            status=EnterpriseStatus.parse(values["status"]) or EnterpriseStatus.ACTIVE,
            note=values["note"],
        )

    def domain_problems(self, record: Enterprise) -> list[Problem]:
        return v.validate_enterprise(v.normalise_enterprise(record), self.today)

    def save_fn(self, store: Any, record: Enterprise) -> Enterprise:
        return svc.save_enterprise(store, record, today=self.today)

    # --- duplicates ---------------------------------------------------------------------------

    def on_field_changed(self, name: str) -> None:
        if name in ("name", "tax_code", "address") and self._dup_timer is not None:
            self._dup_timer.start()

    def check_duplicates(self, then: Callable[[list[lookalikes.Lookalike]], None] | None = None) -> None:
        values, _ = self.parsed()
        record = self.build(values)
        bad = {p.field for p in self.problems}
        if not record.name and not record.tax_code:
            self._set_duplicates([])
            return
        if "tax_code" in bad:
            record = dataclasses.replace(record, tax_code="")

        def work(store: Any) -> list[lookalikes.Lookalike]:
            return lookalikes.find_lookalikes(store, record)

        def done(found: list[lookalikes.Lookalike]) -> None:
            self._set_duplicates(found)
            if then is not None:
                then(found)

        self.window_.tasks.read(work, done, lambda f: then([]) if then else None)

    def _set_duplicates(self, found: list[lookalikes.Lookalike]) -> None:
        self.duplicates = found
        if not found:
            self.hide_banner()
            return
        first = found[0]
        more = f" (và {len(found) - 1} doanh nghiệp khác)" if len(found) > 1 else ""
        self.show_banner(
            f"Có thể đã có doanh nghiệp này: <b>{first.enterprise['name']}</b>, MST {first.enterprise['tax_code']}"
            f"{more}. {first.reason}",
            [("&Mở doanh nghiệp đã có", lambda eid=first.enterprise["id"]: self.open_existing(eid))],
        )

    def open_existing(self, enterprise_id: str) -> None:
        self.discard_draft()
        self._closing_ok = True
        self.close()
        self.window_.open_enterprise(enterprise_id)

    def before_save(self, record: Enterprise, proceed: Callable[[], None]) -> bool:
        if not self.is_new:
            return True

        def decide(found: list[lookalikes.Lookalike]) -> None:
            if not found:
                proceed()
                return
            first = found[0]
            box = QMessageBox(
                QMessageBox.Icon.Warning,
                "Có thể trùng doanh nghiệp",
                f"{first.reason}\n\nDoanh nghiệp đã có: {first.enterprise['name']} "
                f"(MST {first.enterprise['tax_code']}).\n\nMở doanh nghiệp đã có thay vì thêm mới?",
                QMessageBox.StandardButton.NoButton,
                self,
            )
            box.setObjectName("duplicate_box")
            open_btn = box.addButton("&Mở doanh nghiệp đã có", QMessageBox.ButtonRole.AcceptRole)
            save_btn = box.addButton("&Vẫn thêm mới", QMessageBox.ButtonRole.DestructiveRole)
            box.addButton("&Quay lại", QMessageBox.ButtonRole.RejectRole)
            box.setDefaultButton(open_btn)

            def clicked(button: Any) -> None:
                if button is open_btn:
                    self.open_existing(first.enterprise["id"])
                elif button is save_btn:
                    proceed()

            box.buttonClicked.connect(clicked)
            box.open()

        self.check_duplicates(decide)
        return False


# --- visit ---------------------------------------------------------------------------------------

VISIT_ORDER = [name for name in Visit.LABELS if name != "enterprise_id"]


def _visit_fields() -> list[FieldSpec]:
    L = Visit.LABELS
    right = {
        "person_met_title",
        "workforce_women",
        "party_official",
        "party_probationary",
        "youth_members",
        "women_members",
        "has_union",
        "has_youth",
        "has_women",
        "has_veterans",
    }
    kinds = {
        "visit_date": Kind.DATE,
        "next_visit_date": Kind.DATE,
        "attitude": Kind.CHOICE,
        "difficulties": Kind.MULTILINE,
        "proposals": Kind.MULTILINE,
    }
    specs = []
    for name in VISIT_ORDER:
        kind = kinds.get(
            name,
            Kind.INT if name in Visit.COUNT_FIELDS else Kind.BOOL if name.startswith("has_") else Kind.TEXT,
        )
        specs.append(
            FieldSpec(
                name,
                L[name],
                kind,
                _choices(Attitude) if kind == Kind.CHOICE else (),
                required=name == "visit_date",
                column=1 if name in right else 0,
            )
        )
    # keep two per row at most: a right-column field must follow a left one
    fixed: list[FieldSpec] = []
    for spec in specs:
        if spec.column == 1 and (not fixed or fixed[-1].column == 1):
            spec = dataclasses.replace(spec, column=0)
        fixed.append(spec)
    return fixed


class VisitForm(RecordForm):
    FORM = "visit"
    FIELDS = _visit_fields()
    RELATED = {
        "party_total": frozenset({"party_official", "party_probationary"}),
        "party_official": frozenset({"party_probationary", "workforce_total"}),
        **{
            f: frozenset({"workforce_total"})
            for f in ("workforce_women", "workforce_under30", "union_members")
        },
        "next_visit_date": frozenset({"visit_date"}),
    }

    def __init__(
        self,
        window: Any,
        *,
        enterprise_id: str,
        enterprise_name: str,
        record: Visit | None = None,
        previous: Visit | None = None,
        values: dict | None = None,
        record_id: str | None = None,
        today: date | None = None,
    ):
        today = today or date.today()
        is_new = record is None
        if record is None:
            record = self.prefilled(enterprise_id, previous, window.profile.collaborator, today, record_id)
        self._base = record
        self.enterprise_name = enterprise_name
        title = (
            f"Lượt khảo sát mới — {enterprise_name}"
            if is_new
            else f"Lượt khảo sát {record.visit_date:%d/%m/%Y} — {enterprise_name}"
            if record.visit_date
            else f"Lượt khảo sát — {enterprise_name}"
        )
        super().__init__(
            window,
            record_id=record.id,
            is_new=is_new,
            title=title,
            context={"enterprise_id": enterprise_id, "enterprise_name": enterprise_name},
            values=values,
            initial=self.record_values(record, self.FIELDS),
            today=today,
        )
        QShortcut(QKeySequence("Ctrl+N"), self, activated=self.save_and_next)
        if previous is not None and is_new:
            self.status.setText(
                f"Đã điền sẵn từ lượt khảo sát ngày {previous.visit_date:%d/%m/%Y}."
                if previous.visit_date
                else "Đã điền sẵn từ lượt khảo sát trước."
            )

    @staticmethod
    def prefilled(
        enterprise_id: str,
        previous: Visit | None,
        collaborator: str | None,
        today: date,
        record_id: str | None = None,
    ) -> Visit:
        """A new visit: today, this collaborator, and what the last visit found (counts, organisations,
        attitude, the person met). What is new each time (difficulties, proposals, next step) starts empty."""
        base = Visit(enterprise_id=enterprise_id, visit_date=today, collaborator=collaborator)
        if record_id:
            base = dataclasses.replace(base, id=record_id)
        if previous is None:
            return base
        carried = {
            name: getattr(previous, name)
            for name in (
                "person_met",
                "person_met_title",
                *Visit.COUNT_FIELDS,
                *Visit.HAS_FIELD.values(),
                "attitude",
            )
        }
        return dataclasses.replace(base, **carried)

    def _extra_buttons(self, layout: QHBoxLayout) -> None:
        b = QPushButton("Lưu và nhập &tiếp (Ctrl+N)", self)
        b.setObjectName("save_next_button")
        b.setAutoDefault(False)
        b.setFocusPolicy(b.focusPolicy().NoFocus)
        b.clicked.connect(self.save_and_next)
        layout.addWidget(b)

    def build(self, values: dict[str, Any]) -> Visit:
        kw = {name: values[name] for name in VISIT_ORDER}
        for name in Visit.HAS_FIELD.values():
            kw[name] = bool(kw[name])
        kw["attitude"] = Attitude.parse(kw["attitude"])
        return dataclasses.replace(self._base, **kw)

    def domain_problems(self, record: Visit) -> list[Problem]:
        return v.validate_visit(v.normalise_visit(record), self.today)

    def save_fn(self, store: Any, record: Visit) -> Visit:
        return svc.save_visit(store, record, today=self.today)

    def save_and_next(self) -> None:
        """Ctrl+N: save this visit, then start the next one for the same enterprise, pre-filled from it."""
        self.save(then=self._next)

    def _next(self, saved: Visit) -> None:
        manager = self.window_.forms
        self._closing_ok = True
        self.close()
        manager.open_visit_form(saved.enterprise_id, self.enterprise_name, previous=saved)


# --- organisation --------------------------------------------------------------------------------

ORG_ORDER = [n for n in Organisation.LABELS if n not in ("enterprise_id", "kind")]


class OrganisationForm(RecordForm):
    FORM = "organisation"
    RELATED = {
        **{
            f: frozenset({"status"})
            for f in (
                "decision_number",
                "decision_date",
                "issuing_body",
                "founding_members",
                "dissolved_date",
            )
        },
        "dissolved_date": frozenset({"status", "decision_date"}),
    }

    def __init__(
        self,
        window: Any,
        *,
        enterprise_id: str,
        enterprise_name: str,
        kind: OrgKind,
        record: Organisation | None = None,
        rules: FoundingRules = DEFAULT_RULES,
        values: dict | None = None,
        record_id: str | None = None,
        today: date | None = None,
    ):
        L = Organisation.LABELS
        kinds = {
            "mobilising_since": Kind.DATE,
            "decision_date": Kind.DATE,
            "dissolved_date": Kind.DATE,
            "founding_members": Kind.INT,
            "members": Kind.INT,
            "note": Kind.MULTILINE,
        }
        self.FIELDS = [
            FieldSpec(
                n,
                L[n],
                Kind.CHOICE if n == "status" else kinds.get(n, Kind.TEXT),
                _choices(OrgStatus, None) if n == "status" else (),
                required=n == "status",
            )
            for n in ORG_ORDER
        ]
        self.rules = rules
        self.kind = kind
        self.previous = record.status if record is not None else None
        is_new = record is None
        if record is None:
            record = Organisation(enterprise_id=enterprise_id, kind=kind)
            if record_id:
                record = dataclasses.replace(record, id=record_id)
        self._base = record
        from app.domain.validation import founding_explanation

        explanation = founding_explanation(kind, rules)
        super().__init__(
            window,
            record_id=record.id,
            is_new=is_new,
            title=f"{kind.label} — {enterprise_name}",
            context={"enterprise_id": enterprise_id, "enterprise_name": enterprise_name, "kind": kind.value},
            values=values,
            initial=self.record_values(record, self.FIELDS),
            today=today,
        )
        if explanation:
            self.show_banner(f"Điều kiện thành lập: {explanation}", [])

    def build(self, values: dict[str, Any]) -> Organisation:
        kw = {name: values[name] for name in ORG_ORDER}
        kw["status"] = OrgStatus.parse(kw["status"]) or OrgStatus.NONE
        return dataclasses.replace(self._base, **kw)

    def domain_problems(self, record: Organisation) -> list[Problem]:
        return v.validate_organisation(
            v.normalise_organisation(record), self.previous, self.rules, self.today
        )

    def save_fn(self, store: Any, record: Organisation) -> Organisation:
        return svc.save_organisation(store, record, today=self.today)


# --- admission -----------------------------------------------------------------------------------


class AdmissionForm(RecordForm):
    FORM = "admission"
    FIELDS = [
        FieldSpec("kind", Admission.LABELS["kind"], Kind.CHOICE, _choices(OrgKind, None), required=True),
        FieldSpec("admitted_on", Admission.LABELS["admitted_on"], Kind.DATE, required=True),
        FieldSpec("count", Admission.LABELS["count"], Kind.INT, required=True),
        FieldSpec("note", Admission.LABELS["note"], Kind.MULTILINE),
    ]

    def __init__(
        self,
        window: Any,
        *,
        enterprise_id: str,
        enterprise_name: str,
        organisations: dict[str, str] | None = None,
        record: Admission | None = None,
        values: dict | None = None,
        record_id: str | None = None,
        today: date | None = None,
    ):
        today = today or date.today()
        self.organisations = organisations or {}  # kind value -> organisation id
        is_new = record is None
        if record is None:
            record = Admission(enterprise_id=enterprise_id, admitted_on=today, count=1)
            if record_id:
                record = dataclasses.replace(record, id=record_id)
        self._base = record
        super().__init__(
            window,
            record_id=record.id,
            is_new=is_new,
            title=f"Kết nạp mới — {enterprise_name}",
            context={
                "enterprise_id": enterprise_id,
                "enterprise_name": enterprise_name,
                "organisations": self.organisations,
            },
            values=values,
            initial=self.record_values(record, self.FIELDS),
            today=today,
        )

    def build(self, values: dict[str, Any]) -> Admission:
        kind = OrgKind.parse(values["kind"]) or OrgKind.PARTY
        count = values["count"]
        return dataclasses.replace(
            self._base,
            kind=kind,
            admitted_on=values["admitted_on"],
            count=count if count is not None else 0,
            note=values["note"],
            organisation_id=self.organisations.get(kind.value),
        )

    def domain_problems(self, record: Admission) -> list[Problem]:
        return v.validate_admission(record, self.today)

    def save_fn(self, store: Any, record: Admission) -> Admission:
        return svc.save_admission(store, record, today=self.today)
