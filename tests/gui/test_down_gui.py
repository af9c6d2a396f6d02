"""Data flowing down, in the window: Phân công from the list, progress by collaborator, the office's
settings, Gửi xuống with what waits for each machine; on the laptop, "của tôi" first and the values set
above shown with where they came from. Real windows, real files, real bundles on a folder standing in
for the USB stick."""

from __future__ import annotations

from datetime import date

import pytest

from app.domain.records import Assignment, Enterprise, OfficeSettings
from app.domain.vocab import Role
from app.gui.enterprises.model import COLUMNS
from app.services import assignments as A
from app.sync import keys as K
from app.sync import registry as R
from tests.gui.conftest import close_window, open_window, wait_idle
from tests.helpers.screens import place, shot
from tests.helpers.vault import open_store
from tests.sync.conftest import make_machine

ASSIGNEE = [k for k, _h in COLUMNS].index("assignee")


def assignee_column_in_view(panel) -> bool:
    """«Phân công» is shown right after the name and whole in the list's visible width."""
    table, header = panel.table, panel.table.horizontalHeader()
    left = table.columnViewportPosition(ASSIGNEE)
    return (
        not table.isColumnHidden(ASSIGNEE)
        and header.visualIndex(ASSIGNEE) == 1
        and left >= 0
        and left + table.columnWidth(ASSIGNEE) <= table.viewport().width()
    )


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
        place(window)
        panel = window.list_panel
        qtbot.waitUntil(lambda: panel.model.rowCount() > 10, timeout=20000)
        assert panel.table.isColumnHidden(ASSIGNEE)  # nothing assigned yet: no empty column
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
        # now the list says who, after the name, in view on this screen
        qtbot.waitUntil(lambda: assignee_column_in_view(panel), timeout=20000)
        qtbot.waitUntil(lambda: panel.model.data(panel.model.index(0, ASSIGNEE)) == "Nguyễn Thị Hằng")
        shot(window, "down-assigned-list")
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
        # what waits is read in the table, not only in a tooltip: no column runs past the dialog, and the
        # row is tall enough for the wrapped text
        from PySide6.QtCore import QRect, Qt

        table = down.table
        assert table.horizontalHeader().length() <= table.viewport().width()
        waiting = table.item(0, 2).text()
        needed = table.fontMetrics().boundingRect(
            QRect(0, 0, table.columnWidth(2) - 8, 10000), Qt.TextFlag.TextWordWrap, waiting
        )
        assert table.rowHeight(0) >= needed.height(), (table.rowHeight(0), needed.height(), waiting)
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
        place(window)
        panel = window.list_panel
        qtbot.waitUntil(lambda: panel.model.rowCount() >= 300, timeout=20000)
        qtbot.waitUntil(lambda: panel.model.row_data(1) is not None, timeout=20000)
        first = {panel.model.row_data(0)["id"], panel.model.row_data(1)["id"]}
        assert first == set(ids)  # the two assigned to this laptop come first
        assert panel.model.data(panel.model.index(0, ASSIGNEE)) == "Của tôi"
        qtbot.waitUntil(lambda: assignee_column_in_view(panel), timeout=20000)
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


