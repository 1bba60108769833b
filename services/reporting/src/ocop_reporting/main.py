"""Composition root of the reporting service. Nothing connects until the app starts."""

from fastapi import FastAPI
from pydantic_settings import SettingsConfigDict

from ocop_contracts import topics
from ocop_platform.runtime import build_infrastructure, run_service, service_app
from ocop_platform.settings import ServiceSettings
from ocop_reporting.adapters.repository import OUTBOX_COLLECTIONS, MongoReportingRepository
from ocop_reporting.entrypoints import api, consumers
from ocop_reporting.service_layer.services import ReportingService


class ReportingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="OCOP_", extra="ignore", frozen=True)

    service_name: str = "reporting"
    http_port: int = 8104


def create_app(settings: ReportingSettings | None = None) -> FastAPI:
    settings = settings or ReportingSettings()
    infra = build_infrastructure(
        settings, outbox_collections=OUTBOX_COLLECTIONS, owned_topics=[topics.REPORTING]
    )
    repository = MongoReportingRepository(infra.db)
    service = ReportingService(repository, infra.relay.notify, settings.business_clock())
    app = service_app(
        infra,
        title="OCOP reporting",
        description="Province targets and progress, derived from the events.",
        api_routers=[api.router],
        subscriptions=consumers.subscriptions(service),
        on_startup=repository.ensure_indexes,
    )
    app.state.reporting = service
    return app


def run() -> None:
    settings = ReportingSettings()
    run_service(lambda: create_app(settings), settings)
