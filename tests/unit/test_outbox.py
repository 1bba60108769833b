"""The outbox inside the aggregate's document, and the relay that publishes it (DESIGN §4).

The relay is exercised against an in-memory stand-in for the few collection calls it makes. The
stand-in refuses any query shape it does not implement, so a change in how the relay queries the
store fails here loudly instead of being silently "supported".
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager, suppress
from datetime import date
from typing import Any, cast

import pytest

from ocop_contracts import ProductRated, RatingLevel, parse_event, topic_of
from ocop_platform.mongo import Database, Document
from ocop_platform.outbox import (
    OUTBOX_FIELD,
    OutboxRecord,
    OutboxRelay,
    outbox_entries,
    pending_count,
    push_outbox,
)


def rated(product_id: str, version: int) -> ProductRated:
    return ProductRated(
        producer="evaluation",
        aggregate_id=product_id,
        aggregate_version=version,
        province_code="82",
        product_id=product_id,
        score=55.5 + version,
        stars=3,
        previous_stars=0,
        level=RatingLevel.PROVINCE,
        rule_set_id="qd26-2026",
        rated_on=date(2026, 8, version),
        scoring_set_code="1.1.1",
        round_id="vòng-1",  # non-ASCII must survive byte for byte
    )


# --- in-memory stand-ins ------------------------------------------------------------------------


class FakeCursor:
    def __init__(self, documents: list[Document]) -> None:
        self._documents = documents
        self._limit: int | None = None

    def limit(self, n: int) -> FakeCursor:
        self._limit = n
        return self

    async def to_list(self) -> list[Document]:
        return self._documents if self._limit is None else self._documents[: self._limit]


class FakeCollection:
    """Documents in insertion order; find() and update_many() for the relay's two query shapes."""

    def __init__(self) -> None:
        self.documents: dict[str, Document] = {}
        self.finds = 0

    def insert(self, _id: str, events: Sequence[ProductRated]) -> None:
        self.documents[_id] = {"_id": _id, "state": "kept", OUTBOX_FIELD: outbox_entries(events)}

    def append(self, _id: str, events: Sequence[ProductRated]) -> None:
        self.documents[_id][OUTBOX_FIELD].extend(outbox_entries(events))

    def pending_ids(self, _id: str) -> list[str]:
        return [entry["event_id"] for entry in self.documents[_id][OUTBOX_FIELD]]

    def find(self, query: Document, projection: Document) -> FakeCursor:
        assert query == {f"{OUTBOX_FIELD}.0": {"$exists": True}}, f"unsupported query {query}"
        assert projection == {OUTBOX_FIELD: 1}, f"unsupported projection {projection}"
        self.finds += 1
        matches = [
            {"_id": doc["_id"], OUTBOX_FIELD: copy.deepcopy(doc[OUTBOX_FIELD])}
            for doc in self.documents.values()
            if doc.get(OUTBOX_FIELD)
        ]
        return FakeCursor(matches)

    async def update_many(self, query: Document, update: Document) -> None:
        assert list(query) == ["_id"] and list(query["_id"]) == ["$in"], f"unsupported {query}"
        assert list(update) == ["$pullAll"], f"unsupported update {update}"
        ((field, values),) = update["$pullAll"].items()
        assert field == OUTBOX_FIELD, f"unsupported {update}"
        for _id in query["_id"]["$in"]:
            doc = self.documents.get(_id)
            if doc is not None:  # $pullAll removes elements equal to any given value
                doc[field] = [entry for entry in doc[field] if entry not in values]


class FakeDatabase:
    def __init__(self, **collections: FakeCollection) -> None:
        self._collections = collections

    def __getitem__(self, name: str) -> FakeCollection:
        return self._collections[name]


class RecordingSink:
    def __init__(self) -> None:
        self.batches: list[list[OutboxRecord]] = []
        self.failures: list[Exception] = []  # raised (first one first) before recording
        self.during_send: Callable[[], None] | None = None
        self.received = asyncio.Event()

    @property
    def records(self) -> list[OutboxRecord]:
        return [record for batch in self.batches for record in batch]

    async def send_batch(self, records: Sequence[OutboxRecord]) -> None:
        if self.during_send is not None:
            self.during_send()
        if self.failures:
            raise self.failures.pop(0)
        self.batches.append(list(records))
        self.received.set()


