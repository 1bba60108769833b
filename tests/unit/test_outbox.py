"""The outbox inside the aggregate's document, its pending markers, and the relay (DESIGN §4).

The relay and the write helpers are exercised against an in-memory stand-in for the few
collection calls they make. The stand-in refuses any query shape it does not implement, so a
change in how the relay queries the store fails here loudly instead of being silently
"supported". It also records every query, so the tests can tell a drain by `_id` from a scan.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

import pytest
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import AutoReconnect, BulkWriteError, DuplicateKeyError

from ocop_contracts import ProductRated, RatingLevel, parse_event, topic_of
from ocop_platform.mongo import Database, Document
from ocop_platform.outbox import (
    DELETES_PER_COMMAND,
    OUTBOX_FIELD,
    PENDING_COLLECTION,
    PULLS_PER_COMMAND,
    SWEEP_RETRY_SECONDS,
    OutboxRecord,
    OutboxRelay,
    insert_many_with_events,
    insert_with_events,
    mark_pending,
    outbox_entries,
    pending_count,
    push_outbox,
    update_with_events,
)

SCAN = {f"{OUTBOX_FIELD}.0": {"$exists": True}}


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
    def __init__(
        self,
        documents: list[Document] | Callable[[], list[Document]],
        before_read: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._documents = documents
        self._before_read = before_read
        self._limit: int | None = None

    def limit(self, n: int) -> FakeCursor:
        self._limit = n
        return self

    async def to_list(self) -> list[Document]:
        if self._before_read is not None:
            await self._before_read()
        found = self._documents() if callable(self._documents) else self._documents
        return found if self._limit is None else found[: self._limit]


@dataclass
class FakeUpdateResult:
    matched_count: int
    modified_count: int


class FakeCollection:
    """Documents in insertion order, and exactly the query shapes the outbox code uses."""

    def __init__(self, name: str, database: FakeDatabase) -> None:
        self.name = name
        self.database = database
        self.documents: dict[Any, Document] = {}
        self.queries: list[Document] = []  # every filter, to tell scans from lookups by _id
        self.fail_inserts: list[Exception] = []  # raised by the next inserts, first one first
        self.before_update: Callable[[], Awaitable[None]] | None = None
        self.before_read: Callable[[], Awaitable[None]] | None = None  # of a read by _id
        self.deletes: list[int] = []  # ids of each delete_many

    # test helpers
    def store(self, _id: str, events: Sequence[ProductRated]) -> None:
        """A write as a crashed writer leaves it: the events, but no marker."""
        self.documents[_id] = {"_id": _id, "state": "kept", OUTBOX_FIELD: outbox_entries(events)}

    def pending_ids(self, _id: str) -> list[str]:
        return [entry["event_id"] for entry in self.documents[_id][OUTBOX_FIELD]]

    @property
    def scans(self) -> int:
        return sum(1 for query in self.queries if query == SCAN)

    # the driver's calls
    async def insert_one(self, doc: Document) -> None:
        if self.fail_inserts:
            raise self.fail_inserts.pop(0)
        if doc["_id"] in self.documents:
            raise DuplicateKeyError("E11000 duplicate key")
        self.documents[doc["_id"]] = copy.deepcopy(doc)

    async def insert_many(self, docs: list[Document], ordered: bool = True) -> None:
        assert not ordered, "the outbox inserts in bulk unordered, so one duplicate stops none"
        if self.fail_inserts:
            raise self.fail_inserts.pop(0)
        errors = []
        for index, doc in enumerate(docs):
            if doc["_id"] in self.documents:
                errors.append({"index": index, "code": 11000, "errmsg": "E11000 duplicate key"})
            else:
                self.documents[doc["_id"]] = copy.deepcopy(doc)
        if errors:
            raise BulkWriteError({"writeErrors": errors, "nInserted": len(docs) - len(errors)})

    def find(self, query: Document, projection: Document | None = None) -> FakeCursor:
        self.queries.append(query)
        if query == {}:
            assert projection is None, f"unsupported projection {projection}"
            return FakeCursor([copy.deepcopy(doc) for doc in self.documents.values()])
        if list(query) == ["_id"]:  # the relay's read of marked aggregates: by _id, in bulk
            assert list(query["_id"]) == ["$in"], f"unsupported query {query}"
            assert projection == {OUTBOX_FIELD: 1}, f"unsupported projection {projection}"
            ids, before, self.before_read = query["_id"]["$in"], self.before_read, None
            return FakeCursor(
                lambda: [self._outbox_of(self.documents[i]) for i in ids if i in self.documents],
                before,
            )
        assert query == SCAN, f"unsupported query {query}"
        assert projection == {OUTBOX_FIELD: 1}, f"unsupported projection {projection}"
        return FakeCursor(
            [self._outbox_of(doc) for doc in self.documents.values() if doc.get(OUTBOX_FIELD)]
        )

    async def find_one(self, query: Document, projection: Document) -> Document | None:
        self.queries.append(query)
        assert list(query) == ["_id"], f"only a plain lookup by _id is indexed: {query}"
        assert projection == {OUTBOX_FIELD: 1}, f"unsupported projection {projection}"
        doc = self.documents.get(query["_id"])
        return None if doc is None else self._outbox_of(doc)

    async def update_one(self, query: Document, update: Document) -> FakeUpdateResult:
        self.queries.append(query)
        if self.before_update is not None:
            await self.before_update()
        doc = self.documents.get(query["_id"])
        if doc is None or any(doc.get(k) != v for k, v in query.items()):
            return FakeUpdateResult(0, 0)
        for operator, fields in update.items():
            for field, value in fields.items():
                self._apply(doc, operator, field, value)
        return FakeUpdateResult(1, 1)

    async def delete_many(self, query: Document) -> None:
        self.queries.append(query)
        assert list(query) == ["_id"] and list(query["_id"]) == ["$in"], f"unsupported {query}"
        self.deletes.append(len(query["_id"]["$in"]))
        for _id in query["_id"]["$in"]:
            self.documents.pop(_id, None)

    @staticmethod
    def _apply(doc: Document, operator: str, field: str, value: Any) -> None:
        if operator == "$set":
            doc[field] = value
        elif operator == "$push":
            each = isinstance(value, dict) and "$each" in value
            doc.setdefault(field, []).extend(value["$each"] if each else [value])
        elif operator == "$pullAll":  # removes elements equal to any given value
            doc[field] = [entry for entry in doc.get(field, []) if entry not in value]
        else:
            raise AssertionError(f"unsupported update operator {operator}")

    @staticmethod
    def _outbox_of(doc: Document) -> Document:
        return {"_id": doc["_id"], OUTBOX_FIELD: copy.deepcopy(doc.get(OUTBOX_FIELD, []))}


class FakeDatabase:
    def __init__(self) -> None:
        self.collections: dict[str, FakeCollection] = {}
        self.pull_commands: list[int] = []  # statements of each update command

    def __getitem__(self, name: str) -> FakeCollection:
        return self.collections.setdefault(name, FakeCollection(name, self))

    @property
    def markers(self) -> list[str]:
        return list(self[PENDING_COLLECTION].documents)

    async def command(
        self, name: str, collection: str, *, updates: list[Document], ordered: bool
    ) -> Document:
        """The relay's pulls: one update command of many statements."""
        assert name == "update" and not ordered, f"unsupported command {name}"
        self.pull_commands.append(len(updates))
        for statement in updates:
            await self[collection].update_one(statement["q"], statement["u"])
        return {"ok": 1.0, "n": len(updates)}


