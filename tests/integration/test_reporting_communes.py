"""A former district's target on the real store (issue #10, part 3): a plan of before the merger
counts the facts of its communes as they were then — the old commune the services' version 2
events carry (`legacy_unit.commune_code`, stored as `old_commune_code`), or the commune of a
version 1 event — and a 2025 plan counts today's communes. Ratings, producers, fairs and fair
placements, written live and as the rebuild writes them (its summaries held until the flush)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, date, datetime, time

import pytest

from ocop_contracts import Event, ProductRated, ProductRegistered, RatingLevel, TargetMetric
from ocop_contracts.events.promotion import FairScheduled, ProductShowcased
from ocop_contracts.events.registry import EntityRegistered
from ocop_contracts.legacy import LegacyUnit
from ocop_contracts.vocabulary import LegalForm, VenueKind
from ocop_devstack.infra import Infra
from ocop_platform.mongo import create_client
from ocop_reporting.adapters.facts import ENTITIES, PRODUCTS, RATINGS, fact_collection
from ocop_reporting.adapters.projections import MongoProjections
from ocop_reporting.adapters.queries import MongoReportQueries
from ocop_reporting.domain.progress import Target

pytestmark = pytest.mark.integration

DAY = date(2022, 10, 12)
TU_KY = ("10951", "10954")
TODAY_COMMUNE = "10510"  # a 2025 commune of Hải Phòng (31), which Hải Dương (30) became
AT = datetime.combine(date(2026, 11, 2), time(3), tzinfo=UTC)  # entered today, as history


def _old(commune: str) -> LegacyUnit:
    return LegacyUnit(province_code="30", district_code="298", commune_code=commune)


def _rated(product: str, commune: str, legacy: LegacyUnit | None) -> ProductRated:
    """Version 2 (the services: today's province and commune, the old unit beside them) when
    `legacy` is given, else version 1 (the province and commune in force on the day)."""
    return ProductRated(
        producer="evaluation",
        schema_version=2 if legacy else 1,
        aggregate_id=product,
        aggregate_version=1,
        province_code="31" if legacy else "30",
        occurred_at=AT,
        product_id=product,
        score=62.0,
        stars=3,
        previous_stars=0,
        level=RatingLevel.PROVINCE,
        rule_set_id="qd1048-2019",
        rated_on=DAY,
        scoring_set_code="I.1.a",
        commune_code=commune,
        legacy_unit=legacy,
    )


def _events() -> list[Event]:
    common = {"producer": "registry", "occurred_at": AT, "aggregate_version": 1}
    return [
        _rated("p-in", TODAY_COMMUNE, _old("10951")),  # the district then, not by today's code
        _rated("p-in-2", TODAY_COMMUNE, _old("10954")),
        _rated("p-v1", "10954", None),  # hand-made history: the old commune in commune_code
        _rated("p-out", TODAY_COMMUNE, _old("10600")),  # elsewhere in Hải Dương then
        # Today's code coincides with one of the district's old ones; then it was elsewhere.
        _rated("p-coincides", "10951", _old("10600")),
        # Only its old province given: today's code coincides, its commune then is unknown.
        _rated("p-unknown", "10951", LegacyUnit(province_code="30")),
        EntityRegistered(
            **common,
            aggregate_id="e-coop",
            province_code="31",
            entity_id="e-coop",
            name="HTX Tứ Kỳ",
            legal_form=LegalForm.COOPERATIVE,
            commune_code=TODAY_COMMUNE,
            registered_on=date(2022, 3, 1),
            legacy_unit=_old("10954"),
        ),
        ProductRegistered(
            **common,
            aggregate_id="p-in",
            province_code="31",
            product_id="p-in",
            product_code="31-10510-1-2026",  # the QĐ 26 code the registry gave
            name="Sản phẩm p-in",
            entity_id="e-coop",
            legal_form=LegalForm.COOPERATIVE,
            scoring_set_code="I.1.a",
            commune_code=TODAY_COMMUNE,
            registered_on=date(2022, 7, 1),
            legacy_unit=_old("10951"),
        ),
        FairScheduled(
            producer="promotion",
            occurred_at=AT,
            aggregate_id="fair-1",
            aggregate_version=1,
            province_code="31",
            fair_id="fair-1",
            name="Hội chợ OCOP huyện Tứ Kỳ 2022",
            place="Tứ Kỳ",
            starts_on=date(2022, 12, 15),
            ends_on=date(2022, 12, 16),
            legacy_unit=_old("10951"),
            historic=True,
        ),
        ProductShowcased(
            producer="promotion",
            occurred_at=AT,
            aggregate_id="p-in",
            aggregate_version=1,
            province_code="31",
            product_id="p-in",
            venue_kind=VenueKind.FAIR,
            venue_id="fair-1",
            since=date(2022, 12, 15),
            legacy_unit=_old("10951"),
        ),
    ]


def _district(metric: TargetMetric, **changes: object) -> Target:
    base = Target(
        target_id=f"tk22-{metric.value}",
        province_code="30",
        plan_ref="Đề án OCOP huyện Tứ Kỳ 2022",
        label="Chỉ tiêu",
        metric=metric,
        year_from=2022,
        year_to=2022,
        minimum=1,
        maximum=None,
        min_stars=None,
        version=1,
        province_edition="2008",
        current_code="31",
        district_name="Tứ Kỳ",
        commune_codes=TU_KY,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


@pytest.fixture(params=[False, True], ids=["live", "rebuild"])
async def queries(
    infra: Infra, request: pytest.FixtureRequest
) -> AsyncIterator[MongoReportQueries]:
    """The facts written by the live projections, or by the rebuild's (summaries deferred)."""
    client = create_client(infra.mongo_url)
    name = f"communes_{uuid.uuid4().hex[:10]}"
    db = client[name]
    projections = MongoProjections(db, deferred_summaries=request.param)
    try:
        for event in _events():
            await projections.apply(event)
        await projections.flush()
        yield MongoReportQueries(db)
    finally:
        await client.drop_database(name)
        await client.close()


async def test_the_facts_keep_the_old_commune_beside_todays(infra: Infra) -> None:
    client = create_client(infra.mongo_url)
    name = f"communes_{uuid.uuid4().hex[:10]}"
    db = client[name]
    try:
        projections = MongoProjections(db)
        for event in _events():
            await projections.apply(event)
        rating = await db[fact_collection(RATINGS, "31")].find_one({"product_id": "p-in"})
        product = await db[fact_collection(PRODUCTS, "31")].find_one({"_id": "p-in"})
        producer = await db[fact_collection(ENTITIES, "31")].find_one({"_id": "e-coop"})
        for fact in (rating, product, producer):
            assert fact is not None
            assert (fact["edition"], fact["unit_code"]) == ("2008", "30")
            assert fact["commune_code"] == TODAY_COMMUNE
        assert rating is not None and product is not None and producer is not None
        assert (rating["old_commune_code"], product["old_commune_code"]) == ("10951", "10951")
        assert producer["old_commune_code"] == "10954"
        assert "old_commune_unknown" not in rating
        unknown = await db[fact_collection(RATINGS, "31")].find_one({"product_id": "p-unknown"})
        assert unknown is not None and unknown["old_commune_unknown"] is True
    finally:
        await client.drop_database(name)
        await client.close()


async def test_a_pre_merger_district_counts_its_old_communes_facts(
    queries: MongoReportQueries,
) -> None:
    certified = _district(TargetMetric.CERTIFIED_PRODUCTS)
    targets = [
        certified,
        _district(TargetMetric.NEW_PRODUCERS, legal_forms=("cooperative",)),
        _district(TargetMetric.FAIRS),
        _district(TargetMetric.FAIR_PRODUCTS),
        _district(TargetMetric.FAIR_PRODUCERS),
    ]
    found = await queries.derived_actuals(targets, None)
    # p-in and p-in-2 by their old communes, p-v1 by its version 1 commune; not p-out, nor
    # p-coincides (today's code is the district's, its commune then was not), nor p-unknown
    # (its commune then is not known; today's code is not read as one of that time).
    assert found == {
        "tk22-certified_products": 3,
        "tk22-new_producers": 1,
        "tk22-fairs": 1,
        "tk22-fair_products": 1,
        "tk22-fair_producers": 1,
    }
    # The query on the facts (as known on a day: no summaries, no ratings read in bulk) agrees.
    assert await queries.derived_actual(certified, cut=date(2026, 12, 1)) == 3
    assert await queries.derived_actual(certified) == 3


async def test_a_2025_target_counts_todays_communes(queries: MongoReportQueries) -> None:
    today = {"province_code": "31", "province_edition": "2025"}
    certified = _district(TargetMetric.CERTIFIED_PRODUCTS, **today, commune_codes=(TODAY_COMMUNE,))
    old_codes = replace(certified, target_id="old-codes", commune_codes=TU_KY)
    found = await queries.derived_actuals([certified, old_codes], None)
    # Today's commune 10510: p-in, p-in-2 and p-out; the district's old codes: only the
    # version 1 fact and the two facts whose 2025 commune happens to bear one of them.
    assert found == {certified.target_id: 3, "old-codes": 3}
    assert await queries.derived_actual(certified) == 3
    producers = _district(TargetMetric.NEW_PRODUCERS, **today, commune_codes=(TODAY_COMMUNE,))
    assert await queries.derived_actual(producers) == 1
