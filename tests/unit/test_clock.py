"""The platform clock: Vietnam's business date, one instant, pinned only outside production."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from ocop_contracts.clock import Clock, ClockError, business_date


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("instant", "day"),
    [
        ("2026-12-01T00:00:00", date(2026, 12, 1)),
        ("2026-12-01T16:59:59", date(2026, 12, 1)),
        ("2026-12-01T17:00:00", date(2026, 12, 2)),  # a Vietnamese day starts at 17:00 UTC
        ("2026-12-31T17:30:00", date(2027, 1, 1)),
    ],
)
def test_the_business_date_is_the_day_in_vietnam(instant: str, day: date) -> None:
    assert business_date(_at(instant)) == day
    assert Clock(source=lambda: _at(instant)).today() == day


def test_a_naive_instant_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        business_date(datetime(2026, 12, 1, 18, 0))


def test_a_pinned_clock_moves_the_instant_by_whole_days() -> None:
    real = _at("2026-12-01T17:39:00")
    clock = Clock(today=date(2030, 6, 1), source=lambda: real)
    assert clock.today() == date(2030, 6, 1)
    assert business_date(clock.now()) == clock.today()
    assert (clock.now() - real) % timedelta(days=1) == timedelta(0)
    clock.pin(None)
    assert clock.today() == date(2026, 12, 2)
    assert clock.now() == real


def test_production_refuses_to_pin_the_clock() -> None:
    with pytest.raises(ClockError, match="production"):
        Clock(today=date(2030, 6, 1), production=True)
    clock = Clock(production=True)
    assert not clock.controllable
    with pytest.raises(ClockError, match="production"):
        clock.pin(date(2030, 6, 1))
