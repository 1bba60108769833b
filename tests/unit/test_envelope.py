"""The event envelope and the rules each concrete event carries (DESIGN §3)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from uuid import UUID

import pytest
from pydantic import ValidationError

from ocop_contracts import (
    ProductRated,
    RatingLevel,
    TargetMetric,
    TargetUnit,
    TargetUpdated,
)
from ocop_contracts.clock import SYSTEM_CLOCK

HANOI = timezone(timedelta(hours=7))


def rated(**overrides: Any) -> ProductRated:
    fields: dict[str, Any] = {
        "producer": "evaluation",
        "aggregate_id": "prd-1",
        "aggregate_version": 1,
        "province_code": "82",
        "product_id": "prd-1",
        "score": 75.0,
        "stars": 4,
        "level": RatingLevel.PROVINCE,
        "rule_set_id": "qd26-2026",
        "rated_on": date(2026, 8, 1),
        "scoring_set_code": "1.1.1",
    }
    return ProductRated(**{**fields, **overrides})


def target(**overrides: Any) -> TargetUpdated:
    fields: dict[str, Any] = {
        "producer": "reporting",
        "aggregate_id": "tgt-1",
        "aggregate_version": 1,
        "province_code": "82",
        "target_id": "tgt-1",
        "plan_ref": "122/KH-UBND",
        "label": "Phát triển sản phẩm OCOP đạt 3 sao trở lên",
        "metric": TargetMetric.CERTIFIED_PRODUCTS,
        "year_from": 2026,
        "year_to": 2026,
        "minimum": 30.0,
    }
    return TargetUpdated(**{**fields, **overrides})


# --- envelope defaults --------------------------------------------------------------------------


def test_event_id_defaults_to_a_random_uuid() -> None:
    first, second = rated(), rated()
    assert isinstance(first.event_id, UUID)
    assert first.event_id != second.event_id


def test_correlation_id_defaults_to_a_uuid_and_causation_id_to_none() -> None:
    event = rated()
    assert isinstance(event.correlation_id, UUID)
    assert event.causation_id is None


def test_schema_version_defaults_to_the_newest_of_the_event() -> None:
    # ProductRated is at 2: province_code is the 2025 province whatever the rating's date.
    assert rated().schema_version == 2


def test_occurred_at_defaults_to_now_in_utc() -> None:
    before = SYSTEM_CLOCK.now()
    event = rated()
    after = SYSTEM_CLOCK.now()
    assert event.occurred_at.utcoffset() == timedelta(0)
    assert before <= event.occurred_at <= after


def test_occurred_at_given_in_another_offset_is_converted_to_utc() -> None:
    event = rated(occurred_at=datetime(2026, 8, 1, 9, 30, tzinfo=HANOI))
    assert event.occurred_at.utcoffset() == timedelta(0)
    assert event.occurred_at == datetime(2026, 8, 1, 2, 30, tzinfo=UTC)
    assert event.occurred_at.hour == 2


def test_occurred_at_without_a_timezone_is_rejected() -> None:
    with pytest.raises(ValidationError, match="occurred_at"):
        rated(occurred_at=datetime(2026, 8, 1, 9, 30))


def test_province_code_must_be_two_digits() -> None:
    with pytest.raises(ValidationError, match="province_code"):
        rated(province_code="8")


def test_aggregate_version_starts_at_1() -> None:
    with pytest.raises(ValidationError, match="aggregate_version"):
        rated(aggregate_version=0)


def test_an_event_is_frozen() -> None:
    event = rated()
    with pytest.raises(ValidationError, match="frozen"):
        event.stars = 3  # type: ignore[misc]
    assert event.stars == 4


def test_unknown_extra_fields_are_ignored() -> None:
    original = rated()
    payload = original.model_dump(mode="json") | {"added_in_a_later_release": "value"}
    event = ProductRated.model_validate(payload)
    assert event == original
    assert not hasattr(event, "added_in_a_later_release")


def test_to_json_bytes_is_the_json_of_the_model() -> None:
    event = rated()
    assert ProductRated.model_validate_json(event.to_json_bytes()) == event


# --- ProductRated -------------------------------------------------------------------------------


def test_product_rated_refuses_five_stars_at_province_level() -> None:
    with pytest.raises(ValidationError, match="5★ can only be awarded by the central council"):
        rated(stars=5, score=95.0, level=RatingLevel.PROVINCE)


def test_product_rated_accepts_five_stars_at_central_level() -> None:
    assert rated(stars=5, score=95.0, level=RatingLevel.CENTRAL).stars == 5


@pytest.mark.parametrize("score", [-0.1, 100.1])
def test_product_rated_refuses_a_score_outside_0_to_100(score: float) -> None:
    with pytest.raises(ValidationError, match="score"):
        rated(score=score)


@pytest.mark.parametrize(
    ("previous", "stars", "expected"),
    [(0, 3, True), (2, 3, True), (0, 4, True), (1, 2, False), (3, 4, False), (3, 3, False)],
)
def test_newly_certified_means_reaching_three_stars_for_the_first_time(
    previous: int, stars: int, expected: bool
) -> None:
    assert rated(previous_stars=previous, stars=stars).newly_certified is expected


@pytest.mark.parametrize(
    ("previous", "stars", "expected"),
    [(3, 4, True), (4, 4, False), (4, 3, False), (2, 4, False), (0, 3, False)],
)
def test_upgraded_means_more_stars_than_a_previous_certification(
    previous: int, stars: int, expected: bool
) -> None:
    assert rated(previous_stars=previous, stars=stars).upgraded is expected


# --- TargetUpdated ------------------------------------------------------------------------------


def test_target_accepts_a_range_with_minimum_below_maximum() -> None:
    event = target(minimum=30.0, maximum=35.0)
    assert (event.minimum, event.maximum) == (30.0, 35.0)


def test_target_rejects_an_inverted_range() -> None:
    with pytest.raises(ValidationError, match="inverted range"):
        target(minimum=35.0, maximum=30.0)


def test_target_rejects_missing_minimum_and_maximum() -> None:
    with pytest.raises(ValidationError, match="needs a minimum, a maximum or both"):
        target(minimum=None, maximum=None)


def test_target_rejects_a_percent_without_a_base() -> None:
    with pytest.raises(ValidationError, match="percent target needs a base"):
        target(unit=TargetUnit.PERCENT, minimum=80.0)


def test_target_accepts_a_percent_with_a_base() -> None:
    assert target(unit=TargetUnit.PERCENT, minimum=80.0, base=120.0).base == 120.0


def test_target_rejects_year_to_before_year_from() -> None:
    with pytest.raises(ValidationError, match="year_to is before year_from"):
        target(year_from=2026, year_to=2025)
