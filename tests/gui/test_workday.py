"""A day at the ward and at the office, played through the real windows by keyboard (issue 14).

The collaborator's day: first run (the wizard, typed without diacritics), a look around in practice mode
and out of it with one action, the ward's list imported with its old addresses, a new enterprise, a visit
typed from the paper form, the union founded and members admitted, the next visit pre-filled, the week's
forms printed, the office registered (fingerprint compared) and the first bundle exported to the stick.
The office's day is in ``test_offices_day`` below. After each step the test reads what the database holds.

Vietnamese is typed as a person's input method delivers it (tests/helpers/typing.py); dates are pinned to
TEST_TODAY.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from openpyxl import Workbook
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMenu, QWizard

from app.domain.records import Admission, Enterprise, Organisation, Visit
from app.domain.vocab import OrgKind, OrgStatus, Role
from app.gui.enterprises.detail_panel import MEMBERS_COLUMN
from app.sync import keys as K
from tests.conftest import TEST_TODAY
from tests.gui.conftest import answer_unlock, close_window, flush_deletes, focused_form, wait_idle
from tests.gui.test_enterprise_form import valid_tax_code
from tests.helpers.keys import check_alt_keys
from tests.helpers.screens import fits, place, shot
from tests.helpers.typing import Keyboard
from tests.helpers.vault import open_practice_store, open_store
from tests.sync.conftest import make_machine

CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier
ALT = Qt.KeyboardModifier.AltModifier


def _key(letter: str) -> Qt.Key:
    return getattr(Qt.Key, f"Key_{letter.upper()}")


def _ready(qtbot, window) -> None:
    window.forms.today = TEST_TODAY
    place(window)
    qtbot.waitUntil(
        lambda: window.list_panel.model.loaded_once and window.list_panel.model.exact, timeout=20000
    )
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)
    wait_idle(qtbot, window)


def _back_to(qtbot, window, widget=None) -> None:
    """The main window active again after a dialog closed, the keyboard in ``widget`` (default: the list)."""
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)
    (widget or window.list_panel.table).setFocus()
    qtbot.waitUntil(lambda: Keyboard.focus() is (widget or window.list_panel.table), timeout=5000)


def _active(qtbot, window) -> None:
    """The main window active again, the keyboard where it was in it."""
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)
    if QApplication.focusWidget() is None:
        window.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not None, timeout=5000)


def _menu(qtbot, kb: Keyboard, window, menu: str, item: str, opens: str = "sync"):
    """From the list, open a menu of the menu bar by its Alt key and choose an item by its underlined
    letter; the dialog it opens (``window.<opens>.dialog``), with the keyboard in it."""
    before = getattr(window, opens).dialog
    _active(qtbot, window)
    kb.press(_key(menu), ALT)
    qtbot.waitUntil(lambda: isinstance(QApplication.activePopupWidget(), QMenu), timeout=5000)
    kb.press(_key(item), widget=QApplication.activePopupWidget())
    qtbot.waitUntil(lambda: getattr(window, opens).dialog is not before, timeout=10000)
    dialog = getattr(window, opens).dialog
    _in(qtbot, dialog)
    return dialog


def _shortcut(qtbot, kb: Keyboard, window, key: Qt.Key, modifiers, opens: str = "sync"):
    """A shortcut from the list; the dialog it opens, with the keyboard in it."""
    before = getattr(window, opens).dialog
    _active(qtbot, window)
    kb.shortcut(key, modifiers)
    qtbot.waitUntil(lambda: getattr(window, opens).dialog is not before, timeout=10000)
    dialog = getattr(window, opens).dialog
    _in(qtbot, dialog)
    return dialog


def _first_row(qtbot, kb: Keyboard, table, down: int = 0) -> None:
    """The keyboard in a table: Home, then Down to the row wanted, selected."""
    table.setFocus()  # Tab until the table has it
    qtbot.waitUntil(lambda: Keyboard.focus() is table, timeout=5000)
    kb.press(Qt.Key.Key_Home)
    kb.press(Qt.Key.Key_Down, times=down)
    if not table.selectionModel().selectedRows():  # it was the current row already: Space selects it
        kb.press(Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: [i.row() for i in table.selectionModel().selectedRows()] == [down], timeout=5000)


def _in(qtbot, dialog) -> None:
    """A dialog just opened has the keyboard, and every Alt key in it does one thing."""
    qtbot.waitExposed(dialog)
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow, timeout=5000)
    check_alt_keys(dialog)


def _alt(kb: Keyboard, letter: str) -> None:
    """Alt and the underlined letter of a button, in the window that has the keyboard."""
    kb.press(_key(letter), ALT)


def _answer(qtbot, kb: Keyboard, parent, name: str, letter: str) -> None:
    """A question box: its answer chosen by the answer's underlined letter."""
    from PySide6.QtWidgets import QMessageBox

    qtbot.waitUntil(lambda: parent.findChild(QMessageBox, name) is not None, timeout=5000)
    box = parent.findChild(QMessageBox, name)
    qtbot.waitUntil(box.isVisible, timeout=5000)
    box.activateWindow()
    qtbot.waitUntil(box.isActiveWindow, timeout=5000)
    check_alt_keys(box)
    _alt(kb, letter)


