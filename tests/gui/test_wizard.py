"""First run: the setup wizard, typed with and without diacritics; demo data; keys."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QLabel, QWizard

from app.domain.vocab import Role
from app.gui import practice
from app.gui.application import Launcher
from tests.gui.conftest import answer_unlock, flush_deletes, wait_idle
from tests.helpers import screens
from tests.helpers.typing import Keyboard
from tests.helpers.vault import open_practice_store, open_store


def _launch(qtbot, folder: Path) -> Launcher:
    launcher = Launcher(folder, offer_drafts=False)
    launcher.start()
    answer_unlock(qtbot, launcher)  # a new folder: the passphrase is chosen first
    qtbot.waitUntil(lambda: launcher.wizard is not None and launcher.wizard.isVisible(), timeout=10000)
    launcher.wizard.activateWindow()
    qtbot.waitUntil(lambda: launcher.wizard.isActiveWindow(), timeout=5000)
    return launcher


def _finish(qtbot, launcher: Launcher) -> None:
    qtbot.waitUntil(lambda: launcher.window is not None, timeout=60000)
    window = launcher.window
    qtbot.waitUntil(
        lambda: window.list_panel.model.loaded_once and window.list_panel.model.exact, timeout=10000
    )
    window.close()
    window.tasks.wait(10000)
    launcher.tasks.wait(10000)
    for obj in (launcher.wizard, window, launcher):
        obj.deleteLater()
    flush_deletes()


@pytest.mark.parametrize("province, ward", [("ha noi", "hoan kiem"), ("Hà Nội", "Hoàn Kiếm")])
def test_wizard_typed_with_or_without_diacritics(qtbot, tmp_path, monkeypatch, province, ward):
    monkeypatch.setenv("KHAOSAT_SCREEN", "1024x768")  # a collaborator's older laptop
    folder = tmp_path / "fresh"
    launcher = _launch(qtbot, folder)
    wizard = launcher.wizard
    page = wizard.unit_page
    kb = Keyboard()
    page.province_search.setFocus()
    kb.type(province)
    assert page.province_code() == "01"
    kb.enter()  # to the ward search
    assert Keyboard.focus() is page.search
    kb.type(ward)
    assert page.ward_code() == "00070"
    assert page.wards.currentItem().text() == "Phường Hoàn Kiếm (00070)"
    wizard.next()
    person = wizard.person_page
    person.name.setFocus()
    kb.type("Nguyễn Thị Hằng")
    person.role.setCurrentIndex(person.role.findData(Role.COLLABORATOR.value))
    wizard.next()
    keys = wizard.keys_page
    assert keys.findChild(QLabel, "wizard_keys_protected") is not None
    wizard.next()
    demo = wizard.demo_page
    demo.enabled.setChecked(True)
    demo.count.setValue(25)
    assert wizard.currentPage() is demo
    wizard.button(QWizard.WizardButton.FinishButton).click()
    qtbot.waitUntil(lambda: launcher.window is not None, timeout=60000)
    assert launcher.window.profile.practice  # the demo data opens in practice mode
    assert launcher.window.practice_band is not None and launcher.window.practice_band.isVisible()
    # the first words on the status line are about practice, not the real data's keys, and whole at 1024
    screens.place(launcher.window)
    qtbot.waitUntil(lambda: launcher.window.width() == 1024, timeout=5000)
    wait_idle(qtbot, launcher.window)
    bar = launcher.window.statusBar()
    assert bar.currentMessage() == practice.AFTER_SETUP and "khóa" not in bar.currentMessage()
    assert bar.shown_message() == bar.currentMessage() and bar.toolTip() == ""
    _finish(qtbot, launcher)
    with open_store(folder) as s:
        profile = s.profile()
        counts = s.counts()
    assert (profile.unit_code, profile.collaborator, profile.role) == (
        "00070",
        "Nguyễn Thị Hằng",
        Role.COLLABORATOR,
    )
    assert counts["enterprises"] == 0 and not profile.practice  # never mixed with the real data
    with open_practice_store(folder) as s:
        assert s.counts()["enterprises"] == 25 and s.is_practice
        assert s.profile().collaborator == "Nguyễn Thị Hằng"
    assert (folder / "khaosat-keys.json").exists()
    assert not (folder / "tap-duot" / "khaosat-keys.json").exists()


def test_collaborator_must_choose_a_ward(qtbot, tmp_path):
    launcher = _launch(qtbot, tmp_path / "fresh")
    wizard = launcher.wizard
    page = wizard.unit_page
    page.province_search.setText("hue")
    page.search.setText("khong co phuong nao ten the nay")
    assert page.ward_code() is None
    wizard.next()
    wizard.person_page.name.setText("Lê Văn Tám")
    wizard.person_page.role.setCurrentIndex(wizard.person_page.role.findData(Role.COLLABORATOR.value))
    wizard.next()
    assert wizard.currentPage() is wizard.person_page  # refused
    assert "phải chọn một phường, xã" in wizard.person_page.error.text()
    # a province office needs no ward
    wizard.person_page.role.setCurrentIndex(wizard.person_page.role.findData(Role.PROVINCE_OFFICE.value))
    wizard.next()
    assert wizard.currentPage() is wizard.keys_page
    wizard.next()
    wizard.button(QWizard.WizardButton.FinishButton).click()
    _finish(qtbot, launcher)
    with open_store(tmp_path / "fresh") as s:
        profile = s.profile()
    assert profile.role == Role.PROVINCE_OFFICE and profile.unit_code == "46"  # Huế


def test_the_keys_page_says_the_data_passphrase_protects_the_keys(qtbot, tmp_path):
    import app.gui.setup as setup

    page = setup.KeysPage(tmp_path)
    qtbot.addWidget(page)
    label = page.findChild(QLabel, "wizard_keys_protected")
    assert label is not None and "mật khẩu mở dữ liệu" in label.text()
    assert page.validatePage()
