"""Exactly-once effects on top of at-least-once delivery: redelivered events count once."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import httpx
import pytest

from ocop_contracts import ProductRated, topics
from ocop_devstack.faults import burst_rating, publish_stream
from ocop_devstack.infra import Infra
from ocop_devstack.services import ServiceStack
from tests.e2e.support import eventually, expect

pytestmark = pytest.mark.e2e


_rating = burst_rating  # 0→3★, then 3→4★, as evaluation publishes them


async def _publish(bootstrap: str, events: list[ProductRated], pause_every: int = 50) -> None:
    await publish_stream(bootstrap, topics.EVALUATION, events, pause_every)


async def _report(http: httpx.AsyncClient, url: str, province: str, year: int) -> dict:
    report: dict = expect(
        await http.get(f"{url}/reports/progress", params={"province_code": province, "year": year}),
        200,
    )
    return report


async def test_reporting_counts_each_of_1000_events_once_across_a_kill_9(
    infra: Infra, tmp_path: Path, run_id: str, year: int, http: httpx.AsyncClient
) -> None:
    province = "01"
    stack = ServiceStack.on_free_ports(
        infra.kafka_bootstrap,
        infra.mongo_url,
        tmp_path,
        namespace=f"k{run_id}",
        services=["reporting"],
    )
    url = stack.url("reporting")
    try:
        stack.start("reporting")
        for metric in ("certified_products", "upgraded_products"):
            expect(
                await http.post(
                    f"{url}/targets",
                    json={
                        "province_code": province,
                        "plan_ref": "kill-9",
                        "label": metric,
                        "metric": metric,
                        "year_from": year,
                        "year_to": year,
                        "minimum": 500,
                    },
                ),
                201,
            )
        products = [f"prd-k9-{uuid.uuid4().hex[:10]}" for _ in range(500)]
        events = [_rating(p, province, year, v) for v in (1, 2) for p in products]
        stream = asyncio.create_task(_publish(infra.kafka_bootstrap, events))

        async def mid_stream() -> int | None:
            counted = (await _report(http, url, province, year))["ratings_counted"]
            return counted if counted >= 150 else None

        counted_at_kill = await eventually(mid_stream, what="the stream to be under way")
        stack.kill("reporting")
        await stream
        assert counted_at_kill < len(events), "the kill must land mid-stream"

        stack.start("reporting")

        async def all_counted() -> dict | None:
            report = await _report(http, url, province, year)
            return report if report["ratings_counted"] >= len(events) else None

        await eventually(all_counted, timeout=120, what="all 1,000 events after the restart")
        await asyncio.sleep(2.0)  # anything redelivered late would show up now
        report = await _report(http, url, province, year)
    finally:
        stack.stop_all()

    assert report["ratings_counted"] == 1000
    actual = {t["label"]: t["actual"] for t in report["targets"]}
    assert actual == {"certified_products": 500, "upgraded_products": 500}


async def test_the_same_event_delivered_twice_is_one_feed_entry_and_one_count(
    infra: Infra, services: ServiceStack, http: httpx.AsyncClient, year: int
) -> None:
    province = "48"
    event = _rating(f"prd-dup-{uuid.uuid4().hex[:10]}", province, year, version=1)
    await _publish(infra.kafka_bootstrap, [event, event])
    marker = _rating(f"prd-dup-{uuid.uuid4().hex[:10]}", province, year, version=1)
    await _publish(infra.kafka_bootstrap, [marker])  # once this is in, the repeat was seen too

    async def feed_has_marker() -> list | None:
        feed = expect(
            await http.get(
                f"{services.url('promotion')}/feed",
                params={"province_code": province, "page_size": 500},
            ),
            200,
        )
        ids = [e["product_id"] for e in feed["items"]]
        return ids if marker.product_id in ids else None

    async def report_has_marker() -> dict | None:
        report = await _report(http, services.url("reporting"), province, year)
        return report if report["ratings_counted"] >= 2 else None

    ids = await eventually(feed_has_marker, what="the marker in the feed")
    report = await eventually(report_has_marker, what="the marker in the report")
    assert ids.count(event.product_id) == 1
    assert report["ratings_counted"] == 2
