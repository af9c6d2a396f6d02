"""The report's founding opportunities, pool of candidates, probation and quality levels (issue 17),
against numbers computed here from the raw rows in plain Python on the demo database (one ward, then a
province of two wards); the same numbers read back from the PDF (pypdf and pdftotext) and the Excel
file, and the work list's count of opportunities equal to the report's."""

from __future__ import annotations

import calendar
import contextlib
import re
from collections import Counter
from datetime import date

import pytest
from openpyxl import load_workbook

from app.domain.vnformat import format_date, format_int
from app.domain.vocab import OrgKind, QualityLevel
from app.printing.report_pdf import render_report
from app.reports.excel import export_report
from app.reports.results import Period, compute, report_for
from app.services import worklist as wl
from tests.conftest import TEST_TODAY, TEST_WARD
from tests.helpers.vault import copy_data, open_store
from tests.printing.pdftools import pdftotext, pypdf_pages

OTHER_WARD = "00004"  # Phường Ba Đình, Hà Nội
PROVINCE = "01"
MINIMUM_COUNT = {
    OrgKind.PARTY: "party_official",
    OrgKind.UNION: "union_members",
    OrgKind.YOUTH: "youth_members",
    OrgKind.WOMEN: "women_members",
    OrgKind.VETERANS: "veterans_members",
}


def _due(admitted: date) -> date:
    """Twelve months later, written out again here (29 February -> 28 February)."""
    year = admitted.year + 1
    return date(year, admitted.month, min(admitted.day, calendar.monthrange(year, admitted.month)[1]))


def expected(store, wards: set[str], start: date, end: date, today: date = TEST_TODAY) -> dict:
    """Every number of the development part, from the rows, without the report's SQL; a period not
    over on ``today`` counted up to ``today`` for what is due, overdue and probationary."""
    cut = min(end, today)
    ents = {
        r["id"]: r
        for r in store._rows("SELECT id, ward_code, status FROM enterprises WHERE deleted = 0")
        if r["ward_code"] in wards
    }
    visits: dict[str, list] = {}
    for v in store._rows("SELECT * FROM visits WHERE deleted = 0 AND visit_date IS NOT NULL"):
        visits.setdefault(v["enterprise_id"], []).append(v)
    orgs = [
        o for o in store._rows("SELECT * FROM organisations WHERE deleted = 0") if o["enterprise_id"] in ents
    ]
    minimums = {k: store.founding_rules().minimum(k) for k in OrgKind}

    opp = Counter()
    opp_enterprises = 0
    pool = Counter()
    for eid, e in ents.items():
        vs = sorted(visits.get(eid, []), key=lambda v: (v["visit_date"], v["created_hlc"]))
        if e["status"] == "active" and vs:
            last = vs[-1]
            founded = {o["kind"] for o in orgs if o["enterprise_id"] == eid and o["status"] == "founded"}
            chances = [
                k
                for k in OrgKind
                if minimums[k] and (last[MINIMUM_COUNT[k]] or 0) >= minimums[k] and k.value not in founded
            ]
            opp.update(chances)
            opp_enterprises += bool(chances)
        upto = [v for v in vs if v["visit_date"] <= end.isoformat()]
        if e["status"] in ("active", "suspended") and upto:
            last = upto[-1]
            pool["enterprises"] += (last["candidates_identified"] or 0) > 0
            for f in ("identified", "trained", "applied"):
                pool[f] += last[f"candidates_{f}"] or 0

    prob = Counter()
    for a in store._rows("SELECT * FROM admissions WHERE deleted = 0 AND kind = 'party'"):
        if a["enterprise_id"] not in ents:
            continue
        admitted = date.fromisoformat(a["admitted_on"])
        if start <= admitted <= end:
            pool["admitted"] += a["count"]
        if admitted > end:
            continue
        due = _due(admitted)
        official = date.fromisoformat(a["official_on"]) if a["official_on"] else None
        if official and start <= official <= end:
            n = a["count"] if a["official_count"] is None else a["official_count"]
            prob["decisions"] += 1
            prob["people"] += n
            prob["not_recognised"] += a["count"] - n
        if start <= due <= cut:
            prob["due"] += a["count"]
        if official is None or official > cut:
            if due < cut:
                prob["overdue"] += 1
                prob["overdue_people"] += a["count"]
            else:
                prob["probationary"] += a["count"]

    ratings = [
        r
        for r in store._rows("SELECT * FROM quality_ratings WHERE deleted = 0")
        if r["enterprise_id"] in ents
    ]
    year = start.year if any(r["year"] == start.year for r in ratings) else start.year - 1
    newest: dict = {}
    for r in ratings:
        if r["year"] == year and (
            r["organisation_id"] not in newest
            or r["updated_hlc"] > newest[r["organisation_id"]]["updated_hlc"]
        ):
            newest[r["organisation_id"]] = r
    levels = Counter((r["kind"], r["level"]) for r in newest.values())
    year_end = f"{year}-12-31"
    not_rated = Counter(
        o["kind"]
        for o in orgs
        if o["id"] not in {r["organisation_id"] for r in ratings if r["year"] == year}
        and (
            (o["status"] == "founded" and (o["decision_date"] is None or o["decision_date"] <= year_end))
            or (o["status"] == "dissolved" and o["decision_date"] <= year_end < o["dissolved_date"])
        )
    )
    return {
        "opp": {k: opp[k] for k in OrgKind},
        "opp_enterprises": opp_enterprises,
        "pool": dict(pool),
        "prob": dict(prob),
        "year": year,
        "levels": {(k, lv): levels[(k.value, lv.value)] for k in OrgKind for lv in QualityLevel},
        "not_rated": {k: not_rated[k.value] for k in OrgKind},
    }


