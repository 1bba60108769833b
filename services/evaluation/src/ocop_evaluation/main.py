"""Composition root of the evaluation service. Nothing connects until the app starts."""

from __future__ import annotations

import logging

from fastapi import FastAPI
from pydantic import Field
from pydantic_settings import SettingsConfigDict

from ocop_contracts import topics
from ocop_evaluation.adapters.clock import StoredClock
from ocop_evaluation.adapters.mongo import (
    OUTBOX_COLLECTIONS,
    MongoClockStore,
    ensure_indexes,
    mongo_stores,
)
from ocop_evaluation.entrypoints import api, consumers
from ocop_evaluation.service_layer.certificates import Certificates
from ocop_evaluation.service_layer.evaluation import Evaluation
from ocop_platform.background import BackgroundTask
from ocop_platform.runtime import build_infrastructure, run_service, service_app
from ocop_platform.settings import ServiceSettings

log = logging.getLogger(__name__)


class EvaluationSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="OCOP_", extra="ignore", frozen=True)

    service_name: str = "evaluation"
    http_port: int = 8102
    scheduler_seconds: float = Field(
        default=60.0, gt=0, le=86_400, description="How often the certificate scheduler runs."
    )


def _scheduler(certificates: Certificates, clock: StoredClock, seconds: float) -> BackgroundTask:
    async def one_pass() -> None:
        counts = await certificates.run_scheduler(await clock.today())
        if any(counts.values()):
            log.info("certificate scheduler emitted events", extra=counts)

    return BackgroundTask("certificate-scheduler", one_pass, seconds)


def create_app(settings: EvaluationSettings | None = None) -> FastAPI:
    settings = settings or EvaluationSettings()
    infra = build_infrastructure(
        settings, outbox_collections=OUTBOX_COLLECTIONS, owned_topics=[topics.EVALUATION]
    )
    clock = StoredClock(MongoClockStore(infra.db), settings.business_clock())
    evaluation = Evaluation.over(mongo_stores(infra.db, infra.relay.notify), clock.today)
    app = service_app(
        infra,
        title="OCOP evaluation",
        description=(
            "Rule sets by date, rounds, dossiers with commune intake, councils and score sheets, "
            "star ratings, certificates with renewal and expiry, the next-star report, and the "
            "ingest of province ratings."
        ),
        api_routers=api.routers,
        subscriptions=consumers.subscriptions(evaluation.ingest),
        on_startup=lambda: ensure_indexes(infra.db),
        background=[_scheduler(evaluation.certificates, clock, settings.scheduler_seconds)],
    )
    app.state.evaluation = evaluation
    app.state.clock = clock
    return app


def run() -> None:
    settings = EvaluationSettings()
    run_service(lambda: create_app(settings), settings)
