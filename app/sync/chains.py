"""The chain of bundles from one machine to one office: replay, gap, fork, and re-basing after a restore.

Every bundle names its sequence number on the chain sender -> recipient and the hash of the bundle
before it (docs/sync-bundle.md, section 6, step 8). A machine restored from a backup writes numbers the
office has seen already, with other content: a *fork*. The office sets such a bundle aside
(quarantine); once a person has released it, the chain is *re-based* on it: the bundles of the
abandoned branch move to ``sync_chains_replaced`` (they stay known: importing one again is a replay),
the released bundle takes its place, and the next receipt tells the machine how far the office's
numbers went, so that its next bundle continues above them. An office above, receiving the released
bundle relayed (possibly in the same file as the bundles it forked from), does what the office did:
it re-bases its copy of the chain, without setting the bundle aside again (``place_relayed``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class State:
    kind: str  # 'new' | 'gap' | 'replay' | 'held' (set aside before) | 'fork'
    cause: str | None = None  # of a fork: 'same_seq' | 'prev' | 'next'


def seen(conn: sqlite3.Connection, sender: str, recipient: str, seq: int, hash_: str) -> State | None:
    """A bundle received before, by its hash: on the chain, on an abandoned branch, released from
    quarantine ('replay'), or still set aside ('held'); None when it is new here."""
    held = conn.execute("SELECT released_at, reason FROM sync_quarantine WHERE hash = ?", (hash_,)).fetchone()
    if held is not None:
        return State("replay") if held[0] is not None or held[1] == "released" else State("held")
    if conn.execute("SELECT 1 FROM sync_chains_replaced WHERE hash = ?", (hash_,)).fetchone():
        return State("replay")
    row = conn.execute(
        "SELECT hash FROM sync_chains WHERE sender = ? AND recipient = ? AND seq = ?",
        (sender, recipient, seq),
    ).fetchone()
    return State("replay") if row is not None and row[0] == hash_ else None


def state(
    conn: sqlite3.Connection, sender: str, recipient: str, seq: int, hash_: str, prev: str | None
) -> State:
    """Where a bundle stands on the chain sender -> recipient."""
    known = seen(conn, sender, recipient, seq, hash_)
    if known is not None:
        return known
    if conn.execute(
        "SELECT 1 FROM sync_chains WHERE sender = ? AND recipient = ? AND seq = ?",
        (sender, recipient, seq),
    ).fetchone():
        return State("fork", "same_seq")
    before = conn.execute(
        "SELECT hash FROM sync_chains WHERE sender = ? AND recipient = ? AND seq = ?",
        (sender, recipient, seq - 1),
    ).fetchone()
    if before is not None and prev != before[0]:
        return State("fork", "prev")
    after = conn.execute(
        "SELECT prev FROM sync_chains WHERE sender = ? AND recipient = ? AND seq = ?",
        (sender, recipient, seq + 1),
    ).fetchone()
    if after is not None and after[0] != hash_:
        return State("fork", "next")
    if seq > 1 and before is None:
        # the first bundle after a re-base continues above the office's old numbers, as its receipt said
        jumped = conn.execute(
            "SELECT 1 FROM sync_rebases WHERE sender = ? AND recipient = ? AND head_hash = ? AND head_seq < ?",
            (sender, recipient, prev, seq),
        ).fetchone()
        return State("new") if jumped else State("gap")
    return State("new")


def fork_message(cause: str | None, seq: int, who: str, *, relayed: bool = False, down: bool = False) -> str:
    """Why a bundle (``down``: a downward one, from an office) was set aside, naming what was really found."""
    what = f"Gói chuyển tiếp số {seq} của máy {who}" if relayed else f"Gói số {seq} của máy {who}"
    if down:
        what = what.replace("Gói", "Gói đi xuống", 1)
    if cause == "same_seq":
        found = f"cơ quan đã nhận một gói số {seq} khác của cùng máy này (cùng số thứ tự, khác nội dung)"
    elif cause == "prev":
        found = f"gói này nối tiếp một gói số {seq - 1} khác với gói số {seq - 1} cơ quan đã nhận của máy này"
    else:
        found = f"gói số {seq + 1} cơ quan đã nhận của máy này lại nối tiếp một gói số {seq} khác"
    restored = "Máy của cơ quan" if down else "Máy đó"
    return (
        f"{what} bị CÁCH LY, chưa gộp: {found}. {restored} có thể đã được khôi phục từ bản sao lưu hoặc bị "
        "sao chép sang máy khác. Dữ liệu hiện có không thay đổi; hãy hỏi người dùng máy đó, rồi gộp gói "
        "này ở mục «Gói bị cách ly» nếu đúng là dữ liệu thật."
    )


def high_and_head(conn: sqlite3.Connection, sender: str, recipient: str) -> tuple[int, str | None]:
    """The highest sequence ever received on the chain (re-based branches included), and the hash the
    sender's next bundle should name as the one before it (the last bundle of the current branch)."""
    high = conn.execute(
        "SELECT max(seq) FROM (SELECT seq FROM sync_chains WHERE sender = ? AND recipient = ? "
        "UNION ALL SELECT seq FROM sync_chains_replaced WHERE sender = ? AND recipient = ?)",
        (sender, recipient, sender, recipient),
    ).fetchone()[0]
    head = conn.execute(
        "SELECT hash FROM sync_chains WHERE sender = ? AND recipient = ? ORDER BY seq DESC LIMIT 1",
        (sender, recipient),
    ).fetchone()
    return high or 0, head[0] if head else None


