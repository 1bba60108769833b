"""Which products the certificate scheduler looks at on which day, so that finding the products
due costs what is due, not what is stored.

FerretDB v1 answers only `_id` look-ups from an index: a filter on ``certificate.next_due_on``
reads every product. So each valid certificate's next scheduler day is kept apart, as one
*bucket* document per day (``_id`` = the ISO day, its products in an array) and one small *day*
document per day that still has products (``_id`` = the ISO day). A pass reads the day documents
up to today (a calendar's worth at most, whatever the number of products), then each day's bucket
by `_id`, and takes the products it has dealt with off the bucket.

The bucket is written by the product store itself, before the product (:class:`DueIndexedProducts`),
so every stored valid certificate is in the bucket of its ``next_due_on``. A product in a bucket
it no longer belongs to (a certificate renewed, revoked, or a write that then failed) is harmless:
the scheduler loads the product and asks the aggregate, then takes it off.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, Protocol

from ocop_evaluation.domain.certificates import CertificateStatus
from ocop_evaluation.domain.products import Product
from ocop_platform.aggregates import AggregateStore, InMemoryAggregateStore, SortSpec
from ocop_platform.idempotency import insert_once
from ocop_platform.mongo import Database

DUE_PRODUCTS = "due_products"  # buckets: _id = ISO day, products = [product id, …]
DUE_DAYS = "due_days"  # _id = ISO day, while its bucket has products
DUE_FILLED = "due_index_filled"  # one marker: the index was filled from the products once
# A product store remembers this many loaded products' scheduler day, to skip the bucket write
# when a save leaves the day as it was (most saves: ratings, decisions).
REMEMBERED = 10_000


class DueIndex(Protocol):
    async def expect(self, day: date, product_ids: Sequence[str]) -> None:
        """The products' certificates are next looked at on ``day`` (idempotent)."""

    async def days_through(self, today: date, limit: int) -> list[date]:
        """Days up to ``today`` whose bucket still has products, oldest first."""

    async def products_on(self, day: date) -> list[str]: ...

    async def done(self, day: date, product_ids: Sequence[str]) -> None:
        """Take the products off ``day``'s bucket; forget the day once its bucket is empty."""


def due_day(product: Product) -> date | None:
    """The day the scheduler looks at the product next (None: no valid certificate)."""
    current = product.certificate
    return current.next_due_on if current is not None and current.is_valid else None


class DueIndexedProducts:
    """An ``AggregateStore[Product]`` that keeps the due index: every add or save of a product
    with a valid certificate first puts it in the bucket of its ``next_due_on`` (so a crash
    between the two writes leaves at worst a stray entry, never a missing one)."""

    def __init__(self, inner: AggregateStore[Product], due: DueIndex) -> None:
        self._inner = inner
        self._due = due
        self._loaded: dict[str, tuple[tuple[str, int], date | None]] = {}

    async def get(self, aggregate_id: str) -> Product | None:
        product = await self._inner.get(aggregate_id)
        if product is not None:
            self._remember(product)
        return product

    async def add(self, aggregate: Product) -> None:
        await self._expect([aggregate])
        await self._inner.add(aggregate)

    async def add_many(self, aggregates: Sequence[Product]) -> set[str]:
        await self._expect(aggregates)
        return await self._inner.add_many(aggregates)

    async def save(self, aggregate: Product) -> None:
        if aggregate.has_changes and self._loaded.get(aggregate.id) != (
            aggregate.save_guard(),
            due_day(aggregate),
        ):
            await self._expect([aggregate])
        await self._inner.save(aggregate)
        self._remember(aggregate)

    async def find(
        self, where: Mapping[str, Any], *, limit: int = 200, sort: SortSpec = ()
    ) -> list[Product]:
        found = await self._inner.find(where, limit=limit, sort=sort)
        for product in found:
            self._remember(product)
        return found

    async def count(self, where: Mapping[str, Any]) -> int:
        return await self._inner.count(where)

    def _remember(self, product: Product) -> None:
        """The stored state's guard and day: its bucket holds it (written before the state)."""
        if len(self._loaded) >= REMEMBERED:
            self._loaded.clear()
        self._loaded[product.id] = (product.save_guard(), due_day(product))

    async def _expect(self, products: Sequence[Product]) -> None:
        await _expect_each(self._due, products)