def relay_over(
    sink: RecordingSink, poll_seconds: float = 30.0, batch_size: int = 500, **collections: Any
) -> OutboxRelay:
    db = cast(Database, FakeDatabase(**collections))
    return OutboxRelay(
        db, list(collections), sink, poll_seconds=poll_seconds, batch_size=batch_size
    )


@asynccontextmanager
async def running(relay: OutboxRelay) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.get_running_loop().create_task(relay.run_forever())
    try:
        yield task
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task


async def eventually(condition: Callable[[], bool]) -> None:
    """Poll a plain condition the relay's stand-ins expose (no event to wait on), for ≤2 s."""
    async with asyncio.timeout(2.0):
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.005)


# --- outbox_entries / push_outbox ---------------------------------------------------------------


def test_outbox_entries_keep_the_order_of_the_events() -> None:
    events = [rated("prd-1", v) for v in (1, 2, 3)]
    assert [e["event_id"] for e in outbox_entries(events)] == [str(e.event_id) for e in events]


def test_an_outbox_entry_holds_the_exact_json_bytes_of_its_event() -> None:
    event = rated("prd-1", 1)
    (entry,) = outbox_entries([event])
    assert entry["value"].encode() == event.to_json_bytes()
    assert parse_event(entry["value"].encode()) == event


def test_an_outbox_entry_carries_topic_key_type_and_correlation() -> None:
    event = rated("prd-1", 1)
    (entry,) = outbox_entries([event])
    assert entry["topic"] == topic_of(event)
    assert entry["key"] == "prd-1"
    assert entry["type"] == "ProductRated"
    assert entry["correlation_id"] == str(event.correlation_id)


def test_push_outbox_adds_the_events_with_push_each() -> None:
    events = [rated("prd-1", 1), rated("prd-1", 2)]
    update = push_outbox({"$set": {"stars": 3}}, events)
    pushed = update["$push"][OUTBOX_FIELD]["$each"]
    assert [p["event_id"] for p in pushed] == [str(e.event_id) for e in events]
    assert update["$set"] == {"stars": 3}


def test_push_outbox_does_not_modify_the_update_it_is_given() -> None:
    original: Document = {"$set": {"stars": 3}}
    push_outbox(original, [rated("prd-1", 1)])
    assert original == {"$set": {"stars": 3}}


def test_push_outbox_leaves_the_update_alone_when_there_are_no_events() -> None:
    update: Document = {"$set": {"stars": 3}}
    assert push_outbox(update, []) == {"$set": {"stars": 3}}


def test_push_outbox_keeps_a_push_the_update_already_has() -> None:
    update = push_outbox({"$push": {"history": {"stars": 3}}}, [rated("prd-1", 1)])
    assert update["$push"]["history"] == {"stars": 3}
    assert len(update["$push"][OUTBOX_FIELD]["$each"]) == 1


def test_pending_count_counts_outbox_entries() -> None:
    assert pending_count({OUTBOX_FIELD: outbox_entries([rated("p", 1), rated("p", 2)])}) == 2
    assert pending_count({"_id": "p"}) == 0


# --- OutboxRelay --------------------------------------------------------------------------------


async def test_relay_publishes_pending_entries_in_order() -> None:
    products = FakeCollection()
    a1, a2, b1 = rated("prd-a", 1), rated("prd-a", 2), rated("prd-b", 1)
    products.insert("prd-a", [a1, a2])
    products.insert("prd-b", [b1])
    sink = RecordingSink()

    sent = await relay_over(sink, products=products).publish_pending()

    assert sent == 3
    assert [r.event_id for r in sink.records] == [str(e.event_id) for e in (a1, a2, b1)]


async def test_relay_publishes_the_stored_bytes_to_the_events_topic_keyed_by_aggregate() -> None:
    products = FakeCollection()
    event = rated("prd-a", 1)
    products.insert("prd-a", [event])
    sink = RecordingSink()

    await relay_over(sink, products=products).publish_pending()

    (record,) = sink.records
    assert (record.topic, record.key, record.value) == (
        topic_of(event),
        "prd-a",
        event.to_json_bytes(),
    )
    assert record.headers == {"event-type": "ProductRated", "event-id": str(event.event_id)}


