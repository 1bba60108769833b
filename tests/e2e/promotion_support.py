"""Fixtures and helpers of the promotion end-to-end tests: the session's promotion service,
evaluation's and registry's events published to Kafka as those services would, and a webhook
receiver on 127.0.0.1 that can go down, be slow, and come back."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from ocop_contracts import Event, ProductRated, ProductRegistered, RatingLevel, topic_of
from ocop_contracts.clock import today_in_vietnam
from ocop_contracts.events.evaluation import (
    CertificateExpired,
    CertificateIssued,
    CertificateRevoked,
)
from ocop_contracts.vocabulary import LegalForm, RevocationGround
from ocop_devstack.infra import Infra
from ocop_devstack.process import free_ports
from ocop_devstack.services import ServiceStack
from tests.e2e.support import eventually, expect

PROVINCE = "82"  # Đồng Tháp
COMMUNE = "29869"


@pytest.fixture(scope="session")
def promotion(services: ServiceStack) -> str:
    """Base URL of the session's promotion service (started through its own entrypoint with
    the other three, default settings: webhook retries after 1 s, 2 s, 4 s…, 5 s timeout)."""
    return services.url("promotion")


class Publisher:
    """Publishes events on their owners' topics, keyed by aggregate, as the owners would."""

    def __init__(self, bootstrap: str) -> None:
        self._producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True)

    async def start(self) -> None:
        await self._producer.start()

    async def stop(self) -> None:
        await self._producer.stop()

    async def publish(self, *events: Event) -> None:
        for event in events:
            await self._producer.send_and_wait(
                topic_of(event), event.to_json_bytes(), key=event.aggregate_id.encode()
            )

    async def publish_raw(self, event: Event, raw: bytes) -> None:
        await self._producer.send_and_wait(topic_of(event), raw, key=event.aggregate_id.encode())


@pytest.fixture
async def kafka(infra: Infra) -> AsyncIterator[Publisher]:
    publisher = Publisher(infra.kafka_bootstrap)
    await publisher.start()
    try:
        yield publisher
    finally:
        await publisher.stop()


@dataclass
class Product:
    """One product's registry and evaluation history, with consistent aggregate versions."""

    product_id: str = field(default_factory=lambda: f"prd-{uuid.uuid4().hex[:10]}")
    name: str = "Bánh phồng tôm Sa Giang"
    scoring_set_code: str = "I.1.a"
    evaluation_version: int = 0
    certificate_id: str | None = None

    def registered(self) -> ProductRegistered:
        return ProductRegistered(
            producer="registry",
            aggregate_id=self.product_id,
            aggregate_version=1,
            province_code=PROVINCE,
            product_id=self.product_id,
            product_code=f"{PROVINCE}-{COMMUNE}-1-2026",
            name=self.name,
            entity_id="ent-1",
            legal_form=LegalForm.COOPERATIVE,
            scoring_set_code=self.scoring_set_code,
            commune_code=COMMUNE,
        )

    def rated(self, stars: int, previous: int = 0) -> ProductRated:
        self.evaluation_version += 1
        return ProductRated(
            producer="evaluation",
            aggregate_id=self.product_id,
            aggregate_version=self.evaluation_version,
            province_code=PROVINCE,
            product_id=self.product_id,
            score=min(100.0, 20.0 * stars - 5),
            stars=stars,
            previous_stars=previous,
            level=RatingLevel.CENTRAL if stars == 5 else RatingLevel.PROVINCE,
            rule_set_id="qd26-2026",
            rated_on=today_in_vietnam(),
            scoring_set_code=self.scoring_set_code,
        )

    def certified(self, stars: int, valid_until: date | None = None) -> CertificateIssued:
        self.evaluation_version += 1
        self.certificate_id = f"cert-{uuid.uuid4().hex[:8]}"
        return CertificateIssued(
            producer="evaluation",
            aggregate_id=self.product_id,
            aggregate_version=self.evaluation_version,
            province_code=PROVINCE,
            certificate_id=self.certificate_id,
            product_id=self.product_id,
            stars=stars,
            level=RatingLevel.PROVINCE,
            decision_ref="123/QĐ-UBND",
            issued_on=today_in_vietnam(),
            valid_until=valid_until or today_in_vietnam() + timedelta(days=3 * 365),
            rule_set_id="qd26-2026",
        )

    def expired(self, stars: int) -> CertificateExpired:
        assert self.certificate_id is not None
        self.evaluation_version += 1
        return CertificateExpired(
            producer="evaluation",
            aggregate_id=self.product_id,
            aggregate_version=self.evaluation_version,
            province_code=PROVINCE,
            certificate_id=self.certificate_id,
            product_id=self.product_id,
            stars=stars,
            expired_on=today_in_vietnam(),
        )

    def revoked(self, stars: int) -> CertificateRevoked:
        assert self.certificate_id is not None
        self.evaluation_version += 1
        return CertificateRevoked(
            producer="evaluation",
            aggregate_id=self.product_id,
            aggregate_version=self.evaluation_version,
            province_code=PROVINCE,
            certificate_id=self.certificate_id,
            product_id=self.product_id,
            stars=stars,
            ground=RevocationGround.MARK_MISUSE,
            decision_ref="45/QĐ-UBND",
            revoked_on=today_in_vietnam(),
        )


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