def driver(collection: FakeCollection) -> AsyncCollection[Document]:
    return cast(AsyncCollection[Document], collection)


async def write(
    collection: FakeCollection, _id: str, events: Sequence[ProductRated], version: int = 0
) -> None:
    """A use case's write through the platform: insert at version 0, else update."""
    if version == 0:
        await insert_with_events(driver(collection), {"_id": _id, "version": 1}, events)
    else:
        query = {"_id": _id, "version": version}
        await update_with_events(
            driver(collection), query, {"$set": {"version": version + 1}}, events
        )


class RecordingSink:
    def __init__(self) -> None:
        self.batches: list[list[OutboxRecord]] = []
        self.failures: list[Exception] = []  # raised (first one first) before recording
        self.during_send: Callable[[], Awaitable[None]] | None = None
        self.received = asyncio.Event()

    @property
    def records(self) -> list[OutboxRecord]:
        return [record for batch in self.batches for record in batch]

    @property
    def event_ids(self) -> list[str]:
        return [record.event_id for record in self.records]

    async def send_batch(self, records: Sequence[OutboxRecord]) -> None:
        if self.during_send is not None:
            await self.during_send()
        if self.failures:
            raise self.failures.pop(0)
        self.batches.append(list(records))
        self.received.set()


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def relay_over(
    db: FakeDatabase,
    sink: RecordingSink,
    *collections: str,
    poll_seconds: float = 30.0,
    batch_size: int = 500,
    sweep_seconds: float = 300.0,
    clock: FakeClock | None = None,
    write_once: Sequence[str] = (),
) -> OutboxRelay:
    return OutboxRelay(
        cast(Database, db),
        list(collections) or ["products"],
        sink,
        poll_seconds=poll_seconds,
        batch_size=batch_size,
        sweep_seconds=sweep_seconds,
        clock=clock or FakeClock(),
        write_once=write_once,
    )