def _got(d) -> dict:
    return {
        "opp": d.opportunities.by_kind,
        "opp_enterprises": d.opportunities.enterprises,
        "pool": {
            "enterprises": d.pool.enterprises,
            "identified": d.pool.identified,
            "trained": d.pool.trained,
            "applied": d.pool.applied,
            "admitted": d.pool.admitted,
        },
        "prob": {
            f: getattr(d.probation, f)
            for f in (
                "decisions",
                "people",
                "not_recognised",
                "due",
                "overdue",
                "overdue_people",
                "probationary",
            )
        },
        "year": d.quality.year,
        "levels": {(k, lv): d.quality.levels[k][lv] for k in OrgKind for lv in QualityLevel},
        "not_rated": d.quality.not_rated,
    }


def _fill(counter_dict: dict, keys: tuple[str, ...]) -> dict:
    return {k: counter_dict.get(k, 0) for k in keys}


@pytest.fixture(scope="module")
def province(demo_file, tmp_path_factory):
    """The demo ward and a second ward of the same province, in one data folder."""
    from app.demo.generator import DemoOptions, generate

    folder = copy_data(demo_file.parent, tmp_path_factory.mktemp("province") / "data")
    with open_store(folder) as s:
        generate(s, DemoOptions(OTHER_WARD, enterprises=80, seed=3, today=TEST_TODAY))
    return folder


@pytest.mark.parametrize(
    "start,end", [(date(2025, 1, 1), date(2025, 12, 31)), (date(2024, 1, 1), date(2024, 6, 30))]
)
def test_the_ward_report_against_the_rows(demo_file, start, end):
    with open_store(demo_file.parent) as s:
        want = expected(s, {TEST_WARD}, start, end)
        got = _got(compute(s, TEST_WARD, Period(start, end), today=TEST_TODAY).development)
        q = wl.query_for(s, TEST_TODAY, TEST_WARD)
        listed = wl.count(s, q, wl.OPPORTUNITIES)
    want["pool"] = _fill(want["pool"], ("enterprises", "identified", "trained", "applied", "admitted"))
    want["prob"] = _fill(
        want["prob"],
        ("decisions", "people", "not_recognised", "due", "overdue", "overdue_people", "probationary"),
    )
    assert got == want
    # the demo has something in every part (a test of zeros would prove nothing)
    assert want["opp_enterprises"] and want["pool"]["identified"] and want["pool"]["applied"]
    assert sum(want["levels"].values()) and want["prob"]["overdue"] + want["prob"]["probationary"]
    # the work list shows the same opportunities (Việc cần làm ▸ Đủ điều kiện thành lập)
    assert listed == want["opp_enterprises"]


