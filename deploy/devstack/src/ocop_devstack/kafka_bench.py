"""Kafka-side instruments of the benchmarks: how far a running stack's consumers have got, and
the raw baselines (aiokafka and the store, no platform code) the platform is measured against.

- :class:`KafkaWatch`: topic sizes and each consumer group's lag (end offset minus committed
  offset, summed over partitions). The platform commits after handling, so a lag of 0 means
  every record was handled.
- :func:`raw_batches`: produce payloads to a fresh topic, consume them with ``getmany`` and one
  ``insert_many`` per batch.
- :func:`raw_replay`: read topics from offset 0 and insert each message's JSON as one document:
  the floor for rebuilding a read model from the topics.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Sequence
from types import TracebackType

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from ocop_devstack.national_load import parse
from ocop_platform.mongo import create_client
from ocop_platform.topics import ensure_topics


class KafkaWatch:
    """Reads end offsets and committed offsets of a running stack, without joining a group."""

    def __init__(self, bootstrap: str) -> None:
        self._admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False
        )

    async def __aenter__(self) -> KafkaWatch:
        await self._admin.start()
        await self._consumer.start()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._consumer.stop()
        await self._admin.close()

    async def partitions(self, topics: Sequence[str]) -> list[TopicPartition]:
        # The public partitions_for_topic only knows topics the consumer has metadata for.
        cluster = await self._consumer._client.fetch_all_metadata()
        return [
            TopicPartition(topic, p)
            for topic in topics
            for p in sorted(cluster.partitions_for_topic(topic) or ())
        ]

    async def ends(self, topics: Sequence[str]) -> dict[TopicPartition, int]:
        tps = await self.partitions(topics)
        return dict(await self._consumer.end_offsets(tps)) if tps else {}

    async def size(self, topics: Sequence[str]) -> int:
        """Records ever written to the topics (nothing is deleted in a benchmark's life)."""
        return sum((await self.ends(topics)).values())

    async def lag(self, group: str, topics: Sequence[str]) -> int:
        ends = await self.ends(topics)
        committed = await self._admin.list_consumer_group_offsets(group)
        done = {tp: meta.offset for tp, meta in committed.items() if meta.offset >= 0}
        # Ends are read first: a record published and handled meanwhile must not count below 0.
        return sum(max(0, end - done.get(tp, 0)) for tp, end in ends.items())


def from_the_start(
    bootstrap: str, topics: Sequence[str], group: str | None = None
) -> AIOKafkaConsumer:
    """A consumer of ``topics`` that starts at their first record and commits only when told
    (``group`` None: no group, nothing committed)."""
    return AIOKafkaConsumer(
        *topics,
        bootstrap_servers=bootstrap,
        group_id=group,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )


async def _produce(bootstrap: str, topic: str, payloads: Sequence[bytes]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, linger_ms=5)
    await producer.start()
    try:
        sends = [await producer.send(topic, p, key=str(i).encode()) for i, p in enumerate(payloads)]
        await asyncio.gather(*sends)
    finally:
        await producer.stop()


async def raw_batches(
    bootstrap: str, mongo_url: str, payloads: Sequence[bytes], batch: int
) -> float:
    """Seconds to produce ``payloads`` to a fresh topic and store them back: ``getmany`` of up
    to ``batch`` records, one ``insert_many`` of their JSON and one commit per batch."""
    topic = f"bench.raw.{uuid.uuid4().hex[:8]}"
    await ensure_topics(bootstrap, [topic], partitions=3)
    client = create_client(mongo_url)
    facts = client["ocop_bench_raw"][topic]
    consumer = from_the_start(bootstrap, [topic], group=topic)
    await consumer.start()
    started = time.perf_counter()
    try:
        await _produce(bootstrap, topic, payloads)
        stored = 0
        while stored < len(payloads):
            fetched = await consumer.getmany(timeout_ms=100, max_records=batch)
            documents = [parse(r.value) for records in fetched.values() for r in records]
            if documents:
                await facts.insert_many(documents)
                await consumer.commit()
            stored += len(documents)
        return time.perf_counter() - started
    finally:
        await consumer.stop()
        await client.drop_database("ocop_bench_raw")
        await client.close()


async def raw_replay(bootstrap: str, mongo_url: str, db: str, names: list[str]) -> float:
    """Floor of a rebuild: read every message from offset 0, insert its JSON as one document."""
    client = create_client(mongo_url)
    facts = client[db]["raw"]
    await facts.drop()
    consumer = from_the_start(bootstrap, names)
    await consumer.start()
    started = time.perf_counter()
    try:
        while not consumer.assignment():  # noqa: ASYNC110 - waiting for the assignment
            await asyncio.sleep(0.05)
        ends = await consumer.end_offsets(list(consumer.assignment()))
        remaining = {tp: end for tp, end in ends.items() if end > 0}
        while remaining:
            batches = await consumer.getmany(timeout_ms=1000, max_records=2000)
            for tp, records in batches.items():
                for record in records:
                    await facts.insert_one(parse(record.value))
                if records and records[-1].offset + 1 >= remaining.get(tp, 0):
                    remaining.pop(tp, None)
        return time.perf_counter() - started
    finally:
        await consumer.stop()
        await client.drop_database(db)
        await client.close()