async def started(relay: OutboxRelay) -> OutboxRelay:
    """The relay after its start-up sweep, so later passes only drain markers."""
    await relay.publish_pending()
    return relay


def ids(*events: ProductRated) -> list[str]:
    return [str(event.event_id) for event in events]


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


# --- writing: aggregate first, then its pending marker ------------------------------------------


async def test_insert_with_events_stores_the_events_then_marks_the_aggregate() -> None:
    db = FakeDatabase()
    event = rated("prd-a", 1)

    await write(db["products"], "prd-a", [event])

    assert db["products"].pending_ids("prd-a") == ids(event)
    marker = db[PENDING_COLLECTION].documents["products/prd-a"]
    assert (marker["collection"], marker["aggregate_id"]) == ("products", "prd-a")


async def test_update_with_events_pushes_the_events_and_marks_the_aggregate() -> None:
    db = FakeDatabase()
    first, second = rated("prd-a", 1), rated("prd-a", 2)
    await write(db["products"], "prd-a", [first])
    db[PENDING_COLLECTION].documents.clear()

    result = await update_with_events(
        driver(db["products"]), {"_id": "prd-a", "version": 1}, {"$set": {"n": 2}}, [second]
    )

    assert result.modified_count == 1
    assert db["products"].pending_ids("prd-a") == ids(first, second)
    assert db["products"].documents["prd-a"]["n"] == 2
    assert db.markers == ["products/prd-a"]


async def test_an_update_that_matched_nothing_writes_no_marker() -> None:
    db = FakeDatabase()
    await write(db["products"], "prd-a", [])

    result = await update_with_events(
        driver(db["products"]), {"_id": "prd-a", "version": 7}, {"$set": {"n": 2}}, [rated("a", 1)]
    )

    assert result.modified_count == 0
    assert db.markers == []


async def test_a_write_without_events_writes_no_marker() -> None:
    db = FakeDatabase()
    await write(db["products"], "prd-a", [])
    await write(db["products"], "prd-a", [], version=1)
    assert db.markers == []


async def test_marking_an_aggregate_already_marked_keeps_one_marker() -> None:
    db = FakeDatabase()
    await write(db["products"], "prd-a", [rated("prd-a", 1)])
    await write(db["products"], "prd-a", [rated("prd-a", 2)], version=1)
    await mark_pending(driver(db["products"]), ["prd-a", "prd-a", "prd-b"])
    assert db.markers == ["products/prd-a", "products/prd-b"]


