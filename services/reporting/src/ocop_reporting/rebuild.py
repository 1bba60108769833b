"""`ocop-reporting-rebuild`: drop reporting's read models and replay every topic from offset 0.

Reads each fact topic (registry, evaluation, promotion) from the beginning up to the end offsets
seen at the start, through the same handlers as the live consumers, printing progress. Targets and
activity reports are reporting's own state and are kept. Safe to run while the service runs (the
handlers are idempotent); figures are complete once it prints "done".

Kafka, MongoDB and the database come from the OCOP_* settings; when none of them is set, from the
running `./dev up` stack, which writes them to .ocop/run/services/reporting.env. Both are reached
(within a few seconds) before anything is dropped, or the command stops with one line saying
which one did not answer and what to set.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import pymongo
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError
from pydantic import ValidationError
from pymongo import AsyncMongoClient
from pymongo.errors import PyMongoError

from ocop_contracts import UnknownEventType, UnreadableEvent, parse_event
from ocop_platform.errors import DomainError
from ocop_platform.mongo import Document, create_client
from ocop_reporting.adapters.repository import MongoReportingRepository
from ocop_reporting.entrypoints.consumers import fact_subscriptions
from ocop_reporting.service_layer.services import ReportingService

CONNECT_SECONDS = 3.0  # a server that answers at all answers a ping in milliseconds
CONNECTION_SETTINGS = ("OCOP_KAFKA_BOOTSTRAP", "OCOP_MONGO_URL", "OCOP_MONGO_DB")
# Where `./dev up` (ocop_devstack.stack) writes the settings it gave the reporting service.
DEV_STACK_SETTINGS = Path(".ocop", "run", "services", "reporting.env")


class Unreachable(Exception):
    """Kafka or the store did not answer in time: nothing was dropped."""


_SILENT = f"did not answer within {CONNECT_SECONDS:g} s"


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
        await _reach_store(client, mongo_url)
        consumer = AIOKafkaConsumer(
            bootstrap_servers=kafka_bootstrap, enable_auto_commit=False, group_id=None
        )
        try:
            await _reach_kafka(consumer, kafka_bootstrap)
            await repository.drop_read_models()
            await repository.ensure_indexes()
            _say(f"dropped the read models of {mongo_db}; replaying from offset 0")
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


async def _reach_store(client: AsyncMongoClient[Document], mongo_url: str) -> None:
    try:
        with pymongo.timeout(CONNECT_SECONDS):
            await client.admin.command("ping")
    except PyMongoError as exc:
        raise Unreachable(f"MongoDB at {_hosts(mongo_url)} {_SILENT}") from exc


async def _reach_kafka(consumer: AIOKafkaConsumer, bootstrap: str) -> None:
    try:
        async with asyncio.timeout(CONNECT_SECONDS):
            await consumer.start()
    except (KafkaError, TimeoutError, OSError) as exc:
        raise Unreachable(f"Kafka at {bootstrap} {_SILENT}") from exc


def _hosts(mongo_url: str) -> str:
    """The host list of a MongoDB URL, without the credentials it may hold."""
    return re.sub(r"^mongodb(\+srv)?://([^@/]*@)?", "", mongo_url).split("/", 1)[0]


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
        description="Drop reporting's read models and replay every topic from offset 0. Kafka, "
        "MongoDB and the database come from OCOP_KAFKA_BOOTSTRAP, OCOP_MONGO_URL and "
        "OCOP_MONGO_DB; when none of them is set, from the running `./dev up` stack "
        f"({DEV_STACK_SETTINGS}, looked for here and in the parent directories).",
    )
    parser.add_argument("--every", type=int, default=5000, help="print progress every N events")
    parser.add_argument(
        "--env-file",
        type=Path,
        default=None,
        help="read the settings from this file of KEY=value lines (the environment still wins), "
        "e.g. <run dir>/services/reporting.env of `./dev up --run-dir <run dir>`",
    )
    args = parser.parse_args(argv)
    if args.env_file is not None and not args.env_file.is_file():
        _say(f"no settings file {args.env_file}")
        return 2
    env_file = args.env_file or dev_stack_settings(Path.cwd(), os.environ)
    try:
        settings = ReportingSettings(_env_file=env_file)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        _say(f"invalid setting OCOP_{str(error['loc'][0]).upper()}: {error['msg']}")
        return 2
    source = f"from {env_file}" if env_file else "from the environment"
    _say(
        f"Kafka {settings.kafka_bootstrap}, MongoDB {_hosts(settings.mongo_url)}, "
        f"database {settings.mongo_db} (settings {source})"
    )
    try:
        asyncio.run(
            rebuild(
                settings.kafka_bootstrap, settings.mongo_url, settings.mongo_db, every=args.every
            )
        )
    except Unreachable as exc:
        _say(f"{exc}; nothing was dropped. {_advice(env_file)}")
        return 2
    return 0


def dev_stack_settings(cwd: Path, environ: Mapping[str, str]) -> Path | None:
    """The settings file of a running `./dev up`, unless the environment names Kafka or a store
    (then the environment alone decides, never a mix of both)."""
    if any(name in environ for name in CONNECTION_SETTINGS):
        return None
    for directory in (cwd, *cwd.parents):
        if (candidate := directory / DEV_STACK_SETTINGS).is_file():
            return candidate
    return None


def _advice(env_file: Path | None) -> str:
    if env_file is not None:
        return f"Is the stack that wrote {env_file} still running (./dev up)?"
    return (
        "Set OCOP_KAFKA_BOOTSTRAP, OCOP_MONGO_URL and OCOP_MONGO_DB to the running stack's, or "
        "run this beside `./dev up`, which it then finds by itself."
    )


if __name__ == "__main__":
    raise SystemExit(main())
