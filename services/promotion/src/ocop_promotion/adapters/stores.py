"""What promotion's venue and placement use cases load and save, each behind a Protocol, and the
typed reads over them.

The aggregates (fairs, showrooms, activities, each product's placements) go through
``ocop_platform.aggregates``'s :class:`AggregateStore`. Two small Protocols stand beside them:
the venue index (which products were ever placed at a venue: FerretDB v1 does not reliably
match ``entries.venue_id`` beyond an array's first element) and the certificates promotion knows
from evaluation's events. ``adapters/repository.py`` implements them on MongoDB/FerretDB,
``adapters/memory.py`` in memory (unit tests of the use cases).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol, TypeVar

from ocop_contracts.vocabulary import ActivityKind
from ocop_platform.aggregates import Aggregate, AggregateStore, SortSpec
from ocop_promotion.domain.activities import Activity
from ocop_promotion.domain.compliance import Certification
from ocop_promotion.domain.placements import ProductPlacements, VenueRef
from ocop_promotion.domain.venues import Fair, Showroom

A = TypeVar("A", bound=Aggregate)
MOST_PRODUCTS_AT_A_VENUE = 10_000


class VenueIndex(Protocol):
    async def remember(self, venue: VenueRef, product_id: str) -> None:
        """Insert-once: the product is (or was) placed at the venue."""

    async def products_at(self, venue_id: str) -> list[str]: ...

    async def products_listed_online(self, product_id: str | None) -> list[str]:
        """Products with an online listing (one product's, or every one's)."""


class Certifications(Protocol):
    async def certification(self, product_id: str) -> Certification | None:
        """The certificate in force and the latest rating, as evaluation last stated them."""


@dataclass(frozen=True)
class VenueStores:
    fairs: AggregateStore[Fair]
    showrooms: AggregateStore[Showroom]
    activities: AggregateStore[Activity]
    placements: AggregateStore[ProductPlacements]
    venue_index: VenueIndex
    certifications: Certifications


async def page_of(
    store: AggregateStore[A], where: Mapping[str, Any], sort: SortSpec, page: int, page_size: int
) -> tuple[list[A], int]:
    """One page of the aggregates matching ``where``, and how many match in all."""
    found = await store.find(where, limit=page * page_size, sort=sort)
    return found[(page - 1) * page_size :], await store.count(where)


async def placements_of_products(
    stores: VenueStores, product_ids: list[str]
) -> list[ProductPlacements]:
    if not product_ids:
        return []
    where = {"_id": {"$in": sorted(set(product_ids))}}
    return await stores.placements.find(where, limit=MOST_PRODUCTS_AT_A_VENUE)


async def placements_at(stores: VenueStores, venue_id: str) -> list[ProductPlacements]:
    """The placements of every product ever placed at ``venue_id``."""
    return await placements_of_products(stores, await stores.venue_index.products_at(venue_id))


async def fairs_in(
    stores: VenueStores, province_code: str | None, year: int | None, page: int, page_size: int
) -> tuple[list[Fair], int]:
    """Fairs newest first, of a province and a year (each optional)."""
    where: dict[str, Any] = {}
    if province_code:
        where["province_code"] = province_code
    if year:
        where["starts_on"] = {"$gte": f"{year}-01-01", "$lte": f"{year}-12-31"}
    return await page_of(stores.fairs, where, [("starts_on", -1), ("_id", 1)], page, page_size)


async def showrooms_in(
    stores: VenueStores, province_code: str | None, page: int, page_size: int
) -> tuple[list[Showroom], int]:
    """Showrooms and sales points by name, of a province (optional)."""
    where = {"province_code": province_code} if province_code else {}
    return await page_of(stores.showrooms, where, [("name", 1), ("_id", 1)], page, page_size)


async def activities_in(
    stores: VenueStores,
    province_code: str | None,
    kind: ActivityKind | None,
    occurred: tuple[date | None, date | None],
    page: int,
    page_size: int,
) -> tuple[list[Activity], int]:
    """Activities newest first, of a province, a kind and a span of days (each optional)."""
    where: dict[str, Any] = {}
    if province_code:
        where["province_code"] = province_code
    if kind:
        where["kind"] = kind.value
    bounds = zip(("$gte", "$lte"), occurred, strict=True)
    span = {operator: day.isoformat() for operator, day in bounds if day is not None}
    if span:
        where["occurred_on"] = span
    sort = [("occurred_on", -1), ("_id", 1)]
    return await page_of(stores.activities, where, sort, page, page_size)
