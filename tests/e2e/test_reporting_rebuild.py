"""`ocop-reporting-rebuild` drops the read models and replays every topic from offset 0; the
figures it rebuilds equal the live ones."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from pymongo import AsyncMongoClient

from ocop_devstack.infra import Infra
from ocop_devstack.services import ServiceStack
from ocop_reporting import demo_fixtures
from tests.e2e.support import eventually, expect

pytestmark = pytest.mark.e2e

REPORTS: list[
    tuple[str, dict[str, Any]]
] = [  # (path, params): every plan's progress, and overviews of old and rolled-up units
    ("/reports/progress", {"province_code": "72", "edition": "2008", "year": 2022}),
    ("/reports/progress", {"province_code": "87", "edition": "2008", "year": 2021}),
    ("/reports/progress", {"province_code": "06", "edition": "2008", "year": 2022}),
    ("/reports/progress", {"province_code": "30", "edition": "2008", "year": 2022}),
    ("/reports/progress", {"province_code": "17", "edition": "2008", "year": 2019}),
    ("/reports/progress", {"province_code": "19", "edition": "2025", "year": 2022}),
    ("/reports/overview", {"province_code": "19", "edition": "2025", "year": 2022}),
    ("/reports/overview", {"province_code": "82", "edition": "2025", "year": 2021}),
    ("/reports/national", {"year": 2022}),
]


async def _snapshot(http: httpx.AsyncClient, url: str) -> list[Any]:
    return [expect(await http.get(f"{url}{path}", params=params), 200) for path, params in REPORTS]


async def test_the_rebuilt_figures_equal_the_live_ones(
    infra: Infra, services: ServiceStack, http: httpx.AsyncClient
) -> None:
    # The session's reporting service: already caught up with the topics, so only this test's
    # events have to flow before the live figures are read.
    url = services.url("reporting")
    suffix = f"-{uuid.uuid4().hex[:6]}"
    for body in demo_fixtures.plan_targets(suffix):
        expect(await http.post(f"{url}/targets", json=body), 201)
    for body in demo_fixtures.activity_reports(suffix):
        expect(await http.post(f"{url}/activities", json=body), 201)
    events = demo_fixtures.historical_events(suffix)
    producer = AIOKafkaProducer(bootstrap_servers=infra.kafka_bootstrap, acks="all")
    await producer.start()
    try:
        for topic, key, value in demo_fixtures.events_by_topic(events):
            await producer.send(topic, value, key=key)
        await producer.flush()
    finally:
        await producer.stop()

    # The session's reporting may already hold the same plans' facts (other tests publish the
    # demo fixtures too): wait until this test's last events count and the figures stop moving.
    minimum = {"tk22-certified": 11, "tk22-fairs": 2, "hb20-producers": 12, "bk22-tv": 11}

    async def actuals() -> dict[str, Any]:
        found: dict[str, Any] = {}
        for path, params in REPORTS[:5]:
            report = expect(await http.get(f"{url}{path}", params=params), 200)
            found |= {
                t["target_id"].removesuffix(suffix): t["actual"]
                for t in report["targets"]
                if t["target_id"].endswith(suffix)
            }
        return found

    async def settled() -> bool | None:
        first = await actuals()
        if not all((first.get(k) or 0) >= v for k, v in minimum.items()):
            return None
        await asyncio.sleep(3.0)
        return True if await actuals() == first else None

    await eventually(settled, timeout=180, what="the live figures of the five plans")
    live = await _snapshot(http, url)

    env = {**os.environ, **services.env_for("reporting")}
    database = env["OCOP_MONGO_DB"]
    result = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "ocop_reporting.rebuild", "--every", "200"],
        env=env,
        capture_output=True,
        text=True,
        timeout=480,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"dropped the read models of {database}" in result.stderr
    assert "events replayed" in result.stderr  # progress lines
    assert "done:" in result.stderr

    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(infra.mongo_url)
    try:
        names = await client[database].list_collection_names()
        ratings = 0
        for name in names:  # one collection of rating facts per current province
            if name.startswith("rating_facts_"):
                ratings += await client[database][name].count_documents({})
    finally:
        await client.close()
    assert ratings >= sum(1 for _, e in events if e.type == "ProductRated")

    rebuilt = await _snapshot(http, url)
    for (path, params), before, after in zip(REPORTS, live, rebuilt, strict=True):
        assert after == before, f"{path} {params} differs after the rebuild"
