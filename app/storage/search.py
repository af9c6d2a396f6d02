"""Full-text search of enterprises, insensitive to diacritics and tone placement, best matches first.

The FTS5 table holds *folded* text (``app.domain.text.search_key``: no diacritics, đ -> d), so
"nguyen thi hang" finds "Nguyễn Thị Hằng" and "hoa" and "hoà" both find "Hòa". SQLite's own
``remove_diacritics`` folds neither đ nor tone placement, hence the folding in Python.
``enterprise_names`` indexes the names alone, and ``enterprise_owners`` holds each representative's
folded name in a B-tree, so a person's whole name (or its start) is found without the full-text
index. All three are kept in step with the record in the same transaction (``index_row``,
``index_many``, ``index_folded``).

A query is folded into words. Every word must start a word of the enterprise; every word but the
last must be a whole word (a space was typed after it), so "tran" does not also mean "trang" once
the next word is typed. Matches come in tiers (``TIERS``), each ranked by relevance (bm25, words in
the name weigh most) when it is small enough, else in index order:

1. ``tax_code``: one word of digits, the start of a tax code;
2. ``owner``: the representative's whole name is the query ("nguyen duc huy" finds the enterprise whose
   representative is Nguyễn Đức Huy before companies named "Đức Huy"); two words or more;
3. ``owner_start``: the representative's name starts with the query (a name still being typed);
4. ``name``: every word in the name or short name (only when the query matches too many enterprises to
   rank them all: below that, relevance already puts the name first);
5. ``all``: every word anywhere (name, short name, tax code, address, representative).
"""

from __future__ import annotations

import sqlite3
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from app.domain.text import search_key, search_keys

# detail=column: no word positions (no phrase queries, which search does not use), so the index is
# smaller and faster to write and to filter by column; prefixes of 1 to 6 letters are indexed so a word
# being typed ("thanh", "nguyen", which start words of most rows) is read, not gathered term by term.
FTS_DDL = """
CREATE VIRTUAL TABLE enterprise_fts USING fts5(
    name, short_name, tax_code, address, owner_name,
    tokenize = 'unicode61 remove_diacritics 0',
    prefix = '1 2 3 4 5 6',
    detail = column
);
"""

# The names alone, for the tier "every word in the name": the words of the address and of the
# representative ("Thành phố Hồ Chí Minh", "Nguyễn") are in most rows, and filtering them out of the
# whole index by column cost 10-30 ms a query at 500,000 enterprises. Contentless: the folded names
# are in enterprise_fts already (and a row is deleted from it with those values).
NAMES_DDL = """
CREATE VIRTUAL TABLE enterprise_names USING fts5(
    name, short_name,
    tokenize = 'unicode61 remove_diacritics 0',
    prefix = '1 2 3 4 5 6',
    detail = column,
    content = ''
);
"""

OWNERS_DDL = """
CREATE TABLE enterprise_owners (
    key TEXT NOT NULL,
    rid INTEGER NOT NULL,
    PRIMARY KEY (key, rid)
) WITHOUT ROWID;
"""

INDEXED = ("name", "short_name", "tax_code", "address", "owner_name")

# Relevance: a word in the name counts most, then tax code and short name, then the representative,
# then the address (every address of a ward shares its words, so they say little); then shorter
# names first. Scored in Python on the folded values: SQLite's bm25 first counts every row holding
# each word ("thanh" is in every address of Thành phố Hồ Chí Minh), 10-25 ms a query at 500,000.
WEIGHTS = {"name": 10, "short_name": 6, "tax_code": 6, "owner_name": 3, "address": 1}
# Rank a tier by relevance up to this many matches (about 10 µs a match); more: index order.
RANK_LIMIT = 300


def tax_code_text(value: str) -> str:
    """Both "0101234567-001" and its digits alone are searchable."""
    return f"{value} {value.replace('-', '')}" if "-" in value else value


# --- keeping the index in step ----------------------------------------------------------------------


def index_values(row: dict) -> tuple[str, ...]:
    values = []
    for name in INDEXED:
        value = row.get(name) or ""
        if name == "tax_code":
            value = tax_code_text(value)
        values.append(search_key(value))
    return tuple(values)


