"""The live consumers' batches (MongoProjections.batch, entered by each fact subscription's
`prefetch` hook): the summary writes of a batch's events are held and each summary document is
written once at its end, its event facts (ratings, proposals, placements) inserted together, and
the documents are those the writes one event at a time make — for the national data set's events
in consumer batches, with redeliveries. A batch that ends with an error writes nothing it held;
two batches handled at once each write only their own."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pymongo import AsyncMongoClient, monitoring

from ocop_contracts import ProductRated
from ocop_devstack.infra import Infra
from ocop_platform.mongo import Database, Document
from ocop_reporting.adapters.projections import MongoProjections
from ocop_reporting.adapters.summaries import SUMMARIES
from tests.integration.support import (
    CommandWatcher,
    fresh_databases,
    national_facts,
    summary_documents,
)

pytestmark = pytest.mark.integration

BATCH = 10  # the consumers' default batch size (OCOP_CONSUMER_BATCH_SIZE)
EVENT_FACTS = ("rating_facts", "proposal_facts", "showcase_facts")  # keyed by event id


class SummaryUpdates(CommandWatcher):
    """The `_id` of every update statement sent to the summaries."""

    def __init__(self) -> None:
        self.ids: list[str] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name == "update" and event.command.get("update") == SUMMARIES:
            self.ids += [str(u["q"]["_id"]) for u in event.command.get("updates", [])]


class FactInserts(CommandWatcher):
    """How many documents each insert command sent to an event-fact collection carried."""

    def __init__(self) -> None:
        self.sizes: list[int] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name == "insert" and str(event.command.get("insert")).startswith(
            EVENT_FACTS
        ):
            self.sizes.append(len(event.command.get("documents", [])))


@pytest.fixture
async def recorded() -> SummaryUpdates:
    return SummaryUpdates()


@pytest.fixture
async def inserts() -> FactInserts:
    return FactInserts()


@pytest.fixture
async def two_dbs(
    infra: Infra, recorded: SummaryUpdates, inserts: FactInserts
) -> AsyncIterator[tuple[Database, Database]]:
    client: AsyncMongoClient[Document] = AsyncMongoClient(
        infra.mongo_url,
        tz_aware=True,
        uuidRepresentation="standard",
        event_listeners=[recorded, inserts],
    )
    async with fresh_databases(client, "batched_", 2) as (first, second):
        yield first, second


def _ratings(count: int) -> list[ProductRated]:
    return [e for e in national_facts() if isinstance(e, ProductRated)][:count]


async def test_a_batch_writes_each_summary_document_once_as_the_events_one_by_one_would(
    two_dbs: tuple[Database, Database], recorded: SummaryUpdates
) -> None:
    ratings = _ratings(40)
    one_by_one_db, batched_db = two_dbs
    one_by_one, batched = MongoProjections(one_by_one_db), MongoProjections(batched_db)
    for event in ratings:
        await one_by_one.apply(event)
    # One update per rating and document: its rating id beside its marks (if it made any), and
    # the marks' packed copy.
    assert sum(i.startswith("rated:") for i in recorded.ids) == len(ratings)
    assert sum(i.startswith("packed:") for i in recorded.ids) <= len(ratings)
    assert len(recorded.ids) <= 3 * len(ratings)
    recorded.ids.clear()

    async with batched.batch():
        for event in ratings:
            await batched.apply(event)
        assert recorded.ids == []  # held until the batch ends

    written = Counter(recorded.ids)
    assert set(written.values()) == {1}
    # Ratings of one unit and year share a document (and its packed copy).
    assert len([i for i in written if not i.startswith("packed:")]) < len(ratings)
    assert await summary_documents(batched_db) == await summary_documents(one_by_one_db)


async def test_a_batch_that_ends_with_an_error_writes_nothing_it_held(
    two_dbs: tuple[Database, Database], recorded: SummaryUpdates
) -> None:
    db, _ = two_dbs
    projections = MongoProjections(db)

    with pytest.raises(ConnectionError):
        async with projections.batch():
            for event in _ratings(5):
                await projections.apply(event)
            raise ConnectionError("the store went away")  # the consumer commits nothing

    assert recorded.ids == []
    assert await summary_documents(db) == []  # the redelivered batch writes them


async def test_two_batches_at_once_each_write_only_their_own(
    two_dbs: tuple[Database, Database],
) -> None:
    db, reference_db = two_dbs
    projections, reference = MongoProjections(db), MongoProjections(reference_db)
    first, second = _ratings(2)
    await reference.apply(second)
    only_second = await summary_documents(reference_db)
    first_applied, second_done = asyncio.Event(), asyncio.Event()
    seen_meanwhile: list[list[dict[str, Any]]] = []

    async def a_batch_left_open() -> None:
        async with projections.batch():
            await projections.apply(first)
            first_applied.set()
            await second_done.wait()
            seen_meanwhile.append(await summary_documents(db))

    async def a_batch_ending_meanwhile() -> None:
        await first_applied.wait()
        async with projections.batch():
            await projections.apply(second)
        second_done.set()

    await asyncio.gather(a_batch_left_open(), a_batch_ending_meanwhile())

    assert seen_meanwhile == [only_second]  # the open batch's writes were still held
    await reference.apply(first)
    assert await summary_documents(db) == await summary_documents(reference_db)


async def test_batches_of_the_data_set_make_the_documents_of_the_events_one_by_one(
    two_dbs: tuple[Database, Database],
) -> None:
    rng = random.Random(9)
    events = national_facts()
    events += rng.sample(events, 60)  # redelivered later
    one_by_one_db, batched_db = two_dbs
    one_by_one, batched = MongoProjections(one_by_one_db), MongoProjections(batched_db)
    for event in events:
        await one_by_one.apply(event)
    for start in range(0, len(events), BATCH):
        async with batched.batch():
            for event in events[start : start + BATCH]:
                await batched.apply(event)

    expected = await summary_documents(one_by_one_db)
    assert len(expected) > 50  # units, years and certificate buckets of 34 provinces
    assert await summary_documents(batched_db) == expected
    assert await event_facts(batched_db) == await event_facts(one_by_one_db)


async def test_a_batch_inserts_its_event_facts_together_once(
    two_dbs: tuple[Database, Database], inserts: FactInserts
) -> None:
    db, _ = two_dbs
    projections = MongoProjections(db)
    ratings = _ratings(BATCH)
    provinces = {rating.province_code for rating in ratings}

    for redelivered in (False, True):  # the second time: a batch whose commit was lost
        inserts.sizes.clear()
        async with projections.batch():
            for event in ratings:
                await projections.apply(event)
            assert inserts.sizes == []  # held until the batch ends
        assert len(inserts.sizes) == len(provinces) < len(ratings), redelivered
        assert sum(inserts.sizes) == len(ratings)

    stored = await event_facts(db)
    assert sorted(fact["_id"] for fact in stored) == sorted(str(r.event_id) for r in ratings)


async def event_facts(db: Database) -> list[Document]:
    found: list[Document] = []
    for name in sorted(await db.list_collection_names()):
        if name.startswith(EVENT_FACTS):
            found += await db[name].find().sort("_id").to_list()
    return found
