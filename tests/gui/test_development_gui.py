"""Recording what issue 17 adds, from the keyboard on the demo database: a probationary Party member's
recognition as official opened from the work list's line (the admission's form, the detail panel's
«Kết nạp» tab, the line gone from the list), and an organisation's yearly quality level (its form from
the Doanh nghiệp menu, refused for a year before the founding, saved, shown in «Xếp loại», a second
level for the same year replacing the first)."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from app.domain.probation import due_on
from app.domain.records import Admission, Enterprise, Organisation, QualityRating
from app.domain.vnformat import format_date
from app.domain.vocab import OrgKind, OrgStatus, QualityLevel
from app.services import worklist as wl
from tests.conftest import TEST_TODAY
from tests.gui.conftest import close_window, focused_form, open_window, wait_idle
from tests.helpers.typing import Keyboard
from tests.helpers.vault import open_store


def test_a_probation_due_is_recorded_from_the_work_list(qtbot, data_dir):
    with open_store(data_dir) as s:
        q = wl.query_for(s, TEST_TODAY, "00070")
        before = wl.count(s, q, wl.PROBATION)
        due_lines = wl.page(s, q, wl.PROBATION, 0, 100)
    # the first line whose probation has ended (the demo has some ended and some ending soon)
    line = next(i for i in due_lines if i.day <= TEST_TODAY)
    window = open_window(qtbot, data_dir)
    view = window.worklist_view
    kb = Keyboard()
    try:
        kb.shortcut(Qt.Key.Key_4)
        qtbot.waitUntil(lambda: bool(view.overview), timeout=20000)
        kb.press(Qt.Key.Key_Down, times=list(wl.SECTIONS).index(wl.PROBATION))
        assert view.current_section() == wl.PROBATION and view.model.total == before
        kb.enter()
        row = next(r for r, i in enumerate(view.model.items) if i.record_id == line.record_id)
        view.lines.setCurrentIndex(view.model.index(row, 0))
        kb.enter()
        form = focused_form(qtbot, window, "AdmissionForm")
        assert form.record_id == line.record_id and not form.is_new
        assert "Kết nạp ngày" in form.windowTitle()
        assert QApplication.focusWidget() is form.widgets["official_on"]
        panel = window.detail_panel
        qtbot.waitUntil(lambda: panel.enterprise_id == line.enterprise_id, timeout=10000)
        assert panel.tabs.currentWidget() is panel.orgs_page and panel.admissions.isVisible()

        # a day before the probation ends is refused, with the day it ends
        with open_store(data_dir) as s:
            a = s.get(Admission, line.record_id)
        due = due_on(a.admitted_on)
        kb.type(format_date(date.fromordinal(due.toordinal() - 1)))
        kb.tab()
        kb.type("15-QĐ/ĐU")
        form.save()
        assert f"từ ngày {format_date(due)}" in form.errors["official_on"].text()
        form.widgets["official_on"].setFocus()
        kb.replace(format_date(TEST_TODAY))
        kb.shortcut(Qt.Key.Key_S)
        qtbot.waitUntil(lambda: form not in window.forms.open_forms, timeout=10000)
        wait_idle(qtbot, window)

        with open_store(data_dir) as s:
            a = s.get(Admission, line.record_id)
            assert (a.official_on, a.official_decision, a.official_count) == (TEST_TODAY, "15-QĐ/ĐU", None)
            assert wl.count(s, q, wl.PROBATION) == before - 1
        window.show_page("worklist")  # the list reads again when shown
        qtbot.waitUntil(lambda: view.overview[wl.PROBATION][0] == before - 1, timeout=20000)
        assert line.record_id not in {i.record_id for i in view.overview[wl.PROBATION][1]}

        # the detail panel's «Kết nạp» tab says so
        def shown() -> str:
            for r in range(panel.admissions.rowCount()):
                if panel.admissions.item(r, 0).data(Qt.ItemDataRole.UserRole) == line.record_id:
                    return panel.admissions.item(r, 2).text()
            return ""

        qtbot.waitUntil(lambda: shown().startswith(format_date(TEST_TODAY)), timeout=10000)
        assert shown() == f"{format_date(TEST_TODAY)}, QĐ 15-QĐ/ĐU ({a.count} người)"
    finally:
        close_window(qtbot, window)


def _founded_party(data_dir):
    with open_store(data_dir) as s:
        for (eid,) in s.conn.execute(
            "SELECT o.enterprise_id FROM organisations o JOIN enterprises e ON e.id = o.enterprise_id "
            "WHERE o.kind = 'party' AND o.status = 'founded' AND o.deleted = 0 AND e.deleted = 0 "
            "AND o.decision_date > '2021-06-30' ORDER BY o.decision_date, o.id"
        ):
            return eid, next(o for o in s.children(Organisation, eid) if o.kind == OrgKind.PARTY)
    raise AssertionError("the demo has founded Party organisations")


def test_a_quality_level_is_recorded_and_shown(qtbot, data_dir):
    eid, party = _founded_party(data_dir)
    window = open_window(qtbot, data_dir)
    panel = window.detail_panel
    kb = Keyboard()
    try:
        with open_store(data_dir) as s:
            e = s.get(Enterprise, eid)
        window.reveal_enterprise(eid, e.tax_code)
        qtbot.waitUntil(lambda: window.selected_enterprise_id() == eid, timeout=10000)
        window.list_panel.table.setFocus()
        kb.press(Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
        form = focused_form(qtbot, window, "QualityRatingForm")
        kinds = form.widgets["kind"]
        with open_store(data_dir) as s:
            founded = [
                o.kind.label
                for o in s.children(Organisation, eid, "kind")
                if o.status in (OrgStatus.FOUNDED, OrgStatus.DISSOLVED)
            ]
        # the enterprise's founded organisations to choose from (none chosen when there are several)
        offered = [kinds.itemText(i) for i in range(kinds.count())]
        assert offered == ["— chưa chọn —", *founded]
        assert kinds.currentIndex() == (1 if len(founded) == 1 else 0)
        kinds.setCurrentIndex(kinds.findData(OrgKind.PARTY.value))
        # the year before the founding is refused
        form.widgets["year"].setFocus()
        kb.replace(str(party.decision_date.year - 1))
        form.save()  # the level is never assumed
        assert form.errors["level"].text() == "Chưa chọn xếp loại."
        form.widgets["level"].setCurrentIndex(form.widgets["level"].findData(QualityLevel.GOOD.value))
        form.save()
        assert f"thành lập năm {party.decision_date.year}" in form.errors["year"].text()
        form.widgets["year"].setFocus()
        kb.replace("2024")
        form.widgets["decision"].setFocus()
        kb.type("Quyết định 45-QĐ/ĐU ngày 20/01/2025")
        kb.shortcut(Qt.Key.Key_S)
        qtbot.waitUntil(lambda: form not in window.forms.open_forms, timeout=10000)
        wait_idle(qtbot, window)
        with open_store(data_dir) as s:
            levels = [r for r in s.children(QualityRating, eid) if r.kind == OrgKind.PARTY and r.year == 2024]
        assert [(r.level, r.organisation_id, r.decision) for r in levels] == [
            (QualityLevel.GOOD, party.id, "Quyết định 45-QĐ/ĐU ngày 20/01/2025")
        ]
        first_id = levels[0].id

        def rows() -> list[list[str]]:
            t = panel.ratings
            return [[t.item(r, c).text() for c in range(4)] for r in range(t.rowCount())]

        qtbot.waitUntil(
            lambda: ["2024", "Tổ chức đảng", "Hoàn thành tốt nhiệm vụ"] in [r[:3] for r in rows()],
            timeout=10000,
        )

        # the same organisation and year again: the level is replaced, not doubled
        window.forms.new_rating(eid, OrgKind.PARTY)
        form = focused_form(qtbot, window, "QualityRatingForm")
        assert form.widgets["kind"].currentData() == OrgKind.PARTY.value
        form.widgets["year"].setFocus()
        kb.replace("2024")
        form.widgets["level"].setCurrentIndex(form.widgets["level"].findData(QualityLevel.EXCELLENT.value))
        kb.shortcut(Qt.Key.Key_S)
        qtbot.waitUntil(lambda: form not in window.forms.open_forms, timeout=10000)
        wait_idle(qtbot, window)
        with open_store(data_dir) as s:
            levels = [r for r in s.children(QualityRating, eid) if r.kind == OrgKind.PARTY and r.year == 2024]
        assert [(r.id, r.level) for r in levels] == [(first_id, QualityLevel.EXCELLENT)]

        # a row of «Xếp loại» opens its level again
        qtbot.waitUntil(
            lambda: ["2024", "Tổ chức đảng", "Hoàn thành xuất sắc nhiệm vụ"] in [r[:3] for r in rows()],
            timeout=10000,
        )
        r = next(i for i, row in enumerate(rows()) if row[0] == "2024" and row[1] == "Tổ chức đảng")
        panel.sig_edit_rating.emit(panel.ratings.item(r, 0).data(Qt.ItemDataRole.UserRole))
        form = focused_form(qtbot, window, "QualityRatingForm")
        assert form.record_id == first_id and not form.is_new
    finally:
        close_window(qtbot, window)


def test_the_targets_page_shows_the_reports_numbers(qtbot, data_dir):
    from app.gui.targets.view import development_html
    from app.reports.results import Period, compute

    window = open_window(qtbot, data_dir)
    view = window.targets_view
    try:
        kb = Keyboard()
        kb.shortcut(Qt.Key.Key_2)  # Ctrl+2: Chỉ tiêu và tiến độ
        view.year.setValue(2025)
        qtbot.waitUntil(
            lambda: view.shown_year == 2025,
            timeout=20000,
        )
        view.lower.setCurrentWidget(view.development)
        with open_store(data_dir) as s:
            printed = compute(s, "00070", Period.year(2025), today=TEST_TODAY).development
        assert view.shown_development == printed
        text = view.development.toPlainText()
        assert text == _plain(development_html(printed, 2025))
        n = __import__("app.domain.vnformat", fromlist=["format_int"]).format_int
        for said in (
            f"Doanh nghiệp đủ điều kiện thành lập tổ chức (hiện nay): {n(printed.opportunities.enterprises)}",
            f"Quần chúng ưu tú\n{n(printed.pool.identified)}",
            f"Có đơn xin vào Đảng\n{n(printed.pool.applied)}",
            f"Đảng viên dự bị đến {format_date(TEST_TODAY)}\n{n(printed.probation.probationary)}",
            f"Xếp loại chất lượng tổ chức năm {printed.quality.year}",
        ):
            assert said in text, said

        # a recognition recorded meanwhile shows at once
        with open_store(data_dir) as s:
            q = wl.query_for(s, TEST_TODAY, "00070")
            line = next(i for i in wl.page(s, q, wl.PROBATION, 0, 100) if i.day <= TEST_TODAY)

        def recognise(store):
            from app.services import records as svc

            a = store.get(Admission, line.record_id)
            a.official_on, a.official_decision = TEST_TODAY, "20-QĐ/ĐU"
            return svc.save_admission(store, a, today=TEST_TODAY)

        before = printed.probation.people
        window.tasks.write(recognise)
        qtbot.waitUntil(lambda: view.shown_development.probation.people > before, timeout=20000)
    finally:
        close_window(qtbot, window)


def _plain(html: str) -> str:
    from PySide6.QtWidgets import QTextBrowser

    b = QTextBrowser()
    b.setHtml(html)
    text = b.toPlainText()
    b.deleteLater()
    return text


def test_unsaved_conversion_and_level_come_back_as_drafts(qtbot, data_dir):
    """A recognition being typed and a new level, left unsaved when the program stopped: offered back."""
    with open_store(data_dir) as s:
        aid, eid = s.conn.execute(
            "SELECT a.id, a.enterprise_id FROM admissions a JOIN organisations o ON o.id = a.organisation_id "
            "WHERE a.kind = 'party' AND o.status = 'founded' AND a.deleted = 0 ORDER BY a.id LIMIT 1"
        ).fetchone()
        a = s.get(Admission, aid)
    window = open_window(qtbot, data_dir)
    kb = Keyboard()
    try:
        window.forms.new_rating(eid, OrgKind.PARTY)
        rating = focused_form(qtbot, window, "QualityRatingForm")
        rating.widgets["decision"].setFocus()
        kb.type("Văn bản 7-QĐ/ĐU")
        rating.widgets["level"].setCurrentIndex(
            rating.widgets["level"].findData(QualityLevel.FULFILLED.value)
        )
        rating.write_draft()
        window.forms.edit_admission(a.id)
        adm = focused_form(qtbot, window, "AdmissionForm")
        adm.widgets["official_decision"].setFocus()
        kb.type("99-QĐ/ĐU")
        adm.write_draft()
        forms = [rating, adm]
        keys = {f.draft_key for f in forms}
        qtbot.waitUntil(lambda: {d.key for d in window.drafts.load_all()} >= keys, timeout=10000)
        for f in forms:  # as if the program stopped: the drafts stay
            f._closing_ok = True
            f.close()
        wait_idle(qtbot, window)

        window.forms.offer_drafts()
        qtbot.waitUntil(lambda: getattr(window.forms, "drafts_box", None) is not None, timeout=10000)
        restore = [b for b in window.forms.drafts_box.buttons() if b.text() == "&Mở lại"][0]
        restore.click()
        back = focused_form(qtbot, window, "QualityRatingForm")
        assert back.record_id == rating.record_id and back.is_new
        assert back.field_text("decision") == "Văn bản 7-QĐ/ĐU"
        assert back.field_text("level") == QualityLevel.FULFILLED.value
        if a is not None:
            qtbot.waitUntil(
                lambda: any(type(f).__name__ == "AdmissionForm" for f in window.forms.open_forms),
                timeout=10000,
            )
            adm_back = next(f for f in window.forms.open_forms if type(f).__name__ == "AdmissionForm")
            assert adm_back.record_id == a.id and not adm_back.is_new
            assert adm_back.field_text("official_decision") == "99-QĐ/ĐU"
    finally:
        close_window(qtbot, window)
