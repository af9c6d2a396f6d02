"""Hostile values through the local doors: the forms' validation (the services every form saves
through) and the list import. Each value is either accepted, and then valid and stored as it reads
back, or refused with a Vietnamese message; never a traceback, and nothing changes on refusal.

(The bundle and key-file doors have their own half of this test in tests/sync.)
"""

from __future__ import annotations

import csv
import zipfile
from datetime import date

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from app.domain import taxcode
from app.domain import validation as v
from app.domain.checks import check_record
from app.domain.records import Admission, Enterprise, Organisation, Visit
from app.domain.text import clean, text_problem
from app.domain.vocab import Attitude, OrgKind, OrgStatus
from app.importing import errorfile
from app.importing import mapping as mp
from app.importing import plan as pl
from app.importing.errors import ImportFailed
from app.services import records as svc
from app.storage import Store
from tests.conftest import TEST_TODAY, TEST_WARD

# Characters that broke or fooled a door once, or could: lone surrogates (both halves), NUL and
# other controls, direction overrides and isolates, zero-width and BOM, the soft hyphen, combining
# marks alone, a non-BMP letter, the replacement character, quotes and formula starts.
NASTY = [
    "\ud800",
    "\udc80",
    "\udfff",
    "\x00",
    "\x07",
    "\x1b",
    "\x7f",
    "\x85",
    "\x9f",
    "\u202e",
    "\u202a",
    "\u2066",
    "\u2069",
    "\u200b",
    "\u200e",
    "\ufeff",
    "\u00ad",
    "\u0301",
    "\U0001f600",
    "\ufffd",
    "\t",
    "\n",
    "\r\n",
    '"',
    ";",
    "=",
    "+",
    "@",
    "-",
]
WORDS = [
    "Công ty",
    "TNHH",
    "Hòa Bình",
    "Nguyễn Thị Hằng",
    "12 Tràng Tiền",
    '=HYPERLINK("x")',
    "=cmd|' /C calc'!A0",
]

pieces = st.one_of(
    st.sampled_from(NASTY),
    st.sampled_from(WORDS),
    st.text(alphabet=st.characters(blacklist_categories=()), max_size=8),  # surrogates included
)
hostile_text = st.one_of(
    st.lists(pieces, max_size=8).map("".join),
    st.builds(lambda ch, n: ch * n, st.sampled_from(["x", "ệ", "\U0001f600", " "]), st.integers(0, 6000)),
)
maybe_text = st.one_of(st.none(), hostile_text)
hostile_count = st.one_of(
    st.none(), st.integers(-(10**12), 10**12), st.sampled_from([0, -1, 1_000_000, 1_000_001])
)
hostile_date = st.one_of(st.none(), st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)))
tax_code = st.one_of(
    hostile_text, st.sampled_from(["0100109106", "0100109106-001", "0100109107", "001099000001"])
)

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)


def _state(store: Store) -> tuple:
    conn = store.conn
    return (
        conn.execute("SELECT coalesce(max(seq), 0), count(*) FROM changes").fetchone(),
        tuple(
            conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("enterprises", "visits", "organisations", "admissions")
        ),
    )


def _assert_message(text: str) -> None:
    assert text and isinstance(text, str)
    text.encode("utf-8")  # printable to a console or a window: no lone surrogate in a message
    for english in ("Error", "Traceback", "codec", "Expecting", "recursion"):
        assert english not in text


def _through_the_door(store: Store, save, record) -> None:
    before = _state(store)
    try:
        saved = save(store, record, today=TEST_TODAY).record
    except v.ValidationError as exc:
        assert exc.problems
        for p in exc.problems:
            _assert_message(p.message)
        assert _state(store) == before  # nothing written
        return
    # accepted: what is stored reads back the same and passes every rule and text check again
    back = store.get(type(saved), saved.id)
    assert back is not None and back.to_row() == saved.to_row()
    assert not check_record(back, TEST_TODAY)
    for name in saved.field_names():
        value = getattr(saved, name)
        if type(value) is str:  # not the coded values (str enums)
            assert value == clean(value) or name in ("id", "enterprise_id")
            assert text_problem(value, name) is None


@pytest.fixture(scope="module")
def door_store():
    s = Store.memory()
    from app.domain.vocab import Role

    s.set_profile(unit_code=TEST_WARD, collaborator="Nguyễn Thị Hằng", role=Role.COLLABORATOR)
    e = svc.save_enterprise(
        s,
        Enterprise(name="Công ty TNHH Hòa Bình", tax_code="0100109106", ward_code=TEST_WARD),
        today=TEST_TODAY,
    ).record
    s.enterprise_id = e.id  # type: ignore[attr-defined]
    yield s
    s.close()


@SETTINGS
@given(
    name=hostile_text,
    short_name=maybe_text,
    tax=tax_code,
    address=maybe_text,
    phone=maybe_text,
    email=maybe_text,
    owner=maybe_text,
    note=maybe_text,
    ward=st.one_of(st.just(TEST_WARD), hostile_text),
    workforce=hostile_count,
    women=hostile_count,
    year=hostile_count,
)
def test_enterprise_form_door(
    door_store, name, short_name, tax, address, phone, email, owner, note, ward, workforce, women, year
):
    e = Enterprise(
        name=name,
        short_name=short_name,
        tax_code=tax,
        address=address,
        phone=phone,
        email=email,
        owner_name=owner,
        note=note,
        ward_code=ward,
        workforce_total=workforce,
        workforce_women=women,
        year_founded=year,
    )
    _through_the_door(door_store, svc.save_enterprise, e)


