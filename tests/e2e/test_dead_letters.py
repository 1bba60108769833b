"""A province system's bad messages on the ingest topic go to the dead-letter topic with a
reason, and the reporting consumer keeps consuming what comes after them."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from ocop_contracts import topics
from ocop_devstack.infra import Infra
from ocop_devstack.services import ServiceStack
from tests.e2e.support import eventually, expect, read_dead_letters

pytestmark = pytest.mark.e2e


def _target_message(year: int, **overrides: Any) -> dict[str, Any]:
    message = {
        "event_id": str(uuid.uuid4()),
        "type": "TargetUpdated",
        "schema_version": 1,
        "occurred_at": "2026-03-01T08:00:00+07:00",
        "producer": "province.82",
        "aggregate_id": f"dt-{uuid.uuid4().hex[:8]}",
        "aggregate_version": 1,
        "province_code": "82",
        "target_id": f"dt-{uuid.uuid4().hex[:8]}",
        "plan_ref": "KH tỉnh Đồng Tháp",
        "label": "Sản phẩm mới đạt 3 sao",
        "metric": "certified_products",
        "year_from": year,
        "year_to": year,
        "minimum": 30,
    }
    message.update(overrides)
    return message


async def test_malformed_ingest_messages_are_dead_lettered_and_consumption_continues(
    infra: Infra, services: ServiceStack, http: httpx.AsyncClient, year: int
) -> None:
    marker = uuid.uuid4().hex.encode()  # the key of every message this test sends
    bad: dict[str, bytes] = {
        "bad json": b'{"type": "TargetUpdated", ',
        "unknown type": json.dumps(_target_message(year, type="TargetDeleted")).encode(),
        "schema violation": json.dumps(_target_message(year, minimum=40, maximum=10)).encode(),
        "unknown province": json.dumps(_target_message(year, province_code="99")).encode(),
    }
    good = _target_message(year)
    producer = AIOKafkaProducer(bootstrap_servers=infra.kafka_bootstrap, enable_idempotence=True)
    await producer.start()
    try:
        for value in bad.values():
            await producer.send_and_wait(topics.INGEST_REPORTING, value, key=marker)
        await producer.send_and_wait(topics.INGEST_REPORTING, json.dumps(good).encode(), key=marker)
    finally:
        await producer.stop()

    group = f"ocop.{services.namespace}.reporting"
    letters = await read_dead_letters(
        infra.kafka_bootstrap, topics.INGEST_REPORTING, marker, len(bad), group
    )
    reasons = [dict(r.headers)["x-dlq-reason"].decode() for r in letters]
    assert [r.value for r in letters] == list(bad.values())  # the original bytes, in order
    assert reasons[0].startswith("not an event envelope")
    assert reasons[1] == "unknown event type 'TargetDeleted'"
    assert "inverted range" in reasons[2]
    assert "unknown province code 99" in reasons[3] and "(province_code)" in reasons[3]
    assert all(
        dict(r.headers)["x-original-topic"] == topics.INGEST_REPORTING.encode() for r in letters
    )

    async def good_target_applied() -> dict | None:
        report = expect(
            await http.get(
                f"{services.url('reporting')}/reports/progress",
                params={"province_code": "82", "year": year},
            ),
            200,
        )
        rows = [t for t in report["targets"] if t["target_id"] == good["target_id"]]
        return rows[0] if rows else None

    row = await eventually(good_target_applied, what="the valid target after the bad ones")
    assert (row["minimum"], row["plan_ref"]) == (30, "KH tỉnh Đồng Tháp")
