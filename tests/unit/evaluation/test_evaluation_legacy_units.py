"""Issue #10, deliverable 3, in evaluation: the unit a product belonged to before the merger comes
from the registry's ProductRegistered; evaluation carries it on every dated fact it emits (schema
version 2: province_code the 2025 province) and accepts a province system's rating dated before
the merger under that unit's 2008 code, never under another old code."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from ocop_contracts import ProductRated, ProductRegistered, RatingLevel
from ocop_contracts.legacy import LegacyUnit
from ocop_contracts.reference import communes_of
from ocop_evaluation.service_layer.commands import RecordRating
from ocop_platform.errors import DomainError
from tests.unit.evaluation.evaluation_builders import OFFICE, evaluation, published

THAI_NGUYEN = "19"
COMMUNE = communes_of(THAI_NGUYEN)[0]
BAC_KAN = LegacyUnit(province_code="06", district_code="058", commune_code="01840")


def registration(legacy: LegacyUnit | None = BAC_KAN) -> ProductRegistered:
    return ProductRegistered(
        producer="registry",
        aggregate_id="p1",
        aggregate_version=1,
        province_code=THAI_NGUYEN,
        product_id="p1",
        product_code=f"{THAI_NGUYEN}-{COMMUNE}-1-2022",
        name="Miến dong Na Rì",
        entity_id="e-p1",
        legal_form="cooperative",
        scoring_set_code="I.3.b",
        commune_code=COMMUNE,
        legacy_unit=legacy,
    )


def province_rating(code: str, rated_on: date = date(2022, 6, 15), **more: Any) -> ProductRated:
    return ProductRated(
        producer="bac-kan-ocop",
        schema_version=1,
        aggregate_id="p1",
        aggregate_version=1,
        province_code=code,
        product_id="p1",
        score=62.0,
        stars=3,
        level=RatingLevel.PROVINCE,
        rule_set_id="qd1048-2019",
        rated_on=rated_on,
        scoring_set_code="I.3.b",
        source_rating_id="BK-2022-1",
        **more,
    )


async def test_a_rating_before_the_merger_under_its_old_code_is_re_emitted_as_v2() -> None:
    ev, stores = evaluation()
    await ev.ingest.on_product_registered(registration())

    await ev.ingest.on_ingested_rating(province_rating("06"))

    [canonical] = published(stores)
    assert isinstance(canonical, ProductRated)
    assert (canonical.schema_version, canonical.province_code) == (2, THAI_NGUYEN)
    assert canonical.legacy_unit == BAC_KAN


async def test_the_product_s_2025_code_is_accepted_too_and_carries_the_old_unit() -> None:
    ev, stores = evaluation()
    await ev.ingest.on_product_registered(registration())

    await ev.ingest.on_ingested_rating(province_rating(THAI_NGUYEN))

    [canonical] = published(stores)
    assert isinstance(canonical, ProductRated) and canonical.legacy_unit == BAC_KAN


async def test_another_old_province_s_code_is_refused_with_the_product_s_units() -> None:
    ev, _ = evaluation()
    await ev.ingest.on_product_registered(registration())
    with pytest.raises(DomainError, match=r"belongs to province 19 \(province 06 before") as caught:
        await ev.ingest.on_ingested_rating(province_rating("20"))
    assert caught.value.field == "province_code"


async def test_the_old_code_is_refused_for_a_rating_after_the_merger() -> None:
    ev, _ = evaluation()
    await ev.ingest.on_product_registered(registration())
    with pytest.raises(DomainError, match="belongs to province 19, not 06"):
        await ev.ingest.on_ingested_rating(province_rating("06", rated_on=date(2025, 8, 1)))


async def test_an_old_code_is_refused_when_the_registry_recorded_no_old_unit() -> None:
    ev, _ = evaluation()
    await ev.ingest.on_product_registered(registration(legacy=None))
    with pytest.raises(DomainError, match="unit before 1 July 2025 is not recorded"):
        await ev.ingest.on_ingested_rating(province_rating("06"))


async def test_the_council_s_own_rating_and_certificate_carry_the_old_unit() -> None:
    ev, stores = evaluation()
    await ev.ingest.on_product_registered(registration())

    await ev.products.record_rating(
        RecordRating(product_id="p1", score=75.0, rated_on=date(2022, 11, 20)), OFFICE
    )

    events = published(stores)
    assert events, "the rating was published"
    for event in events:
        assert getattr(event, "legacy_unit", BAC_KAN) == BAC_KAN
        assert event.province_code == THAI_NGUYEN
