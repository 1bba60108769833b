"""The certificate scheduler over its due index, in memory: it looks only at the products due,
works in bounded batches that say whether more is due, and a product no longer due leaves the
index (adapters/due.py, service_layer/scheduler.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from ocop_contracts import RatingLevel
from ocop_contracts.vocabulary import RevocationGround
from ocop_evaluation.adapters.due import DueIndexedProducts, MemoryDueIndex
from ocop_evaluation.adapters.memory import memory_stores
from ocop_evaluation.adapters.stores import Stores
from ocop_evaluation.domain.certificates import Certificate
from ocop_evaluation.domain.products import Product
from ocop_evaluation.service_layer.scheduler import run_scheduler, scheduler_batch
from ocop_platform.aggregates import InMemoryAggregateStore
from tests.unit.evaluation.evaluation_builders import registered, registration

OPENS = date(2032, 9, 11)  # the renewal window opens
EXPIRES = date(2033, 3, 10)


def certified(product_id: str, next_due_on: date = OPENS) -> Product:
    certificate = Certificate(
        certificate_id=f"C-{product_id}",
        stars=4,
        level=RatingLevel.PROVINCE,
        decision_ref="1/QĐ-UBND",
        issued_on=date(2030, 3, 10),
        valid_until=date(2033, 3, 9),
        expires_on=EXPIRES,
        renewal_opens_on=OPENS,
        renewal_closes_on=date(2032, 11, 10),
        rule_set_id="qd26-2026",
        next_due_on=next_due_on,
    )
    return Product(id=product_id, version=1, stars=4, certificate=certificate)


async def stores_with(*products: Product) -> Stores:
    stores = memory_stores()
    await stores.products.add_many(products)
    for product in products:
        await stores.registered.remember(registration(product.id))
    return stores


async def test_a_batch_looks_only_at_the_products_due_and_says_when_more_are() -> None:
    later = [certified(f"later-{i}", date(2034, 1, 1)) for i in range(5)]
    stores = await stores_with(*[certified(f"p{i}") for i in range(3)], *later)

    first = await scheduler_batch(stores, OPENS, limit=2)
    second = await scheduler_batch(stores, OPENS, limit=2)
    third = await scheduler_batch(stores, OPENS, limit=2)

    assert (first.renewal_due, first.looked_at, first.more) == (2, 2, True)
    assert (second.renewal_due, second.looked_at, second.more) == (1, 1, False)
    assert (third.renewal_due, third.looked_at, third.more) == (0, 0, False)
    due = stores.due
    assert await due.days_through(OPENS, 10) == []  # the day is forgotten once dealt with
    assert await due.products_on(EXPIRES) == ["p0", "p1", "p2"]  # their next day


async def test_a_whole_pass_announces_each_due_certificate_once_then_its_expiry() -> None:
    stores = await stores_with(*[certified(f"p{i}") for i in range(5)])
    assert await run_scheduler(stores, OPENS, limit=2) == {"renewal_due": 5, "expired": 0}
    assert await run_scheduler(stores, OPENS, limit=2) == {"renewal_due": 0, "expired": 0}
    assert await run_scheduler(stores, EXPIRES, limit=2) == {"renewal_due": 0, "expired": 5}
    assert await stores.due.days_through(date(2040, 1, 1), 10) == []  # expired: indexed nowhere


async def test_a_product_no_longer_due_leaves_the_index_without_an_event() -> None:
    stores = await stores_with(certified("p1"), certified("p2"))
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


async def test_a_product_whose_registry_facts_are_missing_stays_due() -> None:
    stores = memory_stores()
    await stores.products.add(certified("p1"))

    batch = await scheduler_batch(stores, OPENS)

    assert (batch.renewal_due, batch.more) == (0, False)
    assert await stores.due.products_on(OPENS) == ["p1"]  # looked at again next pass


class _CountingDue(MemoryDueIndex):
    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    async def expect(self, day: date, product_ids: Sequence[str]) -> None:
        self.writes += 1
        await super().expect(day, product_ids)


async def test_the_store_writes_the_bucket_before_the_product_and_only_when_its_day_moves() -> None:
    due = _CountingDue()
    products = DueIndexedProducts(InMemoryAggregateStore(Product), due)
    await products.add(certified("p1"))
    assert (due.writes, await due.products_on(OPENS)) == (1, ["p1"])

    loaded = await products.get("p1")
    assert loaded is not None
    loaded.stars = 5  # a change that leaves the scheduler's day as it was
    loaded.touch()
    await products.save(loaded)
    assert due.writes == 1

    again = await products.get("p1")
    assert again is not None
    again.announce_renewal(registered("p1"))
    await products.save(again)
    assert (due.writes, await due.products_on(EXPIRES)) == (2, ["p1"])


async def test_a_batch_of_nothing_but_products_kept_back_says_no_more() -> None:
    stores = memory_stores()
    await stores.products.add_many([certified(f"p{i}") for i in range(3)])  # no registry facts

    batch = await scheduler_batch(stores, OPENS, limit=2)

    assert (batch.renewal_due, batch.looked_at, batch.more) == (0, 2, False)
    assert await run_scheduler(stores, OPENS, limit=2) == {"renewal_due": 0, "expired": 0}
    assert await stores.due.products_on(OPENS) == ["p0", "p1", "p2"]
