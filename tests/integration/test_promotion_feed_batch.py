"""Promotion's feed entries of a consumer batch on the real store: written together by the
batch's prefetch (one read per collection, one write each), each rating's handler then fanning
out its own entry; a redelivered batch adds nothing and fans out the entries as stored."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import date

import pytest

from ocop_contracts import EntityRegistered, Event, ProductRated, ProductRegistered, RatingLevel
from ocop_contracts.vocabulary import LegalForm
from ocop_devstack.infra import Infra
from ocop_platform.mongo import Database, create_client
from ocop_platform.outbox import OUTBOX_FIELD
from ocop_promotion.adapters.repository import DELIVERIES, FEED, FEED_OUTBOX
from ocop_promotion.domain.feed import FeedFilter
from ocop_promotion.service_layer.services import PromotionService
from tests.integration.support import fresh_databases, promotion_on

pytestmark = pytest.mark.integration


@pytest.fixture
async def db(infra: Infra) -> AsyncIterator[Database]:
    async with fresh_databases(create_client(infra.mongo_url), "ocop_it_promotion_") as (db,):
        yield db


@pytest.fixture
async def service(db: Database) -> PromotionService:
    return (await promotion_on(db)).service


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
        level=RatingLevel.CENTRAL if stars == 5 else RatingLevel.PROVINCE,
        rule_set_id="qd26-2026",
        rated_on=date(2026, 6, 1),
        scoring_set_code="I.1.a",
    )


async def _known(service: PromotionService, product_id: str) -> None:
    """The product and its producer, as the registry's events told promotion."""
    entity_id = f"e-{product_id}"
    await service.on_entity_registered(
        EntityRegistered(
            producer="registry",
            aggregate_id=entity_id,
            aggregate_version=1,
            province_code="82",
            entity_id=entity_id,
            name="Hợp tác xã Sa Giang",
            legal_form=LegalForm.COOPERATIVE,
        )
    )
    await service.on_product_registered(
        ProductRegistered(
            producer="registry",
            aggregate_id=product_id,
            aggregate_version=1,
            province_code="82",
            product_id=product_id,
            product_code="82-29869-1-2026",
            name="Bánh phồng tôm Sa Giang",
            entity_id=entity_id,
            legal_form=LegalForm.COOPERATIVE,
            scoring_set_code="I.1.a",
            commune_code="29869",
        )
    )


async def _handle(service: PromotionService, batch: Sequence[Event]) -> None:
    """As the consumer does: the batch's prefetch around its messages, handled in order."""
    async with service.prefetch_ratings(batch):
        for event in batch:
            assert isinstance(event, ProductRated)
            await service.on_product_rated(event)


BATCH = [
    _rated("prd-1", 1, 3, 0),  # newly certified
    _rated("prd-2", 1, 2, 0),  # 2★: no entry
    _rated("prd-3", 1, 4, 0),  # newly certified, then upgraded in the same batch
    _rated("prd-3", 2, 5, 4),
]


async def test_a_batch_writes_its_entries_together_and_fans_each_out_once(
    service: PromotionService, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _known(service, "prd-1")
    await service.create_subscription("Sàn Sa Đéc", "http://127.0.0.1:9/", FeedFilter(), "it")
    one_by_one: list[str] = []

    async def add_one(*args: object) -> bool:
        one_by_one.append(repr(args))
        return False

    monkeypatch.setattr(service._repo, "add_feed_entry", add_one)
    monkeypatch.setattr(service._repo, "record_rating", add_one)

    await _handle(service, BATCH)

    assert one_by_one == []  # every rating and entry was recorded by the batch's prefetch
    entries = {doc["_id"]: doc async for doc in db[FEED].find({})}
    assert sorted(entries) == ["prd-1:1", "prd-3:1", "prd-3:2"]
    # The facts read for the batch: names of product and producer where promotion knows them.
    assert (entries["prd-1:1"]["product_name"], entries["prd-1:1"]["entity_name"]) == (
        "Bánh phồng tôm Sa Giang",
        "Hợp tác xã Sa Giang",
    )
    assert entries["prd-3:1"]["product_name"] is None
    outbox = {doc["_id"]: doc[OUTBOX_FIELD] async for doc in db[FEED_OUTBOX].find({})}
    assert {entry_id: len(events) for entry_id, events in outbox.items()} == {
        "prd-1:1": 1,
        "prd-3:1": 1,
        "prd-3:2": 1,
    }
    deliveries = sorted([doc["entry_id"] async for doc in db[DELIVERIES].find({})])
    assert deliveries == ["prd-1:1", "prd-3:1", "prd-3:2"]
    assert [await _rated_stars(service, p) for p in ("prd-1", "prd-2", "prd-3")] == [3, 2, 5]


async def _rated_stars(service: PromotionService, product_id: str) -> int | None:
    found = await service._repo.certification(product_id)
    return None if found is None else found.rated_stars


async def test_a_batch_never_lowers_the_stars_of_a_newer_rating(service: PromotionService) -> None:
    await _handle(service, [_rated("prd-1", 4, 4, 3)])
    # A redelivered older rating, with a product rated for the first time.
    await _handle(service, [_rated("prd-1", 2, 2, 0), _rated("prd-5", 1, 3, 0)])
    assert [await _rated_stars(service, p) for p in ("prd-1", "prd-5")] == [4, 3]
    # A newer rating of a product rated before, beside one of a product rated for the first time.
    await _handle(service, [_rated("prd-1", 6, 5, 4), _rated("prd-6", 1, 4, 0)])
    assert [await _rated_stars(service, p) for p in ("prd-1", "prd-6")] == [5, 4]


async def test_a_redelivered_batch_adds_nothing_and_fans_out_the_stored_entries(
    service: PromotionService, db: Database
) -> None:
    await service.create_subscription("Sàn Sa Đéc", "http://127.0.0.1:9/", FeedFilter(), "it")

    class Crash(Exception):
        pass

    # The first delivery of the batch: its entries written, then a crash before any handler.
    with pytest.raises(Crash):
        async with service.prefetch_ratings(BATCH):
            raise Crash
    first = {doc["_id"]: doc["recorded_at"] async for doc in db[FEED].find({})}
    assert await db[DELIVERIES].count_documents({}) == 0

    await _handle(service, BATCH)  # Kafka delivers the batch again
    await _handle(service, BATCH)  # and once more, after a crash before its commit

    assert {doc["_id"]: doc["recorded_at"] async for doc in db[FEED].find({})} == first
    assert await db[FEED_OUTBOX].count_documents({}) == 3
    deliveries = sorted([doc["entry_id"] async for doc in db[DELIVERIES].find({})])
    assert deliveries == ["prd-1:1", "prd-3:1", "prd-3:2"]
