"""Promotion's venue stores in memory: the same Protocols as ``adapters/repository.py``, without
I/O, for unit tests of the use cases (the aggregates use the platform's InMemoryAggregateStore,
which the platform's contract tests hold to the real store's behaviour)."""

from __future__ import annotations

from ocop_contracts.vocabulary import VenueKind
from ocop_platform.aggregates import InMemoryAggregateStore
from ocop_promotion.adapters.stores import VenueStores
from ocop_promotion.domain.activities import Activity
from ocop_promotion.domain.compliance import Certification
from ocop_promotion.domain.placements import ProductPlacements, VenueRef
from ocop_promotion.domain.venues import Fair, Showroom


class MemoryVenueIndex:
    def __init__(self) -> None:
        self._facts: set[tuple[str, VenueKind, str]] = set()

    async def remember(self, venue: VenueRef, product_id: str) -> None:
        self._facts.add((venue.venue_id, venue.kind, product_id))

    async def products_at(self, venue_id: str) -> list[str]:
        return sorted({product for venue, _, product in self._facts if venue == venue_id})

    async def products_listed_online(self, product_id: str | None) -> list[str]:
        return sorted(
            {
                product
                for _, kind, product in self._facts
                if kind is VenueKind.ONLINE and product_id in (None, product)
            }
        )


class MemoryCertifications:
    """Certificates as a test states them (the projection of evaluation's events)."""

    def __init__(self) -> None:
        self.known: dict[str, Certification] = {}

    def put(self, certification: Certification) -> None:
        self.known[certification.product_id] = certification

    async def certification(self, product_id: str) -> Certification | None:
        return self.known.get(product_id)


def memory_venue_stores() -> VenueStores:
    return VenueStores(
        fairs=InMemoryAggregateStore(Fair),
        showrooms=InMemoryAggregateStore(Showroom),
        activities=InMemoryAggregateStore(Activity),
        placements=InMemoryAggregateStore(ProductPlacements),
        venue_index=MemoryVenueIndex(),
        certifications=MemoryCertifications(),
    )
