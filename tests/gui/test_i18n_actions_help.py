"""Vietnamese in Qt's own dialogs, the help menu, actions declared once, the feature hook."""

from __future__ import annotations

import sys
import types

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QDialogButtonBox, QFileDialog, QLabel, QPushButton

from app.gui.actions import ActionSpec
from app.gui.features import load_features
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


def test_feature_modules_register_and_failures_are_contained(qtbot, window, monkeypatch):
    calls = []
    good = types.ModuleType("tests_fake_feature_good")

    def register(w):
        w.actions.add_menu("demo", "&Thử")
        w.actions.add(
            ActionSpec(
                "demo.hello",
                "&Chào",
                lambda ww: calls.append(ww.selected_enterprise_id()),
                "demo",
                "Ctrl+Alt+H",
                "Một lệnh thử",
                enabled=lambda ww: True,
            )
        )
        calls.append("registered")

    good.register = register
    bad = types.ModuleType("tests_fake_feature_bad")
    bad.register = lambda w: 1 / 0
    monkeypatch.setitem(sys.modules, good.__name__, good)
    monkeypatch.setitem(sys.modules, bad.__name__, bad)
    results = load_features(window, (good.__name__, bad.__name__, "tests_no_such_feature"))
    assert results[good.__name__] is None and "ZeroDivisionError" in results[bad.__name__]
    assert "tests_no_such_feature" not in results
    assert [a.text() for a in window.menuBar().actions()][-2] == "&Thử"  # before Help
    window.actions.trigger("demo.hello")
    assert calls == ["registered", None]
    assert "Không nạp được phần mở rộng" in window.statusBar().currentMessage()
    wait_idle(qtbot, window)
    log = window.data_dir / "khaosat-errors.log"
    qtbot.waitUntil(log.exists, timeout=5000)
    assert "ZeroDivisionError" in log.read_text(encoding="utf-8")


def test_errors_in_tasks_are_reported_not_lost(qtbot, window, monkeypatch):
    shown = []
    monkeypatch.setattr(window, "show_error", lambda title, text: shown.append((title, text)))

    def broken(store):
        raise RuntimeError("hỏng")

    handle = window.tasks.read(broken)
    qtbot.waitUntil(lambda: handle.finished, timeout=5000)
    assert shown and shown[0][0] == "Lỗi không mong đợi" and "hỏng" in shown[0][1]
