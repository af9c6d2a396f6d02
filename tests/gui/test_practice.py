"""Practice mode (chế độ tập dượt): demo data in its own database, marked on screen, never exported or
mixed with real data, left with one action."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QInputDialog

from app.demo import practice as svc
from app.domain.records import Enterprise
from app.domain.vocab import Role
from app.sync.errors import SyncError
from tests.conftest import TEST_TODAY, TEST_WARD
from tests.gui.conftest import close_window, flush_deletes, open_window, wait_idle
from tests.helpers.vault import key_for, open_practice_store, open_store


@pytest.fixture
def real_dir(tmp_path) -> Path:
    """A laptop set up for real work: profile, keys, one real enterprise."""
    from app.services.records import save_enterprise
    from app.sync import registry as R
    from tests.gui.test_enterprise_form import valid_tax_code

    folder = tmp_path / "data"
    with open_store(folder) as s:
        s.set_profile(unit_code=TEST_WARD, collaborator="Nguyễn Thị Hằng", role=Role.COLLABORATOR)
        R.ensure_keys(s, data_dir=folder)
        save_enterprise(
            s, Enterprise(name="Công ty TNHH Thật", tax_code=valid_tax_code("010333222"), ward_code=TEST_WARD)
        )
    return folder


def _follow(qtbot, window, holder: list) -> None:
    window.sig_replaced.connect(holder.append)


def _enter(qtbot, window, n: int = 40):
    replaced: list = []
    _follow(qtbot, window, replaced)
    window.actions.trigger("practice.enter")
    dialog = window.findChild(QInputDialog, "practice_count")
    assert isinstance(dialog, QInputDialog) and "không bao giờ lẫn với dữ liệu thật" in dialog.labelText()
    dialog.setIntValue(n)
    dialog.accept()
    qtbot.waitUntil(lambda: bool(replaced), timeout=60000)
    practice = replaced[0]
    qtbot.waitUntil(
        lambda: practice.list_panel.model.loaded_once and practice.list_panel.model.exact, timeout=10000
    )
    return practice


def test_practice_is_marked_refuses_sync_and_is_left_with_one_action(qtbot, real_dir):
    window = open_window(qtbot, real_dir)
    assert window.practice_band is None and "practice.enter" in window.actions
    practice = _enter(qtbot, window)
    try:
        # marked on every screen: the band, the title, the status bar
        assert practice.profile.practice and practice.data_dir == real_dir / svc.FOLDER
        assert practice.practice_band.isVisible()
        assert "TẬP DƯỢT" in practice.windowTitle()
        assert practice.findChild(object, "status_unit").text().startswith("TẬP DƯỢT")
        practice.show_page("targets")
        assert practice.practice_band.isVisible()  # across every page
        practice.show_page("enterprises")
        assert practice.list_panel.model.rowCount() == 40
        assert "tools.setup" not in practice.actions  # the real laptop's setup is not here

        # never exported: the export dialog says so and offers the way out
        practice.actions.trigger("sync.export")
        dialog = practice.sync.dialog
        qtbot.waitUntil(
            lambda: dialog.remedy_button is not None and dialog.remedy_button.isVisible(), timeout=10000
        )
        assert "dữ liệu tập dượt" in dialog.preview.text()
        assert not dialog.export_button.isEnabled()
        wait_idle(qtbot, practice)
        dialog.close()

        # the one action that leaves: back to the real data, untouched
        back: list = []
        practice.sig_replaced.connect(back.append)
        practice.practice_band.findChild(object, "practice_leave").click()
        qtbot.waitUntil(lambda: bool(back), timeout=10000)
        real = back[0]
        qtbot.waitUntil(
            lambda: real.list_panel.model.loaded_once and real.list_panel.model.exact, timeout=10000
        )
        assert not real.profile.practice and real.practice_band is None
        assert real.list_panel.model.rowCount() == 1
        assert not practice.isVisible()
        wait_idle(qtbot, real)

        # entering again opens the same practice data, without asking
        again: list = []
        real.sig_replaced.connect(again.append)
        real.actions.trigger("practice.enter")
        qtbot.waitUntil(lambda: bool(again), timeout=30000)
        qtbot.waitUntil(lambda: again[0].list_panel.model.loaded_once, timeout=10000)
        assert again[0].list_panel.model.rowCount() == 40
        close_window(qtbot, again[0])
        close_window(qtbot, real)
    finally:
        for w in (practice, window):
            close_window(qtbot, w)
        flush_deletes()
    with open_store(real_dir) as s:
        assert s.counts()["enterprises"] == 1 and not s.is_practice
    with open_practice_store(real_dir) as s:
        assert s.counts()["enterprises"] == 40 and s.is_practice


def test_the_sync_layer_refuses_practice_data_whatever_asks(real_dir, tmp_path):
    from app.sync import bundles as B
    from app.sync import registry as R

    with open_store(real_dir) as s:
        profile = s.profile()
    prepared = svc.prepare(real_dir, profile, 5, key=key_for(real_dir), today=TEST_TODAY)
    with open_practice_store(real_dir) as s:
        assert s.is_practice
        for attempt in (
            lambda: B.preview(s),
            lambda: B.export(s, None, tmp_path),  # type: ignore[arg-type]
            lambda: B.import_paths(s, None, [tmp_path]),  # type: ignore[arg-type]
            lambda: R.ensure_keys(s, data_dir=prepared.data_dir),
            lambda: R.load_keys(s, data_dir=real_dir),  # not even with the real laptop's keys
        ):
            with pytest.raises(SyncError) as caught:
                attempt()
            assert caught.value.reason == "practice"
    assert not (prepared.data_dir / "khaosat-keys.json").exists()


def test_more_demo_data_only_in_practice(qtbot, real_dir):
    window = open_window(qtbot, real_dir)
    try:
        assert "tools.demo" not in window.actions  # no demo data into real data from the window
        practice = _enter(qtbot, window, 12)
        try:
            practice.actions.trigger("tools.demo")
            dialog = practice.findChild(QInputDialog, "practice_count")
            dialog.setIntValue(8)
            dialog.accept()
            qtbot.waitUntil(lambda: practice.list_panel.model.rowCount() == 20, timeout=60000)
            wait_idle(qtbot, practice)
        finally:
            close_window(qtbot, practice)
    finally:
        close_window(qtbot, window)
