"""Creating and editing enterprises by typing, with live validation and duplicate warnings."""

from __future__ import annotations

from PySide6.QtCore import Qt

from app.domain import taxcode
from app.domain.records import Enterprise
from tests.gui.conftest import focused_form, wait_idle
from tests.helpers.typing import Keyboard
from tests.helpers.vault import open_store


def valid_tax_code(first9: str) -> str:
    """A valid 10-digit tax code starting near ``first9`` (some prefixes have no check digit)."""
    n = int(first9)
    while (code := taxcode.make_valid(f"{n:09d}")) is None:
        n += 1
    return code


def _new_form(qtbot, window):
    window.actions.trigger("enterprise.new")
    return focused_form(qtbot, window, "EnterpriseForm")


def test_create_enterprise_by_typing(qtbot, window, data_dir):
    form = _new_form(qtbot, window)
    kb = Keyboard()
    assert Keyboard.focus() is form.widgets["name"]
    kb.type("Công ty TNHH Sản xuất Hương Thủy")
    kb.enter()  # Enter moves on
    kb.type("Hương Thủy")
    kb.enter()
    tax = valid_tax_code("010999888")
    kb.type(tax)
    kb.enter()
    assert Keyboard.focus() is form.widgets["legal_form"]
    kb.press(Qt.Key.Key_Down, times=2)  # — chưa chọn — → TNHH một thành viên → TNHH hai thành viên
    kb.tab(3)  # fdi, vsic, address
    kb.type("Số 12 Hàng Bạc")
    kb.enter()
    assert form.field_text("ward_code").startswith("Phường Hoàn Kiếm")  # pre-filled with the laptop's ward
    kb.tab(3)  # from the ward: phone, email, owner
    assert Keyboard.focus() is form.widgets["owner_name"]
    kb.type("Đặng Thị Ngọc Ánh")
    kb.tab(2)
    kb.type("2015")
    kb.tab()
    kb.type("1.250")  # vi-VN grouping accepted
    kb.tab()
    kb.type("700")
    assert not list(form.problems), form.problems
    kb.shortcut(Qt.Key.Key_S)
    qtbot.waitUntil(lambda: form not in window.forms.open_forms, timeout=10000)
    wait_idle(qtbot, window)
    with open_store(data_dir) as s:
        found = s.find_by_tax_code(tax)
        assert len(found) == 1
        e = found[0]
        hist = s.history("enterprises", e.id)
    assert e.name == "Công ty TNHH Sản xuất Hương Thủy"
    assert e.short_name == "Hương Thủy"
    assert e.legal_form.value == "llc2"
    assert e.address == "Số 12 Hàng Bạc"
    assert e.ward_code == "00070"
    assert e.owner_name == "Đặng Thị Ngọc Ánh"
    assert (e.year_founded, e.workforce_total, e.workforce_women) == (2015, 1250, 700)
    assert hist[0]["op"] == "create" and hist[0]["author"] == "Trần Văn Nam"
    # the list shows it when searched without diacritics
    window.list_panel.search.setText("huong thuy san xuat")
    qtbot.waitUntil(
        lambda: (
            window.list_panel.model.rowCount() == 1
            and window.list_panel.model.row_data(0)
            and window.list_panel.model.row_data(0)["id"] == e.id
        ),
        timeout=10000,
    )


def test_wrong_tax_code_is_refused_with_its_message(qtbot, window, data_dir):
    with open_store(data_dir) as s:
        before = s.counts()["enterprises"]
    form = _new_form(qtbot, window)
    kb = Keyboard()
    kb.type("Công ty Cổ phần Ánh Dương")
    kb.enter()
    kb.enter()
    good = valid_tax_code("010777666")
    wrong = good[:9] + str((int(good[9]) + 1) % 10)
    kb.type(wrong)
    error = form.errors["tax_code"]
    assert error.isVisible()
    expected = taxcode.parse(wrong).error
    assert expected and error.text() == expected
    assert "kiểm tra" in error.text().lower() or "chữ số" in error.text().lower()
    kb.shortcut(Qt.Key.Key_S)
    qtbot.wait(200)
    wait_idle(qtbot, window)
    assert form in window.forms.open_forms  # not saved, still open
    assert Keyboard.focus() is form.widgets["tax_code"]  # the cursor goes to what needs fixing
    assert "cần sửa" in form.status.text()
    with open_store(data_dir) as s:
        assert s.counts()["enterprises"] == before
    # fixing it clears the message and the save goes through
    kb.replace(good)
    assert not error.isVisible()
    kb.shortcut(Qt.Key.Key_S)
    qtbot.waitUntil(lambda: form not in window.forms.open_forms, timeout=10000)
    wait_idle(qtbot, window)
    with open_store(data_dir) as s:
        assert s.counts()["enterprises"] == before + 1


