"""HTTP API of promotion (walking skeleton: the newly-starred feed)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel

from ocop_promotion.service_layer.services import FeedQuery, PromotionService


def _service(request: Request) -> PromotionService:
    service: PromotionService = request.app.state.promotion
    return service


ServiceDep = Annotated[PromotionService, Depends(_service)]


class FeedEntryPublic(BaseModel):
    product_id: str
    product_name: str | None
    province_code: str
    scoring_set_code: str
    from_stars: int
    to_stars: int
    score: float
    rated_on: date


class FeedPage(BaseModel):
    items: list[FeedEntryPublic]
    total: int
    page: int
    page_size: int


router = APIRouter(tags=["promotion"])


@router.get("/feed", response_model=FeedPage, summary="Products that newly reached ≥3★")
async def newly_starred(
    service: ServiceDep,
    province_code: Annotated[str | None, Query(pattern=r"^\d{2}$")] = None,
    min_stars: Annotated[int, Query(ge=3, le=5)] = 3,
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=500)] = 50,
) -> FeedPage:
    query = FeedQuery(province_code, min_stars, page, page_size)
    entries, total = await service.feed(query)
    items = [FeedEntryPublic.model_validate(e, from_attributes=True) for e in entries]
    return FeedPage(items=items, total=total, page=page, page_size=page_size)
