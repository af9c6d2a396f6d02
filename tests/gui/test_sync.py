"""The Đồng bộ menu: export with a preview, import of a folder with a report, registering machines,
the conflicts page. Real window, real files, real bundles in a folder standing in for the USB stick."""

from __future__ import annotations

import json
import os
import shutil
import threading
from pathlib import Path

import pytest

from app.domain.records import Enterprise
from app.domain.vocab import Role
from app.storage import Store
from app.sync import bundles as B
from app.sync import keys as K
from app.sync import registry as R
from tests.gui.conftest import answer_unlock, close_window, open_window, wait_idle
from tests.helpers.clock import ManualClock
from tests.helpers.vault import open_store
from tests.sync.conftest import make_machine

SHOTS = os.environ.get("KHAOSAT_SCREENSHOTS")


def shot(widget, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        widget.grab().save(str(Path(SHOTS) / f"{name}.png"))


@pytest.fixture
def office(tmp_path, data_dir):
    """The demo ward office (data_dir) with keys, a registered laptop and the province as destination."""
    stick = tmp_path / "usb"
    stick.mkdir()
    clock = ManualClock()  # the change stamps of the laptop, the province and the office's edits here
    with open_store(data_dir) as s:
        ward = R.ensure_keys(s)
        ward_doc = K.read_pubkey_file(K.pubkey_file(R.own_pubkey_doc(s, ward)))
        laptop = make_machine(tmp_path, "Nguyễn Thị Hằng", "00070", Role.COLLABORATOR, clock=clock)
        province = make_machine(tmp_path, "Ban Tổ chức Thành ủy", "01", Role.PROVINCE_OFFICE, clock=clock)
        R.register(s, K.read_pubkey_file(laptop.pubkey(tmp_path).read_bytes()))
        R.register(s, K.read_pubkey_file(province.pubkey(tmp_path).read_bytes()), destination=True)
        R.register(laptop.store, ward_doc, destination=True)
        R.register(province.store, ward_doc)
    yield {"stick": stick, "laptop": laptop, "province": province, "ward_doc": ward_doc, "clock": clock}
    laptop.store.close()
    province.store.close()


def new_enterprise(store: Store, name: str) -> Enterprise:
    e = Enterprise(name=name, tax_code="0100109113", ward_code="00070", workforce_total=40)
    with store.write() as w:
        w.create(e)
    return e


TWO_NAMES = ("Công ty TNHH Ánh Dương", "Công ty TNHH Bình Minh")


def two_bundles_held(office, monkeypatch) -> tuple[threading.Event, threading.Event]:
    """Two bundles from the laptop on the stick (one enterprise each, ``TWO_NAMES``) and an import whose
    first file waits for ``gate`` once it has set ``reached``: returns (gate, reached)."""
    for name in TWO_NAMES:
        new_enterprise(office["laptop"].store, name)
        office["laptop"].export(office["stick"])
    gate, reached = threading.Event(), threading.Event()
    real = B.import_file

    def held(store, ident, path, **kw):
        reached.set()
        gate.wait(20)
        return real(store, ident, path, **kw)

    monkeypatch.setattr(B, "import_file", held)
    return gate, reached


def test_import_a_folder_shows_a_report_and_writes_receipts(qtbot, data_dir, office):
    e = new_enterprise(office["laptop"].store, "Công ty TNHH Ánh Dương")
    office["laptop"].export(office["stick"])
    (office["stick"] / "hong.khaosat").write_bytes(b"KHAOSAT\x1aB\x01\x00")  # a damaged file beside it
    window = open_window(qtbot, data_dir)
    try:
        assert window.actions.action("sync.import").isEnabled()
        window.actions.trigger("sync.import")
        dialog = window.sync.dialog
        dialog.add_paths([str(office["stick"])])
        qtbot.mouseClick(
            dialog.import_button, __import__("PySide6.QtCore", fromlist=["Qt"]).Qt.MouseButton.LeftButton
        )
        qtbot.waitUntil(lambda: len(dialog.results) == 2, timeout=20000)
        wait_idle(qtbot, window)
        outcomes = {dialog.report.item(r, 0).text(): dialog.report.item(r, 1).text() for r in range(2)}
        assert sorted(outcomes.values()) == ["Từ chối", "Đã nhập"]
        assert "bị cắt cụt" in dialog.report.item([*outcomes].index("hong.khaosat"), 2).text()
        assert "Bản ghi mới: 1" in dialog.status.text()
        shot(dialog, "sync-import")
        with open_store(data_dir) as s:
            assert s.get(Enterprise, e.id).name == "Công ty TNHH Ánh Dương"
        assert list(office["stick"].glob("bien-nhan_*.khaosat-receipt"))
        dialog.close()
    finally:
        close_window(qtbot, window)


def test_export_previews_then_writes_a_bundle_the_province_accepts(qtbot, data_dir, office):
    window = open_window(qtbot, data_dir)
    try:
        window.actions.trigger("sync.export")
        dialog = window.sync.dialog
        qtbot.waitUntil(lambda: "Gửi" in dialog.preview.text(), timeout=20000)
        assert "gói số 1" in dialog.preview.text() and "doanh nghiệp" in dialog.preview.text()
        dialog.set_folder(str(office["stick"]))
        assert dialog.export_button.isEnabled()
        shot(dialog, "sync-export-preview")
        dialog.export_button.click()
        qtbot.waitUntil(lambda: getattr(dialog, "results", None), timeout=60000)
        wait_idle(qtbot, window)
        [res] = dialog.results
        assert res.path.exists() and res.path.name.startswith("goi_00070_")
        assert "Đã xuất gói số 1" in dialog.status.text()
        qtbot.waitUntil(lambda: "gói số 2" in dialog.preview.text(), timeout=10000)
        assert "chưa gửi biên nhận" in dialog.preview.text()  # sent again until a receipt confirms it
        shot(dialog, "sync-export-done")
        dialog.close()
    finally:
        close_window(qtbot, window)
    province = office["province"]
    r = province.import_ok(res.path)
    assert r.report.new > 300  # the demo ward: enterprises, visits, organisations...


def test_export_preview_names_what_an_office_sends_up_in_vietnamese(qtbot, data_dir, office):
    """A ward office's assignments and settings go up to the province: named as people say them."""
    from app.services import assignments as A
    from app.services import office_settings as S

    with open_store(data_dir) as s:
        ids = [r[0] for r in s.conn.execute("SELECT id FROM enterprises ORDER BY name LIMIT 2")]
        A.assign(s, ids, A.collaborators(s)[0])
        S.set_own(s, {"min_union": 7})
    window = open_window(qtbot, data_dir)
    try:
        window.actions.trigger("sync.export")
        dialog = window.sync.dialog
        qtbot.waitUntil(lambda: "Gửi" in dialog.preview.text(), timeout=20000)
        text = dialog.preview.text()
        assert "2 phân công" in text and "1 thiết lập của cơ quan" in text
        for table in ("assignments", "office_settings", "enterprises", "visits", "_"):
            assert table not in text
        dialog.close()
    finally:
        close_window(qtbot, window)


def test_registering_a_machine_compares_the_fingerprint_first(qtbot, data_dir, office, tmp_path):
    other = make_machine(tmp_path, "Lê Văn Bình", "00070", Role.COLLABORATOR)
    key_file = other.pubkey(office["stick"])
    window = open_window(qtbot, data_dir)
    try:
        window.actions.trigger("sync.machines")
        dialog = window.sync.dialog
        qtbot.waitUntil(
            lambda: "Dấu vân tay" in dialog.own.text() and dialog.table.rowCount() == 2, timeout=10000
        )
        dialog.read_key_file(str(key_file))
        qtbot.waitUntil(lambda: dialog.pending_box.isVisible(), timeout=10000)
        assert other.ident.current.fingerprint in dialog.pending_text.text()
        assert not dialog.is_office.isChecked()
        shot(dialog, "sync-register")
        with open_store(data_dir) as s:
            assert R.peers_of(s, other.id) == []  # nothing saved before the person confirms
        dialog.confirm_button.click()
        qtbot.waitUntil(lambda: dialog.table.rowCount() == 3, timeout=10000)
        names = [dialog.table.item(r, 0).text() for r in range(3)]
        assert "Lê Văn Bình" in names
        dialog.table.selectRow(names.index("Lê Văn Bình"))
        assert dialog.revoke_button.isEnabled()
        dialog.revoke(other.id)
        old_fp = dialog.own.text()
        dialog.rekey_button.click()
        qtbot.waitUntil(lambda: "Đã tạo khóa mới" in dialog.status.text(), timeout=10000)
        qtbot.waitUntil(lambda: dialog.own.text() != old_fp, timeout=10000)
        with open_store(data_dir) as s:
            assert sorted(r[0] for r in s.conn.execute("SELECT status FROM sync_keys")) == [
                "active",
                "retired",
            ]
        qtbot.waitUntil(
            lambda: (
                "đã thu hồi" in dialog.table.item(names.index("Lê Văn Bình"), 5).text()
                if dialog.table.rowCount() == 3
                else False
            ),
            timeout=10000,
        )
        dialog.close()
    finally:
        close_window(qtbot, window)
        other.store.close()


def test_a_key_file_whose_name_is_not_text_is_refused_in_the_window(qtbot, data_dir, office, tmp_path):
    """The GUI's registration door applies the same rule as ``keys register``: a name holding a direction
    override or a control character is refused with the reason, in Vietnamese; nothing is registered."""
    from tests.sync.test_key_doors import key_file

    window = open_window(qtbot, data_dir)
    try:
        window.actions.trigger("sync.machines")
        dialog = window.sync.dialog
        qtbot.waitUntil(lambda: dialog.table.rowCount() == 2, timeout=10000)
        for name, fragment in (("Lê Văn \u202eBình", "đảo chiều"), ("Lê Văn\x07Bình", "điều khiển vô hình")):
            data, _ = key_file(name)
            path = office["stick"] / "khoa.khaosat-key"
            path.write_bytes(data)
            dialog.read_key_file(str(path))
            qtbot.waitUntil(lambda fragment=fragment: fragment in dialog.status.text(), timeout=10000)
            assert "Chưa đăng ký" in dialog.status.text() and not dialog.pending_box.isVisible()
            assert "\u202e" not in dialog.status.text() and "\x07" not in dialog.status.text()
        assert dialog.table.rowCount() == 2
        with open_store(data_dir) as s:
            assert R.peers_of(s, "ab12cd34ef56ab78") == []
        dialog.close()
    finally:
        close_window(qtbot, window)


def test_conflicts_page_resolves_with_a_change_that_syncs_upward(qtbot, data_dir, office):
    laptop = office["laptop"]
    e = new_enterprise(laptop.store, "Công ty Cổ phần Bình Minh")
    with open_store(data_dir, wall=office["clock"]) as s:
        ident = R.load_keys(s)
        r = B.import_file(s, ident, laptop.export(office["stick"]))
        B.import_file(laptop.store, laptop.ident, r.receipt)
        cur = s.get(Enterprise, e.id)
        cur.workforce_total = 55
        with s.write("Trần Văn Nam") as w:
            w.update(cur)
        office["clock"].advance(0.005)
        mine = laptop.store.get(Enterprise, e.id)
        mine.workforce_total = 60
        with laptop.store.write() as w:
            w.update(mine)
        assert B.import_file(s, ident, laptop.export(office["stick"])).report.conflicts == 1
    window = open_window(qtbot, data_dir)
    try:
        window.actions.trigger("sync.conflicts")
        page = window.sync.conflicts
        qtbot.waitUntil(lambda: page.table.rowCount() == 1, timeout=10000)
        texts = [page.table.item(0, c).text() for c in range(6)]
        assert texts[0] == "Công ty Cổ phần Bình Minh" and texts[2] == "Tổng số lao động"
        assert {texts[3].split()[0], texts[4].split()[0]} == {"55", "60"}
        shot(window, "sync-conflicts")
        page.table.selectRow(0)
        side = "a" if texts[3].startswith("55") else "b"
        (page.keep_a if side == "a" else page.keep_b).click()
        qtbot.waitUntil(lambda: page.table.rowCount() == 0, timeout=10000)
        wait_idle(qtbot, window)
    finally:
        close_window(qtbot, window)
    with open_store(data_dir) as s:
        assert s.get(Enterprise, e.id).workforce_total == 55
        assert B.open_conflicts(s) == []


def test_duplicate_candidates_are_merged_by_a_person(qtbot, data_dir, office):
    from app.sync import same_tax_code

    with open_store(data_dir) as s:
        existing = s._rows("SELECT id, tax_code FROM enterprises WHERE deleted = 0 ORDER BY id LIMIT 1")[0]
    laptop = office["laptop"]
    twin = Enterprise(name="Cty trùng mã số thuế", tax_code=existing["tax_code"], ward_code="00070")
    with laptop.store.write() as w:
        w.create(twin)
    with open_store(data_dir) as s:
        assert B.import_file(s, R.load_keys(s), laptop.export(office["stick"])).report.duplicates == 1
    window = open_window(qtbot, data_dir)
    try:
        window.actions.trigger("sync.conflicts")
        page = window.sync.conflicts
        qtbot.waitUntil(lambda: page.dup_table.rowCount() == 1, timeout=10000)
        assert page.dup_table.item(0, 0).text() == existing["tax_code"]
        assert not page.merge_a.isEnabled()
        page.dup_table.selectRow(0)
        assert page.merge_a.isEnabled()
        keep_side = "a" if page.duplicates[0].id_a == existing["id"] else "b"
        (page.merge_a if keep_side == "a" else page.merge_b).click()
        qtbot.waitUntil(lambda: page.dup_table.rowCount() == 0, timeout=10000)
        wait_idle(qtbot, window)
    finally:
        close_window(qtbot, window)
    with open_store(data_dir) as s:
        assert same_tax_code.candidates(s) == []
        assert s.get(Enterprise, twin.id) is None and s.get(Enterprise, existing["id"]) is not None


def test_provenance_shows_who_captured_and_who_relayed(qtbot, data_dir, office):
    e = new_enterprise(office["laptop"].store, "Công ty TNHH Nguồn Gốc")
    with open_store(data_dir) as s:
        B.import_file(s, R.load_keys(s), office["laptop"].export(office["stick"]))
    window = open_window(qtbot, data_dir)
    try:
        window.open_enterprise(e.id)
        qtbot.waitUntil(lambda: window.selected_enterprise_id() == e.id, timeout=10000)
        window.actions.update_states()
        assert window.actions.action("sync.provenance").isEnabled()
        window.actions.trigger("sync.provenance")
        dialog = window.sync.dialog
        qtbot.waitUntil(lambda: len(dialog.rows) == 1, timeout=10000)
        row = [dialog.table.item(0, c).text() for c in range(6)]
        assert row[1] == "Tạo doanh nghiệp" and row[5] == "7 trường"
        assert row[3] == "Nguyễn Thị Hằng (Phường Hoàn Kiếm)" and row[4] == "(nhập trực tiếp)"
        shot(dialog, "sync-provenance")
        dialog.close()
    finally:
        close_window(qtbot, window)


def test_an_earlier_versions_protected_key_asks_for_its_passphrase_once(qtbot, tmp_path, data_dir, office):
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QInputDialog

    from tests.sync.test_keys import _legacy_entry

    # the ward office's keys, protected as the previous version did, by their own passphrase
    with open_store(data_dir) as s:
        ident = R.load_keys(s)
    doc = json.loads(K.key_path(data_dir).read_text())
    doc["current"] = _legacy_entry(ident.current, ident.laptop_id, "mật khẩu phường")
    K.key_path(data_dir).write_text(json.dumps(doc))
    answers = ["sai rồi", "mật khẩu phường"]
    asked = []

    def answer() -> None:
        dialog = QApplication.activeModalWidget()
        if isinstance(dialog, QInputDialog):
            asked.append(dialog.labelText())
            dialog.setTextValue(answers.pop(0))
            dialog.accept()
        if answers:
            QTimer.singleShot(50, answer)

    window = open_window(qtbot, data_dir)
    try:
        window.actions.trigger("sync.export")
        dialog = window.sync.dialog
        qtbot.waitUntil(lambda: "Gửi" in dialog.preview.text(), timeout=20000)
        dialog.set_folder(str(office["stick"]))
        QTimer.singleShot(50, answer)
        dialog.export_button.click()
        qtbot.waitUntil(lambda: getattr(dialog, "results", None), timeout=60000)
        wait_idle(qtbot, window)
        assert len(asked) == 2 and "không đúng" in asked[1]
        assert window.sync.passphrase == "mật khẩu phường"
        assert not K.is_protected(data_dir)  # sealed under the data key from now on
        dialog.close()
    finally:
        close_window(qtbot, window)


def test_a_bundle_double_clicked_opens_the_import_dialog_with_it(qtbot, data_dir, office):
    """Explorer runs `KhaoSat.exe gui FILE` for a .khaosat file (installer/khaosat.iss)."""
    from PySide6.QtCore import Qt

    from app.gui.application import Launcher

    e = new_enterprise(office["laptop"].store, "Công ty TNHH Hải Đăng")
    bundle = office["laptop"].export(office["stick"])
    launcher = Launcher(data_dir, offer_drafts=False, open_paths=[str(bundle)])
    with qtbot.waitSignal(launcher.sig_window, timeout=20000):
        launcher.start()
        answer_unlock(qtbot, launcher)
    window = launcher.window
    try:
        dialog = window.sync.dialog
        assert [dialog.paths.item(i).text() for i in range(dialog.paths.count())] == [str(bundle)]
        qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: len(dialog.results) == 1, timeout=20000)
        wait_idle(qtbot, window)
        with open_store(data_dir) as s:
            assert s.get(Enterprise, e.id).name == "Công ty TNHH Hải Đăng"
        dialog.close()
    finally:
        close_window(qtbot, window)
        launcher.tasks.wait(10000)


