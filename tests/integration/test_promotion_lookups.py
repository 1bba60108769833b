"""Promotion's look-ups on the real store that must not read a growing collection whole: a
product's latest rated stars (by `_id`, kept version-guarded, so a redelivered or older rating
never lowers a newer one), the products at a venue (by `_id`) and the deliveries to attempt (a
small collection of markers); each filled from what a database written before it holds."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from ocop_contracts import ProductRated, RatingLevel
from ocop_contracts.vocabulary import VenueKind
from ocop_devstack.infra import Infra
from ocop_platform.mongo import Database, create_client
from ocop_promotion.adapters.repository import (
    DELIVERIES,
    FEED,
    LATEST_RATINGS,
    PENDING_DELIVERIES,
    RATINGS,
    VENUE_INDEX,
    MongoPromotionRepository,
    MongoVenueIndex,
)
from ocop_promotion.domain.placements import VenueRef
from tests.integration.support import fresh_databases, promotion_on

pytestmark = pytest.mark.integration


@pytest.fixture
async def db(infra: Infra) -> AsyncIterator[Database]:
    async with fresh_databases(create_client(infra.mongo_url), "ocop_it_promotion_") as (db,):
        yield db


def _rated(product_id: str, version: int, stars: int, previous: int) -> ProductRated:
    return ProductRated(
        producer="evaluation",
        aggregate_id=product_id,
        aggregate_version=version,
        province_code="82",
        product_id=product_id,
        score=40.0 + 10 * stars,
        stars=stars,
        previous_stars=previous,
        level=RatingLevel.PROVINCE,
        rule_set_id="qd26-2026",
        rated_on=date(2026, 6, 1),
        scoring_set_code="I.1.a",
    )


async def _rated_stars(repo: MongoPromotionRepository, product_id: str) -> int | None:
    found = await repo.certification(product_id)
    return None if found is None else found.rated_stars


async def test_an_older_or_repeated_rating_never_lowers_the_latest_stars(db: Database) -> None:
    repo = MongoPromotionRepository(db)
    await repo.ensure_indexes()
    assert await repo.certification("prd-1") is None

    assert await repo.record_rating("prd-1", 3, 4)
    assert not await repo.record_rating("prd-1", 3, 4)  # redelivered
    assert not await repo.record_rating("prd-1", 2, 2)  # an older rating, late
    assert await _rated_stars(repo, "prd-1") == 4

    assert await repo.record_rating("prd-1", 5, 2)  # a newer rating may lower it
    assert await _rated_stars(repo, "prd-1") == 2
    assert await db[LATEST_RATINGS].count_documents({}) == 1


async def test_ratings_handled_out_of_order_keep_the_newest(db: Database) -> None:
    promotion = await promotion_on(db)
    service, repo = promotion.service, promotion.repo
    await service.on_product_rated(_rated("prd-2", 4, 4, 2))  # newly certified: a feed entry
    await service.on_product_rated(_rated("prd-2", 2, 2, 0))  # the older one, late
    await service.on_product_rated(_rated("prd-2", 4, 4, 2))  # redelivered
    assert await _rated_stars(repo, "prd-2") == 4
    assert await db[FEED].count_documents({"product_id": "prd-2"}) == 1


async def test_a_database_from_before_gets_its_latest_stars_once(db: Database) -> None:
    await db[RATINGS].insert_many(
        [
            {"_id": "prd-3:2", "product_id": "prd-3", "version": 2, "stars": 2},
            {"_id": "prd-4:7", "product_id": "prd-4", "version": 7, "stars": 1},
        ]
    )
    feed = {"rated_on": "2026-06-01", "change": "first_certification"}
    await db[FEED].insert_one(
        {"_id": "fe-1", "product_id": "prd-3", "rating_version": 5, "to_stars": 4, **feed}
    )
    repo = MongoPromotionRepository(db)
    await repo.ensure_indexes()
    assert await _rated_stars(repo, "prd-3") == 4
    assert await _rated_stars(repo, "prd-4") == 1
    assert await repo.fill_latest_ratings() == 0  # filled already


async def test_the_products_at_a_venue_are_one_document_filled_once_from_before(
    db: Database,
) -> None:
    await db[VENUE_INDEX].insert_one(
        {"_id": "fair-1|prd-0", "venue_id": "fair-1", "venue_kind": "fair", "product_id": "prd-0"}
    )
    index = MongoVenueIndex(db)
    assert await index.fill_venue_products() == 1
    assert await index.fill_venue_products() == 0

    fair = VenueRef(VenueKind.FAIR, "fair-1", "Hội chợ OCOP")
    await index.remember(fair, "prd-2")
    await index.remember(fair, "prd-1")
    await index.remember(fair, "prd-2")  # a retried placement
    await index.remember(VenueRef(VenueKind.ONLINE, "lst-1", "shopee"), "prd-1")
    assert await index.products_at("fair-1") == ["prd-0", "prd-1", "prd-2"]
    assert await index.products_at("lst-1") == ["prd-1"]
    assert await index.products_at("nowhere") == []
    assert await index.products_listed_online(None) == ["prd-1"]


def _delivery(delivery_id: str, at: datetime) -> dict[str, Any]:
    return {
        "_id": delivery_id,
        "subscription_id": "sub-1",
        "entry_id": delivery_id.split(":", 1)[1],
        "status": "pending",
        "attempt_count": 0,
        "attempts": [],
        "created_at": at,
        "next_attempt_at": at,
        "lease_until": datetime(1970, 1, 1, tzinfo=UTC),
    }


async def test_the_delivery_worker_finds_pending_deliveries_by_their_markers(db: Database) -> None:
    repo = MongoPromotionRepository(db)
    await repo.ensure_indexes()
    now = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
    assert await repo.add_delivery(_delivery("sub-1:fe-1", now))
    assert await repo.add_delivery(_delivery("sub-1:fe-2", now + timedelta(seconds=1)))
    assert not await repo.add_delivery(_delivery("sub-1:fe-1", now))  # a redelivered rating
    later = now + timedelta(seconds=5)
    assert await repo.subscriptions_with_due_deliveries(later, 10) == {"sub-1"}
    assert [d["_id"] for d in await repo.due_deliveries("sub-1", later, 10)] == [
        "sub-1:fe-1",
        "sub-1:fe-2",
    ]

    await repo.record_attempt("sub-1:fe-1", {"number": 1}, {"status": "delivered"})
    retry_at = now + timedelta(minutes=1)
    await repo.record_attempt(
        "sub-1:fe-2", {"number": 1}, {"status": "pending", "next_attempt_at": retry_at}
    )
    assert await repo.subscriptions_with_due_deliveries(later, 10) == set()
    assert [d["_id"] for d in await repo.due_deliveries("sub-1", retry_at, 10)] == ["sub-1:fe-2"]
    assert await db[PENDING_DELIVERIES].count_documents({}) == 1

    await repo.add_delivery(_delivery("sub-1:fe-1", now))  # a stray marker of a delivered one
    assert [d["_id"] for d in await repo.due_deliveries("sub-1", later, 10)] == []
    assert await db[PENDING_DELIVERIES].find_one({"_id": "sub-1:fe-1"}) is None  # taken off

    assert await repo.reset_delivery("sub-1:fe-1", later)  # redelivery by hand
    assert [d["_id"] for d in await repo.due_deliveries("sub-1", later, 10)] == ["sub-1:fe-1"]


async def test_pending_deliveries_of_a_database_from_before_get_their_markers(
    db: Database,
) -> None:
    now = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
    await db[DELIVERIES].insert_many(
        [_delivery("sub-1:fe-1", now), {**_delivery("sub-1:fe-2", now), "status": "delivered"}]
    )
    repo = MongoPromotionRepository(db)
    await repo.ensure_indexes()
    assert await repo.subscriptions_with_due_deliveries(now, 10) == {"sub-1"}
    assert [d["_id"] for d in await repo.due_deliveries("sub-1", now, 10)] == ["sub-1:fe-1"]
    assert await repo.fill_pending_deliveries() == 0
