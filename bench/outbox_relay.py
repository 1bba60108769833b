"""Benchmark of the outbox relay: idle cost and drain rate as the collection grows, in one run.

    uv run python bench/outbox_relay.py [--sizes 2000 20000] [--pending 500] [--idle-passes 5]

For each size, a fresh database holds one aggregate collection of SIZE documents with nothing
pending plus PENDING documents with one event each (written with insert_many_with_events, so
they are marked), and three relays are timed against the same store and the same Kafka:
  raw publish     the PENDING records built in memory, sent with the relay's sink (idempotent
                  producer, acks=all): the baseline, no store at all
  scan (before)   the relay as it was: every pass finds {"outbox.0": {"$exists": true}} in the
                  whole collection (a scan on FerretDB), publishes, then one update_many $pullAll
  markers (after) OutboxRelay.drain_marked: reads a batch of markers, loads the marked aggregates
                  by _id, publishes, pulls each by _id
For each it prints the time of one idle pass (nothing pending: what the relay costs every
OCOP_RELAY_POLL_SECONDS, and the share of its time a relay polling twice a second spends on
it) and the events/s of draining PENDING events. It also prints the time of the markers
relay's full sweep over the idle collection: the safety net it runs at start-up and every
OCOP_OUTBOX_SWEEP_SECONDS.
Infrastructure as in the tests: env URLs, Docker, or native processes.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import date

from faststream.kafka import KafkaBroker

from ocop_contracts import ProductRated, RatingLevel, topics
from ocop_devstack.infra import InfraStack
from ocop_platform.kafka import KafkaRecordSink, create_broker
from ocop_platform.mongo import Database, Document, create_client, is_ferretdb
from ocop_platform.outbox import (
    OUTBOX_FIELD,
    PENDING_COLLECTION,
    OutboxRecord,
    OutboxRelay,
    insert_many_with_events,
    outbox_entries,
)
from ocop_platform.settings import ServiceSettings
from ocop_platform.topics import ensure_topics

AGGREGATES = "products"
BATCH = 500  # the relay's default OCOP_RELAY_BATCH_SIZE
POLL_SECONDS = 0.5  # the relay's default OCOP_RELAY_POLL_SECONDS


def rating(product_id: str) -> ProductRated:
    return ProductRated(
        producer="evaluation",
        aggregate_id=product_id,
        aggregate_version=1,
        province_code="82",
        product_id=product_id,
        score=72.5,
        stars=4,
        previous_stars=3,
        level=RatingLevel.PROVINCE,
        rule_set_id="qd26-2026",
        rated_on=date(2026, 6, 1),
        scoring_set_code="I.1.a",
    )


def idle_document(i: int) -> Document:
    """A product-sized document with nothing pending (about 600 bytes, like registry's)."""
    return {
        "_id": f"prd-idle-{i:06d}",
        "name": f"Sản phẩm OCOP số {i} — đặc sản vùng Đồng Tháp",
        "province_code": f"{i % 34:02d}",
        "commune_code": f"{i % 3321:05d}",
        "entity_id": f"ent-{i // 4:06d}",
        "description": "Mô tả sản phẩm " * 20,
        "stars": i % 6,
        "version": 3,
        OUTBOX_FIELD: [],
    }


async def fill(db: Database, size: int) -> None:
    docs = [idle_document(i) for i in range(size)]
    for start in range(0, size, 1000):
        await db[AGGREGATES].insert_many(docs[start : start + 1000])


async def add_pending(db: Database, run: str, n: int) -> list[ProductRated]:
    events = [rating(f"prd-{run}-{i:05d}") for i in range(n)]
    docs = [
        {**idle_document(i), "_id": e.aggregate_id, OUTBOX_FIELD: outbox_entries([e])}
        for i, e in enumerate(events)
    ]
    await insert_many_with_events(db[AGGREGATES], docs)
    return events


class ScanRelay:
    """The relay before pending markers (libs/platform outbox.py up to 509c65c), for comparison."""

    def __init__(self, db: Database, sink: KafkaRecordSink) -> None:
        self._db = db
        self._sink = sink

    async def publish_pending(self) -> int:
        collection = self._db[AGGREGATES]
        cursor = collection.find({f"{OUTBOX_FIELD}.0": {"$exists": True}}, {OUTBOX_FIELD: 1})
        docs: list[Document] = await cursor.limit(BATCH).to_list()
        if not docs:
            return 0
        read = [entry for doc in docs for entry in doc[OUTBOX_FIELD]]
        await self._sink.send_batch([record(entry) for entry in read])
        await collection.update_many(
            {"_id": {"$in": [doc["_id"] for doc in docs]}}, {"$pullAll": {OUTBOX_FIELD: read}}
        )
        return len(read)


def record(entry: Document) -> OutboxRecord:
    return OutboxRecord(
        entry["event_id"],
        entry["topic"],
        entry["key"],
        entry["type"],
        entry["value"].encode(),
        entry["correlation_id"],
    )


async def seconds(action: Callable[[], Awaitable[object]]) -> float:
    started = time.perf_counter()
    await action()
    return time.perf_counter() - started


async def idle_pass(one_pass: Callable[[], Awaitable[int]], passes: int) -> float:
    """Median seconds of one pass that finds nothing."""
    times = []
    for _ in range(passes):
        started = time.perf_counter()
        assert await one_pass() == 0, "the idle pass found something"
        times.append(time.perf_counter() - started)
    return statistics.median(times)


async def drain_rate(db: Database, one_pass: Callable[[], Awaitable[int]], n: int) -> float:
    """Events/s of passes until n pending events are out (markers left by the scan removed)."""
    await add_pending(db, uuid.uuid4().hex[:6], n)
    started = time.perf_counter()
    sent = 0
    while sent < n:
        published = await one_pass()
        assert published, f"a pass found nothing with {n - sent} events still pending"
        sent += published
    rate = sent / (time.perf_counter() - started)
    await db[PENDING_COLLECTION].delete_many({})  # the scan relay does not read them
    return rate


async def measure(db: Database, broker: KafkaBroker, size: int, pending: int, passes: int) -> None:
    sink = KafkaRecordSink(broker)
    await fill(db, size)
    raw = [record(e) for e in outbox_entries([rating(f"prd-raw-{i}") for i in range(pending)])]
    await sink.send_batch(raw[:1])  # warm up: the producer fetches the topic's metadata once
    raw_rate = pending / await seconds(lambda: sink.send_batch(raw))

    scan = ScanRelay(db, sink)
    markers = OutboxRelay(db, [AGGREGATES], sink, batch_size=BATCH)
    figures = {
        "scan (before)": (
            await idle_pass(scan.publish_pending, passes),
            await drain_rate(db, scan.publish_pending, pending),
        ),
        "markers (after)": (
            await idle_pass(markers.drain_marked, passes),
            await drain_rate(db, markers.drain_marked, pending),
        ),
    }
    sweep = await seconds(markers.sweep)
    total = await db[AGGREGATES].estimated_document_count()
    print(f"\n{total:,} documents, {pending} of them with one pending event each in the runs")
    print(f"  {'relay':<17} {'idle pass':>10} {'busy at 2/s':>12} {'drain ev/s':>11} {'vs raw':>7}")
    print(f"  {'raw publish':<17} {'':>10} {'':>12} {raw_rate:>11,.0f} {1:>7.2f}")
    for name, (idle, rate) in figures.items():
        # The share of its time an idle relay polling twice a second spends on the store.
        busy = "always" if idle >= POLL_SECONDS else f"{idle / POLL_SECONDS:.0%}"
        print(
            f"  {name:<17} {idle * 1000:>8.1f}ms {busy:>12} {rate:>11,.0f} {rate / raw_rate:>7.2f}"
        )
    print(f"  markers: one full sweep (start-up, then every 300 s) {sweep * 1000:,.0f} ms")


async def run(mongo_url: str, bootstrap: str, sizes: list[int], pending: int, passes: int) -> None:
    await ensure_topics(bootstrap, [topics.EVALUATION])
    broker = create_broker(ServiceSettings(kafka_bootstrap=bootstrap))
    await broker.start()
    client = create_client(mongo_url, max_pool_size=1)  # one connection, as the services use
    try:
        store = "FerretDB" if await is_ferretdb(client["admin"]) else "MongoDB"
        print(f"store: {store} at {mongo_url}; Kafka at {bootstrap}; relay batch {BATCH}")
        for size in sizes:
            name = f"bench_relay_{uuid.uuid4().hex[:6]}"
            try:
                await measure(client[name], broker, size, pending, passes)
            finally:
                await client.drop_database(name)
    finally:
        await client.close()
        await broker.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 20000])
    parser.add_argument("--pending", type=int, default=500)
    parser.add_argument("--idle-passes", type=int, default=5)
    args = parser.parse_args()
    with InfraStack() as infra:
        asyncio.run(
            run(infra.mongo_url, infra.kafka_bootstrap, args.sizes, args.pending, args.idle_passes)
        )


if __name__ == "__main__":
    main()
