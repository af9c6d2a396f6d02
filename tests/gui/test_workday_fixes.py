"""What a new user found wrong in a day at the ward (issue 14), each through the real window.

Two-digit years, the saved enterprise becoming the selected one, messages that name a screen and
open it instead of a command, a visible keyboard focus, screens of 768 pixels, batch printing that
says how many pages, and the small things (accelerators, titles, gaps, legend, fingerprint).
"""

from __future__ import annotations

import itertools
from datetime import date

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton, QTabBar, QToolButton

from app.domain.records import Enterprise, Visit
from app.gui.enterprises.detail_panel import MEMBERS_COLUMN
from tests.conftest import TEST_TODAY
from tests.gui.conftest import close_window, focused_form, open_window, wait_idle
from tests.gui.test_enterprise_form import valid_tax_code
from tests.helpers.typing import Keyboard
from tests.helpers.vault import open_store

CTRL = Qt.KeyboardModifier.ControlModifier


def _select(qtbot, window, kb: Keyboard, text: str, enterprise_id: str) -> None:
    kb.shortcut(Qt.Key.Key_F)
    kb.replace(text)
    model = window.list_panel.model
    qtbot.waitUntil(
        lambda: model.query.text == text and not model.busy and model.loaded_row_of(enterprise_id) == 0,
        timeout=10000,
    )
    kb.enter()
    qtbot.waitUntil(lambda: window.selected_enterprise_id() == enterprise_id, timeout=10000)


def _any_enterprise(data_dir) -> Enterprise:
    with open_store(data_dir) as s:
        row = s._rows("SELECT id FROM enterprises WHERE deleted = 0 ORDER BY name LIMIT 1", ())[0]
        return s.get(Enterprise, row["id"])


def _box(qtbot, parent, name: str) -> QMessageBox:
    qtbot.waitUntil(lambda: parent.findChild(QMessageBox, name) is not None, timeout=10000)
    box = parent.findChild(QMessageBox, name)
    qtbot.waitUntil(box.isVisible, timeout=5000)
    return box


def _click(box: QMessageBox, starts: str) -> None:
    button = next(b for b in box.buttons() if b.text().replace("&", "").startswith(starts))
    box.setObjectName("answered")
    button.click()


# --- 1. two-digit years --------------------------------------------------------------------------


def test_a_two_digit_year_is_this_century_and_a_far_date_asks(qtbot, window, data_dir):
    e = _any_enterprise(data_dir)
    kb = Keyboard()
    _select(qtbot, window, kb, e.tax_code, e.id)
    kb.shortcut(Qt.Key.Key_K)
    form = focused_form(qtbot, window, "VisitForm")
    form.widgets["next_visit_date"].setFocus()
    kb.replace("15/1/27")  # as the collaborator typed it
    kb.tab()  # leaving the box shows how it was read
    assert form.field_text("next_visit_date") == "15/01/2027"
    assert "next_visit_date" not in {p.field for p in form.problems}  # no longer "before the visit"

    kb.shortcut(Qt.Key.Key_S)  # 14 months ahead: asked, not saved
    box = _box(qtbot, form, "far_date_box")
    assert "Hẹn lần sau: 15/01/2027" in box.text() and "sau hôm nay" in box.text()
    _click(box, "Sửa lại")
    qtbot.waitUntil(lambda: Keyboard.focus() is form.widgets["next_visit_date"], timeout=5000)
    kb.replace("15/1/26")
    kb.shortcut(Qt.Key.Key_S)  # two months ahead: saved without a question
    qtbot.waitUntil(lambda: form not in window.forms.open_forms, timeout=10000)
    wait_idle(qtbot, window)
    with open_store(data_dir) as s:
        visits = s.children(Visit, e.id)
    assert date(2026, 1, 15) in {v.next_visit_date for v in visits}


