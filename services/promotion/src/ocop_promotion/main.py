"""Composition root of the promotion service. Nothing connects until the app starts."""

from fastapi import FastAPI
from pydantic_settings import SettingsConfigDict

from ocop_contracts import topics
from ocop_platform.runtime import build_infrastructure, run_service, service_app
from ocop_platform.settings import ServiceSettings
from ocop_promotion.adapters.repository import OUTBOX_COLLECTIONS, MongoPromotionRepository
from ocop_promotion.entrypoints import api, consumers
from ocop_promotion.service_layer.services import PromotionService


class PromotionSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="OCOP_", extra="ignore", frozen=True)

    service_name: str = "promotion"
    http_port: int = 8103


def create_app(settings: PromotionSettings | None = None) -> FastAPI:
    settings = settings or PromotionSettings()
    infra = build_infrastructure(
        settings, outbox_collections=OUTBOX_COLLECTIONS, owned_topics=[topics.PROMOTION]
    )
    repository = MongoPromotionRepository(infra.db)
    service = PromotionService(repository)
    app = service_app(
        infra,
        title="OCOP promotion",
        description="The newly-starred feed, fairs, showrooms and online listings.",
        api_routers=[api.router],
        subscriptions=consumers.subscriptions(service),
        on_startup=repository.ensure_indexes,
    )
    app.state.promotion = service
    return app


def run() -> None:
    settings = PromotionSettings()
    run_service(lambda: create_app(settings), settings)
