"""Helpers shared by the integration tests."""

from __future__ import annotations

from datetime import date

from ocop_contracts import ProductRated, RatingLevel


def rating(product_id: str, version: int) -> ProductRated:
    """A 3★ province rating of ``product_id`` at ``version``, as evaluation publishes it."""
    return ProductRated(
        producer="evaluation",
        aggregate_id=product_id,
        aggregate_version=version,
        province_code="82",
        product_id=product_id,
        score=50.0 + version % 40,
        stars=3,
        previous_stars=0,
        level=RatingLevel.PROVINCE,
        rule_set_id="qd26-2026",
        rated_on=date(2026, 6, 1),
        scoring_set_code="I.1.a",
    )
