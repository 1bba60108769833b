"""Typed aggregates and the one repository that loads and saves them.

An aggregate is a pydantic model with an ``id`` (stored as ``_id``) and a ``version``. Its methods
check the rules, change its state and :meth:`Aggregate.record` the contract events the change
causes; a change without events calls :meth:`Aggregate.touch`. (Where clients see ``version`` as
the contract's ``aggregate_version``, an :class:`EventVersionedAggregate` keeps it counting events
only.) A use case is load → call → save,
and never writes a MongoDB update document itself (:func:`change` does the three steps, retrying
when another writer got there first).

:class:`AggregateStore` is the Protocol the service layers depend on. :class:`MongoAggregateStore`
keeps each aggregate as one document and saves state and new events in ONE single-document write
guarded by the version it was loaded at (no transactions needed, so FerretDB v1 works), then marks
it for the outbox relay (``ocop_platform.outbox``). Reads never return the outbox.
:class:`InMemoryAggregateStore` has the same behaviour without I/O for unit tests of use cases;
``tests/integration/test_aggregate_store.py`` runs one contract suite against both.
"""

from __future__ import annotations

import copy
import enum
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, ClassVar, Generic, Protocol, Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr
from pymongo.errors import BulkWriteError, DuplicateKeyError

from ocop_contracts import Event
from ocop_platform.errors import Conflict, NotFound
from ocop_platform.mongo import Database, Document
from ocop_platform.outbox import (
    OUTBOX_FIELD,
    events_written,
    insert_many_with_events,
    insert_with_events,
    outbox_entries,
    update_with_events,
)

A = TypeVar("A", bound="Aggregate")
R = TypeVar("R")
DUPLICATE_KEY = 11000
SortSpec = Sequence[tuple[str, int]]
_WITHOUT_OUTBOX: Document = {OUTBOX_FIELD: 0}


# --- errors -------------------------------------------------------------------------------------


class AggregateNotFound(NotFound):
    def __init__(self, kind: str, aggregate_id: str) -> None:
        super().__init__(f"{kind} {aggregate_id} not found")
        self.aggregate_id = aggregate_id


class AggregateExists(Conflict):
    def __init__(self, kind: str, aggregate_id: str) -> None:
        super().__init__(f"{kind} {aggregate_id} already exists")
        self.aggregate_id = aggregate_id


class ConcurrencyConflict(Conflict):
    """Someone saved this aggregate after it was loaded: load it again and retry the command."""

    retryable = True

    def __init__(self, kind: str, aggregate_id: str, loaded_version: int) -> None:
        super().__init__(f"{kind} {aggregate_id} changed since version {loaded_version}")
        self.aggregate_id = aggregate_id
        self.loaded_version = loaded_version


class VersionError(ValueError):
    """An event recorded out of sequence: a programming error, not a user's."""


# --- aggregates ---------------------------------------------------------------------------------


