"""Online listings: a product in a shop or marketplace, and taking it down."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, status

from ocop_platform.auth import Principal
from ocop_promotion.entrypoints.api.deps import (
    PlacementsDep,
    PromoterDep,
    ProvinceFilter,
    VenuesDep,
    ensure_province,
)
from ocop_promotion.entrypoints.api.schemas.listings import ListingIn
from ocop_promotion.entrypoints.api.schemas.placements import PlacementOut, placement_out
from ocop_promotion.service_layer.placements import PlacementService

router = APIRouter(prefix="/listings", tags=["online listings"])


async def _ensure_product_province(
    principal: Principal, placements: PlacementService, product_id: str
) -> None:
    """The token must cover the product's province, when promotion knows it."""
    province = await placements.province_of(product_id)
    if province:
        ensure_province(principal, province)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=PlacementOut)
async def list_online(
    body: ListingIn, venues: VenuesDep, placements: PlacementsDep, principal: PromoterDep
) -> PlacementOut:
    """List a product with a valid ≥3★ certificate in an online shop (emits ProductShowcased);
    `placement_id` is the listing id. The token must cover the product's province."""
    await _ensure_product_province(principal, placements, body.product_id)
    return placement_out(await venues.list_online(body.product_id, body.channel, str(body.url)))


@router.get("", response_model=list[PlacementOut])
async def listings(
    venues: VenuesDep,
    product_id: str | None = None,
    province_code: ProvinceFilter = None,
    channel: str | None = None,
    state: Literal["active", "delisted"] | None = None,
) -> list[PlacementOut]:
    found = await venues.listings(
        product_id, province_code, channel.lower() if channel else None, state
    )
    return [placement_out(p) for p in found]


@router.get("/{listing_id}", response_model=PlacementOut)
async def listing(listing_id: str, venues: VenuesDep) -> PlacementOut:
    return placement_out(await venues.listing(listing_id))


@router.post("/{listing_id}/take-down", response_model=PlacementOut)
async def take_down(
    listing_id: str, venues: VenuesDep, placements: PlacementsDep, principal: PromoterDep
) -> PlacementOut:
    product_id = (await venues.listing(listing_id)).product_id
    await _ensure_product_province(principal, placements, product_id)
    return placement_out(await venues.take_down_listing(listing_id))
