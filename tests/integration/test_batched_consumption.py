"""Batched consumption on the real broker: FastStream's batch subscriber with our ack policy.

What FastStream 0.7 does (faststream/kafka/message.py, middlewares/acknowledgement): after the
handler returns, one commit of the consumer's positions; on an exception, NACK_ON_ERROR seeks
each partition of the batch back to its first record and commits nothing, so the whole batch
comes again. (MANUAL would do neither: the next batch's commit would skip the failed one.)
A batch whose end fails otherwise (a held write the store refuses) is applied again one record
at a time, the record whose write fails is dead-lettered, and the batch is committed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from pymongo.errors import ConnectionFailure

from ocop_contracts import Event, ProductRated
from ocop_contracts.topics import dead_letter_topic
from ocop_devstack.infra import Infra
from ocop_platform.consumer import (
    DeadLetter,
    DeadLetterPublisher,
    Dispatcher,
    Outcome,
    Subscription,
    consumer_router,
)
from ocop_platform.kafka import create_broker
from ocop_platform.mongo import Database, create_client
from ocop_platform.settings import ServiceSettings
from ocop_platform.topics import ensure_topics
from tests.integration.support import fresh_databases, rating

pytestmark = pytest.mark.integration

KEYS = 5
VERSIONS = 8  # 40 records over 3 partitions, polled 10 at a time
BATCH = 10
Key = tuple[str, int]  # (product, version)


class NoDeadLetters(DeadLetterPublisher):
    def __init__(self) -> None:  # no broker: every record here is readable and accepted
        self.sent: list[DeadLetter] = []

    async def send(self, letter: DeadLetter) -> None:
        self.sent.append(letter)


@dataclass
class ReadModel:
    """Apply-if-newer per product, like the services' read models; the store "goes down" when
    the ``failing`` event is applied, for as long as ``outage`` is set."""

    outage: asyncio.Event = field(default_factory=asyncio.Event)
    outage_hits: int = 0
    failing: Key | None = None
    stored: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    seen: list[Key] = field(default_factory=list)
    out_of_order: list[Key] = field(default_factory=list)

    async def apply(self, event: ProductRated) -> Outcome | None:
        key = (event.aggregate_id, event.aggregate_version)
        self.seen.append(key)
        if key == self.failing and self.outage.is_set():
            self.outage_hits += 1
            raise ConnectionFailure("store down")
        stored = self.stored[event.aggregate_id]
        if event.aggregate_version <= stored:
            return Outcome.DUPLICATE
        if event.aggregate_version != stored + 1:  # a version overtook an earlier one
            self.out_of_order.append(key)
        self.stored[event.aggregate_id] = event.aggregate_version
        return None


@dataclass(frozen=True)
class Polled:
    partition: int
    offset: int
    key: Key


class BatchRecordingDispatcher(Dispatcher):
    """Remembers each batch it was given, and makes the third record of the second batch (of
    three or more) the one the outage hits, so that the outage falls in the middle of a batch
    that follows a committed one."""

    def __init__(self, model: ReadModel) -> None:
        super().__init__(NoDeadLetters(), backoff_seconds=0.05)
        self.batches: list[list[Polled]] = []
        self._model = model

    async def dispatch(self, subscription: Subscription, msg: KafkaMessage) -> None:
        records = msg.raw_message if isinstance(msg.raw_message, tuple) else (msg.raw_message,)
        batch = [Polled(r.partition, r.offset, _key(r.value)) for r in records]
        self.batches.append(batch)
        followed_one = any(len(earlier) >= 3 for earlier in self.batches[:-1])
        if self._model.failing is None and len(batch) >= 3 and followed_one:
            self._model.failing = batch[2].key
        await super().dispatch(subscription, msg)


def _key(value: bytes) -> Key:
    document = json.loads(value)
    return document["aggregate_id"], document["aggregate_version"]


@pytest.fixture
async def topic(infra: Infra) -> AsyncIterator[str]:
    name = f"it.batch.{uuid.uuid4().hex[:8]}"
    await ensure_topics(infra.kafka_bootstrap, [name], partitions=3)
    producer = AIOKafkaProducer(bootstrap_servers=infra.kafka_bootstrap, enable_idempotence=True)
    await producer.start()
    try:
        for version in range(1, VERSIONS + 1):
            for k in range(KEYS):
                event = rating(f"prd-{k}", version)
                await producer.send(name, event.to_json_bytes(), key=event.aggregate_id.encode())
        await producer.flush()
    finally:
        await producer.stop()
    yield name


async def test_an_outage_mid_batch_commits_nothing_of_it_and_the_batch_comes_again(
    infra: Infra, topic: str
) -> None:
    model = ReadModel()
    dispatcher = BatchRecordingDispatcher(model)
    model.outage.set()
    group = f"{topic}.group"
    broker = _consuming(infra, group, Subscription(topic, {ProductRated: model.apply}), dispatcher)
    await broker.start()
    try:
        # Hit twice: the batch has come again, so whatever followed the first failure (a
        # commit or a rewind) is done.
        async with asyncio.timeout(60):
            await _until(lambda: _hit_twice(model))
        failing_batch = dispatcher.batches[-1]
        committed = await _committed(infra, group, topic)
        # Earlier batches are committed; of this one, nothing: each partition in it stays at
        # its first record.
        assert committed, "the batches before the failing one are committed"
        for partition, first in _first_offsets(failing_batch).items():
            assert committed.get(partition, 0) == first

        model.outage.clear()  # the store is back
        async with asyncio.timeout(60):
            await _until(lambda: _everything_applied(model))
            await _until(lambda: _all_committed(infra, group, topic))
    finally:
        await broker.stop()

    assert model.stored == {f"prd-{k}": VERSIONS for k in range(KEYS)}
    assert model.out_of_order == []
    assert all(len(batch) <= BATCH for batch in dispatcher.batches)
    # The records of the failing batch before the outage came again and were absorbed.
    prefix = [polled.key for polled in failing_batch[:2]]
    assert all(model.seen.count(key) >= 2 for key in prefix)
    assert dispatcher.duplicates >= len(prefix)
    assert dispatcher.handled == KEYS * VERSIONS + dispatcher.duplicates
    assert dispatcher.dead_lettered == 0


def _consuming(
    infra: Infra,
    group: str,
    subscription: Subscription,
    dispatcher: Dispatcher,
    broker: KafkaBroker | None = None,
) -> KafkaBroker:
    broker = broker or create_broker(ServiceSettings(kafka_bootstrap=infra.kafka_bootstrap))
    broker.include_router(consumer_router([subscription], dispatcher, group, batch_size=BATCH))
    return broker


# --- a batch whose end fails with an error that is not an outage --------------------------------

POISONED: Key = ("prd-2", 5)
# Over the store's 16 MiB document limit: the write is refused, however often it is made.
TOO_LARGE = 17 * 1024 * 1024


@pytest.fixture
async def db(infra: Infra) -> AsyncIterator[Database]:
    # One connection, as the services use on FerretDB (updates on two connections get lost).
    client = create_client(infra.mongo_url, max_pool_size=1)
    async with fresh_databases(client, "ocop_it_") as (db,):
        yield db


class HeldVersions:
    """Each product's newest version in a real collection. A batch's prefetch holds the writes
    and makes them once per product as it exits, like reporting's summaries; the write of
    POISONED carries a field over the document limit, so it fails, held or not."""

    def __init__(self, db: Database) -> None:
        self._collection = db["versions"]
        self._held: dict[str, list[Key]] | None = None  # one subscription: one batch at a time
        self.failed_ends = 0

    @contextlib.asynccontextmanager
    async def batch(self, events: Sequence[Event]) -> AsyncIterator[None]:
        self._held = {}
        try:
            yield
            held, self._held = self._held, None
            for product, keys in held.items():
                await self._write(product, keys)
        except Exception:
            self.failed_ends += 1
            raise
        finally:
            self._held = None

    async def apply(self, event: ProductRated) -> None:
        key = (event.aggregate_id, event.aggregate_version)
        if self._held is not None:
            self._held.setdefault(event.aggregate_id, []).append(key)
        else:
            await self._write(event.aggregate_id, [key])

    async def _write(self, product: str, keys: list[Key]) -> None:
        update: dict[str, Any] = {"$max": {"version": max(version for _, version in keys)}}
        if POISONED in keys:
            update["$set"] = {"notes": "x" * TOO_LARGE}
        await self._collection.update_one({"_id": product}, update, upsert=True)

    async def stored(self) -> dict[str, int]:
        return {doc["_id"]: doc["version"] async for doc in self._collection.find()}


async def test_a_batch_whose_end_is_refused_dead_letters_the_record_and_moves_on(
    infra: Infra, topic: str, db: Database
) -> None:
    await ensure_topics(infra.kafka_bootstrap, [dead_letter_topic(topic)], partitions=1)
    model = HeldVersions(db)
    group = f"{topic}.group"
    broker = create_broker(ServiceSettings(kafka_bootstrap=infra.kafka_bootstrap))
    dispatcher = Dispatcher(DeadLetterPublisher(broker, group), backoff_seconds=0.05)
    subscription = Subscription(topic, {ProductRated: model.apply}, prefetch=model.batch)
    _consuming(infra, group, subscription, dispatcher, broker)
    await broker.start()
    try:
        async with asyncio.timeout(60):
            await _until(lambda: _all_committed(infra, group, topic))
    finally:
        await broker.stop()

    assert model.failed_ends >= 1  # the poisoned record's batch did fail at its end
    assert await model.stored() == {f"prd-{k}": VERSIONS for k in range(KEYS)}
    ((headers, value),) = await _dead_letters(infra, topic)
    assert _key(value) == POISONED
    assert headers["x-original-topic"] == topic
    assert "DocumentTooLarge" in headers["x-dlq-reason"]
    counters = (dispatcher.handled, dispatcher.dead_lettered, dispatcher.duplicates)
    assert counters == (KEYS * VERSIONS - 1, 1, 0)


async def _dead_letters(infra: Infra, topic: str) -> list[tuple[dict[str, str], bytes]]:
    """What the dead-letter topic of ``topic`` holds (read for a few seconds)."""
    consumer = AIOKafkaConsumer(
        dead_letter_topic(topic),
        bootstrap_servers=infra.kafka_bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    letters: list[tuple[dict[str, str], bytes]] = []
    try:
        for _ in range(12):  # ~3 s: the letter was sent before the commit, so it is there
            batches = await consumer.getmany(timeout_ms=250)
            for record in (r for rs in batches.values() for r in rs):
                headers = {name: value.decode() for name, value in record.headers}
                letters.append((headers, record.value or b""))
    finally:
        await consumer.stop()
    return letters


def _first_offsets(batch: list[Polled]) -> dict[int, int]:
    first: dict[int, int] = {}
    for polled in batch:
        first[polled.partition] = min(polled.offset, first.get(polled.partition, polled.offset))
    return first


async def _committed(infra: Infra, group: str, topic: str) -> dict[int, int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=infra.kafka_bootstrap)
    await admin.start()
    try:
        offsets: dict[TopicPartition, Any] = await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()
    return {tp.partition: meta.offset for tp, meta in offsets.items() if tp.topic == topic}


async def _all_committed(infra: Infra, group: str, topic: str) -> bool:
    committed = await _committed(infra, group, topic)
    return sum(committed.values()) == KEYS * VERSIONS


async def _hit_twice(model: ReadModel) -> bool:
    return model.outage_hits >= 2


async def _everything_applied(model: ReadModel) -> bool:
    return sum(model.stored.values()) == KEYS * VERSIONS


async def _until(condition: Callable[[], Awaitable[bool]]) -> None:
    while not await condition():  # noqa: ASYNC110 - polls the consumer's and Kafka's state
        await asyncio.sleep(0.1)