def test_a_quarantined_bundle_is_shown_and_merged_by_a_person(qtbot, data_dir, office, tmp_path):
    from PySide6.QtWidgets import QApplication, QMessageBox

    laptop, stick = office["laptop"], office["stick"]
    new_enterprise(laptop.store, "Công ty TNHH Bản Gốc")
    with open_store(data_dir) as s:
        B.import_file(s, R.load_keys(s), laptop.export(stick), write_receipt=False)
    # the laptop restored from an old backup: a second bundle number 1 with other content
    clone_dir = tmp_path / "clone"
    laptop.store.backup(clone_dir / "khaosat.sqlite3")
    (laptop.folder / "khaosat-keys.json").rename(clone_dir / "khaosat-keys.json")
    shutil.copy(laptop.folder / "khaosat-datakey.json", clone_dir / "khaosat-datakey.json")
    clone = open_store(clone_dir)
    clone.conn.execute("DELETE FROM sync_exports")
    copy = Enterprise(name="Công ty TNHH Bản Sao", tax_code="0100109106", ward_code="00070")
    with clone.write() as w:
        w.create(copy)
    [res] = B.export(clone, R.load_keys(clone), stick)
    clone.close()
    with open_store(data_dir) as s:
        [r] = B.import_paths(s, R.load_keys(s), [res.path], write_receipt=False)
        assert r.outcome == "quarantined"
    window = open_window(qtbot, data_dir)
    try:
        window.actions.trigger("sync.quarantine")
        dialog = window.sync.dialog
        qtbot.waitUntil(lambda: len(dialog.rows) == 1, timeout=10000)
        row = [dialog.table.item(0, c).text() for c in range(4)]
        assert row[0].startswith("Nguyễn Thị Hằng") and row[1] == "1" and row[2].startswith("Trùng số thứ tự")
        assert not dialog.release_button.isEnabled()
        dialog.table.selectRow(0)
        assert dialog.release_button.isEnabled()
        dialog.receipt_folder.setEditText(str(stick))
        shot(dialog, "sync-quarantine")
        dialog.ask_release()
        box = dialog.findChild(QMessageBox, "release_box")
        box.button(QMessageBox.StandardButton.Yes).click()
        qtbot.waitUntil(lambda: "Đã gộp gói số 1" in dialog.status.text(), timeout=10000)
        assert "1 bản ghi mới" in dialog.status.text() and "Biên nhận:" in dialog.status.text()
        assert len(list(stick.glob("*.khaosat-receipt"))) == 1  # for the laptop: checked and merged
        qtbot.waitUntil(lambda: dialog.rows == [], timeout=10000)
        with open_store(data_dir) as s:
            assert s.get(Enterprise, copy.id) is not None
            assert B.quarantined(s) == []
        dialog.close()
        QApplication.processEvents()
    finally:
        close_window(qtbot, window)


