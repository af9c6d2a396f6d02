"""A whole visit typed back from the paper form without touching the mouse; keystrokes counted."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt

from app.domain.records import Enterprise, Visit
from app.domain.vocab import Attitude
from app.services.records import save_enterprise
from tests.gui.conftest import focused_form, wait_idle
from tests.gui.test_enterprise_form import valid_tax_code
from tests.helpers.typing import Keyboard
from tests.helpers.vault import open_store

CTRL = Qt.KeyboardModifier.ControlModifier


def _add_enterprise(data_dir, name: str) -> Enterprise:
    with open_store(data_dir) as s:
        return save_enterprise(
            s,
            Enterprise(
                name=name, tax_code=valid_tax_code("010555444"), ward_code="00070", workforce_total=80
            ),
        ).record


def _find_and_select(qtbot, window, kb: Keyboard, text: str, enterprise_id: str) -> None:
    kb.shortcut(Qt.Key.Key_F)  # Ctrl+F: the search box
    assert Keyboard.focus() is window.list_panel.search
    kb.type(text)
    qtbot.waitUntil(
        lambda: window.list_panel.model.rowCount() == 1 and window.list_panel.model.row_data(0) is not None,
        timeout=10000,
    )
    kb.enter()  # Enter: into the list, first row selected
    qtbot.waitUntil(lambda: window.selected_enterprise_id() == enterprise_id, timeout=10000)


def test_visit_typed_keyboard_only(qtbot, window, data_dir, record_property):
    e = _add_enterprise(data_dir, "Công ty TNHH Dệt may Phú Đông")
    window.notify_data_changed()
    wait_idle(qtbot, window)
    kb = Keyboard()
    _find_and_select(qtbot, window, kb, "det may phu dong", e.id)
    kb.shortcut(Qt.Key.Key_K)  # Ctrl+K: new visit
    form = focused_form(qtbot, window, "VisitForm")
    assert Keyboard.focus() is form.widgets["visit_date"]
    assert form.field_text("collaborator") == "Trần Văn Nam"  # this laptop's collaborator, pre-filled

    start, typed_start = kb.count, kb.typed
    kb.type("15/11/2025")
    kb.enter()  # Ngày khảo sát (the date is selected on entry: typing replaces it)
    kb.enter()  # Cộng tác viên: keep
    kb.type("Lê Thị Thu Hà")
    kb.enter()  # Người tiếp làm việc
    kb.type("Phó giám đốc")
    kb.enter()  # Chức vụ
    # workforce, Party members, the pool of candidates (followed, trained, applied, admitted this year),
    # the members of the other organisations
    for value in ("120", "85", "60", "3", "2", "1", "6", "4", "2", "1", "40", "25", "30", "2"):
        kb.type(value)
        kb.enter()
    assert Keyboard.focus() is form.widgets["has_party"]
    kb.press(Qt.Key.Key_Space)
    kb.enter()  # Đã có tổ chức đảng: yes
    kb.enter()  # công đoàn: no
    kb.press(Qt.Key.Key_Space)
    kb.enter()  # đoàn thanh niên: yes
    kb.enter()
    kb.enter()  # phụ nữ, CCB: no
    assert Keyboard.focus() is form.widgets["attitude"]
    kb.press(Qt.Key.Key_Down, times=2)
    kb.enter()  # Thái độ: Chưa quyết định
    kb.type("Chủ doanh nghiệp bận, ít có mặt")
    kb.enter()
    kb.type("Hỗ trợ tài liệu về thủ tục thành lập công đoàn")
    kb.enter()
    kb.type("Gặp giám đốc để vận động thành lập công đoàn cơ sở")
    kb.enter()
    kb.type("15/12/2025")  # Hẹn lần sau
    assert not form.problems, form.problems
    kb.shortcut(Qt.Key.Key_S)  # Ctrl+S
    keystrokes = kb.count - start
    navigation = keystrokes - (kb.typed - typed_start)
    qtbot.waitUntil(lambda: form not in window.forms.open_forms, timeout=10000)
    wait_idle(qtbot, window)

    with open_store(data_dir) as s:
        visits = s.children(Visit, e.id)
    assert len(visits) == 1
    v = visits[0]
    assert v.visit_date == date(2025, 11, 15) and v.next_visit_date == date(2025, 12, 15)
    assert (v.collaborator, v.person_met, v.person_met_title) == (
        "Trần Văn Nam",
        "Lê Thị Thu Hà",
        "Phó giám đốc",
    )
    assert (v.workforce_total, v.workforce_women, v.workforce_under30) == (120, 85, 60)
    assert (v.party_total, v.party_official, v.party_probationary) == (3, 2, 1)
    assert (v.candidates_identified, v.candidates_trained, v.candidates_applied, v.candidates_admitted) == (
        6,
        4,
        2,
        1,
    )
    assert (v.union_members, v.youth_members, v.women_members, v.veterans_members) == (40, 25, 30, 2)
    assert (v.has_party, v.has_union, v.has_youth, v.has_women, v.has_veterans) == (
        True,
        False,
        True,
        False,
        False,
    )
    assert v.attitude == Attitude.UNDECIDED
    assert v.next_step == "Gặp giám đốc để vận động thành lập công đoàn cơ sở"
    # Keystrokes for a full paper form, Vietnamese letters counted as Telex keys (ễ = e e x).
    record_property("visit_keystrokes_full", keystrokes)
    record_property("visit_keystrokes_navigation", navigation)
    print(f"\nkeystrokes for a full visit: {keystrokes}, of which {navigation} to move, choose and save")
    # one Enter per box (28 boxes, the last needs none), 2 Space for ticks, 2 arrows for the attitude, Ctrl+S
    assert navigation == 27 + 2 + 2 + 1

    # The next visit (Ctrl+K again) is pre-filled from this one: only what changed is typed.
    qtbot.waitUntil(lambda: window.selected_enterprise_id() == e.id, timeout=5000)
    window.list_panel.table.setFocus()
    kb.shortcut(Qt.Key.Key_K)
    form2 = focused_form(qtbot, window, "VisitForm")
    assert form2 is not form
    assert form2.field_text("person_met") == "Lê Thị Thu Hà"
    assert form2.field_text("workforce_total") == "120"
    assert form2.widgets["has_party"].isChecked() and not form2.widgets["has_union"].isChecked()
    assert form2.field_text("attitude") == Attitude.UNDECIDED.value
    assert form2.field_text("difficulties") == "" and form2.field_text("next_visit_date") == ""
    start = kb.count
    kb.type("20/11/2025")
    kb.enter()
    for _ in range(3):
        kb.enter()
    kb.type("125")
    kb.enter()  # workforce grew
    for _ in range(5 + 4):  # women, under 30, Party members, the pool of candidates
        kb.enter()
    kb.type("46")  # union members now
    kb.shortcut(Qt.Key.Key_S)
    second = kb.count - start
    qtbot.waitUntil(lambda: form2 not in window.forms.open_forms, timeout=10000)
    wait_idle(qtbot, window)
    record_property("visit_keystrokes_prefilled", second)
    print(f"keystrokes for a follow-up visit with two changes: {second}")
    with open_store(data_dir) as s:
        latest = s.children(Visit, e.id, "visit_date DESC")[0]
    assert latest.visit_date == date(2025, 11, 20)
    assert (latest.workforce_total, latest.union_members, latest.party_total) == (125, 46, 3)
    assert latest.difficulties is None


def test_ctrl_n_saves_and_starts_the_next_visit(qtbot, window, data_dir):
    e = _add_enterprise(data_dir, "Hợp tác xã Nông nghiệp Đông Anh")
    window.forms.new_visit(e.id)
    form = focused_form(qtbot, window, "VisitForm")
    kb = Keyboard()
    kb.type("10/11/2025")
    kb.enter()
    kb.enter()
    kb.type("Phạm Văn Đức")
    kb.shortcut(Qt.Key.Key_N)  # Ctrl+N
    qtbot.waitUntil(
        lambda: (
            form not in window.forms.open_forms
            and any(type(f).__name__ == "VisitForm" for f in window.forms.open_forms)
        ),
        timeout=10000,
    )
    nxt = focused_form(qtbot, window, "VisitForm")
    assert nxt.field_text("person_met") == "Phạm Văn Đức"
    with open_store(data_dir) as s:
        assert len(s.children(Visit, e.id)) == 1


def test_visit_with_party_sum_mismatch_is_refused(qtbot, window, data_dir):
    e = _add_enterprise(data_dir, "Công ty Cổ phần Gạch men Tân Phú")
    window.forms.new_visit(e.id)
    form = focused_form(qtbot, window, "VisitForm")
    kb = Keyboard()
    form.widgets["party_total"].setFocus()
    kb.type("5")
    kb.enter()
    kb.type("2")
    kb.enter()
    kb.type("1")
    kb.shortcut(Qt.Key.Key_S)
    qtbot.wait(100)
    assert form in window.forms.open_forms
    msg = form.errors["party_total"]
    assert msg.isVisible()
    assert (
        msg.text()
        == "Đảng viên chính thức (2) + dự bị (1) = 3, nhưng tổng số đảng viên là 5. Hãy sửa cho khớp."
    )
    with open_store(data_dir) as s:
        assert s.children(Visit, e.id) == []


def test_tab_order_is_the_printed_form_order(qtbot, window, data_dir):
    """Tab (and Enter) walk the boxes in the order of the printed visit form (app.printing.visit_form)."""
    from app.printing.visit_form import form_fields

    e = _add_enterprise(data_dir, "Công ty TNHH In ấn Hà Thành")
    window.forms.new_visit(e.id)
    form = focused_form(qtbot, window, "VisitForm")
    by_widget = {w: name for name, w in form.widgets.items()}
    kb = Keyboard()
    walked = [by_widget[Keyboard.focus()]]
    for _ in range(len(form.widgets) - 1):
        kb.tab()
        walked.append(by_widget[Keyboard.focus()])
    assert walked == form_fields()