@SETTINGS
@given(
    collaborator=maybe_text,
    person=maybe_text,
    title=maybe_text,
    difficulties=maybe_text,
    proposals=maybe_text,
    next_step=maybe_text,
    visit_date=hostile_date,
    counts=st.lists(hostile_count, min_size=4, max_size=4),
)
def test_visit_form_door(
    door_store, collaborator, person, title, difficulties, proposals, next_step, visit_date, counts
):
    visit = Visit(
        enterprise_id=door_store.enterprise_id,
        visit_date=visit_date,
        collaborator=collaborator,
        person_met=person,
        person_met_title=title,
        difficulties=difficulties,
        proposals=proposals,
        next_step=next_step,
        workforce_total=counts[0],
        party_official=counts[1],
        union_members=counts[2],
        youth_members=counts[3],
        attitude=Attitude.UNDECIDED,
    )
    _through_the_door(door_store, svc.save_visit, visit)


@SETTINGS
@given(
    number=maybe_text,
    body=maybe_text,
    leader=maybe_text,
    note=maybe_text,
    members=hostile_count,
    decided=hostile_date,
    status=st.sampled_from([OrgStatus.MOBILISING, OrgStatus.FOUNDED]),
)
def test_organisation_and_admission_form_doors(
    door_store, number, body, leader, note, members, decided, status
):
    org = Organisation(
        enterprise_id=door_store.enterprise_id,
        kind=OrgKind.UNION,
        status=status,
        decision_number=number,
        issuing_body=body,
        leader=leader,
        note=note,
        founding_members=members,
        members=members,
        decision_date=decided,
    )
    _through_the_door(door_store, svc.save_organisation, org)
    admission = Admission(
        enterprise_id=door_store.enterprise_id,
        kind=OrgKind.UNION,
        admitted_on=decided,
        count=members or 0,
        note=note,
    )
    _through_the_door(door_store, svc.save_admission, admission)


# --- the list import --------------------------------------------------------------------------------

cell = st.one_of(
    hostile_text, st.sampled_from(["0100109106", "120", "1.549", "Phường Hoàn Kiếm", "00070", ""])
)
VALID_TAX = [c for c in (taxcode.make_valid(f"0106{i:05d}") for i in range(40)) if c]
# a good row with hostile text in the name, the owner or the note (often accepted: text is cleaned)
good_row = st.builds(
    lambda name, owner, note, tax: [
        f"Công ty {name}",
        tax,
        "12 Tràng Tiền",
        owner,
        "120",
        "Phường Hoàn Kiếm",
        note,
    ],
    hostile_text,
    hostile_text,
    hostile_text,
    st.sampled_from(VALID_TAX),
)
row = st.one_of(st.lists(cell, min_size=0, max_size=7), good_row)


def _csv_safe(text: str) -> str:
    """A CSV file holds encoded bytes: lone surrogates cannot be written (the readers of .xlsx and .xls
    turn them into U+FFFD and a row error; see test_bounds)."""
    return text.encode("utf-8", "replace").decode("utf-8")


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(
    rows=st.lists(row, min_size=0, max_size=12), encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16"])
)
def test_list_import_door(tmp_path_factory, rows, encoding):
    folder = tmp_path_factory.mktemp("door")
    src = folder / "ds.csv"
    with open(src, "w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh)
        w.writerow(
            ["Tên doanh nghiệp", "Mã số thuế", "Địa chỉ", "Người đại diện", "Tổng số LĐ", "Phường", "Ghi chú"]
        )
        for r in rows:
            w.writerow([_csv_safe(c) for c in r])
    store = Store(folder / "khaosat.sqlite3")
    try:
        from app.domain.vocab import Role

        store.set_profile(unit_code=TEST_WARD, collaborator="Nguyễn Thị Hằng", role=Role.COLLABORATOR)
        before = _state(store)
        try:
            prepared = mp.prepare(src, store)
            plan = pl.preview(
                store, prepared.table, prepared.mapping, pl.Options(on_duplicate="update", today=TEST_TODAY)
            )
        except ImportFailed as exc:
            _assert_message(str(exc))
            assert _state(store) == before
            return
        for r in plan.rows:
            if r.outcome.rejected:
                assert r.problems or r.outcome in (pl.Outcome.ASK, pl.Outcome.SIMILAR)
                for p in r.problems:
                    _assert_message(p)
            for w in r.warnings:
                _assert_message(w)
        result = pl.execute(store, plan, remember_mapping=True)
        # what went in is valid and reads back the same
        for r in result.preview.rows:
            if r.outcome == pl.Outcome.NEW:
                back = store.get(Enterprise, r.enterprise.id)
                assert back is not None and back.to_row() == r.enterprise.to_row()
                assert not v.validate_enterprise(back, TEST_TODAY)
        assert result.created == sum(1 for r in result.preview.rows if r.outcome == pl.Outcome.NEW)
        event(f"rows imported: {min(result.created, 3)}+")
        # the error file is written and holds no formula
        if result.preview.rejected():
            out = errorfile.write(folder / "loi.xlsx", result.preview)
            with zipfile.ZipFile(out) as z:
                assert b"<f>" not in z.read("xl/worksheets/sheet1.xml")
            load_workbook(out).close()
        assert store.integrity_check() == []
    finally:
        store.close()
