"""Score sheets, council results, stars with mandatory minima and the next-star report."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ocop_contracts import RatingLevel
from ocop_evaluation.domain.rules import Rubric, RuleSet, rule_set
from ocop_evaluation.domain.scoring import (
    CouncilRules,
    SheetEntry,
    council_result,
    next_star,
    score_sheet,
    stars_with_minima,
    unmet_minima,
)
from ocop_platform.errors import DomainError


def _rules() -> RuleSet:
    rules = rule_set("qd26-2026")
    assert rules is not None
    return rules


RULES = _rules()
RUBRIC: Rubric = RULES.rubrics["qd26-food"]


def _best() -> list[SheetEntry]:
    return [
        SheetEntry(c.criterion_id, max(c.options, key=lambda o: o.points).option_id)
        for c in RUBRIC.criteria.values()
    ]


def _points_meeting_minima(stars: int) -> dict[str, float]:
    """The lowest points per criterion that still meet every minimum up to ``stars``."""
    points = {}
    for criterion in RUBRIC.criteria.values():
        minimum = criterion.minimum_for(stars)
        lowest = min(o.points for o in criterion.options)
        points[criterion.criterion_id] = minimum.points if minimum else lowest
    return points


def test_a_full_sheet_of_best_options_scores_100() -> None:
    assert sum(score_sheet(RUBRIC, _best()).values()) == 100


def test_a_score_above_a_criterions_maximum_names_the_entry() -> None:
    entries = _best()
    entries[2] = SheetEntry(entries[2].criterion_id, points=99)
    with pytest.raises(DomainError, match="above the maximum") as caught:
        score_sheet(RUBRIC, entries)
    assert caught.value.field == "entries.2.points"


def test_an_unknown_option_is_refused_with_the_options_listed() -> None:
    entries = _best()
    entries[0] = SheetEntry(entries[0].criterion_id, "nope")
    with pytest.raises(DomainError, match="no option 'nope'") as caught:
        score_sheet(RUBRIC, entries)
    assert caught.value.field == "entries.0.option_id"


def test_a_sheet_must_score_every_criterion() -> None:
    with pytest.raises(DomainError, match="1 criteria unscored") as caught:
        score_sheet(RUBRIC, _best()[:-1])
    assert caught.value.field == "entries"


def test_a_criterion_scored_twice_is_refused() -> None:
    entries = _best()
    with pytest.raises(DomainError, match="scored twice"):
        score_sheet(RUBRIC, [*entries, entries[0]])


def test_points_between_options_are_refused() -> None:
    criterion = RUBRIC.criteria["A1.1"]  # options worth 1, 2, 3
    entries = [e for e in _best() if e.criterion_id != "A1.1"]
    with pytest.raises(DomainError, match="scored by its options"):
        score_sheet(RUBRIC, [*entries, SheetEntry(criterion.criterion_id, points=2.5)])


def test_the_council_result_is_the_average_of_the_members_totals() -> None:
    members = {"a": "chair", "b": "member", "c": "member"}
    sheets = {"a": {"x": 80.0}, "b": {"x": 84.0}, "c": {"x": 85.0}}
    result = council_result(members, sheets, CouncilRules())
    assert (result.average, result.spread, result.decidable) == (83.0, 5.0, True)


def test_a_spread_above_the_threshold_flags_the_dossier_for_re_scoring() -> None:
    members = {"a": "chair", "b": "member"}
    sheets = {"a": {"x": 70.0}, "b": {"x": 82.0}}
    result = council_result(members, sheets, CouncilRules(max_spread=10))
    assert result.needs_rescoring and not result.decidable


def test_the_spread_threshold_is_the_provinces_choice() -> None:
    members = {"a": "chair", "b": "member"}
    sheets = {"a": {"x": 70.0}, "b": {"x": 82.0}}
    assert council_result(members, sheets, CouncilRules(max_spread=15)).decidable


def test_without_quorum_there_is_no_decision() -> None:
    members = dict.fromkeys("abcd", "member") | {"z": "chair"}
    sheets = {"z": {"x": 70.0}, "a": {"x": 70.0}}
    result = council_result(members, sheets, CouncilRules(quorum_ratio=0.75))
    assert not result.quorum_met
    assert "quorum not met: 2 of 5 sheets, 4 needed" in result.problems


def test_the_chairs_sheet_is_required_when_the_rules_say_so() -> None:
    members = {"a": "chair", "b": "member"}
    result = council_result(members, {"b": {"x": 70.0}}, CouncilRules(quorum_ratio=0.5))
    assert result.problems == ["the chair has not submitted a sheet"]


def test_an_unmet_four_star_minimum_holds_a_75_point_product_at_three_stars() -> None:
    points = _points_meeting_minima(3)
    assert unmet_minima(RUBRIC, points, 4)
    assert stars_with_minima(RULES, RUBRIC, 75.0, points, RatingLevel.PROVINCE) == 3


def test_an_unmet_three_star_minimum_means_no_certifiable_star() -> None:
    points = dict.fromkeys(RUBRIC.criteria, 0.0)
    assert stars_with_minima(RULES, RUBRIC, 60.0, points, RatingLevel.PROVINCE) == 2


@given(
    stars_met=st.integers(min_value=3, max_value=5),
    level=st.sampled_from(RatingLevel),
    a=st.floats(min_value=0, max_value=100, allow_nan=False),
    b=st.floats(min_value=0, max_value=100, allow_nan=False),
)
def test_stars_never_fall_as_the_score_rises_with_the_minima_met(
    stars_met: int, level: RatingLevel, a: float, b: float
) -> None:
    points = _points_meeting_minima(stars_met)
    low, high = sorted((a, b))
    assert stars_with_minima(RULES, RUBRIC, low, points, level) <= stars_with_minima(
        RULES, RUBRIC, high, points, level
    )


def test_next_star_names_the_points_and_the_minima_that_are_missing() -> None:
    points = _points_meeting_minima(3)
    gap = next_star(RULES, RUBRIC, points, 66.0)
    assert (gap.current_stars, gap.next_stars, gap.points_needed) == (3, 4, 4.0)
    assert {u.criterion_id for u in gap.unmet_minima} == {
        c.criterion_id
        for c in RUBRIC.criteria.values()
        if (m := c.minimum_for(4)) is not None and points[c.criterion_id] < m.points
    }
    assert gap.lifts[0].meets_minimum  # the lifts that clear a minimum come first


def test_next_star_is_none_at_five_stars() -> None:
    points = score_sheet(RUBRIC, _best())
    assert next_star(RULES, RUBRIC, points, 100.0).next_stars is None
