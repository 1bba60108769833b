"""Benchmark of reads and writes by `_id` as a collection grows, against the store's bulk insert.

    uv run python bench/store_lookup.py [--sizes 200 5000 20000] [--ops 300] [--mongo-url URL]

Every aggregate and read model of the platform is loaded and saved by `_id`. On FerretDB v1
(SQLite) that path used to scan the whole table (deploy/native/ferretdb/patches/0001-…), so its
rate fell with the collection's size; with the patch it should stay flat. For each size the
benchmark fills a fresh collection with `insert_many` (the baseline: the best raw path), then
times `find_one`, `update_one` and `delete_one` by `_id` one at a time on one connection (the
services' setting on FerretDB), and prints operations per second and their ratio to the
per-document rate of `insert_many`. Without --mongo-url it starts the store as the tests do.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

from ocop_devstack.infra import InfraStack
from ocop_platform.mongo import create_client, is_ferretdb

Document = dict[str, Any]


def _documents(n: int) -> list[Document]:
    return [
        {"_id": f"prd-{i:08d}", "province_code": f"{i % 34:02d}", "stars": 3, "version": 1}
        for i in range(n)
    ]


async def _rate(ops: int, step: Callable[[int], Awaitable[object]]) -> float:
    started = time.perf_counter()
    for i in range(ops):
        await step(i)
    return ops / (time.perf_counter() - started)


async def _measure(coll: AsyncCollection[Document], size: int, ops: int) -> dict[str, float]:
    docs = _documents(size)
    started = time.perf_counter()
    for chunk in range(0, size, 1000):
        await coll.insert_many(docs[chunk : chunk + 1000])
    insert_rate = size / (time.perf_counter() - started)
    ids = random.Random(size).sample([d["_id"] for d in docs], min(ops, size))
    n = len(ids)
    return {
        "insert_many /doc": insert_rate,
        "find_one by _id": await _rate(n, lambda i: coll.find_one({"_id": ids[i]})),
        "update_one by _id": await _rate(
            n, lambda i: coll.update_one({"_id": ids[i]}, {"$inc": {"version": 1}})
        ),
        # The aggregates' optimistic-concurrency save: _id plus the version read.
        "guarded update": await _rate(
            n, lambda i: coll.update_one({"_id": ids[i], "version": 2}, {"$inc": {"version": 1}})
        ),
        # A read of 20 documents by their ids (outbox markers, reporting's summaries).
        "find 20 by $in": await _rate(
            n, lambda i: coll.find({"_id": {"$in": ids[i : i + 20]}}).to_list()
        ),
        "delete_one by _id": await _rate(n, lambda i: coll.delete_one({"_id": ids[i]})),
    }


async def run(mongo_url: str, sizes: list[int], ops: int) -> None:
    client = create_client(mongo_url, max_pool_size=1)
    db = client[f"bench_by_id_{uuid.uuid4().hex[:6]}"]
    try:
        store = "FerretDB" if await is_ferretdb(db) else "MongoDB"
        print(f"store: {store} at {mongo_url}; {ops} operations of each kind per size")
        print(f"{'documents':>10} {'operation':<18} {'ops/s':>9} {'vs insert_many':>15}")
        for size in sizes:
            coll = db[f"c{size}"]
            figures = await _measure(coll, size, ops)
            baseline = figures["insert_many /doc"]
            for name, rate in figures.items():
                print(f"{size:>10} {name:<18} {rate:>9.0f} {rate / baseline:>15.3f}")
            await coll.drop()
    finally:
        await client.drop_database(db.name)
        await client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[200, 5000, 20000])
    parser.add_argument("--ops", type=int, default=300)
    parser.add_argument("--mongo-url", default=None, help="an existing store (default: start one)")
    args = parser.parse_args()
    if args.mongo_url:
        asyncio.run(run(args.mongo_url, args.sizes, args.ops))
        return
    with InfraStack() as infra:
        asyncio.run(run(infra.mongo_url, args.sizes, args.ops))


if __name__ == "__main__":
    main()
