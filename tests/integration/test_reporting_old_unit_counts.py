"""Reporting's count of facts recorded without their old unit (/metrics), on the real store:
noted as the facts are written (live, in a consumer batch, again on a redelivery) and, for a
database written before the notes were kept, once at start-up; read by `_id`, never by a scan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import pytest

from ocop_contracts import ProductRated, RatingLevel
from ocop_devstack.infra import Infra
from ocop_platform.mongo import Database, create_client
from ocop_reporting.adapters.facts import RATINGS, fact_collection
from ocop_reporting.adapters.projections import MongoProjections
from ocop_reporting.adapters.summaries import SUMMARIES, SummaryStore
from tests.integration.support import fresh_databases

pytestmark = pytest.mark.integration

BEFORE_MERGER = date(2024, 5, 10)


@pytest.fixture
async def db(infra: Infra) -> AsyncIterator[Database]:
    async with fresh_databases(create_client(infra.mongo_url), "old_units_") as (db,):
        yield db


def _rated_without_old_unit(product: str, province: str = "82") -> ProductRated:
    # Version 2 before the merger, in a province formed from two: its old unit is not guessed.
    return ProductRated(
        producer="evaluation",
        schema_version=2,
        aggregate_id=product,
        aggregate_version=1,
        province_code=province,
        product_id=product,
        score=70.0,
        stars=3,
        previous_stars=0,
        level=RatingLevel.PROVINCE,
        rule_set_id="qd26-2026",
        round_id="round-2024",
        rated_on=BEFORE_MERGER,
        scoring_set_code="I.1.a",
        commune_code="29500",
    )


async def _counted(db: Database) -> dict[str, int]:
    return await SummaryStore(db).read_old_unit_unknown()


async def test_each_fact_without_its_old_unit_is_counted_once_however_delivered(
    db: Database,
) -> None:
    projections = MongoProjections(db)
    first, second = _rated_without_old_unit("p-1"), _rated_without_old_unit("p-2")
    await projections.apply(first)
    await projections.apply(first)  # a redelivery
    async with projections.batch():  # a consumer batch holds the note with its summaries
        await projections.apply(second)
        await projections.apply(second)
    assert await _counted(db) == {"82": 2}
    flagged = await db[fact_collection(RATINGS, "82")].count_documents({"old_unit_unknown": True})
    assert flagged == 2


async def test_a_database_written_before_the_notes_is_counted_once_at_start_up(
    db: Database,
) -> None:
    projections = MongoProjections(db)
    await projections.apply(_rated_without_old_unit("p-1"))
    await projections.apply(_rated_without_old_unit("p-2", province="79"))
    # As a database written before: its facts flagged, no notes, start-up not yet run.
    await db[SUMMARIES].delete_many({"_id": {"$regex": "^old_unit_unknown"}})
    assert await _counted(db) == {}
    await MongoProjections(db).ensure_indexes()
    assert await _counted(db) == {"82": 1, "79": 1}
    # Noted once: a note lost after that is not looked for again at the next start-up.
    await db[SUMMARIES].delete_many({"_id": "old_unit_unknown:79"})
    await MongoProjections(db).ensure_indexes()
    assert await _counted(db) == {"82": 1}
