"""The Việc cần làm tab driven from the keyboard on the demo database: the sections and their numbers as
the service counts them, a line opened into the list and the detail panel, more lines as the list
scrolls, the week's forms printed in one batch, and the list following a visit typed meanwhile."""

from __future__ import annotations

import re
from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from app.domain.records import Visit
from app.services import records as svc
from app.services import worklist as wl
from tests.conftest import TEST_TODAY
from tests.gui.conftest import close_window, open_window, wait_idle
from tests.helpers.typing import Keyboard
from tests.helpers.vault import open_store
from tests.printing.pdftools import pdftotext


def _expected(data_dir):
    with open_store(data_dir) as s:
        q = wl.query_for(s, TEST_TODAY, "00070")
        return q, {sec: wl.count(s, q, sec) for sec in wl.SECTIONS}, s


def test_the_work_list_by_keyboard(qtbot, data_dir):
    q, counts, _s = _expected(data_dir)
    window = open_window(qtbot, data_dir)
    opened: list = []
    window.printing.opener = opened.append
    window.printing.today = lambda: TEST_TODAY
    view = window.worklist_view
    kb = Keyboard()
    try:
        kb.shortcut(Qt.Key.Key_4)  # Ctrl+4: Xem ▸ Việc cần làm
        assert window.current_page() == "worklist"
        qtbot.waitUntil(lambda: bool(view.overview), timeout=20000)
        assert QApplication.focusWidget() is view.sections
        for row, (section, title) in enumerate(wl.SECTIONS.items()):
            assert view.sections.item(row).text() == f"{title} ({counts[section]})"
        assert "ngày 20/11/2025" in view.title.text()

        # down to the founding opportunities, into their lines, the first one opened
        kb.press(Qt.Key.Key_Down, times=list(wl.SECTIONS).index(wl.OPPORTUNITIES))
        assert view.current_section() == wl.OPPORTUNITIES
        assert (
            view.model.total == counts[wl.OPPORTUNITIES]
            and "chủ doanh nghiệp đồng tình trước" in view.explain.text()
        )
        kb.enter()
        assert QApplication.focusWidget() is view.lines and view.lines.currentIndex().row() == 0
        first = view.model.items[0]
        kb.press(Qt.Key.Key_Down)
        second = view.model.items[1]
        kb.enter()
        qtbot.waitUntil(lambda: window.selected_enterprise_id() == second.enterprise_id, timeout=10000)
        qtbot.waitUntil(lambda: window.detail_panel.enterprise_id == second.enterprise_id, timeout=10000)
        assert (
            window.current_page() == "enterprises" and QApplication.focusWidget() is window.list_panel.table
        )
        qtbot.waitUntil(lambda: second.name in window.detail_panel.title.text(), timeout=10000)
        assert first != second

        # back to the tab (Alt+4, its mnemonic); the section kept; Escape to the sections
        kb.press(Qt.Key.Key_4, Qt.KeyboardModifier.AltModifier)
        assert window.current_page() == "worklist" and view.current_section() == wl.OPPORTUNITIES
        view.lines.setFocus()
        kb.press(Qt.Key.Key_Escape)
        assert QApplication.focusWidget() is view.sections

        # a long section loads more lines as it scrolls
        view.select_section(wl.NOT_VISITED)
        assert len(view.model.items) == min(counts[wl.NOT_VISITED], 100)
        view.lines.scrollToBottom()
        qtbot.waitUntil(lambda: len(view.model.items) == counts[wl.NOT_VISITED], timeout=20000)

        # the week's forms, one batch by ward and address
        week = counts[wl.OVERDUE] + counts[wl.THIS_WEEK]
        assert view.print_week.text() == f"In phiếu của &tuần ({week})"
        view.print_week.setFocus()
        kb.press(Qt.Key.Key_Space)
        qtbot.waitUntil(lambda: window.printing.question is not None or bool(opened), timeout=20000)
        box = window.printing.question
        if box is not None:  # more than 50 pages: asked first
            box.buttons()[0].click()
        qtbot.waitUntil(lambda: len(opened) == 1, timeout=60000)
        with open_store(data_dir) as s:
            batch = wl.week_batch(s, q)
            names = [
                s.get(__import__("app.domain.records", fromlist=["Enterprise"]).Enterprise, i).name
                for i in batch[:3]
            ]
        text = pdftotext(opened[0])
        # one form per enterprise of the batch (a form is one page, or two with its mark sheet)
        printed = {i.lower() for i in re.findall(r"KHAOSAT:F\d+:([0-9A-Fa-f-]{36})", text)}
        assert printed == {i.lower() for i in batch} and len(batch) == week
        assert text.index(names[0]) < text.index(names[1]) < text.index(names[2])
    finally:
        close_window(qtbot, window)


def test_the_list_follows_a_visit_saved_meanwhile(qtbot, data_dir):
    window = open_window(qtbot, data_dir)
    view = window.worklist_view
    try:
        window.show_page("worklist")
        qtbot.waitUntil(lambda: bool(view.overview), timeout=20000)
        before = view.overview[wl.THIS_WEEK][0]
        view.select_section(wl.OVERDUE)
        item = view.model.items[0]

        # the collaborator went: a visit today that sets the next one this week
        def work(store):
            return svc.save_visit(
                store,
                Visit(
                    enterprise_id=item.enterprise_id,
                    visit_date=TEST_TODAY,
                    next_visit_date=date(2025, 11, 22),
                ),
                today=TEST_TODAY,
            )

        window.tasks.write(work)
        qtbot.waitUntil(lambda: view.overview[wl.THIS_WEEK][0] == before + 1, timeout=20000)
        wait_idle(qtbot, window)
        assert item.enterprise_id not in {i.enterprise_id for i in view.overview[wl.OVERDUE][1]}
        assert item.enterprise_id in {i.enterprise_id for i in view.overview[wl.THIS_WEEK][1]}
    finally:
        close_window(qtbot, window)