def test_a_far_date_kept_when_the_person_says_it_is_right(qtbot, window, data_dir):
    e = _any_enterprise(data_dir)
    window.forms.new_admission(e.id)
    form = focused_form(qtbot, window, "AdmissionForm")
    kb = Keyboard()
    form.widgets["admitted_on"].setFocus()
    kb.replace("3/2/24")  # 21 months before TEST_TODAY
    kb.shortcut(Qt.Key.Key_S)
    box = _box(qtbot, form, "far_date_box")
    assert "Ngày kết nạp: 03/02/2024" in box.text()
    _click(box, "Đúng, lưu")
    qtbot.waitUntil(lambda: form not in window.forms.open_forms, timeout=10000)
    wait_idle(qtbot, window)
    with open_store(data_dir) as s:
        n = s.conn.execute(
            "SELECT count(*) FROM admissions WHERE enterprise_id = ? AND admitted_on = '2024-02-03'", (e.id,)
        ).fetchone()[0]
    assert n == 1


# --- 2. the saved record is the selected one ---------------------------------------------------


def test_a_new_enterprise_becomes_the_selected_one_even_outside_the_search(qtbot, window, data_dir):
    old = _any_enterprise(data_dir)
    kb = Keyboard()
    _select(qtbot, window, kb, old.tax_code, old.id)  # the list shows one other enterprise
    kb.shortcut(Qt.Key.Key_N)
    form = focused_form(qtbot, window, "EnterpriseForm")
    assert form.windowTitle() == "Thêm doanh nghiệp"
    kb.type("Công ty TNHH Bao bì Sông Hồng")
    tax = valid_tax_code("010777666")
    form.widgets["tax_code"].setFocus()
    kb.type(tax)
    kb.shortcut(Qt.Key.Key_S)
    qtbot.waitUntil(lambda: form not in window.forms.open_forms, timeout=10000)
    with open_store(data_dir) as s:
        (new,) = s.find_by_tax_code(tax)
    qtbot.waitUntil(lambda: window.selected_enterprise_id() == new.id, timeout=10000)
    qtbot.waitUntil(lambda: window.detail_panel.enterprise_id == new.id, timeout=10000)
    table = window.list_panel.table
    assert table.viewport().rect().intersects(table.visualRect(table.currentIndex()))  # visible
    assert "Sông Hồng" in window.statusBar().currentMessage()

    kb.shortcut(Qt.Key.Key_K)  # the next visit is for the new enterprise, and its title says so
    visit = focused_form(qtbot, window, "VisitForm")
    assert visit.context["enterprise_id"] == new.id
    assert visit.windowTitle() == f"Lượt khảo sát mới — Công ty TNHH Bao bì Sông Hồng (MST {tax})"
    kb.press(Qt.Key.Key_Escape)
    wait_idle(qtbot, window)


def test_every_form_that_writes_for_an_enterprise_names_it(qtbot, window, data_dir):
    from app.domain.vocab import OrgKind

    e = _any_enterprise(data_dir)
    label = f"{e.name} (MST {e.tax_code})"
    window.forms.edit_enterprise(e.id)
    assert focused_form(qtbot, window, "EnterpriseForm").windowTitle() == f"Sửa doanh nghiệp — {label}"
    window.forms.edit_organisation(e.id, OrgKind.UNION)
    assert focused_form(qtbot, window, "OrganisationForm").windowTitle() == f"Công đoàn cơ sở — {label}"
    window.forms.new_admission(e.id)
    assert focused_form(qtbot, window, "AdmissionForm").windowTitle() == f"Kết nạp mới — {label}"
    window.open_enterprise(e.id)
    qtbot.waitUntil(lambda: window.detail_panel.detail is not None, timeout=10000)
    window.actions.trigger("enterprise.delete")
    box = _box(qtbot, window, "delete_box")
    assert e.name in box.windowTitle()
    _click(box, "Không xóa")
    wait_idle(qtbot, window)


# --- 4. a screen and a button, never a command ---------------------------------------------------


def test_export_without_an_office_names_the_screen_and_opens_it(qtbot, data_dir):
    from app.gui.sync.dialogs import MachinesDialog

    window = open_window(qtbot, data_dir)
    try:
        window.actions.trigger("sync.export")
        dialog = window.sync.dialog
        qtbot.waitUntil(
            lambda: dialog.remedy_button is not None and dialog.remedy_button.isVisible(), timeout=10000
        )
        text = dialog.preview.text()
        assert "Chưa đăng ký cơ quan nhận" in text and "Đồng bộ ▸ Khóa và máy đã đăng ký" in text
        assert "khaosat" not in text and "--" not in text
        assert dialog.remedy_button.text() == "Mở «&Khóa và máy đã đăng ký»"
        dialog.remedy_button.click()
        qtbot.waitUntil(lambda: isinstance(window.sync.dialog, MachinesDialog), timeout=10000)
        qtbot.waitUntil(window.sync.dialog.isVisible, timeout=5000)
        wait_idle(qtbot, window)  # its own reading done (a dialog closed earlier gets it after deletion)
        window.sync.dialog.close()
        wait_idle(qtbot, window)
    finally:
        close_window(qtbot, window)


