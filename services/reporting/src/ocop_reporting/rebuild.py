"""`ocop-reporting-rebuild`: drop reporting's read models and replay every topic from offset 0.

Reads each fact topic (registry, evaluation, promotion) from the beginning up to the end offsets
seen at the start, through the same handlers as the live consumers, printing progress. Targets and
activity reports are reporting's own state and are kept. Safe to run while the service runs (the
handlers are idempotent); figures are complete once it prints "done".
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Sequence

from aiokafka import AIOKafkaConsumer, TopicPartition

from ocop_contracts import UnknownEventType, UnreadableEvent, parse_event
from ocop_platform.errors import DomainError
from ocop_platform.mongo import create_client
from ocop_reporting.adapters.repository import MongoReportingRepository
from ocop_reporting.entrypoints.consumers import fact_subscriptions
from ocop_reporting.service_layer.services import ReportingService


def _say(message: str) -> None:
    print(f"[rebuild] {message}", file=sys.stderr, flush=True)


async def rebuild(
    kafka_bootstrap: str,
    mongo_url: str,
    mongo_db: str,
    *,
    topic_names: dict[str, str] | None = None,
    every: int = 5000,
) -> dict[str, int]:
    """Rebuild; returns counts (events read, applied, skipped, rejected). `topic_names` maps a
    canonical topic to another name (benchmarks replay their own topics)."""
    client = create_client(mongo_url)
    repository = MongoReportingRepository(client[mongo_db])
    service = ReportingService(repository, lambda: None)
    subscriptions = fact_subscriptions(service)
    names = topic_names or {}
    counts = {"read": 0, "applied": 0, "skipped": 0, "rejected": 0}
    started = time.monotonic()
    try:
        await repository.drop_read_models()
        await repository.ensure_indexes()
        _say(f"dropped the read models of {mongo_db}; replaying from offset 0")
        consumer = AIOKafkaConsumer(
            bootstrap_servers=kafka_bootstrap, enable_auto_commit=False, group_id=None
        )
        await consumer.start()
        try:
            for subscription in subscriptions:
                topic = names.get(subscription.topic, subscription.topic)
                await _replay(consumer, topic, subscription, counts, every, started)
        finally:
            await consumer.stop()
    finally:
        await client.close()
    seconds = time.monotonic() - started
    _say(
        f"done: {counts['read']} events in {seconds:.1f}s ({counts['applied']} applied, "
        f"{counts['skipped']} of other types, {counts['rejected']} rejected)"
    )
    return counts


async def _replay(
    consumer: AIOKafkaConsumer,
    topic: str,
    subscription: object,
    counts: dict[str, int],
    every: int,
    started: float,
) -> None:
    from ocop_platform.consumer import Subscription

    assert isinstance(subscription, Subscription)
    # The consumer's public partitions_for_topic only knows topics it already has metadata for.
    cluster = await consumer._client.fetch_all_metadata()
    partitions = cluster.partitions_for_topic(topic) or set()
    if not partitions:
        _say(f"{topic}: no such topic, nothing to replay")
        return
    tps = [TopicPartition(topic, p) for p in sorted(partitions)]
    consumer.assign(tps)
    await consumer.seek_to_beginning(*tps)
    ends = await consumer.end_offsets(tps)
    total = sum(ends.values()) - sum((await consumer.beginning_offsets(tps)).values())
    _say(f"{topic}: {total} events")
    remaining = {tp: end for tp, end in ends.items() if end > 0}
    while remaining:
        batches = await consumer.getmany(*remaining, timeout_ms=1000, max_records=2000)
        for tp, records in batches.items():
            for record in records:
                if record.offset >= remaining.get(tp, 0):
                    continue
                counts["read"] += 1
                await _apply(subscription, record.value or b"", counts)
                if counts["read"] % every == 0:
                    rate = counts["read"] / max(time.monotonic() - started, 1e-6)
                    _say(f"{counts['read']} events replayed ({rate:.0f}/s)")
            if records and records[-1].offset + 1 >= remaining.get(tp, 0):
                remaining.pop(tp, None)
        if not batches:  # nothing more came: a partition whose tail holds no records is done
            for tp in list(remaining):
                if await consumer.position(tp) >= remaining[tp]:
                    remaining.pop(tp)


async def _apply(subscription: object, raw: bytes, counts: dict[str, int]) -> None:
    from ocop_platform.consumer import Subscription

    assert isinstance(subscription, Subscription)
    try:
        event = parse_event(raw, subscription.accepted)
    except (UnknownEventType, UnreadableEvent):
        counts["skipped"] += 1  # live: skipped or dead-lettered already
        return
    try:
        await subscription.handlers[type(event)](event)
    except DomainError:
        counts["rejected"] += 1  # live: dead-lettered with the reason
        return
    counts["applied"] += 1


def main(argv: Sequence[str] | None = None) -> int:
    from ocop_reporting.main import ReportingSettings

    parser = argparse.ArgumentParser(
        prog="ocop-reporting-rebuild",
        description="Drop reporting's read models and replay every topic from offset 0. "
        "Kafka and MongoDB come from the OCOP_* settings (OCOP_KAFKA_BOOTSTRAP, OCOP_MONGO_URL, "
        "OCOP_MONGO_DB).",
    )
    parser.add_argument("--every", type=int, default=5000, help="print progress every N events")
    args = parser.parse_args(argv)
    settings = ReportingSettings()
    asyncio.run(
        rebuild(settings.kafka_bootstrap, settings.mongo_url, settings.mongo_db, every=args.every)
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
