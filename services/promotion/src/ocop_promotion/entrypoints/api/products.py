"""A product as promotion sees it: may it be placed, and where it is or was."""

from __future__ import annotations

from fastapi import APIRouter

from ocop_platform.mongo import Document
from ocop_promotion.entrypoints.api.deps import PlacementsDep
from ocop_promotion.entrypoints.api.schemas.placements import EligibilityOut, PlacementOut

router = APIRouter(prefix="/products", tags=["products"])


@router.get("/{product_id}/eligibility", response_model=EligibilityOut)
async def eligibility(product_id: str, placements: PlacementsDep) -> Document:
    """May the product be placed today (valid ≥3★ certificate)? If not, why not."""
    return await placements.eligibility(product_id)


@router.get("/{product_id}/placements", response_model=list[PlacementOut])
async def placements_of(product_id: str, placements: PlacementsDep) -> list[Document]:
    """Every venue a product is or was placed in, with why it was delisted."""
    entries: list[Document] = (await placements.placements_of(product_id))["entries"]
    return entries
