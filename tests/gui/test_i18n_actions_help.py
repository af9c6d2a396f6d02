"""Vietnamese in Qt's own dialogs, the help menu, actions declared once, features as parts of the window."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QDialogButtonBox, QFileDialog, QLabel, QPushButton

from app.paths import resources_dir
from tests.conftest import ROOT
from tests.gui.conftest import wait_idle


def test_qt_dialogs_speak_vietnamese(qtbot, qapp_translated):
    tr = QCoreApplication.translate
    assert tr("QPlatformTheme", "Cancel") == "Hủy"
    assert tr("QWizard", "&Next >") == "&Tiếp >"
    box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
    qtbot.addWidget(box)
    assert box.button(QDialogButtonBox.StandardButton.Ok).text() == "Đồng ý"
    assert box.button(QDialogButtonBox.StandardButton.Cancel).text() == "Hủy"
    dialog = QFileDialog(None, "Sao lưu dữ liệu")
    dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    qtbot.addWidget(dialog)
    texts = {w.text() for w in dialog.findChildren(QLabel)} | {
        b.text() for b in dialog.findChildren(QPushButton)
    }
    assert "&Tên tệp:" in texts and "&Lưu" in texts
    assert QCoreApplication.instance().translate("QLineEdit", "Select All") == "Chọn tất cả"


def test_numbers_and_dates_in_vi_locale(qapp_translated):
    from PySide6.QtCore import QDate, QLocale

    loc = QLocale()
    assert loc.toString(1549) == "1.549"
    assert loc.toString(QDate(2024, 2, 27), "dd/MM/yyyy") == "27/02/2024"


def test_user_guide_is_shipped_and_matches_docs():
    shipped = (resources_dir() / "help" / "user-guide.md").read_text(encoding="utf-8")
    assert shipped == (ROOT / "docs" / "user-guide.md").read_text(encoding="utf-8")
    assert shipped.startswith("# Hướng dẫn sử dụng KhaoSat")


def test_help_menu_opens_the_guide(qtbot, window):
    window.actions.trigger("help.guide")
    qtbot.waitUntil(lambda: _help(window) is not None, timeout=5000)
    dialog = _help(window)
    assert "Nhập liệu bằng bàn phím" in dialog.browser.toPlainText()
    dialog.close()
    window.actions.trigger("help.keys")
    qtbot.waitUntil(
        lambda: _help(window) is not None and "Ctrl+K" in _help(window).browser.toPlainText(), timeout=5000
    )
    _help(window).close()


def _help(window):
    from app.gui.help import HelpDialog

    found = [d for d in window.findChildren(HelpDialog) if d.isVisible()]
    return found[-1] if found else None


def test_actions_build_menus_toolbar_and_enabled_state(qtbot, window):
    menus = [a.text() for a in window.menuBar().actions()]
    assert menus[:3] == ["&Tệp", "&Doanh nghiệp", "&Xem"] and menus[-1] == "T&rợ giúp"
    visit = window.actions.action("visit.new")
    assert visit.shortcut().toString() == "Ctrl+K"
    assert (
        visit.toolTip() == "Nhập phiếu khảo sát cho doanh nghiệp đang chọn (điền sẵn từ lần trước) (Ctrl+K)"
    )
    assert visit in window.findChild(type(window.actions._toolbar), "main_toolbar").actions()
    assert not visit.isEnabled()  # nothing selected yet
    window.list_panel.table.setCurrentIndex(window.list_panel.model.index(0, 0))
    qtbot.waitUntil(visit.isEnabled, timeout=5000)
    # every key of the main actions is unique, every shortcut too
    shortcuts = [window.actions.action(k).shortcut().toString() for k in window.actions]
    shortcuts = [s for s in shortcuts if s]
    assert len(shortcuts) == len(set(shortcuts))
    wait_idle(qtbot, window)


def test_features_are_typed_parts_of_the_window(qtbot, window):
    from app.gui.importing import ImportingFeature
    from app.gui.printing import PrintingFeature
    from app.gui.sync import SyncFeature

    assert isinstance(window.sync, SyncFeature) and window.sync.passphrase is None
    assert isinstance(window.printing, PrintingFeature) and isinstance(window.importing, ImportingFeature)
    menus = [a.text() for a in window.menuBar().actions()]
    assert menus.index("Đồng &bộ") < menus.index("&In ấn") < len(menus) - 1  # before Help
    assert window.actions.action("import.list") is not None
    window.show_page("conflicts")
    assert window.pages.currentWidget() is window.sync.conflicts
    wait_idle(qtbot, window)


def test_the_gui_loads_nothing_by_name():
    """Features and commands are plain imports: no module named in a string, no guard for a
    module that always ships."""
    offenders = []
    for path in sorted((ROOT / "app").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        for needle in (
            "importlib.import_module(",
            "except ModuleNotFoundError",
            "except ImportError",
            "find_spec(",
        ):
            if needle in text:
                offenders.append(f"{path.relative_to(ROOT)}: {needle}")
    assert offenders == []


def test_errors_in_tasks_are_reported_not_lost(qtbot, window, monkeypatch):
    shown = []
    monkeypatch.setattr(window, "show_error", lambda title, text: shown.append((title, text)))

    def broken(store):
        raise RuntimeError("hỏng")

    handle = window.tasks.read(broken)
    qtbot.waitUntil(lambda: handle.finished, timeout=5000)
    # said in Vietnamese, without the exception's own words (its type and frames are in the log)
    assert shown and shown[0][0] == "Lỗi không mong đợi" and "nguyên vẹn" in shown[0][1]
    assert "hỏng" not in shown[0][1] and "RuntimeError" not in shown[0][1]
