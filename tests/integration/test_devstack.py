"""The infrastructure started by ocop_devstack really works: Kafka round trip and the store."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from pymongo import AsyncMongoClient

from ocop_devstack.infra import Infra, ensure_topics

pytestmark = pytest.mark.integration


async def test_kafka_produce_consume_round_trip(infra: Infra) -> None:
    topic = f"devstack-smoke-{uuid.uuid4().hex[:8]}"
    await ensure_topics(infra.kafka_bootstrap, [topic], partitions=2)
    await ensure_topics(infra.kafka_bootstrap, [topic], partitions=2)  # idempotent
    payload = b'{"hello": "ocop"}'

    producer = AIOKafkaProducer(
        bootstrap_servers=infra.kafka_bootstrap, enable_idempotence=True, acks="all"
    )
    await producer.start()
    try:
        await producer.send_and_wait(topic, payload, key=b"product-1")
    finally:
        await producer.stop()

    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=infra.kafka_bootstrap,
        group_id=f"devstack-smoke-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        record = await asyncio.wait_for(consumer.getone(), timeout=30)
    finally:
        await consumer.stop()

    assert record.value == payload
    assert record.key == b"product-1"


async def test_document_store_insert_and_find(infra: Infra) -> None:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(infra.mongo_url)
    db = client[f"devstack_{uuid.uuid4().hex[:8]}"]
    try:
        await db.products.insert_one({"_id": "p1", "name": "Mật ong", "stars": 4})
        found = await db.products.find_one({"_id": "p1"})
        assert found == {"_id": "p1", "name": "Mật ong", "stars": 4}
    finally:
        await client.drop_database(db.name)
        await client.close()
