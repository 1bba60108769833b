"""Reads shared by the messages of one consumer batch (``Subscription.prefetch``).

A service's handler set may read what a batch's messages need with one query per collection
before they are handled one by one (FerretDB v1 answers each read in milliseconds, and the
messages of a batch would otherwise read one by one). What it read is kept in a scope of the
batch's task (a ContextVar): HTTP requests and other batches never see it, and it is dropped
when the batch ends, so nothing read survives the batch. A read that misses goes to the store.
A write in the batch replaces its entry with what it wrote, or drops it when the write failed,
so a later message of the batch reads what an earlier one saved.

:class:`BatchCachedStore` is an ``AggregateStore`` reading through such a scope.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Iterator, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from ocop_platform.aggregates import Aggregate, AggregateStore, SortSpec
from ocop_platform.mongo import Document

V = TypeVar("V")
A = TypeVar("A", bound=Aggregate)


@dataclass
class _Scope(Generic[V]):
    values: dict[str, V | None] = field(default_factory=dict)
    # False once the batch has ended: a task started inside it (its context still names this
    # scope) then reads the store instead of what the batch read.
    open: bool = True


class BatchReads(Generic[V]):
    """Values by key (None: known to be absent) for the batch being handled, if any."""

    def __init__(self, name: str) -> None:
        # One ContextVar per cache, made once when the service is composed.
        self._scope: ContextVar[_Scope[V] | None] = ContextVar(f"batch_reads:{name}", default=None)

    @contextlib.contextmanager
    def scope(self, values: Mapping[str, V | None]) -> Iterator[None]:
        """Serve ``values`` to the reads of this task (and the tasks it starts) until the end."""
        scope: _Scope[V] = _Scope(dict(values))
        token = self._scope.set(scope)
        try:
            yield
        finally:
            scope.open = False
            scope.values.clear()
            self._scope.reset(token)

    def cached(self, key: str) -> tuple[bool, V | None]:
        """(True, value) when the batch read ``key`` (value None: absent); (False, None) when the
        caller must read the store."""
        scope = self._current()
        if scope is None or key not in scope.values:
            return False, None
        return True, scope.values[key]

    def put(self, key: str, value: V | None) -> None:
        """What a write of the batch stored under ``key`` (outside a batch: nothing to do)."""
        if (scope := self._current()) is not None:
            scope.values[key] = value

    def drop(self, key: str) -> None:
        """Forget ``key``: its next read goes to the store (e.g. after a failed write)."""
        if (scope := self._current()) is not None:
            scope.values.pop(key, None)

    def _current(self) -> _Scope[V] | None:
        scope = self._scope.get()
        return scope if scope is not None and scope.open else None


class BatchCachedStore(Generic[A]):
    """An ``AggregateStore`` whose ``get`` answers from the batch's reads (a copy each time: a
    command changes the aggregate it is given), and whose writes update them: a save puts the
    saved state, a failed save (a concurrent writer, an outage) drops the entry so the retry
    loads it again. Outside a batch it is the inner store."""

    def __init__(
        self, inner: AggregateStore[A], aggregate_type: type[A], reads: BatchReads[Document]
    ) -> None:
        self._inner = inner
        self._type = aggregate_type
        self.reads = reads

    async def read_many(self, ids: Sequence[str]) -> dict[str, Document | None]:
        """The stored state of ``ids`` (None: not stored) with one ``$in`` by ``_id``, to give
        to :meth:`BatchReads.scope`."""
        unique = list(dict.fromkeys(ids))
        if not unique:
            return {}
        found = await self._inner.find({"_id": {"$in": unique}}, limit=len(unique))
        states: dict[str, Document | None] = dict.fromkeys(unique)
        states.update({aggregate.id: aggregate.to_document() for aggregate in found})
        return states

    async def get(self, aggregate_id: str) -> A | None:
        hit, document = self.reads.cached(aggregate_id)
        if not hit:
            return await self._inner.get(aggregate_id)
        return None if document is None else self._type.from_document(copy.deepcopy(document))

    async def add(self, aggregate: A) -> None:
        self.reads.drop(aggregate.id)
        await self._inner.add(aggregate)

    async def add_many(self, aggregates: Sequence[A]) -> set[str]:
        for aggregate in aggregates:
            self.reads.drop(aggregate.id)
        return await self._inner.add_many(aggregates)

    async def save(self, aggregate: A) -> None:
        try:
            await self._inner.save(aggregate)
        except BaseException:
            self.reads.drop(aggregate.id)  # written or not: the store says
            raise
        self.reads.put(aggregate.id, aggregate.to_document())

    async def find(
        self, where: Mapping[str, Any], *, limit: int = 200, sort: SortSpec = ()
    ) -> list[A]:
        return await self._inner.find(where, limit=limit, sort=sort)

    async def count(self, where: Mapping[str, Any]) -> int:
        return await self._inner.count(where)
