"""HTTP API of evaluation (walking skeleton: record a council's final rating)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Request, status
from pydantic import BaseModel, Field

from ocop_contracts import RatingLevel
from ocop_evaluation.service_layer.services import EvaluationService, RecordRating
from ocop_platform.auth import Principal, Role, require_roles


def _service(request: Request) -> EvaluationService:
    service: EvaluationService = request.app.state.evaluation
    return service


ServiceDep = Annotated[EvaluationService, Depends(_service)]
Evaluator = Annotated[Principal, Depends(require_roles(Role.PROVINCE_OFFICE, Role.MINISTRY))]


class RatingCreate(BaseModel):
    product_id: str = Field(min_length=1, max_length=64)
    score: float = Field(ge=0, le=100, description="Council average, 0–100 points.")
    level: RatingLevel = RatingLevel.PROVINCE
    rated_on: date
    round_id: str | None = Field(default=None, max_length=64)


class RatingPublic(BaseModel):
    event_id: str
    product_id: str
    score: float
    stars: int
    previous_stars: int
    level: RatingLevel
    rule_set_id: str
    rated_on: date


router = APIRouter(tags=["evaluation"])


@router.post("/ratings", status_code=status.HTTP_201_CREATED, response_model=RatingPublic)
async def record_rating(body: RatingCreate, service: ServiceDep, who: Evaluator) -> RatingPublic:
    event = await service.record_rating(RecordRating(**body.model_dump()), who)
    return RatingPublic(event_id=str(event.event_id), **event.model_dump(include=_PUBLIC))


_PUBLIC = {"product_id", "score", "stars", "previous_stars", "level", "rule_set_id", "rated_on"}