def test_a_key_form_without_keys_offers_the_keys_screen(qtbot, data_dir):
    window = open_window(qtbot, data_dir)
    try:
        window.printing.opener = lambda _p: None
        window.actions.trigger("print.keyform")
        box = _box(qtbot, window, "error_box")
        assert "chưa có khóa" in box.text() and "Đồng bộ ▸ Khóa và máy đã đăng ký" in box.text()
        _click(box, "Mở «Khóa")
        qtbot.waitUntil(lambda: type(window.sync.dialog).__name__ == "MachinesDialog", timeout=10000)
        wait_idle(qtbot, window)
        window.sync.dialog.close()
        wait_idle(qtbot, window)
    finally:
        close_window(qtbot, window)


# --- 5. where am I ------------------------------------------------------------------------------


def _ring_drawn_around(widget) -> bool:
    """The ring is on ``widget`` and its colour is on screen just outside the widget."""
    from app.gui import focus

    ring = focus.ring_of()
    if ring is None or not ring.isVisible() or ring.widget() is not widget:
        return False
    image = widget.window().grab().toImage()
    top_left = widget.mapTo(widget.window(), widget.rect().topLeft())
    x, y = top_left.x() + widget.width() // 2, top_left.y() - 2  # on the ring's top edge
    colours = {image.pixelColor(x, y + d).name() for d in (-1, 0, 1)}
    return QColor(focus.RING_COLOR).name() in colours


def test_keyboard_focus_is_visible_on_check_boxes_and_drop_down_lists(qtbot, window, data_dir):
    e = _any_enterprise(data_dir)
    window.forms.new_visit(e.id)
    form = focused_form(qtbot, window, "VisitForm")
    kb = Keyboard()
    form.widgets["veterans_members"].setFocus()
    kb.enter()  # Enter moves on, as a person fills the paper form: to the first check box
    box = form.widgets["has_party"]
    assert Keyboard.focus() is box
    qtbot.waitUntil(lambda: _ring_drawn_around(box), timeout=5000)
    for _ in range(5):
        kb.enter()
    combo = form.widgets["attitude"]
    assert Keyboard.focus() is combo
    qtbot.waitUntil(lambda: _ring_drawn_around(combo), timeout=5000)
    kb.press(Qt.Key.Key_Escape)
    # and in the main window: a filter of the list
    window.list_panel.status.setFocus()
    qtbot.waitUntil(lambda: _ring_drawn_around(window.list_panel.status), timeout=5000)


# --- 6. screens of 768 pixels ---------------------------------------------------------------------


def test_the_window_fits_1366_and_1024_by_768(qtbot, window, data_dir):
    toolbar = window.findChild(object, "main_toolbar")
    for width in (1366, 1024):
        available = QRect(0, 0, width, 728)  # the screen less a Windows task bar
        window.fit_to(available)
        assert window.isMaximized()
        window.setWindowState(Qt.WindowState.WindowNoState)  # offscreen has no window manager to maximize
        qtbot.wait(50)
        window.setGeometry(QRect(0, 31, width, 728 - 31))  # the client area of a maximized window
        qtbot.waitUntil(lambda w=width: window.width() == w, timeout=5000)
        assert window.minimumSizeHint().width() <= width, width  # nothing forces it wider
        # the status bar is inside the window, where "đã lưu" can be read
        status = window.statusBar()
        assert status.isVisible() and status.geometry().bottom() < window.height()
        # every toolbar button shows: no overflow arrow
        extension = [
            b for b in toolbar.findChildren(QToolButton) if b.objectName() == "qt_toolbar_ext_button"
        ]
        assert not any(b.isVisible() for b in extension), width
        # the detail panel's tabs are whole
        tabs = window.detail_panel.tabs
        bar = tabs.findChild(QTabBar)
        assert bar.sizeHint().width() <= tabs.width(), (width, bar.sizeHint().width(), tabs.width())
        for i in range(bar.count()):
            assert bar.tabRect(i).right() <= tabs.width()


