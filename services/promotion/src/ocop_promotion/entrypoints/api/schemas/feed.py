"""The newly-starred feed as the API returns it."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from ocop_promotion.domain.feed import Change


class FeedEntryPublic(BaseModel):
    entry_id: str
    product_id: str
    product_name: str | None
    change: Change | None = Field(description="first_certification or upgrade")
    from_stars: int
    to_stars: int
    score: float
    rated_on: date
    province_code: str
    commune_code: str | None = None
    scoring_set_code: str
    sector_code: str | None = Field(default=None, description="QĐ26 sector, e.g. I")
    group_code: str | None = Field(default=None, description="QĐ26 group, e.g. I.3")
    entity_id: str | None = Field(default=None, description="The producer (chủ thể)")
    entity_name: str | None = None
    recorded_at: datetime | None = None


class FeedPage(BaseModel):
    items: list[FeedEntryPublic]
    total: int
    page: int
    page_size: int
