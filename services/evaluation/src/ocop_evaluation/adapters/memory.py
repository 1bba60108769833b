"""Evaluation's stores in memory: the same Protocols as ``adapters/mongo.py``, without I/O, for
unit tests of the use cases (the aggregates use the platform's InMemoryAggregateStore, which the
platform's contract tests hold to the real store's behaviour)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from ocop_contracts import ProductRated, ProductRegistered
from ocop_contracts.events.registry import ProductUpdated
from ocop_evaluation.adapters.due import MemoryDueIndex, MemoryDueIndexedProducts
from ocop_evaluation.adapters.stores import ParkedRating, Stores
from ocop_evaluation.domain.dossiers import Dossier
from ocop_evaluation.domain.products import RegisteredProduct
from ocop_evaluation.domain.resends import SourceRating
from ocop_evaluation.domain.rounds import Round
from ocop_evaluation.domain.scoring import CouncilRules
from ocop_platform.aggregates import InMemoryAggregateStore


def memory_stores() -> Stores:
    due = MemoryDueIndex()
    return Stores(
        products=MemoryDueIndexedProducts(due),
        dossiers=InMemoryAggregateStore(Dossier),
        rounds=InMemoryAggregateStore(Round),
        registered=MemoryRegisteredProducts(),
        certificates=MemoryCertificateIndex(),
        council_rules=MemoryCouncilRules(),
        parked=MemoryParkedRatings(),
        sources=MemorySourceRatings(),
        due=due,
    )


class MemoryRegisteredProducts:
    def __init__(self) -> None:
        self._known: dict[str, tuple[int, RegisteredProduct]] = {}

    async def remember(self, event: ProductRegistered | ProductUpdated) -> bool:
        kept = self._known.get(event.product_id)
        if kept is not None and kept[0] >= event.aggregate_version:
            return False
        facts = RegisteredProduct.model_validate(event.model_dump())
        self._known[event.product_id] = (event.aggregate_version, facts)
        return True

    async def get(self, product_id: str) -> RegisteredProduct | None:
        kept = self._known.get(product_id)
        return None if kept is None else kept[1]

    async def get_many(self, product_ids: Sequence[str]) -> dict[str, RegisteredProduct]:
        return {i: self._known[i][1] for i in product_ids if i in self._known}


class MemoryCertificateIndex:
    def __init__(self) -> None:
        self.products: dict[str, str] = {}

    async def claim(self, certificate_id: str, product_id: str) -> bool:
        if certificate_id in self.products:
            return False
        self.products[certificate_id] = product_id
        return True

    async def product_of(self, certificate_id: str) -> str | None:
        return self.products.get(certificate_id)

    async def release(self, certificate_id: str) -> None:
        self.products.pop(certificate_id, None)


class MemoryCouncilRules:
    def __init__(self) -> None:
        self._rules: dict[str, CouncilRules] = {}

    async def get(self, province_code: str) -> CouncilRules | None:
        return self._rules.get(province_code)

    async def put(self, province_code: str, rules: CouncilRules) -> None:
        self._rules[province_code] = rules


class MemoryParkedRatings:
    def __init__(self) -> None:
        self.held: dict[str, ParkedRating] = {}
        self.rejected: dict[str, str] = {}  # parked id → reason

    async def park(self, rating: ProductRated, received_on: date) -> bool:
        parked_id = str(rating.event_id)
        if parked_id in self.held:
            return False
        self.held[parked_id] = ParkedRating(parked_id, rating)
        return True

    async def any(self) -> bool:
        return bool(self.held)

    async def of_product(self, product_id: str) -> list[ParkedRating]:
        return [p for p in self.held.values() if p.rating.product_id == product_id]

    async def release(self, parked: ParkedRating) -> None:
        self.held.pop(parked.parked_id, None)

    async def reject(self, parked: ParkedRating, reason: str) -> None:
        self.rejected[parked.parked_id] = reason
        await self.release(parked)


class MemorySourceRatings:
    def __init__(self) -> None:
        self._first: dict[str, SourceRating] = {}

    async def record(self, source: SourceRating) -> bool:
        return self._first.setdefault(source.key, source) is source

    async def record_many(self, sources: Sequence[SourceRating]) -> set[str]:
        return {source.key for source in sources if await self.record(source)}

    async def get(self, key: str) -> SourceRating | None:
        return self._first.get(key)

    async def forget(self, source: SourceRating) -> None:
        if (kept := self._first.get(source.key)) is not None and kept.event_id == source.event_id:
            del self._first[source.key]


class MemoryClockStore:
    def __init__(self) -> None:
        self.today: date | None = None

    async def stored_today(self) -> date | None:
        return self.today

    async def store_today(self, today: date | None) -> None:
        self.today = today
