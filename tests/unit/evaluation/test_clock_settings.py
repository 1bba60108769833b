"""Evaluation's clock: the platform clock, moved by an administrator only outside production."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from ocop_contracts.clock import Clock
from ocop_evaluation.adapters.clock import StoredClock
from ocop_evaluation.adapters.memory import MemoryClockStore
from ocop_evaluation.main import EvaluationSettings
from ocop_platform.errors import DomainError


def _evening_utc() -> datetime:
    return datetime(2026, 12, 1, 17, 39, tzinfo=UTC)  # already 2 December in Vietnam


def test_ocop_clock_pins_the_business_date(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OCOP_CLOCK", "2032-09-11")
    assert EvaluationSettings().business_clock().today() == date(2032, 9, 11)


def test_production_refuses_ocop_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OCOP_CLOCK", "2032-09-11")
    monkeypatch.setenv("OCOP_ENVIRONMENT", "production")
    monkeypatch.setenv("OCOP_JWT_SECRET", "x" * 40)
    with pytest.raises(ValueError, match="OCOP_CLOCK"):
        EvaluationSettings()


async def test_a_stored_date_wins_over_the_platform_clock_outside_production() -> None:
    clock = StoredClock(MemoryClockStore(), Clock(source=_evening_utc))
    assert await clock.today() == date(2026, 12, 2)
    assert await clock.set(date(2030, 1, 5)) == date(2030, 1, 5)
    assert await clock.set(None) == date(2026, 12, 2)


async def test_production_runs_on_vietnam_s_real_date_and_refuses_a_stored_one() -> None:
    store = MemoryClockStore()
    store.today = date(2030, 1, 5)  # left by a development run: ignored
    clock = StoredClock(store, Clock(production=True, source=_evening_utc))
    assert not clock.controlled
    assert await clock.today() == date(2026, 12, 2)
    with pytest.raises(DomainError, match="production"):
        await clock.set(date(2030, 1, 5))
