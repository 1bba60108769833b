"""What callers ask reporting to do."""

from dataclasses import dataclass

from ocop_contracts import TargetMetric, TargetUnit


@dataclass(frozen=True)
class SetTarget:
    target_id: str
    province_code: str
    plan_ref: str
    label: str
    metric: TargetMetric
    year_from: int
    year_to: int
    unit: TargetUnit = TargetUnit.COUNT
    minimum: float | None = None
    maximum: float | None = None
    base: float | None = None
    min_stars: int | None = None
    commune_code: str | None = None
    source_event_id: str | None = None  # set when a province system sent it (dedupe key)
