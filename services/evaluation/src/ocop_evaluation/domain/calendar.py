"""Working days (skip weekends and Vietnamese public holidays), round calendars and certificate
dates. Holidays come from ``data/holidays_vn.json`` (flagged unverified; see its header)."""

from __future__ import annotations

import calendar
import json
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from importlib import resources
from typing import Any


@dataclass(frozen=True)
class HolidayCalendar:
    holidays: frozenset[date]
    covered_years: frozenset[int]

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self.holidays

    def covers(self, year: int) -> bool:
        return year in self.covered_years

    def add_working_days(self, start: date, days: int) -> date:
        """The ``days``-th working day after ``start`` (the day of receipt does not count)."""
        current = start
        remaining = days
        while remaining > 0:
            current += timedelta(days=1)
            if self.is_working_day(current):
                remaining -= 1
        return current

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end`` (0 if end ≤ start)."""
        count, current = 0, start
        while current < end:
            current += timedelta(days=1)
            count += self.is_working_day(current)
        return count


def _span(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def build_calendar(document: dict[str, Any], years: range) -> HolidayCalendar:
    days: set[date] = set()
    for year in years:
        for month_day, _ in document["fixed"]:
            month, day = (int(x) for x in month_day.split("-"))
            holiday = date(year, month, day)
            days.add(holiday)
            if holiday.weekday() >= 5:  # compensated on the next working day (nghỉ bù)
                days.add(holiday + timedelta(days=7 - holiday.weekday()))
    for year_text, entry in document["years"].items():
        first, last = (date.fromisoformat(d) for d in entry["tet"])
        days.update(_span(first, last))
        days.add(date.fromisoformat(entry["hung_kings"]))
        days.add(date.fromisoformat(entry["national_day_extra"]))
        del year_text
    covered = frozenset(int(y) for y in document["years"])
    return HolidayCalendar(frozenset(days), covered)


@cache
def vietnam_calendar() -> HolidayCalendar:
    text = resources.files("ocop_evaluation.data").joinpath("holidays_vn.json").read_text("utf-8")
    return build_calendar(json.loads(text), range(2019, 2101))


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class CertificateDates:
    issued_on: date
    valid_until: date  # last valid day
    expires_on: date  # first day it is no longer valid (CertificateExpired fires then)
    renewal_opens_on: date
    renewal_closes_on: date


def certificate_dates(issued_on: date, months: int, window: tuple[int, int]) -> CertificateDates:
    expires_on = add_months(issued_on, months)
    return CertificateDates(
        issued_on=issued_on,
        valid_until=expires_on - timedelta(days=1),
        expires_on=expires_on,
        renewal_opens_on=expires_on - timedelta(days=window[0]),
        renewal_closes_on=expires_on - timedelta(days=window[1]),
    )


@dataclass(frozen=True)
class RoundDates:
    proposals_due: date
    results_due: date


def regular_round_dates(level: str, year: int, half: int) -> RoundDates:
    """QĐ 26 Art. 5: province rounds close proposals 30 Apr / 30 Oct for results by 30 Jun /
    30 Dec; the Ministry's by 30 Jan / 30 Jul for results by 30 Mar / 30 Sep."""
    if level == "province":
        pairs = {1: ((4, 30), (6, 30)), 2: ((10, 30), (12, 30))}
    else:
        pairs = {1: ((1, 30), (3, 30)), 2: ((7, 30), (9, 30))}
    (pm, pd), (rm, rd) = pairs[half]
    return RoundDates(date(year, pm, pd), date(year, rm, rd))
