"""Progress of a province target against what the rating events say."""

from __future__ import annotations

from datetime import date

import pytest

from ocop_contracts import TargetMetric
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


def test_short_of_the_minimum_once_the_period_is_over_is_behind() -> None:
    assert progress_of(target(minimum=100), 99, date(2027, 1, 1)).standing is Standing.BEHIND


def test_the_maximum_is_the_goal_when_there_is_no_minimum() -> None:
    progress = progress_of(target(minimum=None, maximum=40), 10, MID_2026)
    assert progress.percent == 25.0
    assert progress.standing is Standing.BEHIND


def test_the_minimum_is_the_goal_when_there_is_a_range() -> None:
    progress = progress_of(target(minimum=30, maximum=35), 30, MID_2026)
    assert progress.standing is Standing.ATTAINED
    assert progress.percent == 100.0


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