def test_chart_figures_never_overlap_the_legend_and_the_legend_shows_the_colours_drawn(qtbot, window):
    from app.gui.targets.view import ACHIEVED_COLOURS, TARGET_COLOUR

    window.show_page("targets")
    view = window.targets_view
    view.year.setValue(TEST_TODAY.year)
    qtbot.waitUntil(lambda: bool(view.rows), timeout=10000)
    chart = view.chart_orgs
    for width in (300, 480, 700):
        chart.resize(width, 240)
        image = chart.grab().toImage()
        legend = chart.legend()
        assert legend[0] == (TARGET_COLOUR, "Chỉ tiêu")
        drawn = {image.pixelColor(x, y).name() for x in range(0, width, 2) for y in range(0, 240, 2)}
        for colour, _text in legend:
            assert QColor(colour).name() in drawn, (width, colour)
        # a colour of an achieved bar that is not drawn is not in the legend either
        for colour, text in ACHIEVED_COLOURS.values():
            if (colour, text) not in legend:
                assert QColor(colour).name() not in drawn
        assert chart.figure_top >= chart.legend_bottom, width


# --- 7. pages before printing ---------------------------------------------------------------------


def test_printing_the_shown_list_says_the_pages_and_asks_above_the_threshold(qtbot, data_dir):
    from app.gui.printing import ASK_ABOVE_PAGES

    window = open_window(qtbot, data_dir)
    try:
        opened: list = []
        window.printing.opener = opened.append
        window.printing.today = lambda: TEST_TODAY
        n = window.list_panel.model.rowCount()
        assert n > ASK_ABOVE_PAGES
        window.actions.trigger("print.list")
        qtbot.waitUntil(lambda: window.printing.question is not None, timeout=10000)
        box = window.printing.question
        # every form has its mark sheet by default: two pages an enterprise
        assert f"Sẽ in {2 * n} trang ({n} doanh nghiệp, mỗi doanh nghiệp 2 trang)" in box.text()
        window.printing.question = None
        _click(box, "Không in")
        qtbot.wait(100)
        assert opened == [] and "Không in" in window.statusBar().currentMessage()

        kb = Keyboard()
        e = _any_enterprise(data_dir)
        window.activateWindow()
        qtbot.waitUntil(window.isActiveWindow, timeout=5000)
        window.list_panel.search.setFocus()
        _select(qtbot, window, kb, e.tax_code, e.id)  # one enterprise: printed without a question
        window.actions.trigger("print.list")
        qtbot.waitUntil(lambda: len(opened) == 1, timeout=20000)
        assert window.printing.question is None
        wait_idle(qtbot, window)
    finally:
        close_window(qtbot, window)


# --- 11. small things ----------------------------------------------------------------------------


def _mnemonic(text: str) -> str | None:
    import re

    m = re.search(r"&([^&])", text.replace("&&", ""))
    return m.group(1).lower() if m else None


def test_every_menu_item_has_its_own_accelerator(qtbot, data_dir):
    window = open_window(qtbot, data_dir)
    try:
        bar = [a.text() for a in window.menuBar().actions()]
        keys = [_mnemonic(t) for t in bar]
        assert None not in keys and len(set(keys)) == len(keys), bar
        for menu_action in window.menuBar().actions():
            items = [a.text() for a in menu_action.menu().actions() if not a.isSeparator()]
            keys = [_mnemonic(t) for t in items]
            assert None not in keys, (menu_action.text(), items)
            assert all(k.isascii() for k in keys), (menu_action.text(), items)  # typable on any keyboard
            dupes = {k for k in keys if keys.count(k) > 1}
            assert not dupes, (menu_action.text(), [t for t in items if _mnemonic(t) in dupes])
    finally:
        close_window(qtbot, window)