def test_laptop_cannot_change_targets_and_report_settings_set_above(qtbot, data_dir, office):
    """Targets and report settings the ward office set override the laptop's own, say «do ... giao», and
    cannot be changed on the laptop; what the office did not set stays the laptop's to change."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QAbstractItemView

    from app.domain.records import Admission, Target
    from app.domain.vocab import OrgKind, TargetMetric
    from app.services import office_settings as S
    from app.services.records import save_target
    from app.sync import down_export as DX

    laptop = office["laptop"]
    year = 2031
    # the laptop's own choices first: a target it typed, report settings of its own
    with laptop.store as s:
        for kind, value in ((OrgKind.PARTY, 9), (OrgKind.YOUTH, 4)):
            save_target(
                s, Target(unit_code="00070", year=year, kind=kind, metric=TargetMetric.MEMBERS, value=value)
            )
        s.set_setting("report.rounding", "half_up")
        s.set_setting("report.style", "party")
        s.set_setting("report.workforce_thresholds", [20, 500])
    # the ward office sets the Party members' target and the report's style, rounding and groups
    with open_store(data_dir) as s:
        save_target(
            s, Target(unit_code="00070", year=year, kind=OrgKind.PARTY, metric=TargetMetric.MEMBERS, value=15)
        )
        S.set_own(
            s,
            {"rounding": "truncate", "report_style": "state", "workforce_small": 30, "workforce_large": 300},
        )
        [res] = DX.export_down(s, R.load_keys(s), office["stick"])
    laptop.store = open_store(laptop.folder)
    laptop.import_ok(res.path)
    with laptop.store.write() as w:  # 16 admitted in an enterprise of the list: 16/15
        eid = laptop.store.conn.execute("SELECT id FROM enterprises ORDER BY name LIMIT 1").fetchone()[0]
        w.create(Admission(enterprise_id=eid, kind=OrgKind.PARTY, admitted_on=date(year, 3, 1), count=16))
    laptop.store.close()
    given = "do Đảng ủy phường Hoàn Kiếm giao"  # the ward office, by its unit (not the person who set it up)

    window = open_window(qtbot, laptop.folder)
    try:
        place(window)
        view = window.targets_view
        view.year.setValue(year)
        window.actions.trigger("view.targets")

        def row_of(kind: OrgKind) -> int:
            return next(
                i for i, r in enumerate(view.rows) if r.kind == kind and r.metric == TargetMetric.MEMBERS
            )

        qtbot.waitUntil(lambda: len(view.rows) == 10 and window.tasks.active == 0, timeout=20000)
        party, youth = row_of(OrgKind.PARTY), row_of(OrgKind.YOUTH)
        cells = [view.table.item(party, c).text() for c in range(6)]
        # the office's 15, not the laptop's 9; the rounding set above: 6,66% over, not 6,67%
        assert cells[0].endswith(f"({given})")
        assert cells[1:] == ["15", "16", "16/15", "106,66%", "Vượt"]
        target = view.table.item(party, 1)
        assert not target.flags() & Qt.ItemFlag.ItemIsEditable
        assert target.toolTip() == f"Chỉ tiêu {given}: máy này không sửa được"
        assert (
            "là của cơ quan cấp trên: máy này không sửa được" in view.findChild(object, "targets_hint").text()
        )
        shot(window, "down-laptop-targets")
        # typing on it opens no editor and changes nothing
        view.table.setFocus()
        view.table.setCurrentCell(party, 1)
        qtbot.keyClicks(view.table, "9")
        qtbot.keyClick(view.table, Qt.Key.Key_Return)
        assert view.table.state() != QAbstractItemView.State.EditingState
        # the target the office did not set stays the laptop's: typed over, saved
        assert "giao" not in view.table.item(youth, 0).text()
        assert view.table.item(youth, 1).flags() & Qt.ItemFlag.ItemIsEditable
        view.table.setCurrentCell(youth, 1)
        qtbot.keyClicks(view.table, "6")
        assert view.table.state() == QAbstractItemView.State.EditingState
        qtbot.keyClick(view.table.focusWidget(), Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: view.rows[row_of(OrgKind.YOUTH)].target == 6, timeout=20000)
        assert view.rows[row_of(OrgKind.PARTY)].target == 15

        # Thiết lập báo cáo: the style, rounding and groups set above are shown, dimmed, not saved here
        window.actions.trigger("print.report_settings")
        qtbot.waitUntil(
            lambda: window.printing.dialog is not None and window.printing.dialog.isVisible(), timeout=20000
        )
        dialog = window.printing.dialog
        assert dialog.objectName() == "report_settings_dialog"
        assert (dialog.style.currentData(), dialog.rounding.currentData()) == ("state", "truncate")
        assert (dialog.low.value(), dialog.high.value()) == (30, 300)
        for w in (dialog.style, dialog.rounding, dialog.low, dialog.high):
            assert not w.isEnabled()
            assert w.toolTip() == "Do Đảng ủy phường Hoàn Kiếm giao: máy này không sửa được"
        note = dialog.findChild(object, "report_settings_given")
        assert note is not None and given in note.text()
        assert dialog.signer.isEnabled() and dialog.issuing.isEnabled()
        shot(dialog, "down-laptop-report-settings")
        dialog.signer.setText("Nguyễn Thị Hằng")
        dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()
        qtbot.waitUntil(
            lambda: "Đã lưu thiết lập báo cáo" in window.statusBar().currentMessage(), timeout=20000
        )
        wait_idle(qtbot, window)
    finally:
        close_window(qtbot, window)
        laptop.store = open_store(laptop.folder)
    s = laptop.store
    assert s.setting("report.signer_name") == "Nguyễn Thị Hằng"
    # the laptop's own values are kept (they apply again if the office stops setting them)
    assert (s.setting("report.rounding"), s.setting("report.style")) == ("half_up", "party")
    assert s.setting("report.workforce_thresholds") == [20, 500]
    values = {
        r[0]: r[1]
        for r in s.conn.execute(
            "SELECT kind, value FROM targets WHERE year = ? AND metric = 'members' AND deleted = 0 AND origin = ?",
            (year, laptop.id),
        )
    }
    assert values == {"party": 9, "youth": 6}
