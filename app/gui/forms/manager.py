"""Opens the record forms (loading what they need in a worker first), tracks them, offers drafts back."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QMessageBox

from app.domain.records import Admission, Enterprise, Organisation, QualityRating, Visit
from app.domain.vocab import OrgKind, OrgStatus
from app.gui.drafts import Draft
from app.gui.forms.base import RecordForm
from app.gui.forms.record_forms import (
    AdmissionForm,
    EnterpriseForm,
    OrganisationForm,
    QualityRatingForm,
    VisitForm,
    enterprise_label,
)
from app.services import enterprise_list as el

if TYPE_CHECKING:
    from app.gui.main_window import MainWindow


class FormManager:
    def __init__(self, window: MainWindow):
        self.window = window
        self.open_forms: list[RecordForm] = []
        self.today: date | None = None  # tests pin the date; None: the real today

    # --- opening ------------------------------------------------------------------------------

    def _track(self, form: RecordForm) -> RecordForm:
        from PySide6.QtWidgets import QApplication

        self.open_forms.append(form)
        previous = QApplication.focusWidget()
        if previous is None or previous.window() is not self.window:
            previous = self.window.list_panel.table
        form.destroyed.connect(lambda *_a, f=form: self._forget(f))
        form.sig_closed.connect(lambda f=form, p=previous: self._closed(f, p))
        form.sig_saved.connect(self._saved)
        form.show()
        form.raise_()
        form.activateWindow()
        return form

    def _closed(self, form: RecordForm, previous: Any) -> None:
        """Back to the main window, where the keyboard was before the form opened."""
        self._forget(form)
        if self.open_forms:
            return
        self.window.activateWindow()
        try:
            previous.setFocus()
        except RuntimeError:  # that widget is gone
            self.window.list_panel.table.setFocus()

    def _saved(self, record: Any) -> None:
        """What was just saved becomes the selected, visible enterprise (the next Ctrl+K is for it)."""
        if isinstance(record, Enterprise):
            self.window.reveal_enterprise(record.id, record.tax_code)
            self.window.show_status(f"Đã lưu doanh nghiệp «{record.name}» (MST {record.tax_code}).")
        elif getattr(record, "enterprise_id", None):
            if self.window.selected_enterprise_id() != record.enterprise_id:
                self.window.open_enterprise(record.enterprise_id)

    def _forget(self, form: RecordForm) -> None:
        if form in self.open_forms:
            self.open_forms.remove(form)

    def _find(self, key: str) -> RecordForm | None:
        for f in self.open_forms:
            if f.draft_key == key:
                return f
        return None

    def _bring(self, key: str) -> bool:
        form = self._find(key)
        if form is None:
            return False
        form.raise_()
        form.activateWindow()
        return True

    def new_enterprise(self, values: dict | None = None, record_id: str | None = None) -> RecordForm:
        return self._track(EnterpriseForm(self.window, values=values, record_id=record_id, today=self.today))

    def edit_enterprise(self, enterprise_id: str, values: dict | None = None) -> None:
        if self._bring(f"enterprise-{enterprise_id}"):
            return

        def done(e: Enterprise | None) -> None:
            if e is None:
                self.window.show_status("Doanh nghiệp này không còn (đã bị xóa).")
                return
            self._track(EnterpriseForm(self.window, record=e, values=values, today=self.today))

        self.window.tasks.read(lambda store: store.get(Enterprise, enterprise_id), done)

    def new_visit(self, enterprise_id: str) -> None:
        from app.services import membership

        today = self.today or date.today()

        def work(store: Any) -> tuple[Enterprise | None, Visit | None, Any]:
            orgs = store.children(Organisation, enterprise_id)
            kinds = {o.kind for o in orgs}
            return (
                store.get(Enterprise, enterprise_id),
                el.last_visit(store, enterprise_id),
                (membership.of_enterprise(store, enterprise_id, today), kinds),
            )

        def done(result: tuple[Enterprise | None, Visit | None, Any]) -> None:
            e, last, (members, recorded) = result
            if e is None:
                self.window.show_status("Doanh nghiệp này không còn (đã bị xóa).")
                return
            self.open_visit_form(e.id, enterprise_label(e), previous=last, organisations=(members, recorded))

        self.window.tasks.read(work, done)

    def open_visit_form(
        self,
        enterprise_id: str,
        enterprise_name: str,
        *,
        previous: Visit | None = None,
        record: Visit | None = None,
        values: dict | None = None,
        record_id: str | None = None,
        organisations: Any = None,
    ) -> RecordForm:
        return self._track(
            VisitForm(
                self.window,
                enterprise_id=enterprise_id,
                enterprise_name=enterprise_name,
                record=record,
                previous=previous,
                values=values,
                record_id=record_id,
                today=self.today,
                organisations=organisations,
            )
        )

    def edit_visit(self, visit_id: str, values: dict | None = None) -> None:
        if self._bring(f"visit-{visit_id}"):
            return

        def work(store: Any) -> tuple[Visit | None, Enterprise | None]:
            visit = store.get(Visit, visit_id)
            return visit, store.get(Enterprise, visit.enterprise_id) if visit else None

        def done(result: tuple[Visit | None, Enterprise | None]) -> None:
            visit, e = result
            if visit is None or e is None:
                self.window.show_status("Lượt khảo sát này không còn (đã bị xóa).")
                return
            self.open_visit_form(e.id, enterprise_label(e), record=visit, values=values)

        self.window.tasks.read(work, done)

    def edit_organisation(
        self, enterprise_id: str, kind: OrgKind, values: dict | None = None, record_id: str | None = None
    ) -> None:
        from app.services import membership

        today = self.today or date.today()

        def work(store: Any) -> tuple[Enterprise | None, Organisation | None, Any, Any]:
            orgs = [o for o in store.children(Organisation, enterprise_id) if o.kind == kind]
            members = membership.of_enterprise(store, enterprise_id, today).get(kind)
            return (
                store.get(Enterprise, enterprise_id),
                (orgs[0] if orgs else None),
                store.founding_rules(),
                members,
            )

        def done(result: tuple[Enterprise | None, Organisation | None, Any, Any]) -> None:
            e, org, rules, members = result
            if e is None:
                self.window.show_status("Doanh nghiệp này không còn (đã bị xóa).")
                return
            key = f"organisation-{org.id if org else record_id}"
            if self._bring(key):
                return
            self._track(
                OrganisationForm(
                    self.window,
                    enterprise_id=e.id,
                    enterprise_name=enterprise_label(e),
                    kind=kind,
                    record=org,
                    rules=rules,
                    values=values,
                    record_id=None if org else record_id,
                    today=self.today,
                    membership=members,
                )
            )

        self.window.tasks.read(work, done)

    def new_admission(
        self, enterprise_id: str, values: dict | None = None, record_id: str | None = None
    ) -> None:
        def work(store: Any) -> tuple[Enterprise | None, dict[str, str]]:
            orgs = {o.kind.value: o.id for o in store.children(Organisation, enterprise_id)}
            return store.get(Enterprise, enterprise_id), orgs

        def done(result: tuple[Enterprise | None, dict[str, str]]) -> None:
            e, orgs = result
            if e is None:
                self.window.show_status("Doanh nghiệp này không còn (đã bị xóa).")
                return
            self._track(
                AdmissionForm(
                    self.window,
                    enterprise_id=e.id,
                    enterprise_name=enterprise_label(e),
                    organisations=orgs,
                    values=values,
                    record_id=record_id,
                    today=self.today,
                )
            )

        self.window.tasks.read(work, done)

    def edit_admission(self, admission_id: str, values: dict | None = None) -> None:
        """An admission as recorded, to correct it or to record its members' recognition as official
        Party members (the day, the decision, how many)."""
        if self._bring(f"admission-{admission_id}"):
            return

        def work(store: Any) -> tuple[Admission | None, Enterprise | None, dict[str, str]]:
            a = store.get(Admission, admission_id)
            if a is None:
                return None, None, {}
            orgs = {o.kind.value: o.id for o in store.children(Organisation, a.enterprise_id)}
            return a, store.get(Enterprise, a.enterprise_id), orgs

        def done(result: tuple[Admission | None, Enterprise | None, dict[str, str]]) -> None:
            a, e, orgs = result
            if a is None or e is None:
                self.window.show_status("Lần kết nạp này không còn (đã bị xóa).")
                return
            form = AdmissionForm(
                self.window,
                enterprise_id=e.id,
                enterprise_name=enterprise_label(e),
                organisations=orgs,
                record=a,
                values=values,
                today=self.today,
            )
            self._track(form)
            if a.kind == OrgKind.PARTY and a.official_on is None and values is None:
                form.widgets["official_on"].setFocus()  # what a probation due asks for

        self.window.tasks.read(work, done)

    def new_rating(
        self,
        enterprise_id: str,
        kind: OrgKind | None = None,
        values: dict | None = None,
        record_id: str | None = None,
    ) -> None:
        self._open_rating(enterprise_id, None, kind, values, record_id)

    def edit_rating(self, rating_id: str, values: dict | None = None) -> None:
        if self._bring(f"rating-{rating_id}"):
            return

        def work(store: Any) -> QualityRating | None:
            return store.get(QualityRating, rating_id)

        def done(r: QualityRating | None) -> None:
            if r is None:
                self.window.show_status("Xếp loại này không còn (đã bị xóa).")
                return
            self._open_rating(r.enterprise_id, r, r.kind, values, None)

        self.window.tasks.read(work, done)

    def _open_rating(
        self,
        enterprise_id: str,
        record: QualityRating | None,
        kind: OrgKind | None,
        values: dict | None,
        record_id: str | None,
    ) -> None:
        def work(store: Any) -> tuple[Enterprise | None, list[Organisation]]:
            orgs = [
                o
                for o in store.children(Organisation, enterprise_id, "kind")
                if o.status in (OrgStatus.FOUNDED, OrgStatus.DISSOLVED)
            ]
            return store.get(Enterprise, enterprise_id), orgs

        def done(result: tuple[Enterprise | None, list[Organisation]]) -> None:
            e, orgs = result
            if e is None:
                self.window.show_status("Doanh nghiệp này không còn (đã bị xóa).")
                return
            self._track(
                QualityRatingForm(
                    self.window,
                    enterprise_id=e.id,
                    enterprise_name=enterprise_label(e),
                    organisations=orgs,
                    record=record,
                    kind=kind,
                    values=values,
                    record_id=record_id,
                    today=self.today,
                )
            )

        self.window.tasks.read(work, done)

    # --- drafts -------------------------------------------------------------------------------

    def offer_drafts(self) -> None:
        """Look for drafts left by a crash (in a worker) and offer them back."""
        drafts = self.window.drafts
        self.window.tasks.call(drafts.load_all, self._offer)

    def _offer(self, found: list[Draft]) -> None:
        found = [d for d in found if self._find(d.key) is None]
        if not found:
            return
        lines = "\n".join(f"• {d.title} (lúc {d.saved_text})" for d in found[:10])
        more = f"\n… và {len(found) - 10} bản nháp khác" if len(found) > 10 else ""
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Khôi phục bản nháp",
            f"Lần trước chương trình đóng khi còn {len(found)} phiếu chưa lưu:\n\n{lines}{more}\n\n"
            "Mở lại để xem và lưu?",
            QMessageBox.StandardButton.NoButton,
            self.window,
        )
        box.setObjectName("drafts_box")
        restore = box.addButton("&Mở lại", QMessageBox.ButtonRole.AcceptRole)
        drop = box.addButton("&Bỏ các bản nháp", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton("Để &sau", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(restore)

        def clicked(button: Any) -> None:
            if button is restore:
                for d in found:
                    self.restore(d)
            elif button is drop:
                store = self.window.drafts
                keys = [d.key for d in found]
                self.window.tasks.call(lambda: [store.discard(k) for k in keys])

        box.buttonClicked.connect(clicked)
        box.open()
        self.drafts_box = box

    def restore(self, d: Draft) -> None:
        ctx, values = d.context, d.values
        if d.form == "enterprise":
            if d.is_new:
                self.new_enterprise(values=values, record_id=d.record_id)
            else:
                self.edit_enterprise(d.record_id, values=values)
        elif d.form == "visit":
            if d.is_new:
                self.open_visit_form(
                    ctx["enterprise_id"], ctx.get("enterprise_name", ""), values=values, record_id=d.record_id
                )
            else:
                self.edit_visit(d.record_id, values=values)
        elif d.form == "organisation":
            kind = OrgKind.parse(ctx.get("kind"))
            if kind is not None:
                self.edit_organisation(ctx["enterprise_id"], kind, values=values, record_id=d.record_id)
        elif d.form == "admission":
            if d.is_new:
                self.new_admission(ctx["enterprise_id"], values=values, record_id=d.record_id)
            else:
                self.edit_admission(d.record_id, values=values)
        elif d.form == "rating":
            if d.is_new:
                self.new_rating(ctx["enterprise_id"], values=values, record_id=d.record_id)
            else:
                self.edit_rating(d.record_id, values=values)

    # --- closing ------------------------------------------------------------------------------

    def confirm_close_all(self) -> bool:
        for form in list(self.open_forms):
            if not form.confirm_close():
                form.raise_()
                return False
        for form in list(self.open_forms):
            form._closing_ok = True
            form.close()
        return True
