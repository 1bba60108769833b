"""What every service is made of at run time, and the FastAPI app that hosts it.

A service's ``main.py`` (its composition root) builds an ``Infrastructure`` from settings, wires
its own use cases on top, and calls ``service_app``. Nothing connects until the app starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Union

from fastapi import APIRouter, FastAPI, Request, Response
from faststream.kafka import KafkaBroker
from faststream.specification import AsyncAPI
from pydantic import BaseModel, ConfigDict, Field
from pymongo import AsyncMongoClient

from ocop_contracts import TOPIC_OF, type_name
from ocop_contracts.topics import dead_letter_topic
from ocop_platform.background import BackgroundTask, running
from ocop_platform.consumer import DeadLetterPublisher, Dispatcher, Subscription, consumer_router
from ocop_platform.edge import (
    BROKER,
    STORE,
    BodyLimit,
    Deadline,
    Probe,
    check_dependencies,
    dependency_error_handlers,
)
from ocop_platform.errors import install_error_handlers
from ocop_platform.kafka import KafkaRecordSink, create_broker
from ocop_platform.logging import correlation_scope
from ocop_platform.mongo import Database, Document, create_client, is_ferretdb
from ocop_platform.outbox import OutboxRelay
from ocop_platform.settings import ServiceSettings
from ocop_platform.topics import ensure_topics

Startup = Callable[[], Awaitable[None]]
log = logging.getLogger(__name__)
CORRELATION_HEADER = "X-Correlation-ID"


@dataclass
class Infrastructure:
    settings: ServiceSettings
    client: AsyncMongoClient[Document]
    db: Database
    broker: KafkaBroker
    relay: OutboxRelay
    dispatcher: Dispatcher
    owned_topics: tuple[str, ...] = ()
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)


def build_infrastructure(
    settings: ServiceSettings,
    *,
    outbox_collections: Sequence[str],
    owned_topics: Sequence[str] = (),
    write_once_outboxes: Sequence[str] = (),
) -> Infrastructure:
    """``write_once_outboxes``: outbox collections whose documents are never updated after
    their insert; the relay deletes them once published (see ``OutboxRelay``)."""
    client = create_client(settings.mongo_url, settings.mongo_max_pool_size)
    db = client[settings.mongo_db]
    broker = create_broker(settings)
    relay = OutboxRelay(
        db,
        outbox_collections,
        KafkaRecordSink(broker),
        poll_seconds=settings.relay_poll_seconds,
        batch_size=settings.relay_batch_size,
        sweep_seconds=settings.outbox_sweep_seconds,
        write_once=write_once_outboxes,
    )
    dispatcher = Dispatcher(
        DeadLetterPublisher(broker, settings.consumer_group),
        max_attempts=settings.consumer_max_attempts,
        backoff_seconds=settings.consumer_retry_backoff_seconds,
    )
    return Infrastructure(settings, client, db, broker, relay, dispatcher, tuple(owned_topics))


def asyncapi_document(broker: KafkaBroker, title: str) -> dict[str, Any]:
    spec = AsyncAPI(broker, title=title, version="1.0.0", schema_version="3.0.0")
    document: dict[str, Any] = spec.to_specification().to_jsonable()
    return document


def service_app(
    infra: Infrastructure,
    *,
    title: str,
    description: str,
    api_routers: Sequence[APIRouter],
    subscriptions: Sequence[Subscription],
    on_startup: Startup | None = None,
    on_shutdown: Startup | None = None,
    background: Sequence[BackgroundTask] = (),
    upload_limits: Mapping[str, int] | None = None,
) -> FastAPI:
    """``background``: work supervised while the app runs, beside the outbox relay; it stops
    before ``on_shutdown`` runs and the broker and the store close.
    ``upload_limits``: path prefixes that take files larger than OCOP_MAX_REQUEST_BYTES,
    with their own limit (and no request deadline while the upload arrives)."""
    settings = infra.settings
    infra.broker.include_router(
        consumer_router(
            subscriptions,
            infra.dispatcher,
            settings.consumer_group,
            batch_size=settings.consumer_batch_size,
        )
    )
    _document_publishers(infra.broker, infra.owned_topics)
    consumed = [s.topic for s in subscriptions]
    topics = {*infra.owned_topics, *consumed, *(dead_letter_topic(t) for t in consumed)}

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await _warn_on_unsafe_store(infra)
        if on_startup is not None:
            await on_startup()
        if settings.create_topics:
            await ensure_topics(
                settings.kafka_bootstrap,
                topics,
                settings.topic_partitions,
                settings.topic_replication_factor,
            )
        await infra.broker.start()
        try:
            async with running([infra.relay.background_task(), *background]):
                yield
        finally:
            if on_shutdown is not None:
                await on_shutdown()
            await infra.broker.stop()
            await infra.client.close()

    app = FastAPI(title=title, description=description, version="1.0.0", lifespan=lifespan)
    app.middleware("http")(_correlate)
    uploads = dict(upload_limits or {})
    app.add_middleware(
        Deadline,
        seconds=settings.request_deadline_seconds,
        probes=dependency_probes(infra),
        retry_after=settings.retry_after_seconds,
        exempt=tuple(uploads),
    )
    app.add_middleware(BodyLimit, limit=settings.max_request_bytes, limits=uploads)
    app.state.settings = settings
    app.state.infra = infra
    install_error_handlers(app)
    for error, handler in dependency_error_handlers(settings.retry_after_seconds).items():
        app.add_exception_handler(error, handler)
    app.include_router(_operations_router(infra, title))
    for router in api_routers:
        app.include_router(router)
    return app


async def _correlate(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    """Take the caller's X-Correlation-ID (or start one); logs and emitted events carry it."""
    supplied = request.headers.get(CORRELATION_HEADER, "")
    try:
        correlation_id = str(uuid.UUID(supplied))
    except ValueError:
        correlation_id = str(uuid.uuid4())
    with correlation_scope(correlation_id):
        response = await call_next(request)
    response.headers[CORRELATION_HEADER] = correlation_id
    return response


