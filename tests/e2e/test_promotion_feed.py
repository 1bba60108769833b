"""The newly-starred feed over the real service: filters and pages, the live stream read by a
real SSE client, the Kafka topic for systems that prefer to consume, and activities counted."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from datetime import date, datetime
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer

from ocop_contracts import topics
from ocop_devstack.infra import Infra
from tests.e2e.promotion_support import Product, Publisher, eventually, expect, kafka, promotion

pytestmark = pytest.mark.e2e
_fixtures = (kafka, promotion)


async def _sse_events(response: httpx.Response) -> AsyncIterator[dict[str, str]]:
    """Parse a text/event-stream: one dict of fields per event (comments skipped)."""
    fields: dict[str, str] = {}
    async for line in response.aiter_lines():
        if not line:
            if fields:
                yield fields
            fields = {}
        elif not line.startswith(":"):
            name, _, value = line.partition(":")
            fields[name] = value.removeprefix(" ")


async def test_the_live_stream_sends_new_entries_matching_its_filter(
    http: httpx.AsyncClient, promotion: str, kafka: Publisher, token: str
) -> None:
    wanted, other_sector = Product(scoring_set_code="I.3.d"), Product(scoring_set_code="IV.1")
    headers = {"Authorization": f"Bearer {token}"}
    async with (
        httpx.AsyncClient(timeout=httpx.Timeout(30.0, read=60.0), headers=headers) as client,
        client.stream("GET", f"{promotion}/feed/stream", params={"group": "I.3"}) as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = _sse_events(response)
        await kafka.publish(other_sector.registered(), other_sector.rated(4))
        await kafka.publish(wanted.registered(), wanted.rated(4, previous=3))
        received: list[dict[str, str]] = []

        async def read_until_wanted() -> None:
            async for event in events:
                received.append(event)
                if json.loads(event["data"])["product_id"] == wanted.product_id:
                    return

        await asyncio.wait_for(read_until_wanted(), timeout=60)

    products = [json.loads(e["data"])["product_id"] for e in received]
    assert other_sector.product_id not in products
    last = received[-1]
    entry = json.loads(last["data"])
    assert last["event"] == "newly_starred"
    assert last["id"] == entry["entry_id"] == f"{wanted.product_id}:1"
    assert (entry["change"], entry["from_stars"], entry["to_stars"]) == ("upgrade", 3, 4)
    assert entry["group_code"] == "I.3"


async def test_the_feed_filters_by_sector_stars_and_change_and_pages(
    http: httpx.AsyncClient, promotion: str, kafka: Publisher
) -> None:
    # A sector of its own for this test (VI: tourism) keeps the counts exact.
    products = [Product(scoring_set_code="VI.1") for _ in range(3)]
    await kafka.publish(products[0].registered(), products[0].rated(3))
    await kafka.publish(products[1].registered(), products[1].rated(4))
    await kafka.publish(products[2].registered(), products[2].rated(5, previous=4))
    ids = {p.product_id for p in products}

    async def mine(**params: Any) -> list[dict[str, Any]]:
        page = expect(
            await http.get(
                f"{promotion}/feed", params={"sector": "VI", "page_size": 500, **params}
            ),
            200,
        )
        return [e for e in page["items"] if e["product_id"] in ids]

    async def all_in() -> list | None:
        found = await mine()
        return found if len(found) == 3 else None

    await eventually(all_in, what="three feed entries", timeout=60)
    # Partitions are consumed independently: compare sets, not the order of arrival.
    assert {e["product_id"] for e in await mine(min_stars=4)} == {
        products[1].product_id,
        products[2].product_id,
    }
    assert [e["product_id"] for e in await mine(change="upgrade")] == [products[2].product_id]
    assert [e["product_id"] for e in await mine(stars=3)] == [products[0].product_id]
    # As instants, not strings: a time on a whole second is written without its fraction.
    newest_first = [datetime.fromisoformat(e["recorded_at"]) for e in await mine()]
    assert newest_first == sorted(newest_first, reverse=True)
    page = expect(
        await http.get(f"{promotion}/feed", params={"sector": "VI", "page": 2, "page_size": 1}),
        200,
    )
    assert (page["page"], page["page_size"], len(page["items"])) == (2, 1, 1)
    assert page["total"] >= 3


async def test_an_entry_shows_the_product_name_even_when_the_registration_comes_later(
    http: httpx.AsyncClient, promotion: str, kafka: Publisher
) -> None:
    product = Product(name="Mắm tép chưng thịt Bà Giáo Khỏe")
    await kafka.publish(product.rated(3))
    await kafka.publish(product.registered())

    async def named() -> dict | None:
        response = await http.get(f"{promotion}/feed/{product.product_id}:1")
        if response.status_code == 404:
            return None
        entry: dict = expect(response, 200)
        return entry if entry["product_name"] else None

    entry = await eventually(named, what="the entry with the product's name", timeout=60)
    assert entry["product_name"] == "Mắm tép chưng thịt Bà Giáo Khỏe"


async def test_an_unknown_sector_is_a_clear_error(http: httpx.AsyncClient, promotion: str) -> None:
    body = expect(await http.get(f"{promotion}/feed", params={"sector": "VII"}), 422)
    assert "VII" in body["detail"][0]["msg"]


async def test_a_new_entry_is_published_on_the_promotion_topic(
    http: httpx.AsyncClient, promotion: str, kafka: Publisher, infra: Infra
) -> None:
    product = Product()
    await kafka.publish(product.registered(), product.rated(4))
    consumer = AIOKafkaConsumer(
        topics.PROMOTION,
        bootstrap_servers=infra.kafka_bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=f"test-{uuid.uuid4().hex[:8]}",
    )
    await consumer.start()
    try:
        found: list[dict[str, Any]] = []

        async def starred() -> list | None:
            batches = await consumer.getmany(timeout_ms=500)
            for records in batches.values():
                for record in records:
                    event = json.loads(record.value)
                    if event.get("product_id") == product.product_id:
                        found.append(event)
            return found or None

        (event,) = await eventually(starred, what="ProductNewlyStarred", timeout=60)
    finally:
        await consumer.stop()
    assert event["type"] == "ProductNewlyStarred"
    assert event["feed_entry_id"] == f"{product.product_id}:1"
    assert (event["change"], event["to_stars"]) == ("first_certification", 4)


async def test_tv_reports_are_recorded_and_counted(http: httpx.AsyncClient, promotion: str) -> None:
    province = "06"  # Thái Nguyên (Bắc Kạn's successor) for this test's own count
    day = date(2031, 3, 15)
    for title in ("Phóng sự: Miến dong Bắc Kạn", "Phóng sự: Cam sành Bắc Kạn"):
        created = expect(
            await http.post(
                f"{promotion}/activities",
                json={
                    "kind": "tv_report",
                    "title": title,
                    "occurred_on": day.isoformat(),
                    "province_code": province,
                    "outlet": "Đài PT-TH Bắc Kạn",
                },
            ),
            201,
        )
        assert created["title"] == title
    page = expect(
        await http.get(
            f"{promotion}/activities",
            params={
                "province_code": province,
                "kind": "tv_report",
                "occurred_from": "2031-01-01",
                "occurred_to": "2031-12-31",
            },
        ),
        200,
    )
    assert page["total"] == 2
