"""The list-import wizard in the program: Tệp > Nhập danh sách doanh nghiệp (Excel, CSV)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.gui.actions import ActionSpec

if TYPE_CHECKING:
    from app.gui.importing.wizard import ImportWizard
    from app.gui.main_window import MainWindow


class ImportingFeature:
    """The list import's state on the main window (``window.importing``)."""

    def __init__(self, window: MainWindow):
        self.wizard: ImportWizard | None = None  # the open wizard, kept alive while open; tests reach it here
        add_actions(window)


def open_wizard(window: MainWindow, path: str | None = None) -> ImportWizard:
    from app.gui.importing.wizard import ImportWizard

    wizard = ImportWizard(window)
    window.importing.wizard = wizard
    wizard.show()
    if path:
        wizard.set_path(path)
    return wizard


def add_actions(window: MainWindow) -> None:
    window.actions.add(
        ActionSpec(
            "import.list",
            "&Nhập danh sách doanh nghiệp (Excel, CSV)…",
            open_wizard,
            "file",
            "Ctrl+Shift+I",
            "Nhập danh sách doanh nghiệp từ tệp Excel (.xlsx, .xls) hoặc CSV của cơ quan thuế, bảo hiểm xã hội...",
            section=2,
        )
    )
