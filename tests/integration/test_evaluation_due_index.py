"""The certificate scheduler's due index on the real store (adapters/due.py): buckets by day read
by `_id`, a day forgotten once its bucket is empty, products leaving the index once dealt with or
no longer due, the index filled once from a database written before it, and the scheduler's
batches over it."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date

import pytest

from ocop_contracts.vocabulary import RevocationGround
from ocop_devstack.infra import Infra
from ocop_evaluation.adapters.due import DUE_DAYS, MongoDueIndex
from ocop_evaluation.adapters.mongo import PRODUCTS, REGISTERED, ensure_indexes, mongo_stores
from ocop_evaluation.domain.products import Product
from ocop_evaluation.service_layer.scheduler import run_scheduler, scheduler_batch
from ocop_platform.aggregates import MongoAggregateStore
from ocop_platform.mongo import Database, create_client
from tests.unit.evaluation.evaluation_builders import registered
from tests.unit.evaluation.test_certificate_scheduler import EXPIRES, OPENS, certified

pytestmark = pytest.mark.integration
DAY = date(2032, 9, 11)


@pytest.fixture
async def db(infra: Infra) -> AsyncIterator[Database]:
    client = create_client(infra.mongo_url)
    name = f"ocop_it_evaluation_{uuid.uuid4().hex[:8]}"
    yield client[name]
    await client.drop_database(name)
    await client.close()


async def _registered(db: Database, *product_ids: str) -> None:
    facts = [{"_id": p, **registered(p).model_dump(exclude={"product_id"})} for p in product_ids]
    await db[REGISTERED].insert_many(facts)


async def test_a_day_is_kept_while_its_bucket_has_products(db: Database) -> None:
    due = MongoDueIndex(db)
    await due.expect(DAY, ["p1", "p2"])
    await due.expect(DAY, ["p2"])  # a repeat
    await due.expect(date(2032, 9, 1), ["p3"])
    await due.expect(date(2040, 1, 1), ["p4"])

    assert await due.days_through(DAY, 10) == [date(2032, 9, 1), DAY]
    assert sorted(await due.products_on(DAY)) == ["p1", "p2"]

    await due.done(DAY, ["p1"])
    assert await due.products_on(DAY) == ["p2"]
    assert await due.days_through(DAY, 10) == [date(2032, 9, 1), DAY]

    await due.done(DAY, ["p2"])
    await due.done(date(2032, 9, 1), ["p3"])
    assert await due.days_through(DAY, 10) == []
    assert await db[DUE_DAYS].count_documents({}) == 1  # 2040 only

    await due.done(DAY, [])  # a day with no bucket left: nothing to do, no error
    assert await due.products_on(DAY) == []


async def test_the_scheduler_announces_in_batches_and_each_certificate_once(db: Database) -> None:
    await ensure_indexes(db)
    stores = mongo_stores(db)
    due = [certified(f"p{i}") for i in range(5)]
    await stores.products.add_many([*due, certified("later", date(2034, 1, 1))])
    await _registered(db, *[p.id for p in due], "later")

    first = await scheduler_batch(stores, OPENS, limit=3)
    assert (first.renewal_due, first.looked_at, first.more) == (3, 3, True)
    assert await run_scheduler(stores, OPENS, limit=3) == {"renewal_due": 2, "expired": 0}
    assert await run_scheduler(stores, OPENS, limit=3) == {"renewal_due": 0, "expired": 0}
    assert await stores.due.days_through(OPENS, 10) == []
    assert sorted(await stores.due.products_on(EXPIRES)) == [p.id for p in due]
    stored = await db[PRODUCTS].find_one({"_id": "p0"})
    assert stored is not None
    assert [e["type"] for e in stored["outbox"]] == ["CertificateRenewalDue"]


async def test_a_revoked_product_leaves_the_index_without_an_event(db: Database) -> None:
    await ensure_indexes(db)
    stores = mongo_stores(db)
    await stores.products.add_many([certified("p1"), certified("p2")])
    await _registered(db, "p1", "p2")
    product = await stores.products.get("p1")
    assert product is not None
    product.revoke(
        registered("p1"),
        "C-p1",
        ground=RevocationGround.LAW_BREACH,
        decision_ref="45/QĐ",
        revoked_on=date(2031, 1, 5),
        details="",
    )
    await stores.products.save(product)

    batch = await scheduler_batch(stores, OPENS)

    assert (batch.renewal_due, batch.looked_at, batch.more) == (1, 2, False)
    assert await stores.due.days_through(date(2040, 1, 1), 10) == [EXPIRES]
    assert await stores.due.products_on(EXPIRES) == ["p2"]


async def test_a_database_from_before_the_index_is_filled_once(db: Database) -> None:
    plain = MongoAggregateStore(db, PRODUCTS, Product)  # written without the index
    await plain.add_many([certified("p1"), certified("p2", date(2034, 1, 1)), Product(id="p3")])
    await _registered(db, "p1", "p2", "p3")

    await ensure_indexes(db)

    stores = mongo_stores(db)
    assert await stores.due.days_through(date(2040, 1, 1), 10) == [OPENS, date(2034, 1, 1)]
    assert await MongoDueIndex(db).fill(plain) == 0  # once
    assert await run_scheduler(stores, OPENS) == {"renewal_due": 1, "expired": 0}