class Receiver:
    """A webhook receiver on 127.0.0.1: records requests; can be down, slow, or answer 500."""

    def __init__(self) -> None:
        self.port = free_ports(1)[0]
        self.requests: list[Received] = []
        self.delay = 0.0
        self.status = 200
        self._server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/ocop"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)
            self._server = None

    def for_product(self, product_id: str) -> list[Received]:
        return [r for r in self.requests if r.json["entry"]["product_id"] == product_id]

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            headers = {}
            for line in lines[1:]:
                if ":" in line:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            if self.delay:
                await asyncio.sleep(self.delay)
            if self.status < 300:
                self.requests.append(Received(headers, body))
            reply = f"HTTP/1.1 {self.status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            writer.write(reply.encode())
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass  # a client that gave up, or the receiver stopping
        finally:
            writer.close()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    found = Receiver()
    await found.start()
    try:
        yield found
    finally:
        await found.stop()


_created: list[tuple[str, str]] = []


async def subscribe(http: httpx.AsyncClient, base: str, url: str, **filters: Any) -> dict[str, Any]:
    """A subscription, deleted again when the test ends (see the ``unsubscribe`` fixture)."""
    body = {"name": "Đội xúc tiến Đồng Tháp", "url": url, "filter": filters}
    created: dict[str, Any] = expect(await http.post(f"{base}/subscriptions", json=body), 201)
    _created.append((base, created["subscription_id"]))
    return created


@pytest.fixture(autouse=True)
async def unsubscribe(token: str) -> AsyncIterator[None]:
    """Deletes the test's subscriptions, so later tests' products do not reach its receiver."""
    yield
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"}) as client:
        while _created:
            base, subscription_id = _created.pop()
            await client.delete(f"{base}/subscriptions/{subscription_id}")


async def deliveries_of(
    http: httpx.AsyncClient, base: str, subscription_id: str, product_id: str
) -> list[dict[str, Any]]:
    page = expect(
        await http.get(
            f"{base}/subscriptions/{subscription_id}/deliveries", params={"page_size": 500}
        ),
        200,
    )
    return [d for d in page["items"] if d["product_id"] == product_id]


async def certified_product(kafka: Publisher, http: httpx.AsyncClient, base: str) -> Product:
    """A 4★ product whose certificate promotion knows (placement is accepted)."""
    product = Product()
    await kafka.publish(product.registered(), product.rated(4), product.certified(4))

    async def known() -> bool | None:
        found = expect(await http.get(f"{base}/products/{product.product_id}/eligibility"), 200)
        return True if found["placeable"] else None

    await eventually(known, what="promotion to learn the certificate", timeout=60)
    return product


__all__ = [
    "PROVINCE",
    "Product",
    "Publisher",
    "Receiver",
    "certified_product",
    "deliveries_of",
    "eventually",
    "expect",
    "kafka",
    "promotion",
    "receiver",
    "subscribe",
    "unsubscribe",
]
