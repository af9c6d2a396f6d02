"""Organisation progress (founding below the minimum explained), admissions, targets and progress."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt

from app.domain.records import Admission, Organisation, Target
from app.domain.vocab import OrgKind, OrgStatus, TargetMetric
from tests.gui.conftest import focused_form, wait_idle
from tests.gui.test_visit_keyboard import _add_enterprise
from tests.helpers.typing import Keyboard
from tests.helpers.vault import open_store


def _year_row(window, kind: OrgKind, metric: TargetMetric) -> int:
    view = window.targets_view
    return next(i for i, r in enumerate(view.rows) if r.kind == kind and r.metric == metric)


def test_founding_below_minimum_is_explained_and_refused(qtbot, window, data_dir):
    e = _add_enterprise(data_dir, "Công ty TNHH Cơ khí Bắc Hà")
    window.forms.edit_organisation(e.id, OrgKind.PARTY)
    form = focused_form(qtbot, window, "OrganisationForm")
    assert "ít nhất 3 đảng viên chính thức" in form.banner_text.text()
    kb = Keyboard()
    form.widgets["status"].setCurrentIndex(form.widgets["status"].findData(OrgStatus.FOUNDED.value))
    form.widgets["decision_number"].setFocus()
    kb.type("125-QĐ/ĐU")
    kb.enter()
    kb.type("05/11/2025")
    kb.enter()
    kb.type("Đảng ủy phường Hoàn Kiếm")
    kb.enter()
    kb.type("2")
    msg = form.errors["founding_members"]
    assert msg.isVisible()
    assert msg.text() == (
        "Chưa đủ điều kiện thành lập: Điều lệ Đảng quy định tổ chức đảng cần ít nhất 3 đảng viên "
        "chính thức, nhưng mới có 2 đảng viên."
    )
    kb.shortcut(Qt.Key.Key_S)
    qtbot.wait(100)
    assert form in window.forms.open_forms
    with open_store(data_dir) as s:
        assert s.children(Organisation, e.id) == []
    kb.replace("3")
    assert not msg.isVisible()
    kb.shortcut(Qt.Key.Key_S)
    qtbot.waitUntil(lambda: form not in window.forms.open_forms, timeout=10000)
    wait_idle(qtbot, window)
    with open_store(data_dir) as s:
        orgs = s.children(Organisation, e.id)
    assert (
        len(orgs) == 1 and orgs[0].status == OrgStatus.FOUNDED and orgs[0].decision_date == date(2025, 11, 5)
    )
    assert orgs[0].decision_number == "125-QĐ/ĐU"


def test_targets_entry_and_progress_update_when_records_change(qtbot, window, data_dir):
    view = window.targets_view
    view.year.setValue(2025)
    window.actions.trigger("view.targets")
    qtbot.waitUntil(lambda: len(view.rows) == 10 and window.tasks.active == 0, timeout=10000)
    r = _year_row(window, OrgKind.UNION, TargetMetric.ORGANISATIONS)
    achieved = view.rows[r].achieved
    # type a target into the table, vi-VN grouping allowed
    item = view.table.item(r, 1)
    item.setText(str(achieved - 1 if achieved > 1 else 1))
    qtbot.waitUntil(lambda: view.rows[r].target == (achieved - 1 if achieved > 1 else 1), timeout=10000)
    row = view.rows[r]
    assert view.table.item(r, 3).text() == f"{row.achieved}/{row.target}"
    assert view.table.item(r, 5).text() in ("Vượt", "Đạt", "Chưa đạt")
    with open_store(data_dir) as s:
        stored = s._rows(
            "SELECT value FROM targets WHERE unit_code = '00070' AND year = 2025 AND kind = 'union' "
            "AND metric = 'organisations' AND deleted = 0"
        )
    assert [x["value"] for x in stored] == [row.target]
    # a trade union founded this year (through the GUI's write path) moves the count at once
    e = _add_enterprise(data_dir, "Công ty TNHH Điện tử Long Biên")
    before = row.achieved
    org = Organisation(
        enterprise_id=e.id,
        kind=OrgKind.UNION,
        status=OrgStatus.FOUNDED,
        decision_number="12/QĐ-LĐLĐ",
        decision_date=date(2025, 10, 1),
        issuing_body="LĐLĐ phường",
        founding_members=12,
    )
    from app.services.records import save_organisation

    window.tasks.write(lambda store: save_organisation(store, org, today=date(2025, 11, 20)))
    qtbot.waitUntil(
        lambda: (
            view.rows[_year_row(window, OrgKind.UNION, TargetMetric.ORGANISATIONS)].achieved == before + 1
        ),
        timeout=10000,
    )
    assert view.chart_orgs.rows and any(
        x.kind == OrgKind.UNION and x.achieved == before + 1 for x in view.chart_orgs.rows
    )
    # a wrong target is explained
    item = view.table.item(r, 1)
    item.setText("mười lăm")
    qtbot.waitUntil(lambda: "không phải là số nguyên" in view.message.text(), timeout=5000)


def test_target_16_of_15_reads_as_in_the_reports(qtbot, window, data_dir):
    e = _add_enterprise(data_dir, "Công ty Cổ phần Thép Hoàng Mai")
    with open_store(data_dir) as s, s.write("test") as w:
        w.save(
            Target(unit_code="00070", year=2031, kind=OrgKind.PARTY, metric=TargetMetric.MEMBERS, value=15)
        )
        w.save(Admission(enterprise_id=e.id, kind=OrgKind.PARTY, admitted_on=date(2031, 3, 1), count=16))
    view = window.targets_view
    window.show_page("targets")
    view.year.setValue(2031)
    qtbot.waitUntil(
        lambda: (
            bool(view.rows) and view.rows[_year_row(window, OrgKind.PARTY, TargetMetric.MEMBERS)].target == 15
        ),
        timeout=10000,
    )
    r = _year_row(window, OrgKind.PARTY, TargetMetric.MEMBERS)
    assert [view.table.item(r, c).text() for c in range(1, 6)] == ["15", "16", "16/15", "106,67%", "Vượt"]


def test_admission_form(qtbot, window, data_dir):
    e = _add_enterprise(data_dir, "Công ty TNHH May Thăng Long")
    window.forms.new_admission(e.id)
    form = focused_form(qtbot, window, "AdmissionForm")
    form.widgets["kind"].setCurrentIndex(form.widgets["kind"].findData(OrgKind.YOUTH.value))
    form.widgets["admitted_on"].setText("02/11/2025")
    form.widgets["count"].setText("0")
    form.save()
    assert form.errors["count"].isVisible() and "từ 1 trở lên" in form.errors["count"].text()
    form.widgets["count"].setText("7")
    form.save()
    qtbot.waitUntil(lambda: form not in window.forms.open_forms, timeout=10000)
    wait_idle(qtbot, window)
    with open_store(data_dir) as s:
        got = s.children(Admission, e.id)
    assert [(a.kind, a.count, a.admitted_on) for a in got] == [(OrgKind.YOUTH, 7, date(2025, 11, 2))]
