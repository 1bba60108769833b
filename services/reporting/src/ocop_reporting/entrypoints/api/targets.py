"""Targets of the provinces' plans: set one, or its next version."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal
from uuid import uuid4

from fastapi import APIRouter, status
from pydantic import BaseModel, Field

from ocop_contracts import LegalForm, TargetMetric, TargetUnit
from ocop_reporting.domain.commands import SetTarget
from ocop_reporting.entrypoints.api.deps import Planner, ServiceDep

router = APIRouter(prefix="/targets", tags=["targets"])


class TargetCreate(BaseModel):
    target_id: str | None = Field(default=None, max_length=128, description="Omit to create one.")
    province_code: str = Field(pattern=r"^\d{2}$")
    province_edition: Literal["2008", "2025"] | None = Field(
        default=None, description="Edition of province_code; default inferred from the period."
    )
    plan_ref: str = Field(max_length=200, examples=["122/KH-UBND"])
    label: str = Field(min_length=1, max_length=500)
    metric: TargetMetric
    unit: TargetUnit = TargetUnit.COUNT
    year_from: int = Field(ge=2018, le=2100)
    year_to: int = Field(ge=2018, le=2100)
    minimum: float | None = Field(default=None, ge=0)
    maximum: float | None = Field(default=None, ge=0)
    base: float | None = Field(default=None, gt=0)
    min_stars: int | None = Field(default=None, ge=3, le=5)
    commune_code: str | None = Field(default=None, pattern=r"^\d{5}$")
    period_start: date | None = None
    period_end: date | None = None
    district_name: str | None = Field(default=None, max_length=200)
    commune_codes: tuple[Annotated[str, Field(pattern=r"^\d{5}$")], ...] = Field(
        default=(), max_length=500, description="Count only these communes (a former district)."
    )
    from_stars: int | None = Field(
        default=None, ge=3, le=4, description="upgraded_products: only upgrades from these stars."
    )
    legal_forms: tuple[LegalForm, ...] = Field(
        default=(), max_length=10, description="Producer metrics: only these legal forms."
    )


class TargetPublic(BaseModel):
    target_id: str
    version: int


@router.post("", status_code=status.HTTP_201_CREATED, response_model=TargetPublic)
async def set_target(body: TargetCreate, service: ServiceDep, who: Planner) -> TargetPublic:
    """Set or change a target (same target_id: the next version). 422 names the field; 403 when
    the token does not cover the target's province (or, for a change, the province it was set
    for)."""
    fields = body.model_dump()
    fields["target_id"] = body.target_id or f"tgt-{uuid4().hex[:12]}"
    event = await service.set_target(SetTarget(**fields), by=who)
    assert event is not None  # only province messages can be repeats
    return TargetPublic(target_id=event.target_id, version=event.aggregate_version)
