"""Data flowing down, in the window: Phân công from the list, progress by collaborator, the office's
settings, Gửi xuống with what waits for each machine; on the laptop, "của tôi" first and the values set
above shown with where they came from. Real windows, real files, real bundles on a folder standing in
for the USB stick."""

from __future__ import annotations

from datetime import date

import pytest

from app.domain.records import Assignment, Enterprise, OfficeSettings
from app.domain.vocab import Role
from app.services import assignments as A
from app.sync import keys as K
from app.sync import registry as R
from tests.gui.conftest import close_window, open_window, wait_idle
from tests.gui.test_sync import shot
from tests.helpers.vault import open_store
from tests.sync.conftest import make_machine


@pytest.fixture
def office(tmp_path, data_dir):
    """The demo ward office (data_dir, 300 enterprises) with keys and one registered laptop."""
    stick = tmp_path / "usb"
    stick.mkdir()
    with open_store(data_dir) as s:
        ward = R.ensure_keys(s)
        ward_doc = K.read_pubkey_file(K.pubkey_file(R.own_pubkey_doc(s, ward)))
        laptop = make_machine(tmp_path, "Nguyễn Thị Hằng", "00070", Role.COLLABORATOR)
        R.register(s, K.read_pubkey_file(laptop.pubkey(tmp_path).read_bytes()))
        R.register(laptop.store, ward_doc, destination=True)
    yield {"stick": stick, "laptop": laptop}
    laptop.store.close()


def test_office_assigns_sets_and_sends_down(qtbot, data_dir, office):
    laptop = office["laptop"]
    window = open_window(qtbot, data_dir)
    try:
        panel = window.list_panel
        qtbot.waitUntil(lambda: panel.model.rowCount() > 10, timeout=20000)
        # select three rows in the list, then Phân công
        panel.table.selectRow(0)
        for r in (1, 2):
            panel.table.selectionModel().select(
                panel.model.index(r, 0),
                panel.table.selectionModel().SelectionFlag.Select
                | panel.table.selectionModel().SelectionFlag.Rows,
            )
        chosen = window.selected_enterprise_ids()
        assert len(chosen) == 3
        assert window.actions.action("enterprise.assign").isEnabled()
        window.actions.trigger("enterprise.assign")
        dialog = window.office.dialog
        qtbot.waitUntil(lambda: dialog.who.count() == 2 and dialog.ok.isEnabled(), timeout=20000)
        assert dialog.who.itemText(0).startswith("Nguyễn Thị Hằng")
        assert "3 doanh nghiệp đang chọn" in dialog.use_selected.text()
        shot(dialog, "down-assign")
        dialog.ok.click()
        qtbot.waitUntil(lambda: "Đã phân công 3" in dialog.status.text(), timeout=20000)
        dialog.close()
        with open_store(data_dir) as s:
            assert {A.assignee_of(s, e).assignee for e in chosen} == {laptop.id}

        # progress by collaborator
        window.actions.trigger("enterprise.assign_progress")
        progress = window.office.dialog
        progress.year.setValue(2025)
        qtbot.waitUntil(lambda: progress.table.rowCount() == 2, timeout=20000)
        assert progress.table.item(0, 0).text() == "Nguyễn Thị Hằng"
        assert progress.table.item(0, 1).text() == "3"
        assert progress.table.item(1, 0).text() == "Chưa phân công"
        shot(progress, "down-progress")
        progress.close()

        # the office's settings: a founding minimum for every machine below
        window.actions.trigger("tools.office_settings")
        settings = window.office.dialog
        qtbot.waitUntil(lambda: "min_union" in settings.editors, timeout=20000)
        settings.editors["min_union"].setValue(7)
        settings.save.click()
        qtbot.waitUntil(lambda: "Đã lưu" in settings.status.text(), timeout=20000)
        shot(settings, "down-office-settings")
        settings.close()

        # Gửi xuống: what waits for the laptop, then the file
        window.actions.trigger("sync.down")
        down = window.sync.dialog
        qtbot.waitUntil(lambda: down.table.rowCount() == 1, timeout=30000)
        assert "Nguyễn Thị Hằng" in down.table.item(0, 0).text()
        assert "phân công" in down.table.item(0, 2).text() and "doanh nghiệp" in down.table.item(0, 2).text()
        assert down.table.item(0, 3).text() == "chưa lần nào"
        down.set_folder(str(office["stick"]))
        shot(down, "down-send")
        down.send_all.click()
        qtbot.waitUntil(lambda: bool(down.results), timeout=60000)
        wait_idle(qtbot, window)
        [res] = down.results
        assert res.path.name.startswith("xuong_00070_") and "Gói xuống số 1" in down.status.text()
        down.close()
    finally:
        close_window(qtbot, window)
    r = laptop.import_ok(res.path)
    assert r.direction == "down" and r.report.new > 300
    assert laptop.store.get(Assignment, Assignment.id_for(chosen[0])).assignee == laptop.id
    assert (
        laptop.store.founding_rules().minimums[
            __import__("app.domain.vocab", fromlist=["OrgKind"]).OrgKind.UNION
        ]
        == 7
    )
    assert laptop.store.get(OfficeSettings, OfficeSettings.id_for(window.profile.laptop_id)).min_union == 7


