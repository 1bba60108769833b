"""Star bands and the rule set in force on a date (DESIGN §5)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ocop_contracts import RatingLevel
from ocop_evaluation.domain.rules import RuleSet, rule_set_in_force, rule_sets

BAND_EDGES = [
    (0.0, 1),
    (29.99, 1),
    (30.0, 2),
    (49.99, 2),
    (50.0, 3),
    (69.99, 3),
    (70.0, 4),
    (89.99, 4),
    (90.0, 5),
    (100.0, 5),
]
RULE_SETS = rule_sets()
BY_ID = {r.rule_set_id: r for r in RULE_SETS}
scores = st.floats(min_value=0, max_value=100, allow_nan=False)


@pytest.mark.parametrize("rules", RULE_SETS, ids=lambda r: r.rule_set_id)
@pytest.mark.parametrize(("score", "stars"), BAND_EDGES)
def test_stars_follow_the_band_the_score_falls_in(rules: RuleSet, score: float, stars: int) -> None:
    assert rules.stars_for(score) == stars


@pytest.mark.parametrize("rules", RULE_SETS, ids=lambda r: r.rule_set_id)
@pytest.mark.parametrize(("score", "stars"), BAND_EDGES)
def test_the_central_council_awards_the_band_unchanged(
    rules: RuleSet, score: float, stars: int
) -> None:
    assert rules.stars_at_level(score, RatingLevel.CENTRAL) == stars


@pytest.mark.parametrize("rules", RULE_SETS, ids=lambda r: r.rule_set_id)
@pytest.mark.parametrize(("score", "stars"), BAND_EDGES)
def test_a_province_council_awards_at_most_four_stars(
    rules: RuleSet, score: float, stars: int
) -> None:
    assert rules.stars_at_level(score, RatingLevel.PROVINCE) == min(stars, 4)


@pytest.mark.parametrize(
    ("on", "rule_set_id"),
    [
        (date(2019, 8, 21), "qd1048-2019"),
        (date(2023, 2, 23), "qd1048-2019"),
        (date(2023, 2, 24), "qd148-2023"),
        (date(2025, 7, 5), "qd148-2023"),
        (date(2025, 7, 6), "qd148-1489-2025"),
        (date(2026, 7, 20), "qd148-1489-2025"),
        (date(2026, 7, 21), "qd26-2026"),
        (date(2040, 1, 1), "qd26-2026"),
    ],
)
def test_the_rule_set_in_force_is_the_latest_effective_on_the_date(
    on: date, rule_set_id: str
) -> None:
    assert rule_set_in_force(on).rule_set_id == rule_set_id


def test_no_rule_set_is_in_force_before_the_programme_began() -> None:
    with pytest.raises(ValueError, match="2019-08-20"):
        rule_set_in_force(date(2019, 8, 21) - timedelta(days=1))


def test_rule_set_ids_are_unique() -> None:
    assert len(BY_ID) == len(RULE_SETS)


@given(rules=st.sampled_from(RULE_SETS), level=st.sampled_from(RatingLevel), a=scores, b=scores)
def test_stars_never_fall_as_the_score_rises(
    rules: RuleSet, level: RatingLevel, a: float, b: float
) -> None:
    low, high = sorted((a, b))
    assert rules.stars_at_level(low, level) <= rules.stars_at_level(high, level)


@given(rules=st.sampled_from(RULE_SETS), level=st.sampled_from(RatingLevel), score=scores)
def test_stars_are_always_between_one_and_the_levels_cap(
    rules: RuleSet, level: RatingLevel, score: float
) -> None:
    assert 1 <= rules.stars_at_level(score, level) <= rules.max_stars[level]
