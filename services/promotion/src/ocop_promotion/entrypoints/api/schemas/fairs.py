"""Trade fairs, their booths and outcome."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from ocop_contracts.legacy import LegacyUnit
from ocop_promotion.entrypoints.api.schemas.common import CommuneCode, ProvinceCode
from ocop_promotion.entrypoints.api.schemas.placements import PlacementOut


class BoothIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=50)
    name: str = Field(default="", max_length=200)
    capacity: int = Field(ge=1, le=1000, description="How many products the booth can show")


class FairIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=300)
    place: str = Field(min_length=1, max_length=300)
    organiser: str = Field(default="", max_length=300)
    province_code: ProvinceCode
    commune_code: CommuneCode | None = None
    starts_on: date
    ends_on: date
    booths: list[BoothIn] = Field(default_factory=list, max_length=500)


class TookPartIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    product_id: str = Field(min_length=1, max_length=128)
    booth_code: str = Field(min_length=1, max_length=50)


class PastFairIn(FairIn):
    """A fair that is over, entered as history with its real dates and the products that took
    part."""

    legacy_unit: LegacyUnit | None = Field(
        default=None,
        description=(
            "For a fair before 1 July 2025: the 2008 province (district, commune) it was held "
            "in, an old province that became province_code. Reporting attributes the fair and "
            "its placements to it."
        ),
    )
    products: list[TookPartIn] = Field(default_factory=list, max_length=500)


class PlaceInFairIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    product_id: str = Field(min_length=1, max_length=128)
    booth_code: str = Field(min_length=1, max_length=50)


class OutcomeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sales_vnd: int = Field(default=0, ge=0, description="Sales at the fair, VND")
    contracts_signed: int = Field(default=0, ge=0)
    contract_value_vnd: int = Field(default=0, ge=0)
    visitors: int | None = Field(default=None, ge=0)
    notes: str = Field(default="", max_length=2000)


class OutcomeOut(BaseModel):
    sales_vnd: int
    contracts_signed: int
    contract_value_vnd: int
    visitors: int | None
    notes: str
    recorded_on: date


class FairOut(BaseModel):
    fair_id: str
    name: str
    place: str
    organiser: str
    province_code: str
    commune_code: str | None
    starts_on: date
    ends_on: date
    booths: list[BoothIn]
    legacy_unit: LegacyUnit | None = None
    historic: bool = False
    outcome: OutcomeOut | None
    products: list[PlacementOut] = Field(default_factory=list)


class FairPage(BaseModel):
    items: list[FairOut]
    total: int
    page: int
    page_size: int