class Aggregate(BaseModel):
    """Base of every aggregate. Subclasses add typed state and command methods."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")
    kind: ClassVar[str] = "aggregate"  # the name used in errors ("product", "dossier", …)

    id: str = Field(alias="_id")
    version: int = 0
    _events: list[Event] = PrivateAttr(default_factory=list)
    _stored_version: int | None = PrivateAttr(default=None)  # None: never stored

    @property
    def pending_events(self) -> tuple[Event, ...]:
        """Events recorded since the aggregate was loaded or created, in order."""
        return tuple(self._events)

    @property
    def stored_version(self) -> int | None:
        return self._stored_version

    @property
    def has_changes(self) -> bool:
        return self._stored_version is None or self.version != self._stored_version

    @property
    def next_version(self) -> int:
        """The ``aggregate_version`` the next recorded event must carry."""
        return self.version + 1

    def record(self, event: Event) -> None:
        """Record an event this change causes; its ``aggregate_version`` is the new version."""
        if event.aggregate_version != self.next_version:
            raise VersionError(
                f"{self.kind} {self.id}: event {event.type} carries version "
                f"{event.aggregate_version}, expected {self.next_version}"
            )
        self._events.append(event)
        self.version = event.aggregate_version

    def touch(self) -> None:
        """A change of state that causes no event (still guarded against concurrent saves)."""
        self.version += 1

    # -- storage form (used by the stores only) --

    def to_document(self) -> Document:
        document: Document = _storable(self.model_dump(by_alias=True))
        return document

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> Self:
        aggregate = cls.model_validate(document)
        aggregate._stored_version = aggregate.version
        return aggregate

    def saved(self) -> None:
        """Called by a store once state and events are durable."""
        self._events.clear()
        self._stored_version = self.version

    def save_guard(self) -> tuple[str, int]:
        """The stored field, and its value when loaded, that a save must still find."""
        if self._stored_version is None:
            raise VersionError(f"{self.kind} {self.id} was never stored: add() it")
        return "version", self._stored_version


class EventVersionedAggregate(Aggregate):
    """An aggregate whose ``version`` counts its events only: the contract's ``aggregate_version``,
    which clients also see (registry's products and producers). ``revision`` counts every change,
    with or without an event, and is what a save is guarded on; :meth:`touch` changes the state
    without an event and keeps the version."""

    revision: int = 0
    _stored_revision: int = PrivateAttr(default=0)

    @property
    def has_changes(self) -> bool:
        return self.stored_version is None or self.revision != self._stored_revision

    def record(self, event: Event) -> None:
        super().record(event)
        self.revision += 1

    def touch(self) -> None:
        self.revision += 1

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> Self:
        aggregate = super().from_document(document)
        aggregate._stored_revision = aggregate.revision
        return aggregate

    def saved(self) -> None:
        super().saved()
        self._stored_revision = self.revision

    def save_guard(self) -> tuple[str, int]:
        super().save_guard()  # never stored: a VersionError
        return "revision", self._stored_revision


# Stored as they are; checked first, inline, because most values are these (bulk imports dump
# thousands of aggregates).
_BSON_SCALARS = frozenset({str, int, float, bool, type(None), datetime, bytes})


def _storable(value: Any) -> Any:
    """BSON has no date, enum, tuple, set or UUID: store ISO dates, values and lists."""
    if type(value) in _BSON_SCALARS:
        return value
    if isinstance(value, dict):
        return {
            key: item if type(item) in _BSON_SCALARS else _storable(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        return [item if type(item) in _BSON_SCALARS else _storable(item) for item in value]
    if isinstance(value, enum.Enum):
        return _storable(value.value)
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


# --- the repository Protocol --------------------------------------------------------------------


class AggregateStore(Protocol[A]):
    """Load and save aggregates of one type. Every implementation passes the contract tests."""

    async def get(self, aggregate_id: str) -> A | None:
        """The aggregate, or None; never its outbox."""

    async def add(self, aggregate: A) -> None:
        """Store a new aggregate with its recorded events. AggregateExists if the id is taken."""

    async def add_many(self, aggregates: Sequence[A]) -> set[str]:
        """Store new aggregates in bulk; returns the ids that already existed (not stored)."""

    async def save(self, aggregate: A) -> None:
        """Store state and new events in one write, if nobody saved since it was loaded;
        ConcurrencyConflict otherwise. Nothing to do when it has no changes."""

    async def find(
        self, where: Mapping[str, Any], *, limit: int = 200, sort: SortSpec = ()
    ) -> list[A]:
        """Aggregates matching a filter (equality, dotted paths, $in/$nin/$ne/$gt(e)/$lt(e)/
        $exists: the subset both implementations understand)."""

    async def count(self, where: Mapping[str, Any]) -> int:
        """How many aggregates match the filter."""


async def load(store: AggregateStore[A], aggregate_id: str, kind: str) -> A:
    """The aggregate or AggregateNotFound (a 404 at the HTTP edge)."""
    aggregate = await store.get(aggregate_id)
    if aggregate is None:
        raise AggregateNotFound(kind, aggregate_id)
    return aggregate


async def change(
    store: AggregateStore[A],
    aggregate_id: str,
    command: Callable[[A], R],
    *,
    kind: str = "aggregate",
    attempts: int = 3,
) -> R:
    """Load → call → save, again from a fresh load when another writer saved in between."""
    for attempt in range(1, attempts + 1):
        aggregate = await load(store, aggregate_id, kind)
        result = command(aggregate)
        try:
            await store.save(aggregate)
        except ConcurrencyConflict:
            if attempt == attempts:
                raise
            continue
        return result
    raise AssertionError("unreachable")  # pragma: no cover


# --- MongoDB (and FerretDB) ---------------------------------------------------------------------


class MongoAggregateStore(Generic[A]):
    """One document per aggregate in ``collection``: its state, ``version`` and ``outbox``.

    The collection must be listed among the service's outbox collections, so that the relay's
    safety-net sweep covers it (see ``ocop_platform.outbox``).
    """

    def __init__(
        self,
        db: Database,
        collection: str,
        aggregate_type: type[A],
        *,
        after_write: Callable[[], None] = lambda: None,
    ) -> None:
        self._collection = db[collection]
        self._type = aggregate_type
        self._after_write = after_write  # e.g. the relay's notify(): publish now, not at a poll

    @property
    def collection_name(self) -> str:
        return self._collection.name

    async def get(self, aggregate_id: str) -> A | None:
        # A plain {"_id": …} filter: the one lookup FerretDB v1 answers from its index.
        document = await self._collection.find_one({"_id": aggregate_id}, _WITHOUT_OUTBOX)
        return None if document is None else self._loaded(document)

    def _loaded(self, document: Document) -> A:
        """The aggregate of a document read from the store (a subclass may note what it read)."""
        return self._type.from_document(document)

    async def add(self, aggregate: A) -> None:
        try:
            await insert_with_events(
                self._collection, aggregate.to_document(), aggregate.pending_events
            )
        except DuplicateKeyError as exc:
            raise AggregateExists(aggregate.kind, aggregate.id) from exc
        self._written([aggregate])

    async def add_many(self, aggregates: Sequence[A]) -> set[str]:
        if not aggregates:  # insert_many refuses an empty list
            return set()
        documents = [
            {**a.to_document(), OUTBOX_FIELD: outbox_entries(a.pending_events)} for a in aggregates
        ]
        existing: set[str] = set()
        try:
            await insert_many_with_events(self._collection, documents)
        except BulkWriteError as exc:
            existing = _duplicate_ids(exc, documents)
        self._written([a for a in aggregates if a.id not in existing])
        return existing

    async def save(self, aggregate: A) -> None:
        if not aggregate.has_changes:
            return
        field, loaded = aggregate.save_guard()
        state = aggregate.to_document()
        state.pop("_id")
        result = await update_with_events(
            self._collection,
            {"_id": aggregate.id, field: loaded},
            {"$set": state},
            aggregate.pending_events,
        )
        if result.modified_count != 1:
            raise ConcurrencyConflict(aggregate.kind, aggregate.id, loaded)
        self._written([aggregate])

    async def find(
        self, where: Mapping[str, Any], *, limit: int = 200, sort: SortSpec = ()
    ) -> list[A]:
        cursor = self._collection.find(dict(where), _WITHOUT_OUTBOX)
        if sort:
            cursor = cursor.sort(list(sort))
        documents: list[Document] = await cursor.limit(limit).to_list()
        return [self._loaded(document) for document in documents]

    async def count(self, where: Mapping[str, Any]) -> int:
        return await self._collection.count_documents(dict(where))

    def _written(self, aggregates: Iterable[A]) -> None:
        events = False
        for aggregate in aggregates:
            events = events or bool(aggregate.pending_events)
            aggregate.saved()
        if events:
            events_written(self._after_write)


def _duplicate_ids(error: BulkWriteError, documents: Sequence[Document]) -> set[str]:
    failures = error.details.get("writeErrors", [])
    if any(failure.get("code") != DUPLICATE_KEY for failure in failures):
        raise error
    return {str(documents[failure["index"]]["_id"]) for failure in failures}


# --- in memory (unit tests of use cases) ----------------------------------------------------------


class InMemoryAggregateStore(Generic[A]):
    """The same behaviour as MongoAggregateStore, in a dict. ``published`` holds every event in
    the order it was saved: what the relay would publish."""

    def __init__(self, aggregate_type: type[A]) -> None:
        self._type = aggregate_type
        self._documents: dict[str, Document] = {}
        self.published: list[Event] = []

    async def get(self, aggregate_id: str) -> A | None:
        document = self._documents.get(aggregate_id)
        return None if document is None else self._type.from_document(copy.deepcopy(document))

    async def add(self, aggregate: A) -> None:
        if aggregate.id in self._documents:
            raise AggregateExists(aggregate.kind, aggregate.id)
        self._store(aggregate)

    async def add_many(self, aggregates: Sequence[A]) -> set[str]:
        existing = {a.id for a in aggregates if a.id in self._documents}
        for aggregate in aggregates:
            if aggregate.id not in existing:
                self._store(aggregate)
        return existing

    async def save(self, aggregate: A) -> None:
        if not aggregate.has_changes:
            return
        field, loaded = aggregate.save_guard()
        stored = self._documents.get(aggregate.id)
        if stored is None or stored[field] != loaded:
            raise ConcurrencyConflict(aggregate.kind, aggregate.id, loaded)
        self._store(aggregate)

    async def find(
        self, where: Mapping[str, Any], *, limit: int = 200, sort: SortSpec = ()
    ) -> list[A]:
        found = [d for d in self._documents.values() if matches(d, where)]
        for field, direction in reversed(sort):
            found.sort(key=_sort_by(field), reverse=direction < 0)
        return [self._type.from_document(copy.deepcopy(d)) for d in found[:limit]]

    async def count(self, where: Mapping[str, Any]) -> int:
        return sum(1 for d in self._documents.values() if matches(d, where))

    def _store(self, aggregate: A) -> None:
        self._documents[aggregate.id] = aggregate.to_document()
        self.published.extend(aggregate.pending_events)
        aggregate.saved()


# The filter subset of MongoAggregateStore.find, evaluated in memory.
_COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "$gt": lambda value, bound: value is not None and value > bound,
    "$gte": lambda value, bound: value is not None and value >= bound,
    "$lt": lambda value, bound: value is not None and value < bound,
    "$lte": lambda value, bound: value is not None and value <= bound,
}


def matches(document: Mapping[str, Any], where: Mapping[str, Any]) -> bool:
    return all(_field_matches(_values(document, path), cond) for path, cond in where.items())


def _field_matches(values: list[Any], condition: Any) -> bool:
    if condition is None:  # as in MongoDB: null matches a null or a missing field
        return not values or None in values
    if not (isinstance(condition, Mapping) and condition and next(iter(condition)).startswith("$")):
        return condition in values
    return all(_operator_matches(values, op, arg) for op, arg in condition.items())


def _operator_matches(values: list[Any], operator: str, argument: Any) -> bool:
    if operator == "$exists":
        return bool(values) == bool(argument)
    if operator == "$in":
        return any(value in argument for value in values or [None])
    if operator == "$nin":
        return not any(value in argument for value in values or [None])
    if operator == "$ne":
        return argument not in values
    if operator in _COMPARISONS:
        return any(_COMPARISONS[operator](value, argument) for value in values)
    raise ValueError(f"filter operator {operator} is not in the store's portable subset")


def _values(document: Any, path: str) -> list[Any]:
    """Every value at a dotted path; arrays match element-wise, as in MongoDB."""
    current: list[Any] = [document]
    for part in path.split("."):
        following: list[Any] = []
        for item in current:
            if isinstance(item, Mapping) and part in item:
                value = item[part]
                following.extend(value if isinstance(value, list) else [value])
            elif isinstance(item, list) and part.isdigit() and int(part) < len(item):
                following.append(item[int(part)])
        current = following
    return current


def _sort_by(path: str) -> Callable[[Document], tuple[int, Any]]:
    def key(document: Document) -> tuple[int, Any]:
        values = _values(document, path)
        return (0, "") if not values or values[0] is None else (1, values[0])

    return key


__all__ = [
    "Aggregate",
    "AggregateExists",
    "AggregateNotFound",
    "AggregateStore",
    "ConcurrencyConflict",
    "EventVersionedAggregate",
    "InMemoryAggregateStore",
    "MongoAggregateStore",
    "VersionError",
    "change",
    "load",
    "matches",
]
