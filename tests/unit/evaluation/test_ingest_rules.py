"""What a province system's rating must satisfy before evaluation re-emits it."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from ocop_contracts import ProductRated, RatingLevel
from ocop_evaluation.domain.ingest import check_province_rating
from ocop_platform.errors import DomainError


def _rating(**overrides: Any) -> ProductRated:
    fields: dict[str, Any] = {
        "producer": "province-82",
        "aggregate_id": "p1",
        "aggregate_version": 1,
        "province_code": "82",
        "product_id": "p1",
        "score": 72.0,
        "stars": 4,
        "level": RatingLevel.PROVINCE,
        "rule_set_id": "qd26-2026",
        "rated_on": date(2026, 12, 1),
        "scoring_set_code": "I.3.d",
    }
    return ProductRated(**{**fields, **overrides})


def _reason(event: ProductRated) -> DomainError:
    with pytest.raises(DomainError) as caught:
        check_province_rating(event)
    return caught.value


def test_a_valid_province_rating_passes() -> None:
    check_province_rating(_rating(parts={"A": 30, "B": 17, "C": 25}))


def test_a_province_may_not_publish_five_stars() -> None:
    error = _reason(_rating(score=95.0, stars=5, level=RatingLevel.CENTRAL))
    assert error.field == "stars" and "may not award 5★" in error.message


def test_a_province_may_not_publish_a_central_result() -> None:
    assert _reason(_rating(level=RatingLevel.CENTRAL)).field == "level"


def test_stars_above_the_band_of_the_score_are_refused() -> None:
    error = _reason(_rating(score=65.0, stars=4))
    assert (error.field, error.message) == (
        "stars",
        "4★ is above the band of 65 points under qd26-2026 (3★)",
    )


def test_parts_must_add_up_to_the_score() -> None:
    error = _reason(_rating(parts={"A": 30, "B": 17, "C": 20}))
    assert error.field == "parts" and "add up to 67" in error.message


def test_a_part_above_its_maximum_is_refused() -> None:
    assert _reason(_rating(parts={"A": 41, "B": 11, "C": 20})).field == "parts.A"


def test_a_rating_before_the_programme_is_refused() -> None:
    assert _reason(_rating(rated_on=date(2018, 1, 1))).field == "rated_on"