def index_row(conn: sqlite3.Connection, rid: int, row: dict) -> None:
    """Index one enterprise again (after a change); a deleted one leaves the index."""
    old = conn.execute(
        "SELECT name, short_name, owner_name FROM enterprise_fts WHERE rowid = ?", (rid,)
    ).fetchone()
    if old is not None:
        conn.execute("DELETE FROM enterprise_fts WHERE rowid = ?", (rid,))
        conn.execute(
            "INSERT INTO enterprise_names(enterprise_names, rowid, name, short_name) VALUES ('delete', ?, ?, ?)",
            (rid, old[0], old[1]),
        )
        conn.execute("DELETE FROM enterprise_owners WHERE key = ? AND rid = ?", (old[2], rid))
    if not row.get("deleted"):
        index_folded(conn, [(rid, *index_values(row))])


def index_many(conn: sqlite3.Connection, rows: Iterable[Sequence[Any]]) -> int:
    """Index new enterprises: rows of (rid, name, short_name, tax_code, address, owner_name), values as
    stored (folded here in one go). Returns how many."""
    rows = list(rows)
    texts: list[str] = []
    for r in rows:
        texts += [r[1] or "", r[2] or "", tax_code_text(r[3] or ""), r[4] or "", r[5] or ""]
    keys = search_keys(texts)
    return index_folded(conn, [(r[0], *keys[5 * i : 5 * i + 5]) for i, r in enumerate(rows)])


def index_folded(conn: sqlite3.Connection, rows: Sequence[Sequence[Any]]) -> int:
    """Index new enterprises from already folded values (rid, name, short_name, tax_code, address, owner)."""
    conn.executemany(
        "INSERT INTO enterprise_fts(rowid, name, short_name, tax_code, address, owner_name) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        rows,
    )
    conn.executemany(
        "INSERT INTO enterprise_names(rowid, name, short_name) VALUES (?, ?, ?)", [r[:3] for r in rows]
    )
    conn.executemany(
        "INSERT OR IGNORE INTO enterprise_owners(key, rid) VALUES (?, ?)",
        [(r[5], r[0]) for r in rows if r[5]],
    )
    return len(rows)


def rebuild_index(conn: sqlite3.Connection) -> int:
    conn.execute("DELETE FROM enterprise_fts")
    conn.execute("INSERT INTO enterprise_names(enterprise_names) VALUES ('delete-all')")
    conn.execute("DELETE FROM enterprise_owners")
    cur = conn.execute(
        "SELECT rid, name, short_name, tax_code, address, owner_name FROM enterprises WHERE deleted = 0"
    )
    total = 0
    while batch := cur.fetchmany(20_000):
        total += index_many(conn, batch)
    return total


def index_problems(conn: sqlite3.Connection) -> list[str]:
    """Differences between the records and the search indexes (empty: in step)."""
    kept = conn.execute("SELECT count(*) FROM enterprises WHERE deleted = 0").fetchone()[0]
    out = []
    for table, label in (("enterprise_fts", "chỉ mục tìm kiếm"), ("enterprise_names", "chỉ mục tên")):
        n = conn.execute(f"SELECT count(*) FROM {table}_docsize").fetchone()[0]
        if n != kept:
            out.append(f"{label} có {n} dòng, khác {kept} doanh nghiệp")
    owners = conn.execute("SELECT count(*) FROM enterprise_fts WHERE owner_name != ''").fetchone()[0]
    if conn.execute("SELECT count(*) FROM enterprise_owners").fetchone()[0] != owners:
        out.append("chỉ mục người đại diện không khớp với chỉ mục tìm kiếm")
    return out


# --- queries ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Terms:
    """A query as folded words; ``typing``: the last word may be unfinished (no space typed after it)."""

    words: tuple[str, ...]
    typing: bool

    @property
    def key(self) -> str:
        return " ".join(self.words)

    @cached_property
    def needles(self) -> tuple[str, ...]:
        """Each word as found in a folded value padded with spaces: " word " (whole), " wor" (typing)."""
        last = len(self.words) - 1
        return tuple(f" {w}" if self.typing and i == last else f" {w} " for i, w in enumerate(self.words))

    def fts_word(self, i: int) -> str:
        star = "*" if self.typing and i == len(self.words) - 1 else ""
        return f'"{self.words[i]}"{star}'


def terms(query: str | None) -> Terms | None:
    """The words of ``query``, or None when it has none."""
    words = search_key(query).split()
    if not words:
        return None
    last = unicodedata.normalize("NFC", query or "")[-1:]
    return Terms(tuple(words), last.isalnum())


def match_expression(query: str | Terms | None) -> str | None:
    """An FTS5 MATCH expression: every folded word starts a word of some indexed column; every word but
    a last one still being typed is a whole word."""
    t = query if isinstance(query, Terms) else terms(query)
    if t is None:
        return None
    return " AND ".join(t.fts_word(i) for i in range(len(t.words)))


