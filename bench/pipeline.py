"""Benchmark of the walking-skeleton pipeline against raw aiokafka, in one run.

    ./dev bench [--events 5000]

Pipeline: N ratings sit in aggregates' outboxes → OutboxRelay publishes them (idempotent producer,
acks=all) → a FastStream subscriber with the platform Dispatcher (commit after handling) → the
reporting read model stores one fact per event. Baselines with the same payloads:
  raw-kafka         aiokafka produce N, consume N (commit per message), no store
  raw-kafka+store   same, plus one insert per message into the same store
Prints events/s of each and the ratios. Infrastructure as in the tests (env URLs, Docker, or
native processes).
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from datetime import date

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from ocop_contracts import ProductRated, RatingLevel, topics
from ocop_devstack.infra import InfraStack
from ocop_platform.consumer import Subscription, consumer_router
from ocop_platform.mongo import create_client
from ocop_platform.outbox import outbox_entries
from ocop_platform.runtime import build_infrastructure
from ocop_platform.settings import ServiceSettings
from ocop_platform.topics import ensure_topics
from ocop_reporting.adapters.repository import RATINGS, MongoReportingRepository


def ratings(run: str, n: int) -> list[ProductRated]:
    return [
        ProductRated(
            producer="evaluation",
            aggregate_id=f"{run}-{i}",
            aggregate_version=1,
            province_code="82",
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


async def raw_kafka(bootstrap: str, payloads: list[bytes], mongo_url: str | None) -> float:
    topic = f"bench.raw.{uuid.uuid4().hex[:8]}"
    await ensure_topics(bootstrap, [topic], partitions=3)
    client = create_client(mongo_url) if mongo_url else None
    facts = client["ocop_bench_raw"][topic] if client else None
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, linger_ms=5)
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=topic,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await producer.start()
    await consumer.start()
    started = time.perf_counter()
    try:
        futures = [
            await producer.send(topic, p, key=str(i).encode()) for i, p in enumerate(payloads)
        ]
        await asyncio.gather(*futures)
        seen = 0
        async for record in consumer:
            if facts is not None:
                await facts.insert_one(
                    {"_id": f"{record.partition}:{record.offset}", "v": record.value}
                )
            await consumer.commit()
            seen += 1
            if seen == len(payloads):
                break
        return time.perf_counter() - started
    finally:
        await producer.stop()
        await consumer.stop()
        if client is not None:
            await client.close()


async def pipeline(bootstrap: str, mongo_url: str, events: list[ProductRated]) -> float:
    settings = ServiceSettings(
        service_name=f"bench{uuid.uuid4().hex[:6]}",
        kafka_bootstrap=bootstrap,
        mongo_url=mongo_url,
        relay_batch_size=1000,
    )
    infra = build_infrastructure(settings, outbox_collections=["ratings_outbox"])
    repository = MongoReportingRepository(infra.db)
    infra.broker.include_router(
        consumer_router(
            [Subscription(topics.EVALUATION, {ProductRated: repository.record_rating})],
            infra.dispatcher,
            settings.consumer_group,
        )
    )
    await ensure_topics(bootstrap, [topics.EVALUATION, f"{topics.EVALUATION}.dlq"], partitions=3)
    # The use cases' side of the outbox: one document per aggregate, events inside it.
    await infra.db["ratings_outbox"].insert_many(
        [{"_id": e.aggregate_id, "outbox": outbox_entries([e])} for e in events]
    )
    await infra.broker.start()
    started = time.perf_counter()
    relay = asyncio.create_task(infra.relay.run_forever())
    run_prefix = events[0].product_id.rsplit("-", 1)[0]
    try:
        while await infra.db[RATINGS].count_documents(  # noqa: ASYNC110 - polls the store
            {"product_id": {"$regex": f"^{run_prefix}-"}}
        ) < len(events):
            await asyncio.sleep(0.05)
        return time.perf_counter() - started
    finally:
        relay.cancel()
        await infra.broker.stop()
        await infra.client.close()


async def main(n: int) -> None:
    with InfraStack(kafka_partitions=3) as infra:
        run = f"bench{uuid.uuid4().hex[:6]}"
        events = ratings(run, n)
        payloads = [e.to_json_bytes() for e in events]
        raw = await raw_kafka(infra.kafka_bootstrap, payloads, None)
        raw_store = await raw_kafka(infra.kafka_bootstrap, payloads, infra.mongo_url)
        ours = await pipeline(infra.kafka_bootstrap, infra.mongo_url, events)
    rate = {
        name: n / secs
        for name, secs in (("raw-kafka", raw), ("raw-kafka+store", raw_store), ("pipeline", ours))
    }
    print(f"\n{n} events, infrastructure mode {infra.mode}")
    for name, value in rate.items():
        print(f"  {name:<16} {value:10.0f} events/s")
    print(f"  pipeline / raw-kafka        = {rate['pipeline'] / rate['raw-kafka']:.3f}")
    print(f"  pipeline / raw-kafka+store  = {rate['pipeline'] / rate['raw-kafka+store']:.3f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=5000)
    asyncio.run(main(parser.parse_args().events))
