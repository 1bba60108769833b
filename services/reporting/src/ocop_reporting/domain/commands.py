"""What callers ask reporting to do."""

from dataclasses import dataclass
from datetime import date

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
    province_edition: str | None = None  # "2008" or "2025"; None: inferred (see domain.units)
    period_start: date | None = None
    period_end: date | None = None
    district_name: str | None = None
    commune_codes: tuple[str, ...] = ()
    source_event_id: str | None = None  # set when a province system sent it (dedupe key)


@dataclass(frozen=True)
class ReportActivity:
    report_id: str
    province_code: str
    metric: TargetMetric
    quantity: float
    occurred_on: date
    evidence: str
    province_edition: str | None = None
    commune_code: str | None = None
    note: str = ""