async def test_relay_removes_published_entries_and_keeps_the_rest_of_the_document() -> None:
    products = FakeCollection()
    products.insert("prd-a", [rated("prd-a", 1)])

    await relay_over(RecordingSink(), products=products).publish_pending()

    assert products.documents["prd-a"][OUTBOX_FIELD] == []
    assert products.documents["prd-a"]["state"] == "kept"


async def test_relay_keeps_an_entry_written_while_the_batch_was_being_sent() -> None:
    products = FakeCollection()
    products.insert("prd-a", [rated("prd-a", 1)])
    late = rated("prd-a", 2)
    sink = RecordingSink()
    sink.during_send = lambda: products.append("prd-a", [late])

    await relay_over(sink, products=products).publish_pending()

    assert products.pending_ids("prd-a") == [str(late.event_id)]


async def test_relay_leaves_entries_in_place_when_the_sink_fails() -> None:
    products = FakeCollection()
    products.insert("prd-a", [rated("prd-a", 1), rated("prd-a", 2)])
    before = products.pending_ids("prd-a")
    sink = RecordingSink()
    sink.failures.append(ConnectionError("broker down"))
    relay = relay_over(sink, products=products)

    with pytest.raises(ConnectionError):
        await relay.publish_pending()

    assert products.pending_ids("prd-a") == before
    assert relay.published == 0


async def test_relay_retries_entries_left_by_a_failed_send() -> None:
    products = FakeCollection()
    products.insert("prd-a", [rated("prd-a", 1)])
    expected = products.pending_ids("prd-a")
    sink = RecordingSink()
    sink.failures.append(ConnectionError("broker down"))
    relay = relay_over(sink, products=products)
    with pytest.raises(ConnectionError):
        await relay.publish_pending()

    assert await relay.publish_pending() == 1
    assert [r.event_id for r in sink.records] == expected
    assert products.pending_ids("prd-a") == []


async def test_relay_sweeps_every_collection_it_was_given() -> None:
    products, targets = FakeCollection(), FakeCollection()
    products.insert("prd-a", [rated("prd-a", 1)])
    targets.insert("tgt-a", [rated("prd-b", 1)])
    relay = relay_over(RecordingSink(), products=products, targets=targets)

    assert await relay.publish_pending() == 2
    assert relay.published == 2


async def test_relay_takes_at_most_batch_size_documents_per_sweep() -> None:
    products = FakeCollection()
    for name in ("prd-a", "prd-b", "prd-c"):
        products.insert(name, [rated(name, 1)])
    relay = relay_over(RecordingSink(), batch_size=2, products=products)

    assert await relay.publish_pending() == 2
    assert await relay.publish_pending() == 1
    assert await relay.publish_pending() == 0


async def test_run_forever_does_not_publish_a_new_entry_before_the_poll_without_notify() -> None:
    products = FakeCollection()
    sink = RecordingSink()
    relay = relay_over(sink, poll_seconds=30.0, products=products)
    async with running(relay):
        await eventually(lambda: products.finds >= 1)
        products.insert("prd-a", [rated("prd-a", 1)])
        await asyncio.sleep(0.1)
        assert sink.records == []


async def test_notify_wakes_run_forever_before_the_next_poll() -> None:
    products = FakeCollection()
    sink = RecordingSink()
    relay = relay_over(sink, poll_seconds=30.0, products=products)
    async with running(relay):
        await eventually(lambda: products.finds >= 1)
        event = rated("prd-a", 1)
        products.insert("prd-a", [event])
        relay.notify()
        async with asyncio.timeout(2.0):
            await sink.received.wait()
    assert [r.event_id for r in sink.records] == [str(event.event_id)]


async def test_run_forever_keeps_relaying_after_a_failed_pass() -> None:
    products = FakeCollection()
    products.insert("prd-a", [rated("prd-a", 1)])
    sink = RecordingSink()
    sink.failures.append(ConnectionError("broker down"))
    relay = relay_over(sink, poll_seconds=0.01, products=products)
    async with running(relay) as task:
        async with asyncio.timeout(2.0):
            await sink.received.wait()
        assert not task.done()
    assert products.pending_ids("prd-a") == []
