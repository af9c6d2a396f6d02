"""The window learns what a write changed from the write itself (``app.storage.changes``, Anki's
``OpChanges``): a write task returns what it changed (a service's ``Saved``, a ``ChangeSummary``), the
runner hands that on ``window.tasks.sig_data_changed``, and the window refreshes the views that summary
concerns, and only those. Nothing reads the change log, or asks the store, to find out what just
happened."""

from __future__ import annotations

from datetime import date

from app.domain.records import Enterprise, Visit
from app.domain.validation import ValidationError
from app.services import records as svc
from tests.gui.conftest import wait_idle
from tests.helpers.vault import open_store


def _count_refreshes(window, monkeypatch) -> dict[str, int]:
    calls = {"list": 0, "detail": 0, "targets": 0}

    def counting(name, real):
        def call(*args, **kwargs):
            calls[name] += 1
            return real(*args, **kwargs)

        return call

    monkeypatch.setattr(window.list_panel, "refresh", counting("list", window.list_panel.refresh))
    monkeypatch.setattr(window.detail_panel, "reload", counting("detail", window.detail_panel.reload))
    # the targets page is told (it reads again when shown: tests/gui/test_pages_on_show.py)
    monkeypatch.setattr(
        window.targets_view, "data_changed", counting("targets", window.targets_view.data_changed)
    )
    return calls


def test_a_write_task_says_what_it_changed_and_the_window_refreshes_what_it_concerns(
    qtbot, window, data_dir, monkeypatch
):
    with open_store(data_dir) as s:
        [shown, other] = [
            r[0] for r in s.conn.execute("SELECT id FROM enterprises WHERE deleted = 0 ORDER BY rid LIMIT 2")
        ]
    window.detail_panel.show_enterprise(shown)
    wait_idle(qtbot, window)
    said = []
    window.tasks.sig_data_changed.connect(said.append)
    calls = _count_refreshes(window, monkeypatch)

    # a visit of the enterprise on screen: the list (its last visit), the panel and the targets page (its
    # development tab counts the pool of candidates from the latest visits) refresh
    visit = Visit(enterprise_id=shown, visit_date=date(2025, 6, 3), workforce_total=40)
    saved = []
    window.tasks.write(lambda store: svc.save_visit(store, visit, author="Trần Văn Nam"), saved.append)
    wait_idle(qtbot, window)
    [summary] = said
    assert summary.created("visits") == {visit.id} and summary.entities == {"visits"}
    assert saved[0].record.id == visit.id and saved[0].changes == summary  # on_done gets what it returned
    assert calls == {"list": 1, "detail": 1, "targets": 1}

    # another enterprise renamed: the list refreshes, the panel showing the first one does not
    def rename(store):
        e = store.get(Enterprise, other)
        e.name = "Công ty TNHH Đổi Tên"
        with store.write("Trần Văn Nam") as w:
            w.save(e)
        return w.changes

    window.tasks.write(rename)
    wait_idle(qtbot, window)
    assert said[-1].updated("enterprises") == {other} and not said[-1].affects("enterprises", shown)
    assert calls == {"list": 2, "detail": 1, "targets": 1}

    # a write task that writes nothing says nothing and refreshes nothing
    window.tasks.write(lambda store: None)
    wait_idle(qtbot, window)
    assert len(said) == 2 and calls == {"list": 2, "detail": 1, "targets": 1}


def test_merging_two_enterprises_of_one_tax_code_says_what_it_changed(qtbot, window, data_dir, monkeypatch):
    """The sync functions say what they wrote too (``merge_pair`` a ``Merged``, ``resolve_conflict`` a
    ``Resolved``, ``export_down`` a ``DownExport``): merging a twin into an enterprise refreshes the
    list, not the panel of a third enterprise nor the targets page."""
    from app.sync import same_tax_code

    with open_store(data_dir) as s:
        [shown, kept] = [
            r[0]
            for r in s.conn.execute(
                "SELECT id FROM enterprises WHERE deleted = 0 AND tax_code IS NOT NULL ORDER BY rid LIMIT 2"
            )
        ]
        e = s.get(Enterprise, kept)
        twin = Enterprise(
            name=e.name + " (nhập trùng)", tax_code=e.tax_code, ward_code=e.ward_code, phone="0243 555 666"
        )
        with s.write("Trần Văn Nam") as w:
            w.create(twin)
        had_phone = e.phone not in (None, "")
    window.detail_panel.show_enterprise(shown)
    wait_idle(qtbot, window)
    said, done = [], []
    window.tasks.sig_data_changed.connect(said.append)
    calls = _count_refreshes(window, monkeypatch)

    window.tasks.write(
        lambda store: same_tax_code.merge_pair(store, kept, twin.id, "Trần Văn Nam"), done.append
    )
    wait_idle(qtbot, window)
    [summary] = said
    assert not summary.everything and summary.deleted("enterprises") == {twin.id}
    assert summary.updated("enterprises") == (set() if had_phone else {kept})
    assert summary.entities == {"enterprises"} and done[0].changes == summary
    assert calls == {"list": 1, "detail": 0, "targets": 0}


def test_a_write_that_does_not_say_what_it_wrote_refreshes_everything(qtbot, window, monkeypatch):
    """A function that writes records but returns something else (none of the services' or app/sync's,
    tests/test_architecture.py): the window cannot know what changed, so it refreshes it all."""
    said = []
    window.tasks.sig_data_changed.connect(said.append)
    calls = _count_refreshes(window, monkeypatch)

    def quiet(store):
        rid = store.conn.execute("SELECT id FROM enterprises WHERE deleted = 0 LIMIT 1").fetchone()[0]
        with store.write("Trần Văn Nam") as w:
            w.save(Visit(enterprise_id=rid, visit_date=date(2025, 6, 3), workforce_total=12))
        return "đã ghi"

    window.tasks.write(quiet)
    wait_idle(qtbot, window)
    assert [s.everything for s in said] == [True] and calls["list"] == 1 and calls["targets"] == 1


def test_what_a_failing_task_committed_before_it_failed_refreshes_everything(qtbot, window, monkeypatch):
    """A task that fails after committing writes (stopped between two bundles) never returned what it
    wrote: everything is refreshed. One that fails before writing anything (a refused save) says nothing."""
    said, failures = [], []
    window.tasks.sig_data_changed.connect(said.append)
    visit_ids = []

    def half_way(store):
        rid = store.conn.execute("SELECT id FROM enterprises WHERE deleted = 0 LIMIT 1").fetchone()[0]
        v = Visit(enterprise_id=rid, visit_date=date(2025, 6, 3), workforce_total=12)
        svc.save_visit(store, v, author="Trần Văn Nam")  # committed
        visit_ids.append(v.id)
        with store.write("Trần Văn Nam") as w:  # rolled back
            w.save(Visit(enterprise_id=rid, visit_date=date(2025, 6, 4), workforce_total=13))
            raise RuntimeError("hỏng giữa chừng")

    window.tasks.write(half_way, on_error=failures.append)
    wait_idle(qtbot, window)
    assert [s.everything for s in said] == [True] and len(visit_ids) == 1
    assert len(failures) == 1 and "hỏng giữa chừng" in str(failures[0].exception)

    def refused(store):
        rid = store.conn.execute("SELECT id FROM enterprises WHERE deleted = 0 LIMIT 1").fetchone()[0]
        return svc.save_visit(store, Visit(enterprise_id=rid, visit_date=None))  # no date: refused

    window.tasks.write(refused, on_error=failures.append)
    wait_idle(qtbot, window)
    assert len(said) == 1 and isinstance(failures[1].exception, ValidationError)
