"""Facts before the merger without their old unit: the first few logged one by one, then a
summary at most once a period, by province, so a rebuild of thousands logs a handful of lines."""

from __future__ import annotations

import logging

import pytest

from ocop_reporting.adapters.old_units import OldUnitWarnings


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_first_ones_are_logged_then_a_summary_per_period(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = _Clock()
    log = logging.getLogger("test.old_units")
    warnings = OldUnitWarnings(log, first=3, every=60.0, clock=clock)
    with caplog.at_level(logging.WARNING, logger="test.old_units"):
        for i in range(1000):
            clock.now = i * 0.1  # 1,000 facts over 100 s
            warnings.record(f"e{i}", "ProductRated", "2023-05-01", "82" if i % 4 else "19")
        warnings.summarise()
    lines = [r for r in caplog.records if r.name == "test.old_units"]
    singles = [r for r in lines if r.getMessage() == "fact before the merger without its old unit"]
    summaries = [r for r in lines if r.getMessage() != singles[0].getMessage()]
    assert [r.__dict__["event_id"] for r in singles] == ["e0", "e1", "e2"]
    # One summary after 60 s, the rest when asked: every fact counted once, by province.
    assert len(summaries) == 2
    counted = [r.__dict__["by_province"] for r in summaries]
    assert sum(r.__dict__["count"] for r in summaries) == 997
    assert sum(c.get("19", 0) for c in counted) == sum(1 for i in range(3, 1000) if i % 4 == 0)
    assert summaries[-1].__dict__["total"] == 1000


def test_nothing_since_the_last_line_says_nothing(caplog: pytest.LogCaptureFixture) -> None:
    warnings = OldUnitWarnings(logging.getLogger("test.quiet"), first=1, clock=_Clock())
    with caplog.at_level(logging.WARNING, logger="test.quiet"):
        warnings.record("e0", "CertificateIssued", "2024-01-02", "01")
        warnings.summarise()
    assert len([r for r in caplog.records if r.name == "test.quiet"]) == 1
