"""Activity reports: what no event derives (training, traceability, tourism villages…)."""

from __future__ import annotations

from datetime import date
from typing import Literal
from uuid import uuid4

from fastapi import APIRouter, status
from pydantic import BaseModel, Field

from ocop_contracts import TargetMetric
from ocop_reporting.domain.commands import ReportActivity
from ocop_reporting.entrypoints.api.deps import Planner, ServiceDep

router = APIRouter(prefix="/activities", tags=["targets"])


class ActivityCreate(BaseModel):
    report_id: str | None = Field(default=None, max_length=128, description="Omit to create one.")
    province_code: str = Field(pattern=r"^\d{2}$")
    province_edition: Literal["2008", "2025"] | None = None
    metric: TargetMetric = Field(description="A metric no other event derives, e.g. people_trained")
    quantity: float = Field(ge=0)
    occurred_on: date
    evidence: str = Field(min_length=1, max_length=2000, examples=["Quyết định 12/QĐ-SNN"])
    commune_code: str | None = Field(default=None, pattern=r"^\d{5}$")
    note: str = Field(default="", max_length=2000)


class ActivityPublic(BaseModel):
    report_id: str
    version: int


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ActivityPublic)
async def report_activity(
    body: ActivityCreate, service: ServiceDep, who: Planner
) -> ActivityPublic:
    """Report an activity no event derives (training, traceability, tourism villages…), with its
    evidence; it counts towards targets of the same metric, unit and period. 403 outside the
    token's province (as for targets)."""
    fields = body.model_dump()
    fields["report_id"] = body.report_id or f"act-{uuid4().hex[:12]}"
    event = await service.report_activity(ReportActivity(**fields), by=who)
    return ActivityPublic(report_id=event.report_id, version=event.aggregate_version)
