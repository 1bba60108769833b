"""Working-day deadlines and certificate dates."""

from __future__ import annotations

from datetime import date

from ocop_evaluation.domain.calendar import (
    add_months,
    certificate_dates,
    regular_round_dates,
    vietnam_calendar,
)

CAL = vietnam_calendar()


def test_fifteen_working_days_skip_the_weekends() -> None:
    # Monday 2 Nov 2026 + 15 working days = Monday 23 Nov 2026 (three weeks, no holiday).
    assert CAL.add_working_days(date(2026, 11, 2), 15) == date(2026, 11, 23)


def test_fifteen_working_days_skip_tet() -> None:
    # Filed Fri 6 Feb 2026; Tết 14–22 Feb 2026 adds the five weekdays 16–20 Feb.
    assert CAL.add_working_days(date(2026, 2, 6), 15) == date(2026, 3, 6)


def test_a_holiday_on_a_weekend_is_compensated_on_the_next_working_day() -> None:
    # 1 Jan 2028 is a Saturday: Monday 3 Jan 2028 is off.
    assert not CAL.is_working_day(date(2028, 1, 3))


def test_the_national_day_break_spans_two_days() -> None:
    assert not CAL.is_working_day(date(2026, 9, 1))
    assert not CAL.is_working_day(date(2026, 9, 2))


def test_working_days_between_counts_what_add_working_days_adds() -> None:
    start = date(2026, 4, 20)
    assert CAL.working_days_between(start, CAL.add_working_days(start, 15)) == 15


def test_years_without_lunar_dates_are_reported_as_uncovered() -> None:
    assert CAL.covers(2026) and not CAL.covers(2060)


def test_a_certificate_is_valid_36_months_and_its_renewal_window_is_180_to_120_days() -> None:
    dates = certificate_dates(date(2026, 8, 15), 36, (180, 120))
    assert dates.valid_until == date(2029, 8, 14)
    assert dates.expires_on == date(2029, 8, 15)
    assert dates.renewal_opens_on == date(2029, 2, 16)
    assert dates.renewal_closes_on == date(2029, 4, 17)


def test_a_leap_day_certificate_ends_on_the_last_day_of_february() -> None:
    assert add_months(date(2028, 2, 29), 36) == date(2031, 2, 28)


def test_province_rounds_follow_the_qd26_calendar() -> None:
    first, second = (
        regular_round_dates("province", 2027, 1),
        regular_round_dates("province", 2027, 2),
    )
    assert (first.proposals_due, first.results_due) == (date(2027, 4, 30), date(2027, 6, 30))
    assert (second.proposals_due, second.results_due) == (date(2027, 10, 30), date(2027, 12, 30))
