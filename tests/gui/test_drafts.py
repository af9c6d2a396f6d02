"""Never lose typing: a draft written while typing survives the process being killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import date

from PySide6.QtWidgets import QMessageBox

from app.domain.records import Visit
from app.gui.drafts import Draft, DraftStore
from app.security.datakey import DataKey
from tests.conftest import ROOT
from tests.gui.conftest import close_window, focused_form, open_window, wait_idle
from tests.helpers.vault import open_store


def _enterprise(data_dir) -> dict:
    with open_store(data_dir) as s:
        return s._rows("SELECT id, name FROM enterprises ORDER BY rid LIMIT 1")[0]


def test_draft_restored_after_the_program_is_killed(qtbot, data_dir):
    e = _enterprise(data_dir)
    with open_store(data_dir) as s:
        visits_before = len(s.children(Visit, e["id"]))
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONIOENCODING="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.gui.typist", str(data_dir), e["id"]],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )
    try:
        line = proc.stdout.readline().strip()
        assert line == "DRAFT-SAVED", (line, proc.stderr.read() if proc.poll() is not None else "")
    finally:
        proc.send_signal(signal.SIGKILL)  # no chance to clean up, as in a power cut
        proc.wait(10)
        proc.stdout.close()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    with open_store(data_dir) as s:
        assert len(s.children(Visit, e["id"])) == visits_before  # nothing was saved

    window = open_window(qtbot, data_dir)
    try:
        window.forms.offer_drafts()
        qtbot.waitUntil(
            lambda: (
                getattr(window.forms, "drafts_box", None) is not None and window.forms.drafts_box.isVisible()
            ),
            timeout=10000,
        )
        box: QMessageBox = window.forms.drafts_box
        assert "1 phiếu chưa lưu" in box.text() and e["name"] in box.text()
        restore = [b for b in box.buttons() if b.text() == "&Mở lại"][0]
        restore.click()
        form = focused_form(qtbot, window, "VisitForm")
        assert form.field_text("person_met") == "Vũ Thị Thanh Hương"
        assert form.field_text("difficulties") == "Doanh nghiệp đang chuyển trụ sở"
        assert form.field_text("visit_date") == "12/11/2025"
        assert form.dirty
        form.save()
        qtbot.waitUntil(lambda: form not in window.forms.open_forms, timeout=10000)
        wait_idle(qtbot, window)
        with open_store(data_dir) as s:
            visits = s.children(Visit, e["id"], "visit_date DESC")
        assert len(visits) == visits_before + 1
        saved = [v for v in visits if v.person_met == "Vũ Thị Thanh Hương"][0]
        assert saved.visit_date == date(2025, 11, 12)
        qtbot.waitUntil(lambda: not list((data_dir / "drafts").glob("*.draft")), timeout=5000)
    finally:
        close_window(qtbot, window)


def test_draft_files_are_whole_or_absent(tmp_path):
    store = DraftStore(tmp_path / "drafts", DataKey.generate())
    d = Draft(
        key="visit-abc",
        form="visit",
        title="Lượt khảo sát mới — Công ty A",
        record_id="abc",
        is_new=True,
        context={"enterprise_id": "e1"},
        values={"person_met": "Đỗ Minh Châu"},
    )
    path = store.save(d)
    assert path.name == "visit-abc.draft"
    assert "Đỗ Minh Châu".encode() not in path.read_bytes()  # sealed under the data key
    assert not [p for p in path.parent.iterdir() if p.suffix == ".tmp"]
    (tmp_path / "drafts" / "broken.draft").write_bytes(b"KSDRAFT1 not sealed")
    loaded = store.load_all()
    assert [x.values for x in loaded] == [{"person_met": "Đỗ Minh Châu"}]
    assert (tmp_path / "drafts" / "broken.hong").exists()  # set aside, never offered
    store.discard("visit-abc")
    assert store.load_all() == []


def test_closing_with_unsaved_changes_asks(qtbot, window, monkeypatch):
    e = _enterprise(window.data_dir)
    window.forms.new_visit(e["id"])
    form = focused_form(qtbot, window, "VisitForm")
    form.widgets["person_met"].setText("Hoàng Văn Bình")
    asked = []

    def answer(box):
        asked.append(box.text())
        return QMessageBox.StandardButton.Cancel

    monkeypatch.setattr(QMessageBox, "exec", answer)
    window.close()
    assert asked and "chưa lưu" in asked[0]
    assert window.isVisible() and form in window.forms.open_forms  # Quay lại: nothing closed