def _owner_range(t: Terms) -> tuple[str, str]:
    """Keys starting with the query: the last word as a prefix while typing, else as a whole word."""
    start = t.key if t.typing else t.key + " "
    return start, start[:-1] + chr(ord(start[-1]) + 1)


TIERS = ("tax_code", "owner", "owner_start", "name", "all")


@dataclass(frozen=True)
class Filter:
    """Conditions on the enterprise (``e``) that every tier applies besides "not deleted", which the
    indexes hold to themselves, e.g. ``e.ward_code = ?``."""

    where: str = ""
    params: tuple[Any, ...] = ()

    @property
    def kept_only(self) -> bool:
        """No condition but the one every index already holds to: a tier reads no record to filter by."""
        return not self.where

    @property
    def sql(self) -> str:
        return f"e.deleted = 0 AND ({self.where})" if self.where else "e.deleted = 0"


def _capped(conn: sqlite3.Connection, expr: str, cap: int, table: str = "enterprise_fts") -> int:
    return conn.execute(
        f"SELECT count(*) FROM (SELECT rowid FROM {table} WHERE {table} MATCH ? LIMIT ?)", (expr, cap)
    ).fetchone()[0]


def _fts_tier(
    conn: sqlite3.Connection,
    t: Terms,
    expr: str,
    flt: Filter,
    limit: int,
    ranked: bool,
    table: str = "enterprise_fts",
) -> list[tuple[int]]:
    """The rids of a tier: all of them by relevance (``ranked``: the caller knows there are at most
    RANK_LIMIT), else the first ``limit`` in index order."""
    # the indexes hold the enterprises not deleted, and nothing else: without a condition of its own, a
    # tier in index order reads no record (each one a look-up, a page read and decrypted at a miss)
    if not ranked and flt.kept_only:
        return conn.execute(
            f"SELECT rowid FROM {table} WHERE {table} MATCH ? ORDER BY rowid LIMIT ?", (expr, limit)
        ).fetchall()
    sql = f"FROM {table} f JOIN enterprises e ON e.rid = f.rowid WHERE {table} MATCH ? AND {flt.sql}"
    if not ranked:
        return conn.execute(
            f"SELECT e.rid {sql} ORDER BY f.rowid LIMIT ?", (expr, *flt.params, limit)
        ).fetchall()
    rows = conn.execute(f"SELECT {_VALUES} {sql}", (expr, *flt.params)).fetchall()
    return [(rid,) for rid in by_relevance(t, _folded(rows))[:limit]]


# an enterprise's rid and the values the index holds, to score it: read from the record, whose pages the
# caller reads next anyway for the rows it shows (the index's own copy would be more pages to decrypt)
_VALUES = "e.rid, e.name, e.short_name, e.tax_code, e.address, e.owner_name"


def _folded(rows: Sequence[Sequence[Any]]) -> list[tuple[Any, ...]]:
    """``rows`` of ``_VALUES`` with the values folded as the index holds them (``index_values``)."""
    texts: list[str] = []
    for r in rows:
        texts += [r[1] or "", r[2] or "", tax_code_text(r[3] or ""), r[4] or "", r[5] or ""]
    keys = search_keys(texts)
    return [(r[0], *keys[5 * i : 5 * i + 5]) for i, r in enumerate(rows)]


def by_relevance(t: Terms, rows: Sequence[Sequence[Any]]) -> list[int]:
    """The rids of ``rows`` (a rid and its ``INDEXED`` values folded) best first: ``WEIGHTS`` of the fields
    holding each word, then shorter names, then rid."""
    weights = [WEIGHTS[f] for f in INDEXED]
    scored = []
    for rid, *fields in rows:
        score = sum(w * _hits(t, f) for w, f in zip(weights, fields) if f)
        scored.append((-score, (fields[0] or "").count(" "), rid))
    scored.sort()
    return [rid for *_, rid in scored]


def _hits(t: Terms, folded: str) -> int:
    """How many of the query's words are in the folded value (the last one as a prefix while typing)."""
    padded = f" {folded} "
    return sum(1 for needle in t.needles if needle in padded)


