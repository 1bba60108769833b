"""The platform's one clock: the instant (UTC) and the business date (Vietnam, UTC+7).

Every date the platform records or compares with (a rating's day, a certificate's last valid
day, a report's "today") is a calendar day in Vietnam, which starts at 17:00 UTC. Everything
that needs "now" or "today" takes it from a :class:`Clock`, never from ``date.today()`` (the
machine's zone) or ``datetime.now(UTC).date()`` (UTC's day): those disagree with Vietnam seven
hours a day. It lives in the contracts because dates on the wire are Vietnamese days.

Outside production a clock can be pinned to another business date (``OCOP_CLOCK``, tests, the
evaluation admin clock); the instant then moves by the same whole number of days, so
``business_date(clock.now()) == clock.today()`` always holds. Production refuses it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone

VIETNAM = timezone(timedelta(hours=7), "ICT")


class ClockError(ValueError):
    """The clock was asked to move where it must stay real (production)."""


def system_now() -> datetime:
    return datetime.now(UTC)


def business_date(instant: datetime) -> date:
    """The day in Vietnam at ``instant`` (an aware datetime)."""
    if instant.tzinfo is None:
        raise ValueError("business_date needs an aware datetime; naive times are ambiguous")
    return instant.astimezone(VIETNAM).date()


class Clock:
    """The instant and the business date, real or pinned to a day (never in production)."""

    def __init__(
        self,
        *,
        today: date | None = None,
        production: bool = False,
        source: Callable[[], datetime] = system_now,
    ) -> None:
        if production and today is not None:
            raise ClockError("OCOP_CLOCK cannot be set in production: the clock stays real")
        self._production = production
        self._source = source
        self._pinned = today

    @property
    def controllable(self) -> bool:
        return not self._production

    @property
    def pinned(self) -> date | None:
        return self._pinned

    def now(self) -> datetime:
        """The current instant in UTC (shifted by whole days when the date is pinned)."""
        real = self._source().astimezone(UTC)
        if self._pinned is None:
            return real
        return real + (self._pinned - business_date(real))

    def today(self) -> date:
        """Today's business date: the calendar day in Vietnam."""
        return self._pinned if self._pinned is not None else business_date(self._source())

    def pin(self, today: date | None) -> None:
        """Pin the business date (None: back to the real one). Refused in production."""
        if self._production:
            raise ClockError("the clock cannot be moved in production")
        self._pinned = today


SYSTEM_CLOCK = Clock()
"""The real clock, for code with no composition root of its own (CLIs, benchmarks, tests)."""


def utc_now() -> datetime:
    """The real instant in UTC: the default ``occurred_at`` of an event."""
    return SYSTEM_CLOCK.now()


def today_in_vietnam() -> date:
    """Today's real business date."""
    return SYSTEM_CLOCK.today()
