"""Full-text search of enterprises, insensitive to diacritics and tone placement.

The FTS5 table holds *folded* text (``app.domain.text.search_key``: no diacritics, đ -> d), so
"nguyen thi hang" finds "Nguyễn Thị Hằng" and "hoa" and "hoà" both find "Hòa". SQLite's own
``remove_diacritics`` folds neither đ nor tone placement, hence the folding in Python.
The index is kept in step by ``Writer`` in the same transaction as the record.
"""

from __future__ import annotations

import sqlite3

from app.domain.text import search_key

FTS_DDL = """
CREATE VIRTUAL TABLE enterprise_fts USING fts5(
    name, short_name, tax_code, address, owner_name,
    tokenize = 'unicode61 remove_diacritics 0',
    prefix = '1 2 3'
);
"""

INDEXED = ("name", "short_name", "tax_code", "address", "owner_name")


def tax_code_text(value: str) -> str:
    """Both "0101234567-001" and its digits alone are searchable."""
    return f"{value} {value.replace('-', '')}" if "-" in value else value


def index_values(row: dict) -> tuple[str, ...]:
    values = []
    for name in INDEXED:
        value = row.get(name) or ""
        if name == "tax_code":
            value = tax_code_text(value)
        values.append(search_key(value))
    return tuple(values)


def index_row(conn: sqlite3.Connection, rid: int, row: dict) -> None:
    conn.execute("DELETE FROM enterprise_fts WHERE rowid = ?", (rid,))
    if not row.get("deleted"):
        conn.execute(
            "INSERT INTO enterprise_fts(rowid, name, short_name, tax_code, address, owner_name) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (rid, *index_values(row)),
        )


def rebuild_index(conn: sqlite3.Connection) -> int:
    conn.execute("DELETE FROM enterprise_fts")
    cur = conn.execute(
        "SELECT rid, name, short_name, tax_code, address, owner_name FROM enterprises WHERE deleted = 0"
    )
    cols = [d[0] for d in cur.description]
    rows = [(r[0], *index_values(dict(zip(cols, r)))) for r in cur]
    conn.executemany(
        "INSERT INTO enterprise_fts(rowid, name, short_name, tax_code, address, owner_name) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        rows,
    )
    return len(rows)


def match_expression(query: str) -> str | None:
    """An FTS5 MATCH expression: every folded word must start a word of some indexed column."""
    words = search_key(query).split()
    if not words:
        return None
    return " AND ".join(f'"{w}"*' for w in words)