def test_more_women_than_workers_is_explained_beside_the_field(qtbot, window):
    form = _new_form(qtbot, window)
    form.widgets["workforce_total"].setFocus()
    kb = Keyboard()
    kb.type("10")
    form.widgets["workforce_women"].setFocus()
    kb.type("12")
    label = form.errors["workforce_women"]
    assert label.isVisible()
    assert label.text() == "Lao động nữ (12) không được lớn hơn tổng số lao động (10)."
    assert not form.errors["name"].isVisible()  # untouched fields stay quiet until a save attempt


def test_existing_tax_code_warns_and_offers_to_open_it(qtbot, window, data_dir):
    with open_store(data_dir) as s:
        existing = s._rows("SELECT id, name, tax_code FROM enterprises WHERE length(tax_code) = 10 LIMIT 1")[
            0
        ]
    form = _new_form(qtbot, window)
    kb = Keyboard()
    kb.type("Một tên khác hẳn")
    form.widgets["tax_code"].setFocus()
    kb.type(existing["tax_code"])
    qtbot.waitUntil(lambda: form.banner.isVisible(), timeout=10000)
    assert existing["name"] in form.banner_text.text()
    assert "Trùng mã số thuế" in form.banner_text.text()
    button = form.banner.findChildren(type(form.save_button))[0]
    assert "Mở doanh nghiệp đã có" in button.text()
    button.click()
    qtbot.waitUntil(lambda: form not in window.forms.open_forms, timeout=5000)
    qtbot.waitUntil(
        lambda: (
            window.detail_panel.detail is not None
            and window.detail_panel.detail.enterprise.id == existing["id"]
        ),
        timeout=10000,
    )


def test_edit_enterprise_shows_history_old_to_new(qtbot, window, data_dir):
    with open_store(data_dir) as s:
        e = s._rows("SELECT id, name, workforce_total FROM enterprises WHERE workforce_total > 30 LIMIT 1")[0]
    window.open_enterprise(e["id"])
    qtbot.waitUntil(
        lambda: window.selected_enterprise_id() == e["id"] or window.detail_panel.detail is not None,
        timeout=10000,
    )
    window.forms.edit_enterprise(e["id"])
    form = focused_form(qtbot, window, "EnterpriseForm")
    form.widgets["workforce_total"].setFocus()
    kb = Keyboard()
    kb.replace("1549")
    kb.shortcut(Qt.Key.Key_S)
    qtbot.waitUntil(lambda: form not in window.forms.open_forms, timeout=10000)
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: window.detail_panel.history.topLevelItemCount() >= 2, timeout=10000)
    top = window.detail_panel.history.topLevelItem(0)
    assert top.text(1) == "Trần Văn Nam"
    assert top.text(2) == "Sửa doanh nghiệp (tổng số lao động)"
    from app.domain.vnformat import format_int

    old = format_int(e["workforce_total"])
    assert top.child(0).text(2) == f"Tổng số lao động: {old} → 1.549"
    with open_store(data_dir) as s:
        assert s.get(Enterprise, e["id"]).workforce_total == 1549


def test_text_pasted_with_hidden_characters_is_cleaned_or_refused_beside_the_field(qtbot, window, data_dir):
    """The form door applies the domain's text rule: a zero-width space or a control character pasted from
    a web page is dropped on saving; a direction override is refused beside the field, naming where."""
    from PySide6.QtWidgets import QApplication

    with open_store(data_dir) as s:
        before = s.counts()["enterprises"]
    form = _new_form(qtbot, window)
    kb = Keyboard()

    def paste(text: str) -> None:
        QApplication.clipboard().setText(text)
        kb.shortcut(Qt.Key.Key_A)
        kb.shortcut(Qt.Key.Key_V)

    paste("Công ty \u202eABC")
    kb.enter()
    kb.enter()
    tax = valid_tax_code("010555444")
    kb.type(tax)
    kb.shortcut(Qt.Key.Key_S)
    qtbot.wait(200)
    wait_idle(qtbot, window)
    error = form.errors["name"]
    assert error.isVisible() and "đảo chiều" in error.text() and "vị trí 9" in error.text(), error.text()
    assert "\u202e" not in error.text() and form in window.forms.open_forms
    with open_store(data_dir) as s:
        assert s.counts()["enterprises"] == before
    form.widgets["name"].setFocus()
    paste("Công\u200b ty\x07 Bình Minh")
    assert not error.isVisible()
    kb.shortcut(Qt.Key.Key_S)
    qtbot.waitUntil(lambda: form not in window.forms.open_forms, timeout=10000)
    wait_idle(qtbot, window)
    with open_store(data_dir) as s:
        [e] = s.find_by_tax_code(tax)
    assert e.name == "Công ty Bình Minh"