def test_dialog_titles_fit_and_short_forms_are_short(qtbot, data_dir):
    from app.gui.titles import title_width

    window = open_window(qtbot, data_dir)
    try:
        window.printing.today = lambda: TEST_TODAY
        for key in ("print.report", "print.batch"):
            window.actions.trigger(key)
            dialog = window.printing.dialog
            qtbot.waitExposed(dialog)
            assert dialog.width() >= title_width(dialog), (key, dialog.width(), title_width(dialog))
            dialog.reject()
        e = _any_enterprise(data_dir)
        window.forms.new_admission(e.id)
        form = focused_form(qtbot, window, "AdmissionForm")
        # four fields: no large empty gaps between them
        fields = [form.widgets[n] for n in ("kind", "admitted_on", "count", "note")]
        gaps = [b.geometry().top() - a.geometry().bottom() for a, b in itertools.pairwise(fields)]
        assert max(gaps) < 40, gaps
        assert form.height() < 400
        wait_idle(qtbot, window)
    finally:
        close_window(qtbot, window)


def test_the_status_bar_shows_the_key_fingerprint(qtbot, data_dir):
    from app.sync import registry as R

    with open_store(data_dir) as s:
        ident = R.ensure_keys(s, data_dir=data_dir)
    window = open_window(qtbot, data_dir)
    try:
        label = window.findChild(object, "status_unit")
        qtbot.waitUntil(lambda: ident.current.fingerprint in label.text(), timeout=10000)
        assert window.profile.laptop_id not in label.text()
    finally:
        close_window(qtbot, window)


def test_no_push_button_in_the_main_window_reads_like_a_command(qtbot, data_dir):
    """Belt and braces for the static scan: the texts of the live window and its actions."""
    window = open_window(qtbot, data_dir)
    try:
        texts = [
            a.text() + a.toolTip() + a.statusTip()
            for a in window.findChildren(type(window.actions.action("file.quit")))
        ]
        texts += [b.text() + b.toolTip() for b in window.findChildren(QPushButton)]
        assert not [t for t in texts if "khaosat " in t.lower()]
        assert QApplication.instance() is not None
    finally:
        close_window(qtbot, window)


def test_every_alt_key_of_a_window_does_one_thing(qtbot, data_dir):
    """Alt and the underlined letter reach every button; no two visible controls of a window share a
    letter (the detail tabs took T and C from the menus Tệp and Công cụ; the keys dialog had three M)."""
    from app.domain.vocab import OrgKind
    from tests.helpers.keys import check_alt_keys

    window = open_window(qtbot, data_dir)
    try:
        e = _any_enterprise(data_dir)
        window.open_enterprise(e.id)
        qtbot.waitUntil(lambda: window.detail_panel.detail is not None, timeout=10000)
        for page in ("enterprises", "targets", "conflicts"):
            window.show_page(page)
            wait_idle(qtbot, window)
            check_alt_keys(window)
        window.show_page("enterprises")
        for open_form, name in (
            (lambda: window.forms.edit_enterprise(e.id), "EnterpriseForm"),
            (lambda: window.forms.new_visit(e.id), "VisitForm"),
            (lambda: window.forms.edit_organisation(e.id, OrgKind.UNION), "OrganisationForm"),
            (lambda: window.forms.new_admission(e.id), "AdmissionForm"),
        ):
            open_form()
            form = focused_form(qtbot, window, name)
            check_alt_keys(form)
            form._closing_ok = True
            form.close()
            wait_idle(qtbot, window)
        window.printing.today = lambda: TEST_TODAY
        for key in ("print.batch", "print.report", "print.report_settings", "print.code"):
            before = window.printing.dialog
            window.actions.trigger(key)
            qtbot.waitUntil(lambda b=before: window.printing.dialog is not b, timeout=10000)
            dialog = window.printing.dialog
            qtbot.waitExposed(dialog)
            check_alt_keys(dialog)
            dialog.reject()
            wait_idle(qtbot, window)
        for key in ("sync.export", "sync.import", "sync.machines", "sync.to_check", "sync.quarantine"):
            window.actions.trigger(key)
            dialog = window.sync.dialog
            qtbot.waitExposed(dialog)
            wait_idle(qtbot, window)
            check_alt_keys(dialog)
            dialog.close()
            wait_idle(qtbot, window)
    finally:
        close_window(qtbot, window)


# --- 9 and 10. organisations: the next visit's ticks, and members that follow admissions -------------