def _replaced(qtbot, window, trigger) -> object:
    """Do ``trigger()``; the main window that takes ``window``'s place (practice mode in or out)."""
    new: list = []
    window.sig_replaced.connect(new.append)
    trigger()
    qtbot.waitUntil(lambda: bool(new), timeout=60000)
    _ready(qtbot, new[0])
    return new[0]


def _old_address_list(path: Path) -> Path:
    """The ward's list as offices still send it: addresses with the pre-2025 ward and district."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Danh sách"
    ws.append(["STT", "Tên doanh nghiệp", "Mã số thuế", "Địa chỉ", "Số lao động"])
    ws.append(
        [
            1,
            "Công ty TNHH Mây tre Hàng Đào",
            valid_tax_code("010111222"),
            "5 Hàng Đào, Phường Hàng Đào, Quận Hoàn Kiếm, Hà Nội",
            45,
        ]
    )
    ws.append(
        [
            2,
            "Công ty Cổ phần Bạc Hàng Bạc",
            valid_tax_code("010111333"),
            "21 Hàng Bạc, P. Hàng Bạc, Q. Hoàn Kiếm",
            30,
        ]
    )
    ws.append(
        [
            3,
            "Công ty TNHH Sách Tràng Tiền",
            valid_tax_code("010111444"),
            "8 Tràng Tiền, Phường Tràng Tiền, Quận Hoàn Kiếm",
            22,
        ]
    )
    wb.save(path)
    return path


def _import_list(qtbot, window, src: Path) -> None:
    window.actions.trigger("import.list")
    wizard = window.importing.wizard
    qtbot.waitExposed(wizard)
    qtbot.keyClicks(wizard.path_edit, str(src))  # an ASCII path, as typed or chosen
    qtbot.keyClick(wizard.path_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: wizard.step in ("sheet", "mapping") and not wizard.busy, timeout=20000)
    if wizard.step == "sheet":
        wizard.next_button.click()
        qtbot.waitUntil(lambda: wizard.step == "mapping" and not wizard.busy, timeout=20000)
    assert set(wizard.current_mapping().values()) >= {"name", "tax_code", "address"}
    wizard.next_button.click()
    qtbot.waitUntil(lambda: wizard.step == "preview" and not wizard.busy, timeout=30000)
    rows = {r.enterprise.name: r for r in wizard.preview.rows}
    placed = rows["Công ty TNHH Mây tre Hàng Đào"]
    assert placed.enterprise.ward_code == "00070"
    assert "Phường Hàng Đào, Quận Hoàn Kiếm → nay thuộc Phường Hoàn Kiếm" in " ".join(placed.warnings)
    split = rows["Công ty TNHH Sách Tràng Tiền"]
    assert "nay được chia cho nhiều phường, xã" in split.reason and "Phường Cửa Nam" in split.reason
    assert fits(wizard), wizard.size()
    shot(wizard, "day1-04-import-old-addresses")
    wizard.import_button.click()  # import what is placed; the split ward's row waits for a person
    qtbot.waitUntil(lambda: wizard.step == "result" and not wizard.busy, timeout=30000)
    wizard.close()
    wait_idle(qtbot, window)


def test_collaborators_day(qtbot, tmp_path, monkeypatch):
    import os

    from app.gui.application import Launcher

    # a ward collaborator's older laptop: 1024x768 (the office's day plays on 1366x768; the screenshot
    # script plays both days on both)
    monkeypatch.setenv("KHAOSAT_SCREEN", os.environ.get("KHAOSAT_SCREEN", "1024x768"))

    folder = tmp_path / "may-hang"
    stick = tmp_path / "usb"
    stick.mkdir()
    office = make_machine(tmp_path, "Đảng ủy phường Hoàn Kiếm", "00070", Role.WARD_OFFICE)
    office_key = office.pubkey(stick)
    office_fingerprint = K.read_pubkey_file(office_key.read_bytes()).fingerprint
    kb = Keyboard()
    windows: list = []
    launcher = Launcher(folder, offer_drafts=False)
    try:
        # --- first run: the wizard, typed without diacritics -------------------------------------------
        launcher.start()
        answer_unlock(qtbot, launcher)  # a new laptop: the passphrase is chosen, typed twice
        qtbot.waitUntil(lambda: launcher.wizard is not None and launcher.wizard.isVisible(), timeout=20000)
        wizard = launcher.wizard
        wizard.activateWindow()
        qtbot.waitUntil(wizard.isActiveWindow, timeout=5000)
        wizard.unit_page.province_search.setFocus()
        kb.type("ha noi")
        kb.enter()
        kb.type("hoan kiem")
        assert wizard.unit_page.ward_code() == "00070"
        assert fits(wizard)
        shot(wizard, "day1-01-wizard")
        wizard.next()
        wizard.person_page.name.setFocus()
        kb.type("Nguyễn Thị Hằng")
        assert wizard.person_page.role_value() == Role.COLLABORATOR
        wizard.next()
        wizard.next()  # keys without a passphrase
        wizard.demo_page.enabled.setFocus()
        kb.press(Qt.Key.Key_Space)  # practise first, on demo data
        wizard.demo_page.count.setValue(30)
        wizard.button(QWizard.WizardButton.FinishButton).click()
        qtbot.waitUntil(lambda: launcher.window is not None, timeout=60000)
        practice = launcher.window
        windows.append(practice)
        _ready(qtbot, practice)
        with open_store(folder) as s:
            assert s.profile().collaborator == "Nguyễn Thị Hằng" and s.profile().unit_code == "00070"
            assert s.counts()["enterprises"] == 0 and not s.is_practice
        with open_practice_store(folder) as s:
            assert s.counts()["enterprises"] == 30 and s.is_practice
        assert (folder / "khaosat-keys.json").exists()

        # --- practice mode: plainly marked, nothing leaves it; one action back ----------------------------
        assert practice.practice_band.isVisible() and "TẬP DƯỢT" in practice.windowTitle()
        shot(practice, "day1-02-practice")
        practice.actions.trigger("sync.export")
        export = practice.sync.dialog
        qtbot.waitUntil(lambda: "dữ liệu tập dượt" in export.preview.text(), timeout=10000)
        wait_idle(qtbot, practice)
        shot(export, "day1-03-practice-export-refused")
        export.close()
        _back_to(qtbot, practice)
        real = _replaced(qtbot, practice, lambda: kb.shortcut(Qt.Key.Key_Q, CTRL | SHIFT))
        windows.append(real)
        assert real.practice_band is None and real.list_panel.model.rowCount() == 0
        assert launcher.window is real

        # --- the ward's list, written with pre-2025 addresses --------------------------------------------
        _import_list(qtbot, real, _old_address_list(tmp_path / "danh-sach-phuong.xlsx"))
        with open_store(folder) as s:
            wards = dict(
                s.conn.execute("SELECT name, ward_code FROM enterprises WHERE deleted = 0").fetchall()
            )
        assert wards == {"Công ty TNHH Mây tre Hàng Đào": "00070", "Công ty Cổ phần Bạc Hàng Bạc": "00070"}

        # --- a new enterprise, typed; it becomes the selected one -------------------------------------
        _back_to(qtbot, real, real.list_panel.search)
        kb.shortcut(Qt.Key.Key_N)
        form = focused_form(qtbot, real, "EnterpriseForm")
        kb.type("Công ty TNHH Dệt may Hồng Hà")
        kb.enter()
        kb.type("Hồng Hà Textile")
        kb.enter()
        tax = valid_tax_code("010222555")
        kb.type(tax)
        kb.enter()
        kb.press(Qt.Key.Key_Down, times=2)  # TNHH hai thành viên trở lên
        kb.tab(3)
        kb.type("12 Hàng Bài")
        kb.enter()
        kb.tab(3)
        kb.type("Phạm Thị Thu")
        kb.tab(2)
        kb.type("2012")
        kb.tab()
        kb.type("120")
        assert fits(form)
        shot(form, "day1-05-enterprise-form")
        kb.shortcut(Qt.Key.Key_S)
        qtbot.waitUntil(lambda: form not in real.forms.open_forms, timeout=10000)
        with open_store(folder) as s:
            (e,) = s.find_by_tax_code(tax)
        assert (e.name, e.owner_name, e.workforce_total, e.ward_code) == (
            "Công ty TNHH Dệt may Hồng Hà",
            "Phạm Thị Thu",
            120,
            "00070",
        )
        qtbot.waitUntil(lambda: real.selected_enterprise_id() == e.id, timeout=10000)
        wait_idle(qtbot, real)
        shot(real, "day1-06-saved-and-selected")

        # --- the visit, typed back from the paper form --------------------------------------------------
        _back_to(qtbot, real)
        kb.shortcut(Qt.Key.Key_K)
        visit = focused_form(qtbot, real, "VisitForm")
        assert "Công ty TNHH Dệt may Hồng Hà" in visit.windowTitle() and tax in visit.windowTitle()
        kb.type("18/11/2025")
        kb.enter(2)  # the date; the collaborator (pre-filled)
        kb.type("Phạm Thị Thu")
        kb.enter()
        kb.type("Giám đốc")
        kb.enter()
        for value in ("120", "80", "70", "2", "2", "0"):
            kb.type(value)
            kb.enter()
        kb.enter(4)  # the pool of candidates for the Party: none counted yet
        for value in ("60", "15", "40", "1"):
            kb.type(value)
            kb.enter()
        kb.enter(5)  # no organisation yet
        kb.press(Qt.Key.Key_Down)  # Đồng tình
        kb.enter()
        kb.type("Doanh nghiệp mới chuyển về, chưa có công đoàn")
        kb.enter()
        kb.type("Đề nghị phường hỗ trợ thủ tục")
        kb.enter()
        kb.type("Họp người lao động, lập ban vận động công đoàn")
        kb.enter()
        kb.type("15/1/26")  # two-digit year: 2026
        kb.tab()  # leaving the box shows the date as read
        assert visit.field_text("next_visit_date") == "15/01/2026"
        assert fits(visit)
        shot(visit, "day1-07-visit-form")
        kb.shortcut(Qt.Key.Key_S)
        qtbot.waitUntil(lambda: visit not in real.forms.open_forms, timeout=10000)
        with open_store(folder) as s:
            (v,) = s.children(Visit, e.id)
        assert (v.visit_date, v.next_visit_date, v.union_members, v.person_met) == (
            date(2025, 11, 18),
            date(2026, 1, 15),
            60,
            "Phạm Thị Thu",
        )
        wait_idle(qtbot, real)

        # --- the union is founded (Ctrl+T, 2), 12 members admitted (Ctrl+J) -------------------------------
        _back_to(qtbot, real)
        kb.shortcut(Qt.Key.Key_T)
        qtbot.waitUntil(lambda: real.findChild(QMenu, "choose_kind_menu") is not None, timeout=5000)
        menu = real.findChild(QMenu, "choose_kind_menu")
        qtbot.waitUntil(menu.isVisible, timeout=5000)
        kb.press(Qt.Key.Key_2, widget=menu)
        org = focused_form(qtbot, real, "OrganisationForm")
        assert org.windowTitle().startswith("Công đoàn cơ sở — Công ty TNHH Dệt may Hồng Hà")
        kb.press(Qt.Key.Key_Down, times=2)  # Đã thành lập
        kb.enter(2)
        kb.type("07/QĐ-LĐLĐ")
        kb.enter()
        kb.type("19/11/2025")
        kb.enter()
        kb.type("Liên đoàn Lao động phường Hoàn Kiếm")
        kb.enter()
        kb.type("9")
        kb.enter()
        kb.type("Phạm Văn Long")
        shot(org, "day1-08-union-founded")
        kb.shortcut(Qt.Key.Key_S)
        qtbot.waitUntil(lambda: org not in real.forms.open_forms, timeout=10000)
        with open_store(folder) as s:
            (union,) = s.children(Organisation, e.id)
        assert (union.kind, union.status, union.founding_members) == (OrgKind.UNION, OrgStatus.FOUNDED, 9)
        wait_idle(qtbot, real)
        _back_to(qtbot, real)
        kb.shortcut(Qt.Key.Key_J)
        adm = focused_form(qtbot, real, "AdmissionForm")
        kb.press(Qt.Key.Key_Down)  # Công đoàn cơ sở
        kb.enter()
        kb.enter()  # today
        kb.replace("12")
        kb.shortcut(Qt.Key.Key_S)
        qtbot.waitUntil(lambda: adm not in real.forms.open_forms, timeout=10000)
        with open_store(folder) as s:
            (a,) = s.children(Admission, e.id)
        assert (a.kind, a.count, a.admitted_on) == (OrgKind.UNION, 12, TEST_TODAY)
        wait_idle(qtbot, real)
        union_row = list(OrgKind).index(OrgKind.UNION)
        qtbot.waitUntil(
            lambda: real.detail_panel.orgs.item(union_row, MEMBERS_COLUMN).text() == "21", timeout=10000
        )
        real.detail_panel.tabs.setCurrentWidget(real.detail_panel.orgs_page)
        shot(real, "day1-09-members-follow-admissions")

        # --- the next visit knows the union and its members ------------------------------------------
        _back_to(qtbot, real)
        kb.shortcut(Qt.Key.Key_K)
        again = focused_form(qtbot, real, "VisitForm")
        assert again.field_text("has_union") is True and again.field_text("union_members") == "21"
        shot(again, "day1-10-next-visit-prefilled")
        kb.press(Qt.Key.Key_Escape)
        qtbot.waitUntil(lambda: again not in real.forms.open_forms, timeout=5000)

        # --- the forms for the next round of visits, with the page count first ---------------------------
        opened: list = []
        real.printing.opener = opened.append
        real.printing.today = lambda: TEST_TODAY
        batch = _menu(qtbot, kb, real, "i", "n", opens="printing")  # &In ấn ▸ In phiếu cho &nhiều…
        qtbot.waitUntil(lambda: batch.pages == 2, timeout=10000)  # the two listed, never visited
        assert (
            "Sẽ in 4 trang (2 doanh nghiệp, mỗi doanh nghiệp 2 trang)" in batch.count.text()
        )  # with mark sheets
        shot(batch, "day1-11-print-batch")
        _alt(kb, "i")  # «&In»
        qtbot.waitUntil(lambda: len(opened) == 1, timeout=30000)
        wait_idle(qtbot, real)

        # --- the office: registered with the fingerprint compared, then the first bundle ------------------
        _back_to(qtbot, real)
        export = _shortcut(qtbot, kb, real, Qt.Key.Key_E, CTRL)
        qtbot.waitUntil(
            lambda: export.remedy_button is not None and export.remedy_button.isVisible(), timeout=10000
        )
        assert "Chưa đăng ký cơ quan nhận" in export.preview.text()
        check_alt_keys(export)
        shot(export, "day1-12-export-no-office")
        _alt(kb, "k")  # «Mở «&Khóa và máy đã đăng ký»»
        qtbot.waitUntil(lambda: type(real.sync.dialog).__name__ == "MachinesDialog", timeout=10000)
        machines = real.sync.dialog
        _in(qtbot, machines)
        qtbot.waitUntil(lambda: "Dấu vân tay" in machines.own.text(), timeout=10000)
        machines.read_key_file(str(office_key))  # chosen in the file dialog
        qtbot.waitUntil(machines.pending_box.isVisible, timeout=10000)
        assert office_fingerprint in machines.pending_text.text()  # read aloud, compared with the paper
        assert machines.is_office.isChecked()
        assert fits(machines)
        check_alt_keys(machines)
        shot(machines, "day1-13-register-office")
        _alt(kb, "d")  # «&Dấu vân tay khớp với giấy: đăng ký»
        qtbot.waitUntil(lambda: machines.status.text().startswith("Đã"), timeout=10000)
        assert "Đảng ủy phường Hoàn Kiếm" in machines.status.text(), machines.status.text()
        wait_idle(qtbot, real)
        machines.write_public_key(str(stick))  # this laptop's key, for the office to register
        qtbot.waitUntil(lambda: "Đã ghi tệp khóa công khai" in machines.status.text(), timeout=10000)
        my_key = Path(machines.status.text().split(": ", 1)[1].strip())
        wait_idle(qtbot, real)
        kb.press(Qt.Key.Key_Escape, widget=machines)
        qtbot.waitUntil(lambda: not machines.isVisible(), timeout=5000)
        _back_to(qtbot, real)
        export = _shortcut(qtbot, kb, real, Qt.Key.Key_E, CTRL)
        qtbot.waitUntil(lambda: "Gửi" in export.preview.text(), timeout=20000)
        export.set_folder(str(stick))  # the stick, chosen in the list of drives
        _alt(kb, "x")  # «&Xuất gói»
        qtbot.waitUntil(lambda: getattr(export, "results", None) is not None, timeout=60000)
        [sent] = export.results
        wait_idle(qtbot, real)
        shot(export, "day1-14-exported")
        export.close()
        with open_store(folder) as s:
            assert s.conn.execute("SELECT count(*) FROM sync_exports").fetchone()[0] == 1
        # the status bar carries the fingerprint the office compares
        my_fingerprint = K.read_pubkey_file(my_key.read_bytes()).fingerprint
        assert f"Vân tay khóa: {my_fingerprint}" in real.findChild(object, "status_unit").text()
        status = real.statusBar()
        assert status.isVisible() and status.geometry().bottom() < real.height()  # on the screen
        shot(real, "day1-15-main-window")
    finally:
        for w in [*windows, launcher.window]:
            if w is not None:
                close_window(qtbot, w)
        launcher.tasks.wait(10000)
        flush_deletes()

    # the office registers the laptop and receives its real enterprises, and none of the practice ones
    from app.sync import registry as R

    R.register(office.store, K.read_pubkey_file(my_key.read_bytes()))
    r = office.import_ok(sent.path)
    names = {row[0] for row in office.store.conn.execute("SELECT name FROM enterprises WHERE deleted = 0")}
    assert names == {
        "Công ty TNHH Mây tre Hàng Đào",
        "Công ty Cổ phần Bạc Hàng Bạc",
        "Công ty TNHH Dệt may Hồng Hà",
    }
    assert r.report.new > 3
    office.store.close()


def _office_setup(tmp_path, data_dir):
    """Before the day: the ward office (the demo ward, with keys), the province above it, laptop B that
    sent its first bundle last week; laptop A is new (its key comes today, with its paper form)."""
    from app.sync import bundles as B
    from app.sync import registry as R

    stick = tmp_path / "usb"
    stick.mkdir()
    with open_store(data_dir) as s:
        R.ensure_keys(s)
        ward_doc = K.read_pubkey_file(K.pubkey_file(R.own_pubkey_doc(s, R.load_keys(s))))
    a = make_machine(tmp_path, "Nguyễn Thị Hằng", "00070", Role.COLLABORATOR)
    b = make_machine(tmp_path, "Lê Thị Thu", "00070", Role.COLLABORATOR)
    d = make_machine(tmp_path, "Máy lạ", "00070", Role.COLLABORATOR)  # never registered here
    province = make_machine(tmp_path, "Ban Tổ chức Thành ủy", "01", Role.PROVINCE_OFFICE)
    with open_store(data_dir) as s:
        R.register(s, K.read_pubkey_file(b.pubkey(tmp_path).read_bytes()))
        R.register(s, K.read_pubkey_file(province.pubkey(tmp_path).read_bytes()), destination=True)
    for lower in (a, b, d):
        R.register(lower.store, ward_doc, destination=True)
    R.register(province.store, ward_doc)
    z = Enterprise(
        name="Công ty TNHH Cơ khí Đông Xuân", tax_code=valid_tax_code("010444555"), ward_code="00070"
    )
    with b.store.write() as w:
        w.create(z)
    with open_store(data_dir) as s:  # last week: B's first bundle, and its receipt back to B
        r = B.import_file(s, R.load_keys(s), b.export(tmp_path))
        B.import_file(b.store, b.ident, r.receipt)
    return stick, a, b, d, province, z


def test_offices_day(qtbot, tmp_path, data_dir):
    import shutil
    import time

    from PySide6.QtWidgets import QMessageBox

    from app.domain.vocab import TargetMetric
    from app.sync import bundles as B
    from app.sync import registry as R
    from tests.gui.conftest import open_window
    from tests.printing.pdftools import pdftotext

    stick, a, b, d, province, z = _office_setup(tmp_path, data_dir)
    kb = Keyboard()
    window = open_window(qtbot, data_dir)
    try:
        place(window)
        _ready(qtbot, window)

        # --- a new laptop registered: its key file, its fingerprint read against the paper form ------------
        a_key = a.pubkey(stick)
        check_alt_keys(window)
        machines = _menu(qtbot, kb, window, "b", "k")  # Đồng &bộ ▸ &Khóa và máy đã đăng ký
        qtbot.waitUntil(lambda: machines.table.rowCount() == 2, timeout=10000)
        machines.read_key_file(str(a_key))  # Đăng &ký máy từ tệp khóa…: the file chosen in its dialog
        qtbot.waitUntil(machines.pending_box.isVisible, timeout=10000)
        assert a.ident.current.fingerprint in machines.pending_text.text()
        assert not machines.is_office.isChecked()  # a collaborator's laptop, below this office
        check_alt_keys(machines)
        shot(machines, "day2-01-register-laptop")
        _alt(kb, "d")  # «&Dấu vân tay khớp với giấy: đăng ký»
        qtbot.waitUntil(lambda: machines.table.rowCount() == 3, timeout=10000)
        wait_idle(qtbot, window)
        kb.press(Qt.Key.Key_Escape)
        qtbot.waitUntil(lambda: not machines.isVisible(), timeout=5000)
        with open_store(data_dir) as s:
            assert [p.status for p in R.peers_of(s, a.id)] == ["active"]

        # --- meanwhile: the office corrects an enterprise B also changes on its laptop ---------------------
        _back_to(qtbot, window, window.list_panel.search)
        kb.shortcut(Qt.Key.Key_F)
        kb.type("co khi dong xuan")
        qtbot.waitUntil(
            lambda: (
                window.list_panel.model.query.text == "co khi dong xuan"
                and not window.list_panel.model.busy
                and window.list_panel.model.loaded_row_of(z.id) == 0
            ),
            timeout=10000,
        )
        kb.enter()
        qtbot.waitUntil(lambda: window.selected_enterprise_id() == z.id, timeout=10000)
        kb.press(Qt.Key.Key_F2)
        form = focused_form(qtbot, window, "EnterpriseForm")
        form.widgets["phone"].setFocus()
        kb.replace("0243 825 1111")
        kb.shortcut(Qt.Key.Key_S)
        qtbot.waitUntil(lambda: form not in window.forms.open_forms, timeout=10000)
        wait_idle(qtbot, window)
        time.sleep(0.01)

        # --- the bundles arrive on one stick, from several laptops ---------------------------------------
        x = Enterprise(  # typed on A with more women than workers: the rules at the door doubt it
            name="Công ty Cổ phần In Hà Thành",
            tax_code=valid_tax_code("010555666"),
            ward_code="00070",
            workforce_total=40,
            workforce_women=55,
        )
        with a.store.write() as w:
            w.create(x)
        a.export(stick)
        clone_dir = tmp_path / "ban-sao-may-thu"  # B restored from an old copy: another bundle number 2
        b.store.backup(clone_dir / "khaosat.sqlite3")
        shutil.copy(b.folder / "khaosat-keys.json", clone_dir / "khaosat-keys.json")
        shutil.copy(b.folder / "khaosat-datakey.json", clone_dir / "khaosat-datakey.json")
        mine = b.store.get(Enterprise, z.id)
        mine.phone = "0243 825 2222"
        with b.store.write() as w:
            w.update(mine)
        b_bundle = b.export(stick)
        clone = open_store(clone_dir)
        copy = Enterprise(
            name="Công ty TNHH Gốm Bát Tràng", tax_code=valid_tax_code("010666777"), ward_code="00070"
        )
        with clone.write() as w:
            w.create(copy)
        (tmp_path / "may-sao").mkdir()
        [cloned] = B.export(clone, R.load_keys(clone), tmp_path / "may-sao")
        clone.close()
        shutil.move(str(cloned.path), stick / ("z-" + cloned.path.name))  # after B's own on the stick
        with d.store.write() as w:
            w.create(Enterprise(name="Công ty Lạ", tax_code=valid_tax_code("010777888"), ward_code="00070"))
        d.export(stick)
        assert b_bundle.exists()

        importer = _shortcut(qtbot, kb, window, Qt.Key.Key_E, CTRL | SHIFT)
        importer.add_paths([str(stick)])  # Thêm thư &mục…: the stick chosen in the folder dialog
        _alt(kb, "n")  # &Nhập
        qtbot.waitUntil(lambda: len(importer.results) == 4, timeout=60000)
        wait_idle(qtbot, window)
        # the import ran in the background (no progress window over the dialog); the keyboard is back in it
        qtbot.waitUntil(lambda: Keyboard.focus() is importer.report, timeout=5000)
        outcomes = sorted(importer.report.item(r, 1).text() for r in range(4))
        assert outcomes == ["Cách ly", "Từ chối", "Đã nhập", "Đã nhập"], outcomes
        refused = next(r for r in range(4) if importer.report.item(r, 1).text() == "Từ chối")
        assert "chưa được đăng ký ở cơ quan này: Máy lạ" in importer.report.item(refused, 2).text()
        assert "xung đột: 1" in importer.status.text() and "cần kiểm tra: 1" in importer.status.text()
        shot(importer, "day2-02-import-report")
        kb.press(Qt.Key.Key_Escape)
        qtbot.waitUntil(lambda: not importer.isVisible(), timeout=5000)
        with open_store(data_dir) as s:
            assert s.get(Enterprise, x.id) is not None and s.get(Enterprise, copy.id) is None
            assert len(B.open_conflicts(s)) == 1 and len(B.quarantined(s)) == 1

        # --- what to check: a doubtful value from A, looked at and corrected ------------------------------
        to_check = _menu(qtbot, kb, window, "b", "m")  # Đồng &bộ ▸ Dữ liệu cần kiể&m tra…
        qtbot.waitUntil(lambda: len(to_check.items) == 1, timeout=10000)
        assert to_check.table.item(0, 0).text() == "Công ty Cổ phần In Hà Thành"
        assert "Lao động nữ" in to_check.table.item(0, 2).text()
        assert "Nguyễn Thị Hằng" in to_check.table.item(0, 3).text()  # the machine that sent it
        _first_row(qtbot, kb, to_check.table)
        qtbot.waitUntil(lambda: to_check.open_button.isEnabled(), timeout=5000)
        check_alt_keys(to_check)
        shot(to_check, "day2-03-to-check")
        _alt(kb, "m")  # «&Mở doanh nghiệp»: the person asked A's owner: 25 women, not 55
        qtbot.waitUntil(lambda: window.selected_enterprise_id() == x.id, timeout=10000)
        wait_idle(qtbot, window)
        to_check.close()
        _back_to(qtbot, window)
        kb.press(Qt.Key.Key_F2)
        fix = focused_form(qtbot, window, "EnterpriseForm")
        fix.widgets["workforce_women"].setFocus()
        kb.replace("25")
        kb.shortcut(Qt.Key.Key_S)
        qtbot.waitUntil(lambda: fix not in window.forms.open_forms, timeout=10000)
        wait_idle(qtbot, window)
        to_check = _menu(qtbot, kb, window, "b", "m")
        qtbot.waitUntil(lambda: "Không có giá trị nào cần kiểm tra" in to_check.status.text(), timeout=10000)
        wait_idle(qtbot, window)
        kb.press(Qt.Key.Key_Escape)
        qtbot.waitUntil(lambda: not to_check.isVisible(), timeout=5000)
        with open_store(data_dir) as s:
            assert s.get(Enterprise, x.id).workforce_women == 25

        # --- the conflict: both values shown, the right one chosen -----------------------------------------
        _back_to(qtbot, window)
        kb.press(Qt.Key.Key_3, Qt.KeyboardModifier.AltModifier)  # the page's tab: «&3 Xung đột dữ liệu»
        qtbot.waitUntil(lambda: window.current_page() == "conflicts", timeout=5000)
        page = window.sync.conflicts
        qtbot.waitUntil(lambda: page.table.rowCount() == 1, timeout=10000)
        cells = [page.table.item(0, c).text() for c in range(6)]
        assert cells[0] == "Công ty TNHH Cơ khí Đông Xuân" and cells[2] == "Điện thoại"
        _first_row(qtbot, kb, page.table)
        check_alt_keys(window)
        shot(window, "day2-04-conflict")
        # the laptop's number: B met the director and wrote down the new line
        # («&Giữ giá trị bên trái», «Giữ giá trị bên &phải»)
        _alt(kb, "g" if cells[3].startswith("0243 825 2222") else "p")
        qtbot.waitUntil(lambda: page.table.rowCount() == 0, timeout=10000)
        wait_idle(qtbot, window)
        with open_store(data_dir) as s:
            assert s.get(Enterprise, z.id).phone == "0243 825 2222" and B.open_conflicts(s) == []

        # --- relayed upward: the province receives the laptops' work with the office's own ------------------
        # (before the quarantined bundle is released: the province gets it after the release, below)
        export = _shortcut(qtbot, kb, window, Qt.Key.Key_E, CTRL)
        qtbot.waitUntil(lambda: "Gửi" in export.preview.text(), timeout=30000)
        assert "gói chuyển tiếp từ cấp dưới" in export.preview.text()
        export.set_folder(str(tmp_path))  # chosen in the list of drives, or typed
        _alt(kb, "x")  # &Xuất gói
        qtbot.waitUntil(lambda: getattr(export, "results", None) is not None, timeout=120000)
        [up] = export.results
        wait_idle(qtbot, window)
        shot(export, "day2-05-relayed-upward")
        kb.press(Qt.Key.Key_Escape)
        qtbot.waitUntil(lambda: not export.isVisible(), timeout=5000)
        r = province.import_ok(up.path)
        assert r.report.new > 300
        assert province.store.get(Enterprise, x.id) is not None  # A's enterprise, relayed

        # --- the quarantined bundle: checked with the laptop's owner, then merged --------------------------
        quarantine = _menu(qtbot, kb, window, "b", "c")  # Đồng &bộ ▸ Gói bị &cách ly…
        qtbot.waitUntil(lambda: len(quarantine.rows) == 1, timeout=10000)
        _first_row(qtbot, kb, quarantine.table)
        check_alt_keys(quarantine)
        shot(quarantine, "day2-06-quarantine")
        _alt(kb, "g")  # «&Gộp gói này…»
        _answer(qtbot, kb, quarantine, "release_box", "g")  # «&Gộp»
        qtbot.waitUntil(lambda: quarantine.rows == [], timeout=10000)
        wait_idle(qtbot, window)
        _in(qtbot, quarantine)
        kb.press(Qt.Key.Key_Escape)
        qtbot.waitUntil(lambda: not quarantine.isVisible(), timeout=5000)
        with open_store(data_dir) as s:
            assert s.get(Enterprise, copy.id) is not None and B.quarantined(s) == []
            # relayed after the release: the province follows the office's release, sets nothing aside
            (tmp_path / "len-tinh").mkdir()
            [again] = B.export(s, R.load_keys(s), tmp_path / "len-tinh")
        r = province.import_ok(again.path)
        assert province.store.get(Enterprise, copy.id) is not None and B.quarantined(province.store) == []
        assert "đã kiểm tra và gộp" in r.summary()

        # --- laptop B is lost: revoked (what it sent is kept) ----------------------------------------------
        machines = _menu(qtbot, kb, window, "b", "k")
        qtbot.waitUntil(lambda: machines.table.rowCount() == 3, timeout=10000)
        names = [machines.table.item(r, 0).text() for r in range(3)]
        _first_row(qtbot, kb, machines.table, down=names.index("Lê Thị Thu"))
        _alt(kb, "u")  # «Th&u hồi máy đã chọn…»
        qtbot.waitUntil(lambda: machines.findChild(QMessageBox, "revoke_box") is not None, timeout=5000)
        assert "Lê Thị Thu" in machines.findChild(QMessageBox, "revoke_box").text()
        _answer(qtbot, kb, machines, "revoke_box", "t")  # «&Thu hồi»
        qtbot.waitUntil(lambda: "Đã thu hồi máy" in machines.status.text(), timeout=10000)
        wait_idle(qtbot, window)
        shot(machines, "day2-07-laptop-revoked")
        _in(qtbot, machines)
        kb.press(Qt.Key.Key_Escape)
        qtbot.waitUntil(lambda: not machines.isVisible(), timeout=5000)
        with open_store(data_dir) as s:
            assert [p.status for p in R.peers_of(s, b.id)] == ["revoked"]
            assert s.get(Enterprise, z.id) is not None  # what it sent before stays

        # --- laptop A was reinstalled and lost its key: its new key is not endorsed by the old one ----------
        K.key_path(a.folder).unlink()
        a.store.conn.execute("DELETE FROM sync_keys")
        a.ident = R.setup_keys(a.store)
        new_key = a.pubkey(stick)
        machines = _menu(qtbot, kb, window, "b", "k")
        qtbot.waitUntil(lambda: machines.table.rowCount() == 3, timeout=10000)
        machines.read_key_file(str(new_key))
        qtbot.waitUntil(machines.pending_box.isVisible, timeout=10000)
        assert "CẢNH BÁO" in machines.pending_text.text()  # not registered like an ordinary machine
        assert not machines.confirm_button.isVisible() and machines.replace_button.isVisible()
        check_alt_keys(machines)
        _alt(kb, "m")  # «Thay khóa bị &mất…»
        qtbot.waitUntil(lambda: getattr(machines, "replace_dialog", None) is not None, timeout=5000)
        replace = machines.replace_dialog
        _in(qtbot, replace)
        qtbot.waitUntil(lambda: Keyboard.focus() is replace.fingerprint, timeout=5000)
        kb.type(a.ident.current.fingerprint)  # read out by the laptop's owner on the telephone
        kb.tab()
        kb.type("Máy cài lại Windows sau khi hỏng ổ đĩa; chị Hằng gọi điện báo, đã gặp trực tiếp")
        kb.tab()  # to who decides (filled in with this office's person)
        assert Keyboard.focus() is replace.by and replace.by.text()
        shot(replace, "day2-08-replace-lost-key")
        kb.enter()  # «&Tiếp tục…»
        _answer(qtbot, kb, machines, "replace_box", "t")  # «&Thay khóa»
        qtbot.waitUntil(lambda: not machines.pending_box.isVisible(), timeout=10000)
        wait_idle(qtbot, window)
        _in(qtbot, machines)
        kb.press(Qt.Key.Key_Escape)
        qtbot.waitUntil(lambda: not machines.isVisible(), timeout=5000)
        with open_store(data_dir) as s:
            assert [p.fingerprint for p in R.peers_of(s, a.id) if p.status == "active"] == [
                a.ident.current.fingerprint
            ]
            [event] = R.key_events(s, replaced_only=True)
            assert "hỏng ổ đĩa" in event.describe()

        # --- the report against this year's targets --------------------------------------------------------
        _back_to(qtbot, window)
        kb.shortcut(Qt.Key.Key_2)
        view = window.targets_view
        assert window.current_page() == "targets"
        view.year.setValue(TEST_TODAY.year)
        wait_idle(qtbot, window)
        qtbot.waitUntil(lambda: bool(view.rows), timeout=10000)
        row = next(
            i
            for i, r in enumerate(view.rows)
            if r.kind == OrgKind.UNION and r.metric == TargetMetric.ORGANISATIONS
        )
        view.table.setCurrentCell(row, 1)
        _back_to(qtbot, window, view.table)
        kb.type("3")
        kb.enter()
        qtbot.waitUntil(lambda: view.rows[row].target == 3, timeout=10000)
        check_alt_keys(window)
        shot(window, "day2-09-targets")
        opened: list = []
        window.printing.opener = opened.append
        window.printing.today = lambda: TEST_TODAY
        dialog = _menu(qtbot, kb, window, "i", "b", opens="printing")  # &In ấn ▸ &Báo cáo kết quả…
        dialog.year.setValue(TEST_TODAY.year)
        shot(dialog, "day2-10-report-dialog")
        _alt(kb, "l")  # «&Lập báo cáo»
        qtbot.waitUntil(lambda: len(opened) == 1, timeout=30000)
        wait_idle(qtbot, window)
        text = " ".join(pdftotext(opened[0]).split())
        achieved = view.rows[row].achieved
        assert f"{achieved}/3" in text
        shot(window, "day2-11-main-window")
    finally:
        close_window(qtbot, window)
        for m in (a, b, d, province):
            m.store.close()
