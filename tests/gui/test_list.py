"""The enterprise list: search as you type (with or without diacritics), filters, sorting, counts."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTableView

from app.domain.text import fold
from app.domain.vocab import EnterpriseStatus, OrgKind
from tests.gui.conftest import wait_idle
from tests.helpers.typing import Keyboard
from tests.helpers.vault import open_store


def _rows(window) -> list[dict]:
    m = window.list_panel.model
    return [m.row_data(r) for r in range(m.rowCount())]


def _wait_loaded(qtbot, window, n=None):
    m = window.list_panel.model
    qtbot.waitUntil(lambda: not m.busy and m.exact and (n is None or m.rowCount() == n), timeout=10000)
    # every row is there (pages arrive as they are asked for)
    qtbot.waitUntil(lambda: all(m.row_data(r) is not None for r in range(m.rowCount())), timeout=10000)


def test_initial_list_and_count(qtbot, window, data_dir):
    with open_store(data_dir) as s:
        total = s.counts()["enterprises"]
    assert window.list_panel.model.rowCount() == total == 300
    _wait_loaded(qtbot, window, 300)
    assert window.list_panel.count_label.text() == "300 doanh nghiệp"
    assert window.count_label.text() == "300 doanh nghiệp"  # in the status bar too
    names = [r["name"] for r in _rows(window)]
    assert names == sorted(names)  # by name when not searching


def test_search_as_you_type_without_diacritics(qtbot, window, data_dir):
    with open_store(data_dir) as s:
        target = s._rows("SELECT name, owner_name FROM enterprises WHERE owner_name IS NOT NULL LIMIT 1")[0]
    owner = target["owner_name"]
    kb = Keyboard()
    window.list_panel.search.setFocus()
    plain = fold(owner)  # "Nguyễn Thị Hằng" typed as "nguyen thi hang"
    for ch in plain:
        kb.type(ch)
    _wait_loaded(qtbot, window)
    rows = _rows(window)
    assert rows
    for r in rows:  # every typed word starts a word of the name, tax code, address or owner
        words = fold(" ".join(_owner_row(data_dir, r["id"]))).replace(",", " ").split()
        assert all(any(w.startswith(t) for w in words) for t in plain.split()), r
    assert "Tìm thấy" in window.list_panel.count_label.text()
    # the same search typed with diacritics finds the same rows
    ids = [r["id"] for r in rows]
    window.list_panel.search.clear()
    kb.type(owner)
    _wait_loaded(qtbot, window)
    assert sorted(r["id"] for r in _rows(window)) == sorted(ids)


def _owner_row(data_dir, eid):
    with open_store(data_dir) as s:
        r = s._rows(
            "SELECT name, short_name, tax_code, address, owner_name FROM enterprises WHERE id = ?", (eid,)
        )[0]
    return [v or "" for v in r.values()]


def test_search_by_tax_code_and_nothing_found(qtbot, window, data_dir):
    with open_store(data_dir) as s:
        tax = s._rows("SELECT tax_code FROM enterprises LIMIT 1 OFFSET 17")[0]["tax_code"]
    window.list_panel.search.setText(tax)
    _wait_loaded(qtbot, window, 1)
    assert _rows(window)[0]["tax_code"] == tax
    window.list_panel.search.setText("khongcodoanhnghiepnaotenthe")
    _wait_loaded(qtbot, window, 0)
    assert window.list_panel.count_label.text() == "Tìm thấy 0 / 300 doanh nghiệp"
    assert window.count_label.text() == "Tìm thấy 0 / 300 doanh nghiệp"


def _sql_count(data_dir, where: str, params=()) -> int:
    with open_store(data_dir) as s:
        return s.conn.execute(
            f"SELECT count(*) FROM enterprises e WHERE e.deleted = 0 AND {where}", params
        ).fetchone()[0]


def test_filters_match_sql(qtbot, window, data_dir):
    p = window.list_panel
    # status
    p.status.setCurrentIndex(p.status.findData(EnterpriseStatus.SUSPENDED.value))
    expected = _sql_count(data_dir, "e.status = 'suspended'")
    assert expected > 0
    _wait_loaded(qtbot, window, expected)
    assert all(r["status"] == "suspended" for r in _rows(window))
    p.status.setCurrentIndex(0)
    # missing organisations: no founded trade union and no founded Party organisation
    p.missing[OrgKind.UNION].setChecked(True)
    p.missing[OrgKind.PARTY].setChecked(True)
    expected = _sql_count(
        data_dir,
        " AND ".join(
            f"NOT EXISTS (SELECT 1 FROM organisations o WHERE o.enterprise_id = e.id AND o.kind = '{k}' "
            "AND o.status = 'founded' AND o.deleted = 0)"
            for k in ("union", "party")
        ),
    )
    _wait_loaded(qtbot, window, expected)
    assert 0 < expected < 300
    assert all(not ({OrgKind.UNION, OrgKind.PARTY} & r["founded"]) for r in _rows(window))
    for box in p.missing.values():
        box.setChecked(False)
    # workforce groups: 20-499
    p.workforce.setCurrentIndex(p.workforce.findData("medium"))
    expected = _sql_count(data_dir, "e.workforce_total >= 20 AND e.workforce_total < 500")
    _wait_loaded(qtbot, window, expected)
    assert all(20 <= r["workforce_total"] < 500 for r in _rows(window))
    p.workforce.setCurrentIndex(p.workforce.findData("large"))
    _wait_loaded(qtbot, window, _sql_count(data_dir, "e.workforce_total >= 500"))
    p.workforce.setCurrentIndex(0)
    # not visited for 12 months (counted from today)
    p.not_visited.setCurrentIndex(p.not_visited.findData(12))
    today = date.today()
    since = date(today.year - 1, today.month, min(today.day, 28)).isoformat()
    expected = _sql_count(
        data_dir,
        "NOT EXISTS (SELECT 1 FROM visits v WHERE v.enterprise_id = e.id "
        "AND v.deleted = 0 AND v.visit_date >= ?)",
        (since,),
    )
    _wait_loaded(qtbot, window, expected)
    assert all(r["last_visit"] is None or r["last_visit"] < since for r in _rows(window))
    # combined with a search
    window.actions.trigger("view.clear_filters")
    _wait_loaded(qtbot, window, 300)
    assert p.not_visited.currentIndex() == 0 and p.search.text() == ""


def test_ward_filter_lists_wards_in_use(qtbot, window):
    p = window.list_panel
    qtbot.waitUntil(lambda: p.ward.count() == 2, timeout=5000)  # "all" + the demo ward
    assert p.ward.itemText(1) == "Phường Hoàn Kiếm"
    p.ward.setCurrentIndex(1)
    _wait_loaded(qtbot, window, 300)


def test_sorting_by_clicking_headers(qtbot, window):
    table = window.list_panel.table
    table.sortByColumn(5, Qt.SortOrder.DescendingOrder)  # Lao động
    _wait_loaded(qtbot, window, 300)
    values = [r["workforce_total"] for r in _rows(window) if r["workforce_total"] is not None]
    assert values == sorted(values, reverse=True)
    table.sortByColumn(2, Qt.SortOrder.AscendingOrder)  # Mã số thuế
    _wait_loaded(qtbot, window, 300)
    taxes = [r["tax_code"] for r in _rows(window)]
    assert taxes == sorted(taxes)
    assert window.list_panel.model.headerData(5, Qt.Orientation.Horizontal) == "Lao động"


def test_selecting_a_row_shows_detail_tabs(qtbot, window, data_dir):
    table = window.list_panel.table
    table.setFocus()
    table.setCurrentIndex(window.list_panel.model.index(3, 0))
    eid = window.list_panel.model.row_data(3)["id"]
    qtbot.waitUntil(
        lambda: window.detail_panel.detail is not None and window.detail_panel.detail.enterprise.id == eid,
        timeout=10000,
    )
    d = window.detail_panel
    assert d.title.text().startswith(d.detail.enterprise.name)
    assert d.orgs.rowCount() == 5
    assert d.visits.rowCount() == len(d.detail.visits)
    if d.detail.visits:
        assert d.visits.item(0, 0).text().count("/") == 2  # dd/mm/yyyy
    assert d.history.topLevelItemCount() >= 1
    assert window.actions.action("visit.new").isEnabled()
    wait_idle(qtbot, window)


def test_a_person_searched_by_name_comes_first_and_the_list_shows_why(qtbot, data_dir):
    """Issue 14, item 8: "nguyen duc huy" puts the enterprise whose representative is Nguyễn Đức Huy
    first, and the list shows the representative (bold where the typed words were found)."""
    from PySide6.QtGui import QFont

    from app.domain.records import Enterprise
    from app.domain.taxcode import valid_tax_code
    from tests.gui.conftest import close_window, open_window

    with open_store(data_dir) as s, s.write() as w:
        brands = [
            Enterprise(
                name=f"Công ty TNHH Đức Huy {i}",
                tax_code=valid_tax_code(90_000_000 + i),
                ward_code="00070",
                owner_name=f"Nguyễn Văn Tâm {i}",
            )
            for i in range(1, 25)
        ]
        his = Enterprise(
            name="Công ty Cổ phần Minh Phát",
            short_name="MPH GROUP",
            tax_code=valid_tax_code(98_888_888),
            ward_code="00070",
            owner_name="Nguyễn Đức Huy",
        )
        w.create_many([*brands, his])
    window = open_window(qtbot, data_dir)
    try:
        kb = Keyboard()
        window.list_panel.search.setFocus()
        for ch in "nguyen duc huy":
            kb.type(ch)
        _wait_loaded(qtbot, window)
        m = window.list_panel.model
        assert m.row_data(0)["id"] == his.id
        assert m.headerData(1, Qt.Orientation.Horizontal) == "Người đại diện"
        assert m.data(m.index(0, 1)) == "Nguyễn Đức Huy"
        assert isinstance(m.data(m.index(0, 1), Qt.ItemDataRole.FontRole), QFont)  # the owner matched
        assert m.data(m.index(0, 0), Qt.ItemDataRole.FontRole) is None  # not the name
        assert m.data(m.index(0, 0), Qt.ItemDataRole.ToolTipRole) == "Khớp với từ tìm kiếm ở: người đại diện"
        # found by the short name, which no column shows: it is written beside the name
        window.list_panel.search.setText("mph group")
        _wait_loaded(qtbot, window, 1)
        assert m.data(m.index(0, 0)) == "Công ty Cổ phần Minh Phát (MPH GROUP)"
    finally:
        close_window(qtbot, window)


def test_the_row_numbers_are_as_wide_as_qt_makes_them(qtbot, window):
    # the list's header measures only its last (widest) number instead of its first and last hundred
    _wait_loaded(qtbot, window, 300)
    table = window.list_panel.table
    plain = QTableView()  # Qt's own header over the same rows
    qtbot.addWidget(plain)
    plain.setModel(table.model())
    assert table.verticalHeader().sizeHint().width() == plain.verticalHeader().sizeHint().width() > 0
    window.list_panel.search.setFocus()
    Keyboard().type("0100")  # tax codes: fewer rows, a narrower number
    _wait_loaded(qtbot, window)
    assert 0 < table.model().rowCount() < 100
    assert table.verticalHeader().sizeHint() == plain.verticalHeader().sizeHint()
