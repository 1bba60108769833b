"""Evaluation's ingest throughput (issue #9), without the national load.

    uv run python bench/evaluation_ingest.py [--products 2000] [--ratings 1000]

On a stack of its own (Kafka, FerretDB and evaluation alone, started through its entrypoint),
--products products are made known to evaluation the way the registry does it (their
ProductRegistered on ocop.registry.v1, until evaluation's group has handled them all), then
--ratings province systems' first ratings of as many of them are published at once on
evaluation's ingest topic, and the run measures until evaluation has re-emitted every one as a
canonical ProductRated on ocop.evaluation.v1 (checks, source-rating record, product save with
its outbox, relay, Kafka). In the same run, the raw baseline: the same rating payloads produced
to a fresh topic and consumed with aiokafka ``getmany`` and one ``insert_many`` per batch of 10
(the consumers' default). Prints both rates and their ratio; nothing is asserted.

To see where evaluation spends its time, run it under py-spy (no root needed: py-spy is the
services' ancestor):

    uv run --with py-spy py-spy record --subprocesses --format raw -o /tmp/ingest.txt -- \\
        python bench/evaluation_ingest.py
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

from aiokafka import AIOKafkaProducer

from ocop_contracts import Event, ProductRegistered, topics
from ocop_contracts.reference import communes_of
from ocop_devstack.bench_stack import single_service_stack
from ocop_devstack.faults import province_rating
from ocop_devstack.kafka_bench import KafkaWatch, raw_batches
from ocop_devstack.services import ServiceStack

PROVINCE = "01"
RATED_YEAR = 2026  # the ratings are of 1 June of that year
CONSUMER_BATCH = 10  # OCOP_CONSUMER_BATCH_SIZE's default
STALL_SECONDS = 120.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (/proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def say(message: str) -> None:
    print(f"[evaluation-ingest] {message}", flush=True)


def registered(product_id: str, commune: str, n: int) -> ProductRegistered:
    return ProductRegistered(
        producer="registry",
        aggregate_id=product_id,
        aggregate_version=1,
        province_code=PROVINCE,
        product_id=product_id,
        product_code=f"{PROVINCE}-{commune}-{n % 9999 + 1}-2026",
        name=f"Sản phẩm đo tốc độ số {n}",
        entity_id=f"e-{product_id}",
        legal_form="cooperative",
        scoring_set_code="I.3.d",
        commune_code=commune,
    )


async def publish(bootstrap: str, topic: str, events: Sequence[Event]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, linger_ms=5)
    await producer.start()
    try:
        for event in events:
            await producer.send(topic, event.to_json_bytes(), key=event.aggregate_id.encode())
        await producer.flush()
    finally:
        await producer.stop()


async def poll(label: str, total: int, seen: Callable[[], Awaitable[int]]) -> float:
    """Seconds until ``seen()`` reaches ``total``; prints progress every 5 s."""
    started = printed = changed = time.monotonic()
    last = -1
    while True:
        now = await seen()
        if now >= total:
            return time.monotonic() - started
        if now != last:
            last, changed = now, time.monotonic()
        if time.monotonic() - changed > STALL_SECONDS:
            raise TimeoutError(f"{label}: still {now:,} of {total:,} after {STALL_SECONDS:.0f} s")
        if time.monotonic() - printed >= 5:
            printed = time.monotonic()
            say(f"  {label}: {now:,}/{total:,} ({time.monotonic() - started:,.0f} s)")
        await asyncio.sleep(0.1)


async def measure(
    services: ServiceStack, store_pid: int, bootstrap: str, mongo_url: str, args: argparse.Namespace
) -> None:
    run = uuid.uuid4().hex[:6]
    ids = [f"ing-{run}-{i}" for i in range(args.products)]
    communes = communes_of(PROVINCE)
    group = f"{services.env_for('evaluation')['OCOP_CONSUMER_GROUP_PREFIX']}.evaluation"
    async with KafkaWatch(bootstrap) as watch:
        say(f"registering {len(ids):,} products (ProductRegistered on {topics.REGISTRY})")
        products = [registered(p, communes[i % len(communes)], i) for i, p in enumerate(ids)]
        await publish(bootstrap, topics.REGISTRY, products)

        async def registrations_handled() -> int:
            return len(ids) - await watch.lag(group, [topics.REGISTRY])

        seconds = await poll("registrations handled", len(ids), registrations_handled)
        say(f"  {len(ids):,} registrations handled in {seconds:,.1f} s")

        ratings = [province_rating(p, PROVINCE, RATED_YEAR) for p in ids[: args.ratings]]
        payloads = [r.to_json_bytes() for r in ratings]
        raw = await raw_batches(bootstrap, mongo_url, payloads, CONSUMER_BATCH)
        say(f"  raw baseline: {len(payloads):,} in {raw:,.1f} s ({len(payloads) / raw:,.0f}/s)")

        before = await watch.size([topics.EVALUATION])
        dead_before = await watch.size([topics.dead_letter_topic(topics.INGEST_EVALUATION)])
        pids = {"evaluation": services.process("evaluation").pid, "store": store_pid}
        cpu = {name: cpu_seconds(pid) for name, pid in pids.items()}
        started = time.monotonic()
        await publish(bootstrap, topics.INGEST_EVALUATION, ratings)

        async def re_emitted() -> int:
            return await watch.size([topics.EVALUATION]) - before

        await poll("ratings re-emitted", len(ratings), re_emitted)
        seconds = time.monotonic() - started
        cpu = {name: cpu_seconds(pid) - cpu[name] for name, pid in pids.items()}
        dead = await watch.size([topics.dead_letter_topic(topics.INGEST_EVALUATION)]) - dead_before
    ingest, baseline = len(ratings) / seconds, len(payloads) / raw
    print(f"\nevaluation's ingest: {len(ratings):,} province ratings of {len(ids):,} products")
    print(f"  raw getmany + insert_many per batch of {CONSUMER_BATCH}  {baseline:9,.0f} events/s")
    print(
        f"  evaluation's ingest (checked, re-emitted)     {ingest:9,.0f} events/s"
        f"  ({seconds:,.1f} s)"
    )
    print(f"  ingest / raw                                  {ingest / baseline:9.3f}")
    print(f"  dead-lettered                                 {dead:9,}")
    print(
        f"  CPU during the ingest: evaluation {cpu['evaluation']:,.1f} s, "
        f"store {cpu['store']:,.1f} s ({seconds:,.1f} s elapsed)"
    )
    print(f"  machine load average (1 min): {os.getloadavg()[0]:.1f} (2 cores; shared)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--products", type=int, default=2000, help="products evaluation knows")
    parser.add_argument("--ratings", type=int, default=1000, help="ratings published at once")
    args = parser.parse_args()
    args.ratings = min(args.ratings, args.products)
    with single_service_stack("evaluation", namespace="ingest") as stack:
        store, kafka = stack.store, stack.kafka
        asyncio.run(
            measure(stack.services, store.process.pid, kafka.bootstrap, store.mongo_url, args)
        )


if __name__ == "__main__":
    main()
