"""A product's place in a venue (fair booth, showroom, online shop), and whether it may have one."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from ocop_contracts.vocabulary import DelistReason
from ocop_promotion.domain.compliance import CertificateStatus


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
