"""Composition root of the promotion service. Nothing connects until the app starts."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI
from pydantic import Field
from pydantic_settings import SettingsConfigDict

from ocop_contracts import topics
from ocop_platform.runtime import build_infrastructure, run_service, service_app
from ocop_platform.settings import ServiceSettings
from ocop_promotion.adapters.repository import OUTBOX_COLLECTIONS, MongoPromotionRepository
from ocop_promotion.adapters.webhook_sender import HttpxWebhookSender
from ocop_promotion.domain.webhooks import RetryPolicy
from ocop_promotion.entrypoints import api, consumers
from ocop_promotion.service_layer.deliveries import DeliveryWorker
from ocop_promotion.service_layer.placements import PlacementService
from ocop_promotion.service_layer.services import PromotionService
from ocop_promotion.service_layer.venues import VenueService


class PromotionSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="OCOP_", extra="ignore", frozen=True)

    service_name: str = "promotion"
    http_port: int = 8103
    webhook_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    webhook_backoff_initial_seconds: float = Field(default=1.0, gt=0, le=3600)
    webhook_backoff_max_seconds: float = Field(default=300.0, gt=0, le=86_400)
    webhook_max_attempts: int = Field(default=12, ge=1, le=100)
    webhook_poll_seconds: float = Field(default=0.5, gt=0, le=60)
    certificate_sweep_seconds: float = Field(default=3600.0, gt=0, le=86_400)


def create_app(settings: PromotionSettings | None = None) -> FastAPI:
    settings = settings or PromotionSettings()
    infra = build_infrastructure(
        settings, outbox_collections=OUTBOX_COLLECTIONS, owned_topics=[topics.PROMOTION]
    )
    repository = MongoPromotionRepository(infra.db)
    clock = settings.business_clock()
    sender = HttpxWebhookSender(settings.webhook_timeout_seconds)
    policy = RetryPolicy(
        initial_seconds=settings.webhook_backoff_initial_seconds,
        max_seconds=settings.webhook_backoff_max_seconds,
        max_attempts=settings.webhook_max_attempts,
    )
    worker = DeliveryWorker(
        repository,
        sender,
        policy,
        poll_seconds=settings.webhook_poll_seconds,
        lease_seconds=settings.webhook_timeout_seconds + 30,
        clock=clock.now,
    )
    notify = infra.relay.notify
    placements = PlacementService(repository, notify_outbox=notify, today=clock.today)
    service = PromotionService(
        repository,
        placements,
        notify_outbox=notify,
        wake_deliveries=worker.wake,
        clock=clock.now,
    )
    venues = VenueService(repository, placements, notify_outbox=notify, today=clock.today)
    app = service_app(
        infra,
        title="OCOP promotion",
        description=(
            "The newly-starred feed (paged and live), subscriptions with signed webhooks, "
            "fairs, showrooms and sales points, online listings, media activities; products "
            "are delisted everywhere when their certificate expires or is revoked."
        ),
        api_routers=api.routers,
        subscriptions=consumers.subscriptions(service),
        on_startup=repository.ensure_indexes,
    )
    platform_lifespan = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(app_: FastAPI) -> AsyncIterator[None]:
        async with platform_lifespan(app_):
            tasks = [
                asyncio.create_task(worker.run_forever(), name="webhook-deliveries"),
                asyncio.create_task(
                    service.sweep_forever(clock.today, settings.certificate_sweep_seconds),
                    name="certificate-sweep",
                ),
                asyncio.create_task(service.forget_published_forever(), name="feed-outbox"),
            ]
            try:
                yield
            finally:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                await sender.close()

    app.router.lifespan_context = lifespan
    app.state.promotion = service
    app.state.venues = venues
    app.state.placements = placements
    app.state.deliveries = worker
    return app


def run() -> None:
    settings = PromotionSettings()
    run_service(lambda: create_app(settings), settings)
