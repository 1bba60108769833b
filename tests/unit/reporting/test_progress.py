"""Progress of a province target against what the rating events say."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from ocop_contracts import TargetMetric, TargetUnit
from ocop_reporting.domain.progress import Standing, Target, elapsed_fraction, progress_of

MID_2026 = date(2026, 7, 2)  # 182 of the 364 days between 1 January and 31 December 2026


def target(
    minimum: float | None = 100.0,
    maximum: float | None = None,
    year_from: int = 2026,
    year_to: int = 2026,
) -> Target:
    return Target(
        target_id="tgt-1",
        province_code="82",
        plan_ref="122/KH-UBND",
        label="Sản phẩm OCOP đạt 3 sao trở lên",
        metric=TargetMetric.CERTIFIED_PRODUCTS,
        year_from=year_from,
        year_to=year_to,
        minimum=minimum,
        maximum=maximum,
        min_stars=3,
        version=1,
    )


# --- elapsed_fraction ---------------------------------------------------------------------------


@pytest.mark.parametrize("today", [date(2025, 6, 1), date(2026, 1, 1)])
def test_nothing_has_elapsed_on_or_before_the_first_day(today: date) -> None:
    assert elapsed_fraction(2026, 2026, today) == 0.0


@pytest.mark.parametrize("today", [date(2026, 12, 31), date(2027, 3, 1)])
def test_everything_has_elapsed_on_or_after_the_last_day(today: date) -> None:
    assert elapsed_fraction(2026, 2026, today) == 1.0


def test_half_of_a_single_year_has_elapsed_at_its_middle() -> None:
    assert elapsed_fraction(2026, 2026, MID_2026) == pytest.approx(0.5)


def test_a_multi_year_period_elapses_over_all_its_years() -> None:
    # 730 of the 1825 days from 1 January 2026 to 31 December 2030 (2028 is a leap year).
    assert elapsed_fraction(2026, 2030, date(2028, 1, 1)) == pytest.approx(730 / 1825)


# --- progress_of --------------------------------------------------------------------------------


def test_reaching_the_minimum_is_attained() -> None:
    progress = progress_of(target(minimum=30), 30, MID_2026)
    assert progress.standing is Standing.ATTAINED
    assert progress.percent == 100.0


def test_exceeding_the_minimum_is_attained_above_100_percent() -> None:
    progress = progress_of(target(minimum=30), 45, MID_2026)
    assert progress.standing is Standing.ATTAINED
    assert progress.percent == 150.0


def test_keeping_pace_with_the_elapsed_time_is_on_track() -> None:
    assert progress_of(target(minimum=100), 50, MID_2026).standing is Standing.ON_TRACK


def test_falling_behind_the_elapsed_time_is_behind() -> None:
    assert progress_of(target(minimum=100), 49, MID_2026).standing is Standing.BEHIND


def test_nothing_done_before_the_period_starts_is_still_on_track() -> None:
    assert progress_of(target(minimum=100), 0, date(2025, 12, 1)).standing is Standing.ON_TRACK


def test_short_of_the_minimum_on_the_last_day_is_still_behind() -> None:
    assert progress_of(target(minimum=100), 99, date(2026, 12, 31)).standing is Standing.BEHIND


@pytest.mark.parametrize("today", [date(2027, 1, 1), date(2031, 6, 1)])
def test_short_of_the_minimum_once_the_period_is_over_is_not_met(today: date) -> None:
    progress = progress_of(target(minimum=100), 99, today)
    assert (progress.standing, progress.percent) == (Standing.NOT_MET, 99.0)


def test_a_finished_plan_of_past_years_not_reached_is_not_met() -> None:
    plan = target(minimum=49, year_from=2021, year_to=2021)
    assert progress_of(plan, 30, date(2026, 12, 1)).standing is Standing.NOT_MET


def test_a_period_narrowed_by_its_last_day_is_over_after_that_day() -> None:
    plan = replace(target(minimum=10), period_end=date(2026, 6, 30))
    assert progress_of(plan, 4, date(2026, 6, 30)).standing is Standing.BEHIND
    assert progress_of(plan, 4, date(2026, 7, 1)).standing is Standing.NOT_MET


def test_a_finished_plan_with_nothing_reported_is_still_not_derived() -> None:
    progress = progress_of(target(minimum=12), None, date(2027, 1, 1))
    assert progress.standing is Standing.NOT_DERIVED


def test_a_finished_plan_that_reached_its_goal_is_attained() -> None:
    assert progress_of(target(minimum=30), 30, date(2027, 1, 1)).standing is Standing.ATTAINED


def test_the_maximum_is_the_goal_when_there_is_no_minimum() -> None:
    progress = progress_of(target(minimum=None, maximum=40), 10, MID_2026)
    assert progress.percent == 25.0
    assert progress.standing is Standing.BEHIND


def test_the_minimum_is_the_goal_when_there_is_a_range() -> None:
    progress = progress_of(target(minimum=30, maximum=35), 30, MID_2026)
    assert progress.standing is Standing.ATTAINED
    assert progress.percent == 100.0


@pytest.mark.parametrize("actual", [30, 33, 35])
def test_within_the_range_is_attained(actual: int) -> None:
    progress = progress_of(target(minimum=30, maximum=35), actual, MID_2026)
    assert progress.standing is Standing.ATTAINED


def test_above_the_range_is_exceeded_with_the_percent_of_the_minimum() -> None:
    progress = progress_of(target(minimum=10, maximum=15), 16, MID_2026)
    assert (progress.standing, progress.percent) == (Standing.EXCEEDED, 160.0)


def test_above_a_maximum_without_a_minimum_is_exceeded() -> None:
    at_most_40 = target(minimum=None, maximum=40)
    assert progress_of(at_most_40, 40, MID_2026).standing is Standing.ATTAINED
    assert progress_of(at_most_40, 41, MID_2026).standing is Standing.EXCEEDED


def test_above_the_range_of_a_finished_plan_is_exceeded() -> None:
    plan = target(minimum=10, maximum=15, year_from=2018, year_to=2020)
    assert progress_of(plan, 20, date(2026, 12, 1)).standing is Standing.EXCEEDED


def test_above_a_minimum_without_a_maximum_is_attained_however_far() -> None:
    assert progress_of(target(minimum=30), 300, MID_2026).standing is Standing.ATTAINED


def test_a_percent_above_its_range_is_exceeded() -> None:
    # 80–90 % of 200 officials trained
    plan = replace(target(minimum=80, maximum=90), unit=TargetUnit.PERCENT, base=200.0)
    progress = progress_of(plan, 190, MID_2026)  # 95 %
    assert (progress.actual, progress.standing) == (95, Standing.EXCEEDED)


def _rate(minimum: float, maximum: float | None) -> Target:
    return replace(
        target(minimum=minimum, maximum=maximum),
        unit=TargetUnit.PER_MONTH,
        period_start=date(2026, 1, 1),
        period_end=date(2026, 12, 31),
    )


def test_a_rate_above_its_range_is_on_track_until_its_period_is_over() -> None:
    rate = _rate(minimum=2, maximum=3)
    assert progress_of(rate, 24, MID_2026).standing is Standing.ON_TRACK  # 24 in 7 months
    assert progress_of(rate, 48, date(2027, 1, 1)).standing is Standing.EXCEEDED  # 4 a month


def test_a_rate_short_of_its_goal_after_its_period_is_not_met() -> None:
    rate = _rate(minimum=2, maximum=None)
    assert progress_of(rate, 12, MID_2026).standing is Standing.BEHIND
    assert progress_of(rate, 12, date(2027, 1, 1)).standing is Standing.NOT_MET


def test_an_activity_without_a_derived_count_is_not_derived() -> None:
    progress = progress_of(target(minimum=12), None, MID_2026)
    assert progress.standing is Standing.NOT_DERIVED
    assert (progress.actual, progress.percent) == (None, None)


@pytest.mark.parametrize(("actual", "goal", "percent"), [(1, 3, 33.3), (2, 3, 66.7), (5, 7, 71.4)])
def test_percent_is_rounded_to_one_decimal(actual: int, goal: float, percent: float) -> None:
    assert progress_of(target(minimum=goal), actual, MID_2026).percent == percent


def test_a_zero_goal_is_attained_at_100_percent() -> None:
    progress = progress_of(target(minimum=0), 0, MID_2026)
    assert (progress.standing, progress.percent) == (Standing.ATTAINED, 100.0)
