"""Promotion's newly-starred feed under a stream of ratings (issue #9), without the national load.

    uv run python bench/promotion_feed.py [--products 600] [--rate 100] [--subscriptions 0]

On a stack of its own (Kafka, FerretDB and promotion alone, started through its entrypoint),
2 × --products products and their producers are made known to promotion the way the registry
does it (EntityRegistered and ProductRegistered on ocop.registry.v1, until promotion's group has
handled them all). Then, on ocop.evaluation.v1 as evaluation publishes them, each product's first
certification (ProductRated 0→3★), which promotion turns into a feed entry (its `recorded_at`),
a ProductNewlyStarred through its outbox and a delivery per matching subscription:

  at rate   the first half's ratings offered at --rate per second: the feed latency per rating
            (`recorded_at` − the moment it was sent), p50 and p99, as bench/national.py measures
            "rating → feed"
  burst     the second half's published at once: ratings/s until promotion's group has
            committed them all (each handled, its feed entry written)
  raw       the baseline in the same run: the same rating payloads produced to a fresh topic
            and consumed with aiokafka ``getmany`` and one ``insert_many`` per batch of 10 (the
            consumers' default batch)

Prints the figures, the CPU time of promotion and of the store, and the machine's load; nothing
is asserted. To see where promotion spends its time, run it under py-spy (see
bench/evaluation_ingest.py) or with OCOP_MONGO_PROFILE set.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import httpx
from aiokafka import AIOKafkaProducer

from ocop_contracts import EntityRegistered, Event, ProductRated, ProductRegistered, topics, utc_now
from ocop_contracts.reference import communes_of
from ocop_contracts.vocabulary import LegalForm
from ocop_devstack.bench_stack import single_service_stack
from ocop_devstack.faults import burst_rating
from ocop_devstack.kafka_bench import KafkaWatch, raw_batches
from ocop_devstack.national_load import percentile
from ocop_devstack.services import ServiceStack
from ocop_platform.auth import ALL_PROVINCES, Role, mint_token
from ocop_platform.mongo import create_client
from ocop_platform.settings import DEV_JWT_SECRET

PROVINCE = "82"
RATED_YEAR = 2026
CONSUMER_BATCH = 10  # OCOP_CONSUMER_BATCH_SIZE's default
STALL_SECONDS = 120.0
NAMESPACE = "feed"


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (/proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def say(message: str) -> None:
    print(f"[promotion-feed] {message}", flush=True)


def known_product(product_id: str, commune: str, n: int) -> list[Event]:
    """The product's producer and the product, as the registry publishes them."""
    entity_id = f"e-{product_id}"
    entity = EntityRegistered(
        producer="registry",
        aggregate_id=entity_id,
        aggregate_version=1,
        province_code=PROVINCE,
        entity_id=entity_id,
        name=f"Hợp tác xã đo tốc độ số {n}",
        legal_form=LegalForm.COOPERATIVE,
        commune_code=commune,
    )
    product = ProductRegistered(
        producer="registry",
        aggregate_id=product_id,
        aggregate_version=1,
        province_code=PROVINCE,
        product_id=product_id,
        product_code=f"{PROVINCE}-{commune}-{n % 9999 + 1}-2026",
        name=f"Sản phẩm đo tốc độ số {n}",
        entity_id=entity_id,
        legal_form=LegalForm.COOPERATIVE,
        scoring_set_code="I.1.a",
        commune_code=commune,
    )
    return [entity, product]


async def publish(bootstrap: str, topic: str, events: Sequence[Event]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, linger_ms=5)
    await producer.start()
    try:
        for event in events:
            await producer.send(topic, event.to_json_bytes(), key=event.aggregate_id.encode())
        await producer.flush()
    finally:
        await producer.stop()


