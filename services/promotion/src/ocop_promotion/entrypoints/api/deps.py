"""Request dependencies: promotion's three services, who may promote, the province check, and
the parameter types the routes share."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request

from ocop_contracts.reference import UnknownClassificationError
from ocop_contracts.vocabulary import DelistReason
from ocop_platform.auth import CurrentPrincipal
from ocop_platform.errors import DomainError
from ocop_platform.identity import Forbidden, Principal, Role
from ocop_promotion.domain.feed import canonical_classification
from ocop_promotion.domain.venues import Fair, Showroom
from ocop_promotion.entrypoints.api.schemas.placements import PlacementOut, placement_out
from ocop_promotion.service_layer.placements import PlacementService
from ocop_promotion.service_layer.services import PromotionService
from ocop_promotion.service_layer.venues import VenueService

PROMOTERS = (Role.PROMOTION_TEAM, Role.PROVINCE_OFFICE, Role.MINISTRY)

ProvinceFilter = Annotated[str | None, Query(pattern=r"^\d{2}$")]
Page = Annotated[int, Query(ge=1)]
PageSize = Annotated[int, Query(ge=1, le=500)]


def _promotion(request: Request) -> PromotionService:
    service: PromotionService = request.app.state.promotion
    return service


def _venues(request: Request) -> VenueService:
    service: VenueService = request.app.state.venues
    return service


def _placements(request: Request) -> PlacementService:
    service: PlacementService = request.app.state.placements
    return service


def promoter(principal: CurrentPrincipal) -> Principal:
    """The caller, if they hold a promoting role (admin always passes)."""
    if not principal.has_any((*PROMOTERS, Role.ADMIN)):
        raise Forbidden(f"requires one of: {', '.join(r.value for r in PROMOTERS)}")
    return principal


PromotionDep = Annotated[PromotionService, Depends(_promotion)]
VenuesDep = Annotated[VenueService, Depends(_venues)]
PlacementsDep = Annotated[PlacementService, Depends(_placements)]
PromoterDep = Annotated[Principal, Depends(promoter)]


def ensure_province(principal: Principal, province_code: str) -> None:
    """403 unless the caller's token covers the province (national tokens cover all)."""
    if not principal.may_act_in(province_code):
        raise Forbidden(f"your token does not cover province {province_code}")


async def withdraw_by_hand(
    placements: PlacementService, principal: Principal, venue: Fair | Showroom, product_id: str
) -> PlacementOut:
    """Take a product out of a fair or showroom of a province the caller's token covers."""
    ensure_province(principal, venue.province_code)
    return placement_out(await placements.delist(product_id, venue.id, DelistReason.MANUAL))


def classification(
    codes: list[str], field: str, expect_parts: int | None = None
) -> tuple[str, ...]:
    """The QĐ26 codes in canonical form; 422 naming ``field`` for an unknown code, or for a
    code of the wrong level (``expect_parts``: 1 for a sector, 2 for a group)."""
    try:
        canonical = canonical_classification(codes)
    except UnknownClassificationError as exc:
        raise DomainError(f"{exc}; {exc.hint}" if exc.hint else str(exc), field=field) from exc
    if expect_parts is not None and any(len(c.split(".")) != expect_parts for c in canonical):
        kind = "sector (e.g. I)" if expect_parts == 1 else "group (e.g. I.3)"
        raise DomainError(f"expected a QĐ26 {kind}", field=field)
    return canonical
