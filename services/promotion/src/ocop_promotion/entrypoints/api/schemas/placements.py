"""A product's place in a venue (fair booth, showroom, online shop), and whether it may have one."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, Field

from ocop_contracts.vocabulary import DelistReason
from ocop_promotion.domain.compliance import CertificateStatus
from ocop_promotion.domain.placements import Placement
from ocop_promotion.service_layer.placements import Eligibility
from ocop_promotion.service_layer.venues import Shown


class PlacementOut(BaseModel):
    placement_id: str
    product_id: str
    venue_kind: str
    venue_id: str
    venue_name: str
    booth_code: str | None = None
    channel: str | None = None
    url: str | None = None
    since: date
    state: Literal["active", "delisted"]
    delisted_on: date | None = None
    reason: DelistReason | None = None


class EligibilityOut(BaseModel):
    product_id: str
    placeable: bool
    reason: str | None = Field(description="Why the product may not be placed today")
    certificate_id: str | None
    stars: int | None
    valid_until: date | None
    status: CertificateStatus | None
    rated_stars: int | None


def shown_json(shown: Shown, id_field: str) -> dict[str, Any]:
    """A fair or showroom with the products it shows, as its response model reads it."""
    return {
        **shown.venue.model_dump(mode="json", by_alias=True),
        id_field: shown.venue.id,
        "products": [p.model_dump(mode="json") for p in shown.products],
    }


def placement_out(placement: Placement) -> PlacementOut:
    return PlacementOut.model_validate(placement.model_dump(mode="json"))


def eligibility_out(eligibility: Eligibility) -> EligibilityOut:
    certification = eligibility.certification
    return EligibilityOut(
        product_id=eligibility.product_id,
        placeable=eligibility.placeable,
        reason=eligibility.reason,
        certificate_id=certification.certificate_id if certification else None,
        stars=certification.stars if certification else None,
        valid_until=certification.valid_until if certification else None,
        status=certification.status if certification else None,
        rated_stars=certification.rated_stars if certification else None,
    )
