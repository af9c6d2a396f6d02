"""Export, import and registered-machines dialogs. They pick paths and show results; workers do the work."""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from app.domain.records import RECORD_TYPES
from app.domain.vnformat import format_int
from app.gui.remedies import RemedyButton, with_screen
from app.gui.sync.common import message, with_keys
from app.gui.tasks import Cancelled
from app.sync import bundles as B
from app.sync import container as C
from app.sync import drives
from app.sync import keys as K
from app.sync import registry as R
from app.sync.checks import ENTITY_NAMES
from app.sync.errors import shown

if TYPE_CHECKING:
    from app.gui.main_window import MainWindow

ENTITY_LABELS = ENTITY_NAMES  # "phân công", "lượt khảo sát": a kind of record inside a sentence
OUTCOMES = {
    "applied": "Đã nhập",
    "quarantined": "Cách ly",
    "refused": "Từ chối",
    "receipt": "Biên nhận",
    "already": "Đã nhập trước đây",
    "not_mine": "Của máy khác",
    "own": "Gói của máy này",
}
STATUS = {"active": "đang dùng", "superseded": "khóa cũ", "revoked": "đã thu hồi"}


def _table(headers: list[str]) -> QTableWidget:
    t = QTableWidget(0, len(headers))
    t.setHorizontalHeaderLabels(headers)
    t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    t.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    t.verticalHeader().setVisible(False)
    t.horizontalHeader().setStretchLastSection(True)
    t.setWordWrap(True)
    return t


def _fill(table: QTableWidget, rows: list[list[str]]) -> None:
    table.setRowCount(len(rows))
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            item = QTableWidgetItem(value)
            item.setToolTip(value)
            table.setItem(r, c, item)
    table.resizeColumnsToContents()
    table.horizontalHeader().setSectionResizeMode(
        len(rows[0]) - 1 if rows else 0, QHeaderView.ResizeMode.Stretch
    )
    table.resizeRowsToContents()


class _Dialog(QDialog):
    SCREEN = ""  # the action that opens this dialog (a remedy pointing here offers no button)

    def __init__(self, window: MainWindow, title: str):
        super().__init__(window)
        self.window_ = window
        self.setWindowTitle(title)
        # deleted once closed and the window's work is done: a reading still on its way when the person
        # closes the dialog (the drives, the preview) reports back to a hidden dialog, not a deleted one
        self.finished.connect(self._delete_when_idle)
        self.busy = False
        self.layout_ = QVBoxLayout(self)
        self.remedy_button: RemedyButton | None = None

    def _delete_when_idle(self, _result: int = 0) -> None:
        tasks = self.window_.tasks
        if tasks.active == 0:
            self.deleteLater()
            return

        def idle(busy: bool) -> None:
            if not busy:
                tasks.sig_busy.disconnect(idle)
                self.deleteLater()

        tasks.sig_busy.connect(idle)

    def offer_remedy(self, failure: Any, under: Any) -> str:
        """The failure's message naming the screen where it is fixed, and a button under ``under`` that
        opens that screen (closing this dialog)."""
        if self.remedy_button is None:
            self.remedy_button = RemedyButton(self.window_, self, before_open=self.close)
            self.layout_.insertWidget(
                self.layout_.indexOf(under) + 1, self.remedy_button, 0, Qt.AlignmentFlag.AlignLeft
            )
        remedy = self.remedy_button.show_for(failure)
        if remedy is not None and remedy.action == self.SCREEN:
            self.remedy_button.hide()
            return message(failure)
        return with_screen(message(failure), remedy)

    def _folder_box(self) -> QGroupBox:
        """«Ghi vào»: where the files go, in ``self.folder``: a USB stick found (read in a worker), or a
        folder typed or chosen. A change calls ``_update``."""
        box = QGroupBox("Ghi vào")
        row = QHBoxLayout(box)
        self.folder = QComboBox()
        self.folder.setEditable(True)
        self.folder.setMinimumWidth(360)
        self.folder.lineEdit().setPlaceholderText("Chọn ổ USB hoặc thư mục")
        browse = QPushButton("Chọn &thư mục…")
        browse.clicked.connect(self._browse)
        row.addWidget(self.folder, 1)
        row.addWidget(browse)
        self.folder.currentTextChanged.connect(lambda _t: self._update())
        self.window_.tasks.call(drives.removable_drives, self._show_drives, lambda _f: None)
        return box

    def _show_drives(self, found: list[drives.Drive]) -> None:
        if not isValid(self):  # closed before the worker finished
            return
        for d in found:
            self.folder.addItem(f"{d.path}", str(d.path))
        if found:
            self.status.setText(f"Tìm thấy {len(found)} ổ USB.")
        self._update()

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Chọn ổ USB hoặc thư mục")
        if folder:
            self.set_folder(folder)

    def set_folder(self, folder: str) -> None:
        self.folder.setEditText(folder)
        self._update()

    def _update(self) -> None:
        """Which buttons can be pressed now (each dialog its own)."""

    def _status_label(self) -> QLabel:
        label = QLabel("")
        label.setObjectName("sync_status")
        label.setWordWrap(True)
        return label

    def _close_buttons(self) -> QDialogButtonBox:
        buttons = QDialogButtonBox()
        buttons.addButton("Đóng", QDialogButtonBox.ButtonRole.RejectRole)
        buttons.rejected.connect(self.reject)
        return buttons

    def confirm(self, name: str, title: str, text: str, yes: str, on_yes: Any) -> None:
        """A warning asking before something that cannot be taken back; ``on_yes()`` if confirmed."""
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            title,
            text,
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            self,
        )
        box.setObjectName(name)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.button(QMessageBox.StandardButton.Yes).setText(yes)
        box.button(QMessageBox.StandardButton.No).setText("&Không")
        box.setDefaultButton(QMessageBox.StandardButton.No)  # a stray Enter takes nothing back
        box.finished.connect(lambda code: on_yes() if code == QMessageBox.StandardButton.Yes else None)
        box.open()

    def fail(self, failure: Any) -> None:
        self.busy = False
        self.status.setText(self.offer_remedy(failure, self.status))
        self.status.setStyleSheet("color: #a00000")


