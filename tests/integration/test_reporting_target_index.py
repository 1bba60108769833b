"""Reporting's targets by province and year on the real store: read through `_id` documents
(adapters.target_index), right after a move, past a stray entry, and in a database from before."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

import pytest

from ocop_contracts import TargetMetric, TargetUpdated
from ocop_devstack.infra import Infra
from ocop_platform.mongo import Database, create_client
from ocop_reporting.adapters.target_index import TARGET_INDEX, TargetIndex, unit_key, year_key
from ocop_reporting.adapters.targets import TARGETS, MongoTargetStore
from ocop_reporting.domain.units import unit

pytestmark = pytest.mark.integration

AN_GIANG = unit("82", "2025")  # formed from 82 and Đồng Tháp (87) of the 2008 edition
DONG_THAP_2008 = unit("87", "2008")
HA_NOI = unit("01", "2025")


@pytest.fixture
async def db(infra: Infra) -> AsyncIterator[Database]:
    client = create_client(infra.mongo_url)
    name = f"ocop_it_targets_{uuid.uuid4().hex[:8]}"
    yield client[name]
    await client.drop_database(name)
    await client.close()


def _target(
    target_id: str, version: int = 1, day: date = date(2026, 1, 10), **changes: Any
) -> TargetUpdated:
    fields: dict[str, Any] = {
        "producer": "reporting",
        "aggregate_id": target_id,
        "aggregate_version": version,
        "occurred_at": datetime(day.year, day.month, day.day, 3, tzinfo=UTC),
        "province_code": "82",
        "target_id": target_id,
        "plan_ref": "122/KH-UBND",
        "label": "Sản phẩm OCOP đạt 3 sao",
        "metric": TargetMetric.CERTIFIED_PRODUCTS,
        "year_from": 2026,
        "year_to": 2026,
        "minimum": 30,
    }
    return TargetUpdated(**{**fields, **changes})


def _ids(targets: list[Any]) -> list[str]:
    return [t.target_id for t in targets]


async def test_a_saved_target_is_found_by_its_province_and_by_each_year(db: Database) -> None:
    store = MongoTargetStore(db)
    await store.ensure_indexes()
    assert await store.save_target(_target("t-new", year_from=2025, year_to=2027), None)
    years: dict[str, Any] = {"year_from": 2023, "year_to": 2024}
    old = _target("t-old", province_code="87", province_edition="2008", **years)
    assert await store.save_target(old, None)

    assert _ids(await store.targets(AN_GIANG, 2026)) == ["t-new"]
    assert _ids(await store.targets(AN_GIANG, None)) == ["t-new", "t-old"]  # 87 rolls up to 82
    assert _ids(await store.targets(AN_GIANG, 2024)) == ["t-old"]
    assert _ids(await store.targets(DONG_THAP_2008, 2023)) == ["t-old"]
    assert _ids(await store.targets(DONG_THAP_2008, 2026)) == []
    assert _ids(await store.targets(HA_NOI, 2026)) == []
    assert _ids(await store.targets_of_year(2027)) == ["t-new"]
    assert _ids(await store.targets_of_year(2024)) == ["t-old"]
    assert _ids(await store.targets_of_year(2030)) == []


async def test_a_target_moved_is_found_at_its_new_province_and_year_only(db: Database) -> None:
    store = MongoTargetStore(db)
    assert await store.save_target(_target("t-1"), None)
    years: dict[str, Any] = {"year_from": 2027, "year_to": 2027}
    moved = _target("t-1", version=2, day=date(2026, 3, 1), province_code="01", **years)
    assert await store.save_target(moved, None)

    assert _ids(await store.targets(HA_NOI, 2027)) == ["t-1"]
    assert _ids(await store.targets_of_year(2027)) == ["t-1"]
    assert _ids(await store.targets(AN_GIANG, None)) == []
    assert _ids(await store.targets(HA_NOI, 2026)) == []
    assert _ids(await store.targets_of_year(2026)) == []
    # An as-of report still reads the history: where the current target is, as it stood then.
    (then,) = await store.targets(HA_NOI, None, as_of=date(2026, 2, 1))
    assert (then.province_code, then.year_from) == ("82", 2026)


async def test_a_stray_index_entry_leads_nowhere(db: Database) -> None:
    store = MongoTargetStore(db)
    assert await store.save_target(_target("t-1"), None)
    index = TargetIndex(db, TARGETS)
    # A crash between the index write and the save; a save refused after its index write.
    await index.add(["t-ghost"], [unit_key(AN_GIANG), year_key(2026)])
    await index.add(["t-1"], [unit_key(HA_NOI), year_key(2029)])

    assert _ids(await store.targets(AN_GIANG, 2026)) == ["t-1"]
    assert _ids(await store.targets_of_year(2026)) == ["t-1"]
    assert _ids(await store.targets(HA_NOI, None)) == []
    assert _ids(await store.targets_of_year(2029)) == []


async def test_a_database_from_before_the_index_is_filled_at_startup(db: Database) -> None:
    store = MongoTargetStore(db)
    assert await store.save_target(_target("t-1"), None)
    assert await store.save_target(_target("t-2", province_code="01", year_to=2027), None)
    await db.drop_collection(TARGET_INDEX)  # as written before the index existed
    assert await store.targets_of_year(2026) == []

    await store.ensure_indexes()

    assert _ids(await store.targets_of_year(2026)) == ["t-1", "t-2"]
    assert _ids(await store.targets(HA_NOI, 2027)) == ["t-2"]
    assert _ids(await store.targets(AN_GIANG, 2026)) == ["t-1"]
    assert await TargetIndex(db, TARGETS).fill() == 0  # once
