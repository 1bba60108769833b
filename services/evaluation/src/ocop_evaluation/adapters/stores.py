"""What evaluation's use cases load and save, each behind a Protocol.

The aggregates (products, dossiers, rounds) go through ``ocop_platform.aggregates``'s
:class:`AggregateStore`; the rest are small typed stores: what the registry told us of each
product, the certificate-number index, provinces' council rules, held ingest messages, province
systems' source ratings and the development clock. ``adapters/mongo.py`` implements them on
MongoDB/FerretDB, ``adapters/memory.py`` in memory (unit tests of the use cases).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from ocop_contracts import ProductRated, ProductRegistered
from ocop_contracts.events.registry import ProductUpdated
from ocop_evaluation.adapters.due import DueIndex
from ocop_evaluation.domain.dossiers import Dossier
from ocop_evaluation.domain.products import Product, RegisteredProduct
from ocop_evaluation.domain.resends import SourceRating
from ocop_evaluation.domain.rounds import Round
from ocop_evaluation.domain.scoring import CouncilRules
from ocop_platform.aggregates import AggregateStore


class RegisteredProducts(Protocol):
    """The projection of the registry's ProductRegistered/ProductUpdated (newest version wins)."""

    async def remember(self, event: ProductRegistered | ProductUpdated) -> bool:
        """False when the event is not newer than what is kept (a repeat or a late one)."""

    async def get(self, product_id: str) -> RegisteredProduct | None: ...

    async def get_many(self, product_ids: Sequence[str]) -> dict[str, RegisteredProduct]:
        """Those of ``product_ids`` that are known, in one read."""


class CertificateIndex(Protocol):
    """Certificate number → product, so a certificate is found by its number."""

    async def claim(self, certificate_id: str, product_id: str) -> bool:
        """Insert-once: False when the number is taken."""

    async def product_of(self, certificate_id: str) -> str | None: ...

    async def release(self, certificate_id: str) -> None:
        """Give back a number whose certificate was not issued after all."""


class CouncilRulesStore(Protocol):
    async def get(self, province_code: str) -> CouncilRules | None: ...

    async def put(self, province_code: str, rules: CouncilRules) -> None: ...


@dataclass(frozen=True)
class ParkedRating:
    """A province system's rating held until its product is known."""

    parked_id: str
    rating: ProductRated


class ParkedRatings(Protocol):
    async def park(self, rating: ProductRated, received_on: date) -> bool:
        """Insert-once by event id: False when this message is held already."""

    async def any(self) -> bool:
        """Cheap check before looking for a product's held messages."""

    async def of_product(self, product_id: str) -> list[ParkedRating]: ...

    async def release(self, parked: ParkedRating) -> None:
        """Forget a held message once it is applied."""

    async def reject(self, parked: ParkedRating, reason: str) -> None:
        """Move a held message that failed once its product was known aside, with the reason."""


class SourceRatings(Protocol):
    """The first message of each province system's rating (docs: domain/resends.py)."""

    async def record(self, source: SourceRating) -> bool:
        """Insert-once: False when a message of this source rating was recorded before."""

    async def record_many(self, sources: Sequence[SourceRating]) -> set[str]:
        """:meth:`record` of each (distinct keys) in one write: the keys recorded now."""

    async def get(self, key: str) -> SourceRating | None: ...

    async def forget(self, source: SourceRating) -> None:
        """Only the recording of this very message: a rejected rating never became one."""


class ClockStore(Protocol):
    """The development clock's override (PUT /admin/clock)."""

    async def stored_today(self) -> date | None: ...

    async def store_today(self, today: date | None) -> None: ...


@dataclass(frozen=True)
class Stores:
    """Everything evaluation's use cases read and write."""

    products: AggregateStore[Product]
    dossiers: AggregateStore[Dossier]
    rounds: AggregateStore[Round]
    registered: RegisteredProducts
    certificates: CertificateIndex
    council_rules: CouncilRulesStore
    parked: ParkedRatings
    sources: SourceRatings
    due: DueIndex  # the products the certificate scheduler looks at, by day (adapters/due.py)
