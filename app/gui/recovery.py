"""Recovery of a forgotten passphrase through the office above, in the desktop program (app/sync/recovery.py).

On the laptop, from the passphrase dialog («Quên mật khẩu…»): write a request to the stick; later open
the office's unlock file with the code said face to face, and choose a new passphrase. At the office,
from the Đồng bộ menu: open a request, see which registered machine asks, confirm that a person checked
the identity papers of who is asking, write the unlock file and read the code out.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.gui.new_passphrase import NewPassphrase, error_label
from app.gui.tasks import TaskFailure, TaskRunner
from app.gui.unlock import UpgradingDialog
from app.security.datakey import LockError
from app.sync.errors import SyncError

if TYPE_CHECKING:
    from app.gui.main_window import MainWindow
    from app.storage.store import Store
    from app.sync.recovery import Answer, RequestInfo


def _message(exc: BaseException) -> str:
    if isinstance(exc, (LockError, SyncError)):
        return exc.message
    from app.gui.failures import explain

    return explain(exc, "Chưa làm được việc này")


def _label(text: str, parent: QWidget, name: str = "") -> QLabel:
    label = QLabel(text, parent)
    label.setWordWrap(True)
    if name:
        label.setObjectName(name)
    return label


class LaptopRecoveryDialog(UpgradingDialog):
    """The laptop side. ``result_value`` is what ``finish(key, progress)`` returned once the data is open again.

    ``finish`` opens the data (in a worker) and upgrades a file an older version made, telling ``progress`` its
    steps: the dialog then shows the upgrade as the start does (``UpgradingDialog``)."""

    def __init__(self, tasks: TaskRunner, data_dir: Path, finish: Any, parent: QWidget | None = None):
        super().__init__(parent)
        self.tasks = tasks
        self.data_dir = Path(data_dir)
        self.finish = finish
        self.result_value: Any = None
        self.setObjectName("laptop_recovery_dialog")
        self.setWindowTitle("KhaoSat — Quên mật khẩu")
        layout = QVBoxLayout(self)
        layout.addWidget(
            _label(
                "Cơ quan cấp trên (nơi máy này gửi gói dữ liệu) giúp mở lại dữ liệu mà không mất gì. "
                "Bước 1: ghi yêu cầu ra USB và mang USB cùng giấy tờ tùy thân đến cơ quan. Bước 2: cơ quan "
                "kiểm tra, ghi tệp mở khóa vào USB và đọc cho bạn một mã 12 chữ số; cắm USB vào máy này, "
                "chọn tệp, nhập mã và đặt mật khẩu mới.",
                self,
            )
        )
        step1 = QGroupBox("Bước 1: yêu cầu khôi phục", self)
        s1 = QVBoxLayout(step1)
        # a laptop that sends bundles to several offices chooses which one it goes to (shown only then)
        self.office_row = QWidget(step1)
        office_layout = QHBoxLayout(self.office_row)
        office_layout.setContentsMargins(0, 0, 0, 0)
        self.office = QComboBox(self.office_row)
        self.office.setObjectName("recovery_office")
        office_label = QLabel("&Cơ quan giúp khôi phục:", self.office_row)
        office_label.setBuddy(self.office)
        office_layout.addWidget(office_label)
        office_layout.addWidget(self.office, 1)
        self.office_row.setVisible(False)
        s1.addWidget(self.office_row)
        self.request_button = QPushButton("Ghi yêu cầu ra USB…", step1)
        self.request_button.setObjectName("recovery_request")
        self.request_button.clicked.connect(self._request)
        s1.addWidget(self.request_button)
        self.request_status = _label("", step1, "recovery_request_status")
        s1.addWidget(self.request_status)
        layout.addWidget(step1)

        step2 = QGroupBox("Bước 2: mở khóa bằng tệp của cơ quan", self)
        form = QFormLayout(step2)
        row = QHBoxLayout()
        self.file = QLineEdit(step2)
        self.file.setObjectName("recovery_unlock_file")
        browse = QPushButton("Chọn tệp…", step2)
        browse.clicked.connect(self._browse)
        row.addWidget(self.file)
        row.addWidget(browse)
        file_label = QLabel("&Tệp mở khóa:", step2)
        file_label.setBuddy(self.file)
        form.addRow(file_label, row)
        self.code = QLineEdit(step2)
        self.code.setObjectName("recovery_code")
        self.code.setPlaceholderText("1234-5678-9012")
        form.addRow("&Mã cơ quan đọc:", self.code)
        self.chosen = NewPassphrase(step2, form, "recovery")
        self.new, self.repeat = self.chosen.new, self.chosen.repeat
        layout.addWidget(step2)
        self.error = error_label(self, "recovery_error")
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(self)
        self.ok = buttons.addButton("Mở khóa", QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok.setObjectName("recovery_ok")
        buttons.addButton("Quay lại", QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self._unlock)
        buttons.rejected.connect(self.reject)
        self.add_upgrade_panel(
            layout, "recovery_upgrade", quiet=lambda: [step1, step2, *buttons.buttons()], hidden=[self.error]
        )
        layout.addWidget(buttons)
        self.setMinimumWidth(600)
        self._load_offices()

    def _load_offices(self) -> None:
        from app.sync.recovery import offices_for_recovery

        data_dir = self.data_dir
        self.tasks.call(
            lambda: [(o.office_id, o.name) for o in offices_for_recovery(data_dir)],
            self._show_offices,
            lambda _f: None,  # a damaged key file: writing the request says so
        )

    def _show_offices(self, offices: list[tuple[str, str]]) -> None:
        self.office.clear()
        for office_id, name in offices:
            self.office.addItem(f"{name} (mã máy {office_id})", office_id)
        self.office_row.setVisible(len(offices) > 1)

    def _request(self) -> None:

        folder = QFileDialog.getExistingDirectory(self, "Ghi yêu cầu khôi phục vào thư mục (USB)")
        if folder:
            self.write_request(folder)

    def write_request(self, folder: str) -> None:
        from app.sync.recovery import make_request

        data_dir = self.data_dir
        office_id = self.office.currentData() if self.office.count() > 1 else None
        self.request_status.setText("Đang ghi…")
        self.tasks.call(
            lambda: make_request(data_dir, Path(folder), office_id),
            lambda req: self.request_status.setText(
                f"Đã ghi {req.path.name} vào {req.path.parent}. Hãy mang USB và giấy tờ tùy thân đến {req.office}."
            ),
            lambda f: self.request_status.setText(_message(f.exception)),
        )

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Tệp mở khóa", "", "Tệp mở khóa KhaoSat (*.khaosat-unlock)"
        )
        if path:
            self.file.setText(path)

    def _unlock(self) -> None:
        from app.sync.recovery import apply_unlock

        path, code, new = self.file.text().strip(), self.code.text(), self.chosen.text()
        if not path:
            self.error.setText("Hãy chọn tệp mở khóa cơ quan đã ghi vào USB.")
            return
        if len("".join(ch for ch in code if ch.isdigit())) != 12:
            self.error.setText("Mã mở khóa có 12 chữ số: hãy nhập đủ mã cơ quan đã đọc.")
            return
        problem = self.chosen.problem()
        if problem:
            self.error.setText(problem)
            return
        self.ok.setEnabled(False)
        self.error.working("Đang mở khóa…")
        data_dir, finish = self.data_dir, self.finish
        self.run_upgrading(
            self.tasks,
            lambda progress: finish(apply_unlock(data_dir, Path(path), code, new), progress),
            self._done,
            self._failed,
        )

    def _done(self, value: Any) -> None:
        self.result_value = value
        self.accept()

    def _failed(self, failure: TaskFailure) -> None:
        self.ok.setEnabled(True)
        self.error.setText(_message(failure.exception))


class OfficeRecoveryDialog(QDialog):
    """The office side: a request in, the unlock file and the code out, the recovery logged."""

    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.window_ = window
        self.info: RequestInfo | None = None
        self.setObjectName("office_recovery_dialog")
        self.setWindowTitle("Khôi phục mật khẩu cho máy cấp dưới")
        layout = QVBoxLayout(self)
        layout.addWidget(
            _label(
                "Người dùng máy cấp dưới quên mật khẩu mang đến một tệp yêu cầu khôi phục. Chỉ trả lời khi đã "
                "kiểm tra giấy tờ tùy thân và đúng là người dùng máy đã đăng ký. Mã mở khóa chỉ đọc trực tiếp "
                "cho người đó, không ghi vào USB, không gửi qua điện thoại hay tin nhắn.",
                self,
            )
        )
        row = QHBoxLayout()
        self.open_button = QPushButton("Mở tệp yêu cầu…", self)
        self.open_button.setObjectName("office_recovery_open")
        self.open_button.clicked.connect(self._browse)
        row.addWidget(self.open_button)
        row.addStretch(1)
        layout.addLayout(row)
        self.machine = _label("", self, "office_recovery_machine")
        self.machine.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.machine)
        form = QFormLayout()
        self.checked_by = QLineEdit(self)
        self.checked_by.setObjectName("office_recovery_checked_by")
        self.checked_by.setText(window.profile.collaborator or "")
        self.note = QLineEdit(self)
        self.note.setObjectName("office_recovery_note")
        self.note.setPlaceholderText("ví dụ: đã xem căn cước công dân")
        form.addRow("Người &kiểm tra:", self.checked_by)
        form.addRow("&Ghi chú:", self.note)
        layout.addLayout(form)
        self.confirm = QCheckBox(
            "Tôi đã kiểm tra giấy tờ tùy thân: đúng là người dùng máy đã đăng ký ở trên", self
        )
        self.confirm.setObjectName("office_recovery_confirm")
        layout.addWidget(self.confirm)
        self.code = QLabel("", self)
        self.code.setObjectName("office_recovery_code")
        self.code.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.code.setStyleSheet("font-size: 20pt; font-weight: bold;")
        layout.addWidget(self.code)
        self.status = _label("", self, "office_recovery_status")
        layout.addWidget(self.status)
        buttons = QDialogButtonBox(self)
        self.answer_button = buttons.addButton("Ghi tệp mở khóa…", QDialogButtonBox.ButtonRole.ActionRole)
        self.answer_button.setObjectName("office_recovery_answer")
        self.answer_button.setEnabled(False)
        self.answer_button.clicked.connect(self._choose_folder)
        close = buttons.addButton("Đóng", QDialogButtonBox.ButtonRole.RejectRole)
        close.clicked.connect(self.reject)
        layout.addWidget(buttons)
        self.setMinimumWidth(620)

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Tệp yêu cầu khôi phục", "", "Yêu cầu khôi phục KhaoSat (*.khaosat-recovery)"
        )
        if path:
            self.open_request(path)

    def open_request(self, path: str) -> None:
        from app.sync import recovery
        from app.sync import registry as R

        self.status.setText("Đang mở…")

        def read(store: Store) -> RequestInfo:
            return recovery.read_request(store, R.load_keys(store), Path(path))

        self.window_.tasks.read(read, self._shown, self._failed)

    def _shown(self, info: RequestInfo) -> None:
        self.info = info
        m = info.machine
        self.machine.setText(
            f"Máy {info.laptop_id} yêu cầu lúc {info.created_text}.\n"
            f"Người dùng đã đăng ký: {m.name or '?'} — {m.unit_label} — {m.role_label}\n"
            f"Dấu vân tay khóa của máy: {m.fingerprint}"
        )
        self.status.setText("Hãy đối chiếu người yêu cầu với thông tin trên.")
        self.answer_button.setEnabled(True)
        self.adjustSize()

    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Ghi tệp mở khóa vào thư mục (USB)")
        if folder:
            self.answer(folder)

    def answer(self, folder: str) -> None:
        from app.sync import recovery
        from app.sync import registry as R

        if self.info is None:
            return
        if not self.confirm.isChecked():
            self.status.setText(
                "Hãy kiểm tra giấy tờ tùy thân và đánh dấu xác nhận trước khi ghi tệp mở khóa."
            )
            return
        if not self.checked_by.text().strip():
            self.status.setText("Hãy ghi họ tên người đã kiểm tra giấy tờ.")
            return
        info, who, note = self.info, self.checked_by.text(), self.note.text()
        self.answer_button.setEnabled(False)

        def write(store: Store) -> Answer:
            return recovery.answer_request(
                store, R.load_keys(store), info, Path(folder), checked_by=who, note=note
            )

        self.window_.tasks.write(write, self._answered, self._failed)

    def _answered(self, done: Answer) -> None:
        self.code.setText(done.code)
        self.status.setText(
            f"Đã ghi {done.path.name}. Đọc mã trên cho người yêu cầu (không ghi vào USB). Lần khôi phục này đã "
            "được ghi vào nhật ký và sẽ gửi lên cơ quan cấp trên cùng gói dữ liệu."
        )
        self.info = None
        self.adjustSize()

    def _failed(self, failure: TaskFailure) -> None:
        self.answer_button.setEnabled(self.info is not None)
        self.status.setText(_message(failure.exception))


def open_office_recovery(window: MainWindow) -> OfficeRecoveryDialog:
    dialog = OfficeRecoveryDialog(window)
    window.sync.dialog = dialog  # a Đồng bộ dialog, kept like the others
    dialog.show()
    return dialog
