"""Registry end to end: POST /entities and POST /products with an Idempotency-Key, through the
registry's own entrypoint on the real store: a repeat answers 200 with the first answer's body
and registers nothing more; the same key with another body is a 422 naming the header."""

from __future__ import annotations

import uuid

import httpx
import pytest
from pymongo import AsyncMongoClient

from ocop_contracts import topics
from ocop_devstack.infra import Infra
from ocop_devstack.services import ServiceStack
from tests.e2e.registry_helpers import entity_body, records_keyed
from tests.e2e.support import expect

pytestmark = pytest.mark.e2e
HEADER = "Idempotency-Key"


def keyed() -> dict[str, str]:
    return {HEADER: str(uuid.uuid4())}


async def stored(infra: Infra, services: ServiceStack, collection: str, name: str) -> int:
    """How many documents of the registry's ``collection`` have this name."""
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(infra.mongo_url)
    try:
        db = client[services.env_for("registry")["OCOP_MONGO_DB"]]
        return await db[collection].count_documents({"name": name})
    finally:
        await client.close()


async def test_a_repeated_producer_registration_answers_200_with_the_first_body(
    http: httpx.AsyncClient, services: ServiceStack, infra: Infra
) -> None:
    url, key, body = f"{services.url('registry')}/entities", keyed(), entity_body()

    first = expect(await http.post(url, json=body, headers=key), 201)
    again = expect(await http.post(url, json=body, headers=key), 200)

    assert again == first
    assert await stored(infra, services, "entities", body["name"]) == 1
    # A change after the repeat: what the topic holds for the producer before it is the one
    # EntityRegistered (its records are in order by key).
    entity_id = first["entity_id"]
    changed = {"name": body["name"] + " mới"}
    expect(await http.patch(f"{url}/{entity_id}", json=changed), 200)
    records = await records_keyed(infra.kafka_bootstrap, topics.REGISTRY, entity_id, 2)
    types = [dict(record.headers)["event-type"] for record in records]
    assert types == [b"EntityRegistered", b"EntityUpdated"]


async def test_the_same_key_with_another_body_is_a_422_naming_the_header(
    http: httpx.AsyncClient, services: ServiceStack, infra: Infra
) -> None:
    url, key, body = f"{services.url('registry')}/entities", keyed(), entity_body()
    first = expect(await http.post(url, json=body, headers=key), 201)
    other = {**body, "name": body["name"] + " khác"}

    refused = expect(await http.post(url, json=other, headers=key), 422)

    (problem,) = refused["detail"]
    assert problem["loc"] == ["header", HEADER]
    assert HEADER in problem["msg"] and first["entity_id"] in problem["msg"]
    assert await stored(infra, services, "entities", other["name"]) == 0


async def test_a_key_that_is_no_opaque_token_is_a_422(
    http: httpx.AsyncClient, services: ServiceStack
) -> None:
    url = f"{services.url('registry')}/entities"

    refused = expect(await http.post(url, json=entity_body(), headers={HEADER: "x" * 256}), 422)

    assert [p["loc"] for p in refused["detail"]] == [["header", HEADER]]


async def test_a_repeated_product_registration_answers_200_with_the_first_body(
    http: httpx.AsyncClient, services: ServiceStack, infra: Infra
) -> None:
    registry = services.url("registry")
    entity = expect(await http.post(f"{registry}/entities", json=entity_body()), 201)
    body = {
        "entity_id": entity["entity_id"],
        "name": f"Cà phê Gia Lai {uuid.uuid4().hex[:6]}",
        "scoring_set_code": "I.6",
        "year": 2026,
    }
    url, key = f"{registry}/products", keyed()

    first = expect(await http.post(url, json=body, headers=key), 201)
    again = expect(await http.post(url, json=body, headers=key), 200)
    refused = expect(await http.post(url, json={**body, "year": 2027}, headers=key), 422)

    assert again == first
    assert refused["detail"][0]["loc"] == ["header", HEADER]
    assert await stored(infra, services, "products", body["name"]) == 1
    without_key = expect(await http.post(url, json=body), 201)  # unchanged without the header
    assert without_key["product_id"] != first["product_id"]
