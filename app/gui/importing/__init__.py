"""The list-import wizard in the program: Tệp > Nhập danh sách doanh nghiệp (Excel, CSV)."""

from __future__ import annotations

from typing import Any

from app.gui.actions import ActionSpec


def open_wizard(window: Any, path: str | None = None):
    from app.gui.importing.wizard import ImportWizard

    wizard = ImportWizard(window)
    window._import_wizard = wizard  # kept alive while open; tests reach it here
    wizard.show()
    if path:
        wizard.set_path(path)
    return wizard


def register(window: Any) -> None:
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
