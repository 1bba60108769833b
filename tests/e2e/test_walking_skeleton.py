"""Registry → evaluation → promotion → reporting, over HTTP, real Kafka and the real store."""

from __future__ import annotations

import uuid

import httpx
import pytest
from aiokafka import AIOKafkaConsumer

from ocop_contracts import ProductRegistered, parse_event, topics
from ocop_devstack.infra import Infra
from ocop_devstack.services import ServiceStack
from tests.e2e.support import eventually, expect

pytestmark = pytest.mark.e2e
DONG_THAP = "82"


async def _register_product(
    http: httpx.AsyncClient, services: ServiceStack, year: int, correlation_id: str | None = None
) -> dict:
    registry = services.url("registry")
    headers = {"X-Correlation-ID": correlation_id} if correlation_id else {}
    entity = expect(
        await http.post(
            f"{registry}/entities",
            json={
                "name": "HTX Sa Giang",
                "legal_form": "cooperative",
                "province_code": DONG_THAP,
                "commune_code": "29869",
                "women_led": True,
            },
        ),
        201,
    )
    product: dict = expect(
        await http.post(
            f"{registry}/products",
            json={
                "entity_id": entity["entity_id"],
                "name": "Bánh phồng tôm",
                "scoring_set_code": "I.3.d",
                "year": year,
            },
            headers=headers,
        ),
        201,
    )
    return product


async def _rate(http: httpx.AsyncClient, services: ServiceStack, body: dict) -> dict:
    async def attempt() -> dict | None:
        response = await http.post(f"{services.url('evaluation')}/ratings", json=body)
        if response.status_code == 422 and "not yet known" in response.text:
            return None  # ProductRegistered is still on its way to evaluation
        rating: dict = expect(response, 201)
        return rating

    return await eventually(attempt, what="evaluation to learn the product")


async def test_a_rated_product_reaches_the_feed_the_registry_and_the_report(
    http: httpx.AsyncClient, services: ServiceStack, year: int
) -> None:
    product = await _register_product(http, services, year)
    assert product["product_code"].startswith(f"{DONG_THAP}-29869-")
    target = expect(
        await http.post(
            f"{services.url('reporting')}/targets",
            json={
                "province_code": DONG_THAP,
                "plan_ref": "e2e",
                "label": "≥1 sản phẩm 3 sao",
                "metric": "certified_products",
                "year_from": year,
                "year_to": year,
                "minimum": 1,
            },
        ),
        201,
    )

    rating = await _rate(
        http,
        services,
        {"product_id": product["product_id"], "score": 75.0, "rated_on": f"{year}-06-20"},
    )
    assert (rating["stars"], rating["previous_stars"], rating["rule_set_id"]) == (4, 0, "qd26-2026")

    async def feed_entry() -> dict | None:
        feed = expect(
            await http.get(
                f"{services.url('promotion')}/feed",
                params={"province_code": DONG_THAP, "page_size": 500},
            ),
            200,
        )
        mine = [e for e in feed["items"] if e["product_id"] == product["product_id"]]
        return mine[0] if mine else None

    entry = await eventually(feed_entry, what="the newly-starred feed entry")
    assert (entry["from_stars"], entry["to_stars"], entry["product_name"]) == (
        0,
        4,
        "Bánh phồng tôm",
    )

    async def certified_in_registry() -> dict | None:
        shown = expect(
            await http.get(f"{services.url('registry')}/products/{product['product_id']}"), 200
        )
        return shown if shown["stars"] == 4 else None

    shown = await eventually(certified_in_registry, what="registry to show the stars")
    assert shown["status"] == "certified"

    async def counted() -> dict | None:
        report = expect(
            await http.get(
                f"{services.url('reporting')}/reports/progress",
                params={"province_code": DONG_THAP, "year": year},
            ),
            200,
        )
        row = next(t for t in report["targets"] if t["target_id"] == target["target_id"])
        return row if row["actual"] == 1 else None

    row = await eventually(counted, what="reporting to count the rating")
    assert (row["percent"], row["standing"]) == (100.0, "attained")


async def test_registration_is_published_keyed_by_product_with_version_one(
    http: httpx.AsyncClient, services: ServiceStack, infra: Infra, year: int
) -> None:
    correlation_id = str(uuid.uuid4())
    product = await _register_product(http, services, year, correlation_id)
    consumer = AIOKafkaConsumer(
        topics.REGISTRY,
        bootstrap_servers=infra.kafka_bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:

        async def find() -> object | None:
            batches = await consumer.getmany(timeout_ms=500)
            for records in batches.values():
                for record in records:
                    if record.key == product["product_id"].encode():
                        return record
            return None

        record = await eventually(find, what="ProductRegistered on the registry topic")
    finally:
        await consumer.stop()
    event = parse_event(record.value)  # type: ignore[attr-defined]
    assert isinstance(event, ProductRegistered)
    assert (event.aggregate_id, event.aggregate_version) == (product["product_id"], 1)
    assert event.product_code == product["product_code"]
    assert str(event.correlation_id) == correlation_id  # traced from the HTTP request
    assert dict(record.headers)["event-type"] == b"ProductRegistered"  # type: ignore[attr-defined]


async def test_bad_requests_get_422_naming_the_field(
    http: httpx.AsyncClient, services: ServiceStack
) -> None:
    registry = services.url("registry")
    body = {
        "name": "HTX",
        "legal_form": "cooperative",
        "province_code": "99",
        "commune_code": "29869",
    }
    unknown_province = expect(await http.post(f"{registry}/entities", json=body), 422)
    assert unknown_province["detail"][0]["loc"] == ["body", "province_code"]

    entity = expect(
        await http.post(f"{registry}/entities", json={**body, "province_code": "82"}), 201
    )
    bad_set = expect(
        await http.post(
            f"{registry}/products",
            json={
                "entity_id": entity["entity_id"],
                "name": "X",
                "scoring_set_code": "IX.9",
                "year": 2026,
            },
        ),
        422,
    )
    assert bad_set["detail"][0]["loc"] == ["body", "scoring_set_code"]

    unknown_product = expect(
        await http.post(
            f"{services.url('evaluation')}/ratings",
            json={"product_id": "prd-nope", "score": 60, "rated_on": "2026-06-01"},
        ),
        422,
    )
    assert unknown_product["detail"][0]["loc"] == ["body", "product_id"]


async def test_a_province_token_cannot_write_in_another_province(
    services: ServiceStack,
) -> None:
    from ocop_platform.auth import Role, mint_token
    from ocop_platform.settings import DEV_JWT_SECRET

    hanoi_only = mint_token(DEV_JWT_SECRET, "hn-office", [Role.PROVINCE_OFFICE], ["01"])
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {hanoi_only}"}) as client:
        response = await client.post(
            f"{services.url('registry')}/entities",
            json={
                "name": "HTX",
                "legal_form": "cooperative",
                "province_code": "82",
                "commune_code": "29869",
            },
        )
        anonymous = await httpx.AsyncClient().post(f"{services.url('registry')}/entities", json={})
    assert response.status_code == 403
    assert anonymous.status_code == 401