def test_the_year_without_levels_yet_shows_the_year_before(demo_file):
    with open_store(demo_file.parent) as s:
        rated = {r["year"] for r in s._rows("SELECT DISTINCT year FROM quality_ratings WHERE deleted = 0")}
        d = compute(s, TEST_WARD, Period.year(2025), today=TEST_TODAY).development
    assert 2025 not in rated and 2024 in rated  # the demo rates full years only
    assert d.quality.year == 2024
    assert d.quality.year_note == "chưa có kết quả xếp loại năm 2025, số liệu là của năm 2024"


def test_the_province_by_ward(province):
    start, end = date(2025, 1, 1), date(2025, 12, 31)
    with open_store(province) as s:
        report = compute(s, PROVINCE, Period(start, end), today=TEST_TODAY)
        d = report.development
        want = expected(s, {TEST_WARD, OTHER_WARD}, start, end)
        per_ward = {w: expected(s, {w}, start, end) for w in (TEST_WARD, OTHER_WARD)}
    assert _got(d)["opp"] == want["opp"] and d.pool.identified == want["pool"]["identified"]
    assert [w.code for w in d.wards] == [OTHER_WARD, TEST_WARD]  # by name: Ba Đình, Hoàn Kiếm
    for w in d.wards:
        e = per_ward[w.code]
        assert (w.opportunities, w.identified, w.applied) == (
            e["opp_enterprises"],
            e["pool"].get("identified", 0),
            e["pool"].get("applied", 0),
        )
        assert (w.recognised, w.overdue) == (e["prob"].get("people", 0), e["prob"].get("overdue_people", 0))
        if e["year"] == d.quality.year:
            assert w.levels == {lv: sum(e["levels"][(k, lv)] for k in OrgKind) for lv in QualityLevel}
    assert sum(w.opportunities for w in d.wards) == d.opportunities.enterprises
    assert sum(w.recognised for w in d.wards) == d.probation.people
    assert sum(w.overdue for w in d.wards) == d.probation.overdue_people
    assert {lv: sum(w.levels[lv] for w in d.wards) for lv in QualityLevel} == {
        lv: d.quality.total(lv) for lv in QualityLevel
    }


