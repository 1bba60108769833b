"""The webhook delivery worker: one drain task per subscription, so a slow or failing receiver
only ever waits on itself.

Deliveries live in the store (created idempotently per subscription and feed entry), so they
survive restarts. A supervisor step (which the service runs as background work) finds the
subscriptions with due deliveries and runs one task per subscription; that task sends its due
deliveries in order, each attempt claimed with a lease (so two instances never send the same
attempt at once), logs every attempt and schedules the next one with exponential backoff until
the receiver answers 2xx or the policy gives up ("failed", which a promotion team can redeliver
by hand).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from ocop_contracts import utc_now
from ocop_platform.background import Wakeup
from ocop_platform.mongo import Document
from ocop_promotion.adapters.webhook_sender import SendResult
from ocop_promotion.domain.feed import entry_json
from ocop_promotion.domain.webhooks import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    EVENT_NAME,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    DeliveryStatus,
    RetryPolicy,
    sign,
    succeeded,
)

if TYPE_CHECKING:
    from ocop_promotion.adapters.repository import MongoPromotionRepository

log = logging.getLogger(__name__)


class Sender(Protocol):
    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> SendResult: ...


class DeliveryWorker:
    def __init__(
        self,
        repository: MongoPromotionRepository,
        sender: Sender,
        policy: RetryPolicy,
        *,
        lease_seconds: float = 60.0,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._repo = repository
        self._sender = sender
        self._policy = policy
        self._lease = timedelta(seconds=lease_seconds)
        self._clock = clock
        self.wakeup = Wakeup()
        self._drains: dict[str, asyncio.Task[None]] = {}
        self.sent = 0

    def wake(self) -> None:
        self.wakeup.set()

    async def stop_drains(self) -> None:
        """Cancel the running drains and wait for them (the app is stopping)."""
        for task in self._drains.values():
            task.cancel()
        await asyncio.gather(*self._drains.values(), return_exceptions=True)
        self._drains.clear()

    async def start_due_drains(self) -> None:
        """One supervisor step: start a drain for each subscription with due deliveries that
        has none running (run again every webhook_poll_seconds, or at once after wake())."""
        due = await self._repo.subscriptions_with_due_deliveries(self._clock(), limit=5_000)
        for subscription_id in due:
            running = self._drains.get(subscription_id)
            if running is None or running.done():
                self._drains[subscription_id] = asyncio.create_task(
                    self._drain(subscription_id), name=f"webhooks:{subscription_id}"
                )

    async def _drain(self, subscription_id: str) -> None:
        try:
            while await self._send_due_batch(subscription_id):
                pass
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("webhook drain failed", extra={"subscription_id": subscription_id})

    async def _send_due_batch(self, subscription_id: str) -> bool:
        """Attempt the subscription's next due deliveries; False when the drain is over."""
        subscription = await self._repo.subscription(subscription_id)
        if subscription is None or not subscription.get("active"):
            return False
        batch = await self._repo.due_deliveries(subscription_id, self._clock(), limit=20)
        if not batch:
            return False
        outcomes = [await self.attempt(subscription, d) for d in batch]
        # All None: another instance holds them; the supervisor comes back later.
        return not all(outcome is None for outcome in outcomes)

    async def attempt(self, subscription: Document, delivery: Document) -> DeliveryStatus | None:
        """One attempt at one delivery; None when another worker holds it."""
        now = self._clock()
        if not await self._repo.claim_delivery(delivery["_id"], now, now + self._lease):
            return None
        entry = await self._repo.feed_entry(delivery["entry_id"])
        number = int(delivery.get("attempt_count", 0)) + 1
        if entry is None:  # cannot happen unless the feed was wiped: say so, do not loop
            result = SendResult(None, "feed entry no longer exists", 0.0)
        else:
            body = json.dumps(
                {
                    "event": EVENT_NAME,
                    "delivery_id": delivery["_id"],
                    "subscription_id": subscription["_id"],
                    "entry": entry_json(entry),
                },
                ensure_ascii=False,
                separators=(",", ":"),
            ).encode()
            timestamp = int(now.timestamp())
            headers = {
                "Content-Type": "application/json; charset=utf-8",
                EVENT_HEADER: EVENT_NAME,
                DELIVERY_HEADER: delivery["_id"],
                TIMESTAMP_HEADER: str(timestamp),
                SIGNATURE_HEADER: sign(subscription["secret"], timestamp, body),
            }
            result = await self._sender.post(subscription["url"], body, headers)
        finished = self._clock()
        ok = result.status_code is not None and succeeded(result.status_code)
        record: Document = {
            "number": number,
            "at": now,
            "status_code": result.status_code,
            "error": result.error,
            "duration_ms": round(result.duration_ms, 1),
        }
        if ok:
            status = DeliveryStatus.DELIVERED
            fields: Document = {"delivered_at": finished, "next_attempt_at": None}
            self.sent += 1
        elif self._policy.gives_up_after(number) or entry is None:
            status = DeliveryStatus.FAILED
            fields = {"next_attempt_at": None}
        else:
            status = DeliveryStatus.PENDING
            fields = {"next_attempt_at": finished + self._policy.delay_after(number)}
        fields.update({"status": status.value, "attempt_count": number, "last_attempt_at": now})
        await self._repo.record_attempt(delivery["_id"], record, fields)
        return status
