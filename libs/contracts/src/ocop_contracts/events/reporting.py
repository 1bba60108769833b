"""Events owned by the reporting service (topic ocop.reporting.v1)."""

from typing import Literal, Self

from pydantic import Field, model_validator

from ocop_contracts.envelope import CommuneCode, Event
from ocop_contracts.vocabulary import TargetMetric, TargetUnit


class TargetUpdated(Event):
    """Emitted by reporting when a province sets or changes a yearly (or period) target.

    Aggregate: the target. Province systems may publish it to the reporting ingest topic; reporting
    validates it and re-emits it here.
    """

    type: Literal["TargetUpdated"] = "TargetUpdated"
    target_id: str
    plan_ref: str = Field(max_length=200, description="The plan that set it, e.g. 1155/KH-UBND.")
    label: str = Field(min_length=1, max_length=500, description="Wording of the plan, Vietnamese.")
    metric: TargetMetric
    unit: TargetUnit = TargetUnit.COUNT
    year_from: int = Field(ge=2018, le=2100)
    year_to: int = Field(ge=2018, le=2100)
    minimum: float | None = Field(default=None, ge=0)
    maximum: float | None = Field(default=None, ge=0)
    base: float | None = Field(default=None, gt=0, description="Denominator of a percent target.")
    min_stars: int | None = Field(default=None, ge=3, le=5)
    commune_code: CommuneCode | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.year_to < self.year_from:
            raise ValueError("year_to is before year_from")
        if self.minimum is None and self.maximum is None:
            raise ValueError("a target needs a minimum, a maximum or both")
        if self.minimum is not None and self.maximum is not None and self.maximum < self.minimum:
            raise ValueError("inverted range: maximum is below minimum")
        if self.unit is TargetUnit.PERCENT and self.base is None:
            raise ValueError("a percent target needs a base")
        return self
