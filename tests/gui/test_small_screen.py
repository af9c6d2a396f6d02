"""A 1024x768 laptop: the main window's status bar shows its labels whole and a long message cut with
"…" and whole in the tooltip; the record forms need no sideways scrollbar."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QComboBox, QLabel, QScrollArea

from app.domain.vocab import OrgKind
from app.gui.status_bar import StatusBar
from tests.gui.conftest import close_window, open_window, wait_idle
from tests.helpers import screens
from tests.helpers.vault import open_store

LONG = (
    "Đã xuất gói số 1 cho Đảng ủy phường Hoàn Kiếm: 6 thay đổi, 0 gói chuyển tiếp → "
    "/media/usb/KhaoSat/goi_2025-11-20_00070_nguyen-thi-hang_0001.khaosat"
)


@pytest.fixture
def small_screen(monkeypatch):
    monkeypatch.setenv("KHAOSAT_SCREEN", "1024x768")


def _labels_fit(bar) -> None:
    labels = [w for w in bar.findChildren(QLabel) if w.isVisible()]
    assert labels
    for label in labels:  # every label shows its whole text, inside the bar
        assert label.width() >= label.sizeHint().width(), (label.text(), label.width(), label.sizeHint())
        assert label.geometry().right() < bar.width()
    # and the labels leave room for a message
    assert bar.width() - sum(w.sizeHint().width() for w in labels) >= 400


def test_status_bar_fits_a_1024_screen(qtbot, data_dir, small_screen):
    window = open_window(qtbot, data_dir)
    try:
        screens.place(window)
        qtbot.waitUntil(lambda: window.width() == 1024, timeout=5000)
        bar = window.statusBar()
        assert isinstance(bar, StatusBar)
        window.refresh_fingerprint()
        wait_idle(qtbot, window)
        qtbot.wait(50)
        _labels_fit(bar)

        window.show_status("Đã lưu.")
        assert bar.shown_message() == "Đã lưu." and bar.toolTip() == ""
        window.show_status(LONG)
        assert bar.currentMessage() == LONG  # the whole message is kept...
        shown = bar.shown_message()  # ...drawn cut to the room beside the labels...
        assert shown != LONG and shown.endswith("…") and LONG.startswith(shown[:-1])
        assert bar.fontMetrics().horizontalAdvance(shown) <= bar.message_rect().width()
        first_label = min(w.x() for w in bar.findChildren(QLabel) if w.isVisible())
        assert bar.message_rect().right() < first_label
        assert bar.toolTip() == LONG  # ...and whole in the tooltip
        bar.grab()  # painted through StatusBar.paintEvent without a warning
        _labels_fit(bar)
        bar.clearMessage()
        assert bar.toolTip() == ""

        # wider, the same message is whole and needs no tooltip
        window.resize(1366, window.height())
        qtbot.waitUntil(lambda: window.width() == 1366, timeout=5000)
        window.show_status(LONG)
        assert bar.shown_message() == LONG and bar.toolTip() == ""
    finally:
        close_window(qtbot, window)


def test_record_forms_fit_without_a_sideways_scrollbar(qtbot, data_dir, small_screen):
    window = open_window(qtbot, data_dir)
    try:
        screens.place(window)
        with open_store(data_dir) as s:
            eid = s._rows("SELECT id FROM enterprises LIMIT 1")[0]["id"]
        window.forms.new_enterprise()
        window.forms.new_visit(eid)
        window.forms.edit_organisation(eid, OrgKind.UNION)
        window.forms.new_admission(eid)
        qtbot.waitUntil(lambda: len(window.forms.open_forms) == 4, timeout=10000)
        width, _height = screens.screen()
        for form in window.forms.open_forms:
            qtbot.waitExposed(form)
            assert form.width() <= width
            scroll = form.findChild(QScrollArea)
            qtbot.waitUntil(lambda s=scroll: s.widget().width() == s.viewport().width(), timeout=5000)
            assert not scroll.horizontalScrollBar().isVisible(), type(form).__name__
            # even beside the upright scrollbar (the banner shown, a taller form), the fields fit across
            room = scroll.width() - scroll.verticalScrollBar().sizeHint().width()
            assert form._grid_host.minimumSizeHint().width() <= room, (type(form).__name__, room)
            for combo in form.findChildren(QComboBox):  # a long choice cut in its box is whole in the tooltip
                assert combo.toolTip() == combo.currentText()
            form._closing_ok = True
        industry = window.forms.open_forms[0].widgets["vsic_section"]
        longest = max((industry.itemText(i) for i in range(industry.count())), key=len)
        industry.setCurrentText(longest)
        assert industry.toolTip() == longest
        assert industry.view().minimumWidth() >= industry.view().sizeHintForColumn(
            0
        )  # the list shows it whole
        wait_idle(qtbot, window)
    finally:
        close_window(qtbot, window)


@pytest.mark.parametrize("size", ["1024x768", "1366x768"])
def test_the_list_filters_say_their_whole_choice(qtbot, data_dir, monkeypatch, size):
    """On a 1024-pixel screen the list's filter boxes share too little width for some of their texts («Mọi quy mô
    lao động», «Mọi thời điểm khảo sát», the longer sizes of workforce): each box says its whole current choice in
    its tooltip, which follows the choice, also when the filters are cleared or the wards listed again."""
    monkeypatch.setenv("KHAOSAT_SCREEN", size)
    window = open_window(qtbot, data_dir)
    try:
        screens.place(window)
        width = int(size.split("x")[0])
        qtbot.waitUntil(lambda: window.width() == width, timeout=5000)
        wait_idle(qtbot, window)
        panel = window.list_panel
        combos = [panel.status, panel.workforce, panel.not_visited, panel.ward]
        screens.shot(window, "list-filters")

        def room(combo: QComboBox) -> int:  # the width the box draws its text in
            from PySide6.QtWidgets import QStyle, QStyleOptionComboBox

            option = QStyleOptionComboBox()
            combo.initStyleOption(option)
            field = combo.style().subControlRect(
                QStyle.ComplexControl.CC_ComboBox, option, QStyle.SubControl.SC_ComboBoxEditField, combo
            )
            return field.width()

        cut = []
        for combo in combos:
            assert combo.toolTip() == combo.currentText()
            for i in range(combo.count()):
                combo.setCurrentIndex(i)
                assert combo.toolTip() == combo.currentText() == combo.itemText(i)
                if combo.fontMetrics().horizontalAdvance(combo.currentText()) > room(combo):
                    cut.append(combo.currentText())
        if width == 1024:
            assert (
                "Mọi quy mô lao động" in cut and "Mọi thời điểm khảo sát" in cut
            )  # (what the tooltips are for)
        panel.workforce.setCurrentIndex(2)
        panel.ward.setCurrentIndex(panel.ward.count() - 1)
        panel.clear_filters()  # (the boxes change without their signals)
        assert [c.toolTip() for c in combos] == [c.itemText(0) for c in combos]
        panel.set_wards(["00070"])
        panel.ward.setCurrentIndex(1)
        chosen = panel.ward.currentText()
        panel.set_wards(["00070", "00073"])  # the choice kept, its tooltip too
        assert panel.ward.currentText() == chosen and panel.ward.toolTip() == chosen
        wait_idle(qtbot, window)
    finally:
        close_window(qtbot, window)
