"""Reporting's rebuild from offset 0 against a raw replay of the same topics (issue #9: ≤ 2×).

    uv run python bench/reporting_rebuild.py [--scale 0.1] [--repeat 1] [--without-old-units]

Produces the fact events the services emit for the national data set
(ocop_devstack.national_events: registrations, ratings, proposals, certificates, renewals due,
expiries, online listings; facts before 1 July 2025 with the products' old units) straight to
topics of its own — no services run, so it takes minutes where bench/national.py takes a
quarter of an hour to load — then, in the same run and on the same store:
  raw replay   aiokafka reads the topics from offset 0 and inserts each message's JSON as one
               document (ocop_devstack.kafka_bench.raw_replay): the floor
  rebuild      ocop_reporting.rebuild (`ocop-reporting-rebuild`): drop the read models, replay
               every topic through reporting's handlers
and prints both, their events/s and the ratio. `--repeat` measures both again on the same
topics (the machine is shared: the spread says how much to trust one figure).
`--without-old-units` emits the facts without the products' legacy units, as the generator gave
them before (every fact before the merger in a merged province is then `old_unit_unknown`).
Infrastructure as in the tests: env URLs, Docker, or native processes.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid

from aiokafka import AIOKafkaProducer

from ocop_contracts import topics
from ocop_devstack.infra import InfraStack
from ocop_devstack.kafka_bench import raw_replay
from ocop_devstack.national import generate
from ocop_devstack.national_events import Fact, fact_events
from ocop_platform.mongo import create_client
from ocop_platform.topics import ensure_topics
from ocop_reporting.rebuild import rebuild

CANONICAL = (topics.REGISTRY, topics.EVALUATION, topics.PROMOTION)


async def publish(bootstrap: str, names: dict[str, str], facts: list[Fact]) -> float:
    await ensure_topics(bootstrap, list(names.values()), partitions=3)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=20)
    await producer.start()
    started = time.perf_counter()
    try:
        for topic, event in facts:
            key = event.aggregate_id.encode()  # as the services key them: one product in order
            await producer.send(names[topic], event.to_json_bytes(), key=key)
        await producer.flush()
    finally:
        await producer.stop()
    return time.perf_counter() - started


async def measure(bootstrap: str, mongo_url: str, run: str, names: dict[str, str]) -> None:
    db = f"ocop_bench_{run}_reporting"
    raw = await raw_replay(bootstrap, mongo_url, f"{db}_raw", list(names.values()))
    started = time.perf_counter()
    counts = await rebuild(bootstrap, mongo_url, db, topic_names=names, every=5000)
    rebuilt = time.perf_counter() - started
    client = create_client(mongo_url)
    await client.drop_database(db)
    await client.close()
    n = counts["read"]
    print(f"  raw replay (insert per message)  {raw:7.1f} s  {n / raw:6.0f} events/s")
    print(
        f"  rebuild (reporting's handlers)   {rebuilt:7.1f} s  {n / rebuilt:6.0f} events/s"
        f"  ({counts['applied']} applied, {counts['skipped']} of other types)"
    )
    print(f"  rebuild / raw replay             {rebuilt / raw:7.2f} ×  (target ≤ 2)", flush=True)


async def main(scale: float, repeat: int, old_units: bool) -> None:
    run = f"r{uuid.uuid4().hex[:6]}"
    names = {t: f"bench.{run}.{t}" for t in CANONICAL}
    facts = fact_events(generate(scale=scale), old_units=old_units)
    with InfraStack(kafka_partitions=3) as infra:
        published = await publish(infra.kafka_bootstrap, names, facts)
        print(
            f"{len(facts)} fact events of the national set at scale {scale} published in "
            f"{published:.1f} s ({'with' if old_units else 'without'} old units); "
            f"infrastructure {infra.mode}",
            flush=True,
        )
        for _ in range(repeat):
            await measure(infra.kafka_bootstrap, infra.mongo_url, run, names)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", type=float, default=0.1, help="of the national data set")
    parser.add_argument("--repeat", type=int, default=1, help="measure both this many times")
    parser.add_argument(
        "--without-old-units", action="store_true", help="leave out the products' legacy units"
    )
    args = parser.parse_args()
    asyncio.run(main(args.scale, args.repeat, not args.without_old_units))
