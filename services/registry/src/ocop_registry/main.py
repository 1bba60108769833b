"""Composition root of the registry service. Nothing connects until the app starts."""

from fastapi import FastAPI
from pydantic_settings import SettingsConfigDict

from ocop_contracts import topics
from ocop_platform.runtime import build_infrastructure, run_service, service_app
from ocop_platform.settings import ServiceSettings
from ocop_registry.adapters.repository import OUTBOX_COLLECTIONS, MongoRegistryRepository
from ocop_registry.entrypoints import api, consumers
from ocop_registry.service_layer.services import RegistryService


class RegistrySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="OCOP_", extra="ignore", frozen=True)

    service_name: str = "registry"
    http_port: int = 8101


def create_app(settings: RegistrySettings | None = None) -> FastAPI:
    settings = settings or RegistrySettings()
    infra = build_infrastructure(
        settings, outbox_collections=OUTBOX_COLLECTIONS, owned_topics=[topics.REGISTRY]
    )
    repository = MongoRegistryRepository(infra.db)
    service = RegistryService(repository, infra.relay.notify)
    app = service_app(
        infra,
        title="OCOP registry",
        description="Producers (chủ thể), products and product codes.",
        api_routers=[api.router],
        subscriptions=consumers.subscriptions(service),
        on_startup=repository.ensure_indexes,
    )
    app.state.registry = service
    return app


def run() -> None:
    settings = RegistrySettings()
    run_service(lambda: create_app(settings), settings)
