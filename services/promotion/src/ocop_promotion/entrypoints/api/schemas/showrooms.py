"""Showrooms and sales points."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ocop_contracts.legacy import LegacyUnit
from ocop_promotion.entrypoints.api.schemas.common import CommuneCode, ProvinceCode
from ocop_promotion.entrypoints.api.schemas.placements import PlacementOut


class ShowroomIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=300, examples=["Điểm bán sản phẩm OCOP Sa Đéc"])
    kind: Literal["showroom", "sales_point"] = "sales_point"
    address: str = Field(min_length=1, max_length=500)
    province_code: ProvinceCode
    commune_code: CommuneCode | None = None
    opened_on: date | None = None
    opening_hours: str = Field(default="", max_length=200)


class PlaceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    product_id: str = Field(min_length=1, max_length=128)


class PastDisplayIn(PlaceIn):
    """A product shown at the showroom since a day before today, entered as history."""

    since: date = Field(description="Its first day there, before today.")
    legacy_unit: LegacyUnit | None = Field(
        default=None,
        description=(
            "For a placement since before 1 July 2025: the product's 2008 province (district, "
            "commune) then, an old province that became the product's province."
        ),
    )


class ShowroomOut(BaseModel):
    showroom_id: str
    name: str
    kind: str
    address: str
    province_code: str
    commune_code: str | None
    opened_on: date | None
    opening_hours: str
    products: list[PlacementOut] = Field(default_factory=list)


class ShowroomPage(BaseModel):
    items: list[ShowroomOut]
    total: int
    page: int
    page_size: int