def test_a_founded_union_is_ticked_on_the_next_visit_and_members_follow_admissions(qtbot, window, data_dir):
    from app.domain.records import Organisation
    from app.domain.vocab import OrgKind, OrgStatus

    with open_store(data_dir) as s:
        row = s._rows(
            "SELECT e.id FROM enterprises e WHERE e.deleted = 0 AND e.status = 'active' AND e.workforce_total >= 30 "
            "AND NOT EXISTS (SELECT 1 FROM organisations o WHERE o.enterprise_id = e.id) "
            "AND NOT EXISTS (SELECT 1 FROM visits v WHERE v.enterprise_id = e.id AND v.visit_date >= '2025-10-01') "
            "ORDER BY e.name LIMIT 1",
            (),
        )[0]
        e = s.get(Enterprise, row["id"])
    kb = Keyboard()
    _select(qtbot, window, kb, e.tax_code, e.id)
    # the union is founded: recorded on its form, by keyboard
    window.forms.edit_organisation(e.id, OrgKind.UNION)
    form = focused_form(qtbot, window, "OrganisationForm")
    form.widgets["status"].setCurrentIndex(form.widgets["status"].findData(OrgStatus.FOUNDED.value))
    form.widgets["decision_number"].setFocus()
    kb.type("12/QĐ-CĐP")
    kb.enter()
    kb.type("02/10/2025")
    kb.enter()
    kb.type("Liên đoàn Lao động phường Hoàn Kiếm")
    kb.enter()
    kb.type("9")  # founding members
    kb.shortcut(Qt.Key.Key_S)
    qtbot.waitUntil(lambda: form not in window.forms.open_forms, timeout=10000)
    wait_idle(qtbot, window)

    # 25 admitted since
    window.forms.new_admission(e.id)
    adm = focused_form(qtbot, window, "AdmissionForm")
    adm.widgets["kind"].setCurrentIndex(adm.widgets["kind"].findData(OrgKind.UNION.value))
    adm.widgets["admitted_on"].setFocus()
    kb.replace("01/11/2025")
    kb.enter()
    kb.replace("25")
    kb.shortcut(Qt.Key.Key_S)
    qtbot.waitUntil(lambda: adm not in window.forms.open_forms, timeout=10000)
    wait_idle(qtbot, window)

    # the detail panel shows the members today, and why
    panel = window.detail_panel
    qtbot.waitUntil(lambda: panel.detail is not None and len(panel.detail.admissions) == 1, timeout=10000)
    union_row = list(OrgKind).index(OrgKind.UNION)
    cell = panel.orgs.item(union_row, MEMBERS_COLUMN)
    assert cell.text() == "34"
    assert (
        cell.toolTip() == "Hiện có 34 đoàn viên công đoàn: 9 khi thành lập (02/10/2025) + 25 kết nạp từ đó."
    )

    # the next visit ticks the union and counts its members as known today
    window.activateWindow()
    window.list_panel.table.setFocus()
    kb.shortcut(Qt.Key.Key_K)
    visit = focused_form(qtbot, window, "VisitForm")
    assert visit.field_text("has_union") is True
    assert visit.field_text("union_members") == "34"
    assert visit.field_text("has_party") is False  # no Party organisation recorded
    # the organisation form says what it has now
    kb.press(Qt.Key.Key_Escape)
    window.forms.edit_organisation(e.id, OrgKind.UNION)
    org_form = focused_form(qtbot, window, "OrganisationForm")
    assert "Hiện có 34 đoàn viên công đoàn" in org_form.banner_text.text()
    # a recount (people left) is dated today as it is typed, and replaces what came before
    org_form.widgets["members"].setFocus()
    kb.type("30")
    assert org_form.field_text("members_counted_on") == "20/11/2025"
    kb.shortcut(Qt.Key.Key_S)
    qtbot.waitUntil(lambda: org_form not in window.forms.open_forms, timeout=10000)
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: panel.orgs.item(union_row, MEMBERS_COLUMN).text() == "30", timeout=10000)
    with open_store(data_dir) as s:
        (union,) = [o for o in s.children(Organisation, e.id) if o.kind == OrgKind.UNION]
    assert (union.founding_members, union.members, union.members_counted_on) == (9, 30, date(2025, 11, 20))