async def send_at_rate(bootstrap: str, ratings: Sequence[ProductRated], rate: float) -> list[float]:
    """Send each rating at its moment of a steady `rate`; the instants they were sent."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True)
    await producer.start()
    sent: list[float] = []
    started = time.monotonic()
    try:
        for i, rating in enumerate(ratings):
            await asyncio.sleep(max(0.0, started + i / rate - time.monotonic()))
            sent.append(utc_now().timestamp())
            key = rating.aggregate_id.encode()
            await producer.send(topics.EVALUATION, rating.to_json_bytes(), key=key)
        await producer.flush()
    finally:
        await producer.stop()
    return sent


async def until_handled(watch: KafkaWatch, group: str, topic: str, label: str) -> float:
    """Seconds until `group` has committed everything on `topic`; progress every 5 s."""
    started = printed = changed = time.monotonic()
    last = -1
    while (lag := await watch.lag(group, [topic])) > 0:
        if lag != last:
            last, changed = lag, time.monotonic()
        if time.monotonic() - changed > STALL_SECONDS:
            raise TimeoutError(f"{label}: {lag:,} still unhandled after {STALL_SECONDS:.0f} s")
        if time.monotonic() - printed >= 5:
            printed = time.monotonic()
            say(f"  {label}: {lag:,} to go ({time.monotonic() - started:,.0f} s)")
        await asyncio.sleep(0.1)
    return time.monotonic() - started


async def recorded_at(mongo_url: str, product_ids: Sequence[str]) -> dict[str, float]:
    """When promotion recorded each product's feed entry (its own clock, this machine's)."""
    client = create_client(mongo_url)
    try:
        feed = client[f"ocop_{NAMESPACE}_promotion"]["feed"]
        found = feed.find({"product_id": {"$in": list(product_ids)}}, {"recorded_at": 1})
        times: dict[str, float] = {}
        async for doc in found:
            at: datetime = doc["recorded_at"]
            at = at if at.tzinfo else at.replace(tzinfo=UTC)
            times[str(doc["_id"]).split(":")[0]] = at.timestamp()
        return times
    finally:
        await client.close()


async def subscribe(base: str, token: str, n: int) -> None:
    """`n` subscriptions to the feed, to a receiver that refuses connections (the deliveries are
    made and attempted; half of them match the ratings' province)."""
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"}) as http:
        for i in range(n):
            flt = {"province_codes": [PROVINCE] if i % 2 == 0 else ["01"]}
            body = {"name": f"bench {i}", "url": "http://127.0.0.1:9/none", "filter": flt}
            response = await http.post(f"{base}/subscriptions", json=body)
            response.raise_for_status()


async def measure(
    services: ServiceStack, store_pid: int, bootstrap: str, mongo_url: str, args: argparse.Namespace
) -> None:
    run = uuid.uuid4().hex[:6]
    ids = [f"feed-{run}-{i}" for i in range(2 * args.products)]
    at_rate, burst = ids[: args.products], ids[args.products :]
    communes = communes_of(PROVINCE)
    group = f"{services.env_for('promotion')['OCOP_CONSUMER_GROUP_PREFIX']}.promotion"
    if args.subscriptions:
        token = mint_token(DEV_JWT_SECRET, "bench", [Role.PROMOTION_TEAM], [ALL_PROVINCES])
        await subscribe(services.url("promotion"), token, args.subscriptions)
    async with KafkaWatch(bootstrap) as watch:
        say(f"registering {len(ids):,} products and producers (on {topics.REGISTRY})")
        known = [e for i, p in enumerate(ids) for e in known_product(p, communes[i % 6], i)]
        await publish(bootstrap, topics.REGISTRY, known)
        seconds = await until_handled(watch, group, topics.REGISTRY, "registrations")
        say(f"  {len(known):,} registry events handled in {seconds:,.1f} s")

        first = {p: burst_rating(p, PROVINCE, RATED_YEAR, 1) for p in ids}
        payloads = [first[p].to_json_bytes() for p in burst]
        raw = await raw_batches(bootstrap, mongo_url, payloads, CONSUMER_BATCH)
        say(f"  raw baseline: {len(payloads):,} in {raw:,.1f} s ({len(payloads) / raw:,.0f}/s)")

        pids = {"promotion": services.process("promotion").pid, "store": store_pid}
        say(f"offering {len(at_rate):,} ratings at {args.rate:g}/s")
        cpu = {name: cpu_seconds(pid) for name, pid in pids.items()}
        started = time.monotonic()
        sent = await send_at_rate(bootstrap, [first[p] for p in at_rate], args.rate)
        await until_handled(watch, group, topics.EVALUATION, "ratings at rate")
        rate_seconds = time.monotonic() - started
        rate_cpu = {name: cpu_seconds(pid) - cpu[name] for name, pid in pids.items()}
        times = await recorded_at(mongo_url, at_rate)
        delays = [times[p] - s for p, s in zip(at_rate, sent, strict=True) if p in times]

        say(f"publishing {len(burst):,} ratings at once")
        cpu = {name: cpu_seconds(pid) for name, pid in pids.items()}
        started = time.monotonic()
        await publish(bootstrap, topics.EVALUATION, [first[p] for p in burst])
        await until_handled(watch, group, topics.EVALUATION, "burst")
        burst_seconds = time.monotonic() - started
        burst_cpu = {name: cpu_seconds(pid) - cpu[name] for name, pid in pids.items()}
        in_feed = len(await recorded_at(mongo_url, burst))

    ms = [d * 1000 for d in delays]
    baseline = len(payloads) / raw
    handled = len(burst) / burst_seconds
    print(f"\npromotion's ProductRated handling, {args.subscriptions} subscriptions")
    print(
        f"  at {args.rate:g}/s offered: {len(delays):,} of {len(at_rate):,} in the feed, "
        f"rating → feed entry p50 {percentile(ms, 50):,.0f} ms, p99 {percentile(ms, 99):,.0f} ms "
        f"({rate_seconds:,.1f} s; CPU promotion {rate_cpu['promotion']:,.1f} s, "
        f"store {rate_cpu['store']:,.1f} s)"
    )
    print(
        f"  burst of {len(burst):,}: {handled:,.0f} ratings/s ({in_feed:,} in the feed, "
        f"{burst_seconds:,.1f} s; CPU promotion {burst_cpu['promotion']:,.1f} s, "
        f"store {burst_cpu['store']:,.1f} s)"
    )
    print(f"  raw getmany + insert_many per batch of {CONSUMER_BATCH}: {baseline:,.0f} events/s")
    print(f"  burst / raw: {handled / baseline:.3f}")
    print(f"  machine load average (1 min): {os.getloadavg()[0]:.1f} (2 cores; shared)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--products", type=int, default=600, help="ratings per phase")
    parser.add_argument("--rate", type=float, default=100.0, help="ratings/s offered")
    parser.add_argument("--subscriptions", type=int, default=0, help="feed subscriptions")
    args = parser.parse_args()
    with single_service_stack("promotion", namespace=NAMESPACE) as stack:
        store, kafka = stack.store, stack.kafka
        asyncio.run(
            measure(stack.services, store.process.pid, kafka.bootstrap, store.mongo_url, args)
        )


if __name__ == "__main__":
    main()
