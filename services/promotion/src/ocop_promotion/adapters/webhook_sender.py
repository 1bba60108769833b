"""Sends one signed webhook request with httpx and reports what happened (never raises)."""

from __future__ import annotations

import time
from dataclasses import dataclass

import httpx


@dataclass(frozen=True)
class SendResult:
    status_code: int | None
    error: str | None
    duration_ms: float


class HttpxWebhookSender:
    def __init__(self, timeout_seconds: float) -> None:
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout_seconds),
            follow_redirects=False,
            headers={"User-Agent": "ocop-promotion-webhooks/1"},
        )

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> SendResult:
        started = time.perf_counter()
        try:
            response = await self._client.post(url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            elapsed = (time.perf_counter() - started) * 1000
            return SendResult(None, f"{type(exc).__name__}: {exc}"[:500], elapsed)
        elapsed = (time.perf_counter() - started) * 1000
        return SendResult(response.status_code, None, elapsed)

    async def close(self) -> None:
        await self._client.aclose()
