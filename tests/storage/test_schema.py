"""The database schema and the field declarations say the same thing, and adding a declared field
is one line of migration."""

from __future__ import annotations

import dataclasses

import pytest

from app.domain import fields as f
from app.domain.records import RECORD_TYPES, Enterprise, Visit
from app.storage.migrations import add_declared_column

# columns of every record table that are not fields of the record (sync and storage bookkeeping)
BOOKKEEPING = {
    "rid",
    "deleted",
    "created_hlc",
    "updated_hlc",
    "origin",
    "create_change",
    "create_txn",
    "create_author",
    "create_wall",
    "create_via",
    "create_seq",
    "last_visit",  # the list's facts on the enterprise (app/storage/list_facts.py)
    "founded",
}


def _columns(conn, table):
    return {
        name: (typ, bool(notnull), dflt)
        for _cid, name, typ, notnull, dflt, _pk in conn.execute(f"PRAGMA table_info({table})")
        if name not in BOOKKEEPING
    }


def _sql_default(info):
    value = info.stored_default
    if value is None:
        return None
    return str(value) if isinstance(value, int) else f"'{value}'"


@pytest.mark.parametrize("table", list(RECORD_TYPES))
def test_every_declared_field_has_its_column_as_declared(store, table):
    cols = _columns(store.conn, table)
    cls = RECORD_TYPES[table]
    # the same columns; their order in the table is the order they were added (a field declared in the
    # middle of a record gets its column at the end: the declaration's order is the screen's and paper's)
    assert sorted(cols) == sorted(cls.field_names())
    for info in cls.FIELDS:
        assert cols[info.name] == (info.sql_type, not info.null, _sql_default(info)), info.name


def test_adding_a_declared_field_is_one_line_of_migration(store, monkeypatch):
    @dataclasses.dataclass
    class WithExtra(Visit):
        interpreter: bool = f.yes_no("Có người phiên dịch")
        gifts: int | None = f.count("Số quà tặng")

    monkeypatch.setitem(RECORD_TYPES, "visits", WithExtra)
    with store.transaction():
        add_declared_column(store.conn, "visits", "interpreter")
        add_declared_column(store.conn, "visits", "gifts")
    cols = _columns(store.conn, "visits")
    assert cols["interpreter"] == ("INTEGER", True, "0") and cols["gifts"] == ("INTEGER", False, None)
    e = Enterprise(name="A", tax_code="0100109106", ward_code="00070")
    with store.write("t") as w:
        w.save(e)
        w.save(WithExtra(enterprise_id=e.id, gifts=3))
    (v,) = store.children(Visit, e.id)
    assert type(v) is WithExtra and v.gifts == 3 and v.interpreter is False


def test_a_required_field_without_a_default_cannot_be_added_to_existing_rows(store, monkeypatch):
    @dataclasses.dataclass
    class WithRequired(Enterprise):
        licence: str = f.text("Số giấy phép", required=True)

    monkeypatch.setitem(RECORD_TYPES, "enterprises", WithRequired)
    with pytest.raises(ValueError, match="needs a default or null=True"):
        add_declared_column(store.conn, "enterprises", "licence")
