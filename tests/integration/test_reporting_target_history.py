"""Reporting's targets on the real store with their earlier versions kept apart
(adapters.target_history): the target document holds one version, as-of reports still see each
target as it stood, a province message is still applied once, and a database whose targets hold
their versions is split once at startup."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

import pytest

from ocop_contracts import TargetMetric, TargetUpdated
from ocop_devstack.infra import Infra
from ocop_platform.mongo import Database, create_client
from ocop_reporting.adapters.target_history import TARGET_HISTORY, TargetHistory, history_id
from ocop_reporting.adapters.targets import TARGETS, MongoTargetStore
from ocop_reporting.domain.progress import Target
from ocop_reporting.domain.units import unit

pytestmark = pytest.mark.integration

AN_GIANG = unit("82", "2025")
HA_NOI = unit("01", "2025")


@pytest.fixture
async def db(infra: Infra) -> AsyncIterator[Database]:
    client = create_client(infra.mongo_url)
    name = f"ocop_it_history_{uuid.uuid4().hex[:8]}"
    yield client[name]
    await client.drop_database(name)
    await client.close()


def _target(version: int, day: date, minimum: float, **changes: Any) -> TargetUpdated:
    fields: dict[str, Any] = {
        "producer": "reporting",
        "aggregate_id": "t-1",
        "aggregate_version": version,
        "occurred_at": datetime(day.year, day.month, day.day, 3, tzinfo=UTC),
        "province_code": "82",
        "target_id": "t-1",
        "plan_ref": "122/KH-UBND",
        "label": "Sản phẩm OCOP đạt 3 sao",
        "metric": TargetMetric.CERTIFIED_PRODUCTS,
        "year_from": 2026,
        "year_to": 2026,
        "minimum": minimum,
    }
    return TargetUpdated(**{**fields, **changes})


def _minimums(targets: list[Target]) -> list[float | None]:
    return [t.minimum for t in targets]


async def _three_versions(store: MongoTargetStore) -> None:
    """30 set on 10 January, 40 on 1 March, 50 moved to Hà Nội on 1 May."""
    assert await store.save_target(_target(1, date(2026, 1, 10), 30), "msg-1")
    assert await store.save_target(_target(2, date(2026, 3, 1), 40), "msg-2")
    assert await store.save_target(_target(3, date(2026, 5, 1), 50, province_code="01"), None)


async def test_as_of_reports_see_each_version_kept_apart(db: Database) -> None:
    store = MongoTargetStore(db)
    await store.ensure_indexes()
    await _three_versions(store)

    assert _minimums(await store.targets(HA_NOI, 2026)) == [50]
    assert _minimums(await store.targets(HA_NOI, 2026, as_of=date(2026, 2, 1))) == [30]
    assert _minimums(await store.targets(HA_NOI, 2026, as_of=date(2026, 4, 1))) == [40]
    assert _minimums(await store.targets(HA_NOI, 2026, as_of=date(2026, 6, 1))) == [50]
    # Before it was entered: as first entered (the plan then, only not yet in the system).
    assert _minimums(await store.targets(HA_NOI, 2026, as_of=date(2025, 12, 1))) == [30]
    (then,) = await store.targets_of_year(2026, as_of=date(2026, 2, 1))
    assert (then.minimum, then.province_code, then.version) == (30, "82", 1)
    assert _minimums(await store.targets_of_year(2026)) == [50]

    # The target document holds its current version only; the others are beside it.
    stored = await db[TARGETS].find_one({"_id": "t-1"})
    assert stored is not None and "history" not in stored and "ingested" not in stored
    kept = await db[TARGET_HISTORY].find_one({"_id": history_id("t-1")})
    assert kept is not None and sorted(kept["versions"]) == ["1", "2"]


async def test_a_province_message_is_known_once_its_version_is_replaced(db: Database) -> None:
    store = MongoTargetStore(db)
    await _three_versions(store)

    assert await store.has_ingested("t-1", "msg-1")  # versions 1 and 2: in the history
    assert await store.has_ingested("t-1", "msg-2")
    assert not await store.has_ingested("t-1", "msg-3")
    assert not await store.has_ingested("t-2", "msg-1")
    assert await store.save_target(_target(4, date(2026, 6, 1), 60), "msg-4")
    assert await store.has_ingested("t-1", "msg-4")  # the current version's: on the target


async def test_a_refused_save_keeps_the_history_true(db: Database) -> None:
    store = MongoTargetStore(db)
    assert await store.save_target(_target(1, date(2026, 1, 10), 30), None)
    assert await store.save_target(_target(2, date(2026, 3, 1), 40), None)
    # Another writer's version 2, refused: version 1 is not copied again with its figures.
    assert not await store.save_target(_target(2, date(2026, 3, 2), 99), None)
    assert not await store.save_target(_target(4, date(2026, 3, 2), 99), None)

    assert _minimums(await store.targets(AN_GIANG, 2026, as_of=date(2026, 2, 1))) == [30]
    assert _minimums(await store.targets(AN_GIANG, 2026, as_of=date(2026, 3, 5))) == [40]
    assert await store.current_target_version("t-1") == 2


async def test_a_database_whose_targets_hold_their_versions_is_split_at_startup(
    db: Database,
) -> None:
    store = MongoTargetStore(db)
    await _three_versions(store)
    # As written before the split: every version and province message inside the target.
    current = await db[TARGETS].find_one({"_id": "t-1"}, {"outbox": 0})
    kept = await db[TARGET_HISTORY].find_one({"_id": history_id("t-1")})
    assert current is not None and kept is not None
    versions = [*(kept["versions"][n] for n in ("1", "2")), {**current}]
    versions[-1].pop("_id")
    versions[-1].pop("source_event_id")
    legacy = {"history": versions, "ingested": ["msg-1", "msg-2"]}
    await db[TARGETS].update_one({"_id": "t-1"}, {"$set": legacy})
    await db.drop_collection(TARGET_HISTORY)
    assert _minimums(await store.targets(HA_NOI, 2026, as_of=date(2026, 2, 1))) == [50]

    await store.ensure_indexes()

    assert _minimums(await store.targets(HA_NOI, 2026, as_of=date(2026, 2, 1))) == [30]
    assert _minimums(await store.targets(HA_NOI, 2026, as_of=date(2026, 4, 1))) == [40]
    assert await store.has_ingested("t-1", "msg-1")
    assert await store.has_ingested("t-1", "msg-2")
    stored = await db[TARGETS].find_one({"_id": "t-1"})
    assert stored is not None and "history" not in stored and "ingested" not in stored
    assert await TargetHistory(db).split(db[TARGETS]) == 0  # once


async def test_targets_are_counted_by_current_province(db: Database) -> None:
    store = MongoTargetStore(db)
    await _three_versions(store)  # moved to Hà Nội
    other = _target(1, date(2026, 1, 10), 5, aggregate_id="t-2", target_id="t-2")
    assert await store.save_target(other, None)
    old = _target(1, date(2026, 1, 10), 5, aggregate_id="t-3", target_id="t-3", province_code="87")
    assert await store.save_target(old.model_copy(update={"province_edition": "2008"}), None)

    assert await store.targets_by_province() == {"01": 1, "82": 2}  # 87 (2008) rolls up to 82
