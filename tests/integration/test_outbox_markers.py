"""Pending markers and the relay's crash windows, on the real store and the real broker.

The relay drains aggregates named by markers in `outbox_pending` and sweeps whole collections
only at start-up and every `sweep_seconds`. These tests check each window of the argument in
`OutboxRelay.drain_marked`: events without a marker (a writer died between its two writes), a
marker left by a process that died before publishing, one claimed by a process that died after
claiming it, and entries written while the relay runs.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest
from faststream.kafka import KafkaBroker

from ocop_contracts import ProductRated
from ocop_devstack.infra import Infra
from ocop_platform.kafka import KafkaRecordSink
from ocop_platform.mongo import Database, Document
from ocop_platform.outbox import (
    OUTBOX_FIELD,
    PENDING_COLLECTION,
    OutboxRelay,
    events_written,
    insert_many_with_events,
    insert_with_events,
    markers_deferred,
    outbox_entries,
    update_with_events,
)
from tests.integration import support
from tests.integration.support import rating, read_keys

pytestmark = pytest.mark.integration
# The one-connection database and the started broker of support (fixtures, taken by name).
db, broker = support.db, support.broker
RATINGS = "ratings"


class ManualClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def relay(db: Database, broker: KafkaBroker, clock: ManualClock | None = None) -> OutboxRelay:
    return OutboxRelay(
        db, [RATINGS], KafkaRecordSink(broker), poll_seconds=0.01, clock=clock or ManualClock()
    )


async def started(relay: OutboxRelay) -> OutboxRelay:
    await relay.publish_pending()  # the start-up sweep, over nothing yet
    return relay


def product_id() -> str:
    return f"prd-mark-{uuid.uuid4().hex[:8]}"


async def markers(db: Database) -> list[str]:
    return [doc["_id"] async for doc in db[PENDING_COLLECTION].find({})]


async def outbox(db: Database, aggregate_id: str) -> list[Document]:
    doc = await db[RATINGS].find_one({"_id": aggregate_id})
    assert doc is not None
    entries: list[Document] = doc[OUTBOX_FIELD]
    return entries


async def test_platform_writes_are_drained_by_their_markers_without_a_sweep(
    db: Database, broker: KafkaBroker, infra: Infra
) -> None:
    relay_ = await started(relay(db, broker))
    product = product_id()
    events = [rating(product, v) for v in (1, 2, 3)]
    await insert_with_events(db[RATINGS], {"_id": product, "version": 1}, events[:2])
    query = {"_id": product, "version": 1}
    await update_with_events(db[RATINGS], query, {"$set": {"version": 2}}, events[2:])
    assert await markers(db) == [f"{RATINGS}/{product}"]

    assert await relay_.publish_pending() == 3
    assert await relay_.publish_pending() == 0

    assert relay_.swept == 0
    assert await markers(db) == [] and await outbox(db, product) == []
    published = await read_keys(infra, [product], count=3)
    assert [e.event_id for e in published] == [e.event_id for e in events]


async def test_events_written_without_a_marker_go_out_at_the_next_slow_sweep(
    db: Database, broker: KafkaBroker, infra: Infra
) -> None:
    clock = ManualClock()
    relay_ = await started(relay(db, broker, clock))
    product = product_id()
    event = rating(product, 1)
    # The crash window: the aggregate's write happened, its marker's did not.
    await db[RATINGS].insert_one({"_id": product, OUTBOX_FIELD: outbox_entries([event])})

    assert await relay_.publish_pending() == 0  # draining markers does not see it
    clock.now += 300.0
    assert await relay_.publish_pending() == 1  # the sweep does

    assert relay_.swept == 1 and await outbox(db, product) == []
    assert [e.event_id for e in await read_keys(infra, [product], count=1)] == [event.event_id]


async def test_a_process_that_died_before_publishing_leaves_work_the_next_one_does_at_start_up(
    db: Database, broker: KafkaBroker, infra: Infra
) -> None:
    marked, claimed = product_id(), product_id()
    first, second = rating(marked, 1), rating(claimed, 1)
    # Died after the writes, before any relay pass: both aggregates are marked.
    await insert_with_events(db[RATINGS], {"_id": marked}, [first])
    await insert_with_events(db[RATINGS], {"_id": claimed}, [second])
    # And one pass had claimed (deleted) the second marker before dying.
    await db[PENDING_COLLECTION].delete_one({"_id": f"{RATINGS}/{claimed}"})

    relay_ = relay(db, broker)
    while await relay_.publish_pending():
        pass

    assert relay_.published == 2
    assert await markers(db) == []
    assert await outbox(db, marked) == [] and await outbox(db, claimed) == []
    published = await read_keys(infra, [marked, claimed], count=2)
    assert {e.event_id for e in published} == {first.event_id, second.event_id}


async def test_bulk_inserts_mark_their_documents_ignoring_markers_already_there(
    db: Database,
) -> None:
    docs = [
        {"_id": f"prd-{i:04d}", OUTBOX_FIELD: outbox_entries([rating(f"prd-{i:04d}", 1)])}
        for i in range(1_000)
    ]
    await db[PENDING_COLLECTION].insert_one({"_id": f"{RATINGS}/prd-0007"})  # marked already

    await insert_many_with_events(db[RATINGS], [*docs, {"_id": "prd-none", OUTBOX_FIELD: []}])

    assert await db[RATINGS].count_documents({}) == 1_001
    assert await db[PENDING_COLLECTION].count_documents({}) == 1_000
    assert await db[PENDING_COLLECTION].find_one({"_id": f"{RATINGS}/prd-none"}) is None


async def test_a_batch_writes_its_markers_once_at_its_end_then_wakes_the_relay(
    db: Database, broker: KafkaBroker, infra: Infra
) -> None:
    relay_ = await started(relay(db, broker))
    products = [product_id() for _ in range(3)]
    events = {p: rating(p, 1) for p in products}
    woken: list[int] = []

    def wake() -> None:  # what a store's after_write is: the relay's notify
        woken.append(len(woken))

    async with markers_deferred():
        for product in products:
            await insert_with_events(db[RATINGS], {"_id": product}, [events[product]])
            events_written(wake)
        # Written, not yet marked: the relay is not woken and finds nothing to drain.
        assert await markers(db) == [] and woken == []
        assert await relay_.publish_pending() == 0
    assert woken == [0]  # once, after the markers
    assert sorted(await markers(db)) == sorted(f"{RATINGS}/{p}" for p in products)

    assert await relay_.publish_pending() == 3
    published = await read_keys(infra, products, count=3)
    assert {e.event_id for e in published} == {e.event_id for e in events.values()}


async def test_a_batch_that_fails_midway_still_marks_what_it_wrote(
    db: Database, broker: KafkaBroker, infra: Infra
) -> None:
    relay_ = await started(relay(db, broker))
    product = product_id()
    event = rating(product, 1)

    with pytest.raises(ConnectionError):
        async with markers_deferred():
            await insert_with_events(db[RATINGS], {"_id": product}, [event])
            raise ConnectionError("the store went away after the first write")

    assert await markers(db) == [f"{RATINGS}/{product}"]
    assert await relay_.publish_pending() == 1 and relay_.swept == 0
    assert [e.event_id for e in await read_keys(infra, [product], count=1)] == [event.event_id]


async def test_a_task_started_in_a_batch_that_writes_after_it_marks_at_once(
    db: Database, broker: KafkaBroker
) -> None:
    relay_ = await started(relay(db, broker))
    product, go = product_id(), asyncio.Event()

    async def later() -> None:  # its context still names the batch's (ended) scope
        await go.wait()
        await insert_with_events(db[RATINGS], {"_id": product}, [rating(product, 1)])

    async with markers_deferred():
        task = asyncio.create_task(later())
    go.set()
    await task

    assert await markers(db) == [f"{RATINGS}/{product}"]
    assert await relay_.publish_pending() == 1


async def test_entries_written_while_the_relay_runs_are_all_published_in_order(
    db: Database, broker: KafkaBroker, infra: Infra
) -> None:
    relay_ = await started(relay(db, broker))
    products = [product_id() for _ in range(4)]
    written: dict[str, list[ProductRated]] = {p: [] for p in products}

    async def writer(product: str) -> None:
        for version in range(1, 31):
            event = rating(product, version)
            if version == 1:
                await insert_with_events(db[RATINGS], {"_id": product, "version": 1}, [event])
            else:
                query = {"_id": product, "version": version - 1}
                await update_with_events(
                    db[RATINGS], query, {"$set": {"version": version}}, [event]
                )
            written[product].append(event)
            relay_.notify()
            await asyncio.sleep(0)  # interleave with the relay's reads, sends and pulls

    task = asyncio.create_task(relay_.run_forever())
    try:
        await asyncio.gather(*(writer(p) for p in products))
        async with asyncio.timeout(30):
            while await markers(db) or any([await outbox(db, p) for p in products]):  # noqa: ASYNC110
                await asyncio.sleep(0.05)  # the store has nothing to wait on
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    assert relay_.swept == 0  # every entry went out through its marker
    published = await read_keys(infra, products, count=sum(len(e) for e in written.values()))
    for product, events in written.items():
        versions = [e.aggregate_version for e in published if e.aggregate_id == product]
        assert list(dict.fromkeys(versions)) == [e.aggregate_version for e in events]
