"""Re-sent ratings of province systems: same message, duplicate, or conflict (pure rule)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from ocop_contracts import ProductRated, RatingLevel
from ocop_evaluation.domain.resends import Resend, SourceRating, classify, conflict_reason


def _rating(**overrides: Any) -> ProductRated:
    fields: dict[str, Any] = {
        "producer": "can-tho-ocop",
        "aggregate_id": "p1",
        "aggregate_version": 1,
        "province_code": "92",
        "product_id": "p1",
        "score": 72.5,
        "stars": 4,
        "level": RatingLevel.PROVINCE,
        "rule_set_id": "qd26-2026",
        "rated_on": date(2026, 12, 1),
        "scoring_set_code": "I.3.d",
        "parts": {"A": 30.0, "B": 17.5, "C": 25.0},
        "source_rating_id": "CT-2026-0042",
    }
    return ProductRated(**{**fields, **overrides})


def _source(event: ProductRated) -> SourceRating:
    source = SourceRating.of(event)
    assert source is not None
    return source


def _resent(event: ProductRated, **changes: Any) -> ProductRated:
    """The same message under a new event id (what a producer's retry or replay does)."""
    return event.model_copy(update={"event_id": uuid.uuid4(), **changes})


def test_a_rating_without_a_source_id_has_no_source_record() -> None:
    assert SourceRating.of(_rating(source_rating_id=None)) is None


def test_the_source_key_is_the_province_the_system_and_its_own_id() -> None:
    assert _source(_rating()).key == "92:can-tho-ocop:CT-2026-0042"


def test_the_same_message_again_is_a_redelivery() -> None:
    first = _rating()
    assert classify(_source(first), _source(first)) is Resend.SAME_MESSAGE


def test_the_same_content_under_a_new_event_id_is_a_duplicate() -> None:
    first = _rating()
    assert classify(_source(first), _source(_resent(first))) is Resend.DUPLICATE


def test_envelope_and_derived_fields_do_not_make_a_re_send_different() -> None:
    first = _rating()
    again = _resent(
        first,
        correlation_id=uuid.uuid4(),
        aggregate_version=7,
        previous_stars=3,
        rule_set_id="qd148-1489-2025",
        commune_code="31120",
    )
    assert classify(_source(first), _source(again)) is Resend.DUPLICATE


def test_the_order_of_the_parts_does_not_matter() -> None:
    first = _rating()
    again = _resent(first, parts={"C": 25.0, "A": 30.0, "B": 17.5})
    assert classify(_source(first), _source(again)) is Resend.DUPLICATE


def test_other_content_under_the_same_source_id_is_a_conflict() -> None:
    first = _rating()
    for changes in (
        {"score": 74.0, "parts": {"A": 31.5, "B": 17.5, "C": 25.0}},
        {"stars": 3},
        {"rated_on": date(2026, 12, 2)},
        {"round_id": "r-2026-2"},
        {"product_id": "p2"},
    ):
        assert classify(_source(first), _source(_resent(first, **changes))) is Resend.CONFLICT


def test_a_conflict_reason_names_the_first_event_and_what_differs() -> None:
    first = _rating()
    other = _resent(first, score=74.0, parts={"A": 31.5, "B": 17.5, "C": 25.0})

    reason = conflict_reason(_source(first), _source(other))

    assert reason == (
        f"source rating CT-2026-0042 was first received as event {first.event_id} with other "
        "content (parts {A: 30, B: 17.5, C: 25} → {A: 31.5, B: 17.5, C: 25}; score 72.5 → 74); "
        "a source rating id names one rating, so send a correction under a new source rating id"
    )
