"""The relay's write-once collections on the real store and the real broker: documents inserted
with all their events (promotion's feed outbox) are deleted once published, not pulled."""

from __future__ import annotations

import uuid

import pytest
from faststream.kafka import KafkaBroker

from ocop_devstack.infra import Infra
from ocop_platform.kafka import KafkaRecordSink
from ocop_platform.mongo import Database
from ocop_platform.outbox import (
    OUTBOX_FIELD,
    PENDING_COLLECTION,
    OutboxRelay,
    insert_many_with_events,
    outbox_entries,
)
from tests.integration import support
from tests.integration.support import rating, read_keys

pytestmark = pytest.mark.integration
# The one-connection database and the started broker of support (fixtures, taken by name).
db, broker = support.db, support.broker
FEED = "feed_outbox"
PRODUCTS = "products"


def relay(db: Database, broker: KafkaBroker) -> OutboxRelay:
    return OutboxRelay(db, [FEED, PRODUCTS], KafkaRecordSink(broker), write_once=[FEED])


async def test_published_write_once_documents_are_deleted_and_others_pulled(
    db: Database, broker: KafkaBroker, infra: Infra
) -> None:
    relay_ = relay(db, broker)
    await relay_.publish_pending()  # the start-up sweep, over nothing yet
    entries = [f"ent-{uuid.uuid4().hex[:8]}" for _ in range(25)]
    events = [rating(entry, 1) for entry in entries]
    docs = [{"_id": e.aggregate_id, OUTBOX_FIELD: outbox_entries([e])} for e in events]
    await insert_many_with_events(db[FEED], docs)
    product = f"prd-{uuid.uuid4().hex[:8]}"
    await insert_many_with_events(
        db[PRODUCTS], [{"_id": product, "n": 1, OUTBOX_FIELD: outbox_entries([rating(product, 1)])}]
    )

    assert await relay_.publish_pending() == len(entries) + 1
    assert await relay_.publish_pending() == 0

    assert await db[FEED].count_documents({}) == 0
    stored = await db[PRODUCTS].find_one({"_id": product})
    assert stored is not None and stored[OUTBOX_FIELD] == [] and stored["n"] == 1
    assert await db[PENDING_COLLECTION].count_documents({}) == 0
    published = await read_keys(infra, [*entries, product], count=len(entries) + 1)
    assert {e.event_id for e in events} <= {e.event_id for e in published}


async def test_write_once_documents_left_without_a_marker_are_swept_and_deleted(
    db: Database, broker: KafkaBroker, infra: Infra
) -> None:
    event = rating(f"ent-{uuid.uuid4().hex[:8]}", 1)
    # A writer that died between its insert and its marker's.
    await db[FEED].insert_one({"_id": event.aggregate_id, OUTBOX_FIELD: outbox_entries([event])})
    await db[FEED].insert_one({"_id": "ent-pulled-before", OUTBOX_FIELD: []})

    relay_ = relay(db, broker)
    assert await relay_.publish_pending() == 1  # the start-up sweep

    assert [doc["_id"] async for doc in db[FEED].find({})] == ["ent-pulled-before"]
    published = await read_keys(infra, [event.aggregate_id], count=1)
    assert [e.event_id for e in published] == [event.event_id]