def displaced(
    conn: sqlite3.Connection, sender: str, recipient: str, seq: int, hash_: str
) -> list[tuple[int, str, str | None, str]]:
    """The bundles of the chain a re-base on (seq, hash_) would move aside: from ``seq`` on, except
    those that continue it. Rows (seq, hash, prev, received_at)."""
    rows = conn.execute(
        "SELECT seq, hash, prev, received_at FROM sync_chains WHERE sender = ? AND recipient = ? AND seq >= ? "
        "ORDER BY seq",
        (sender, recipient, seq),
    ).fetchall()
    keep: set[str] = set()
    current = hash_
    by_seq = {r[0]: r for r in rows}
    k = seq + 1
    while k in by_seq and by_seq[k][2] == current:
        keep.add(by_seq[k][1])
        current = by_seq[k][1]
        k += 1
    return [r for r in rows if r[1] not in keep]


def rebase(
    conn: sqlite3.Connection, sender: str, recipient: str, seq: int, hash_: str, prev: str | None, now: str
) -> int:
    """Make (seq, hash_) the chain's bundle at ``seq``, moving the abandoned branch aside. Inside the
    caller's transaction. Returns the highest sequence the chain had reached (told in the next receipt)."""
    high, _head = high_and_head(conn, sender, recipient)
    moved = displaced(conn, sender, recipient, seq, hash_)
    conn.executemany(
        "INSERT OR IGNORE INTO sync_chains_replaced(hash, sender, recipient, seq, prev, received_at, replaced_at, "
        "replaced_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [(h, sender, recipient, s, p, at, now, hash_) for s, h, p, at in moved],
    )
    conn.executemany(
        "DELETE FROM sync_chains WHERE sender = ? AND recipient = ? AND seq = ?",
        [(sender, recipient, s) for s, *_ in moved],
    )
    conn.execute(
        "INSERT INTO sync_chains(sender, recipient, seq, hash, prev, received_at) VALUES (?, ?, ?, ?, ?, ?)",
        (sender, recipient, seq, hash_, prev, now),
    )
    conn.execute(
        "INSERT OR REPLACE INTO sync_rebases(sender, recipient, head_seq, head_hash, high, at) VALUES (?, ?, ?, ?, ?, ?)",
        (sender, recipient, seq, hash_, max(high, seq), now),
    )
    return max(high, seq)


def place_relayed(
    conn: sqlite3.Connection,
    sender: str,
    recipient: str,
    seq: int,
    hash_: str,
    prev: str | None,
    now: str,
    newer_than: Callable[[list[str]], bool],
) -> str:
    """Put a bundle relayed from below on its chain, inside the caller's transaction, in file order (so
    that a bundle placed earlier in the same file counts). The office that relays it has merged it: an
    office relays only what it merged, and a fork it merged is one a person released there. So a fork
    is not set aside again: as at that office, the chain is re-based on it when ``newer_than(hashes of
    the bundles it collides with)``, otherwise it is merged off the chain. Returns 'chain' (an
    ordinary place, or a gap), 'rebased' or 'aside'."""
    st = state(conn, sender, recipient, seq, hash_, prev)
    if st.kind != "fork":
        conn.execute(
            "INSERT INTO sync_chains(sender, recipient, seq, hash, prev, received_at) VALUES (?, ?, ?, ?, ?, ?)",
            (sender, recipient, seq, hash_, prev, now),
        )
        return "chain"
    if newer_than([h for _, h, _, _ in displaced(conn, sender, recipient, seq, hash_)]):
        rebase(conn, sender, recipient, seq, hash_, prev, now)
        return "rebased"
    return "aside"


def released_below_message(placed: str, seq: int, who: str, office: str, *, down: bool = False) -> str:
    """What an office above (``down``: a machine below) is told of a fork that the office it came through
    released, or one further along (``place_relayed``)."""
    what = f"Gói {'đi xuống ' if down else ''}chuyển tiếp số {seq} của máy {who}"
    if placed == "rebased":
        return (
            f"{what} trùng số với gói đã nhận của máy này (máy đó đã được khôi "
            f"phục từ bản sao lưu hoặc bị sao chép); {office} đã kiểm tra và gộp gói này, nên chuỗi gói của "
            f"máy này ở đây được nối lại theo gói đó như ở {office}. Dữ liệu của cả hai nhánh đều được gộp, "
            "không mất gì."
        )
    return (
        f"{what} trùng số với gói đã nhận của máy này (một bản cũ đến muộn); "
        f"{office} đã kiểm tra và gộp gói này: dữ liệu được gộp, chuỗi gói không đổi, không mất gì."
    )


def is_newer(created_at: str, others: list[str]) -> bool:
    """Whether a bundle written at ``created_at`` is not older than any of ``others`` (its writer's clock,
    to the second; an unreadable time counts as newer: a person has checked the bundle before releasing
    it, and a restored machine's new bundles are the usual case)."""

    def parse(text: str) -> datetime | None:
        try:
            t = datetime.fromisoformat(text)
        except (TypeError, ValueError):
            return None
        return t if t.tzinfo is not None else None

    mine = parse(created_at)
    if mine is None:
        return True
    return all((t := parse(o)) is None or mine >= t for o in others)
