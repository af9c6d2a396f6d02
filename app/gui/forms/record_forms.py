"""The record forms: enterprise, visit, organisation progress, admissions (and their conversion to
official Party members), the yearly quality level of an organisation.

The boxes are the record's declared fields (``app.domain.records``) that are typed on the form, in
declaration order: label, kind of box, choices, required star, hint and the same-line pairing all
come from the declaration (``declared_specs``). The printed visit form uses the same order, so
typing back a paper form is one Tab (or Enter) per box.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QMessageBox, QPushButton
from shiboken6 import isValid

from app.domain import units
from app.domain import validation as v
from app.domain.fields import FieldInfo
from app.domain.fields import Kind as FieldKind
from app.domain.records import (
    Admission,
    Enterprise,
    Organisation,
    QualityRating,
    Record,
    Visit,
    fields_of,
    record_type,
)
from app.domain.validation import DEFAULT_RULES, FoundingRules, Problem
from app.domain.vnformat import format_date
from app.domain.vocab import OrgKind, QualityLevel
from app.gui.forms.base import FieldSpec, Kind, RecordForm
from app.services import records as svc
from app.storage import lookalikes
from app.storage.changes import Saved

if TYPE_CHECKING:
    from app.gui.main_window import MainWindow

NOT_CHOSEN = "— chưa chọn —"

_BOX = {
    FieldKind.LONG_TEXT: Kind.MULTILINE,
    FieldKind.INTEGER: Kind.INT,
    FieldKind.COUNT: Kind.INT,
    FieldKind.YEAR: Kind.INT,
    FieldKind.DATE: Kind.DATE,
    FieldKind.CHOICE: Kind.CHOICE,
    FieldKind.YES_NO: Kind.BOOL,
}


def spec_of(info: FieldInfo, **overrides: Any) -> FieldSpec:
    """The form box of a declared field."""
    choices: tuple[tuple[Any, str], ...] = ()
    if info.kind is FieldKind.CHOICE:
        shown = tuple((c, f"{c} - {label}" if info.show_code else label) for c, label in info.choices)
        choices = (((None, NOT_CHOSEN),) if info.null else ()) + shown
    spec = FieldSpec(
        info.name,
        info.label,
        _BOX.get(info.kind, Kind.TEXT),
        choices,
        placeholder=info.help,
        required=info.required,
        column=1 if info.beside else 0,
        group_digits=info.kind is not FieldKind.YEAR,
    )
    return dataclasses.replace(spec, **overrides) if overrides else spec


def declared_specs(
    cls: type[Record], skip: tuple[str, ...] = (), **overrides: dict[str, Any]
) -> list[FieldSpec]:
    """The boxes of a record's form: its declared fields typed on the form, in order.

    A box placed beside another (right column) that follows one already on the right moves to the
    left: two boxes per line at most."""
    specs = []
    for info in fields_of(cls):
        if info.entry and info.name not in skip:
            spec = spec_of(info, **overrides.get(info.name, {}))
            if spec.column == 1 and (not specs or specs[-1].column == 1):
                spec = dataclasses.replace(spec, column=0)
            specs.append(spec)
    return specs


def record_from(base: Record, specs: list[FieldSpec], values: dict[str, Any]) -> Any:
    """``base`` with the parsed form values of ``specs``: coded values as their enum members, yes/no
    as bool; an empty box of a field that cannot be empty gives the field's default (or its empty
    value: "" for text, the first choice)."""
    cls = type(base)
    info = cls.INFO
    kw: dict[str, Any] = {}
    for spec in specs:
        i = info[spec.name]
        value = values[spec.name]
        if i.kind is FieldKind.YES_NO:
            value = bool(value)
        elif i.enum is not None:
            value = i.enum.parse(value)
        if value is None and not i.null:
            value = cls.__dataclass_fields__[spec.name].default  # the default, or the empty value
        kw[spec.name] = value
    return dataclasses.replace(base, **kw)  # type: ignore[type-var]


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
    wards = tuple(ward_text(u.code) for u in units.wards(province_code)) if province_code else ()
    return declared_specs(Enterprise, ward_code={"completer": wards})


class EnterpriseForm(RecordForm):
    FORM = "enterprise"
    RELATED = {
        "workforce_women": frozenset({"workforce_total"}),
        "workforce_under30": frozenset({"workforce_total"}),
        "tax_code": frozenset({"legal_form"}),
    }

    def __init__(
        self,
        window: MainWindow,
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
            new = record_type(Enterprise)
            record = new(id=record_id) if record_id else new()
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
        record = record_from(self._base, self.FIELDS, values)
        return dataclasses.replace(
            record, ward_code=parse_ward(values["ward_code"] or "", self.province_code)
        )

    def domain_problems(self, record: Enterprise) -> list[Problem]:
        return v.validate_enterprise(v.normalise_enterprise(record), self.today)

    def save_fn(self, store: Any, record: Enterprise) -> Saved[Enterprise]:
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
            if not isValid(self.banner):  # the form was closed while the lookup ran
                return
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


class _Declared:
    """A form's FIELDS read from the declarations each time the class is asked (a form keeps its own
    copy once built), so a record type put in the registry shows up on the next form."""

    def __init__(self, build: Callable[[], list[FieldSpec]]):
        self.build = build

    def __get__(self, obj: object, cls: type) -> list[FieldSpec]:
        return self.build()


def _visit_fields() -> list[FieldSpec]:
    return declared_specs(Visit)


class VisitForm(RecordForm):
    FORM = "visit"
    FIELDS = _Declared(_visit_fields)  # type: ignore[assignment]
    RELATED = {
        "party_total": frozenset({"party_official", "party_probationary"}),
        "party_official": frozenset({"party_probationary", "workforce_total"}),
        **{
            f: frozenset({"workforce_total"})
            for f in ("workforce_women", "workforce_under30", "union_members")
        },
        "next_visit_date": frozenset({"visit_date"}),
        "candidates_identified": frozenset({"workforce_total"}),
        "candidates_trained": frozenset({"candidates_identified"}),
        "candidates_applied": frozenset({"candidates_identified"}),
        "candidates_admitted": frozenset({"party_total"}),
    }

    def __init__(
        self,
        window: MainWindow,
        *,
        enterprise_id: str,
        enterprise_name: str,
        record: Visit | None = None,
        previous: Visit | None = None,
        values: dict | None = None,
        record_id: str | None = None,
        today: date | None = None,
        organisations: Any = None,  # ({OrgKind: Membership} of the organisations existing today, kinds recorded)
    ):
        today = today or date.today()
        self.FIELDS = _visit_fields()
        is_new = record is None
        if record is None:
            record = self.prefilled(
                enterprise_id, previous, window.profile.collaborator, today, record_id, organisations
            )
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
        organisations: Any = None,
    ) -> Visit:
        """A new visit: today, this collaborator, and what is known of the enterprise.

        From the last visit: the fields declared ``carry`` (the person met, the attitude, the counts). From
        the enterprise's organisations (``organisations``: their members today and the kinds recorded): which
        organisations exist (an organisation recorded as founded is ticked; one recorded as mobilising or
        dissolved is not; a kind with no record keeps the last visit's tick) and their members today
        (founding, counts and admissions, ``app.domain.membership``), so a visit saved unchanged repeats what
        is known, never an older count. What is new each time (difficulties, proposals, next step) starts
        empty."""
        base = record_type(Visit)(enterprise_id=enterprise_id, visit_date=today, collaborator=collaborator)
        if record_id:
            base = dataclasses.replace(base, id=record_id)
        carried: dict[str, Any] = {}
        if previous is not None:
            carried = {i.name: getattr(previous, i.name) for i in fields_of(Visit) if i.carry}
        if organisations is not None:
            members, recorded = organisations
            for kind, field in Visit.HAS_FIELD.items():
                if kind in recorded:
                    carried[field] = kind in members
            for kind, m in members.items():
                carried[Visit.MEMBERS_FIELD[kind]] = m.value
                if kind == OrgKind.PARTY:
                    o, p = carried.get("party_official"), carried.get("party_probationary")
                    if o is None or p is None or o + p != m.value:
                        # the split into official and probationary is not known for the new total
                        carried["party_official"] = carried["party_probationary"] = None
        return dataclasses.replace(base, **carried)

    def _extra_buttons(self, layout: QHBoxLayout) -> None:
        b = QPushButton("Lưu và nhập &tiếp (Ctrl+N)", self)
        b.setObjectName("save_next_button")
        b.setAutoDefault(False)
        b.setFocusPolicy(b.focusPolicy().NoFocus)
        b.clicked.connect(self.save_and_next)
        layout.addWidget(b)

    def build(self, values: dict[str, Any]) -> Visit:
        return record_from(self._base, self.FIELDS, values)

    def domain_problems(self, record: Visit) -> list[Problem]:
        return v.validate_visit(v.normalise_visit(record), self.today)

    def save_fn(self, store: Any, record: Visit) -> Saved[Visit]:
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
        "members": frozenset({"members_counted_on"}),
        "members_counted_on": frozenset({"members", "decision_date"}),
    }

    def __init__(
        self,
        window: MainWindow,
        *,
        enterprise_id: str,
        enterprise_name: str,
        kind: OrgKind,
        record: Organisation | None = None,
        rules: FoundingRules = DEFAULT_RULES,
        values: dict | None = None,
        record_id: str | None = None,
        today: date | None = None,
        membership: Any = None,  # app.domain.membership.Membership today, shown above the fields
    ):
        specs = declared_specs(Organisation)
        # the day of a count beside the count it dates (declared last: its column came with schema 6)
        day = next(s for s in specs if s.name == "members_counted_on")
        specs.remove(day)
        specs.insert(next(i for i, s in enumerate(specs) if s.name == "members") + 1, day)
        self.FIELDS = specs
        self.rules = rules
        self.kind = kind
        self.previous = record.status if record is not None else None
        is_new = record is None
        if record is None:
            record = record_type(Organisation)(enterprise_id=enterprise_id, kind=kind)
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
        lines = []
        if membership is not None:
            lines.append(f"<b>Hiện có {membership.explain()}.</b>")
        if explanation:
            lines.append(f"Điều kiện thành lập: {explanation}")
        if lines:
            self.show_banner("<br>".join(lines), [])

    def on_field_changed(self, name: str) -> None:
        # a count is a count on a day: typing one dates it today unless a day is given
        if (
            name == "members"
            and self.field_text("members").strip()
            and not self.field_text("members_counted_on")
        ):
            self.set_values({"members_counted_on": self.today})
            self._touched.add("members_counted_on")
            self.validate()

    def build(self, values: dict[str, Any]) -> Organisation:
        return record_from(self._base, self.FIELDS, values)

    def domain_problems(self, record: Organisation) -> list[Problem]:
        return v.validate_organisation(
            v.normalise_organisation(record), self.previous, self.rules, self.today
        )

    def save_fn(self, store: Any, record: Organisation) -> Saved[Organisation]:
        return svc.save_organisation(store, record, today=self.today)


# --- admission -----------------------------------------------------------------------------------


class AdmissionForm(RecordForm):
    FORM = "admission"
    FIELDS = _Declared(lambda: declared_specs(Admission))  # type: ignore[assignment]
    RELATED = {
        "official_on": frozenset({"admitted_on", "kind", "official_decision", "official_count"}),
        "official_decision": frozenset({"official_on"}),
        "official_count": frozenset({"count", "official_on"}),
    }

    def __init__(
        self,
        window: MainWindow,
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
        self.FIELDS = declared_specs(Admission)
        self.organisations = organisations or {}  # kind value -> organisation id
        is_new = record is None
        if record is None:
            record = record_type(Admission)(enterprise_id=enterprise_id, admitted_on=today, count=1)
            if record_id:
                record = dataclasses.replace(record, id=record_id)
        self._base = record
        if is_new:
            title = f"Kết nạp mới — {enterprise_name}"
        else:
            title = f"Kết nạp ngày {format_date(record.admitted_on)} — {enterprise_name}"
        super().__init__(
            window,
            record_id=record.id,
            is_new=is_new,
            title=title,
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
        record = record_from(self._base, self.FIELDS, values)
        count = values["count"]
        return dataclasses.replace(
            record,
            count=count if count is not None else 0,
            organisation_id=self.organisations.get(record.kind.value),
        )

    def domain_problems(self, record: Admission) -> list[Problem]:
        return v.validate_admission(record, self.today)

    def save_fn(self, store: Any, record: Admission) -> Saved[Admission]:
        return svc.save_admission(store, record, today=self.today)


# --- quality level -------------------------------------------------------------------------------


def rating_year(today: date) -> int:
    """The year a new quality level is most likely for: organisations are rated at the year's end
    (from November) or early in the next year."""
    return today.year if today.month >= 11 else today.year - 1


class QualityRatingForm(RecordForm):
    """The quality level of one of the enterprise's founded organisations for a year. The organisation
    is chosen by its kind (an enterprise has at most one of each); a second level for the same
    organisation and year replaces the first (``services.records.save_rating``)."""

    FORM = "rating"
    RELATED = {"year": frozenset({"kind"}), "level": frozenset({"kind"})}

    def __init__(
        self,
        window: MainWindow,
        *,
        enterprise_id: str,
        enterprise_name: str,
        organisations: list[Organisation],
        record: QualityRating | None = None,
        kind: OrgKind | None = None,
        values: dict | None = None,
        record_id: str | None = None,
        today: date | None = None,
    ):
        today = today or date.today()
        self.organisations = {o.kind: o for o in organisations}
        info = QualityRating.INFO["kind"]
        choices = tuple((k.value, k.label) for k in OrgKind if k in self.organisations)
        kind_spec = dataclasses.replace(
            spec_of(info), label="Tổ chức", choices=((None, NOT_CHOSEN), *choices)
        )
        # the level is chosen, never assumed: a new one starts as "not chosen"
        level = QualityRating.INFO["level"]
        self.FIELDS = [
            kind_spec,
            *declared_specs(QualityRating, level={"choices": ((None, NOT_CHOSEN), *spec_of(level).choices)}),
        ]
        is_new = record is None
        if record is None:
            only = next(iter(self.organisations)) if len(self.organisations) == 1 else None
            chosen = kind if kind in self.organisations else only
            org = self.organisations.get(chosen) if chosen else None
            record = record_type(QualityRating)(
                enterprise_id=enterprise_id,
                organisation_id=org.id if org else "",
                kind=chosen or OrgKind.PARTY,
                year=rating_year(today),
            )
            if record_id:
                record = dataclasses.replace(record, id=record_id)
            initial = self.record_values(record, self.FIELDS)
            initial["level"] = None
            if chosen is None:
                initial["kind"] = None
        else:
            initial = self.record_values(record, self.FIELDS)
        self._base = record
        super().__init__(
            window,
            record_id=record.id,
            is_new=is_new,
            title=f"Xếp loại chất lượng — {enterprise_name}",
            context={"enterprise_id": enterprise_id, "enterprise_name": enterprise_name},
            values=values,
            initial=initial,
            today=today,
        )
        if not self.organisations:
            self.show_banner(
                "Doanh nghiệp chưa có tổ chức nào đã thành lập nên chưa xếp loại chất lượng được. "
                "Hãy ghi việc thành lập tổ chức trước (Cập nhật tổ chức, Ctrl+T).",
                [],
            )

    def build(self, values: dict[str, Any]) -> QualityRating:
        kind = OrgKind.parse(values.get("kind"))
        org = self.organisations.get(kind) if kind else None
        record = record_from(self._base, self.FIELDS[1:], values)
        return dataclasses.replace(
            record,
            kind=kind or self._base.kind,
            organisation_id=org.id if org else "",
            level=QualityLevel.parse(values.get("level")),  # None: not chosen (said so by the checks)
        )

    def domain_problems(self, record: QualityRating) -> list[Problem]:
        if record.organisation_id == "":
            problems = [
                p for p in v.validate_rating(record, None, self.today) if p.field != "organisation_id"
            ]
            return [Problem("kind", "Chưa chọn tổ chức được xếp loại."), *problems]
        return v.validate_rating(record, self.organisations.get(record.kind), self.today)

    def save_fn(self, store: Any, record: QualityRating) -> Saved[QualityRating]:
        return svc.save_rating(store, record, today=self.today)
