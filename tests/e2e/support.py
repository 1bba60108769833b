"""Helpers for tests that watch events flow asynchronously."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx
from aiokafka import AIOKafkaConsumer

from ocop_contracts.topics import dead_letter_topic

T = TypeVar("T")


async def eventually(
    probe: Callable[[], Awaitable[T | None]],
    *,
    timeout: float = 60.0,  # noqa: ASYNC109 - a polling deadline, not one await's
    what: str = "condition",
    interval: float = 0.2,
) -> T:
    """Poll until ``probe`` returns something other than None (events flow asynchronously).
    ``interval``: longer for a probe that makes the services work (each holds one store
    connection, which its consumers share)."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = await probe()
        if last is not None:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


def expect(response: httpx.Response, status: int) -> Any:
    assert response.status_code == status, (
        f"{response.request.method} {response.request.url} → {response.status_code}: "
        f"{response.text}"
    )
    return response.json()


async def read_dead_letters(
    bootstrap: str, topic: str, marker: bytes, expected: int, consumer_group: str
) -> list[Any]:
    """The dead letters of ``topic`` keyed ``marker`` that ``consumer_group`` wrote, in order.

    Every instance of a service in a test session consumes the same topics with its own group,
    and each dead-letters what it rejects, so filter by the x-dlq-consumer header.
    """
    consumer = AIOKafkaConsumer(
        dead_letter_topic(topic),
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    found: list[Any] = []
    try:

        async def collect() -> list[Any] | None:
            batches = await consumer.getmany(timeout_ms=500)
            found.extend(
                r
                for rs in batches.values()
                for r in rs
                if r.key == marker
                and dict(r.headers).get("x-dlq-consumer") == consumer_group.encode()
            )
            return found if len(found) >= expected else None

        await eventually(collect, timeout=60, what=f"{expected} dead letters")
    finally:
        await consumer.stop()
    return sorted(found, key=lambda r: (r.partition, r.offset))
