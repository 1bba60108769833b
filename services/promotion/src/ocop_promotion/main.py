"""Composition root of the promotion service. Nothing connects until the app starts."""

from __future__ import annotations

from fastapi import FastAPI
from pydantic import Field
from pydantic_settings import SettingsConfigDict

from ocop_contracts import topics
from ocop_contracts.clock import Clock
from ocop_platform.background import BackgroundTask
from ocop_platform.runtime import build_infrastructure, run_service, service_app
from ocop_platform.settings import ServiceSettings
from ocop_promotion.adapters.repository import (
    OUTBOX_COLLECTIONS,
    WRITE_ONCE_OUTBOXES,
    MongoPromotionRepository,
    mongo_venue_stores,
)
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


FEED_OUTBOX_SECONDS = 5.0


def _background(
    settings: PromotionSettings,
    worker: DeliveryWorker,
    service: PromotionService,
    repository: MongoPromotionRepository,
    clock: Clock,
) -> list[BackgroundTask]:
    async def sweep() -> None:
        await service.sweep_lapsed_certificates(clock.today())

    return [
        BackgroundTask(
            "webhook-deliveries",
            worker.start_due_drains,
            settings.webhook_poll_seconds,
            wakeup=worker.wakeup,
            on_stop=worker.stop_drains,
        ),
        BackgroundTask("certificate-sweep", sweep, settings.certificate_sweep_seconds),
        BackgroundTask("feed-outbox", repository.forget_published_feed_events, FEED_OUTBOX_SECONDS),
    ]


def create_app(settings: PromotionSettings | None = None) -> FastAPI:
    settings = settings or PromotionSettings()
    infra = build_infrastructure(
        settings,
        outbox_collections=OUTBOX_COLLECTIONS,
        owned_topics=[topics.PROMOTION],
        write_once_outboxes=WRITE_ONCE_OUTBOXES,
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
        lease_seconds=settings.webhook_timeout_seconds + 30,
        clock=clock.now,
    )
    notify = infra.relay.notify
    stores = mongo_venue_stores(infra.db, repository, notify)
    placements = PlacementService(stores, today=clock.today)
    service = PromotionService(
        repository,
        placements,
        notify_outbox=notify,
        wake_deliveries=worker.wake,
        clock=clock.now,
    )
    venues = VenueService(stores, placements, today=clock.today)
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
        on_shutdown=sender.close,
        background=_background(settings, worker, service, repository, clock),
    )
    app.state.promotion = service
    app.state.venues = venues
    app.state.placements = placements
    app.state.deliveries = worker
    return app


def run() -> None:
    settings = PromotionSettings()
    run_service(lambda: create_app(settings), settings)
