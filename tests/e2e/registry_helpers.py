"""Helpers of the registry end-to-end tests (registry-owned; not shared fixtures)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

import httpx
import jwt
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from ocop_contracts import Event, topics
from ocop_contracts.reference import communes_of
from ocop_devstack.services import ServiceStack
from ocop_platform.auth import ALGORITHM, ISSUER
from ocop_platform.settings import DEV_JWT_SECRET
from tests.e2e.support import eventually, expect

# Gia Lai (2025 code 52): a province the other services' tests do not use, so ratings published
# here do not disturb their counts.
PROVINCE = "52"
COMMUNES = communes_of(PROVINCE)


def token(
    roles: Iterable[str],
    provinces: Iterable[str],
    *,
    sub: str = "registry-e2e",
    entity_id: str | None = None,
    communes: Iterable[str] | None = None,
) -> str:
    """A dev token; `communes` is the registry's extra claim for commune officers."""
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "sub": sub,
        "roles": sorted(roles),
        "provinces": sorted(provinces),
        "iat": 1_700_000_000,
        "exp": 4_000_000_000,
    }
    if entity_id:
        claims["entity_id"] = entity_id
    if communes is not None:
        claims["communes"] = sorted(communes)
    return jwt.encode(claims, DEV_JWT_SECRET, algorithm=ALGORITHM)


def client(bearer: str | None) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
    return httpx.AsyncClient(headers=headers, timeout=15.0)


def entity_body(commune: str = COMMUNES[0], **extra: Any) -> dict[str, Any]:
    return {
        "name": f"HTX Nông nghiệp {uuid.uuid4().hex[:6]}",
        "legal_form": "cooperative",
        "province_code": PROVINCE,
        "commune_code": commune,
        **extra,
    }


async def register(
    http: httpx.AsyncClient,
    services: ServiceStack,
    *,
    name: str | None = None,
    year: int = 2026,
    entity: dict[str, Any] | None = None,
    **product: Any,
) -> dict[str, Any]:
    """A producer (unless given) and one of its products; returns the product as created."""
    registry = services.url("registry")
    if entity is None:
        entity = expect(await http.post(f"{registry}/entities", json=entity_body()), 201)
    body = {
        "entity_id": entity["entity_id"],
        "name": name or f"Cà phê Gia Lai {uuid.uuid4().hex[:6]}",
        "scoring_set_code": "I.6",
        "year": year,
        **product,
    }
    created: dict[str, Any] = expect(await http.post(f"{registry}/products", json=body), 201)
    return created


async def publish(bootstrap: str, *events: Event) -> None:
    """Publish to ocop.evaluation.v1 exactly as evaluation's outbox relay would."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for event in events:
            await producer.send_and_wait(
                topics.EVALUATION,
                event.to_json_bytes(),
                key=event.aggregate_id.encode(),
                headers=[
                    ("event-type", event.type.encode()),
                    ("event-id", str(event.event_id).encode()),
                ],
            )
    finally:
        await producer.stop()


async def records_keyed(bootstrap: str, topic: str, key: str, count: int) -> list[Any]:
    """The first `count` distinct records (by event id: delivery is at-least-once) with `key` on
    `topic`, from the beginning, in the order they were first published."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    found: list[Any] = []
    seen: set[bytes | None] = set()
    try:

        async def probe() -> list[Any] | None:
            batches = await consumer.getmany(timeout_ms=500)
            for records in batches.values():
                for record in records:
                    event_id = dict(record.headers).get("event-id")
                    if record.key == key.encode() and event_id not in seen:
                        seen.add(event_id)
                        found.append(record)
            return found if len(found) >= count else None

        try:
            return await eventually(probe, timeout=90, what=f"{count} records keyed {key}")
        except AssertionError as exc:
            seen_types = [dict(r.headers).get("event-type") for r in found]
            raise AssertionError(f"{exc}; found {seen_types}") from exc
    finally:
        await consumer.stop()


async def lookup_until(services: ServiceStack, q: str, predicate: Any, what: str) -> dict[str, Any]:
    async with client(None) as public:

        async def probe() -> dict[str, Any] | None:
            response = await public.get(
                f"{services.url('registry')}/public/lookup", params={"q": q}
            )
            if response.status_code == 404:
                return None  # a certificate number is known once its event has arrived
            body: dict[str, Any] = expect(response, 200)
            return body if predicate(body) else None

        return await eventually(probe, timeout=90, what=what)
