"""Benchmark of promotion's ProductRated handler against a raw insert per event, in one run.

    uv run python bench/promotion_feed.py [--events 1000] [--subscriptions 5]

The same N first-certification ratings (0→3★), each handled in turn like the consumer does:
  raw-insert   one insert_one per event into the store (the cheapest idempotent fact)
  handler      PromotionService.on_product_rated: rating fact, product facts, feed entry with its
               ProductNewlyStarred in the outbox, deliveries for the matching subscriptions
Prints events/s of each and the ratio. Runs on the real store (env URL, Docker or native).
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from collections.abc import Sequence
from datetime import date

from ocop_contracts import ProductRated, RatingLevel, utc_now
from ocop_devstack.infra import InfraStack
from ocop_platform.background import BackgroundTask, running
from ocop_platform.mongo import create_client
from ocop_platform.outbox import OutboxRecord, OutboxRelay
from ocop_promotion.adapters.repository import (
    OUTBOX_COLLECTIONS,
    MongoPromotionRepository,
    mongo_venue_stores,
)
from ocop_promotion.service_layer.placements import PlacementService
from ocop_promotion.service_layer.services import PromotionService


class _NullSink:
    async def send_batch(self, records: Sequence[OutboxRecord]) -> None:
        return None


def ratings(run: str, n: int) -> list[ProductRated]:
    return [
        ProductRated(
            producer="evaluation",
            aggregate_id=f"{run}-{i}",
            aggregate_version=1,
            province_code="82",
            product_id=f"{run}-{i}",
            score=60.0,
            stars=3,
            level=RatingLevel.PROVINCE,
            rule_set_id="qd26-2026",
            rated_on=date(2026, 6, 1),
            scoring_set_code="I.1.a",
        )
        for i in range(n)
    ]


async def main(n: int, subscriptions: int) -> None:
    with InfraStack() as infra:
        client = create_client(infra.mongo_url)
        name = f"ocop_bench_{uuid.uuid4().hex[:6]}"
        db = client[name]
        try:
            events = ratings(name, n)
            raw_facts = db["raw"]
            started = time.perf_counter()
            for event in events:
                await raw_facts.insert_one({"_id": str(event.event_id), "stars": event.stars})
            raw = time.perf_counter() - started

            repo = MongoPromotionRepository(db)
            await repo.ensure_indexes()
            for i in range(subscriptions):
                await repo.add_subscription(
                    {
                        "_id": f"sub-{i}",
                        "url": "http://127.0.0.1:9/none",
                        "secret": "s",
                        "active": True,
                        "created_at": utc_now(),
                        "filter": {"province_codes": ["82"] if i % 2 else ["01"]},
                    }
                )
            placements = PlacementService(mongo_venue_stores(db, repo), today=date.today)
            service = PromotionService(repo, placements)
            # The relay sweeps the outboxes and drained ones are forgotten, as in the service.
            relay = OutboxRelay(db, OUTBOX_COLLECTIONS, _NullSink(), poll_seconds=0.5)
            forget = BackgroundTask("feed-outbox", repo.forget_published_feed_events, 5.0)
            async with running([relay.background_task(), forget]):
                started = time.perf_counter()
                for event in events:
                    await service.on_product_rated(event)
                handler = time.perf_counter() - started
        finally:
            await client.drop_database(name)
            await client.close()
    print(f"\n{n} ratings, {subscriptions} subscriptions, store {infra.mongo_url} ({infra.mode})")
    print(f"  raw-insert {n / raw:8.0f} events/s")
    print(f"  handler    {n / handler:8.0f} events/s")
    print(f"  handler / raw-insert = {raw / handler:.3f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--subscriptions", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(main(args.events, args.subscriptions))
