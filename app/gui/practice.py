"""Practice mode in the window: entering it, the band that marks it on every screen, leaving it.

The practice data lives in a database of its own (``app.demo.practice``); the window in practice
mode is a main window opened on that database. Entering and leaving replace the main window by one on
the other database (open forms are asked about first); ``MainWindow.sig_replaced`` tells the launcher.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QInputDialog, QLabel, QPushButton, QWidget

from app.demo import practice as svc
from app.paths import DB_FILE
from app.storage.store import Profile

if TYPE_CHECKING:
    from app.gui.main_window import MainWindow

BAND_STYLE = (
    "#practice_band { background: #ffb000; border-bottom: 2px solid #b36b00; }"
    " #practice_band QLabel { color: #1f1300; }"
)
TITLE_MARK = "TẬP DƯỢT"
# the status line of the practice window the setup wizard opens (short enough for a 1024-pixel screen)
AFTER_SETUP = "Đã thiết lập máy. Đây là dữ liệu mẫu để làm quen; làm việc thật: «Thoát chế độ tập dượt»."


def band(window: MainWindow) -> QWidget:
    """The band across the top of a window in practice mode, with the one action that leaves it."""
    frame = QFrame(window)
    frame.setObjectName("practice_band")
    frame.setStyleSheet(BAND_STYLE)
    row = QHBoxLayout(frame)
    row.setContentsMargins(10, 4, 10, 4)
    text = QLabel(
        f"<b>CHẾ ĐỘ {TITLE_MARK}</b> — dữ liệu mẫu, tên và số liệu giả để làm quen. "
        "Không gửi lên cơ quan được, không lẫn với dữ liệu thật.",
        frame,
    )
    text.setObjectName("practice_text")
    text.setWordWrap(True)
    leave_button = QPushButton("&Thoát chế độ tập dượt", frame)
    leave_button.setObjectName("practice_leave")
    leave_button.setToolTip("Trở về dữ liệu thật của máy này (dữ liệu tập dượt được giữ cho lần sau)")
    leave_button.clicked.connect(lambda: leave(window))
    row.addWidget(text, 1)
    row.addWidget(leave_button)
    return frame


def _ask_count(window: MainWindow, title: str, text: str, value: int, then: Any) -> QInputDialog:
    """How many demo enterprises (a dialog that does not block: tests and screenshots answer it)."""
    dialog = QInputDialog(window)
    dialog.setObjectName("practice_count_dialog")
    dialog.setWindowTitle(title)
    dialog.setLabelText(text)
    dialog.setInputMode(QInputDialog.InputMode.IntInput)
    dialog.setIntRange(1, 100_000)
    dialog.setIntValue(value)
    dialog.setOkButtonText("&Tạo")
    dialog.setCancelButtonText("Đó&ng")
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.intValueSelected.connect(then)
    dialog.setObjectName("practice_count")  # Qt keeps it (a child of the window) until it closes
    dialog.open()
    return dialog


def enter(window: MainWindow) -> None:
    """Công cụ ▸ Chế độ tập dượt: open the practice database (made with demo data the first time)."""
    if window.profile.practice:
        return
    if svc.exists(window.data_dir):
        _open(window, 0)
        return
    if svc.demo_ward(window.profile.unit_code) is None:
        from app.gui.remedies import SETUP

        window.show_error(
            "Chế độ tập dượt",
            "Dữ liệu mẫu được tạo cho một phường, xã: máy này chưa chọn đơn vị.",
            remedy=SETUP,
        )
        return
    _ask_count(
        window,
        "Chế độ tập dượt",
        "Chế độ tập dượt dùng một bộ dữ liệu mẫu riêng (tên và số liệu giả), không bao giờ lẫn với dữ liệu "
        "thật và không gửi lên cơ quan được.\n\nSố doanh nghiệp mẫu:",
        svc.DEFAULT_ENTERPRISES,
        lambda n: _open(window, n),
    )


def _open(window: MainWindow, n: int) -> None:
    if not window.forms.confirm_close_all():
        return
    data_dir, profile, key = window.data_dir, window.profile, window.key
    today = window.forms.today

    def work(_store: Any, ctx: Any) -> svc.Prepared:
        def progress(done: int, total: int) -> None:
            ctx.check()
            ctx.progress(done, total, f"Đang tạo dữ liệu mẫu: {done}/{total} doanh nghiệp")

        return svc.prepare(data_dir, profile, n, key=key, progress=progress, today=today)

    window.tasks.run_with_progress(
        window,
        "Đang mở chế độ tập dượt…",
        work,
        lambda prepared: switch(window, prepared.data_dir, prepared.profile),
        write=False,
    )


def leave(window: MainWindow) -> None:
    """The one action that leaves practice mode: back to this machine's real data."""
    if not window.profile.practice or not window.forms.confirm_close_all():
        return
    real = svc.real_folder_of(window.data_dir)
    key = window.key

    def read_profile(_store: Any) -> Any:
        from app.storage.store import Store

        with Store(real / DB_FILE, key) as store:
            return store.profile()

    window.tasks.read(read_profile, lambda profile: switch(window, real, profile))


def switch(window: MainWindow, data_dir: Path, profile: Profile) -> MainWindow:
    """Replace ``window`` by a main window on the database of ``data_dir``; returns the new window."""
    from app.gui.main_window import MainWindow

    new = MainWindow(data_dir, data_dir / DB_FILE, profile, window.key)
    new.forms.today = window.forms.today
    if window.isMaximized():
        new.setWindowState(Qt.WindowState.WindowMaximized)
    else:
        new.setGeometry(window.geometry())
    new.show()
    new.activateWindow()
    window.sig_replaced.emit(new)
    window.close()
    new.show_status(
        "Đang ở chế độ tập dượt: dữ liệu mẫu, không gửi đi được."
        if profile.practice
        else "Đã thoát chế độ tập dượt: đây là dữ liệu thật của máy."
    )
    new.forms.offer_drafts()  # each database keeps its own drafts
    return new


def add_more_demo(window: MainWindow) -> None:
    """Công cụ ▸ Thêm dữ liệu mẫu (only in practice mode): more demo enterprises in the practice data."""
    ward = svc.demo_ward(window.profile.unit_code)
    if ward is None:
        return
    _ask_count(
        window, "Thêm dữ liệu mẫu", "Số doanh nghiệp mẫu thêm vào:", 100, lambda n: _add(window, ward, n)
    )


def _add(window: MainWindow, ward: str, n: int) -> None:
    from app.demo.generator import DemoOptions, DemoResult, generate, next_seed

    today = window.forms.today

    def work(store: Any, ctx: Any) -> DemoResult:
        if not store.is_practice:  # never into real data, whatever called this
            raise ValueError("Chỉ thêm dữ liệu mẫu trong chế độ tập dượt.")

        def progress(done: int, total: int) -> None:
            ctx.check()
            ctx.progress(done, total, f"Đang tạo dữ liệu mẫu: {done}/{total} doanh nghiệp")

        seed = next_seed(store)
        options = DemoOptions(ward, enterprises=n, seed=seed, **({"today": today} if today else {}))
        return generate(store, options, progress)  # it says what it wrote: the window refreshes from it

    window.tasks.run_with_progress(
        window,
        "Đang tạo dữ liệu mẫu…",
        work,
        lambda made: window.show_status(f"Đã thêm {made.enterprises} doanh nghiệp mẫu vào dữ liệu tập dượt."),
    )
