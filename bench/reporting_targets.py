"""Benchmark of reading a year's targets (the national view's) as the target documents are laid
out, against a raw `_id` read of documents holding the target's fields alone.

    uv run python bench/reporting_targets.py [--versions 3] [--reads 50] [--mongo-url URL]

FerretDB v1 decodes every stored document in full before projecting it, so what a target
document holds besides the target weighs on every report that reads it. Five targets for each
of the 34 provinces for 2026 (170, as bench/reporting_national.py sets), each saved `--versions`
times through reporting's target store, then `MongoTargetStore.targets_of_year` timed (p50, p99)
with the documents:
  raw            a collection of the targets' current fields only, read by `_id: {$in}`
  current        as the store keeps them now: the current version, the outbox sent
  + outbox       the events of the last save not yet sent (until the relay's next pass)
  + versions     every version inside the target, as before target_history (with the outbox
                 sent), in the same run
and an as-of read (`as_of`: the earlier versions read from target_history). Without --mongo-url
it starts the store as the tests do.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, date, datetime

from ocop_contracts import TargetMetric, TargetUpdated
from ocop_contracts.reference import current_provinces
from ocop_devstack.infra import InfraStack
from ocop_platform.mongo import Database, Document, create_client
from ocop_platform.outbox import OutboxRecord, OutboxRelay
from ocop_reporting.adapters.target_history import TARGET_HISTORY, history_id
from ocop_reporting.adapters.targets import TARGETS, MongoTargetStore

YEAR = 2026
METRICS = (
    TargetMetric.CERTIFIED_PRODUCTS,
    TargetMetric.UPGRADED_PRODUCTS,
    TargetMetric.NATIONAL_PROPOSALS,
    TargetMetric.NEW_PRODUCERS,
    TargetMetric.EVALUATION_ROUNDS,
)


class _Discard:
    """A relay's sink that sends nothing (the outbox is only emptied)."""

    async def send_batch(self, records: Sequence[OutboxRecord]) -> None:
        return None


def _event(code: str, metric: TargetMetric, version: int) -> TargetUpdated:
    target_id = f"bench-{code}-{YEAR}-{metric.value}"
    return TargetUpdated(
        producer="reporting",
        aggregate_id=target_id,
        aggregate_version=version,
        occurred_at=datetime(YEAR, version, 5, 3, tzinfo=UTC),
        province_code=code,
        target_id=target_id,
        plan_ref="bench",
        label=f"{metric.value}: mục tiêu năm {YEAR}",
        metric=metric,
        year_from=YEAR,
        year_to=YEAR,
        minimum=10 * version,
    )


async def _timed(reads: int, read: Callable[[], Awaitable[object]]) -> str:
    await read()  # warm
    ms = []
    for _ in range(reads):
        started = time.perf_counter()
        await read()
        ms.append((time.perf_counter() - started) * 1000)
    ms.sort()
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    return f"p50 {statistics.median(ms):7.1f} ms   p99 {p99:7.1f} ms"


async def _versions_inside(db: Database) -> None:
    """Lay the targets out as before target_history: every version in the target."""
    async for current in db[TARGETS].find({}, {"outbox": 0, "source_event_id": 0}):
        target_id = current.pop("_id")
        kept = await db[TARGET_HISTORY].find_one({"_id": history_id(target_id)})
        assert kept is not None
        versions = [*kept["versions"].values(), current]
        legacy = {"history": versions, "ingested": []}
        await db[TARGETS].update_one({"_id": target_id}, {"$set": legacy})


async def main(versions: int, reads: int, mongo_url: str) -> None:
    client = create_client(mongo_url)
    db = client[f"ocop_bench_targets_{uuid.uuid4().hex[:6]}"]
    store = MongoTargetStore(db)
    relay = OutboxRelay(db, [TARGETS], _Discard())
    try:
        for version in range(1, versions + 1):
            for code in current_provinces():
                for metric in METRICS:
                    assert await store.save_target(_event(code, metric, version), None)
            if version < versions:
                await relay.publish_all_pending()
        ids = [doc["_id"] async for doc in db[TARGETS].find({}, {"_id": 1})]
        raw: list[Document] = [
            {k: v for k, v in doc.items() if k not in ("outbox", "source_event_id")}
            async for doc in db[TARGETS].find({})
        ]
        await db["raw_targets"].insert_many(raw)
        figures = {
            "raw (fields only)": await _timed(
                reads, lambda: db["raw_targets"].find({"_id": {"$in": ids}}).to_list()
            ),
            "current + outbox": await _timed(reads, lambda: store.targets_of_year(YEAR)),
        }
        await relay.publish_all_pending()
        figures["current"] = await _timed(reads, lambda: store.targets_of_year(YEAR))
        as_of = date(YEAR, versions, 6) if versions > 1 else date(YEAR, 12, 31)
        figures["current, as of a day"] = await _timed(
            reads, lambda: store.targets_of_year(YEAR, as_of)
        )
        await _versions_inside(db)
        figures["+ versions (as before)"] = await _timed(reads, lambda: store.targets_of_year(YEAR))
        found = await store.targets_of_year(YEAR)
        assert len(found) == len(ids) == len(current_provinces()) * len(METRICS)
    finally:
        await client.drop_database(db.name)
        await client.close()
    print(f"\n{len(ids)} targets of {YEAR}, {versions} versions each, {reads} reads:")
    for name, line in figures.items():
        print(f"  {name:<24} {line}")


def _run(args: argparse.Namespace) -> None:
    if args.mongo_url:
        asyncio.run(main(args.versions, args.reads, args.mongo_url))
        return
    with InfraStack() as infra:
        asyncio.run(main(args.versions, args.reads, infra.mongo_url))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--versions", type=int, default=3, help="saves of each target (≤ 12)")
    parser.add_argument("--reads", type=int, default=50)
    parser.add_argument("--mongo-url", default=None)
    _run(parser.parse_args())
