"""What a province system's rating must satisfy before evaluation re-emits it. Pure.

A province awards at most 4★ and publishes province results only; the stars must lie within the
band of the score under the rule set in force on ``rated_on``; parts, when given, are A/B/C within
their maxima and add up to the score. Whether the product is the province's is checked once the
product is known (``Product.rate_from_province_system``).
"""

from __future__ import annotations

from ocop_contracts import ProductRated, RatingLevel
from ocop_evaluation.domain.rules import PARTS, RuleSet, rules_in_force
from ocop_platform.errors import DomainError


def check_province_rating(event: ProductRated) -> None:
    """DomainError naming the first rule the rating breaks (→ a dead letter with the reason)."""
    if event.level is not RatingLevel.PROVINCE or event.stars == 5:
        raise DomainError(
            "a province may not award 5★ or publish central results; 5★ is decided by the "
            "central council",
            field="stars" if event.stars == 5 else "level",
        )
    rules = rules_in_force(event.rated_on, "rated_on")
    band = rules.stars_at_level(event.score, RatingLevel.PROVINCE)
    if event.stars > band:
        raise DomainError(
            f"{event.stars}★ is above the band of {event.score:g} points under "
            f"{rules.rule_set_id} ({band}★)",
            field="stars",
        )
    if event.parts is not None:
        _check_parts(event.parts, event.score, rules)


def _check_parts(parts: dict[str, float], score: float, rules: RuleSet) -> None:
    unknown = sorted(set(parts) - set(PARTS))
    if unknown:
        raise DomainError(f"unknown parts {unknown}; parts are A, B, C", field="parts")
    for part, points in parts.items():
        maximum = rules.parts[part]  # type: ignore[index]
        if not 0 <= points <= maximum:
            raise DomainError(
                f"part {part} has {points:g} points; {rules.rule_set_id} allows 0–{maximum:g}",
                field=f"parts.{part}",
            )
    total = round(sum(parts.values()), 2)
    if abs(total - score) > 0.01:
        raise DomainError(f"parts add up to {total:g}, not to the score {score:g}", field="parts")
