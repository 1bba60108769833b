"""Evaluation use cases of the walking skeleton: know registered products, record a rating."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from ocop_contracts import ProductRated, ProductRegistered, RatingLevel
from ocop_evaluation.domain.rules import rule_set_in_force
from ocop_platform.auth import Principal, ensure_province
from ocop_platform.errors import DomainError
from ocop_platform.logging import trace_fields

SERVICE = "evaluation"


@dataclass(frozen=True)
class KnownProduct:
    product_id: str
    province_code: str
    scoring_set_code: str
    commune_code: str
    stars: int
    rating_version: int


@dataclass(frozen=True)
class RecordRating:
    product_id: str
    score: float
    level: RatingLevel
    rated_on: date
    round_id: str | None = None


class EvaluationRepository(Protocol):
    async def remember_product(self, event: ProductRegistered) -> bool: ...
    async def get_product(self, product_id: str) -> KnownProduct | None: ...
    async def add_rating(self, product: KnownProduct, event: ProductRated) -> bool: ...


class EvaluationService:
    def __init__(
        self, repository: EvaluationRepository, events_written: Callable[[], None]
    ) -> None:
        self._repo = repository
        self._events_written = events_written

    async def on_product_registered(self, event: ProductRegistered) -> None:
        await self._repo.remember_product(event)

    async def record_rating(self, cmd: RecordRating, principal: Principal) -> ProductRated:
        product = await self._repo.get_product(cmd.product_id)
        if product is None:
            raise DomainError(
                f"product {cmd.product_id} is not registered (or not yet known here)",
                field="product_id",
            )
        ensure_province(principal, product.province_code)
        rules = rule_set_in_force(cmd.rated_on)
        event = ProductRated(
            producer=SERVICE,
            **trace_fields(),
            aggregate_id=product.product_id,
            aggregate_version=product.rating_version + 1,
            province_code=product.province_code,
            product_id=product.product_id,
            score=cmd.score,
            stars=rules.stars_at_level(cmd.score, cmd.level),
            previous_stars=product.stars,
            level=cmd.level,
            rule_set_id=rules.rule_set_id,
            round_id=cmd.round_id,
            rated_on=cmd.rated_on,
            scoring_set_code=product.scoring_set_code,
            commune_code=product.commune_code,
        )
        if not await self._repo.add_rating(product, event):
            raise DomainError("the product was rated concurrently; retry", field="product_id")
        self._events_written()
        return event
