"""No single request or message can exhaust a service's memory: a 20 MB body gets 413 from
every service, and a 1 MB rating on the ingest topic is dead-lettered with the reason instead
of being applied."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from ocop_contracts import topics
from ocop_devstack.infra import Infra
from ocop_devstack.services import ServiceStack
from tests.e2e.support import read_dead_letters
from tests.e2e.test_evaluation_ingest import _province_rating

pytestmark = pytest.mark.e2e
TWENTY_MB = 20 * 1024 * 1024


@pytest.mark.parametrize(
    ("service", "path"),
    [
        ("registry", "/entities"),
        ("evaluation", "/ratings"),
        ("promotion", "/fairs"),
        ("reporting", "/targets"),
    ],
)
async def test_a_20_mb_body_is_refused_with_413(
    services: ServiceStack, http: httpx.AsyncClient, service: str, path: str
) -> None:
    body = b'{"name": "' + b"x" * TWENTY_MB + b'"}'
    response = await http.post(
        f"{services.url(service)}{path}",
        content=body,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["detail"][0]["type"] == "body_too_large"


async def test_a_one_megabyte_rating_on_the_ingest_topic_is_dead_lettered_not_applied(
    services: ServiceStack, infra: Infra
) -> None:
    product_id = f"big-{uuid.uuid4().hex[:10]}"
    huge = json.loads(_province_rating(product_id).model_dump_json())
    huge["note"] = "x" * 1_000_000  # an unknown field: the schema alone would accept it
    raw = json.dumps(huge).encode()
    producer = AIOKafkaProducer(bootstrap_servers=infra.kafka_bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(topics.INGEST_EVALUATION, raw, key=product_id.encode())
    finally:
        await producer.stop()

    group = f"ocop.{services.namespace}.evaluation"
    (letter,) = await read_dead_letters(
        infra.kafka_bootstrap, topics.INGEST_EVALUATION, product_id.encode(), 1, group
    )
    reason = dict(letter.headers)["x-dlq-reason"].decode()
    assert reason.startswith(f"message (unread; accepted: ProductRated) of {len(raw):,} bytes")
    assert "exceeds the ingest limit" in reason