# --- export -------------------------------------------------------------------------------------------


class ExportDialog(_Dialog):
    """Xuất gói dữ liệu: what will be sent, to which office, onto which drive."""

    def __init__(self, window: MainWindow):
        super().__init__(window, "Xuất gói dữ liệu")
        self.resize(640, 360)
        intro = QLabel(
            "Gói dữ liệu được ký bằng khóa của máy này và mã hóa cho cơ quan nhận: người nhặt được USB "
            "không đọc được gì. Gói chứa mọi thay đổi mà cơ quan chưa xác nhận bằng biên nhận."
        )
        intro.setWordWrap(True)
        self.preview = QLabel("Đang xem những gì sẽ gửi…")
        self.preview.setObjectName("sync_preview")
        self.preview.setWordWrap(True)
        self.preview.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        box = self._folder_box()
        self.status = self._status_label()
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QDialogButtonBox()
        self.export_button = buttons.addButton("&Xuất gói", QDialogButtonBox.ButtonRole.AcceptRole)
        self.export_button.setEnabled(False)
        self.close_button = buttons.addButton("Đóng", QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.export)
        buttons.rejected.connect(self.reject)
        for w in (intro, self.preview, box, self.status):
            self.layout_.addWidget(w)
        self.layout_.addStretch(1)
        self.layout_.addWidget(buttons)
        self.previews: list[B.ExportPreview] = []
        window.tasks.read(lambda store: B.preview(store), self._show_preview, self._no_preview)

    def _show_preview(self, previews: list[B.ExportPreview]) -> None:
        self.previews = previews
        lines = []
        for p in previews:
            parts = ", ".join(
                f"{format_int(n)} {ENTITY_LABELS.get(e, e)}" for e, n in sorted(p.by_entity.items())
            )
            what = (
                f"{format_int(p.changes)} thay đổi ({parts})"
                if p.changes
                else "không có thay đổi mới của máy này"
            )
            relay = f", {format_int(p.envelopes)} gói chuyển tiếp từ cấp dưới" if p.envelopes else ""
            again = (
                (
                    f"<br><i>Trong đó {format_int(p.resent)} thay đổi đã gửi nhưng cơ quan chưa gửi biên nhận: "
                    "gửi lại cho chắc (cơ quan không nhập trùng).</i>"
                )
                if p.resent
                else ""
            )
            lines.append(
                f"<b>Gửi {escape(p.recipient.display)}</b> ({p.recipient.unit_label}): "
                f"gói số {p.next_seq}, {what}{relay}.{again}"
            )
        self.preview.setText("<br>".join(lines))
        self._update()

    def _no_preview(self, failure: Any) -> None:
        self.preview.setText(self.offer_remedy(failure, self.preview))
        self.preview.setStyleSheet("color: #a00000")

    def _update(self) -> None:
        self.export_button.setEnabled(
            bool(self.previews) and bool(self.folder.currentText().strip()) and not self.busy
        )

    def export(self) -> None:
        folder = Path(self.folder.currentText().strip())
        self.busy = True
        self._update()
        self.status.setStyleSheet("")
        self.status.setText("Đang xuất…")
        with_keys(
            self.window_,
            "Đang ký, mã hóa và ghi gói dữ liệu…",
            lambda store, ident, _ctx: B.export(store, ident, folder),
            self._done,
            self.fail,
            parent=self,
        )

    def _done(self, results: list[B.ExportResult]) -> None:
        self.busy = False
        self.results = results
        lines = [
            f"Đã xuất gói số {r.seq} cho {r.recipient.display}: "
            f"{format_int(r.changes)} thay đổi, {format_int(r.envelopes)} gói chuyển tiếp → {r.path}"
            for r in results
        ]
        self.status.setText("\n".join(lines) + "\nHãy rút USB an toàn rồi mang đến cơ quan nhận.")
        self.activateWindow()
        self.close_button.setFocus()  # the export button the keyboard was on is off while it ran
        self.window_.show_status(lines[0] if lines else "")
        self.window_.tasks.read(lambda store: B.preview(store), self._show_preview, self._no_preview)