def test_the_pdf_and_the_excel_file_say_the_same(province, tmp_path):
    with open_store(province) as s:
        report, settings = report_for(s, PROVINCE, Period.year(2025), TEST_TODAY)
    d = report.development
    n = format_int
    pdf, xlsx = tmp_path / "bao-cao.pdf", tmp_path / "bao-cao.xlsx"
    render_report(pdf, report, settings, on=TEST_TODAY)
    export_report(xlsx, report)

    text = " ".join(pdftotext(pdf).split())
    assert " ".join(" ".join(pypdf_pages(pdf)).split()).count("NGUỒN PHÁT TRIỂN ĐẢNG VIÊN") == 1
    o, pool, pr, q = d.opportunities, d.pool, d.probation, d.quality
    for said in (
        "III. DOANH NGHIỆP ĐỦ ĐIỀU KIỆN THÀNH LẬP TỔ CHỨC",
        f"Tại thời điểm báo cáo có {n(o.enterprises)} doanh nghiệp đang hoạt động",
        "IV. NGUỒN PHÁT TRIỂN ĐẢNG VIÊN VÀ CHUYỂN ĐẢNG VIÊN CHÍNH THỨC",
        f"{n(pool.enterprises)} doanh nghiệp có quần chúng ưu tú đang được theo dõi, bồi dưỡng: "
        f"{n(pool.identified)} người, trong đó {n(pool.trained)} người đã học lớp bồi dưỡng nhận thức về "
        f"Đảng, {n(pool.applied)} người có đơn xin vào Đảng; năm 2025 kết nạp {n(pool.admitted)} đảng viên mới",
        f"Công nhận đảng viên chính thức: {n(pr.people)} người ({n(pr.decisions)} quyết định)",
        f"Đến ngày {format_date(TEST_TODAY)},",
        f"còn {n(pr.probationary)} đảng viên dự bị",
        f"V. XẾP LOẠI CHẤT LƯỢNG TỔ CHỨC NĂM {q.year}",
        "VI. KẾT QUẢ THEO PHƯỜNG, XÃ",
    ):
        assert said in text, said
    if pr.overdue:
        assert f"{n(pr.overdue)} trường hợp ({n(pr.overdue_people)} người) đã hết 12 tháng dự bị" in text
    # the quality table's rows and the ward table's rows, as laid out on the page
    layout = pdftotext(pdf, layout=True)
    rows = [" ".join(line.split()) for line in layout.splitlines()]
    for kind in OrgKind:
        cells = " ".join(n(q.levels[kind][lv]) for lv in QualityLevel) + f" {n(q.not_rated[kind])}"
        assert any(r.startswith(kind.label) and r.endswith(cells) for r in rows), kind
    for w in d.wards:
        cells = " ".join(
            n(x)
            for x in (w.opportunities, w.identified, w.applied, w.recognised, w.overdue, *w.levels.values())
        )
        assert any(r == f"{w.name} {cells}" for r in rows), w.name

    wb = load_workbook(xlsx)
    assert wb.sheetnames == [
        "Tổng hợp",
        "Quy mô lao động",
        "Đủ điều kiện thành lập",
        "Nguồn phát triển đảng viên",
        "Xếp loại chất lượng",
        "Theo phường, xã",
        "Phát triển theo phường, xã",
    ]
    opp = {r[0]: r[1:] for r in wb["Đủ điều kiện thành lập"].iter_rows(min_row=5, values_only=True)}
    for kind in OrgKind:
        minimum = o.minimums[kind]
        assert opp[kind.label] == ((minimum, o.by_kind[kind]) if minimum else (None, None))
    assert opp["Số doanh nghiệp (mỗi doanh nghiệp tính một lần)"][1] == o.enterprises
    lines = dict(wb["Nguồn phát triển đảng viên"].iter_rows(min_row=4, values_only=True))
    assert lines["Quần chúng ưu tú"] == pool.identified
    assert lines["Trong đó: có đơn xin vào Đảng"] == pool.applied
    assert lines["Công nhận đảng viên chính thức trong kỳ (người)"] == pr.people
    assert lines["Quá hạn chưa công nhận cuối kỳ (người)"] == pr.overdue_people
    assert lines["Đảng viên dự bị cuối kỳ"] == pr.probationary
    ws = wb["Xếp loại chất lượng"]
    levels = {r[0]: r[1:] for r in ws.iter_rows(values_only=True) if r[0] in {k.label for k in OrgKind}}
    for kind in OrgKind:
        assert levels[kind.label] == (*(q.levels[kind][lv] for lv in QualityLevel), q.not_rated[kind])
    by_ward = {r[0]: r[2:] for r in wb["Phát triển theo phường, xã"].iter_rows(min_row=4, values_only=True)}
    for w in d.wards:
        assert by_ward[w.code] == (
            w.opportunities,
            w.identified,
            w.applied,
            w.recognised,
            w.overdue,
            *(w.levels[lv] for lv in QualityLevel),
        )


def test_the_command_line_says_the_same(province, tmp_path):
    from tests.conftest import run_cli

    r = run_cli(
        "report",
        "--year",
        "2025",
        "--unit",
        PROVINCE,
        "--date",
        "20/11/2025",
        "--pdf",
        str(tmp_path / "bc.pdf"),
        data_dir=province,
    )
    assert r.returncode == 0, r.stderr
    with open_store(province) as s:
        d = compute(s, PROVINCE, Period.year(2025), today=TEST_TODAY).development
    n = format_int
    pool, pr = d.pool, d.probation
    for said in (
        f"Đủ điều kiện thành lập tổ chức (hiện nay): {n(d.opportunities.enterprises)} doanh nghiệp",
        f"Nguồn phát triển đảng viên: {n(pool.identified)} quần chúng ưu tú ({n(pool.trained)} đã học lớp "
        f"nhận thức, {n(pool.applied)} có đơn), kết nạp {n(pool.admitted)}",
        f"Công nhận đảng viên chính thức: {n(pr.people)} người; quá hạn chưa công nhận: {n(pr.overdue)} "
        f"trường hợp ({n(pr.overdue_people)} người); dự bị: {n(pr.probationary)}",
        f"Xếp loại chất lượng năm {d.quality.year}: hoàn thành xuất sắc nhiệm vụ "
        f"{n(d.quality.total(QualityLevel.EXCELLENT))},",
    ):
        assert said in r.stdout, said