def _document_publishers(broker: KafkaBroker, owned_topics: Sequence[str]) -> None:
    """Declare what this service publishes, so its AsyncAPI document shows the payloads.

    The outbox relay does the publishing; these publishers only describe the topics.
    """
    for topic in owned_topics:
        events = [cls for cls, t in TOPIC_OF.items() if t == topic]
        if not events:
            continue
        schema: Any = events[0] if len(events) == 1 else Union[tuple(events)]  # noqa: UP007
        names = ", ".join(type_name(cls) for cls in events)
        broker.publisher(topic, title=f"{topic}:publish", description=names, schema=schema)


async def _warn_on_unsafe_store(infra: Infrastructure) -> None:
    if infra.settings.mongo_max_pool_size > 1 and await is_ferretdb(infra.db):
        log.warning(
            "the store is FerretDB, which loses concurrent updates to one document; "
            "set OCOP_MONGO_MAX_POOL_SIZE=1 (the dev stack and the tests do)"
        )


class Liveness(BaseModel):
    status: Literal["ok"]


class ReadyChecks(BaseModel):
    mongo: bool
    kafka: bool


class DependencyState(BaseModel):
    ok: bool
    error: str | None = Field(description="Why the dependency did not answer in time")


class Readiness(BaseModel):
    status: Literal["ok", "unavailable"]
    checks: ReadyChecks
    dependencies: dict[str, DependencyState]


class AsyncApiDocument(BaseModel):
    """An AsyncAPI 3.0 document (the fields past these are as the specification defines)."""

    model_config = ConfigDict(extra="allow")

    asyncapi: str
    info: dict[str, Any]
    channels: dict[str, Any] = Field(default_factory=dict)
    operations: dict[str, Any] = Field(default_factory=dict)


class PipelineCounters(BaseModel):
    outbox_published: int
    events_handled: int
    dead_lettered: int
    duplicates: int


def _operations_router(infra: Infrastructure, title: str) -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/health/live", response_model=Liveness, summary="The process is up")
    async def live() -> dict[str, str]:
        return {"status": "ok"}

    @router.get(
        "/health/ready",
        response_model=Readiness,
        responses={503: {"model": Readiness, "description": "A dependency did not answer"}},
        summary="The store and the broker answer (within 2 s)",
    )
    async def ready(response: Response) -> dict[str, Any]:
        check = await check_dependencies(dependency_probes(infra), within=1.5)
        if not check.ok:
            response.status_code = 503
            response.headers["Retry-After"] = str(infra.settings.retry_after_seconds)
        return {
            "status": "ok" if check.ok else "unavailable",
            "checks": {
                "mongo": check.results[STORE] is None,
                "kafka": check.results[BROKER] is None,
            },
            "dependencies": {
                name: {"ok": error is None, "error": error} for name, error in check.results.items()
            },
        }

    @router.get(
        "/asyncapi.json",
        response_model=AsyncApiDocument,
        summary="AsyncAPI 3.0 document of this service's topics",
    )
    async def asyncapi() -> dict[str, Any]:
        return asyncapi_document(infra.broker, title)

    @router.get(
        "/metrics/pipeline",
        response_model=PipelineCounters,
        summary="Outbox and consumer counters of this process",
    )
    async def pipeline() -> dict[str, int]:
        return {
            "outbox_published": infra.relay.published,
            "events_handled": infra.dispatcher.handled,
            "dead_lettered": infra.dispatcher.dead_lettered,
            "duplicates": infra.dispatcher.duplicates,
        }

    return router


def dependency_probes(infra: Infrastructure) -> dict[str, Probe]:
    async def store() -> object:
        return await infra.db.command("ping")

    async def broker() -> object:
        return await infra.broker.ping(timeout=1.0)

    return {STORE: store, BROKER: broker}


def run_service(create_app: Callable[[], FastAPI], settings: ServiceSettings) -> None:
    """Serve the app with uvicorn on the configured host/port, JSON logs on stderr."""
    import uvicorn

    from ocop_platform.logging import configure_logging

    configure_logging(settings.service_name, settings.log_level, settings.log_json)
    uvicorn.run(create_app(), host=settings.http_host, port=settings.http_port, log_config=None)
