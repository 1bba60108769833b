"""Promotion use cases of the walking skeleton: keep product names, build the feed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ocop_contracts import ProductRated, ProductRegistered
from ocop_promotion.domain.feed import FeedEntry, feed_entry_for


@dataclass(frozen=True)
class FeedQuery:
    province_code: str | None = None
    min_stars: int = 3
    page: int = 1
    page_size: int = 50


class PromotionRepository(Protocol):
    async def remember_product(self, event: ProductRegistered) -> bool: ...
    async def product_name(self, product_id: str) -> str | None: ...
    async def add_feed_entry(self, entry: FeedEntry) -> bool: ...
    async def feed(self, query: FeedQuery) -> tuple[list[FeedEntry], int]: ...


class PromotionService:
    def __init__(self, repository: PromotionRepository) -> None:
        self._repo = repository

    async def on_product_registered(self, event: ProductRegistered) -> None:
        await self._repo.remember_product(event)

    async def on_product_rated(self, event: ProductRated) -> None:
        entry = feed_entry_for(event, await self._repo.product_name(event.product_id))
        if entry is not None:
            await self._repo.add_feed_entry(entry)

    async def feed(self, query: FeedQuery) -> tuple[list[FeedEntry], int]:
        return await self._repo.feed(query)
