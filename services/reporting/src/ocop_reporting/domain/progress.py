"""Progress of a target against what the events say. Pure.

A target counts something over its period (years ``year_from``–``year_to``, or the explicit days
``period_start``–``period_end``). Its goal is the minimum (the maximum when only that is given).
- ``count``: the actual is a number of products, producers, fairs…
- ``percent``: the actual (a number) is shown as a percent of ``base`` and compared with the goal.
- ``per_month``: the actual is the number divided by the months elapsed in the period.
Standing: attained once the goal is reached, exceeded when the actual is above the target's
maximum (beyond its range); on track when the actual keeps pace with the time elapsed (a rate:
when it is at the goal so far); behind otherwise, until the period is over: then a goal not
reached is not met. A rate is attained (or exceeded) only once its whole period has elapsed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from ocop_contracts import TargetMetric, TargetUnit


class Standing(StrEnum):
    ATTAINED = "attained"
    EXCEEDED = "exceeded"  # the goal reached and the maximum passed: above the range
    ON_TRACK = "on_track"
    BEHIND = "behind"
    NOT_MET = "not_met"  # the period is over and the goal was not reached
    NOT_DERIVED = "not_derived"  # no figure: an activity nobody reported yet, or no goal


# Standings whose goal was reached (the national view counts them as attained).
REACHED = frozenset({Standing.ATTAINED, Standing.EXCEEDED})


# Metrics the events of the other services answer; the others are reported activities.
DERIVED_METRICS = frozenset(
    {
        TargetMetric.CERTIFIED_PRODUCTS,
        TargetMetric.UPGRADED_PRODUCTS,
        TargetMetric.NATIONAL_PROPOSALS,
        TargetMetric.FIVE_STAR_PRODUCTS,
        TargetMetric.EVALUATION_ROUNDS,
        TargetMetric.NEW_PRODUCERS,
        TargetMetric.FAIRS,
        TargetMetric.SALES_POINTS,
        TargetMetric.MEDIA_ITEMS,
        TargetMetric.TV_REPORTS,
        TargetMetric.FAIR_PRODUCTS,
        TargetMetric.FAIR_PRODUCERS,
        TargetMetric.NEW_PARTICIPATING_PRODUCERS,
    }
)
# The others cannot be computed from facts: they need a report with its evidence.
REPORTED_METRICS = frozenset(set(TargetMetric) - DERIVED_METRICS)
# Metrics that count producers, which a target may narrow to some legal forms.
PRODUCER_METRICS = frozenset(
    {
        TargetMetric.NEW_PRODUCERS,
        TargetMetric.NEW_PARTICIPATING_PRODUCERS,
        TargetMetric.FAIR_PRODUCERS,
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
    unit: TargetUnit = TargetUnit.COUNT
    base: float | None = None
    commune_code: str | None = None
    province_edition: str = "2025"
    current_code: str = ""
    province_name: str = ""
    period_start: date | None = None
    period_end: date | None = None
    district_name: str | None = None
    commune_codes: tuple[str, ...] = ()
    from_stars: int | None = None  # upgrades from exactly these stars (3★→4★), else any
    legal_forms: tuple[str, ...] = ()  # producer metrics: only these legal forms, else any

    @property
    def first_day(self) -> date:
        return self.period_start or date(self.year_from, 1, 1)

    @property
    def last_day(self) -> date:
        return self.period_end or date(self.year_to, 12, 31)

    @property
    def derived(self) -> bool:
        return self.metric in DERIVED_METRICS


@dataclass(frozen=True)
class Progress:
    target: Target
    actual: float | None  # a count, a percent of the base, or a monthly rate (see the unit)
    percent: float | None  # of the goal
    standing: Standing
    expected_by_now: float | None = None
    count: float | None = None  # what was counted, before conversion to a percent or rate


@dataclass(frozen=True)
class NationalProgress:
    """The national view's targets by current province, and each province's new ≥3★ products
    of the year."""

    by_province: dict[str, list[Progress]]
    new_certified: dict[str, int]


def elapsed_fraction(year_from: int, year_to: int, today: date) -> float:
    return elapsed_between(date(year_from, 1, 1), date(year_to, 12, 31), today)


def elapsed_between(start: date, end: date, today: date) -> float:
    if today <= start:
        return 0.0
    if today >= end:
        return 1.0
    return (today - start).days / (end - start).days


def months_elapsed(start: date, end: date, today: date) -> int:
    """Whole or started months from `start` to min(`today`, `end`); 0 before the start."""
    last = min(today, end)
    if last < start:
        return 0
    return (last.year - start.year) * 12 + last.month - start.month + 1


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else round(value, 2)


def progress_of(target: Target, actual: float | None, today: date) -> Progress:
    goal = target.minimum if target.minimum is not None else target.maximum
    if actual is None or goal is None:
        return Progress(target, actual, None, Standing.NOT_DERIVED, count=actual)
    count = actual
    elapsed = elapsed_between(target.first_day, target.last_day, today)
    value: float = actual
    if target.unit is TargetUnit.PERCENT and target.base:
        value = 100.0 * actual / target.base
    elif target.unit is TargetUnit.PER_MONTH:
        months = months_elapsed(target.first_day, target.last_day, today)
        value = actual / months if months else 0.0
    percent = round(100.0 * value / goal, 1) if goal else 100.0
    expected = goal if target.unit is TargetUnit.PER_MONTH else goal * elapsed
    standing = standing_of(target, value, goal, today)
    shown = round(value, 1) if target.unit is TargetUnit.PERCENT else value
    return Progress(
        target,
        _number(shown),
        percent,
        standing,
        expected_by_now=round(expected, 1),
        count=_number(count),
    )


def standing_of(target: Target, value: float, goal: float, today: date) -> Standing:
    """Where ``value`` (in the target's unit) stands against ``goal`` on ``today``."""
    elapsed = elapsed_between(target.first_day, target.last_day, today)
    if value >= goal:
        # A monthly rate can still fall until its last month is over; a count cannot.
        if target.unit is TargetUnit.PER_MONTH and elapsed < 1.0:
            return Standing.ON_TRACK
        above_range = target.maximum is not None and value > target.maximum
        return Standing.EXCEEDED if above_range else Standing.ATTAINED
    if today > target.last_day:
        return Standing.NOT_MET  # nothing can be counted any more: not "behind" but final
    if target.unit is TargetUnit.PER_MONTH:
        return Standing.ON_TRACK if elapsed == 0.0 else Standing.BEHIND
    return Standing.ON_TRACK if value >= goal * elapsed else Standing.BEHIND
