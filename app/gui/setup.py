"""First-run wizard: unit (province and ward, searched with or without diacritics), collaborator, role,
this laptop's keys (for signing and receiving bundles), demo data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QSpinBox,
    QVBoxLayout,
    QWizard,
    QWizardPage,
)

from app.domain import units
from app.domain.text import clean, text_problem
from app.domain.vocab import Role
from app.gui.tasks import TaskFailure, TaskRunner

if TYPE_CHECKING:
    from app.gui.main_window import MainWindow

WARD_ROLES = (Role.COLLABORATOR, Role.WARD_OFFICE)


@dataclass(frozen=True)
class SetupChoice:
    unit_code: str
    collaborator: str
    role: Role
    demo: int  # number of demo enterprises in the practice data (app.demo.practice); 0: none


def apply_setup(
    store: Any, choice: SetupChoice, ctx: Any = None, today: date | None = None
) -> dict[str, Any]:
    """Worker side: write the profile, make the keys; demo data goes into the practice database, never
    into this one (``app.demo.practice``). Returns what was done."""
    out: dict[str, Any] = {}
    store.set_profile(unit_code=choice.unit_code, collaborator=choice.collaborator, role=choice.role)
    from app.sync import registry

    ident = registry.setup_keys(store)
    out["fingerprint"] = ident.current.fingerprint
    out["profile"] = store.profile()
    if choice.demo and store.path is not None:
        from app.demo import practice

        def progress(done: int, total: int) -> None:
            if ctx is not None:
                ctx.check()
                ctx.progress(done, total, f"Đang tạo dữ liệu mẫu: {done}/{total} doanh nghiệp")

        out["practice"] = practice.prepare(
            store.path.parent,
            out["profile"],
            choice.demo,
            key=store.key,
            progress=progress,
            today=today or date.today(),
        )
    return out


class _EnterTo(QObject):
    """Enter in a search box moves to ``target`` (instead of pressing the wizard's Next button)."""

    def __init__(self, target: Any, parent: Any):
        super().__init__(parent)
        self.target = target

    def eventFilter(self, obj: Any, event: Any) -> bool:
        if event.type() == QEvent.Type.KeyPress and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.target.setFocus()
            return True
        return False


class UnitPage(QWizardPage):
    """Province, then ward: each searched as you type, with or without diacritics ("ha noi", "hoan kiem")."""

    def __init__(self, profile: Any):
        super().__init__()
        self.setTitle("Đơn vị của máy này")
        self.setSubTitle(
            "Gõ tên tỉnh, thành phố rồi tên phường, xã (có dấu hoặc không dấu, ví dụ «ha noi», "
            "«hoan kiem»); Enter để chuyển sang ô tiếp theo."
        )
        self.province_search = QLineEdit(self)
        self.province_search.setObjectName("wizard_province_search")
        self.province_search.setPlaceholderText("Tên tỉnh, thành phố")
        self.provinces = QListWidget(self)
        self.provinces.setObjectName("wizard_provinces")
        self.provinces.setMaximumHeight(110)
        self.search = QLineEdit(self)
        self.search.setObjectName("wizard_ward_search")
        self.search.setPlaceholderText("Tên phường, xã")
        self.wards = QListWidget(self)
        self.wards.setObjectName("wizard_wards")
        self.province_search.textChanged.connect(self._fill_provinces)
        self.province_search.installEventFilter(_EnterTo(self.search, self))
        self.provinces.currentItemChanged.connect(lambda *_a: self._fill())
        self.search.textChanged.connect(self._fill)
        self.search.installEventFilter(_EnterTo(self.wards, self))
        self.wards.currentItemChanged.connect(lambda *_a: self.completeChanged.emit())
        form = QFormLayout()
        form.addRow("Tìm &tỉnh, thành phố:", self.province_search)
        form.addRow("", self.provinces)
        form.addRow("Tìm &phường, xã:", self.search)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.wards, 1)
        self._fill_provinces()
        if profile.unit_code:
            self.select_province(units.province_of(profile.unit_code) or "")
            if units.ward(profile.unit_code):
                self.select_ward(profile.unit_code)

    def _fill_provinces(self, *_a: object) -> None:
        text = self.province_search.text().strip()
        found = [u for u in units.find(text, limit=100) if u.is_province] if text else units.provinces()
        self.provinces.blockSignals(True)
        self.provinces.clear()
        for u in found:
            item = QListWidgetItem(u.name)
            item.setData(Qt.ItemDataRole.UserRole, u.code)
            self.provinces.addItem(item)
        self.provinces.blockSignals(False)
        if self.provinces.count():
            self.provinces.setCurrentRow(0)
        else:
            self._fill()

    def select_province(self, code: str) -> None:
        for i in range(self.provinces.count()):
            if self.provinces.item(i).data(Qt.ItemDataRole.UserRole) == code:
                self.provinces.setCurrentRow(i)
                return

    def province_code(self) -> str | None:
        item = self.provinces.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item else None

    def _fill(self, *_a: object) -> None:
        pcode = self.province_code()
        self.wards.clear()
        if pcode is not None:
            text = self.search.text().strip()
            found = units.find(text, pcode, limit=500) if text else units.wards(pcode)
            for u in found:
                if u.is_province:
                    continue
                item = QListWidgetItem(f"{u.name} ({u.code})")
                item.setData(Qt.ItemDataRole.UserRole, u.code)
                self.wards.addItem(item)
            if self.wards.count():
                self.wards.setCurrentRow(0)
        self.completeChanged.emit()

    def select_ward(self, code: str) -> None:
        for i in range(self.wards.count()):
            if self.wards.item(i).data(Qt.ItemDataRole.UserRole) == code:
                self.wards.setCurrentRow(i)
                return

    def ward_code(self) -> str | None:
        item = self.wards.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item else None

    def isComplete(self) -> bool:
        return self.province_code() is not None


