"""Showrooms and sales points, and the products on display."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from ocop_promotion.domain.venues import ShowroomDetails
from ocop_promotion.entrypoints.api.deps import (
    Page,
    PageSize,
    PlacementsDep,
    PromoterDep,
    ProvinceFilter,
    VenuesDep,
    ensure_province,
    withdraw_by_hand,
)
from ocop_promotion.entrypoints.api.schemas.placements import (
    PlacementOut,
    placement_out,
    shown_json,
)
from ocop_promotion.entrypoints.api.schemas.showrooms import (
    PastDisplayIn,
    PlaceIn,
    ShowroomIn,
    ShowroomOut,
    ShowroomPage,
)
from ocop_promotion.service_layer.venues import Shown

router = APIRouter(prefix="/showrooms", tags=["showrooms and sales points"])


def _showroom_out(shown: Shown) -> ShowroomOut:
    return ShowroomOut.model_validate(shown_json(shown, "showroom_id"))


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ShowroomOut)
async def open_showroom(body: ShowroomIn, venues: VenuesDep, principal: PromoterDep) -> ShowroomOut:
    """Register a showroom or sales point (e.g. the Sa Đéc OCOP sales point in Đồng Tháp)."""
    ensure_province(principal, body.province_code)
    return _showroom_out(await venues.open_showroom(ShowroomDetails(**body.model_dump())))


@router.get("", response_model=ShowroomPage)
async def showrooms(
    venues: VenuesDep,
    province_code: ProvinceFilter = None,
    page: Page = 1,
    page_size: PageSize = 50,
) -> ShowroomPage:
    found, total = await venues.showrooms(province_code, page, page_size)
    items = [_showroom_out(Shown(showroom, [])) for showroom in found]
    return ShowroomPage(items=items, total=total, page=page, page_size=page_size)


@router.get("/{showroom_id}", response_model=ShowroomOut)
async def showroom(showroom_id: str, venues: VenuesDep) -> ShowroomOut:
    """The showroom and the products on display now."""
    return _showroom_out(await venues.showroom(showroom_id))


@router.post(
    "/{showroom_id}/products", status_code=status.HTTP_201_CREATED, response_model=PlacementOut
)
async def display(
    showroom_id: str, body: PlaceIn, venues: VenuesDep, principal: PromoterDep
) -> PlacementOut:
    """Put a product with a valid ≥3★ certificate on display (emits ProductShowcased)."""
    ensure_province(principal, (await venues.showroom(showroom_id)).venue.province_code)
    return placement_out(await venues.display_in_showroom(showroom_id, body.product_id))


@router.post(
    "/{showroom_id}/products/history",
    status_code=status.HTTP_201_CREATED,
    response_model=PlacementOut,
    responses={200: {"model": PlacementOut, "description": "recorded before, as it was"}},
)
async def displayed_in_the_past(
    showroom_id: str,
    body: PastDisplayIn,
    venues: VenuesDep,
    principal: PromoterDep,
    response: Response,
) -> PlacementOut:
    """History: a product shown here since a day before today (ProductShowcased with that
    `since` and, before 1 July 2025, its `legacy_unit`). The rules of placing apply but that
    the certificate is valid today: the product held a valid ≥3★ certificate on `since` (422
    naming `since` otherwise). Shown while that certificate lasted (renewed without a gap):
    one that ran out or was revoked before today leaves the placement `delisted` on the day it
    lapsed, with the live path's reason (and its ProductDelisted of that day); the answer's
    `state`, `delisted_on` and `reason` say which.

    Safe to retry: the placement is known by the showroom, the product and `since` (a product
    may be shown again after it was taken out, from another day). A repeat answers the
    placement recorded first (200) and writes nothing; the same key with another
    `legacy_unit` is 409."""
    ensure_province(principal, (await venues.showroom(showroom_id)).venue.province_code)
    past = await venues.displayed_in_the_past(
        showroom_id, body.product_id, body.since, body.legacy_unit
    )
    if not past.written:
        response.status_code = status.HTTP_200_OK
    return placement_out(past.placement)


@router.delete("/{showroom_id}/products/{product_id}", response_model=PlacementOut)
async def remove_from_display(
    showroom_id: str,
    product_id: str,
    venues: VenuesDep,
    placements: PlacementsDep,
    principal: PromoterDep,
) -> PlacementOut:
    showroom = (await venues.showroom(showroom_id)).venue
    return await withdraw_by_hand(placements, principal, showroom, product_id)
