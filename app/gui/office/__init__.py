"""What an office gives the machines below it: Phân công, progress by collaborator, its settings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QWidget

from app.gui.actions import ActionSpec

if TYPE_CHECKING:
    from app.gui.main_window import MainWindow


class OfficeFeature:
    """Phân công, progress by collaborator and the office's settings (``window.office``)."""

    def __init__(self, window: MainWindow):
        self.dialog: QWidget | None = None  # the open dialog, kept alive while open; tests reach it here
        add_actions(window)


def _is_office(window: MainWindow) -> bool:
    role = window.profile.role
    return role is not None and role.value != "collaborator"


def open_assign(window: MainWindow):
    from app.gui.office.assignments import AssignDialog

    dialog = AssignDialog(window, window.selected_enterprise_ids())
    window.office.dialog = dialog
    dialog.show()
    return dialog


def open_progress(window: MainWindow):
    from app.gui.office.assignments import ProgressDialog

    dialog = ProgressDialog(window)
    window.office.dialog = dialog
    dialog.show()
    return dialog


def open_settings(window: MainWindow):
    from app.gui.office.settings import OfficeSettingsDialog

    dialog = OfficeSettingsDialog(window)
    window.office.dialog = dialog
    dialog.show()
    return dialog


def add_actions(window: MainWindow) -> None:
    window.actions.add(
        ActionSpec(
            "enterprise.assign",
            "&Phân công cho cộng tác viên…",
            open_assign,
            "enterprise",
            None,
            "Giao các doanh nghiệp đang chọn (hoặc theo phường, địa chỉ) cho một cộng tác viên theo dõi",
            section=3,
            enabled=_is_office,
        )
    )
    window.actions.add(
        ActionSpec(
            "enterprise.assign_progress",
            "Tiến độ theo cộng tác &viên…",
            open_progress,
            "enterprise",
            None,
            "Mỗi cộng tác viên: số doanh nghiệp được giao, đã khảo sát trong năm, tổ chức mới thành lập",
            section=3,
            enabled=_is_office,
        )
    )
    window.actions.add(
        ActionSpec(
            "tools.office_settings",
            "Thiết lập của &cơ quan…",
            open_settings,
            "tools",
            None,
            "Ngưỡng thành lập tổ chức, kiểu báo cáo, làm tròn, nhóm lao động: cơ quan đặt cho các máy ở dưới",
            section=1,
        )
    )