class PersonPage(QWizardPage):
    def __init__(self, profile: Any):
        super().__init__()
        self.setTitle("Người dùng và vai trò của máy")
        self.setSubTitle("Họ tên được ghi vào mọi thay đổi; vai trò quyết định máy gửi dữ liệu cho ai.")
        self.name = QLineEdit(self)
        self.name.setObjectName("wizard_name")
        self.name.setPlaceholderText("Ví dụ: Nguyễn Thị Hằng")
        self.name.setText(profile.collaborator or "")
        self.role = QComboBox(self)
        self.role.setObjectName("wizard_role")
        for r in Role:
            self.role.addItem(r.label, r.value)
        if profile.role:
            self.role.setCurrentIndex(self.role.findData(profile.role.value))
        self.error = QLabel(self)
        self.error.setObjectName("wizard_error")
        self.error.setStyleSheet("color: #b00020;")
        self.error.setWordWrap(True)
        self.name.textChanged.connect(lambda *_a: self.completeChanged.emit())
        form = QFormLayout(self)
        form.addRow("&Họ và tên:", self.name)
        form.addRow("&Vai trò của máy:", self.role)
        form.addRow(self.error)

    def role_value(self) -> Role:
        return Role(self.role.currentData())

    def isComplete(self) -> bool:
        return bool(clean(self.name.text()))

    def validatePage(self) -> bool:
        wizard: SetupWizard = self.wizard()  # type: ignore[assignment]
        problem = text_problem(clean(self.name.text()), "Họ và tên", 200)
        if problem:  # a pasted name with a direction override or a damaged character
            self.error.setText(problem)
            return False
        if self.role_value() in WARD_ROLES and wizard.unit_page.ward_code() is None:
            self.error.setText(
                "Máy của cộng tác viên hoặc cơ quan phường phải chọn một phường, xã: "
                "hãy quay lại trang trước và chọn phường, xã."
            )
            return False
        self.error.clear()
        return True


class KeysPage(QWizardPage):
    def __init__(self, data_dir: Any):
        super().__init__()
        self.setTitle("Khóa của máy")
        layout = QVBoxLayout(self)
        self.setSubTitle(
            "Máy sẽ tạo một cặp khóa để ký và nhận gói dữ liệu. Cơ quan tiếp nhận dùng dấu vân tay "
            "khóa để biết gói đúng là của máy này."
        )
        text = QLabel(
            "Khóa của máy được bảo vệ bằng chính mật khẩu mở dữ liệu vừa đặt: không cần mật khẩu riêng.",
            self,
        )
        text.setObjectName("wizard_keys_protected")
        text.setWordWrap(True)
        layout.addWidget(text)
        layout.addStretch(1)