async def test_insert_many_with_events_marks_in_bulk_only_the_documents_holding_events() -> None:
    db = FakeDatabase()
    await mark_pending(driver(db["products"]), ["prd-1"])  # already marked: ignored, not an error
    docs = [
        {"_id": f"prd-{i}", OUTBOX_FIELD: outbox_entries([rated(f"prd-{i}", 1)] if i else [])}
        for i in range(3)
    ]

    await insert_many_with_events(driver(db["products"]), docs)

    assert list(db["products"].documents) == ["prd-0", "prd-1", "prd-2"]
    assert db.markers == ["products/prd-1", "products/prd-2"]


async def test_a_marker_failure_other_than_a_duplicate_is_raised() -> None:
    db = FakeDatabase()
    db[PENDING_COLLECTION].fail_inserts.append(AutoReconnect("store gone"))
    with pytest.raises(AutoReconnect):
        await mark_pending(driver(db["products"]), ["prd-1", "prd-2"])


async def test_a_cancelled_caller_does_not_stop_between_the_write_and_its_marker() -> None:
    db = FakeDatabase()
    await write(db["products"], "prd-a", [])
    writing, release = asyncio.Event(), asyncio.Event()

    async def slow_store() -> None:
        writing.set()
        await release.wait()

    db["products"].before_update = slow_store
    caller = asyncio.create_task(write(db["products"], "prd-a", [rated("prd-a", 1)], version=1))
    await writing.wait()
    caller.cancel()  # e.g. the request deadline
    with pytest.raises(asyncio.CancelledError):
        await caller
    release.set()

    await eventually(lambda: db.markers == ["products/prd-a"])
    assert len(db["products"].pending_ids("prd-a")) == 1


# --- the relay: draining marked aggregates ------------------------------------------------------


async def test_relay_publishes_marked_aggregates_in_order_then_forgets_them() -> None:
    db, sink = FakeDatabase(), RecordingSink()
    relay = await started(relay_over(db, sink))
    a1, a2, b1 = rated("prd-a", 1), rated("prd-a", 2), rated("prd-b", 1)
    await write(db["products"], "prd-a", [a1, a2])
    await write(db["products"], "prd-b", [b1])

    assert await relay.publish_pending() == 3

    assert sink.event_ids == ids(a1, a2, b1)
    assert db["products"].pending_ids("prd-a") == db["products"].pending_ids("prd-b") == []
    assert db["products"].documents["prd-a"]["version"] == 1  # the rest of the document stays
    assert db.markers == []
    assert await relay.publish_pending() == 0  # nothing is sent twice


async def test_relay_publishes_the_stored_bytes_to_the_events_topic_keyed_by_aggregate() -> None:
    db, sink = FakeDatabase(), RecordingSink()
    event = rated("prd-a", 1)
    await write(db["products"], "prd-a", [event])

    await relay_over(db, sink).publish_pending()

    (record,) = sink.records
    assert (record.topic, record.key, record.value) == (
        topic_of(event),
        "prd-a",
        event.to_json_bytes(),
    )
    assert record.headers == {"event-type": "ProductRated", "event-id": str(event.event_id)}


async def test_a_drain_reads_aggregates_by_id_and_never_scans_them() -> None:
    db, sink = FakeDatabase(), RecordingSink()
    for i in range(50):  # a collection holding many aggregates with nothing pending
        await write(db["products"], f"prd-{i}", [])
    relay = await started(relay_over(db, sink))
    await write(db["products"], "prd-7", [rated("prd-7", 1)], version=1)
    db["products"].queries.clear()

    assert await relay.publish_pending() == 1
    assert await relay.publish_pending() == 0  # idle: reads the (empty) marker collection only

    assert db["products"].scans == 0
    assert all(list(query) == ["_id"] for query in db["products"].queries)


