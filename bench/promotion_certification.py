"""Benchmark of promotion's per-request certificate look-up and online listing as the data grows.

    uv run python bench/promotion_certification.py [--products 200 5000] [--ops 100]

For each size N, a fresh database gets N products with a valid 4★ certificate and a rating
each (through the repository, as the consumers write them), then times, one at a time on one
connection (the services' setting on FerretDB):
  raw find_one   find_one by `_id` in the certifications (the floor: one indexed read)
  certification  MongoPromotionRepository.certification (certificate and latest rated stars;
                 what every placement, listing and lapse reads, twice per POST /listings)
  list online    what POST /listings does without HTTP: the product's province, then
                 VenueService.list_online (certificate check, venue index, placements save)
Prints operations per second and their ratio to the raw read. Without --mongo-url it starts the
store as the tests do.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import date

from ocop_devstack.infra import InfraStack
from ocop_platform.mongo import Database, create_client, is_ferretdb
from ocop_promotion.adapters.repository import (
    CERTIFICATIONS,
    MongoPromotionRepository,
    mongo_venue_stores,
)
from ocop_promotion.service_layer.placements import PlacementService
from ocop_promotion.service_layer.venues import VenueService

TODAY = date(2027, 6, 1)


async def _rate(ops: int, step: Callable[[int], Awaitable[object]]) -> float:
    started = time.perf_counter()
    for i in range(ops):
        await step(i)
    return ops / (time.perf_counter() - started)


async def _seed(repo: MongoPromotionRepository, n: int) -> list[str]:
    ids = [f"prd-{i:06d}" for i in range(n)]
    fields = {
        "certificate_id": "",
        "stars": 4,
        "valid_until": "2029-12-31",
        "issued_on": "2026-12-31",
        "status": "valid",
        "province_code": "82",
    }
    for product_id in ids:
        await repo.record_rating(product_id, 3, 4)
        await repo.apply_evaluation(product_id, 4, {**fields, "certificate_id": f"C-{product_id}"})
    return ids


async def _measure(db: Database, n: int, ops: int) -> dict[str, float]:
    repo = MongoPromotionRepository(db)
    await repo.ensure_indexes()
    started = time.perf_counter()
    ids = await _seed(repo, n)
    print(f"  seeded {n} products in {time.perf_counter() - started:.1f}s")
    sample = random.Random(n).sample(ids, min(ops, n))
    stores = mongo_venue_stores(db, repo)
    placements = PlacementService(stores, today=lambda: TODAY)
    venues = VenueService(stores, placements, today=lambda: TODAY)

    async def list_online(i: int) -> None:
        await placements.province_of(sample[i])
        await venues.list_online(sample[i], "shopee", f"https://shopee.vn/p/{i}")

    certifications = db[CERTIFICATIONS]
    return {
        "raw find_one": await _rate(
            len(sample), lambda i: certifications.find_one({"_id": sample[i]})
        ),
        "certification": await _rate(len(sample), lambda i: repo.certification(sample[i])),
        "list online": await _rate(len(sample), list_online),
    }


async def run(mongo_url: str, sizes: list[int], ops: int) -> None:
    client = create_client(mongo_url, max_pool_size=1)
    try:
        store = "FerretDB" if await is_ferretdb(client["admin"]) else "MongoDB"
        print(f"store: {store} at {mongo_url}; {ops} operations of each kind per size")
        rows = []
        for size in sizes:
            db = client[f"bench_promo_cert_{uuid.uuid4().hex[:6]}"]
            try:
                rows.append((size, await _measure(db, size, ops)))
            finally:
                await client.drop_database(db.name)
        print(f"{'products':>9} {'operation':<14} {'ops/s':>9} {'vs raw':>8}")
        for size, figures in rows:
            for name, rate in figures.items():
                print(f"{size:>9} {name:<14} {rate:>9.0f} {rate / figures['raw find_one']:>8.3f}")
    finally:
        await client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, nargs="+", default=[200, 5000])
    parser.add_argument("--ops", type=int, default=100)
    parser.add_argument("--mongo-url", default=None, help="an existing store (default: start one)")
    args = parser.parse_args()
    if args.mongo_url:
        asyncio.run(run(args.mongo_url, args.products, args.ops))
        return
    with InfraStack() as infra:
        asyncio.run(run(infra.mongo_url, args.products, args.ops))


if __name__ == "__main__":
    main()