def test_a_key_that_would_take_over_a_laptop_needs_the_lost_key_action(qtbot, data_dir, office, tmp_path):
    from PySide6.QtWidgets import QApplication, QMessageBox

    laptop = office["laptop"]
    kp = K.KeyPair.generate()  # someone else's key, claiming the registered laptop's id
    env = K.make_pubkey_doc(laptop.id, kp, name="Nguyễn Thị Hằng", unit_code="00070", role="collaborator")
    key_file = office["stick"] / "khoa_gia.khaosat-key"
    key_file.write_bytes(K.pubkey_file(env))
    window = open_window(qtbot, data_dir)
    try:
        window.actions.trigger("sync.machines")
        dialog = window.sync.dialog
        qtbot.waitUntil(lambda: dialog.table.rowCount() == 2, timeout=10000)
        assert not dialog.replaced.isVisible()
        dialog.read_key_file(str(key_file))
        qtbot.waitUntil(lambda: dialog.pending_box.isVisible(), timeout=10000)
        assert (
            "CẢNH BÁO" in dialog.pending_text.text()
            and laptop.ident.current.fingerprint in dialog.pending_text.text()
        )
        assert not dialog.confirm_button.isVisible() and dialog.replace_button.isVisible()
        shot(dialog, "sync-takeover-warning")
        dialog.replace_button.click()
        replace = dialog.replace_dialog
        qtbot.waitUntil(replace.isVisible, timeout=5000)
        replace.fingerprint.setText("12345 67890 12345 67890 12345 67890")
        replace.reason.setPlainText("Ổ cứng hỏng, đã cài lại máy; chị Hằng gọi điện báo")
        replace.ok.click()
        assert "không khớp" in replace.problem.text() and replace.isVisible()
        QApplication.processEvents()
        shot(replace, "sync-replace-lost-key")
        replace.fingerprint.setText(kp.fingerprint)
        replace.ok.click()
        box = dialog.findChild(QMessageBox, "replace_box")
        qtbot.waitUntil(lambda: box is not None and box.isVisible(), timeout=5000)
        box.button(QMessageBox.StandardButton.Yes).click()
        qtbot.waitUntil(lambda: "Đã thay khóa bị mất" in dialog.status.text(), timeout=10000)
        qtbot.waitUntil(lambda: dialog.replaced.isVisible(), timeout=10000)
        assert "Ổ cứng hỏng" in dialog.replaced.text() and kp.fingerprint in dialog.replaced.text()
        statuses = [dialog.table.item(r, 5).text() for r in range(dialog.table.rowCount())]
        assert any("THAY KHÓA BỊ MẤT" in s for s in statuses) and any("đã thu hồi" in s for s in statuses)
        QApplication.processEvents()
        shot(dialog, "sync-machines-after-replace")
        with open_store(data_dir) as s:
            [event] = R.key_events(s, replaced_only=True)
            assert event.by_name == window.profile.collaborator
        dialog.close()
        QApplication.processEvents()
    finally:
        close_window(qtbot, window)


