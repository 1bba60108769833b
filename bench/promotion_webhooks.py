"""Benchmark of promotion's webhook deliveries against raw signed httpx posts, in one run.

    uv run python bench/promotion_webhooks.py [--deliveries 500]

Same N signed bodies to a local receiver on 127.0.0.1, three ways:
  raw-httpx     sign and POST each body in turn with one httpx client; no store
  worker        promotion's DeliveryWorker on the real store: N due deliveries of one
                subscription (claim with a lease → load entry → sign → POST → log the attempt)
  worker+slow   the same while a second subscription's N deliveries go to a receiver that never
                answers within the 1 s timeout: the fast subscription's rate should barely move
Prints deliveries/s of each and the ratios. Infrastructure as in the tests: env URLs, Docker, or
native processes.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from datetime import date, timedelta

import httpx

from ocop_contracts import utc_now
from ocop_devstack.infra import InfraStack
from ocop_devstack.process import free_ports
from ocop_platform.background import BackgroundTask, running
from ocop_platform.mongo import create_client
from ocop_promotion.adapters.repository import EPOCH, MongoPromotionRepository
from ocop_promotion.adapters.webhook_sender import HttpxWebhookSender
from ocop_promotion.domain.feed import Change, FeedEntry
from ocop_promotion.domain.webhooks import RetryPolicy, sign
from ocop_promotion.service_layer.deliveries import DeliveryWorker


class Receiver:
    def __init__(self, delay: float = 0.0) -> None:
        self.port = free_ports(1)[0]
        self.delay = delay
        self.count = 0
        self._server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:  # keep-alive: one connection carries many requests
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                await reader.readexactly(length)
                if self.delay:
                    await asyncio.sleep(self.delay)
                self.count += 1
                writer.write(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()


def entries(run: str, n: int) -> list[FeedEntry]:
    return [
        FeedEntry(
            entry_id=f"{run}-{i}:1",
            product_id=f"{run}-{i}",
            province_code="82",
            scoring_set_code="I.1.a",
            from_stars=0,
            to_stars=4,
            score=75.0,
            rated_on=date(2026, 6, 1),
            product_name="Bánh phồng tôm Sa Giang",
            change=Change.FIRST_CERTIFICATION,
            recorded_at=utc_now(),
        )
        for i in range(n)
    ]


async def raw_httpx(url: str, bodies: list[bytes]) -> float:
    async with httpx.AsyncClient() as client:
        started = time.perf_counter()
        for body in bodies:
            stamp = int(time.time())
            headers = {"X-OCOP-Timestamp": str(stamp), "X-OCOP-Signature": sign("s", stamp, body)}
            response = await client.post(url, content=body, headers=headers)
            response.raise_for_status()
        return time.perf_counter() - started


async def worker_run(
    mongo_url: str, feed: list[FeedEntry], fast: Receiver, slow: Receiver | None
) -> float:
    client = create_client(mongo_url)
    name = f"ocop_bench_{uuid.uuid4().hex[:6]}"
    repo = MongoPromotionRepository(client[name])
    await repo.ensure_indexes()
    now = utc_now()
    subscriptions = [("fast", fast)] + ([("slow", slow)] if slow else [])
    for sub_id, receiver in subscriptions:
        await repo.add_subscription(
            {"_id": sub_id, "url": receiver.url, "secret": "s", "active": True, "created_at": now}
        )
    for entry in feed:
        await repo.add_feed_entry(entry, [])
    await client[name]["deliveries"].insert_many(
        [
            {
                "_id": f"{sub_id}:{e.entry_id}",
                "subscription_id": sub_id,
                "entry_id": e.entry_id,
                "product_id": e.product_id,
                "status": "pending",
                "attempt_count": 0,
                "attempts": [],
                "created_at": now + timedelta(microseconds=i),
                "next_attempt_at": now,
                "lease_until": EPOCH,
            }
            for sub_id, _ in subscriptions
            for i, e in enumerate(feed)
        ]
    )
    sender = HttpxWebhookSender(timeout_seconds=1.0)
    worker = DeliveryWorker(repo, sender, RetryPolicy(initial_seconds=60))
    deliveries = BackgroundTask(
        "webhook-deliveries", worker.start_due_drains, 0.5, on_stop=worker.stop_drains
    )
    started = time.perf_counter()
    try:
        async with running([deliveries]):
            while fast.count < len(feed):  # noqa: ASYNC110 - polls the receiver's counter
                await asyncio.sleep(0.01)
            return time.perf_counter() - started
    finally:
        await sender.close()
        await client.drop_database(name)
        await client.close()


async def main(n: int) -> None:
    with InfraStack() as infra:
        fast, slow = Receiver(), Receiver(delay=30.0)
        await fast.start()
        await slow.start()
        try:
            feed = entries(f"b{uuid.uuid4().hex[:6]}", n)
            bodies = [f'{{"entry_id":"{e.entry_id}"}}'.encode() for e in feed]
            raw = await raw_httpx(fast.url, bodies)
            fast.count = 0
            alone = await worker_run(infra.mongo_url, feed, fast, None)
            fast.count = 0
            beside_slow = await worker_run(infra.mongo_url, feed, fast, slow)
        finally:
            await fast.stop()
            await slow.stop()
    rate = {"raw-httpx": n / raw, "worker": n / alone, "worker+slow": n / beside_slow}
    print(f"\n{n} deliveries, infrastructure mode {infra.mode} (store: {infra.mongo_url})")
    for label, value in rate.items():
        print(f"  {label:<12} {value:8.0f} deliveries/s")
    print(f"  worker / raw-httpx        = {rate['worker'] / rate['raw-httpx']:.3f}")
    print(f"  worker+slow / worker      = {rate['worker+slow'] / rate['worker']:.3f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--deliveries", type=int, default=500)
    asyncio.run(main(parser.parse_args().deliveries))
