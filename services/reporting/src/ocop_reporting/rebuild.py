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
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pymongo
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from pydantic import ValidationError
from pymongo import AsyncMongoClient
from pymongo.errors import PyMongoError

from ocop_platform.consumer import DeadLetter, Dispatcher, Subscription
from ocop_platform.mongo import Document, create_client
from ocop_reporting.entrypoints.consumers import fact_subscriptions
from ocop_reporting.main import ReportingSettings, ReportingStores

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
    stores = ReportingStores.of(client[mongo_db], deferred_summaries=True)
    subscriptions = fact_subscriptions(stores.service(lambda: None))
    names = topic_names or {}
    replay = _Replay(every, stores.projections.flush)
    try:
        await _reach_store(client, mongo_url)
        consumer = AIOKafkaConsumer(
            bootstrap_servers=kafka_bootstrap, enable_auto_commit=False, group_id=None
        )
        try:
            await _reach_kafka(consumer, kafka_bootstrap)
            partitions = await _partitions(kafka_bootstrap)
            await stores.projections.drop_read_models()
            await stores.projections.ensure_indexes()
            _say(f"dropped the read models of {mongo_db}; replaying from offset 0")
            for subscription in subscriptions:
                topic = names.get(subscription.topic, subscription.topic)
                await replay.topic(consumer, topic, partitions.get(topic, []), subscription)
            stores.projections.old_units.summarise()  # the ones since the last summary
        finally:
            await consumer.stop()
    finally:
        await client.close()
    return replay.done()


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


async def _partitions(bootstrap: str) -> dict[str, list[int]]:
    """The partitions of every topic (all of them: naming one would auto-create it)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="ocop-reporting-rebuild")
    await admin.start()
    try:
        described = await admin.describe_topics()
    finally:
        await admin.close()
    return {t["topic"]: sorted(p["partition"] for p in t["partitions"]) for t in described}


def _hosts(mongo_url: str) -> str:
    """The host list of a MongoDB URL, without the credentials it may hold."""
    return re.sub(r"^mongodb(\+srv)?://([^@/]*@)?", "", mongo_url).split("/", 1)[0]


class _Rejections:
    """Where the replay's dispatcher puts what it rejects: only counted, since the live
    consumer dead-lettered each of them already."""

    def __init__(self) -> None:
        self.count = 0

    async def send(self, letter: DeadLetter) -> None:
        self.count += 1


class _Replay:
    """Reads topics from offset 0 up to the end offsets seen at the start, and applies every
    record through the live consumers' dispatcher: same parsing, routing and rules."""

    def __init__(self, every: int, flush: Callable[[], Awaitable[None]]) -> None:
        self._every = every
        self._flush = flush  # the summary writes held while applying a batch
        self._rejections = _Rejections()
        self._dispatcher = Dispatcher(self._rejections)
        self._read = 0
        self._started = time.monotonic()

    async def topic(
        self,
        consumer: AIOKafkaConsumer,
        topic: str,
        partitions: list[int],
        subscription: Subscription,
    ) -> None:
        if not partitions:
            _say(f"{topic}: no such topic, nothing to replay")
            return
        tps = [TopicPartition(topic, p) for p in partitions]
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
                    if record.offset < remaining.get(tp, 0):
                        await self._apply(subscription, record)
                if records and records[-1].offset + 1 >= remaining.get(tp, 0):
                    remaining.pop(tp, None)
            await self._flush()  # each summary document once per batch, not once per event
            if not batches:  # nothing more came: a partition whose tail holds no records is done
                for tp in list(remaining):
                    if await consumer.position(tp) >= remaining[tp]:
                        remaining.pop(tp)

    async def _apply(self, subscription: Subscription, record: ConsumerRecord[Any, Any]) -> None:
        self._read += 1
        await self._dispatcher.dispatch_record(subscription, record, record.value or b"")
        if self._read % self._every == 0:
            rate = self._read / max(time.monotonic() - self._started, 1e-6)
            _say(f"{self._read} events replayed ({rate:.0f}/s)")

    def done(self) -> dict[str, int]:
        applied, rejected = self._dispatcher.handled, self._rejections.count
        counts = {
            "read": self._read,
            "applied": applied,
            "skipped": self._read - applied - rejected,  # types no read model is derived from
            "rejected": rejected,  # dead-lettered live, with the reason
        }
        seconds = time.monotonic() - self._started
        _say(
            f"done: {counts['read']} events in {seconds:.1f}s ({counts['applied']} applied, "
            f"{counts['skipped']} of other types, {counts['rejected']} rejected)"
        )
        return counts


def main(argv: Sequence[str] | None = None) -> int:
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
