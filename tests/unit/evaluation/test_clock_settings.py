"""The controllable clock is for development and tests only."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from ocop_evaluation.adapters.clock import Clock
from ocop_evaluation.main import EvaluationSettings


class _NoStore:
    async def get(self, collection: str, doc_id: str) -> dict[str, Any] | None:
        return None


def test_ocop_clock_sets_a_fixed_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OCOP_CLOCK", "2032-09-11")
    assert EvaluationSettings().clock == date(2032, 9, 11)


async def test_the_fixed_date_is_today_outside_production() -> None:
    clock = Clock(_NoStore(), date(2032, 9, 11), production=False)  # type: ignore[arg-type]
    assert await clock.today() == date(2032, 9, 11)


def test_production_refuses_a_fixed_clock() -> None:
    with pytest.raises(ValueError, match="production"):
        Clock(_NoStore(), date(2032, 9, 11), production=True)  # type: ignore[arg-type]


async def test_production_runs_on_the_real_date() -> None:
    clock = Clock(_NoStore(), None, production=True)  # type: ignore[arg-type]
    assert not clock.controlled
    assert abs((await clock.today() - date.today()).days) <= 1