def test_values_to_check_are_listed_with_the_laptop_and_kept_or_opened(qtbot, data_dir, office):
    from datetime import date

    from PySide6.QtWidgets import QApplication

    from app.domain.records import Visit

    laptop, stick = office["laptop"], office["stick"]
    e = new_enterprise(laptop.store, "Công ty TNHH Số Liệu Lệch")
    v = Visit(
        enterprise_id=e.id,
        visit_date=date(2026, 11, 20),
        workforce_total=40,
        workforce_women=45,
        party_official=2,
        party_probationary=1,
        party_total=4,
    )
    with laptop.store.write() as w:
        w.create(v)
    with open_store(data_dir) as s:
        r = B.import_file(s, R.load_keys(s), laptop.export(stick), write_receipt=False)
        assert r.report.to_check == 2 and "cần kiểm tra" in r.summary()
    window = open_window(qtbot, data_dir)
    try:
        window.actions.trigger("sync.to_check")
        dialog = window.sync.dialog
        qtbot.waitUntil(lambda: len(dialog.items) == 2, timeout=10000)
        rows = [[dialog.table.item(r, c).text() for c in range(6)] for r in range(2)]
        assert all(row[0] == "Công ty TNHH Số Liệu Lệch" and row[1] == "lượt khảo sát" for row in rows)
        assert {row[2] for row in rows} == {"Lao động nữ", "Tổng số đảng viên"}
        assert all(row[3].startswith("Nguyễn Thị Hằng") for row in rows)
        QApplication.processEvents()
        shot(dialog, "sync-to-check")
        assert not dialog.keep_button.isEnabled()
        dialog.table.selectRow([row[2] for row in rows].index("Tổng số đảng viên"))
        dialog.keep_button.click()
        qtbot.waitUntil(lambda: len(dialog.items) == 1, timeout=10000)
        assert dialog.items[0].field == "workforce_women"
        dialog.table.selectRow(0)
        dialog.open_selected()
        # selected at once when its page of the list is loaded, else once the list has found it
        qtbot.waitUntil(lambda: window.selected_enterprise_id() == e.id, timeout=10000)
        dialog.show_checked.setChecked(True)
        qtbot.waitUntil(lambda: len(dialog.items) == 2, timeout=10000)
        dialog.close()
        QApplication.processEvents()
    finally:
        close_window(qtbot, window)


