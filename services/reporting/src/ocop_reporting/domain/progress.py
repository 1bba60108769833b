"""Progress of a target against what the events say. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from ocop_contracts import TargetMetric


class Standing(StrEnum):
    ATTAINED = "attained"
    ON_TRACK = "on_track"
    BEHIND = "behind"
    NOT_DERIVED = "not_derived"  # an activity target: reported, not derived from events


# Metrics the rating events can answer (the others are reported activities, issue #6).
DERIVED_METRICS = frozenset(
    {
        TargetMetric.CERTIFIED_PRODUCTS,
        TargetMetric.UPGRADED_PRODUCTS,
        TargetMetric.NATIONAL_PROPOSALS,
        TargetMetric.FIVE_STAR_PRODUCTS,
    }
)


@dataclass(frozen=True)
class Target:
    target_id: str
    province_code: str
    plan_ref: str
    label: str
    metric: TargetMetric
    year_from: int
    year_to: int
    minimum: float | None
    maximum: float | None
    min_stars: int | None
    version: int


@dataclass(frozen=True)
class Progress:
    target: Target
    actual: int | None
    percent: float | None
    standing: Standing


def elapsed_fraction(year_from: int, year_to: int, today: date) -> float:
    start, end = date(year_from, 1, 1), date(year_to, 12, 31)
    if today <= start:
        return 0.0
    if today >= end:
        return 1.0
    return (today - start).days / (end - start).days


def progress_of(target: Target, actual: int | None, today: date) -> Progress:
    goal = target.minimum if target.minimum is not None else target.maximum
    if actual is None or goal is None:
        return Progress(target, actual, None, Standing.NOT_DERIVED)
    percent = round(100.0 * actual / goal, 1) if goal else 100.0
    if actual >= goal:
        standing = Standing.ATTAINED
    elif actual >= goal * elapsed_fraction(target.year_from, target.year_to, today):
        standing = Standing.ON_TRACK
    else:
        standing = Standing.BEHIND
    return Progress(target, actual, percent, standing)
