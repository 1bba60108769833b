"""Trade fairs: scheduling, booths, the products shown and the outcome."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from ocop_contracts.legacy import LegacyUnit
from ocop_promotion.domain.venues import Booth, FairDetails, FairOutcome
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
from ocop_promotion.entrypoints.api.schemas.fairs import (
    FairIn,
    FairOut,
    FairPage,
    OutcomeIn,
    PastFairIn,
    PlaceInFairIn,
)
from ocop_promotion.entrypoints.api.schemas.placements import (
    PlacementOut,
    placement_out,
    shown_json,
)
from ocop_promotion.service_layer.venues import Shown

router = APIRouter(prefix="/fairs", tags=["fairs"])


def _fair_out(shown: Shown) -> FairOut:
    return FairOut.model_validate(shown_json(shown, "fair_id"))


def _details(body: FairIn, legacy_unit: LegacyUnit | None = None) -> FairDetails:
    """The fair a request describes (a live fair takes no old unit)."""
    return FairDetails(
        name=body.name,
        place=body.place,
        organiser=body.organiser,
        province_code=body.province_code,
        starts_on=body.starts_on,
        ends_on=body.ends_on,
        booths=tuple(Booth(b.code, b.capacity, b.name) for b in body.booths),
        commune_code=body.commune_code,
        legacy_unit=legacy_unit,
    )


@router.post("", status_code=status.HTTP_201_CREATED, response_model=FairOut)
async def schedule_fair(body: FairIn, venues: VenuesDep, principal: PromoterDep) -> FairOut:
    """Schedule a trade fair with its booths (emits FairScheduled)."""
    ensure_province(principal, body.province_code)
    return _fair_out(await venues.schedule_fair(_details(body)))


@router.post(
    "/history",
    status_code=status.HTTP_201_CREATED,
    response_model=FairOut,
    responses={200: {"model": FairOut, "description": "everything was recorded before"}},
)
async def record_past_fair(
    body: PastFairIn, venues: VenuesDep, principal: PromoterDep, response: Response
) -> FairOut:
    """Record a fair that is over (ended before today), with its real dates, its old unit
    before 1 July 2025 (legacy_unit) and the products that took part, each from the fair's
    first day (emits FairScheduled with historic=true and a ProductShowcased per product).
    Every rule of POST /fairs and of placing a product applies, but that the fair is not over
    and that the certificate is valid today: a product must hold or have held a ≥3★
    certificate. Nothing is written when one product is refused.

    Safe to retry: the fair is known by province_code, starts_on and name (case, diacritics
    and spacing aside), each product's placement by the fair and the product. A repeat
    completes what an interrupted request left (201) or, all recorded, writes nothing and
    answers the same fair (200); other details under the same key are 409."""
    ensure_province(principal, body.province_code)
    details = _details(body, body.legacy_unit)
    participants = [(p.product_id, p.booth_code) for p in body.products]
    recorded = await venues.record_past_fair(details, participants)
    if not recorded.written:
        response.status_code = status.HTTP_200_OK
    return _fair_out(recorded.shown)


@router.get("", response_model=FairPage)
async def fairs(
    venues: VenuesDep,
    province_code: ProvinceFilter = None,
    year: Annotated[int | None, Query(ge=2018, le=2100)] = None,
    page: Page = 1,
    page_size: PageSize = 50,
) -> FairPage:
    found, total = await venues.fairs(province_code, year, page, page_size)
    items = [_fair_out(Shown(fair, [])) for fair in found]
    return FairPage(items=items, total=total, page=page, page_size=page_size)


@router.get("/{fair_id}", response_model=FairOut)
async def fair(fair_id: str, venues: VenuesDep) -> FairOut:
    """The fair, its booths, outcome and the products assigned now."""
    return _fair_out(await venues.fair(fair_id))


@router.post(
    "/{fair_id}/products", status_code=status.HTTP_201_CREATED, response_model=PlacementOut
)
async def place_in_fair(
    fair_id: str, body: PlaceInFairIn, venues: VenuesDep, principal: PromoterDep
) -> PlacementOut:
    """Assign a product with a valid ≥3★ certificate (valid through the fair) to a booth with
    room (emits ProductShowcased)."""
    ensure_province(principal, (await venues.fair(fair_id)).venue.province_code)
    return placement_out(await venues.place_in_fair(fair_id, body.product_id, body.booth_code))


@router.delete("/{fair_id}/products/{product_id}", response_model=PlacementOut)
async def withdraw_from_fair(
    fair_id: str,
    product_id: str,
    venues: VenuesDep,
    placements: PlacementsDep,
    principal: PromoterDep,
) -> PlacementOut:
    fair = (await venues.fair(fair_id)).venue
    return await withdraw_by_hand(placements, principal, fair, product_id)


@router.put("/{fair_id}/outcome", response_model=FairOut)
async def record_outcome(
    fair_id: str, body: OutcomeIn, venues: VenuesDep, principal: PromoterDep
) -> FairOut:
    """Sales, contracts and visitors of a fair that has begun."""
    ensure_province(principal, (await venues.fair(fair_id)).venue.province_code)
    outcome = FairOutcome(**body.model_dump())
    return _fair_out(await venues.record_outcome(fair_id, outcome))
