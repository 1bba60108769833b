"""Read-side query parameters shared by the API and the repository."""

from __future__ import annotations

from dataclasses import dataclass

from ocop_promotion.domain.feed import Change


@dataclass(frozen=True)
class FeedQuery:
    province_code: str | None = None
    min_stars: int = 3
    page: int = 1
    page_size: int = 50
    stars: int | None = None
    sector_code: str | None = None
    group_code: str | None = None
    change: Change | None = None
