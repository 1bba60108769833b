"""The HTTP edge's protections: bounded request bodies, a deadline on every request, and a
fast, clear 503 when a dependency (the store or the broker) does not answer.

Pure ASGI middlewares, so streaming responses (the SSE feed) are not buffered: the deadline
covers a request until its response starts, never the stream that follows.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from aiokafka.errors import KafkaConnectionError, KafkaTimeoutError
from fastapi import HTTPException
from pymongo.errors import ConnectionFailure
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)

Probe = Callable[[], Awaitable[object]]

STORE = "store"
BROKER = "broker"


class DependencyUnavailable(Exception):
    """A dependency did not answer in time (or refused the connection)."""

    def __init__(self, dependencies: list[str], message: str) -> None:
        super().__init__(message)
        self.dependencies = dependencies
        self.message = message


@dataclass(frozen=True)
class DependencyCheck:
    """Whether each dependency answered one probe within ``timeout`` seconds."""

    results: Mapping[str, str | None]  # name → None when it answered, else why not

    @property
    def ok(self) -> bool:
        return all(error is None for error in self.results.values())

    @property
    def failing(self) -> list[str]:
        return [name for name, error in self.results.items() if error is not None]


async def check_dependencies(probes: Mapping[str, Probe], within: float) -> DependencyCheck:
    """Probe every dependency at once, each bounded by ``within`` seconds: the answer never
    waits longer than that, whatever state the store or the broker is in."""
    names = list(probes)
    outcomes = await asyncio.gather(*(_probe(probes[n], within) for n in names))
    return DependencyCheck(dict(zip(names, outcomes, strict=True)))


async def _probe(probe: Probe, within: float) -> str | None:
    try:
        answer = await asyncio.wait_for(probe(), within)
    except TimeoutError:
        return f"no answer within {within:g} s"
    except Exception as exc:  # any failure of a probe means "not ready", with its reason
        return f"{type(exc).__name__}: {exc}"[:300]
    return None if answer is not False else "refused the probe"


def unavailable_response(dependencies: list[str], message: str, retry_after: int) -> JSONResponse:
    body = {
        "detail": message,
        "type": "dependency_unavailable",
        "dependencies": dependencies,
        "retry_after_seconds": retry_after,
    }
    return JSONResponse(body, status_code=503, headers={"Retry-After": str(retry_after)})


def dependency_error_handlers(
    retry_after: int,
) -> dict[type[Exception], Callable[[Request, Exception], Awaitable[JSONResponse]]]:
    """A store or broker error inside a request becomes a 503 naming it, never a 500."""

    async def store_failed(_: Request, exc: Exception) -> JSONResponse:
        log.warning("the store failed during a request: %s", exc)
        return unavailable_response([STORE], "the document store is unavailable", retry_after)

    async def broker_failed(_: Request, exc: Exception) -> JSONResponse:
        log.warning("the broker failed during a request: %s", exc)
        return unavailable_response([BROKER], "the Kafka broker is unavailable", retry_after)

    async def named(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, DependencyUnavailable)
        return unavailable_response(exc.dependencies, exc.message, retry_after)

    return {
        ConnectionFailure: store_failed,
        KafkaConnectionError: broker_failed,
        KafkaTimeoutError: broker_failed,
        DependencyUnavailable: named,
    }


class BodyLimit:
    """Refuses a request body over ``limit`` bytes with 413, before the app reads it all:
    at once from Content-Length, or as soon as a chunked body passes the limit. ``limits``
    raises the limit for path prefixes that take uploads (a province's register)."""

    def __init__(self, app: ASGIApp, limit: int, limits: Mapping[str, int] | None = None):
        self.app = app
        self.limit = limit
        self.limits = dict(limits or {})

    def limit_for(self, path: str) -> int:
        for prefix, limit in self.limits.items():
            if path == prefix or path.startswith(prefix.rstrip("/") + "/"):
                return limit
        return self.limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _too_large(limit)(scope, receive, send)
            return
        counted = _CountingReceive(receive, limit)
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, tracking_send)
        except _BodyTooLarge:
            if started:
                raise
            await _too_large(limit)(scope, receive, send)


