"""Webhook deliveries: how a body is signed, when a failed attempt is retried. Pure.

A receiver verifies a delivery by recomputing
``HMAC-SHA256(secret, f"{X-OCOP-Timestamp}.{raw body}")`` and comparing it (in constant time)
with the hex digest after ``sha256=`` in ``X-OCOP-Signature``, and rejects timestamps older than a
few minutes (replay). ``X-OCOP-Delivery`` is stable across retries: receivers dedupe on it.
"""

from __future__ import annotations

import hashlib
import hmac
import random
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

SIGNATURE_HEADER = "X-OCOP-Signature"
TIMESTAMP_HEADER = "X-OCOP-Timestamp"
DELIVERY_HEADER = "X-OCOP-Delivery"
EVENT_HEADER = "X-OCOP-Event"
EVENT_NAME = "product.newly_starred"


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # waiting for its (next) attempt
    DELIVERED = "delivered"  # the receiver answered 2xx
    FAILED = "failed"  # gave up after the last attempt; can be redelivered by hand
    CANCELLED = "cancelled"  # the subscription was deleted before it went out


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def verify(
    secret: str, timestamp: int, body: bytes, signature: str, now: int, tolerance: int = 300
) -> bool:
    """What a receiver does (also used by the tests): signature matches and is recent."""
    if abs(now - timestamp) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


@dataclass(frozen=True)
class RetryPolicy:
    initial_seconds: float = 1.0
    max_seconds: float = 300.0
    max_attempts: int = 12
    jitter: float = 0.1  # ± this fraction, so receivers coming back are not hit in lockstep

    def delay_after(self, attempt: int, rng: random.Random | None = None) -> timedelta:
        """Wait after failed attempt number ``attempt`` (1-based): exponential, capped."""
        base = min(self.max_seconds, self.initial_seconds * 2 ** (attempt - 1))
        spread = (rng or random).uniform(-self.jitter, self.jitter) if self.jitter else 0.0
        return timedelta(seconds=min(self.max_seconds, base * (1 + spread)))

    def gives_up_after(self, attempt: int) -> bool:
        return attempt >= self.max_attempts


def succeeded(status_code: int) -> bool:
    return 200 <= status_code < 300
