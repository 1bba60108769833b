"""Products: ratings recorded directly, a product's stars and certificates, the next-star report."""

from __future__ import annotations

from fastapi import APIRouter, status

from ocop_evaluation.entrypoints.api.deps import Evaluator, ProductsDep
from ocop_evaluation.entrypoints.api.schemas.products import (
    NextStarView,
    ProductEvaluationView,
    RatingPublic,
)
from ocop_evaluation.service_layer.commands import RecordRating
from ocop_platform.auth import CurrentPrincipal

router = APIRouter(tags=["products"])


@router.post(
    "/ratings",
    status_code=status.HTTP_201_CREATED,
    response_model=RatingPublic,
    summary="Record a council's final result (historical ratings; no dossier)",
)
async def record_rating(body: RecordRating, products: ProductsDep, who: Evaluator) -> RatingPublic:
    return RatingPublic.of(await products.record_rating(body, who))


@router.get(
    "/products/{product_id}/next-star",
    response_model=NextStarView,
    summary="What stands between a product and its next star (from its latest council sheet)",
)
async def next_star(product_id: str, products: ProductsDep, who: CurrentPrincipal) -> NextStarView:
    return NextStarView.of(await products.next_star(product_id, who))


@router.get(
    "/products/{product_id}/evaluation",
    response_model=ProductEvaluationView,
    summary="Stars, rating and certificates",
)
async def product_evaluation(
    product_id: str, products: ProductsDep, who: CurrentPrincipal
) -> ProductEvaluationView:
    return ProductEvaluationView.of(await products.evaluation(product_id))