def test_an_import_runs_in_the_background_and_stops_between_files(qtbot, data_dir, office, monkeypatch):
    """A province importing all its wards' bundles keeps working: no modal window covers the main
    window, the list answers a search while the import runs, and «Dừng» stops before the next file."""

    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    from tests.helpers.typing import Keyboard

    gate, reached = two_bundles_held(
        office, monkeypatch
    )  # the first waits until the test has used the window
    window = open_window(qtbot, data_dir)
    try:
        window.actions.trigger("sync.import")
        dialog = window.sync.dialog
        dialog.add_paths([str(office["stick"])])
        qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(reached.is_set, timeout=20000)
        assert dialog.busy and dialog.progress.isVisible() and dialog.stop_button.isVisible()
        assert QApplication.activeModalWidget() is None  # nothing modal: the window can be used
        assert "vẫn dùng được" in dialog.status.text()
        dialog.reject()  # closing is refused while it runs (its report would be lost)
        assert dialog.isVisible() and "Dừng sau gói này" in dialog.status.text()
        shot(dialog, "sync-import-running")
        model = window.list_panel.model
        Keyboard().type("Hòa Bình", window.list_panel.search)  # the list answers during the import
        qtbot.waitUntil(lambda: model.query.text.strip() == "Hòa Bình" and not model.busy, timeout=20000)
        assert reached.is_set() and not gate.is_set() and dialog.busy  # ... while the import still runs
        qtbot.mouseClick(dialog.stop_button, Qt.MouseButton.LeftButton)
        gate.set()
        qtbot.waitUntil(lambda: not dialog.busy, timeout=20000)
        wait_idle(qtbot, window)
        assert "Đã dừng" in dialog.status.text() and dialog.results == []
        with open_store(data_dir) as s:  # the file being imported was merged whole, the next one not
            names = {r[0] for r in s.conn.execute("SELECT name FROM enterprises")}
        assert len(names & {"Công ty TNHH Ánh Dương", "Công ty TNHH Bình Minh"}) == 1
        assert dialog.import_button.isEnabled()  # the files are still listed
        qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)  # again: the rest comes in
        qtbot.waitUntil(lambda: len(dialog.results) == 3, timeout=20000)  # two bundles and a receipt
        wait_idle(qtbot, window)
        bundles = sorted(r.outcome for r in dialog.results if r.path.suffix == ".khaosat")
        assert bundles == ["already", "applied"]  # the one merged before the stop is recognised
        with open_store(data_dir) as s:
            names = {r[0] for r in s.conn.execute("SELECT name FROM enterprises")}
        assert {"Công ty TNHH Ánh Dương", "Công ty TNHH Bình Minh"} <= names
        dialog.close()
    finally:
        gate.set()
        close_window(qtbot, window)