def test_laptop_lists_its_own_first_and_cannot_change_what_came_from_above(qtbot, tmp_path, data_dir, office):
    """The laptop's window after a downward bundle: "của tôi" first, the minimum set above locked."""
    from app.services import office_settings as S
    from app.sync import down_export as DX

    with open_store(data_dir) as s:
        ids = [r[0] for r in s.conn.execute("SELECT id FROM enterprises ORDER BY name DESC LIMIT 2")]
        A.assign(s, ids, A.collaborators(s)[0], today=date(2025, 11, 1))
        S.set_own(s, {"min_union": 7})
        ident = R.load_keys(s)
        [res] = DX.export_down(s, ident, office["stick"])
    laptop = office["laptop"]
    laptop.import_ok(res.path)
    laptop.store.close()
    window = open_window(qtbot, laptop.folder)
    try:
        panel = window.list_panel
        qtbot.waitUntil(lambda: panel.model.rowCount() >= 300, timeout=20000)
        qtbot.waitUntil(lambda: panel.model.row_data(1) is not None, timeout=20000)
        first = {panel.model.row_data(0)["id"], panel.model.row_data(1)["id"]}
        assert first == set(ids)  # the two assigned to this laptop come first
        col = [k for k, _h in __import__("app.gui.enterprises.model", fromlist=["COLUMNS"]).COLUMNS].index(
            "assignee"
        )
        assert panel.model.data(panel.model.index(0, col)) == "Của tôi"
        assert not window.actions.action("enterprise.assign").isEnabled()
        shot(window, "down-laptop-list")
        window.actions.trigger("tools.office_settings")
        settings = window.office.dialog
        qtbot.waitUntil(lambda: settings.findChild(object, "where_min_union") is not None, timeout=20000)
        where = settings.findChild(object, "where_min_union")
        assert where.text().startswith("do ") and "giao" in where.text()
        assert not settings.editors  # nothing to edit on a laptop
        shot(settings, "down-laptop-settings")
        settings.close()
    finally:
        close_window(qtbot, window)
        laptop.store = open_store(laptop.folder)
    with open_store(laptop.folder) as s:
        assert s.get(Enterprise, ids[0]) is not None