def ranked(conn: sqlite3.Connection, t: Terms, need: int, flt: Filter = Filter()) -> list[tuple[int, str]]:
    """The first ``need`` matches of ``t`` in rank order, as (rid, tier). Deterministic: the first ``n``
    of a longer list are the list for ``n``, so pages of a list can be cut from it."""
    out: list[tuple[int, str]] = []
    seen: set[int] = set()

    def add(rids: Iterable[Any], tier: str) -> None:
        for (rid,) in rids:
            if rid not in seen and len(out) < need:
                seen.add(rid)
                out.append((rid, tier))

    if need <= 0:
        return out
    expr = match_expression(t)
    assert expr is not None
    if len(t.words) == 1 and t.words[0].isdigit() and len(t.words[0]) >= 3:
        add(_fts_tier(conn, t, f"tax_code : {t.fts_word(0)}", flt, need, False), "tax_code")
    if len(t.words) >= 2 and len(out) < need:
        source = "enterprise_owners o" + ("" if flt.kept_only else " JOIN enterprises e ON e.rid = o.rid")
        cond, params = ("", ()) if flt.kept_only else (f" AND {flt.sql}", flt.params)
        add(
            conn.execute(
                f"SELECT o.rid FROM {source} WHERE o.key = ?{cond} ORDER BY o.rid LIMIT ?",
                (t.key, *params, need),
            ),
            "owner",
        )
        if len(out) < need:
            low, high = _owner_range(t)
            add(
                conn.execute(
                    f"SELECT o.rid FROM {source} WHERE o.key >= ? AND o.key < ?{cond} ORDER BY o.key, o.rid LIMIT ?",
                    (low, high, *params, need),
                ),
                "owner_start",
            )
    if len(out) >= need:
        return out
    if flt.kept_only:
        _word_tiers(conn, t, expr, need, add, lambda: len(out) >= need)
        return out
    many = _capped(conn, expr, RANK_LIMIT + 1) > RANK_LIMIT
    if many:
        in_name = _capped(conn, expr, RANK_LIMIT + 1, "enterprise_names")
        if in_name:
            add(_fts_tier(conn, t, expr, flt, need, in_name <= RANK_LIMIT, "enterprise_names"), "name")
    if len(out) < need:
        add(_fts_tier(conn, t, expr, flt, need, not many), "all")
    return out


def _word_tiers(
    conn: sqlite3.Connection,
    t: Terms,
    expr: str,
    need: int,
    add: Callable[[Iterable[Any], str], None],
    full: Callable[[], bool],
) -> None:
    """The tiers ``name`` and ``all`` without a filter (the indexes hold exactly the enterprises not
    deleted), as ``ranked`` takes them with one, each match list read once: its first RANK_LIMIT + 1
    rowids say whether it is small enough to rank, and are the tier when it is not (or its start), instead
    of counting the matches and then reading them again (the doclists of words in most names, "cong" of
    "Công ty", were merged twice)."""

    def first(table: str, n: int) -> list[tuple[int]]:
        return conn.execute(
            f"SELECT rowid FROM {table} WHERE {table} MATCH ? ORDER BY rowid LIMIT ?", (expr, n)
        ).fetchall()

    def head(found: list[tuple[int]], table: str) -> list[tuple[int]]:  # the first ``need`` in index order
        return found[:need] if need <= len(found) else first(table, need)

    everywhere = first("enterprise_fts", RANK_LIMIT + 1)
    many = len(everywhere) > RANK_LIMIT
    if many:
        in_name = first("enterprise_names", RANK_LIMIT + 1)
        if len(in_name) > RANK_LIMIT:
            add(head(in_name, "enterprise_names"), "name")
        elif in_name:
            add(_by_relevance_of(conn, t, in_name)[:need], "name")
    if full():
        return
    add(head(everywhere, "enterprise_fts") if many else _by_relevance_of(conn, t, everywhere)[:need], "all")


def _by_relevance_of(conn: sqlite3.Connection, t: Terms, rids: list[tuple[int]]) -> list[tuple[int]]:
    """``rids`` best first (``by_relevance``)."""
    rows = conn.execute(
        f"SELECT {_VALUES} FROM enterprises e WHERE e.rid IN (SELECT value FROM json_each(?))",
        ("[" + ",".join(str(r[0]) for r in rids) + "]",),
    ).fetchall()
    return [(rid,) for rid in by_relevance(t, _folded(rows))]


def matched_fields(t: Terms, rows: list[dict[str, Any]]) -> list[frozenset[str]]:
    """For each row, the indexed fields where one of the query's words is found (why the row matched)."""
    texts: list[str] = []
    for row in rows:
        texts += [
            tax_code_text(row.get(name) or "") if name == "tax_code" else row.get(name) or ""
            for name in INDEXED
        ]
    keys = search_keys(texts)
    return [
        frozenset(name for j, name in enumerate(INDEXED) if keys[5 * i + j] and _hits(t, keys[5 * i + j]))
        for i in range(len(rows))
    ]
