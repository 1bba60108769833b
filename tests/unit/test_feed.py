"""The newly-starred feed: first certifications and upgrades, once per rating."""

from __future__ import annotations

from datetime import date

import pytest

from ocop_contracts import ProductRated, RatingLevel
from ocop_contracts.vocabulary import CertificateOrigin
from ocop_promotion.domain.feed import Change, FeedEntry, feed_entry_for


def rated(previous: int, stars: int, version: int = 2) -> ProductRated:
    return ProductRated(
        producer="evaluation",
        aggregate_id="prd-7",
        aggregate_version=version,
        province_code="86",
        product_id="prd-7",
        score=91.0 if stars == 5 else 20.0 * stars,
        stars=stars,
        previous_stars=previous,
        level=RatingLevel.CENTRAL if stars == 5 else RatingLevel.PROVINCE,
        rule_set_id="qd26-2026",
        rated_on=date(2026, 9, 15),
        scoring_set_code="1.2.1",
    )


def test_a_first_certification_produces_an_entry() -> None:
    entry = feed_entry_for(rated(previous=0, stars=3, version=1), "Bưởi da xanh")
    assert entry == FeedEntry(
        entry_id="prd-7:1",
        product_id="prd-7",
        province_code="86",
        scoring_set_code="1.2.1",
        from_stars=0,
        to_stars=3,
        score=60.0,
        rated_on=date(2026, 9, 15),
        product_name="Bưởi da xanh",
        change=Change.FIRST_CERTIFICATION,
        rating_version=1,
    )


def test_certification_after_a_rating_below_three_stars_produces_an_entry() -> None:
    entry = feed_entry_for(rated(previous=2, stars=4), None)
    assert entry is not None
    assert (entry.from_stars, entry.to_stars) == (2, 4)


@pytest.mark.parametrize(("previous", "stars"), [(3, 4), (4, 5), (3, 5)])
def test_an_upgrade_produces_an_entry(previous: int, stars: int) -> None:
    entry = feed_entry_for(rated(previous=previous, stars=stars), None)
    assert entry is not None
    assert (entry.from_stars, entry.to_stars) == (previous, stars)


def test_the_entry_id_is_stable_for_the_same_product_and_version() -> None:
    event = rated(previous=3, stars=4, version=5)
    redelivered = ProductRated.model_validate_json(event.to_json_bytes())
    first, second = feed_entry_for(event, None), feed_entry_for(redelivered, "late name")
    assert first is not None and second is not None
    assert first.entry_id == second.entry_id == "prd-7:5"


def test_different_ratings_of_a_product_get_different_entry_ids() -> None:
    first = feed_entry_for(rated(previous=0, stars=3, version=1), None)
    second = feed_entry_for(rated(previous=3, stars=4, version=2), None)
    assert first is not None and second is not None
    assert first.entry_id != second.entry_id


@pytest.mark.parametrize("stars", [3, 4, 5])
def test_re_rating_at_the_same_stars_produces_no_entry(stars: int) -> None:
    assert feed_entry_for(rated(previous=stars, stars=stars), None) is None


@pytest.mark.parametrize(("previous", "stars"), [(0, 1), (0, 2), (1, 2), (2, 2)])
def test_a_rating_of_one_or_two_stars_produces_no_entry(previous: int, stars: int) -> None:
    assert feed_entry_for(rated(previous=previous, stars=stars), None) is None


@pytest.mark.parametrize(("previous", "stars"), [(4, 3), (5, 4), (3, 2)])
def test_a_downgrade_produces_no_entry(previous: int, stars: int) -> None:
    assert feed_entry_for(rated(previous=previous, stars=stars), None) is None


def test_the_rating_behind_an_imported_certificate_is_history_not_news() -> None:
    imported = rated(previous=0, stars=4, version=1).model_copy(
        update={"origin": CertificateOrigin.IMPORTED}
    )
    assert feed_entry_for(imported, "Bưởi da xanh") is None