# --- import -------------------------------------------------------------------------------------------


class ImportDialog(_Dialog):
    """Nhập gói dữ liệu (of the machines below) and receipts (from the office above), files or folders."""

    def __init__(self, window: MainWindow):
        super().__init__(window, "Nhập gói dữ liệu, biên nhận")
        self.resize(900, 520)
        intro = QLabel(
            "Chọn các gói dữ liệu (.khaosat) hoặc biên nhận (.khaosat-receipt), hoặc cả thư mục trên USB. "
            "Mỗi gói được kiểm tra chữ ký, người gửi và tính toàn vẹn trước khi nhập; gói có vấn đề bị từ "
            "chối mà dữ liệu không thay đổi."
        )
        intro.setWordWrap(True)
        row = QHBoxLayout()
        add_files = QPushButton("Thêm &tệp…")
        add_files.clicked.connect(self._browse_files)
        add_folder = QPushButton("Thêm thư &mục…")
        add_folder.clicked.connect(self._browse_folder)
        row.addWidget(add_files)
        row.addWidget(add_folder)
        row.addStretch(1)
        self.paths = QListWidget()
        self.paths.setMaximumHeight(90)
        self.report = _table(["Tệp", "Kết quả", "Chi tiết"])
        self.report.setObjectName("sync_report")
        self.status = self._status_label()
        # The import runs in the background: the main window stays usable meanwhile (a province office
        # importing all its wards' bundles keeps working in the list); progress and Dừng are here.
        self.progress = QProgressBar()
        self.progress.setObjectName("sync_progress")
        self.progress.hide()
        buttons = QDialogButtonBox()
        self.import_button = buttons.addButton("&Nhập", QDialogButtonBox.ButtonRole.AcceptRole)
        self.import_button.setEnabled(False)
        self.stop_button = buttons.addButton("&Dừng sau gói này", QDialogButtonBox.ButtonRole.ActionRole)
        self.stop_button.hide()
        self.stop_button.clicked.connect(self.stop)
        self.close_button = buttons.addButton("Đóng", QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.run_import)
        buttons.rejected.connect(self.reject)
        self.layout_.addWidget(intro)
        self.layout_.addLayout(row)
        self.layout_.addWidget(self.paths)
        self.layout_.addWidget(self.report, 1)
        self.layout_.addWidget(self.progress)
        self.layout_.addWidget(self.status)
        self.layout_.addWidget(buttons)
        self.results: list[B.ImportResult] = []
        self.task: Any = None

    def _browse_files(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(
            self,
            "Chọn gói dữ liệu hoặc biên nhận",
            "",
            "Gói KhaoSat (*.khaosat *.khaosat-receipt);;Mọi tệp (*)",
        )
        self.add_paths(files)

    def _browse_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Chọn thư mục có gói dữ liệu")
        if folder:
            self.add_paths([folder])

    def add_paths(self, paths: list[str]) -> None:
        for p in paths:
            self.paths.addItem(str(p))
        self.import_button.setEnabled(self.paths.count() > 0 and not self.busy)

    def run_import(self) -> None:
        paths = [Path(self.paths.item(i).text()) for i in range(self.paths.count())]
        self._working(True)
        self.status.setStyleSheet("")
        self.status.setText("Đang kiểm tra và nhập gói dữ liệu… Trong lúc chờ, cửa sổ chính vẫn dùng được.")

        def work(store: Any, ident: Any, ctx: Any) -> list[B.ImportResult]:
            def each(done: int, total: int) -> None:
                ctx.progress(done, total, f"Tệp {done}/{total}")
                if done < total:
                    ctx.check()  # stopped: between two files (each one is merged whole or not at all)

            return B.import_paths(store, ident, paths, progress=each)

        with_keys(
            self.window_,
            "Đang kiểm tra và nhập gói dữ liệu…",
            work,
            self._done,
            self._failed,
            progress=self._progress,
            started=lambda handle: setattr(self, "task", handle),
        )

    def _working(self, on: bool) -> None:
        self.busy = on
        self.import_button.setEnabled(not on and self.paths.count() > 0)
        self.stop_button.setVisible(on)
        self.stop_button.setEnabled(on)
        self.close_button.setEnabled(not on)
        self.progress.setVisible(on)
        if on:
            self.progress.setRange(0, 0)  # busy until the first file is done
            self.stop_button.setFocus()  # the import button the keyboard was on is off while it runs

    def _progress(self, done: int, total: int, text: str) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(min(done, max(total, 1)))
        self.progress.setFormat(text or "%v/%m")

    def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            self.stop_button.setEnabled(False)
            self.status.setText("Đang dừng: gói đang nhập sẽ được nhập xong rồi dừng…")

    def reject(self) -> None:
        if self.busy:  # closing would lose the report of an import still running: stop it first
            self.status.setText("Đang nhập: hãy chờ nhập xong hoặc bấm «Dừng sau gói này» trước khi đóng.")
            return
        super().reject()

    def _failed(self, failure: Any) -> None:
        self._working(False)
        self.task = None
        if isinstance(failure.exception, Cancelled):
            self.status.setStyleSheet("")
            self.status.setText(
                "Đã dừng. Các gói đã nhập xong được giữ (mỗi gói nhập trọn vẹn); các gói còn lại chưa nhập: "
                "bấm Nhập để nhập tiếp (gói đã nhập sẽ được nhận ra và bỏ qua)."
            )
            self.activateWindow()
            self.import_button.setFocus()  # the stop button the keyboard was on is hidden again
            return  # (the window refreshed from what the imported files committed)
        self.fail(failure)

    def _done(self, results: list[B.ImportResult]) -> None:
        self._working(False)
        self.task = None
        self.results = results
        rows = []
        for r in results:
            rows.append([r.path.name, OUTCOMES.get(r.outcome, r.outcome), r.summary().split(": ", 1)[-1]])
        _fill(self.report, rows)
        for i, r in enumerate(results):
            if r.outcome in ("refused", "quarantined"):
                self.report.item(i, 1).setForeground(Qt.GlobalColor.darkRed)
        tot = {
            k: sum(getattr(r.report, k) for r in results)
            for k in ("new", "updated", "unchanged", "conflicts", "to_check")
        }
        refused = sum(r.outcome == "refused" for r in results)
        held = sum(r.outcome == "quarantined" for r in results)
        self.status.setText(
            f"Bản ghi mới: {format_int(tot['new'])}; cập nhật: {format_int(tot['updated'])}; thay đổi đã có: "
            f"{format_int(tot['unchanged'])}; xung đột: {format_int(tot['conflicts'])}; tệp bị từ chối: {refused}"
            + (
                f"; cần kiểm tra: {format_int(tot['to_check'])} (Đồng bộ ▸ Dữ liệu cần kiểm tra)"
                if tot["to_check"]
                else ""
            )
            + (f"; gói bị cách ly: {held} (xem Đồng bộ ▸ Gói bị cách ly)." if held else ".")
            + (
                " Biên nhận đã được ghi cạnh mỗi gói: hãy mang USB về cho máy gửi nhập."
                if any(r.receipt for r in results)
                else ""
            )
        )
        self.paths.clear()
        self.activateWindow()
        self.report.setFocus()  # read with the arrow keys; the import button the keyboard was on is off
        if tot["conflicts"]:
            self.window_.sync.conflicts.reload()


# --- keys and registered machines -----------------------------------------------------------------------


def _load_machines(store: Any) -> dict[str, Any]:
    key = R.own_key(store)
    own = {"keyid": key.keyid, "fingerprint": key.fingerprint} if key else None
    return {
        "profile": store.profile(),
        "own": own,
        "peers": R.peers(store),
        "replaced": R.key_events(store, replaced_only=True),
    }


def _read_key_file(store: Any, path: str) -> tuple[K.PublicKeyDoc, R.Standing]:
    doc = K.read_pubkey_file(C.read_capped(Path(path)))
    return doc, R.standing(store, doc)


class MachinesDialog(_Dialog):
    """Khóa và máy đã đăng ký: this machine's fingerprint, registering machines, revoking them."""

    SCREEN = "sync.machines"

    def __init__(self, window: MainWindow):
        super().__init__(window, "Khóa và máy đã đăng ký")
        self.resize(960, 560)
        self.own = QLabel("…")
        self.own.setObjectName("sync_own")
        self.own.setWordWrap(True)
        self.own.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        row = QHBoxLayout()
        self.make_keys = QPushButton("&Tạo khóa cho máy này")
        self.make_keys.clicked.connect(self.create_keys)
        self.write_key = QPushButton("&Ghi tệp khóa công khai ra USB…")
        self.write_key.clicked.connect(self._browse_key_folder)
        self.rekey_button = QPushButton("Tạo khóa mới thay khóa &cũ…")
        self.rekey_button.setToolTip(
            "Khi khóa có thể đã lộ (máy bị mượn, tệp khóa bị chép): khóa cũ xác nhận khóa "
            "mới, lịch sử giữ nguyên; ghi tệp khóa công khai mới cho cơ quan đăng ký lại."
        )
        self.rekey_button.clicked.connect(self.rekey)
        row.addWidget(self.make_keys)
        row.addWidget(self.write_key)
        row.addWidget(self.rekey_button)
        row.addStretch(1)
        self.replaced = QLabel("")
        self.replaced.setObjectName("sync_replaced")
        self.replaced.setWordWrap(True)
        self.replaced.setStyleSheet("color: #a00000; border: 1px solid #a00000; padding: 4px")
        self.replaced.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.replaced.setVisible(False)
        self.table = _table(["Tên", "Đơn vị", "Vai trò", "Mã máy", "Dấu vân tay", "Trạng thái"])
        self.table.setObjectName("sync_peers")
        self.table.itemSelectionChanged.connect(self._update)
        row2 = QHBoxLayout()
        register = QPushButton("Đăng &ký máy từ tệp khóa…")
        register.clicked.connect(self._browse_key_file)
        self.revoke_button = QPushButton("Th&u hồi máy đã chọn…")
        self.revoke_button.clicked.connect(self.ask_revoke)
        row2.addWidget(register)
        row2.addWidget(self.revoke_button)
        row2.addStretch(1)
        # registering: the file's fingerprint is compared with the paper form before anything is saved
        self.pending_box = QGroupBox("Đối chiếu dấu vân tay trước khi đăng ký")
        pending = QVBoxLayout(self.pending_box)
        self.pending_text = QLabel("")
        self.pending_text.setWordWrap(True)
        self.pending_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.is_office = QCheckBox("Đây là cơ quan cấp trê&n (nơi máy này gửi gói dữ liệu đến)")
        prow = QHBoxLayout()
        self.confirm_button = QPushButton("&Dấu vân tay khớp với giấy: đăng ký")
        self.confirm_button.clicked.connect(self.confirm_registration)
        self.replace_button = QPushButton("Thay khóa bị &mất…")
        self.replace_button.setToolTip(
            "Chỉ dùng khi máy đã đăng ký thật sự mất khóa (cài lại máy, hỏng ổ đĩa) và đã đối chiếu dấu vân tay "
            "mới với người dùng máy: khóa cũ bị thu hồi, việc thay khóa được ghi lại và báo lên cấp trên."
        )
        self.replace_button.clicked.connect(self.ask_replace)
        cancel = QPushButton("Không khớp: &bỏ qua")
        cancel.clicked.connect(self._cancel_pending)
        prow.addWidget(self.confirm_button)
        prow.addWidget(self.replace_button)
        prow.addWidget(cancel)
        prow.addStretch(1)
        pending.addWidget(self.pending_text)
        pending.addWidget(self.is_office)
        pending.addLayout(prow)
        self.pending_box.setVisible(False)
        self.status = self._status_label()
        buttons = self._close_buttons()
        self.layout_.addWidget(self.own)
        self.layout_.addLayout(row)
        self.layout_.addWidget(self.replaced)
        self.layout_.addWidget(self.table, 1)
        self.layout_.addLayout(row2)
        self.layout_.addWidget(self.pending_box)
        self.layout_.addWidget(self.status)
        self.layout_.addWidget(buttons)
        self.peers: list[R.Peer] = []
        self.pending_doc: K.PublicKeyDoc | None = None
        self.pending_standing: R.Standing | None = None
        self.has_keys = False
        self.reload()

    def reload(self) -> None:
        self.window_.tasks.read(_load_machines, self._show, self.fail)

    def _show(self, data: dict[str, Any]) -> None:
        prof, own = data["profile"], data["own"]
        self.has_keys = own is not None
        from app.domain import units

        unit = units.unit_name(prof.unit_code) or prof.unit_code or "?"
        who = f"{prof.collaborator or '?'}, {unit}, mã máy {prof.laptop_id}"
        if own:
            self.own.setText(
                f"<b>Máy này</b>: {who}<br>Dấu vân tay: <b style='font-size:14pt'>{own['fingerprint']}"
                "</b><br>Đọc dãy số này cho cơ quan nhận để đối chiếu khi đăng ký."
            )
        else:
            self.own.setText(
                f"<b>Máy này</b>: {who}<br>Chưa có khóa: hãy tạo khóa trước khi xuất hay nhập gói."
            )
        self.peers = data["peers"]
        replaced = data["replaced"]
        self.replaced.setVisible(bool(replaced))
        self.replaced.setText(
            "<b>Cảnh báo: khóa được thay không qua xác nhận của khóa cũ</b><br>"
            + "<br>".join("<br>".join(escape(line) for line in ev.lines()) for ev in replaced)
        )
        replaced_keys = {ev.new_fingerprint for ev in replaced}
        rows = []
        for p in self.peers:
            status = STATUS.get(p.status, p.status)
            if p.status == "revoked":
                status += f" (giữ đến gói {p.revoked_after_seq})"
            if p.fingerprint in replaced_keys:
                status += ", THAY KHÓA BỊ MẤT (không có xác nhận của khóa cũ)"
            if p.registered_via:
                status += ", do cơ quan cấp dưới giới thiệu"
            rows.append(
                [
                    p.display,
                    p.unit_label,
                    "Cơ quan nhận" if p.is_destination else p.role_label,
                    p.laptop_id,
                    p.fingerprint,
                    status,
                ]
            )
        _fill(self.table, rows)
        self._update()

    def _update(self) -> None:
        self.make_keys.setVisible(not self.has_keys)
        self.write_key.setEnabled(self.has_keys)
        self.rekey_button.setEnabled(self.has_keys)
        sel = self.selected()
        self.revoke_button.setEnabled(sel is not None and sel.status != "revoked")

    def selected(self) -> R.Peer | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        return self.peers[rows[0].row()] if rows and rows[0].row() < len(self.peers) else None

    def create_keys(self) -> None:
        from PySide6.QtWidgets import QInputDialog, QLineEdit

        text, ok = QInputDialog.getText(
            self,
            "Mật khẩu bảo vệ khóa",
            "Đặt mật khẩu bảo vệ khóa (khuyến nghị; để trống nếu không đặt):",
            QLineEdit.EchoMode.Password,
        )
        if not ok:
            return
        self.create_keys_with(text or None)

    def create_keys_with(self, passphrase: str | None) -> None:
        folder = self.window_.data_dir
        self.window_.sync.passphrase = passphrase
        self.window_.tasks.write(
            lambda store: R.ensure_keys(store, passphrase, folder), self._keys_changed, self.fail
        )

    def _keys_changed(self, _result: Any = None) -> None:
        self.window_.refresh_fingerprint()  # the status bar shows the new fingerprint
        self.reload()

    def rekey(self) -> None:
        folder = self.window_.data_dir

        def work(store: Any, ident: Any, _ctx: Any) -> Any:
            return R.rekey(store, ident, self.window_.sync.passphrase, folder)

        def done(new: Any) -> None:
            self.status.setStyleSheet("")
            self.status.setText(
                f"Đã tạo khóa mới. Dấu vân tay mới: {new.current.fingerprint}. Hãy ghi tệp khóa công "
                "khai mới ra USB và đưa cho cơ quan cấp trên đăng ký."
            )
            self._keys_changed()

        with_keys(self.window_, "Đang tạo khóa mới…", work, done, self.fail, parent=self)

    def _browse_key_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Ghi tệp khóa công khai vào")
        if folder:
            self.write_public_key(folder)

    def write_public_key(self, folder: str) -> None:
        with_keys(
            self.window_,
            "Đang ghi tệp khóa công khai…",
            lambda store, ident, _ctx: R.export_pubkey(store, ident, Path(folder)),
            lambda path: self.status.setText(f"Đã ghi tệp khóa công khai: {path}"),
            self.fail,
            write=False,
            parent=self,
        )

    def _browse_key_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Chọn tệp khóa công khai", "", "Khóa công khai KhaoSat (*.khaosat-key);;Mọi tệp (*)"
        )
        if path:
            self.read_key_file(path)

    def read_key_file(self, path: str) -> None:
        self.window_.tasks.read(lambda store: _read_key_file(store, path), self._show_pending, self.fail)

    def _show_pending(self, data: tuple[K.PublicKeyDoc, R.Standing]) -> None:
        from app.domain import units
        from app.domain.vocab import Role

        doc, where = data
        self.pending_doc, self.pending_standing = doc, where
        try:
            role = Role(doc.role).label
        except ValueError:
            role = doc.role
        self.pending_text.setText(
            f"{escape(shown(doc.name or '?'))}, {escape(units.unit_name(doc.unit_code) or shown(doc.unit_code))}, "
            f"{escape(shown(role))}, mã máy {escape(shown(doc.laptop_id))}"
            f"<br>Dấu vân tay trong tệp: <b style='font-size:14pt'>{doc.fingerprint}</b><br>So từng nhóm số với "
            "giấy đăng ký do người dùng máy đó ký (hoặc đọc qua điện thoại). Chỉ đăng ký khi khớp hoàn toàn."
        )
        unendorsed = where.kind == "unendorsed"
        if where.kind == "endorsed" and where.current is not None:
            self.pending_text.setText(
                self.pending_text.text()
                + f"<br>Đây là khóa mới của máy đã đăng ký, được khóa cũ ({where.current.fingerprint}) xác nhận."
            )
        if unendorsed:
            old = where.current.fingerprint if where.current else "?"
            self.pending_text.setText(
                self.pending_text.text()
                + "<br><b style='color:#a00000'>CẢNH BÁO: máy này đã được đăng ký với một khóa khác (dấu vân tay "
                f"{old}). Khóa trong tệp KHÔNG được khóa đã đăng ký xác nhận: có thể ai đó đang giả làm máy "
                "này. Không đăng ký như một máy thường. Chỉ khi máy thật sự mất khóa (cài lại máy, hỏng ổ đĩa) "
                "và đã hỏi trực tiếp người dùng máy, mới dùng «Thay khóa bị mất».</b>"
            )
        self.confirm_button.setVisible(not unendorsed)
        self.replace_button.setVisible(unendorsed)
        self.is_office.setChecked(
            doc.role != "collaborator" and doc.role != self.window_.profile.role.value
            if self.window_.profile.role
            else False
        )
        self.pending_box.setVisible(True)

    def _cancel_pending(self) -> None:
        self.pending_doc = None
        self.pending_standing = None
        self.pending_box.setVisible(False)

    def ask_replace(self) -> None:
        """«Thay khóa bị mất»: the new fingerprint typed as read from the machine's user, a reason, a name."""
        doc = self.pending_doc
        if doc is None:
            return
        dialog = ReplaceLostKeyDialog(
            self, doc, self.pending_standing, self.window_.profile.collaborator or ""
        )
        self.replace_dialog = dialog
        dialog.accepted.connect(lambda: self._confirm_replace(doc, dialog.values()))
        dialog.open()

    def _confirm_replace(self, doc: K.PublicKeyDoc, values: tuple[str, str, str]) -> None:
        fingerprint, reason, by = values
        self.confirm(
            "replace_box",
            "Thay khóa bị mất",
            f"Thay khóa của máy {shown(doc.name or doc.laptop_id)} mà không có xác nhận của khóa cũ?\n\n"
            "Khóa cũ sẽ bị thu hồi (những gì máy đã gửi trước đó được giữ). Từ nay máy chỉ được nhận với khóa "
            "mới. Việc thay khóa, người quyết định và lý do được ghi lại và báo lên cơ quan cấp trên. Chỉ làm "
            "khi đã hỏi trực tiếp người dùng máy.",
            "&Thay khóa",
            lambda: self.replace_lost(doc, fingerprint, reason, by),
        )

    def replace_lost(self, doc: K.PublicKeyDoc, fingerprint: str, reason: str, by: str) -> None:
        def done(result: tuple[R.Peer, R.Peer | None]) -> None:
            peer, old = result
            self.status.setStyleSheet("color: #a00000")
            self.status.setText(
                f"Đã thay khóa bị mất của {peer.display} ({peer.unit_label}): khóa cũ "
                f"{old.fingerprint if old else '?'} đã bị thu hồi, khóa mới {peer.fingerprint}. Việc này sẽ được báo "
                "lên cơ quan cấp trên cùng gói dữ liệu sau."
            )
            self._cancel_pending()
            self.reload()

        self.window_.tasks.write(
            lambda store: R.replace_lost_key(store, doc, fingerprint=fingerprint, reason=reason, by=by),
            done,
            self.fail,
        )

    def confirm_registration(self) -> None:
        doc, office = self.pending_doc, self.is_office.isChecked()
        if doc is None:
            return

        def done(result: tuple[R.Peer, str]) -> None:
            peer, outcome = result
            text = {
                "new": "Đã đăng ký",
                "rekey": "Đã đăng ký khóa mới cho",
                "known": "Đã đăng ký từ trước:",
                "destination": "Đã đặt làm cơ quan nhận:",
            }[outcome]
            self.status.setStyleSheet("")
            self.status.setText(f"{text} {peer.display} ({peer.unit_label}).")
            self._cancel_pending()
            self.reload()

        self.window_.tasks.write(lambda store: R.register(store, doc, destination=office), done, self.fail)

    def ask_revoke(self) -> None:
        peer = self.selected()
        if peer is None:
            return
        self.confirm(
            "revoke_box",
            "Thu hồi máy",
            f"Thu hồi máy {peer.display} ({peer.unit_label})?\nNhững gì máy này đã gửi "
            "trước đây được giữ nguyên; các gói mới của nó sẽ bị từ chối. Dùng khi máy bị mất, bị "
            "lấy cắp hoặc thôi sử dụng.",
            "&Thu hồi",
            lambda: self.revoke(peer.laptop_id),
        )

    def revoke(self, laptop_id: str) -> None:
        def done(result: tuple[int, int]) -> None:
            self.status.setText(f"Đã thu hồi máy {laptop_id}: giữ các gói đến số {result[1]}.")
            self.reload()

        self.window_.tasks.write(lambda store: R.revoke(store, laptop_id), done, self.fail)


