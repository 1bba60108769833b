"""What the report routes return (the exports and the dashboard read the same figures)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from ocop_contracts import TargetMetric, TargetUnit
from ocop_reporting.domain.knowledge import View


class ProgressPublic(BaseModel):
    target_id: str
    plan_ref: str
    label: str
    metric: TargetMetric
    unit: TargetUnit
    province_code: str = Field(description="The unit that issued the plan.")
    province_edition: str
    province_name: str
    commune_code: str | None
    district_name: str | None
    year_from: int
    year_to: int
    minimum: float | None
    maximum: float | None
    base: float | None
    actual: int | float | None = Field(description="Count; percent of base; or items per month.")
    count: int | float | None = Field(description="What was counted, before a percent or rate.")
    percent: float | None = Field(description="Of the goal (the minimum, else the maximum).")
    expected_by_now: float | None
    standing: str = Field(
        description="attained (goal reached), exceeded (above the maximum: beyond the range), "
        "on_track, behind, not_met (the period is over, the goal not reached), not_derived "
        "(no figure yet)."
    )
    derived: bool = Field(description="From events (true) or from reported activities (false).")
    basis: Literal["facts", "evidence"] = Field(
        description="facts: computed from the other services' events; evidence: cannot be "
        "computed from facts, only from the activities the province reported with evidence "
        "(no report yet: actual null, standing not_derived — never a silent 0)."
    )
    from_stars: int | None = Field(default=None, description="Upgrades from these stars only.")
    legal_forms: list[str] = Field(default=[], description="Producers of these forms only.")


class UnitPublic(BaseModel):
    code: str
    edition: str
    name: str
    current_code: str
    merged_from: list[str] = Field(description="Old units (2008 codes) rolled up into it.")


class UnitReport(BaseModel):
    """What every report of one unit starts with: where, when, and which view of the facts."""

    province_code: str
    year: int
    as_of: str
    view: View = Field(
        description="as_known: what the platform knew on as_of; as_corrected: every fact dated "
        "up to as_of, including those recorded later."
    )
    unit: UnitPublic


class ProgressReport(UnitReport):
    ratings_counted: int = Field(description="Rating events of this unit and year received.")
    targets: list[ProgressPublic]


class TrendPublic(BaseModel):
    year: int
    new_certified: int = Field(description="Products that reached 3 stars or more that year.")


class ProducerMixPublic(BaseModel):
    total: int
    by_legal_form: dict[str, int]
    women_led: int
    ethnic_minority_led: int


class ExpiringCertificatePublic(BaseModel):
    certificate_id: str
    product_id: str
    stars: int | None
    valid_until: str
    product_name: str


class OverviewReport(UnitReport):
    star_mix: dict[str, int] = Field(
        description="Products certified on as_of by their stars (3–5): only certificates valid "
        "that day count, not expired, revoked or of a withdrawn product."
    )
    certified_products: int = Field(description="Products holding a valid certificate on as_of.")
    by_sector: dict[str, int]
    by_commune: dict[str, int]
    trend: list[TrendPublic]
    producer_mix: ProducerMixPublic
    expiring_certificates: list[ExpiringCertificatePublic]


class NationalRow(BaseModel):
    province_code: str
    name: str
    new_certified: int = Field(description="Products that reached 3 stars or more in the year.")
    certified: int = Field(
        description="Products holding a certificate valid on as_of (expired, revoked and "
        "withdrawn products do not count)."
    )
    targets: int
    attained: int = Field(description="Goal reached, including above the range (exceeded).")
    behind: int
    not_met: int = Field(description="Period over, goal not reached.")


class NationalReport(BaseModel):
    year: int
    as_of: str
    view: View = Field(
        description="as_known: what the platform knew on as_of; as_corrected: every fact dated "
        "up to as_of, including those recorded later."
    )
    provinces: list[NationalRow]