class MongoDueIndex:
    def __init__(self, db: Database) -> None:
        self._buckets = db[DUE_PRODUCTS]
        self._days = db[DUE_DAYS]
        self._filled = db[DUE_FILLED]

    async def expect(self, day: date, product_ids: Sequence[str]) -> None:
        if not product_ids:
            return
        key = day.isoformat()
        # The bucket before its day, and the day only with a new bucket (a bucket is never
        # without its day: a pass that forgets an emptied day checks the bucket again after, so
        # a bucket created meanwhile keeps its day; see done).
        result = await self._buckets.update_one(
            {"_id": key}, {"$addToSet": {"products": {"$each": list(product_ids)}}}, upsert=True
        )
        if result.upserted_id is not None:
            await insert_once(self._days, {"_id": key})

    async def days_through(self, today: date, limit: int) -> list[date]:
        # An `_id` range: MongoDB reads its index; FerretDB v1 scans the day documents, whose
        # number is bounded by the calendar (the days still ahead), not by the products.
        cursor = self._days.find({"_id": {"$lte": today.isoformat()}}).sort("_id", 1).limit(limit)
        return [date.fromisoformat(doc["_id"]) async for doc in cursor]

    async def products_on(self, day: date) -> list[str]:
        doc = await self._buckets.find_one({"_id": day.isoformat()})
        return [] if doc is None else [str(p) for p in doc.get("products", [])]

    async def done(self, day: date, product_ids: Sequence[str]) -> None:
        key = day.isoformat()
        if product_ids:
            await self._buckets.update_one(
                {"_id": key}, {"$pullAll": {"products": list(product_ids)}}
            )
        emptied = await self._buckets.delete_one({"_id": key, "products": {"$size": 0}})
        if emptied.deleted_count or await self._buckets.find_one({"_id": key}, {"_id": 1}) is None:
            await self._days.delete_one({"_id": key})
            # A product expected on this day between the two deletes: keep the day.
            if await self._buckets.find_one({"_id": key}, {"_id": 1}) is not None:
                await insert_once(self._days, {"_id": key})

    async def fill(self, products: AggregateStore[Product], batch: int = 1_000) -> int:
        """Once, in a database written before the index: every valid certificate in the bucket
        of its day (a scan of the products, at startup only). Returns how many products."""
        if await self._filled.find_one({"_id": DUE_FILLED}) is not None:
            return 0
        where = {"certificate.status": CertificateStatus.VALID.value}
        found, after = 0, ""
        while True:
            page = await products.find(
                {**where, "_id": {"$gt": after}}, limit=batch, sort=[("_id", 1)]
            )
            await _expect_each(self, page)
            found += len(page)
            if len(page) < batch:
                break
            after = page[-1].id
        await insert_once(self._filled, {"_id": DUE_FILLED})
        return found


class MemoryDueIndex:
    def __init__(self) -> None:
        self.buckets: dict[date, set[str]] = {}

    async def expect(self, day: date, product_ids: Sequence[str]) -> None:
        if product_ids:
            self.buckets.setdefault(day, set()).update(product_ids)

    async def days_through(self, today: date, limit: int) -> list[date]:
        return sorted(day for day in self.buckets if day <= today)[:limit]

    async def products_on(self, day: date) -> list[str]:
        return sorted(self.buckets.get(day, set()))

    async def done(self, day: date, product_ids: Sequence[str]) -> None:
        left = self.buckets.get(day, set()) - set(product_ids)
        if left:
            self.buckets[day] = left
        else:
            self.buckets.pop(day, None)


class MemoryDueIndexedProducts(InMemoryAggregateStore[Product]):
    """The in-memory product store that keeps a :class:`MemoryDueIndex` (unit tests)."""

    def __init__(self, due: MemoryDueIndex) -> None:
        super().__init__(Product)
        self.due = due

    async def add(self, aggregate: Product) -> None:
        await _expect_each(self.due, [aggregate])
        await super().add(aggregate)

    async def add_many(self, aggregates: Sequence[Product]) -> set[str]:
        await _expect_each(self.due, aggregates)
        return await super().add_many(aggregates)

    async def save(self, aggregate: Product) -> None:
        if aggregate.has_changes:
            await _expect_each(self.due, [aggregate])
        await super().save(aggregate)


async def _expect_each(due: DueIndex, products: Sequence[Product]) -> None:
    """Each product with a valid certificate in the bucket of its next scheduler day."""
    by_day: dict[date, list[str]] = defaultdict(list)
    for product in products:
        day = due_day(product)
        if day is not None:
            by_day[day].append(product.id)
    for day, ids in sorted(by_day.items()):
        await due.expect(day, ids)
