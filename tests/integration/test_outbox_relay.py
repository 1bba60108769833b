"""The outbox relay and the idempotent writes on the real broker and the real store."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from ocop_contracts import topics
from ocop_devstack.infra import Infra
from ocop_platform.idempotency import apply_if_newer, insert_once
from ocop_platform.kafka import KafkaRecordSink, create_broker
from ocop_platform.mongo import Database, create_client
from ocop_platform.outbox import OutboxRelay, outbox_entries, push_outbox
from ocop_platform.settings import ServiceSettings
from ocop_platform.topics import ensure_topics
from tests.integration.support import rating, read_keys

pytestmark = pytest.mark.integration


@pytest.fixture
async def db(infra: Infra) -> AsyncIterator[Database]:
    client = create_client(infra.mongo_url)
    name = f"ocop_it_{uuid.uuid4().hex[:8]}"
    yield client[name]
    await client.drop_database(name)
    await client.close()


async def test_relay_publishes_pending_events_in_order_keyed_by_aggregate_then_drains_them(
    infra: Infra, db: Database
) -> None:
    await ensure_topics(infra.kafka_bootstrap, [topics.EVALUATION])
    product = f"prd-relay-{uuid.uuid4().hex[:8]}"
    events = [rating(product, v) for v in (1, 2, 3)]
    await db["ratings"].insert_one({"_id": product, "outbox": outbox_entries(events[:2])})
    await db["ratings"].update_one({"_id": product}, push_outbox({"$set": {"n": 3}}, events[2:]))
    broker = create_broker(ServiceSettings(kafka_bootstrap=infra.kafka_bootstrap))
    await broker.start()
    try:
        relay = OutboxRelay(db, ["ratings"], KafkaRecordSink(broker))
        assert await relay.publish_pending() == 3
        assert await relay.publish_pending() == 0  # drained: nothing is sent twice
    finally:
        await broker.stop()

    stored = await db["ratings"].find_one({"_id": product})
    assert stored is not None and stored["outbox"] == [] and stored["n"] == 3
    published = await read_keys(infra, [product], count=3)
    assert [e.aggregate_version for e in published] == [1, 2, 3]
    assert [e.event_id for e in published] == [e.event_id for e in events]


async def test_apply_if_newer_applies_newer_versions_only(db: Database) -> None:
    products = db["products"]
    assert await apply_if_newer(products, "p1", 2, {"stars": 4})
    assert not await apply_if_newer(products, "p1", 2, {"stars": 5})  # a repeat
    assert not await apply_if_newer(products, "p1", 1, {"stars": 3})  # an older one, late
    assert await apply_if_newer(products, "p1", 3, {"stars": 5}, on_insert={"first": True})
    stored = await products.find_one({"_id": "p1"})
    assert stored is not None
    assert (stored["stars"], stored["version"], "first" in stored) == (5, 3, False)


async def test_insert_once_ignores_a_repeat(db: Database) -> None:
    assert await insert_once(db["facts"], {"_id": "e1", "n": 1})
    assert not await insert_once(db["facts"], {"_id": "e1", "n": 2})
    assert await db["facts"].count_documents({}) == 1