def test_on_the_laptop_what_came_down_shows_in_the_work_list_and_the_targets_page(qtbot, data_dir, office):
    """A downward bundle imported in the laptop's window (Đồng bộ ▸ Nhập gói dữ liệu) says what it
    changed, and the pages refresh from it: the work list on screen at once, the targets page (its
    development part: pool, recognitions, quality levels) when it is shown next (issue 17's records)."""
    from PySide6.QtCore import Qt

    from app.domain.records import Admission, Organisation, QualityRating, Visit
    from app.domain.vocab import OrgKind, OrgStatus, QualityLevel
    from app.reports.results import Period, development_for
    from app.services import records as svc
    from app.services import worklist as wl
    from app.sync import down_export as DX
    from tests.conftest import TEST_TODAY

    laptop = office["laptop"]
    with open_store(data_dir) as s:  # the ward's list first, as a new laptop gets it
        ident = R.load_keys(s)
        [first] = DX.export_down(s, ident, office["stick"])
    laptop.import_ok(first.path)
    laptop.store.close()
    window = open_window(qtbot, laptop.folder)
    try:
        window.show_page("worklist")
        view = window.worklist_view
        qtbot.waitUntil(lambda: bool(view.overview), timeout=20000)
        wait_idle(qtbot, window)

        # meanwhile at the office: a new enterprise assigned to the laptop, with a visit (a pool of
        # candidates, members enough for a trade union), its Party cell rated, a member overdue
        with open_store(data_dir) as s:
            e = Enterprise(name="Công ty TNHH Xuống Phố", tax_code="0100109106", ward_code="00070")
            with s.write() as w:
                w.create(e)
            A.assign(s, [e.id], A.collaborators(s)[0], today=TEST_TODAY)
            svc.save_visit(
                s,
                Visit(
                    enterprise_id=e.id,
                    visit_date=date(2025, 10, 2),
                    workforce_total=90,
                    party_official=3,
                    union_members=11,
                    candidates_identified=4,
                    candidates_trained=2,
                    candidates_applied=1,
                ),
                today=TEST_TODAY,
            )
            org = svc.save_organisation(
                s,
                Organisation(
                    enterprise_id=e.id,
                    kind=OrgKind.PARTY,
                    status=OrgStatus.FOUNDED,
                    decision_number="7-QĐ/ĐU",
                    decision_date=date(2024, 3, 1),
                    issuing_body="Đảng ủy phường Hoàn Kiếm",
                    founding_members=3,
                ),
                today=TEST_TODAY,
            ).record
            svc.save_rating(
                s,
                QualityRating(
                    enterprise_id=e.id,
                    organisation_id=org.id,
                    kind=OrgKind.PARTY,
                    year=2025,
                    level=QualityLevel.GOOD,
                ),
                today=TEST_TODAY,
            )
            late = svc.save_admission(
                s,
                Admission(enterprise_id=e.id, kind=OrgKind.PARTY, admitted_on=date(2024, 10, 1), count=1),
                today=TEST_TODAY,
            ).record
            [second] = DX.export_down(s, ident, office["stick"])

        # imported in the window, the work list on screen
        window.actions.trigger("sync.import")
        dialog = window.sync.dialog
        dialog.add_paths([str(second.path)])
        qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: len(dialog.results) == 1, timeout=30000)
        assert dialog.results[0].outcome == "applied", dialog.results[0].error
        dialog.close()

        def lines(section: str) -> list[wl.WorkItem]:
            return view.overview.get(section, (0, []))[1]

        qtbot.waitUntil(lambda: any(i.enterprise_id == e.id for i in lines(wl.OPPORTUNITIES)), timeout=20000)
        assert any(i.record_id == late.id for i in lines(wl.PROBATION))
        wait_idle(qtbot, window)

        # the targets page, shown: the laptop's numbers, as its report computes them
        targets = window.targets_view
        window.show_page("targets")
        targets.year.setValue(2025)
        qtbot.waitUntil(lambda: targets.shown_year == 2025 and window.tasks.active == 0, timeout=20000)
        with open_store(laptop.folder) as s:
            expected = development_for(s, "00070", Period.year(2025), TEST_TODAY)
        shown = targets.shown_development
        assert shown == expected
        assert shown.quality.levels[OrgKind.PARTY][QualityLevel.GOOD] >= 1
        assert shown.pool.identified >= 4 and shown.probation.overdue_people >= 1
    finally:
        close_window(qtbot, window)
        laptop.store = open_store(laptop.folder)
