"""Helpers of the evaluation end-to-end tests: product set-up, topic reading, sheets."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from ocop_contracts import Event, ProductRegistered, parse_event
from ocop_evaluation.domain.rules import rule_set
from ocop_platform.auth import ALL_PROVINCES, Role, mint_token
from ocop_platform.settings import DEV_JWT_SECRET
from tests.e2e.support import eventually, expect

# Cần Thơ: a province of its own, so other tests' counts for Đồng Tháp stay exact.
PROVINCE = "92"
COMMUNE = "31120"


def admin_headers() -> dict[str, str]:
    token = mint_token(DEV_JWT_SECRET, "e2e-admin", [Role.ADMIN], [ALL_PROVINCES])
    return {"Authorization": f"Bearer {token}"}


async def once_known(call: Callable[[], Awaitable[httpx.Response]], status: int) -> Any:
    """Retry while evaluation has not consumed the product's ProductRegistered yet."""

    async def attempt() -> Any:
        response = await call()
        if response.status_code == 422 and "not yet known" in response.text:
            return None
        return expect(response, status)

    return await eventually(attempt, timeout=60, what="evaluation to learn the product")


async def publish(bootstrap: str, topic: str, events: list[Event]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        for event in events:
            await producer.send_and_wait(
                topic, event.to_json_bytes(), key=event.aggregate_id.encode()
            )
    finally:
        await producer.stop()


def registered(product_id: str, province: str = PROVINCE, version: int = 1) -> ProductRegistered:
    return ProductRegistered(
        producer="registry",
        aggregate_id=product_id,
        aggregate_version=version,
        province_code=province,
        product_id=product_id,
        product_code=f"{province}-{COMMUNE}-{uuid.uuid4().int % 9999 + 1}-2026",
        name="Bánh pía Sóc Trăng",
        entity_id=f"e-{product_id}",
        legal_form="cooperative",
        scoring_set_code="I.3.d",
        commune_code=COMMUNE,
    )


async def events_of(
    bootstrap: str,
    topic: str,
    key: str,
    until: Callable[[list[tuple[Event, dict[str, bytes]]]], bool],
    timeout: float = 60.0,  # noqa: ASYNC109 - a polling deadline
) -> list[tuple[Event, dict[str, bytes]]]:
    """Every event keyed ``key`` on ``topic`` from the start, once ``until`` holds."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
    )
    await consumer.start()
    seen: list[tuple[Event, dict[str, bytes]]] = []
    try:

        async def collect() -> list[tuple[Event, dict[str, bytes]]] | None:
            batches = await consumer.getmany(timeout_ms=500)
            for records in batches.values():
                for record in records:
                    if record.key == key.encode():
                        headers = dict(record.headers)
                        seen.append((parse_event(record.value), headers))
            return seen if until(seen) else None

        return await eventually(collect, timeout=timeout, what=f"events on {topic} for {key}")
    finally:
        await consumer.stop()


def types(seen: list[tuple[Event, dict[str, bytes]]]) -> list[str]:
    return [event.type for event, _ in seen]


def sheet(level: dict[str, str]) -> dict[str, Any]:
    """A sheet ticking, per criterion, the option named in ``level`` or else the best one."""
    rules = rule_set("qd26-2026")
    assert rules is not None
    rubric = rules.rubrics["qd26-food"]
    entries = []
    for criterion in rubric.criteria.values():
        best = max(criterion.options, key=lambda o: o.points)
        entries.append(
            {
                "criterion_id": criterion.criterion_id,
                "option_id": level.get(criterion.criterion_id, best.option_id),
            }
        )
    return {"entries": entries}


# A 4★ product: every 3★/4★ minimum met, short of the best on several criteria.
FOUR_STAR = {
    "A1.2": "ge75",  # 3 of 4
    "A1.4": "mechanised",  # 3 of 4
    "A2.3": "trademark",  # 2 of 3
    "B1.1": "national",  # 4 of 6
    "B1.2": "national",  # 2 of 3
    "C1.1": "good",  # 9 of 12
    "C1.3": "distinct",  # 3 of 5
    "C1.7": "potential",  # 1 of 3
}  # 100 - 1 - 1 - 1 - 2 - 1 - 3 - 2 - 2 = 87 points
