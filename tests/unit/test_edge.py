"""The HTTP edge: bodies are bounded (413), a request that hangs on a dependency gets a fast
503 naming it, and store or broker errors are 503s, never 500s."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel
from pymongo.errors import ServerSelectionTimeoutError

from ocop_platform.edge import (
    BodyLimit,
    Deadline,
    Probe,
    check_dependencies,
    dependency_error_handlers,
)

LIMIT = 4096


class Note(BaseModel):
    text: str


async def _answers() -> object:
    return {"ok": 1}


async def _hangs() -> object:
    await asyncio.sleep(60)
    return None


def _app(probes: dict[str, Probe] | None = None) -> FastAPI:
    app = FastAPI()

    @app.post("/notes")
    async def note(body: Note) -> dict[str, int]:
        return {"length": len(body.text)}

    @app.post("/imports")
    async def upload(request: Request) -> dict[str, int]:
        return {"bytes": len(await request.body())}

    @app.get("/slow")
    async def slow() -> dict[str, str]:
        await asyncio.sleep(30)
        return {"never": "answered"}

    @app.get("/shielded")
    async def shielded() -> dict[str, str]:
        try:
            await asyncio.sleep(30)  # the first write hangs on a stalled store…
        finally:  # …and the second must happen even when cancelled: cleanup that waits
            await asyncio.shield(asyncio.sleep(3))
        return {"late": "answer"}

    @app.get("/stream")
    async def stream() -> StreamingResponse:
        async def chunks() -> AsyncIterator[bytes]:
            for i in range(3):
                await asyncio.sleep(0.3)
                yield f"{i}\n".encode()

        return StreamingResponse(chunks(), media_type="text/plain")

    @app.get("/store-down")
    async def store_down() -> None:
        raise ServerSelectionTimeoutError("127.0.0.1:27017: connection refused")

    for error, handler in dependency_error_handlers(retry_after=7).items():
        app.add_exception_handler(error, handler)
    probes = probes or {"store": _answers, "broker": _answers}
    app.add_middleware(Deadline, seconds=0.5, probes=probes, retry_after=7, exempt=("/imports",))
    app.add_middleware(BodyLimit, limit=LIMIT, limits={"/imports": 10 * LIMIT})
    return app


def _client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://edge")


async def test_a_body_over_the_limit_is_refused_with_413_naming_the_limit() -> None:
    async with _client(_app()) as client:
        response = await client.post("/notes", json={"text": "á" * LIMIT})
    assert response.status_code == 413
    assert response.json()["detail"][0]["msg"] == "the request body is larger than 4,096 bytes"


async def test_a_chunked_body_without_a_length_is_cut_off_at_the_limit() -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"text": "'
        for _ in range(10):
            yield b"x" * 1000
        yield b'"}'

    async with _client(_app()) as client:
        response = await client.post("/notes", content=chunks())
    assert response.status_code == 413


async def test_a_body_within_the_limit_is_served() -> None:
    async with _client(_app()) as client:
        response = await client.post("/notes", json={"text": "Bánh phồng tôm"})
    assert response.status_code == 200
    assert response.json() == {"length": 14}


async def test_an_upload_path_has_its_own_larger_limit() -> None:
    async with _client(_app()) as client:
        accepted = await client.post("/imports", content=b"x" * (5 * LIMIT))
        refused = await client.post("/imports", content=b"x" * (11 * LIMIT))
    assert accepted.json() == {"bytes": 5 * LIMIT}
    assert refused.status_code == 413


async def test_a_request_past_its_deadline_gets_503_naming_the_silent_dependency() -> None:
    async with _client(_app({"store": _hangs, "broker": _answers})) as client:
        started = time.monotonic()
        response = await client.get("/slow")
        took = time.monotonic() - started
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "7"
    body = response.json()
    assert body["dependencies"] == ["store"]
    assert body["detail"] == "no answer within 0.5 s from: store"
    assert took < 5  # the deadline and one bounded probe, not the handler's 30 s


async def test_a_request_stuck_in_a_shielded_write_is_answered_without_waiting_for_it() -> None:
    async with _client(_app()) as client:
        started = time.monotonic()
        response = await client.get("/shielded")
        took = time.monotonic() - started
    assert response.status_code == 503
    assert took < 2.5  # deadline, a moment's grace and one probe; not the write's 3 s


async def test_a_slow_request_with_healthy_dependencies_still_gets_a_503() -> None:
    async with _client(_app()) as client:
        response = await client.get("/slow")
    assert response.status_code == 503
    assert response.json()["dependencies"] == []


async def test_a_stream_that_started_in_time_is_not_cut_by_the_deadline() -> None:
    async with _client(_app()) as client:
        response = await client.get("/stream")
    assert response.status_code == 200
    assert response.text == "0\n1\n2\n"


async def test_a_store_error_is_a_503_not_a_500() -> None:
    async with _client(_app()) as client:
        response = await client.get("/store-down")
    assert response.status_code == 503
    assert response.json()["dependencies"] == ["store"]
    assert response.headers["Retry-After"] == "7"


@pytest.mark.parametrize(
    ("probe", "error"),
    [(_hangs, "no answer within 0.2 s"), (_answers, None)],
)
async def test_dependency_checks_are_bounded(probe: Probe, error: str | None) -> None:
    started = time.monotonic()
    check = await check_dependencies({"store": probe}, within=0.2)
    assert time.monotonic() - started < 1
    assert check.results == {"store": error}
    assert check.ok is (error is None)
