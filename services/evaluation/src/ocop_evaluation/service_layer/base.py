"""What every group of evaluation's use cases shares: the stores, today's date, and the loads that
answer the HTTP edge's 404s in evaluation's words.

A use case is load → call an aggregate's method → save. When another writer saved the aggregate
in between (ConcurrencyConflict), the whole attempt runs again on a fresh load, checks included.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import TypeVar

from ocop_evaluation.adapters.stores import Stores
from ocop_evaluation.domain.dossiers import Dossier
from ocop_evaluation.domain.products import Product, RegisteredProduct
from ocop_evaluation.domain.rounds import Round
from ocop_platform.aggregates import ConcurrencyConflict, change
from ocop_platform.errors import Conflict, DomainError, NotFound

TodayFn = Callable[[], Awaitable[date]]
R = TypeVar("R")
T = TypeVar("T")
ATTEMPTS = 5


async def retried(attempt: Callable[[], Awaitable[R]], attempts: int = ATTEMPTS) -> R:
    """Run ``attempt`` (load → call → save) again while another writer got there first."""
    for remaining in range(attempts - 1, -1, -1):
        try:
            return await attempt()
        except ConcurrencyConflict:
            if not remaining:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


class UseCases:
    def __init__(self, stores: Stores, today: TodayFn) -> None:
        self.stores = stores
        self.today = today

    async def registered(self, product_id: str) -> RegisteredProduct:
        """What the registry told us of the product; 422 while it is not known here yet."""
        return _found(
            await self.stores.registered.get(product_id),
            DomainError(
                f"product {product_id} is not registered (or not yet known here)",
                field="product_id",
            ),
        )

    async def known(self, product_id: str) -> RegisteredProduct:
        """As :meth:`registered`, for reads: 404."""
        return _found(
            await self.stores.registered.get(product_id),
            NotFound(f"product {product_id} is not known here", field="product_id"),
        )

    async def product(self, product_id: str) -> Product:
        return await self.stores.products.get(product_id) or Product(id=product_id)

    async def change_product(self, product_id: str, command: Callable[[Product], R]) -> R:
        return await change(
            self.stores.products, product_id, command, kind="product", attempts=ATTEMPTS
        )

    async def claim_certificate(self, certificate_id: str, product_id: str) -> None:
        """Index a certificate number before the product's write that issues it."""
        if not await self.stores.certificates.claim(certificate_id, product_id):
            raise Conflict(f"certificate {certificate_id} exists", field="certificate_id")

    async def round(self, round_id: str) -> Round:
        return _found(
            await self.stores.rounds.get(round_id),
            NotFound(f"no round {round_id}", field="round_id"),
        )

    async def dossier(self, dossier_id: str) -> Dossier:
        return _found(
            await self.stores.dossiers.get(dossier_id),
            NotFound(f"no dossier {dossier_id}", field="dossier_id"),
        )


def _found(value: T | None, missing: DomainError) -> T:
    if value is None:
        raise missing
    return value
