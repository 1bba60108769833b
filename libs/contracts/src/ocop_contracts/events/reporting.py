"""Events owned by the reporting service (topic ocop.reporting.v1)."""

from datetime import date
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator

from ocop_contracts import topics
from ocop_contracts.envelope import CommuneCode, Event
from ocop_contracts.vocabulary import LegalForm, TargetMetric, TargetUnit


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
    maximum: float | None = Field(default=None, ge=0, validate_default=True)
    base: float | None = Field(
        default=None, gt=0, validate_default=True, description="Denominator of a percent target."
    )
    min_stars: int | None = Field(default=None, ge=3, le=5)
    commune_code: CommuneCode | None = None
    # Added in issue #6 (optional, additive):
    province_edition: Literal["2008", "2025"] | None = Field(
        default=None,
        description="Edition of province_code: 2008 for the 63 units before 1 July 2025, 2025 for "
        "today's 34. Omitted: 2008 when the period ends before 2025, else 2025.",
    )
    period_start: date | None = Field(
        default=None, description="First day counted, when the plan does not start on 1 January."
    )
    period_end: date | None = Field(
        default=None, description="Last day counted; required (with period_start) for a rate."
    )
    district_name: str | None = Field(
        default=None, max_length=200, description="A pre-2025 district the plan belongs to."
    )
    commune_codes: tuple[CommuneCode, ...] = Field(
        default=(),
        max_length=500,
        description="Count only facts of these communes (e.g. those of a former district).",
    )
    # Added in issue #10 (optional, additive):
    from_stars: int | None = Field(
        default=None,
        ge=3,
        le=4,
        description="upgraded_products only: count upgrades from exactly this many stars (3 for "
        "3★→4★), not every upgrade.",
    )
    legal_forms: tuple[LegalForm, ...] = Field(
        default=(),
        max_length=10,
        description="Producer targets only: count producers of these legal forms (new "
        "cooperatives: [cooperative]); empty counts every form.",
    )

    # Field validators (not one model validator) so every error names the offending field,
    # in a 422 and in a dead letter's reason alike. Fields validate in declaration order.
    @field_validator("year_to")
    @classmethod
    def _period_not_inverted(cls, year_to: int, info: ValidationInfo) -> int:
        year_from = info.data.get("year_from")
        if year_from is not None and year_to < year_from:
            raise ValueError("year_to is before year_from")
        return year_to

    @field_validator("maximum")
    @classmethod
    def _range_present_and_not_inverted(
        cls, maximum: float | None, info: ValidationInfo
    ) -> float | None:
        minimum = info.data.get("minimum")
        if minimum is None and maximum is None and "minimum" in info.data:
            raise ValueError("a target needs a minimum, a maximum or both")
        if minimum is not None and maximum is not None and maximum < minimum:
            raise ValueError("inverted range: maximum is below minimum")
        return maximum

    @field_validator("base")
    @classmethod
    def _percent_has_base(cls, base: float | None, info: ValidationInfo) -> float | None:
        if info.data.get("unit") is TargetUnit.PERCENT and base is None:
            raise ValueError("a percent target needs a base")
        return base


class ActivityReported(Event):
    """Emitted by reporting when a province office reports an activity that no other event can
    derive (people trained, products with traceability, tourism villages…), with its evidence.

    Aggregate: the report. A later version corrects it (same report id, whole current state).
    """

    type: Literal["ActivityReported"] = "ActivityReported"
    report_id: str
    metric: TargetMetric
    quantity: float = Field(ge=0, description="How many (people, products, villages…).")
    occurred_on: date
    evidence: str = Field(min_length=1, max_length=2000, description="Decision, minutes, URL…")
    province_edition: Literal["2008", "2025"] | None = None
    commune_code: CommuneCode | None = None
    note: str = Field(default="", max_length=2000)


TOPIC = topics.REPORTING
# Every event this service publishes on TOPIC; the catalog is built from these tuples.
EVENTS: tuple[type[Event], ...] = (TargetUpdated, ActivityReported)