def test_a_province_reads_beside_what_it_fills(province, monkeypatch):
    """A province's opportunities and pool are read on a connection of their own, in another thread,
    while the report's tables are filled; the report is the same as when they are read in turn."""
    import threading

    from app.reports import results

    seen = []
    real = results.read_unit

    def spy(conn, p, ratings=None):
        seen.append((threading.current_thread() is threading.main_thread(), conn, ratings))
        return real(conn, p, ratings)

    monkeypatch.setattr(results, "read_unit", spy)
    with open_store(province) as s:
        beside = compute(s, PROVINCE, Period.year(2025), today=TEST_TODAY)
        assert len(seen) == 1 and seen[0][0] is False and seen[0][1] is not s.conn
        assert seen[0][2] is not None  # the ratings read there too, into a file of their own...
        assert not seen[0][2].path.exists()  # ...deleted once the report is made

        @contextlib.contextmanager
        def in_turn(*args):
            yield None

        monkeypatch.setattr(results, "_read_beside", in_turn)
        alone = compute(s, PROVINCE, Period.year(2025), today=TEST_TODAY)
    assert len(seen) == 1  # read in turn through the development part's own call
    assert beside == alone and beside.development is not None
    assert beside.development.opportunities.enterprises and beside.development.pool.identified


def test_a_stopped_province_report_stops_its_reads_beside(province, monkeypatch):
    """Should the filling of the report's tables fail, the query of the reads beside is interrupted
    and their thread awaited: the report's own error is raised, no thread is left."""
    import threading

    from app.reports import results
    from app.storage.store import is_interrupted

    running, outcome = threading.Event(), {}

    def endless(conn, p, ratings=None):
        conn.set_progress_handler(lambda: running.set() or 0, 1000)
        try:
            conn.execute(
                "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"
            ).fetchall()
        except Exception as exc:
            outcome["interrupted"] = is_interrupted(exc)
            raise
        outcome["interrupted"] = False
        return real(conn, p, ratings)

    real = results.read_unit
    real_scope = results._scope

    def failing_scope(*args, **kwargs):
        real_scope(*args, **kwargs)
        assert running.wait(30)
        raise OSError("the disk went away")

    monkeypatch.setattr(results, "read_unit", endless)
    monkeypatch.setattr(results, "_scope", failing_scope)
    with open_store(province) as s, pytest.raises(OSError, match="the disk went away"):
        compute(s, PROVINCE, Period.year(2025), today=TEST_TODAY)
    assert outcome == {"interrupted": True}
    assert not [t for t in threading.enumerate() if t.name.startswith("report-reads")]
    assert not list(province.glob(".khaosat-tam-*"))  # neither scratch file is left


def test_an_error_of_the_reads_beside_is_the_reports(province, monkeypatch):
    from app.reports import results
    from app.storage.driver import dbapi

    def broken(conn, p, ratings=None):
        raise dbapi.OperationalError("disk I/O error")

    monkeypatch.setattr(results, "read_unit", broken)
    with open_store(province) as s, pytest.raises(dbapi.OperationalError, match="disk I/O error"):
        compute(s, PROVINCE, Period.year(2025), today=TEST_TODAY)


def test_the_ratings_are_read_in_one_pass_over_their_table(province, tmp_path, monkeypatch):
    """The ratings of the year and the year before are read by one pass over the table, not by a
    look-up of each through the index by year (what SQLite does for ``year IN (...)`` on this table
    despite ``NOT INDEXED`` once its statistics say a year is few of the ratings, as those of the
    500,000-enterprise benchmark's file do: 3.5 times as slow there)."""
    from app.reports import results

    statements = []
    folder = copy_data(province, tmp_path / "data")
    with open_store(folder) as s:
        s.conn.execute("ANALYZE")
        s.conn.execute("DELETE FROM sqlite_stat1 WHERE tbl = 'quality_ratings'")
        s.conn.executemany(  # that file's, as PRAGMA optimize left them
            "INSERT INTO sqlite_stat1(tbl, idx, stat) VALUES ('quality_ratings', ?, ?)",
            [
                ("quality_ratings_organisation", "287971 3 1"),
                ("quality_ratings_enterprise", "287971 3"),
                ("quality_ratings", "287971 1"),
            ],
        )
        s.conn.execute("ANALYZE sqlite_schema")  # the statistics read again
        for unit in (
            PROVINCE,
            TEST_WARD,
        ):  # a province reads them on its second connection, a ward on its own
            statements.clear()
            s.conn.set_trace_callback(statements.append)
            with monkeypatch.context() as m:

                def traced(*args, real=results.connect, **kwargs):
                    conn = real(*args, **kwargs)
                    conn.set_trace_callback(statements.append)
                    return conn

                m.setattr(results, "connect", traced)
                compute(s, unit, Period.year(2025), today=TEST_TODAY)
            s.conn.set_trace_callback(None)
            ratings = [x for x in statements if "FROM quality_ratings" in x]
            assert len(ratings) == 1, unit
            select = re.sub(r"INSERT INTO \S+ ", "", ratings[0])  # its query, wherever it wrote
            plan = [row[3] for row in s.conn.execute(f"EXPLAIN QUERY PLAN {select}")]
            assert "SCAN quality_ratings" in plan and not [x for x in plan if "INDEX" in x], (unit, plan)


