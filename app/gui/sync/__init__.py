"""Đồng bộ: export bundles to a USB stick, import bundles and receipts, registered machines, conflicts.

The dialogs only pick paths and show results; the work runs in ``window.tasks`` workers through
``app.sync`` (which never imports Qt).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QWidget

from app.gui.actions import ActionSpec

if TYPE_CHECKING:
    from app.gui.main_window import MainWindow
    from app.gui.sync.conflicts import ConflictsPage


class SyncFeature:
    """The Đồng bộ menu's state on the main window (``window.sync``)."""

    def __init__(self, window: MainWindow):
        from app.gui.sync.conflicts import ConflictsPage

        self.passphrase: str | None = None  # the key's passphrase once typed, for this session
        self.dialog: QWidget | None = None  # the open dialog, kept alive while open; tests reach it here
        add_actions(window)
        self.conflicts: ConflictsPage = ConflictsPage(window)
        window.add_page("conflicts", "&3 Xung đột dữ liệu", self.conflicts)


def open_export(window: MainWindow):
    from app.gui.sync.dialogs import ExportDialog

    dialog = ExportDialog(window)
    window.sync.dialog = dialog
    dialog.show()
    return dialog


def open_import(window: MainWindow, paths: list[str] | None = None):
    from app.gui.sync.dialogs import ImportDialog

    dialog = ImportDialog(window)
    window.sync.dialog = dialog
    dialog.show()
    if paths:
        dialog.add_paths(paths)
    return dialog


def open_down(window: MainWindow):
    from app.gui.sync.down_dialog import DownDialog

    dialog = DownDialog(window)
    window.sync.dialog = dialog
    dialog.show()
    return dialog


def open_machines(window: MainWindow):
    from app.gui.sync.dialogs import MachinesDialog

    dialog = MachinesDialog(window)
    window.sync.dialog = dialog
    dialog.show()
    return dialog


def open_provenance(window: MainWindow):
    from app.gui.sync.dialogs import ProvenanceDialog

    enterprise_id = window.selected_enterprise_id()
    if enterprise_id is None:
        return None
    dialog = ProvenanceDialog(window, enterprise_id)
    window.sync.dialog = dialog
    dialog.show()
    return dialog


def open_quarantine(window: MainWindow):
    from app.gui.sync.quarantine import QuarantineDialog

    dialog = QuarantineDialog(window)
    window.sync.dialog = dialog
    dialog.show()
    return dialog


def open_to_check(window: MainWindow):
    from app.gui.sync.to_check import ToCheckDialog

    dialog = ToCheckDialog(window)
    window.sync.dialog = dialog
    dialog.show()
    return dialog


def show_conflicts(window: MainWindow) -> None:
    window.show_page("conflicts")
    window.sync.conflicts.reload()


def add_actions(window: MainWindow) -> None:
    window.actions.add_menu("sync", "Đồng &bộ")
    window.actions.add(
        ActionSpec(
            "sync.export",
            "&Xuất gói dữ liệu…",
            open_export,
            "sync",
            "Ctrl+E",
            "Ghi các thay đổi chưa được xác nhận ra USB, đã ký và mã hóa cho cơ quan cấp trên",
            toolbar=True,
            short="Xuất gói",
        )
    )
    window.actions.add(
        ActionSpec(
            "sync.import",
            "&Nhập gói dữ liệu, biên nhận…",
            open_import,
            "sync",
            "Ctrl+Shift+E",
            "Nhập gói dữ liệu của các máy cấp dưới, hoặc biên nhận của cơ quan cấp trên (tệp hoặc cả thư mục)",
            toolbar=True,
            short="Nhập gói",
        )
    )
    window.actions.add(
        ActionSpec(
            "sync.down",
            "Gửi x&uống máy ở dưới…",
            open_down,
            "sync",
            None,
            "Cơ quan gửi cho từng máy đã đăng ký (cộng tác viên, cơ quan cấp dưới): danh sách, phân công, "
            "chỉ tiêu, thiết lập; xem máy nào đang chờ gì và lần cuối gửi lại",
            enabled=lambda w: w.profile.role is not None and w.profile.role.value != "collaborator",
        )
    )
    window.actions.add(
        ActionSpec(
            "sync.machines",
            "&Khóa và máy đã đăng ký…",
            open_machines,
            "sync",
            None,
            "Dấu vân tay của máy này, đăng ký máy cấp dưới hoặc cơ quan cấp trên, thu hồi máy bị mất",
            section=1,
        )
    )
    window.actions.add(
        ActionSpec(
            "sync.conflicts",
            "Xung đột &dữ liệu",
            show_conflicts,
            "sync",
            None,
            "Những trường được sửa ở hai nơi cùng lúc: chọn giá trị đúng",
            section=1,
        )
    )
    window.actions.add(
        ActionSpec(
            "sync.to_check",
            "Dữ liệu cần kiể&m tra…",
            open_to_check,
            "sync",
            None,
            "Giá trị nhận trong gói mà quy tắc nhập liệu còn nghi (số liệu không khớp...): xem, sửa hoặc giữ nguyên",
            section=1,
        )
    )
    window.actions.add(
        ActionSpec(
            "sync.quarantine",
            "Gói bị &cách ly…",
            open_quarantine,
            "sync",
            None,
            "Gói trùng số thứ tự với một gói khác của cùng máy (máy bị sao chép): xem và gộp khi đã kiểm tra",
            section=1,
        )
    )
    window.actions.add(
        ActionSpec(
            "sync.provenance",
            "Nguồn &gốc dữ liệu của doanh nghiệp…",
            open_provenance,
            "sync",
            None,
            "Từng thay đổi của doanh nghiệp đang chọn: ai nhập, trên máy nào, qua những cơ quan nào",
            section=1,
            enabled=lambda w: w.selected_enterprise_id() is not None,
        )
    )
    from app.gui.recovery import open_office_recovery

    window.actions.add(
        ActionSpec(
            "sync.recovery",
            "Khôi &phục mật khẩu cho máy cấp dưới…",
            open_office_recovery,
            "sync",
            None,
            "Người dùng máy cấp dưới quên mật khẩu: mở tệp yêu cầu, kiểm tra giấy tờ, ghi tệp mở khóa và đọc mã",
            section=2,
            enabled=lambda w: w.profile.role is not None and w.profile.role.value != "collaborator",
        )
    )
