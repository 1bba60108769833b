"""Composition root of the reporting service. Nothing connects until the app starts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fastapi import FastAPI
from pydantic_settings import SettingsConfigDict

from ocop_contracts import topics
from ocop_contracts.clock import SYSTEM_CLOCK, Clock
from ocop_platform.mongo import Database
from ocop_platform.runtime import build_infrastructure, run_service, service_app
from ocop_platform.settings import ServiceSettings
from ocop_reporting.adapters.projections import MongoProjections
from ocop_reporting.adapters.queries import MongoReportQueries
from ocop_reporting.adapters.targets import OUTBOX_COLLECTIONS, MongoTargetStore
from ocop_reporting.entrypoints import api, consumers
from ocop_reporting.service_layer.services import ReportingService


class ReportingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="OCOP_", extra="ignore", frozen=True)

    service_name: str = "reporting"
    http_port: int = 8104


@dataclass(frozen=True)
class ReportingStores:
    """The MongoDB adapters of one database, by role (the app's, the rebuild's, benchmarks')."""

    targets: MongoTargetStore
    projections: MongoProjections
    queries: MongoReportQueries

    @classmethod
    def of(cls, db: Database, *, deferred_summaries: bool = False) -> ReportingStores:
        """`deferred_summaries`: the rebuild's (MongoProjections)."""
        projections = MongoProjections(db, deferred_summaries=deferred_summaries)
        return cls(MongoTargetStore(db), projections, MongoReportQueries(db))

    def service(
        self, events_written: Callable[[], None], clock: Clock = SYSTEM_CLOCK
    ) -> ReportingService:
        return ReportingService(self.targets, self.projections, self.queries, events_written, clock)

    async def ensure_indexes(self) -> None:
        await self.targets.ensure_indexes()
        await self.projections.ensure_indexes()


def create_app(settings: ReportingSettings | None = None) -> FastAPI:
    settings = settings or ReportingSettings()
    infra = build_infrastructure(
        settings, outbox_collections=OUTBOX_COLLECTIONS, owned_topics=[topics.REPORTING]
    )
    stores = ReportingStores.of(infra.db)
    service = stores.service(infra.relay.notify, settings.business_clock())
    app = service_app(
        infra,
        title="OCOP reporting",
        description="Province targets and progress, derived from the events.",
        api_routers=api.routers,
        subscriptions=consumers.subscriptions(service),
        on_startup=stores.ensure_indexes,
    )
    app.state.reporting = service
    return app


def run() -> None:
    settings = ReportingSettings()
    run_service(lambda: create_app(settings), settings)
