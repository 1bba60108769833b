"""The shipped rule-set data: structure per decision (domain.md §1.2–1.9)."""

from __future__ import annotations

import pytest

from ocop_contracts.reference import scoring_sets
from ocop_evaluation.domain.rules import rule_set, rule_sets


def test_1048_split_the_points_35_25_40() -> None:
    rules = rule_set("qd1048-2019")
    assert rules is not None
    assert rules.parts == {"A": 35, "B": 25, "C": 40}


@pytest.mark.parametrize("rule_set_id", ["qd148-2023", "qd148-1489-2025", "qd26-2026"])
def test_later_decisions_split_the_points_40_25_35(rule_set_id: str) -> None:
    rules = rule_set(rule_set_id)
    assert rules is not None
    assert rules.parts == {"A": 40, "B": 25, "C": 35}


def test_under_148_the_district_certified_three_stars_until_1489_moved_it_to_the_province() -> None:
    before, after = rule_set("qd148-2023"), rule_set("qd148-1489-2025")
    assert before is not None and after is not None
    assert (before.certifying_level[3], after.certifying_level[3]) == ("district", "province")


def test_qd26_renewal_is_filed_180_to_120_days_before_expiry() -> None:
    rules = rule_set("qd26-2026")
    assert rules is not None
    assert rules.renewal_window_days == (180, 120)
    assert rules.certificate_validity_months == 36


def test_every_qd26_food_and_beverage_scoring_set_has_a_rubric() -> None:
    rules = rule_set("qd26-2026")
    assert rules is not None
    food = [s.code for s in scoring_sets().values() if s.sector_code in ("I", "II")]
    assert food and all(rules.rubric_for(code) is not None for code in food)


def test_a_rubric_adds_up_to_100_points_in_its_rule_sets_parts() -> None:
    for rules in rule_sets():
        for rubric in rules.rubrics.values():
            assert sum(c.max_points for c in rubric.criteria.values()) == 100
            assert rubric.part_maxima() == rules.parts


def test_each_star_has_mandatory_minima_in_the_qd26_rubric() -> None:
    rules = rule_set("qd26-2026")
    assert rules is not None
    rubric = rules.rubrics["qd26-food"]
    flagged = {o.mandatory_for for c in rubric.criteria.values() for o in c.options}
    assert {3, 4, 5} <= flagged