async def test_relay_drains_marked_aggregates_of_any_collection() -> None:
    db, sink = FakeDatabase(), RecordingSink()
    relay = await started(relay_over(db, sink, "products", "targets"))
    await write(db["products"], "prd-a", [rated("prd-a", 1)])
    await write(db["targets"], "tgt-a", [rated("tgt-a", 1)])

    assert await relay.publish_pending() == 2
    assert relay.published == 2


async def test_relay_takes_at_most_batch_size_marked_aggregates_per_pass() -> None:
    db, sink = FakeDatabase(), RecordingSink()
    relay = await started(relay_over(db, sink, batch_size=2))
    for name in ("prd-a", "prd-b", "prd-c"):
        await write(db["products"], name, [rated(name, 1)])

    assert [await relay.publish_pending() for _ in range(3)] == [2, 1, 0]


async def test_publishing_all_stops_after_a_pass_that_read_every_marker_there_was() -> None:
    """No read of the empty marker collection to confirm it is empty: a marker written after
    the last read comes with a wake-up (or waits for the next poll)."""
    db, sink = FakeDatabase(), RecordingSink()
    relay = await started(relay_over(db, sink, batch_size=2))
    for name in ("prd-a", "prd-b", "prd-c"):
        await write(db["products"], name, [rated(name, 1)])
    db[PENDING_COLLECTION].queries.clear()

    assert await relay.publish_all_pending() == 3

    reads = [query for query in db[PENDING_COLLECTION].queries if query == {}]
    assert len(reads) == 2  # a full batch (maybe more behind it), then the last marker
    assert db.markers == []


async def test_a_marker_of_an_aggregate_that_holds_nothing_is_just_removed() -> None:
    db, sink = FakeDatabase(), RecordingSink()
    relay = await started(relay_over(db, sink))
    await mark_pending(driver(db["products"]), ["prd-gone"])

    assert await relay.publish_pending() == 0
    assert db.markers == []
    assert sink.batches == []


async def test_an_entry_written_while_the_batch_is_sent_keeps_a_marker_and_goes_out_next() -> None:
    db, sink = FakeDatabase(), RecordingSink()
    relay = await started(relay_over(db, sink))
    first, late = rated("prd-a", 1), rated("prd-a", 2)
    await write(db["products"], "prd-a", [first])

    async def concurrent_writer() -> None:
        sink.during_send = None
        await write(db["products"], "prd-a", [late], version=1)

    sink.during_send = concurrent_writer
    assert await relay.publish_pending() == 1

    assert db["products"].pending_ids("prd-a") == ids(late)  # not pulled: it was not read
    assert db.markers == ["products/prd-a"]  # and not forgotten
    assert await relay.publish_pending() == 1
    assert sink.event_ids == ids(first, late)
    assert db.markers == []


async def test_an_entry_written_between_the_claim_and_the_read_goes_out_in_the_same_pass() -> None:
    db, sink = FakeDatabase(), RecordingSink()
    relay = await started(relay_over(db, sink))
    first, late = rated("prd-a", 1), rated("prd-a", 2)
    await write(db["products"], "prd-a", [first])
    products = db["products"]

    async def write_before_reading() -> None:
        await write(products, "prd-a", [late], version=1)

    products.before_read = write_before_reading
    assert await relay.publish_pending() == 2

    assert sink.event_ids == ids(first, late)
    assert products.pending_ids("prd-a") == []
    assert await relay.publish_pending() == 0  # its marker only costs one more lookup
    assert db.markers == []


async def test_a_failed_send_leaves_the_entries_and_their_markers_in_place() -> None:
    db, sink = FakeDatabase(), RecordingSink()
    relay = await started(relay_over(db, sink))
    await write(db["products"], "prd-a", [rated("prd-a", 1), rated("prd-a", 2)])
    before = db["products"].pending_ids("prd-a")
    sink.failures.append(ConnectionError("broker down"))

    with pytest.raises(ConnectionError):
        await relay.publish_pending()

    assert db["products"].pending_ids("prd-a") == before
    assert db.markers == ["products/prd-a"]
    assert relay.published == 0
    assert await relay.publish_pending() == 2
    assert sink.event_ids == before