class _BodyTooLarge(HTTPException):
    # An HTTPException, so that FastAPI's body parsing passes it on instead of answering 400.
    def __init__(self, limit: int) -> None:
        super().__init__(413, detail=_too_large_detail(limit))


class _CountingReceive:
    def __init__(self, receive: Receive, limit: int) -> None:
        self._receive = receive
        self._limit = limit
        self._seen = 0

    async def __call__(self) -> Message:
        message = await self._receive()
        if message["type"] == "http.request":
            self._seen += len(message.get("body", b""))
            if self._seen > self._limit:
                raise _BodyTooLarge(self._limit)
        return message


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            with contextlib.suppress(ValueError):
                return int(value)
    return None


def _too_large_detail(limit: int) -> list[dict[str, object]]:
    message = f"the request body is larger than {limit:,} bytes"
    return [{"loc": ["body"], "msg": message, "type": "body_too_large"}]


def _too_large(limit: int) -> JSONResponse:
    return JSONResponse({"detail": _too_large_detail(limit)}, status_code=413)


class Deadline:
    """Answers 503 when a request has not started its response within ``seconds``.

    The request is cancelled (PyMongo closes the connection of an operation cut short) and the
    503 names the dependencies that do not answer a quick probe now, with a Retry-After.
    Operations endpoints and the upload paths given in ``exempt`` are not timed.
    """

    def __init__(
        self,
        app: ASGIApp,
        seconds: float,
        probes: Mapping[str, Probe],
        retry_after: int,
        exempt: tuple[str, ...] = (),
    ) -> None:
        self.app = app
        self.seconds = seconds
        self.probes = probes
        self.retry_after = retry_after
        # Operations endpoints bound their own probes; uploads may take long to arrive.
        self.exempt = ("/health/", "/metrics/", *exempt)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.exempt):
            await self.app(scope, receive, send)
            return
        response_started = asyncio.Event()
        abandoned = False

        async def watched_send(message: Message) -> None:
            if abandoned:
                return  # the caller already has its 503
            if message["type"] == "http.response.start":
                response_started.set()
            await send(message)

        async def respond() -> None:
            await self.app(scope, receive, watched_send)

        task = asyncio.create_task(respond())
        started = asyncio.create_task(response_started.wait())
        done, _ = await asyncio.wait(
            {task, started}, timeout=self.seconds, return_when=asyncio.FIRST_COMPLETED
        )
        if done:
            started.cancel()
            await task  # finished, or streaming its body: no deadline on the stream itself
            return
        started.cancel()
        task.cancel()
        # A request inside a shielded write (state, then its outbox marker) finishes that write
        # first; the caller does not wait for it beyond a moment.
        await asyncio.wait({task}, timeout=0.5)
        if not task.done():
            abandoned = True
            task.add_done_callback(_forget)
        elif not task.cancelled():
            with contextlib.suppress(Exception):
                task.result()
        await self._unavailable(scope, receive, send)

    async def _unavailable(self, scope: Scope, receive: Receive, send: Send) -> None:
        check = await check_dependencies(self.probes, within=1.0)
        failing = check.failing
        if failing:
            message = f"no answer within {self.seconds:g} s from: {', '.join(failing)}"
        else:
            message = f"the request took longer than {self.seconds:g} s; try again"
        log.warning("request deadline exceeded", extra={"path": scope["path"], "failing": failing})
        await unavailable_response(failing, message, self.retry_after)(scope, receive, send)


def _forget(task: asyncio.Task[None]) -> None:
    """Collect the outcome of a request abandoned at its deadline, so nothing is left unseen."""
    if not task.cancelled() and task.exception() is not None:
        log.warning("a request abandoned at its deadline failed: %s", task.exception())
