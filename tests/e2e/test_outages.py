"""A stalled store: every API answers a fast 503 naming it (with Retry-After) instead of
hanging, readiness answers within 2 s, and a burst of 1,000 events consumed across the stall
is counted exactly once when the store comes back. The services run on a store of their own,
so stopping it leaves the rest of the session alone."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import uuid
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from ocop_devstack.ferretdb import FerretNode, start_ferretdb
from ocop_devstack.infra import Infra
from ocop_devstack.provision import provision_ferretdb
from ocop_devstack.services import ServiceStack
from tests.e2e.support import eventually, expect
from tests.e2e.test_exactly_once import _publish, _rating, _report

pytestmark = pytest.mark.e2e
CLIENT_TIMEOUT = 10.0  # what a patient caller waits; a hanging API fails the test


@pytest.fixture(scope="module")
def own_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FerretNode]:
    node = start_ferretdb(tmp_path_factory.mktemp("outage-store"), provision_ferretdb())
    try:
        yield node
    finally:
        node.stop()


@pytest.fixture(scope="module")
def stack(
    infra: Infra, own_store: FerretNode, tmp_path_factory: pytest.TempPathFactory, run_id: str
) -> Iterator[ServiceStack]:
    services = ServiceStack.on_free_ports(
        infra.kafka_bootstrap,
        own_store.mongo_url,
        tmp_path_factory.mktemp("outage-services"),
        namespace=f"o{run_id}",
    )
    try:
        services.start_all()
        yield services
    finally:
        services.stop_all()


@contextlib.asynccontextmanager
async def stalled(store: FerretNode) -> AsyncIterator[None]:
    """The store process stopped (SIGSTOP): connections open, nothing answers."""
    os.kill(store.process.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(store.process.pid, signal.SIGCONT)


def _calls(stack: ServiceStack) -> list[tuple[str, str, dict | None]]:
    entity = {
        "name": "HTX Outage",
        "legal_form": "cooperative",
        "province_code": "82",
        "commune_code": "29869",
    }
    return [
        ("GET", f"{stack.url('registry')}/products/prd-unknown", None),
        ("POST", f"{stack.url('registry')}/entities", entity),
        ("GET", f"{stack.url('evaluation')}/products/prd-unknown/evaluation", None),
        ("GET", f"{stack.url('promotion')}/feed", None),
        ("GET", f"{stack.url('reporting')}/reports/progress?province_code=82&year=2026", None),
    ]


async def test_a_stalled_store_gets_fast_503s_naming_it_and_recovers(
    stack: ServiceStack, own_store: FerretNode, token: str
) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(headers=headers, timeout=CLIENT_TIMEOUT) as client:
        async with stalled(own_store):
            during = [await client.request(m, url, json=body) for m, url, body in _calls(stack)]
            ready = [
                await client.get(f"{stack.url(s)}/health/ready", timeout=4.0)
                for s in ("registry", "evaluation", "promotion", "reporting")
            ]
        for response in during:
            assert response.status_code == 503, (response.request.url, response.text)
            assert response.headers["Retry-After"].isdigit()
            assert response.json()["dependencies"] == ["store"], response.text
        for response in ready:
            assert response.status_code == 503
            body = response.json()
            assert body["checks"] == {"mongo": False, "kafka": True}
            # Its own probe timed out, or an earlier operation's timeout (a relay's, a
            # background task's) paused the driver's pool and the probe failed at once.
            error = body["dependencies"]["store"]["error"]
            assert error.startswith("no answer within") or "pool paused" in error, error

        async def answered_again() -> list[int] | None:
            statuses = [
                (await client.request(m, url, json=body)).status_code
                for m, url, body in _calls(stack)
            ]
            return statuses if 503 not in statuses else None

        statuses = await eventually(answered_again, what="the APIs to answer again")
    assert statuses == [404, 201, 404, 200, 200]


async def test_1000_events_consumed_across_a_store_stall_count_exactly_once(
    stack: ServiceStack, own_store: FerretNode, infra: Infra, year: int, token: str
) -> None:
    # Its reporting reads the session's shared topics from the start: the kill-9 test's 1,000
    # ratings of province 01 in the session's year are there too. A year of its own keeps
    # this count this test's.
    province, url, year = "01", stack.url("reporting"), year - 1 if year > 2040 else year + 1
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(headers=headers, timeout=CLIENT_TIMEOUT) as http:
        for metric in ("certified_products", "upgraded_products"):
            target = {
                "province_code": province,
                "plan_ref": "stall",
                "label": metric,
                "metric": metric,
                "year_from": year,
                "year_to": year,
                "minimum": 500,
            }
            expect(await http.post(f"{url}/targets", json=target), 201)
        products = [f"prd-st-{uuid.uuid4().hex[:10]}" for _ in range(500)]
        events = [_rating(p, province, year, v) for v in (1, 2) for p in products]
        stream = asyncio.create_task(_publish(infra.kafka_bootstrap, events))

        async def under_way() -> int | None:
            counted = int((await _report(http, url, province, year))["ratings_counted"])
            return counted if counted >= 100 else None

        # Its reporting first reads the session's whole history from offset 0: give it time.
        counted_before = await eventually(under_way, timeout=240, what="the burst to be under way")
        async with stalled(own_store):
            await stream  # the rest of the burst arrives while nothing can be stored
            await asyncio.sleep(3.0)

        async def all_counted() -> dict | None:
            report = await _report(http, url, province, year)
            return report if report["ratings_counted"] >= len(events) else None

        await eventually(all_counted, timeout=180, what="all 1,000 events after the stall")
        await asyncio.sleep(2.0)  # a late redelivery would show up now
        report = await _report(http, url, province, year)
    assert counted_before < len(events), "the stall must land mid-burst"
    assert report["ratings_counted"] == 1000
    actual = {t["label"]: t["actual"] for t in report["targets"]}
    assert actual == {"certified_products": 500, "upgraded_products": 500}
