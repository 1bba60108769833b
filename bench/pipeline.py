"""Benchmark of the walking-skeleton pipeline against raw aiokafka, in one run.

    ./dev bench [--events 2000]

Same N rating payloads through these paths, each on a fresh topic and database:
  raw-kafka              aiokafka: produce N (idempotent), consume N with batched getmany
                         (up to --batch records), committing once per batch; no store. The
                         baseline: what a plain Kafka consumer does.
  raw-kafka+store        the same, plus one insert per message into the document store
  raw-kafka/msg          aiokafka, committing after every message (getone); no store
  raw-kafka/msg+store    the same, plus one insert per message
  consumer               the platform's consumer alone (FastStream subscriber + Dispatcher, up
                         to --batch records per poll, one commit per batch) with the raw
                         paths' handler: one insert per message. Its cost over raw-kafka+store
                         is the platform's.
  consumer/msg           the same with a batch of 1: a commit after every message
  pipeline               the platform: N aggregates with the event in their outbox →
                         OutboxRelay (publish, then $pullAll) → FastStream subscriber +
                         Dispatcher (up to --batch records per poll, committed once after
                         handling them) → reporting's read model (one fact
                         per event id, in the province's fact collection)
It prints events/s of each path, the pipeline's two halves (relay drain; consume and store),
and the ratios against the batched baseline. Infrastructure as in the tests: env URLs, Docker,
or native processes.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord
from pymongo.asynchronous.collection import AsyncCollection

from ocop_contracts import ProductRated, RatingLevel, topics
from ocop_devstack.infra import InfraStack
from ocop_devstack.kafka_bench import from_the_start
from ocop_platform.consumer import Subscription, consumer_router
from ocop_platform.idempotency import insert_once
from ocop_platform.mongo import create_client
from ocop_platform.outbox import outbox_entries
from ocop_platform.runtime import build_infrastructure
from ocop_platform.settings import ServiceSettings
from ocop_platform.topics import ensure_topics
from ocop_reporting.adapters.facts import RATINGS, fact_collection
from ocop_reporting.adapters.projections import MongoProjections

Facts = AsyncCollection[dict[str, Any]]
PROVINCE = "82"  # a current (2025) code: reporting keeps its facts under it


def ratings(run: str, n: int) -> list[ProductRated]:
    return [
        ProductRated(
            producer="evaluation",
            aggregate_id=f"{run}-{i}",
            aggregate_version=1,
            province_code=PROVINCE,
            product_id=f"{run}-{i}",
            score=60.0,
            stars=3,
            level=RatingLevel.PROVINCE,
            rule_set_id="qd26-2026",
            rated_on=date(2026, 6, 1),
            scoring_set_code="I.1.a",
        )
        for i in range(n)
    ]


async def until(condition: Callable[[], Awaitable[bool]], poll: float = 0.05) -> None:
    while not await condition():  # noqa: ASYNC110 - polls other processes' state
        await asyncio.sleep(poll)


async def raw_kafka(
    bootstrap: str, payloads: list[bytes], mongo_url: str | None, batch: int | None
) -> float:
    """Seconds to produce and consume ``payloads``; ``batch`` None commits after each message."""
    topic = f"bench.raw.{uuid.uuid4().hex[:8]}"
    await ensure_topics(bootstrap, [topic], partitions=3)
    client = create_client(mongo_url) if mongo_url else None
    facts = client["ocop_bench_raw"][topic] if client else None
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, linger_ms=5)
    consumer = from_the_start(bootstrap, [topic], group=topic)
    await producer.start()
    await consumer.start()
    started = time.perf_counter()
    try:
        sends = [await producer.send(topic, p, key=str(i).encode()) for i, p in enumerate(payloads)]
        await asyncio.gather(*sends)
        consume = _consume_batches if batch else _consume_one_by_one
        await consume(consumer, facts, len(payloads), batch or 1)
        return time.perf_counter() - started
    finally:
        await producer.stop()
        await consumer.stop()
        if client is not None:
            await client.drop_database("ocop_bench_raw")
            await client.close()


async def _consume_one_by_one(
    consumer: AIOKafkaConsumer, facts: Facts | None, n: int, _: int
) -> None:
    seen = 0
    async for record in consumer:
        await _store(facts, record)
        await consumer.commit()
        seen += 1
        if seen == n:
            return


async def _consume_batches(
    consumer: AIOKafkaConsumer, facts: Facts | None, n: int, batch: int
) -> None:
    seen = 0
    while seen < n:
        fetched = await consumer.getmany(timeout_ms=100, max_records=batch)
        records = [record for partition in fetched.values() for record in partition]
        for record in records:
            await _store(facts, record)
        if records:
            await consumer.commit()
        seen += len(records)


async def _store(facts: Facts | None, record: ConsumerRecord[bytes, bytes]) -> None:
    if facts is not None:  # one write per message, like the pipeline's handler
        await facts.insert_one({"_id": f"{record.partition}:{record.offset}"})


async def platform_consumer(
    bootstrap: str, mongo_url: str, payloads: list[bytes], batch: int
) -> float:
    """Seconds to produce ``payloads`` and store one fact per message through the platform's
    consumer (routing, parsing, retries, commits) with ``batch`` records per poll."""
    name = f"benchconsumer{uuid.uuid4().hex[:8]}"
    topic = f"bench.{name}"
    await ensure_topics(bootstrap, [topic, f"{topic}.dlq"], partitions=3)
    settings = ServiceSettings(service_name=name, kafka_bootstrap=bootstrap, mongo_url=mongo_url)
    infra = build_infrastructure(settings, outbox_collections=[])
    facts = infra.db["facts"]

    async def store(event: ProductRated) -> None:
        await insert_once(facts, {"_id": str(event.event_id)})

    subscription = Subscription(topic, {ProductRated: store})
    infra.broker.include_router(
        consumer_router([subscription], infra.dispatcher, settings.consumer_group, batch_size=batch)
    )
    await infra.broker.start()
    started = time.perf_counter()
    try:
        for i, payload in enumerate(payloads):
            await infra.broker.publish(payload, topic, key=str(i).encode(), no_confirm=True)
        await until(lambda: _at_least(facts.estimated_document_count(), len(payloads)))
        return time.perf_counter() - started
    finally:
        await infra.broker.stop()
        await infra.client.drop_database(settings.mongo_db)
        await infra.client.close()


async def pipeline(
    bootstrap: str, mongo_url: str, events: list[ProductRated], batch: int
) -> tuple[float, float]:
    """(seconds until the outbox is drained, seconds until every fact is stored)."""
    name = f"bench{uuid.uuid4().hex[:6]}"
    settings = ServiceSettings(
        service_name=name,
        kafka_bootstrap=bootstrap,
        mongo_url=mongo_url,
        relay_batch_size=500,
        consumer_batch_size=batch,
    )
    infra = build_infrastructure(settings, outbox_collections=["ratings_outbox"])
    projections = MongoProjections(infra.db)
    subscription = Subscription(topics.EVALUATION, {ProductRated: projections.record_rating})
    infra.broker.include_router(
        consumer_router(
            [subscription],
            infra.dispatcher,
            settings.consumer_group,
            batch_size=settings.consumer_batch_size,
        )
    )
    await ensure_topics(bootstrap, [topics.EVALUATION, f"{topics.EVALUATION}.dlq"], partitions=3)
    # What the use cases leave behind: one document per aggregate, its event inside it.
    outbox = infra.db["ratings_outbox"]
    await outbox.insert_many(
        [{"_id": e.aggregate_id, "outbox": outbox_entries([e])} for e in events]
    )
    await infra.broker.start()
    # Reporting keeps one fact collection per province; every rating here is PROVINCE's.
    facts = infra.db[fact_collection(RATINGS, PROVINCE)]
    started = time.perf_counter()
    relay = asyncio.create_task(infra.relay.run_forever())
    try:
        await until(lambda: _relay_done(infra.relay, len(events)))
        drained = time.perf_counter() - started
        # A fresh database: its fact count is this run's. (A full count is cheap; a filtered
        # one is a scan on FerretDB.)
        await until(lambda: _at_least(facts.estimated_document_count(), len(events)))
        return drained, time.perf_counter() - started
    finally:
        relay.cancel()
        await infra.broker.stop()
        await infra.client.drop_database(settings.mongo_db)
        await infra.client.close()


async def _relay_done(relay: object, n: int) -> bool:
    return getattr(relay, "published", 0) >= n


async def _at_least(count: Awaitable[int], n: int) -> bool:
    return await count >= n


async def main(n: int, batch: int) -> None:
    with InfraStack(kafka_partitions=3) as infra:
        events = ratings(f"bench{uuid.uuid4().hex[:6]}", n)
        payloads = [e.to_json_bytes() for e in events]
        seconds = {
            "raw-kafka": await raw_kafka(infra.kafka_bootstrap, payloads, None, batch),
            "raw-kafka+store": await raw_kafka(
                infra.kafka_bootstrap, payloads, infra.mongo_url, batch
            ),
            "raw-kafka/msg": await raw_kafka(infra.kafka_bootstrap, payloads, None, None),
            "raw-kafka/msg+store": await raw_kafka(
                infra.kafka_bootstrap, payloads, infra.mongo_url, None
            ),
            "consumer": await platform_consumer(
                infra.kafka_bootstrap, infra.mongo_url, payloads, batch
            ),
            "consumer/msg": await platform_consumer(
                infra.kafka_bootstrap, infra.mongo_url, payloads, 1
            ),
        }
        drained, seconds["pipeline"] = await pipeline(
            infra.kafka_bootstrap, infra.mongo_url, events, batch
        )
    rate = {name: n / value for name, value in seconds.items()}
    print(f"\n{n} events, batches of up to {batch}, infrastructure mode {infra.mode}")
    print(f"  (store: {infra.mongo_url})")
    for name, value in rate.items():
        print(f"  {name:<20} {value:10.0f} events/s")
    print(f"  pipeline relay drained the outbox in {drained:.2f}s ({n / drained:.0f} events/s)")
    for path, baseline in [
        ("consumer", "raw-kafka+store"),
        ("consumer/msg", "raw-kafka/msg+store"),
        ("pipeline", "raw-kafka"),
        ("pipeline", "raw-kafka+store"),
    ]:
        print(f"  {path + ' / ' + baseline:<34} = {rate[path] / rate[baseline]:.3f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=10, help="records per poll and commit")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.events, arguments.batch))
