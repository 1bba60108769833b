"""The derived metrics of issue #10 on facts as stored: upgrades from a given star, new producers
of a legal form or with a participating product, participation in fairs by products and by
producers, and which facts a commune's or a former district's target counts (the commune of the
fact's time for a plan of before the merger)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ocop_contracts import TargetMetric
from ocop_reporting.domain.metrics import (
    fair_participation,
    in_communes,
    new_producers,
    rating_counts,
    target_communes,
)
from ocop_reporting.domain.progress import DERIVED_METRICS, REPORTED_METRICS, Target
from ocop_reporting.domain.units import commune_in

Doc = dict[str, Any]


def target(metric: TargetMetric, **changes: Any) -> Target:
    base = Target(
        target_id="tgt-1",
        province_code="87",
        plan_ref="122/KH-UBND",
        label="Chỉ tiêu",
        metric=metric,
        year_from=2021,
        year_to=2021,
        minimum=1,
        maximum=None,
        min_stars=None,
        version=1,
        province_edition="2008",
    )
    return replace(base, **changes)


def rating(stars: int, before: int) -> Doc:
    return {"stars": stars, "previous_stars": before, "upgraded": stars > before >= 3, "score": 70}


def test_an_upgrade_target_from_three_stars_counts_3_to_4_but_not_4_to_5() -> None:
    three_to_four = target(TargetMetric.UPGRADED_PRODUCTS, min_stars=4, from_stars=3)
    assert rating_counts(three_to_four, rating(4, 3))
    assert not rating_counts(three_to_four, rating(5, 4))


def test_an_upgrade_target_without_from_stars_counts_every_upgrade() -> None:
    any_upgrade = target(TargetMetric.UPGRADED_PRODUCTS, min_stars=4)
    assert rating_counts(any_upgrade, rating(4, 3))
    assert rating_counts(any_upgrade, rating(5, 4))
    assert not rating_counts(any_upgrade, rating(3, 0))  # a first certification


def test_an_upgrade_target_to_five_stars_from_four_counts_only_that() -> None:
    to_five = target(TargetMetric.UPGRADED_PRODUCTS, min_stars=5, from_stars=4)
    assert rating_counts(to_five, rating(5, 4))
    assert not rating_counts(to_five, rating(4, 3))


ENTITIES = [
    {"_id": "e1", "legal_form": "cooperative"},
    {"_id": "e2", "legal_form": "household"},
    {"_id": "e3", "legal_form": "cooperative"},
]


def test_new_cooperatives_count_only_new_producers_of_that_form() -> None:
    cooperatives = target(TargetMetric.NEW_PRODUCERS, legal_forms=("cooperative",))
    assert new_producers(cooperatives, ENTITIES, []) == 2
    assert new_producers(target(TargetMetric.NEW_PRODUCERS), ENTITIES, []) == 3


def test_new_participating_producers_need_a_registered_product() -> None:
    participating = target(TargetMetric.NEW_PARTICIPATING_PRODUCERS)
    products = [{"entity_id": "e1"}, {"entity_id": "e1"}, {"entity_id": "e2"}]
    assert new_producers(participating, ENTITIES, products) == 2
    assert new_producers(participating, ENTITIES, []) == 0
    # A product of a producer registered before the period does not make a new one.
    assert new_producers(participating, ENTITIES, [{"entity_id": "old"}]) == 0


PRODUCTS = {
    "p1": {"entity_id": "e1", "commune_code": "10951", "legal_form": "cooperative"},
    "p2": {"entity_id": "e1", "commune_code": "10954", "legal_form": "cooperative"},
    "p3": {"entity_id": "e2", "commune_code": "10600", "legal_form": "household"},
}
PLACEMENTS = [{"product_id": p} for p in ("p1", "p2", "p1", "p3")]


def test_fair_participation_counts_distinct_products_and_their_producers() -> None:
    assert fair_participation(target(TargetMetric.FAIR_PRODUCTS), PLACEMENTS, PRODUCTS) == 3
    assert fair_participation(target(TargetMetric.FAIR_PRODUCERS), PLACEMENTS, PRODUCTS) == 2


def test_a_districts_fair_participation_counts_its_communes_products_only() -> None:
    district = {"commune_codes": ("10951", "10954")}
    products = target(TargetMetric.FAIR_PRODUCTS, **district)
    producers = target(TargetMetric.FAIR_PRODUCERS, **district)
    assert fair_participation(products, PLACEMENTS, PRODUCTS) == 2
    assert fair_participation(producers, PLACEMENTS, PRODUCTS) == 1


def test_a_placement_of_a_product_reporting_does_not_know_counts_no_producer() -> None:
    unknown = [{"product_id": "p9"}]
    assert fair_participation(target(TargetMetric.FAIR_PRODUCTS), unknown, PRODUCTS) == 1
    assert fair_participation(target(TargetMetric.FAIR_PRODUCERS), unknown, PRODUCTS) == 0


def test_training_by_audience_needs_reported_evidence() -> None:
    assert {TargetMetric.OFFICIALS_TRAINED, TargetMetric.PRODUCERS_TRAINED} <= REPORTED_METRICS
    assert {
        TargetMetric.FAIR_PRODUCTS,
        TargetMetric.FAIR_PRODUCERS,
        TargetMetric.NEW_PARTICIPATING_PRODUCERS,
    } <= DERIVED_METRICS


# --- a commune's or a district's target: the commune of the fact's time (issue #10, part 3) ----

TU_KY = ("10951", "10954")
# A version 2 fact of 2022 (the services): today's commune of Hải Phòng, its old one beside it.
SERVICES_FACT = {"commune_code": "10510", "old_commune_code": "10951"}
# A version 1 fact of 2022 (a province system, hand-made history): the old commune itself.
OLD_CODES_FACT = {"commune_code": "10954"}


def district(edition: str) -> Target:
    return target(
        TargetMetric.CERTIFIED_PRODUCTS,
        province_code="30" if edition == "2008" else "31",
        province_edition=edition,
        district_name="Tứ Kỳ",
        commune_codes=TU_KY,
    )


def test_the_commune_of_a_facts_time_is_its_old_commune_when_the_event_gave_it() -> None:
    assert commune_in(SERVICES_FACT, "2008") == "10951"
    assert commune_in(OLD_CODES_FACT, "2008") == "10954"
    assert commune_in({}, "2008") is None


def test_a_version_2_fact_without_its_old_commune_is_in_no_commune_of_that_time() -> None:
    # Its commune_code is today's; 10951 may be a 2025 code that coincides with an old one.
    unknown = {"commune_code": "10951", "old_commune_unknown": True}
    assert commune_in(unknown, "2008") is None
    assert not in_communes(district("2008"), unknown)
    assert commune_in(unknown, "2025") == "10951"


def test_todays_commune_is_the_facts_commune_code_whatever_its_old_one() -> None:
    assert commune_in(SERVICES_FACT, "2025") == "10510"
    assert commune_in(OLD_CODES_FACT, "2025") == "10954"


def test_a_pre_merger_district_target_matches_the_old_commune_not_todays() -> None:
    old_plan = district("2008")
    assert in_communes(old_plan, SERVICES_FACT)
    assert in_communes(old_plan, OLD_CODES_FACT)
    # Today's commune of a fact is not one of the district's, even when the codes coincide.
    assert not in_communes(old_plan, {"commune_code": "10951", "old_commune_code": "10600"})


def test_a_2025_target_matches_todays_commune_only() -> None:
    new_plan = replace(district("2025"), commune_codes=("10510",))
    assert in_communes(new_plan, SERVICES_FACT)
    assert not in_communes(replace(new_plan, commune_codes=TU_KY), SERVICES_FACT)


def test_a_single_communes_target_and_a_whole_units_target() -> None:
    commune = replace(district("2008"), commune_codes=(), commune_code="10951")
    assert target_communes(commune) == {"10951"}
    assert in_communes(commune, SERVICES_FACT)
    assert not in_communes(commune, OLD_CODES_FACT)
    whole = replace(district("2008"), commune_codes=())
    assert target_communes(whole) == frozenset()
    assert in_communes(whole, {"commune_code": None})


def test_a_districts_fair_participation_reads_the_products_old_commune() -> None:
    products = {
        "p1": {"entity_id": "e1", "commune_code": "10510", "old_commune_code": "10951"},
        "p2": {"entity_id": "e2", "commune_code": "10510", "old_commune_code": "10600"},
        "p3": {"entity_id": "e1", "commune_code": "10954"},  # a version 1 registration
    }
    placements = [{"product_id": p} for p in ("p1", "p2", "p3", "p1")]
    old_plan = replace(district("2008"), metric=TargetMetric.FAIR_PRODUCTS)
    assert fair_participation(old_plan, placements, products) == 2  # p1, p3; p2 outside
    producers = replace(old_plan, metric=TargetMetric.FAIR_PRODUCERS)
    assert fair_participation(producers, placements, products) == 1  # e1
    # A 2025 plan naming today's commune counts the products there today.
    new_plan = replace(old_plan, province_edition="2025", commune_codes=("10510",))
    assert fair_participation(new_plan, placements, products) == 2  # p1, p2