def test_a_province_reads_organisations_and_admissions_from_the_indexes_that_carry_them(province):
    """A province's report reads every organisation and admission: from their indexes by enterprise,
    which carry what it reads of them (migration 18), in the enterprises' order; never the tables' rows
    (notes, names and sync columns decrypted with the rest: 1.1 and 1.6 s at 500,000 enterprises, 0.6 and
    0.5 s from the indexes). The admissions come in the order the report keeps them, nothing to sort."""
    statements: list[str] = []
    with open_store(province) as s:
        s.conn.set_trace_callback(statements.append)
        compute(s, PROVINCE, Period.year(2025), today=TEST_TODAY)
        s.conn.set_trace_callback(None)
        s.conn.execute(
            "CREATE TEMP TABLE report_enterprises (id TEXT PRIMARY KEY, ward_code TEXT NOT NULL, "
            "status TEXT NOT NULL, workforce_total INTEGER) WITHOUT ROWID"
        )
        plans = {}
        for table in ("report_organisations", "report_admissions"):
            (insert,) = [x for x in statements if x.startswith(f"INSERT INTO {table}")]
            select = insert[insert.index("SELECT") :]
            plans[table] = " | ".join(row[3] for row in s.conn.execute(f"EXPLAIN QUERY PLAN {select}"))
        s.conn.execute("DROP TABLE temp.report_enterprises")
    assert plans["report_organisations"].startswith(
        "SCAN o USING COVERING INDEX organisations_enterprise | SEARCH e USING PRIMARY KEY (id=?)"
    ), plans
    assert plans["report_admissions"] == (
        "SCAN a USING COVERING INDEX admissions_enterprise | SEARCH e USING PRIMARY KEY (id=?)"
    ), plans


def test_a_province_reads_its_enterprises_from_their_narrow_index(province, tmp_path):
    """Migration 19: what the report reads of each enterprise (id, ward, status, workforce) from the narrow
    index in the ids' order, never the wide table."""
    statements: list[str] = []
    with open_store(copy_data(province, tmp_path / "data")) as s:
        assert (
            s.conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'quality_ratings_year'").fetchone()
            is None
        )
        s.conn.set_trace_callback(statements.append)
        narrow = compute(s, PROVINCE, Period.year(2025), today=TEST_TODAY)
        s.conn.set_trace_callback(None)
        fill = [x for x in statements if x.startswith("INSERT INTO report_enterprises")]
        assert len(fill) == 1
        select = fill[0][fill[0].index("SELECT") :]
        plan = [row[3] for row in s.conn.execute(f"EXPLAIN QUERY PLAN {select}")]
        assert "SCAN enterprises USING COVERING INDEX enterprises_report" in plan, plan
        assert not [x for x in plan if "TEMP B-TREE" in x], plan  # in the ids' order: nothing sorted
        # a deleted enterprise leaves the index (it holds those the report counts)
        gone = s.conn.execute("SELECT id FROM enterprises WHERE deleted = 0 LIMIT 1").fetchone()[0]
        in_index = "SELECT count(*) FROM enterprises INDEXED BY enterprises_report WHERE deleted = 0"
        before = s.conn.execute(in_index).fetchone()[0]
        with s.write("test") as w:
            w.delete("enterprises", gone)
        assert s.conn.execute(in_index).fetchone()[0] == before - 1
    assert narrow.enterprises  # the figures themselves: the province equals the sum of its wards (above)
