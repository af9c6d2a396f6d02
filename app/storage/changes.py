"""What a write changed, said by the write itself (the shape of Anki's ``OpChanges``).

Every write knows what it creates, changes and deletes as it does it: the ``Writer`` of
``Store.write()``, the merge of a bundle, a bulk insert. It records that in a ``ChangeRecorder`` and
hands the ``ChangeSummary`` back to its caller: ``Writer.changes`` after the ``with store.write()``
block, ``changes`` on what a list import or a bundle import returns, and every writing service of
``app/services`` returns it with its result (``Saved``: the record and its changes). The desktop
program's task runner takes the summary from what a write task returns (``changes_of``) and hands it
to the views; each view decides from it whether to refresh. Nobody reads the change log, or asks the
store, to find out what just happened.

A summary holds, per entity (record table) and per kind of operation (``create``, ``update``,
``delete``, ``restore``), the ids of the records concerned. Above ``MAX_IDS`` ids for one entity and
operation (an office importing a province) it keeps only the count and answers "maybe" for any record
of that entity: a view then reloads what it shows, which is what it would do for so many changes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar, runtime_checkable

OPS = ("create", "update", "delete", "restore")
MAX_IDS = 10_000

# entity -> op -> (ids or None when there were more than MAX_IDS, count)
_Ops = Mapping[str, Mapping[str, tuple[frozenset[str] | None, int]]]


@dataclass(frozen=True)
class ChangeSummary:
    """What one or more committed writes created, changed and deleted."""

    ops: _Ops = field(default_factory=lambda: dict[str, dict[str, tuple[frozenset[str] | None, int]]]())
    everything: bool = False  # "assume anything changed" (e.g. the data file was replaced)

    @classmethod
    def all(cls) -> ChangeSummary:
        return cls(everything=True)

    @property
    def entities(self) -> frozenset[str]:
        """The record tables touched (every one when ``everything``)."""
        if self.everything:
            from app.domain.records import RECORD_TYPES

            return frozenset(RECORD_TYPES)
        return frozenset(e for e, by_op in self.ops.items() if any(n for _ids, n in by_op.values()))

    @property
    def count(self) -> int:
        """How many (record, operation) pairs; at least 1 when ``everything``."""
        n = sum(c for by_op in self.ops.values() for _ids, c in by_op.values())
        return max(n, 1) if self.everything else n

    def __bool__(self) -> bool:
        return self.everything or self.count > 0

    def ids(self, entity: str, *ops: str) -> frozenset[str] | None:
        """Ids of ``entity`` records with any of ``ops`` (all kinds if none given); None: too many to list."""
        if self.everything:
            return None
        out: set[str] = set()
        for op, (ids, _n) in self.ops.get(entity, {}).items():
            if ops and op not in ops:
                continue
            if ids is None:
                return None
            out |= ids
        return frozenset(out)

    def created(self, entity: str) -> frozenset[str] | None:
        return self.ids(entity, "create")

    def updated(self, entity: str) -> frozenset[str] | None:
        return self.ids(entity, "update")

    def deleted(self, entity: str) -> frozenset[str] | None:
        return self.ids(entity, "delete")

    def touches(self, *entities: str) -> bool:
        """Whether any record of these entities changed."""
        return bool(self.entities & set(entities))

    def affects(self, entity: str, record_id: str) -> bool:
        """Whether this record may have changed (True when the ids were too many to keep)."""
        if not self.touches(entity):
            return False
        ids = self.ids(entity)
        return ids is None or record_id in ids

    @property
    def record_ids(self) -> frozenset[str]:
        """Every id listed (records of entities with too many changes to list are not in it)."""
        out: set[str] = set()
        for by_op in self.ops.values():
            for ids, _n in by_op.values():
                if ids is not None:
                    out |= ids
        return frozenset(out)

    def __or__(self, other: ChangeSummary) -> ChangeSummary:
        rec = ChangeRecorder()
        rec.add_summary(self)
        rec.add_summary(other)
        return rec.summary()

    def describe(self) -> str:
        """For logs and tests: "enterprises: 2 create, 1 update; visits: 1 delete"."""
        if self.everything:
            return "everything"
        parts: list[str] = []
        for entity in sorted(self.ops):
            kinds = ", ".join(f"{n} {op}" for op, (_ids, n) in sorted(self.ops[entity].items()) if n)
            if kinds:
                parts.append(f"{entity}: {kinds}")
        return "; ".join(parts) or "nothing"


class ChangeRecorder:
    """Collects what a write does, as it does it (not thread-safe: one per transaction)."""

    def __init__(self) -> None:
        self._ids: dict[str, dict[str, set[str] | None]] = {}
        self._counts: dict[str, dict[str, int]] = {}
        self.everything = False

    def add(self, entity: str, op: str, ids: Iterable[str]) -> None:
        if op not in OPS:
            raise ValueError(f"unknown operation {op!r}")
        by_op = self._ids.setdefault(entity, {})
        counts = self._counts.setdefault(entity, {})
        if op in by_op and by_op[op] is None:  # already too many to list: count only
            counts[op] = counts.get(op, 0) + sum(1 for _ in ids)
            return
        have = by_op.get(op) or set()
        before = len(have)
        have.update(ids)
        counts[op] = counts.get(op, 0) + len(have) - before
        by_op[op] = None if len(have) > MAX_IDS else have

    def add_one(self, entity: str, op: str, record_id: str) -> None:
        self.add(entity, op, (record_id,))

    def add_summary(self, summary: ChangeSummary) -> None:
        self.everything = self.everything or summary.everything
        for entity, by_op in summary.ops.items():
            for op, (ids, n) in by_op.items():
                if ids is None:
                    self._ids.setdefault(entity, {})[op] = None
                    counts = self._counts.setdefault(entity, {})
                    counts[op] = counts.get(op, 0) + n
                else:
                    self.add(entity, op, ids)

    def forget_ids(self, entity: str, op: str) -> None:
        """Keep only the count of ``entity``'s ``op``: any of its records "maybe" changed, as past
        ``MAX_IDS``."""
        by_op = self._ids.get(entity)
        if by_op is not None and op in by_op:
            by_op[op] = None

    def listed(self) -> dict[tuple[str, str], int | None]:
        """Per (entity, operation): how many ids are kept (None: the count only)."""
        return {
            (entity, op): None if ids is None else len(ids)
            for entity, by_op in self._ids.items()
            for op, ids in by_op.items()
        }

    def clear(self) -> None:
        self._ids.clear()
        self._counts.clear()
        self.everything = False

    def __bool__(self) -> bool:
        return self.everything or any(n for c in self._counts.values() for n in c.values())

    def summary(self) -> ChangeSummary:
        ops = {
            entity: {
                op: (None if ids is None else frozenset(ids), self._counts[entity].get(op, 0))
                for op, ids in by_op.items()
            }
            for entity, by_op in self._ids.items()
        }
        return ChangeSummary(ops, self.everything)


class SharedIds:
    """Recorders whose summaries are read together (the files of one import: the window reads their
    union), held to ``MAX_IDS`` ids in all for one entity and operation: past it every one of them keeps
    the count only, as one recorder does past that many. Their union then answers "maybe" for that
    entity, which it would for that many distinct ids (ids of one record counted twice, by two files,
    can make it say so a little early: a view reloads what it shows). Without this, an office importing
    a province of 500,000 enterprises kept each file's 9,000 ids per table under the limit, 2.5 million
    in all: 200 MB, and the garbage collector's first full pass over them after the import held the
    window for 0.4 s (docs/performance.md)."""

    def __init__(self) -> None:
        self._recorders: list[ChangeRecorder] = []
        self._listed: dict[tuple[str, str], int] = {}
        self._over: set[tuple[str, str]] = set()

    def add(self, recorder: ChangeRecorder) -> None:
        self._recorders.append(recorder)
        for key, n in recorder.listed().items():
            if key not in self._over:
                self._listed[key] = self._listed.get(key, 0) + (MAX_IDS + 1 if n is None else n)
                if self._listed[key] <= MAX_IDS:
                    continue
                self._over.add(key)
                for earlier in self._recorders:
                    earlier.forget_ids(*key)
            recorder.forget_ids(*key)


R = TypeVar("R", covariant=True)


@dataclass(frozen=True)
class Saved(Generic[R]):
    """What a service that saves one record returns: the record as written (normalised, with its id)
    and what the write changed (Anki's ``OpChangesWithId``)."""

    record: R
    changes: ChangeSummary


@runtime_checkable
class HasChanges(Protocol):
    """A result that says what its write changed: ``Saved``, a list import's or a bundle import's
    result, the assignment of enterprises (Anki's ``HasChangesProperty``)."""

    @property
    def changes(self) -> ChangeSummary: ...


def changes_of(result: object) -> ChangeSummary | None:
    """What a write's result says it changed: the result itself (a ``ChangeSummary``), its
    ``changes``, or, for several results, their union; None when it says nothing."""
    if isinstance(result, ChangeSummary):
        return result
    if isinstance(result, HasChanges):
        changes = result.changes
        return changes if isinstance(changes, ChangeSummary) else None  # pyright: ignore[reportUnnecessaryIsInstance] (an ExportResult's changes is a count)
    if isinstance(result, (list, tuple)) and result:
        rec = ChangeRecorder()
        items: list[object] = list(result)  # pyright: ignore[reportUnknownArgumentType]
        for r in items:
            said = changes_of(r)
            if said is None:
                return None
            rec.add_summary(said)
        return rec.summary()
    return None