class ReplaceLostKeyDialog(QDialog):
    """Thay khóa bị mất: asks for the fingerprint read from the machine's user, the reason, who decides."""

    def __init__(self, parent: QWidget, doc: K.PublicKeyDoc, where: R.Standing | None, by: str):
        super().__init__(parent)
        self.setWindowTitle("Thay khóa bị mất")
        self.setObjectName("replace_dialog")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.doc = doc
        layout = QVBoxLayout(self)
        old = where.current.fingerprint if where is not None and where.current is not None else "?"
        warning = QLabel(
            f"<b style='color:#a00000'>Máy {escape(shown(doc.name or doc.laptop_id))} (mã máy "
            f"{escape(shown(doc.laptop_id))}) đã đăng ký với khóa {old}.</b><br>Tệp này mang khóa mới mà khóa cũ "
            "không xác nhận. Chỉ thay khi máy thật sự mất khóa, sau khi hỏi trực tiếp người dùng máy (gặp mặt "
            "hoặc gọi điện tới số đã biết), và người đó đọc cho anh/chị dấu vân tay mới của máy."
        )
        warning.setWordWrap(True)
        form = QFormLayout()
        self.fingerprint = QLineEdit()
        self.fingerprint.setObjectName("replace_fingerprint")
        self.fingerprint.setPlaceholderText("30 chữ số, đọc từ người dùng máy")
        self.reason = QPlainTextEdit()
        self.reason.setObjectName("replace_reason")
        self.reason.setPlaceholderText("Máy bị làm sao (cài lại, hỏng ổ...), ai báo, đã kiểm tra thế nào")
        self.reason.setMaximumHeight(90)
        self.reason.setTabChangesFocus(True)  # Tab goes on to who decides, as in every other field
        self.by = QLineEdit(by)
        self.by.setObjectName("replace_by")
        form.addRow("Dấu vân tay &mới (đọc từ người dùng máy):", self.fingerprint)
        form.addRow("&Lý do thay khóa:", self.reason)
        form.addRow("&Người quyết định:", self.by)
        self.problem = QLabel("")
        self.problem.setStyleSheet("color: #a00000")
        self.problem.setWordWrap(True)
        buttons = QDialogButtonBox()
        self.ok = buttons.addButton("&Tiếp tục…", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton("Hủy", QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self._check)
        buttons.rejected.connect(self.reject)
        layout.addWidget(warning)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(buttons)
        self.resize(640, 440)

    def values(self) -> tuple[str, str, str]:
        return self.fingerprint.text(), self.reason.toPlainText(), self.by.text()

    def _check(self) -> None:
        fingerprint, reason, by = self.values()
        if K.normalise_fingerprint(fingerprint) != self.doc.fingerprint:
            self.problem.setText(
                "Dấu vân tay vừa nhập không khớp với tệp khóa: KHÔNG thay khóa. Tệp có thể không phải của máy đó."
            )
        elif len(" ".join(reason.split())) < 10:
            self.problem.setText("Hãy ghi rõ lý do thay khóa (ít nhất 10 ký tự).")
        elif not by.strip():
            self.problem.setText("Hãy ghi họ tên người quyết định.")
        else:
            self.accept()


# --- provenance -------------------------------------------------------------------------------------------


OPS = {"create": "Tạo", "update": "Sửa", "delete": "Xóa", "restore": "Khôi phục"}


def _local_time(iso: str) -> str:
    from datetime import datetime

    try:
        return datetime.fromisoformat(iso).astimezone().strftime("%d/%m/%Y %H:%M")
    except ValueError:
        return iso


def _load_provenance(store: Any, enterprise_id: str) -> tuple[str, list[list[str]]]:
    row = store.row("enterprises", enterprise_id)
    name = row["name"] if row else enterprise_id
    out = []
    records = [("enterprises", enterprise_id)]
    for table, ids in store.child_ids(enterprise_id).items():
        records += [(table, rid) for rid in ids]
    items = []
    for entity, rid in records:
        for c in B.provenance(store, entity, rid):
            items.append((c["hlc"], entity, c))
    items.sort(key=lambda x: x[0])
    for _hlc, entity, c in items:
        cls = RECORD_TYPES[entity]
        if c["op"] == "create":
            fields = f"{len(c['fields'])} trường"
        else:
            fields = ", ".join(
                cls.label(f) if f != "deleted" else "xóa/khôi phục" for f in sorted(c["fields"])
            )
            if c.get("newer"):
                value = next(iter(c["fields"].values()))[1]
                fields += f" = {shown(value, 60)} (từ phiên bản KhaoSat mới hơn, chưa hiện trên bản ghi)"
        out.append(
            [
                _local_time(c["wall_time"]),
                f"{OPS.get(c['op'], c['op'])} {ENTITY_LABELS[entity]}",
                c["author"],
                c["captured_by"],
                " → ".join(c["relayed_by"]) or "(nhập trực tiếp)",
                fields,
            ]
        )
    return name, out


class ProvenanceDialog(_Dialog):
    """Nguồn gốc dữ liệu: each change of an enterprise and its children, who captured it, who relayed it."""

    def __init__(self, window: MainWindow, enterprise_id: str):
        super().__init__(window, "Nguồn gốc dữ liệu")
        self.resize(1000, 480)
        self.title = QLabel("…")
        self.title.setWordWrap(True)
        self.table = _table(
            ["Thời điểm", "Thao tác", "Người nhập", "Nhập trên máy", "Chuyển tiếp qua", "Trường"]
        )
        self.table.setObjectName("sync_provenance")
        self.status = self._status_label()
        buttons = self._close_buttons()
        self.layout_.addWidget(self.title)
        self.layout_.addWidget(self.table, 1)
        self.layout_.addWidget(self.status)
        self.layout_.addWidget(buttons)
        self.rows: list[list[str]] = []
        window.tasks.read(lambda store: _load_provenance(store, enterprise_id), self._show, self.fail)

    def _show(self, data: tuple[str, list[list[str]]]) -> None:
        name, self.rows = data
        self.title.setText(
            f"<b>{name}</b>: {len(self.rows)} thay đổi (doanh nghiệp, lượt khảo sát, tổ chức, kết nạp). "
            "Chữ ký của máy nhập đã được kiểm tra khi nhận."
        )
        if self.rows:
            _fill(self.table, self.rows)
