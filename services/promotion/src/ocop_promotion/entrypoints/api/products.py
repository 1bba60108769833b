"""A product as promotion sees it: may it be placed, and where it is or was."""

from __future__ import annotations

from fastapi import APIRouter

from ocop_promotion.entrypoints.api.deps import PlacementsDep
from ocop_promotion.entrypoints.api.schemas.placements import (
    EligibilityOut,
    PlacementOut,
    eligibility_out,
    placement_out,
)

router = APIRouter(prefix="/products", tags=["products"])


@router.get("/{product_id}/eligibility", response_model=EligibilityOut)
async def eligibility(product_id: str, placements: PlacementsDep) -> EligibilityOut:
    """May the product be placed today (valid ≥3★ certificate)? If not, why not."""
    return eligibility_out(await placements.eligibility(product_id))


@router.get("/{product_id}/placements", response_model=list[PlacementOut])
async def placements_of(product_id: str, placements: PlacementsDep) -> list[PlacementOut]:
    """Every venue a product is or was placed in, with why it was delisted."""
    return [placement_out(p) for p in await placements.placements_of(product_id)]