async def test_when_markers_cannot_be_restored_the_next_pass_sweeps() -> None:
    db, sink, clock = FakeDatabase(), RecordingSink(), FakeClock()
    relay = await started(relay_over(db, sink, clock=clock))
    await write(db["products"], "prd-a", [rated("prd-a", 1)])
    sink.failures.append(ConnectionError("broker down"))
    db[PENDING_COLLECTION].fail_inserts.append(AutoReconnect("store down too"))

    with pytest.raises(ConnectionError):
        await relay.publish_pending()
    assert db.markers == []  # claimed, and not put back

    assert await relay.publish_pending() == 1  # swept, with no time passing
    assert db["products"].pending_ids("prd-a") == []


# --- the relay: the full sweep, the safety net --------------------------------------------------


async def test_the_start_up_sweep_publishes_events_left_without_a_marker() -> None:
    db, sink = FakeDatabase(), RecordingSink()
    event = rated("prd-a", 1)
    db["products"].store("prd-a", [event])  # a writer died between its two writes

    relay = relay_over(db, sink)
    assert await relay.publish_pending() == 1

    assert sink.event_ids == ids(event)
    assert db["products"].pending_ids("prd-a") == []
    assert relay.swept == 1


async def test_unmarked_events_wait_for_the_next_sweep_which_comes_every_sweep_seconds() -> None:
    db, sink, clock = FakeDatabase(), RecordingSink(), FakeClock()
    relay = await started(relay_over(db, sink, sweep_seconds=300.0, clock=clock))
    db["products"].store("prd-a", [rated("prd-a", 1)])

    clock.now += 299.0
    assert await relay.publish_pending() == 0
    assert db["products"].scans == 1  # the start-up sweep only

    clock.now += 1.0
    assert await relay.publish_pending() == 1
    assert db["products"].scans == 3  # found one batch, then found nothing


async def test_the_sweep_covers_every_collection_and_every_batch() -> None:
    db, sink = FakeDatabase(), RecordingSink()
    for name in ("prd-a", "prd-b", "prd-c"):
        db["products"].store(name, [rated(name, 1)])
    db["targets"].store("tgt-a", [rated("tgt-a", 1)])

    assert await relay_over(db, sink, "products", "targets", batch_size=2).sweep() == 4


async def test_a_failed_sweep_is_retried_soon_but_not_at_every_pass() -> None:
    db, sink, clock = FakeDatabase(), RecordingSink(), FakeClock()
    db["products"].store("prd-a", [rated("prd-a", 1)])
    sink.failures.append(ConnectionError("broker down"))
    relay = relay_over(db, sink, clock=clock)
    with pytest.raises(ConnectionError):
        await relay.publish_pending()

    assert await relay.publish_pending() == 0
    assert db["products"].scans == 1

    clock.now += SWEEP_RETRY_SECONDS
    assert await relay.publish_pending() == 1


# --- the relay: running -------------------------------------------------------------------------


async def test_run_forever_does_not_publish_a_new_entry_before_the_poll_without_notify() -> None:
    db, sink = FakeDatabase(), RecordingSink()
    relay = relay_over(db, sink, poll_seconds=30.0)
    async with running(relay):
        await eventually(lambda: db["products"].scans >= 1)
        await write(db["products"], "prd-a", [rated("prd-a", 1)])
        await asyncio.sleep(0.1)
        assert sink.records == []


async def test_notify_wakes_run_forever_before_the_next_poll() -> None:
    db, sink = FakeDatabase(), RecordingSink()
    relay = relay_over(db, sink, poll_seconds=30.0)
    async with running(relay):
        await eventually(lambda: db["products"].scans >= 1)
        event = rated("prd-a", 1)
        await write(db["products"], "prd-a", [event])
        relay.notify()
        async with asyncio.timeout(2.0):
            await sink.received.wait()
    assert sink.event_ids == ids(event)


