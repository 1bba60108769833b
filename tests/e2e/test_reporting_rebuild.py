"""`ocop-reporting-rebuild` drops the read models and replays every topic from offset 0; the
figures it rebuilds equal the live ones. The five plans' history goes in as the demo enters it
(ocop_devstack.demo_driver: all through the services' APIs), so the replay reads what the
services themselves published."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient

from ocop_devstack import demo_driver, demo_fixtures
from ocop_devstack.demo_fixtures import Rating
from ocop_devstack.infra import Infra
from ocop_devstack.process import free_ports
from ocop_devstack.services import SERVICES, ServiceStack
from ocop_devstack.stack import write_settings_files
from ocop_reporting.rebuild import DEV_STACK_SETTINGS
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
    # As known on a past day: each fact's `known` comes from its event, so a rebuild agrees.
    (
        "/reports/progress",
        {"province_code": "72", "edition": "2008", "year": 2022, "as_of": "2022-06-30"},
    ),
    (
        "/reports/overview",
        {"province_code": "87", "edition": "2008", "year": 2021, "as_of": "2021-06-30"},
    ),
]


async def _snapshot(http: httpx.AsyncClient, url: str) -> list[Any]:
    return [expect(await http.get(f"{url}{path}", params=params), 200) for path, params in REPORTS]


async def test_the_rebuilt_figures_equal_the_live_ones(
    infra: Infra, services: ServiceStack, http: httpx.AsyncClient, token: str, tmp_path: Path
) -> None:
    # The session's reporting service: already caught up with the topics, so only this test's
    # events have to flow before the live figures are read.
    url = services.url("reporting")
    suffix = f"-{uuid.uuid4().hex[:6]}"
    for body in demo_fixtures.plan_targets(suffix):
        expect(await http.post(f"{url}/targets", json=body), 201)
    for body in demo_fixtures.activity_reports(suffix):
        expect(await http.post(f"{url}/activities", json=body), 201)
    history = demo_fixtures.history(suffix)
    urls = {name: services.url(name) for name in SERVICES}
    await demo_driver.drive(history, urls, token)
    rated = sum(isinstance(a, Rating) for r in history.registrations for a in r.actions)

    # The session's reporting may already hold the same plans' facts (other tests publish the
    # demo fixtures too): wait until this test's last events count and the figures stop moving.
    minimum = {"tk22-certified": 11, "tk22-fairs": 2, "hb20-producers": 11, "bk22-tv": 11}

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

    # Run as a newcomer would beside `./dev up`: no OCOP_* settings, the stack's file found.
    database = services.env_for("reporting")["OCOP_MONGO_DB"]
    clone = tmp_path / "clone"
    write_settings_files({"reporting": services.env_for("reporting")}, clone / ".ocop/run/services")
    result = await _rebuild(["--every", "200"], _without_connection_settings(), cwd=clone)
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"settings from {clone / DEV_STACK_SETTINGS}" in result.stderr
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
    assert ratings >= rated

    rebuilt = await _snapshot(http, url)
    for (path, params), before, after in zip(REPORTS, live, rebuilt, strict=True):
        assert after == before, f"{path} {params} differs after the rebuild"


async def test_without_a_reachable_store_it_stops_in_seconds_with_one_line_saying_what_to_set(
    tmp_path: Path,
) -> None:
    mongo_port, kafka_port = free_ports(2)  # nothing listens there
    env = _without_connection_settings() | {
        "OCOP_MONGO_URL": f"mongodb://127.0.0.1:{mongo_port}/",
        "OCOP_KAFKA_BOOTSTRAP": f"127.0.0.1:{kafka_port}",
    }
    started = time.monotonic()

    result = await _rebuild([], env, cwd=tmp_path)

    assert time.monotonic() - started < 20  # (the default server selection waits 30 s)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f"[rebuild] MongoDB at 127.0.0.1:{mongo_port} did not answer within")
    assert "nothing was dropped" in last
    assert "OCOP_KAFKA_BOOTSTRAP, OCOP_MONGO_URL and OCOP_MONGO_DB" in last


async def test_without_a_reachable_kafka_nothing_is_dropped(infra: Infra, tmp_path: Path) -> None:
    database = f"ocop_rebuild_{uuid.uuid4().hex[:8]}"
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(infra.mongo_url)
    (kafka_port,) = free_ports(1)
    try:
        await client[database]["rating_facts_82"].insert_one({"_id": "kept"})
        env = _without_connection_settings() | {
            "OCOP_MONGO_URL": infra.mongo_url,
            "OCOP_MONGO_DB": database,
            "OCOP_KAFKA_BOOTSTRAP": f"127.0.0.1:{kafka_port}",
        }

        result = await _rebuild([], env, cwd=tmp_path)

        assert result.returncode == 2
        assert "Traceback" not in result.stderr
        last = result.stderr.strip().splitlines()[-1]
        assert last.startswith(f"[rebuild] Kafka at 127.0.0.1:{kafka_port} did not answer")
        assert await client[database]["rating_facts_82"].count_documents({}) == 1
    finally:
        await client.drop_database(database)
        await client.close()


def _without_connection_settings() -> dict[str, str]:
    """This process's environment without the Kafka, store and database settings."""
    names = ("OCOP_KAFKA_BOOTSTRAP", "OCOP_MONGO_URL", "OCOP_MONGO_DB")
    return {k: v for k, v in os.environ.items() if k not in names}


async def _rebuild(
    args: list[str], env: dict[str, str], cwd: Path
) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "ocop_reporting.rebuild", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=480,
        check=False,
    )