class DemoPage(QWizardPage):
    def __init__(self) -> None:
        super().__init__()
        self.setTitle("Tập dượt với dữ liệu mẫu")
        self.setSubTitle("Muốn dùng thử trước? Chương trình có thể mở chế độ tập dượt với doanh nghiệp mẫu.")
        self.enabled = QCheckBox("&Mở chế độ tập dượt với dữ liệu mẫu", self)
        self.enabled.setObjectName("wizard_demo")
        self.count = QSpinBox(self)
        self.count.setObjectName("wizard_demo_count")
        self.count.setRange(10, 100_000)
        self.count.setValue(200)
        self.count.setSuffix(" doanh nghiệp")
        self.count.setEnabled(False)
        self.enabled.toggled.connect(self.count.setEnabled)
        note = QLabel(
            "Dữ liệu mẫu là tên và số liệu giả, chỉ để tập. Nó nằm riêng trong chế độ tập dượt: không bao giờ "
            "lẫn với dữ liệu thật và không gửi lên cơ quan được. Trong chế độ tập dượt, đầu cửa sổ có dải màu "
            "cam; bấm «Thoát chế độ tập dượt» để về dữ liệu thật (đang trống, sẵn sàng làm việc).",
            self,
        )
        note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.enabled)
        layout.addWidget(self.count)
        layout.addWidget(note)
        layout.addStretch(1)


class SetupWizard(QWizard):
    """Collects a ``SetupChoice``; ``sig_done`` carries what ``apply_setup`` returned."""

    sig_done = Signal(object)

    def __init__(
        self, tasks: TaskRunner, profile: Any, data_dir: Any, parent: Any = None, *, offer_demo: bool = True
    ):
        super().__init__(parent)
        self.setObjectName("setup_wizard")
        self.setWindowTitle("Thiết lập KhaoSat")
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.tasks = tasks
        self.unit_page = UnitPage(profile)
        self.person_page = PersonPage(profile)
        self.keys_page = KeysPage(data_dir)
        self.demo_page = DemoPage()
        for page in (self.unit_page, self.person_page, self.keys_page):
            self.addPage(page)
        if offer_demo:
            self.addPage(self.demo_page)
        self.setButtonText(QWizard.WizardButton.NextButton, "&Tiếp >")
        self.setButtonText(QWizard.WizardButton.BackButton, "< &Quay lại")
        self.setButtonText(QWizard.WizardButton.FinishButton, "&Xong")
        self.setButtonText(QWizard.WizardButton.CancelButton, "&Hủy")
        self.result_: dict[str, Any] | None = None
        self.resize(640, 520)

    def choice(self) -> SetupChoice:
        role = self.person_page.role_value()
        ward = self.unit_page.ward_code()
        province = self.unit_page.province_code() or ""
        unit_code = ward if (role in WARD_ROLES or (role == Role.MIDDLE_OFFICE and ward)) else province
        return SetupChoice(
            unit_code=unit_code or province,
            collaborator=clean(self.person_page.name.text()),
            role=role,
            demo=self.demo_page.count.value() if self.demo_page.enabled.isChecked() else 0,
        )

    def accept(self) -> None:
        choice = self.choice()
        self.button(QWizard.WizardButton.FinishButton).setEnabled(False)

        def done(result: dict[str, Any]) -> None:
            self.result_ = result
            super(SetupWizard, self).accept()
            self.sig_done.emit(result)

        def failed(failure: TaskFailure) -> None:
            self.button(QWizard.WizardButton.FinishButton).setEnabled(True)
            from app.gui.tasks import Cancelled

            if isinstance(failure.exception, Cancelled):
                return
            # a full disk while making the demo data says so plainly; anything else without Python's words
            from app.domain.validation import ValidationError
            from app.gui.failures import explain

            exc = failure.exception
            text = (
                str(exc) if isinstance(exc, ValidationError) else explain(failure, "Chưa thiết lập được máy")
            )
            QMessageBox.warning(self, "Chưa thiết lập được", text)

        if choice.demo:
            self.tasks.run_with_progress(
                self,
                "Đang thiết lập máy và tạo dữ liệu mẫu…",
                lambda store, ctx: apply_setup(store, choice, ctx),
                done,
                failed,
            )
        else:
            self.tasks.write(lambda store: apply_setup(store, choice), done, failed)


def open_wizard(window: MainWindow) -> None:
    """Tools ▸ Thiết lập máy: the wizard again, over the main window."""
    wizard = SetupWizard(window.tasks, window.profile, window.data_dir, window, offer_demo=False)
    wizard.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

    def done(result: dict[str, Any]) -> None:
        window.set_profile(result["profile"])
        if result.get("fingerprint"):
            window.show_status(f"Dấu vân tay khóa của máy: {result['fingerprint']}", 20000)

    wizard.sig_done.connect(done)
    wizard.open()