async def test_run_forever_keeps_relaying_after_a_failed_pass() -> None:
    db, sink = FakeDatabase(), RecordingSink()
    relay = relay_over(db, sink, poll_seconds=0.01)
    await write(db["products"], "prd-a", [rated("prd-a", 1)])
    sink.failures.append(ConnectionError("broker down"))
    async with running(relay) as task:
        async with asyncio.timeout(2.0):
            await sink.received.wait()
        assert not task.done()
    assert db["products"].pending_ids("prd-a") == []


async def test_a_pass_pulls_its_entries_in_commands_of_a_bounded_size() -> None:
    db, sink = FakeDatabase(), RecordingSink()
    relay = await started(relay_over(db, sink))
    products = [f"prd-{i:03d}" for i in range(PULLS_PER_COMMAND * 2 + 5)]
    for product in products:
        await write(db["products"], product, [rated(product, 1)])

    assert await relay.publish_pending() == len(products)

    assert db.pull_commands == [PULLS_PER_COMMAND, PULLS_PER_COMMAND, 5]
    assert all(db["products"].pending_ids(p) == [] for p in products)


# --- the relay: write-once collections ----------------------------------------------------------


async def test_published_write_once_documents_are_deleted_with_one_delete_per_pass() -> None:
    db, sink = FakeDatabase(), RecordingSink()
    relay = await started(relay_over(db, sink, "feed", "products", write_once=["feed"]))
    feed = [f"entry-{i}" for i in range(PULLS_PER_COMMAND + 3)]
    await insert_many_with_events(
        driver(db["feed"]), [{"_id": i, OUTBOX_FIELD: outbox_entries([rated(i, 1)])} for i in feed]
    )
    await write(db["products"], "prd-a", [rated("prd-a", 1)])

    assert await relay.publish_pending() == len(feed) + 1

    assert db["feed"].documents == {}  # deleted, not pulled
    assert db["feed"].deletes == [len(feed)]
    assert db.pull_commands == [1]  # the updated aggregate's entry only
    assert db["products"].pending_ids("prd-a") == []
    assert db.markers == []


async def test_a_pass_deletes_write_once_documents_in_commands_of_a_bounded_size() -> None:
    db, sink = FakeDatabase(), RecordingSink()
    relay = await started(
        relay_over(db, sink, "feed", batch_size=DELETES_PER_COMMAND + 2, write_once=["feed"])
    )
    feed = [f"entry-{i}" for i in range(DELETES_PER_COMMAND + 2)]
    await insert_many_with_events(
        driver(db["feed"]), [{"_id": i, OUTBOX_FIELD: outbox_entries([rated(i, 1)])} for i in feed]
    )

    assert await relay.publish_pending() == len(feed)
    assert db["feed"].deletes == [DELETES_PER_COMMAND, 2]


async def test_a_failed_send_keeps_write_once_documents_and_their_markers() -> None:
    db, sink = FakeDatabase(), RecordingSink()
    relay = await started(relay_over(db, sink, "feed", write_once=["feed"]))
    event = rated("entry-1", 1)
    await insert_with_events(driver(db["feed"]), {"_id": "entry-1"}, [event])
    sink.failures.append(ConnectionError("broker down"))

    with pytest.raises(ConnectionError):
        await relay.publish_pending()

    assert db["feed"].pending_ids("entry-1") == ids(event)
    assert db.markers == ["feed/entry-1"]
    assert await relay.publish_pending() == 1
    assert db["feed"].documents == {}


async def test_the_sweep_deletes_the_write_once_documents_it_publishes() -> None:
    db, sink = FakeDatabase(), RecordingSink()
    db["feed"].store("entry-1", [rated("entry-1", 1)])  # its writer died before the marker

    assert await relay_over(db, sink, "feed", write_once=["feed"]).publish_pending() == 1
    assert db["feed"].documents == {}


def test_a_write_once_collection_must_be_one_the_relay_drains() -> None:
    with pytest.raises(ValueError, match="feed"):
        relay_over(FakeDatabase(), RecordingSink(), "products", write_once=["feed"])
