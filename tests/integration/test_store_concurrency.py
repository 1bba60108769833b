"""Concurrent updates to one document through one service's client are never lost.

FerretDB v1 (SQLite) loses concurrent updates arriving on different connections (200 concurrent
$inc left 6), so services run against it with OCOP_MONGO_MAX_POOL_SIZE=1; MongoDB is atomic per
document either way. The relay's $pullAll racing a use case's $push is the case that matters.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest

from ocop_devstack.infra import Infra
from ocop_devstack.services import is_ferretdb
from ocop_platform.mongo import create_client

pytestmark = pytest.mark.integration


def pool_size_for(infra: Infra) -> int:
    return 1 if is_ferretdb(infra.mongo_url) else 100


async def test_concurrent_increments_on_one_document_all_count(infra: Infra) -> None:
    client = create_client(infra.mongo_url, pool_size_for(infra))
    db = client[f"ocop_it_{uuid.uuid4().hex[:8]}"]
    try:
        await db["d"].insert_one({"_id": 1, "n": 0})
        await asyncio.gather(
            *(db["d"].update_one({"_id": 1}, {"$inc": {"n": 1}}) for _ in range(100))
        )
        doc = await db["d"].find_one({"_id": 1})
        assert doc is not None and doc["n"] == 100
    finally:
        await client.drop_database(db.name)
        await client.close()


async def test_a_relay_pull_racing_new_events_keeps_the_new_events(infra: Infra) -> None:
    client = create_client(infra.mongo_url, pool_size_for(infra))
    db = client[f"ocop_it_{uuid.uuid4().hex[:8]}"]
    try:
        old = [{"event_id": f"old-{i}"} for i in range(20)]
        await db["a"].insert_one({"_id": 1, "outbox": old})
        pushes = (
            db["a"].update_one({"_id": 1}, {"$push": {"outbox": {"event_id": f"new-{i}"}}})
            for i in range(20)
        )
        await asyncio.gather(db["a"].update_one({"_id": 1}, {"$pullAll": {"outbox": old}}), *pushes)
        doc = await db["a"].find_one({"_id": 1})
        assert doc is not None
        assert sorted(e["event_id"] for e in doc["outbox"]) == sorted(f"new-{i}" for i in range(20))
    finally:
        await client.drop_database(db.name)
        await client.close()
