"""The hidden pages are read when they are first shown, not at start, and a write made while one is
hidden shows when it is shown again.

At start only the enterprise list is on screen. The «Chỉ tiêu và tiến độ» page's reads (the year's
progress and the report's development part: admissions and organisations joined with their
enterprises) were most of the pages the start read at 100,000 enterprises, each one decrypted on an
encrypted file (docs/performance.md, "Encryption at rest"); «Việc cần làm» reads its sections and «Xung đột dữ liệu» its queue too. All three wait until they are
shown.
"""

from __future__ import annotations

import functools
from datetime import date

from PySide6.QtCore import Qt

from app.domain.records import Admission
from app.domain.vocab import OrgKind, TargetMetric
from tests.gui.conftest import close_window, open_window, wait_idle
from tests.helpers.typing import Keyboard
from tests.helpers.vault import open_store


def _spy(monkeypatch, module, name: str) -> list[object]:
    calls: list[object] = []
    real = getattr(module, name)

    @functools.wraps(real)  # the task runner reads its parameters (a task given the store only)
    def spy(*args, **kwargs):
        calls.append(args[1:])
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, spy)
    return calls


def _members(view, kind: OrgKind) -> int:
    return next(r.achieved for r in view.rows if r.kind == kind and r.metric == TargetMetric.MEMBERS)


def test_start_reads_neither_hidden_page_and_showing_one_reads_it(qtbot, data_dir, monkeypatch):
    from app.gui.targets import view as targets_view
    from app.services import conflicts, progress, worklist

    progress_calls = _spy(monkeypatch, progress, "progress")
    development_calls = _spy(monkeypatch, targets_view, "development_for")
    worklist_calls = _spy(monkeypatch, worklist, "overview")
    conflict_calls = _spy(monkeypatch, conflicts, "queue")
    window = open_window(qtbot, data_dir)
    try:
        wait_idle(qtbot, window)
        qtbot.wait(50)
        wait_idle(qtbot, window)
        view = window.targets_view
        assert window.current_page() == "enterprises"
        assert progress_calls == [] and development_calls == [] and worklist_calls == []
        assert conflict_calls == []
        assert view.stale and view.rows == [] and view.shown_development is None

        # Ctrl+2 shows the targets page: it reads the year then, once
        kb = Keyboard()
        window.list_panel.search.setFocus()
        kb.shortcut(Qt.Key.Key_2)
        assert window.current_page() == "targets"
        qtbot.waitUntil(lambda: len(view.rows) == 10 and view.shown_development is not None, timeout=10000)
        wait_idle(qtbot, window)
        assert len(progress_calls) == 1 and len(development_calls) == 1 and worklist_calls == []
        assert not view.stale

        # shown again with nothing changed: nothing read again
        window.show_page("enterprises")
        window.show_page("targets")
        wait_idle(qtbot, window)
        assert len(progress_calls) == 1

        # the work list and the conflicts too
        window.show_page("worklist")
        qtbot.waitUntil(lambda: len(worklist_calls) == 1 and window.tasks.active == 0, timeout=10000)
        assert len(progress_calls) == 1 and conflict_calls == []
        window.show_page("conflicts")
        qtbot.waitUntil(lambda: len(conflict_calls) == 1 and window.tasks.active == 0, timeout=10000)
        assert "Không có xung đột nào." in window.sync.conflicts.status.text()
        # a write while it is hidden: read when shown again, once
        window.show_page("enterprises")
        window.notify_data_changed()
        wait_idle(qtbot, window)
        assert len(conflict_calls) == 1
        window.show_page("conflicts")
        qtbot.waitUntil(lambda: len(conflict_calls) == 2 and window.tasks.active == 0, timeout=10000)
    finally:
        close_window(qtbot, window)


def test_a_write_while_the_page_is_hidden_shows_when_it_is_shown(qtbot, window, data_dir, monkeypatch):
    from app.services import progress

    view = window.targets_view
    window.show_page("targets")
    view.year.setValue(2025)
    qtbot.waitUntil(lambda: view.shown_year == 2025 and len(view.rows) == 10, timeout=10000)
    wait_idle(qtbot, window)
    before_members = _members(view, OrgKind.YOUTH)
    before_pool = view.shown_development.pool.admitted  # type: ignore[union-attr]
    calls = _spy(monkeypatch, progress, "progress")

    # back on the list; an admission of 7 Youth Union members is saved through the window's write path
    window.show_page("enterprises")
    with open_store(data_dir) as s:
        enterprise = s.conn.execute("SELECT id FROM enterprises WHERE deleted = 0 LIMIT 1").fetchone()[0]
    admission = Admission(enterprise_id=enterprise, kind=OrgKind.YOUTH, admitted_on=date(2025, 9, 2), count=7)
    window.tasks.write(lambda store: _save(store, admission))
    wait_idle(qtbot, window)
    # hidden: not read, only marked
    assert calls == [] and view.stale and _members(view, OrgKind.YOUTH) == before_members

    # shown: read once, with the new admission in it
    window.show_page("targets")
    qtbot.waitUntil(lambda: _members(view, OrgKind.YOUTH) == before_members + 7, timeout=10000)
    wait_idle(qtbot, window)
    assert len(calls) == 1 and not view.stale
    assert view.shown_development.pool.admitted == before_pool  # type: ignore[union-attr] # Party only

    # a year chosen on the page reads at once (the page is shown)
    view.year.setValue(2024)
    qtbot.waitUntil(lambda: view.shown_year == 2024, timeout=10000)
    assert len(calls) == 2


def test_a_change_of_profile_while_hidden_waits_for_the_page_too(qtbot, window, monkeypatch):
    from app.services import progress, worklist

    p_calls = _spy(monkeypatch, progress, "progress")
    w_calls = _spy(monkeypatch, worklist, "overview")
    window.set_profile(window.profile)
    wait_idle(qtbot, window)
    assert p_calls == [] and w_calls == []
    assert window.targets_view.stale
    window.show_page("targets")
    qtbot.waitUntil(lambda: len(p_calls) == 1 and window.tasks.active == 0, timeout=10000)
    assert w_calls == []


def _save(store, admission):
    from app.services.records import save_admission

    return save_admission(store, admission, today=date(2025, 11, 20))
