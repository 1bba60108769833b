"""The national data set is deterministic and has the programme's proportions (domain.md §5)."""

from __future__ import annotations

from collections import Counter
from functools import cache

import pytest

from ocop_contracts.reference import (
    communes_of,
    current_provinces,
    predecessors_of,
    scoring_sets,
)
from ocop_devstack.national import VALIDITY, NationalDataSet, generate, province_sizes


@cache
def national() -> NationalDataSet:
    return generate()


def _share(count: int, total: int) -> float:
    return count / total


def test_the_same_seed_gives_the_same_data_set() -> None:
    assert generate(scale=0.05) == generate(scale=0.05)
    assert generate(scale=0.05, seed=1) != generate(scale=0.05)


def test_the_nation_has_about_18000_certified_products_from_about_10000_producers() -> None:
    data = national()
    certified = [p for p in data.products if p.certified]
    assert 17_500 <= len(certified) <= 18_800
    assert 9_000 <= len(data.producers) <= 11_500
    assert 90_000 <= data.events() <= 130_000


def test_the_star_mix_is_the_programme_s() -> None:
    firsts = [p.ratings[0] for p in national().products if p.certified]
    stars = Counter(r.stars for r in firsts)
    proposed = sum(r.proposed_for_national for r in firsts)
    assert _share(stars[3], len(firsts)) == pytest.approx(0.735, abs=0.01)
    assert _share(stars[4] - proposed, len(firsts)) == pytest.approx(0.24, abs=0.01)
    assert _share(proposed, len(firsts)) == pytest.approx(0.018, abs=0.005)
    assert 0.003 < _share(stars[5], len(firsts)) < 0.01


def test_the_producer_mix_and_leadership_are_the_programme_s() -> None:
    producers = national().producers
    forms = Counter(p.legal_form for p in producers)
    assert _share(forms["cooperative"], len(producers)) == pytest.approx(0.327, abs=0.02)
    assert _share(forms["household"], len(producers)) == pytest.approx(0.427, abs=0.02)
    assert _share(sum(p.women_led for p in producers), len(producers)) == pytest.approx(
        0.40, abs=0.02
    )
    assert _share(sum(p.ethnic_minority_led for p in producers), len(producers)) == pytest.approx(
        0.20, abs=0.02
    )


def test_provinces_differ_widely_in_size_and_every_one_has_products() -> None:
    sizes = province_sizes(18_000, sorted(current_provinces()))
    assert set(sizes) == set(current_provinces())
    assert sum(sizes.values()) == 18_000
    assert sizes["01"] == max(sizes.values()) > 2_500
    assert min(sizes.values()) < 400


def test_each_year_certifies_its_share_and_old_certificates_renew_or_expire() -> None:
    products = national().products
    by_year = Counter(p.ratings[0].rated_on.year for p in products if p.certified)
    assert by_year[2021] > by_year[2022] > by_year[2023] < by_year[2024]
    renewed = sum(len(p.ratings) > 1 for p in products)
    expired = sum(p.expired_on is not None for p in products)
    assert renewed > 3 * expired > 0
    for product in products:
        if product.expired_on is not None:
            assert product.expired_on == product.ratings[0].rated_on + VALIDITY
            assert product.expired_on.year <= 2025 and len(product.ratings) == 1


def test_every_record_is_valid_reference_data() -> None:
    data = generate(scale=0.05)
    sets = scoring_sets()
    for producer in data.producers:
        assert producer.commune_code in communes_of(producer.province_code)
    for product in data.products:
        assert product.scoring_set_code in sets
        for rating in product.ratings:
            assert (rating.stars >= 3) == (rating.score >= 50)


def test_every_producer_has_an_old_province_that_became_its_province() -> None:
    producers = generate(scale=0.05).producers
    old_of: dict[str, set[str]] = {}
    for producer in producers:
        assert producer.legacy_province_code in predecessors_of(producer.province_code)
        old_of.setdefault(producer.province_code, set()).add(producer.legacy_province_code)
    # A province merged from several old ones has producers from more than one of them.
    merged = [p for p in current_provinces() if len(predecessors_of(p)) > 1]
    spread = [p for p in merged if len(old_of.get(p, set())) > 1]
    assert len(spread) >= len(merged) * 3 // 4
