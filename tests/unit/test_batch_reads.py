"""A consumer batch's reads (ocop_platform.batch_reads): served inside the batch only, updated by
its writes, dropped after it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from ocop_platform.aggregates import Aggregate, ConcurrencyConflict, InMemoryAggregateStore
from ocop_platform.batch_reads import BatchCachedStore, BatchReads
from ocop_platform.mongo import Document


class Counter(Aggregate):
    kind = "counter"
    count: int = 0

    def increment(self) -> None:
        self.count += 1
        self.touch()


class CountingStore(InMemoryAggregateStore[Counter]):
    """Counts the reads that reach the store."""

    def __init__(self) -> None:
        super().__init__(Counter)
        self.gets = 0
        self.finds = 0

    async def get(self, aggregate_id: str) -> Counter | None:
        self.gets += 1
        return await super().get(aggregate_id)

    async def find(self, where: Mapping[str, Any], **options: Any) -> list[Counter]:
        self.finds += 1
        return await super().find(where, **options)


async def stored(*ids: str) -> tuple[CountingStore, BatchCachedStore[Counter]]:
    inner = CountingStore()
    for aggregate_id in ids:
        await inner.add(Counter(id=aggregate_id))
    return inner, BatchCachedStore(inner, Counter, BatchReads[Document]("counters"))


async def test_a_batch_reads_its_aggregates_with_one_query_and_serves_them() -> None:
    inner, cached = await stored("c1", "c2")

    with cached.reads.scope(await cached.read_many(["c1", "c2", "c1", "c9"])):
        first, second, absent = [await cached.get(i) for i in ("c1", "c2", "c9")]

    assert inner.finds == 1 and inner.gets == 0
    assert first is not None and second is not None and absent is None
    assert (first.id, first.stored_version, second.id) == ("c1", 0, "c2")


async def test_a_second_change_in_the_batch_sees_the_first_one_s_save() -> None:
    inner, cached = await stored("c1")

    with cached.reads.scope(await cached.read_many(["c1"])):
        for _ in range(2):
            counter = await cached.get("c1")
            assert counter is not None
            counter.increment()
            await cached.save(counter)  # a stale read would conflict here

    kept = await inner.get("c1")
    assert kept is not None and (kept.count, kept.version) == (2, 2)
    assert inner.gets == 1  # the check above: the batch never read c1 again


async def test_a_failed_save_drops_the_entry_so_the_retry_reads_the_store() -> None:
    inner, cached = await stored("c1")

    with cached.reads.scope(await cached.read_many(["c1"])):
        meanwhile = await inner.get("c1")  # another writer (an HTTP request) saves first
        assert meanwhile is not None
        meanwhile.increment()
        await inner.save(meanwhile)
        stale = await cached.get("c1")
        assert stale is not None
        stale.increment()
        with pytest.raises(ConcurrencyConflict):
            await cached.save(stale)
        fresh = await cached.get("c1")

    assert fresh is not None and fresh.version == 1
    assert inner.gets == 2


async def test_each_read_is_a_copy_a_command_s_change_stays_in_it_until_saved() -> None:
    _, cached = await stored("c1")

    with cached.reads.scope(await cached.read_many(["c1"])):
        changed = await cached.get("c1")
        assert changed is not None
        changed.increment()  # never saved
        again = await cached.get("c1")

    assert again is not None and (again.count, again.version) == (0, 0)


async def test_outside_a_batch_and_after_it_reads_go_to_the_store() -> None:
    inner, cached = await stored("c1")
    states = await cached.read_many(["c1"])

    await cached.get("c1")
    with cached.reads.scope(states):
        await cached.get("c1")
    await cached.get("c1")

    assert inner.gets == 2


async def test_a_task_started_in_a_batch_that_reads_after_it_reads_the_store() -> None:
    reads: BatchReads[int] = BatchReads("numbers")
    with reads.scope({"a": 1}):
        inside = reads.cached("a")
        # What a task started inside the batch would see later: its context names this scope.
        leftover = reads._scope.get()
    assert inside == (True, 1)
    assert leftover is not None and not leftover.open and leftover.values == {}
