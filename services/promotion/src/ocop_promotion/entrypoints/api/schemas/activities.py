"""Media and other promotion activities."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, HttpUrl

from ocop_contracts.legacy import LegacyUnit
from ocop_contracts.vocabulary import ActivityKind
from ocop_promotion.entrypoints.api.schemas.common import ProvinceCode


class ActivityIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: ActivityKind
    title: str = Field(min_length=1, max_length=500)
    occurred_on: date
    province_code: ProvinceCode
    outlet: str = Field(default="", max_length=300, description="Newspaper, TV channel…")
    url: HttpUrl | None = None
    product_ids: list[Annotated[str, Field(max_length=128)]] = Field(
        default_factory=list, max_length=200
    )
    legacy_unit: LegacyUnit | None = Field(
        default=None,
        description="For an activity before 1 July 2025: the 2008-edition unit it was for (a "
        "province that became province_code), so reports count it for that unit.",
    )


class ActivityOut(BaseModel):
    activity_id: str
    kind: ActivityKind
    title: str
    occurred_on: date
    province_code: str
    outlet: str
    url: str | None
    product_ids: list[str]
    legacy_unit: LegacyUnit | None = None


class ActivityPage(BaseModel):
    items: list[ActivityOut]
    total: int
    page: int
    page_size: int
